/* SPDX-License-Identifier: MIT */
/* Unit tests of the exposition writer, without HTTP. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ksm/render.h"
#include "testutil.h"

/* Renders a sample and returns the NUL-terminated body (caller frees b). */
static const char *render(struct ksm_buf *b, const struct ksm_sample *s,
                          enum ksm_format fmt)
{
    b->len = 0;
    ck_assert_int_eq(ksm_render(b, s, fmt), 0);
    ck_assert_int_eq(ksm_render_end(b, fmt), 0);
    return b->data;
}

static void assert_has(const char *body, const char *line)
{
    ck_assert_msg(strstr(body, line) != NULL, "missing:\n%s\nin:\n%s", line,
                  body);
}

static void assert_lacks(const char *body, const char *text)
{
    ck_assert_msg(strstr(body, text) == NULL, "unexpected %s", text);
}

START_TEST(test_text_typical)
{
    struct ksm_buf b = {0};
    struct ksm_sample s;
    const char *body;

    ck_assert_int_eq(read_fixture("typical", &s), 0);
    body = render(&b, &s, KSM_FORMAT_TEXT);
    assert_has(body, "# HELP ksm_pages_sharing How many more sites are "
                     "sharing them, i.e. how much is saved.\n"
                     "# TYPE ksm_pages_sharing gauge\n"
                     "ksm_pages_sharing 196608\n");
    assert_has(body, "# TYPE ksm_full_scans_total counter\n"
                     "ksm_full_scans_total 42\n");
    assert_has(body, "\nksm_saved_bytes 807403520\n");
    assert_has(body, "\nksm_sharing_ratio 8\n");
    assert_has(body, "\nksm_unshared_ratio 0.25\n");
    assert_has(body, "\nksm_sleep_seconds 0.02\n");
    assert_has(body, "\nksm_advisor_max_cpu_ratio 0.7\n");
    assert_has(body, "\nksm_general_profit_bytes 788060480\n");
    assert_has(body, "\nksm_advisor_mode{mode=\"none\"} 1\n"
                     "ksm_advisor_mode{mode=\"scan-time\"} 0\n");
    assert_has(body, "\nksm_read_errors_total{file=\"pages_shared\"} 0\n");
    assert_has(body, "\nksm_up 1\n");
    assert_lacks(body, "# UNIT");
    assert_lacks(body, "# EOF");
    assert_lacks(body, "ksm_full_scan_duration_seconds");
    ck_assert_int_eq(body[b.len - 1], '\n');
    ksm_buf_free(&b);
}
END_TEST

START_TEST(test_openmetrics_typical)
{
    struct ksm_buf b = {0};
    struct ksm_sample s;
    const char *body;

    ck_assert_int_eq(read_fixture("typical", &s), 0);
    body = render(&b, &s, KSM_FORMAT_OPENMETRICS);
    assert_has(body, "# HELP ksm_full_scans How many times all mergeable "
                     "areas have been scanned.\n"
                     "# TYPE ksm_full_scans counter\n"
                     "ksm_full_scans_total 42\n");
    assert_has(body, "# TYPE ksm_saved_bytes gauge\n"
                     "# UNIT ksm_saved_bytes bytes\n"
                     "ksm_saved_bytes 807403520\n");
    assert_has(body, "# UNIT ksm_sleep_seconds seconds\n");
    assert_has(body, "# TYPE ksm_read_errors counter\n");
    assert_lacks(body, "# TYPE ksm_full_scans_total");
    ck_assert_uint_ge(b.len, 6);
    ck_assert_str_eq(body + b.len - 6, "# EOF\n");
    ksm_buf_free(&b);
}
END_TEST

START_TEST(test_exact_extremes)
{
    struct ksm_buf b = {0};
    struct ksm_sample s;
    const char *body;

    ck_assert_int_eq(read_fixture("max_u64", &s), 0);
    body = render(&b, &s, KSM_FORMAT_TEXT);
    assert_has(body, "\nksm_pages_scanned_total 18446744073709551615\n");
    assert_has(body, "\nksm_general_profit_bytes 9223372036854775807\n");
    assert_has(body, "\nksm_zero_pages -9223372036854775808\n");
    ck_assert_int_eq(read_fixture("negative_profit", &s), 0);
    body = render(&b, &s, KSM_FORMAT_TEXT);
    assert_has(body, "\nksm_general_profit_bytes -1234567\n");
    ksm_buf_free(&b);
}
END_TEST

START_TEST(test_nan_spelling)
{
    struct ksm_buf b = {0};
    struct ksm_sample s;
    const char *body;

    ck_assert_int_eq(read_fixture("no_shared", &s), 0);
    body = render(&b, &s, KSM_FORMAT_TEXT);
    assert_has(body, "\nksm_sharing_ratio NaN\n");
    assert_has(body, "\nksm_unshared_ratio NaN\n");
    body = render(&b, &s, KSM_FORMAT_OPENMETRICS);
    assert_has(body, "\nksm_sharing_ratio NaN\n");
    ksm_buf_free(&b);
}
END_TEST

/* Families with no series this sample leave no HELP or TYPE behind. */
START_TEST(test_absent_families)
{
    struct ksm_buf b = {0};
    struct ksm_sample s;
    const char *body;

    ck_assert_int_eq(read_fixture("does-not-exist", &s), -ENOENT);
    body = render(&b, &s, KSM_FORMAT_TEXT);
    ck_assert_str_eq(body, "# HELP ksm_up 1 when the KSM directory could be "
                           "read, else 0.\n"
                           "# TYPE ksm_up gauge\n"
                           "ksm_up 0\n");
    ck_assert_int_eq(read_fixture("old_kernel", &s), 0);
    body = render(&b, &s, KSM_FORMAT_TEXT);
    assert_lacks(body, "ksm_general_profit_bytes");
    assert_lacks(body, "ksm_advisor_mode");
    assert_lacks(body, "file=\"general_profit\"");
    assert_has(body, "\nksm_read_errors_total{file=\"run\"} 0\n");
    ksm_buf_free(&b);
}
END_TEST

static size_t hostile_series(const struct ksm_metric *m,
                             const struct ksm_sample *s, ksm_emit_fn emit,
                             void *ctx)
{
    struct ksm_label l[2] = {{"a", "q\"b\\s\nn"}, {"b", ""}};
    struct ksm_value v = {.kind = KSM_VALUE_DOUBLE, .d = -INFINITY};

    (void)s;
    emit(ctx, m, l, 2, &v);
    v.d = INFINITY;
    emit(ctx, m, l + 1, 1, &v);
    return 2;
}

START_TEST(test_escaping)
{
    const struct ksm_metric m = {.name = "ksm_test",
                                 .help = "back\\slash \"quoted\"\nline",
                                 .type = KSM_GAUGE,
                                 .field = -1,
                                 .series = hostile_series};
    struct ksm_buf b = {0};
    struct ksm_sample s = {0};

    ck_assert_uint_eq(ksm_render_metric(&b, &m, &s, KSM_FORMAT_TEXT), 2);
    ck_assert_uint_eq(ksm_render_metric(&b, &m, &s, KSM_FORMAT_OPENMETRICS), 2);
    ck_assert_int_eq(ksm_render_end(&b, KSM_FORMAT_TEXT), 0);
    ck_assert_str_eq(b.data,
                     "# HELP ksm_test back\\\\slash \"quoted\"\\nline\n"
                     "# TYPE ksm_test gauge\n"
                     "ksm_test{a=\"q\\\"b\\\\s\\nn\",b=\"\"} -Inf\n"
                     "ksm_test{b=\"\"} +Inf\n"
                     "# HELP ksm_test back\\\\slash \\\"quoted\\\"\\nline\n"
                     "# TYPE ksm_test gauge\n"
                     "ksm_test{a=\"q\\\"b\\\\s\\nn\",b=\"\"} -Inf\n"
                     "ksm_test{b=\"\"} +Inf\n");
    ksm_buf_free(&b);
}
END_TEST

static const struct {
    double d;
    const char *text;
} doubles[] = {
    {0.0, "0"},
    {-0.5, "-0.5"},
    {0.02, "0.02"},
    {0.1, "0.1"},
    {0.7, "0.7"},
    {8.0, "8"},
    {1.0 / 3.0, "0.3333333333333333"},
    {2.0 / 3.0, "0.6666666666666666"},
    {0.1 + 0.2, "0.30000000000000004"},
    {1e21, "1e+21"},
    {123456789012.0, "123456789012"},
    {5e-324, "4.94065645841247e-324"},
    {2.8156e-05, "0.000028156"},
    {-0.25, "-0.25"},
    {0.001, "0.001"},
    {1.5, "1.5"},
    {10.05, "10.05"},
    {1795785534.56, "1795785534.56"},
    {0.123456789, "0.123456789"},
    {0.1234567891, "0.1234567891"},
    {1e-10, "1e-10"},
    {196608.0 / 271360.0, "0.7245283018867924"},
    {1.7976931348623157e308, "1.7976931348623157e+308"},
};

START_TEST(test_format_double)
{
    char buf[32];
    size_t n = ksm_format_double(doubles[_i].d, buf);

    ck_assert_str_eq(buf, doubles[_i].text);
    ck_assert_uint_eq(n, strlen(doubles[_i].text));
    ck_assert_double_eq(strtod(buf, NULL), doubles[_i].d);
}
END_TEST

START_TEST(test_format_special)
{
    char buf[32];

    ksm_format_double(NAN, buf);
    ck_assert_str_eq(buf, "NaN");
    ksm_format_double(INFINITY, buf);
    ck_assert_str_eq(buf, "+Inf");
    ksm_format_double(-INFINITY, buf);
    ck_assert_str_eq(buf, "-Inf");
}
END_TEST

/* A reused buffer stops allocating once it has held the largest body. */
START_TEST(test_buffer_reuse)
{
    struct ksm_buf b = {0};
    struct ksm_sample s;
    char *data;
    size_t cap, len;

    ck_assert_int_eq(read_fixture("typical", &s), 0);
    render(&b, &s, KSM_FORMAT_OPENMETRICS);
    data = b.data;
    cap = b.cap;
    len = b.len;
    for (int i = 0; i < 100; i++)
        render(&b, &s, KSM_FORMAT_OPENMETRICS);
    ck_assert_ptr_eq(b.data, data);
    ck_assert_uint_eq(b.cap, cap);
    ck_assert_uint_eq(b.len, len);
    ksm_buf_free(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

static Suite *render_suite(void)
{
    Suite *s = suite_create("render");
    TCase *tc = tcase_create("text");

    tcase_add_test(tc, test_text_typical);
    tcase_add_test(tc, test_exact_extremes);
    tcase_add_test(tc, test_nan_spelling);
    tcase_add_test(tc, test_absent_families);
    tcase_add_test(tc, test_escaping);
    suite_add_tcase(s, tc);

    tc = tcase_create("openmetrics");
    tcase_add_test(tc, test_openmetrics_typical);
    suite_add_tcase(s, tc);

    tc = tcase_create("numbers");
    tcase_add_loop_test(tc, test_format_double, 0,
                        (int)(sizeof(doubles) / sizeof(doubles[0])));
    tcase_add_test(tc, test_format_special);
    suite_add_tcase(s, tc);

    tc = tcase_create("buffer");
    tcase_add_test(tc, test_buffer_reuse);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(render_suite());
}
