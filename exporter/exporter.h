/* SPDX-License-Identifier: MIT */
/* The exporter's state, shared by main.c and http.c. */
#ifndef KSM_EXPORTER_H
#define KSM_EXPORTER_H

#include <stdbool.h>
#include <stdint.h>

#include <zlib.h>

#include "ksm/render.h"
#include "ksm/sampler.h"
#include "ksm/self.h"
#include "ksm/tracker.h"
#include "auth.h"
#include "log.h"
#include "own_metrics.h"
#include "webconfig.h"

struct MHD_Daemon;
struct MHD_Response;

/* A rendered body, pooled: lent to libmicrohttpd until it has sent it. */
struct body {
    struct body *next;
    struct exporter *owner;
    struct ksm_buf text;
    struct ksm_buf gz;
};

struct exporter_config {
    const char *telemetry_path;
    const char *sysfs;
    const char *procfs;
    bool processes; /* the per-process collector */
    const char *web_config_path; /* --web.config.file, or NULL */
    const char *version;
    const char *revision;
    struct logger log;
};

struct exporter {
    struct exporter_config cfg;
    struct ksm_sampler *sampler;
    struct ksm_self_reader *self; /* NULL when /proc/self is unreadable */
    struct ksm_sample sample;
    struct own_figures own;

    /* Problem tracking, so that each is logged when it starts and ends. */
    struct ksm_tracker tracker;

    /* Bodies not lent out; all handed out and returned on the MHD thread. */
    struct body *free_bodies;
    z_stream z;
    bool z_ready;

    /* Responses that never change, created once and queued many times. */
    struct MHD_Response *landing;
    struct MHD_Response *not_found;
    struct MHD_Response *not_allowed;
    struct MHD_Response *internal_error;
    struct MHD_Response *unauthorized;
    struct MHD_Response *forbidden;

    /* --web.config.file: TLS, basic auth, extra headers. */
    struct web_config web;
    struct auth auth;

    struct MHD_Daemon *daemon;
};

/*
 * Creates the sampler and the fixed responses.  Returns 0, or a negative
 * errno (logged) with everything created so far released.
 */
int exporter_init(struct exporter *e, const struct exporter_config *cfg);

/*
 * Starts serving on listen_fd (bound and listening; owned by the daemon
 * from here on).  Returns 0 or -EIO (logged).
 */
int exporter_start(struct exporter *e, int listen_fd);

/*
 * Re-reads the web config file (SIGHUP) and restarts the daemon with it on
 * the same socket.  A bad file is logged and the running settings stay.
 * Returns 0, -EINVAL (bad file, still serving) or -EIO (no daemon runs).
 */
int exporter_reload(struct exporter *e);

/* Stops the daemon if started and frees everything exporter_init made. */
void exporter_fini(struct exporter *e);

/*
 * Which format an Accept header asks for: OpenMetrics when the client
 * ranks application/openmetrics-text above text/plain, else text.
 */
enum ksm_format exporter_negotiate(const char *accept);

/* Whether an Accept-Encoding header accepts gzip (with q > 0). */
bool exporter_accepts_gzip(const char *accept_encoding);

/*
 * Bodies smaller than this are sent uncompressed.  Measured here with zlib
 * level 1, gzip costs ~5 us plus ~3 us per KB (a whole scrape costs ~75 us
 * of CPU); below one TCP segment (1448 bytes of payload on Ethernet) the
 * body goes in one packet either way, so gzip would spend CPU to save
 * nothing that matters.  Above it every KB saved is a packet saved: the
 * typical body, 7 KB, shrinks to 2 KB (5 segments to 2).
 */
#define GZIP_MIN_BYTES 1400

#endif
