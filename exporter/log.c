/* SPDX-License-Identifier: MIT */
/* logfmt logging on stderr. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_parse_level(const char *name, enum log_level *out)
{
    for (int i = KSM_LOG_DEBUG; i <= KSM_LOG_ERROR; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

struct line {
    char buf[2048];
    size_t len;
};

static void add(struct line *l, const char *s, size_t n)
{
    /* Leave room for the newline; a longer line is cut, never overrun. */
    if (n > sizeof(l->buf) - 1 - l->len)
        n = sizeof(l->buf) - 1 - l->len;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void add_str(struct line *l, const char *s)
{
    add(l, s, strlen(s));
}

/* A logfmt value: bare when it can be, else quoted with \ escapes. */
static void add_value(struct line *l, const char *v)
{
    bool quote = *v == '\0' || strpbrk(v, " =\"\\") != NULL;

    for (const char *p = v; *p && !quote; p++)
        quote = (unsigned char)*p < 0x20;
    if (!quote) {
        add_str(l, v);
        return;
    }
    add(l, "\"", 1);
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;

        if (c == '"' || c == '\\') {
            add(l, "\\", 1);
            add(l, p, 1);
        } else if (c == '\n') {
            add(l, "\\n", 2);
        } else if (c < 0x20) {
            add(l, "?", 1);
        } else {
            add(l, p, 1);
        }
    }
    add(l, "\"", 1);
}

/* ts=2006-01-02T15:04:05.000Z, in UTC. */
static void add_timestamp(struct line *l)
{
    struct timespec ts;
    struct tm tm;
    char stamp[64];
    char ms[8];
    long v;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    add_str(l, "ts=");
    add_str(l, stamp);
    /* Milliseconds, as the exporters users already run print them. */
    v = ts.tv_nsec / 1000000;
    ms[0] = '.';
    ms[1] = (char)('0' + v / 100);
    ms[2] = (char)('0' + v / 10 % 10);
    ms[3] = (char)('0' + v % 10);
    ms[4] = 'Z';
    add(l, ms, 5);
}

void log_kv(const struct logger *lg, enum log_level level, const char *msg,
            int nkv, ...)
{
    struct line l = {.len = 0};
    va_list ap;

    if (level < lg->min)
        return;
    add_timestamp(&l);
    add_str(&l, " level=");
    add_str(&l, level_names[level]);
    add_str(&l, " msg=");
    add_value(&l, msg);
    va_start(ap, nkv);
    for (int i = 0; i < nkv; i++) {
        const char *k = va_arg(ap, const char *);
        const char *v = va_arg(ap, const char *);

        add(&l, " ", 1);
        add_str(&l, k);
        add(&l, "=", 1);
        add_value(&l, v ? v : "");
    }
    va_end(ap);
    l.buf[l.len++] = '\n';
    /* A lost log line is not worth more than trying once. */
    if (write(lg->fd, l.buf, l.len) < 0)
        return;
}
