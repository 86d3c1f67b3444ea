/* projection.h -- what cetsd derives from the engine's events and the engine
 * does not keep: per instrument today's trade tape and 1-minute bars, daily
 * bars of closed days, the market-wide halt flag, and the idempotency map of
 * client order ids.
 *
 * It is an on-core reader of the core's event bus: written on the engine
 * thread, read by HTTP threads, guarded by its own mutex (never the engine's
 * lock, so a slow reader of bars cannot hold up matching).
 *
 * After a restart, events before the last snapshot are not replayed, so
 * projection_seed() rebuilds what it can from the recovered engine (today's
 * trades, live orders) and from the journal (today's client order ids), and
 * reads the daily bars it keeps in <data_dir>/bars-1d.tsv.
 */
#ifndef CETS_SERVER_PROJECTION_H
#define CETS_SERVER_PROJECTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "idem.h"
#include "server.h"

#define PROJ_TAPE_LEN 10000 /* trades kept per instrument */

projection *projection_new(const char *data_dir, int32_t tz_offset_min);
void projection_free(projection *p);
/* The events it reads from the bus, and its on-core reader's callback
 * (bus.h: BUS_ON_CORE, so it is current before a reply goes out). Join the
 * bus before core_start(): it needs the recovery replay. */
#define PROJECTION_EVENTS                                                                          \
    (BUS_TYPE(CETS_EV_ACCEPTED) | BUS_TYPE(CETS_EV_REJECTED) | BUS_TYPE(CETS_EV_TRADE) |           \
     BUS_TYPE(CETS_EV_ORDER_DONE) | BUS_TYPE(CETS_EV_DAY_STATS) | BUS_TYPE(CETS_EV_DAY_CLOSED))
void projection_on_event(void *p, const cets_event *ev);
/* After core_start(): rebuild from the engine and the journal. What cannot
 * be rebuilt is logged, not fatal; returns 0 (err kept for later failures). */
int projection_seed(projection *p, core *c, char *err, size_t errlen);

/* ---- market data (JSON arrays; the caller owns them) ------------------- */
/* Today's trades, newest first, at most limit. */
json_t *projection_trades(projection *p, uint32_t instrument, int limit);
/* Today's 1-minute bars from listing (and continuous) trades, oldest first. */
json_t *projection_bars_1m(projection *p, uint32_t instrument);
/* One bar per closed day, oldest first. */
json_t *projection_bars_1d(projection *p, uint32_t instrument);

bool projection_market_halted(projection *p);
/* The HTTP handler tells after a MARKET_HALT succeeded (the event does not
 * carry the flag). */
void projection_set_market_halted(projection *p, bool halted);

/* ---- idempotency ------------------------------------------------------- */
/* The 64-bit client_ref of a client order id (XXH3, never 0). */
uint64_t projection_client_ref(const char *client_order_id);

typedef enum idem_claim {
    CLAIM_NEW,   /* claimed: execute, then projection_idem_finish() or _release() */
    CLAIM_DONE,  /* used before: *out holds the first result */
    CLAIM_KNOWN, /* used before the last restart, result unknown */
    CLAIM_BUSY,  /* still being executed by another request after a wait (or at once: _try) */
    CLAIM_NOMEM,
} idem_claim;

idem_claim projection_idem_claim(projection *p, uint32_t participant, uint64_t ref,
                                 const char *client_order_id, idem_result *out);
/* The same without waiting: CLAIM_BUSY at once while another request
 * executes the id (for an I/O thread, which must not wait). */
idem_claim projection_idem_try(projection *p, uint32_t participant, uint64_t ref, const char *coid,
                               idem_result *out);
void projection_idem_finish(projection *p, uint32_t participant, uint64_t ref,
                            const idem_result *res);
/* The command was not executed (journal failure): forget the claim. */
void projection_idem_release(projection *p, uint32_t participant, uint64_t ref);
/* The client order id of a live order, if this server saw it; false otherwise. */
bool projection_client_order_id(projection *p, uint32_t participant, uint64_t ref,
                                char out[IDEM_COID_MAX + 1]);

#endif
