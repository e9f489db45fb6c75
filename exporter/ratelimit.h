/* SPDX-License-Identifier: MIT */
/* The web config's rate_limit: one token bucket for the whole server. */
#ifndef KSM_EXPORTER_RATELIMIT_H
#define KSM_EXPORTER_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit;

/*
 * A bucket that gains one token every interval_ns and holds at most burst,
 * full at first: golang.org/x/time/rate's NewLimiter(Every(interval),
 * burst), as the exporter-toolkit builds it.  A burst below 1 lets nothing
 * through.  Returns NULL when out of memory.
 */
struct ratelimit *ratelimit_new(int64_t interval_ns, int64_t burst);

void ratelimit_free(struct ratelimit *r);

/*
 * Takes a token if one is there (Limiter.Allow()).  True for a NULL r.
 * Safe from any thread.
 */
bool ratelimit_allow(struct ratelimit *r);

/* The same at a given time on the monotonic clock, in nanoseconds. */
bool ratelimit_allow_at(struct ratelimit *r, int64_t now_ns);

/*
 * Go's time.ParseDuration(): "1.5s", "100ms", "1h2m", "0", with an
 * optional sign; units ns, us (or µs), ms, s, m, h.  Returns 0 with
 * *out_ns set, or -EINVAL (also when it overflows 64 bits).
 */
int ratelimit_parse_duration(const char *s, int64_t *out_ns);

#endif
