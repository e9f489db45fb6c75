/* SPDX-License-Identifier: MIT */
/* The exporter's state and its life cycle: init, start, reload, fini. */
#ifndef KSM_EXPORTER_H
#define KSM_EXPORTER_H

#include <stdbool.h>

#include "auth.h"
#include "body.h"
#include "ksm/sampler.h"
#include "ksm/self.h"
#include "ksm/tracker.h"
#include "log.h"
#include "own_metrics.h"
#include "responses.h"
#include "webconfig.h"

struct MHD_Daemon;

struct exporter_config {
    const char *telemetry_path;
    const char *sysfs;
    const char *procfs;
    bool processes;              /* the per-process collector */
    uint64_t thp_interval;       /* seconds; 0 means the default */
    const char *ksmtuned_config; /* --path.ksmtuned-config */
    const char *web_config_path; /* --web.config.file, or NULL */
    bool report;                 /* --report: one report, no server */
    uint64_t report_interval;    /* --report.interval, seconds */
    bool report_json;            /* --report.format=json */
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
    struct ksm_tuner_tracker tuner_tracker;

    struct body_pool bodies;
    struct responses responses;

    /* --web.config.file: TLS, basic auth, extra headers. */
    struct web_config web;
    struct auth auth;

    /*
     * The listening socket, owned by the exporter from exporter_start() on
     * (-1 before).  The daemon only ever gets a duplicate of it, so that
     * neither a failed start nor a restart can close it.
     */
    int listen_fd;
    struct MHD_Daemon *daemon;

    /* bcrypt workers, and the reaper of slow requests (conns.h). */
    struct checker *checker;
    struct conns *conns;
};

/*
 * Creates the sampler and the fixed responses.  Returns 0, or a negative
 * errno (logged) with everything created so far released.
 */
int exporter_init(struct exporter *e, const struct exporter_config *cfg);

/* The sampler's config as cfg's flags give it (strings borrowed from cfg). */
struct ksm_sampler_config
exporter_sampler_config(const struct exporter_config *cfg);

/*
 * Starts serving on listen_fd (bound and listening).  The exporter owns
 * listen_fd from this call on, whatever it returns: exporter_fini() closes
 * it, and the caller must not.  Returns 0, or -EIO (logged) when
 * libmicrohttpd does not start.
 */
int exporter_start(struct exporter *e, int listen_fd);

/*
 * Re-reads the web config file (SIGHUP) and restarts the daemon with it on
 * the same socket.  A bad file is logged and the running settings stay.
 * Returns 0, -EINVAL (bad file, still serving) or -EIO (no daemon runs).
 */
int exporter_reload(struct exporter *e);

/*
 * Stops the daemon if started, closes the listening socket if given, and
 * frees everything exporter_init made.
 */
void exporter_fini(struct exporter *e);

#endif
