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
#include <sys/resource.h>
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

/* A clock that the bench moves by hand. */
static uint64_t manual_clock(void *arg)
{
    return *(const uint64_t *)arg;
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

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : "/proc";
    uint64_t now = 0;
    struct ksm_procfs_config kernel = {.root = root};
    struct ksm_procfs_config scan = {.root = root,
                                     .processes = true,
                                     .thp_interval = 60,
                                     .thp_cpu_percent = 100,
                                     .clock = manual_clock,
                                     .clock_arg = &now};
    struct ksm_procfs_sample s;
    struct ksm_procfs *r;
    struct cost first, steady[ROUNDS], round;
    double w[ROUNDS], c[ROUNDS], mw, mc, per;
    size_t nguests, nthp;
    struct rlimit rl;

    /* As the exporter does: the hard limit on open files as the soft one. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    /* The kernel's files alone: the first read searches for ksmd and ksmtuned.
     */
    if (ksm_procfs_new(&kernel, &r) != 0)
        return 1;
    first = timed_read(r, true, &s);
    for (int k = 0; k < ROUNDS; k++)
        steady[k] = timed_read(r, true, &s);
    for (int k = 0; k < ROUNDS; k++) {
        w[k] = steady[k].wall;
        c[k] = steady[k].cpu;
    }
    mw = bench_median(w, ROUNDS);
    mc = bench_median(c, ROUNDS);
    printf("reads on their own cadence (us, wall / CPU)\n");
    printf("%-48s %10.0f %10.0f\n",
           "vmstat, meminfo, ksmd's stat (every scrape)", mw, mc);
    printf("%-48s %10.0f %10.0f\n",
           "search for ksmtuned, scan off (once a minute)", first.wall - mw,
           first.cpu - mc);
    ksm_procfs_free(r);

    /* The process scan with every guest's smaps_rollup due at once. */
    if (ksm_procfs_new(&scan, &r) != 0)
        return 1;
    first = timed_read(r, false, &s); /* opens every file, first THP round */
    for (int k = 0; k < ROUNDS; k++) {
        struct cost t = timed_read(r, false, &s); /* the clock stands still */

        w[k] = t.wall;
        c[k] = t.cpu;
    }
    mw = bench_median(w, ROUNDS);
    mc = bench_median(c, ROUNDS);
    now += 60 * UINT64_C(1000000000);
    round = timed_read(r, false, &s);
    nguests = guests(&s, &nthp);
    per = nguests ? (double)nguests : 1;
    printf("%-48s %10.0f %10.0f\n", "first process scan (opens every file)",
           first.wall, first.cpu);
    printf("%-48s %10.0f %10.0f\n", "process scan (every scrape)", mw, mc);
    printf("%-48s %10.2f %10.2f\n", "  per process examined",
           mw / (double)s.examined, mc / (double)s.examined);
    printf("%-48s %10.0f %10.0f\n",
           "smaps_rollup of every guest (once per interval)", round.wall - mw,
           round.cpu - mc);
    printf("%-48s %10.0f %10.0f\n", "  per guest", (round.wall - mw) / per,
           (round.cpu - mc) / per);
    printf("%" PRIu64
           " processes examined, %zu listed, %zu QEMU guests, %zu with "
           "a THP figure\n",
           s.examined, s.nprocesses, nguests, nthp);
    ksm_procfs_free(r);
    return 0;
}
