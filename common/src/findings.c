/* SPDX-License-Identifier: MIT */
/*
 * The judge: each finding of the catalogue (findings_catalogue.c) applied
 * to one sample, then the verdict.  A finding whose sources are absent is
 * not judged (known false), so that no surface claims what it cannot see.
 */
#include "ksm/findings.h"

#include <stdio.h>
#include <string.h>

#include "derive.h"
#include "ksm/sampler.h"

static bool running(const struct ksm_sample *s)
{
    return derive_has(s, KSM_RUN) && s->value[KSM_RUN].u == 1;
}

static double field(const struct ksm_sample *s, enum ksm_field f)
{
    return ksm_field_formats[f] == KSM_FMT_I64 ? (double)s->value[f].i
                                               : (double)s->value[f].u;
}

/* The QEMU processes by what they said of KSM, and their memory. */
struct guest_sums {
    uint64_t mergeable; /* ksm_mergeable yes */
    uint64_t may_merge; /* not opted out: mergeable, or with merging pages */
    uint64_t opted_out; /* ksm_mergeable no */
    uint64_t thp_guests;
    double thp_bytes; /* of those not opted out, with THP and RSS known */
    double thp_rss;
    uint64_t uncounted; /* with RSS that ksmtuned's pgrep misses */
};

static void sum_guests(const struct ksm_sample *s, struct guest_sums *g)
{
    memset(g, 0, sizeof(*g));
    for (size_t i = 0; i < s->proc.nprocesses; i++) {
        const struct ksm_process *p = &s->proc.processes[i];
        const struct ksm_process_figures *f = &p->figures;
        const bool has_mergeable = f->present & (1u << KSM_PROC_MERGEABLE);
        const bool opted_out =
            has_mergeable && f->value[KSM_PROC_MERGEABLE] == 0;
        const bool merging = (f->present & (1u << KSM_PROC_MERGING_PAGES)) &&
                             f->value[KSM_PROC_MERGING_PAGES] > 0;

        if (!p->qemu)
            continue;
        g->mergeable += has_mergeable && !opted_out;
        g->may_merge += !opted_out && (has_mergeable || merging);
        g->opted_out += opted_out;
        g->uncounted += p->has_rss && !p->ksmtuned_counted;
        if (!opted_out && p->has_thp_anon && p->has_rss && p->rss_bytes > 0) {
            g->thp_guests++;
            /* The THP figure may be older than RSS: never more than all. */
            g->thp_bytes +=
                (double)(p->thp_anon_bytes < p->rss_bytes ? p->thp_anon_bytes
                                                          : p->rss_bytes);
            g->thp_rss += (double)p->rss_bytes;
        }
    }
}

/* Marks *st judged, with the figure, the threshold and the outcome. */
static void judge(struct ksm_finding_state *st, double value, double limit,
                  bool active)
{
    st->known = true;
    st->value = value;
    st->limit = limit;
    st->active = active;
}

static void judge_guests(const struct ksm_sample *s, const struct guest_sums *g,
                         struct ksm_finding_state *out)
{
    const struct ksm_ksmtuned_view *v = &s->ksmtuned;
    const bool tuned = s->proc.ksmtuned_running;
    struct ksm_finding_state *st;
    double limit;

    st = &out[KSM_FINDING_THP_GUESTS];
    limit = ksm_findings[KSM_FINDING_THP_GUESTS].limit;
    if (g->thp_guests > 0)
        judge(st, g->thp_bytes / g->thp_rss, limit,
              g->thp_bytes >= limit * g->thp_rss);
    st->count = g->thp_guests;

    /* Whether ksmtuned runs is known wherever procfs could be opened. */
    st = &out[KSM_FINDING_KSMTUNED_BLIND];
    limit = ksm_findings[KSM_FINDING_KSMTUNED_BLIND].limit;
    if (s->proc.opened && v->has_committed && v->guest_resident_bytes > 0)
        judge(st, (double)v->committed_bytes / (double)v->guest_resident_bytes,
              limit,
              tuned && (double)v->committed_bytes <
                           limit * (double)v->guest_resident_bytes);
    else if (s->proc.opened && v->has_committed)
        judge(st, 1, limit, false);
    st->count = g->uncounted;

    st = &out[KSM_FINDING_KSMTUNED_STOPS];
    if (s->proc.opened && (!tuned || v->has_next))
        judge(st, (double)g->may_merge,
              ksm_findings[KSM_FINDING_KSMTUNED_STOPS].limit,
              tuned && v->next.action == KSM_KSMTUNED_STOP && g->may_merge > 0);
    st->count = g->may_merge;

    st = &out[KSM_FINDING_KSM_OFF];
    if (derive_has(s, KSM_RUN) && s->proc.scanned)
        judge(st, (double)g->mergeable, ksm_findings[KSM_FINDING_KSM_OFF].limit,
              !running(s) && g->mergeable > 0);
    st->count = g->mergeable;

    st = &out[KSM_FINDING_OPTED_OUT];
    if (s->proc.scanned)
        judge(st, (double)g->opted_out,
              ksm_findings[KSM_FINDING_OPTED_OUT].limit,
              g->opted_out > 0 && g->may_merge > 0);
    st->count = g->opted_out;
}

/*
 * The net profit: the kernel's general_profit where it has one, else the
 * memory saved minus the rmap_items, as admin-guide/mm/ksm.rst computes it.
 */
static bool net_profit(const struct ksm_sample *s, double *out)
{
    double saved, overhead;

    if (derive_has(s, KSM_GENERAL_PROFIT)) {
        *out = field(s, KSM_GENERAL_PROFIT);
        return true;
    }
    if (derive_saved_bytes(s, &saved) != 0 ||
        derive_rmap_overhead_bytes(s, &overhead) != 0)
        return false;
    *out = saved - overhead;
    return true;
}

static void judge_costs(const struct ksm_sample *s,
                        struct ksm_finding_state *out)
{
    const struct ksm_rates *r = &s->rates;
    const struct ksm_finding_def *d;
    double profit, saved;

    d = &ksm_findings[KSM_FINDING_NEGATIVE_PROFIT];
    if (net_profit(s, &profit))
        judge(&out[KSM_FINDING_NEGATIVE_PROFIT], profit, d->limit,
              profit < d->limit);

    d = &ksm_findings[KSM_FINDING_KSMD_CPU];
    if (r->has_ksmd_cpu && derive_saved_bytes(s, &saved) == 0)
        judge(&out[KSM_FINDING_KSMD_CPU], saved, d->limit * r->ksmd_cpu_share,
              r->ksmd_cpu_share >= d->floor &&
                  saved < d->limit * r->ksmd_cpu_share);
}

/* The findings of pages that do not merge, or do not stay merged. */
static void judge_churn(const struct ksm_sample *s,
                        struct ksm_finding_state *out)
{
    const struct ksm_rates *r = &s->rates;
    const struct ksm_finding_def *d;
    double sharing, unshared, merged, scan;

    if (!derive_has(s, KSM_PAGES_SHARING))
        return;
    sharing = field(s, KSM_PAGES_SHARING);

    d = &ksm_findings[KSM_FINDING_UNSHARED];
    if (derive_has(s, KSM_RUN) && derive_has(s, KSM_PAGES_UNSHARED)) {
        unshared = field(s, KSM_PAGES_UNSHARED);
        judge(&out[KSM_FINDING_UNSHARED],
              sharing > 0 ? unshared / sharing : unshared, d->limit,
              running(s) && unshared >= d->floor &&
                  unshared > d->limit * sharing);
    }

    /* With nothing shared there is nothing left to lose. */
    d = &ksm_findings[KSM_FINDING_COW];
    if (r->has_cow)
        judge(&out[KSM_FINDING_COW],
              sharing > 0 ? r->cow_per_second * 60 / sharing : 0, d->limit,
              sharing > 0 && r->cow_per_second >= d->floor &&
                  r->cow_per_second * 60 >= d->limit * sharing);

    d = &ksm_findings[KSM_FINDING_SCAN_SLOW];
    if (!derive_has(s, KSM_RUN) || !derive_has(s, KSM_PAGES_SHARED) ||
        !r->has_cow || derive_full_scan_seconds(s, &scan) != 0)
        return;
    merged = sharing + field(s, KSM_PAGES_SHARED);
    /* Not while cow holds: the two cures are opposite, and its comes first. */
    judge(&out[KSM_FINDING_SCAN_SLOW],
          merged > 0 ? r->cow_per_second * scan / merged : 0, d->limit,
          running(s) && merged > 0 && !out[KSM_FINDING_COW].active &&
              r->cow_per_second >= d->floor &&
              r->cow_per_second * scan >= d->limit * merged);
}

static void judge_numa(const struct ksm_sample *s,
                       struct ksm_finding_state *out)
{
    const uint32_t nodes = 1u << KSM_HOST_NODE_MEMORY;
    double n;

    if (!(s->host.present & nodes))
        return;
    n = (double)s->host.memory_nodes;
    /* A kernel without NUMA has no merge_across_nodes: nothing to judge. */
    judge(&out[KSM_FINDING_NUMA], n, ksm_findings[KSM_FINDING_NUMA].limit,
          n >= ksm_findings[KSM_FINDING_NUMA].limit &&
              derive_has(s, KSM_MERGE_ACROSS_NODES) &&
              s->value[KSM_MERGE_ACROSS_NODES].u == 1 &&
              derive_has(s, KSM_PAGES_SHARING) &&
              s->value[KSM_PAGES_SHARING].u > 0);
}

static enum ksm_verdict_kind verdict_of(const struct ksm_sample *s,
                                        unsigned warnings)
{
    double profit, saved = 0;

    if (!s->up || !derive_has(s, KSM_RUN) || !net_profit(s, &profit))
        return KSM_VERDICT_UNKNOWN;
    (void)derive_saved_bytes(s, &saved);
    if (!running(s) && saved <= 0)
        return KSM_VERDICT_OFF;
    if (profit > 0)
        return warnings ? KSM_VERDICT_COULD_PAY_MORE : KSM_VERDICT_PAYS;
    if (saved <= 0 && warnings == 0)
        return KSM_VERDICT_IDLE;
    return KSM_VERDICT_DOES_NOT_PAY;
}

void ksm_sample_judge(struct ksm_sample *s)
{
    struct ksm_verdict *v = &s->verdict;
    struct guest_sums g;

    memset(v, 0, sizeof(*v));
    if (s->up) {
        sum_guests(s, &g);
        judge_guests(s, &g, v->findings);
        judge_costs(s, v->findings);
        judge_churn(s, v->findings);
        judge_numa(s, v->findings);
    }
    for (int i = 0; i < KSM_FINDING_COUNT; i++) {
        if (!v->findings[i].active)
            continue;
        if (ksm_findings[i].severity == KSM_SEVERITY_WARNING)
            v->warnings++;
        else
            v->facts++;
    }
    v->kind = verdict_of(s, v->warnings);
}
