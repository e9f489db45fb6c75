/* SPDX-License-Identifier: MIT */
/* Unit tests of the procfs reader against a fake procfs tree. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <check.h>

#include "ksm/procfs.h"
#include "testutil.h"

#ifndef KSM_PROCFS_DIR
#error "KSM_PROCFS_DIR must name tests/fixtures/procfs"
#endif

#define TYPICAL KSM_PROCFS_DIR "/typical"

#define SEC  UINT64_C(1000000000)
#define MSEC UINT64_C(1000000)

/* A clock that stands still until a test moves it. */
/* A clock that stands still, or moves by step at every reading. */
struct fake_clock {
    uint64_t ns;
    uint64_t step;
};

static uint64_t fake_now(void *arg)
{
    struct fake_clock *c = arg;
    uint64_t now = c->ns;

    c->ns += c->step;
    return now;
}

/* A reader with a page of 4096 bytes; clock may be NULL (a real one). */
static struct ksm_procfs *clocked_reader(const char *root, bool processes,
                                         size_t max, size_t budget,
                                         struct fake_clock *clock)
{
    struct ksm_procfs_config c = {.root = root,
                                  .processes = processes,
                                  .max_processes = max,
                                  .fd_budget = budget,
                                  .ticks = 100,
                                  .page_size = 4096,
                                  .clock = clock ? fake_now : NULL,
                                  .clock_arg = clock};
    struct ksm_procfs *r;

    ck_assert_int_eq(ksm_procfs_new(&c, &r), 0);
    return r;
}

static struct ksm_procfs *reader(const char *root, bool processes, size_t max,
                                 size_t budget)
{
    return clocked_reader(root, processes, max, budget, NULL);
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
    /* 1, 2, 37 and 1000..1014; "0123", "self" and "sys" are no PIDs. */
    ck_assert_uint_eq(s->examined, 18);
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
    /* statm's resident pages times the page size; started by path. */
    ck_assert(p->has_rss);
    ck_assert_uint_eq(p->rss_bytes, UINT64_C(132608) * 4096);
    ck_assert(!p->ksmtuned_counted);

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
    /* Not a guest: none of the guests' figures. */
    ck_assert(!p->has_rss && !p->has_thp_anon && !p->ksmtuned_counted);

    p = by_pid(s, "1005");
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p->vm, "web02");
    p = by_pid(s, "1006");
    ck_assert_ptr_nonnull(p);
    ck_assert(p->qemu);
    ck_assert_str_eq(p->comm, "CPU 0/KVM");
    ck_assert_str_eq(p->vm, "");
    ck_assert(!p->has_rss); /* no statm in the tree: absent, not counted */

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

    /* Started by name with -enable-kvm: what ksmtuned's pgrep counts. */
    p = by_pid(s, "1013");
    ck_assert_ptr_nonnull(p);
    ck_assert(p->ksmtuned_counted);
    ck_assert_uint_eq(p->rss_bytes, UINT64_C(512) * 4096);

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
    ck_assert_uint_eq(s.source_errors[KSM_SRC_STATM], 0);
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
    ck_assert_uint_eq(s.over_limit, 13);
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

/* Writes a command line (a string literal, NULs within) to dir/cmdline. */
#define write_cmdline(dir, lit) write_cmdline_n(dir, lit, sizeof(lit) - 1)

static void write_cmdline_n(const char *dir, const char *text, size_t n)
{
    char path[4096];
    FILE *f;

    join(path, dir, "/cmdline");
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, n, f), n);
    fclose(f);
}

/* How many descriptors this process has open. */
static size_t open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    size_t n = 0;

    ck_assert_ptr_nonnull(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/*
 * The default budget is the soft open-file limit less 1024 for the adapter:
 * at a limit of 4096, 1200 processes keep their 2400 descriptors (half the
 * limit would keep 2048 at most).
 */
START_TEST(test_default_fd_budget)
{
    char root[4096], ksm[4096], dir[4096], pid[16];
    struct rlimit old, low;
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;
    size_t before;

    scratch_root(root, ksm);
    for (int i = 0; i < 1200; i++) {
        snprintf(pid, sizeof(pid), "%d", 1000 + i);
        fake_process(root, pid, "ksm_stat", "ksm_merging_pages 1\n", "worker",
                     "worker", dir);
    }
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    ck_assert_uint_ge(old.rlim_max, 4096);
    low = old;
    low.rlim_cur = 4096;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    r = reader(root, true, 0, 0);
    before = open_fds();
    ksm_procfs_read(r, true, &s);
    ck_assert_uint_eq(s.nprocesses, 1200);
    ck_assert_uint_ge(open_fds() - before, 2400);
    ksm_procfs_free(r);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
    rm_rf(root);
}
END_TEST

/*
 * Beyond the descriptor budget a process's files are opened at every scan,
 * but who it is stays known while its comm stays: its command line is read
 * once, not at every scan.  A QEMU process is identified at every scan: a
 * guest under a reused PID could have the same comm and another name.
 */
START_TEST(test_identity_beyond_budget)
{
    char root[4096], ksm[4096], worker[4096], guest[4096], path[4096];
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;
    const struct ksm_process *p;

    scratch_root(root, ksm);
    fake_process(root, "100", "ksm_stat", "ksm_merging_pages 7\n", "worker",
                 "/usr/bin/worker", worker);
    fake_process(root, "200", "ksm_stat", "ksm_merging_pages 9\n",
                 "qemu-system-x86", "", guest);
    write_cmdline(guest, "/usr/bin/qemu-system-x86_64\0-name\0guest=alpha\0");
    r = reader(root, true, 0, 1);
    ksm_procfs_read(r, true, &s);
    ck_assert_uint_eq(s.nprocesses, 2);
    /* Only the guest's command line is read again: the worker's may go. */
    join(path, worker, "/cmdline");
    ck_assert_int_eq(unlink(path), 0);
    write_cmdline(guest, "/usr/bin/qemu-system-x86_64\0-name\0guest=beta\0");
    write_file(worker, "ksm_stat", "ksm_merging_pages 8\n");
    ksm_procfs_read(r, true, &s);
    ck_assert_uint_eq(s.nprocesses, 2);
    p = by_pid(&s, "100");
    ck_assert_ptr_nonnull(p);
    ck_assert(!p->qemu);
    ck_assert_str_eq(p->comm, "worker");
    ck_assert_int_eq(V(p, MERGING_PAGES), 8);
    p = by_pid(&s, "200");
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p->vm, "beta");
    /* A new comm is a new program: identified again. */
    write_file(worker, "comm", "qemu-system-x86\n");
    write_cmdline(worker, "/usr/bin/qemu-system-x86_64\0-name\0guest=gamma\0");
    ksm_procfs_read(r, true, &s);
    p = by_pid(&s, "100");
    ck_assert_ptr_nonnull(p);
    ck_assert(p->qemu);
    ck_assert_str_eq(p->vm, "gamma");
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/*
 * A comm longer than the kernel's 15 bytes (one that sanitizing made
 * longer) identifies its process as well as a short one: the command line
 * is not read again while it stays, and is once it changes, even in its
 * last byte.  It is listed whole.  _i 1 is beyond the descriptor budget.
 */
START_TEST(test_long_comm)
{
    static const char one[] = "a-comm-of-20-bytes-1",
                      two[] = "a-comm-of-20-bytes-2";
    char root[4096], ksm[4096], dir[4096], path[4096], line[64];
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;

    scratch_root(root, ksm);
    fake_process(root, "100", "ksm_stat", "ksm_merging_pages 7\n", one,
                 "/usr/bin/worker", dir);
    r = reader(root, true, 0, _i == 0 ? 0 : 1);
    ksm_procfs_read(r, true, &s);
    join(path, dir, "/cmdline");
    ck_assert_int_eq(unlink(path), 0);
    ksm_procfs_read(r, true, &s);
    ck_assert_uint_eq(s.nprocesses, 1);
    ck_assert_str_eq(s.processes[0].comm, one);
    ck_assert(!s.processes[0].qemu);
    snprintf(line, sizeof(line), "%s\n", two);
    write_file(dir, "comm", line);
    write_cmdline(dir, "/usr/bin/qemu-system-x86_64\0-name\0guest=z");
    ksm_procfs_read(r, true, &s);
    ck_assert_uint_eq(s.nprocesses, 1);
    ck_assert_str_eq(s.processes[0].comm, two);
    ck_assert(s.processes[0].qemu);
    ck_assert_str_eq(s.processes[0].vm, "z");
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

/* The THP share of a listed process, in KiB, or -1 when it has none. */
static long long thp_kb(const struct ksm_procfs_sample *s, const char *pid)
{
    const struct ksm_process *p = by_pid(s, pid);

    ck_assert_ptr_nonnull(p);
    return p->has_thp_anon ? (long long)(p->thp_anon_bytes / 1024) : -1;
}

/*
 * The fixture's six guests under a clock: the first scan reads one
 * smaps_rollup, each later one its share of the interval (6 guests, 15 s
 * of 60: two), oldest first, by PID among those never read.  The
 * malformed one is counted once per interval, and values are kept until
 * the guest falls due again.
 */
START_TEST(test_guest_thp_fixture)
{
    struct fake_clock clock = {0};
    struct ksm_procfs *r = clocked_reader(TYPICAL, true, 0, 0, &clock);
    struct ksm_procfs_sample s;

    ksm_procfs_read(r, false, &s);
    ck_assert_int_eq(thp_kb(&s, "1000"), 530432);
    ck_assert_int_eq(thp_kb(&s, "1001"), -1);
    ck_assert_int_eq(thp_kb(&s, "1013"), -1);
    ck_assert(!by_pid(&s, "1002")->has_thp_anon); /* not a guest */
    clock.ns = 15 * SEC;
    ksm_procfs_read(r, false, &s);
    ck_assert_int_eq(thp_kb(&s, "1001"), 0);
    ck_assert_int_eq(thp_kb(&s, "1005"), -1); /* malformed */
    ck_assert_uint_eq(s.source_errors[KSM_SRC_SMAPS_ROLLUP], 1);
    ck_assert_int_eq(thp_kb(&s, "1010"), -1); /* not yet */
    clock.ns = 30 * SEC;
    ksm_procfs_read(r, false, &s);
    /* 1006 has no smaps_rollup: left out, not counted. */
    ck_assert_int_eq(thp_kb(&s, "1006"), -1);
    ck_assert_int_eq(thp_kb(&s, "1010"), 2048);
    ck_assert_int_eq(thp_kb(&s, "1013"), -1);
    clock.ns = 45 * SEC;
    ksm_procfs_read(r, false, &s);
    ck_assert_int_eq(thp_kb(&s, "1013"), 0);
    ck_assert_int_eq(thp_kb(&s, "1000"), 530432);
    ck_assert_uint_eq(s.source_errors[KSM_SRC_SMAPS_ROLLUP], 1);
    clock.ns = 60 * SEC;
    ksm_procfs_read(r, false, &s);
    ck_assert_uint_eq(s.source_errors[KSM_SRC_SMAPS_ROLLUP], 1);
    clock.ns = 75 * SEC;
    ksm_procfs_read(r, false, &s);
    ck_assert_uint_eq(s.source_errors[KSM_SRC_SMAPS_ROLLUP], 2);
    ksm_procfs_free(r);
}
END_TEST

/* A QEMU process of a scratch tree, with statm and smaps_rollup. */
static void fake_guest(const char *root, const char *pid, const char *vm,
                       const char *statm, const char *rollup, char *dir)
{
    char cmdline[128], path[4096];
    FILE *f;
    int n = snprintf(cmdline, sizeof(cmdline),
                     "qemu-system-x86_64%c-name%cguest=%s", 0, 0, vm);

    fake_process(root, pid, "ksm_stat", "ksm_merging_pages 0\n",
                 "qemu-system-x86", "", dir);
    join(path, dir, "/cmdline");
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fwrite(cmdline, 1, (size_t)n, f);
    fclose(f);
    if (statm)
        write_file(dir, "statm", statm);
    if (rollup)
        write_file(dir, "smaps_rollup", rollup);
}

static char *rollup_text(char *buf, size_t size, unsigned kb)
{
    snprintf(buf, size,
             "00400000-7ffd00000000 ---p 00000000 00:00 0  [rollup]\n"
             "Rss:             %8u kB\nAnonHugePages:   %8u kB\n"
             "Swap:                   0 kB\n",
             kb + 4, kb);
    return buf;
}

/* One guest: read once per interval, the value kept in between. */
START_TEST(test_guest_thp_cadence)
{
    char root[4096], ksm[4096], dir[4096], text[256];
    struct fake_clock clock = {.ns = 5 * SEC};
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;

    scratch_root(root, ksm);
    fake_guest(root, "40", "a", "10 3 1 1 0 2 0\n",
               rollup_text(text, sizeof(text), 2048), dir);
    r = clocked_reader(root, true, 0, 0, &clock);
    ksm_procfs_read(r, false, &s);
    ck_assert_int_eq(thp_kb(&s, "40"), 2048);
    ck_assert_uint_eq(s.processes[0].rss_bytes, UINT64_C(3) * 4096);
    write_file(dir, "smaps_rollup", rollup_text(text, sizeof(text), 4096));
    write_file(dir, "statm", "10 7 1 1 0 2 0\n");
    for (uint64_t t = 6; t < 65; t += 7) {
        clock.ns = t * SEC;
        ksm_procfs_read(r, false, &s);
        /* RSS at every scan, THP not before the interval is over. */
        ck_assert_uint_eq(s.processes[0].rss_bytes, UINT64_C(7) * 4096);
        ck_assert_int_eq(thp_kb(&s, "40"), 2048);
    }
    clock.ns = 65 * SEC;
    ksm_procfs_read(r, false, &s);
    ck_assert_int_eq(thp_kb(&s, "40"), 4096);
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/*
 * Six guests that appear together, scanned every 10 s with an interval of
 * 60 s: one read per scan (6 x 10 / 60), never all at once, and the
 * oldest reading is renewed first.
 */
START_TEST(test_guest_thp_spread)
{
    static const char *const pids[] = {"51", "52", "53", "54", "55", "56"};
    char root[4096], ksm[4096], dir[4096], text[256];
    struct fake_clock clock = {0};
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;

    scratch_root(root, ksm);
    for (int i = 0; i < 6; i++)
        fake_guest(root, pids[i], pids[i], "1 1 1 1 0 1 0\n",
                   rollup_text(text, sizeof(text), 2048), dir);
    r = clocked_reader(root, true, 0, 0, &clock);
    for (int scan = 0; scan < 6; scan++) {
        int with = 0;

        clock.ns = (uint64_t)scan * 10 * SEC;
        ksm_procfs_read(r, false, &s);
        for (int i = 0; i < 6; i++)
            with += thp_kb(&s, pids[i]) >= 0;
        ck_assert_int_eq(with, scan + 1);
        ck_assert_int_eq(thp_kb(&s, pids[scan]), 2048);
    }
    /* Both change; 51, read at 0 s, is due at 60 s, 52 only at 70 s. */
    join(dir, root, "/51");
    write_file(dir, "smaps_rollup", rollup_text(text, sizeof(text), 8192));
    join(dir, root, "/52");
    write_file(dir, "smaps_rollup", rollup_text(text, sizeof(text), 8192));
    clock.ns = 60 * SEC;
    ksm_procfs_read(r, false, &s);
    ck_assert_int_eq(thp_kb(&s, "51"), 8192);
    ck_assert_int_eq(thp_kb(&s, "52"), 2048);
    clock.ns = 70 * SEC;
    ksm_procfs_read(r, false, &s);
    ck_assert_int_eq(thp_kb(&s, "52"), 8192);
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/*
 * Reads that take 400 ms each on a 1% CPU limit: the first scan reads one
 * guest (the spread), a full interval later the second may read all five
 * that are due but stops once the credit (1 s at most) is spent: after
 * three.  Without a limit it reads all five.
 */
static int thp_read_after_two_scans(unsigned percent)
{
    static const char *const pids[] = {"61", "62", "63", "64", "65", "66"};
    char root[4096], ksm[4096], dir[4096], text[256];
    struct fake_clock clock = {.ns = 0, .step = 400 * MSEC};
    struct ksm_procfs_config c = {.root = root,
                                  .processes = true,
                                  .ticks = 100,
                                  .page_size = 4096,
                                  .thp_cpu_percent = percent,
                                  .clock = fake_now,
                                  .clock_arg = &clock};
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;
    int with = 0;

    scratch_root(root, ksm);
    for (int i = 0; i < 6; i++)
        fake_guest(root, pids[i], pids[i], "1 1 1 1 0 1 0\n",
                   rollup_text(text, sizeof(text), 2048), dir);
    ck_assert_int_eq(ksm_procfs_new(&c, &r), 0);
    ksm_procfs_read(r, false, &s);
    clock.ns += 60 * SEC;
    ksm_procfs_read(r, false, &s);
    for (int i = 0; i < 6; i++)
        with += thp_kb(&s, pids[i]) >= 0;
    ksm_procfs_free(r);
    rm_rf(root);
    return with;
}

START_TEST(test_guest_thp_cpu_limit)
{
    ck_assert_int_eq(thp_read_after_two_scans(0), 1 + 3);
    ck_assert_int_eq(thp_read_after_two_scans(100), 6);
}
END_TEST

/*
 * Two guests due in one scan that may read one: the oldest reading goes
 * first, whatever the PIDs' order.
 */
START_TEST(test_guest_thp_oldest_first)
{
    char root[4096], ksm[4096], dir[4096], text[256];
    struct fake_clock clock = {0};
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;

    scratch_root(root, ksm);
    fake_guest(root, "82", "b", "1 1 1 1 0 1 0\n",
               rollup_text(text, sizeof(text), 2048), dir);
    r = clocked_reader(root, true, 0, 0, &clock);
    ksm_procfs_read(r, false, &s); /* 82 at 0 s */
    fake_guest(root, "81", "a", "1 1 1 1 0 1 0\n",
               rollup_text(text, sizeof(text), 2048), dir);
    clock.ns = 1 * SEC;
    ksm_procfs_read(r, false, &s); /* 81 at 1 s */
    ck_assert_int_eq(thp_kb(&s, "81"), 2048);
    clock.ns = 59 * SEC;
    ksm_procfs_read(r, false, &s); /* neither is due */
    write_file(dir, "smaps_rollup", rollup_text(text, sizeof(text), 4096));
    join(dir, root, "/82");
    write_file(dir, "smaps_rollup", rollup_text(text, sizeof(text), 4096));
    /* 2.5 s of 60 for 2 guests: one read, of 82, due since 60 s. */
    clock.ns = 61 * SEC + SEC / 2;
    ksm_procfs_read(r, false, &s);
    ck_assert_int_eq(thp_kb(&s, "82"), 4096);
    ck_assert_int_eq(thp_kb(&s, "81"), 2048);
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/*
 * Writes dir's cmdline as "qemu-system-x86_64", then "-S" arguments for at
 * least at bytes, then "-enable-kvm": the same first at bytes whatever at
 * is beyond them.
 */
static void write_long_cmdline(const char *dir, size_t at)
{
    char path[4096];
    FILE *f;

    join(path, dir, "/cmdline");
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("qemu-system-x86_64", f);
    fputc(0, f);
    for (size_t n = 0; n < at; n += 3)
        fwrite("-S", 1, 3, f); /* "-S" and its NUL */
    fwrite("-enable-kvm", 1, 12, f);
    fclose(f);
}

/*
 * ksmtuned's pgrep reads 128 KiB of a command line, more than the scan's
 * first read: "-enable-kvm" after 20 KiB of arguments still counts, after
 * 130 KiB it does not.
 */
START_TEST(test_guest_long_cmdline)
{
    static const size_t at[] = {20000, 140000};
    char root[4096], ksm[4096], dir[4096];
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;

    scratch_root(root, ksm);
    for (int i = 0; i < 2; i++) {
        const char *pid = i == 0 ? "90" : "91";

        fake_guest(root, pid, pid, NULL, NULL, dir);
        write_long_cmdline(dir, at[i]);
    }
    r = reader(root, true, 0, 0);
    ksm_procfs_read(r, false, &s);
    ck_assert_uint_eq(s.nprocesses, 2);
    ck_assert(by_pid(&s, "90")->ksmtuned_counted);
    ck_assert(!by_pid(&s, "91")->ksmtuned_counted);
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/*
 * A guest that exits takes its value along: the next process under its
 * PID, or the same process once it runs another guest, starts without.
 */
START_TEST(test_guest_exit)
{
    char root[4096], ksm[4096], dir[4096], text[256];
    struct fake_clock clock = {0};
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;

    scratch_root(root, ksm);
    fake_guest(root, "60", "old", "1 1 1 1 0 1 0\n",
               rollup_text(text, sizeof(text), 2048), dir);
    r = clocked_reader(root, true, 0, 0, &clock);
    ksm_procfs_read(r, false, &s);
    ck_assert_int_eq(thp_kb(&s, "60"), 2048);
    rm_rf(dir);
    clock.ns = 10 * SEC;
    ksm_procfs_read(r, false, &s);
    ck_assert_uint_eq(s.nprocesses, 0);
    /* A new guest under the same PID, whose smaps_rollup is missing. */
    fake_guest(root, "60", "old", "1 1 1 1 0 1 0\n", NULL, dir);
    clock.ns = 20 * SEC;
    ksm_procfs_read(r, false, &s);
    ck_assert_int_eq(thp_kb(&s, "60"), -1);
    ck_assert_uint_eq(s.source_errors[KSM_SRC_SMAPS_ROLLUP], 0);
    /* Read at last; then the process runs another guest (exec). */
    write_file(dir, "smaps_rollup", rollup_text(text, sizeof(text), 4096));
    clock.ns = 80 * SEC;
    ksm_procfs_read(r, false, &s);
    ck_assert_int_eq(thp_kb(&s, "60"), 4096);
    {
        static const char line[] = "qemu-system-x86_64\0-name\0guest=new";
        char path[4096];
        FILE *f;

        join(path, dir, "/cmdline");
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fwrite(line, 1, sizeof(line) - 1, f);
        fclose(f);
        join(path, dir, "/smaps_rollup");
        ck_assert_int_eq(unlink(path), 0);
    }
    write_file(dir, "comm", "qemu-system-aar\n");
    clock.ns = 90 * SEC;
    ksm_procfs_read(r, false, &s);
    ck_assert_str_eq(s.processes[0].vm, "new");
    ck_assert_int_eq(thp_kb(&s, "60"), -1);
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/*
 * Files that cannot be read or parsed: counted under their own names, the
 * figure left out, the process still listed; a failed smaps_rollup is
 * tried again only an interval later.  A process that is no guest has no
 * guest figures even with both files.
 */
START_TEST(test_guest_unreadable)
{
    char root[4096], ksm[4096], dir[4096], sub[4096], text[256];
    struct fake_clock clock = {0};
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;

    scratch_root(root, ksm);
    fake_guest(root, "70", "a", "1 x 1 1 0 1 0\n", NULL, dir);
    join(sub, dir, "/smaps_rollup");
    ck_assert_int_eq(mkdir(sub, 0755), 0); /* read() fails: EISDIR */
    fake_process(root, "71", "ksm_stat", "ksm_merging_pages 3\n", "redis",
                 "redis", dir);
    write_file(dir, "statm", "1 1 1 1 0 1 0\n");
    write_file(dir, "smaps_rollup", rollup_text(text, sizeof(text), 2048));
    r = clocked_reader(root, true, 0, 0, &clock);
    for (int i = 0; i < 3; i++) {
        clock.ns = (uint64_t)i * 20 * SEC;
        ksm_procfs_read(r, false, &s);
        ck_assert_uint_eq(s.nprocesses, 2);
        ck_assert(!by_pid(&s, "70")->has_rss);
        ck_assert_int_eq(thp_kb(&s, "70"), -1);
        ck_assert_uint_eq(s.source_errors[KSM_SRC_STATM], (uint64_t)i + 1);
        ck_assert_uint_eq(s.source_errors[KSM_SRC_SMAPS_ROLLUP], 1);
        ck_assert(!by_pid(&s, "71")->has_rss);
        ck_assert_int_eq(thp_kb(&s, "71"), -1);
    }
    clock.ns = 60 * SEC;
    ksm_procfs_read(r, false, &s);
    ck_assert_uint_eq(s.source_errors[KSM_SRC_SMAPS_ROLLUP], 2);
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/*
 * ksmtuned's verdict on a long command line is kept while the process's
 * comm and guest name stay the same, also beyond the descriptor budget
 * (_i 1), where the process is identified at every scan: the line is not
 * read whole again.  The test moves "-enable-kvm" past what ksmtuned reads,
 * a change that only a read of the whole line would see; a new comm has
 * the line read again.
 */
START_TEST(test_guest_long_cmdline_kept)
{
    char root[4096], ksm[4096], dir[4096];
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;

    scratch_root(root, ksm);
    fake_guest(root, "92", "", NULL, NULL, dir);
    write_long_cmdline(dir, 20000);
    r = reader(root, true, 0, _i == 0 ? 0 : 1);
    ksm_procfs_read(r, false, &s);
    ck_assert(by_pid(&s, "92")->ksmtuned_counted);
    write_long_cmdline(dir, 140000);
    for (int i = 0; i < 2; i++) {
        ksm_procfs_read(r, false, &s);
        ck_assert(by_pid(&s, "92")->ksmtuned_counted);
    }
    write_file(dir, "comm", "qemu-system-aar\n");
    ksm_procfs_read(r, false, &s);
    ck_assert(!by_pid(&s, "92")->ksmtuned_counted);
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/* Removes dir/name. */
static void remove_file(const char *dir, const char *name)
{
    char path[4096], sub[4096];

    join(sub, "/", name);
    join(path, dir, sub);
    ck_assert_int_eq(unlink(path), 0);
}

/* Sets the mode of dir/name. */
static void set_mode(const char *dir, const char *name, mode_t mode)
{
    char path[4096], sub[4096];

    join(sub, "/", name);
    join(path, dir, sub);
    ck_assert_int_eq(chmod(path, mode), 0);
}

/*
 * Checks that pid is listed as a QEMU guest named vm, with merging pages,
 * resident pages of 4096 bytes and a THP share of thp kB (-1: none).
 */
static void check_guest(const struct ksm_procfs_sample *s, const char *pid,
                        const char *vm, long merging, uint64_t rss,
                        long long thp)
{
    const struct ksm_process *p = by_pid(s, pid);

    ck_assert_ptr_nonnull(p);
    ck_assert(p->qemu);
    ck_assert_str_eq(p->vm, vm);
    ck_assert_int_eq(V(p, MERGING_PAGES), merging);
    ck_assert(p->has_rss);
    ck_assert_uint_eq(p->rss_bytes, rss * 4096);
    ck_assert_int_eq(thp_kb(s, pid), thp);
}

/* Checks that pid is listed as no guest, with comm and merging pages. */
static void check_other(const struct ksm_procfs_sample *s, const char *pid,
                        const char *comm, long merging)
{
    const struct ksm_process *p = by_pid(s, pid);

    ck_assert_ptr_nonnull(p);
    ck_assert(!p->qemu);
    ck_assert_str_eq(p->comm, comm);
    ck_assert_str_eq(p->vm, "");
    ck_assert_int_eq(V(p, MERGING_PAGES), merging);
    ck_assert(!p->has_rss && !p->has_thp_anon && !p->ksmtuned_counted);
    ck_assert_uint_eq(p->rss_bytes, 0);
}

/* Makes root/pid a process with its comm, statm and ksm_stat. */
static void fake_program(const char *root, const char *pid, const char *comm,
                         const char *statm, long merging, char *dir)
{
    char text[64];

    snprintf(text, sizeof(text), "ksm_merging_pages %ld\n", merging);
    fake_process(root, pid, "ksm_stat", text, comm, "", dir);
    write_file(dir, "statm", statm);
}

/* Scans at t seconds of clock. */
static void scan_at(struct ksm_procfs *r, struct fake_clock *clock, uint64_t t,
                    struct ksm_procfs_sample *s)
{
    clock->ns = t * SEC;
    ksm_procfs_read(r, false, s);
}

/*
 * Three guests, read twice: 310 (started by path, counted by ksmtuned),
 * 320 and 330, each with its smaps_rollup read at the second scan.
 */
static struct ksm_procfs *three_guests(const char *root, struct fake_clock *c,
                                       size_t budget,
                                       struct ksm_procfs_sample *s)
{
    char dir[4096], text[256];
    struct ksm_procfs *r;

    fake_program(root, "310", "vmhost", "1 5 1 1 0 1 0\n", 11, dir);
    write_cmdline(dir, "qemu-system-x86_64\0-name\0guest=alpha\0-enable-kvm");
    write_file(dir, "smaps_rollup", rollup_text(text, sizeof(text), 1024));
    fake_program(root, "320", "qemu-system-x86", "1 6 1 1 0 1 0\n", 12, dir);
    write_cmdline(dir, "/usr/bin/qemu-system-x86_64\0-name\0guest=beta");
    write_file(dir, "smaps_rollup", rollup_text(text, sizeof(text), 2048));
    fake_program(root, "330", "qemu-system-x86", "1 7 1 1 0 1 0\n", 13, dir);
    write_cmdline(dir, "/usr/bin/qemu-system-x86_64\0-name\0guest=gamma");
    write_file(dir, "smaps_rollup", rollup_text(text, sizeof(text), 3072));
    r = clocked_reader(root, true, 0, budget, c);
    scan_at(r, c, 0, s);
    scan_at(r, c, 60, s);
    ck_assert_uint_eq(s->nprocesses, 3);
    check_guest(s, "310", "alpha", 11, 5, 1024);
    ck_assert(by_pid(s, "310")->ksmtuned_counted);
    check_guest(s, "320", "beta", 12, 6, 2048);
    check_guest(s, "330", "gamma", 13, 7, 3072);
    return r;
}

/*
 * A guest's own state goes with the program under its PID, scan after
 * scan: 310 exits and its PID goes to a program with its comm; 320 runs
 * another guest (exec); 330 becomes bash, then a guest again.  None shows
 * what was known of the guest before: not its name, ksmtuned's verdict,
 * nor its THP share (their smaps_rollup is gone, so a kept value would
 * show).  _i 1 is beyond the descriptor budget: a guest is identified at
 * every scan.
 */
START_TEST(test_guest_state_follows_pid)
{
    char root[4096], ksm[4096], d310[4096], d320[4096], d330[4096];
    char text[256];
    struct fake_clock clock = {0};
    struct ksm_procfs_sample s;
    struct ksm_procfs *r;

    scratch_root(root, ksm);
    r = three_guests(root, &clock, _i == 0 ? 0 : 1, &s);
    join(d310, root, "/310");
    join(d320, root, "/320");
    join(d330, root, "/330");
    rm_rf(d310);
    write_file(d320, "comm", "qemu-system-aar\n");
    write_cmdline(d320, "/usr/bin/qemu-system-aarch64\0-name\0guest=delta");
    remove_file(d320, "smaps_rollup");
    write_file(d330, "comm", "bash\n");
    write_cmdline(d330, "/bin/bash");
    write_file(d330, "ksm_stat", "ksm_merging_pages 5\n");
    for (uint64_t t = 120; t <= 180; t += 60) {
        scan_at(r, &clock, t, &s);
        ck_assert_uint_eq(s.nprocesses, 2);
        ck_assert_ptr_null(by_pid(&s, "310"));
        check_guest(&s, "320", "delta", 12, 6, -1);
        check_other(&s, "330", "bash", 5);
    }
    fake_program(root, "310", "vmhost", "1 5 1 1 0 1 0\n", 3, d310);
    write_cmdline(d310, "/opt/vmhost\0-name\0guest=alpha\0-enable-kvm");
    write_file(d310, "smaps_rollup", rollup_text(text, sizeof(text), 1024));
    write_file(d330, "comm", "qemu-system-x86\n");
    write_cmdline(d330, "/usr/bin/qemu-system-x86_64\0-name\0guest=gamma");
    remove_file(d330, "smaps_rollup");
    write_file(d320, "smaps_rollup", rollup_text(text, sizeof(text), 4096));
    for (uint64_t t = 240; t <= 360; t += 60) {
        scan_at(r, &clock, t, &s);
        ck_assert_uint_eq(s.nprocesses, 3);
        check_other(&s, "310", "vmhost", 3);
        check_guest(&s, "320", "delta", 12, 6, 4096);
        check_guest(&s, "330", "gamma", 5, 7, -1);
        ck_assert(!by_pid(&s, "330")->ksmtuned_counted);
    }
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/*
 * A QEMU guest of a scratch tree started as ksmtuned counts it, whose
 * statm gives 5 resident pages, beside a process "bash" that is no guest.
 */
static void counted_guest_and_bash(const char *root, char *dir)
{
    static const char line[] = "qemu-system-x86_64\0-enable-kvm\0"
                               "-name\0guest=vm7,debug-threads=on";
    char path[4096];
    FILE *f;

    fake_process(root, "31", "ksm_stat", "ksm_merging_pages 0\n", "bash",
                 "bash", dir);
    fake_guest(root, "30", "vm7", "10 5 1 1 0 2 0\n", NULL, dir);
    join(path, dir, "/cmdline");
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fwrite(line, 1, sizeof(line) - 1, f);
    fclose(f);
}

/*
 * Scans the tree of counted_guest_and_bash() twice: the guest is listed
 * without KSM figures, with its resident memory and ksmtuned's view, so
 * that the memory ksmtuned sees committed is not short of it; bash is not
 * listed.  denied is how many processes each scan counts as denied.
 */
static void check_guest_without_figures(struct ksm_procfs *r, uint64_t denied)
{
    struct ksm_procfs_sample s;

    for (int round = 0; round < 2; round++) {
        const struct ksm_process *p;

        ksm_procfs_read(r, false, &s);
        ck_assert_uint_eq(s.examined, 2);
        ck_assert_uint_eq(s.denied, denied);
        ck_assert_uint_eq(s.nprocesses, 1);
        p = by_pid(&s, "30");
        ck_assert_ptr_nonnull(p);
        ck_assert(p->qemu);
        ck_assert_str_eq(p->vm, "vm7");
        ck_assert_uint_eq(p->figures.present, 0);
        ck_assert(p->has_rss);
        ck_assert_uint_eq(p->rss_bytes, UINT64_C(5) * 4096);
        ck_assert(p->ksmtuned_counted);
        ck_assert_uint_eq(s.source_errors[KSM_SRC_KSM_STAT], 0);
        ck_assert_uint_eq(s.source_errors[KSM_SRC_STATM], 0);
    }
}

/*
 * A kernel with neither ksm_stat nor ksm_merging_pages (before 5.19): the
 * guest is listed all the same and nothing is denied; with descriptors
 * kept (_i 0) or none (_i 1), the answers are the same.
 */
START_TEST(test_guest_without_ksm_stat)
{
    char root[4096], ksm[4096], dir[4096];
    struct ksm_procfs *r;

    scratch_root(root, ksm);
    counted_guest_and_bash(root, dir);
    remove_file(dir, "ksm_stat");
    join(dir, root, "/31");
    remove_file(dir, "ksm_stat");
    r = reader(root, true, 0, _i == 0 ? 0 : 1);
    check_guest_without_figures(r, 0);
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/*
 * Makes file modes apply to the test: as root (CAP_DAC_OVERRIDE reads any
 * file) it takes nobody's effective UID until as_root().  Returns whether
 * it did.  The scratch tree must be open to all, which mkdtemp()'s is not.
 */
static bool as_nobody(const char *root)
{
    ck_assert_int_eq(chmod(root, 0755), 0);
    if (geteuid() != 0)
        return false;
    ck_assert_int_eq(seteuid(65534), 0);
    return true;
}

static void as_root(bool was_nobody)
{
    if (was_nobody)
        ck_assert_int_eq(seteuid(0), 0);
}

/*
 * An exporter that is not root, with guests that run as libvirt-qemu:
 * their ksm_stat (mode 0400) is refused, their statm and cmdline (0444)
 * are not.  The guest is listed without KSM figures and counted as denied;
 * bash is counted as denied.  Mode 0 refuses the test's own files to it
 * as well (when not root, it owns them).  A directory in place of ksm_stat
 * would not do: it opens, and reading it fails with EISDIR, a read error.
 */
START_TEST(test_guest_ksm_stat_refused)
{
    char root[4096], ksm[4096], dir[4096];
    struct ksm_procfs *r;
    bool was_nobody;

    scratch_root(root, ksm);
    counted_guest_and_bash(root, dir);
    set_mode(dir, "ksm_stat", 0);
    join(dir, root, "/31");
    set_mode(dir, "ksm_stat", 0);
    r = reader(root, true, 0, _i == 0 ? 0 : 1);
    was_nobody = as_nobody(root);
    check_guest_without_figures(r, 2);
    as_root(was_nobody);
    ksm_procfs_free(r);
    rm_rf(root);
}
END_TEST

/*
 * A smaps_rollup that is refused (it needs ptrace access, which
 * CAP_DAC_READ_SEARCH does not give): the value is absent, no error is
 * counted, and it is tried again an interval later, not before.
 */
START_TEST(test_guest_thp_refused)
{
    char root[4096], ksm[4096], dir[4096], text[256];
    struct fake_clock clock = {0};
    struct ksm_procfs *r;
    struct ksm_procfs_sample s;
    bool was_nobody;

    scratch_root(root, ksm);
    fake_guest(root, "75", "a", "1 1 1 1 0 1 0\n",
               rollup_text(text, sizeof(text), 2048), dir);
    set_mode(dir, "smaps_rollup", 0);
    r = clocked_reader(root, true, 0, 0, &clock);
    was_nobody = as_nobody(root);
    for (int i = 0; i < 4; i++) {
        clock.ns = (uint64_t)i * 20 * SEC;
        ksm_procfs_read(r, false, &s);
        ck_assert_uint_eq(s.nprocesses, 1);
        ck_assert(s.processes[0].has_rss);
        ck_assert_int_eq(thp_kb(&s, "75"), -1);
        ck_assert_uint_eq(s.source_errors[KSM_SRC_SMAPS_ROLLUP], 0);
    }
    /* Read at 60 s, refused again; readable from now on. */
    as_root(was_nobody);
    set_mode(dir, "smaps_rollup", 0444);
    was_nobody = as_nobody(root);
    clock.ns = 119 * SEC;
    ksm_procfs_read(r, false, &s);
    ck_assert_int_eq(thp_kb(&s, "75"), -1);
    clock.ns = 120 * SEC;
    ksm_procfs_read(r, false, &s);
    ck_assert_int_eq(thp_kb(&s, "75"), 2048);
    as_root(was_nobody);
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
    tcase_add_test(tc, test_identity_beyond_budget);
    tcase_add_test(tc, test_default_fd_budget);
    tcase_add_test(tc, test_limit);
    tcase_add_test(tc, test_processes_off);
    tcase_add_test(tc, test_changes);
    tcase_add_test(tc, test_exec_after_scan);
    tcase_add_loop_test(tc, test_long_comm, 0, 2);
    tcase_add_test(tc, test_merging_only_garbage);
    tcase_add_test(tc, test_missing_root);
    suite_add_tcase(s, tc);
    tc = tcase_create("meminfo");
    tcase_add_loop_test(tc, test_meminfo, 0,
                        sizeof(meminfo_cases) / sizeof(meminfo_cases[0]));
    tcase_add_test(tc, test_meminfo_missing);
    suite_add_tcase(s, tc);
    tc = tcase_create("guests");
    tcase_add_test(tc, test_guest_thp_fixture);
    tcase_add_test(tc, test_guest_thp_cadence);
    tcase_add_test(tc, test_guest_thp_spread);
    tcase_add_test(tc, test_guest_thp_oldest_first);
    tcase_add_test(tc, test_guest_thp_cpu_limit);
    tcase_add_test(tc, test_guest_long_cmdline);
    tcase_add_test(tc, test_guest_exit);
    tcase_add_test(tc, test_guest_unreadable);
    tcase_add_loop_test(tc, test_guest_long_cmdline_kept, 0, 2);
    tcase_add_loop_test(tc, test_guest_state_follows_pid, 0, 2);
    tcase_add_loop_test(tc, test_guest_without_ksm_stat, 0, 2);
    tcase_add_loop_test(tc, test_guest_ksm_stat_refused, 0, 2);
    tcase_add_test(tc, test_guest_thp_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("real");
    tcase_add_test(tc, test_real_proc);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
