/* book.c -- one instrument's order book as two price ladders.
 *
 * Prices are bounded by the day's band (±10% of the previous close), so each
 * side is an array with one level per tick across the band: inserting at a
 * price is an index. A bitmap of non-empty levels finds the next best level
 * with one count-leading/trailing-zeros per 64 ticks. Within a level, orders
 * form a FIFO (time priority) linked through the order pool by slot index.
 *
 * Debug builds assert the local invariants of each change (an order lands on
 * a level of the ladder, a level's count and quantity never go below what
 * it holds, an emptied level has no links); cets_check() checks the whole.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void side_free(side_book *s)
{
    free(s->levels);
    free(s->bits);
    memset(s, 0, sizeof *s);
    s->best = -1;
}

static bool side_init(side_book *s, int32_t nlevels)
{
    s->levels = calloc((size_t)nlevels, sizeof *s->levels);
    s->bits = calloc(((size_t)nlevels + 63) / 64, sizeof *s->bits);
    s->best = -1;
    s->norders = 0;
    return s->levels && s->bits;
}

/* A book across [lower, upper]; the book must be empty (it is rebuilt). */
bool book_init(book *b, int64_t lower, int64_t upper, int64_t tick)
{
    assert(tick > 0 && lower > 0 && upper >= lower);
    book_free(b);
    b->base = lower;
    b->tick = tick;
    b->nlevels = (int32_t)((upper - lower) / tick + 1);
    if (!side_init(&b->bid, b->nlevels) || !side_init(&b->ask, b->nlevels)) {
        book_free(b);
        return false;
    }
    return true;
}

void book_free(book *b)
{
    side_free(&b->bid);
    side_free(&b->ask);
    b->nlevels = 0;
}

/* Bids: the highest non-empty level <= from. Asks: the lowest >= from. */
int32_t book_next(const side_book *s, int32_t nlevels, int is_bid, int32_t from)
{
    if (from < 0 || from >= nlevels) return -1;
    int32_t w = from >> 6;
    if (is_bid) {
        uint64_t word = s->bits[w] & (~0ULL >> (63 - (from & 63)));
        for (;;) {
            if (word) return (w << 6) + 63 - __builtin_clzll(word);
            if (--w < 0) return -1;
            word = s->bits[w];
        }
    }
    int32_t nwords = (nlevels + 63) >> 6;
    uint64_t word = s->bits[w] & (~0ULL << (from & 63));
    for (;;) {
        if (word) return (w << 6) + __builtin_ctzll(word);
        if (++w >= nwords) return -1;
        word = s->bits[w];
    }
}

int32_t book_nth_level(const book *b, int is_bid, int n)
{
    const side_book *s = is_bid ? &b->bid : &b->ask;
    int32_t idx = s->best;
    while (idx >= 0 && --n > 0) idx = book_next(s, b->nlevels, is_bid, is_bid ? idx - 1 : idx + 1);
    return idx;
}

void book_depth(const book *b, int is_bid, cets_level *out, uint32_t *n)
{
    const side_book *s = is_bid ? &b->bid : &b->ask;
    int32_t idx = s->best;
    *n = 0;
    while (idx >= 0 && *n < CETS_DEPTH) {
        const level *l = &s->levels[idx];
        out[*n] = (cets_level){.price = book_price(b, idx), .qty = l->qty, .count = l->count};
        (*n)++;
        idx = book_next(s, b->nlevels, is_bid, is_bid ? idx - 1 : idx + 1);
    }
}

int book_rank(const book *b, int is_bid, int32_t idx, int cap)
{
    const side_book *s = is_bid ? &b->bid : &b->ask;
    int n = 0;
    if (s->best < 0) return 0;
    /* the bits strictly between the best level and idx, word by word */
    int32_t lo = is_bid ? idx + 1 : s->best, hi = is_bid ? s->best : idx - 1;
    for (int32_t w = lo >> 6; lo <= hi && w <= hi >> 6 && n < cap; w++) {
        uint64_t word = s->bits[w];
        if (w == lo >> 6) word &= ~0ULL << (lo & 63);
        if (w == hi >> 6) word &= ~0ULL >> (63 - (hi & 63));
        n += __builtin_popcountll(word);
    }
    return n;
}
