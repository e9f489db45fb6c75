/* SPDX-License-Identifier: MIT */
/*
 * Who a process is (its comm, and whether it is a QEMU guest and which),
 * and a guest's figures beyond KSM: its resident memory, whether Debian's
 * ksmtuned counts it, and its THP share, read on a cadence of its own.
 */
#include <errno.h>
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

#define STATM_BUF 256
/* smaps_rollup is some 25 short lines: about 1 KiB. */
#define SMAPS_BUF 4096
/*
 * The most CPU time smaps_rollup reads may save up, and take at start-up:
 * one second, so that a host of a few guests is read at once.
 */
#define THP_CREDIT_MAX_NS INT64_C(1000000000)

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
    sc->thp_cpu_percent =
        c->thp_cpu_percent ? c->thp_cpu_percent : KSM_THP_CPU_PERCENT_DEFAULT;
    sc->thp_credit_ns = THP_CREDIT_MAX_NS;
    /* ksm/procfs.h promises CLOCK_MONOTONIC when the config names none. */
    sc->clock = c->clock ? c->clock : ksm_monotonic_clock;
    sc->clock_arg = c->clock_arg;
}

/*
 * Forgets what is known of a QEMU process beyond its KSM figures: another
 * program, or another guest, now runs under its PID.
 */
void ksm_procfs_forget_guest(struct process_scan *sc, struct scan_entry *e)
{
    ksm_procfs_close_kept(sc, &e->statm_fd);
    free(e->guest);
    e->guest = NULL;
    e->counted_known = false;
}

/*
 * Whether Debian's ksmtuned counts the process, whose command line's first
 * n bytes are in cmdline (cut when the line is longer).  pgrep looks at up
 * to 128 KiB, more than the scan's buffer: a cut line that begins as the
 * pattern does, without "-enable-kvm" in its first part, is read again
 * whole; the caller keeps the verdict while the process's comm and guest
 * name stay the same.  A line that cannot be read again is taken as not
 * counted.
 */
bool ksm_procfs_ksmtuned_counts(struct ksm_procfs *r,
                                const struct scan_entry *e, const char *cmdline,
                                size_t n, bool cut)
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
    err = ksm_procfs_read_at(r->rootfd, path, buf, KSM_KSMTUNED_CMDLINE_MAX + 1,
                             &len);
    if (err == -EOVERFLOW) {
        len = KSM_KSMTUNED_CMDLINE_MAX + 1;
        err = 0;
    }
    counted = err == 0 && ksm_ksmtuned_counts(buf, len);
    free(buf);
    return counted;
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

/*
 * Gives e the guest state of what identifying it found: none for a program
 * that is no guest, a fresh one for another guest.  A QEMU process whose
 * state cannot be allocated is not identified: its read fails, counted as
 * a ksm_stat failure, and it is identified at the next scan, as when its
 * command line cannot be read.
 */
static int set_guest(struct process_scan *sc, struct scan_entry *e, bool qemu,
                     const char *vm)
{
    /* Also when it was no guest: ksmtuned's verdict is redone. */
    if (!qemu || !e->guest || strcmp(e->guest->vm, vm) != 0)
        ksm_procfs_forget_guest(sc, e);
    if (!qemu)
        return 0;
    if (!e->guest) {
        e->guest = calloc(1, sizeof(*e->guest));
        if (!e->guest)
            return -ENOMEM;
        snprintf(e->guest->vm, sizeof(e->guest->vm), "%s", vm);
    }
    return 0;
}

/*
 * Reads the first CMDLINE_BUF bytes of the process's command line into
 * sc->cmdline, with their length in *n; *cut says whether it is longer.
 */
static int read_cmdline(struct ksm_procfs *r, const struct scan_entry *e,
                        size_t *n, bool *cut)
{
    char path[32];
    int err;

    snprintf(path, sizeof(path), "%d/cmdline", e->pid);
    err = ksm_procfs_read_at(r->rootfd, path, r->scan.cmdline, CMDLINE_BUF, n);
    *cut = err == -EOVERFLOW;
    if (*cut) {
        /* A longer command line: the first part holds QEMU's -name. */
        *n = CMDLINE_BUF;
        err = 0;
    }
    return err;
}

/*
 * Reads the process's command line to tell whether it is a QEMU guest, the
 * guest's name, and whether ksmtuned counts it; comm is its comm as read
 * now.  What was known of another guest under this PID is forgotten.
 * ksmtuned's verdict is kept while comm and the guest's name stay the same:
 * it may take a read of 128 KiB (see ksm_procfs_ksmtuned_counts()), and a
 * process beyond the descriptor budget is identified at every scan.
 * Returns 0 or the negative errno of reading the command line.
 */
static int identify_program(struct ksm_procfs *r, struct scan_entry *e,
                            const char *comm)
{
    const char *cmdline = r->scan.cmdline;
    char vm[KSM_VM_NAME_LEN] = "";
    const char *base;
    bool cut, qemu;
    size_t n, len;
    int err = read_cmdline(r, e, &n, &cut);

    if (err)
        return err;
    len = strnlen(cmdline, n);
    base = memrchr(cmdline, '/', len);
    base = base ? base + 1 : cmdline;
    qemu = is_qemu_name(comm, strlen(comm)) ||
           is_qemu_name(base, (size_t)(cmdline + len - base));
    if (qemu && ksm_parse_qemu_name(cmdline, n, vm, sizeof(vm)) != 0)
        vm[0] = '\0';
    err = set_guest(&r->scan, e, qemu, vm);
    if (err)
        return err;
    if (!e->counted_known && e->guest)
        e->guest->ksmtuned_counted =
            ksm_procfs_ksmtuned_counts(r, e, cmdline, n, cut);
    e->counted_known = true;
    e->known = true;
    return 0;
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

/* FNV-1a, 64 bits: a longer comm's identity. */
static uint64_t hash_comm(const char *s, size_t len)
{
    uint64_t h = UINT64_C(14695981039346656037);

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * UINT64_C(1099511628211);
    return h;
}

/*
 * Makes comm (len bytes) the comm e keeps, as text when it fits, else as
 * its hash; returns whether e kept another one.
 */
static bool comm_changed(struct scan_entry *e, const char *comm, size_t len)
{
    bool hashed = len >= SCAN_COMM_SHORT;
    uint64_t h = hashed ? hash_comm(comm, len) : 0;

    if (hashed == e->comm_hashed &&
        (hashed ? h == e->info.comm_hash
                : memcmp(comm, e->info.comm, len + 1) == 0))
        return false;
    e->comm_hashed = hashed;
    e->info.comm_hash = h;
    memcpy(e->info.comm, hashed ? "" : comm, hashed ? 1 : len + 1);
    return true;
}

/*
 * Reads comm at every scan: a process seen between fork and exec (libvirt's
 * child before it becomes QEMU) changes it, and is identified again.
 */
int ksm_procfs_refresh_identity(struct ksm_procfs *r, struct scan_entry *e,
                                char *comm)
{
    int err = read_comm(e->comm_fd, comm);

    if (err)
        return err;
    if (comm_changed(e, comm, strlen(comm)))
        e->counted_known = false;
    else if (e->known)
        return 0;
    return identify_program(r, e, comm);
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
int ksm_procfs_read_rss(struct ksm_procfs *r, struct scan_entry *e,
                        struct ksm_process *p)
{
    char buf[STATM_BUF];
    size_t n = 0;
    uint64_t pages = 0, bytes = 0;
    int err = 0;

    p->has_rss = false;
    if (e->statm_fd < 0)
        err = ksm_procfs_open_kept(r, e, "statm", &e->statm_fd);
    if (err == 0)
        err = ksm_read_fd(e->statm_fd, buf, sizeof(buf), &n);
    if (err == 0)
        err = ksm_parse_statm_resident(buf, n, &pages);
    if (err == 0 && __builtin_mul_overflow(pages, r->scan.page_size, &bytes))
        err = -ERANGE;
    if (err == -ENOENT && ksm_procfs_process_exists(r, e))
        return 0; /* no statm here: the figure is absent, no failure */
    if (ksm_file_gone(err))
        return err;
    if (err) {
        r->errors[KSM_SRC_STATM]++;
        return 0;
    }
    p->rss_bytes = bytes;
    p->has_rss = true;
    return 0;
}

/*
 * Reads a QEMU process's AnonHugePages from smaps_rollup.  The kernel walks
 * the guest's page tables under its mmap lock for this (~0.4 ms for a
 * 256 MiB guest in huge pages, ~3 ms in 4 KiB pages, growing with the
 * guest), so it is read on a cadence of its own, never at every scan, and
 * within a CPU limit.  A process gone meanwhile, or a kernel without
 * the file, leaves the value out uncounted.  So does a refusal: the file
 * needs ptrace access (PTRACE_MODE_READ: root or the guest's own user), and
 * CAP_DAC_READ_SEARCH, which is enough for ksm_stat, is not; an exporter
 * without it would otherwise count an error for every guest at every
 * interval.  Any other failure leaves the value out and is counted.  Either
 * way the next try waits a whole interval.
 */
static void read_thp(struct ksm_procfs *r, const struct scan_entry *e,
                     uint64_t now)
{
    struct scan_guest *g = e->guest;
    char buf[SMAPS_BUF];
    char path[32];
    size_t n = 0;
    uint64_t kb = 0;
    int err;

    g->thp_tried = true;
    g->thp_read_ns = now;
    g->has_thp_anon = false;
    snprintf(path, sizeof(path), "%d/smaps_rollup", e->pid);
    err = ksm_procfs_read_at(r->rootfd, path, buf, sizeof(buf), &n);
    if (ksm_file_gone(err) || err == -EACCES || err == -EPERM)
        return;
    if (err == 0)
        err = ksm_parse_anon_huge_pages(buf, n, &kb);
    if (err == 0 && kb > UINT64_MAX / 1024)
        err = -ERANGE;
    if (err) {
        r->errors[KSM_SRC_SMAPS_ROLLUP]++;
        return;
    }
    g->thp_anon_bytes = kb * 1024;
    g->has_thp_anon = true;
}

/* Whether e is a listed QEMU process whose smaps_rollup is due at now. */
static bool thp_due(const struct process_scan *sc, const struct scan_entry *e,
                    uint64_t now)
{
    const struct scan_guest *g = e->guest;

    return e->listed_at != NOT_LISTED && g &&
           (!g->thp_tried || now < g->thp_read_ns ||
            now - g->thp_read_ns >= sc->thp_interval_ns);
}

/*
 * How many smaps_rollup reads this scan may make: the guests' share of the
 * time since the last scan (at most one interval), rounded up, and at least
 * one.  Over one interval that reads each guest about once, one scan after
 * another, so that guests that appear together (at start-up) are read
 * over one interval rather than all in one scan.
 */
static size_t thp_budget(const struct process_scan *sc, size_t nguests,
                         uint64_t elapsed)
{
    double share;

    if (elapsed > sc->thp_interval_ns)
        elapsed = sc->thp_interval_ns;
    share =
        ceil((double)nguests * (double)elapsed / (double)sc->thp_interval_ns);
    return share < 1 ? 1 : (size_t)share;
}

/* Adds the CPU time the reads may take since the last scan; see thp_credit_ns.
 */
static void thp_earn(struct process_scan *sc, uint64_t elapsed)
{
    uint64_t earned = elapsed / 100 * sc->thp_cpu_percent;

    if (earned > (uint64_t)THP_CREDIT_MAX_NS ||
        sc->thp_credit_ns > THP_CREDIT_MAX_NS - (int64_t)earned)
        sc->thp_credit_ns = THP_CREDIT_MAX_NS;
    else
        sc->thp_credit_ns += (int64_t)earned;
}

/* Reads e's smaps_rollup and takes the time it lasted from the credit. */
static void read_thp_timed(struct ksm_procfs *r, const struct scan_entry *e,
                           uint64_t now)
{
    struct process_scan *sc = &r->scan;
    uint64_t start = sc->clock(sc->clock_arg), took;

    read_thp(r, e, now);
    took = sc->clock(sc->clock_arg) - start;
    if (took > (uint64_t)THP_CREDIT_MAX_NS)
        took = (uint64_t)THP_CREDIT_MAX_NS;
    sc->thp_credit_ns -= (int64_t)took;
}

/*
 * The listed QEMU process among the nnext entries of sc->next whose
 * smaps_rollup is due, with the oldest reading (never read counts as
 * oldest), or NULL.
 */
static const struct scan_entry *oldest_due(const struct process_scan *sc,
                                           size_t nnext, uint64_t now)
{
    const struct scan_entry *oldest = NULL;

    for (size_t i = 0; i < nnext; i++) {
        const struct scan_entry *e = &sc->next[i];
        const struct scan_guest *o = oldest ? oldest->guest : NULL;

        if (thp_due(sc, e, now) &&
            (!o || (o->thp_tried && (!e->guest->thp_tried ||
                                     e->guest->thp_read_ns < o->thp_read_ns))))
            oldest = e;
    }
    return oldest;
}

/*
 * Reads the smaps_rollup of the listed QEMU processes that are due, oldest
 * reading first, within this scan's budget and the CPU credit; then gives
 * every listed guest its kept value.
 */
void ksm_procfs_read_thp_shares(struct ksm_procfs *r, size_t nnext,
                                uint64_t now)
{
    struct process_scan *sc = &r->scan;
    const bool limited = sc->thp_cpu_percent < 100;
    uint64_t elapsed = 0;
    size_t nguests = 0;
    size_t budget;

    if (sc->have_last_scan && now > sc->last_scan_ns)
        elapsed = now - sc->last_scan_ns;
    thp_earn(sc, elapsed);
    for (size_t i = 0; i < nnext; i++)
        nguests += sc->next[i].listed_at != NOT_LISTED && sc->next[i].guest;
    budget = nguests ? thp_budget(sc, nguests, elapsed) : 0;
    for (size_t k = 0; k < budget && (!limited || sc->thp_credit_ns > 0); k++) {
        const struct scan_entry *oldest = oldest_due(sc, nnext, now);

        if (!oldest)
            break;
        read_thp_timed(r, oldest, now);
    }
    for (size_t i = 0; i < nnext; i++) {
        const struct scan_entry *e = &sc->next[i];
        struct ksm_process *p;

        if (e->listed_at == NOT_LISTED || !e->guest)
            continue;
        p = &sc->out[e->listed_at];
        p->has_thp_anon = e->guest->has_thp_anon;
        p->thp_anon_bytes = e->guest->thp_anon_bytes;
    }
    sc->last_scan_ns = now;
    sc->have_last_scan = true;
}
