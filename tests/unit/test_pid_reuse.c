/* SPDX-License-Identifier: MIT */
/*
 * A PID reused by another guest, on the real procfs: a QEMU process the
 * scan knows exits, and a new one gets its PID (clone3() with set_tid, which
 * needs root), with the same comm and guest name but another command line.
 * The kept descriptors of the first answer ESRCH; the second must not
 * inherit what was known of the first (here ksmtuned's verdict).  This
 * program is also the stand-in guest: run under QEMU's name, it waits.
 */
#include <errno.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "ksm/procfs.h"

#define QEMU "qemu-system-x86_64"

static char qemu_path[PATH_MAX];

/* Execs this program as a guest named vm; with kvm, as ksmtuned counts it. */
static void exec_guest(const char *vm, bool kvm)
{
    char name[64];

    snprintf(name, sizeof(name), "guest=%s", vm);
    if (kvm)
        execl(qemu_path, QEMU, "-enable-kvm", "-name", name, (char *)NULL);
    else
        execl(qemu_path, QEMU, "-name", name, (char *)NULL);
    _exit(127);
}

/* Waits until pid runs under QEMU's name (its exec is done). */
static void wait_exec(pid_t pid)
{
    char path[64], comm[32] = "";

    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    for (int i = 0; i < 500 && strcmp(comm, "qemu-system-x86\n") != 0; i++) {
        FILE *f = fopen(path, "r");

        comm[0] = '\0';
        if (f) {
            if (!fgets(comm, sizeof(comm), f))
                comm[0] = '\0';
            fclose(f);
        }
        usleep(10000);
    }
    ck_assert_str_eq(comm, "qemu-system-x86\n");
}

/* A child with PID pid (0: any); -errno when clone3() refuses. */
static pid_t spawn_guest(pid_t pid, const char *vm, bool kvm)
{
    pid_t tid[1] = {pid};
    struct clone_args args = {.exit_signal = SIGCHLD};
    long child;

    if (pid > 0) {
        args.set_tid = (uint64_t)(uintptr_t)tid;
        args.set_tid_size = 1;
    }
    child = syscall(SYS_clone3, &args, sizeof(args));
    if (child == 0)
        exec_guest(vm, kvm);
    return child < 0 ? -errno : (pid_t)child;
}

static const struct ksm_process *find(const struct ksm_procfs_sample *s,
                                      pid_t pid)
{
    char want[16];

    snprintf(want, sizeof(want), "%d", (int)pid);
    for (size_t i = 0; i < s->nprocesses; i++)
        if (strcmp(s->processes[i].pid, want) == 0)
            return &s->processes[i];
    return NULL;
}

START_TEST(test_reused_pid)
{
    struct ksm_procfs_config c = {.root = "/proc", .processes = true};
    struct ksm_procfs_sample s;
    const struct ksm_process *p;
    struct ksm_procfs *r;
    pid_t a, b;

    a = spawn_guest(0, "alpha", true);
    ck_assert_int_gt(a, 0);
    wait_exec(a);
    ck_assert_int_eq(ksm_procfs_new(&c, &r), 0);
    ksm_procfs_read(r, false, &s);
    p = find(&s, a);
    ck_assert_ptr_nonnull(p);
    ck_assert(p->qemu);
    ck_assert_str_eq(p->vm, "alpha");
    ck_assert(p->ksmtuned_counted);
    /* It exits; another guest of the same name comes under its PID. */
    ck_assert_int_eq(kill(a, SIGKILL), 0);
    ck_assert_int_eq(waitpid(a, NULL, 0), a);
    b = spawn_guest(a, "alpha", false);
    if (b == -EPERM || b == -EEXIST || b == -EINVAL || b == -ENOSYS) {
        ksm_procfs_free(r);
        printf("SKIP: a PID cannot be chosen here (%s)\n", strerror(-b));
        return;
    }
    ck_assert_int_eq(b, a);
    wait_exec(b);
    ksm_procfs_read(r, false, &s);
    p = find(&s, b);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p->vm, "alpha");
    ck_assert_msg(!p->ksmtuned_counted,
                  "the new guest inherited the old one's ksmtuned verdict");
    ksm_procfs_free(r);
    kill(b, SIGKILL);
    waitpid(b, NULL, 0);
}
END_TEST

int main(int argc, char **argv)
{
    char dir[] = "/tmp/ksm-pid-reuse.XXXXXX", self[PATH_MAX];
    ssize_t n;
    Suite *s;
    SRunner *sr;
    int failed;

    (void)argc;
    if (strcmp(argv[0], QEMU) == 0)
        for (;;)
            pause(); /* the stand-in guest, killed by the test */
    if (geteuid() != 0) {
        printf("SKIP: choosing a PID needs root\n");
        return 77;
    }
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0 || !mkdtemp(dir))
        return 1;
    self[n] = '\0';
    /* The kernel names a process after the file it runs: QEMU's name. */
    snprintf(qemu_path, sizeof(qemu_path), "%s/" QEMU, dir);
    if (symlink(self, qemu_path) != 0)
        return 1;
    s = suite_create("pid_reuse");
    TCase *tc = tcase_create("real procfs");
    tcase_add_test(tc, test_reused_pid);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    unlink(qemu_path);
    rmdir(dir);
    return failed ? 1 : 0;
}
