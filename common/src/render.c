/* SPDX-License-Identifier: MIT */
/* Prometheus text and OpenMetrics exposition of the metric table. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksm/render.h"

void ksm_buf_free(struct ksm_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

/* Makes room for n more bytes; false (and b->oom) when that fails. */
static bool reserve(struct ksm_buf *b, size_t n)
{
    size_t cap;
    char *p;

    if (b->oom)
        return false;
    if (b->cap - b->len >= n)
        return true;
    cap = b->cap ? b->cap : 4096;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

int ksm_buf_reserve(struct ksm_buf *b, size_t n)
{
    return reserve(b, n) ? 0 : -ENOMEM;
}

static void put(struct ksm_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void puts_(struct ksm_buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void putc_(struct ksm_buf *b, char c)
{
    put(b, &c, 1);
}

static void put_u64(struct ksm_buf *b, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof(tmp);

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(b, tmp + i, sizeof(tmp) - i);
}

static void put_i64(struct ksm_buf *b, int64_t v)
{
    if (v < 0) {
        putc_(b, '-');
        /* Negate in unsigned arithmetic so that INT64_MIN is exact. */
        put_u64(b, 0 - (uint64_t)v);
        return;
    }
    put_u64(b, (uint64_t)v);
}

/* m / 10^k in decimal, k digits after the point (trailing zeros cut). */
static size_t format_fixed(int64_t m, int k, char *buf)
{
    uint64_t u = m < 0 ? 0 - (uint64_t)m : (uint64_t)m;
    char tmp[24];
    size_t i = sizeof(tmp), n = 0;
    int digits = 0;

    /* Digits from the right: k fractional ones, then the integer part. */
    while (u % 10 == 0 && k > 0) {
        u /= 10;
        k--;
    }
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
        if (++digits == k)
            tmp[--i] = '.';
    } while (u || digits < k);
    if (tmp[i] == '.')
        tmp[--i] = '0';
    if (m < 0)
        buf[n++] = '-';
    memcpy(buf + n, tmp + i, sizeof(tmp) - i);
    n += sizeof(tmp) - i;
    buf[n] = '\0';
    return n;
}

size_t ksm_format_double(double d, char *buf)
{
    if (isnan(d))
        return (size_t)snprintf(buf, 32, "NaN");
    if (isinf(d))
        return (size_t)snprintf(buf, 32, d > 0 ? "+Inf" : "-Inf");
    /* Whole numbers below 2^53 are exact as integers: no printf needed. */
    if (d > -9007199254740992.0 && d < 9007199254740992.0 &&
        d == (double)(int64_t)d && !(d == 0 && signbit(d))) {
        int64_t v = (int64_t)d;
        uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        char tmp[20];
        size_t i = sizeof(tmp), n = 0;

        do {
            tmp[--i] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0)
            buf[n++] = '-';
        memcpy(buf + n, tmp + i, sizeof(tmp) - i);
        n += sizeof(tmp) - i;
        buf[n] = '\0';
        return n;
    }
    /*
     * Most values here have few decimals (0.02 s, 0.7, a duration counted
     * in nanoseconds): find the fewest decimals k for which m / 10^k is
     * exactly d, and print m with a point inserted.  Both the division and
     * strtod() of the printed text round correctly, so the text reads back
     * as d.
     */
    if (fabs(d) >= 1e-9 && fabs(d) < 1e15) {
        static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4,
                                       1e5, 1e6, 1e7, 1e8, 1e9};

        for (int k = 1; k <= 9; k++) {
            double scaled = d * pow10[k];
            int64_t m;

            if (fabs(scaled) >= 9e15)
                break;
            m = (int64_t)(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
            if ((double)m / pow10[k] == d)
                return format_fixed(m, k, buf);
        }
    }
    /* The shortest of 15, 16 or 17 significant digits that round-trips. */
    for (int prec = 15; prec < 17; prec++) {
        int n = snprintf(buf, 32, "%.*g", prec, d);

        if (strtod(buf, NULL) == d)
            return (size_t)n;
    }
    return (size_t)snprintf(buf, 32, "%.17g", d);
}

static void put_value(struct ksm_buf *b, const struct ksm_value *v)
{
    char tmp[32];

    switch (v->kind) {
    case KSM_VALUE_U64:
        put_u64(b, v->u);
        return;
    case KSM_VALUE_I64:
        put_i64(b, v->i);
        return;
    case KSM_VALUE_DOUBLE:
        break;
    }
    put(b, tmp, ksm_format_double(v->d, tmp));
}

/*
 * Escapes a label value (both formats) or, with quote false, a text-format
 * HELP line, which escapes only backslash and newline.  Runs without a
 * special character are copied whole: strcspn() finds the next one.
 */
static void put_escaped(struct ksm_buf *b, const char *s, bool quote)
{
    const char *specials = quote ? "\\\n\"" : "\\\n";

    for (;;) {
        size_t run = strcspn(s, specials);

        put(b, s, run);
        s += run;
        switch (*s) {
        case '\0':
            return;
        case '\n':
            put(b, "\\n", 2);
            break;
        case '"':
            put(b, "\\\"", 2);
            break;
        default:
            put(b, "\\\\", 2);
            break;
        }
        s++;
    }
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

static void put_header(struct ksm_buf *b, const struct ksm_metric *m,
                       enum ksm_format fmt)
{
    size_t flen = family_len(m, fmt);
    const char *type = m->type == KSM_COUNTER ? "counter" : "gauge";

    puts_(b, "# HELP ");
    put(b, m->name, flen);
    putc_(b, ' ');
    put_escaped(b, m->help, fmt == KSM_FORMAT_OPENMETRICS);
    puts_(b, "\n# TYPE ");
    put(b, m->name, flen);
    putc_(b, ' ');
    puts_(b, type);
    putc_(b, '\n');
    if (fmt == KSM_FORMAT_OPENMETRICS && m->unit) {
        puts_(b, "# UNIT ");
        put(b, m->name, flen);
        putc_(b, ' ');
        puts_(b, m->unit);
        putc_(b, '\n');
    }
}

struct render_ctx {
    struct ksm_buf *b;
    enum ksm_format fmt;
    size_t series;
};

static void emit_series(void *arg, const struct ksm_metric *m,
                        const struct ksm_label *labels, size_t nlabels,
                        const struct ksm_value *v)
{
    struct render_ctx *c = arg;
    struct ksm_buf *b = c->b;

    /* The header waits for the first series, so empty families vanish. */
    if (c->series++ == 0)
        put_header(b, m, c->fmt);
    puts_(b, m->name);
    if (nlabels > 0) {
        putc_(b, '{');
        for (size_t i = 0; i < nlabels; i++) {
            if (i > 0)
                putc_(b, ',');
            puts_(b, labels[i].name);
            put(b, "=\"", 2);
            put_escaped(b, labels[i].value, true);
            putc_(b, '"');
        }
        putc_(b, '}');
    }
    putc_(b, ' ');
    put_value(b, v);
    putc_(b, '\n');
}

size_t ksm_render_metric(struct ksm_buf *b, const struct ksm_metric *m,
                         const struct ksm_sample *s, enum ksm_format fmt)
{
    struct render_ctx c = {b, fmt, 0};

    ksm_metric_visit(m, s, emit_series, &c);
    return c.series;
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
        puts_(b, "# EOF\n");
    /* A NUL after the body, not counted in len, for callers that want C. */
    if (reserve(b, 1))
        b->data[b->len] = '\0';
    return b->oom ? -ENOMEM : 0;
}
