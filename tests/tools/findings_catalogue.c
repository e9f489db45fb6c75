/* SPDX-License-Identifier: MIT */
/*
 * Prints the findings catalogue (ksm_findings[]) as JSON, in catalogue
 * order, for the mixin in dashboards/ (`make mixin` writes it to
 * dashboards/lib/findings.json): the finding alerts and the dashboards'
 * "Why" row are rendered from it, so that they say what the exporter says.
 * Usage: findings_catalogue [OUTPUT_FILE]   (standard output without one)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ksm/findings.h"
#include "report.h"

static void put_member(FILE *out, const char *name, const char *value,
                       const char *sep)
{
    fprintf(out, "\"%s\": ", name);
    report_json_string(out, value ? value : "");
    fputs(sep, out);
}

static void put_finding(FILE *out, const struct ksm_finding_def *f)
{
    const char *severity =
        f->severity == KSM_SEVERITY_WARNING ? "warning" : "info";

    fputs("  {", out);
    put_member(out, "id", f->id, ", ");
    put_member(out, "alert", f->alert, ", ");
    put_member(out, "severity", severity, ",\n   ");
    put_member(out, "title", f->title, ",\n   ");
    put_member(out, "why", f->why, ",\n   ");
    put_member(out, "action", f->action, ",\n   ");
    put_member(out, "rule", f->rule, "}");
}

int main(int argc, char **argv)
{
    FILE *out = stdout;

    if (argc > 2) {
        fprintf(stderr, "usage: %s [OUTPUT_FILE]\n", argv[0]);
        return 2;
    }
    if (argc == 2 && !(out = fopen(argv[1], "we"))) {
        fprintf(stderr, "findings_catalogue: %s: %s\n", argv[1],
                strerror(errno));
        return 1;
    }
    fputs("[\n", out);
    for (size_t i = 0; i < KSM_FINDING_COUNT; i++) {
        put_finding(out, &ksm_findings[i]);
        fputs(i + 1 < KSM_FINDING_COUNT ? ",\n" : "\n", out);
    }
    fputs("]\n", out);
    /* A full disk shows only at the flush: check both. */
    int bad = ferror(out);

    bad |= out != stdout ? fclose(out) : fflush(out);
    if (bad) {
        fprintf(stderr, "findings_catalogue: write error: %s\n",
                strerror(errno));
        return 1;
    }
    return 0;
}
