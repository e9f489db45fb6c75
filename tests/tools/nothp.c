/* SPDX-License-Identifier: MIT */
/* Runs a command with transparent huge pages disabled for it and its
 * children: QEMU madvises guest RAM for huge pages, and KSM cannot merge a
 * huge page, so a guest started under this wrapper is one KSM can merge.
 * Usage: nothp COMMAND [ARGS...] */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: nothp COMMAND [ARGS...]\n");
        return 127;
    }
    /* The flag is inherited across fork() and kept across execve(). */
    if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) {
        fprintf(stderr, "nothp: prctl(PR_SET_THP_DISABLE): %s\n",
                strerror(errno));
        return 127;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "nothp: %s: %s\n", argv[1], strerror(errno));
    return 127;
}
