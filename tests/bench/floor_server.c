/* SPDX-License-Identifier: MIT */
/* The benchmark's floor: a bare libmicrohttpd server that, per request,
 * preads the same files as the exporter (every KSM file, and the procfs
 * files named after SYSFS) and answers with a fixed body read from
 * BODY_FILE, gzipped per request as the exporter does (libdeflate level 1,
 * the same size threshold) when the client accepts gzip.
 * Usage: floor_server PORT BODY_FILE SYSFS [FILE...] */
#include <dirent.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "body.h" /* the exporter's GZIP_MIN_BYTES */

struct floor {
    int fd[64];
    int n;
    struct MHD_Response *body;
    const char *text;
    size_t len;
    struct libdeflate_compressor *gzip;
};

/* Queues the body gzipped, as the exporter does; MHD_NO when it cannot. */
static enum MHD_Result queue_gzip(struct floor *f, struct MHD_Connection *c)
{
    size_t bound = libdeflate_gzip_compress_bound(f->gzip, f->len);
    struct MHD_Response *r;
    enum MHD_Result ret;
    char *gz = malloc(bound);
    size_t n;

    if (!gz)
        return MHD_NO;
    n = libdeflate_gzip_compress(f->gzip, f->text, f->len, gz, bound);
    r = MHD_create_response_from_buffer(n, gz, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(gz);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type",
                            "text/plain; version=0.0.4; charset=utf-8");
    MHD_add_response_header(r, "Content-Encoding", "gzip");
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    struct floor *f = cls;
    /* Whole files, as the exporter reads them: vmstat is ~4 KB. */
    char buf[32768];
    const char *enc;

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
    enc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
    if (enc && strstr(enc, "gzip") && f->len >= GZIP_MIN_BYTES)
        return queue_gzip(f, c);
    return MHD_queue_response(c, MHD_HTTP_OK, f->body);
}

/* The whole of the file at path, malloc'd; NULL when it cannot be read. */
static char *read_body(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *body = NULL;
    long n = -1;

    if (!fp)
        return NULL;
    if (fseek(fp, 0, SEEK_END) == 0)
        n = ftell(fp);
    if (n >= 0 && fseek(fp, 0, SEEK_SET) == 0)
        body = malloc((size_t)n + 1);
    if (body && fread(body, 1, (size_t)n, fp) != (size_t)n) {
        free(body);
        body = NULL;
    }
    fclose(fp);
    *len = body ? (size_t)n : 0;
    return body;
}

/* Opens every KSM file under sysfs and each of the other files. */
static void open_files(struct floor *f, const char *sysfs, char **files,
                       int nfiles)
{
    char dir[4096];
    struct dirent *e;
    DIR *dp;

    snprintf(dir, sizeof(dir), "%s/kernel/mm/ksm", sysfs);
    dp = opendir(dir);
    while (dp && (e = readdir(dp)) != NULL && f->n < 64) {
        int fd;

        if (e->d_name[0] == '.')
            continue;
        fd = openat(dirfd(dp), e->d_name, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            f->fd[f->n++] = fd;
    }
    for (int i = 0; i < nfiles && f->n < 64; i++) {
        int fd = open(files[i], O_RDONLY | O_CLOEXEC);

        if (fd >= 0)
            f->fd[f->n++] = fd;
    }
}

int main(int argc, char **argv)
{
    struct floor f = {.n = 0};
    struct MHD_Daemon *d;
    char *body;
    sigset_t set;
    int sig;
    char *end;
    unsigned long port;

    if (argc < 4)
        return 2;
    port = strtoul(argv[1], &end, 10);
    if (*end != '\0' || port > 65535)
        return 2;
    open_files(&f, argv[3], argv + 4, argc - 4);
    body = read_body(argv[2], &f.len);
    f.gzip = libdeflate_alloc_compressor(1);
    if (!body || !f.gzip)
        return 1;
    f.text = body;
    f.body =
        MHD_create_response_from_buffer(f.len, body, MHD_RESPMEM_PERSISTENT);
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
