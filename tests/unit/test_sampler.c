/* SPDX-License-Identifier: MIT */
/* Unit tests of the sampler against fake sysfs trees. */
/* Long: one Check suite per module; each source is its own TCase here. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "ksm/sampler.h"
#include "testutil.h"

#define B(f)     KSM_FIELD_BIT(f)
#define ALL_BITS ((UINT32_C(1) << KSM_FIELD_COUNT) - 1)

START_TEST(test_typical)
{
    struct ksm_sample s;

    ck_assert_int_eq(read_fixture("typical", &s), 0);
    ck_assert(s.up);
    ck_assert_uint_eq(s.present, ALL_BITS);
    ck_assert_uint_eq(s.exists, ALL_BITS);
    ck_assert_uint_eq(s.failed, 0);
    ck_assert_uint_eq(s.value[KSM_PAGES_SHARED].u, 24576);
    ck_assert_uint_eq(s.value[KSM_PAGES_SHARING].u, 196608);
    ck_assert_uint_eq(s.value[KSM_PAGES_UNSHARED].u, 49152);
    ck_assert_uint_eq(s.value[KSM_PAGES_VOLATILE].u, 1024);
    ck_assert_int_eq(s.value[KSM_ZERO_PAGES].i, 512);
    ck_assert_uint_eq(s.value[KSM_FULL_SCANS].u, 42);
    ck_assert_uint_eq(s.value[KSM_PAGES_SCANNED].u, 123456789);
    ck_assert_int_eq(s.value[KSM_GENERAL_PROFIT].i, 788060480);
    ck_assert_uint_eq(s.value[KSM_SLEEP_MILLISECS].u, 20);
    ck_assert_uint_eq(s.value[KSM_ADVISOR_MAX_PAGES_TO_SCAN].u, 30000);
    ck_assert_uint_eq(s.advisor_mode.count, 2);
    ck_assert_uint_eq(s.advisor_mode.selected, 0);
    ck_assert_str_eq(s.advisor_mode.names[0], "none");
    ck_assert_str_eq(s.advisor_mode.names[1], "scan-time");
    ck_assert_uint_eq(s.page_size, 4096);
    ck_assert_uint_eq(s.rmap_item_size, 64);
    ck_assert(!s.has_full_scan_duration);
}
END_TEST

START_TEST(test_stopped)
{
    struct ksm_sample s;

    ck_assert_int_eq(read_fixture("stopped", &s), 0);
    ck_assert_uint_eq(s.present, ALL_BITS);
    ck_assert_uint_eq(s.value[KSM_RUN].u, 0);
    ck_assert_uint_eq(s.value[KSM_PAGES_SHARING].u, 0);
    ck_assert_int_eq(s.value[KSM_GENERAL_PROFIT].i, 0);
}
END_TEST

/* The original five statistics and three tunables, and nothing else. */
START_TEST(test_old_kernel)
{
    const uint32_t want = B(KSM_PAGES_SHARED) | B(KSM_PAGES_SHARING) |
                          B(KSM_PAGES_UNSHARED) | B(KSM_PAGES_VOLATILE) |
                          B(KSM_FULL_SCANS) | B(KSM_RUN) |
                          B(KSM_PAGES_TO_SCAN) | B(KSM_SLEEP_MILLISECS);
    struct ksm_sample s;

    ck_assert_int_eq(read_fixture("old_kernel", &s), 0);
    ck_assert(s.up);
    ck_assert_uint_eq(s.present, want);
    ck_assert_uint_eq(s.exists, want);
    ck_assert_uint_eq(s.failed, 0);
    for (int f = 0; f < KSM_FIELD_COUNT; f++)
        ck_assert_uint_eq(s.read_errors[f], 0);
}
END_TEST

START_TEST(test_non_numa)
{
    struct ksm_sample s;

    ck_assert_int_eq(read_fixture("non_numa", &s), 0);
    ck_assert_uint_eq(s.present, ALL_BITS & ~B(KSM_MERGE_ACROSS_NODES));
    ck_assert_uint_eq(s.exists, ALL_BITS & ~B(KSM_MERGE_ACROSS_NODES));
    ck_assert_uint_eq(s.failed, 0);
}
END_TEST

START_TEST(test_negative_profit)
{
    struct ksm_sample s;

    ck_assert_int_eq(read_fixture("negative_profit", &s), 0);
    ck_assert(s.present & B(KSM_GENERAL_PROFIT));
    ck_assert_int_eq(s.value[KSM_GENERAL_PROFIT].i, -1234567);
}
END_TEST

START_TEST(test_max_u64)
{
    struct ksm_sample s;

    ck_assert_int_eq(read_fixture("max_u64", &s), 0);
    ck_assert_uint_eq(s.present, ALL_BITS);
    ck_assert_uint_eq(s.value[KSM_PAGES_SCANNED].u, UINT64_MAX);
    ck_assert_uint_eq(s.value[KSM_FULL_SCANS].u, UINT64_MAX);
    ck_assert_int_eq(s.value[KSM_GENERAL_PROFIT].i, INT64_MAX);
    ck_assert_int_eq(s.value[KSM_ZERO_PAGES].i, INT64_MIN);
}
END_TEST

/* Each bad file is absent and counted; every other file still reports. */
START_TEST(test_garbage)
{
    static const struct {
        enum ksm_field f;
        int err;
    } bad[] = {
        {KSM_PAGES_SHARED, -EINVAL},     /* empty */
        {KSM_PAGES_SHARING, -EINVAL},    /* text */
        {KSM_PAGES_UNSHARED, -ERANGE},   /* 2^64 */
        {KSM_PAGES_VOLATILE, -EINVAL},   /* -1 in an unsigned file */
        {KSM_FULL_SCANS, -EINVAL},       /* trailing junk */
        {KSM_PAGES_SCANNED, -EOVERFLOW}, /* 100 kB of digits */
        {KSM_STABLE_NODE_DUPS, -EINVAL}, /* leading blank */
        {KSM_RUN, -EINVAL},              /* '+' */
        {KSM_SLEEP_MILLISECS, -EINVAL},  /* two newlines */
        {KSM_GENERAL_PROFIT, -ERANGE},   /* 2^63 in a signed file */
        {KSM_ADVISOR_MODE, -EINVAL},     /* nothing selected */
    };
    struct ksm_sampler_config cfg = {.sysfs_root = fixture("garbage")};
    struct ksm_sampler *sp;
    struct ksm_sample s;
    uint32_t failed = 0;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        failed |= B(bad[i].f);
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    for (unsigned round = 1; round <= 2; round++) {
        ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
        ck_assert(s.up);
        ck_assert_uint_eq(s.exists, ALL_BITS);
        ck_assert_uint_eq(s.failed, failed);
        ck_assert_uint_eq(s.present, ALL_BITS & ~failed);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            ck_assert_msg(s.error[bad[i].f] == bad[i].err, "%s: %d, want %d",
                          ksm_field_names[bad[i].f], s.error[bad[i].f],
                          bad[i].err);
            ck_assert_uint_eq(s.read_errors[bad[i].f], round);
        }
        ck_assert_uint_eq(s.read_errors[KSM_PAGES_TO_SCAN], 0);
        ck_assert_uint_eq(s.value[KSM_PAGES_TO_SCAN].u, 100);
        ck_assert_int_eq(s.value[KSM_ZERO_PAGES].i, 512);
    }
    ksm_sampler_free(sp);
}
END_TEST

START_TEST(test_missing_directory)
{
    struct ksm_sample s;

    ck_assert_int_eq(read_fixture("does-not-exist", &s), -ENOENT);
    ck_assert(!s.up);
    ck_assert_uint_eq(s.present, 0);
    ck_assert_uint_eq(s.exists, 0);
    ck_assert_uint_eq(s.failed, 0);
}
END_TEST

/* A file that exists but cannot be read (here a directory) is an error. */
START_TEST(test_unreadable_file)
{
    char root[4096], ksm[4096];
    struct ksm_sampler_config cfg = {.sysfs_root = root};
    struct ksm_sampler *sp;
    struct ksm_sample s;

    scratch_root(root, ksm);
    ck_assert_int_eq(mkdir(ksm, 0755), 0);
    write_file(ksm, "pages_sharing", "7\n");
    {
        char dir[4096];

        join(dir, ksm, "/pages_shared");
        ck_assert_int_eq(mkdir(dir, 0755), 0);
    }
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.present, B(KSM_PAGES_SHARING));
    ck_assert_uint_eq(s.failed, B(KSM_PAGES_SHARED));
    ck_assert_int_eq(s.error[KSM_PAGES_SHARED], -EISDIR);
    ck_assert_uint_eq(s.read_errors[KSM_PAGES_SHARED], 1);
    ksm_sampler_free(sp);
    rm_rf(root);
}
END_TEST

/* Files are kept open and re-read: a changed value shows at once. */
START_TEST(test_fresh_values)
{
    char root[4096], ksm[4096];
    struct ksm_sampler_config cfg = {.sysfs_root = root};
    struct ksm_sampler *sp;
    struct ksm_sample s;

    scratch_root(root, ksm);
    ck_assert_int_eq(mkdir(ksm, 0755), 0);
    write_file(ksm, "pages_sharing", "7\n");
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.value[KSM_PAGES_SHARING].u, 7);
    write_file(ksm, "pages_sharing", "123456\n");
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.value[KSM_PAGES_SHARING].u, 123456);
    write_file(ksm, "pages_sharing", "bad\n");
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.present, 0);
    ck_assert_uint_eq(s.failed, B(KSM_PAGES_SHARING));
    write_file(ksm, "pages_sharing", "8\n");
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.present, B(KSM_PAGES_SHARING));
    ck_assert_uint_eq(s.value[KSM_PAGES_SHARING].u, 8);
    ck_assert_uint_eq(s.read_errors[KSM_PAGES_SHARING], 1);
    ksm_sampler_free(sp);
    rm_rf(root);
}
END_TEST

/* Files replaced by rename, removed or added are seen at the next read. */
START_TEST(test_entries_change)
{
    char root[4096], ksm[4096], tmp[4096], dst[4096];
    struct ksm_sampler_config cfg = {.sysfs_root = root};
    struct ksm_sampler *sp;
    struct ksm_sample s;

    scratch_root(root, ksm);
    ck_assert_int_eq(mkdir(ksm, 0755), 0);
    write_file(ksm, "pages_sharing", "7\n");
    write_file(ksm, "pages_shared", "3\n");
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.present, B(KSM_PAGES_SHARING) | B(KSM_PAGES_SHARED));

    /* Replaced by rename, as sed -i or mv do: a new inode. */
    write_file(root, "new", "5\n");
    join(tmp, root, "/new");
    join(dst, ksm, "/pages_sharing");
    ck_assert_int_eq(rename(tmp, dst), 0);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.value[KSM_PAGES_SHARING].u, 5);

    /* Removed: absent, not its last value. */
    join(dst, ksm, "/pages_shared");
    ck_assert_int_eq(unlink(dst), 0);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.present, B(KSM_PAGES_SHARING));
    ck_assert_uint_eq(s.exists, B(KSM_PAGES_SHARING));

    /* Added after the directory was opened. */
    write_file(ksm, "run", "1\n");
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.present, B(KSM_PAGES_SHARING) | B(KSM_RUN));
    ck_assert_uint_eq(s.read_errors[KSM_PAGES_SHARED], 0);
    ksm_sampler_free(sp);
    rm_rf(root);
}
END_TEST

/*
 * A file that exists but cannot be opened (here: out of descriptors) is
 * failed with the real errno, and opened again once that passes.
 */
START_TEST(test_open_fails)
{
    char root[4096], ksm[4096];
    struct ksm_sampler_config cfg = {.sysfs_root = root};
    struct ksm_sampler *sp;
    struct ksm_sample s;
    struct rlimit old, low;
    int probe;

    scratch_root(root, ksm);
    ck_assert_int_eq(mkdir(ksm, 0755), 0);
    write_file(ksm, "pages_shared", "1\n");
    write_file(ksm, "pages_sharing", "2\n");
    write_file(ksm, "pages_unshared", "3\n");
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    /* Room for the directory and one file: the lowest free descriptor
     * plus one. */
    probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(probe, 0);
    close(probe);
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    low.rlim_cur = (rlim_t)probe + 2;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
    ck_assert_uint_eq(s.present, B(KSM_PAGES_SHARED));
    ck_assert_uint_eq(s.failed, B(KSM_PAGES_SHARING) | B(KSM_PAGES_UNSHARED));
    ck_assert_int_eq(s.error[KSM_PAGES_SHARING], -EMFILE);
    ck_assert_uint_eq(s.read_errors[KSM_PAGES_UNSHARED], 1);

    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.failed, 0);
    ck_assert_uint_eq(s.value[KSM_PAGES_UNSHARED].u, 3);
    ksm_sampler_free(sp);
    rm_rf(root);
}
END_TEST

/* KSM absent at start, then present, then gone, then back. */
START_TEST(test_directory_comes_and_goes)
{
    char root[4096], ksm[4096];
    struct ksm_sampler_config cfg = {.sysfs_root = root};
    struct ksm_sampler *sp;
    struct ksm_sample s;

    scratch_root(root, ksm);
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), -ENOENT);
    ck_assert(!s.up);

    ck_assert_int_eq(mkdir(ksm, 0755), 0);
    write_file(ksm, "pages_sharing", "5\n");
    write_file(ksm, "run", "1\n");
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert(s.up);
    ck_assert_uint_eq(s.present, B(KSM_PAGES_SHARING) | B(KSM_RUN));
    ck_assert_uint_eq(s.value[KSM_PAGES_SHARING].u, 5);

    rm_rf(ksm);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), -ENOENT);
    ck_assert(!s.up);
    ck_assert_uint_eq(s.present, 0);

    ck_assert_int_eq(mkdir(ksm, 0755), 0);
    write_file(ksm, "pages_sharing", "9\n");
    write_file(ksm, "pages_shared", "3\n");
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert(s.up);
    ck_assert_uint_eq(s.present, B(KSM_PAGES_SHARING) | B(KSM_PAGES_SHARED));
    ck_assert_uint_eq(s.value[KSM_PAGES_SHARING].u, 9);
    ck_assert_uint_eq(s.read_errors[KSM_PAGES_SHARING], 0);
    ksm_sampler_free(sp);
    rm_rf(root);
}
END_TEST

struct fake_clock {
    uint64_t ns;
};

static uint64_t fake_now(void *arg)
{
    return ((struct fake_clock *)arg)->ns;
}

START_TEST(test_full_scan_duration)
{
    /* Times in seconds and full_scans; the duration expected after each. */
    static const struct {
        unsigned t;
        const char *scans;
        double want; /* < 0: absent */
    } steps[] = {
        {0, "10\n", -1},  /* baseline */
        {1, "10\n", -1},  /* no advance */
        {2, "11\n", -1},  /* first advance: nothing to measure from */
        {5, "13\n", 1.5}, /* 3 s for 2 scans */
        {6, "13\n", 1.5}, /* kept while nothing advances */
        {7, "bad\n", -1}, /* full_scans absent: no duration this sample */
        {9, "14\n", 4.0}, /* 4 s since t=5 for 1 scan */
        {10, "3\n", -1},  /* went backwards: a different counter */
        {11, "4\n", -1},  {12, "5\n", 1.0},
    };
    char root[4096], ksm[4096];
    struct fake_clock clock = {0};
    struct ksm_sampler_config cfg = {
        .sysfs_root = root, .clock = fake_now, .clock_arg = &clock};
    struct ksm_sampler *sp;
    struct ksm_sample s;

    scratch_root(root, ksm);
    ck_assert_int_eq(mkdir(ksm, 0755), 0);
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        clock.ns = steps[i].t * UINT64_C(1000000000);
        write_file(ksm, "full_scans", steps[i].scans);
        ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
        ck_assert_uint_eq(s.timestamp_ns, clock.ns);
        if (steps[i].want < 0) {
            ck_assert_msg(!s.has_full_scan_duration, "step %zu", i);
        } else {
            ck_assert_msg(s.has_full_scan_duration, "step %zu", i);
            ck_assert_double_eq_tol(s.full_scan_duration_seconds, steps[i].want,
                                    1e-9);
        }
    }
    ksm_sampler_free(sp);
    rm_rf(root);
}
END_TEST

#define HOST_ALL ((1u << KSM_HOST_FILE_COUNT) - 1)
#define HOST_THP ((1u << KSM_HOST_THP_ENABLED) | (1u << KSM_HOST_THP_DEFRAG))

/* THP and NUMA beside the KSM directory, where the kernel has them. */
START_TEST(test_host_fixtures)
{
    struct ksm_sample s;

    ck_assert_int_eq(read_fixture("typical", &s), 0);
    ck_assert_uint_eq(s.host.present, HOST_ALL);
    ck_assert_uint_eq(s.host.exists, HOST_ALL);
    ck_assert_uint_eq(s.host.thp_enabled.count, 3);
    ck_assert_uint_eq(s.host.thp_enabled.selected, 1);
    ck_assert_str_eq(s.host.thp_enabled.names[1], "madvise");
    ck_assert_uint_eq(s.host.thp_defrag.count, 5);
    ck_assert_uint_eq(s.host.thp_defrag.selected, 3);
    ck_assert_str_eq(s.host.thp_defrag.names[2], "defer+madvise");
    ck_assert_uint_eq(s.host.memory_nodes, 2);

    /* Without CONFIG_NUMA there is no node directory: absent, no error. */
    ck_assert_int_eq(read_fixture("non_numa", &s), 0);
    ck_assert_uint_eq(s.host.present, HOST_THP);
    ck_assert_uint_eq(s.host.exists, HOST_THP);
    ck_assert_str_eq(s.host.thp_enabled.names[s.host.thp_enabled.selected],
                     "always");
    ck_assert_str_eq(s.host.thp_defrag.names[s.host.thp_defrag.selected],
                     "defer+madvise");

    /* Without THP either. */
    ck_assert_int_eq(read_fixture("old_kernel", &s), 0);
    ck_assert_uint_eq(s.host.present, 0);
    ck_assert_uint_eq(s.host.exists, 0);
    for (int f = 0; f < KSM_HOST_FILE_COUNT; f++)
        ck_assert_uint_eq(s.host.read_errors[f], 0);

    /* They do not depend on KSM. */
    ck_assert_int_eq(read_fixture("does-not-exist", &s), -ENOENT);
    ck_assert_uint_eq(s.host.exists, 0);
}
END_TEST

/* Each malformed file is absent and counted at every reading. */
START_TEST(test_host_garbage)
{
    struct ksm_sampler_config cfg = {.sysfs_root = fixture("garbage")};
    struct ksm_sampler *sp;
    struct ksm_sample s;

    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    for (unsigned round = 1; round <= 2; round++) {
        ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
        ck_assert_uint_eq(s.host.exists, HOST_ALL);
        ck_assert_uint_eq(s.host.present, 0);
        for (int f = 0; f < KSM_HOST_FILE_COUNT; f++)
            ck_assert_uint_eq(s.host.read_errors[f], round);
    }
    ksm_sampler_free(sp);
}
END_TEST

/* Writes text to root/dir/name, creating dir as mkdir -p does. */
static void write_host_file(const char *root, const char *dir, const char *name,
                            const char *text)
{
    char path[4096];
    char *p;

    join(path, root, dir);
    for (p = strchr(path + strlen(root) + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    mkdir(path, 0755);
    write_file(path, name, text);
}

/*
 * Host files are kept open and re-read; a missing one is looked for again
 * once a minute, and one that cannot be read is counted.
 */
START_TEST(test_host_rereading)
{
    char root[4096], ksm[4096], dir[4096];
    struct fake_clock clock = {0};
    struct ksm_sampler_config cfg = {
        .sysfs_root = root, .clock = fake_now, .clock_arg = &clock};
    struct ksm_sampler *sp;
    struct ksm_sample s;

    scratch_root(root, ksm);
    ck_assert_int_eq(mkdir(ksm, 0755), 0);
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.host.exists, 0);

    write_host_file(root, "/kernel/mm/transparent_hugepage", "enabled",
                    "[always] madvise never\n");
    clock.ns = 59 * UINT64_C(1000000000);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.host.exists, 0);
    clock.ns = 60 * UINT64_C(1000000000);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.host.present, 1u << KSM_HOST_THP_ENABLED);
    ck_assert_uint_eq(s.host.thp_enabled.selected, 0);

    /* Fresh text through the kept descriptor. */
    write_host_file(root, "/kernel/mm/transparent_hugepage", "enabled",
                    "always madvise [never]\n");
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.host.thp_enabled.selected, 2);
    write_host_file(root, "/kernel/mm/transparent_hugepage", "enabled",
                    "always madvise never\n");
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.host.exists, 1u << KSM_HOST_THP_ENABLED);
    ck_assert_uint_eq(s.host.present, 0);
    ck_assert_uint_eq(s.host.read_errors[KSM_HOST_THP_ENABLED], 1);

    /* A file that exists but cannot be read (a directory) is counted. */
    write_host_file(root, "/devices/system/node", "online", "0\n");
    join(dir, root, "/devices/system/node/has_memory");
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    clock.ns = 120 * UINT64_C(1000000000);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert(s.host.exists & (1u << KSM_HOST_NODE_MEMORY));
    ck_assert(!(s.host.present & (1u << KSM_HOST_NODE_MEMORY)));
    ck_assert_uint_eq(s.host.read_errors[KSM_HOST_NODE_MEMORY], 1);
    ksm_sampler_free(sp);
    rm_rf(root);
}
END_TEST

START_TEST(test_config)
{
    struct ksm_sampler_config cfg = {.sysfs_root = "/sys/", .page_size = 65536};
    struct ksm_sampler *sp;
    struct ksm_sample s;

    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_str_eq(ksm_sampler_path(sp), "/sys/kernel/mm/ksm");
    ksm_sampler_free(sp);

    cfg.sysfs_root = "/";
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_str_eq(ksm_sampler_path(sp), "/kernel/mm/ksm");
    ksm_sampler_free(sp);

    cfg.sysfs_root = fixture("typical");
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.page_size, 65536);
    ck_assert(s.timestamp_ns > 0);
    ksm_sampler_free(sp);

    ck_assert_int_eq(ksm_sampler_new(NULL, &sp), 0);
    ck_assert_str_eq(ksm_sampler_path(sp), "/sys/kernel/mm/ksm");
    ksm_sampler_free(sp);

    cfg.page_size = 3000;
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), -EINVAL);
    cfg.page_size = 4096;
    cfg.sysfs_root = "";
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), -EINVAL);
    /* A one-letter relative root is kept: only "/" itself is dropped. */
    cfg.sysfs_root = "s";
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_str_eq(ksm_sampler_path(sp), "s/kernel/mm/ksm");
    ksm_sampler_free(sp);
    cfg.sysfs_root = "//";
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_str_eq(ksm_sampler_path(sp), "/kernel/mm/ksm");
    ksm_sampler_free(sp);
    cfg.sysfs_root = "relative/sys";
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_str_eq(ksm_sampler_path(sp), "relative/sys/kernel/mm/ksm");
    ksm_sampler_free(sp);
    ksm_sampler_free(NULL);
}
END_TEST

/*
 * A stat line of a process named comm in state st, with the given flags,
 * and its comm file, which the kernel writes from the same name.
 */
static void write_stat(const char *dir, const char *comm, char st,
                       const char *flags)
{
    char text[512];

    snprintf(text, sizeof(text), "%s\n", comm);
    write_file(dir, "1014/comm", text);

    snprintf(text, sizeof(text),
             "1014 (%s) %c 1 1 1 0 -1 %s 0 0 0 0 1 1 0 0 20 0 1 0 5000 "
             "123456789 1000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 "
             "17 1 0 0 0 0 0\n",
             comm, st, flags);
    write_file(dir, "1014/stat", text);
}

/*
 * ksmtuned is found by its name, kept while it lives, and looked for again
 * at once when it goes, but at most once a minute while none runs.
 */
START_TEST(test_ksmtuned_process)
{
    struct ksm_sampler_config cfg = {.sysfs_root = fixture("typical"),
                                     .page_size = 4096,
                                     .procfs_root = KSM_PROCFS_DIR "/typical"};
    char root[4096], sub[4096];
    struct ksm_sampler *sp;
    struct ksm_sample s;

    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert(s.proc.opened);
    ck_assert(s.proc.ksmtuned_running);
    ksm_sampler_free(sp);

    snprintf(root, sizeof(root), "/tmp/ksm-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    join(sub, root, "/1014");
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    /* A kernel thread of that name is not the script. */
    write_stat(root, "ksmtuned", 'S', "2129984");
    cfg.procfs_root = root;
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert(s.proc.opened);
    ck_assert(!s.proc.ksmtuned_running);
    /* Within the minute no new search: it shows at the next one. */
    write_stat(root, "ksmtuned", 'S', "4194560");
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert(!s.proc.ksmtuned_running);
    ksm_sampler_free(sp);

    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert(s.proc.ksmtuned_running);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert(s.proc.ksmtuned_running);
    /* Its kept stat says it is a zombie now: gone, searched for, none. */
    write_stat(root, "ksmtuned", 'Z', "4194560");
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert(!s.proc.ksmtuned_running);
    /* Another program under its PID is no ksmtuned either. */
    write_stat(root, "bash", 'S', "4194560");
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert(!s.proc.ksmtuned_running);
    ksm_sampler_free(sp);
    rm_rf(root);

    /* Without procfs nothing is known. */
    ck_assert_int_eq(read_fixture("typical", &s), 0);
    ck_assert(!s.proc.opened);
    ck_assert(!s.proc.ksmtuned_running);
}
END_TEST

/*
 * With the process scan on, ksmtuned is looked for among the processes the
 * scan read, at every scrape: one started later shows at the next, not a
 * minute later.
 */
START_TEST(test_ksmtuned_found_by_scan)
{
    struct ksm_sampler_config cfg = {
        .sysfs_root = fixture("typical"), .page_size = 4096, .processes = true};
    static const char cmdline[] = "/bin/bash\0/usr/sbin/ksmtuned\0";
    char root[4096], sub[4096], path[4096];
    struct ksm_sampler *sp;
    struct ksm_sample s;
    FILE *f;

    snprintf(root, sizeof(root), "/tmp/ksm-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    join(sub, root, "/1014");
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    join(path, sub, "/cmdline");
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(cmdline, 1, sizeof(cmdline) - 1, f),
                      sizeof(cmdline) - 1);
    fclose(f);
    write_file(root, "1014/ksm_stat", "ksm_rmap_items 0\n");
    write_stat(root, "bash", 'S', "4194560");
    cfg.procfs_root = root;
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert(s.proc.scanned);
    ck_assert_uint_eq(s.proc.examined, 1);
    ck_assert(!s.proc.ksmtuned_running);
    /* The script starts: found at the next scrape. */
    write_stat(root, "ksmtuned", 'S', "4194560");
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert(s.proc.ksmtuned_running);
    /* A kernel thread of that name is not the script. */
    write_stat(root, "ksmtuned", 'S', "2129984");
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert(!s.proc.ksmtuned_running);
    ksm_sampler_free(sp);

    /*
     * A scan cut at its limit has not read every process: ksmtuned is
     * looked for by walking them all.  With 20 other processes and a limit
     * of one, the scan reads ksmtuned's only by chance of the directory's
     * order (never on tmpfs, which lists the newest first).
     */
    write_stat(root, "ksmtuned", 'S', "4194560");
    for (int pid = 2000; pid < 2020; pid++) {
        char name[32];

        snprintf(name, sizeof(name), "/%d", pid);
        join(sub, root, name);
        ck_assert_int_eq(mkdir(sub, 0755), 0);
        write_file(sub, "comm", "bash\n");
        write_file(sub, "ksm_stat", "ksm_rmap_items 0\n");
    }
    cfg.max_processes = 1;
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_int_eq(ksm_sampler_read(sp, &s), 0);
    ck_assert_uint_eq(s.proc.over_limit, 20);
    ck_assert(s.proc.ksmtuned_running);
    ksm_sampler_free(sp);
    rm_rf(root);
}
END_TEST

static void read_conf(struct ksm_sampler *sp, struct ksm_sample *s)
{
    ck_assert_int_eq(ksm_sampler_read(sp, s), 0);
}

/*
 * The config file: defaults without one, its values when it exists, read
 * again when it changes, and a file that cannot be read counted.
 */
START_TEST(test_ksmtuned_config)
{
    struct ksm_sampler_config cfg = {.sysfs_root = fixture("typical"),
                                     .page_size = 4096};
    char root[4096], path[4096], big[70000];
    struct timespec times[2] = {{.tv_sec = 1000}, {.tv_sec = 1000}};
    struct ksm_sampler *sp;
    struct ksm_sample s;

    snprintf(root, sizeof(root), "/tmp/ksm-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    join(path, root, "/ksmtuned.conf");

    /* None configured: the defaults, nothing to count. */
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_ptr_null(ksm_sampler_ksmtuned_config(sp));
    read_conf(sp, &s);
    ck_assert(s.tuner.has_config && !s.tuner.conf_configured);
    ck_assert_int_eq(s.tuner.config.value[KSM_KSMTUNED_NPAGES_MAX], 1250);
    ksm_sampler_free(sp);

    cfg.ksmtuned_config = path;
    ck_assert_int_eq(ksm_sampler_new(&cfg, &sp), 0);
    ck_assert_str_eq(ksm_sampler_ksmtuned_config(sp), path);
    /* Missing: the script's defaults, no error. */
    read_conf(sp, &s);
    ck_assert(s.tuner.conf_configured && !s.tuner.conf_exists);
    ck_assert(s.tuner.has_config);
    ck_assert_int_eq(s.tuner.config.value[KSM_KSMTUNED_THRES_COEF], 20);
    ck_assert_uint_eq(s.tuner.conf_read_errors, 0);

    write_file(root, "ksmtuned.conf", "KSM_NPAGES_MAX=2000\nFOO=1\n");
    read_conf(sp, &s);
    ck_assert(s.tuner.conf_exists && s.tuner.has_config);
    ck_assert_int_eq(s.tuner.config.value[KSM_KSMTUNED_NPAGES_MAX], 2000);
    ck_assert_uint_eq(s.tuner.config.ignored_count, 1);
    ck_assert_uint_eq(s.tuner.config.ignored[0].line, 2);

    /* Same size, another time: read again. */
    write_file(root, "ksmtuned.conf", "KSM_NPAGES_MAX=3000\nFOO=1\n");
    ck_assert_int_eq(utimensat(AT_FDCWD, path, times, 0), 0);
    read_conf(sp, &s);
    ck_assert_int_eq(s.tuner.config.value[KSM_KSMTUNED_NPAGES_MAX], 3000);
    read_conf(sp, &s);
    ck_assert_int_eq(s.tuner.config.value[KSM_KSMTUNED_NPAGES_MAX], 3000);
    ck_assert_uint_eq(s.tuner.conf_read_errors, 0);

    /* A directory in its place cannot be read: absent and counted. */
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    read_conf(sp, &s);
    ck_assert(s.tuner.conf_exists && !s.tuner.has_config);
    ck_assert_int_eq(s.tuner.conf_error, -EISDIR);
    ck_assert_uint_eq(s.tuner.conf_read_errors, 1);
    read_conf(sp, &s);
    ck_assert_uint_eq(s.tuner.conf_read_errors, 2);
    ck_assert_int_eq(rmdir(path), 0);

    /* Too large to be a config: over 64 KiB, by one byte. */
    memset(big, '#', sizeof(big));
    big[65536] = '\n';
    big[65537] = '\0';
    write_file(root, "ksmtuned.conf", big);
    read_conf(sp, &s);
    ck_assert(!s.tuner.has_config);
    ck_assert_int_eq(s.tuner.conf_error, -EFBIG);
    ck_assert_uint_eq(s.tuner.conf_read_errors, 3);

    /* Exactly 64 KiB is a config: a comment, then one setting. */
    memcpy(big + 65536 - 17, "\nKSM_NPAGES_MIN=9", 17);
    big[65536] = '\0';
    write_file(root, "ksmtuned.conf", big);
    read_conf(sp, &s);
    ck_assert(s.tuner.has_config);
    ck_assert_int_eq(s.tuner.config.value[KSM_KSMTUNED_NPAGES_MIN], 9);
    ck_assert_uint_eq(s.tuner.conf_read_errors, 3);

    /* Readable again. */
    write_file(root, "ksmtuned.conf", "KSM_NPAGES_MIN=5\n");
    read_conf(sp, &s);
    ck_assert(s.tuner.has_config);
    ck_assert_int_eq(s.tuner.config.value[KSM_KSMTUNED_NPAGES_MIN], 5);
    ck_assert_int_eq(s.tuner.config.value[KSM_KSMTUNED_NPAGES_MAX], 1250);
    ck_assert_uint_eq(s.tuner.conf_read_errors, 3);
    ksm_sampler_free(sp);
    rm_rf(root);
}
END_TEST

/* The names the series use are the names the script and the model read. */
START_TEST(test_ksmtuned_names)
{
    for (int i = 0; i < KSM_KSMTUNED_VAR_COUNT; i++) {
        const char *name = ksm_ksmtuned_var_name((enum ksm_ksmtuned_var)i);
        struct ksm_ksmtuned_config c;
        char line[64];
        int n = snprintf(line, sizeof(line), "%s=7\n", name);

        ck_assert_int_eq(ksm_ksmtuned_parse_config(line, (size_t)n, &c), 0);
        ck_assert_msg(c.set == 1u << i && c.value[i] == 7, "%s", name);
    }
    ck_assert_ptr_null(ksm_ksmtuned_var_name(KSM_KSMTUNED_VAR_COUNT));
}
END_TEST

/* Ignored lines are reported once per change, failures once per start. */
static void count_event(void *ctx, enum ksm_tuner_event ev,
                        const struct ksm_tuner_sample *t)
{
    unsigned *n = ctx;

    (void)t;
    n[ev]++;
}

START_TEST(test_ksmtuned_tracker)
{
    struct ksm_tuner_tracker tr = {0};
    struct ksm_tuner_sample t = {.has_config = true};
    unsigned n[3] = {0};
    char buf[256];

    ksm_ksmtuned_config_defaults(&t.config);
    ksm_tuner_tracker_update(&tr, &t, count_event, n);
    ck_assert_uint_eq(n[KSM_TUNER_CONF_IGNORED], 0);
    ck_assert_int_eq(
        ksm_ksmtuned_parse_config("FOO=1\nx=$(y)\n", 13, &t.config), 0);
    ksm_tuner_tracker_update(&tr, &t, count_event, n);
    ksm_tuner_tracker_update(&tr, &t, count_event, n);
    ck_assert_uint_eq(n[KSM_TUNER_CONF_IGNORED], 1);
    ksm_tuner_format_ignored(&t.config, buf, sizeof(buf));
    ck_assert_str_eq(buf, "1 (unknown name), 2 (shell code)");
    /* The same number of lines, another reason: a change. */
    t.config.ignored[1].reason = KSM_KSMTUNED_BAD_VALUE;
    ksm_tuner_tracker_update(&tr, &t, count_event, n);
    ck_assert_uint_eq(n[KSM_TUNER_CONF_IGNORED], 2);

    t.has_config = false;
    t.conf_exists = true;
    t.conf_error = -EACCES;
    ksm_tuner_tracker_update(&tr, &t, count_event, n);
    ksm_tuner_tracker_update(&tr, &t, count_event, n);
    ck_assert_uint_eq(n[KSM_TUNER_CONF_FAILED], 1);
    t.conf_error = -EISDIR;
    ksm_tuner_tracker_update(&tr, &t, count_event, n);
    ck_assert_uint_eq(n[KSM_TUNER_CONF_FAILED], 2);
    t.has_config = true;
    ksm_tuner_tracker_update(&tr, &t, count_event, n);
    ksm_tuner_tracker_update(&tr, &t, count_event, n);
    ck_assert_uint_eq(n[KSM_TUNER_CONF_RECOVERED], 1);
    ck_assert_uint_eq(n[KSM_TUNER_CONF_IGNORED], 2);

    /* More lines than are reported one by one. */
    ck_assert_int_eq(ksm_ksmtuned_parse_config("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n",
                                               20, &t.config),
                     0);
    ksm_tuner_format_ignored(&t.config, buf, sizeof(buf));
    ck_assert_str_eq(buf, "1 (shell code), 2 (shell code), 3 (shell code), "
                          "4 (shell code), 5 (shell code), 6 (shell code), "
                          "7 (shell code), 8 (shell code) and 2 more");
    ksm_tuner_format_ignored(&t.config, buf, 10);
    ck_assert_str_eq(buf, "1 (shell ");
}
END_TEST

static Suite *sampler_suite(void)
{
    Suite *s = suite_create("sampler");
    TCase *tc = tcase_create("fixtures");

    tcase_add_test(tc, test_typical);
    tcase_add_test(tc, test_stopped);
    tcase_add_test(tc, test_old_kernel);
    tcase_add_test(tc, test_non_numa);
    tcase_add_test(tc, test_negative_profit);
    tcase_add_test(tc, test_max_u64);
    tcase_add_test(tc, test_garbage);
    tcase_add_test(tc, test_missing_directory);
    suite_add_tcase(s, tc);

    tc = tcase_create("rereading");
    tcase_add_test(tc, test_unreadable_file);
    tcase_add_test(tc, test_fresh_values);
    tcase_add_test(tc, test_directory_comes_and_goes);
    tcase_add_test(tc, test_entries_change);
    tcase_add_test(tc, test_open_fails);
    suite_add_tcase(s, tc);

    tc = tcase_create("derived_state");
    tcase_add_test(tc, test_full_scan_duration);
    suite_add_tcase(s, tc);

    tc = tcase_create("host");
    tcase_add_test(tc, test_host_fixtures);
    tcase_add_test(tc, test_host_garbage);
    tcase_add_test(tc, test_host_rereading);
    suite_add_tcase(s, tc);

    tc = tcase_create("config");
    tcase_add_test(tc, test_config);
    suite_add_tcase(s, tc);

    tc = tcase_create("ksmtuned");
    tcase_add_test(tc, test_ksmtuned_process);
    tcase_add_test(tc, test_ksmtuned_found_by_scan);
    tcase_add_test(tc, test_ksmtuned_config);
    tcase_add_test(tc, test_ksmtuned_names);
    tcase_add_test(tc, test_ksmtuned_tracker);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(sampler_suite());
}
