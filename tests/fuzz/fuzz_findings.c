/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the judge on any sample the readers could produce: every
 * field present or not with any value, up to 8 processes with any figures,
 * ksmtuned's config and meminfo, any rates.  The verdict must be one kind,
 * an active finding must be judged, and every detail line must be text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ksm/findings.h"
#include "ksm/metrics.h"
#include "ksm/sampler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct bytes {
    const uint8_t *p;
    size_t n;
};

/* The next 8 bytes as a number (0 past the end). */
static uint64_t take(struct bytes *b)
{
    uint64_t v = 0;
    size_t k = b->n < sizeof(v) ? b->n : sizeof(v);

    memcpy(&v, b->p, k);
    b->p += k;
    b->n -= k;
    return v;
}

static double take_double(struct bytes *b)
{
    uint64_t v = take(b);
    double d;

    memcpy(&d, &v, sizeof(d));
    return d;
}

static void fill_processes(struct bytes *b, struct ksm_process *procs,
                           size_t *n)
{
    *n = take(b) % 9;
    for (size_t i = 0; i < *n; i++) {
        struct ksm_process *p = &procs[i];
        uint64_t flags = take(b);

        memset(p, 0, sizeof(*p));
        p->qemu = flags & 1;
        p->has_rss = flags & 2;
        p->ksmtuned_counted = flags & 4;
        p->has_thp_anon = flags & 8;
        p->figures.present = (uint32_t)(flags >> 8);
        for (int f = 0; f < KSM_PROC_FIELD_COUNT; f++)
            p->figures.value[f] = (int64_t)take(b);
        p->rss_bytes = take(b);
        p->thp_anon_bytes = take(b);
    }
}

static void fill_sample(struct bytes *b, struct ksm_sample *s,
                        struct ksm_process *procs)
{
    uint64_t flags = take(b);
    uint64_t vars;

    memset(s, 0, sizeof(*s));
    s->up = flags & 1;
    s->present = (uint32_t)take(b);
    s->exists = s->present;
    for (int f = 0; f < KSM_FIELD_COUNT; f++)
        s->value[f].u = take(b);
    s->page_size = 4096;
    s->rmap_item_size = 64;
    s->has_full_scan_duration = flags & 2;
    s->full_scan_duration_seconds = take_double(b);
    s->host.present = (uint32_t)take(b);
    s->host.memory_nodes = take(b);
    s->proc.scanned = flags & 4;
    s->proc.opened = flags & 8;
    s->proc.ksmtuned_running = flags & 16;
    s->proc.meminfo.present = (uint32_t)take(b);
    for (int f = 0; f < KSM_MEMINFO_FIELD_COUNT; f++)
        s->proc.meminfo.kb[f] = take(b);
    s->tuner.has_config = flags & 32;
    ksm_ksmtuned_config_defaults(&s->tuner.config);
    vars = take(b);
    for (int v = 0; v < KSM_KSMTUNED_VAR_COUNT; v++)
        if (vars & (UINT64_C(1) << v))
            s->tuner.config.value[v] = (int64_t)take(b);
    fill_processes(b, procs, &s->proc.nprocesses);
    s->proc.processes = procs;
    ksm_sample_derive_ksmtuned(s);
    s->rates.has = flags & 64;
    s->rates.window_seconds = take_double(b);
    s->rates.has_ksmd_cpu = flags & 128;
    s->rates.ksmd_cpu_share = take_double(b);
    s->rates.has_cow = flags & 256;
    s->rates.cow_per_second = take_double(b);
}

static void count(void *ctx, const struct ksm_metric *m,
                  const struct ksm_label *labels, size_t nlabels,
                  const struct ksm_value *v)
{
    (void)m;
    (void)labels;
    (void)nlabels;
    if (v->kind == KSM_VALUE_U64 && v->u == 1)
        ++*(size_t *)ctx;
}

static void check(const struct ksm_sample *s)
{
    unsigned warnings = 0;
    char line[256];
    size_t ones = 0;

    if ((unsigned)s->verdict.kind >= KSM_VERDICT_COUNT)
        abort();
    for (int i = 0; i < KSM_FINDING_COUNT; i++) {
        const struct ksm_finding_state *st = &s->verdict.findings[i];

        if (st->active && !st->known)
            abort();
        warnings +=
            st->active && ksm_findings[i].severity == KSM_SEVERITY_WARNING;
        if (ksm_finding_detail(s, (enum ksm_finding_id)i, line, sizeof(line)) <=
                0 ||
            strlen(line) == 0)
            abort();
    }
    if (warnings != s->verdict.warnings)
        abort();
    for (size_t i = 0; i < ksm_metrics_count; i++)
        if (strcmp(ksm_metrics[i].name, "ksm_verdict") == 0)
            ksm_metric_visit(&ksm_metrics[i], s, count, &ones);
    if (ones != (s->up ? 1 : 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bytes b = {data, size};
    struct ksm_process procs[8];
    static struct ksm_sample s;

    fill_sample(&b, &s, procs);
    ksm_sample_judge(&s);
    check(&s);
    return 0;
}
