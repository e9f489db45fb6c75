/* SPDX-License-Identifier: MIT */
/*
 * ksm_exporter --report: two samples, and the figures of the second one
 * gathered from the metric table, so that the report says what the metrics
 * say.  report_text.c and report_json.c print them.
 */
#include "report.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ksm/clock.h"

static const struct ksm_metric *metric_named(const char *name)
{
    for (size_t i = 0; i < ksm_metrics_count; i++)
        if (strcmp(ksm_metrics[i].name, name) == 0)
            return &ksm_metrics[i];
    return NULL;
}

static void take_first(void *ctx, const struct ksm_metric *m,
                       const struct ksm_label *labels, size_t nlabels,
                       const struct ksm_value *v)
{
    struct report_figure *f = ctx;

    (void)m;
    (void)labels;
    (void)nlabels;
    if (!f->known) {
        f->known = true;
        f->v = *v;
    }
}

/* The first series of the metric called name, or why_not when none. */
static void metric_figure(const struct ksm_sample *s, const char *name,
                          const char *why_not, struct report_figure *f)
{
    const struct ksm_metric *m = metric_named(name);

    memset(f, 0, sizeof(*f));
    if (m)
        ksm_metric_visit(m, s, take_first, f);
    if (f->known && f->v.kind == KSM_VALUE_DOUBLE && f->v.d != f->v.d)
        f->known = false; /* NaN: the metric says there is no such figure */
    if (!f->known)
        f->why = why_not;
}

static void take_selected(void *ctx, const struct ksm_metric *m,
                          const struct ksm_label *labels, size_t nlabels,
                          const struct ksm_value *v)
{
    struct report_choice *c = ctx;

    (void)m;
    if (nlabels > 0 && ksm_value_to_double(v) == 1) {
        c->known = true;
        snprintf(c->name, sizeof(c->name), "%s", labels[0].value);
    }
}

/* The label of the series at 1 of a one-hot metric such as ksm_tuner. */
static void metric_choice(const struct ksm_sample *s, const char *name,
                          const char *why_not, struct report_choice *c)
{
    const struct ksm_metric *m = metric_named(name);

    memset(c, 0, sizeof(*c));
    if (m)
        ksm_metric_visit(m, s, take_selected, c);
    if (!c->known)
        c->why = why_not;
}

static void rate_figure(bool has, double value, const char *why_not,
                        struct report_figure *f)
{
    memset(f, 0, sizeof(*f));
    f->known = has;
    f->v.kind = KSM_VALUE_DOUBLE;
    f->v.d = value;
    if (!has)
        f->why = why_not;
}

/* Why a procfs figure is missing, or NULL when procfs itself is there. */
static const char *procfs_why(const struct ksm_sample *s)
{
    if (!s->proc.opened)
        return "needs a readable --path.procfs";
    return NULL;
}

static void gather_rates(struct report *r)
{
    const struct ksm_sample *s = r->s;
    const char *why = procfs_why(s);

    if (!why && !s->rates.has)
        why = "no window of 1 s between the samples";
    rate_figure(s->rates.has_ksmd_cpu, s->rates.ksmd_cpu_share,
                why                 ? why
                : !s->up            ? "the KSM directory cannot be read"
                : !s->proc.has_ksmd ? "ksmd not found in procfs"
                                    : "ksmd's CPU time went backwards",
                &r->ksmd_cpu);
    rate_figure(s->rates.has_cow, s->rates.cow_per_second,
                why                ? why
                : !s->proc.has_cow ? "this kernel has no cow_ksm in vmstat"
                                   : "cow_ksm went backwards",
                &r->cow);
}

/* Why a figure from fields needed of the KSM directory is missing. */
static const char *ksm_why(const struct ksm_sample *s, uint32_t needed,
                           const char *otherwise)
{
    if (!s->up)
        return "the KSM directory cannot be read";
    if (s->failed & needed)
        return "a file it needs cannot be read or parsed";
    return otherwise;
}

static void gather_figures(struct report *r)
{
    const struct ksm_sample *s = r->s;
    const uint32_t pages =
        KSM_FIELD_BIT(KSM_PAGES_SHARED) | KSM_FIELD_BIT(KSM_PAGES_SHARING) |
        KSM_FIELD_BIT(KSM_PAGES_UNSHARED) | KSM_FIELD_BIT(KSM_PAGES_VOLATILE);
    const uint32_t pace =
        KSM_FIELD_BIT(KSM_PAGES_TO_SCAN) | KSM_FIELD_BIT(KSM_SLEEP_MILLISECS);
    const bool thp_failed =
        (s->host.exists & ~s->host.present) & (1u << KSM_HOST_THP_ENABLED);

    metric_figure(s, "ksm_saved_bytes",
                  ksm_why(s, pages | KSM_FIELD_BIT(KSM_ZERO_PAGES),
                          "this kernel has no pages_sharing"),
                  &r->saved);
    metric_figure(s, "ksm_general_profit_bytes",
                  ksm_why(s, KSM_FIELD_BIT(KSM_GENERAL_PROFIT),
                          "this kernel has no general_profit"),
                  &r->profit);
    metric_figure(s, "ksm_full_scan_duration_seconds",
                  ksm_why(s, KSM_FIELD_BIT(KSM_FULL_SCANS),
                          "no full scan finished in the interval"),
                  &r->full_scan);
    metric_figure(
        s, "ksm_scan_estimated_full_scan_seconds",
        ksm_why(s, pages | pace, "no scan speed (sleep_millisecs is 0?)"),
        &r->est_scan);
    metric_choice(s, "ksm_tuner",
                  ksm_why(s, KSM_FIELD_BIT(KSM_ADVISOR_MODE),
                          procfs_why(s) ? procfs_why(s) : "unknown"),
                  &r->tuner);
    metric_choice(s, "ksm_thp_enabled",
                  thp_failed ? "transparent_hugepage/enabled cannot be read"
                             : "no transparent_hugepage in sysfs",
                  &r->thp);
    gather_rates(r);
}

/* Whether p belongs in the guest table: a guest, or a process KSM touches. */
static bool is_listed(const struct ksm_process *p)
{
    for (int f = KSM_PROC_MERGING_PAGES; f <= KSM_PROC_PROFIT; f++)
        if ((p->figures.present & (1u << f)) && p->figures.value[f] != 0)
            return true;
    return p->qemu;
}

static int64_t profit_of(const struct ksm_process *p)
{
    if (p->figures.present & (1u << KSM_PROC_PROFIT))
        return p->figures.value[KSM_PROC_PROFIT];
    return INT64_MIN; /* unknown: last */
}

/* Profit descending, then pid ascending, so that the order is stable. */
static int by_profit(const void *a, const void *b)
{
    const struct ksm_process *p = ((const struct report_guest *)a)->p;
    const struct ksm_process *q = ((const struct report_guest *)b)->p;
    int64_t x = profit_of(p), y = profit_of(q);

    if (x != y)
        return x > y ? -1 : 1;
    if (strlen(p->pid) != strlen(q->pid))
        return strlen(p->pid) < strlen(q->pid) ? -1 : 1;
    return strcmp(p->pid, q->pid);
}

static const char *guests_why(const struct ksm_sample *s)
{
    if (!s->proc.opened)
        return "needs a readable --path.procfs";
    if (!s->proc.scanned)
        return "the per-process scan is off (--no-collector.process)";
    if (s->proc.denied > 0)
        return geteuid() != 0 ? "some processes refused access (not root)"
                              : "some processes refused access";
    return NULL;
}

/* Returns 0, or -ENOMEM. */
static int gather_guests(struct report *r)
{
    const struct ksm_procfs_sample *ps = &r->s->proc;
    struct report_guest *v;

    r->guests_why = guests_why(r->s);
    if (ps->nprocesses == 0)
        return 0;
    v = calloc(ps->nprocesses, sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < ps->nprocesses; i++)
        if (is_listed(&ps->processes[i]))
            v[r->nguests++].p = &ps->processes[i];
    qsort(v, r->nguests, sizeof(*v), by_profit);
    r->guests = v;
    return 0;
}

/* Sleeps until the monotonic clock reads at least until_ns. */
static void sleep_until(uint64_t until_ns)
{
    struct timespec ts = {
        .tv_sec = (time_t)(until_ns / 1000000000u),
        .tv_nsec = (long)(until_ns % 1000000000u),
    };

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        continue;
}

/*
 * The sampler of the serve loop (as exporter_init() makes it), but with
 * the THP interval of the report: the first read reads one guest's
 * smaps_rollup, and the second, one interval later, every other guest's
 * (guest_scan.c spreads the reads over one THP interval).
 */
static int new_sampler(const struct exporter_config *cfg,
                       struct ksm_sampler **out)
{
    struct ksm_sampler_config sc = exporter_sampler_config(cfg);

    sc.thp_interval = cfg->report_interval;
    /* One report may read every guest, whatever that costs. */
    sc.thp_cpu_percent = 100;
    return ksm_sampler_new(&sc, out);
}

static int print_report(struct report *r, const struct exporter_config *cfg,
                        FILE *out, bool color)
{
    int err;

    if (gather_guests(r) != 0) {
        fprintf(stderr, "ksm_exporter: out of memory\n");
        return 1;
    }
    err = cfg->report_json ? report_print_json(r, out)
                           : report_print_text(r, out, color);
    free(r->guests);
    if (err || fflush(out) != 0) {
        fprintf(stderr, "ksm_exporter: cannot write the report: %s\n",
                strerror(errno));
        return 1;
    }
    return 0;
}

/*
 * The full scans that finished between the samples, and from them the
 * duration of one when the sampler measured none.  ksmd finishes a scan
 * every d seconds while it runs, so k scans finish in a window of T
 * seconds when T/(k+1) < d <= T/(k-1): about T/k from k = 2 on; one scan
 * only says d > T/2, and none (KSM running) d > T.
 */
static void gather_scans(struct report *r, bool had_first, uint64_t first,
                         uint64_t first_ns)
{
    const struct ksm_sample *s = r->s;
    const uint32_t bit = KSM_FIELD_BIT(KSM_FULL_SCANS);

    if (s->timestamp_ns > first_ns)
        r->window_seconds = (double)(s->timestamp_ns - first_ns) / 1e9;
    if (!had_first || !(s->present & bit) || s->value[KSM_FULL_SCANS].u < first)
        return;
    r->has_scans = true;
    r->scans_in_window = s->value[KSM_FULL_SCANS].u - first;
    if (r->full_scan.known || !s->up)
        return;
    if (r->scans_in_window < 2) {
        r->full_scan.why = "fewer than two full scans finished in the "
                           "interval";
        if (s->present & KSM_FIELD_BIT(KSM_RUN) && s->value[KSM_RUN].u == 1)
            r->longer_than =
                r->window_seconds / (double)(r->scans_in_window + 1);
        return;
    }
    r->by_window = true;
    r->full_scan.known = true;
    r->full_scan.why = NULL;
    r->full_scan.v.kind = KSM_VALUE_DOUBLE;
    r->full_scan.v.d = r->window_seconds / (double)r->scans_in_window;
}

int report_run(const struct exporter_config *cfg, FILE *out, bool color)
{
    struct ksm_sampler *sampler;
    struct ksm_sample *s;
    struct report r = {.interval_seconds = cfg->report_interval};
    uint64_t first, first_ns;
    bool had_first;
    int rc;

    /*
     * For wcwidth() in the text form: names are UTF-8 whatever the user's
     * locale; without this locale every non-ASCII character prints as '?'.
     */
    setlocale(LC_CTYPE, "C.UTF-8");
    rc = new_sampler(cfg, &sampler);
    if (rc != 0) {
        fprintf(stderr, "ksm_exporter: cannot create the KSM sampler: %s\n",
                strerror(-rc));
        return 1;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        ksm_sampler_free(sampler);
        fprintf(stderr, "ksm_exporter: out of memory\n");
        return 1;
    }
    ksm_sampler_read(sampler, s);
    had_first = s->present & KSM_FIELD_BIT(KSM_FULL_SCANS);
    first = s->value[KSM_FULL_SCANS].u;
    first_ns = s->timestamp_ns;
    sleep_until(first_ns + cfg->report_interval * 1000000000u);
    r.read_err = ksm_sampler_read(sampler, s);
    r.s = s;
    r.ksm_path = ksm_sampler_path(sampler);
    gather_figures(&r);
    gather_scans(&r, had_first, first, first_ns);
    rc = print_report(&r, cfg, out, color);
    free(s);
    ksm_sampler_free(sampler);
    return rc;
}

bool report_color(int fd)
{
    const char *no_color = getenv("NO_COLOR");
    const char *term = getenv("TERM");

    /* https://no-color.org: a non-empty NO_COLOR turns colour off. */
    if (no_color && no_color[0])
        return false;
    if (term && strcmp(term, "dumb") == 0)
        return false;
    return isatty(fd) == 1;
}

/* The fields the verdict needs (findings.c): run and the profit's sources. */
static const enum ksm_field verdict_fields[] = {
    KSM_RUN,          KSM_GENERAL_PROFIT, KSM_PAGES_SHARING,
    KSM_PAGES_SHARED, KSM_PAGES_UNSHARED, KSM_PAGES_VOLATILE,
};

void report_unknown_reason(const struct report *r, char *buf, size_t size)
{
    const struct ksm_sample *s = r->s;

    if (!s->up) {
        snprintf(buf, size, "%s: %s", r->ksm_path,
                 r->read_err ? strerror(-r->read_err) : "not read");
        return;
    }
    for (size_t i = 0; i < sizeof(verdict_fields) / sizeof(verdict_fields[0]);
         i++) {
        const enum ksm_field f = verdict_fields[i];

        if (s->failed & KSM_FIELD_BIT(f)) {
            snprintf(buf, size, "%s/%s: %s", r->ksm_path, ksm_field_names[f],
                     strerror(-s->error[f]));
            return;
        }
    }
    if (!(s->present & KSM_FIELD_BIT(KSM_RUN)))
        snprintf(buf, size, "%s/run: missing", r->ksm_path);
    else
        snprintf(buf, size, "%s: neither general_profit nor the page counts",
                 r->ksm_path);
}
