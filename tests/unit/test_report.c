/* SPDX-License-Identifier: MIT */
/* Unit tests of --report's JSON strings, UTF-8 check, wrapping and units. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "report.h"
#include "testutil.h"

/* What f(out) writes, in a malloc'd string the caller frees. */
#define CAPTURE(buf, call)                                                     \
    do {                                                                       \
        size_t len_;                                                           \
        FILE *out = open_memstream(&(buf), &len_);                             \
        ck_assert_ptr_nonnull(out);                                            \
        call;                                                                  \
        ck_assert_int_eq(fclose(out), 0);                                      \
    } while (0)

static const struct {
    const char *in;
    const char *want;
} json_strings[] = {
    {"", "\"\""},
    {"plain", "\"plain\""},
    {"a\"b\\c", "\"a\\\"b\\\\c\""},
    {"tab\tnl\ncr\r", "\"tab\\tnl\\ncr\\r\""},
    {"\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\""},
    {"esc\033[31m", "\"esc\\u001b[31m\""},
    /* Valid UTF-8 passes as it is: é, €, U+1F600. */
    {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
     "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""},
    /* Each byte of invalid UTF-8 becomes U+FFFD. */
    {"a\xff"
     "b",
     "\"a\xef\xbf\xbd"
     "b\""},
    {"\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""}, /* overlong */
    {"\xed\xa0\x80",
     "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},       /* surrogate */
    {"cut\xe2\x82", "\"cut\xef\xbf\xbd\xef\xbf\xbd\""}, /* truncated */
};

START_TEST(test_json_string)
{
    char *buf = NULL;

    CAPTURE(buf, report_json_string(out, json_strings[_i].in));
    ck_assert_str_eq(buf, json_strings[_i].want);
    free(buf);
}
END_TEST

START_TEST(test_utf8_len)
{
    ck_assert_uint_eq(report_utf8_len("a"), 1);
    ck_assert_uint_eq(report_utf8_len("\xc3\xa9"), 2);
    ck_assert_uint_eq(report_utf8_len("\xe2\x82\xac"), 3);
    ck_assert_uint_eq(report_utf8_len("\xf4\x8f\xbf\xbf"), 4); /* U+10FFFF */
    ck_assert_uint_eq(report_utf8_len("\xf4\x90\x80\x80"), 0); /* beyond */
    ck_assert_uint_eq(report_utf8_len("\xe0\x80\x80"), 0);     /* overlong */
    ck_assert_uint_eq(report_utf8_len("\x80"), 0);
    ck_assert_uint_eq(report_utf8_len("\xc3"), 0); /* cut by the NUL */
}
END_TEST

static const struct {
    const char *lead;
    const char *text;
    size_t indent, width;
    const char *want;
} wraps[] = {
    {"", "one two three", 0, 80, "one two three\n"},
    {"", "one two three", 2, 9, "one two\n  three\n"},
    {"Why: ", "aa bb cc dd", 2, 10, "Why: aa bb\n  cc dd\n"},
    /* Runs of blanks and newlines are one space; none at the ends. */
    {"", "  a \n\t b  ", 0, 80, "a b\n"},
    /* A word wider than the line is cut, and so fits. */
    {"", "abcdefghij xy", 0, 4, "abcd\nefgh\nij\nxy\n"},
    {"> ", "abcdefgh", 2, 5, "> abc\n  def\n  gh\n"},
    /* Characters, not bytes, are columns; control characters print '?'. */
    {"", "\xc3\xa9\xc3\xa9\xc3\xa9 \xc3\xa9", 0, 4,
     "\xc3\xa9\xc3\xa9\xc3\xa9\n\xc3\xa9\n"},
    {"", "a\033[31mb", 0, 80, "a?[31mb\n"},
    /* A wide character (U+6F22) or a combining one (U+0301) is one '?'. */
    {"",
     "a\xe6\xbc\xa2"
     "b",
     0, 80, "a?b\n"},
    {"", "e\xcc\x81", 0, 80, "e?\n"},
    /* The SGR sequences of a coloured lead take no column. */
    {"\033[1;33mw\033[0m: ", "aa bb", 2, 6, "\033[1;33mw\033[0m: aa\n  bb\n"},
    {"", "", 0, 80, "\n"},
};

START_TEST(test_wrap)
{
    char *buf = NULL;

    CAPTURE(buf, report_wrap(out, wraps[_i].lead, wraps[_i].text,
                             wraps[_i].indent, wraps[_i].width));
    ck_assert_str_eq(buf, wraps[_i].want);
    free(buf);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("json");

    tcase_add_loop_test(tc, test_json_string, 0,
                        (int)(sizeof(json_strings) / sizeof(json_strings[0])));
    tcase_add_test(tc, test_utf8_len);
    suite_add_tcase(s, tc);
    tc = tcase_create("text");
    tcase_add_loop_test(tc, test_wrap, 0,
                        (int)(sizeof(wraps) / sizeof(wraps[0])));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* As report_run() sets it, for wcwidth(). */
    setlocale(LC_CTYPE, "C.UTF-8");
    return run_suite(report_suite());
}
