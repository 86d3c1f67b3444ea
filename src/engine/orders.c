/* orders.c -- the order pool and the id -> slot table.
 *
 * Slots are recycled through a free list, so resting and cancelling never
 * allocates once the pool has grown to the day's peak. Order ids are given in
 * sequence by the engine; the table is open addressing with linear probing
 * and backward-shift deletion (no tombstones), kept at most half full.
 * Debug builds assert that slots stay inside the pool, that an id is indexed
 * once and only while it is, and that the table never fills.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static uint32_t id_hash(uint64_t id, uint32_t mask)
{
    return (uint32_t)((id * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
}

static bool table_alloc(cets_engine *e, uint32_t size)
{
    e->idkeys = calloc(size, sizeof *e->idkeys);
    e->idvals = calloc(size, sizeof *e->idvals);
    e->idmask = size - 1;
    return e->idkeys && e->idvals;
}

bool orders_init(cets_engine *e, uint32_t cap)
{
    if (cap < 64)
        cap = 64;
    e->orders = calloc(cap, sizeof *e->orders);
    if (!e->orders)
        return false;
    e->capord = cap;
    e->free_head = 0;
    for (uint32_t i = cap - 1; i >= 1; i--) {
        e->orders[i].next = e->free_head;
        e->free_head = i;
    }
    uint32_t size = 128;
    while (size < cap * 2)
        size *= 2;
    return table_alloc(e, size);
}

void orders_free(cets_engine *e)
{
    free(e->orders);
    free(e->idkeys);
    free(e->idvals);
    e->orders = NULL;
    e->idkeys = NULL;
    e->idvals = NULL;
}

uint32_t orders_alloc(cets_engine *e)
{
    if (!e->free_head) {
        uint32_t cap = e->capord * 2;
        if (cap <= e->capord)
            return 0;
        order *p = realloc(e->orders, (size_t)cap * sizeof *p);
        if (!p)
            return 0;
        memset(p + e->capord, 0, (size_t)(cap - e->capord) * sizeof *p);
        for (uint32_t i = cap - 1; i >= e->capord; i--) {
            p[i].next = e->free_head;
            e->free_head = i;
        }
        e->orders = p;
        e->capord = cap;
    }
    uint32_t slot = e->free_head;
    assert(slot > 0 && slot < e->capord);
    e->free_head = e->orders[slot].next;
    memset(&e->orders[slot], 0, sizeof(order));
    return slot;
}

void orders_release(cets_engine *e, uint32_t slot)
{
    assert(slot > 0 && slot < e->capord);
    e->orders[slot].id = 0;
    e->orders[slot].next = e->free_head;
    e->free_head = slot;
}

uint32_t orders_find(const cets_engine *e, uint64_t id)
{
    if (!id)
        return 0;
    for (uint32_t i = id_hash(id, e->idmask);; i = (i + 1) & e->idmask) {
        if (e->idkeys[i] == id)
            return e->idvals[i];
        if (!e->idkeys[i])
            return 0;
    }
}

static bool table_grow(cets_engine *e)
{
    uint64_t *keys = e->idkeys;
    uint32_t *vals = e->idvals;
    uint32_t size = e->idmask + 1;
    if (!table_alloc(e, size * 2)) {
        free(e->idkeys);
        free(e->idvals);
        e->idkeys = keys;
        e->idvals = vals;
        e->idmask = size - 1;
        return false;
    }
    for (uint32_t i = 0; i < size; i++) {
        if (!keys[i])
            continue;
        uint32_t j = id_hash(keys[i], e->idmask);
        while (e->idkeys[j])
            j = (j + 1) & e->idmask;
        e->idkeys[j] = keys[i];
        e->idvals[j] = vals[i];
    }
    free(keys);
    free(vals);
    return true;
}

bool orders_index(cets_engine *e, uint64_t id, uint32_t slot)
{
    assert(id != 0 && slot > 0 && slot < e->capord && orders_find(e, id) == 0);
    if ((uint64_t)(e->nlive + 1) * 2 > (uint64_t)e->idmask + 1 && !table_grow(e))
        return false;
    uint32_t i = id_hash(id, e->idmask);
    while (e->idkeys[i])
        i = (i + 1) & e->idmask;
    e->idkeys[i] = id;
    e->idvals[i] = slot;
    e->nlive++;
    return true;
}

void orders_unindex(cets_engine *e, uint64_t id)
{
    uint32_t i = id_hash(id, e->idmask);
    while (e->idkeys[i] != id) {
        assert(e->idkeys[i] != 0); /* only indexed ids leave the index */
        if (!e->idkeys[i])
            return;
        i = (i + 1) & e->idmask;
    }
    assert(e->nlive > 0);
    /* backward-shift: pull later members of the cluster into the hole */
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & e->idmask;
        if (!e->idkeys[j])
            break;
        uint32_t home = id_hash(e->idkeys[j], e->idmask);
        /* move j into i unless its home lies cyclically in (i, j] */
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            e->idkeys[i] = e->idkeys[j];
            e->idvals[i] = e->idvals[j];
            i = j;
        }
    }
    e->idkeys[i] = 0;
    e->nlive--;
}
