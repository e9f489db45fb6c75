/* SPDX-License-Identifier: MIT */
/* Prometheus text and OpenMetrics exposition of the metric table. */
#include "ksm/render.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ksm_buf_free(struct ksm_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

/*
 * ksm_buf_reserve(), static so that the writers below get it inlined: an
 * exported function in a position-independent library is not.
 */
static int reserve(struct ksm_buf *b, size_t n)
{
    size_t cap;
    char *p;

    if (b->oom)
        return -ENOMEM;
    if (b->cap - b->len >= n)
        return 0;
    cap = b->cap ? b->cap : 4096;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return -ENOMEM;
        }
        cap *= 2;
    }
    p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return -ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int ksm_buf_reserve(struct ksm_buf *b, size_t n)
{
    return reserve(b, n);
}

/* Appends the string s to b (nothing once b->oom is set). */
static void append_str(struct ksm_buf *b, const char *s)
{
    size_t n = strlen(s);

    if (reserve(b, n) != 0)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

/*
 * The writers below write at p, into room reserved beforehand, and return
 * the end of what they wrote.  They reserve room for a whole line (or
 * header) once and then copy without further checks: a scrape writes a
 * hundred series, and a capacity check per piece was most of the rendering
 * cost.
 */
static char *write_bytes(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* u in decimal, zero-padded to at least width digits (at most 20 in all). */
static char *write_decimal(char *p, uint64_t u, int width)
{
    char tmp[20];
    size_t i = sizeof(tmp);

    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u || (int)(sizeof(tmp) - i) < width);
    return write_bytes(p, tmp + i, sizeof(tmp) - i);
}

/* The magnitude of v, exact for INT64_MIN too. */
static uint64_t magnitude(int64_t v)
{
    return v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
}

static char *write_i64(char *p, int64_t v)
{
    if (v < 0)
        *p++ = '-';
    return write_decimal(p, magnitude(v), 1);
}

/* m / 10^k in decimal, k digits after the point (trailing zeros cut). */
static char *write_fixed(char *p, int64_t m, int k)
{
    static const uint64_t pow10[] = {1,         10,        100,     1000,
                                     10000,     100000,    1000000, 10000000,
                                     100000000, 1000000000};
    uint64_t u = magnitude(m);

    while (k > 0 && u % 10 == 0) {
        u /= 10;
        k--;
    }
    if (m < 0)
        *p++ = '-';
    p = write_decimal(p, u / pow10[k], 1);
    if (k > 0) {
        *p++ = '.';
        p = write_decimal(p, u % pow10[k], k);
    }
    return p;
}

/*
 * Most values here have few decimals (0.02 s, 0.7, a duration counted in
 * nanoseconds): finds the fewest decimals k (at most 9) for which m / 10^k
 * is exactly d.  Both that division and strtod() of the printed text round
 * correctly, so the text reads back as d.  Returns k, or 0 when there is
 * none.
 */
static int few_decimals(double d, int64_t *m)
{
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4,
                                   1e5, 1e6, 1e7, 1e8, 1e9};

    if (!(fabs(d) >= 1e-9 && fabs(d) < 1e15))
        return 0;
    for (int k = 1; k <= 9; k++) {
        double scaled = d * pow10[k];

        if (fabs(scaled) >= 9e15)
            break;
        *m = (int64_t)(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
        if ((double)*m / pow10[k] == d)
            return k;
    }
    return 0;
}

/* The shortest of 15, 16 or 17 significant digits that round-trips. */
static size_t format_shortest(double d, char *buf)
{
    for (int prec = 15; prec < 17; prec++) {
        int n = snprintf(buf, 32, "%.*g", prec, d);

        if (strtod(buf, NULL) == d)
            return (size_t)n;
    }
    return (size_t)snprintf(buf, 32, "%.17g", d);
}

size_t ksm_format_double(double d, char *buf)
{
    char *end;
    int64_t m;
    int k;

    if (isnan(d))
        return (size_t)snprintf(buf, 32, "NaN");
    if (isinf(d))
        return (size_t)snprintf(buf, 32, d > 0 ? "+Inf" : "-Inf");
    /* Whole numbers below 2^53 are exact as integers: no printf needed. */
    if (d > -9007199254740992.0 && d < 9007199254740992.0 &&
        d == (double)(int64_t)d && !(d == 0 && signbit(d)))
        end = write_i64(buf, (int64_t)d);
    else if ((k = few_decimals(d, &m)) > 0)
        end = write_fixed(buf, m, k);
    else
        return format_shortest(d, buf);
    *end = '\0';
    return (size_t)(end - buf);
}

/* The family name: OpenMetrics names a counter's family without "_total". */
static size_t family_len(const struct ksm_metric *m, enum ksm_format fmt)
{
    size_t n = strlen(m->name);

    if (fmt == KSM_FORMAT_OPENMETRICS && m->type == KSM_COUNTER && n > 6 &&
        strcmp(m->name + n - 6, "_total") == 0)
        n -= 6;
    return n;
}

/*
 * Escapes s into p (at most 2 * strlen(s) bytes): a label value (both
 * formats) or, with quote false, a text-format HELP line, which escapes
 * only backslash and newline.
 */
static char *write_escaped(char *p, const char *s, bool quote)
{
    const char *specials = quote ? "\\\n\"" : "\\\n";

    for (;;) {
        /* Runs without a special character are copied whole. */
        size_t run = strcspn(s, specials);

        p = write_bytes(p, s, run);
        s += run;
        if (*s == '\0')
            return p;
        *p++ = '\\';
        if (*s == '\n')
            *p++ = 'n';
        else
            *p++ = *s;
        s++;
    }
}

static void put_header(struct ksm_buf *b, const struct ksm_metric *m,
                       enum ksm_format fmt)
{
    size_t flen = family_len(m, fmt);
    size_t ulen = m->unit ? strlen(m->unit) : 0;
    bool om = fmt == KSM_FORMAT_OPENMETRICS;
    char *p;

    if (reserve(b, 3 * flen + 2 * strlen(m->help) + ulen + 48) != 0)
        return;
    p = b->data + b->len;
    p = write_bytes(p, "# HELP ", 7);
    p = write_bytes(p, m->name, flen);
    *p++ = ' ';
    p = write_escaped(p, m->help, om);
    p = write_bytes(p, "\n# TYPE ", 8);
    p = write_bytes(p, m->name, flen);
    p = m->type == KSM_COUNTER ? write_bytes(p, " counter\n", 9)
                               : write_bytes(p, " gauge\n", 7);
    if (om && m->unit) {
        p = write_bytes(p, "# UNIT ", 7);
        p = write_bytes(p, m->name, flen);
        *p++ = ' ';
        p = write_bytes(p, m->unit, ulen);
        *p++ = '\n';
    }
    b->len = (size_t)(p - b->data);
}

struct render_ctx {
    struct ksm_buf *b;
    enum ksm_format fmt;
    size_t series;
};

/* Writes a value at p (at most 32 bytes); returns the end. */
static char *write_value(char *p, const struct ksm_value *v)
{
    switch (v->kind) {
    case KSM_VALUE_I64:
        return write_i64(p, v->i);
    case KSM_VALUE_U64:
        return write_decimal(p, v->u, 1);
    case KSM_VALUE_DOUBLE:
    default:
        return p + ksm_format_double(v->d, p);
    }
}

static void emit_series(void *arg, const struct ksm_metric *m,
                        const struct ksm_label *labels, size_t nlabels,
                        const struct ksm_value *v)
{
    struct render_ctx *c = arg;
    struct ksm_buf *b = c->b;
    size_t nlen = strlen(m->name), need = nlen + 48;
    char *p;

    /* The header waits for the first series, so empty families vanish. */
    if (c->series++ == 0)
        put_header(b, m, c->fmt);
    for (size_t i = 0; i < nlabels; i++)
        need += strlen(labels[i].name) + 2 * strlen(labels[i].value) + 4;
    if (reserve(b, need) != 0)
        return;
    p = write_bytes(b->data + b->len, m->name, nlen);
    if (nlabels > 0) {
        *p++ = '{';
        for (size_t i = 0; i < nlabels; i++) {
            if (i > 0)
                *p++ = ',';
            p = write_bytes(p, labels[i].name, strlen(labels[i].name));
            p = write_bytes(p, "=\"", 2);
            p = write_escaped(p, labels[i].value, true);
            *p++ = '"';
        }
        *p++ = '}';
    }
    *p++ = ' ';
    p = write_value(p, v);
    *p++ = '\n';
    b->len = (size_t)(p - b->data);
}

size_t ksm_render_metric(struct ksm_buf *b, const struct ksm_metric *m,
                         const struct ksm_sample *s, enum ksm_format fmt)
{
    struct render_ctx c = {b, fmt, 0};

    ksm_metric_visit(m, s, emit_series, &c);
    return c.series;
}

int ksm_render_family(struct ksm_buf *b, const struct ksm_metric *m,
                      const struct ksm_series *series, size_t n,
                      enum ksm_format fmt)
{
    struct render_ctx c = {b, fmt, 0};

    for (size_t i = 0; i < n; i++)
        emit_series(&c, m, series[i].labels, series[i].nlabels,
                    &series[i].value);
    return b->oom ? -ENOMEM : 0;
}

int ksm_render(struct ksm_buf *b, const struct ksm_sample *s,
               enum ksm_format fmt)
{
    for (size_t i = 0; i < ksm_metrics_count; i++)
        ksm_render_metric(b, &ksm_metrics[i], s, fmt);
    return b->oom ? -ENOMEM : 0;
}

int ksm_render_end(struct ksm_buf *b, enum ksm_format fmt)
{
    if (fmt == KSM_FORMAT_OPENMETRICS)
        append_str(b, "# EOF\n");
    /* A NUL after the body, not counted in len, for callers that want C. */
    if (reserve(b, 1) == 0)
        b->data[b->len] = '\0';
    return b->oom ? -ENOMEM : 0;
}
