/* SPDX-License-Identifier: MIT */
/*
 * The per-process scan: every process's KSM figures, who it is, and a QEMU
 * guest's resident memory, ksmtuned's view and THP share.
 */
/* Long: the guests' figures share the scan's entries and kept descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "ksm/clock.h"
#include "ksm/ksmtuned.h"
#include "ksm/parse.h"
#include "procfs_internal.h"

#define KSM_STAT_BUF 1024
#define STATM_BUF    256
/* smaps_rollup is some 25 short lines: about 1 KiB. */
#define SMAPS_BUF  4096
#define NOT_LISTED SIZE_MAX

/* A process seen by the last scan. */
struct scan_entry {
    int pid;
    int fd;            /* its ksm_stat (or ksm_merging_pages), or -1 */
    int comm_fd;       /* its comm, kept with fd, or -1 */
    int merging_fd;    /* ksm_merging_pages beside a ksm_stat without it */
    int statm_fd;      /* a QEMU process's statm, kept with fd, or -1 */
    bool known;        /* comm and VM name read */
    bool merging_only; /* the kernel has ksm_merging_pages, not ksm_stat */
    bool no_source;    /* the kernel has neither */
    /*
     * A QEMU process's smaps_rollup: read (or tried) at thp_read_ns; the
     * value, if the read succeeded, is in info until the process goes.
     */
    bool thp_tried;
    uint64_t thp_read_ns;
    size_t listed_at; /* its index in this scan's list, or NOT_LISTED */
    struct ksm_process info;
};

enum read_result { LISTED, UNLISTED, VANISHED, DENIED, FAILED };

static void close_kept(struct process_scan *sc, int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        sc->fds_kept--;
    }
    *fd = -1;
}

/* Closes what an entry keeps; it starts over at its next read. */
static void drop_entry(struct process_scan *sc, struct scan_entry *e)
{
    close_kept(sc, &e->fd);
    close_kept(sc, &e->comm_fd);
    close_kept(sc, &e->merging_fd);
    close_kept(sc, &e->statm_fd);
    e->known = false;
    e->merging_only = false;
}

/*
 * Forgets what is known of a QEMU process beyond its KSM figures: another
 * program, or another guest, now runs under its PID.
 */
static void forget_guest(struct process_scan *sc, struct scan_entry *e)
{
    close_kept(sc, &e->statm_fd);
    e->info.has_rss = false;
    e->info.ksmtuned_counted = false;
    e->info.has_thp_anon = false;
    e->info.rss_bytes = 0;
    e->info.thp_anon_bytes = 0;
    e->info.thp_anon_age_seconds = 0;
    e->thp_tried = false;
    e->thp_read_ns = 0;
}

static uint64_t monotonic_clock(void *arg)
{
    (void)arg;
    return ksm_monotonic_ns();
}

void ksm_procfs_scan_configure(struct process_scan *sc,
                               const struct ksm_procfs_config *c)
{
    long page = sysconf(_SC_PAGESIZE);
    uint64_t interval =
        c->thp_interval ? c->thp_interval : KSM_THP_INTERVAL_DEFAULT;

    if (interval > KSM_THP_INTERVAL_MAX)
        interval = KSM_THP_INTERVAL_MAX;
    sc->page_size =
        c->page_size ? c->page_size : (page > 0 ? (uint64_t)page : 4096);
    sc->thp_interval_ns = interval * UINT64_C(1000000000);
    sc->clock = c->clock ? c->clock : monotonic_clock;
    sc->clock_arg = c->clock_arg;
}

void ksm_procfs_scan_free(struct ksm_procfs *r)
{
    struct process_scan *sc = &r->scan;

    for (size_t i = 0; i < sc->nent; i++)
        drop_entry(sc, &sc->ent[i]);
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

/*
 * QEMU guests by process or program name: qemu-system-* (comm is cut to 15
 * bytes: "qemu-system-x86"), qemu-kvm (RHEL), kvm (Proxmox), and "qemu:NAME"
 * that QEMU's -name process=... sets.  qemu-img, qemu-nbd, qemu-pr-helper
 * and the like are tools, not guests.
 */
static bool is_qemu_name(const char *name, size_t len)
{
    return (len > 12 && memcmp(name, "qemu-system-", 12) == 0) ||
           (len > 5 && memcmp(name, "qemu:", 5) == 0) ||
           (len == 8 && memcmp(name, "qemu-kvm", 8) == 0) ||
           (len == 3 && memcmp(name, "kvm", 3) == 0);
}

/* Reads a comm file into out (KSM_COMM_LEN), without its newline. */
static int read_comm(int fd, char *out)
{
    size_t n;
    int err = ksm_read_fd(fd, out, KSM_COMM_LEN - 1, &n);

    if (err == -EOVERFLOW) {
        n = KSM_COMM_LEN - 1;
        err = 0;
    }
    if (err)
        return err;
    while (n > 0 && out[n - 1] == '\n')
        n--;
    out[n] = '\0';
    ksm_sanitize_text(out);
    return 0;
}

/* Reads a small file below the root at once; 0 or a negative errno. */
static int read_at(int dirfd, const char *path, char *buf, size_t cap,
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

/*
 * Whether Debian's ksmtuned counts the process, whose command line's first
 * n bytes are in cmdline (cut when the line is longer).  pgrep looks at up
 * to 128 KiB, more than the scan's buffer: a cut line that begins as the
 * pattern does, without "-enable-kvm" in its first part, is read again
 * whole, once per identification.  A line that cannot be read again is
 * taken as not counted.
 */
static bool ksmtuned_counts(struct ksm_procfs *r, const struct scan_entry *e,
                            const char *cmdline, size_t n, bool cut)
{
    static const char prefix[] = "qemu-system";
    char path[32];
    char *buf;
    size_t len = 0;
    bool counted;
    int err;

    if (ksm_ksmtuned_counts(cmdline, n))
        return true;
    if (!cut || memcmp(cmdline, prefix, sizeof(prefix) - 1) != 0)
        return false;
    buf = malloc(KSM_KSMTUNED_CMDLINE_MAX + 1);
    if (!buf)
        return false;
    snprintf(path, sizeof(path), "%d/cmdline", e->pid);
    err = read_at(r->rootfd, path, buf, KSM_KSMTUNED_CMDLINE_MAX + 1, &len);
    if (err == -EOVERFLOW) {
        len = KSM_KSMTUNED_CMDLINE_MAX + 1;
        err = 0;
    }
    counted = err == 0 && ksm_ksmtuned_counts(buf, len);
    free(buf);
    return counted;
}

/*
 * Reads the process's command line to tell whether it is a QEMU guest, the
 * guest's name, and whether ksmtuned counts it.  What was known of another
 * guest under this PID is forgotten.  Returns 0 or the negative errno of
 * reading it.
 */
static int identify_program(struct ksm_procfs *r, struct scan_entry *e)
{
    char *cmdline = r->scan.cmdline;
    char path[32];
    char old_vm[KSM_VM_NAME_LEN];
    const char *base;
    bool was_qemu = e->info.qemu;
    bool cut = false;
    size_t n, len;
    int err;

    snprintf(path, sizeof(path), "%d/cmdline", e->pid);
    err = read_at(r->rootfd, path, cmdline, CMDLINE_BUF, &n);
    if (err == -EOVERFLOW) {
        /* A longer command line: the first part holds QEMU's -name. */
        n = CMDLINE_BUF;
        cut = true;
        err = 0;
    }
    if (err)
        return err;
    memcpy(old_vm, e->info.vm, sizeof(old_vm));
    len = strnlen(cmdline, n);
    base = memrchr(cmdline, '/', len);
    base = base ? base + 1 : cmdline;
    e->info.qemu = is_qemu_name(e->info.comm, strlen(e->info.comm)) ||
                   is_qemu_name(base, (size_t)(cmdline + len - base));
    e->info.vm[0] = '\0';
    if (e->info.qemu &&
        ksm_parse_qemu_name(cmdline, n, e->info.vm, sizeof(e->info.vm)) != 0)
        e->info.vm[0] = '\0';
    if (!e->info.qemu || !was_qemu || strcmp(old_vm, e->info.vm) != 0)
        forget_guest(&r->scan, e);
    e->info.ksmtuned_counted =
        e->info.qemu && ksmtuned_counts(r, e, cmdline, n, cut);
    e->known = true;
    return 0;
}

/* Opens a file of the process, counted as kept until drop_entry(). */
static int open_kept(struct ksm_procfs *r, const struct scan_entry *e,
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

/* Whether the process's directory is still there. */
static bool process_exists(const struct ksm_procfs *r,
                           const struct scan_entry *e)
{
    char path[16];

    snprintf(path, sizeof(path), "%d", e->pid);
    return faccessat(r->rootfd, path, F_OK, 0) == 0;
}

/*
 * Opens a new process's KSM file and its comm.  Returns LISTED when both
 * are open (the process may yet be listed), else what became of it.
 */
static enum read_result open_source(struct ksm_procfs *r, struct scan_entry *e)
{
    int err = open_kept(r, e, "ksm_stat", &e->fd);

    if (err == -ENOENT) {
        err = open_kept(r, e, "ksm_merging_pages", &e->fd);
        e->merging_only = err == 0;
    }
    if (err == -ENOENT) {
        /* Neither file: a kernel without them, or the process is gone. */
        if (!process_exists(r, e))
            return VANISHED;
        e->no_source = true;
        return UNLISTED;
    }
    if (err)
        return classify_failure(r, err);
    err = open_kept(r, e, "comm", &e->comm_fd);
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
static int read_merging_file(struct ksm_procfs *r, struct scan_entry *e)
{
    char buf[32];
    size_t n;
    int err = 0;

    if (e->merging_fd < 0)
        err = open_kept(r, e, "ksm_merging_pages", &e->merging_fd);
    if (err == -ENOENT)
        return 0; /* not on this kernel either */
    if (err == 0)
        err = ksm_read_fd(e->merging_fd, buf, sizeof(buf), &n);
    if (err == 0)
        err = ksm_parse_merging_pages(buf, n, &e->info.figures);
    return err;
}

/* Parses the text of the process's KSM file into its figures. */
static int parse_figures(struct ksm_procfs *r, struct scan_entry *e,
                         const char *buf, size_t n)
{
    struct ksm_process_figures *f = &e->info.figures;
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
        err = read_merging_file(r, e);
    return err;
}

/*
 * Reads comm at every scan: a process seen between fork and exec (libvirt's
 * child before it becomes QEMU) changes it, and is identified again.
 */
static int refresh_identity(struct ksm_procfs *r, struct scan_entry *e)
{
    char comm[KSM_COMM_LEN];
    int err = read_comm(e->comm_fd, comm);

    if (err)
        return err;
    if (e->known && strcmp(comm, e->info.comm) == 0)
        return 0;
    memcpy(e->info.comm, comm, sizeof(comm));
    snprintf(e->info.pid, sizeof(e->info.pid), "%d", e->pid);
    return identify_program(r, e);
}

/*
 * Reads the process's KSM file into buf, opening it first when needed.
 * Returns LISTED with the read's result in *err, or why there is nothing
 * to read.
 */
static enum read_result read_ksm_file(struct ksm_procfs *r,
                                      struct scan_entry *e, char *buf,
                                      size_t *n, int *err)
{
    for (bool retried = false;; retried = true) {
        if (e->no_source)
            return UNLISTED;
        if (e->fd < 0) {
            enum read_result res = open_source(r, e);

            if (res != LISTED)
                return res;
        }
        *err = ksm_read_fd(e->fd, buf, KSM_STAT_BUF, n);
        if (!ksm_file_gone(*err) || retried)
            return LISTED;
        /*
         * The process behind a kept descriptor exited; a process listed
         * under the same PID is a new one: start over, once.
         */
        drop_entry(&r->scan, e);
        forget_guest(&r->scan, e);
    }
}

/*
 * Reads a QEMU process's resident memory at every scan, through a statm
 * descriptor kept with its ksm_stat.  statm's second field sums the same
 * counters that status prints as VmRSS, which `ps -o rss` (and so
 * ksmtuned) reports in kB; statm is the cheapest file that has it: one
 * short line, where status formats some 60 lines and stat adds up the
 * times of every thread.  A failure leaves the figure out and is counted.
 * Returns 0, or the negative errno that says the process is gone.
 */
static int read_rss(struct ksm_procfs *r, struct scan_entry *e)
{
    char buf[STATM_BUF];
    size_t n = 0;
    uint64_t pages = 0, bytes = 0;
    int err = 0;

    e->info.has_rss = false;
    if (e->statm_fd < 0)
        err = open_kept(r, e, "statm", &e->statm_fd);
    if (err == 0)
        err = ksm_read_fd(e->statm_fd, buf, sizeof(buf), &n);
    if (err == 0)
        err = ksm_parse_statm_resident(buf, n, &pages);
    if (err == 0 && __builtin_mul_overflow(pages, r->scan.page_size, &bytes))
        err = -ERANGE;
    if (err == -ENOENT && process_exists(r, e))
        return 0; /* no statm here: the figure is absent, no failure */
    if (ksm_file_gone(err))
        return err;
    if (err) {
        r->errors[KSM_SRC_STATM]++;
        return 0;
    }
    e->info.rss_bytes = bytes;
    e->info.has_rss = true;
    return 0;
}

/* Reads one process's KSM figures and, when they are new, who it is. */
static enum read_result read_process(struct ksm_procfs *r, struct scan_entry *e)
{
    char buf[KSM_STAT_BUF];
    size_t n = 0;
    int err = 0;
    enum read_result res = read_ksm_file(r, e, buf, &n, &err);

    if (res != LISTED)
        return res;
    if (err == 0 && n == 0)
        return UNLISTED; /* a kernel thread: no mm, nothing to say */
    if (err == 0)
        err = parse_figures(r, e, buf, n);
    if (err == 0)
        err = refresh_identity(r, e);
    if (err == 0 && e->info.qemu)
        err = read_rss(r, e);
    if (err)
        return classify_failure(r, err);
    return worth_listing(&e->info) ? LISTED : UNLISTED;
}

static enum read_result read_entry(struct ksm_procfs *r, struct scan_entry *e)
{
    enum read_result res = read_process(r, e);

    /* Beyond the budget nothing is kept: the next scan opens afresh. */
    if (r->scan.fds_kept > r->scan.fd_budget || res == VANISHED)
        drop_entry(&r->scan, e);
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
        drop_entry(sc, &sc->ent[(*i)++]);
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
 * Reads a QEMU process's AnonHugePages from smaps_rollup.  The kernel walks
 * the guest's page tables under its mmap lock for this (~180 us for a
 * 512 MiB guest, more for larger ones), so it is read on a cadence of its
 * own, never at every scan.  A process gone meanwhile, or a kernel without
 * the file, leaves the value out uncounted; any other failure leaves it out
 * and is counted.  Either way the next try waits a whole interval.
 */
static void read_thp(struct ksm_procfs *r, struct scan_entry *e, uint64_t now)
{
    char buf[SMAPS_BUF];
    char path[32];
    size_t n = 0;
    uint64_t kb = 0;
    int err;

    e->thp_tried = true;
    e->thp_read_ns = now;
    e->info.has_thp_anon = false;
    snprintf(path, sizeof(path), "%d/smaps_rollup", e->pid);
    err = read_at(r->rootfd, path, buf, sizeof(buf), &n);
    if (ksm_file_gone(err))
        return;
    if (err == 0)
        err = ksm_parse_anon_huge_pages(buf, n, &kb);
    if (err == 0 && kb > UINT64_MAX / 1024)
        err = -ERANGE;
    if (err) {
        r->errors[KSM_SRC_SMAPS_ROLLUP]++;
        return;
    }
    e->info.thp_anon_bytes = kb * 1024;
    e->info.has_thp_anon = true;
}

/* Whether e is a listed QEMU process whose smaps_rollup is due at now. */
static bool thp_due(const struct process_scan *sc, const struct scan_entry *e,
                    uint64_t now)
{
    return e->listed_at != NOT_LISTED && e->info.qemu &&
           (!e->thp_tried || now < e->thp_read_ns ||
            now - e->thp_read_ns >= sc->thp_interval_ns);
}

/*
 * How many smaps_rollup reads this scan may make: the guests' share of the
 * time since the last scan (at most one interval), rounded up, and at least
 * one.  Over one interval that reads each guest about once, one scan after
 * another, so that guests that appear together (at start-up) are read
 * over one interval rather than all in one scan.
 */
static size_t thp_budget(const struct process_scan *sc, size_t nguests,
                         uint64_t now)
{
    uint64_t elapsed = 0;
    double share;

    if (sc->have_last_scan && now > sc->last_scan_ns)
        elapsed = now - sc->last_scan_ns;
    if (elapsed > sc->thp_interval_ns)
        elapsed = sc->thp_interval_ns;
    share =
        ceil((double)nguests * (double)elapsed / (double)sc->thp_interval_ns);
    return share < 1 ? 1 : (size_t)share;
}

/*
 * Reads the smaps_rollup of the listed QEMU processes that are due, oldest
 * reading first (never read counts as oldest), within this scan's budget;
 * then gives every listed guest its kept value and that value's age.
 */
static void read_thp_shares(struct ksm_procfs *r, size_t nnext, uint64_t now)
{
    struct process_scan *sc = &r->scan;
    size_t nguests = 0;
    size_t budget;

    for (size_t i = 0; i < nnext; i++)
        nguests += sc->next[i].listed_at != NOT_LISTED && sc->next[i].info.qemu;
    budget = nguests ? thp_budget(sc, nguests, now) : 0;
    for (size_t k = 0; k < budget; k++) {
        struct scan_entry *oldest = NULL;

        for (size_t i = 0; i < nnext; i++) {
            struct scan_entry *e = &sc->next[i];

            if (thp_due(sc, e, now) &&
                (!oldest ||
                 (oldest->thp_tried &&
                  (!e->thp_tried || e->thp_read_ns < oldest->thp_read_ns))))
                oldest = e;
        }
        if (!oldest)
            break;
        read_thp(r, oldest, now);
    }
    for (size_t i = 0; i < nnext; i++) {
        const struct scan_entry *e = &sc->next[i];
        struct ksm_process *p;

        if (e->listed_at == NOT_LISTED || !e->info.qemu)
            continue;
        p = &sc->out[e->listed_at];
        p->has_thp_anon = e->info.has_thp_anon;
        p->thp_anon_bytes = e->info.thp_anon_bytes;
        p->thp_anon_age_seconds = e->info.has_thp_anon && now > e->thp_read_ns
                                      ? (double)(now - e->thp_read_ns) / 1e9
                                      : 0;
    }
    sc->last_scan_ns = now;
    sc->have_last_scan = true;
}

void ksm_procfs_scan(struct ksm_procfs *r, struct ksm_procfs_sample *out)
{
    struct process_scan *sc = &r->scan;
    uint64_t now = sc->clock(sc->clock_arg);
    size_t npids = list_pids(r, &out->over_limit);
    size_t i = 0, nnext = 0, nout = 0;

    if (grow((void **)&sc->next, &sc->next_cap, npids,
             sizeof(struct scan_entry)) != 0 ||
        grow((void **)&sc->out, &sc->out_cap, npids ? npids : 1,
             sizeof(struct ksm_process)) != 0) {
        out->over_limit += npids;
        return;
    }
    for (size_t j = 0; j < npids; j++) {
        struct scan_entry e = take_entry(sc, &i, sc->pids[j]);

        out->examined++;
        e.listed_at = NOT_LISTED;
        switch (read_entry(r, &e)) {
        case LISTED:
            e.listed_at = nout;
            sc->out[nout++] = e.info;
            break;
        case VANISHED:
            sc->vanished++;
            drop_entry(sc, &e);
            continue;
        case DENIED:
            out->denied++;
            break;
        case UNLISTED:
        case FAILED:
            break;
        }
        sc->next[nnext++] = e;
    }
    while (i < sc->nent)
        drop_entry(sc, &sc->ent[i++]);
    read_thp_shares(r, nnext, now);
    keep_list(sc, nnext);
    out->processes = sc->out;
    out->nprocesses = nout;
}
