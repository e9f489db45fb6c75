/* SPDX-License-Identifier: MIT */
/* The monotonic clock every timestamp and duration of the project uses. */
#include "ksm/clock.h"

#include <time.h>

uint64_t ksm_monotonic_ns(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail with a valid pointer. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

uint64_t ksm_monotonic_clock(void *arg)
{
    (void)arg;
    return ksm_monotonic_ns();
}
