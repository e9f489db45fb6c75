/* SPDX-License-Identifier: MIT */
/* The values of the metric table's rows: raw fields and derived series. */
#include "derive.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>

static int has(const struct ksm_sample *s, enum ksm_field f)
{
    return (s->present & KSM_FIELD_BIT(f)) != 0;
}

static size_t emit_value(const struct ksm_metric *m, ksm_emit_fn emit,
                         void *ctx, struct ksm_value v)
{
    emit(ctx, m, NULL, 0, &v);
    return 1;
}

static size_t emit_u64(const struct ksm_metric *m, ksm_emit_fn emit, void *ctx,
                       uint64_t u)
{
    return emit_value(m, emit, ctx,
                      (struct ksm_value){.kind = KSM_VALUE_U64, .u = u});
}

static size_t emit_double(const struct ksm_metric *m, ksm_emit_fn emit,
                          void *ctx, double d)
{
    return emit_value(m, emit, ctx,
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
        if (!has(s, f[i]))
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

    if (!has(s, KSM_PAGES_SHARING))
        return 0;
    sharing = s->value[KSM_PAGES_SHARING].u;
    zero = has(s, KSM_ZERO_PAGES) ? s->value[KSM_ZERO_PAGES].i : 0;
    /*
     * ksm_zero_pages is signed in the kernel but never negative in a sane
     * state; a negative value is still summed honestly, in a double.
     */
    if (zero >= 0 && !__builtin_add_overflow(sharing, (uint64_t)zero, &pages))
        return emit_value(m, emit, ctx, pages_to_bytes(pages, s->page_size));
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
    return emit_value(m, emit, ctx,
                      pages_to_bytes(sum.exact, s->rmap_item_size));
}

/* num / den of two page counts, when both are present. */
static size_t field_ratio(const struct ksm_metric *m,
                          const struct ksm_sample *s, ksm_emit_fn emit,
                          void *ctx, enum ksm_field num, enum ksm_field den)
{
    if (!has(s, num) || !has(s, den))
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

/* One series per mode listed in advisor_mode: 1 for the selected one. */
KSM_SERIES_FN(ksm_series_advisor_mode)
{
    const struct ksm_selection *sel = &s->advisor_mode;

    if (!has(s, KSM_ADVISOR_MODE))
        return 0;
    for (unsigned i = 0; i < sel->count; i++) {
        struct ksm_label l = {"mode", sel->names[i]};
        struct ksm_value v = {.kind = KSM_VALUE_U64, .u = i == sel->selected};

        emit(ctx, m, &l, 1, &v);
    }
    return sel->count;
}

KSM_SERIES_FN(ksm_series_up)
{
    return emit_u64(m, emit, ctx, s->up);
}

/*
 * One series per file that exists on this kernel, so that rate() sees a
 * zero before the first error, and per file that has failed before.
 */
KSM_SERIES_FN(ksm_series_read_errors)
{
    size_t n = 0;

    for (int f = 0; f < KSM_FIELD_COUNT; f++) {
        struct ksm_label l = {"file", ksm_field_names[f]};
        struct ksm_value v = {.kind = KSM_VALUE_U64, .u = s->read_errors[f]};

        if (!(s->exists & KSM_FIELD_BIT(f)) && s->read_errors[f] == 0)
            continue;
        emit(ctx, m, &l, 1, &v);
        n++;
    }
    for (int src = 0; src < KSM_SRC_COUNT; src++) {
        struct ksm_label l = {"file", ksm_proc_source_names[src]};
        struct ksm_value v = {.kind = KSM_VALUE_U64,
                              .u = s->proc.source_errors[src]};

        if (!(s->proc.source_exists & (1u << src)) && v.u == 0)
            continue;
        emit(ctx, m, &l, 1, &v);
        n++;
    }
    return n;
}

KSM_SERIES_FN(ksm_series_ksmd_cpu)
{
    if (!s->proc.has_ksmd)
        return 0;
    return emit_double(m, emit, ctx, s->proc.ksmd_cpu_seconds);
}

KSM_SERIES_FN(ksm_series_cow)
{
    return s->proc.has_cow ? emit_u64(m, emit, ctx, s->proc.cow_ksm) : 0;
}

KSM_SERIES_FN(ksm_series_swapin_copies)
{
    return s->proc.has_swpin_copy ? emit_u64(m, emit, ctx, s->proc.swpin_copy)
                                  : 0;
}

/* The scan's own figures, present when processes were scanned. */
#define SCAN_SERIES(fn, member)                                                \
    KSM_SERIES_FN(fn)                                                          \
    {                                                                          \
        return s->proc.scanned ? emit_u64(m, emit, ctx, s->proc.member) : 0;   \
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

size_t ksm_metric_visit(const struct ksm_metric *m, const struct ksm_sample *s,
                        ksm_emit_fn emit, void *ctx)
{
    struct ksm_value v;
    int f = m->field;

    if (m->series)
        return m->series(m, s, emit, ctx);
    if (f < 0 || !has(s, (enum ksm_field)f))
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
    return emit_value(m, emit, ctx, v);
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
