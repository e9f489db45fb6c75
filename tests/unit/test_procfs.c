/* SPDX-License-Identifier: MIT */
/* Unit tests of the procfs reader against a fake procfs tree. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ksm/procfs.h"
#include "testutil.h"

#ifndef KSM_PROCFS_DIR
#error "KSM_PROCFS_DIR must name tests/fixtures/procfs"
#endif

#define TYPICAL KSM_PROCFS_DIR "/typical"

static struct ksm_procfs *reader(const char *root, bool processes, size_t max,
                                 size_t budget)
{
    struct ksm_procfs_config c = {.root = root,
                                  .processes = processes,
                                  .max_processes = max,
                                  .fd_budget = budget,
                                  .ticks = 100};
    struct ksm_procfs *r;

    ck_assert_int_eq(ksm_procfs_new(&c, &r), 0);
    return r;
}

static const struct ksm_process *by_pid(const struct ksm_procfs_sample *s,
                                        const char *pid)
{
    for (size_t i = 0; i < s->nprocesses; i++)
        if (strcmp(s->processes[i].pid, pid) == 0)
            return &s->processes[i];
    return NULL;
}

#define V(p, f) ((p)->figures.value[KSM_PROC_##f])

static void check_typical(const struct ksm_procfs_sample *s)
{
    const struct ksm_process *p;

    ck_assert(s->has_ksmd);
    ck_assert_double_eq_tol(s->ksmd_cpu_seconds, 40.0, 1e-9); /* 4000/100 */
    ck_assert(s->has_cow);
    ck_assert_uint_eq(s->cow_ksm, 1234);
    ck_assert(s->has_swpin_copy);
    ck_assert_uint_eq(s->swpin_copy, 5);
    ck_assert(s->meminfo.present & (1u << KSM_MEMINFO_ANON_HUGE_PAGES));
    ck_assert_uint_eq(s->meminfo.kb[KSM_MEMINFO_ANON_HUGE_PAGES], 530432);
    ck_assert_uint_eq(s->source_exists & (1u << KSM_SRC_MEMINFO),
                      1u << KSM_SRC_MEMINFO);
    ck_assert(s->scanned);
    /* 1, 2, 37 and 1000..1013; "0123", "self" and "sys" are no PIDs. */
    ck_assert_uint_eq(s->examined, 17);
    ck_assert_uint_eq(s->denied, 0);
    ck_assert_uint_eq(s->over_limit, 0);
    /* 1000, 1001, 1002, 1005, 1006, 1008, 1009, 1010, 1012, 1013 */
    ck_assert_uint_eq(s->nprocesses, 10);

    p = by_pid(s, "1000");
    ck_assert_ptr_nonnull(p);
    ck_assert(p->qemu);
    ck_assert_str_eq(p->comm, "qemu-system-x86");
    ck_assert_str_eq(p->vm, "web01");
    ck_assert_uint_eq(p->figures.present, 0x3f);
    ck_assert_int_eq(V(p, MERGING_PAGES), 30000);
    ck_assert_int_eq(V(p, ZERO_PAGES), 100);
    ck_assert_int_eq(V(p, RMAP_ITEMS), 40000);
    ck_assert_int_eq(V(p, PROFIT), 120000000);
    ck_assert_int_eq(V(p, MERGEABLE), 1);
    ck_assert_int_eq(V(p, MERGE_ANY), 0);

    /* The guest that opted out is listed all the same, mergeable 0. */
    p = by_pid(s, "1001");
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p->vm, "db,prod");
    ck_assert_int_eq(V(p, MERGEABLE), 0);
    ck_assert_int_eq(V(p, MERGING_PAGES), 0);

    p = by_pid(s, "1002");
    ck_assert_ptr_nonnull(p);
    ck_assert(!p->qemu);
    ck_assert_str_eq(p->vm, "");
    ck_assert_int_eq(V(p, MERGE_ANY), 1);

    p = by_pid(s, "1005");
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p->vm, "web02");
    p = by_pid(s, "1006");
    ck_assert_ptr_nonnull(p);
    ck_assert(p->qemu);
    ck_assert_str_eq(p->comm, "CPU 0/KVM");
    ck_assert_str_eq(p->vm, "");

    /* A kernel without ksm_stat: ksm_merging_pages alone. */
    p = by_pid(s, "1008");
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(p->figures.present, 1u << KSM_PROC_MERGING_PAGES);
    ck_assert_int_eq(V(p, MERGING_PAGES), 777);

    p = by_pid(s, "1009");
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p->comm, "we/ird");

    /* Proxmox: the program is "kvm"; listed although it opted out. */
    p = by_pid(s, "1010");
    ck_assert_ptr_nonnull(p);
    ck_assert(p->qemu);
    ck_assert_str_eq(p->vm, "vm100");
    ck_assert_int_eq(V(p, MERGEABLE), 0);

    /* 6.1-6.3: merging pages from their own file beside ksm_stat. */
    p = by_pid(s, "1012");
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(p->figures.present, (1u << KSM_PROC_RMAP_ITEMS) |
                                              (1u << KSM_PROC_MERGING_PAGES));
    ck_assert_int_eq(V(p, MERGING_PAGES), 33);
    ck_assert_int_eq(V(p, RMAP_ITEMS), 40);

    ck_assert_ptr_null(by_pid(s, "1011")); /* qemu-img: a tool */
    ck_assert_ptr_null(by_pid(s, "1"));    /* no activity */
    ck_assert_ptr_null(by_pid(s, "37"));   /* kernel thread */
    ck_assert_ptr_null(by_pid(s, "1003")); /* no activity */
    ck_assert_ptr_null(by_pid(s, "1004")); /* malformed */
    ck_assert_ptr_null(by_pid(s, "1007")); /* vanished */
}

START_TEST(test_typical)
{
    struct ksm_procfs *r = reader(TYPICAL, true, 0, 0);
    struct ksm_procfs_sample s;

    ksm_procfs_read(r, true, &s);
    check_typical(&s);
    ck_assert_uint_eq(s.vanished, 1);
    ck_assert_uint_eq(s.source_errors[KSM_SRC_KSM_STAT], 1);
    ck_assert_uint_eq(s.source_errors[KSM_SRC_VMSTAT], 0);
    ck_assert_uint_eq(s.source_errors[KSM_SRC_KSMD_STAT], 0);
    ck_assert_uint_eq(s.source_errors[KSM_SRC_MEMINFO], 0);
    /* Kept descriptors give the same answers, and counters go on. */
    ksm_procfs_read(r, true, &s);
    check_typical(&s);
    ck_assert_uint_eq(s.vanished, 2);
    ck_assert_uint_eq(s.source_errors[KSM_SRC_KSM_STAT], 2);
    ksm_procfs_free(r);
}
END_TEST

/* Without descriptors to keep, every scan opens afresh: same answers. */
START_TEST(test_no_fd_budget)
{
    struct ksm_procfs *r = reader(TYPICAL, true, 0, 1);
    struct ksm_procfs_sample s;

    for (int i = 0; i < 3; i++) {
        ksm_procfs_read(r, true, &s);
        check_typical(&s);
    }
    ksm_procfs_free(r);
}
END_TEST

START_TEST(test_limit)
{
    struct ksm_procfs *r = reader(TYPICAL, true, 5, 0);
    struct ksm_procfs_sample s;

    ksm_procfs_read(r, true, &s);
    ck_assert_uint_eq(s.examined, 5);
    ck_assert_uint_eq(s.over_limit, 12);
    ksm_procfs_free(r);
}
END_TEST

START_TEST(test_processes_off)
{
    struct ksm_procfs *r = reader(TYPICAL, false, 0, 0);
    struct ksm_procfs_sample s;

    ksm_procfs_read(r, true, &s);
    ck_assert(!s.scanned);
    ck_assert_uint_eq(s.nprocesses, 0);
    ck_assert_uint_eq(s.examined, 0);
    ck_assert(s.has_ksmd);
    ck_assert(s.has_cow);
    /* ksmd is looked for only when asked (KSM exists). */
    ksm_procfs_free(r);
    r = reader(TYPICAL, false, 0, 0);
    ksm_procfs_read(r, false, &s);
    ck_assert(!s.has_ksmd);
    ck_assert(s.has_cow);
    ksm_procfs_free(r);
}
END_TEST

/*
 * Makes root/pid a process directory with its KSM file (file holding text),
 * comm and cmdline (up to its first NUL), and its path in dir (4096 bytes).
 */
static void fake_process(const char *root, const char *pid, const char *file,
                         const char *text, const char *comm,
                         const char *cmdline, char *dir)
{
    char sub[64], line[128];

    snprintf(sub, sizeof(sub), "/%s", pid);
    join(dir, root, sub);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    write_file(dir, file, text);
    snprintf(line, sizeof(line), "%s\n", comm);
    write_file(dir, "comm", line);
    write_file(dir, "cmdline", cmdline);
}

/* Processes come and go between scans; vmstat without KSM lines. */
START_TEST(test_changes)
{
    char root[4096], ksm[4096], dir[4096];
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;

    scratch_root(root, ksm);
    fake_process(root, "1", "ksm_stat", "ksm_merging_pages 5\n", "one", "one",
                 dir);
    write_file(root, "vmstat", "nr_free_pages 1\n");
    r = reader(root, true, 0, 0);
    ksm_procfs_read(r, true, &s);
    ck_assert(!s.has_cow);
    ck_assert(!s.has_ksmd);
    ck_assert_uint_eq(s.source_errors[KSM_SRC_VMSTAT], 0);
    ck_assert_uint_eq(s.nprocesses, 1);
    ck_assert_str_eq(s.processes[0].comm, "one");

    fake_process(root, "2", "ksm_stat", "ksm_merging_pages 6\n", "two", "two",
                 dir);
    join(dir, root, "/1");
    rm_rf(dir);
    write_file(root, "vmstat", "cow_ksm x\n");
    ksm_procfs_read(r, true, &s);
    ck_assert_uint_eq(s.nprocesses, 1);
    ck_assert_str_eq(s.processes[0].pid, "2");
    ck_assert_str_eq(s.processes[0].comm, "two");
    ck_assert(!s.has_cow);
    ck_assert_uint_eq(s.source_errors[KSM_SRC_VMSTAT], 1);
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/*
 * A process first seen between fork and exec (libvirt's child before it
 * becomes QEMU) is identified again once its comm changes.
 */
START_TEST(test_exec_after_scan)
{
    char root[4096], ksm[4096], dir[4096];
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;

    scratch_root(root, ksm);
    fake_process(root, "500", "ksm_stat",
                 "ksm_merging_pages 0\nksm_mergeable: no\n", "rpc-virtqemud",
                 "/usr/sbin/virtqemud", dir);
    r = reader(root, true, 0, 0);
    ksm_procfs_read(r, true, &s);
    ck_assert_uint_eq(s.nprocesses, 0);
    /* exec: same PID, same open files, new program. */
    write_file(dir, "comm", "qemu-system-x86\n");
    {
        char path[4096];
        FILE *f;

        join(path, dir, "/cmdline");
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fwrite("qemu-system-x86_64\0-name\0guest=vm1\0", 1, 36, f);
        fclose(f);
    }
    ksm_procfs_read(r, true, &s);
    ck_assert_uint_eq(s.nprocesses, 1);
    ck_assert_str_eq(s.processes[0].vm, "vm1");
    ck_assert_str_eq(s.processes[0].comm, "qemu-system-x86");
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/*
 * A kernel with ksm_merging_pages but no ksm_stat: a value that cannot be
 * parsed is no figure at all.  The process is not listed and the failure is
 * counted; the next valid value lists it again.  (That a failed parse leaves
 * the figures untouched, rather than marking an unset value present, is
 * test_merging_pages in test_parse.c: a reader that lists nothing on failure
 * cannot show it from here.)
 */
START_TEST(test_merging_only_garbage)
{
    static const char *const bad[] = {"x\n", "-1\n", "9223372036854775808\n"};
    char root[4096], ksm[4096], dir[4096];
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;

    scratch_root(root, ksm);
    fake_process(root, "7", "ksm_merging_pages", "12\n", "worker", "worker",
                 dir);
    r = reader(root, true, 0, 0);
    ksm_procfs_read(r, false, &s);
    ck_assert_uint_eq(s.nprocesses, 1);
    ck_assert_int_eq(V(&s.processes[0], MERGING_PAGES), 12);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(dir, "ksm_merging_pages", bad[i]);
        ksm_procfs_read(r, false, &s);
        ck_assert_uint_eq(s.examined, 1);
        ck_assert_uint_eq(s.nprocesses, 0);
        ck_assert_uint_eq(s.source_errors[KSM_SRC_KSM_STAT], i + 1);
    }
    write_file(dir, "ksm_merging_pages", "13\n");
    ksm_procfs_read(r, false, &s);
    ck_assert_uint_eq(s.nprocesses, 1);
    ck_assert_uint_eq(s.processes[0].figures.present,
                      1u << KSM_PROC_MERGING_PAGES);
    ck_assert_int_eq(V(&s.processes[0], MERGING_PAGES), 13);
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/*
 * meminfo through the kept descriptor: the AnonHugePages line present,
 * absent, or the text counted as an error (ksm_parse_meminfo()'s own table
 * is its unit test's).
 */
static const struct {
    const char *text;
    int errors;    /* counted per reading: 0 or 1 */
    uint64_t want; /* AnonHugePages kB; UINT64_MAX when absent */
} meminfo_cases[] = {
    {"MemTotal: 8 kB\nAnonHugePages:    2048 kB\n", 0, 2048},
    {"AnonHugePages: 0 kB\nShmemHugePages: 0 kB\n", 0, 0},
    /* Kernels without THP have no such line: absent, not an error. */
    {"MemTotal: 8 kB\nShmemHugePages: 0 kB\n", 0, UINT64_MAX},
    {"", 0, UINT64_MAX},
    {"AnonHugePages: 5\n", 1, UINT64_MAX},
    {"AnonHugePages: 5 kB", 1, UINT64_MAX},
    {"AnonHugePages: -5 kB\n", 1, UINT64_MAX},
    /* A malformed line elsewhere makes the whole text suspect. */
    {"MemTotal: x kB\nAnonHugePages: 5 kB\n", 1, UINT64_MAX},
};

START_TEST(test_meminfo)
{
    char root[4096], ksm[4096];
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;

    scratch_root(root, ksm);
    write_file(root, "meminfo", meminfo_cases[_i].text);
    r = reader(root, false, 0, 0);
    for (unsigned round = 1; round <= 2; round++) {
        bool has;

        ksm_procfs_read(r, false, &s);
        has = s.meminfo.present & (1u << KSM_MEMINFO_ANON_HUGE_PAGES);
        ck_assert(s.source_exists & (1u << KSM_SRC_MEMINFO));
        ck_assert_msg(has == (meminfo_cases[_i].want != UINT64_MAX), "\"%s\"",
                      meminfo_cases[_i].text);
        if (has)
            ck_assert_uint_eq(s.meminfo.kb[KSM_MEMINFO_ANON_HUGE_PAGES],
                              meminfo_cases[_i].want);
        ck_assert_uint_eq(s.source_errors[KSM_SRC_MEMINFO],
                          (uint64_t)round * (uint64_t)meminfo_cases[_i].errors);
    }
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/* No meminfo: absent, not counted; one that cannot be read: counted. */
START_TEST(test_meminfo_missing)
{
    char root[4096], ksm[4096], dir[4096];
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;

    scratch_root(root, ksm);
    r = reader(root, false, 0, 0);
    ksm_procfs_read(r, false, &s);
    ck_assert_uint_eq(s.meminfo.present, 0);
    ck_assert(!(s.source_exists & (1u << KSM_SRC_MEMINFO)));
    ck_assert_uint_eq(s.source_errors[KSM_SRC_MEMINFO], 0);
    join(dir, root, "/meminfo");
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    ksm_procfs_read(r, false, &s);
    ck_assert_uint_eq(s.meminfo.present, 0);
    ck_assert(s.source_exists & (1u << KSM_SRC_MEMINFO));
    ck_assert_uint_eq(s.source_errors[KSM_SRC_MEMINFO], 1);
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

START_TEST(test_missing_root)
{
    struct ksm_procfs *r = reader("/nonexistent/proc", true, 0, 0);
    struct ksm_procfs_sample s;
    struct ksm_procfs_config bad = {.root = ""};

    ksm_procfs_read(r, true, &s);
    ck_assert(!s.has_ksmd);
    ck_assert(!s.has_cow);
    ck_assert_uint_eq(s.nprocesses, 0);
    ksm_procfs_free(r);
    ck_assert_int_eq(ksm_procfs_new(&bad, &r), -EINVAL);
    ksm_procfs_free(NULL);
}
END_TEST

/* The real /proc: the scan runs, finds this process, and never lists it. */
START_TEST(test_real_proc)
{
    struct ksm_procfs *r = reader("/proc", true, 0, 0);
    struct ksm_procfs_sample s;

    ksm_procfs_read(r, true, &s);
    ck_assert(s.scanned);
    ck_assert_uint_gt(s.examined, 1);
    ksm_procfs_read(r, true, &s);
    ck_assert_uint_gt(s.examined, 1);
    ksm_procfs_free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("procfs");
    TCase *tc = tcase_create("fixture");

    tcase_add_test(tc, test_typical);
    tcase_add_test(tc, test_no_fd_budget);
    tcase_add_test(tc, test_limit);
    tcase_add_test(tc, test_processes_off);
    tcase_add_test(tc, test_changes);
    tcase_add_test(tc, test_exec_after_scan);
    tcase_add_test(tc, test_merging_only_garbage);
    tcase_add_test(tc, test_missing_root);
    suite_add_tcase(s, tc);
    tc = tcase_create("meminfo");
    tcase_add_loop_test(tc, test_meminfo, 0,
                        sizeof(meminfo_cases) / sizeof(meminfo_cases[0]));
    tcase_add_test(tc, test_meminfo_missing);
    suite_add_tcase(s, tc);
    tc = tcase_create("real");
    tcase_add_test(tc, test_real_proc);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
