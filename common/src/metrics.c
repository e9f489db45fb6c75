/* SPDX-License-Identifier: MIT */
/* The metric table and the functions that derive values from a sample. */
#include <math.h>

#include "ksm/metrics.h"

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

/* x / y, where both zero and a zero denominator give NaN (METRICS.md). */
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

/* The four page counts of the rmap_item accounting, as a double if huge. */
static int sum_pages(const struct ksm_sample *s, uint64_t *sum, double *dsum)
{
    static const enum ksm_field f[] = {KSM_PAGES_SHARED, KSM_PAGES_SHARING,
                                       KSM_PAGES_UNSHARED, KSM_PAGES_VOLATILE};
    int exact = 1;

    *sum = 0;
    *dsum = 0;
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        if (!has(s, f[i]))
            return -1;
        *dsum += (double)s->value[f[i]].u;
        if (__builtin_add_overflow(*sum, s->value[f[i]].u, sum))
            exact = 0;
    }
    return exact;
}

static size_t saved_bytes(const struct ksm_metric *m,
                          const struct ksm_sample *s, ksm_emit_fn emit,
                          void *ctx)
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
                       ((double)sharing + (double)zero) *
                           (double)s->page_size);
}

static size_t rmap_overhead_bytes(const struct ksm_metric *m,
                                  const struct ksm_sample *s, ksm_emit_fn emit,
                                  void *ctx)
{
    uint64_t sum;
    double dsum;
    int exact = sum_pages(s, &sum, &dsum);

    if (exact < 0)
        return 0;
    if (!exact)
        return emit_double(m, emit, ctx, dsum * (double)s->rmap_item_size);
    return emit_value(m, emit, ctx, pages_to_bytes(sum, s->rmap_item_size));
}

static size_t sharing_ratio(const struct ksm_metric *m,
                            const struct ksm_sample *s, ksm_emit_fn emit,
                            void *ctx)
{
    if (!has(s, KSM_PAGES_SHARING) || !has(s, KSM_PAGES_SHARED))
        return 0;
    return emit_double(m, emit, ctx,
                       ratio((double)s->value[KSM_PAGES_SHARING].u,
                             (double)s->value[KSM_PAGES_SHARED].u));
}

static size_t unshared_ratio(const struct ksm_metric *m,
                             const struct ksm_sample *s, ksm_emit_fn emit,
                             void *ctx)
{
    if (!has(s, KSM_PAGES_UNSHARED) || !has(s, KSM_PAGES_SHARING))
        return 0;
    return emit_double(m, emit, ctx,
                       ratio((double)s->value[KSM_PAGES_UNSHARED].u,
                             (double)s->value[KSM_PAGES_SHARING].u));
}

static size_t savings_ratio(const struct ksm_metric *m,
                            const struct ksm_sample *s, ksm_emit_fn emit,
                            void *ctx)
{
    uint64_t sum;
    double dsum;

    if (sum_pages(s, &sum, &dsum) < 0)
        return 0;
    return emit_double(m, emit, ctx,
                       ratio((double)s->value[KSM_PAGES_SHARING].u, dsum));
}

static size_t full_scan_duration(const struct ksm_metric *m,
                                 const struct ksm_sample *s, ksm_emit_fn emit,
                                 void *ctx)
{
    if (!s->has_full_scan_duration)
        return 0;
    return emit_double(m, emit, ctx, s->full_scan_duration_seconds);
}

/* One series per mode listed in advisor_mode: 1 for the selected one. */
static size_t advisor_mode(const struct ksm_metric *m,
                           const struct ksm_sample *s, ksm_emit_fn emit,
                           void *ctx)
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

static size_t up(const struct ksm_metric *m, const struct ksm_sample *s,
                 ksm_emit_fn emit, void *ctx)
{
    return emit_u64(m, emit, ctx, s->up);
}

/*
 * One series per file that exists on this kernel, so that rate() sees a
 * zero before the first error, and per file that has failed before.
 */
static size_t read_errors(const struct ksm_metric *m,
                          const struct ksm_sample *s, ksm_emit_fn emit,
                          void *ctx)
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

static size_t ksmd_cpu(const struct ksm_metric *m, const struct ksm_sample *s,
                       ksm_emit_fn emit, void *ctx)
{
    if (!s->proc.has_ksmd)
        return 0;
    return emit_double(m, emit, ctx, s->proc.ksmd_cpu_seconds);
}

static size_t cow(const struct ksm_metric *m, const struct ksm_sample *s,
                  ksm_emit_fn emit, void *ctx)
{
    return s->proc.has_cow ? emit_u64(m, emit, ctx, s->proc.cow_ksm) : 0;
}

static size_t swpin_copy(const struct ksm_metric *m,
                         const struct ksm_sample *s, ksm_emit_fn emit,
                         void *ctx)
{
    return s->proc.has_swpin_copy ? emit_u64(m, emit, ctx, s->proc.swpin_copy)
                                  : 0;
}

/* The scan's own figures, present when processes were scanned. */
#define SCAN_METRIC(fn, member)                                                \
    static size_t fn(const struct ksm_metric *m, const struct ksm_sample *s,   \
                     ksm_emit_fn emit, void *ctx)                              \
    {                                                                          \
        return s->proc.scanned ? emit_u64(m, emit, ctx, s->proc.member) : 0;   \
    }

SCAN_METRIC(scan_examined, examined)
SCAN_METRIC(scan_denied, denied)
SCAN_METRIC(scan_over_limit, over_limit)
SCAN_METRIC(scan_vanished, vanished)

/* One series per listed process that has the ksm_stat line of m->field. */
static size_t per_process(const struct ksm_metric *m,
                          const struct ksm_sample *s, ksm_emit_fn emit,
                          void *ctx)
{
    size_t n = 0;

    for (size_t i = 0; i < s->proc.nprocesses; i++) {
        const struct ksm_process *p = &s->proc.processes[i];
        struct ksm_label l[3] = {
            {"pid", p->pid}, {"comm", p->comm}, {"vm", p->vm}};
        struct ksm_value v = {.kind = KSM_VALUE_I64,
                              .i = p->stat.value[m->proc_field]};

        if (!(p->stat.present & (1u << m->proc_field)))
            continue;
        emit(ctx, m, l, 3, &v);
        n++;
    }
    return n;
}

#define FIELD(f, div) .field = (f), .divisor = (div)
#define DERIVED(fn)   .field = -1, .series = (fn)
#define PROCESS(pf)   .field = -1, .proc_field = (pf), .series = per_process

const struct ksm_metric ksm_metrics[] = {
    /* Statistics of <sysfs>/kernel/mm/ksm. */
    {"ksm_pages_shared", "How many shared pages are being used.", KSM_GAUGE,
     NULL, "vmpage_number", "shared", 0, FIELD(KSM_PAGES_SHARED, 1)},
    {"ksm_pages_sharing", "How many more sites are sharing them, i.e. how much "
     "is saved.", KSM_GAUGE, NULL, "vmpage_number", "sharing", 0,
     FIELD(KSM_PAGES_SHARING, 1)},
    {"ksm_pages_unshared", "How many pages are unique but repeatedly checked "
     "for merging.", KSM_GAUGE, NULL, "vmpage_number", "unshared", 0,
     FIELD(KSM_PAGES_UNSHARED, 1)},
    {"ksm_pages_volatile", "How many pages are changing too fast to be placed "
     "in a tree.", KSM_GAUGE, NULL, "vmpage_number", "volatile", 0,
     FIELD(KSM_PAGES_VOLATILE, 1)},
    {"ksm_zero_pages", "How many empty pages are merged with the kernel zero "
     "page (use_zero_pages).", KSM_GAUGE, NULL, "vmpage_number", "zero", 0,
     FIELD(KSM_ZERO_PAGES, 1)},
    {"ksm_stable_node_chains", "Number of stable node chains allocated, the "
     "KSM pages that hit the max_page_sharing limit.", KSM_GAUGE, NULL, "count",
     "stable_node_chains", 0, FIELD(KSM_STABLE_NODE_CHAINS, 1)},
    {"ksm_stable_node_dups", "Number of stable node dups queued into the "
     "stable node chains.", KSM_GAUGE, NULL, "count", "stable_node_dups", 0,
     FIELD(KSM_STABLE_NODE_DUPS, 1)},
    {"ksm_full_scans_total", "How many times all mergeable areas have been "
     "scanned.", KSM_COUNTER, NULL, "total_operations", "full_scans", 0,
     FIELD(KSM_FULL_SCANS, 1)},
    {"ksm_pages_scanned_total", "How many pages ksmd has scanned.", KSM_COUNTER,
     NULL, "total_operations", "pages_scanned", 0, FIELD(KSM_PAGES_SCANNED, 1)},
    {"ksm_pages_skipped_total", "How many pages smart scanning skipped.",
     KSM_COUNTER, NULL, "total_operations", "pages_skipped", 0,
     FIELD(KSM_PAGES_SKIPPED, 1)},
    {"ksm_general_profit_bytes", "How much memory KSM saves net of its rmap_item "
     "metadata, in bytes; negative when it costs more than it saves.", KSM_GAUGE,
     "bytes", "gauge", "general_profit", 0, FIELD(KSM_GENERAL_PROFIT, 1)},

    /* Tunables. */
    {"ksm_run", "Whether ksmd runs: 0 stopped, 1 running, 2 unmerging all "
     "pages.", KSM_GAUGE, NULL, "gauge", "run", KSM_MF_TUNABLE,
     FIELD(KSM_RUN, 1)},
    {"ksm_pages_to_scan", "How many pages ksmd scans before it sleeps.",
     KSM_GAUGE, NULL, "gauge", "pages_to_scan", KSM_MF_TUNABLE,
     FIELD(KSM_PAGES_TO_SCAN, 1)},
    {"ksm_sleep_seconds", "How long ksmd sleeps between batches "
     "(sleep_millisecs).", KSM_GAUGE, "seconds", "duration", "sleep",
     KSM_MF_TUNABLE, FIELD(KSM_SLEEP_MILLISECS, 1000)},
    {"ksm_max_page_sharing", "The most pages that may share one KSM page.",
     KSM_GAUGE, NULL, "gauge", "max_page_sharing", KSM_MF_TUNABLE,
     FIELD(KSM_MAX_PAGE_SHARING, 1)},
    {"ksm_merge_across_nodes", "Whether pages from different NUMA nodes may be "
     "merged.", KSM_GAUGE, NULL, "gauge", "merge_across_nodes", KSM_MF_TUNABLE,
     FIELD(KSM_MERGE_ACROSS_NODES, 1)},
    {"ksm_use_zero_pages", "Whether empty pages are merged with the kernel zero "
     "page.", KSM_GAUGE, NULL, "gauge", "use_zero_pages", KSM_MF_TUNABLE,
     FIELD(KSM_USE_ZERO_PAGES, 1)},
    {"ksm_smart_scan", "Whether pages that did not merge before are skipped "
     "for a while.", KSM_GAUGE, NULL, "gauge", "smart_scan", KSM_MF_TUNABLE,
     FIELD(KSM_SMART_SCAN, 1)},
    {"ksm_stable_node_chains_prune_seconds", "How often stale stable node "
     "chains are pruned (stable_node_chains_prune_millisecs).", KSM_GAUGE,
     "seconds", "duration", "stable_node_chains_prune", KSM_MF_TUNABLE,
     FIELD(KSM_STABLE_NODE_CHAINS_PRUNE_MILLISECS, 1000)},
    {"ksm_advisor_mode", "The scan advisor's mode: 1 for the selected one.",
     KSM_GAUGE, NULL, "gauge", "advisor_mode", KSM_MF_TUNABLE,
     DERIVED(advisor_mode)},
    {"ksm_advisor_max_cpu_ratio", "The most CPU the scan-time advisor lets "
     "ksmd use, as a share of one CPU (advisor_max_cpu / 100).", KSM_GAUGE,
     NULL, "gauge", "advisor_max_cpu_ratio", KSM_MF_TUNABLE,
     FIELD(KSM_ADVISOR_MAX_CPU, 100)},
    {"ksm_advisor_target_scan_time_seconds", "The full-scan time the scan-time "
     "advisor aims for.", KSM_GAUGE, "seconds", "duration",
     "advisor_target_scan_time", KSM_MF_TUNABLE,
     FIELD(KSM_ADVISOR_TARGET_SCAN_TIME, 1)},
    {"ksm_advisor_min_pages_to_scan", "The fewest pages_to_scan the scan-time "
     "advisor sets.", KSM_GAUGE, NULL, "gauge", "advisor_min_pages_to_scan",
     KSM_MF_TUNABLE, FIELD(KSM_ADVISOR_MIN_PAGES_TO_SCAN, 1)},
    {"ksm_advisor_max_pages_to_scan", "The most pages_to_scan the scan-time "
     "advisor sets.", KSM_GAUGE, NULL, "gauge", "advisor_max_pages_to_scan",
     KSM_MF_TUNABLE, FIELD(KSM_ADVISOR_MAX_PAGES_TO_SCAN, 1)},

    /* Derived from the statistics. */
    {"ksm_saved_bytes", "Memory saved by merging: (pages_sharing + "
     "ksm_zero_pages) times the page size.", KSM_GAUGE, "bytes", "bytes",
     "saved", 0, DERIVED(saved_bytes)},
    {"ksm_sharing_ratio", "pages_sharing / pages_shared: how many sites share "
     "each KSM page on average; NaN without shared pages.", KSM_GAUGE, NULL,
     "gauge", "sharing_ratio", 0, DERIVED(sharing_ratio)},
    {"ksm_unshared_ratio", "pages_unshared / pages_sharing: high means scanning "
     "is wasted on unique pages; NaN without sharing.", KSM_GAUGE, NULL,
     "gauge", "unshared_ratio", 0, DERIVED(unshared_ratio)},
    {"ksm_savings_ratio", "pages_sharing / (pages_shared + pages_sharing + "
     "pages_unshared + pages_volatile), from 0 to 1.", KSM_GAUGE, NULL, "gauge",
     "savings_ratio", 0, DERIVED(savings_ratio)},
    {"ksm_rmap_overhead_bytes", "Metadata KSM spends on the pages it tracks: "
     "(shared + sharing + unshared + volatile) times sizeof(rmap_item).",
     KSM_GAUGE, "bytes", "bytes", "rmap_overhead", 0,
     DERIVED(rmap_overhead_bytes)},
    {"ksm_full_scan_duration_seconds", "Seconds per full scan, measured between "
     "the two latest samples in which full_scans advanced.", KSM_GAUGE,
     "seconds", "duration", "full_scan", 0, DERIVED(full_scan_duration)},

    /* The reading itself. */
    {"ksm_up", "1 when the KSM directory could be read, else 0.", KSM_GAUGE,
     NULL, NULL, NULL, 0, DERIVED(up)},
    {"ksm_read_errors_total", "Failed reads or parses of a KSM file that "
     "exists.", KSM_COUNTER, NULL, "errors", "", 0, DERIVED(read_errors)},

    /* The cost side, from procfs. */
    {"ksm_ksmd_cpu_seconds_total", "CPU time the ksmd kernel thread has "
     "spent (user + system).", KSM_COUNTER, "seconds", "total_time_in_ms",
     "ksmd", 0, DERIVED(ksmd_cpu), .collectd_scale = 1000},
    {"ksm_cow_total", "Copy-on-write breaks of KSM pages: writes that "
     "unshared a merged page (vmstat cow_ksm).", KSM_COUNTER, NULL,
     "total_operations", "cow", 0, DERIVED(cow)},
    {"ksm_swapin_copies_total", "KSM pages copied at swap-in (vmstat "
     "ksm_swpin_copy).", KSM_COUNTER, NULL, "total_operations",
     "swapin_copies", 0, DERIVED(swpin_copy)},

    /* Per process and per VM, from <procfs>/PID/ksm_stat. */
    {"ksm_process_merging_pages", "Pages of this process merged by KSM "
     "(ksm_merging_pages).", KSM_GAUGE, NULL, "vmpage_number", "merging",
     KSM_MF_PROCESS, PROCESS(KSM_PROC_MERGING_PAGES)},
    {"ksm_process_zero_pages", "Empty pages of this process merged with the "
     "zero page.", KSM_GAUGE, NULL, "vmpage_number", "zero", KSM_MF_PROCESS,
     PROCESS(KSM_PROC_ZERO_PAGES)},
    {"ksm_process_rmap_items", "rmap_items KSM keeps for this process.",
     KSM_GAUGE, NULL, "count", "rmap_items", KSM_MF_PROCESS,
     PROCESS(KSM_PROC_RMAP_ITEMS)},
    {"ksm_process_profit_bytes", "Memory KSM saves for this process net of "
     "its rmap_items (ksm_process_profit).", KSM_GAUGE, "bytes", "gauge",
     "profit", KSM_MF_PROCESS, PROCESS(KSM_PROC_PROFIT)},
    {"ksm_process_mergeable", "1 when any memory of this process may be "
     "merged (ksm_mergeable); 0 for a VM that opted out.", KSM_GAUGE, NULL,
     "gauge", "mergeable", KSM_MF_PROCESS, PROCESS(KSM_PROC_MERGEABLE)},
    {"ksm_process_merge_any", "1 when the process made all its memory "
     "mergeable (prctl PR_SET_MEMORY_MERGE).", KSM_GAUGE, NULL, "gauge",
     "merge_any", KSM_MF_PROCESS, PROCESS(KSM_PROC_MERGE_ANY)},
    {"ksm_process_scan_examined", "Processes the last scan looked at.",
     KSM_GAUGE, NULL, "count", "scan_examined", 0, DERIVED(scan_examined)},
    {"ksm_process_scan_denied", "Processes whose ksm_stat the last scan was "
     "not allowed to read (it needs root or the owner).", KSM_GAUGE, NULL,
     "count", "scan_denied", 0, DERIVED(scan_denied)},
    {"ksm_process_scan_over_limit", "Processes the last scan skipped: beyond "
     "its limit.", KSM_GAUGE, NULL, "count", "scan_over_limit", 0,
     DERIVED(scan_over_limit)},
    {"ksm_process_scan_vanished_total", "Processes that exited while being "
     "read.", KSM_COUNTER, NULL, "total_operations", "scan_vanished", 0,
     DERIVED(scan_vanished)},
};

const size_t ksm_metrics_count = sizeof(ksm_metrics) / sizeof(ksm_metrics[0]);

size_t ksm_metric_visit(const struct ksm_metric *m, const struct ksm_sample *s,
                        ksm_emit_fn emit, void *ctx)
{
    struct ksm_value v;
    int f = m->field;

    if (f < 0)
        return m->series(m, s, emit, ctx);
    if (!has(s, (enum ksm_field)f))
        return 0;
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
