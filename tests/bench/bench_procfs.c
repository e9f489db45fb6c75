/* SPDX-License-Identifier: MIT */
/*
 * The per-process scan's cost per process at several process counts (idle
 * children spawned and reaped here), next to a naive open/read/close of
 * every /proc/PID/ksm_stat, in one run; then what the files of a guest's
 * figures cost on this machine's processes (statm, status, stat,
 * smaps_rollup), and a scan of stand-in guests with smaps_rollup read at
 * every scan and on its cadence.  Usage: bench_procfs [N ...]
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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

/* Microseconds to open, read whole and close /proc/PID/NAME; < 0 if not. */
static double open_read_us(const char *pid, const char *name, char *buf,
                           size_t cap)
{
    char path[300];
    double t0 = bench_now_us();
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%s/%s", pid, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    do {
        n = read(fd, buf, cap);
    } while (n > 0);
    close(fd);
    return n < 0 ? -1 : bench_now_us() - t0;
}

/* Microseconds of one pread() of a kept /proc/PID/statm, as the scan does. */
static double statm_kept_us(const char *pid, char *buf, size_t cap)
{
    char path[300];
    double t[ROUNDS];
    int fd;

    snprintf(path, sizeof(path), "/proc/%s/statm", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    for (int k = 0; k < ROUNDS; k++) {
        double t0 = bench_now_us();

        if (pread(fd, buf, cap, 0) < 0)
            t[k] = -1;
        else
            t[k] = bench_now_us() - t0;
    }
    close(fd);
    return bench_median(t, ROUNDS);
}

/*
 * What each file of a guest's figures costs on this machine's processes
 * (no guest runs here): the median and the largest per process.
 */
static void file_costs(void)
{
    static const char *const names[] = {"status", "stat", "smaps_rollup"};
    enum { NFILES = 4, MAXP = 8192 };
    static double t[NFILES][MAXP];
    size_t n[NFILES] = {0};
    char buf[16384];
    DIR *d = opendir("/proc");
    struct dirent *e;

    while (d && (e = readdir(d)) != NULL) {
        double v;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        v = statm_kept_us(e->d_name, buf, sizeof(buf));
        if (v >= 0 && n[0] < MAXP)
            t[0][n[0]++] = v;
        for (int f = 0; f < NFILES - 1; f++) {
            v = open_read_us(e->d_name, names[f], buf, sizeof(buf));
            if (v >= 0 && n[f + 1] < MAXP)
                t[f + 1][n[f + 1]++] = v;
        }
    }
    if (d)
        closedir(d);
    printf("\nfiles of a guest's figures, this machine's processes (us)\n");
    printf("%-28s %8s %8s %8s\n", "file", "procs", "median", "max");
    for (int f = 0; f < NFILES; f++) {
        double max = 0;

        for (size_t i = 0; i < n[f]; i++)
            max = t[f][i] > max ? t[f][i] : max;
        printf("%-28s %8zu %8.2f %8.2f\n",
               f == 0 ? "statm (kept, pread)" : names[f - 1], n[f],
               n[f] ? bench_median(t[f], n[f]) : 0.0, max);
    }
}

/* The listed QEMU processes that have a THP share. */
static size_t listed_guests(const struct ksm_procfs_sample *s)
{
    size_t n = 0;

    for (size_t i = 0; i < s->nprocesses; i++)
        n += s->processes[i].qemu && s->processes[i].has_thp_anon;
    return n;
}

/*
 * Idle children named as QEMU's guests are ("qemu-system-x86"), each with
 * mib MiB of touched anonymous memory, huge pages asked for.
 */
static size_t spawn_guests(pid_t *kids, size_t n, size_t mib)
{
    size_t i = 0;

    for (; i < n; i++) {
        pid_t pid = fork();

        if (pid == 0) {
            size_t len = mib << 20;
            char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

            prctl(PR_SET_NAME, "qemu-system-x86", 0, 0, 0);
            if (m != MAP_FAILED) {
                madvise(m, len, MADV_HUGEPAGE);
                memset(m, 1, len);
            }
            pause();
            _exit(0);
        }
        if (pid < 0)
            break;
        kids[i] = pid;
    }
    return i;
}

/*
 * The scan with stand-in guests: smaps_rollup read for every guest at every
 * scan (the clock moves one interval per scan), and on its cadence (the
 * clock moves one 60th: one guest's read per scan at most).
 */
static void guest_scan(size_t nguests, size_t mib)
{
    uint64_t now = 0;
    struct ksm_procfs_config c = {.root = "/proc",
                                  .processes = true,
                                  .thp_interval = 60,
                                  .clock = bench_manual_clock,
                                  .clock_arg = &now};
    static const char *const modes[] = {"every scan", "cadence"};
    static const uint64_t steps[] = {60 * UINT64_C(1000000000),
                                     UINT64_C(1000000000)};
    pid_t kids[64];
    size_t spawned = spawn_guests(kids, nguests < 64 ? nguests : 64, mib);
    struct ksm_procfs_sample s;

    sleep(1); /* let the children touch their memory */
    printf("\nscan with %zu stand-in guests of %zu MiB (us per scan)\n",
           spawned, mib);
    for (int mode = 0; mode < 2; mode++) {
        struct ksm_procfs *r;
        double t[ROUNDS];

        if (ksm_procfs_new(&c, &r) != 0)
            exit(1);
        ksm_procfs_read(r, true, &s);
        for (int k = 0; k < ROUNDS; k++) {
            double t0 = bench_now_us();

            for (int i = 0; i < 20; i++) {
                now += steps[mode];
                ksm_procfs_read(r, true, &s);
            }
            t[k] = (bench_now_us() - t0) / 20;
        }
        printf("%-12s %6llu procs %4zu guests %8.0f us/scan %8.2f us/proc\n",
               modes[mode], (unsigned long long)s.examined, listed_guests(&s),
               bench_median(t, ROUNDS),
               bench_median(t, ROUNDS) / (double)s.examined);
        ksm_procfs_free(r);
    }
    for (size_t i = 0; i < spawned; i++)
        kill(kids[i], SIGKILL);
    for (size_t i = 0; i < spawned; i++)
        waitpid(kids[i], NULL, 0);
}

int main(int argc, char **argv)
{
    static const size_t defaults[] = {0, 100, 1000, 5000};

    bench_raise_nofile();
    printf("per-process scan of /proc (us; medians of %d rounds)\n", ROUNDS);
    printf("%8s %12s %10s %8s %10s %8s %8s\n", "procs", "first scan", "scan",
           "us/proc", "naive", "us/proc", "speedup");
    if (argc > 1)
        for (int i = 1; i < argc; i++)
            measure((size_t)strtoul(argv[i], NULL, 10));
    else
        for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
            measure(defaults[i]);
    file_costs();
    guest_scan(8, 64);
    return 0;
}
