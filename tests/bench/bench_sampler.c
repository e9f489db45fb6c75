/* SPDX-License-Identifier: MIT */
/* Nanoseconds per full KSM sample: the sampler against a bare pread floor and
 * a naive open/read/close loop over the same files (the KSM directory's and
 * the host's THP and NUMA files), interleaved in one run. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "ksm/render.h"
#include "ksm/sampler.h"
#include "ksm/self.h"

#define ROUNDS 7

/* The KSM files and the host's THP and NUMA files that the sampler reads. */
#define MAX_FILES (KSM_FIELD_COUNT + KSM_HOST_FILE_COUNT)

struct files {
    char path[MAX_FILES][512];
    int fd[MAX_FILES];
    int n;
};

/* The floor: descriptors kept open, one pread each, nothing parsed. */
static void floor_read(struct files *f)
{
    char buf[64];

    for (int i = 0; i < f->n; i++)
        if (pread(f->fd[i], buf, sizeof(buf), 0) < 0)
            abort();
}

/* What a simple collector does: open, read, close and strtoull per file. */
static unsigned long long naive_read(struct files *f)
{
    unsigned long long sum = 0;
    char buf[64];

    for (int i = 0; i < f->n; i++) {
        int fd = open(f->path[i], O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
            abort();
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 0)
            abort();
        buf[n] = '\0';
        sum += strtoull(buf, NULL, 10);
    }
    return sum;
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : "/sys";
    long iters = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
    struct ksm_sampler_config cfg = {.sysfs_root = root};
    double floor_ns, sampler_ns, naive, render, self_ns;
    double t_floor[ROUNDS], t_sampler[ROUNDS], t_naive[ROUNDS],
        t_render[ROUNDS], t_self[ROUNDS];
    struct ksm_self_reader *self;
    struct ksm_self me;
    struct ksm_sampler *sampler;
    struct ksm_sample sample;
    struct ksm_buf buf = {0};
    struct files f = {.n = 0};
    int n_ksm;
    volatile unsigned long long sink = 0;

    if (iters <= 0 || ksm_sampler_new(&cfg, &sampler) != 0 ||
        ksm_sampler_read(sampler, &sample) != 0) {
        fprintf(stderr, "bench_sampler: cannot read %s/kernel/mm/ksm\n", root);
        return 1;
    }
    if (ksm_self_reader_new(NULL, &self) != 0)
        return 1;
    for (int i = 0; i < KSM_FIELD_COUNT; i++) {
        if (!(sample.exists & KSM_FIELD_BIT(i)))
            continue;
        snprintf(f.path[f.n], sizeof(f.path[0]), "%s/%s",
                 ksm_sampler_path(sampler), ksm_field_names[i]);
        f.fd[f.n] = open(f.path[f.n], O_RDONLY | O_CLOEXEC);
        if (f.fd[f.n] < 0)
            return 1;
        f.n++;
    }
    n_ksm = f.n;
    for (int i = 0; i < KSM_HOST_FILE_COUNT; i++) {
        if (!(sample.host.exists & (1u << i)))
            continue;
        snprintf(f.path[f.n], sizeof(f.path[0]), "%s%s", root,
                 ksm_host_file_paths[i]);
        f.fd[f.n] = open(f.path[f.n], O_RDONLY | O_CLOEXEC);
        if (f.fd[f.n] < 0)
            return 1;
        f.n++;
    }

    /* Interleaved rounds so that noise on this shared machine hits all. */
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = bench_now_ns();

        for (long i = 0; i < iters; i++)
            floor_read(&f);
        t_floor[r] = (bench_now_ns() - t0) / (double)iters;
        t0 = bench_now_ns();
        for (long i = 0; i < iters; i++)
            ksm_sampler_read(sampler, &sample);
        t_sampler[r] = (bench_now_ns() - t0) / (double)iters;
        t0 = bench_now_ns();
        for (long i = 0; i < iters; i++)
            sink += naive_read(&f);
        t_naive[r] = (bench_now_ns() - t0) / (double)iters;
        t0 = bench_now_ns();
        for (long i = 0; i < iters; i++) {
            buf.len = 0;
            ksm_render(&buf, &sample, KSM_FORMAT_TEXT);
        }
        t_render[r] = (bench_now_ns() - t0) / (double)iters;
        t0 = bench_now_ns();
        for (long i = 0; i < iters; i++)
            ksm_self_read(self, &me);
        t_self[r] = (bench_now_ns() - t0) / (double)iters;
    }
    floor_ns = bench_median(t_floor, ROUNDS);
    sampler_ns = bench_median(t_sampler, ROUNDS);
    naive = bench_median(t_naive, ROUNDS);
    render = bench_median(t_render, ROUNDS);
    self_ns = bench_median(t_self, ROUNDS);

    printf("KSM sampler on %s and %d host files: %d files, %ld samples x %d "
           "rounds, medians\n",
           ksm_sampler_path(sampler), f.n - n_ksm, f.n, iters, ROUNDS);
    printf("  %-34s %10.0f ns/sample\n", "floor (kept-open pread, no parse)",
           floor_ns);
    printf("  %-34s %10.0f ns/sample  %.2fx floor\n", "ksm_sampler_read",
           sampler_ns, sampler_ns / floor_ns);
    printf("  %-34s %10.0f ns/sample  %.2fx slower than the sampler\n",
           "naive open/read/close + strtoull", naive, naive / sampler_ns);
    printf("  %-34s %10.0f ns/body (%zu bytes)\n", "ksm_render (text format)",
           render, buf.len);
    printf("  %-34s %10.0f ns/read\n", "ksm_self_read (process_* metrics)",
           self_ns);
    ksm_buf_free(&buf);
    ksm_self_reader_free(self);
    ksm_sampler_free(sampler);
    for (int i = 0; i < f.n; i++)
        close(f.fd[i]);
    return sink == 42 ? 2 : 0;
}
