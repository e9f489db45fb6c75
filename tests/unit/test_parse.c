/* SPDX-License-Identifier: MIT */
/* Unit tests of the strict sysfs and procfs parsers. */
/* Long: one Check suite per module, and most of it is tables of inputs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ksm/parse.h"
#include "testutil.h"

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
    /* transparent_hugepage/enabled and defrag as kernel 6.18 prints them */
    {"always [madvise] never\n", 0, 3, 1, "madvise"},
    {"always defer [defer+madvise] madvise never\n", 0, 5, 2, "defer"},
    {"[always] defer defer+madvise madvise never\n", 0, 5, 0, "defer"},
    {"[+]\n", 0, 1, 0, NULL},
    {"[defer*madvise]\n", -EINVAL, 0, 0, NULL},
    {"[defer madvise]+\n", -EINVAL, 0, 0, NULL},
    {"[defer+Madvise]\n", -EINVAL, 0, 0, NULL},
    {"[a.b]\n", -EINVAL, 0, 0, NULL},
    {"[a/b]\n", -EINVAL, 0, 0, NULL},
    {"[a]\tb\n", -EINVAL, 0, 0, NULL},
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

static const struct {
    const char *text;
    int rc;
    uint64_t count;
} node_cases[] = {
    {"0\n", 0, 1},
    {"0", 0, 1},
    {"0-1\n", 0, 2},
    {"0-3,5\n", 0, 5},
    {"1,3,5-7\n", 0, 5},
    {"0,1\n", 0, 2},
    {"1023\n", 0, 1},
    {"0-65535\n", 0, 65536},
    {"65536\n", -ERANGE, 0},
    {"0-99999999999999999999\n", -ERANGE, 0},
    {"\n", -EINVAL, 0},
    {"", -EINVAL, 0},
    {"1-0\n", -EINVAL, 0},
    {"1-1\n", -EINVAL, 0},
    {"2,1\n", -EINVAL, 0},
    {"0-2,2\n", -EINVAL, 0},
    {"0-2,1-3\n", -EINVAL, 0},
    {"01\n", -EINVAL, 0},
    {"00\n", -EINVAL, 0},
    {"-1\n", -EINVAL, 0},
    {"+1\n", -EINVAL, 0},
    {" 0\n", -EINVAL, 0},
    {"0 \n", -EINVAL, 0},
    {"0,\n", -EINVAL, 0},
    {",0\n", -EINVAL, 0},
    {"0,,1\n", -EINVAL, 0},
    {"0-\n", -EINVAL, 0},
    {"0--1\n", -EINVAL, 0},
    {"0-1-2\n", -EINVAL, 0},
    {"0\n\n", -EINVAL, 0},
    {"0x1\n", -EINVAL, 0},
    {"a\n", -EINVAL, 0},
};

START_TEST(test_node_list_table)
{
    uint64_t count = 0xa5a5;
    int rc = ksm_parse_node_list(node_cases[_i].text,
                                 strlen(node_cases[_i].text), &count);

    ck_assert_msg(rc == node_cases[_i].rc, "\"%s\": rc %d, want %d",
                  node_cases[_i].text, rc, node_cases[_i].rc);
    ck_assert_uint_eq(count, rc == 0 ? node_cases[_i].count : 0xa5a5);
}
END_TEST

/* The text is counted: what follows its n bytes is never read. */
START_TEST(test_node_list_counted)
{
    uint64_t count = 0;

    ck_assert_int_eq(ksm_parse_node_list("0-1junk", 3, &count), 0);
    ck_assert_uint_eq(count, 2);
    ck_assert_int_eq(ksm_parse_node_list("0-1", 2, &count), -EINVAL);
}
END_TEST

/* Fields 3..24 of a stat line, with utime 11, stime 22, starttime 33,
 * vsize 44 and rss 55 in their places. */
#define STAT_TAIL                                                              \
    "S 1 2 3 4 5 6 7 8 9 10 11 22 0 0 20 0 1 0 33 44 55 18446744073709551615 " \
    "1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

static const struct {
    const char *text;
    int rc;
    const char *comm;
} stat_cases[] = {
    {"1234 (ksm_exporter) " STAT_TAIL, 0, "ksm_exporter"},
    {"42 (ksmd) " STAT_TAIL, 0, "ksmd"},
    {"7 (a b) c) " STAT_TAIL, 0, "a b) c"},
    {"7 () " STAT_TAIL, 0, ""},
    {"7 (qemu-system-x86) " STAT_TAIL, 0, "qemu-system-x86"},
    {"7 (x) S 1 2 3\n", -EINVAL, NULL},
    {"7 x S " STAT_TAIL, -EINVAL, NULL},
    {"7 (x)S 1", -EINVAL, NULL},
    {"7 (x) S 1 2 3 4 5 6 7 8 9 10 -11 22 0 0 20 0 1 0 33 44 55\n", -EINVAL,
     NULL},
    {"7 (x) S 1 2 3 4 5 6 7 8 9 10 11 22 0 0 20 0 1 0 33 44 5x\n", -EINVAL,
     NULL},
    {"", -EINVAL, NULL},
};

START_TEST(test_proc_stat)
{
    struct ksm_proc_stat st = {0};
    char comm[16] = "unset";
    const char *t = stat_cases[_i].text;
    int rc = ksm_parse_proc_stat(t, strlen(t), &st, comm, sizeof(comm));

    ck_assert_msg(rc == stat_cases[_i].rc, "%s: rc %d", t, rc);
    if (rc != 0) {
        ck_assert_str_eq(comm, "unset");
        return;
    }
    ck_assert_str_eq(comm, stat_cases[_i].comm);
    ck_assert_int_eq(st.state, 'S');
    ck_assert_uint_eq(st.utime, 11);
    ck_assert_uint_eq(st.stime, 22);
    ck_assert_uint_eq(st.starttime, 33);
    ck_assert_uint_eq(st.vsize, 44);
    ck_assert_uint_eq(st.rss, 55);
}
END_TEST

/* A long command name is cut to the caller's buffer, never overrun. */
START_TEST(test_proc_stat_long_comm)
{
    static const char t[] = "9 (0123456789abcdefXYZ) " STAT_TAIL;
    struct ksm_proc_stat st;
    char comm[8];

    ck_assert_int_eq(ksm_parse_proc_stat(t, strlen(t), &st, comm, sizeof(comm)),
                     0);
    ck_assert_str_eq(comm, "0123456");
    ck_assert_int_eq(ksm_parse_proc_stat(t, strlen(t), &st, NULL, 0), 0);
}
END_TEST

#define KSM_STAT_6_18                                                          \
    "ksm_rmap_items 300\nksm_zero_pages 7\nksm_merging_pages 5000\n"           \
    "ksm_process_profit -1200\nksm_merge_any: no\nksm_mergeable: yes\n"

static const struct {
    const char *text;
    int rc;
    uint32_t present;
} ksm_stat_cases[] = {
    {KSM_STAT_6_18, 0, 0x3f},
    {"", 0, 0}, /* a kernel thread */
    {"ksm_rmap_items 1\n", 0, 1u << KSM_PROC_RMAP_ITEMS},
    {"ksm_rmap_items 1\nksm_new_thing 42 x\n", 0, 1u << KSM_PROC_RMAP_ITEMS},
    {"ksm_merging_pages lots\n", -EINVAL, 0},
    {"ksm_merging_pages -1\n", -EINVAL, 0},
    {"ksm_merging_pages 9223372036854775808\n", -ERANGE, 0},
    {"ksm_process_profit -9223372036854775809\n", -ERANGE, 0},
    {"ksm_mergeable: maybe\n", -EINVAL, 0},
    {"ksm_mergeable:yes\n", -EINVAL, 0},
    {"ksm_rmap_items 1", -EINVAL, 0},
    {"ksm_rmap_items\n", -EINVAL, 0},
    {"garbage\n", -EINVAL, 0},
};

START_TEST(test_ksm_stat)
{
    struct ksm_process_figures st;
    const char *t = ksm_stat_cases[_i].text;
    int rc;

    memset(&st, 0xa5, sizeof(st));
    rc = ksm_parse_ksm_stat(t, strlen(t), &st);
    ck_assert_msg(rc == ksm_stat_cases[_i].rc, "%s: rc %d", t, rc);
    if (rc != 0) {
        ck_assert_uint_eq(st.present, 0xa5a5a5a5u);
        return;
    }
    ck_assert_uint_eq(st.present, ksm_stat_cases[_i].present);
    if (_i == 0) {
        ck_assert_int_eq(st.value[KSM_PROC_RMAP_ITEMS], 300);
        ck_assert_int_eq(st.value[KSM_PROC_ZERO_PAGES], 7);
        ck_assert_int_eq(st.value[KSM_PROC_MERGING_PAGES], 5000);
        ck_assert_int_eq(st.value[KSM_PROC_PROFIT], -1200);
        ck_assert_int_eq(st.value[KSM_PROC_MERGE_ANY], 0);
        ck_assert_int_eq(st.value[KSM_PROC_MERGEABLE], 1);
    }
}
END_TEST

/* The file ksm_merging_pages: one unsigned figure that fits an int64_t. */
static const struct {
    const char *text;
    int rc;
    int64_t value;
} merging_cases[] = {
    {"0\n", 0, 0},
    {"777\n", 0, 777},
    {"9223372036854775807\n", 0, INT64_MAX},
    {"9223372036854775808\n", -ERANGE, 0},
    {"18446744073709551616\n", -ERANGE, 0},
    {"-1\n", -EINVAL, 0},
    {"12 \n", -EINVAL, 0},
    {"x\n", -EINVAL, 0},
    {"", -EINVAL, 0},
};

/*
 * A failure leaves the figures as they were: no present bit, no value, so
 * that a process whose file cannot be parsed never claims a figure.
 */
START_TEST(test_merging_pages)
{
    struct ksm_process_figures st = {
        .present = 1u << KSM_PROC_RMAP_ITEMS,
        .value[KSM_PROC_RMAP_ITEMS] = 40,
        .value[KSM_PROC_MERGING_PAGES] = -7,
    };
    const char *t = merging_cases[_i].text;
    int rc = ksm_parse_merging_pages(t, strlen(t), &st);

    ck_assert_msg(rc == merging_cases[_i].rc, "%s: rc %d", t, rc);
    ck_assert_int_eq(st.value[KSM_PROC_RMAP_ITEMS], 40);
    if (rc != 0) {
        ck_assert_uint_eq(st.present, 1u << KSM_PROC_RMAP_ITEMS);
        ck_assert_int_eq(st.value[KSM_PROC_MERGING_PAGES], -7);
        return;
    }
    ck_assert_uint_eq(st.present, (1u << KSM_PROC_RMAP_ITEMS) |
                                      (1u << KSM_PROC_MERGING_PAGES));
    ck_assert_int_eq(st.value[KSM_PROC_MERGING_PAGES], merging_cases[_i].value);
}
END_TEST

/* Command lines are NUL-separated; sizeof - 1 drops the literal's NUL. */
#define CMD(s) s, sizeof(s) - 1

static const struct {
    const char *cmd;
    size_t n;
    int rc;
    const char *name;
} qemu_cases[] = {
    {CMD("/usr/bin/"
         "qemu-system-x86_64\0-name\0guest=web01,debug-threads=on\0-S\0"),
     0, "web01"},
    {CMD("qemu\0-name\0web02\0"), 0, "web02"},
    {CMD("qemu\0-name\0web03,process=qemu:web03\0"), 0, "web03"},
    {CMD("qemu\0-name\0debug-threads=on,guest=db,,prod\0"), 0, "db,prod"},
    {CMD("qemu\0-name\0guest=a,,b,,c\0"), 0, "a,b,c"},
    {CMD("qemu\0-name\0unterminated"), 0, "unterminated"},
    {CMD("qemu\0-name\0guest=caf\xc3\xa9\0"), 0, "caf\xc3\xa9"},
    {CMD("qemu\0-name\0bad\xff\x01name\0"), 0, "bad??name"},
    {CMD("qemu\0-name\0"), -EINVAL, NULL},
    {CMD("qemu\0-name"), -EINVAL, NULL},
    {CMD("qemu\0-name\0guest=\0"), -EINVAL, NULL},
    {CMD("qemu\0-name\0debug-threads=on\0"), -EINVAL, NULL},
    {CMD("qemu\0-name\0,x\0"), -EINVAL, NULL},
    {CMD("qemu\0-m\0"
         "4096\0"),
     -ENOENT, NULL},
    {CMD("qemu\0--name\0x\0"), -ENOENT, NULL},
    {CMD("-names\0x\0"), -ENOENT, NULL},
    {"", 0, -ENOENT, NULL},
};

START_TEST(test_qemu_name)
{
    char name[64] = "unset";
    int rc = ksm_parse_qemu_name(qemu_cases[_i].cmd, qemu_cases[_i].n, name,
                                 sizeof(name));

    ck_assert_msg(rc == qemu_cases[_i].rc, "case %d: rc %d", _i, rc);
    if (rc == 0)
        ck_assert_str_eq(name, qemu_cases[_i].name);
    else
        ck_assert_str_eq(name, "unset");
}
END_TEST

/* An absurdly long name is cut to the buffer, on a character boundary. */
START_TEST(test_qemu_name_long)
{
    static char cmd[20000];
    char name[8];
    size_t n;

    /* "qemu", "-name", "guest=" and their separators: 17 bytes. */
    memcpy(cmd, "qemu\0-name\0guest=", 17);
    memset(cmd + 17, 'x', sizeof(cmd) - 17);
    ck_assert_int_eq(ksm_parse_qemu_name(cmd, sizeof(cmd), name, sizeof(name)),
                     0);
    ck_assert_str_eq(name, "xxxxxxx");
    /* "ab" then U+00E9 (2 bytes) x3: cut before a half character. */
    n = 17;
    memcpy(cmd + n, "ab\xc3\xa9\xc3\xa9\xc3\xa9", 8);
    n += 8;
    cmd[n++] = '\0';
    ck_assert_int_eq(ksm_parse_qemu_name(cmd, n, name, sizeof(name)), 0);
    ck_assert_str_eq(name, "ab\xc3\xa9\xc3\xa9");
    /* A name that fits exactly keeps its last multi-byte character. */
    n = 17;
    memcpy(cmd + n, "abcde\xc3\xa9", 7);
    n += 7;
    cmd[n++] = '\0';
    ck_assert_int_eq(ksm_parse_qemu_name(cmd, n, name, sizeof(name)), 0);
    ck_assert_str_eq(name, "abcde\xc3\xa9");
}
END_TEST

START_TEST(test_sanitize)
{
    char a[] = "plain name";
    char b[] = "tab\there\x7f";
    char c[] = "\xc3\xa9\xc3\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\x80";
    char d[] = "\xc0\xaf\xff";

    ksm_sanitize_text(a);
    ck_assert_str_eq(a, "plain name");
    ksm_sanitize_text(b);
    ck_assert_str_eq(b, "tab?here?");
    ksm_sanitize_text(c);
    ck_assert_str_eq(c, "\xc3\xa9?\xe2\x82\xac\xf0\x9f\x98\x80???");
    ksm_sanitize_text(d);
    ck_assert_str_eq(d, "???");
}
END_TEST

START_TEST(test_vmstat)
{
    static const char text[] = "cow_ksm 7\nnr_free 1\nksm_swpin_copy 12\n"
                               "xcow_ksm 9\nbad x\nlast 5";
    uint64_t v = 0;

    ck_assert_int_eq(ksm_parse_vmstat(text, strlen(text), "cow_ksm", &v), 0);
    ck_assert_uint_eq(v, 7); /* the first line, not "xcow_ksm" */
    ck_assert_int_eq(ksm_parse_vmstat(text, strlen(text), "ksm_swpin_copy", &v),
                     0);
    ck_assert_uint_eq(v, 12);
    ck_assert_int_eq(ksm_parse_vmstat(text, strlen(text), "last", &v), 0);
    ck_assert_uint_eq(v, 5);
    ck_assert_int_eq(ksm_parse_vmstat(text, strlen(text), "bad", &v), -EINVAL);
    ck_assert_int_eq(ksm_parse_vmstat(text, strlen(text), "nr", &v), -ENOENT);
    ck_assert_int_eq(ksm_parse_vmstat(text, 0, "cow_ksm", &v), -ENOENT);
    ck_assert_int_eq(ksm_parse_vmstat(text, 5, "cow_ksm", &v), -ENOENT);
}
END_TEST

/* statm as proc_pid_statm() prints it, and what else is refused. */
static const struct {
    const char *text;
    int rc;
    uint64_t pages;
} statm_cases[] = {
    {"765 426 399 5 0 123 0\n", 0, 426},
    {"0 0 0 0 0 0 0\n", 0, 0},
    {"1 18446744073709551615 0 0 0 0 0\n", 0, UINT64_MAX},
    {"1 18446744073709551616 0 0 0 0 0\n", -ERANGE, 0},
    {"765 426 399 5 0 123 0", -EINVAL, 0},     /* no '\n' */
    {"765 426 399 5 0 123\n", -EINVAL, 0},     /* six fields */
    {"765 426 399 5 0 123 0 0\n", -EINVAL, 0}, /* eight */
    {"765  426 399 5 0 123 0\n", -EINVAL, 0},  /* two blanks */
    {" 765 426 399 5 0 123 0\n", -EINVAL, 0},
    {"765 -426 399 5 0 123 0\n", -EINVAL, 0},
    {"765 +426 399 5 0 123 0\n", -EINVAL, 0},
    {"765 42x 399 5 0 123 0\n", -EINVAL, 0},
    {"765 426\n399 5 0 123 0\n", -EINVAL, 0},
    {"765 426 399 5 0 123 0\n\n", -EINVAL, 0},
    {"765 426 399 5 0 123 x\n", -EINVAL, 0}, /* every field is checked */
    {"\n", -EINVAL, 0},
    {"", -EINVAL, 0},
};

START_TEST(test_statm)
{
    const char *t = statm_cases[_i].text;
    uint64_t pages = 42;
    int rc = ksm_parse_statm_resident(t, strlen(t), &pages);

    ck_assert_msg(rc == statm_cases[_i].rc, "\"%s\": rc %d", t, rc);
    ck_assert_uint_eq(pages, rc == 0 ? statm_cases[_i].pages : 42);
}
END_TEST

#define ROLLUP_HEAD                                                            \
    "55f517ced000-7ffdc5d55000 ---p 00000000 00:00 0          [rollup]\n"      \
    "Rss:                1692 kB\nAnonymous:           116 kB\n"

/* smaps_rollup's AnonHugePages line, as the kernel prints it, and not. */
static const struct {
    const char *text;
    int rc;
    uint64_t kb;
} rollup_cases[] = {
    {ROLLUP_HEAD "AnonHugePages:    530432 kB\nSwap:         0 kB\n", 0,
     530432},
    {ROLLUP_HEAD "AnonHugePages:         0 kB\n", 0, 0},
    {"AnonHugePages:  123456789012 kB\n", 0, UINT64_C(123456789012)},
    {"AnonHugePages: 7 kB\n", 0, 7},
    /* Another key that starts alike is not the line. */
    {ROLLUP_HEAD "AnonHugePagesX: 5 kB\n", -ENOENT, 0},
    {ROLLUP_HEAD, -ENOENT, 0},
    {"", -ENOENT, 0},
    {"Rss: 5 kB\nFilePmdMapped: 0 kB\n", -ENOENT, 0},
    {"AnonHugePages:    530432 kB", -EINVAL, 0}, /* no '\n' */
    {"AnonHugePages:530432 kB\n", -EINVAL, 0},
    {"AnonHugePages:    530432 KB\n", -EINVAL, 0},
    {"AnonHugePages:    530432 kB \n", -EINVAL, 0},
    {"AnonHugePages:    530432kB\n", -EINVAL, 0},
    {"AnonHugePages:    530432\n", -EINVAL, 0},
    {"AnonHugePages:     kB\n", -EINVAL, 0},
    {"AnonHugePages:    -5 kB\n", -EINVAL, 0},
    {"AnonHugePages:    +5 kB\n", -EINVAL, 0},
    {"AnonHugePages:    5x kB\n", -EINVAL, 0},
    {"AnonHugePages:\t5 kB\n", -EINVAL, 0},
    {"AnonHugePages:    18446744073709551616 kB\n", -ERANGE, 0},
    {"AnonHugePages:    5 kB\nAnonHugePages:    5 kB\n", -EINVAL, 0},
    {" AnonHugePages:    5 kB\n", -ENOENT, 0},       /* not at a line's start */
    {"AnonHugePages: 5 kB\nSwap: 0 kB", -EINVAL, 0}, /* a cut text */
    {"AnonHugePages: 5 kB\nMemTotal: 8 kB\n", -EINVAL, 0},
};

START_TEST(test_anon_huge_pages)
{
    const char *t = rollup_cases[_i].text;
    uint64_t kb = 42;
    int rc = ksm_parse_anon_huge_pages(t, strlen(t), &kb);

    ck_assert_msg(rc == rollup_cases[_i].rc, "\"%s\": rc %d", t, rc);
    ck_assert_uint_eq(kb, rc == 0 ? rollup_cases[_i].kb : 42);
}
END_TEST

/* The text is n bytes: what follows them is not read. */
START_TEST(test_guest_files_counted)
{
    static const char statm[] = "1 2 3 4 5 6 7\nX";
    static const char rollup[] = "AnonHugePages: 9 kB\nAnonHugePages: 1 kB\n";
    uint64_t v = 0;

    ck_assert_int_eq(ksm_parse_statm_resident(statm, 14, &v), 0);
    ck_assert_uint_eq(v, 2);
    ck_assert_int_eq(ksm_parse_anon_huge_pages(rollup, 20, &v), 0);
    ck_assert_uint_eq(v, 9);
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
    tc = tcase_create("node_list");
    tcase_add_loop_test(tc, test_node_list_table, 0, N(node_cases));
    tcase_add_test(tc, test_node_list_counted);
    suite_add_tcase(s, tc);
    tc = tcase_create("proc_stat");
    tcase_add_loop_test(tc, test_proc_stat, 0, N(stat_cases));
    tcase_add_test(tc, test_proc_stat_long_comm);
    suite_add_tcase(s, tc);
    tc = tcase_create("vmstat");
    tcase_add_test(tc, test_vmstat);
    suite_add_tcase(s, tc);
    tc = tcase_create("ksm_stat");
    tcase_add_loop_test(tc, test_ksm_stat, 0, N(ksm_stat_cases));
    tcase_add_loop_test(tc, test_merging_pages, 0, N(merging_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("guest_files");
    tcase_add_loop_test(tc, test_statm, 0, N(statm_cases));
    tcase_add_loop_test(tc, test_anon_huge_pages, 0, N(rollup_cases));
    tcase_add_test(tc, test_guest_files_counted);
    suite_add_tcase(s, tc);
    tc = tcase_create("qemu_name");
    tcase_add_loop_test(tc, test_qemu_name, 0, N(qemu_cases));
    tcase_add_test(tc, test_qemu_name_long);
    tcase_add_test(tc, test_sanitize);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(parse_suite());
}
