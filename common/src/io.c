/* SPDX-License-Identifier: MIT */
/* Whole-file reads through kept-open descriptors, and their paths. */
#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

char *ksm_path_join(const char *root, const char *sub)
{
    size_t len = strlen(root);
    size_t sublen = strlen(sub) + 1;
    char *path;

    while (len > 1 && root[len - 1] == '/')
        len--;
    if (len == 1 && root[0] == '/')
        len = 0;
    path = malloc(len + sublen);
    if (!path)
        return NULL;
    memcpy(path, root, len);
    memcpy(path + len, sub, sublen);
    return path;
}
