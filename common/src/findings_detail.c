/* SPDX-License-Identifier: MIT */
/* Each finding's figures in words, for the report and logs. */
#include <math.h>
#include <stdio.h>

#include "ksm/findings.h"
#include "ksm/sampler.h"

int ksm_format_bytes(double bytes, char *buf, size_t size)
{
    static const char *const units[] = {"B",   "KiB", "MiB", "GiB",
                                        "TiB", "PiB", "EiB"};
    const size_t last = sizeof(units) / sizeof(units[0]) - 1;
    double a = fabs(bytes);
    size_t u = 0;
    int digits;

    if (!isfinite(bytes))
        return snprintf(buf, size, "unknown");
    /* The unit of the figure as rounded: 1023.9 KiB prints 1.00 MiB. */
    while (u < last && a >= 1023.5) {
        a /= 1024;
        bytes /= 1024;
        u++;
    }
    if (u == 0)
        return snprintf(buf, size, "%.0f B", bytes);
    digits = a < 9.995 ? 2 : a < 99.95 ? 1 : 0;
    return snprintf(buf, size, "%.*f %s", digits, bytes, units[u]);
}

static int detail_costs(const struct ksm_sample *s, enum ksm_finding_id id,
                        const struct ksm_finding_state *st, char *buf,
                        size_t size)
{
    char a[32], b[32];

    switch (id) {
    case KSM_FINDING_NEGATIVE_PROFIT:
        ksm_format_bytes(st->value, a, sizeof(a));
        return snprintf(buf, size, "%s is %s",
                        (s->present & KSM_FIELD_BIT(KSM_GENERAL_PROFIT))
                            ? "general_profit"
                            : "the net profit (no general_profit: computed)",
                        a);
    case KSM_FINDING_KSMD_CPU:
        ksm_format_bytes(st->value, a, sizeof(a));
        ksm_format_bytes(st->limit, b, sizeof(b));
        return snprintf(buf, size,
                        "ksmd used %.1f%% of a CPU over %.0f s and saves %s; "
                        "that CPU is worth %s",
                        s->rates.ksmd_cpu_share * 100, s->rates.window_seconds,
                        a, b);
    case KSM_FINDING_UNSHARED:
        if (s->value[KSM_PAGES_SHARING].u == 0)
            return snprintf(buf, size,
                            "%.0f unshared pages and none sharing (limit %g "
                            "per sharing page)",
                            st->value, st->limit);
        return snprintf(buf, size,
                        "%.1f unshared pages per sharing page (limit %g)",
                        st->value, st->limit);
    case KSM_FINDING_SCAN_SLOW:
        return snprintf(buf, size,
                        "%.0f%% of the merged pages break during one full "
                        "scan (limit %.0f%%)",
                        st->value * 100, st->limit * 100);
    case KSM_FINDING_COW:
        return snprintf(buf, size,
                        "%.1f copy-on-write breaks per second, %.1f%% of "
                        "pages_sharing per minute (limit %.0f%%)",
                        s->rates.cow_per_second, st->value * 100,
                        st->limit * 100);
    default:
        return snprintf(buf, size, "%.0f memory node%s", st->value,
                        st->value == 1 ? "" : "s");
    }
}

int ksm_finding_detail(const struct ksm_sample *s, enum ksm_finding_id id,
                       char *buf, size_t size)
{
    const struct ksm_finding_state *st = &s->verdict.findings[id];
    const struct ksm_ksmtuned_view *v = &s->ksmtuned;
    char a[32], b[32];

    if (!st->known)
        return snprintf(buf, size, "not judged: its sources are absent");
    if ((id == KSM_FINDING_KSMTUNED_BLIND ||
         id == KSM_FINDING_KSMTUNED_STOPS) &&
        !s->proc.ksmtuned_running)
        return snprintf(buf, size, "ksmtuned does not run");
    if (id == KSM_FINDING_KSMTUNED_STOPS && v->next.action != KSM_KSMTUNED_STOP)
        return snprintf(buf, size, "its next check keeps KSM running (%s)",
                        v->next.action == KSM_KSMTUNED_BOOST ? "boost"
                                                             : "decay");
    switch (id) {
    case KSM_FINDING_THP_GUESTS:
        return snprintf(buf, size,
                        "%.0f%% of the memory of %llu guest%s is in huge "
                        "pages (limit %.0f%%)",
                        st->value * 100, (unsigned long long)st->count,
                        st->count == 1 ? "" : "s", st->limit * 100);
    case KSM_FINDING_KSMTUNED_BLIND:
        ksm_format_bytes((double)v->committed_bytes, a, sizeof(a));
        ksm_format_bytes((double)v->guest_resident_bytes, b, sizeof(b));
        return snprintf(buf, size,
                        "ksmtuned counts %s of the guests' %s; %llu QEMU "
                        "process%s not counted",
                        a, b, (unsigned long long)st->count,
                        st->count == 1 ? " is" : "es are");
    case KSM_FINDING_KSMTUNED_STOPS:
        ksm_format_bytes((double)(v->committed_bytes) +
                             (double)v->next.thres_kb * 1024,
                         a, sizeof(a));
        ksm_format_bytes((double)v->next.total_kb * 1024, b, sizeof(b));
        return snprintf(buf, size,
                        "committed + threshold = %s, below MemTotal %s; "
                        "%llu guest%s could merge",
                        a, b, (unsigned long long)st->count,
                        st->count == 1 ? "" : "s");
    case KSM_FINDING_KSM_OFF:
    case KSM_FINDING_OPTED_OUT:
        return snprintf(
            buf, size, "%llu guest%s %s", (unsigned long long)st->count,
            st->count == 1 ? "" : "s",
            id == KSM_FINDING_KSM_OFF ? "could merge" : "opted out");
    default:
        return detail_costs(s, id, st, buf, size);
    }
}
