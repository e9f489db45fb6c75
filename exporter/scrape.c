/* SPDX-License-Identifier: MIT */
/* Samples KSM for a scrape and logs read problems as they start and end. */
#include "scrape.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exporter.h"
#include "ksm/clock.h"
#include "ksm/procfs.h"
#include "ksm/tuner.h"

/* The tracker passes negative errnos; a positive one reads the same. */
static const char *errstr(int err)
{
    return strerror(err < 0 ? -err : err);
}

/* Logs a problem when it starts and when it ends (ksm_tracker_update()). */
static void log_event(void *ctx, enum ksm_event ev, int field, int err)
{
    const struct exporter *e = ctx;
    const char *dir = ksm_sampler_path(e->sampler);
    char path[4096];

    if (field >= 0)
        snprintf(path, sizeof(path), "%s/%s", dir, ksm_field_names[field]);
    switch (ev) {
    case KSM_EVENT_DIR_FAILED:
        log_kv(&e->cfg.log, KSM_LOG_WARN,
               "cannot read the KSM directory: ksm_up is 0 until it can", 2,
               "path", dir, "err", errstr(err));
        break;
    case KSM_EVENT_DIR_RECOVERED:
        log_kv(&e->cfg.log, KSM_LOG_INFO, "the KSM directory is readable again",
               1, "path", dir);
        break;
    case KSM_EVENT_FILE_FAILED:
        log_kv(&e->cfg.log, KSM_LOG_WARN, "cannot read a KSM file", 2, "file",
               path, "err", errstr(err));
        break;
    case KSM_EVENT_FILE_RECOVERED:
        log_kv(&e->cfg.log, KSM_LOG_INFO, "a KSM file is readable again", 1,
               "file", path);
        break;
    }
}

/* Logs ksmtuned's config file problems and ignored lines once each. */
static void log_tuner_event(void *ctx, enum ksm_tuner_event ev,
                            const struct ksm_tuner_sample *t)
{
    const struct exporter *e = ctx;
    const struct logger *lg = &e->cfg.log;
    const char *path = e->cfg.ksmtuned_config;
    char count[24], lines[512];

    switch (ev) {
    case KSM_TUNER_CONF_FAILED:
        log_kv(lg, KSM_LOG_WARN,
               "cannot read ksmtuned's config file: its settings and "
               "predictions are absent until it can",
               2, "file", path, "err", errstr(t->conf_error));
        break;
    case KSM_TUNER_CONF_RECOVERED:
        log_kv(lg, KSM_LOG_INFO, "ksmtuned's config file is readable again", 1,
               "file", path);
        break;
    case KSM_TUNER_CONF_IGNORED:
        if (t->config.ignored_count == 0) {
            log_kv(lg, KSM_LOG_INFO,
                   "ksmtuned's config file has no ignored lines any more", 1,
                   "file", path);
            break;
        }
        snprintf(count, sizeof(count), "%u", t->config.ignored_count);
        ksm_tuner_format_ignored(&t->config, lines, sizeof(lines));
        log_kv(lg, KSM_LOG_WARN,
               "ksmtuned's config file has lines that are not plain "
               "settings: ksmtuned may use other values than reported",
               3, "file", path, "ignored", count, "lines", lines);
        break;
    }
}

void exporter_scrape(struct exporter *e)
{
    struct ksm_sample *s = &e->sample;
    struct own_figures *own = &e->own;
    uint64_t t0 = ksm_monotonic_ns();
    int err = ksm_sampler_read(e->sampler, s);

    own->scrape_duration_seconds = (double)(ksm_monotonic_ns() - t0) / 1e9;
    own->version = e->cfg.version;
    own->revision = e->cfg.revision;
    own->has_self = e->self && ksm_self_read(e->self, &own->self) == 0;
    ksm_tracker_update(&e->tracker, s, err, log_event, e);
    ksm_tuner_tracker_update(&e->tuner_tracker, &s->tuner, log_tuner_event, e);
}

/*
 * Says once whether per-process figures are on and what a first scan of
 * every process found: how many could not be read, and why.  The scan uses
 * a reader of its own, freed before serving, so that the served samples
 * count no failure twice; it costs one scan (~13 us a process) at start.
 */
static void probe_processes(const struct exporter *e)
{
    const struct logger *lg = &e->cfg.log;
    struct ksm_procfs_config pc = {.root = e->cfg.procfs, .processes = true};
    struct ksm_procfs_sample ps;
    struct ksm_procfs *r;
    char examined[24], listed[24], denied[24], over[24];
    const char *msg = "per-process figures are on";
    enum log_level level = KSM_LOG_WARN;

    if (!e->cfg.processes || !e->cfg.procfs) {
        log_kv(lg, KSM_LOG_INFO, "per-process figures are off", 1, "flag",
               "--no-collector.process");
        return;
    }
    if (ksm_procfs_new(&pc, &r) != 0) {
        log_kv(lg, KSM_LOG_WARN, "out of memory: no start-up process scan", 0);
        return;
    }
    ksm_procfs_read(r, false, &ps);
    snprintf(examined, sizeof(examined), "%" PRIu64, ps.examined);
    snprintf(listed, sizeof(listed), "%zu", ps.nprocesses);
    snprintf(denied, sizeof(denied), "%" PRIu64, ps.denied);
    snprintf(over, sizeof(over), "%" PRIu64, ps.over_limit);
    /* Only the counts are used from here: the process list goes. */
    ksm_procfs_free(r);
    if (!ps.scanned) {
        log_kv(lg, KSM_LOG_WARN,
               "per-process figures are on, but procfs cannot be read", 1,
               "procfs", e->cfg.procfs);
        return;
    }
    if (ps.denied > 0)
        /* ksm_stat is mode 0400: its owner, root or the capability. */
        msg = "per-process figures are on, but some processes cannot be "
              "read: their ksm_stat needs root or CAP_DAC_READ_SEARCH";
    else if (ps.over_limit > 0)
        msg = "per-process figures are on, but one scan reads 65536 "
              "processes at most";
    else
        level = KSM_LOG_INFO;
    log_kv(lg, level, msg, 5, "procfs", e->cfg.procfs, "examined", examined,
           "listed", listed, "denied", denied, "over_limit", over);
}

/* Opening the directory counts no read error, unlike a sample would. */
void exporter_probe(struct exporter *e)
{
    const char *dir = ksm_sampler_path(e->sampler);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct ksm_sample probe = {.up = fd >= 0};

    ksm_tracker_update(&e->tracker, &probe, fd < 0 ? -errno : 0, log_event, e);
    if (fd >= 0) {
        close(fd);
        log_kv(&e->cfg.log, KSM_LOG_INFO, "reading KSM", 1, "path", dir);
    }
    probe_processes(e);
}
