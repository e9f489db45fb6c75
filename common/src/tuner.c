/* SPDX-License-Identifier: MIT */
/* Reads ksmtuned's config file when it changes, and tracks what to log. */
#include "ksm/tuner.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"

/* Debian's file has 478 bytes: a larger one than this is no config. */
#define CONF_MAX 65536

const char *ksm_ksmtuned_reason_name(enum ksm_ksmtuned_ignored_reason r)
{
    switch (r) {
    case KSM_KSMTUNED_UNKNOWN_NAME:
        return "unknown name";
    case KSM_KSMTUNED_SHELL_CODE:
        return "shell code";
    case KSM_KSMTUNED_BAD_VALUE:
        return "bad value";
    case KSM_KSMTUNED_OUT_OF_RANGE:
        return "out of range";
    }
    return "unknown reason";
}

struct ksm_tuner_conf {
    char *path;
    /* The file as last parsed, valid when parsed is true. */
    bool parsed;
    struct stat id;
    struct ksm_ksmtuned_config config;
    uint64_t errors;
};

int ksm_tuner_conf_new(const char *path, struct ksm_tuner_conf **out)
{
    struct ksm_tuner_conf *c;

    *out = NULL;
    if (!path)
        return 0;
    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->path = strdup(path);
    if (!c->path) {
        free(c);
        return -ENOMEM;
    }
    *out = c;
    return 0;
}

void ksm_tuner_conf_free(struct ksm_tuner_conf *c)
{
    if (!c)
        return;
    free(c->path);
    free(c);
}

const char *ksm_tuner_conf_path(const struct ksm_tuner_conf *c)
{
    return c ? c->path : NULL;
}

/* Whether two stat results describe the same, unchanged file. */
static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
           a->st_size == b->st_size &&
           ksm_same_time(&a->st_mtim, &b->st_mtim) &&
           ksm_same_time(&a->st_ctim, &b->st_ctim);
}

/*
 * Reads and parses the file into c, its identity taken from the descriptor
 * read, so that a change during the read shows at the next stat().
 */
static int load(struct ksm_tuner_conf *c)
{
    char *buf = malloc(CONF_MAX + 1);
    size_t n = 0;
    int fd, err;

    if (!buf)
        return -ENOMEM;
    fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        err = -errno;
        goto out_free;
    }
    /*
     * One byte more than the limit tells a file of exactly CONF_MAX bytes,
     * which fits, from a longer one (ksm_read_fd() says -EOVERFLOW).
     */
    err = fstat(fd, &c->id) != 0 ? -errno
                                 : ksm_read_fd(fd, buf, CONF_MAX + 1, &n);
    if (err == -EOVERFLOW)
        err = -EFBIG;
    if (err == 0)
        err = ksm_ksmtuned_parse_config(buf, n, &c->config);
    close(fd);
out_free:
    free(buf);
    c->parsed = err == 0;
    return err;
}

void ksm_tuner_conf_read(struct ksm_tuner_conf *c, struct ksm_tuner_sample *out)
{
    struct stat st;
    int err = 0;

    memset(out, 0, sizeof(*out));
    ksm_ksmtuned_config_defaults(&out->config);
    if (!c) {
        out->has_config = true;
        return;
    }
    out->conf_configured = true;
    if (stat(c->path, &st) != 0)
        err = -errno;
    if (err == -ENOENT || err == -ENOTDIR) {
        /* No file: the script's defaults, as the script itself does. */
        c->parsed = false;
        out->has_config = true;
    } else {
        out->conf_exists = true;
        if (err == 0 && !(c->parsed && same_file(&st, &c->id)))
            err = load(c);
        if (err) {
            c->parsed = false;
            c->errors++;
            out->conf_error = err;
        } else {
            out->has_config = true;
            out->config = c->config;
        }
    }
    out->conf_read_errors = c->errors;
}

void ksm_tuner_format_ignored(const struct ksm_ksmtuned_config *cfg, char *buf,
                              size_t size)
{
    unsigned shown = cfg->ignored_count < KSM_KSMTUNED_MAX_REPORTED
                         ? cfg->ignored_count
                         : KSM_KSMTUNED_MAX_REPORTED;
    size_t len = 0;

    if (size == 0)
        return;
    buf[0] = '\0';
    for (unsigned i = 0; i < shown && len < size; i++) {
        int n = snprintf(buf + len, size - len, "%s%u (%s)", i ? ", " : "",
                         cfg->ignored[i].line,
                         ksm_ksmtuned_reason_name(cfg->ignored[i].reason));

        len += n > 0 ? (size_t)n : 0;
    }
    if (cfg->ignored_count > shown && len < size)
        snprintf(buf + len, size - len, " and %u more",
                 cfg->ignored_count - shown);
}

/* Whether cfg ignores the lines tr remembers, for the same reasons. */
static bool same_ignored(const struct ksm_tuner_tracker *tr,
                         const struct ksm_ksmtuned_config *cfg)
{
    if (tr->ignored_count != cfg->ignored_count)
        return false;
    for (unsigned i = 0;
         i < cfg->ignored_count && i < KSM_KSMTUNED_MAX_REPORTED; i++)
        if (tr->ignored[i].line != cfg->ignored[i].line ||
            tr->ignored[i].reason != cfg->ignored[i].reason)
            return false;
    return true;
}

void ksm_tuner_tracker_update(struct ksm_tuner_tracker *tr,
                              const struct ksm_tuner_sample *t,
                              ksm_tuner_event_fn fn, void *ctx)
{
    bool failed = t->conf_exists && !t->has_config;

    if (failed && (!tr->failed || tr->error != t->conf_error))
        fn(ctx, KSM_TUNER_CONF_FAILED, t);
    else if (!failed && tr->failed)
        fn(ctx, KSM_TUNER_CONF_RECOVERED, t);
    tr->failed = failed;
    tr->error = failed ? t->conf_error : 0;
    if (!t->has_config || same_ignored(tr, &t->config))
        return;
    fn(ctx, KSM_TUNER_CONF_IGNORED, t);
    tr->ignored_count = t->config.ignored_count;
    memcpy(tr->ignored, t->config.ignored, sizeof(tr->ignored));
}
