/* trules.h -- shared checks for the rule tests.
 *
 * A rejection test must show three things: the command was rejected with the
 * expected code, exactly one REJECTED event (and nothing else) was emitted
 * with that code, and the state hash did not move. TR_REJECT does all three
 * around any call that applies one command through a tmarket. TR_OK asserts a
 * command was accepted and that the conservation invariants still hold.
 */
#ifndef CETS_TRULES_H
#define CETS_TRULES_H

#include <stdbool.h>
#include <stdint.h>

#include "cets/cets.h"
#include "tmarket.h"

void tr_begin(tmarket *m);
void tr_end_reject(tmarket *m, int rc, int code, const char *file, int line);
void tr_end_ok(tmarket *m, int rc, const char *file, int line);

#define TR_REJECT(m, code, call)                                                                   \
    do {                                                                                           \
        tr_begin(m);                                                                               \
        int tr_rc_ = (call);                                                                       \
        tr_end_reject((m), tr_rc_, (code), __FILE__, __LINE__);                                    \
    } while (0)

#define TR_OK(m, call)                                                                             \
    do {                                                                                           \
        tr_begin(m);                                                                               \
        int tr_rc_ = (call);                                                                       \
        tr_end_ok((m), tr_rc_, __FILE__, __LINE__);                                                \
    } while (0)

/* The TRADE events recorded since the last tm_clear_events(), in order.
 * Returns how many (fills at most cap). */
size_t tr_trades(const tmarket *m, cets_trade *out, size_t cap);
/* The last ORDER_DONE event for an order id, or NULL. */
const cets_event *tr_done(const tmarket *m, uint64_t order_id);
/* Whether an order is live (cets_order_get finds it). */
bool tr_live(const tmarket *m, uint64_t order_id);
/* Level k (0 = best) of one side of an instrument's depth: its quantity, or 0
 * when there is no such level; *price and *count are set when not NULL. */
int64_t tr_level(const tmarket *m, uint32_t iid, int side, int k, int64_t *price, uint32_t *count);
/* Total funds (available + frozen) of a participant. */
int64_t tr_funds(const tmarket *m, uint32_t pid);
/* Independent fee: half-up round(value * ppm / 1e6). */
int64_t tr_fee(int64_t value, int32_t ppm);

/* Raw command helpers that the tmarket builders do not cover. */
int tr_cmd(tmarket *m, int type, uint32_t actor, uint32_t pid, uint32_t iid, int64_t qty,
           int64_t aux);
int tr_add_instrument(tmarket *m, uint32_t actor, const char *code, int product, int matching,
                      int64_t prev_close, cets_result *r);
int tr_add_participant(tmarket *m, uint32_t actor, int kind, const char *name, cets_result *r);
/* A post whose actor differs from its participant. */
int tr_post_as(tmarket *m, uint32_t actor, uint32_t pid, uint32_t iid, int side, int64_t price,
               int64_t qty);
int tr_eod_now(tmarket *m); /* END_OF_DAY at the market's current time */

#endif
