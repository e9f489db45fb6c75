/* SPDX-License-Identifier: MIT */
/* The rates of the cost counters, over a window of successive readings. */
#ifndef KSM_RATES_H
#define KSM_RATES_H

#include <stdbool.h>
#include <stdint.h>

#include "ksm/sampler.h"

/* The reading rates are taken from, and the last rates; zero-initialise. */
struct ksm_rate_tracker {
    bool have_base;
    uint64_t base_ns;
    bool base_has_ksmd;
    bool base_has_cow;
    double base_ksmd_cpu;
    uint64_t base_cow;
    struct ksm_rates last;
};

/*
 * Sets s->rates from s's counters and the base reading, as struct ksm_rates
 * says, and makes s the base when the window was long enough.  A counter
 * that went backwards (another ksmd, a reset) has no rate this window.
 */
void ksm_rates_update(struct ksm_rate_tracker *t, struct ksm_sample *s);

#endif
