/* SPDX-License-Identifier: MIT */
/*
 * bcrypt beside the HTTP thread (checker.c) and the reaper of slow requests
 * (conns.c), through a real exporter on 127.0.0.1.
 */
#include <arpa/inet.h>
#include <crypt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>

#include "checker.h"
#include "conns.h"
#include "exporter.h"
#include "testutil.h"

static struct exporter e;
static int port;
static char web_path[64];

/* Writes a web config whose user "prom" has password "secret" at cost. */
static void write_web_config(unsigned long cost)
{
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    char salt[64];
    const char *hash;
    FILE *f;
    int fd;

    ck_assert_ptr_nonnull(cd);
    ck_assert_ptr_nonnull(
        crypt_gensalt_rn("$2y$", cost, NULL, 0, salt, (int)sizeof(salt)));
    hash = crypt_rn("secret", salt, cd, sizeof(*cd));
    ck_assert_ptr_nonnull(hash);
    snprintf(web_path, sizeof(web_path), "/tmp/ksm-auth-queue.XXXXXX");
    fd = mkstemp(web_path);
    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "basic_auth_users:\n  prom: \"%s\"\n", hash);
    fclose(f);
    free(cd);
}

/*
 * An exporter whose checks run on workers threads with depth places, and
 * whose requests must be whole within bound_ms (soft_limit connections).
 */
static void start(unsigned long cost, unsigned workers, unsigned depth,
                  unsigned bound_ms, unsigned soft_limit)
{
    struct exporter_config cfg = {
        .telemetry_path = "/metrics",
        .sysfs = KSM_FIXTURES_DIR "/typical",
        .procfs = "/proc",
        .web_config_path = web_path,
        .version = "test",
        .revision = "test",
        .log = {.min = KSM_LOG_ERROR, .fd = 2},
    };
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    write_web_config(cost);
    ck_assert_int_eq(exporter_init(&e, &cfg), 0);
    checker_free(e.checker);
    ck_assert_int_eq(checker_new(workers, depth, &e.checker), 0);
    conns_free(e.conns);
    ck_assert_int_eq(conns_new(bound_ms, bound_ms, soft_limit, &e.conns), 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fd, 64), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    port = ntohs(sa.sin_port);
    ck_assert_int_eq(exporter_start(&e, fd), 0);
}

static void stop(void)
{
    exporter_fini(&e);
    unlink(web_path);
}

/* A socket from source address src, connected to the exporter. */
static int dial(const char *src)
{
    struct sockaddr_in from = {.sin_family = AF_INET};
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = 20};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(inet_pton(AF_INET, src, &from.sin_addr), 1);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
    return fd;
}

struct req {
    const char *src;
    const char *auth; /* base64 of user:password */
    int status;       /* 0: closed without an answer */
    char head[1024];
};

/* "prom:secret" and "prom:wrong" in base64. */
#define RIGHT "cHJvbTpzZWNyZXQ="
#define WRONG "cHJvbTp3cm9uZw=="

static void *get(void *arg)
{
    struct req *r = arg;
    char q[256];
    int fd = dial(r->src);
    size_t got = 0;
    ssize_t n;

    snprintf(q, sizeof(q),
             "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"
             "Connection: close\r\n\r\n",
             r->auth);
    ck_assert_int_eq(send(fd, q, strlen(q), MSG_NOSIGNAL), (ssize_t)strlen(q));
    while (got < sizeof(r->head) - 1 &&
           (n = recv(fd, r->head + got, sizeof(r->head) - 1 - got, 0)) > 0)
        got += (size_t)n;
    r->head[got] = '\0';
    r->status = got > 12 ? (int)strtol(r->head + 9, NULL, 10) : 0;
    close(fd);
    return NULL;
}

static int status_of(const char *src, const char *auth)
{
    struct req r = {.src = src, .auth = auth};

    get(&r);
    return r.status;
}

/* Right, wrong, then cached: bcrypt runs on a worker, twice only. */
START_TEST(test_right_wrong_cached)
{
    start(6, 1, 8, 10000, 448);
    ck_assert_int_eq(status_of("127.0.0.1", RIGHT), 200);
    ck_assert_int_eq(status_of("127.0.0.1", WRONG), 401);
    ck_assert_int_eq(status_of("127.0.0.1", RIGHT), 200);
    ck_assert_uint_eq(checker_runs(e.checker), 2);
    stop();
}
END_TEST

/* Cached scrapes are answered while one check runs (cost 13, ~0.4 s). */
START_TEST(test_cached_while_checking)
{
    struct req slow = {.src = "127.0.0.2", .auth = WRONG};
    pthread_t t;
    int scrapes = 0;

    start(13, 1, 8, 10000, 448);
    ck_assert_int_eq(status_of("127.0.0.1", RIGHT), 200);
    pthread_create(&t, NULL, get, &slow);
    /* Capped, so that bcrypt on the HTTP thread fails rather than hangs. */
    while (checker_runs(e.checker) < 2 && scrapes < 2000) {
        ck_assert_int_eq(status_of("127.0.0.1", RIGHT), 200);
        scrapes++;
    }
    pthread_join(t, NULL);
    ck_assert_int_eq(slow.status, 401);
    ck_assert_uint_eq(checker_runs(e.checker), 2);
    ck_assert_int_ge(scrapes, 10);
    stop();
}
END_TEST

/*
 * One worker, one place: of three concurrent checks at least one finds
 * the queue full and gets 503 with Retry-After at once.
 */
START_TEST(test_queue_full)
{
    struct req r[3] = {{.src = "127.0.0.2", .auth = WRONG},
                       {.src = "127.0.0.3", .auth = WRONG},
                       {.src = "127.0.0.4", .auth = WRONG}};
    pthread_t t[3];
    int busy = 0;

    start(12, 1, 1, 10000, 448);
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, get, &r[i]);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(r[i].status == 401 || r[i].status == 503, "status %d",
                      r[i].status);
        if (r[i].status == 503) {
            busy++;
            ck_assert_ptr_nonnull(strstr(r[i].head, "Retry-After: 1\r\n"));
        }
    }
    ck_assert_int_ge(busy, 1);
    ck_assert_uint_ge(checker_overflows(e.checker), 1);
    stop();
}
END_TEST

/* Reload (_i 0) or shutdown (_i 1) with checks running and queued. */
START_TEST(test_stop_while_queued)
{
    static const char *src[4] = {"127.0.0.2", "127.0.0.3", "127.0.0.4",
                                 "127.0.0.5"};
    struct req r[4];
    pthread_t t[4];

    start(12, 1, 8, 10000, 448);
    for (int i = 0; i < 4; i++) {
        r[i] = (struct req){.src = src[i], .auth = WRONG};
        pthread_create(&t[i], NULL, get, &r[i]);
    }
    /* One done, the others wait. */
    for (int i = 0; i < 500 && checker_runs(e.checker) == 0; i++)
        usleep(10000);
    ck_assert_uint_ge(checker_runs(e.checker), 1);
    if (_i == 0)
        ck_assert_int_eq(exporter_reload(&e), 0);
    else
        exporter_fini(&e);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(r[i].status == 401 || r[i].status == 503 ||
                          (_i == 1 && r[i].status == 0),
                      "status %d", r[i].status);
    }
    if (_i == 0) {
        ck_assert_int_eq(status_of("127.0.0.1", RIGHT), 200);
        stop();
    } else {
        unlink(web_path);
    }
}
END_TEST

/* Whether fd sees the end of the stream within ms. */
static bool closed_within(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c;

    return poll(&p, 1, ms) == 1 && recv(fd, &c, 1, 0) <= 0;
}

/* A request still incomplete after the bound is dropped; others stay. */
START_TEST(test_slow_request_dropped)
{
    static const char part[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
    int fd;

    start(6, 1, 8, 500, 448);
    fd = dial("127.0.0.2");
    ck_assert_int_eq(send(fd, part, sizeof(part) - 1, 0),
                     (ssize_t)sizeof(part) - 1);
    for (int i = 0; i < 4; i++) {
        usleep(200000); /* a header line every 0.2 s: never idle */
        send(fd, "X: y\r\n", 6, MSG_NOSIGNAL);
    }
    ck_assert(closed_within(fd, 3000));
    close(fd);
    ck_assert_uint_ge(conns_reaped(e.conns), 1);
    ck_assert_int_eq(status_of("127.0.0.1", RIGHT), 200);
    stop();
}
END_TEST

/* Past the soft limit a newcomer drops the oldest unfinished request. */
START_TEST(test_pressure_evicts_oldest)
{
    static const char part[] = "GET /metrics HTTP/1.1\r\n";
    int fd[6];

    start(6, 1, 8, 10000, 4);
    for (int i = 0; i < 6; i++) {
        fd[i] = dial("127.0.0.2");
        send(fd[i], part, sizeof(part) - 1, 0);
        usleep(20000);
    }
    ck_assert_int_eq(status_of("127.0.0.1", RIGHT), 200);
    ck_assert(closed_within(fd[0], 2000));
    ck_assert(closed_within(fd[1], 2000));
    ck_assert(!closed_within(fd[5], 100));
    ck_assert_uint_ge(conns_evicted(e.conns), 2);
    for (int i = 0; i < 6; i++)
        close(fd[i]);
    stop();
}
END_TEST

static Suite *auth_queue_suite(void)
{
    Suite *s = suite_create("auth_queue");
    TCase *tc = tcase_create("checks");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_right_wrong_cached);
    tcase_add_test(tc, test_cached_while_checking);
    tcase_add_test(tc, test_queue_full);
    tcase_add_loop_test(tc, test_stop_while_queued, 0, 2);
    suite_add_tcase(s, tc);
    tc = tcase_create("slow clients");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_slow_request_dropped);
    tcase_add_test(tc, test_pressure_evicts_oldest);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(auth_queue_suite());
}
