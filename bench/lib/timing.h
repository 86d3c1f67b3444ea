/* timing.h -- clocks and memory figures for the benchmarks.
 *
 * Two clocks: CLOCK_MONOTONIC for anything that spans threads or system
 * calls (throughput, commit latency), and the TSC for per-command latency,
 * where clock_gettime's own cost (~20 ns under KVM) would be as large as
 * what it measures. The TSC is invariant on this class of CPU
 * (constant_tsc, nonstop_tsc), and we calibrate it against CLOCK_MONOTONIC
 * once per process. Reads are fenced with lfence so the measured code can
 * not drift across them.
 */
#ifndef BENCH_TIMING_H
#define BENCH_TIMING_H

#include <stddef.h>
#include <stdint.h>
#include <x86intrin.h>

int64_t timing_now_ns(void);
/* CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID): on a shared
 * machine it leaves out the time other processes had the core. */
int64_t timing_cpu_ns(void);

static inline uint64_t timing_tsc(void)
{
    _mm_lfence();
    uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
}

/* Measure TSC ticks per ns over ~100 ms; later calls reuse the figure. */
double timing_tsc_per_ns(void);
/* Median ticks between two back-to-back timing_tsc() calls: the cost that a
 * per-command measurement adds to each sample. */
uint64_t timing_tsc_overhead(void);
/* Touch and free `bytes` of huge-page-advised memory, so that what the next
 * run maps is memory the machine has backed already. */
void timing_warm_memory(size_t bytes);
/* Resident set size of this process, bytes (from /proc/self/statm). */
int64_t timing_rss_bytes(void);

#endif
