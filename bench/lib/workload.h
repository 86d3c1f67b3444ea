/* workload.h -- a seeded order flow for the continuous book.
 *
 * In the manner of exchange-core's benchmark generator: every command is
 * made before any clock starts, by driving a separate engine (the
 * "pre-pass") and looking at its book and results, so cancels and modifies
 * always name orders that are live at that moment and crossing orders know
 * where the other side is. The measured runs then feed the same array to a
 * fresh engine with the same setup; because the engine is deterministic it
 * must end in the same state, and the runs check that through the state
 * hash recorded here.
 *
 * The market: `instruments` CEA instruments in continuous mode with a
 * previous close of 50.00 CNY (band 45.00-55.00), `accounts` institutions
 * each with a deposit and a holding large enough that risk checks pass, and
 * about `book_orders` resting orders per instrument spread over about
 * `2 * book_half_ticks` ticks around the middle. Commands fall inside the
 * morning session of the start date with increasing timestamps, so the full
 * session and calendar checks run.
 */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "cets/cets.h"

typedef enum wl_kind {
    WL_LIMIT = 0,  /* POST, tif day: mostly passive, some crossing */
    WL_IOC = 1,    /* POST, tif ioc: mostly marketable */
    WL_CANCEL = 2, /* CANCEL of a live order */
    WL_MODIFY = 3, /* MODIFY of a live order: smaller qty, or a new price */
    WL_KINDS = 4,
} wl_kind;

typedef struct workload_opts {
    uint64_t seed;
    size_t commands;          /* measured commands */
    uint32_t instruments;     /* continuous instruments */
    uint32_t accounts;        /* trading participants */
    uint32_t book_orders;     /* resting orders per instrument to hold, about */
    uint32_t book_half_ticks; /* passive orders go up to this far from the middle */
    int pct[WL_KINDS];        /* the mix, percent; sums to 100 */
    int limit_cross_pct;      /* share of limit orders priced through the other side */
    int ioc_market_pct;       /* share of IOC orders priced through the other side */
    int32_t date;             /* the trading date, a weekday */
} workload_opts;

typedef struct workload {
    workload_opts opts;
    cets_cmd *setup; /* instruments, accounts, funds, holdings, first book */
    size_t nsetup;
    cets_cmd *cmds; /* the measured commands; seq continues after setup */
    size_t ncmds;
    uint64_t hash;                         /* cets_state_hash after setup + cmds, emit_depth off */
    uint64_t hash_depth;                   /* the same with emit_depth on (workload_hash_depth) */
    uint64_t made[WL_KINDS];               /* commands of each kind actually generated */
    uint64_t trades, rejects;              /* over cmds, as seen by the pre-pass */
    uint64_t live_min, live_max, live_end; /* resting orders over the run */
} workload;

void workload_opts_default(workload_opts *o);
/* The code of instrument k (0-based) of a workload: "CEAB1", "CEAB2", ... */
void workload_code(uint32_t k, char out[CETS_CODE_LEN]);
/* The engine configuration every run uses (full rules); depth events on or off. */
void workload_config(const workload_opts *o, bool emit_depth, cets_config *cfg);
/* Generate; prints progress and problems to stderr. 0, or -1 on failure. */
int workload_build(workload *w, const workload_opts *o);
void workload_free(workload *w);
/* A fresh engine with the setup applied (and checked), then the listener
 * installed, ready for w->cmds. NULL on failure. */
cets_engine *workload_engine(const workload *w, bool emit_depth, cets_listener fn, void *ctx);
/* Before a timed run of w: touch and free as much memory as the run will map
 * (its trade tape, and 32 MiB for the rest), so that the run measures the
 * engine rather than the machine backing memory on its first touch (under
 * this VM: 4.9 ms a fresh 2 MiB huge page, 0.05-0.2 ms a reused one).
 * Returns the MiB touched. */
size_t workload_warm(const workload *w);
/* Apply the setup to an engine that has none yet, then install the listener. 0 or -1. */
int workload_setup(const workload *w, cets_engine *e, cets_listener fn, void *ctx);
/* The engine hashes its configuration too, emit_depth included, so a run
 * with depth events ends in another hash than the pre-pass. This replays the
 * commands once (untimed) with emit_depth on and fills w->hash_depth. 0 or -1. */
int workload_hash_depth(workload *w);
/* The hash a run over all of w->cmds must end in. */
static inline uint64_t workload_hash(const workload *w, bool emit_depth)
{
    return emit_depth ? w->hash_depth : w->hash;
}

/* Conservation after a run over all of w->cmds (docs/rules.md): funds equal
 * deposits less withdrawals, holdings equal issuance, frozen equals reserved,
 * and as many orders rest as in the pre-pass. Says what failed on stderr. */
bool workload_conserved(const workload *w, const cets_engine *e);

/* A listener that only counts events by type: the minimum a consumer does. */
typedef struct ev_count {
    uint64_t n[16];
} ev_count;
void ev_count_listener(void *ctx, const cets_event *ev);
uint64_t ev_count_total(const ev_count *c);

#endif
