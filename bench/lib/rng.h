/* rng.h -- the benchmarks' random numbers: splitmix64.
 *
 * Workloads must be the same on every machine and every libc for a given
 * seed, so we do not use rand(). splitmix64 is one add and three
 * multiply-xorshift steps: fast, full period 2^64, and good enough to pick
 * prices and participants. rng_below() uses the multiply-shift reduction,
 * whose bias (n / 2^64) is far below anything a benchmark could notice.
 */
#ifndef BENCH_RNG_H
#define BENCH_RNG_H

#include <stdint.h>

typedef struct rng {
    uint64_t s;
} rng;

static inline void rng_seed(rng *r, uint64_t seed)
{
    r->s = seed;
}

static inline uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t rng_below(rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi]. */
static inline int64_t rng_range(rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo) + 1);
}

/* True with probability pct/100. */
static inline int rng_pct(rng *r, int pct)
{
    return rng_below(r, 100) < (uint64_t)pct;
}

#endif
