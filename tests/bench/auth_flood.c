/* SPDX-License-Identifier: MIT */
/*
 * Authorized scrapes of ksm_exporter, timed, alone or during an attack:
 *   auth_flood PORT SECONDS none|password|slow|inflight USER PASSWORD
 *              [DELAY_MS]
 * DELAY_MS: each authorized scrape waits this long between connecting and
 *           sending its request, as a scraper across a WAN or a TLS
 *           handshake would (default 0).
 * password: 20 clients (127.0.0.2..21) send wrong passwords back to back.
 * slow:     1,000 connections from 64 addresses (127.0.1.1..64) send their
 *           headers one line a second and never finish; each dropped one
 *           comes back at once.
 * inflight: one wrong password from 127.0.0.99; scrapes until it returns.
 * Prints key=value figures on one line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FLOODERS    20
#define SLOW_CONNS  1000
#define SLOW_ADDRS  64
#define MAX_SCRAPES 100000
#define TIMEOUT_S   15

static int port;
static unsigned scrape_delay_us;
static char good_auth[256];
static atomic_bool stop_attack;
static atomic_ulong attack_total, attack_401, attack_429, attack_503,
    attack_other, attack_hung, attack_max_us, slow_connects;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void base64(const char *in, char *out)
{
    static const char t[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in), o = 0;

    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)(unsigned char)in[i] << 16;

        v |= i + 1 < n ? (unsigned)(unsigned char)in[i + 1] << 8 : 0u;
        v |= i + 2 < n ? (unsigned)(unsigned char)in[i + 2] : 0u;
        out[o++] = t[(v >> 18) & 63];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = (char)(i + 1 < n ? t[(v >> 6) & 63] : '=');
        out[o++] = (char)(i + 2 < n ? t[v & 63] : '=');
    }
    out[o] = '\0';
}

/* A socket bound to source address src (host order), connected. */
static int dial(const char *src, int nonblock)
{
    struct sockaddr_in from = {.sin_family = AF_INET};
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    struct timeval tv = {.tv_sec = TIMEOUT_S};
    int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);

    if (fd < 0)
        return -1;
    inet_pton(AF_INET, src, &from.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    /* Also bounds connect(): a full backlog otherwise retries for minutes. */
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0 ||
        (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0 &&
         errno != EINPROGRESS)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One GET /metrics with Authorization auth; the status, 0 or -1 (hung). */
static int request(const char *src, const char *auth, unsigned delay_us)
{
    char req[512], buf[65536];
    int fd = dial(src, 0), status = 0;
    ssize_t n;
    size_t got = 0;

    if (fd < 0)
        return 0;
    if (delay_us)
        usleep(delay_us);
    snprintf(req, sizeof(req),
             "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
             "%s\r\nConnection: close\r\n\r\n",
             auth);
    if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
        close(fd);
        return 0;
    }
    /* The status line, then the rest read and dropped. */
    while ((n = recv(fd, got < 32 ? buf + got : buf + 32,
                     got < 32 ? 32 - got : sizeof(buf) - 32, 0)) > 0) {
        if (got < 32)
            got += (size_t)n;
        if (got >= 12 && status == 0)
            status = (int)strtol(buf + 9, NULL, 10);
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        status = -1;
    close(fd);
    return status;
}

static void count(int status, double took)
{
    unsigned long us = (unsigned long)(took * 1e6);

    atomic_fetch_add(&attack_total, 1);
    if (status == 401)
        atomic_fetch_add(&attack_401, 1);
    else if (status == 429)
        atomic_fetch_add(&attack_429, 1);
    else if (status == 503)
        atomic_fetch_add(&attack_503, 1);
    else if (status == -1)
        atomic_fetch_add(&attack_hung, 1);
    else
        atomic_fetch_add(&attack_other, 1);
    for (unsigned long m = atomic_load(&attack_max_us); us > m;)
        if (atomic_compare_exchange_weak(&attack_max_us, &m, us))
            break;
}

static void *flooder(void *arg)
{
    int id = (int)(long)arg;
    char src[32], cred[64], auth[128];

    snprintf(src, sizeof(src), "127.0.0.%d", 2 + id);
    for (unsigned long i = 0; !atomic_load(&stop_attack); i++) {
        double t0 = now_s();
        int status;

        snprintf(cred, sizeof(cred), "prom:wrong-%d-%lu", id, i);
        base64(cred, auth);
        status = request(src, auth, 0); /* timed: not inside count()'s call */
        count(status, now_s() - t0);
    }
    return NULL;
}

/* (Re)opens slow connection i and sends the request line. */
static int slow_open(int i)
{
    char src[32];

    snprintf(src, sizeof(src), "127.0.1.%d", 1 + i % SLOW_ADDRS);
    atomic_fetch_add(&slow_connects, 1);
    return dial(src, 1);
}

/* Sends the next piece of slow connection i's request; false when dead. */
static bool slow_send(int fd, bool *sent)
{
    static const char line[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
    const char *what = *sent ? "X: y\r\n" : line;

    if (send(fd, what, strlen(what), MSG_NOSIGNAL) < 0)
        return errno == EAGAIN || errno == ENOTCONN;
    *sent = true;
    return true;
}

static void *slowloris(void *arg)
{
    static struct pollfd p[SLOW_CONNS];
    static bool sent[SLOW_CONNS];
    double next = 0;
    char buf[512];

    (void)arg;
    for (int i = 0; i < SLOW_CONNS; i++)
        p[i] = (struct pollfd){.fd = slow_open(i), .events = POLLIN};
    while (!atomic_load(&stop_attack)) {
        bool tick = now_s() >= next;

        poll(p, SLOW_CONNS, 50);
        for (int i = 0; i < SLOW_CONNS; i++) {
            bool dead =
                p[i].fd < 0 || ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
                                recv(p[i].fd, buf, sizeof(buf), 0) <= 0);

            if (!dead && tick)
                dead = !slow_send(p[i].fd, &sent[i]);
            if (dead) {
                if (p[i].fd >= 0)
                    close(p[i].fd);
                p[i] = (struct pollfd){.fd = slow_open(i), .events = POLLIN};
                sent[i] = false;
            }
            p[i].revents = 0;
        }
        if (tick)
            next = now_s() + 1.0;
    }
    for (int i = 0; i < SLOW_CONNS; i++)
        if (p[i].fd >= 0)
            close(p[i].fd);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double lat[MAX_SCRAPES];

/* Scrapes until deadline (or *until goes false); returns the count. */
static size_t probe(double deadline, atomic_bool *until, unsigned *ok)
{
    size_t n = 0;

    while (n < MAX_SCRAPES && now_s() < deadline &&
           (!until || atomic_load(until))) {
        double t0 = now_s();

        if (request("127.0.0.1", good_auth, scrape_delay_us) == 200)
            (*ok)++;
        lat[n++] = now_s() - t0;
        usleep(10000);
    }
    return n;
}

static atomic_bool inflight_on;
static int inflight_status;
static double inflight_s;

static void *inflight(void *arg)
{
    char auth[128];
    double t0 = now_s();

    (void)arg;
    base64("prom:not-the-password", auth);
    inflight_status = request("127.0.0.99", auth, 0);
    inflight_s = now_s() - t0;
    atomic_store(&inflight_on, false);
    return NULL;
}

static void report(const char *mode, size_t n, unsigned ok)
{
    qsort(lat, n, sizeof(lat[0]), cmp);
    printf("mode=%s scrapes=%zu ok=%u p50_ms=%.2f p99_ms=%.2f max_ms=%.2f "
           "attack_requests=%lu attack_401=%lu attack_429=%lu attack_503=%lu "
           "attack_other=%lu attack_hung=%lu attack_max_ms=%.1f "
           "slow_connects=%lu",
           mode, n, ok, n ? lat[n / 2] * 1e3 : 0,
           n ? lat[(n * 99) / 100] * 1e3 : 0, n ? lat[n - 1] * 1e3 : 0,
           atomic_load(&attack_total), atomic_load(&attack_401),
           atomic_load(&attack_429), atomic_load(&attack_503),
           atomic_load(&attack_other), atomic_load(&attack_hung),
           (double)atomic_load(&attack_max_us) / 1e3,
           atomic_load(&slow_connects));
    if (strcmp(mode, "inflight") == 0)
        printf(" inflight_status=%d inflight_ms=%.1f", inflight_status,
               inflight_s * 1e3);
    printf("\n");
}

int main(int argc, char **argv)
{
    pthread_t t[FLOODERS];
    struct rlimit rl;
    char cred[200];
    unsigned ok = 0, nt = 0;
    size_t n;

    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: auth_flood PORT SECONDS "
                        "none|password|slow|inflight USER PASSWORD "
                        "[DELAY_MS]\n");
        return 2;
    }
    if (argc == 7)
        scrape_delay_us = (unsigned)strtoul(argv[6], NULL, 10) * 1000u;
    port = (int)strtol(argv[1], NULL, 10);
    snprintf(cred, sizeof(cred), "%s:%s", argv[4], argv[5]);
    base64(cred, good_auth);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (request("127.0.0.1", good_auth, 0) != 200) { /* fills the cache */
        fprintf(stderr, "auth_flood: the first scrape failed\n");
        return 1;
    }
    if (strcmp(argv[3], "password") == 0)
        for (; nt < FLOODERS; nt++)
            pthread_create(&t[nt], NULL, flooder, (void *)(long)nt);
    if (strcmp(argv[3], "slow") == 0) {
        pthread_create(&t[nt++], NULL, slowloris, NULL);
        sleep(2); /* every slot taken first */
    }
    if (strcmp(argv[3], "inflight") == 0) {
        atomic_store(&inflight_on, true);
        pthread_create(&t[nt++], NULL, inflight, NULL);
        usleep(100000); /* the check has started */
    }
    n = probe(now_s() + strtod(argv[2], NULL),
              strcmp(argv[3], "inflight") == 0 ? &inflight_on : NULL, &ok);
    atomic_store(&stop_attack, true);
    for (unsigned i = 0; i < nt; i++)
        pthread_join(t[i], NULL);
    report(argv[3], n, ok);
    return 0;
}
