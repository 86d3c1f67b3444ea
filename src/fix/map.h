/* map.h -- a hash map from 64-bit keys (never 0) to pointers, for the FIX
 * gateway's order, in-flight and ClOrdID tables.
 *
 * Open addressing with linear probing and backward-shift deletion, kept at
 * most half full: lookups touch one or two cache lines, deletions leave no
 * tombstones, and iteration is a walk over the slots. One thread only.
 */
#ifndef CETS_FIX_MAP_H
#define CETS_FIX_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fix_map {
    uint64_t *keys;
    void **vals;
    size_t mask, n;
} fix_map;

void fix_map_init(fix_map *m);
void fix_map_free(fix_map *m);
void *fix_map_get(const fix_map *m, uint64_t key);
/* Insert or replace; false when out of memory. */
bool fix_map_put(fix_map *m, uint64_t key, void *val);
/* Remove; returns the value that was there, or NULL. */
void *fix_map_del(fix_map *m, uint64_t key);
/* Iterate: for (size_t i = 0; fix_map_next(m, &i, &k, &v);) ... -- the map
 * must not change during the walk. */
bool fix_map_next(const fix_map *m, size_t *i, uint64_t *key, void **val);

#endif
