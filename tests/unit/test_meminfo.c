/* SPDX-License-Identifier: MIT */
/* Unit tests of the /proc/meminfo parser. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ksm/meminfo.h"
#include "testutil.h"

static int parse(const char *text, struct ksm_meminfo *mi)
{
    return ksm_parse_meminfo(text, strlen(text), mi);
}

START_TEST(test_typical)
{
    static const char text[] = "MemTotal:       16777216 kB\n"
                               "MemFree:         1000000 kB\n"
                               "MemAvailable:    9000000 kB\n"
                               "Buffers:           10000 kB\n"
                               "Cached:           100000 kB\n"
                               "SwapCached:           55 kB\n"
                               "AnonHugePages:    530432 kB\n"
                               "HugePages_Total:       0\n"
                               "Hugepagesize:       2048 kB\n";
    struct ksm_meminfo mi;

    ck_assert_int_eq(parse(text, &mi), 0);
    ck_assert_uint_eq(mi.present, (1U << KSM_MEMINFO_FIELD_COUNT) - 1);
    ck_assert_uint_eq(mi.kb[KSM_MEMINFO_MEM_TOTAL], 16777216);
    ck_assert_uint_eq(mi.kb[KSM_MEMINFO_MEM_FREE], 1000000);
    ck_assert_uint_eq(mi.kb[KSM_MEMINFO_BUFFERS], 10000);
    /* SwapCached is another key, not Cached. */
    ck_assert_uint_eq(mi.kb[KSM_MEMINFO_CACHED], 100000);
    ck_assert_uint_eq(mi.kb[KSM_MEMINFO_ANON_HUGE_PAGES], 530432);
}
END_TEST

START_TEST(test_absent_and_empty)
{
    struct ksm_meminfo mi;

    ck_assert_int_eq(parse("MemTotal: 5 kB\nFoo: bar\n", &mi), 0);
    ck_assert_uint_eq(mi.present, 1U << KSM_MEMINFO_MEM_TOTAL);
    ck_assert_int_eq(parse("", &mi), 0);
    ck_assert_uint_eq(mi.present, 0);
}
END_TEST

static const struct {
    const char *text;
    int err;
} bad_cases[] = {
    {"MemTotal: 5 kB", -EINVAL}, /* cut buffer: no '\n' */
    {"MemTotal:5 kB\n", -EINVAL},
    {"MemTotal:  5kB\n", -EINVAL},
    {"MemTotal:  5\n", -EINVAL},
    {"MemTotal:   kB\n", -EINVAL},
    {"MemTotal:  -5 kB\n", -EINVAL},
    {"MemTotal:  +5 kB\n", -EINVAL},
    {"MemTotal:  5 kB \n", -EINVAL},
    {"MemTotal:  5 MB\n", -EINVAL},
    {"MemTotal:  5x kB\n", -EINVAL},
    {"MemTotal:\t5 kB\n", -EINVAL},
    {"MemTotal: 1 kB\nMemTotal: 1 kB\n", -EINVAL},
    {"Cached: 99999999999999999999 kB\n", -ERANGE},
    {"Foo: 1 kB\nMemFree: 1 kB", -EINVAL},
};

START_TEST(test_bad)
{
    struct ksm_meminfo mi = {.present = 77};

    ck_assert_int_eq(parse(bad_cases[_i].text, &mi), bad_cases[_i].err);
    ck_assert_uint_eq(mi.present, 77);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("meminfo");
    TCase *tc = tcase_create("parse");

    tcase_add_test(tc, test_typical);
    tcase_add_test(tc, test_absent_and_empty);
    tcase_add_loop_test(tc, test_bad, 0,
                        sizeof(bad_cases) / sizeof(bad_cases[0]));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
