/* SPDX-License-Identifier: MIT */
/* ksmtuned's view, derived once per sample, and the series of the tuners. */
#include <stdint.h>
#include <string.h>

#include "derive.h"

/* kB as bytes, exact while it fits, else the nearest double. */
static size_t emit_kb(const struct ksm_metric *m, ksm_emit_fn emit, void *ctx,
                      int64_t kb)
{
    int64_t bytes;

    if (__builtin_mul_overflow(kb, 1024, &bytes))
        return derive_emit(m, emit, ctx,
                           (struct ksm_value){.kind = KSM_VALUE_DOUBLE,
                                              .d = (double)kb * 1024});
    return derive_emit(m, emit, ctx,
                       (struct ksm_value){.kind = KSM_VALUE_I64, .i = bytes});
}

/*
 * The config ksmtuned would use, when known.  It tunes KSM, so without the
 * KSM directory none of its series is reported.
 */
static const struct ksm_ksmtuned_config *config_of(const struct ksm_sample *s)
{
    return s->up && s->tuner.has_config ? &s->tuner.config : NULL;
}

/*
 * The resident memory of the listed processes that have it, in one pass:
 * of those ksmtuned's pgrep counts, and of all.  Known when processes were
 * scanned.
 */
static void sum_guests(const struct ksm_sample *s, struct ksm_ksmtuned_view *v)
{
    v->has_committed = s->proc.scanned;
    if (!v->has_committed)
        return;
    for (size_t i = 0; i < s->proc.nprocesses; i++) {
        const struct ksm_process *p = &s->proc.processes[i];
        uint64_t whole_kb;

        if (!p->has_rss)
            continue;
        /* ps reports whole kB: sum those, as its awk does. */
        whole_kb = p->rss_bytes / 1024 * 1024;
        v->guest_resident_bytes += whole_kb;
        if (p->ksmtuned_counted)
            v->committed_bytes += whole_kb;
    }
}

/*
 * Whether the kernel takes the script's writes to pages_to_scan.  It refuses
 * them with -EINVAL while advisor_mode selects anything but "none" (that is,
 * scan-time), so whether it takes them is unknown while advisor_mode exists
 * but cannot be read.  A kernel without advisor_mode takes them.
 */
static bool pages_to_scan_writable(const struct ksm_sample *s)
{
    const uint32_t mode = KSM_FIELD_BIT(KSM_ADVISOR_MODE);
    const struct ksm_selection *a = &s->advisor_mode;

    if (!(s->exists & mode))
        return true;
    return (s->present & mode) && strcmp(a->names[a->selected], "none") == 0;
}

/*
 * Predicts the next check from the config, meminfo and the committed
 * memory.  The script's npages matters on boost and decay only.  The script
 * sets it to 0 when it starts, so a ksmtuned that does not run yet starts
 * from 0; while it runs, the current pages_to_scan stands for the last value
 * it wrote.  On stop it writes no pages_to_scan, so the file keeps its
 * current value.
 */
void ksm_sample_derive_ksmtuned(struct ksm_sample *s)
{
    const struct ksm_ksmtuned_config *cfg = config_of(s);
    const bool running = s->proc.ksmtuned_running;
    const bool has_current = (s->present & KSM_FIELD_BIT(KSM_PAGES_TO_SCAN)) &&
                             s->value[KSM_PAGES_TO_SCAN].u <= INT64_MAX;
    const int64_t current =
        has_current ? (int64_t)s->value[KSM_PAGES_TO_SCAN].u : 0;
    struct ksm_ksmtuned_view v = {0};
    bool stop;

    sum_guests(s, &v);
    v.has_next =
        cfg && v.has_committed &&
        ksm_ksmtuned_decide(cfg, &s->proc.meminfo, v.committed_bytes / 1024,
                            running ? current : 0, &v.next) == 0;
    if (v.has_next && pages_to_scan_writable(s)) {
        stop = v.next.action == KSM_KSMTUNED_STOP;
        v.has_next_pages_to_scan = has_current || (!running && !stop);
        v.next_pages_to_scan = stop ? current : v.next.npages;
    }
    s->ksmtuned = v;
}

KSM_SERIES_FN(ksm_series_ksmtuned_running)
{
    return s->proc.opened
               ? derive_emit_u64(m, emit, ctx, s->proc.ksmtuned_running)
               : 0;
}

KSM_SERIES_FN(ksm_series_ksmtuned_setting)
{
    const struct ksm_ksmtuned_config *cfg = config_of(s);

    if (!cfg)
        return 0;
    for (int i = 0; i < KSM_KSMTUNED_VAR_COUNT; i++) {
        struct ksm_label l = {"name",
                              ksm_ksmtuned_var_name((enum ksm_ksmtuned_var)i)};
        struct ksm_value v = {.kind = KSM_VALUE_I64, .i = cfg->value[i]};

        emit(ctx, m, &l, 1, &v);
    }
    return KSM_KSMTUNED_VAR_COUNT;
}

KSM_SERIES_FN(ksm_series_ksmtuned_ignored_lines)
{
    const struct ksm_ksmtuned_config *cfg = config_of(s);

    return cfg ? derive_emit_u64(m, emit, ctx, cfg->ignored_count) : 0;
}

KSM_SERIES_FN(ksm_series_ksmtuned_committed)
{
    const struct ksm_ksmtuned_view *v = &s->ksmtuned;

    return v->has_committed ? derive_emit_u64(m, emit, ctx, v->committed_bytes)
                            : 0;
}

KSM_SERIES_FN(ksm_series_guest_resident)
{
    const struct ksm_ksmtuned_view *v = &s->ksmtuned;

    return v->has_committed
               ? derive_emit_u64(m, emit, ctx, v->guest_resident_bytes)
               : 0;
}

KSM_SERIES_FN(ksm_series_ksmtuned_threshold)
{
    const struct ksm_ksmtuned_view *v = &s->ksmtuned;

    return v->has_next ? emit_kb(m, emit, ctx, v->next.thres_kb) : 0;
}

KSM_SERIES_FN(ksm_series_ksmtuned_free)
{
    const struct ksm_ksmtuned_view *v = &s->ksmtuned;

    return v->has_next ? emit_kb(m, emit, ctx, v->next.free_kb) : 0;
}

KSM_SERIES_FN(ksm_series_ksmtuned_next_action)
{
    static const struct ksm_selection actions = {
        .count = 3,
        .names = {[KSM_KSMTUNED_STOP] = "stop",
                  [KSM_KSMTUNED_BOOST] = "boost",
                  [KSM_KSMTUNED_DECAY] = "decay"},
    };
    struct ksm_selection sel = actions;

    if (!s->ksmtuned.has_next)
        return 0;
    sel.selected = (unsigned)s->ksmtuned.next.action;
    return derive_emit_selection(m, "action", &sel, emit, ctx);
}

KSM_SERIES_FN(ksm_series_ksmtuned_next_pages)
{
    const struct ksm_ksmtuned_view *v = &s->ksmtuned;

    if (!v->has_next_pages_to_scan)
        return 0;
    return derive_emit(
        m, emit, ctx,
        (struct ksm_value){.kind = KSM_VALUE_I64, .i = v->next_pages_to_scan});
}

KSM_SERIES_FN(ksm_series_ksmtuned_next_sleep)
{
    const struct ksm_ksmtuned_view *v = &s->ksmtuned;

    if (!v->has_next)
        return 0;
    return derive_emit(
        m, emit, ctx,
        (struct ksm_value){.kind = KSM_VALUE_DOUBLE,
                           .d = (double)v->next.sleep_millisecs / 1000});
}

/*
 * ksmtuned while it runs; else the kernel's advisor when advisor_mode
 * selects scan-time; else none.  A kernel without advisor_mode has no
 * advisor; one whose advisor_mode fails to read leaves it unknown.
 */
KSM_SERIES_FN(ksm_series_tuner)
{
    static const struct ksm_selection tuners = {
        .count = 3,
        .names = {"ksmtuned", "advisor", "none"},
    };
    const uint32_t mode = KSM_FIELD_BIT(KSM_ADVISOR_MODE);
    struct ksm_selection sel = tuners;
    unsigned selected = 2;

    if (!s->up || !s->proc.opened)
        return 0;
    if (s->proc.ksmtuned_running) {
        selected = 0;
    } else if (s->present & mode) {
        const struct ksm_selection *a = &s->advisor_mode;

        if (strcmp(a->names[a->selected], "scan-time") == 0)
            selected = 1;
    } else if (s->exists & mode) {
        return 0;
    }
    sel.selected = selected;
    return derive_emit_selection(m, "tuner", &sel, emit, ctx);
}
