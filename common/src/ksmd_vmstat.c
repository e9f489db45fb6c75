/* SPDX-License-Identifier: MIT */
/* The cost side of KSM: ksmd's CPU time, vmstat's KSM counters, meminfo. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "ksm/clock.h"
#include "ksm/meminfo.h"
#include "ksm/parse.h"
#include "procfs_internal.h"

#define PF_KTHREAD    0x00200000u /* include/linux/sched.h */
#define KTHREADD_PID  2
#define KSMD_RETRY_NS (60 * UINT64_C(1000000000))
#define STAT_BUF      1024

static void close_watched(struct watched_process *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

void ksm_procfs_close_kernel(struct ksm_procfs *r)
{
    if (r->kernel.vmstat_fd >= 0)
        close(r->kernel.vmstat_fd);
    if (r->kernel.meminfo_fd >= 0)
        close(r->kernel.meminfo_fd);
    r->kernel.vmstat_fd = r->kernel.meminfo_fd = -1;
    close_watched(&r->kernel.ksmd);
    close_watched(&r->kernel.ksmtuned);
}

/* Parses the number after the "KEY " that starts at text[at]. */
static int parse_vmstat_line(const char *text, size_t n, size_t at, size_t klen,
                             uint64_t *out)
{
    const char *value = text + at + klen + 1;
    const char *nl = memchr(text + at, '\n', n - at);

    return ksm_parse_u64(value, (size_t)((nl ? nl : text + n) - value), out);
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
    char needle[64];
    const char *p;
    int err;

    for (size_t h = *hint > 64 ? *hint - 64 : 0; h < *hint + 64 && h < n; h++) {
        if ((h == 0 || text[h - 1] == '\n') && n - h > klen &&
            memcmp(text + h, key, klen) == 0 && text[h + klen] == ' ') {
            *hint = h;
            return parse_vmstat_line(text, n, h, klen, out);
        }
    }
    err = ksm_parse_vmstat(text, n, key, out);
    snprintf(needle, sizeof(needle), "\n%s ", key);
    p = memmem(text, n, needle, strlen(needle));
    if (p)
        *hint = (size_t)(p - text) + 1;
    return err;
}

/* One vmstat counter: absent on a kernel without it, else counted. */
static void read_vmstat_counter(struct ksm_procfs *r, size_t len,
                                const char *key, size_t *hint, bool *has,
                                uint64_t *out)
{
    int err = vmstat_lookup(r->kernel.vmstat, len, key, hint, out);

    *has = err == 0;
    if (err && err != -ENOENT)
        r->errors[KSM_SRC_VMSTAT]++;
}

/*
 * Reads <procfs>/NAME through the descriptor *fd, opened when needed and
 * kept.  Returns 0 and the length in *n, -ENOENT when the file does not
 * exist (absent, not an error), or another negative errno, counted as a
 * failure of src; the descriptor is then closed, to be opened afresh.
 */
static int read_kept(struct ksm_procfs *r, const char *name, int *fd,
                     enum ksm_proc_source src, char *buf, size_t cap, size_t *n,
                     struct ksm_procfs_sample *out)
{
    int err;

    if (*fd < 0) {
        *fd = openat(r->rootfd, name, O_RDONLY | O_CLOEXEC);
        if (*fd < 0) {
            if (errno == ENOENT)
                return -ENOENT;
            err = -errno;
            r->errors[src]++;
            out->source_exists |= 1u << src;
            return err;
        }
    }
    out->source_exists |= 1u << src;
    err = ksm_read_fd(*fd, buf, cap, n);
    if (err != 0) {
        r->errors[src]++;
        close(*fd);
        *fd = -1;
    }
    return err;
}

void ksm_procfs_read_vmstat(struct ksm_procfs *r, struct ksm_procfs_sample *out)
{
    struct ksmd_vmstat *k = &r->kernel;
    size_t n = 0;

    if (read_kept(r, "vmstat", &k->vmstat_fd, KSM_SRC_VMSTAT, k->vmstat,
                  sizeof(k->vmstat), &n, out) != 0)
        return;
    /* Lines missing on a kernel without KSM are absent, not errors. */
    read_vmstat_counter(r, n, "cow_ksm", &k->vmstat_hint[0], &out->has_cow,
                        &out->cow_ksm);
    read_vmstat_counter(r, n, "ksm_swpin_copy", &k->vmstat_hint[1],
                        &out->has_swpin_copy, &out->swpin_copy);
}

void ksm_procfs_read_meminfo(struct ksm_procfs *r,
                             struct ksm_procfs_sample *out)
{
    struct ksmd_vmstat *k = &r->kernel;
    size_t n = 0;

    if (read_kept(r, "meminfo", &k->meminfo_fd, KSM_SRC_MEMINFO, k->meminfo,
                  sizeof(k->meminfo), &n, out) != 0)
        return;
    /*
     * A line missing (AnonHugePages without CONFIG_TRANSPARENT_HUGEPAGE) is
     * absent; a malformed one makes the whole text suspect.
     */
    if (ksm_parse_meminfo(k->meminfo, n, &out->meminfo) != 0)
        r->errors[KSM_SRC_MEMINFO]++;
}

/* Parses a stat text; true for ksmd, with its figures in *st. */
static bool parse_ksmd_stat(const char *buf, size_t n, struct ksm_proc_stat *st)
{
    char comm[KSM_COMM_LEN];

    return ksm_parse_proc_stat(buf, n, st, comm, sizeof(comm)) == 0 &&
           strcmp(comm, "ksmd") == 0;
}

/* Whether a stat text is that of the process being looked for. */
typedef bool (*stat_match_fn)(const char *buf, size_t n);

/*
 * True for the ksmd kernel thread: a user process may call itself "ksmd",
 * but only a kernel thread is kthreadd's child or has PF_KTHREAD.
 */
static bool is_ksmd(const char *buf, size_t n)
{
    struct ksm_proc_stat st;

    return parse_ksmd_stat(buf, n, &st) &&
           (st.ppid == KTHREADD_PID || (st.flags & PF_KTHREAD));
}

/*
 * True for Debian's ksmtuned: a bash script, so the kernel names the
 * process after the script's file, and no kernel thread.  A zombie has
 * stopped tuning.  bash's subshells of the script carry the name too; one
 * found instead of the loop exits within moments, and the search that then
 * follows at once finds the loop.
 */
static bool is_ksmtuned(const char *buf, size_t n)
{
    struct ksm_proc_stat st;
    char comm[KSM_COMM_LEN];

    return ksm_parse_proc_stat(buf, n, &st, comm, sizeof(comm)) == 0 &&
           strcmp(comm, "ksmtuned") == 0 && !(st.flags & PF_KTHREAD) &&
           st.state != 'Z' && st.state != 'X';
}

/* Whether the comm file of pid (below the procfs root) reads name. */
static bool comm_is(const struct ksm_procfs *r, int pid, const char *name)
{
    char path[32], buf[KSM_COMM_LEN];
    size_t n, len = strlen(name);

    snprintf(path, sizeof(path), "%d/comm", pid);
    return ksm_procfs_read_at(r->rootfd, path, buf, sizeof(buf), &n) == 0 &&
           n == len + 1 && memcmp(buf, name, len) == 0 && buf[len] == '\n';
}

/* Keeps pid's stat open in w when match accepts it; says whether it did. */
static bool watch_if(const struct ksm_procfs *r, int pid, stat_match_fn match,
                     struct watched_process *w)
{
    char path[32], buf[STAT_BUF];
    size_t n;
    int fd;

    snprintf(path, sizeof(path), "%d/stat", pid);
    fd = openat(r->rootfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    if (ksm_read_fd(fd, buf, sizeof(buf), &n) == 0 && match(buf, n)) {
        w->fd = fd;
        return true;
    }
    close(fd);
    return false;
}

/*
 * Walks the PIDs for the first process named name that match accepts, and
 * keeps its stat open.  comm is read first: the kernel makes stat's
 * thirty-odd fields for each read, and most processes are not the one.
 */
static void find_process(struct ksm_procfs *r, struct watched_process *w,
                         const char *name, stat_match_fn match)
{
    struct dirent *d;

    w->searched = true;
    w->searched_ns = ksm_monotonic_ns();
    rewinddir(r->dir);
    while ((d = readdir(r->dir)) != NULL) {
        int pid;

        if (ksm_procfs_parse_pid(d->d_name, &pid) == 0 &&
            comm_is(r, pid, name) && watch_if(r, pid, match, w))
            return;
    }
}

/*
 * Re-reads the kept stat of w into buf (STAT_BUF bytes).  Returns 0 while
 * match still accepts it; else a negative errno, -ESRCH when it was read
 * but is another process now.  On failure the descriptor is closed and the
 * next search may follow at once.
 */
static int reread_watched(struct watched_process *w, stat_match_fn match,
                          char *buf, size_t *n)
{
    int err = ksm_read_fd(w->fd, buf, STAT_BUF, n);

    if (err == 0 && match(buf, *n))
        return 0;
    close_watched(w);
    w->searched = false;
    return err ? err : -ESRCH;
}

/*
 * Whether w is known after this call: a search happens when nothing is
 * known and the last search is a minute old, or none was made.
 */
static bool watch(struct ksm_procfs *r, struct watched_process *w,
                  const char *name, stat_match_fn match)
{
    if (w->fd < 0 &&
        (!w->searched || ksm_monotonic_ns() - w->searched_ns >= KSMD_RETRY_NS))
        find_process(r, w, name, match);
    return w->fd >= 0;
}

/* Reads ksmd's kept stat into *out; false when it is gone or replaced. */
static bool read_known_ksmd(struct ksm_procfs *r, struct ksm_procfs_sample *out)
{
    struct ksmd_vmstat *k = &r->kernel;
    struct ksm_proc_stat st;
    char buf[STAT_BUF];
    size_t n;
    int err = reread_watched(&k->ksmd, is_ksmd, buf, &n);

    if (err == -ESRCH)
        r->errors[KSM_SRC_KSMD_STAT]++;
    if (err || !parse_ksmd_stat(buf, n, &st))
        return false;
    out->source_exists |= 1u << KSM_SRC_KSMD_STAT;
    out->has_ksmd = true;
    out->ksmd_cpu_seconds = (double)(st.utime + st.stime) / k->ticks;
    return true;
}

void ksm_procfs_read_ksmd(struct ksm_procfs *r, bool look,
                          struct ksm_procfs_sample *out)
{
    struct ksmd_vmstat *k = &r->kernel;

    /* Gone or replaced: look for it again, now. */
    if (k->ksmd.fd >= 0 && read_known_ksmd(r, out))
        return;
    if (look && watch(r, &k->ksmd, "ksmd", is_ksmd))
        read_known_ksmd(r, out);
}

/*
 * Looks for ksmtuned among the processes the scan just read, by the comm
 * it read: a user process's comm is read at every scan, so the search
 * costs no file but the one stat it confirms, and can run at every scan.
 */
static void find_in_scan(struct ksm_procfs *r, struct watched_process *w)
{
    const struct process_scan *sc = &r->scan;

    for (size_t i = 0; i < sc->nent; i++) {
        const struct scan_entry *e = &sc->ent[i];

        if (e->known && strcmp(e->info.comm, "ksmtuned") == 0 &&
            watch_if(r, e->pid, is_ksmtuned, w))
            return;
    }
}

void ksm_procfs_read_ksmtuned(struct ksm_procfs *r,
                              struct ksm_procfs_sample *out)
{
    struct watched_process *w = &r->kernel.ksmtuned;
    char buf[STAT_BUF];
    size_t n;

    /* Gone or replaced: look for another one, now. */
    if (w->fd >= 0 && reread_watched(w, is_ksmtuned, buf, &n) == 0) {
        out->ksmtuned_running = true;
        return;
    }
    /* A scan cut at its limit has not read every process: walk them all. */
    if (r->scan.enabled && out->over_limit == 0) {
        find_in_scan(r, w);
        out->ksmtuned_running = w->fd >= 0;
        return;
    }
    out->ksmtuned_running = watch(r, w, "ksmtuned", is_ksmtuned);
}
