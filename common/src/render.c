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
 * The writers below reserve room for a whole line (or header) once and
 * then copy without further checks: a scrape writes a hundred series, and
 * a capacity check per piece was most of the rendering cost.
 */
static char *cp(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/*
 * Escapes s into p (at most 2 * strlen(s) bytes): a label value (both
 * formats) or, with quote false, a text-format HELP line, which escapes
 * only backslash and newline.
 */
static char *cp_escaped(char *p, const char *s, bool quote)
{
    const char *specials = quote ? "\\\n\"" : "\\\n";

    for (;;) {
        /* Runs without a special character are copied whole. */
        size_t run = strcspn(s, specials);

        p = cp(p, s, run);
        s += run;
        if (*s == '\0')
            return p;
        *p++ = '\\';
        *p++ = *s == '\n' ? 'n' : *s;
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

    if (!reserve(b, 3 * flen + 2 * strlen(m->help) + ulen + 48))
        return;
    p = b->data + b->len;
    p = cp(p, "# HELP ", 7);
    p = cp(p, m->name, flen);
    *p++ = ' ';
    p = cp_escaped(p, m->help, om);
    p = cp(p, "\n# TYPE ", 8);
    p = cp(p, m->name, flen);
    p = m->type == KSM_COUNTER ? cp(p, " counter\n", 9) : cp(p, " gauge\n", 7);
    if (om && m->unit) {
        p = cp(p, "# UNIT ", 7);
        p = cp(p, m->name, flen);
        *p++ = ' ';
        p = cp(p, m->unit, ulen);
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
static char *cp_value(char *p, const struct ksm_value *v)
{
    uint64_t u;
    char tmp[20];
    size_t i = sizeof(tmp);

    switch (v->kind) {
    case KSM_VALUE_I64:
        if (v->i < 0) {
            *p++ = '-';
            u = 0 - (uint64_t)v->i;
        } else {
            u = (uint64_t)v->i;
        }
        break;
    case KSM_VALUE_U64:
        u = v->u;
        break;
    case KSM_VALUE_DOUBLE:
    default:
        return p + ksm_format_double(v->d, p);
    }
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    return cp(p, tmp + i, sizeof(tmp) - i);
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
    if (!reserve(b, need))
        return;
    p = cp(b->data + b->len, m->name, nlen);
    if (nlabels > 0) {
        *p++ = '{';
        for (size_t i = 0; i < nlabels; i++) {
            if (i > 0)
                *p++ = ',';
            p = cp(p, labels[i].name, strlen(labels[i].name));
            p = cp(p, "=\"", 2);
            p = cp_escaped(p, labels[i].value, true);
            *p++ = '"';
        }
        *p++ = '}';
    }
    *p++ = ' ';
    p = cp_value(p, v);
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
        puts_(b, "# EOF\n");
    /* A NUL after the body, not counted in len, for callers that want C. */
    if (reserve(b, 1))
        b->data[b->len] = '\0';
    return b->oom ? -ENOMEM : 0;
}
