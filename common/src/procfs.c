/* SPDX-License-Identifier: MIT */
/* The procfs reader: its life cycle and one reading of every source. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ksm/parse.h"
#include "procfs_internal.h"

#define DEFAULT_MAX_PROC 65536

const char *const ksm_proc_source_names[KSM_SRC_COUNT] = {
    [KSM_SRC_VMSTAT] = "vmstat",     [KSM_SRC_KSMD_STAT] = "ksmd_stat",
    [KSM_SRC_KSM_STAT] = "ksm_stat", [KSM_SRC_MEMINFO] = "meminfo",
    [KSM_SRC_STATM] = "statm",       [KSM_SRC_SMAPS_ROLLUP] = "smaps_rollup",
};

/* What the default budget leaves to the adapter (ksm_procfs_config). */
#define FD_RESERVE ((rlim_t)1024)

/*
 * The soft RLIMIT_NOFILE less FD_RESERVE, or half of a limit under twice
 * that.  Each process beyond the budget costs some 8 us more per scan at
 * 20,000 processes (its files opened and closed again), so the budget
 * takes what the adapter does not need.
 */
static size_t default_fd_budget(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur == RLIM_INFINITY)
        return 1 << 20;
    if (rl.rlim_cur < 2 * FD_RESERVE)
        return (size_t)rl.rlim_cur / 2;
    return (size_t)rl.rlim_cur - FD_RESERVE;
}

int ksm_procfs_new(const struct ksm_procfs_config *c, struct ksm_procfs **out)
{
    struct ksm_procfs *r;
    long ticks = sysconf(_SC_CLK_TCK);

    if (!c->root || c->root[0] == '\0')
        return -EINVAL;
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->root = strdup(c->root);
    if (!r->root) {
        free(r);
        return -ENOMEM;
    }
    r->rootfd = -1;
    r->kernel.vmstat_fd = -1;
    r->kernel.meminfo_fd = -1;
    r->kernel.ksmd.fd = -1;
    r->kernel.ksmtuned.fd = -1;
    r->kernel.ticks =
        c->ticks ? (double)c->ticks : (ticks > 0 ? (double)ticks : 100);
    r->scan.enabled = c->processes;
    r->scan.max_processes =
        c->max_processes ? c->max_processes : DEFAULT_MAX_PROC;
    r->scan.fd_budget = c->fd_budget ? c->fd_budget : default_fd_budget();
    ksm_procfs_scan_configure(&r->scan, c);
    *out = r;
    return 0;
}

void ksm_procfs_free(struct ksm_procfs *r)
{
    if (!r)
        return;
    ksm_procfs_scan_free(r);
    ksm_procfs_close_kernel(r);
    if (r->dir)
        closedir(r->dir);
    if (r->rootfd >= 0)
        close(r->rootfd);
    free(r->root);
    free(r);
}

int ksm_procfs_parse_pid(const char *name, int *pid)
{
    uint64_t v;

    /* No sign, no leading zero ("0123" is no PID), and it fits an int. */
    if (name[0] < '1' || name[0] > '9' ||
        ksm_parse_u64(name, strlen(name), &v) != 0 || strchr(name, '\n') ||
        v > 0x7fffffff)
        return -EINVAL;
    *pid = (int)v;
    return 0;
}

/*
 * Opens the procfs root, and a second descriptor of it to list PIDs, once.
 * Returns 0, or the negative errno of opening while it cannot be opened.
 */
static int open_root(struct ksm_procfs *r)
{
    int fd;
    int err;

    if (r->rootfd >= 0)
        return 0;
    r->rootfd = open(r->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r->rootfd < 0)
        return -errno;
    fd = openat(r->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        err = -errno;
        goto out_close_root;
    }
    r->dir = fdopendir(fd);
    if (!r->dir) {
        err = -errno;
        close(fd);
        goto out_close_root;
    }
    return 0;

out_close_root:
    close(r->rootfd);
    r->rootfd = -1;
    return err;
}

void ksm_procfs_read(struct ksm_procfs *r, bool look_for_ksmd,
                     struct ksm_procfs_sample *out)
{
    memset(out, 0, sizeof(*out));
    if (open_root(r) == 0) {
        ksm_procfs_read_vmstat(r, out);
        ksm_procfs_read_meminfo(r, out);
        ksm_procfs_read_ksmd(r, look_for_ksmd, out);
        out->opened = true;
        if (r->scan.enabled) {
            out->scanned = true;
            out->source_exists |= (1u << KSM_SRC_KSM_STAT) |
                                  (1u << KSM_SRC_STATM) |
                                  (1u << KSM_SRC_SMAPS_ROLLUP);
            ksm_procfs_scan(r, out);
        }
        /* After the scan, whose list it searches when there is one. */
        ksm_procfs_read_ksmtuned(r, out);
    }
    out->vanished = r->scan.vanished;
    memcpy(out->source_errors, r->errors, sizeof(out->source_errors));
}
