/* SPDX-License-Identifier: MIT */
/* libFuzzer: the web config file (through a memfd, as a file). */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "webconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct web_config c;
    char path[64], err[512];
    int fd = memfd_create("webconfig", MFD_CLOEXEC);

    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if (web_config_load(path, &c, err, sizeof(err)) == 0)
            web_config_free(&c);
    }
    close(fd);
    return 0;
}
