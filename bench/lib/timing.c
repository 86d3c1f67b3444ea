/* timing.c -- see timing.h. */
#include "timing.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

int64_t timing_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t timing_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double timing_tsc_per_ns(void)
{
    static double per_ns;
    if (per_ns > 0) return per_ns;
    /* Bracket the TSC reads tightly with clock reads at both ends so the
     * error is a few tens of ns over 100 ms, well below 1e-5. */
    int64_t n0 = timing_now_ns();
    uint64_t t0 = timing_tsc();
    int64_t n1;
    do {
        n1 = timing_now_ns();
    } while (n1 - n0 < 100000000);
    uint64_t t1 = timing_tsc();
    per_ns = (double)(t1 - t0) / (double)(n1 - n0);
    return per_ns;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

uint64_t timing_tsc_overhead(void)
{
    enum { N = 100001 };
    static uint64_t d[N];
    for (int i = 0; i < N; i++) {
        uint64_t a = timing_tsc();
        uint64_t b = timing_tsc();
        d[i] = b - a;
    }
    qsort(d, N, sizeof d[0], cmp_u64);
    return d[N / 2];
}

int64_t timing_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    long size = 0, resident = 0;
    int ok = fscanf(f, "%ld %ld", &size, &resident);
    fclose(f);
    if (ok != 2) return -1;
    return (int64_t)resident * sysconf(_SC_PAGESIZE);
}

void timing_warm_memory(size_t bytes)
{
    if (!bytes) return;
    size_t huge = (size_t)2 << 20;
    bytes = (bytes + huge - 1) / huge * huge;
    char *m = mmap(NULL, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return;
    char *p = (char *)(((uintptr_t)m + huge - 1) & ~(uintptr_t)(huge - 1));
    madvise(p, bytes, MADV_HUGEPAGE);
    for (size_t i = 0; i < bytes; i += 4096) ((volatile char *)p)[i] = 1;
    munmap(m, bytes + huge);
}
