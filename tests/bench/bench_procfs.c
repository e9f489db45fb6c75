/* SPDX-License-Identifier: MIT */
/* The per-process scan's cost per process at several process counts (idle
 * children spawned and reaped here), next to a naive open/read/close of
 * every /proc/PID/ksm_stat, in one run.  Usage: bench_procfs [N ...] */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "ksm/procfs.h"

#define ROUNDS 5

/* What a simple collector does: readdir, then open/read/close each file. */
static size_t naive_scan(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    char path[300], buf[1024];
    size_t n = 0;

    while (d && (e = readdir(d)) != NULL) {
        int fd;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/ksm_stat", e->d_name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (read(fd, buf, sizeof(buf)) >= 0)
            n++;
        close(fd);
    }
    if (d)
        closedir(d);
    return n;
}

static void measure(size_t extra)
{
    struct ksm_procfs_config c = {.root = "/proc", .processes = true};
    double t_scan[ROUNDS], t_naive[ROUNDS], first, scan, naive;
    struct ksm_procfs_sample s;
    struct ksm_procfs *r;
    pid_t *kids = calloc(extra ? extra : 1, sizeof(pid_t));
    size_t spawned = 0;
    int iters;

    for (; spawned < extra; spawned++) {
        pid_t pid = fork();

        if (pid == 0) {
            pause();
            _exit(0);
        }
        if (pid < 0)
            break;
        kids[spawned] = pid;
    }
    if (ksm_procfs_new(&c, &r) != 0)
        exit(1);
    first = bench_now_us();
    ksm_procfs_read(r, true, &s); /* opens and identifies every process */
    first = bench_now_us() - first;
    iters = s.examined > 2000 ? 20 : 200;
    for (int k = 0; k < ROUNDS; k++) {
        double t0 = bench_now_us();

        for (int i = 0; i < iters; i++)
            ksm_procfs_read(r, true, &s);
        t_scan[k] = (bench_now_us() - t0) / iters;
        t0 = bench_now_us();
        for (int i = 0; i < iters; i++)
            naive_scan();
        t_naive[k] = (bench_now_us() - t0) / iters;
    }
    scan = bench_median(t_scan, ROUNDS);
    naive = bench_median(t_naive, ROUNDS);
    printf("%8llu %12.0f %10.0f %8.2f %10.0f %8.2f %7.1fx\n",
           (unsigned long long)s.examined, first, scan,
           scan / (double)s.examined, naive, naive / (double)s.examined,
           naive / scan);
    ksm_procfs_free(r);
    for (size_t i = 0; i < spawned; i++)
        kill(kids[i], SIGKILL);
    for (size_t i = 0; i < spawned; i++)
        waitpid(kids[i], NULL, 0);
    free(kids);
}

int main(int argc, char **argv)
{
    static const size_t defaults[] = {0, 100, 1000, 5000};
    struct rlimit rl;

    /* As the exporter does: room for one descriptor per process. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    printf("per-process scan of /proc (us; medians of %d rounds)\n", ROUNDS);
    printf("%8s %12s %10s %8s %10s %8s %8s\n", "procs", "first scan", "scan",
           "us/proc", "naive", "us/proc", "speedup");
    if (argc > 1)
        for (int i = 1; i < argc; i++)
            measure((size_t)strtoul(argv[i], NULL, 10));
    else
        for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
            measure(defaults[i]);
    return 0;
}
