/* SPDX-License-Identifier: MIT */
/* Reads the calling process's CPU, memory and descriptor figures. */
#include "ksm/self.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "ksm/parse.h"

struct ksm_self_reader {
    int stat_fd;
    DIR *fd_dir;
    double btime;
    double ticks;
    uint64_t page_size;
};

/* The "btime" line of /proc/stat: boot time in seconds since the epoch. */
static int read_btime(const char *procfs, double *out)
{
    char path[4096];
    char line[256];
    FILE *f;
    int err = -EINVAL;

    if (snprintf(path, sizeof(path), "%s/stat", procfs) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    f = fopen(path, "re");
    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        uint64_t v;

        if (strncmp(line, "btime ", 6) != 0)
            continue;
        if (ksm_parse_u64(line + 6, strlen(line + 6), &v) == 0) {
            *out = (double)v;
            err = 0;
        }
        break;
    }
    fclose(f);
    return err;
}

int ksm_self_reader_new(const char *procfs, struct ksm_self_reader **out)
{
    struct ksm_self_reader *r;
    char path[4096];
    long ticks = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    int err;

    if (!procfs)
        procfs = "/proc";
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->ticks = ticks > 0 ? (double)ticks : 100;
    r->page_size = page > 0 ? (uint64_t)page : 4096;
    err = read_btime(procfs, &r->btime);
    if (err)
        goto out_free;
    if (snprintf(path, sizeof(path), "%s/self/stat", procfs) >=
        (int)sizeof(path)) {
        err = -ENAMETOOLONG;
        goto out_free;
    }
    r->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->stat_fd < 0) {
        err = -errno;
        goto out_free;
    }
    snprintf(path, sizeof(path), "%s/self/fd", procfs);
    r->fd_dir = opendir(path);
    if (!r->fd_dir) {
        err = -errno;
        goto out_close;
    }
    *out = r;
    return 0;

out_close:
    close(r->stat_fd);
out_free:
    free(r);
    return err;
}

void ksm_self_reader_free(struct ksm_self_reader *r)
{
    if (!r)
        return;
    closedir(r->fd_dir);
    close(r->stat_fd);
    free(r);
}

/* Entries of /proc/self/fd but "." and "..", and the one readdir holds. */
static uint64_t count_fds(DIR *d)
{
    uint64_t n = 0;
    struct dirent *e;
    struct stat st;

    /*
     * Since Linux 6.2 the directory's size is the number of open
     * descriptors: one fstat() instead of listing them all (the reader's
     * own descriptor is not counted either way).  Older kernels say 0.
     */
    if (fstat(dirfd(d), &st) == 0 && st.st_size > 0)
        return (uint64_t)st.st_size - 1;
    rewinddir(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    return n > 0 ? n - 1 : 0;
}

int ksm_self_read(struct ksm_self_reader *r, struct ksm_self *out)
{
    struct ksm_proc_stat st;
    struct rlimit rl;
    char buf[1024];
    size_t n;
    int err = ksm_read_fd(r->stat_fd, buf, sizeof(buf), &n);

    if (err)
        return err;
    err = ksm_parse_proc_stat(buf, n, &st, NULL, 0);
    if (err)
        return err;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -errno;
    out->cpu_seconds = (double)(st.utime + st.stime) / r->ticks;
    out->rss_bytes = st.rss * r->page_size;
    out->vsize_bytes = st.vsize;
    out->start_time = r->btime + (double)st.starttime / r->ticks;
    out->open_fds = count_fds(r->fd_dir);
    out->max_fds = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
    return 0;
}
