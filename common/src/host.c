/* SPDX-License-Identifier: MIT */
/* Reads the host's THP and NUMA files through descriptors kept open. */
#include "ksm/host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"

/*
 * The kernel prints a node list into one page: a sparse list such as
 * "0,2,4,..." on a large machine is longer than any selection file.
 */
#define READ_BUF 4096
/* How long a missing file stays missing before it is looked for again. */
#define ABSENT_RETRY_NS (60 * UINT64_C(1000000000))

const char *const ksm_host_file_names[KSM_HOST_FILE_COUNT] = {
    [KSM_HOST_THP_ENABLED] = "thp_enabled",
    [KSM_HOST_THP_DEFRAG] = "thp_defrag",
    [KSM_HOST_NODE_MEMORY] = "node_has_memory",
};

const char *const ksm_host_file_paths[KSM_HOST_FILE_COUNT] = {
    [KSM_HOST_THP_ENABLED] = "/kernel/mm/transparent_hugepage/enabled",
    [KSM_HOST_THP_DEFRAG] = "/kernel/mm/transparent_hugepage/defrag",
    [KSM_HOST_NODE_MEMORY] = "/devices/system/node/has_memory",
};

/* One kept-open file: its descriptor, or -1 while it is not open. */
struct host_file {
    char *path;
    int fd;
    bool absent; /* found missing at absent_ns */
    uint64_t absent_ns;
};

struct ksm_host {
    struct host_file file[KSM_HOST_FILE_COUNT];
    uint64_t errors[KSM_HOST_FILE_COUNT];
};

int ksm_host_new(const char *sysfs_root, struct ksm_host **out)
{
    struct ksm_host *h = calloc(1, sizeof(*h));

    if (!h)
        return -ENOMEM;
    for (int f = 0; f < KSM_HOST_FILE_COUNT; f++) {
        h->file[f].fd = -1;
        h->file[f].path = ksm_path_join(sysfs_root, ksm_host_file_paths[f]);
        if (!h->file[f].path) {
            ksm_host_free(h);
            return -ENOMEM;
        }
    }
    *out = h;
    return 0;
}

void ksm_host_free(struct ksm_host *h)
{
    if (!h)
        return;
    for (int f = 0; f < KSM_HOST_FILE_COUNT; f++) {
        if (h->file[f].fd >= 0)
            close(h->file[f].fd);
        free(h->file[f].path);
    }
    free(h);
}

static int parse_file(int f, const char *buf, size_t n,
                      struct ksm_host_sample *out)
{
    switch ((enum ksm_host_file)f) {
    case KSM_HOST_THP_ENABLED:
        return ksm_parse_selection(buf, n, &out->thp_enabled);
    case KSM_HOST_THP_DEFRAG:
        return ksm_parse_selection(buf, n, &out->thp_defrag);
    case KSM_HOST_NODE_MEMORY:
    case KSM_HOST_FILE_COUNT:
        break;
    }
    return ksm_parse_node_list(buf, n, &out->memory_nodes);
}

/*
 * Opens a file that is not open.  Returns 0, -ENOENT while it is missing
 * (looked for again once a minute), or another negative errno: it exists
 * but cannot be opened, which is counted and retried at the next reading.
 */
static int open_file(struct host_file *hf, uint64_t now_ns)
{
    if (hf->absent && now_ns - hf->absent_ns < ABSENT_RETRY_NS)
        return -ENOENT;
    hf->fd = open(hf->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (hf->fd >= 0) {
        hf->absent = false;
        return 0;
    }
    if (errno == ENOENT || errno == ENOTDIR) {
        hf->absent = true;
        hf->absent_ns = now_ns;
        return -ENOENT;
    }
    return -errno;
}

void ksm_host_read(struct ksm_host *h, uint64_t now_ns,
                   struct ksm_host_sample *out)
{
    char buf[READ_BUF];

    memset(out, 0, sizeof(*out));
    for (int f = 0; f < KSM_HOST_FILE_COUNT; f++) {
        struct host_file *hf = &h->file[f];
        size_t n = 0;
        int err = hf->fd >= 0 ? 0 : open_file(hf, now_ns);

        if (err == -ENOENT)
            continue;
        if (err == 0)
            err = ksm_read_fd(hf->fd, buf, sizeof(buf), &n);
        if (err != 0 && ksm_file_gone(err)) {
            /* Removed, perhaps under its descriptor: missing from now on. */
            if (hf->fd >= 0)
                close(hf->fd);
            hf->fd = -1;
            hf->absent = true;
            hf->absent_ns = now_ns;
            continue;
        }
        out->exists |= 1u << f;
        if (err == 0)
            err = parse_file(f, buf, n, out);
        if (err == 0)
            out->present |= 1u << f;
        else
            h->errors[f]++;
    }
    memcpy(out->read_errors, h->errors, sizeof(out->read_errors));
}
