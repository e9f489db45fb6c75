/* SPDX-License-Identifier: MIT */
/*
 * What the reads on their own cadence cost on this host's processes (run
 * it beside bighost): the once-a-minute search for ksmd and ksmtuned, one
 * round of every QEMU guest's smaps_rollup, and the process scan between
 * them, each timed apart with the procfs reader.  CPU is this thread's.
 * Usage: bench_cadence [PROCFS]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_util.h"
#include "ksm/procfs.h"

#define ROUNDS 5

/* This thread's CPU time in microseconds. */
static double cpu_us(void)
{
    struct timespec t;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

struct cost {
    double wall, cpu; /* microseconds */
};

static struct cost timed_read(struct ksm_procfs *r, bool look,
                              struct ksm_procfs_sample *s)
{
    double w = bench_now_us(), c = cpu_us();

    ksm_procfs_read(r, look, s);
    return (struct cost){bench_now_us() - w, cpu_us() - c};
}

static size_t guests(const struct ksm_procfs_sample *s, size_t *with_thp)
{
    size_t n = 0;

    *with_thp = 0;
    for (size_t i = 0; i < s->nprocesses; i++) {
        n += s->processes[i].qemu;
        *with_thp += s->processes[i].has_thp_anon;
    }
    return n;
}

/* The median wall and CPU time of ROUNDS reads by r. */
static struct cost steady_reads(struct ksm_procfs *r, bool look,
                                struct ksm_procfs_sample *s)
{
    double w[ROUNDS], c[ROUNDS];

    for (int k = 0; k < ROUNDS; k++) {
        struct cost t = timed_read(r, look, s);

        w[k] = t.wall;
        c[k] = t.cpu;
    }
    return (struct cost){bench_median(w, ROUNDS), bench_median(c, ROUNDS)};
}

static void row(const char *what, double wall, double cpu)
{
    printf("%-50s %10.0f %10.0f\n", what, wall, cpu);
}

/*
 * The kernel's files alone: the first read opens them, finds ksmd (kept
 * from then on) and walks the PIDs for ksmtuned, which it does again once
 * a minute while none runs.
 */
static int kernel_reads(const char *root)
{
    struct ksm_procfs_config c = {.root = root};
    struct ksm_procfs_sample s;
    struct ksm_procfs *r;
    struct cost first, steady;

    if (ksm_procfs_new(&c, &r) != 0)
        return -1;
    first = timed_read(r, true, &s);
    steady = steady_reads(r, true, &s);
    printf("reads on their own cadence (us, wall / CPU)\n");
    row("vmstat, meminfo, ksmd's stat (every scrape)", steady.wall, steady.cpu);
    row("scan off: find ksmd, walk for ksmtuned (1/min)",
        first.wall - steady.wall, first.cpu - steady.cpu);
    ksm_procfs_free(r);
    return 0;
}

/*
 * The process scan between smaps_rollup rounds, and one round: every
 * guest read once at 60 s (they are due at once), the clock held there for
 * the steady scans, then moved an interval on.
 */
static int scan_reads(const char *root)
{
    uint64_t now = 0;
    struct ksm_procfs_config c = {.root = root,
                                  .processes = true,
                                  .thp_interval = 60,
                                  .thp_cpu_percent = 100,
                                  .clock = bench_manual_clock,
                                  .clock_arg = &now};
    struct ksm_procfs_sample s;
    struct ksm_procfs *r;
    struct cost first, steady, round;
    size_t nguests, nthp;
    double per;

    if (ksm_procfs_new(&c, &r) != 0)
        return -1;
    first = timed_read(r, false, &s); /* opens every file */
    now += 60 * UINT64_C(1000000000);
    timed_read(r, false, &s); /* every guest's first smaps_rollup */
    steady = steady_reads(r, false, &s);
    now += 60 * UINT64_C(1000000000);
    round = timed_read(r, false, &s);
    nguests = guests(&s, &nthp);
    per = nguests ? (double)nguests : 1;
    row("first process scan (opens every file)", first.wall, first.cpu);
    row("process scan, no smaps_rollup due (every scrape)", steady.wall,
        steady.cpu);
    printf("%-50s %10.2f %10.2f\n", "  per process examined",
           steady.wall / (double)s.examined, steady.cpu / (double)s.examined);
    row("smaps_rollup of every guest (once per interval)",
        round.wall - steady.wall, round.cpu - steady.cpu);
    row("  per guest", (round.wall - steady.wall) / per,
        (round.cpu - steady.cpu) / per);
    row("  per scrape at one every 15 s, 60 s interval",
        (round.wall - steady.wall) / 4, (round.cpu - steady.cpu) / 4);
    printf("%" PRIu64 " processes examined, %zu listed, %zu QEMU guests, %zu "
           "with a THP figure\n",
           s.examined, s.nprocesses, nguests, nthp);
    ksm_procfs_free(r);
    return 0;
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : "/proc";

    bench_raise_nofile();
    return kernel_reads(root) == 0 && scan_reads(root) == 0 ? 0 : 1;
}
