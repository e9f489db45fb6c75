/* SPDX-License-Identifier: MIT */
/* Unit tests of the problem tracker: each problem reported once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ksm/tracker.h"
#include "testutil.h"

struct log {
    int n;
    enum ksm_event ev[16];
    int field[16];
    int err[16];
};

static void record(void *ctx, enum ksm_event ev, int field, int err)
{
    struct log *l = ctx;

    ck_assert_int_lt(l->n, 16);
    l->ev[l->n] = ev;
    l->field[l->n] = field;
    l->err[l->n] = err;
    l->n++;
}

static struct ksm_sample up_sample(uint32_t failed, int err)
{
    struct ksm_sample s;

    memset(&s, 0, sizeof(s));
    s.up = true;
    s.failed = failed;
    for (int f = 0; f < KSM_FIELD_COUNT; f++)
        if (failed & KSM_FIELD_BIT(f))
            s.error[f] = err;
    return s;
}

START_TEST(test_file_problem_once)
{
    struct ksm_tracker t = {0};
    struct log l = {0};
    struct ksm_sample ok = up_sample(0, 0);
    struct ksm_sample bad = up_sample(KSM_FIELD_BIT(KSM_RUN), -EINVAL);
    struct ksm_sample worse = up_sample(KSM_FIELD_BIT(KSM_RUN), -ERANGE);

    ksm_tracker_update(&t, &ok, 0, record, &l);
    ck_assert_int_eq(l.n, 0); /* a clean start says nothing */
    ksm_tracker_update(&t, &bad, 0, record, &l);
    ksm_tracker_update(&t, &bad, 0, record, &l);
    ksm_tracker_update(&t, &bad, 0, record, &l);
    ck_assert_int_eq(l.n, 1);
    ck_assert_int_eq(l.ev[0], KSM_EVENT_FILE_FAILED);
    ck_assert_int_eq(l.field[0], KSM_RUN);
    ck_assert_int_eq(l.err[0], -EINVAL);
    ksm_tracker_update(&t, &worse, 0, record, &l); /* a different error */
    ck_assert_int_eq(l.n, 2);
    ck_assert_int_eq(l.err[1], -ERANGE);
    ksm_tracker_update(&t, &ok, 0, record, &l);
    ksm_tracker_update(&t, &ok, 0, record, &l);
    ck_assert_int_eq(l.n, 3);
    ck_assert_int_eq(l.ev[2], KSM_EVENT_FILE_RECOVERED);
    ck_assert_int_eq(l.field[2], KSM_RUN);
}
END_TEST

START_TEST(test_directory_problem_once)
{
    struct ksm_tracker t = {0};
    struct log l = {0};
    struct ksm_sample down;
    struct ksm_sample bad = up_sample(KSM_FIELD_BIT(KSM_RUN), -EINVAL);

    memset(&down, 0, sizeof(down));
    ksm_tracker_update(&t, &down, -ENOENT, record, &l);
    ksm_tracker_update(&t, &down, -ENOENT, record, &l);
    ck_assert_int_eq(l.n, 1); /* a failing start is said once */
    ck_assert_int_eq(l.ev[0], KSM_EVENT_DIR_FAILED);
    ck_assert_int_eq(l.err[0], -ENOENT);
    ksm_tracker_update(&t, &down, -EACCES, record, &l);
    ck_assert_int_eq(l.n, 2);
    ksm_tracker_update(&t, &bad, 0, record, &l);
    ck_assert_int_eq(l.n, 4);
    ck_assert_int_eq(l.ev[2], KSM_EVENT_DIR_RECOVERED);
    ck_assert_int_eq(l.ev[3], KSM_EVENT_FILE_FAILED);
    /* Down again: the file problem is forgotten, and said anew later. */
    ksm_tracker_update(&t, &down, -ENOENT, record, &l);
    ksm_tracker_update(&t, &bad, 0, record, &l);
    ck_assert_int_eq(l.n, 7);
    ck_assert_int_eq(l.ev[4], KSM_EVENT_DIR_FAILED);
    ck_assert_int_eq(l.ev[5], KSM_EVENT_DIR_RECOVERED);
    ck_assert_int_eq(l.ev[6], KSM_EVENT_FILE_FAILED);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tracker");
    TCase *tc = tcase_create("events");

    tcase_add_test(tc, test_file_problem_once);
    tcase_add_test(tc, test_directory_problem_once);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
