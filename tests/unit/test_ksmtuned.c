/* SPDX-License-Identifier: MIT */
/* Unit tests of the ksmtuned model, checked against the real script too. */
/* Over 500 lines: one suite per module, and its case tables are long. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ksm/ksmtuned.h"
#include "ksm/parse.h"
#include "ksm/sampler.h"
#include "testutil.h"

#define CONFIGS KSM_FIXTURES_DIR "/../ksmtuned"
#define SCRIPT  "/usr/sbin/ksmtuned"

/* Reads fixture config name into *cfg. */
static void parse_fixture(const char *name, struct ksm_ksmtuned_config *cfg)
{
    char path[4096];
    char text[8192];
    FILE *f;
    size_t n;

    join(path, CONFIGS "/", name);
    f = fopen(path, "re");
    ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
    n = fread(text, 1, sizeof(text), f);
    ck_assert_uint_lt(n, sizeof(text));
    fclose(f);
    ck_assert_int_eq(ksm_ksmtuned_parse_config(text, n, cfg), 0);
}

static struct ksm_ksmtuned_config parse_text(const char *text)
{
    struct ksm_ksmtuned_config cfg;

    ck_assert_int_eq(ksm_ksmtuned_parse_config(text, strlen(text), &cfg), 0);
    return cfg;
}

static const int64_t defaults[KSM_KSMTUNED_VAR_COUNT] = {60,   300, -50, 64,
                                                         1250, 10,  20,  2048};

START_TEST(test_defaults)
{
    struct ksm_ksmtuned_config cfg = parse_text("");

    ck_assert_mem_eq(cfg.value, defaults, sizeof(defaults));
    ck_assert_uint_eq(cfg.set, 0);
    ck_assert_uint_eq(cfg.ignored_count, 0);
    /* Debian's shipped file has every line commented out. */
    parse_fixture("debian.conf", &cfg);
    ck_assert_mem_eq(cfg.value, defaults, sizeof(defaults));
    ck_assert_uint_eq(cfg.ignored_count, 0);
    /* Without the KSM_ prefix the script reads nothing. */
    parse_fixture("unprefixed.conf", &cfg);
    ck_assert_mem_eq(cfg.value, defaults, sizeof(defaults));
    ck_assert_uint_eq(cfg.ignored_count, 3);
    ck_assert_uint_eq(cfg.ignored[0].line, 3);
    ck_assert_int_eq(cfg.ignored[0].reason, KSM_KSMTUNED_UNKNOWN_NAME);
}
END_TEST

START_TEST(test_custom)
{
    static const int64_t want[KSM_KSMTUNED_VAR_COUNT] = {
        30, 1000, -200, 100, 5000, 20, 30, 4096};
    struct ksm_ksmtuned_config cfg;

    parse_fixture("custom.conf", &cfg);
    ck_assert_mem_eq(cfg.value, want, sizeof(want));
    ck_assert_uint_eq(cfg.set, (1U << KSM_KSMTUNED_VAR_COUNT) - 1);
    ck_assert_uint_eq(cfg.ignored_count, 0);
}
END_TEST

START_TEST(test_unset_and_last_wins)
{
    struct ksm_ksmtuned_config cfg;

    parse_fixture("unset.conf", &cfg);
    ck_assert_int_eq(cfg.value[KSM_KSMTUNED_NPAGES_MAX], 1250);
    ck_assert_int_eq(cfg.value[KSM_KSMTUNED_THRES_COEF], 20);
    ck_assert_int_eq(cfg.value[KSM_KSMTUNED_NPAGES_BOOST], 8);
    ck_assert_uint_eq(cfg.set, 1U << KSM_KSMTUNED_NPAGES_BOOST);
    ck_assert_uint_eq(cfg.ignored_count, 0);
}
END_TEST

START_TEST(test_line_endings)
{
    struct ksm_ksmtuned_config cfg;

    parse_fixture("no_newline.conf", &cfg);
    ck_assert_int_eq(cfg.value[KSM_KSMTUNED_NPAGES_BOOST], 500);
    ck_assert_int_eq(cfg.value[KSM_KSMTUNED_NPAGES_MIN], 10);
    ck_assert_uint_eq(cfg.ignored_count, 0);
    /*
     * bash keeps the '\r' in "500\r", and its arithmetic fails on it: both
     * values are reported, and so is the line holding only '\r'.
     */
    parse_fixture("crlf.conf", &cfg);
    ck_assert_mem_eq(cfg.value, defaults, sizeof(defaults));
    ck_assert_uint_eq(cfg.ignored_count, 3);
    ck_assert_uint_eq(cfg.ignored[0].line, 1);
    ck_assert_int_eq(cfg.ignored[0].reason, KSM_KSMTUNED_BAD_VALUE);
    ck_assert_uint_eq(cfg.ignored[1].line, 2);
    ck_assert_uint_eq(cfg.ignored[2].line, 4);
    ck_assert_int_eq(cfg.ignored[2].reason, KSM_KSMTUNED_SHELL_CODE);
}
END_TEST

START_TEST(test_garbage_file)
{
    static const unsigned lines[] = {2, 3, 4, 5, 6, 7, 8, 9};
    static const int reasons[] = {
        KSM_KSMTUNED_SHELL_CODE, KSM_KSMTUNED_SHELL_CODE,
        KSM_KSMTUNED_SHELL_CODE, KSM_KSMTUNED_SHELL_CODE,
        KSM_KSMTUNED_SHELL_CODE, KSM_KSMTUNED_UNKNOWN_NAME,
        KSM_KSMTUNED_BAD_VALUE,  KSM_KSMTUNED_BAD_VALUE};
    struct ksm_ksmtuned_config cfg;

    parse_fixture("garbage.conf", &cfg);
    /* Twelve lines ignored, the first eight named; the last line counts. */
    ck_assert_uint_eq(cfg.ignored_count, 12);
    for (unsigned i = 0; i < KSM_KSMTUNED_MAX_REPORTED; i++) {
        ck_assert_uint_eq(cfg.ignored[i].line, lines[i]);
        ck_assert_int_eq(cfg.ignored[i].reason, reasons[i]);
    }
    ck_assert_int_eq(cfg.value[KSM_KSMTUNED_THRES_COEF], 25);
    ck_assert_uint_eq(cfg.set, 1U << KSM_KSMTUNED_THRES_COEF);
}
END_TEST

/* One line each: what the model makes of it. */
static const struct {
    const char *line;
    int reason; /* -1: taken */
    int var;
    int64_t value;
} line_cases[] = {
    {"KSM_NPAGES_DECAY=-1", -1, KSM_KSMTUNED_NPAGES_DECAY, -1},
    {"KSM_NPAGES_DECAY=-0", -1, KSM_KSMTUNED_NPAGES_DECAY, 0},
    {"KSM_NPAGES_BOOST=0", -1, KSM_KSMTUNED_NPAGES_BOOST, 0},
    {"\t export\tKSM_NPAGES_BOOST=7 #", -1, KSM_KSMTUNED_NPAGES_BOOST, 7},
    {"KSM_NPAGES_MAX=4294967295", -1, KSM_KSMTUNED_NPAGES_MAX, 4294967295},
    {"KSM_THRES_CONST=-9223372036854775808", -1, KSM_KSMTUNED_THRES_CONST,
     INT64_MIN},
    {"KSM_MONITOR_INTERVAL=0", -1, KSM_KSMTUNED_MONITOR_INTERVAL, 0},
    {"PIDFILE=/run/ksmtune.pid", -1, 0, 60},
    {"DEBUG='1'", -1, 0, 60},
    {"KSM_NPAGES_BOOST=$((1+1))", KSM_KSMTUNED_SHELL_CODE, 0, 60},
    {"KSM_NPAGES_BOOST=$(rm -rf /)", KSM_KSMTUNED_SHELL_CODE, 0, 60},
    {"KSM_NPAGES_BOOST=\"$X\"", KSM_KSMTUNED_SHELL_CODE, 0, 60},
    {"KSM_NPAGES_BOOST=\"5", KSM_KSMTUNED_SHELL_CODE, 0, 60},
    {"KSM_NPAGES_BOOST='5'6", KSM_KSMTUNED_SHELL_CODE, 0, 60},
    {"KSM_NPAGES_BOOST=5 6", KSM_KSMTUNED_SHELL_CODE, 0, 60},
    {"KSM_NPAGES_BOOST=5;", KSM_KSMTUNED_SHELL_CODE, 0, 60},
    {"KSM_NPAGES_BOOST=1*", KSM_KSMTUNED_SHELL_CODE, 0, 60},
    {"KSM_NPAGES_BOOST=\\5", KSM_KSMTUNED_SHELL_CODE, 0, 60},
    {"=5", KSM_KSMTUNED_SHELL_CODE, 0, 60},
    {"1KSM=5", KSM_KSMTUNED_SHELL_CODE, 0, 60},
    {"exportKSM_NPAGES_BOOST=5", KSM_KSMTUNED_UNKNOWN_NAME, 0, 60},
    {"ksm_npages_boost=5", KSM_KSMTUNED_UNKNOWN_NAME, 0, 60},
    {"KSM_NPAGES_BOOST='$(id)'", KSM_KSMTUNED_BAD_VALUE, 0, 60},
    {"KSM_NPAGES_BOOST=5#c", KSM_KSMTUNED_BAD_VALUE, 0, 60},
    {"KSM_NPAGES_BOOST=0x10", KSM_KSMTUNED_BAD_VALUE, 0, 60},
    {"KSM_NPAGES_BOOST=00", KSM_KSMTUNED_BAD_VALUE, 0, 60},
    {"KSM_NPAGES_BOOST=-", KSM_KSMTUNED_BAD_VALUE, 0, 60},
    {"KSM_NPAGES_BOOST=' 5'", KSM_KSMTUNED_BAD_VALUE, 0, 60},
    {"KSM_NPAGES_BOOST=9223372036854775808", KSM_KSMTUNED_OUT_OF_RANGE, 0, 60},
    {"KSM_NPAGES_MIN=4294967296", KSM_KSMTUNED_OUT_OF_RANGE, 0, 60},
    {"KSM_NPAGES_MIN=-1", KSM_KSMTUNED_OUT_OF_RANGE, 0, 60},
    {"KSM_MONITOR_INTERVAL=-1", KSM_KSMTUNED_OUT_OF_RANGE, 0, 60},
};

START_TEST(test_line)
{
    struct ksm_ksmtuned_config cfg = parse_text(line_cases[_i].line);

    if (line_cases[_i].reason < 0) {
        ck_assert_uint_eq(cfg.ignored_count, 0);
    } else {
        ck_assert_uint_eq(cfg.ignored_count, 1);
        ck_assert_uint_eq(cfg.ignored[0].line, 1);
        ck_assert_int_eq(cfg.ignored[0].reason, line_cases[_i].reason);
        ck_assert_uint_eq(cfg.set, 0);
    }
    ck_assert_int_eq(cfg.value[line_cases[_i].var], line_cases[_i].value);
}
END_TEST

/* Lines that the shell joins to a refused one are refused with it. */
START_TEST(test_joined_lines)
{
    struct ksm_ksmtuned_config cfg =
        parse_text("KSM_NPAGES_BOOST=\"5\nKSM_NPAGES_MIN=1\n\"\n"
                   "KSM_NPAGES_MAX=9\n"
                   "FOO=1 \\\nKSM_THRES_COEF=1\n"
                   "KSM_THRES_CONST=\"a\\\"\nKSM_SLEEP_MSEC=1\"\n"
                   "# it's a comment\nKSM_MONITOR_INTERVAL=1\n");
    static const unsigned lines[] = {1, 2, 3, 5, 6, 7, 8};

    ck_assert_uint_eq(cfg.ignored_count, 7);
    for (unsigned i = 0; i < 7; i++)
        ck_assert_uint_eq(cfg.ignored[i].line, lines[i]);
    ck_assert_uint_eq(cfg.set, (1U << KSM_KSMTUNED_NPAGES_MAX) |
                                   (1U << KSM_KSMTUNED_MONITOR_INTERVAL));
    ck_assert_int_eq(cfg.value[KSM_KSMTUNED_NPAGES_MIN], 64);
    ck_assert_int_eq(cfg.value[KSM_KSMTUNED_NPAGES_MAX], 9);
}
END_TEST

START_TEST(test_nul_byte)
{
    static const char text[] = "KSM_NPAGES_BOOST=5\0rm -rf /\nKSM_NPAGES_MIN=1";
    struct ksm_ksmtuned_config cfg;

    ck_assert_int_eq(ksm_ksmtuned_parse_config(text, sizeof(text) - 1, &cfg),
                     0);
    ck_assert_uint_eq(cfg.ignored_count, 1);
    ck_assert_int_eq(cfg.ignored[0].reason, KSM_KSMTUNED_SHELL_CODE);
    ck_assert_int_eq(cfg.value[KSM_KSMTUNED_NPAGES_BOOST], 300);
    ck_assert_int_eq(cfg.value[KSM_KSMTUNED_NPAGES_MIN], 1);
}
END_TEST

/*
 * An assignment inside an if or a function is taken as if it ran: the
 * model executes nothing.  The lines that open and close the block are
 * shell code, so they are counted and the file shows as not fully modelled.
 */
START_TEST(test_block_assignments)
{
    static const char text[] = "if [ -e /x ]; then\n"
                               "    KSM_NPAGES_MAX=2000\n"
                               "fi\n"
                               "f() {\n"
                               "KSM_NPAGES_MIN=7\n"
                               "}\n";
    struct ksm_ksmtuned_config cfg = parse_text(text);
    static const unsigned lines[] = {1, 3, 4, 6};

    ck_assert_int_eq(cfg.value[KSM_KSMTUNED_NPAGES_MAX], 2000);
    ck_assert_int_eq(cfg.value[KSM_KSMTUNED_NPAGES_MIN], 7);
    ck_assert_uint_eq(cfg.ignored_count, 4);
    for (unsigned i = 0; i < 4; i++) {
        ck_assert_uint_eq(cfg.ignored[i].line, lines[i]);
        ck_assert_int_eq(cfg.ignored[i].reason, KSM_KSMTUNED_SHELL_CODE);
    }
}
END_TEST

/* Memory as meminfo gives it, in kB; a zero leaves a line out. */
struct memory {
    uint64_t total, free, buffers, cached;
};

static struct ksm_meminfo meminfo_of(const struct memory *m)
{
    struct ksm_meminfo mi = {0};
    const uint64_t kb[] = {m->total, m->free, m->buffers, m->cached};

    for (int i = 0; i < 4; i++)
        if (kb[i]) {
            mi.present |= 1U << i;
            mi.kb[i] = kb[i];
        }
    return mi;
}

/* Checks made with the defaults, the numbers worked out by hand. */
static const struct {
    struct memory mem;
    uint64_t committed;
    int64_t npages;
    enum ksm_ksmtuned_action action;
    int64_t want_npages, sleep, thres, free;
} decide_cases[] = {
    /* 16 GiB: thres 16777216 * 20 / 100 = 3355443, sleep 10. */
    {{16777216, 10000000, 0, 0},
     0,
     300,
     KSM_KSMTUNED_STOP,
     300,
     10,
     3355443,
     10000000},
    {{16777216, 1000000, 10000, 100000},
     14000000,
     0,
     KSM_KSMTUNED_BOOST,
     300,
     10,
     3355443,
     1110000},
    {{16777216, 5000000, 0, 0},
     14000000,
     300,
     KSM_KSMTUNED_DECAY,
     250,
     10,
     3355443,
     5000000},
    /* Decay from the start-up 0 is clamped to NPAGES_MIN. */
    {{16777216, 5000000, 0, 0},
     14000000,
     0,
     KSM_KSMTUNED_DECAY,
     64,
     10,
     3355443,
     5000000},
    {{16777216, 1000, 0, 0},
     0,
     1200,
     KSM_KSMTUNED_BOOST,
     1250,
     10,
     3355443,
     1000},
    /* free == thres: no stop (needs >), no boost (needs <): decay. */
    {{16777216, 3355443, 0, 0},
     0,
     300,
     KSM_KSMTUNED_DECAY,
     250,
     10,
     3355443,
     3355443},
    /* committed + thres == total: no stop. */
    {{16777216, 9000000, 0, 0},
     13421773,
     300,
     KSM_KSMTUNED_DECAY,
     250,
     10,
     3355443,
     9000000},
    {{16777216, 9000000, 0, 0},
     13421772,
     300,
     KSM_KSMTUNED_STOP,
     300,
     10,
     3355443,
     9000000},
    /* 1 GiB: sleep 167772160 / 1048576 = 160, thres 209715. */
    {{1048576, 100000, 0, 0},
     0,
     0,
     KSM_KSMTUNED_BOOST,
     300,
     160,
     209715,
     100000},
    /* 8000 kB: THRES_CONST wins, sleep 20971. */
    {{8000, 1000, 0, 0}, 0, 0, KSM_KSMTUNED_BOOST, 300, 20971, 2048, 1000},
    /* 64 GiB: sleep 2 is raised to 10. */
    {{67108864, 60000000, 0, 0},
     0,
     64,
     KSM_KSMTUNED_STOP,
     64,
     10,
     13421772,
     60000000},
    /* Buffers alone count when MemFree is missing, as awk sums them. */
    {{16777216, 0, 5000000, 0},
     0,
     64,
     KSM_KSMTUNED_STOP,
     64,
     10,
     3355443,
     5000000},
};

START_TEST(test_decide)
{
    struct ksm_ksmtuned_config cfg = parse_text("");
    struct ksm_meminfo mi = meminfo_of(&decide_cases[_i].mem);
    struct ksm_ksmtuned_decision d;

    ck_assert_int_eq(ksm_ksmtuned_decide(&cfg, &mi, decide_cases[_i].committed,
                                         decide_cases[_i].npages, &d),
                     0);
    ck_assert_int_eq(d.action, decide_cases[_i].action);
    ck_assert_int_eq(d.npages, decide_cases[_i].want_npages);
    ck_assert_int_eq(d.sleep_millisecs, decide_cases[_i].sleep);
    ck_assert_int_eq(d.thres_kb, decide_cases[_i].thres);
    ck_assert_int_eq(d.free_kb, decide_cases[_i].free);
    ck_assert_int_eq(d.total_kb, (int64_t)decide_cases[_i].mem.total);
    ck_assert(!d.free_unreadable);
}
END_TEST

START_TEST(test_decide_edges)
{
    struct ksm_ksmtuned_config cfg = parse_text("");
    struct memory m = {16777216, 2147483647, 0, 0};
    struct ksm_meminfo mi = meminfo_of(&m);
    struct ksm_ksmtuned_decision d = {.npages = 77};

    /* The largest free that mawk prints as an integer: a stop. */
    ck_assert_int_eq(ksm_ksmtuned_decide(&cfg, &mi, 0, 300, &d), 0);
    ck_assert_int_eq(d.action, KSM_KSMTUNED_STOP);
    /* One more and test fails on "2.14748e+09": a decay. */
    mi.kb[KSM_MEMINFO_MEM_FREE]++;
    ck_assert_int_eq(ksm_ksmtuned_decide(&cfg, &mi, 0, 300, &d), 0);
    ck_assert_int_eq(d.action, KSM_KSMTUNED_DECAY);
    ck_assert_int_eq(d.npages, 250);
    ck_assert(d.free_unreadable);
    ck_assert_int_eq(d.free_kb, 2147483648);
    /* The same for committed ends the script: no decision. */
    d.npages = 77;
    ck_assert_int_eq(ksm_ksmtuned_decide(&cfg, &mi, 2147483648U, 0, &d),
                     -ERANGE);
    mi.present = 1U << KSM_MEMINFO_MEM_TOTAL;
    ck_assert_int_eq(ksm_ksmtuned_decide(&cfg, &mi, 0, 0, &d), -EINVAL);
    mi.present |= 1U << KSM_MEMINFO_CACHED;
    mi.kb[KSM_MEMINFO_MEM_TOTAL] = 0;
    ck_assert_int_eq(ksm_ksmtuned_decide(&cfg, &mi, 0, 0, &d), -EINVAL);
    mi.present = 1U << KSM_MEMINFO_MEM_FREE;
    ck_assert_int_eq(ksm_ksmtuned_decide(&cfg, &mi, 0, 0, &d), -EINVAL);
    ck_assert_int_eq(d.npages, 77);
}
END_TEST

/* Command lines as /proc/PID/cmdline holds them (NUL-separated). */
static const struct {
    const char *cmdline;
    size_t n;
    bool counted;
} cmdline_cases[] = {
#define C(s, counted)                                                          \
    {                                                                          \
        s, sizeof(s) - 1, counted                                              \
    }
    C("qemu-system-x86_64\0-enable-kvm\0-m\0512\0", true),
    C("qemu-system-x86_64\0-m\0512\0-name\0a\0-enable-kvm", true),
    C("qemu-system-enable-kvm\0", true), /* ".*" may match nothing */
    C("qemu-system-x86_64\0--enable-kvm\0", true),
    /* libvirt: by path, with -accel. */
    C("/usr/bin/qemu-system-x86_64\0-name\0guest=db,debug-threads=on\0-accel"
      "\0kvm\0",
      false),
    C("/usr/bin/qemu-system-x86_64\0-enable-kvm\0", false),
    C("qemu-system-x86_64\0-accel\0kvm\0", false),
    C("qemu-system-x86_64\0-accel\0tcg\0", false),
    C("qemu-kvm\0-enable-kvm\0", false),
    C("qemu-system-x86_64\0-enable-kv\0m\0", false),
    C("qemu-system\0", false),
    C("qemu-syste", false),
    C(" qemu-system-x86_64\0-enable-kvm\0", false),
    C("QEMU-system-x86_64\0-enable-kvm\0", false),
    C("", false),
#undef C
};

START_TEST(test_counts)
{
    ck_assert_int_eq(
        ksm_ksmtuned_counts(cmdline_cases[_i].cmdline, cmdline_cases[_i].n),
        cmdline_cases[_i].counted);
}
END_TEST

/* Copies s without its NUL to dst. */
static void put(char *dst, const char *s)
{
    while (*s)
        *dst++ = *s++;
}

/* procps looks at the first 131071 bytes only (measured with pgrep). */
START_TEST(test_counts_long)
{
    size_t n = KSM_KSMTUNED_CMDLINE_MAX + 1;
    char *line = malloc(n);

    ck_assert_ptr_nonnull(line);
    memset(line, 'x', n);
    put(line, "qemu-system-x86_64");
    put(line + KSM_KSMTUNED_CMDLINE_MAX - 11, "-enable-kvm");
    ck_assert(ksm_ksmtuned_counts(line, n));
    memset(line + KSM_KSMTUNED_CMDLINE_MAX - 11, 'x', 11);
    put(line + KSM_KSMTUNED_CMDLINE_MAX - 10, "-enable-kvm");
    ck_assert(!ksm_ksmtuned_counts(line, n));
    free(line);
}
END_TEST

/* Situations in which the model and the real script must agree. */
static const struct {
    const char *conf;
    struct memory mem;
    const char *rss; /* RSS in kB of each counted process */
    int64_t npages;
} script_cases[] = {
    {"debian.conf", {16777216, 10000000, 0, 0}, "", 300},
    {"debian.conf", {16777216, 1000000, 10000, 100000}, "8000000 6000000", 0},
    {"debian.conf", {16777216, 5000000, 0, 0}, "14000000", 300},
    {"debian.conf", {16777216, 5000000, 0, 0}, "14000000", 0},
    {"debian.conf", {16777216, 3355443, 0, 0}, "", 300},
    {"debian.conf", {16777216, 9000000, 0, 0}, "13421773", 300},
    {"debian.conf", {16777216, 0, 5000000, 0}, "", 64},
    {"debian.conf", {67108864, 60000000, 0, 0}, "1", 64},
    {"debian.conf", {16777216, 2147483648, 0, 0}, "", 300},
    {"debian.conf", {16777216, 1000, 0, 0}, "2147483648", 300},
    {"custom.conf", {16777216, 1000000, 0, 0}, "14000000", 4900},
    {"custom.conf", {1048576, 500000, 0, 0}, "", 0},
    {"unset.conf", {8000, 1000, 0, 0}, "", 0},
    {"extreme.conf", {16777216, 1000, 0, 0}, "", 0},
    {"extreme.conf", {16777216, 10000000, 0, 0}, "20000000", 5},
    {"extreme.conf", {7, 10000000, 0, 0}, "2000", 5},
    {"unprefixed.conf", {67108864, 100, 0, 0}, "3 4", 1249},
    {"no_newline.conf", {16777216, 1000, 0, 0}, "", 1},
};

static void write_meminfo(const char *path, const struct memory *m)
{
    FILE *f = fopen(path, "we");

    ck_assert_ptr_nonnull(f);
    if (m->total)
        fprintf(f, "MemTotal:       %llu kB\n", (unsigned long long)m->total);
    if (m->free)
        fprintf(f, "MemFree:        %llu kB\n", (unsigned long long)m->free);
    fprintf(f, "MemAvailable:   1 kB\n");
    if (m->buffers)
        fprintf(f, "Buffers:        %llu kB\n", (unsigned long long)m->buffers);
    if (m->cached)
        fprintf(f, "Cached:         %llu kB\n", (unsigned long long)m->cached);
    fprintf(f, "SwapCached:     999999 kB\n");
    ck_assert_int_eq(fclose(f), 0);
}

static uint64_t sum_rss(const char *rss)
{
    uint64_t sum = 0;

    while (*rss) {
        size_t len = strcspn(rss, " ");
        uint64_t kb;

        ck_assert_int_eq(ksm_parse_u64(rss, len, &kb), 0);
        sum += kb;
        rss += len + (rss[len] == ' ');
    }
    return sum;
}

/* Reads the next line of the script's output into line, without '\n'. */
static void next_line(FILE *f, char *line, size_t size)
{
    ck_assert_ptr_nonnull(fgets(line, (int)size, f));
    line[strcspn(line, "\n")] = '\0';
}

static int64_t next_number(FILE *f)
{
    char line[64];
    int64_t v;

    next_line(f, line, sizeof(line));
    ck_assert_msg(ksm_parse_i64(line, strlen(line), &v) == 0,
                  "not a number: '%s'", line);
    return v;
}

static const char *const actions[] = {"stop", "boost", "decay"};

/*
 * Runs the harness on config file conf_name (into *cfg as the model reads
 * it), memory mem and the RSS list; npages and pages_to_scan are its last
 * arguments.  Checks the 8 settings it prints and returns its output, at
 * the action.  meminfo is a mkstemp() template, the file to unlink after.
 */
static FILE *run_script(const char *conf_name, const struct memory *mem,
                        const char *rss, const char *npages,
                        const char *pages_to_scan, char *meminfo,
                        struct ksm_ksmtuned_config *cfg)
{
    char conf[4096], cmd[8192];
    int fd, rc;
    FILE *f;

    parse_fixture(conf_name, cfg);
    /*
     * The harness sources the file: only files whose lines are all plain
     * assignments, at most to variables the script does not read.
     */
    ck_assert_uint_le(cfg->ignored_count, KSM_KSMTUNED_MAX_REPORTED);
    for (unsigned i = 0; i < cfg->ignored_count; i++)
        ck_assert_int_eq(cfg->ignored[i].reason, KSM_KSMTUNED_UNKNOWN_NAME);
    fd = mkstemp(meminfo);
    ck_assert_int_ge(fd, 0);
    close(fd);
    write_meminfo(meminfo, mem);
    join(conf, CONFIGS "/", conf_name);
    rc = snprintf(cmd, sizeof(cmd),
                  "bash " CONFIGS "/real_script.sh " SCRIPT " %s %s '%s' %s %s",
                  conf, meminfo, rss, npages, pages_to_scan);
    ck_assert(rc > 0 && (size_t)rc < sizeof(cmd));
    /*
     * A command processor on purpose: the command is the project's own
     * harness, fed fixture paths and a file name this test made.
     */
    f = popen(cmd, "r"); /* NOLINT(cert-env33-c) */
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < KSM_KSMTUNED_VAR_COUNT; i++)
        ck_assert_int_eq(next_number(f), cfg->value[i]);
    return f;
}

START_TEST(test_real_script)
{
    struct ksm_ksmtuned_config cfg;
    struct ksm_meminfo mi = meminfo_of(&script_cases[_i].mem);
    struct ksm_ksmtuned_decision d;
    char meminfo[] = "/tmp/ksmtuned-meminfo-XXXXXX";
    char npages[32], line[64];
    int rc;
    FILE *f;

    if (access(SCRIPT, R_OK) != 0) {
        fprintf(stderr, "skipped: %s is not installed\n", SCRIPT);
        return;
    }
    snprintf(npages, sizeof(npages), "%lld",
             (long long)script_cases[_i].npages);
    f = run_script(script_cases[_i].conf, &script_cases[_i].mem,
                   script_cases[_i].rss, npages, "", meminfo, &cfg);
    rc = ksm_ksmtuned_decide(&cfg, &mi, sum_rss(script_cases[_i].rss),
                             script_cases[_i].npages, &d);
    next_line(f, line, sizeof(line));
    if (rc == -ERANGE) {
        ck_assert_str_eq(line, "error");
    } else {
        ck_assert_int_eq(rc, 0);
        ck_assert_str_eq(line, actions[d.action]);
        if (d.action == KSM_KSMTUNED_STOP) {
            next_line(f, line, sizeof(line));
            ck_assert_str_eq(line, "-");
            next_line(f, line, sizeof(line));
            ck_assert_str_eq(line, "-");
        } else {
            ck_assert_int_eq(next_number(f), d.npages);
            ck_assert_int_eq(next_number(f), d.sleep_millisecs);
        }
        ck_assert_int_eq(next_number(f), d.npages);
        ck_assert_int_eq(next_number(f), d.thres_kb);
        if (d.free_unreadable) {
            next_line(f, line, sizeof(line));
            ck_assert_ptr_nonnull(strchr(line, 'e'));
        } else {
            ck_assert_int_eq(next_number(f), d.free_kb);
        }
    }
    ck_assert_int_eq(pclose(f), 0);
    unlink(meminfo);
}
END_TEST

/*
 * A ksmtuned that does not run yet: the script starts from npages 0 and
 * never reads pages_to_scan, which holds something else.  Its first check,
 * as the exporter predicts it from a sample, must be the script's.
 */
static const struct {
    const char *conf;
    struct memory mem;
    const char *rss;
    uint64_t pages_to_scan; /* the kernel's, before the check */
} start_cases[] = {
    {"debian.conf", {16777216, 1000000, 0, 0}, "14000000", 500},
    {"debian.conf", {16777216, 5000000, 0, 0}, "14000000", 1000},
    {"debian.conf", {16777216, 10000000, 0, 0}, "", 300},
    {"custom.conf", {16777216, 1000000, 0, 0}, "14000000", 4900},
};

START_TEST(test_real_script_start)
{
    struct ksm_process guest = {
        .qemu = true, .has_rss = true, .ksmtuned_counted = true};
    struct ksm_sample s = {.up = true};
    char meminfo[] = "/tmp/ksmtuned-meminfo-XXXXXX";
    char pages_to_scan[32], line[64];
    FILE *f;

    if (access(SCRIPT, R_OK) != 0) {
        fprintf(stderr, "skipped: %s is not installed\n", SCRIPT);
        return;
    }
    snprintf(pages_to_scan, sizeof(pages_to_scan), "%llu",
             (unsigned long long)start_cases[_i].pages_to_scan);
    f = run_script(start_cases[_i].conf, &start_cases[_i].mem,
                   start_cases[_i].rss, "-", pages_to_scan, meminfo,
                   &s.tuner.config);
    s.present = s.exists = KSM_FIELD_BIT(KSM_PAGES_TO_SCAN);
    s.value[KSM_PAGES_TO_SCAN].u = start_cases[_i].pages_to_scan;
    s.proc.opened = s.proc.scanned = true;
    s.proc.meminfo = meminfo_of(&start_cases[_i].mem);
    guest.rss_bytes = sum_rss(start_cases[_i].rss) * 1024;
    s.proc.processes = &guest;
    s.proc.nprocesses = 1;
    s.tuner.has_config = true;
    ksm_sample_derive_ksmtuned(&s);
    ck_assert(s.ksmtuned.has_next && s.ksmtuned.has_next_pages_to_scan);

    next_line(f, line, sizeof(line));
    ck_assert_str_eq(line, actions[s.ksmtuned.next.action]);
    /* The file after the check: written on boost and decay, kept on stop. */
    ck_assert_int_eq(next_number(f), s.ksmtuned.next_pages_to_scan);
    next_line(f, line, sizeof(line));
    ck_assert_int_eq(next_number(f), s.ksmtuned.next.npages);
    ck_assert_int_eq(next_number(f), s.ksmtuned.next.thres_kb);
    ck_assert_int_eq(next_number(f), s.ksmtuned.next.free_kb);
    ck_assert_int_eq(pclose(f), 0);
    unlink(meminfo);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ksmtuned");
    TCase *tc = tcase_create("config");

    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_custom);
    tcase_add_test(tc, test_unset_and_last_wins);
    tcase_add_test(tc, test_line_endings);
    tcase_add_test(tc, test_garbage_file);
    tcase_add_loop_test(tc, test_line, 0,
                        sizeof(line_cases) / sizeof(line_cases[0]));
    tcase_add_test(tc, test_joined_lines);
    tcase_add_test(tc, test_nul_byte);
    tcase_add_test(tc, test_block_assignments);
    suite_add_tcase(s, tc);
    tc = tcase_create("decide");
    tcase_add_loop_test(tc, test_decide, 0,
                        sizeof(decide_cases) / sizeof(decide_cases[0]));
    tcase_add_test(tc, test_decide_edges);
    suite_add_tcase(s, tc);
    tc = tcase_create("pgrep");
    tcase_add_loop_test(tc, test_counts, 0,
                        sizeof(cmdline_cases) / sizeof(cmdline_cases[0]));
    tcase_add_test(tc, test_counts_long);
    suite_add_tcase(s, tc);
    tc = tcase_create("real_script");
    tcase_add_loop_test(tc, test_real_script, 0,
                        sizeof(script_cases) / sizeof(script_cases[0]));
    tcase_add_loop_test(tc, test_real_script_start, 0,
                        sizeof(start_cases) / sizeof(start_cases[0]));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
