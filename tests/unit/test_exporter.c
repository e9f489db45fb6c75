/* SPDX-License-Identifier: MIT */
/* Unit tests of the exporter's header parsing, logging and start-up. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "exporter.h"
#include "log.h"
#include "negotiate.h"
#include "scrape.h"
#include "testutil.h"

/* Prometheus 2.42's scrape Accept header. */
#define PROMETHEUS_ACCEPT                                                      \
    "application/openmetrics-text;version=1.0.0,application/"                  \
    "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/"  \
    "*;q=0.1"

static const struct {
    const char *accept;
    enum ksm_format want;
} accepts[] = {
    {NULL, KSM_FORMAT_TEXT},
    {"", KSM_FORMAT_TEXT},
    {"*/*", KSM_FORMAT_TEXT},
    {"text/plain", KSM_FORMAT_TEXT},
    {PROMETHEUS_ACCEPT, KSM_FORMAT_OPENMETRICS},
    {"application/openmetrics-text", KSM_FORMAT_OPENMETRICS},
    {"application/openmetrics-text; version=1.0.0", KSM_FORMAT_OPENMETRICS},
    {"Application/OpenMetrics-Text", KSM_FORMAT_OPENMETRICS},
    {"text/plain;q=0.9, application/openmetrics-text;q=0.8", KSM_FORMAT_TEXT},
    {"text/plain;version=0.0.4;q=0.3,application/openmetrics-text;q=0.4",
     KSM_FORMAT_OPENMETRICS},
    {"application/openmetrics-text;q=0", KSM_FORMAT_TEXT},
    {"application/openmetrics-text;q=0.5,*/*", KSM_FORMAT_TEXT},
    {"application/openmetrics-text;q=0.5,*/*;q=0.1", KSM_FORMAT_OPENMETRICS},
    {"application/openmetrics-text, text/plain", KSM_FORMAT_OPENMETRICS},
    {"text/plain, application/openmetrics-text", KSM_FORMAT_TEXT},
    {"application/openmetrics-text;q=bogus", KSM_FORMAT_TEXT},
    {"application/openmetrics-text;q=2", KSM_FORMAT_TEXT},
    {"application/json", KSM_FORMAT_TEXT},
    {",,, ;;; ,", KSM_FORMAT_TEXT},
    {"application/openmetrics-textx", KSM_FORMAT_TEXT},
    {"application/openmetrics-text;q=0x1,text/plain;q=0.5", KSM_FORMAT_TEXT},
    {"application/openmetrics-text;q=0.6,text/plain;q=0.55",
     KSM_FORMAT_OPENMETRICS},
    {"application/openmetrics-text;q=0.5000,text/plain;q=0.4", KSM_FORMAT_TEXT},
    {"application/openmetrics-text;q=1.000,text/plain", KSM_FORMAT_OPENMETRICS},
    {"application/openmetrics-text;q=1.001,text/plain;q=0.1", KSM_FORMAT_TEXT},
    {"application/openmetrics-text;q=.5,text/plain;q=0.1", KSM_FORMAT_TEXT},
};

START_TEST(test_negotiate)
{
    ck_assert_msg(exporter_negotiate(accepts[_i].accept) == accepts[_i].want,
                  "Accept: %s", accepts[_i].accept ? accepts[_i].accept : "-");
}
END_TEST

static const struct {
    const char *enc;
    bool want;
} encodings[] = {
    {NULL, false},
    {"", false},
    {"gzip", true},
    {"gzip, deflate, br", true},
    {"deflate, gzip;q=0.5", true},
    {"GZIP", true},
    {"x-gzip", true},
    {"gzip;q=0", false},
    {"identity", false},
    {"*", true},
    {"*;q=0", false},
    {"*, gzip;q=0", false},
    {"gzipped", false},
    {"br", false},
};

START_TEST(test_gzip)
{
    ck_assert_msg(
        exporter_accepts_gzip(encodings[_i].enc) == encodings[_i].want,
        "Accept-Encoding: %s", encodings[_i].enc ? encodings[_i].enc : "-");
}
END_TEST

/* Logs one line through a pipe and returns it. */
static const char *logged(enum log_level min, enum log_level level,
                          const char *msg, const char *k, const char *v)
{
    static char buf[4096];
    int p[2];
    ssize_t n;

    ck_assert_int_eq(pipe(p), 0);
    struct logger lg = {.min = min, .fd = p[1]};

    log_kv(&lg, level, msg, 1, k, v);
    close(p[1]);
    n = read(p[0], buf, sizeof(buf) - 1);
    close(p[0]);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

START_TEST(test_logfmt)
{
    const char *l =
        logged(KSM_LOG_INFO, KSM_LOG_WARN, "cannot read", "err", "x y");

    ck_assert_msg(strncmp(l, "ts=", 3) == 0, "%s", l);
    ck_assert_ptr_nonnull(
        strstr(l, "Z level=warn msg=\"cannot read\" err=\"x y\"\n"));
    l = logged(KSM_LOG_INFO, KSM_LOG_INFO, "plain", "path",
               "/sys/kernel/mm/ksm");
    ck_assert_ptr_nonnull(strstr(l, " msg=plain path=/sys/kernel/mm/ksm\n"));
    l = logged(KSM_LOG_INFO, KSM_LOG_INFO, "m", "k", "a\"b\\c\nd=e");
    ck_assert_ptr_nonnull(strstr(l, " k=\"a\\\"b\\\\c\\nd=e\"\n"));
    l = logged(KSM_LOG_INFO, KSM_LOG_INFO, "m", "k", "");
    ck_assert_ptr_nonnull(strstr(l, " k=\"\"\n"));
    l = logged(KSM_LOG_WARN, KSM_LOG_INFO, "dropped", "k", "v");
    ck_assert_str_eq(l, "");
    l = logged(KSM_LOG_ERROR, KSM_LOG_ERROR, "kept", "k", "v");
    ck_assert_ptr_nonnull(strstr(l, "level=error msg=kept"));
}
END_TEST

START_TEST(test_log_levels)
{
    enum log_level lv;

    ck_assert_int_eq(log_parse_level("debug", &lv), 0);
    ck_assert_int_eq(lv, KSM_LOG_DEBUG);
    ck_assert_int_eq(log_parse_level("error", &lv), 0);
    ck_assert_int_eq(lv, KSM_LOG_ERROR);
    ck_assert_int_eq(log_parse_level("warning", &lv), -EINVAL);
    ck_assert_int_eq(log_parse_level("", &lv), -EINVAL);
}
END_TEST

/* A very long value is cut, and the line still ends in one newline. */
START_TEST(test_log_long_line)
{
    char big[5000];
    const char *l;

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    l = logged(KSM_LOG_INFO, KSM_LOG_INFO, "m", "k", big);
    ck_assert_uint_le(strlen(l), 2048);
    ck_assert_int_eq(l[strlen(l) - 1], '\n');
    ck_assert_ptr_eq(strchr(l, '\n'), l + strlen(l) - 1);
}
END_TEST

/* A TCP socket listening on 127.0.0.1, on a port the kernel picks. */
static int listening_socket(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    return fd;
}

/* How many of this process's descriptors refer to the file of inode ino. */
static int open_count(ino_t ino)
{
    int n = 0;

    for (int fd = 0; fd < 1024; fd++) {
        struct stat st;

        if (fstat(fd, &st) == 0 && st.st_ino == ino && S_ISSOCK(st.st_mode))
            n++;
    }
    return n;
}

/* An exporter on the typical fixture, logging to log_fd. */
static void init_exporter(struct exporter *e, int log_fd)
{
    struct exporter_config cfg = {
        .telemetry_path = "/metrics",
        .sysfs = KSM_FIXTURES_DIR "/typical",
        .procfs = "/proc",
        .version = "test",
        .revision = "test",
        .log = {.min = KSM_LOG_DEBUG, .fd = log_fd},
    };

    ck_assert_int_ge(log_fd, 0);
    ck_assert_int_eq(exporter_init(e, &cfg), 0);
}

/*
 * TLS settings that libmicrohttpd 0.9.75 refuses at start: a certificate
 * it cannot load (it then closes the socket it was given), and a priority
 * string GnuTLS refuses (it then leaves that socket open).
 */
static const struct {
    const char *what;
    const char *priorities;
} refused_tls[] = {
    {"a certificate that does not load", "NORMAL"},
    {"a priority string GnuTLS refuses", "NO-SUCH-PRIORITY"},
};

/*
 * A failed start leaves the listening socket to the exporter, which
 * closes it once, in exporter_fini(); a descriptor opened after the failed
 * start (it may get a number libmicrohttpd freed) is left alone.
 */
START_TEST(test_failed_start)
{
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    struct exporter e;
    struct stat st;
    int fd, later;

    init_exporter(&e, null);
    e.web.tls = true;
    e.web.cert_pem = strdup("not a certificate");
    e.web.key_pem = strdup("not a key");
    e.web.priorities = strdup(refused_tls[_i].priorities);
    fd = listening_socket();
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_msg(exporter_start(&e, fd) == -EIO, "%s: started",
                  refused_tls[_i].what);
    later = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(later, 0);
    exporter_fini(&e);
    ck_assert_msg(fcntl(later, F_GETFD) >= 0,
                  "%s: a later descriptor was closed", refused_tls[_i].what);
    ck_assert_msg(open_count(st.st_ino) == 0,
                  "%s: the listening socket is still open",
                  refused_tls[_i].what);
    close(later);
    close(null);
}
END_TEST

/* A started exporter closes its listening socket in exporter_fini(). */
START_TEST(test_fini_closes_socket)
{
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    struct exporter e;
    struct stat st;
    int fd;

    init_exporter(&e, null);
    fd = listening_socket();
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_int_eq(exporter_start(&e, fd), 0);
    exporter_fini(&e);
    ck_assert_int_eq(open_count(st.st_ino), 0);
    close(null);
}
END_TEST

/* Reads what was written to the pipe p (write end closed) into buf. */
static const char *drain(int p, char *buf, size_t size)
{
    size_t len = 0;
    ssize_t n;

    while (len < size - 1 && (n = read(p, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    return buf;
}

/* How often needle occurs in haystack. */
static int occurrences(const char *haystack, const char *needle)
{
    int n = 0;

    for (const char *h = strstr(haystack, needle); h; h = strstr(h + 1, needle))
        n++;
    return n;
}

/*
 * The start-up log says whether per-process figures are on and what the
 * first scan found, once: scrapes add no such line.
 */
START_TEST(test_start_logs_scan)
{
    struct exporter_config cfg = {
        .telemetry_path = "/metrics",
        .sysfs = KSM_FIXTURES_DIR "/typical",
        .procfs = KSM_FIXTURES_DIR "/../procfs/typical",
        .processes = _i == 0,
        .version = "test",
        .revision = "test",
    };
    static char buf[16384];
    struct exporter e;
    int p[2];

    ck_assert_int_eq(pipe(p), 0);
    cfg.log = (struct logger){.min = KSM_LOG_INFO, .fd = p[1]};
    ck_assert_int_eq(exporter_init(&e, &cfg), 0);
    for (int i = 0; i < 3; i++)
        exporter_scrape(&e);
    exporter_fini(&e);
    close(p[1]);
    drain(p[0], buf, sizeof(buf));
    close(p[0]);
    ck_assert_int_eq(occurrences(buf, "per-process figures"), 1);
    if (_i == 0)
        ck_assert_msg(strstr(buf, "level=info msg=\"per-process figures are "
                                  "on\" procfs=") &&
                          strstr(buf, " examined=18 listed=10 denied=0 "
                                      "over_limit=0\n"),
                      "%s", buf);
    else
        ck_assert_msg(strstr(buf, "level=info msg=\"per-process figures are "
                                  "off\" flag=--no-collector.process\n"),
                      "%s", buf);
}
END_TEST

static Suite *exporter_suite(void)
{
    Suite *s = suite_create("exporter");
    TCase *tc = tcase_create("negotiation");

    tcase_add_loop_test(tc, test_negotiate, 0,
                        (int)(sizeof(accepts) / sizeof(accepts[0])));
    tcase_add_loop_test(tc, test_gzip, 0,
                        (int)(sizeof(encodings) / sizeof(encodings[0])));
    suite_add_tcase(s, tc);
    tc = tcase_create("log");
    tcase_add_test(tc, test_logfmt);
    tcase_add_test(tc, test_log_levels);
    tcase_add_test(tc, test_log_long_line);
    suite_add_tcase(s, tc);
    tc = tcase_create("start");
    tcase_add_loop_test(tc, test_failed_start, 0,
                        (int)(sizeof(refused_tls) / sizeof(refused_tls[0])));
    tcase_add_test(tc, test_fini_closes_socket);
    tcase_add_loop_test(tc, test_start_logs_scan, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(exporter_suite());
}
