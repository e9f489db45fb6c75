/* SPDX-License-Identifier: MIT */
/* A token bucket with golang.org/x/time/rate's Allow() semantics. */
#include "ratelimit.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ksm/clock.h"

struct ratelimit {
    pthread_mutex_t lock; /* the handler may run on more than one thread */
    int64_t interval_ns;
    double burst;
    double tokens;
    int64_t last_ns; /* when tokens was last brought up to date */
};

static int64_t now_ns(void)
{
    return (int64_t)ksm_monotonic_ns();
}

struct ratelimit *ratelimit_new(int64_t interval_ns, int64_t burst)
{
    struct ratelimit *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    r->interval_ns = interval_ns;
    r->burst = burst > 0 ? (double)burst : 0;
    r->tokens = r->burst;
    r->last_ns = now_ns();
    return r;
}

void ratelimit_free(struct ratelimit *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->lock);
    free(r);
}

bool ratelimit_allow_at(struct ratelimit *r, int64_t now)
{
    bool ok;

    if (!r || r->interval_ns <= 0)
        return true; /* rate.Every() of a negative interval is no limit */
    pthread_mutex_lock(&r->lock);
    if (now > r->last_ns) {
        r->tokens += (double)(now - r->last_ns) / (double)r->interval_ns;
        if (r->tokens > r->burst)
            r->tokens = r->burst;
        r->last_ns = now;
    }
    ok = r->tokens >= 1.0;
    if (ok)
        r->tokens -= 1.0;
    pthread_mutex_unlock(&r->lock);
    return ok;
}

bool ratelimit_allow(struct ratelimit *r)
{
    return r ? ratelimit_allow_at(r, now_ns()) : true;
}

/* The unit at *s (advancing it past), in nanoseconds, or 0 if none. */
static double unit_ns(const char **s)
{
    /* Go takes both micro signs: U+00B5 and U+03BC, in UTF-8. */
    static const struct {
        const char *name;
        double ns;
    } units[] = {
        {"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
        {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9},
    };
    size_t best = 0, best_len = 0;

    /* The longest name that matches: "ms" before "m", "ns" before "s". */
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        size_t n = strlen(units[i].name);

        if (n > best_len && strncmp(*s, units[i].name, n) == 0) {
            best = i;
            best_len = n;
        }
    }
    if (best_len == 0)
        return 0;
    *s += best_len;
    return units[best].ns;
}

/* One "<number><unit>" at *s, added to *total. */
static int component(const char **s, double *total)
{
    const char *p = *s;
    double value = 0, scale = 1, unit;
    int digits = 0;

    for (; *p >= '0' && *p <= '9'; p++, digits++)
        value = value * 10 + (*p - '0');
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            value += (*p - '0') * (scale /= 10);
    if (digits == 0)
        return -EINVAL;
    unit = unit_ns(&p);
    if (unit == 0)
        return -EINVAL; /* Go wants a unit after every number but "0" */
    *total += value * unit;
    *s = p;
    return 0;
}

int ratelimit_parse_duration(const char *s, int64_t *out_ns)
{
    double total = 0;
    bool negative = false;

    if (*s == '-' || *s == '+')
        negative = *s++ == '-';
    if (strcmp(s, "0") == 0) {
        *out_ns = 0;
        return 0;
    }
    if (!*s)
        return -EINVAL;
    while (*s)
        if (component(&s, &total) != 0)
            return -EINVAL;
    if (total > 9.2e18)
        return -EINVAL;
    *out_ns = negative ? -(int64_t)total : (int64_t)total;
    return 0;
}
