/* SPDX-License-Identifier: MIT */
/* Timing shared by the C benchmarks: a clock and a median. */
#ifndef KSM_BENCH_UTIL_H
#define KSM_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "ksm/clock.h"

/* Microseconds on the project's monotonic clock. */
static inline double bench_now_us(void)
{
    return (double)ksm_monotonic_ns() / 1e3;
}

/* Nanoseconds on the same clock. */
static inline double bench_now_ns(void)
{
    return (double)ksm_monotonic_ns();
}

/* A qsort() comparator for doubles that never overflows, unlike a - b. */
static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/*
 * The median of v[0..n-1], n > 0, which sorts v in place. The median rather
 * than the mean, so that one round slowed by another process does not move it.
 */
static inline double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), bench_cmp_double);
    return v[n / 2];
}

/* A clock for the procfs reader that a bench moves by hand: arg is its ns. */
static inline uint64_t bench_manual_clock(void *arg)
{
    return *(const uint64_t *)arg;
}

/* As the exporter does: the hard limit on open files as the soft one. */
static inline void bench_raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

#endif
