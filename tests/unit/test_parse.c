/* SPDX-License-Identifier: MIT */
/* Unit tests of the strict sysfs parsers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ksm/parse.h"

struct u64_case {
    const char *text;
    int rc;
    uint64_t value;
};

static const struct u64_case u64_cases[] = {
    {"0\n", 0, 0},
    {"0", 0, 0},
    {"42\n", 0, 42},
    {"007\n", 0, 7},
    {"18446744073709551615\n", 0, UINT64_MAX},
    {"18446744073709551616\n", -ERANGE, 0},
    {"99999999999999999999999\n", -ERANGE, 0},
    {"", -EINVAL, 0},
    {"\n", -EINVAL, 0},
    {" 5\n", -EINVAL, 0},
    {"5 \n", -EINVAL, 0},
    {"+1\n", -EINVAL, 0},
    {"-1\n", -EINVAL, 0},
    {"-0\n", -EINVAL, 0},
    {"42x\n", -EINVAL, 0},
    {"42\n\n", -EINVAL, 0},
    {"4\n2", -EINVAL, 0},
    {"0x10\n", -EINVAL, 0},
    {"1e3\n", -EINVAL, 0},
    {"lots\n", -EINVAL, 0},
    {"\t7\n", -EINVAL, 0},
};

START_TEST(test_u64_table)
{
    const struct u64_case *c = &u64_cases[_i];
    uint64_t v = 12345;
    int rc = ksm_parse_u64(c->text, strlen(c->text), &v);

    ck_assert_msg(rc == c->rc, "\"%s\": rc %d, want %d", c->text, rc, c->rc);
    ck_assert_uint_eq(v, c->rc == 0 ? c->value : 12345);
}
END_TEST

struct i64_case {
    const char *text;
    int rc;
    int64_t value;
};

static const struct i64_case i64_cases[] = {
    {"0\n", 0, 0},
    {"-0\n", 0, 0},
    {"-1234567\n", 0, -1234567},
    {"788060480\n", 0, 788060480},
    {"9223372036854775807\n", 0, INT64_MAX},
    {"-9223372036854775808\n", 0, INT64_MIN},
    {"9223372036854775808\n", -ERANGE, 0},
    {"-9223372036854775809\n", -ERANGE, 0},
    {"-18446744073709551616\n", -ERANGE, 0},
    {"-\n", -EINVAL, 0},
    {"--1\n", -EINVAL, 0},
    {"- 1\n", -EINVAL, 0},
    {"+1\n", -EINVAL, 0},
    {" -1\n", -EINVAL, 0},
    {"-1x\n", -EINVAL, 0},
    {"", -EINVAL, 0},
};

START_TEST(test_i64_table)
{
    const struct i64_case *c = &i64_cases[_i];
    int64_t v = 12345;
    int rc = ksm_parse_i64(c->text, strlen(c->text), &v);

    ck_assert_msg(rc == c->rc, "\"%s\": rc %d, want %d", c->text, rc, c->rc);
    ck_assert_int_eq(v, c->rc == 0 ? c->value : 12345);
}
END_TEST

/* The text is a counted buffer: bytes after n must never be looked at. */
START_TEST(test_counted_buffer)
{
    char buf[4] = {'1', '2', '3', '4'};
    uint64_t u = 0;
    int64_t i = 0;

    ck_assert_int_eq(ksm_parse_u64(buf, 2, &u), 0);
    ck_assert_uint_eq(u, 12);
    ck_assert_int_eq(ksm_parse_i64(buf, 3, &i), 0);
    ck_assert_int_eq(i, 123);
    ck_assert_int_eq(ksm_parse_u64(buf, 0, &u), -EINVAL);
}
END_TEST

struct sel_case {
    const char *text;
    int rc;
    unsigned count;
    unsigned selected;
    const char *second;
};

static const struct sel_case sel_cases[] = {
    {"[none] scan-time\n", 0, 2, 0, "scan-time"},
    {"none [scan-time]\n", 0, 2, 1, "scan-time"},
    {"[none] scan-time", 0, 2, 0, "scan-time"},
    {"[only]\n", 0, 1, 0, NULL},
    {"[a] b c d e f g h\n", 0, 8, 0, "b"},
    {"[a] b c d e f g h i\n", -ERANGE, 0, 0, NULL},
    {"[abcdefghijklmnopqrstuvwxyz]\n", -ERANGE, 0, 0, NULL},
    {"none scan-time\n", -EINVAL, 0, 0, NULL},
    {"[none] [scan-time]\n", -EINVAL, 0, 0, NULL},
    {"[none scan-time\n", -EINVAL, 0, 0, NULL},
    {"[none]  scan-time\n", -EINVAL, 0, 0, NULL},
    {"[none] scan-time \n", -EINVAL, 0, 0, NULL},
    {" [none]\n", -EINVAL, 0, 0, NULL},
    {"[]\n", -EINVAL, 0, 0, NULL},
    {"[none] none\n", -EINVAL, 0, 0, NULL},
    {"[None]\n", -EINVAL, 0, 0, NULL},
    {"[none] \"x\"\n", -EINVAL, 0, 0, NULL},
    {"[none]\n\n", -EINVAL, 0, 0, NULL},
    {"\n", -EINVAL, 0, 0, NULL},
    {"", -EINVAL, 0, 0, NULL},
};

START_TEST(test_selection_table)
{
    const struct sel_case *c = &sel_cases[_i];
    struct ksm_selection sel;
    int rc;

    memset(&sel, 0xa5, sizeof(sel));
    rc = ksm_parse_selection(c->text, strlen(c->text), &sel);
    ck_assert_msg(rc == c->rc, "\"%s\": rc %d, want %d", c->text, rc, c->rc);
    if (rc != 0) {
        ck_assert_uint_eq(sel.count, 0xa5a5a5a5u);
        return;
    }
    ck_assert_uint_eq(sel.count, c->count);
    ck_assert_uint_eq(sel.selected, c->selected);
    if (c->second)
        ck_assert_str_eq(sel.names[1], c->second);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *parse_suite(void)
{
    Suite *s = suite_create("parse");
    TCase *tc = tcase_create("u64");

    tcase_add_loop_test(tc, test_u64_table, 0, N(u64_cases));
    tcase_add_test(tc, test_counted_buffer);
    suite_add_tcase(s, tc);
    tc = tcase_create("i64");
    tcase_add_loop_test(tc, test_i64_table, 0, N(i64_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("selection");
    tcase_add_loop_test(tc, test_selection_table, 0, N(sel_cases));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(parse_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
