/* SPDX-License-Identifier: MIT */
/*
 * The JSON form of --report: one object, written by hand.  Strings from the
 * system (names, paths) are escaped and made valid UTF-8; numbers are exact
 * for counts and %.17g for ratios, null where the figure is unknown.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "ksm/findings.h"
#include "ksm/parse.h"
#include "report.h"

size_t report_utf8_len(const char *s)
{
    /* strnlen: a sequence cut by the NUL is no UTF-8. */
    return ksm_utf8_len((const unsigned char *)s, strnlen(s, 4));
}

void report_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    while (*s) {
        const unsigned char c = (unsigned char)*s;
        size_t n = report_utf8_len(s);

        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c == '\r')
            fputs("\\r", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\u%04x", c);
        else if (n == 0)
            fputs("\xef\xbf\xbd", out); /* U+FFFD for a byte not UTF-8 */
        else
            fwrite(s, 1, n, out);
        s += n ? n : 1;
    }
    fputc('"', out);
}

static void json_double(FILE *out, double d)
{
    if (isfinite(d))
        fprintf(out, "%.17g", d);
    else
        fputs("null", out);
}

static void json_value(FILE *out, const struct ksm_value *v)
{
    switch (v->kind) {
    case KSM_VALUE_U64:
        fprintf(out, "%" PRIu64, v->u);
        break;
    case KSM_VALUE_I64:
        fprintf(out, "%" PRId64, v->i);
        break;
    default:
        json_double(out, v->d);
    }
}

/* "key": value, with a leading comma unless first. */
static void json_key(FILE *out, const char *key, bool first)
{
    fprintf(out, "%s\"%s\": ", first ? "" : ", ", key);
}

static void json_figure(FILE *out, const char *key,
                        const struct report_figure *f)
{
    json_key(out, key, false);
    if (f->known)
        json_value(out, &f->v);
    else
        fputs("null", out);
}

static void json_choice(FILE *out, const char *key,
                        const struct report_choice *c)
{
    json_key(out, key, false);
    if (c->known)
        report_json_string(out, c->name);
    else
        fputs("null", out);
}

/* Why each unknown figure is unknown, keyed as in "figures". */
static void json_unknown(FILE *out, const struct report *r)
{
    const struct {
        const char *key;
        bool known;
        const char *why;
    } f[] = {
        {"saved_bytes", r->saved.known, r->saved.why},
        {"general_profit_bytes", r->profit.known, r->profit.why},
        {"ksmd_cpu_share", r->ksmd_cpu.known, r->ksmd_cpu.why},
        {"cow_per_second", r->cow.known, r->cow.why},
        {"full_scan_seconds", r->full_scan.known, r->full_scan.why},
        {"estimated_full_scan_seconds", r->est_scan.known, r->est_scan.why},
        {"tuner", r->tuner.known, r->tuner.why},
        {"thp_enabled", r->thp.known, r->thp.why},
    };
    bool first = true;

    fputs(", \"unknown_because\": {", out);
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        if (f[i].known || !f[i].why)
            continue;
        json_key(out, f[i].key, first);
        report_json_string(out, f[i].why);
        first = false;
    }
    fputc('}', out);
}

static void json_figures(FILE *out, const struct report *r)
{
    fputs("\"figures\": {", out);
    json_key(out, "full_scans_in_interval", true);
    if (r->has_scans)
        fprintf(out, "%" PRIu64, r->scans_in_window);
    else
        fputs("null", out);
    json_figure(out, "saved_bytes", &r->saved);
    json_figure(out, "general_profit_bytes", &r->profit);
    json_figure(out, "ksmd_cpu_share", &r->ksmd_cpu);
    json_figure(out, "cow_per_second", &r->cow);
    json_figure(out, "full_scan_seconds", &r->full_scan);
    json_figure(out, "estimated_full_scan_seconds", &r->est_scan);
    json_choice(out, "tuner", &r->tuner);
    json_choice(out, "thp_enabled", &r->thp);
    json_unknown(out, r);
    fputc('}', out);
}

/* A ksm_stat figure of p, or null when this kernel lacks it. */
static void json_proc(FILE *out, const char *key, const struct ksm_process *p,
                      int f)
{
    json_key(out, key, false);
    if (p->figures.present & (1u << f))
        fprintf(out, "%" PRId64, p->figures.value[f]);
    else
        fputs("null", out);
}

static void json_guest(FILE *out, const struct ksm_process *p)
{
    const bool has_mergeable = p->figures.present & (1u << KSM_PROC_MERGEABLE);

    fputs("{\"name\": ", out);
    report_json_string(out, p->vm[0] ? p->vm : p->comm);
    fprintf(out, ", \"pid\": %s, \"comm\": ", p->pid);
    report_json_string(out, p->comm);
    fputs(", \"vm\": ", out);
    report_json_string(out, p->vm);
    fprintf(out, ", \"qemu\": %s", p->qemu ? "true" : "false");
    json_proc(out, "merging_pages", p, KSM_PROC_MERGING_PAGES);
    json_proc(out, "zero_pages", p, KSM_PROC_ZERO_PAGES);
    json_proc(out, "profit_bytes", p, KSM_PROC_PROFIT);
    json_key(out, "opted_out", false);
    fputs(!has_mergeable                              ? "null"
          : p->figures.value[KSM_PROC_MERGEABLE] == 0 ? "true"
                                                      : "false",
          out);
    json_key(out, "thp_share", false);
    if (p->has_thp_anon && p->has_rss && p->rss_bytes > 0)
        json_double(out, (double)p->thp_anon_bytes / (double)p->rss_bytes);
    else
        fputs("null", out);
    fputc('}', out);
}

static void json_text(FILE *out, const char *key, const char *s)
{
    json_key(out, key, false);
    report_json_string(out, s);
}

static void json_finding(FILE *out, const struct report *r,
                         enum ksm_finding_id id)
{
    const struct ksm_finding_def *d = &ksm_findings[id];
    const struct ksm_finding_state *st = &r->s->verdict.findings[id];
    char detail[512];

    fputs("{\"id\": ", out);
    report_json_string(out, d->id);
    json_text(out, "alert", d->alert);
    json_text(out, "severity",
              d->severity == KSM_SEVERITY_WARNING ? "warning" : "info");
    json_text(out, "title", d->title);
    fprintf(out, ", \"active\": %s, \"known\": %s",
            st->known && st->active ? "true" : "false",
            st->known ? "true" : "false");
    json_key(out, "value", false);
    json_double(out, st->known ? st->value : NAN);
    json_key(out, "limit", false);
    json_double(out, st->known ? st->limit : NAN);
    fprintf(out, ", \"count\": %" PRIu64, st->count);
    ksm_finding_detail(r->s, id, detail, sizeof(detail));
    json_text(out, "detail", detail);
    json_text(out, "why", d->why);
    json_text(out, "action", d->action);
    json_text(out, "rule", d->rule);
    fputc('}', out);
}

int report_print_json(const struct report *r, FILE *out)
{
    enum ksm_verdict_kind k = r->s->verdict.kind;
    char why[400];

    fputs("{\"verdict\": ", out);
    report_json_string(out, ksm_verdict_names[k < KSM_VERDICT_COUNT ? k : 0]);
    fprintf(out, ", \"interval_seconds\": %" PRIu64 ", \"window_seconds\": ",
            r->interval_seconds);
    json_double(out, r->window_seconds);
    json_text(out, "ksm_directory", r->ksm_path);
    json_key(out, "error", false);
    if (k == KSM_VERDICT_UNKNOWN || k >= KSM_VERDICT_COUNT) {
        report_unknown_reason(r, why, sizeof(why));
        report_json_string(out, why);
    } else
        fputs("null", out);
    fputs(",\n", out);
    json_figures(out, r);
    fputs(",\n\"guests\": [", out);
    for (size_t i = 0; i < r->nguests; i++) {
        fputs(i ? ",\n  " : "\n  ", out);
        json_guest(out, r->guests[i].p);
    }
    fputs("],\n\"findings\": [", out);
    for (int i = 0; i < KSM_FINDING_COUNT; i++) {
        fputs(i ? ",\n  " : "\n  ", out);
        json_finding(out, r, (enum ksm_finding_id)i);
    }
    fputs("]}\n", out);
    return ferror(out);
}
