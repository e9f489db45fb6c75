/* SPDX-License-Identifier: MIT */
/* The exporter's life cycle: init, start, reload on SIGHUP, fini. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "checker.h"
#include "conns.h"
#include "exporter.h"
#include "http.h"
#include "scrape.h"

/* Loads --web.config.file, if given, and sets up basic auth for it. */
static int init_web(struct exporter *e)
{
    const struct exporter_config *cfg = &e->cfg;
    char msg[512];
    int err;

    if (cfg->web_config_path) {
        err = web_config_load(cfg->web_config_path, &e->web, msg, sizeof(msg));
        if (err) {
            log_kv(&cfg->log, KSM_LOG_ERROR, "bad web config file", 2, "file",
                   cfg->web_config_path, "err", msg);
            return err;
        }
    }
    err = auth_init(&e->auth, &e->web);
    if (err == -ENOMEM)
        log_kv(&cfg->log, KSM_LOG_ERROR, "out of memory", 0);
    else if (err)
        log_kv(&cfg->log, KSM_LOG_ERROR, "cannot set up basic auth", 1, "err",
               strerror(-err));
    return err;
}

struct ksm_sampler_config
exporter_sampler_config(const struct exporter_config *cfg)
{
    return (struct ksm_sampler_config){.sysfs_root = cfg->sysfs,
                                       .procfs_root = cfg->procfs,
                                       .processes = cfg->processes,
                                       .thp_interval = cfg->thp_interval,
                                       .ksmtuned_config = cfg->ksmtuned_config};
}

int exporter_init(struct exporter *e, const struct exporter_config *cfg)
{
    struct ksm_sampler_config sc = exporter_sampler_config(cfg);
    int err;

    memset(e, 0, sizeof(*e));
    e->cfg = *cfg;
    e->listen_fd = -1;
    err = ksm_sampler_new(&sc, &e->sampler);
    if (err) {
        log_kv(&cfg->log, KSM_LOG_ERROR, "cannot create the KSM sampler", 2,
               "path", cfg->sysfs, "err", strerror(-err));
        return err;
    }
    exporter_probe(e);
    err = init_web(e);
    if (err)
        goto fail;
    /* The idle timeout of the daemon (10 s) is a kept-alive request's too. */
    err = checker_new(CHECKER_WORKERS, CHECKER_DEPTH, &e->checker);
    if (err == 0)
        err = conns_new(CONNS_BOUND_MS, 10000, CONNS_SOFT_LIMIT, &e->conns);
    if (err) {
        log_kv(&cfg->log, KSM_LOG_ERROR, "cannot start threads", 1, "err",
               strerror(-err));
        goto fail;
    }
    err = ksm_self_reader_new(NULL, &e->self);
    if (err) {
        log_kv(&cfg->log, KSM_LOG_WARN,
               "cannot read /proc/self: no process_* metrics", 1, "err",
               strerror(-err));
        e->self = NULL;
    }
    body_pool_init(&e->bodies);
    err = responses_make(&e->responses, &e->cfg, &e->web);
    if (err) {
        log_kv(&cfg->log, KSM_LOG_ERROR, "out of memory", 0);
        goto fail;
    }
    return 0;
fail:
    exporter_fini(e);
    return err;
}

__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    const struct exporter *e = cls;
    char msg[512];
    size_t n;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    log_kv(&e->cfg.log, KSM_LOG_DEBUG, "libmicrohttpd", 1, "detail", msg);
}

/* Fills opts with the TLS options of e->web; returns the daemon flags. */
static unsigned int tls_options(const struct exporter *e,
                                struct MHD_OptionItem opts[5])
{
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                         MHD_USE_ERROR_LOG | MHD_USE_ITC |
                         MHD_ALLOW_SUSPEND_RESUME;
    size_t n = 0;

    if (e->web.tls) {
        flags |= MHD_USE_TLS;
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                            e->web.cert_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                            e->web.key_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                            e->web.priorities};
        /* With a CA list, libmicrohttpd asks for a client certificate. */
        if (e->web.trust_pem)
            opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                                e->web.trust_pem};
    }
    opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return flags;
}

/* Whether descriptors a and b refer to the same open file. */
static bool same_file(int a, int b)
{
    struct stat sa, sb;

    return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/*
 * Starts a daemon on a duplicate of e->listen_fd.  When MHD_start_daemon()
 * fails, libmicrohttpd 0.9.75 has closed the socket it was given on some
 * paths (TLS set-up, threads) and not on others (options, epoll).  So the
 * daemon gets a duplicate, which is closed here only if it still refers to
 * the listening socket: a number libmicrohttpd freed, and that something
 * else has reused since, is left alone.
 */
static int start_daemon(struct exporter *e)
{
    struct MHD_OptionItem tls[5];
    unsigned int flags = tls_options(e, tls);
    int fd = fcntl(e->listen_fd, F_DUPFD_CLOEXEC, 0);

    if (fd >= 0) {
        /*
         * The logger comes first so that libmicrohttpd's own start-up
         * messages go through it.  Per client address at most 32
         * connections, so that one host cannot take all 512; idle
         * connections go after 10 s.  Each connection's memory pool holds
         * the request's and response's headers only (bodies are our own
         * buffers) and is cleared after every request: 8 KiB instead of the
         * default 32 KiB cuts that cost 4x.
         */
        e->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, exporter_handle, e,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, e, MHD_OPTION_LISTEN_SOCKET,
            fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)512,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)32,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192,
            MHD_OPTION_NOTIFY_CONNECTION, conns_notify, e->conns,
            MHD_OPTION_NOTIFY_COMPLETED, exporter_completed, e,
            MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
        if (e->daemon)
            return 0;
        if (same_file(fd, e->listen_fd))
            close(fd);
    }
    log_kv(&e->cfg.log, KSM_LOG_ERROR, "cannot start the HTTP server", 0);
    return -EIO;
}

int exporter_start(struct exporter *e, int listen_fd)
{
    e->listen_fd = listen_fd;
    return start_daemon(e);
}

/*
 * Stops the daemon but keeps the listening socket: connections wait in
 * its queue meanwhile.  Returns 0 or -EBUSY (the daemon still runs).
 */
static int stop_daemon_keep_socket(struct exporter *e)
{
    MHD_socket fd = MHD_quiesce_daemon(e->daemon);

    if (fd == MHD_INVALID_SOCKET)
        return -EBUSY;
    /* libmicrohttpd aborts when stopped with suspended connections. */
    checker_drain(e->checker);
    MHD_stop_daemon(e->daemon);
    e->daemon = NULL;
    checker_open(e->checker);
    /* A quiesced daemon leaves its duplicate to the caller. */
    close((int)fd);
    return 0;
}

/*
 * Serves with fresh (taken over whatever happens).  On failure the old
 * settings are back in e, with their fixed responses freed and no daemon.
 */
static int serve_with(struct exporter *e, struct web_config *fresh)
{
    struct web_config old = e->web;
    struct auth old_auth = e->auth;

    e->web = *fresh;
    responses_free(&e->responses);
    if (auth_init(&e->auth, &e->web) == 0 &&
        responses_make(&e->responses, &e->cfg, &e->web) == 0) {
        /* Credentials that still have the same hash stay accepted. */
        auth_keep_cache(&e->auth, &old_auth);
        if (start_daemon(e) == 0) {
            auth_fini(&old_auth);
            web_config_free(&old);
            return 0;
        }
    }
    auth_fini(&e->auth);
    responses_free(&e->responses);
    web_config_free(&e->web);
    e->web = old;
    e->auth = old_auth;
    return -EIO;
}

int exporter_reload(struct exporter *e)
{
    const char *path = e->cfg.web_config_path;
    struct web_config fresh;
    char msg[512];

    if (!path)
        return 0;
    if (web_config_load(path, &fresh, msg, sizeof(msg)) != 0) {
        log_kv(&e->cfg.log, KSM_LOG_ERROR,
               "bad web config file: keeping the running one", 2, "file", path,
               "err", msg);
        return -EINVAL;
    }
    /* TLS settings are fixed for a daemon's life: a new one takes over. */
    if (stop_daemon_keep_socket(e) != 0) {
        log_kv(&e->cfg.log, KSM_LOG_ERROR,
               "cannot hand over the listening socket: keeping the running "
               "settings",
               1, "file", path);
        web_config_free(&fresh);
        return -EINVAL;
    }
    if (serve_with(e, &fresh) == 0) {
        log_kv(&e->cfg.log, KSM_LOG_INFO, "reloaded the web config file", 2,
               "file", path, "tls", e->web.tls ? "on" : "off");
        return 0;
    }
    if (responses_make(&e->responses, &e->cfg, &e->web) == 0 &&
        start_daemon(e) == 0) {
        log_kv(&e->cfg.log, KSM_LOG_ERROR,
               "cannot serve with the new web config: kept the old one", 1,
               "file", path);
        return -EINVAL;
    }
    return -EIO;
}

void exporter_fini(struct exporter *e)
{
    if (e->daemon) {
        checker_drain(e->checker);
        MHD_stop_daemon(e->daemon);
    }
    checker_free(e->checker);
    conns_free(e->conns);
    if (e->listen_fd >= 0)
        close(e->listen_fd);
    responses_free(&e->responses);
    auth_fini(&e->auth);
    web_config_free(&e->web);
    body_pool_fini(&e->bodies);
    ksm_self_reader_free(e->self);
    ksm_sampler_free(e->sampler);
    memset(e, 0, sizeof(*e));
    e->listen_fd = -1;
}
