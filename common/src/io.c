/* SPDX-License-Identifier: MIT */
/* Whole-file reads through kept-open descriptors, below every reader. */
#include "io.h"

#include <errno.h>
#include <unistd.h>

int ksm_read_fd(int fd, char *buf, size_t cap, size_t *len)
{
    ssize_t n;

    do {
        n = pread(fd, buf, cap, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if ((size_t)n == cap)
        return -EOVERFLOW;
    *len = (size_t)n;
    return 0;
}

bool ksm_file_gone(int err)
{
    return err == -ENOENT || err == -ESRCH || err == -ENODEV || err == -ESTALE;
}
