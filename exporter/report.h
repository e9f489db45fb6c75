/* SPDX-License-Identifier: MIT */
/*
 * ksm_exporter --report: two samples some seconds apart, and what the second
 * one says in words (text) or as one JSON object, for a host without
 * Prometheus.
 */
#ifndef KSM_REPORT_H
#define KSM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exporter.h"
#include "ksm/metrics.h"
#include "ksm/sampler.h"

/* The accepted range of --report.interval, in seconds. */
#define REPORT_INTERVAL_MIN     1
#define REPORT_INTERVAL_MAX     600
#define REPORT_INTERVAL_DEFAULT 5

/* One figure of the report, as exact as its metric; why says why not known. */
struct report_figure {
    bool known;
    struct ksm_value v;
    const char *why; /* static storage, or NULL */
};

/* A figure that is a name: the selected label of a one-hot metric. */
struct report_choice {
    bool known;
    char name[32];
    const char *why;
};

/* One row of the guest table. */
struct report_guest {
    const struct ksm_process *p;
};

/* Everything the report shows, gathered from the second sample. */
struct report {
    const struct ksm_sample *s;
    const char *ksm_path;
    int read_err; /* negative errno of the last read, or 0 */
    uint64_t interval_seconds;
    struct report_figure saved;    /* ksm_saved_bytes */
    struct report_figure profit;   /* ksm_general_profit_bytes */
    struct report_figure ksmd_cpu; /* rates: CPU seconds per second */
    struct report_figure cow;      /* rates: copy-on-write breaks/s */
    /*
     * ksm_full_scan_duration_seconds needs two finished scans seen by the
     * sampler, which two samples seldom show; else the window divided by
     * the scans that finished in it (scans_in_window, when has_scans) when
     * there were two or more (by_window), or with fewer a lower bound
     * (longer_than, 0 when none).
     */
    struct report_figure full_scan;
    bool has_scans;
    bool by_window;
    uint64_t scans_in_window;
    double longer_than;
    double window_seconds;         /* between the two samples */
    struct report_figure est_scan; /* ksm_scan_estimated_full_scan_... */
    struct report_choice tuner;    /* ksm_tuner */
    struct report_choice thp;      /* ksm_thp_enabled */
    const char *guests_why;        /* why the table is empty or partial */
    struct report_guest *guests;   /* sorted by profit, descending */
    size_t nguests;
};

/*
 * Samples as cfg says (cfg->report_interval seconds apart) and prints the
 * report to out, JSON when cfg->report_json, else text (coloured when
 * color).  Returns the exit status: 0 whatever the verdict, 1 when the
 * sampler cannot be created or out cannot be written.
 */
int report_run(const struct exporter_config *cfg, FILE *out, bool color);

/*
 * Why the verdict is unknown, for the headline: the KSM directory or the
 * first field the verdict needs that cannot be read, with its error.
 */
void report_unknown_reason(const struct report *r, char *buf, size_t size);

/*
 * Whether the text form on fd may use colour: fd is a terminal, NO_COLOR is
 * unset or empty and TERM is not "dumb".
 */
bool report_color(int fd);

/* The text form of r; the JSON form of r.  Both return ferror(out). */
int report_print_text(const struct report *r, FILE *out, bool color);
int report_print_json(const struct report *r, FILE *out);
/* The findings part of the text form (report_text.c). */
void report_print_findings(const struct report *r, FILE *out, bool color);

/*
 * The length of the valid UTF-8 sequence at s (1 to 4 bytes; shortest form,
 * no surrogates, at most U+10FFFF), or 0 when s does not start one.
 */
size_t report_utf8_len(const char *s);

/*
 * Writes s as a JSON string, quotes included: '"', '\\' and the control
 * characters escaped, valid UTF-8 passed through, each invalid byte
 * replaced by U+FFFD, so that the output is always valid JSON.
 */
void report_json_string(FILE *out, const char *s);

/*
 * Writes lead and then the words of text, wrapped so that no line exceeds
 * width columns (one per character); continuation lines are indented by
 * indent spaces.  A word longer than a line is cut.  Control characters
 * print as '?'.  Ends with a newline.
 */
void report_wrap(FILE *out, const char *lead, const char *text, size_t indent,
                 size_t width);

#endif
