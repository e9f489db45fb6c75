/* SPDX-License-Identifier: MIT */
/* Shared by the unit tests: fixture paths and scratch sysfs trees. */
#ifndef KSM_TESTUTIL_H
#define KSM_TESTUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "ksm/sampler.h"

#ifndef KSM_FIXTURES_DIR
#error "KSM_FIXTURES_DIR must name the fake sysfs trees"
#endif

/* dst = a + b, in a buffer of 4096 bytes; fails the test if too long. */
static inline void join(char *dst, const char *a, const char *b)
{
    int n = snprintf(dst, 4096, "%s%s", a, b);

    ck_assert_msg(n > 0 && n < 4096, "path too long: %s%s", a, b);
}

/* The sysfs root of fixture case name, in static storage. */
static inline const char *fixture(const char *name)
{
    static char path[4096];

    join(path, KSM_FIXTURES_DIR "/", name);
    return path;
}

/* Reads one sample of a fixture with a 4 KiB page size. */
static inline int read_fixture(const char *name, struct ksm_sample *out)
{
    struct ksm_sampler_config cfg = {
        .sysfs_root = fixture(name), .page_size = 4096, .rmap_item_size = 64};
    struct ksm_sampler *s;
    int rc;

    ck_assert_int_eq(ksm_sampler_new(&cfg, &s), 0);
    rc = ksm_sampler_read(s, out);
    ksm_sampler_free(s);
    return rc;
}

/* Writes text to dir/name, truncating in place (the inode stays). */
static inline void write_file(const char *dir, const char *name,
                              const char *text)
{
    char path[4096], sub[4096];
    int fd;

    join(sub, "/", name);
    join(path, dir, sub);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static inline int rm_entry(const char *path, const struct stat *st, int flag,
                           struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes a directory tree, as rm -rf does. */
static inline void rm_rf(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Creates a scratch sysfs root in root (a buffer of 4096 bytes) and returns
 * its KSM directory path in ksm (also 4096 bytes), not yet created.
 */
static inline void scratch_root(char *root, char *ksm)
{
    snprintf(root, 4096, "/tmp/ksm-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    join(ksm, root, "/kernel");
    ck_assert_int_eq(mkdir(ksm, 0755), 0);
    join(ksm, root, "/kernel/mm");
    ck_assert_int_eq(mkdir(ksm, 0755), 0);
    join(ksm, root, "/kernel/mm/ksm");
}

/* Runs a suite the usual way; the exit status says whether all passed. */
static inline int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
