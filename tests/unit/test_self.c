/* SPDX-License-Identifier: MIT */
/* Unit tests of the process_* reader against this very process. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "ksm/self.h"
#include "testutil.h"

/* When main() began: this process started shortly before or after it. */
static double main_started;

/* This process's user plus system time in seconds, as times() reports it. */
static double times_cpu_seconds(void)
{
    struct tms t;

    ck_assert(times(&t) != (clock_t)-1);
    return (double)(t.tms_utime + t.tms_stime) / (double)sysconf(_SC_CLK_TCK);
}

/*
 * Spins until times() reports at least seconds of CPU time, however long the
 * machine's load makes that take: a reader returning 0, or counting in the
 * wrong unit, then falls outside the bracket read_bracketed() checks.
 */
static void burn_cpu_until(double seconds)
{
    while (times_cpu_seconds() < seconds)
        for (volatile unsigned i = 0; i < 100000; i++)
            ;
}

/*
 * Reads *out between two times() readings. Both come from the same kernel
 * counters as /proc/self/stat, in the same clock ticks, so cpu_seconds must
 * lie between them; one tick either side absorbs rounding.
 */
static void read_bracketed(struct ksm_self_reader *r, struct ksm_self *out)
{
    double tick = 1.0 / (double)sysconf(_SC_CLK_TCK);
    double before = times_cpu_seconds(), after;

    ck_assert_int_eq(ksm_self_read(r, out), 0);
    after = times_cpu_seconds();
    ck_assert_double_ge(out->cpu_seconds, before - tick);
    ck_assert_double_le(out->cpu_seconds, after + tick);
}

START_TEST(test_reads_self)
{
    struct ksm_self_reader *r;
    struct ksm_self a, b;
    struct rlimit rl;
    int fd;

    ck_assert_int_eq(ksm_self_reader_new(NULL, &r), 0);
    burn_cpu_until(0.1);
    read_bracketed(r, &a);
    ck_assert_uint_gt(a.rss_bytes, 0);
    ck_assert_uint_ge(a.vsize_bytes, a.rss_bytes);
    /*
     * Started before now and, Check forking each test or not, at most a
     * moment before main(): a minute covers a slow exec() under load and the
     * whole seconds of /proc/stat's btime.
     */
    ck_assert_double_le(a.start_time, (double)time(NULL) + 1);
    ck_assert_double_ge(a.start_time, main_started - 60);
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    ck_assert_uint_eq(a.max_fds, rl.rlim_cur);

    /* One more descriptor shows as one more. */
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ksm_self_read(r, &b), 0);
    ck_assert_uint_eq(b.open_fds, a.open_fds + 1);
    close(fd);

    /* CPU time never goes back, and still matches times(). */
    burn_cpu_until(a.cpu_seconds + 0.05);
    read_bracketed(r, &b);
    ck_assert_double_ge(b.cpu_seconds, a.cpu_seconds);
    ck_assert_double_eq(b.start_time, a.start_time);
    ksm_self_reader_free(r);
    ksm_self_reader_free(NULL);
}
END_TEST

START_TEST(test_bad_procfs)
{
    struct ksm_self_reader *r = NULL;

    ck_assert_int_eq(ksm_self_reader_new("/nonexistent", &r), -ENOENT);
    ck_assert_ptr_null(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("self");
    TCase *tc = tcase_create("proc_self");

    main_started = (double)time(NULL);
    tcase_add_test(tc, test_reads_self);
    tcase_add_test(tc, test_bad_procfs);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
