/* SPDX-License-Identifier: MIT */
/*
 * A QEMU guest's figures beyond KSM: its resident memory, whether Debian's
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
    e->info.has_rss = false;
    e->info.ksmtuned_counted = false;
    e->counted_known = false;
    e->info.has_thp_anon = false;
    e->info.rss_bytes = 0;
    e->info.thp_anon_bytes = 0;
    e->thp_tried = false;
    e->thp_read_ns = 0;
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
 * Reads a QEMU process's resident memory at every scan, through a statm
 * descriptor kept with its ksm_stat.  statm's second field sums the same
 * counters that status prints as VmRSS, which `ps -o rss` (and so
 * ksmtuned) reports in kB; statm is the cheapest file that has it: one
 * short line, where status formats some 60 lines and stat adds up the
 * times of every thread.  A failure leaves the figure out and is counted.
 * Returns 0, or the negative errno that says the process is gone.
 */
int ksm_procfs_read_rss(struct ksm_procfs *r, struct scan_entry *e)
{
    char buf[STATM_BUF];
    size_t n = 0;
    uint64_t pages = 0, bytes = 0;
    int err = 0;

    e->info.has_rss = false;
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
    e->info.rss_bytes = bytes;
    e->info.has_rss = true;
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
static void read_thp_timed(struct ksm_procfs *r, struct scan_entry *e,
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
 * Reads the smaps_rollup of the listed QEMU processes that are due, oldest
 * reading first (never read counts as oldest), within this scan's budget
 * and the CPU credit; then gives every listed guest its kept value.
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
        nguests += sc->next[i].listed_at != NOT_LISTED && sc->next[i].info.qemu;
    budget = nguests ? thp_budget(sc, nguests, elapsed) : 0;
    for (size_t k = 0; k < budget && (!limited || sc->thp_credit_ns > 0); k++) {
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
        read_thp_timed(r, oldest, now);
    }
    for (size_t i = 0; i < nnext; i++) {
        const struct scan_entry *e = &sc->next[i];
        struct ksm_process *p;

        if (e->listed_at == NOT_LISTED || !e->info.qemu)
            continue;
        p = &sc->out[e->listed_at];
        p->has_thp_anon = e->info.has_thp_anon;
        p->thp_anon_bytes = e->info.thp_anon_bytes;
    }
    sc->last_scan_ns = now;
    sc->have_last_scan = true;
}
