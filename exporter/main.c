/* SPDX-License-Identifier: MIT */
/* ksm_exporter: flags, the listening socket, signals. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exporter.h"
#include "ksm/parse.h"
#include "version.h"

#define PROG "ksm_exporter"

enum {
    OPT_LISTEN = 256,
    OPT_PATH,
    OPT_WEB_CONFIG,
    OPT_SYSFS,
    OPT_PROCFS,
    OPT_PROCESS,
    OPT_NO_PROCESS,
    OPT_LOG_LEVEL,
    OPT_VERSION,
    OPT_HELP,
};

static const struct option options[] = {
    {"web.listen-address", required_argument, NULL, OPT_LISTEN},
    {"web.telemetry-path", required_argument, NULL, OPT_PATH},
    {"web.config.file", required_argument, NULL, OPT_WEB_CONFIG},
    {"path.sysfs", required_argument, NULL, OPT_SYSFS},
    {"path.procfs", required_argument, NULL, OPT_PROCFS},
    {"collector.process", no_argument, NULL, OPT_PROCESS},
    {"no-collector.process", no_argument, NULL, OPT_NO_PROCESS},
    {"log.level", required_argument, NULL, OPT_LOG_LEVEL},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " [<flags>]\n"
            "\n"
            "Prometheus exporter for Linux Kernel Samepage Merging (KSM).\n"
            "\n"
            "Flags:\n"
            "  --web.listen-address=\":10062\"\n"
            "        Address to listen on: host:port, :port (all addresses)\n"
            "        or [ipv6]:port; port 0 picks a free port.\n"
            "  --web.telemetry-path=\"/metrics\"\n"
            "        Path under which to expose metrics.\n"
            "  --web.config.file=\"\"\n"
            "        Configuration file for TLS and basic auth (the Prometheus\n"
            "        exporter-toolkit format); SIGHUP re-reads it.\n"
            "  --path.sysfs=\"/sys\"    sysfs mountpoint.\n"
            "  --path.procfs=\"/proc\"  procfs mountpoint.\n"
            "  --[no-]collector.process\n"
            "        Per-process and per-VM figures from PID/ksm_stat\n"
            "        (default on; needs root to see other users' processes).\n"
            "  --log.level=info        Only log messages with the given "
            "severity or above:\n"
            "        debug, info, warn, error.\n"
            "  --version               Show the version and exit.\n"
            "  --help                  Show this help and exit.\n");
}

/* One clear line and exit status 2, as for any usage error. */
static int bad_flag(const char *flag, const char *value, const char *why)
{
    fprintf(stderr, PROG ": bad value \"%s\" for --%s: %s (see --help)\n",
            value, flag, why);
    return 2;
}

struct listen_spec {
    char host[256]; /* empty: every address */
    uint16_t port;
};

/* Splits host:port, :port or [ipv6]:port.  Returns NULL or why not. */
static const char *parse_listen(const char *arg, struct listen_spec *out)
{
    const char *colon;
    const char *host = arg;
    size_t hlen;
    uint64_t port;

    if (arg[0] == '[') {
        const char *close = strchr(arg, ']');

        if (!close || close[1] != ':')
            return "want [ipv6]:port";
        host = arg + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
        if (hlen == 0)
            return "empty IPv6 address";
    } else {
        colon = strrchr(arg, ':');
        if (!colon)
            return "want host:port, :port or [ipv6]:port";
        hlen = (size_t)(colon - arg);
        if (memchr(arg, ':', hlen))
            return "put an IPv6 address in brackets: [ipv6]:port";
    }
    if (hlen >= sizeof(out->host))
        return "host name too long";
    if (ksm_parse_u64(colon + 1, strlen(colon + 1), &port) != 0 ||
        strchr(colon + 1, '\n') || port > 65535)
        return "the port must be a number from 0 to 65535";
    memcpy(out->host, host, hlen);
    out->host[hlen] = '\0';
    out->port = (uint16_t)port;
    return NULL;
}

static void format_addr(const struct sockaddr *sa, char *buf, size_t size)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;

    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;

        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        port = ntohs(a->sin6_port);
        snprintf(buf, size, "[%s]:%u", ip, port);
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;

        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        port = ntohs(a->sin_port);
        snprintf(buf, size, "%s:%u", ip, port);
    }
}

/* socket, bind and listen; returns the descriptor or a negative errno. */
static int bind_one(const struct sockaddr *sa, socklen_t len, bool dual)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    0);
    int on = 1, off = 0;
    int err;

    if (fd < 0)
        return -errno;
    /* Restarts must not fail on connections left in TIME_WAIT. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (dual)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    if (bind(fd, sa, len) != 0 || listen(fd, 128) != 0) {
        err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

/*
 * Opens the listening socket of spec; on success returns it and writes the
 * bound address (with the real port) to bound.
 */
static int open_listener(const struct listen_spec *spec,
                         const struct logger *lg, char *bound, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    int fd;

    if (spec->host[0] == '\0') {
        struct sockaddr_in6 any6 = {.sin6_family = AF_INET6,
                                    .sin6_addr = IN6ADDR_ANY_INIT,
                                    .sin6_port = htons(spec->port)};
        struct sockaddr_in any4 = {.sin_family = AF_INET,
                                   .sin_addr.s_addr = htonl(INADDR_ANY),
                                   .sin_port = htons(spec->port)};

        /* Every address: IPv6 and IPv4 on one socket, IPv4 without IPv6. */
        fd = bind_one((struct sockaddr *)&any6, sizeof(any6), true);
        if (fd == -EAFNOSUPPORT)
            fd = bind_one((struct sockaddr *)&any4, sizeof(any4), false);
    } else {
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                                 .ai_flags = AI_NUMERICSERV};
        struct addrinfo *res;
        char port[8];
        int rc;

        snprintf(port, sizeof(port), "%u", spec->port);
        rc = getaddrinfo(spec->host, port, &hints, &res);
        if (rc != 0) {
            log_kv(lg, LOG_ERROR, "cannot resolve the listen address", 2,
                   "host", spec->host, "err", gai_strerror(rc));
            return -EINVAL;
        }
        /*
         * A name may resolve to several addresses; like the Go listeners of
         * the exporters users know, take one, preferring IPv4, so that
         * "localhost:PORT" answers on 127.0.0.1 even when ::1 comes first.
         */
        const struct addrinfo *pick = res;

        for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            if (ai->ai_family == AF_INET) {
                pick = ai;
                break;
            }
        }
        fd = bind_one(pick->ai_addr, pick->ai_addrlen, false);
        freeaddrinfo(res);
    }
    if (fd < 0) {
        log_kv(lg, LOG_ERROR, "cannot listen", 2, "address",
               spec->host[0] ? spec->host : "(all)", "err", strerror(-fd));
        return fd;
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
        format_addr((struct sockaddr *)&ss, bound, size);
    return fd;
}

/*
 * The per-process collector keeps one descriptor per process between
 * scans; like Go programs, which node_exporter users know, take the hard
 * limit on open files as the soft one.
 */
static void raise_fd_limit(const struct logger *lg)
{
    struct rlimit rl;
    char buf[24];

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)rl.rlim_cur);
    log_kv(lg, LOG_DEBUG, "raised the open-file limit", 1, "limit", buf);
}

int main(int argc, char **argv)
{
    struct exporter_config cfg = {
        .telemetry_path = "/metrics",
        .sysfs = "/sys",
        .procfs = "/proc",
        .processes = true,
        .version = KSM_VERSION,
        .revision = KSM_REVISION,
        .log = {.min = LOG_INFO, .fd = STDERR_FILENO},
    };
    const char *listen_arg = ":10062";
    struct listen_spec spec;
    struct exporter e;
    char bound[INET6_ADDRSTRLEN + 16] = "?";
    sigset_t sigs;
    const char *why;
    int c, fd, sig;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        switch (c) {
        case OPT_LISTEN:
            listen_arg = optarg;
            break;
        case OPT_PATH:
            if (optarg[0] != '/')
                return bad_flag("web.telemetry-path", optarg,
                                "it must start with '/'");
            cfg.telemetry_path = optarg;
            break;
        case OPT_WEB_CONFIG:
            if (optarg[0] == '\0')
                return bad_flag("web.config.file", optarg, "empty path");
            cfg.web_config_path = optarg;
            break;
        case OPT_SYSFS:
            if (optarg[0] == '\0')
                return bad_flag("path.sysfs", optarg, "empty path");
            cfg.sysfs = optarg;
            break;
        case OPT_PROCFS:
            if (optarg[0] == '\0')
                return bad_flag("path.procfs", optarg, "empty path");
            cfg.procfs = optarg;
            break;
        case OPT_PROCESS:
        case OPT_NO_PROCESS:
            cfg.processes = c == OPT_PROCESS;
            break;
        case OPT_LOG_LEVEL:
            if (log_parse_level(optarg, &cfg.log.min) != 0)
                return bad_flag("log.level", optarg,
                                "want debug, info, warn or error");
            break;
        case OPT_VERSION:
            printf(PROG ", version %s (revision: %s)\n", KSM_VERSION,
                   KSM_REVISION);
            return 0;
        case OPT_HELP:
            usage(stdout);
            return 0;
        case ':':
            fprintf(stderr, PROG ": flag %s needs a value (see --help)\n",
                    argv[optind - 1]);
            return 2;
        default:
            if (optopt)
                fprintf(stderr, PROG ": unknown flag -%c (see --help)\n",
                        optopt);
            else
                fprintf(stderr, PROG ": unknown flag %s (see --help)\n",
                        argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, PROG ": unexpected argument \"%s\" (see --help)\n",
                argv[optind]);
        return 2;
    }
    why = parse_listen(listen_arg, &spec);
    if (why)
        return bad_flag("web.listen-address", listen_arg, why);

    signal(SIGPIPE, SIG_IGN);

    log_kv(&cfg.log, LOG_INFO, "Starting " PROG, 2, "version", KSM_VERSION,
           "revision", KSM_REVISION);
    raise_fd_limit(&cfg.log);
    if (exporter_init(&e, &cfg) != 0)
        return 1;
    fd = open_listener(&spec, &cfg.log, bound, sizeof(bound));
    if (fd < 0) {
        exporter_fini(&e);
        return 1;
    }
    /*
     * Block the signals before the HTTP thread starts, so that only
     * sigwait() below sees them: no handler, no flag shared with a thread.
     * Until here SIGTERM simply ends the process.
     */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if (exporter_start(&e, fd) != 0) {
        close(fd);
        exporter_fini(&e);
        return 1;
    }
    log_kv(&cfg.log, LOG_INFO, "Listening on", 4, "address", bound, "path",
           cfg.telemetry_path, "sysfs", ksm_sampler_path(e.sampler), "tls",
           e.web.tls ? "on" : "off");

    for (;;) {
        if (sigwait(&sigs, &sig) != 0)
            sig = SIGTERM;
        if (sig != SIGHUP)
            break;
        if (exporter_reload(&e) == -EIO) {
            log_kv(&cfg.log, LOG_ERROR, "no HTTP server is running: exiting",
                   0);
            exporter_fini(&e);
            return 1;
        }
    }
    log_kv(&cfg.log, LOG_INFO, "Shutting down", 1, "signal",
           sig == SIGINT ? "SIGINT" : "SIGTERM");
    exporter_fini(&e);
    return 0;
}
