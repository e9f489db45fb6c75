/* SPDX-License-Identifier: MIT */
/* The rates of the cost counters, over a window of successive readings. */
#include "rates.h"

static void set_base(struct ksm_rate_tracker *t, const struct ksm_sample *s)
{
    t->have_base = true;
    t->base_ns = s->timestamp_ns;
    t->base_has_ksmd = s->proc.has_ksmd;
    t->base_ksmd_cpu = s->proc.ksmd_cpu_seconds;
    t->base_has_cow = s->proc.has_cow;
    t->base_cow = s->proc.cow_ksm;
}

void ksm_rates_update(struct ksm_rate_tracker *t, struct ksm_sample *s)
{
    struct ksm_rates r = {0};

    if (!t->have_base || s->timestamp_ns < t->base_ns) {
        t->last = r;
        set_base(t, s);
    } else if (s->timestamp_ns - t->base_ns >= KSM_RATE_MIN_WINDOW_NS) {
        r.has = true;
        r.window_seconds = (double)(s->timestamp_ns - t->base_ns) / 1e9;
        r.has_ksmd_cpu = t->base_has_ksmd && s->proc.has_ksmd &&
                         s->proc.ksmd_cpu_seconds >= t->base_ksmd_cpu;
        if (r.has_ksmd_cpu)
            r.ksmd_cpu_share = (s->proc.ksmd_cpu_seconds - t->base_ksmd_cpu) /
                               r.window_seconds;
        r.has_cow = t->base_has_cow && s->proc.has_cow &&
                    s->proc.cow_ksm >= t->base_cow;
        if (r.has_cow)
            r.cow_per_second =
                (double)(s->proc.cow_ksm - t->base_cow) / r.window_seconds;
        t->last = r;
        set_base(t, s);
    }
    s->rates = t->last;
}
