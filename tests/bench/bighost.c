/* SPDX-License-Identifier: MIT */
/*
 * A big host's processes for the benchmarks: GUESTS processes that look
 * like QEMU guests to the scan (executable qemu-system-x86_64, libvirt's
 * -name guest=vmNNN, a large anonymous mapping asked to merge, MIB MiB of
 * it touched in 4 KiB pages, half of them alike in every guest) and OTHERS
 * idle processes.  Prints "ready" once they all run, and holds them until
 * its standard input closes; they die with it.
 * Usage: bighost GUESTS OTHERS MIB
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#define GUEST_MAP_MIB 1024 /* each guest's RAM mapping; MIB of it touched */
#define PAGE          4096

/* A guest's life: its RAM mapped and partly written, then idle. */
static int guest(unsigned id, size_t mib)
{
    size_t len = (size_t)GUEST_MAP_MIB << 20, touched = mib << 20;
    unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (m == MAP_FAILED)
        return 1;
    /* As QEMU does for guest RAM, with 4 KiB pages: the costly case. */
    madvise(m, len, MADV_MERGEABLE);
    madvise(m, len, MADV_NOHUGEPAGE);
    for (size_t off = 0; off + PAGE <= touched && off < len; off += PAGE) {
        /* Even pages alike in every guest, odd pages this guest's own. */
        memset(m + off, (int)(off / PAGE % 251), PAGE);
        if ((off / PAGE) % 2)
            memcpy(m + off, &id, sizeof(id));
    }
    for (;;)
        pause();
}

/* An idle process of its own, killed when the spawner goes. */
static pid_t spawn_idle(void)
{
    pid_t pid = fork();

    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() == 1)
            _exit(0);
        for (;;)
            pause();
    }
    return pid;
}

/* A guest: this program again, under QEMU's name and with its arguments. */
static pid_t spawn_guest(const char *qemu, unsigned id, size_t mib)
{
    char name[64], mem[32];
    pid_t pid;

    snprintf(name, sizeof(name), "guest=vm%03u,debug-threads=on", id);
    snprintf(mem, sizeof(mem), "%zu", mib);
    pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() == 1)
            _exit(0);
        execl(qemu, qemu, "-name", name, "-machine", "pc-q35-7.2", "-accel",
              "kvm", "-m", mem, "-nographic", (char *)NULL);
        _exit(127);
    }
    return pid;
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/ksm-bighost.XXXXXX", qemu[PATH_MAX + 32];
    char self[PATH_MAX];
    unsigned long guests, others, mib;
    ssize_t n;
    char c;

    /* Started as a guest (see spawn_guest()). */
    if (argc == 10 && strcmp(argv[1], "-name") == 0)
        return guest((unsigned)strtoul(argv[2] + 8, NULL, 10),
                     strtoul(argv[8], NULL, 10));
    if (argc != 4) {
        fprintf(stderr, "usage: bighost GUESTS OTHERS MIB\n");
        return 2;
    }
    guests = strtoul(argv[1], NULL, 10);
    others = strtoul(argv[2], NULL, 10);
    mib = strtoul(argv[3], NULL, 10);
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0 || !mkdtemp(dir))
        return 1;
    self[n] = '\0';
    snprintf(qemu, sizeof(qemu), "%s/qemu-system-x86_64", dir);
    if (symlink(self, qemu) != 0)
        return 1;
    for (unsigned long i = 0; i < guests; i++)
        if (spawn_guest(qemu, (unsigned)i, mib) < 0) {
            fprintf(stderr, "bighost: fork: %s\n", strerror(errno));
            return 1;
        }
    for (unsigned long i = 0; i < others; i++)
        if (spawn_idle() < 0) {
            fprintf(stderr, "bighost: fork: %s after %lu processes\n",
                    strerror(errno), i);
            return 1;
        }
    /* Give the guests time to write their memory. */
    sleep(1 + (unsigned)(guests * mib / 4096));
    unlink(qemu);
    rmdir(dir);
    printf("ready %lu guests %lu others\n", guests, others);
    fflush(stdout);
    while (read(STDIN_FILENO, &c, 1) > 0)
        ;
    return 0; /* the children get SIGKILL as it exits */
}
