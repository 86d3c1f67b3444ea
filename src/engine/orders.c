/* orders.c -- the order pool and the id -> slot map.
 *
 * Slots are recycled through a free list, so resting and cancelling never
 * allocates once the pool has grown to the day's peak. Order ids are given in
 * sequence by the engine and every order ends by the day's end at the latest,
 * so the live ids lie in a window that moves forward: idmap[id - idbase] is
 * an order's slot (0 = none), one load for a lookup, a cancel of an order
 * already gone included (an id outside the window costs no load at all).
 * When an id falls outside the window, a new one is made around the live
 * span (from the lowest live id to the new one) with as much room again
 * (up to the span limit), so that happens once per half a window of new ids
 * at most. An id idspan_max or more after the oldest live one is refused.
 * Debug builds assert that slots stay inside the pool and that an id is
 * indexed once and only while it is.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define IDMAP_MIN 1024u

/* The ids from the lowest to the highest of the live ones and `id`; first
 * and last: the live ones' entries in the window. The window starts at the
 * lowest live id, so the scan for it passes each id once over a day. */
static void live_span(const cets_engine *e, uint64_t id, uint64_t *lo, uint64_t *hi,
                      uint32_t *first, uint32_t *last)
{
    *lo = *hi = id;
    *first = *last = 0;
    if (!e->nlive) return;
    while (!e->idmap[*first]) ++*first;
    *last = e->idcap - 1;
    while (!e->idmap[*last]) --*last;
    if (e->idbase + *first < *lo) *lo = e->idbase + *first;
    if (e->idbase + *last > *hi) *hi = e->idbase + *last;
}

bool orders_span_ok(const cets_engine *e, uint64_t id)
{
    uint64_t lo, hi;
    uint32_t first, last;
    live_span(e, id, &lo, &hi, &first, &last);
    return hi - lo < e->idspan_max; /* at most idspan_max ids from the oldest live one on */
}

/* A new window holding every live id and `id`, at least twice their span. */
bool orders_refit(cets_engine *e, uint64_t id)
{
    uint64_t lo, hi;
    uint32_t first, last;
    live_span(e, id, &lo, &hi, &first, &last);
    if (hi - lo >= e->idspan_max) return false;
    uint32_t cap = IDMAP_MIN; /* twice the span, or all the span limit allows */
    while (cap < (hi - lo + 1) * 2 && cap < e->idspan_max) cap *= 2;
    uint32_t *m = calloc(cap, sizeof *m);
    if (!m) return false;
    engine_hugepages(m, (size_t)cap * sizeof *m);
    if (e->nlive)
        memcpy(m + (e->idbase + first - lo), e->idmap + first,
               (size_t)(last - first + 1) * sizeof *m);
    free(e->idmap);
    e->idmap = m;
    e->idcap = cap;
    e->idbase = lo;
    return true;
}

bool orders_init(cets_engine *e, uint32_t cap)
{
    if (cap < 64) cap = 64;
    e->orders = engine_lines_alloc(cap, sizeof *e->orders);
    if (!e->orders) return false;
    e->capord = cap;
    e->free_head = 0;
    for (uint32_t i = cap - 1; i >= 1; i--) {
        e->orders[i].next = e->free_head;
        e->free_head = i;
    }
    e->idbase = 1;
    e->idspan_max = ORDERS_ID_SPAN_MAX;
    e->idcap = IDMAP_MIN;
    e->idmap = calloc(e->idcap, sizeof *e->idmap);
    return e->idmap != NULL;
}

void orders_free(cets_engine *e)
{
    engine_lines_free(e->orders, e->capord, sizeof *e->orders);
    free(e->idmap);
    e->orders = NULL;
    e->idmap = NULL;
}

/* Twice the slots, the new ones on the free list: the list's head, or 0 when
 * out of memory (the pool as it was). The pool is copied into a new mapping,
 * 2 MiB aligned, so that all of it is in huge pages (engine_lines_alloc):
 * resting orders are random accesses, and with 4 KiB pages each costs a TLB
 * miss as well (a walk of nested page tables in a VM). Moving the pages
 * (realloc, mremap) kept the old ones small: at a million resting orders
 * the batch apply took 144-153 ns a command that way against 129-136 ns
 * copied (bench/README.md). The copy costs once a doubling, and less than
 * realloc's clearing of the new half did: from 2^20 to 2^21 slots, median
 * 14 ms against 67 (five runs each, bench/README.md). */
uint32_t orders_grow(cets_engine *e)
{
    uint32_t cap = e->capord * 2;
    if (cap <= e->capord) return 0;
    order *p = engine_lines_alloc(cap, sizeof *p);
    if (!p) return 0;
    memcpy(p, e->orders, (size_t)e->capord * sizeof *p);
    engine_lines_free(e->orders, e->capord, sizeof *p);
    for (uint32_t i = cap - 1; i >= e->capord; i--) {
        p[i].next = e->free_head;
        e->free_head = i;
    }
    e->orders = p;
    e->capord = cap;
    return e->free_head;
}
