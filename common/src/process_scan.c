/* SPDX-License-Identifier: MIT */
/*
 * The per-process scan: every process's KSM figures and who it is; a QEMU
 * guest's own figures are read in guest_scan.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "ksm/parse.h"
#include "procfs_internal.h"

#define KSM_STAT_BUF 1024

enum read_result { LISTED, UNLISTED, VANISHED, DENIED, FAILED };

void ksm_procfs_close_kept(struct process_scan *sc, int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        sc->fds_kept--;
    }
    *fd = -1;
}

/* Closes the descriptors an entry keeps; they are opened at its next read. */
static void close_entry(struct process_scan *sc, struct scan_entry *e)
{
    ksm_procfs_close_kept(sc, &e->fd);
    ksm_procfs_close_kept(sc, &e->comm_fd);
    ksm_procfs_close_kept(sc, &e->merging_fd);
    ksm_procfs_close_kept(sc, &e->statm_fd);
    e->merging_only = false;
}

/*
 * Closes what an entry keeps and forgets who it is: it starts over.  A
 * guest's state stays until the process is identified again, which tells
 * whether it still runs the same guest.
 */
static void drop_entry(struct process_scan *sc, struct scan_entry *e)
{
    close_entry(sc, e);
    e->known = false;
}

/* Closes and frees what an entry of a process that is gone holds. */
static void discard_entry(struct process_scan *sc, struct scan_entry *e)
{
    drop_entry(sc, e);
    ksm_procfs_forget_guest(sc, e);
}

void ksm_procfs_scan_free(struct ksm_procfs *r)
{
    struct process_scan *sc = &r->scan;

    for (size_t i = 0; i < sc->nent; i++)
        discard_entry(sc, &sc->ent[i]);
    free(sc->ent);
    free(sc->next);
    free(sc->pids);
    free(sc->out);
    sc->ent = sc->next = NULL;
    sc->pids = NULL;
    sc->out = NULL;
    sc->nent = sc->ent_cap = sc->next_cap = sc->pid_cap = sc->out_cap = 0;
}

/* Grows *p to hold at least want elements of size; 0 or -ENOMEM. */
static int grow(void **p, size_t *cap, size_t want, size_t size)
{
    size_t n = *cap ? *cap : 64;
    void *q;

    if (want <= *cap)
        return 0;
    while (n < want)
        n *= 2;
    q = realloc(*p, n * size);
    if (!q)
        return -ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

/* The PIDs in the root, ascending, at most max; returns how many. */
static size_t list_pids(struct ksm_procfs *r, uint64_t *over)
{
    struct process_scan *sc = &r->scan;
    struct dirent *d;
    size_t n = 0;
    bool sorted = true;

    rewinddir(r->dir);
    while ((d = readdir(r->dir)) != NULL) {
        int pid;

        if (ksm_procfs_parse_pid(d->d_name, &pid) != 0)
            continue;
        if (n == sc->max_processes ||
            grow((void **)&sc->pids, &sc->pid_cap, n + 1, sizeof(int)) != 0) {
            (*over)++;
            continue;
        }
        if (n > 0 && pid < sc->pids[n - 1])
            sorted = false;
        sc->pids[n++] = pid;
    }
    /* procfs lists PIDs in ascending order; do not depend on it. */
    if (!sorted)
        qsort(sc->pids, n, sizeof(int), cmp_int);
    return n;
}

/*
 * True for a process that docs/metrics.md lists: one with KSM activity (a
 * non-zero figure), or a QEMU guest, which is listed even when it opted out.
 */
static bool worth_listing(const struct ksm_process *p)
{
    const struct ksm_process_figures *f = &p->figures;

    if (p->qemu)
        return true;
    for (int i = 0; i < KSM_PROC_FIELD_COUNT; i++)
        if ((f->present & (1u << i)) && f->value[i] != 0)
            return true;
    return false;
}

int ksm_procfs_read_at(int dirfd, const char *path, char *buf, size_t cap,
                       size_t *len)
{
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    int err;

    if (fd < 0)
        return -errno;
    err = ksm_read_fd(fd, buf, cap, len);
    close(fd);
    return err;
}

int ksm_procfs_open_kept(struct ksm_procfs *r, const struct scan_entry *e,
                         const char *name, int *fd)
{
    char path[48];

    snprintf(path, sizeof(path), "%d/%s", e->pid, name);
    *fd = openat(r->rootfd, path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return -errno;
    r->scan.fds_kept++;
    return 0;
}

/* Classifies a failure to open or read one of the process's files. */
static enum read_result classify_failure(struct ksm_procfs *r, int err)
{
    if (ksm_file_gone(err))
        return VANISHED;
    if (err == -EACCES || err == -EPERM)
        return DENIED;
    r->errors[KSM_SRC_KSM_STAT]++;
    return FAILED;
}

bool ksm_procfs_process_exists(const struct ksm_procfs *r,
                               const struct scan_entry *e)
{
    char path[16];

    snprintf(path, sizeof(path), "%d", e->pid);
    return faccessat(r->rootfd, path, F_OK, 0) == 0;
}

/*
 * Opens what the process's entry lacks: its KSM file and its comm.  A KSM
 * file that is refused (ksm_stat is mode 0400: root, its owner or
 * CAP_DAC_READ_SEARCH), or that this kernel lacks, leaves e->fd at -1 and
 * the process is read without KSM figures: a QEMU guest is listed all the
 * same, since its resident memory (statm and cmdline are mode 0444) is
 * what ksmtuned's committed memory sums.  A refusal sets *refused, and is
 * tried again at the next scan.  Returns LISTED when comm is open (the
 * process may yet be listed), else what became of it.
 */
static enum read_result open_source(struct ksm_procfs *r, struct scan_entry *e,
                                    bool *refused)
{
    int err = 0;

    if (e->fd < 0 && !e->no_source) {
        err = ksm_procfs_open_kept(r, e, "ksm_stat", &e->fd);
        if (err == -ENOENT) {
            err = ksm_procfs_open_kept(r, e, "ksm_merging_pages", &e->fd);
            e->merging_only = err == 0;
        }
        if (err == -ENOENT) {
            /* Neither file: a kernel without them, or the process is gone. */
            if (!ksm_procfs_process_exists(r, e))
                return VANISHED;
            e->no_source = true;
            err = 0;
        }
        if (err == -EACCES || err == -EPERM) {
            *refused = true;
            err = 0;
        }
        if (err)
            return classify_failure(r, err);
    }
    if (e->comm_fd < 0)
        err = ksm_procfs_open_kept(r, e, "comm", &e->comm_fd);
    if (err) {
        drop_entry(&r->scan, e);
        return classify_failure(r, err);
    }
    return LISTED;
}

/*
 * Kernels 6.1 to 6.3 print ksm_stat without ksm_merging_pages, which they
 * have as a file of its own: read it there.
 */
static int read_merging_file(struct ksm_procfs *r, struct scan_entry *e,
                             struct ksm_process_figures *f)
{
    char buf[32];
    size_t n;
    int err = 0;

    if (e->merging_fd < 0)
        err = ksm_procfs_open_kept(r, e, "ksm_merging_pages", &e->merging_fd);
    if (err == -ENOENT)
        return 0; /* not on this kernel either */
    if (err == 0)
        err = ksm_read_fd(e->merging_fd, buf, sizeof(buf), &n);
    if (err == 0)
        err = ksm_parse_merging_pages(buf, n, f);
    return err;
}

/* Parses the text of the process's KSM file into its figures f. */
static int parse_figures(struct ksm_procfs *r, struct scan_entry *e,
                         const char *buf, size_t n,
                         struct ksm_process_figures *f)
{
    int err;

    if (e->merging_only) {
        struct ksm_process_figures merging = {0};

        /* The kernel has no ksm_stat: this figure is all there is. */
        err = ksm_parse_merging_pages(buf, n, &merging);
        if (err == 0)
            *f = merging;
        return err;
    }
    err = ksm_parse_ksm_stat(buf, n, f);
    if (err == 0 && !(f->present & (1u << KSM_PROC_MERGING_PAGES)))
        err = read_merging_file(r, e, f);
    return err;
}

/*
 * Reads the process's KSM file into buf, opening it first when needed.
 * Returns LISTED with the read's result in *err and its length in *n (0
 * when the process has no KSM file to read, see open_source()), or why
 * there is nothing to read.
 */
static enum read_result read_ksm_file(struct ksm_procfs *r,
                                      struct scan_entry *e, char *buf,
                                      size_t *n, int *err, bool *refused)
{
    for (bool retried = false;; retried = true) {
        enum read_result res = open_source(r, e, refused);

        if (res != LISTED || e->fd < 0)
            return res;
        *err = ksm_read_fd(e->fd, buf, KSM_STAT_BUF, n);
        if (!ksm_file_gone(*err) || retried)
            return LISTED;
        /*
         * The process behind a kept descriptor exited; a process listed
         * under the same PID is a new one: start over, once.
         */
        discard_entry(&r->scan, e);
    }
}

/*
 * Reads one process's KSM figures into p (zeroed) and, when they are new,
 * who it is.  A process without a KSM file to read has no figures (present
 * is 0), and is listed only when it is a QEMU guest.  *refused says
 * whether access to its KSM file was refused, whatever the result.
 */
static enum read_result read_process(struct ksm_procfs *r, struct scan_entry *e,
                                     struct ksm_process *p, bool *refused)
{
    char buf[KSM_STAT_BUF];
    size_t n = 0;
    int err = 0;
    enum read_result res = read_ksm_file(r, e, buf, &n, &err, refused);

    if (res != LISTED)
        return res;
    if (e->fd >= 0 && err == 0 && n == 0)
        return UNLISTED; /* a kernel thread: no mm, nothing to say */
    if (e->fd >= 0 && err == 0)
        err = parse_figures(r, e, buf, n, &p->figures);
    if (err == 0)
        err = ksm_procfs_refresh_identity(r, e, p->comm);
    p->qemu = e->guest != NULL;
    if (err == 0 && p->qemu)
        err = ksm_procfs_read_rss(r, e, p);
    if (err)
        return classify_failure(r, err);
    return worth_listing(p) ? LISTED : UNLISTED;
}

static enum read_result read_entry(struct ksm_procfs *r, struct scan_entry *e,
                                   struct ksm_process *p, bool *refused)
{
    enum read_result res = read_process(r, e, p, refused);

    /* A process that is gone is discarded by the caller. */
    if (res != VANISHED && r->scan.fds_kept > r->scan.fd_budget) {
        /*
         * Beyond the budget no descriptor is kept: the next scan opens the
         * files afresh and reads comm again.  Who the process is stays
         * known while comm is the same, so that it costs no command line
         * read per scan; a QEMU process is identified again at every scan,
         * since without a kept descriptor the guest behind a reused PID
         * could have the same comm and another name.
         */
        close_entry(&r->scan, e);
        if (e->guest)
            e->known = false;
    }
    return res;
}

/*
 * The entry for pid: the last scan's, when it saw this PID, else a new one.
 * Both lists ascend, so the last scan's entries before pid have exited.
 */
static struct scan_entry take_entry(struct process_scan *sc, size_t *i, int pid)
{
    struct scan_entry e = {
        .pid = pid, .fd = -1, .comm_fd = -1, .merging_fd = -1, .statm_fd = -1};

    while (*i < sc->nent && sc->ent[*i].pid < pid)
        discard_entry(sc, &sc->ent[(*i)++]);
    if (*i < sc->nent && sc->ent[*i].pid == pid)
        e = sc->ent[(*i)++];
    return e;
}

/* The new list becomes the cache; the old array is reused next time. */
static void keep_list(struct process_scan *sc, size_t nnext)
{
    struct scan_entry *t = sc->ent;
    size_t c = sc->ent_cap;

    sc->ent = sc->next;
    sc->ent_cap = sc->next_cap;
    sc->next = t;
    sc->next_cap = c;
    sc->nent = nnext;
}

/*
 * Appends p, the process of e, to this scan's list: its PID as a label,
 * and what its guest state keeps (the THP share comes with
 * ksm_procfs_read_thp_shares()).
 */
static void list_process(struct process_scan *sc, struct scan_entry *e,
                         struct ksm_process *p, size_t *nout)
{
    snprintf(p->pid, sizeof(p->pid), "%d", e->pid);
    if (e->guest) {
        memcpy(p->vm, e->guest->vm, sizeof(p->vm));
        p->ksmtuned_counted = e->guest->ksmtuned_counted;
    }
    e->listed_at = (uint32_t)*nout;
    sc->out[(*nout)++] = *p;
}

/*
 * Room for the next list and for listing every PID.  Only the pages of the
 * processes listed are touched (a few hundred): the rest of a large list
 * costs no memory.  Returns 0 or -ENOMEM.
 */
static int make_room(struct process_scan *sc, size_t npids)
{
    if (grow((void **)&sc->next, &sc->next_cap, npids,
             sizeof(struct scan_entry)) != 0)
        return -ENOMEM;
    return grow((void **)&sc->out, &sc->out_cap, npids ? npids : 1,
                sizeof(struct ksm_process));
}

void ksm_procfs_scan(struct ksm_procfs *r, struct ksm_procfs_sample *out)
{
    struct process_scan *sc = &r->scan;
    uint64_t now = sc->clock(sc->clock_arg);
    size_t npids = list_pids(r, &out->over_limit);
    size_t i = 0, nnext = 0, nout = 0;

    if (make_room(sc, npids) != 0) {
        out->over_limit += npids;
        return;
    }
    for (size_t j = 0; j < npids; j++) {
        struct scan_entry e = take_entry(sc, &i, sc->pids[j]);
        struct ksm_process p = {0};
        bool refused = false;
        enum read_result res;

        out->examined++;
        e.listed_at = NOT_LISTED;
        res = read_entry(r, &e, &p, &refused);
        /* A guest whose KSM file is refused is listed, and denied too. */
        if (refused && res != VANISHED && res != DENIED)
            out->denied++;
        if (res == VANISHED) {
            sc->vanished++;
            discard_entry(sc, &e);
            continue;
        }
        if (res == LISTED)
            list_process(sc, &e, &p, &nout);
        else if (res == DENIED)
            out->denied++;
        sc->next[nnext++] = e;
    }
    while (i < sc->nent)
        discard_entry(sc, &sc->ent[i++]);
    ksm_procfs_read_thp_shares(r, nnext, now);
    keep_list(sc, nnext);
    out->processes = sc->out;
    out->nprocesses = nout;
}
