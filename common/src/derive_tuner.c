/* SPDX-License-Identifier: MIT */
/* The series of ksmtuned and of the tuner that governs KSM. */
#include <errno.h>
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

/* One series per label value, 1 for the selected one. */
static size_t emit_choice(const struct ksm_metric *m, const char *label,
                          const char *const *names, size_t n, size_t selected,
                          ksm_emit_fn emit, void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        struct ksm_label l = {label, names[i]};
        struct ksm_value v = {.kind = KSM_VALUE_U64, .u = i == selected};

        emit(ctx, m, &l, 1, &v);
    }
    return n;
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
 * The resident memory of the listed QEMU processes, in bytes: of those
 * ksmtuned's pgrep counts (counted) or of all.  Returns false when
 * processes were not scanned.
 */
static bool guest_rss(const struct ksm_sample *s, bool counted, uint64_t *out)
{
    uint64_t sum = 0;

    if (!s->proc.scanned)
        return false;
    for (size_t i = 0; i < s->proc.nprocesses; i++) {
        const struct ksm_process *p = &s->proc.processes[i];

        if (!p->has_rss || (counted && !p->ksmtuned_counted))
            continue;
        /* ps reports whole kB: sum those, as its awk does. */
        sum += p->rss_bytes / 1024 * 1024;
    }
    *out = sum;
    return true;
}

/*
 * What ksmtuned's next check does: its config, meminfo, the committed
 * memory, and pages_to_scan as the npages it last wrote (0, as at its
 * start, when the file is absent).  Returns 0 or a negative errno.
 */
static int next_check(const struct ksm_sample *s,
                      struct ksm_ksmtuned_decision *d)
{
    const struct ksm_ksmtuned_config *cfg = config_of(s);
    uint64_t committed;
    int64_t npages = 0;

    if (!cfg || !guest_rss(s, true, &committed))
        return -ENOENT;
    if (s->present & KSM_FIELD_BIT(KSM_PAGES_TO_SCAN) &&
        s->value[KSM_PAGES_TO_SCAN].u <= INT64_MAX)
        npages = (int64_t)s->value[KSM_PAGES_TO_SCAN].u;
    return ksm_ksmtuned_decide(cfg, &s->proc.meminfo, committed / 1024, npages,
                               d);
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
        struct ksm_label l = {"name", ksm_ksmtuned_var_names[i]};
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
    uint64_t bytes;

    return guest_rss(s, true, &bytes) ? derive_emit_u64(m, emit, ctx, bytes)
                                      : 0;
}

KSM_SERIES_FN(ksm_series_guest_resident)
{
    uint64_t bytes;

    return guest_rss(s, false, &bytes) ? derive_emit_u64(m, emit, ctx, bytes)
                                       : 0;
}

KSM_SERIES_FN(ksm_series_ksmtuned_threshold)
{
    struct ksm_ksmtuned_decision d;

    return next_check(s, &d) == 0 ? emit_kb(m, emit, ctx, d.thres_kb) : 0;
}

KSM_SERIES_FN(ksm_series_ksmtuned_free)
{
    struct ksm_ksmtuned_decision d;

    return next_check(s, &d) == 0 ? emit_kb(m, emit, ctx, d.free_kb) : 0;
}

KSM_SERIES_FN(ksm_series_ksmtuned_next_action)
{
    static const char *const actions[] = {
        [KSM_KSMTUNED_STOP] = "stop",
        [KSM_KSMTUNED_BOOST] = "boost",
        [KSM_KSMTUNED_DECAY] = "decay",
    };
    struct ksm_ksmtuned_decision d;

    if (next_check(s, &d) != 0)
        return 0;
    return emit_choice(m, "action", actions, 3, (size_t)d.action, emit, ctx);
}

KSM_SERIES_FN(ksm_series_ksmtuned_next_pages)
{
    struct ksm_ksmtuned_decision d;

    if (!(s->present & KSM_FIELD_BIT(KSM_PAGES_TO_SCAN)) ||
        next_check(s, &d) != 0)
        return 0;
    return derive_emit(
        m, emit, ctx, (struct ksm_value){.kind = KSM_VALUE_I64, .i = d.npages});
}

KSM_SERIES_FN(ksm_series_ksmtuned_next_sleep)
{
    struct ksm_ksmtuned_decision d;

    if (next_check(s, &d) != 0)
        return 0;
    return derive_emit(
        m, emit, ctx,
        (struct ksm_value){.kind = KSM_VALUE_DOUBLE,
                           .d = (double)d.sleep_millisecs / 1000});
}

/*
 * ksmtuned while it runs; else the kernel's advisor when advisor_mode
 * selects scan-time; else none.  A kernel without advisor_mode has no
 * advisor; one whose advisor_mode fails to read leaves it unknown.
 */
KSM_SERIES_FN(ksm_series_tuner)
{
    static const char *const tuners[] = {"ksmtuned", "advisor", "none"};
    const uint32_t mode = KSM_FIELD_BIT(KSM_ADVISOR_MODE);
    size_t selected = 2;

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
    return emit_choice(m, "tuner", tuners, 3, selected, emit, ctx);
}
