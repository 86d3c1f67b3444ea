/* refbook.h -- a naive reference order book for the randomized tests.
 *
 * It exists to be obviously right, not fast: the orders of one instrument
 * sit in one unsorted array and every question (best price, the k-th price
 * level, who trades next) is answered by a full scan. It knows nothing about
 * funds or holdings; the test drives it only with what the engine accepted
 * and compares its predictions (trades, fees, depth, self-trade) with the
 * engine's events and queries.
 */
#ifndef CETS_REFBOOK_H
#define CETS_REFBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cets/cets.h"

typedef struct rb_order {
    uint64_t id;
    uint32_t owner;
    int side; /* CETS_BUY or CETS_SELL */
    int64_t price;
    int64_t qty; /* remaining */
    int64_t filled_qty;
    int64_t filled_value; /* for the order's cumulative fee */
    uint64_t prio;        /* time priority: lower is older */
} rb_order;

typedef struct rb_book {
    rb_order *o;
    size_t n, cap;
    uint64_t clock; /* last priority handed out */
} rb_book;

#define RB_MAX_FILLS 4096

typedef struct rb_fill {
    uint64_t maker_id;
    uint32_t maker_owner;
    int64_t price, qty;
    int64_t maker_fee, taker_fee;
} rb_fill;

typedef struct rb_plan {
    bool self_trade; /* the order would reach one of its owner's orders */
    size_t n;
    rb_fill f[RB_MAX_FILLS];
    int64_t qty, value; /* totals of the fills */
} rb_plan;

void rb_init(rb_book *b);
void rb_free(rb_book *b);
void rb_clear(rb_book *b);

/* Append a resting order with the next (youngest) priority. */
void rb_add(rb_book *b, uint64_t id, uint32_t owner, int side, int64_t price, int64_t qty);
/* Append keeping a given priority (a modification that keeps its place). */
void rb_add_prio(rb_book *b, const rb_order *o);
rb_order *rb_find(rb_book *b, uint64_t id);
bool rb_remove(rb_book *b, uint64_t id);
size_t rb_count(const rb_book *b);

/* Price of the k-th best distinct price level of a side (k = 0 is the best),
 * 0 when the side has fewer levels. */
int64_t rb_level_price(const rb_book *b, int side, int k);

/* What an incoming order of `side` with limit `limit` and `qty` would do:
 * against the other side, best price first, then oldest first, only at
 * prices no worse than the limit and, when max_levels > 0, only within that
 * many best price levels of the other side. Stops at the first of the
 * owner's own orders it would reach (self_trade). Fees are per order on its
 * cumulative value, half-up: taker_cum is the taker's value filled before. */
void rb_plan_match(const rb_book *b, int side, int64_t limit, int64_t qty, uint32_t owner,
                   int max_levels, int64_t taker_cum, int32_t taker_ppm, int32_t maker_ppm,
                   rb_plan *out);
/* Apply a plan's fills to the makers (filled ones leave the book). */
void rb_apply(rb_book *b, const rb_plan *p);

/* Best five levels per side, like cets_depth_get. */
void rb_depth(const rb_book *b, cets_depth *out);

/* round(value * ppm / 1e6), half-up. */
int64_t rb_fee(int64_t value, int32_t ppm);

#endif
