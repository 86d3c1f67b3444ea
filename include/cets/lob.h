/* lob.h -- the plain entry point for embedders and outside benchmarks.
 *
 * A continuous price-time limit order book: add a limit order, cancel it,
 * receive trades through a callback. It runs on the full engine (one
 * continuous instrument; sessions, pre-funding checks and fees switched off,
 * as it has no accounts to settle), so a benchmark of this API measures the
 * same matching code the exchange runs.
 */
#ifndef CETS_LOB_H
#define CETS_LOB_H

#include <stdint.h>

#include "cets/api.h"

typedef struct cets_lob cets_lob;

/* One callback per trade: maker is the resting order, taker the incoming one. */
typedef void (*cets_lob_trade_fn)(void *ctx, uint64_t maker_id, uint64_t taker_id, int64_t price,
                                  int64_t qty);

/* Prices are integers in [min_price, max_price], tick 1. NULL on bad range. */
CETS_API cets_lob *cets_lob_new(int64_t min_price, int64_t max_price, cets_lob_trade_fn fn,
                                void *ctx);
CETS_API void cets_lob_free(cets_lob *lob);

/* side: 1 buy, 2 sell. owner: any number >= 1 (orders of one owner never
 * trade with each other: such an order is rejected). Matches what crosses at
 * the resting price and rests the remainder. Returns the order id (>0), or 0
 * when rejected; cets_lob_last_error() tells why. */
CETS_API uint64_t cets_lob_add(cets_lob *lob, int side, int64_t price, int64_t qty, uint32_t owner);
/* Returns 0, or a cets_reason (CETS_UNKNOWN_ORDER). */
CETS_API int cets_lob_cancel(cets_lob *lob, uint64_t order_id);
CETS_API int cets_lob_last_error(const cets_lob *lob);
/* Best bid and ask (0 when that side is empty). */
CETS_API void cets_lob_best(const cets_lob *lob, int64_t *bid, int64_t *ask);

#endif
