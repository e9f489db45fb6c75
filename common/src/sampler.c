/* SPDX-License-Identifier: MIT */
/* Reads the KSM sysfs files through descriptors kept open between samples. */
#include "ksm/sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "ksm/clock.h"
#include "rates.h"

#define KSM_SUBDIR "/kernel/mm/ksm"

/*
 * Large enough for any number, and for any selection ksm_parse_selection()
 * accepts (8 names of 23 bytes); a read that fills it is not one of those
 * (ksm_read_fd() says -EOVERFLOW).
 */
#define READ_BUF 256

/* A file's descriptor, or one of these states. */
enum {
    FD_ABSENT = -1, /* does not exist on this kernel */
    FD_RETRY = -2,  /* exists, but open() failed: try again next sample */
};

const char *const ksm_field_names[KSM_FIELD_COUNT] = {
    [KSM_PAGES_SHARED] = "pages_shared",
    [KSM_PAGES_SHARING] = "pages_sharing",
    [KSM_PAGES_UNSHARED] = "pages_unshared",
    [KSM_PAGES_VOLATILE] = "pages_volatile",
    [KSM_ZERO_PAGES] = "ksm_zero_pages",
    [KSM_STABLE_NODE_CHAINS] = "stable_node_chains",
    [KSM_STABLE_NODE_DUPS] = "stable_node_dups",
    [KSM_FULL_SCANS] = "full_scans",
    [KSM_PAGES_SCANNED] = "pages_scanned",
    [KSM_PAGES_SKIPPED] = "pages_skipped",
    [KSM_GENERAL_PROFIT] = "general_profit",
    [KSM_RUN] = "run",
    [KSM_PAGES_TO_SCAN] = "pages_to_scan",
    [KSM_SLEEP_MILLISECS] = "sleep_millisecs",
    [KSM_MAX_PAGE_SHARING] = "max_page_sharing",
    [KSM_MERGE_ACROSS_NODES] = "merge_across_nodes",
    [KSM_USE_ZERO_PAGES] = "use_zero_pages",
    [KSM_SMART_SCAN] = "smart_scan",
    [KSM_STABLE_NODE_CHAINS_PRUNE_MILLISECS] =
        "stable_node_chains_prune_millisecs",
    [KSM_ADVISOR_MODE] = "advisor_mode",
    [KSM_ADVISOR_MAX_CPU] = "advisor_max_cpu",
    [KSM_ADVISOR_TARGET_SCAN_TIME] = "advisor_target_scan_time",
    [KSM_ADVISOR_MIN_PAGES_TO_SCAN] = "advisor_min_pages_to_scan",
    [KSM_ADVISOR_MAX_PAGES_TO_SCAN] = "advisor_max_pages_to_scan",
};

/* The kernel prints general_profit and ksm_zero_pages with %ld (mm/ksm.c). */
const enum ksm_field_format ksm_field_formats[KSM_FIELD_COUNT] = {
    [KSM_ZERO_PAGES] = KSM_FMT_I64,
    [KSM_GENERAL_PROFIT] = KSM_FMT_I64,
    [KSM_ADVISOR_MODE] = KSM_FMT_SELECTION,
};

struct ksm_sampler {
    char *path;
    struct ksm_procfs *procfs; /* NULL without a procfs root */
    struct ksm_host *host;
    struct ksm_tuner_conf *tuner; /* NULL without a ksmtuned config path */
    int dirfd;
    /* The directory as opened: a change means entries came or went. */
    struct timespec dir_mtime;
    struct timespec dir_ctime;
    int fd[KSM_FIELD_COUNT];
    /* For FD_RETRY: the negative errno of the last open(). */
    int open_error[KSM_FIELD_COUNT];
    uint64_t read_errors[KSM_FIELD_COUNT];
    uint64_t page_size;
    uint64_t rmap_item_size;
    ksm_clock_fn clock;
    void *clock_arg;
    /* Full-scan tracking: the previous sample's full_scans, if any. */
    bool have_prev_scans;
    uint64_t prev_scans;
    /* The last sample in which full_scans advanced, if any. */
    bool have_advance;
    uint64_t advance_scans;
    uint64_t advance_ns;
    /* The duration derived from the last two advances, if any. */
    bool have_duration;
    double duration_seconds;
    struct ksm_rate_tracker rates;
};

static void close_files(struct ksm_sampler *s)
{
    for (int f = 0; f < KSM_FIELD_COUNT; f++) {
        if (s->fd[f] >= 0)
            close(s->fd[f]);
        s->fd[f] = FD_ABSENT;
    }
    if (s->dirfd >= 0)
        close(s->dirfd);
    s->dirfd = -1;
}

static void open_field(struct ksm_sampler *s, int f)
{
    int fd =
        openat(s->dirfd, ksm_field_names[f], O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd >= 0) {
        s->fd[f] = fd;
        return;
    }
    s->open_error[f] = -errno;
    s->fd[f] = FD_RETRY;
    /*
     * Only ENOENT says for sure that the file is not there; without a free
     * descriptor (EMFILE) every open fails, so ask fstatat(), which needs
     * none.
     */
    if (errno == ENOENT) {
        s->fd[f] = FD_ABSENT;
    } else {
        struct stat st;

        if (fstatat(s->dirfd, ksm_field_names[f], &st, 0) != 0 &&
            errno == ENOENT)
            s->fd[f] = FD_ABSENT;
    }
}

/* Opens the directory and every file in it; returns 0 or a negative errno. */
static int open_files(struct ksm_sampler *s)
{
    int dirfd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;

    if (dirfd < 0)
        return -errno;
    s->dirfd = dirfd;
    /* Taken before the files are opened, so a change in between shows. */
    if (fstat(dirfd, &st) == 0) {
        s->dir_mtime = st.st_mtim;
        s->dir_ctime = st.st_ctim;
    }
    for (int f = 0; f < KSM_FIELD_COUNT; f++)
        open_field(s, f);
    return 0;
}

/* The configured page size, else the system's; -EINVAL if not a power of 2. */
static int resolve_page_size(uint64_t configured, uint64_t *out)
{
    uint64_t page = configured;

    if (page == 0) {
        long sys = sysconf(_SC_PAGESIZE);

        page = sys > 0 ? (uint64_t)sys : 4096;
    }
    if ((page & (page - 1)) != 0)
        return -EINVAL;
    *out = page;
    return 0;
}

/*
 * Creates the readers of the sources beside the KSM directory; each further
 * source gets its reader here, from its part of the config.
 */
static int open_sources(struct ksm_sampler *s, const char *root,
                        const struct ksm_sampler_config *c)
{
    struct ksm_procfs_config pc = {.root = c->procfs_root,
                                   .processes = c->processes,
                                   .max_processes = c->max_processes,
                                   .fd_budget = c->fd_budget,
                                   .ticks = c->ticks,
                                   .page_size = s->page_size,
                                   .thp_interval = c->thp_interval,
                                   .thp_cpu_percent = c->thp_cpu_percent,
                                   .clock = s->clock,
                                   .clock_arg = s->clock_arg};
    int err = ksm_host_new(root, &s->host);

    if (err)
        return err;
    err = ksm_tuner_conf_new(c->ksmtuned_config, &s->tuner);
    if (err)
        goto out_host;
    if (!c->procfs_root)
        return 0;
    err = ksm_procfs_new(&pc, &s->procfs);
    if (err)
        goto out_tuner;
    return 0;

out_tuner:
    ksm_tuner_conf_free(s->tuner);
    s->tuner = NULL;
out_host:
    ksm_host_free(s->host);
    s->host = NULL;
    return err;
}

int ksm_sampler_new(const struct ksm_sampler_config *config,
                    struct ksm_sampler **out)
{
    static const struct ksm_sampler_config defaults = {0};
    const struct ksm_sampler_config *c = config ? config : &defaults;
    const char *root = c->sysfs_root ? c->sysfs_root : "/sys";
    struct ksm_sampler *s;
    uint64_t page;
    int err;

    if (root[0] == '\0' || resolve_page_size(c->page_size, &page) != 0)
        return -EINVAL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->path = ksm_path_join(root, KSM_SUBDIR);
    if (!s->path) {
        err = -ENOMEM;
        goto out_free;
    }
    s->dirfd = -1;
    for (int f = 0; f < KSM_FIELD_COUNT; f++)
        s->fd[f] = FD_ABSENT;
    s->page_size = page;
    s->rmap_item_size =
        c->rmap_item_size ? c->rmap_item_size : (sizeof(void *) == 8 ? 64 : 32);
    s->clock = c->clock ? c->clock : ksm_monotonic_clock;
    s->clock_arg = c->clock_arg;
    err = open_sources(s, root, c);
    if (err)
        goto out_free_path;
    *out = s;
    return 0;

out_free_path:
    free(s->path);
out_free:
    free(s);
    return err;
}

void ksm_sampler_free(struct ksm_sampler *s)
{
    if (!s)
        return;
    close_files(s);
    ksm_procfs_free(s->procfs);
    ksm_tuner_conf_free(s->tuner);
    ksm_host_free(s->host);
    free(s->path);
    free(s);
}

const char *ksm_sampler_path(const struct ksm_sampler *s)
{
    return s->path;
}

const char *ksm_sampler_ksmtuned_config(const struct ksm_sampler *s)
{
    return ksm_tuner_conf_path(s->tuner);
}

static int parse_field(struct ksm_sample *out, int f, const char *buf, size_t n)
{
    switch (ksm_field_formats[f]) {
    case KSM_FMT_I64:
        return ksm_parse_i64(buf, n, &out->value[f].i);
    case KSM_FMT_SELECTION:
        return ksm_parse_selection(buf, n, &out->advisor_mode);
    case KSM_FMT_U64:
        break;
    }
    return ksm_parse_u64(buf, n, &out->value[f].u);
}

/* Reads every file; returns how many were found gone. */
static int read_fields(struct ksm_sampler *s, struct ksm_sample *out)
{
    char buf[READ_BUF];
    int gone = 0;

    for (int f = 0; f < KSM_FIELD_COUNT; f++) {
        size_t n = 0;
        int err;

        if (s->fd[f] == FD_RETRY)
            open_field(s, f);
        if (s->fd[f] == FD_ABSENT)
            continue;
        out->exists |= KSM_FIELD_BIT(f);
        if (s->fd[f] == FD_RETRY)
            err = s->open_error[f];
        else
            err = ksm_read_fd(s->fd[f], buf, sizeof(buf), &n);
        if (err == 0)
            err = parse_field(out, f, buf, n);
        if (err == 0) {
            out->present |= KSM_FIELD_BIT(f);
            continue;
        }
        if (ksm_file_gone(err))
            gone++;
        out->failed |= KSM_FIELD_BIT(f);
        out->error[f] = err;
    }
    return gone;
}

/*
 * True when the open directory has been removed, or entries were added,
 * removed or renamed in it since it was opened.  Regular file systems keep
 * serving a removed or replaced file's old contents through its descriptor,
 * so this is asked explicitly, with one fstat(); sysfs, whose directory
 * never changes, also answers ENODEV on the files themselves.
 */
static bool dir_changed(const struct ksm_sampler *s)
{
    struct stat st;

    return fstat(s->dirfd, &st) != 0 || st.st_nlink == 0 ||
           !ksm_same_time(&st.st_mtim, &s->dir_mtime) ||
           !ksm_same_time(&st.st_ctim, &s->dir_ctime);
}

/*
 * The full-scan duration of docs/metrics.md: the time between the two most
 * recent samples in which full_scans advanced, divided by how far it advanced.
 */
static void track_full_scans(struct ksm_sampler *s, struct ksm_sample *out)
{
    uint64_t scans;

    if (!(out->present & KSM_FIELD_BIT(KSM_FULL_SCANS)))
        return;
    scans = out->value[KSM_FULL_SCANS].u;
    if (s->have_prev_scans && scans < s->prev_scans) {
        /* Not the same counter any more: forget what it said. */
        s->have_advance = false;
        s->have_duration = false;
    } else if (s->have_prev_scans && scans > s->prev_scans) {
        if (s->have_advance && out->timestamp_ns > s->advance_ns) {
            s->duration_seconds = (double)(out->timestamp_ns - s->advance_ns) /
                                  1e9 / (double)(scans - s->advance_scans);
            s->have_duration = true;
        }
        s->have_advance = true;
        s->advance_scans = scans;
        s->advance_ns = out->timestamp_ns;
    }
    s->have_prev_scans = true;
    s->prev_scans = scans;
    out->has_full_scan_duration = s->have_duration;
    out->full_scan_duration_seconds = s->duration_seconds;
}

/*
 * Reads the sources beside the KSM directory into their parts of *out; each
 * further source is read here.  ksm_up says whether the KSM directory
 * could be read.
 */
static void read_sources(struct ksm_sampler *s, bool ksm_up,
                         struct ksm_sample *out)
{
    /* THP and NUMA exist without KSM, and tell why it would not pay. */
    ksm_host_read(s->host, out->timestamp_ns, &out->host);
    /* ksmd exists only where KSM does: look for it only then. */
    if (s->procfs)
        ksm_procfs_read(s->procfs, ksm_up, &out->proc);
    ksm_tuner_conf_read(s->tuner, &out->tuner);
}

int ksm_sampler_read(struct ksm_sampler *s, struct ksm_sample *out)
{
    int err = 0;

    memset(out, 0, sizeof(*out));
    out->timestamp_ns = s->clock(s->clock_arg);
    out->page_size = s->page_size;
    out->rmap_item_size = s->rmap_item_size;

    if (s->dirfd >= 0 && dir_changed(s))
        close_files(s);
    if (s->dirfd < 0)
        err = open_files(s);
    if (err == 0 && read_fields(s, out) > 0 && out->exists == out->failed) {
        /*
         * Every file that exists answering "gone" means the directory went
         * away under us (sysfs remounted): start afresh, once, this sample.
         */
        close_files(s);
        memset(out->error, 0, sizeof(out->error));
        out->present = out->exists = out->failed = 0;
        err = open_files(s);
        if (err == 0)
            read_fields(s, out);
    }
    read_sources(s, err == 0, out);
    if (err == 0) {
        for (int f = 0; f < KSM_FIELD_COUNT; f++)
            if (out->failed & KSM_FIELD_BIT(f))
                s->read_errors[f]++;
        out->up = true;
        track_full_scans(s, out);
    }
    memcpy(out->read_errors, s->read_errors, sizeof(out->read_errors));
    ksm_rates_update(&s->rates, out);
    /* Once per sample, rather than in each series that reports it. */
    ksm_sample_derive_ksmtuned(out);
    ksm_sample_judge(out);
    return err;
}
