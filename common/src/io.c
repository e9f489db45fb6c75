/* SPDX-License-Identifier: MIT */
/* The reading and clock helpers below the sampler and the procfs readers. */
#include "io.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "ksm/clock.h"

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

uint64_t ksm_monotonic_ns(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail with a valid pointer. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}
