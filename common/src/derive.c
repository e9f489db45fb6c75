/* SPDX-License-Identifier: MIT */
/* The values of the metric table's rows: raw fields and derived series. */
#include "derive.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>

static size_t emit_double(const struct ksm_metric *m, ksm_emit_fn emit,
                          void *ctx, double d)
{
    return derive_emit(m, emit, ctx,
                       (struct ksm_value){.kind = KSM_VALUE_DOUBLE, .d = d});
}

/* x / y, where both zero and a zero denominator give NaN (docs/metrics.md). */
static double ratio(double x, double y)
{
    return y == 0 ? NAN : x / y;
}

/*
 * pages * size as an exact integer when it fits in 64 bits.  Only absurd
 * counts overflow; they are then reported as the nearest double rather
 * than wrapped.
 */
static struct ksm_value pages_to_bytes(uint64_t pages, uint64_t size)
{
    uint64_t bytes;

    if (__builtin_mul_overflow(pages, size, &bytes))
        return (struct ksm_value){.kind = KSM_VALUE_DOUBLE,
                                  .d = (double)pages * (double)size};
    return (struct ksm_value){.kind = KSM_VALUE_U64, .u = bytes};
}

/* The sum of the four page counts of the rmap_item accounting. */
struct page_sum {
    uint64_t exact; /* valid when fits */
    bool fits;      /* false when the exact sum overflows */
    double approx;
};

/* Sums the four counts into *sum; 0, or -ENOENT when one is absent. */
static int sum_pages(const struct ksm_sample *s, struct page_sum *sum)
{
    static const enum ksm_field f[] = {KSM_PAGES_SHARED, KSM_PAGES_SHARING,
                                       KSM_PAGES_UNSHARED, KSM_PAGES_VOLATILE};
    struct page_sum t = {.exact = 0, .fits = true, .approx = 0};

    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        if (!derive_has(s, f[i]))
            return -ENOENT;
        t.approx += (double)s->value[f[i]].u;
        if (__builtin_add_overflow(t.exact, s->value[f[i]].u, &t.exact))
            t.fits = false;
    }
    *sum = t;
    return 0;
}

KSM_SERIES_FN(ksm_series_saved_bytes)
{
    uint64_t sharing;
    int64_t zero;
    uint64_t pages;

    if (!derive_has(s, KSM_PAGES_SHARING))
        return 0;
    sharing = s->value[KSM_PAGES_SHARING].u;
    zero = derive_has(s, KSM_ZERO_PAGES) ? s->value[KSM_ZERO_PAGES].i : 0;
    /*
     * ksm_zero_pages is signed in the kernel but never negative in a sane
     * state; a negative value is still summed honestly, in a double.
     */
    if (zero >= 0 && !__builtin_add_overflow(sharing, (uint64_t)zero, &pages))
        return derive_emit(m, emit, ctx, pages_to_bytes(pages, s->page_size));
    return emit_double(m, emit, ctx,
                       ((double)sharing + (double)zero) * (double)s->page_size);
}

KSM_SERIES_FN(ksm_series_rmap_overhead_bytes)
{
    struct page_sum sum;

    if (sum_pages(s, &sum) != 0)
        return 0;
    if (!sum.fits)
        return emit_double(m, emit, ctx,
                           sum.approx * (double)s->rmap_item_size);
    return derive_emit(m, emit, ctx,
                       pages_to_bytes(sum.exact, s->rmap_item_size));
}

/* num / den of two page counts, when both are present. */
static size_t field_ratio(const struct ksm_metric *m,
                          const struct ksm_sample *s, ksm_emit_fn emit,
                          void *ctx, enum ksm_field num, enum ksm_field den)
{
    if (!derive_has(s, num) || !derive_has(s, den))
        return 0;
    return emit_double(m, emit, ctx,
                       ratio((double)s->value[num].u, (double)s->value[den].u));
}

KSM_SERIES_FN(ksm_series_sharing_ratio)
{
    return field_ratio(m, s, emit, ctx, KSM_PAGES_SHARING, KSM_PAGES_SHARED);
}

KSM_SERIES_FN(ksm_series_unshared_ratio)
{
    return field_ratio(m, s, emit, ctx, KSM_PAGES_UNSHARED, KSM_PAGES_SHARING);
}

KSM_SERIES_FN(ksm_series_savings_ratio)
{
    struct page_sum sum;

    if (sum_pages(s, &sum) != 0)
        return 0;
    return emit_double(
        m, emit, ctx, ratio((double)s->value[KSM_PAGES_SHARING].u, sum.approx));
}

KSM_SERIES_FN(ksm_series_full_scan_duration)
{
    if (!s->has_full_scan_duration)
        return 0;
    return emit_double(m, emit, ctx, s->full_scan_duration_seconds);
}

/*
 * The pages per second that pages_to_scan and sleep_millisecs allow: ksmd
 * scans pages_to_scan pages, then sleeps sleep_millisecs (the kernel's
 * admin-guide/mm/ksm.rst).  With a sleep of 0 ksmd only yields the CPU
 * between batches, so its speed is bounded by the CPU and not by the
 * tunables: the tunables imply no speed, which is NaN.  Returns 0 and the
 * speed, or -ENOENT when a tunable is absent.
 */
static int scan_speed(const struct ksm_sample *s, double *out)
{
    if (!derive_has(s, KSM_PAGES_TO_SCAN) ||
        !derive_has(s, KSM_SLEEP_MILLISECS))
        return -ENOENT;
    *out = ratio((double)s->value[KSM_PAGES_TO_SCAN].u * 1000,
                 (double)s->value[KSM_SLEEP_MILLISECS].u);
    return 0;
}

KSM_SERIES_FN(ksm_series_scan_speed)
{
    double speed;

    if (scan_speed(s, &speed) != 0)
        return 0;
    return emit_double(m, emit, ctx, speed);
}

/*
 * The pages with an rmap_item (admin-guide/mm/ksm.rst sums the same four
 * counts for general_profit) divided by the speed the tunables allow: an
 * estimate of a full scan.  With smart_scan 0 every one of them costs one
 * unit of pages_to_scan in every full scan, and the time spent scanning,
 * sleeps that msecs_to_jiffies() rounds up to whole jiffies and the pages
 * that get their first rmap_item only add to it: a lower bound.  With
 * smart_scan 1 (Linux 6.7 and later) scan_get_next_rmap_item() in mm/ksm.c
 * steps over the rmap_items should_skip_rmap_item() skips without charging
 * them to pages_to_scan, so a full scan can also be shorter.  NaN when the
 * speed is NaN or 0.
 */
KSM_SERIES_FN(ksm_series_estimated_full_scan)
{
    struct page_sum sum;
    double speed;

    if (scan_speed(s, &speed) != 0 || sum_pages(s, &sum) != 0)
        return 0;
    return emit_double(m, emit, ctx, ratio(sum.approx, speed));
}

int derive_full_scan_seconds(const struct ksm_sample *s, double *out)
{
    struct page_sum sum;
    double speed, t;

    if (s->has_full_scan_duration) {
        *out = s->full_scan_duration_seconds;
        return 0;
    }
    if (scan_speed(s, &speed) != 0 || sum_pages(s, &sum) != 0)
        return -ENOENT;
    t = ratio(sum.approx, speed);
    if (t != t || t > 1e300)
        return -ENOENT;
    *out = t;
    return 0;
}

int derive_rmap_overhead_bytes(const struct ksm_sample *s, double *out)
{
    struct page_sum sum;

    if (sum_pages(s, &sum) != 0)
        return -ENOENT;
    *out = sum.approx * (double)s->rmap_item_size;
    return 0;
}

int derive_saved_bytes(const struct ksm_sample *s, double *out)
{
    double zero;

    if (!derive_has(s, KSM_PAGES_SHARING))
        return -ENOENT;
    zero =
        derive_has(s, KSM_ZERO_PAGES) ? (double)s->value[KSM_ZERO_PAGES].i : 0;
    *out =
        ((double)s->value[KSM_PAGES_SHARING].u + zero) * (double)s->page_size;
    return 0;
}

size_t derive_emit_selection(const struct ksm_metric *m, const char *label,
                             const struct ksm_selection *sel, ksm_emit_fn emit,
                             void *ctx)
{
    for (unsigned i = 0; i < sel->count; i++) {
        struct ksm_label l = {label, sel->names[i]};
        struct ksm_value v = {.kind = KSM_VALUE_U64, .u = i == sel->selected};

        emit(ctx, m, &l, 1, &v);
    }
    return sel->count;
}

KSM_SERIES_FN(ksm_series_advisor_mode)
{
    if (!derive_has(s, KSM_ADVISOR_MODE))
        return 0;
    return derive_emit_selection(m, "mode", &s->advisor_mode, emit, ctx);
}

/* Transparent huge pages and NUMA, from sysfs beside the KSM directory. */
static bool has_host(const struct ksm_sample *s, enum ksm_host_file f)
{
    return (s->host.present & (1u << f)) != 0;
}

KSM_SERIES_FN(ksm_series_thp_enabled)
{
    if (!has_host(s, KSM_HOST_THP_ENABLED))
        return 0;
    return derive_emit_selection(m, "mode", &s->host.thp_enabled, emit, ctx);
}

KSM_SERIES_FN(ksm_series_thp_defrag)
{
    if (!has_host(s, KSM_HOST_THP_DEFRAG))
        return 0;
    return derive_emit_selection(m, "mode", &s->host.thp_defrag, emit, ctx);
}

KSM_SERIES_FN(ksm_series_numa_memory_nodes)
{
    if (!has_host(s, KSM_HOST_NODE_MEMORY))
        return 0;
    return derive_emit_u64(m, emit, ctx, s->host.memory_nodes);
}

KSM_SERIES_FN(ksm_series_up)
{
    return derive_emit_u64(m, emit, ctx, s->up);
}

/*
 * One series per file that exists on this kernel, so that rate() sees a
 * zero before the first error, and per file that has failed before: count
 * files named names[i], failed errors[i] times, existing when bit i of
 * exists is set.
 */
static size_t emit_error_counts(const struct ksm_metric *m, ksm_emit_fn emit,
                                void *ctx, const char *const *names,
                                const uint64_t *errors, uint32_t exists,
                                int count)
{
    size_t n = 0;

    for (int i = 0; i < count; i++) {
        struct ksm_label l = {"file", names[i]};
        struct ksm_value v = {.kind = KSM_VALUE_U64, .u = errors[i]};

        if (!(exists & (UINT32_C(1) << i)) && v.u == 0)
            continue;
        emit(ctx, m, &l, 1, &v);
        n++;
    }
    return n;
}

/* The ksmtuned config file's name in ksm_read_errors_total{file}. */
static const char *const ksmtuned_conf_name = "ksmtuned_conf";

KSM_SERIES_FN(ksm_series_read_errors)
{
    return emit_error_counts(m, emit, ctx, ksm_field_names, s->read_errors,
                             s->exists, KSM_FIELD_COUNT) +
           emit_error_counts(m, emit, ctx, ksm_host_file_names,
                             s->host.read_errors, s->host.exists,
                             KSM_HOST_FILE_COUNT) +
           emit_error_counts(m, emit, ctx, ksm_proc_source_names,
                             s->proc.source_errors, s->proc.source_exists,
                             KSM_SRC_COUNT) +
           emit_error_counts(m, emit, ctx, &ksmtuned_conf_name,
                             &s->tuner.conf_read_errors, s->tuner.conf_exists,
                             1);
}

KSM_SERIES_FN(ksm_series_ksmd_cpu)
{
    if (!s->proc.has_ksmd)
        return 0;
    return emit_double(m, emit, ctx, s->proc.ksmd_cpu_seconds);
}

KSM_SERIES_FN(ksm_series_cow)
{
    return s->proc.has_cow ? derive_emit_u64(m, emit, ctx, s->proc.cow_ksm) : 0;
}

/* AnonHugePages is in KiB; an absurd count becomes a double, never wraps. */
KSM_SERIES_FN(ksm_series_thp_anon_bytes)
{
    const struct ksm_meminfo *mi = &s->proc.meminfo;

    if (!(mi->present & (1u << KSM_MEMINFO_ANON_HUGE_PAGES)))
        return 0;
    return derive_emit(
        m, emit, ctx,
        pages_to_bytes(mi->kb[KSM_MEMINFO_ANON_HUGE_PAGES], 1024));
}

KSM_SERIES_FN(ksm_series_swapin_copies)
{
    return s->proc.has_swpin_copy
               ? derive_emit_u64(m, emit, ctx, s->proc.swpin_copy)
               : 0;
}

/* The scan's own figures, present when processes were scanned. */
#define SCAN_SERIES(fn, member)                                                \
    KSM_SERIES_FN(fn)                                                          \
    {                                                                          \
        return s->proc.scanned ? derive_emit_u64(m, emit, ctx, s->proc.member) \
                               : 0;                                            \
    }

SCAN_SERIES(ksm_series_scan_examined, examined)
SCAN_SERIES(ksm_series_scan_denied, denied)
SCAN_SERIES(ksm_series_scan_over_limit, over_limit)
SCAN_SERIES(ksm_series_scan_vanished, vanished)

/* One series per listed process that has the figure m->proc_field. */
KSM_SERIES_FN(ksm_series_per_process)
{
    size_t n = 0;

    for (size_t i = 0; i < s->proc.nprocesses; i++) {
        const struct ksm_process *p = &s->proc.processes[i];
        struct ksm_label l[3] = {
            {"pid", p->pid}, {"comm", p->comm}, {"vm", p->vm}};
        struct ksm_value v = {.kind = KSM_VALUE_I64,
                              .i = p->figures.value[m->proc_field]};

        if (!(p->figures.present & (1u << m->proc_field)))
            continue;
        emit(ctx, m, l, 3, &v);
        n++;
    }
    return n;
}

/* What a QEMU process's row reports, beside its ksm_stat figures. */
enum guest_figure { GUEST_RSS, GUEST_KSMTUNED, GUEST_THP_ANON };

/*
 * One series per listed QEMU process that has figure f: resident memory
 * and the THP share when they were read, ksmtuned's view always.
 */
static size_t emit_per_guest(const struct ksm_metric *m,
                             const struct ksm_sample *s, ksm_emit_fn emit,
                             void *ctx, enum guest_figure f)
{
    size_t n = 0;

    for (size_t i = 0; i < s->proc.nprocesses; i++) {
        const struct ksm_process *p = &s->proc.processes[i];
        struct ksm_label l[3] = {
            {"pid", p->pid}, {"comm", p->comm}, {"vm", p->vm}};
        struct ksm_value v = {.kind = KSM_VALUE_U64};

        if (!p->qemu || (f == GUEST_RSS && !p->has_rss) ||
            (f == GUEST_THP_ANON && !p->has_thp_anon))
            continue;
        v.u = f == GUEST_RSS        ? p->rss_bytes
              : f == GUEST_KSMTUNED ? p->ksmtuned_counted
                                    : p->thp_anon_bytes;
        emit(ctx, m, l, 3, &v);
        n++;
    }
    return n;
}

KSM_SERIES_FN(ksm_series_process_resident)
{
    return emit_per_guest(m, s, emit, ctx, GUEST_RSS);
}

KSM_SERIES_FN(ksm_series_process_ksmtuned_counted)
{
    return emit_per_guest(m, s, emit, ctx, GUEST_KSMTUNED);
}

KSM_SERIES_FN(ksm_series_process_thp_anon)
{
    return emit_per_guest(m, s, emit, ctx, GUEST_THP_ANON);
}

size_t ksm_metric_visit(const struct ksm_metric *m, const struct ksm_sample *s,
                        ksm_emit_fn emit, void *ctx)
{
    struct ksm_value v;
    int f = m->field;

    if (m->series)
        return m->series(m, s, emit, ctx);
    if (f < 0 || !derive_has(s, (enum ksm_field)f))
        return 0;
    /* A divisor of 0 or 1 leaves the value exact. */
    if (m->divisor > 1) {
        double raw = ksm_field_formats[f] == KSM_FMT_I64
                         ? (double)s->value[f].i
                         : (double)s->value[f].u;

        return emit_double(m, emit, ctx, raw / m->divisor);
    }
    if (ksm_field_formats[f] == KSM_FMT_I64)
        v = (struct ksm_value){.kind = KSM_VALUE_I64, .i = s->value[f].i};
    else
        v = (struct ksm_value){.kind = KSM_VALUE_U64, .u = s->value[f].u};
    return derive_emit(m, emit, ctx, v);
}

double ksm_value_to_double(const struct ksm_value *v)
{
    switch (v->kind) {
    case KSM_VALUE_U64:
        return (double)v->u;
    case KSM_VALUE_I64:
        return (double)v->i;
    case KSM_VALUE_DOUBLE:
        break;
    }
    return v->d;
}

/* What a finding series reports of a judged finding. */
enum finding_part { FINDING_ACTIVE, FINDING_VALUE, FINDING_LIMIT };

static size_t emit_findings(const struct ksm_metric *m,
                            const struct ksm_sample *s, ksm_emit_fn emit,
                            void *ctx, enum finding_part part)
{
    size_t n = 0;

    for (int i = 0; i < KSM_FINDING_COUNT; i++) {
        const struct ksm_finding_state *st = &s->verdict.findings[i];
        struct ksm_label l = {"finding", ksm_findings[i].id};
        struct ksm_value v = {.kind = KSM_VALUE_DOUBLE};

        if (!st->known)
            continue;
        if (part == FINDING_ACTIVE)
            v = (struct ksm_value){.kind = KSM_VALUE_U64, .u = st->active};
        else
            v.d = part == FINDING_VALUE ? st->value : st->limit;
        emit(ctx, m, &l, 1, &v);
        n++;
    }
    return n;
}

KSM_SERIES_FN(ksm_series_finding)
{
    return emit_findings(m, s, emit, ctx, FINDING_ACTIVE);
}

KSM_SERIES_FN(ksm_series_finding_value)
{
    return emit_findings(m, s, emit, ctx, FINDING_VALUE);
}

KSM_SERIES_FN(ksm_series_finding_threshold)
{
    return emit_findings(m, s, emit, ctx, FINDING_LIMIT);
}

KSM_SERIES_FN(ksm_series_verdict)
{
    /* Without the KSM directory only ksm_up speaks, as for every row. */
    if (!s->up)
        return 0;
    for (int i = 0; i < KSM_VERDICT_COUNT; i++) {
        struct ksm_label l = {"verdict", ksm_verdict_names[i]};

        emit(ctx, m, &l, 1,
             &(struct ksm_value){.kind = KSM_VALUE_U64,
                                 .u = (int)s->verdict.kind == i});
    }
    return KSM_VERDICT_COUNT;
}
