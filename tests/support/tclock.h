/* tclock.h -- the tests' clock: milliseconds of CLOCK_MONOTONIC, for
 * deadlines and waits (never for a measurement: benchmarks do that). */
#ifndef CETS_TCLOCK_H
#define CETS_TCLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t tclock_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

#endif
