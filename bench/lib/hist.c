/* hist.c -- see hist.h.
 *
 * Index of a value v: v itself below 4096. Above, shift v right until it
 * has 12 significant bits (2048..4095) and add shift * 2048: v = 4096..8191
 * lands on 4096..6143, 8192..16383 on 6144..8191, and so on, so the blocks
 * join without gaps and each covers one power of two in 2048 steps.
 */
#include "hist.h"

#include <stdlib.h>

#define SUB_BITS 11
#define SUB (1u << SUB_BITS) /* buckets per power of two */
#define MAX_SHIFT 34         /* values up to 2^45 */
#define NBUCKETS ((MAX_SHIFT + 2) * SUB)

/* For v < 2*SUB the index is v. Above, shift v right until it has SUB_BITS+1
 * significant bits (range SUB..2*SUB-1) and place it in block `shift`. */
static uint32_t hist_index(uint64_t v)
{
    if (v < 2 * SUB) return (uint32_t)v;
    int shift = (63 - __builtin_clzll(v)) - SUB_BITS;
    if (shift > MAX_SHIFT) return NBUCKETS - 1;
    return (uint32_t)(shift * SUB + (v >> shift));
}

/* The middle of the values that map to index i. */
static uint64_t hist_value(uint32_t i)
{
    if (i < 2 * SUB) return i;
    int shift = (int)(i / SUB) - 1;
    uint64_t lo = (uint64_t)(i - (uint32_t)shift * SUB) << shift;
    return lo + ((1ull << shift) >> 1);
}

int hist_init(hist *h)
{
    h->bucket = calloc(NBUCKETS, sizeof *h->bucket);
    h->count = h->max = h->sum = 0;
    return h->bucket ? 0 : -1;
}

void hist_free(hist *h)
{
    free(h->bucket);
    h->bucket = NULL;
}

void hist_add(hist *h, uint64_t v, uint64_t n)
{
    h->bucket[hist_index(v)] += n;
    h->count += n;
    h->sum += v * n;
    if (v > h->max) h->max = v;
}

uint64_t hist_quantile(const hist *h, double q)
{
    if (h->count == 0) return 0;
    uint64_t want = (uint64_t)(q * (double)h->count);
    if (want < 1) want = 1;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < NBUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= want) {
            uint64_t v = hist_value(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}
