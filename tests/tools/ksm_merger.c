/* SPDX-License-Identifier: MIT */
/* Gives KSM something to merge: anonymous memory filled with a few repeated
 * page patterns and marked MADV_MERGEABLE.  Prints "ready" and waits for a
 * signal.  Usage: ksm_merger [MiB] (default 64). */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#define PATTERNS 4

int main(int argc, char **argv)
{
    long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 64;
    long page = sysconf(_SC_PAGESIZE);
    size_t len, pages;
    unsigned char *mem;
    sigset_t set;
    int sig;

    if (mib <= 0 || mib > 4096 || page <= 0) {
        fprintf(stderr, "usage: ksm_merger [MiB, 1..4096]\n");
        return 2;
    }
    len = (size_t)mib << 20;
    pages = len / (size_t)page;
    mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
               -1, 0);
    if (mem == MAP_FAILED) {
        perror("ksm_merger: mmap");
        return 1;
    }
    /* Not zero pages: those merge with the zero page only when asked. */
    for (size_t i = 0; i < pages; i++)
        memset(mem + i * (size_t)page, (int)(1 + i % PATTERNS), (size_t)page);
    if (madvise(mem, len, MADV_MERGEABLE) != 0) {
        perror("ksm_merger: madvise(MADV_MERGEABLE)");
        return 1;
    }
    prctl(PR_SET_NAME, "ksm_merger", 0, 0, 0);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    printf("ready pid=%d pages=%zu\n", (int)getpid(), pages);
    fflush(stdout);
    sigwait(&set, &sig);
    munmap(mem, len);
    return 0;
}
