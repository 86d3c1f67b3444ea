/* hist.h -- a latency histogram with fixed relative precision.
 *
 * Values (ticks or ns) below 4096 get a bucket each; above, every power of
 * two is split into 2048 buckets, so any recorded value is known to within
 * 1/2048 (0.05%) up to 2^45. That is HdrHistogram's idea in 60 lines: adding
 * a sample is a shift and an increment, so it can sit on a hot path, and
 * memory is fixed (~0.7 MB) however many samples come.
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

typedef struct hist {
    uint64_t *bucket;
    uint64_t count, max, sum;
} hist;

int hist_init(hist *h);
void hist_free(hist *h);
/* Record n samples of value v. */
void hist_add(hist *h, uint64_t v, uint64_t n);
/* Smallest recorded value v such that at least q (0..1) of the samples are
 * <= v (bucket midpoint). 0 for an empty histogram. */
uint64_t hist_quantile(const hist *h, double q);

#endif
