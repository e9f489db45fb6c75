/* SPDX-License-Identifier: MIT */
/* The metric table: every metric both adapters report, defined once. */
#ifndef KSM_METRICS_H
#define KSM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "ksm/sampler.h"

enum ksm_metric_type {
    KSM_GAUGE,
    KSM_COUNTER,
};

/* Metric flags. */
enum {
    /* A KSM tunable: the collectd plugin reports it with ReportTunables. */
    KSM_MF_TUNABLE = 1u << 0,
    /*
     * One series per listed process, labelled pid, comm and vm: collectd
     * reports it with ReportProcesses, under a plugin instance per process.
     */
    KSM_MF_PROCESS = 1u << 1,
};

/* A value as exact as its source: counts stay integers, ratios are doubles. */
enum ksm_value_kind {
    KSM_VALUE_U64,
    KSM_VALUE_I64,
    KSM_VALUE_DOUBLE,
};

struct ksm_value {
    enum ksm_value_kind kind;
    union {
        uint64_t u;
        int64_t i;
        double d;
    };
};

/* One label of a series.  Both strings live as long as the sample. */
struct ksm_label {
    const char *name;
    const char *value;
};

struct ksm_metric;

/*
 * Called once for each series of a metric in a sample.  labels holds nlabels
 * entries (nlabels may be 0); they and v are valid during the call only.
 */
typedef void (*ksm_emit_fn)(void *ctx, const struct ksm_metric *metric,
                            const struct ksm_label *labels, size_t nlabels,
                            const struct ksm_value *v);

/*
 * Produces a metric's series from a sample by calling emit for each; returns
 * how many series were emitted (0 when the source is absent).
 */
typedef size_t (*ksm_series_fn)(const struct ksm_metric *metric,
                                const struct ksm_sample *sample,
                                ksm_emit_fn emit, void *ctx);

/*
 * One metric.  Write a row with designated initializers and leave out what
 * does not apply: a missing pointer, scale or divisor means "none".  Three
 * members have no "none": type (0 is KSM_GAUGE), field (0 is
 * KSM_PAGES_SHARED, used when series is NULL) and proc_field (0 is
 * KSM_PROC_MERGING_PAGES); the table's unit test refuses two rows that read
 * the same field, or that give the same series function the same
 * per-process figure, which is what a row that forgot either would do.
 */
struct ksm_metric {
    /* Prometheus name, e.g. "ksm_pages_sharing". */
    const char *name;
    /* One line of help text: a sentence, no newline. */
    const char *help;
    /* OpenMetrics unit, a suffix of the name ("bytes", "seconds"), or NULL. */
    const char *unit;
    /* collectd type from the stock types.db, or NULL when not dispatched. */
    const char *collectd_type;
    /*
     * collectd type instance.  For a labelled metric the label value is
     * appended after a '-' (or stands alone when this is empty).
     */
    const char *collectd_instance;
    /* collectd only: multiply by this (0 means 1), e.g. seconds to ms. */
    double collectd_scale;
    /* Where the value comes from: a function, when set ... */
    ksm_series_fn series;
    enum ksm_metric_type type;
    unsigned flags; /* KSM_MF_* */
    /* ... else a field of the KSM directory, divided by divisor above 1. */
    int field;
    uint32_t divisor;
    /* With KSM_MF_PROCESS: the figure it reports (enum ksm_proc_field). */
    int proc_field;
};

/* Every metric, in the order adapters present them. */
extern const struct ksm_metric ksm_metrics[];
extern const size_t ksm_metrics_count;

/*
 * Calls emit for every series of metric m in sample s; returns how many.
 * A metric whose source is absent in s emits nothing.
 */
size_t ksm_metric_visit(const struct ksm_metric *m, const struct ksm_sample *s,
                        ksm_emit_fn emit, void *ctx);

/* The value as a double, for consumers without exact integers (collectd). */
double ksm_value_to_double(const struct ksm_value *v);

#endif
