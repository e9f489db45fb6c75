/* SPDX-License-Identifier: MIT */
/* ksmd's CPU time, vmstat's KSM counters and the per-process scan. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "io.h"
#include "ksm/clock.h"
#include "ksm/procfs.h"

#define PF_KTHREAD       0x00200000u /* include/linux/sched.h */
#define KTHREADD_PID     2
#define KSMD_RETRY_NS    (60 * UINT64_C(1000000000))
#define VMSTAT_BUF       32768
#define CMDLINE_BUF      16384
#define KSM_STAT_BUF     1024
#define DEFAULT_MAX_PROC 65536

const char *const ksm_proc_source_names[KSM_SRC_COUNT] = {
    [KSM_SRC_VMSTAT] = "vmstat",
    [KSM_SRC_KSMD_STAT] = "ksmd_stat",
    [KSM_SRC_KSM_STAT] = "ksm_stat",
};

/* A process seen by the last scan. */
struct entry {
    int pid;
    int fd;            /* its ksm_stat (or ksm_merging_pages), or -1 */
    int comm_fd;       /* its comm, kept with fd, or -1 */
    int merging_fd;    /* ksm_merging_pages beside a ksm_stat without it */
    bool known;        /* comm and VM name read */
    bool merging_only; /* the kernel has ksm_merging_pages, not ksm_stat */
    bool no_source;    /* the kernel has neither */
    struct ksm_process info;
};

struct ksm_procfs {
    char *root;
    int rootfd;
    DIR *dir;
    int vmstat_fd;
    /* Where cow_ksm and ksm_swpin_copy were last found in vmstat. */
    size_t vmstat_hint[2];
    int ksmd_fd;
    uint64_t ksmd_searched_ns;
    bool ksmd_searched;
    bool processes;
    size_t max_processes;
    size_t fd_budget;
    size_t fds_kept;
    double ticks;
    uint64_t errors[KSM_SRC_COUNT];
    uint64_t vanished;

    struct entry *ent, *next;
    size_t nent, ent_cap, next_cap;
    int *pids;
    size_t pid_cap;
    struct ksm_process *out;
    size_t out_cap;
    char vmstat[VMSTAT_BUF];
    char cmdline[CMDLINE_BUF];
};

int ksm_procfs_new(const struct ksm_procfs_config *c, struct ksm_procfs **out)
{
    struct ksm_procfs *r;
    struct rlimit rl;
    long ticks = sysconf(_SC_CLK_TCK);

    if (!c->root || c->root[0] == '\0')
        return -EINVAL;
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->root = strdup(c->root);
    if (!r->root) {
        free(r);
        return -ENOMEM;
    }
    r->rootfd = -1;
    r->vmstat_fd = -1;
    r->ksmd_fd = -1;
    r->processes = c->processes;
    r->max_processes = c->max_processes ? c->max_processes : DEFAULT_MAX_PROC;
    r->ticks = c->ticks ? (double)c->ticks : (ticks > 0 ? (double)ticks : 100);
    r->fd_budget = c->fd_budget;
    if (r->fd_budget == 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0)
        r->fd_budget = rl.rlim_cur == RLIM_INFINITY ? 1 << 20
                                                    : (size_t)rl.rlim_cur / 2;
    *out = r;
    return 0;
}

static void close_kept(struct ksm_procfs *r, int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        r->fds_kept--;
    }
    *fd = -1;
}

/* Closes what an entry keeps; it starts over at its next read. */
static void drop_entry(struct ksm_procfs *r, struct entry *e)
{
    close_kept(r, &e->fd);
    close_kept(r, &e->comm_fd);
    close_kept(r, &e->merging_fd);
    e->known = false;
    e->merging_only = false;
}

void ksm_procfs_free(struct ksm_procfs *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nent; i++)
        drop_entry(r, &r->ent[i]);
    if (r->dir)
        closedir(r->dir);
    if (r->rootfd >= 0)
        close(r->rootfd);
    if (r->vmstat_fd >= 0)
        close(r->vmstat_fd);
    if (r->ksmd_fd >= 0)
        close(r->ksmd_fd);
    free(r->ent);
    free(r->next);
    free(r->pids);
    free(r->out);
    free(r->root);
    free(r);
}

/* Opens the procfs root once; false while it cannot be opened. */
static bool open_root(struct ksm_procfs *r)
{
    int fd;

    if (r->rootfd >= 0)
        return true;
    r->rootfd = open(r->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r->rootfd < 0)
        return false;
    fd = openat(r->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    r->dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (!r->dir) {
        if (fd >= 0)
            close(fd);
        close(r->rootfd);
        r->rootfd = -1;
        return false;
    }
    return true;
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
 * ksm_parse_vmstat(), looking first where the line was last time: the
 * kernel prints vmstat in a fixed order, so the line moves only by the
 * widths of the numbers before it.
 */
static int vmstat_lookup(const char *text, size_t n, const char *key,
                         size_t *hint, uint64_t *out)
{
    size_t klen = strlen(key);

    for (size_t h = *hint > 64 ? *hint - 64 : 0; h < *hint + 64 && h < n;
         h++) {
        const char *nl;

        if ((h == 0 || text[h - 1] == '\n') && n - h > klen &&
            memcmp(text + h, key, klen) == 0 && text[h + klen] == ' ') {
            *hint = h;
            nl = memchr(text + h, '\n', n - h);
            return ksm_parse_u64(text + h + klen + 1,
                                 (size_t)((nl ? nl : text + n) - text) - h -
                                     klen - 1,
                                 out);
        }
    }
    {
        int err = ksm_parse_vmstat(text, n, key, out);
        char needle[64];
        const char *p;

        snprintf(needle, sizeof(needle), "\n%s ", key);
        p = memmem(text, n, needle, strlen(needle));
        if (p)
            *hint = (size_t)(p - text) + 1;
        return err;
    }
}

static void read_vmstat(struct ksm_procfs *r, struct ksm_procfs_sample *out)
{
    size_t n;
    int err;

    if (r->vmstat_fd < 0) {
        r->vmstat_fd = openat(r->rootfd, "vmstat", O_RDONLY | O_CLOEXEC);
        if (r->vmstat_fd < 0) {
            if (errno != ENOENT) {
                r->errors[KSM_SRC_VMSTAT]++;
                out->source_exists |= 1u << KSM_SRC_VMSTAT;
            }
            return;
        }
    }
    out->source_exists |= 1u << KSM_SRC_VMSTAT;
    err = ksm_read_fd(r->vmstat_fd, r->vmstat, sizeof(r->vmstat), &n);
    if (err) {
        r->errors[KSM_SRC_VMSTAT]++;
        close(r->vmstat_fd);
        r->vmstat_fd = -1;
        return;
    }
    /* Lines missing on a kernel without KSM are absent, not errors. */
    err = vmstat_lookup(r->vmstat, n, "cow_ksm", &r->vmstat_hint[0],
                        &out->cow_ksm);
    out->has_cow = err == 0;
    if (err && err != -ENOENT)
        r->errors[KSM_SRC_VMSTAT]++;
    err = vmstat_lookup(r->vmstat, n, "ksm_swpin_copy", &r->vmstat_hint[1],
                        &out->swpin_copy);
    out->has_swpin_copy = err == 0;
    if (err && err != -ENOENT)
        r->errors[KSM_SRC_VMSTAT]++;
}

/* Strictly a decimal PID: no sign, no leading zero, fits an int. */
static int parse_pid(const char *name)
{
    uint64_t v;

    if (name[0] < '1' || name[0] > '9' ||
        ksm_parse_u64(name, strlen(name), &v) != 0 || strchr(name, '\n') ||
        v > 0x7fffffff)
        return -1;
    return (int)v;
}

static bool is_ksmd(const char *buf, size_t n)
{
    struct ksm_proc_stat st;
    char comm[KSM_COMM_LEN];

    return ksm_parse_proc_stat(buf, n, &st, comm, sizeof(comm)) == 0 &&
           strcmp(comm, "ksmd") == 0 &&
           (st.ppid == KTHREADD_PID || (st.flags & PF_KTHREAD));
}

/* Walks the PIDs for the ksmd kernel thread; keeps its stat open. */
static void find_ksmd(struct ksm_procfs *r)
{
    struct dirent *d;
    char path[32], buf[1024];
    size_t n;

    r->ksmd_searched = true;
    r->ksmd_searched_ns = ksm_monotonic_ns();
    rewinddir(r->dir);
    while ((d = readdir(r->dir)) != NULL) {
        int pid = parse_pid(d->d_name);
        int fd;

        if (pid < 0)
            continue;
        snprintf(path, sizeof(path), "%d/stat", pid);
        fd = openat(r->rootfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (ksm_read_fd(fd, buf, sizeof(buf), &n) == 0 && is_ksmd(buf, n)) {
            r->ksmd_fd = fd;
            return;
        }
        close(fd);
    }
}

static void read_ksmd(struct ksm_procfs *r, bool look,
                      struct ksm_procfs_sample *out)
{
    struct ksm_proc_stat st;
    char buf[1024], comm[KSM_COMM_LEN];
    size_t n;

    if (r->ksmd_fd >= 0) {
        int err = ksm_read_fd(r->ksmd_fd, buf, sizeof(buf), &n);

        if (err == 0 && ksm_parse_proc_stat(buf, n, &st, comm,
                                            sizeof(comm)) == 0 &&
            strcmp(comm, "ksmd") == 0) {
            out->source_exists |= 1u << KSM_SRC_KSMD_STAT;
            out->has_ksmd = true;
            out->ksmd_cpu_seconds = (double)(st.utime + st.stime) / r->ticks;
            return;
        }
        /* Gone or replaced: look for it again, now. */
        if (err == 0)
            r->errors[KSM_SRC_KSMD_STAT]++;
        close(r->ksmd_fd);
        r->ksmd_fd = -1;
        r->ksmd_searched = false;
    }
    if (!look ||
        (r->ksmd_searched && ksm_monotonic_ns() - r->ksmd_searched_ns < KSMD_RETRY_NS))
        return;
    find_ksmd(r);
    if (r->ksmd_fd >= 0)
        read_ksmd(r, false, out);
}

static bool grow(void **p, size_t *cap, size_t want, size_t size)
{
    size_t n = *cap ? *cap : 64;
    void *q;

    if (want <= *cap)
        return true;
    while (n < want)
        n *= 2;
    q = realloc(*p, n * size);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

/* The PIDs in the root, ascending, at most max; returns how many. */
static size_t list_pids(struct ksm_procfs *r, uint64_t *over)
{
    struct dirent *d;
    size_t n = 0;
    bool sorted = true;

    rewinddir(r->dir);
    while ((d = readdir(r->dir)) != NULL) {
        int pid = parse_pid(d->d_name);

        if (pid < 0)
            continue;
        if (n == r->max_processes ||
            !grow((void **)&r->pids, &r->pid_cap, n + 1, sizeof(int))) {
            (*over)++;
            continue;
        }
        if (n > 0 && pid < r->pids[n - 1])
            sorted = false;
        r->pids[n++] = pid;
    }
    /* procfs lists PIDs in ascending order; do not depend on it. */
    if (!sorted)
        qsort(r->pids, n, sizeof(int), cmp_int);
    return n;
}

enum read_result { LISTED, UNLISTED, VANISHED, DENIED, FAILED };

/* True for a process that METRICS.md lists: KSM activity or QEMU. */
static bool active(const struct ksm_process *p)
{
    const struct ksm_ksm_stat *s = &p->stat;

    if (p->qemu)
        return true;
    for (int f = 0; f < KSM_PROC_FIELD_COUNT; f++)
        if ((s->present & (1u << f)) && s->value[f] != 0)
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

/* Reads the command line: whether it is QEMU, and the guest's name. */
static int learn(struct ksm_procfs *r, struct entry *e)
{
    char path[32];
    const char *base;
    size_t n, len;
    int err;

    snprintf(path, sizeof(path), "%d/cmdline", e->pid);
    err = read_at(r->rootfd, path, r->cmdline, sizeof(r->cmdline), &n);
    if (err == -EOVERFLOW) {
        /* A longer command line: the first part holds QEMU's -name. */
        n = sizeof(r->cmdline);
        err = 0;
    }
    if (err)
        return err;
    len = strnlen(r->cmdline, n);
    base = memrchr(r->cmdline, '/', len);
    base = base ? base + 1 : r->cmdline;
    e->info.qemu =
        is_qemu_name(e->info.comm, strlen(e->info.comm)) ||
        is_qemu_name(base, (size_t)(r->cmdline + len - base));
    e->info.vm[0] = '\0';
    if (e->info.qemu &&
        ksm_parse_qemu_name(r->cmdline, n, e->info.vm, sizeof(e->info.vm)) != 0)
        e->info.vm[0] = '\0';
    e->known = true;
    return 0;
}

static bool gone(int err)
{
    return err == -ENOENT || err == -ESRCH;
}

/* Opens a file of the process; keeps it when the budget allows. */
static int open_kept(struct ksm_procfs *r, const struct entry *e,
                     const char *name, int *fd)
{
    char path[48];

    snprintf(path, sizeof(path), "%d/%s", e->pid, name);
    *fd = openat(r->rootfd, path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return -errno;
    r->fds_kept++;
    return 0;
}

/* Classifies a failure to open or read one of the process's files. */
static enum read_result failure(struct ksm_procfs *r, int err)
{
    if (gone(err))
        return VANISHED;
    if (err == -EACCES || err == -EPERM)
        return DENIED;
    r->errors[KSM_SRC_KSM_STAT]++;
    return FAILED;
}

/* Opens a new process's KSM file and its comm. */
static enum read_result open_source(struct ksm_procfs *r, struct entry *e)
{
    int err = open_kept(r, e, "ksm_stat", &e->fd);

    if (err == -ENOENT) {
        err = open_kept(r, e, "ksm_merging_pages", &e->fd);
        e->merging_only = err == 0;
    }
    if (err == -ENOENT) {
        char path[16];

        /* Neither file: a kernel without them, or the process is gone. */
        snprintf(path, sizeof(path), "%d", e->pid);
        if (faccessat(r->rootfd, path, F_OK, 0) != 0)
            return VANISHED;
        e->no_source = true;
        return UNLISTED;
    }
    if (err)
        return failure(r, err);
    err = open_kept(r, e, "comm", &e->comm_fd);
    if (err) {
        drop_entry(r, e);
        return failure(r, err);
    }
    return LISTED;
}

/*
 * Kernels 6.1 to 6.3 print ksm_stat without ksm_merging_pages, which they
 * have as a file of its own: read it there.
 */
static int read_merging(struct ksm_procfs *r, struct entry *e)
{
    char buf[32];
    uint64_t v;
    size_t n;
    int err = 0;

    if (e->merging_fd < 0)
        err = open_kept(r, e, "ksm_merging_pages", &e->merging_fd);
    if (err == -ENOENT)
        return 0; /* not on this kernel either */
    if (err == 0)
        err = ksm_read_fd(e->merging_fd, buf, sizeof(buf), &n);
    if (err == 0)
        err = ksm_parse_u64(buf, n, &v);
    if (err == 0 && v > (uint64_t)INT64_MAX)
        err = -ERANGE;
    if (err)
        return err;
    e->info.stat.present |= 1u << KSM_PROC_MERGING_PAGES;
    e->info.stat.value[KSM_PROC_MERGING_PAGES] = (int64_t)v;
    return 0;
}

static enum read_result read_entry(struct ksm_procfs *r, struct entry *e,
                                   bool retried)
{
    char buf[KSM_STAT_BUF], comm[KSM_COMM_LEN];
    enum read_result res;
    size_t n;
    int err;

    if (e->no_source)
        return UNLISTED;
    if (e->fd < 0) {
        res = open_source(r, e);
        if (res != LISTED)
            return res;
    }
    err = ksm_read_fd(e->fd, buf, sizeof(buf), &n);
    if (gone(err) && !retried) {
        /*
         * The process behind a kept descriptor exited; a process listed
         * under the same PID is a new one: start over, once.
         */
        drop_entry(r, e);
        return read_entry(r, e, true);
    }
    if (err) {
        res = failure(r, err);
        goto out;
    }
    res = UNLISTED;
    if (n == 0)
        goto out; /* a kernel thread: no mm, nothing to say */
    if (e->merging_only) {
        uint64_t v;

        err = ksm_parse_u64(buf, n, &v);
        if (err == 0 && v > (uint64_t)INT64_MAX)
            err = -ERANGE;
        e->info.stat.present = 1u << KSM_PROC_MERGING_PAGES;
        e->info.stat.value[KSM_PROC_MERGING_PAGES] = (int64_t)v;
    } else {
        err = ksm_parse_ksm_stat(buf, n, &e->info.stat);
        if (err == 0 &&
            !(e->info.stat.present & (1u << KSM_PROC_MERGING_PAGES)))
            err = read_merging(r, e);
    }
    if (err) {
        res = failure(r, err);
        goto out;
    }
    /*
     * comm at every scan: a process seen between fork and exec (libvirt's
     * child before it becomes QEMU) changes it, and is learnt again.
     */
    err = read_comm(e->comm_fd, comm);
    if (err) {
        res = failure(r, err);
        goto out;
    }
    if (!e->known || strcmp(comm, e->info.comm) != 0) {
        memcpy(e->info.comm, comm, sizeof(comm));
        snprintf(e->info.pid, sizeof(e->info.pid), "%d", e->pid);
        err = learn(r, e);
        if (err) {
            res = failure(r, err);
            goto out;
        }
    }
    res = active(&e->info) ? LISTED : UNLISTED;
out:
    /* Beyond the budget nothing is kept: the next scan opens afresh. */
    if (r->fds_kept > r->fd_budget || res == VANISHED)
        drop_entry(r, e);
    return res;
}

static void scan(struct ksm_procfs *r, struct ksm_procfs_sample *out)
{
    size_t npids = list_pids(r, &out->over_limit);
    size_t i = 0, nnext = 0, nout = 0;

    if (!grow((void **)&r->next, &r->next_cap, npids, sizeof(struct entry)) ||
        !grow((void **)&r->out, &r->out_cap, npids ? npids : 1,
              sizeof(struct ksm_process))) {
        out->over_limit += npids;
        return;
    }
    for (size_t j = 0; j < npids; j++) {
        int pid = r->pids[j];
        struct entry e;

        /* Both lists ascend: entries before this PID have exited. */
        while (i < r->nent && r->ent[i].pid < pid)
            drop_entry(r, &r->ent[i++]);
        if (i < r->nent && r->ent[i].pid == pid) {
            e = r->ent[i++];
        } else {
            memset(&e, 0, sizeof(e));
            e.pid = pid;
            e.fd = e.comm_fd = e.merging_fd = -1;
        }
        out->examined++;
        switch (read_entry(r, &e, false)) {
        case LISTED:
            r->out[nout++] = e.info;
            break;
        case VANISHED:
            r->vanished++;
            drop_entry(r, &e);
            continue;
        case DENIED:
            out->denied++;
            break;
        case UNLISTED:
        case FAILED:
            break;
        }
        r->next[nnext++] = e;
    }
    while (i < r->nent)
        drop_entry(r, &r->ent[i++]);
    /* The new list becomes the cache; the old array is reused next time. */
    {
        struct entry *t = r->ent;
        size_t c = r->ent_cap;

        r->ent = r->next;
        r->ent_cap = r->next_cap;
        r->next = t;
        r->next_cap = c;
        r->nent = nnext;
    }
    out->processes = r->out;
    out->nprocesses = nout;
}

void ksm_procfs_read(struct ksm_procfs *r, bool look_for_ksmd,
                     struct ksm_procfs_sample *out)
{
    memset(out, 0, sizeof(*out));
    if (open_root(r)) {
        read_vmstat(r, out);
        read_ksmd(r, look_for_ksmd, out);
        if (r->processes) {
            out->scanned = true;
            out->source_exists |= 1u << KSM_SRC_KSM_STAT;
            scan(r, out);
        }
    }
    out->vanished = r->vanished;
    memcpy(out->source_errors, r->errors, sizeof(out->source_errors));
}
