/* SPDX-License-Identifier: MIT */
/* The benchmark's floor: a bare libmicrohttpd server that, per request,
 * preads the same files as the exporter (every KSM file, and the procfs
 * files named after SYSFS) and answers with a fixed body of a given size.
 * Usage: floor_server PORT BODY_BYTES SYSFS [FILE...] */
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

struct floor {
    int fd[64];
    int n;
    struct MHD_Response *body;
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    struct floor *f = cls;
    /* Whole files, as the exporter reads them: vmstat is ~4 KB. */
    char buf[32768];

    (void)url;
    (void)method;
    (void)version;
    (void)upload;
    (void)upload_size;
    if (*con_cls == NULL) {
        *con_cls = f;
        return MHD_YES;
    }
    for (int i = 0; i < f->n; i++)
        if (pread(f->fd[i], buf, sizeof(buf), 0) < 0)
            return MHD_NO;
    return MHD_queue_response(c, MHD_HTTP_OK, f->body);
}

int main(int argc, char **argv)
{
    struct floor f = {.n = 0};
    char dir[4096];
    struct dirent *e;
    struct MHD_Daemon *d;
    size_t len;
    char *body;
    sigset_t set;
    int sig;
    DIR *dp;
    char *end;
    unsigned long port;

    if (argc < 4)
        return 2;
    port = strtoul(argv[1], &end, 10);
    if (*end != '\0' || port > 65535)
        return 2;
    snprintf(dir, sizeof(dir), "%s/kernel/mm/ksm", argv[3]);
    dp = opendir(dir);
    while (dp && (e = readdir(dp)) != NULL && f.n < 64) {
        int fd;

        if (e->d_name[0] == '.')
            continue;
        fd = openat(dirfd(dp), e->d_name, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            f.fd[f.n++] = fd;
    }
    for (int i = 4; i < argc && f.n < 64; i++) {
        int fd = open(argv[i], O_RDONLY | O_CLOEXEC);

        if (fd >= 0)
            f.fd[f.n++] = fd;
    }
    len = strtoul(argv[2], NULL, 10);
    body = malloc(len + 1);
    if (!body)
        return 1;
    for (size_t i = 0; i < len; i++)
        body[i] = i % 64 == 63 ? '\n' : 'x';
    f.body = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(f.body, "Content-Type",
                            "text/plain; version=0.0.4; charset=utf-8");
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
                         (uint16_t)port, NULL, NULL, handle, &f,
                         MHD_OPTION_END);
    if (!d)
        return 1;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
