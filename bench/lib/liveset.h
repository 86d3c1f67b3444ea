/* liveset.h -- the set of live order ids a generator may name.
 *
 * Picking a uniformly random live order is what cancels and modifies need,
 * so the set is an array (pick = one index) with swap-remove, plus a table
 * from order id to array position. Order ids are given 1, 2, 3, ... by the
 * engine, so that table is a plain array that grows to the largest id.
 */
#ifndef BENCH_LIVESET_H
#define BENCH_LIVESET_H

#include <stdint.h>

typedef struct liveset {
    uint64_t *ids;
    uint32_t n, cap;
    uint32_t *pos; /* pos[order id] = index in ids, or UINT32_MAX */
    uint64_t poscap;
} liveset;

/* Add id (no-op if present). 0, or -1 out of memory. */
int liveset_add(liveset *s, uint64_t id);
/* Remove id (no-op if absent). */
void liveset_remove(liveset *s, uint64_t id);
void liveset_free(liveset *s);

#endif
