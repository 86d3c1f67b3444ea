/* floor.h -- the floor: a bare order book replaying the engine's commands.
 *
 * What any continuous book must do for the workload's commands, and nothing
 * more: per instrument a flat price ladder (one level per tick of the band,
 * a bitmap of non-empty levels), FIFO levels linked through a pool of
 * 24-byte orders, and an id -> slot array (the engine numbers orders in
 * sequence, so the floor uses the id as an index). No risk checks, fees,
 * settlement, events, statistics or trade tape. It keeps the engine's rules
 * that change which fills happen: price-time priority at the resting price,
 * IOC ends unfilled, a modify that only shrinks keeps its place, any other
 * modify loses it and may trade, an order that would trade with its own
 * participant is rejected whole (the engine's self-trade rule), a cancel or
 * modify names a live order of its participant.
 *
 * The throughput run applies the same commands to the engine and to the
 * floor and checks that every command filled the same (fills_match):
 * trades, quantity and value per command, folded into a digest.
 */
#ifndef BENCH_FLOOR_H
#define BENCH_FLOOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workload.h"

typedef struct floor_book floor_book;

/* What a run of commands filled, per command, folded. */
typedef struct fill_digest {
    uint64_t digest;          /* over (index, ntrades, qty, value) of every command that filled */
    uint64_t trades, rejects; /* totals */
    int64_t qty, value;       /* sum of qty and of qty x price over all fills */
} fill_digest;

static inline void fill_digest_add(fill_digest *d, size_t i, int code, uint32_t ntrades,
                                   int64_t qty, int64_t value)
{
    d->rejects += code != 0;
    if (!ntrades) return;
    uint64_t x = ((uint64_t)i << 20) ^ ntrades;
    x = (x ^ (uint64_t)qty * 0x9E3779B97F4A7C15ULL) * 0xBF58476D1CE4E5B9ULL;
    x ^= (uint64_t)value * 0x94D049BB133111EBULL;
    d->digest = (d->digest ^ x) * 0x100000001B3ULL;
    d->trades += ntrades;
    d->qty += qty;
    d->value += value;
}

static inline bool fill_digest_equal(const fill_digest *a, const fill_digest *b)
{
    return a->digest == b->digest && a->trades == b->trades && a->rejects == b->rejects &&
           a->qty == b->qty && a->value == b->value;
}

/* A floor book with the workload's setup applied (untimed). NULL on failure. */
floor_book *floor_new(const workload *w);
void floor_free(floor_book *f);
/* Apply the measured commands [0, n) and fold their fills into *d. */
void floor_run(floor_book *f, const cets_cmd *cmds, size_t n, fill_digest *d);
/* Resting orders now. */
uint64_t floor_live(const floor_book *f);

#endif
