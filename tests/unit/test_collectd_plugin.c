/* SPDX-License-Identifier: MIT */
/* Unit tests of ksm.so without the daemon: collectd's symbols are stubbed. */
/* Long: one Check suite for the plugin, with a TCase per concern. */
/*
 * collectd.h first, as in collectd's own plugins: it brings in collectd's
 * config.h before any system header is read.
 */
#include "collectd/core/daemon/collectd.h"
#include "collectd_stubs.h"

#include <math.h>

#include <check.h>

#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"
#include "testutil.h"

/* ---- building configs and reading ------------------------------------ */

/* A string value; the text is copied to one of a few static slots. */
static oconfig_value_t str_value(const char *s)
{
    static char pool[4][4096];
    static unsigned next;
    oconfig_value_t v = {.type = OCONFIG_TYPE_STRING};

    v.value.string = pool[next++ % 4];
    snprintf(v.value.string, sizeof(pool[0]), "%s", s);
    return v;
}

static oconfig_value_t bool_value(int b)
{
    oconfig_value_t v = {.type = OCONFIG_TYPE_BOOLEAN};

    v.value.boolean = b;
    return v;
}

/* One option of a <Plugin ksm> block, with the single value *value. */
static oconfig_item_t option(char *key, oconfig_value_t *value)
{
    return (oconfig_item_t){.key = key, .values = value, .values_num = 1};
}

/* Loads the plugin with one <Plugin ksm> block of n options. */
static int configure(oconfig_item_t *children, int n)
{
    oconfig_item_t block = {
        .key = (char[]){"Plugin"}, .children = children, .children_num = n};

    nvalues = nlogged = 0;
    config_cb = NULL;
    init_cb = NULL;
    module_register();
    ck_assert(config_cb != NULL);
    ck_assert(init_cb != NULL);
    ck_assert(shutdown_cb != NULL);
    return config_cb(&block);
}

/* Configures, initialises and reads once; each step must succeed. */
static void load_and_read(oconfig_item_t *opts, int n)
{
    ck_assert_int_eq(configure(opts, n), 0);
    ck_assert_int_eq(init_cb(), 0);
    ck_assert(read_cb != NULL);
    ck_assert_int_eq(read_cb(&read_ud), 0);
}

static void unload(void)
{
    stub_unregister_read();
    shutdown_cb();
}

static const struct dispatched *find_in(const char *pinst, const char *type,
                                        const char *inst)
{
    for (int i = 0; i < nvalues; i++)
        if (strcmp(values[i].plugin_instance, pinst) == 0 &&
            strcmp(values[i].type, type) == 0 &&
            strcmp(values[i].type_instance, inst) == 0)
            return &values[i];
    return NULL;
}

static const struct dispatched *find(const char *type, const char *inst)
{
    return find_in("", type, inst);
}

/* The gauge under plugin instance pinst ("" for none) is want (or NaN). */
static void assert_gauge_in(const char *pinst, const char *type,
                            const char *inst, double want)
{
    const struct dispatched *d = find_in(pinst, type, inst);

    ck_assert_msg(d != NULL, "%s/%s-%s not dispatched", pinst, type, inst);
    if (isnan(want))
        ck_assert_msg(isnan(d->value.gauge), "%s-%s: %g", type, inst,
                      d->value.gauge);
    else
        ck_assert_msg(d->value.gauge == want, "%s/%s-%s: %.17g, want %.17g",
                      pinst, type, inst, d->value.gauge, want);
}

static void assert_gauge(const char *type, const char *inst, double want)
{
    assert_gauge_in("", type, inst, want);
}

static void assert_derive(const char *type, const char *inst, int64_t want)
{
    const struct dispatched *d = find(type, inst);

    ck_assert_msg(d != NULL, "%s-%s not dispatched", type, inst);
    ck_assert_msg(d->value.derive == want, "%s-%s: %lld", type, inst,
                  (long long)d->value.derive);
}

static int count_logged(const char *needle)
{
    int n = 0;

    for (int i = 0; i < nlogged; i++)
        n += strstr(logged[i], needle) != NULL;
    return n;
}

/*
 * The series of the typical fixture from beside the KSM directory, none of
 * them a tunable: transparent_hugepage's enabled (3 choices) and defrag
 * (5), the NUMA memory nodes, the scan speed and the estimated full scan,
 * and the error counters of thp_enabled, thp_defrag and node_has_memory.
 */
#define HOST_SERIES (3 + 5 + 1 + 2 + 3)

/*
 * Without procfs, ksmtuned's 8 settings and its ignored lines: the script's
 * defaults, since the tests name a config file that does not exist.
 */
#define KSMTUNED_SERIES     (8 + 1)
#define KSMTUNED_CONF(name) KSM_FIXTURES_DIR "/../ksmtuned/" name

/*
 * The verdict's 6 series, and the findings that need neither procfs nor an
 * earlier reading (negative_profit, unshared and numa), each with its figure
 * and threshold.
 */
#define VERDICT_SERIES (6 + 3 * 3)

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_typical_identifiers)
{
    oconfig_value_t root = str_value(fixture("typical"));
    oconfig_value_t proc = str_value("/nonexistent");
    oconfig_value_t conf = str_value("/nonexistent");
    oconfig_item_t opts[] = {option((char[]){"SysfsRoot"}, &root),
                             option((char[]){"ProcfsRoot"}, &proc),
                             option((char[]){"KsmtunedConfig"}, &conf)};

    load_and_read(opts, 3);

    assert_gauge("vmpage_number", "shared", 24576);
    assert_gauge("vmpage_number", "sharing", 196608);
    assert_gauge("vmpage_number", "unshared", 49152);
    assert_gauge("vmpage_number", "volatile", 1024);
    assert_gauge("vmpage_number", "zero", 512);
    assert_gauge("count", "stable_node_chains", 3);
    assert_derive("total_operations", "full_scans", 42);
    assert_derive("total_operations", "pages_scanned", 123456789);
    assert_derive("total_operations", "pages_skipped", 2345678);
    assert_gauge("gauge", "general_profit", 788060480);
    assert_gauge("bytes", "saved", 807403520);
    assert_gauge("bytes", "rmap_overhead", 17367040);
    assert_gauge("gauge", "sharing_ratio", 8);
    assert_gauge("gauge", "unshared_ratio", 0.25);
    assert_gauge("duration", "sleep", 0.02);
    assert_gauge("gauge", "run", 1);
    assert_gauge("gauge", "advisor_mode-none", 1);
    assert_gauge("gauge", "advisor_mode-scan-time", 0);
    assert_derive("errors", "pages_shared", 0);
    ck_assert_ptr_null(find("gauge", "up"));
    /*
     * The typical host saves 770 MiB for 17 MiB of rmap_items; merging
     * across its 2 nodes is a fact, not a warning.
     */
    assert_gauge("gauge", "verdict-pays", 1);
    assert_gauge("gauge", "verdict-could_pay_more", 0);
    assert_gauge("gauge", "finding-numa", 1);
    assert_gauge("gauge", "finding-negative_profit", 0);
    assert_gauge("gauge", "finding_value-numa", 2);
    assert_gauge("gauge", "finding_threshold-numa", 2);
    ck_assert_ptr_null(find("gauge", "finding-thp_guests"));

    /* One value each, all under plugin ksm, no identifier twice. */
    for (int i = 0; i < nvalues; i++) {
        ck_assert_str_eq(values[i].plugin, "ksm");
        ck_assert_uint_eq(values[i].values_len, 1);
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(values[i].type, values[j].type) != 0 ||
                              strcmp(values[i].type_instance,
                                     values[j].type_instance) != 0,
                          "%s-%s twice", values[i].type,
                          values[i].type_instance);
    }
    /*
     * 24 files (advisor_mode gives 2), 6 derived, 24 error counters; and
     * HOST_SERIES of the host beside KSM, KSMTUNED_SERIES and
     * VERDICT_SERIES.
     */
    ck_assert_int_eq(nvalues, 25 + 5 + 24 + HOST_SERIES + KSMTUNED_SERIES +
                                  VERDICT_SERIES);
    unload();
}
END_TEST

START_TEST(test_no_tunables)
{
    oconfig_value_t root = str_value(fixture("typical"));
    oconfig_value_t off = bool_value(0);
    oconfig_value_t proc = str_value("/nonexistent");
    oconfig_value_t conf = str_value("/nonexistent");
    oconfig_item_t opts[] = {option((char[]){"SysfsRoot"}, &root),
                             option((char[]){"ReportTunables"}, &off),
                             option((char[]){"ProcfsRoot"}, &proc),
                             option((char[]){"KsmtunedConfig"}, &conf)};

    load_and_read(opts, 4);
    ck_assert_ptr_null(find("gauge", "run"));
    ck_assert_ptr_null(find("duration", "sleep"));
    ck_assert_ptr_null(find("gauge", "advisor_mode-none"));
    assert_gauge("vmpage_number", "sharing", 196608);
    /* 11 statistics, 5 derived, 24 error counters: 14 tunable series gone. */
    ck_assert_int_eq(nvalues, 11 + 5 + 24 + HOST_SERIES + KSMTUNED_SERIES +
                                  VERDICT_SERIES);
    unload();
}
END_TEST

START_TEST(test_nan_ratio)
{
    oconfig_value_t root = str_value(fixture("no_shared"));
    oconfig_item_t opt = option((char[]){"SysfsRoot"}, &root);

    load_and_read(&opt, 1);
    assert_gauge("gauge", "sharing_ratio", NAN);
    assert_gauge("bytes", "saved", 0);
    unload();
}
END_TEST

/* The cost side and one plugin instance per listed process. */
START_TEST(test_processes)
{
    oconfig_value_t root = str_value(fixture("typical"));
    oconfig_value_t proc = str_value(KSM_PROCFS_DIR "/typical");
    oconfig_value_t conf = str_value("/nonexistent");
    oconfig_item_t opts[] = {option((char[]){"SysfsRoot"}, &root),
                             option((char[]){"ProcfsRoot"}, &proc),
                             option((char[]){"KsmtunedConfig"}, &conf)};

    load_and_read(opts, 3);
    if (sysconf(_SC_CLK_TCK) == 100)
        assert_derive("total_time_in_ms", "ksmd", 40000); /* 40 s in ms */
    assert_derive("total_operations", "cow", 1234);
    assert_derive("total_operations", "swapin_copies", 5);
    assert_gauge("count", "scan_examined", 18);
    assert_derive("errors", "ksm_stat", 1);

    /* Two processes of guest web01: each gets VM-PID, never one shared. */
    ck_assert_ptr_null(find_in("web01", "vmpage_number", "merging"));
    assert_gauge_in("web01-1000", "vmpage_number", "merging", 30000);
    assert_gauge_in("web01-1013", "vmpage_number", "merging", 4);
    assert_gauge_in("web01-1000", "gauge", "profit", 120000000);
    assert_gauge_in("web02", "vmpage_number", "merging", 8);
    assert_gauge_in("db,prod", "gauge", "mergeable", 0);
    assert_gauge_in("redis-server-1002", "gauge", "merge_any", 1);
    /* '/' cannot be part of an identifier. */
    ck_assert_ptr_nonnull(find_in("CPU 0_KVM-1006", "gauge", "mergeable"));
    ck_assert_ptr_nonnull(find_in("we_ird-1009", "count", "rmap_items"));
    ck_assert_ptr_null(find_in("bash-1003", "gauge", "mergeable"));
    unload();

    /* ReportProcesses false: no per-process instance, the cost side stays. */
    {
        oconfig_value_t off = bool_value(0);
        oconfig_item_t more[] = {opts[0], opts[1],
                                 option((char[]){"ReportProcesses"}, &off)};

        load_and_read(more, 3);
        ck_assert_ptr_null(find_in("web01", "vmpage_number", "merging"));
        ck_assert_ptr_null(find("count", "scan_examined"));
        assert_derive("total_operations", "cow", 1234);
        unload();
    }
}
END_TEST

/*
 * Adds a fake QEMU guest named vm, process pid, with merging pages, to the
 * fake procfs root.
 */
static void add_guest(const char *root, const char *pid, const char *vm,
                      const char *merging)
{
    char dir[4096], sub[4096], text[256];
    char cmdline[256];
    int fd, n;

    join(sub, "/", pid);
    join(dir, root, sub);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    write_file(dir, "comm", "qemu-system-x86\n");
    snprintf(text, sizeof(text),
             "ksm_rmap_items 10\nksm_zero_pages 0\nksm_merging_pages %s\n"
             "ksm_process_profit 0\nksm_merge_any: no\nksm_mergeable: yes\n",
             merging);
    write_file(dir, "ksm_stat", text);
    /* The command line's arguments end in NULs, as the kernel writes it. */
    n = snprintf(cmdline, sizeof(cmdline),
                 "/usr/bin/qemu-system-x86_64%c-name%cguest=%s%c", 0, 0, vm, 0);
    join(sub, dir, "/cmdline");
    fd = open(sub, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, cmdline, (size_t)n), n);
    close(fd);
}

/* The guest's process exits: its directory goes. */
static void remove_guest(const char *root, const char *pid)
{
    char dir[4096], sub[4096];

    join(sub, "/", pid);
    join(dir, root, sub);
    rm_rf(dir);
}

/* Reads once more; the values of this read only. */
static void read_again(void)
{
    nvalues = 0;
    ck_assert_int_eq(read_cb(&read_ud), 0);
}

/*
 * A guest keeps its plugin instance while it lives, whoever else comes and
 * goes with the same VM name, so that its graphs never break.
 */
START_TEST(test_instance_stays)
{
    char proc[4096];
    oconfig_value_t root = str_value(fixture("typical"));
    oconfig_value_t pv;
    oconfig_item_t opts[2];

    snprintf(proc, sizeof(proc), "/tmp/ksm-proc-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(proc));
    pv = str_value(proc);
    opts[0] = option((char[]){"SysfsRoot"}, &root);
    opts[1] = option((char[]){"ProcfsRoot"}, &pv);
    add_guest(proc, "2001", "db", "100");
    load_and_read(opts, 2);
    assert_gauge_in("db", "vmpage_number", "merging", 100);

    /* A second "db" arrives: the first keeps "db". */
    add_guest(proc, "2002", "db", "200");
    read_again();
    assert_gauge_in("db", "vmpage_number", "merging", 100);
    assert_gauge_in("db-2002", "vmpage_number", "merging", 200);
    ck_assert_ptr_null(find_in("db-2001", "vmpage_number", "merging"));

    /* The first exits: the second is not renamed. */
    remove_guest(proc, "2001");
    read_again();
    assert_gauge_in("db-2002", "vmpage_number", "merging", 200);
    ck_assert_ptr_null(find_in("db", "vmpage_number", "merging"));
    read_again();
    assert_gauge_in("db-2002", "vmpage_number", "merging", 200);

    /* The plain name is free again: the next "db" to arrive takes it. */
    add_guest(proc, "2003", "db", "300");
    read_again();
    assert_gauge_in("db", "vmpage_number", "merging", 300);
    assert_gauge_in("db-2002", "vmpage_number", "merging", 200);

    unload();
    rm_rf(proc);
}
END_TEST

/* The first read logs whether per-process figures are on, and the scan. */
START_TEST(test_scan_logged_once)
{
    oconfig_value_t root = str_value(fixture("typical"));
    oconfig_value_t proc = str_value(KSM_PROCFS_DIR "/typical");
    oconfig_item_t opts[] = {option((char[]){"SysfsRoot"}, &root),
                             option((char[]){"ProcfsRoot"}, &proc)};

    load_and_read(opts, 2);
    ck_assert_int_eq(count_logged("per-process figures on"), 1);
    ck_assert_int_eq(count_logged("the process scan read all 18 processes"), 1);
    read_again();
    read_again();
    ck_assert_int_eq(count_logged("the process scan"), 1);
    unload();

    /* A procfs root that cannot be read: said once, too. */
    proc = str_value("/nonexistent");
    load_and_read(opts, 2);
    read_again();
    ck_assert_int_eq(count_logged("ProcfsRoot cannot be read"), 1);
    unload();
}
END_TEST

/*
 * KsmtunedConfig: its settings and ignored lines are dispatched, the lines
 * are logged once with a WARNING, and the typical procfs runs ksmtuned.
 */
START_TEST(test_ksmtuned)
{
    oconfig_value_t root = str_value(fixture("typical"));
    oconfig_value_t proc = str_value(KSM_PROCFS_DIR "/typical");
    oconfig_value_t conf = str_value(KSMTUNED_CONF("garbage.conf"));
    oconfig_value_t off = bool_value(0);
    /* Without the per-process series, which would fill the stub's buffer. */
    oconfig_item_t opts[] = {option((char[]){"SysfsRoot"}, &root),
                             option((char[]){"ProcfsRoot"}, &proc),
                             option((char[]){"KsmtunedConfig"}, &conf),
                             option((char[]){"ReportProcesses"}, &off)};

    load_and_read(opts, 4);
    read_again();
    assert_gauge("gauge", "ksmtuned_setting-KSM_THRES_COEF", 25);
    assert_gauge("gauge", "ksmtuned_setting-KSM_NPAGES_MAX", 1250);
    assert_gauge("count", "ksmtuned_config_ignored_lines", 12);
    assert_gauge("gauge", "ksmtuned_running", 1);
    assert_gauge("gauge", "tuner-ksmtuned", 1);
    assert_gauge("gauge", "tuner-none", 0);
    ck_assert_int_eq(count_logged("has 12 lines that are not plain settings"),
                     1);
    ck_assert_int_eq(count_logged("line 2 (shell code), 3 (shell code)"), 1);
    unload();

    /* A directory is no config: one WARNING, and counted. */
    conf = str_value(KSM_FIXTURES_DIR);
    load_and_read(opts, 4);
    read_again();
    ck_assert_int_eq(count_logged("Is a directory"), 1);
    ck_assert_ptr_null(find("gauge", "ksmtuned_setting-KSM_THRES_COEF"));
    assert_derive("errors", "ksmtuned_conf", 2);
    unload();
}
END_TEST

/*
 * collectd frees the user data when registering the read callback fails, so
 * the plugin must not free it again: under ASan a second free aborts, and
 * glibc usually catches it too.
 */
START_TEST(test_register_fails)
{
    oconfig_value_t root = str_value(fixture("typical"));
    oconfig_item_t opt = option((char[]){"SysfsRoot"}, &root);

    ck_assert_int_eq(configure(&opt, 1), 0);
    read_register_oom = true;
    nfreed = 0;
    ck_assert_int_ne(init_cb(), 0);
    ck_assert_int_eq(nfreed, 1);
    ck_assert(read_cb == NULL);
    ck_assert_int_eq(count_logged("cannot register"), 1);
    shutdown_cb();
}
END_TEST

/* The other failure: a read callback named "ksm" exists already. */
START_TEST(test_register_twice)
{
    oconfig_value_t root = str_value(fixture("typical"));
    oconfig_item_t opt = option((char[]){"SysfsRoot"}, &root);

    load_and_read(&opt, 1);
    nfreed = 0;
    ck_assert_int_ne(init_cb(), 0);
    ck_assert_int_eq(nfreed, 1);
    ck_assert_int_eq(count_logged("cannot register"), 1);
    /* The first registration still works. */
    nvalues = 0;
    ck_assert_int_eq(read_cb(&read_ud), 0);
    assert_gauge("vmpage_number", "sharing", 196608);
    unload();
}
END_TEST

START_TEST(test_bad_options)
{
    oconfig_item_t opt = {.key = (char[]){"Colour"}};
    oconfig_value_t v = str_value("blue");
    oconfig_value_t n = {.type = OCONFIG_TYPE_NUMBER};

    opt.values = &v;
    opt.values_num = 1;
    ck_assert_int_ne(configure(&opt, 1), 0);
    ck_assert_int_eq(count_logged("unknown option \"Colour\""), 1);

    opt.key = (char[]){"ReportTunables"};
    ck_assert_int_ne(configure(&opt, 1), 0);
    ck_assert_int_eq(count_logged("\"ReportTunables\" needs one boolean"), 1);

    opt.key = (char[]){"SysfsRoot"};
    opt.values = &n;
    ck_assert_int_ne(configure(&opt, 1), 0);
    ck_assert_int_eq(count_logged("\"SysfsRoot\" needs one non-empty string"),
                     1);
    v = str_value("");
    opt.values = &v;
    ck_assert_int_ne(configure(&opt, 1), 0);
    shutdown_cb();
}
END_TEST

/* KSM missing: one ERROR and -1 each interval; values once it appears. */
START_TEST(test_directory_comes_back)
{
    char root[4096], ksm[4096];
    oconfig_value_t rv;
    oconfig_item_t opt;

    scratch_root(root, ksm);
    rv = str_value(root);
    opt = option((char[]){"SysfsRoot"}, &rv);
    ck_assert_int_eq(configure(&opt, 1), 0);
    ck_assert_int_eq(init_cb(), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_ne(read_cb(&read_ud), 0);
    ck_assert_int_eq(nvalues, 0);
    ck_assert_int_eq(count_logged("cannot read"), 1);
    ck_assert_int_eq(mkdir(ksm, 0755), 0);
    write_file(ksm, "pages_sharing", "77\n");
    ck_assert_int_eq(read_cb(&read_ud), 0);
    ck_assert_int_eq(count_logged("is readable again"), 1);
    assert_gauge("vmpage_number", "sharing", 77);
    unload();
    rm_rf(root);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("collectd_plugin");
    TCase *tc = tcase_create("dispatch");

    tcase_add_test(tc, test_typical_identifiers);
    tcase_add_test(tc, test_no_tunables);
    tcase_add_test(tc, test_nan_ratio);
    tcase_add_test(tc, test_processes);
    tcase_add_test(tc, test_instance_stays);
    tcase_add_test(tc, test_scan_logged_once);
    tcase_add_test(tc, test_ksmtuned);
    suite_add_tcase(s, tc);
    tc = tcase_create("config");
    tcase_add_test(tc, test_bad_options);
    tcase_add_test(tc, test_register_fails);
    tcase_add_test(tc, test_register_twice);
    tcase_add_test(tc, test_directory_comes_back);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
