/* SPDX-License-Identifier: MIT */
/* File reading shared by the readers of ksm_common; never installed. */
#ifndef KSM_IO_H
#define KSM_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/*
 * Reads a whole small file from offset 0 into buf, retrying on EINTR, so
 * that a descriptor kept open gives fresh contents at every call.
 * Returns 0 and the length in *len, -EOVERFLOW when the text fills buf (it
 * is then not one of the short values expected), or the negative errno of
 * pread().
 */
int ksm_read_fd(int fd, char *buf, size_t cap, size_t *len);

/*
 * True when err (a negative errno of opening or reading a file) means that
 * the file, or the process it describes, no longer exists, rather than that
 * reading it failed:
 *   -ENOENT  the path no longer resolves: the file or its directory was
 *            removed before it was (re)opened;
 *   -ESRCH   procfs: the process behind a kept /proc/PID descriptor exited;
 *   -ENODEV  sysfs: the attribute was removed while its descriptor was open;
 *   -ESTALE  a network or FUSE file system (a fake tree in a test or a
 *            container) no longer knows the object behind the descriptor.
 */
bool ksm_file_gone(int err);

/*
 * root + sub (sub starts with '/') in a new string, or NULL without memory.
 * Trailing slashes of root are dropped, so that "/" and "/sys/" give no
 * doubled slash in log messages.
 */
char *ksm_path_join(const char *root, const char *sub);

/* Whether two file times (stat's st_mtim, st_ctim) are the same instant. */
static inline bool ksm_same_time(const struct timespec *a,
                                 const struct timespec *b)
{
    return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

#endif
