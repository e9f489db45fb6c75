/* SPDX-License-Identifier: MIT */
/*
 * The text form of --report: at most 80 columns, for a terminal or a mail.
 * Columns are counted one per character; names and paths come from the
 * system, so control characters in them print as '?' (no escape sequence
 * of a guest's name reaches the terminal).
 */
#include <math.h>
#include <string.h>
#include <wchar.h>

#include "ksm/findings.h"
#include "report.h"

#define WIDTH     80
#define NAME_COLS 20

/* SGR sequences, only for a terminal; see report_print_text(). */
#define SGR_RED    "\033[1;31m"
#define SGR_YELLOW "\033[1;33m"
#define SGR_GREEN  "\033[1;32m"
#define SGR_CYAN   "\033[36m"
#define SGR_RESET  "\033[0m"

/* The code point of the n-byte UTF-8 sequence at s (valid, n of 2 to 4). */
static wchar_t code_point(const char *s, size_t n)
{
    static const unsigned char lead_mask[] = {0, 0, 0x1f, 0x0f, 0x07};
    wchar_t cp = (unsigned char)s[0] & lead_mask[n];

    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | ((unsigned char)s[i] & 0x3f);
    return cp;
}

/*
 * The printable character at s, its bytes in *len: a control character
 * (C0, DEL, C1), a byte that starts no valid UTF-8, or a character that
 * does not take exactly one column (wide, combining, or unknown to the
 * locale's wcwidth()) is replaced by '?', so that one character is one
 * column.  Returns the bytes to print.
 */
static const char *printable(const char *s, size_t *len)
{
    const unsigned char c = (unsigned char)s[0];
    size_t n = report_utf8_len(s);

    *len = n ? n : 1;
    if (n == 0 || c < 0x20 || c == 0x7f ||
        (c == 0xc2 && (unsigned char)s[1] < 0xa0))
        return "?";
    if (n > 1 && wcwidth(code_point(s, n)) != 1)
        return "?";
    return s;
}

/* Columns of s, skipping the SGR sequences that a coloured lead holds. */
static size_t columns(const char *s)
{
    size_t cols = 0, len;

    while (*s) {
        if (s[0] == '\033' && s[1] == '[') {
            s += 2;
            while (*s && !(*s >= 0x40 && *s <= 0x7e))
                s++;
            s += *s != '\0';
            continue;
        }
        printable(s, &len);
        s += len;
        cols++;
    }
    return cols;
}

/* Writes at most max_cols characters of s[0..n); returns the columns. */
static size_t put_cut(FILE *out, const char *s, size_t n, size_t max_cols)
{
    size_t cols = 0, i = 0, len;

    while (i < n && cols < max_cols) {
        const char *p = printable(s + i, &len);

        fwrite(p, 1, p == s + i ? len : 1, out);
        i += len;
        cols++;
    }
    return cols;
}

/* The bytes of the word at s, and its columns in *cols. */
static size_t word_at(const char *s, size_t *cols)
{
    size_t i = 0, len;

    *cols = 0;
    while (s[i] && s[i] != ' ' && s[i] != '\n' && s[i] != '\t') {
        printable(s + i, &len);
        i += len;
        (*cols)++;
    }
    return i;
}

void report_wrap(FILE *out, const char *lead, const char *text, size_t indent,
                 size_t width)
{
    size_t col = columns(lead), start = col, n, cols;

    fputs(lead, out);
    while (*text) {
        while (*text == ' ' || *text == '\n' || *text == '\t')
            text++;
        if (!*text)
            break;
        n = word_at(text, &cols);
        if (col > start && col + 1 + cols > width) {
            fprintf(out, "\n%*s", (int)indent, "");
            col = start = indent;
        } else if (col > start) {
            fputc(' ', out);
            col++;
        }
        /* A word wider than the line is cut over as many lines as needed. */
        while (col + cols > width && width > col) {
            size_t put = put_cut(out, text, n, width - col), used = 0, len;

            for (size_t k = 0; k < put; k++) {
                printable(text + used, &len);
                used += len;
            }
            text += used;
            n -= used;
            cols -= put;
            fprintf(out, "\n%*s", (int)indent, "");
            col = start = indent;
        }
        col += put_cut(out, text, n, cols);
        text += n;
    }
    fputc('\n', out);
}

static const char *verdict_color(enum ksm_verdict_kind k)
{
    switch (k) {
    case KSM_VERDICT_PAYS:
        return SGR_GREEN;
    case KSM_VERDICT_UNKNOWN:
    case KSM_VERDICT_DOES_NOT_PAY:
        return SGR_RED;
    default:
        return SGR_YELLOW;
    }
}

static void print_verdict(const struct report *r, FILE *out, bool color)
{
    static const char *const sentences[KSM_VERDICT_COUNT] = {
        [KSM_VERDICT_OFF] = "KSM is off.",
        [KSM_VERDICT_IDLE] = "KSM runs but has nothing to merge.",
        [KSM_VERDICT_PAYS] = "KSM pays on this host.",
        [KSM_VERDICT_COULD_PAY_MORE] = "KSM pays, but could pay more.",
        [KSM_VERDICT_DOES_NOT_PAY] = "KSM does not pay on this host.",
    };
    enum ksm_verdict_kind k = r->s->verdict.kind;
    char line[512], why[400];

    if (k == KSM_VERDICT_UNKNOWN || k >= KSM_VERDICT_COUNT) {
        report_unknown_reason(r, why, sizeof(why));
        snprintf(line, sizeof(line), "KSM cannot be read: %s", why);
    } else
        snprintf(line, sizeof(line), "%s", sentences[k]);
    if (color)
        fputs(verdict_color(k), out);
    report_wrap(out, "", line, 0, WIDTH);
    if (color)
        fputs(SGR_RESET, out);
    snprintf(line, sizeof(line),
             "Two samples %.1f s apart of %s; rates cover that interval.",
             r->window_seconds, r->ksm_path);
    report_wrap(out, "", line, 2, WIDTH);
}

/* One figure: its label, then its value in words or "unknown (why)". */
static void figure_line(FILE *out, const char *label, const char *value,
                        const char *why)
{
    char lead[40], text[256];

    snprintf(lead, sizeof(lead), "  %-20s", label);
    if (value)
        snprintf(text, sizeof(text), "%s", value);
    else
        snprintf(text, sizeof(text), "unknown%s%s%s", why ? " (" : "",
                 why ? why : "", why ? ")" : "");
    report_wrap(out, lead, text, 22, WIDTH);
}

static const char *bytes_text(const struct report_figure *f, char *buf,
                              size_t size)
{
    if (!f->known)
        return NULL;
    ksm_format_bytes(ksm_value_to_double(&f->v), buf, size);
    return buf;
}

static void print_scan_figure(const struct report *r, FILE *out)
{
    char text[192], est[80] = "";

    if (r->est_scan.known)
        snprintf(est, sizeof(est),
                 "; estimated %.1f s from pages_to_scan and sleep_millisecs",
                 ksm_value_to_double(&r->est_scan.v));
    if (r->by_window)
        snprintf(text, sizeof(text), "about %.1f s (%llu finished in %.1f s)%s",
                 ksm_value_to_double(&r->full_scan.v),
                 (unsigned long long)r->scans_in_window, r->window_seconds,
                 est);
    else if (r->longer_than > 0)
        snprintf(text, sizeof(text),
                 "more than %.1f s (%llu finished in "
                 "%.1f s)%s",
                 r->longer_than, (unsigned long long)r->scans_in_window,
                 r->window_seconds, est);
    else if (r->full_scan.known)
        snprintf(text, sizeof(text), "%.1f s%s",
                 ksm_value_to_double(&r->full_scan.v), est);
    else
        snprintf(text, sizeof(text), "unknown (%s)%s",
                 r->full_scan.why ? r->full_scan.why : "no figure", est);
    figure_line(out, "Full scan", text, NULL);
}

static void print_figures(const struct report *r, FILE *out)
{
    char buf[64], pct[64], cow[64];

    fputs("\nFigures\n", out);
    figure_line(out, "Memory saved", bytes_text(&r->saved, buf, sizeof(buf)),
                r->saved.why);
    figure_line(out, "Net profit", bytes_text(&r->profit, buf, sizeof(buf)),
                r->profit.why);
    snprintf(pct, sizeof(pct), "%.1f%% of one CPU", r->ksmd_cpu.v.d * 100);
    figure_line(out, "ksmd CPU", r->ksmd_cpu.known ? pct : NULL,
                r->ksmd_cpu.why);
    snprintf(cow, sizeof(cow), "%.1f breaks per second", r->cow.v.d);
    figure_line(out, "Copy-on-write", r->cow.known ? cow : NULL, r->cow.why);
    print_scan_figure(r, out);
    figure_line(out, "Tuned by", r->tuner.known ? r->tuner.name : NULL,
                r->tuner.why);
    figure_line(out, "THP mode", r->thp.known ? r->thp.name : NULL, r->thp.why);
}

/* A figure of p's ksm_stat in decimal, or "-" when this kernel lacks it. */
static const char *proc_value(const struct ksm_process *p, int f, char *buf,
                              size_t size)
{
    if (!(p->figures.present & (1u << f)))
        return "-";
    snprintf(buf, size, "%lld", (long long)p->figures.value[f]);
    return buf;
}

static void guest_row(FILE *out, const struct ksm_process *p)
{
    const char *name = p->vm[0] ? p->vm : p->comm;
    char merging[24], zero[24], profit[24] = "-", thp[16] = "-";
    const char *opted = "-";
    size_t cols;

    if (p->figures.present & (1u << KSM_PROC_PROFIT))
        ksm_format_bytes((double)p->figures.value[KSM_PROC_PROFIT], profit,
                         sizeof(profit));
    if (p->figures.present & (1u << KSM_PROC_MERGEABLE))
        opted = p->figures.value[KSM_PROC_MERGEABLE] == 0 ? "yes" : "no";
    if (p->has_thp_anon && p->has_rss && p->rss_bytes > 0)
        snprintf(thp, sizeof(thp), "%.0f%%",
                 100.0 * (double)p->thp_anon_bytes / (double)p->rss_bytes);
    cols = put_cut(out, name, strlen(name), NAME_COLS);
    fprintf(out, "%*s %8s %10s %9s %11s %9s %5s\n", (int)(NAME_COLS - cols), "",
            p->pid, proc_value(p, KSM_PROC_MERGING_PAGES, merging, 24),
            proc_value(p, KSM_PROC_ZERO_PAGES, zero, 24), profit, opted, thp);
}

static void print_guests(const struct report *r, FILE *out)
{
    fputs("\nGuests and processes\n", out);
    if (r->nguests > 0)
        fprintf(out, "%-*s %8s %10s %9s %11s %9s %5s\n", NAME_COLS, "NAME",
                "PID", "MERGING", "ZERO", "PROFIT", "OPTED OUT", "THP");
    for (size_t i = 0; i < r->nguests; i++)
        guest_row(out, r->guests[i].p);
    if (r->nguests == 0)
        report_wrap(out, "  ",
                    "No QEMU guest and no process with KSM activity.", 2,
                    WIDTH);
    if (r->guests_why)
        report_wrap(out, "  Note: ", r->guests_why, 4, WIDTH);
}

int report_print_text(const struct report *r, FILE *out, bool color)
{
    print_verdict(r, out, color);
    print_figures(r, out);
    print_guests(r, out);
    report_print_findings(r, out, color);
    return ferror(out);
}

static void print_finding(const struct report *r, FILE *out, bool color,
                          enum ksm_finding_id id)
{
    const struct ksm_finding_def *d = &ksm_findings[id];
    const bool warn = d->severity == KSM_SEVERITY_WARNING;
    char lead[64], detail[512];

    snprintf(lead, sizeof(lead),
             "%s%s%s: ", color ? (warn ? SGR_YELLOW : SGR_CYAN) : "",
             warn ? "warning" : "info", color ? SGR_RESET : "");
    fputc('\n', out);
    report_wrap(out, lead, d->title, 2, WIDTH);
    ksm_finding_detail(r->s, id, detail, sizeof(detail));
    report_wrap(out, "  ", detail, 2, WIDTH);
    report_wrap(out, "  Why: ", d->why, 4, WIDTH);
    report_wrap(out, "  Action: ", d->action, 4, WIDTH);
}

/* The findings that could not be judged, and the likely reason in one. */
static void print_unjudged(const struct report *r, FILE *out)
{
    const struct ksm_sample *s = r->s;
    char line[1024];
    size_t n = 0;

    for (int i = 0; i < KSM_FINDING_COUNT && n < sizeof(line); i++)
        if (!s->verdict.findings[i].known)
            n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s",
                                  n ? ", " : "", ksm_findings[i].id);
    if (n == 0 || n >= sizeof(line))
        return;
    if (!s->up)
        snprintf(line + n, sizeof(line) - n,
                 " (the KSM directory cannot be "
                 "read)");
    else if (!s->proc.opened)
        snprintf(line + n, sizeof(line) - n, " (procfs cannot be read)");
    else if (!s->rates.has)
        snprintf(line + n, sizeof(line) - n, " (no rates yet)");
    fputc('\n', out);
    report_wrap(out, "Not judged, their figures are missing: ", line, 2, WIDTH);
}

void report_print_findings(const struct report *r, FILE *out, bool color)
{
    unsigned active = 0, known = 0;

    fputs("\nFindings\n", out);
    for (int i = 0; i < KSM_FINDING_COUNT; i++) {
        const struct ksm_finding_state *st = &r->s->verdict.findings[i];

        known += st->known;
        if (st->known && st->active) {
            print_finding(r, out, color, (enum ksm_finding_id)i);
            active++;
        }
    }
    if (active == 0 && known > 0)
        report_wrap(out, "  ", "None of the findings applies.", 2, WIDTH);
    print_unjudged(r, out);
}
