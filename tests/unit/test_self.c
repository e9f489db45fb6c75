/* SPDX-License-Identifier: MIT */
/* Unit tests of the process_* reader against this very process. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "testutil.h"

#include "ksm/self.h"

START_TEST(test_reads_self)
{
    struct ksm_self_reader *r;
    struct ksm_self a, b;
    struct rlimit rl;
    int fd;

    ck_assert_int_eq(ksm_self_reader_new(NULL, &r), 0);
    ck_assert_int_eq(ksm_self_read(r, &a), 0);
    ck_assert_uint_gt(a.rss_bytes, 0);
    ck_assert_uint_ge(a.vsize_bytes, a.rss_bytes);
    ck_assert_double_ge(a.cpu_seconds, 0);
    /* Started within the last hour, not in the future. */
    ck_assert_double_le(a.start_time, (double)time(NULL) + 1);
    ck_assert_double_gt(a.start_time, (double)time(NULL) - 3600);
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    ck_assert_uint_eq(a.max_fds, rl.rlim_cur);

    /* One more descriptor shows as one more. */
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ksm_self_read(r, &b), 0);
    ck_assert_uint_eq(b.open_fds, a.open_fds + 1);
    close(fd);

    /* CPU time only grows. */
    for (volatile unsigned long i = 0; i < 50000000; i++)
        ;
    ck_assert_int_eq(ksm_self_read(r, &b), 0);
    ck_assert_double_gt(b.cpu_seconds, a.cpu_seconds);
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

    tcase_add_test(tc, test_reads_self);
    tcase_add_test(tc, test_bad_procfs);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
