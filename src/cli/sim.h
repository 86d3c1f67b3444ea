/* sim.h -- the parts of `cets simulate`: the exchange's pipeline, the
 * simulated market's setup and its order flow.
 *
 * The simulation plays the exchange: the core's pipeline gives each
 * command its sequence number and time, journals it and, once a batch is
 * durable, applies it to the engine. The market (market_setup.c) is created
 * through ordinary operator commands; the participants' orders (orderflow.c)
 * come from a seeded generator that looks at the market as a client would,
 * through the engine's queries -- on the participants' own picture of the
 * market, a second engine that sees each command as it is sequenced.
 */
#ifndef CETS_SIM_H
#define CETS_SIM_H

#include "cli.h"
#include "core/pipeline.h"

/* ---- a small deterministic PRNG: splitmix64 -------------------------------
 * Never rand(): the run must be the same on every libc for a given seed. */
typedef struct rng {
    uint64_t s;
} rng;

static inline uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (the bias of a 64-bit modulo is negligible here). */
static inline uint64_t rng_below(rng *r, uint64_t n)
{
    return rng_next(r) % n;
}
/* Uniform in [lo, hi]. */
static inline int64_t rng_range(rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo + 1));
}
/* True with probability per_mille / 1000. */
static inline bool rng_chance(rng *r, int per_mille)
{
    return (int)rng_below(r, 1000) < per_mille;
}

/* ---- the exchange's side: the core's pipeline (sim_pipeline.c) ---------------
 * The commands of the simulation go through the core's pipeline
 * (core/pipeline.h: sequencer -> journal -> engine -> bus), exactly as in
 * cetsd, with market time instead of the wall clock. */

#define PL_MAX_CODE 1000 /* reason codes are below 1000 (errors.h) */
#define PL_MAX_TYPE 256  /* command types fit in a byte (cets_cmd.type) */

typedef struct sim_pipeline {
    pipeline core;        /* the exchange's engine sees a batch once it is durable */
    cets_engine *view;    /* the participants' picture: sees each command at once */
    cets_result view_res; /* the view's result of the last command submitted */
    size_t batch_max, n;
    cets_cmd *cmds; /* the batch, journaled, not yet applied */
    uint32_t **ids; /* where to store each command's result.id, or NULL */
    /* what happened */
    uint64_t commands, accepted, rejected, trades, commits;
    uint64_t by_reason[PL_MAX_CODE];
    uint64_t by_type[PL_MAX_TYPE], rejected_by_type[PL_MAX_TYPE];
    int last_reject_code, last_reject_type; /* for setup, where none is expected */
    char err[512];
} sim_pipeline;

/* The engine e recovered from backend; its events go to bus (may be NULL);
 * view: a copy of e, or NULL. 0, or -1 with p->err. */
int pl_init(sim_pipeline *p, cets_engine *e, cets_engine *view, core_backend *backend, bus *events,
            size_t batch_max);
void pl_free(sim_pipeline *p);
/* Give c the next sequence number and time ts (clamped so time never goes
 * back), journal it and show it to the view. id_out, if set, receives
 * result.id once applied. 0, or -1 with p->err. The caller flushes when
 * pl_full(). */
int pl_submit(sim_pipeline *p, cets_cmd *c, int64_t ts, uint32_t *id_out);
static inline bool pl_full(const sim_pipeline *p)
{
    return p->n == p->batch_max;
}
/* Commit the batch (one fdatasync), then apply it. 0, or -1 with p->err:
 * then nothing of the batch was applied. */
int pl_flush(sim_pipeline *p);

/* ---- what the day is calibrated to (scenario.c) ---------------------------------- */

#define SIM_INSTRUMENTS 7

typedef struct sim_instrument {
    const char *code;
    int product;
    int64_t prev_close; /* fen */
    int weight;         /* share of the order flow, per cent */
    int32_t listed;     /* first trading date */
} sim_instrument;

typedef struct sim_range {
    int64_t lo, hi;
} sim_range;

typedef struct sim_size { /* a bucket of listing order sizes */
    int per_cent;
    int64_t lo, hi;
} sim_size;

typedef struct sim_scenario {
    const char *name, *title;
    int32_t date;                        /* default --date */
    int64_t participants, orders;        /* default --participants, --orders */
    int64_t reference;                   /* every previous close (fen), 0: the table's */
    int pct_institution, pct_individual; /* of the participants; the rest are entities */
    sim_range funds[3];                  /* CNY: entities, institutions, individuals */
    sim_range holdings[3];               /* tonnes per CEA vintage */
    sim_size sizes[4];                   /* listing order sizes */
    int drift_bp;                        /* where the day's price is pulled: prev close +/- this */
    int buy_per_mille;                   /* how often a trader wants to buy */
    int blocks;                          /* block proposals in the afternoon */
    sim_range block_qty;
    int auctions;     /* one-way bidding auctions (0, 1 or 2) */
    int auction_bids; /* bids expected in each */
} sim_scenario;

const sim_scenario *scenario_find(const char *name);
const char *scenario_names(void);
/* The instruments listed on date, with the scenario's previous closes. */
int scenario_instruments(const sim_scenario *s, int32_t date, sim_instrument *out);

/* ---- the market (market_setup.c) ---------------------------------------------- */

typedef struct sim_market {
    const sim_scenario *sc;
    int32_t date;
    int32_t tz;
    uint32_t ninstr;
    uint32_t instr[SIM_INSTRUMENTS]; /* engine ids */
    const char *code[SIM_INSTRUMENTS];
    int product[SIM_INSTRUMENTS];
    int weight[SIM_INSTRUMENTS]; /* share of the order flow */
    uint32_t nparts;
    uint32_t *pid;        /* engine ids of the participants */
    uint8_t *kind;        /* cets_pkind of each */
    uint32_t nkind[6];    /* how many of each kind */
    uint32_t *by_kind[6]; /* indices into pid, per kind */
    int nholidays;
} sim_market;

/* Holidays, instruments, participants, deposits and holdings, at 09:00 on
 * the date. 0, or -1 with p->err. */
int market_setup(sim_pipeline *p, sim_market *m, const sim_scenario *sc, uint64_t seed,
                 int32_t date, uint32_t participants, const int32_t *holidays, int nholidays);
void market_free(sim_market *m);

/* ---- the order flow (orderflow.c) ------------------------------------------------- */

typedef struct flow flow;

flow *flow_new(const sim_market *m, uint64_t seed);
void flow_free(flow *f);
/* Look at the market again (after each applied batch). */
void flow_refresh(flow *f, const cets_engine *e);
/* The next participant's command; lunch: the market is closed, only cancels. */
void flow_next(flow *f, const cets_engine *e, cets_cmd *c, bool lunch);

/* ---- the day checked (daycheck.c) -------------------------------------------------- */

/* After the end of day: the statistics and statements recomputed from the
 * day's trades, the balances end-of-day leaves, the next trading date.
 * NULL when all agree, else what differs first. */
const char *daycheck_run(const cets_engine *e, int32_t next_date);

/* ---- block agreements and auctions (bigtrades.c) ----------------------------------- */

typedef struct bigtrades bigtrades;

bigtrades *bigtrades_new(const sim_market *m, uint64_t seed, uint64_t orders);
void bigtrades_free(bigtrades *b);
/* An operator's command due by ts (create or close an auction): fills *c and
 * its time *at, or false. */
bool bigtrades_due(bigtrades *b, const cets_engine *view, int64_t ts, cets_cmd *c, int64_t *at);
/* Perhaps a participant's bid, block proposal or answer for the slot at ts. */
bool bigtrades_next(bigtrades *b, const cets_engine *view, int64_t ts, cets_cmd *c);
/* The view's result for a command just submitted: new auction and proposal ids. */
void bigtrades_seen(bigtrades *b, const cets_cmd *c, const cets_result *r);

#endif
