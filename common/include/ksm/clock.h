/* SPDX-License-Identifier: MIT */
/* The one monotonic clock of the project, for timestamps and durations. */
#ifndef KSM_CLOCK_H
#define KSM_CLOCK_H

#include <stdint.h>

/*
 * Nanoseconds of CLOCK_MONOTONIC: never goes backwards and ignores changes
 * of the wall clock, so only differences between two readings mean
 * anything.  Cannot fail.
 */
uint64_t ksm_monotonic_ns(void);

/*
 * ksm_monotonic_ns() in the shape of an injectable clock (the sampler's and
 * the procfs reader's configs take one, so that tests can drive time); arg
 * is ignored.
 */
uint64_t ksm_monotonic_clock(void *arg);

#endif
