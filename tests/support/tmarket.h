/* tmarket.h -- a small market for tests: an engine, a clock, command builders
 * and an event recorder. Every helper gives each command the next sequence
 * number and the market's current time, like the sequencer does. */
#ifndef CETS_TMARKET_H
#define CETS_TMARKET_H

#include <stdbool.h>
#include <stdint.h>

#include "cets/cets.h"

#define TM_DATE 20261130 /* a Monday */

typedef struct tmarket {
    cets_engine *e;
    uint64_t seq;
    int64_t now;    /* time given to the next command */
    cets_event *ev; /* events recorded since tm_clear_events() */
    size_t nev, capev;
    cets_statement *stmts; /* copies of STATEMENT events */
    size_t nstmts, capstmts;
    /* called with each command once stamped, before it is applied (may be NULL):
     * a test that journals what it builds (tday.c) */
    void (*journal)(void *ctx, const cets_cmd *c);
    void *journal_ctx;
} tmarket;

/* cfg NULL: cets_config_default() with start_date TM_DATE. Time starts at 10:00. */
void tm_init(tmarket *m, const cets_config *cfg);
void tm_free(tmarket *m);
/* Set the clock to hh:mm local on the engine's current trading date. */
void tm_at(tmarket *m, int hh, int mm);
/* Set the clock to hh:mm local on the given date. */
void tm_at_date(tmarket *m, int32_t date, int hh, int mm);

int tm_apply(tmarket *m, cets_cmd *c, cets_result *r); /* fills seq, ts */
void tm_clear_events(tmarket *m);
size_t tm_count_events(const tmarket *m, int type);
const cets_event *tm_last_event(const tmarket *m, int type);

/* Builders: each asserts success (fails the test otherwise) and returns the id. */
uint32_t tm_instrument(tmarket *m, const char *code, int product, int matching, int64_t prev_close);
uint32_t tm_participant(tmarket *m, int kind, const char *name, int64_t funds);
void tm_credit(tmarket *m, uint32_t pid, uint32_t iid, int64_t qty);

/* Trading: return the result code; r may be NULL. */
int tm_post(tmarket *m, uint32_t pid, uint32_t iid, int side, int64_t price, int64_t qty,
            cets_result *r);
int tm_post_tif(tmarket *m, uint32_t pid, uint32_t iid, int side, int64_t price, int64_t qty,
                int tif, cets_result *r);
int tm_take_limit(tmarket *m, uint32_t pid, uint32_t iid, int side, int64_t qty, int64_t limit,
                  cets_result *r);
int tm_take_targets(tmarket *m, uint32_t pid, uint32_t iid, int side, int n, const cets_target *t,
                    cets_result *r);
int tm_cancel(tmarket *m, uint32_t pid, uint64_t order_id);
int tm_modify(tmarket *m, uint32_t pid, uint64_t order_id, int64_t price, int64_t qty,
              cets_result *r);
int tm_admin(tmarket *m, int type, uint32_t pid, uint32_t iid, int64_t qty, int64_t aux);
int tm_eod(tmarket *m); /* at 15:30 on the trading date */
/* PARAM_SET by the exchange, urgent: market parameter id is v from now on. */
int tm_param_now(tmarket *m, int id, int64_t v);

/* The engine's invariants over the whole state (cets_check). Returns NULL
 * when all hold, else a static message naming the first broken one. */
const char *tm_invariants(const cets_engine *e);

/* A snapshot of e saved and loaded into a new engine whose state hash is
 * e's (the test fails otherwise); the caller frees it. */
cets_engine *tm_snapshot_copy(const cets_engine *e);

/* Funds and holding shortcuts. */
int64_t tm_avail(const tmarket *m, uint32_t pid);
int64_t tm_frozen(const tmarket *m, uint32_t pid);
cets_holding tm_hold(const tmarket *m, uint32_t pid, uint32_t iid);

#endif
