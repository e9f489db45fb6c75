/* SPDX-License-Identifier: MIT */
/* The series functions that the metric table names; never installed. */
#ifndef KSM_DERIVE_H
#define KSM_DERIVE_H

#include "ksm/metrics.h"

/*
 * Each is a ksm_series_fn (metrics.h): it emits the series of metric m that
 * sample s holds, and returns how many; none when its source is absent.
 * They are grouped by the source they read, as struct ksm_sample is.
 */
#define KSM_SERIES_FN(name)                                                    \
    size_t name(const struct ksm_metric *m, const struct ksm_sample *s,        \
                ksm_emit_fn emit, void *ctx)

/* Whether field f of the KSM directory was read in s. */
static inline bool derive_has(const struct ksm_sample *s, enum ksm_field f)
{
    return (s->present & KSM_FIELD_BIT(f)) != 0;
}

/* Emits the one series of a metric without labels; returns 1. */
static inline size_t derive_emit(const struct ksm_metric *m, ksm_emit_fn emit,
                                 void *ctx, struct ksm_value v)
{
    emit(ctx, m, NULL, 0, &v);
    return 1;
}

static inline size_t derive_emit_u64(const struct ksm_metric *m,
                                     ksm_emit_fn emit, void *ctx, uint64_t u)
{
    return derive_emit(m, emit, ctx,
                       (struct ksm_value){.kind = KSM_VALUE_U64, .u = u});
}

/*
 * One series per name sel lists, labelled label=name: 1 for the selected
 * one, 0 for the others.  Returns how many.
 */
size_t derive_emit_selection(const struct ksm_metric *m, const char *label,
                             const struct ksm_selection *sel, ksm_emit_fn emit,
                             void *ctx);

/*
 * The figures the findings and the report need as plain doubles; each
 * returns 0 and the figure, or -ENOENT when a source is absent.  A full
 * scan's duration is the measured one when known, else the estimate of
 * ksm_scan_estimated_full_scan_seconds (docs/metrics.md).
 */
int derive_full_scan_seconds(const struct ksm_sample *s, double *out);
int derive_saved_bytes(const struct ksm_sample *s, double *out);
/* What the rmap_items cost, as ksm_rmap_overhead_bytes reports it. */
int derive_rmap_overhead_bytes(const struct ksm_sample *s, double *out);

/* Derived from the files of <sysfs>/kernel/mm/ksm. */
KSM_SERIES_FN(ksm_series_saved_bytes);
KSM_SERIES_FN(ksm_series_sharing_ratio);
KSM_SERIES_FN(ksm_series_unshared_ratio);
KSM_SERIES_FN(ksm_series_savings_ratio);
KSM_SERIES_FN(ksm_series_rmap_overhead_bytes);
KSM_SERIES_FN(ksm_series_full_scan_duration);
KSM_SERIES_FN(ksm_series_advisor_mode);
KSM_SERIES_FN(ksm_series_scan_speed);
KSM_SERIES_FN(ksm_series_estimated_full_scan);

/* From sysfs beside the KSM directory: THP and NUMA. */
KSM_SERIES_FN(ksm_series_thp_enabled);
KSM_SERIES_FN(ksm_series_thp_defrag);
KSM_SERIES_FN(ksm_series_numa_memory_nodes);

/* The reading itself. */
KSM_SERIES_FN(ksm_series_up);
KSM_SERIES_FN(ksm_series_read_errors);

/* From procfs: ksmd, vmstat, meminfo and the per-process scan. */
KSM_SERIES_FN(ksm_series_ksmd_cpu);
KSM_SERIES_FN(ksm_series_cow);
KSM_SERIES_FN(ksm_series_swapin_copies);
KSM_SERIES_FN(ksm_series_thp_anon_bytes);
KSM_SERIES_FN(ksm_series_scan_examined);
KSM_SERIES_FN(ksm_series_scan_denied);
KSM_SERIES_FN(ksm_series_scan_over_limit);
KSM_SERIES_FN(ksm_series_scan_vanished);
/* One series per listed process, of the figure m->proc_field. */
KSM_SERIES_FN(ksm_series_per_process);
/* One series per listed QEMU process: statm, ksmtuned, smaps_rollup. */
KSM_SERIES_FN(ksm_series_process_resident);
KSM_SERIES_FN(ksm_series_process_ksmtuned_counted);
KSM_SERIES_FN(ksm_series_process_thp_anon);

/* ksmtuned and the tuner that governs KSM (derive_tuner.c). */
KSM_SERIES_FN(ksm_series_ksmtuned_running);
KSM_SERIES_FN(ksm_series_ksmtuned_setting);
KSM_SERIES_FN(ksm_series_ksmtuned_ignored_lines);
KSM_SERIES_FN(ksm_series_ksmtuned_committed);
KSM_SERIES_FN(ksm_series_guest_resident);
KSM_SERIES_FN(ksm_series_ksmtuned_threshold);
KSM_SERIES_FN(ksm_series_ksmtuned_free);
KSM_SERIES_FN(ksm_series_ksmtuned_next_action);
KSM_SERIES_FN(ksm_series_ksmtuned_next_pages);
KSM_SERIES_FN(ksm_series_ksmtuned_next_sleep);
KSM_SERIES_FN(ksm_series_tuner);

/* The verdict and its findings (findings.c judges them). */
KSM_SERIES_FN(ksm_series_verdict);
KSM_SERIES_FN(ksm_series_finding);
KSM_SERIES_FN(ksm_series_finding_value);
KSM_SERIES_FN(ksm_series_finding_threshold);

#endif
