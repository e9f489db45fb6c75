/* SPDX-License-Identifier: MIT */
/* Parses --web.listen-address and opens the listening socket. */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ksm/parse.h"

const char *listen_parse(const char *arg, struct listen_spec *out)
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

/* Writes "ip:port" or "[ipv6]:port"; buf is left alone for other families. */
static void format_addr(const struct sockaddr *sa, char *buf, size_t size)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;

    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;

        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        port = ntohs(a->sin6_port);
        snprintf(buf, size, "[%s]:%u", ip, port);
    } else if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;

        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        port = ntohs(a->sin_port);
        snprintf(buf, size, "%s:%u", ip, port);
    }
}

/* socket, bind and listen; returns the descriptor or a negative errno. */
static int bind_one(const struct sockaddr *sa, socklen_t len, bool dual)
{
    int fd =
        socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int on = 1, off = 0;
    int err;

    if (fd < 0)
        return -errno;
    /* Restarts must not fail on connections left in TIME_WAIT. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (dual)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    /*
     * A long accept queue: while slow clients are dropped and come back by
     * the hundred, a scraper's SYN must not be the one dropped, which costs
     * it a 1 s retransmission.
     */
    if (bind(fd, sa, len) != 0 || listen(fd, 1024) != 0) {
        err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

/* Logs a failed bind or listen; returns err (a negative errno). */
static int cannot_listen(const struct listen_spec *spec,
                         const struct logger *lg, int err)
{
    log_kv(lg, KSM_LOG_ERROR, "cannot listen", 2, "address",
           spec->host[0] ? spec->host : "(all)", "err", strerror(-err));
    return err;
}

/* Every address: IPv6 and IPv4 on one socket, IPv4 without IPv6. */
static int bind_any(const struct listen_spec *spec, const struct logger *lg)
{
    uint16_t port = spec->port;
    struct sockaddr_in6 any6 = {.sin6_family = AF_INET6,
                                .sin6_addr = IN6ADDR_ANY_INIT,
                                .sin6_port = htons(port)};
    struct sockaddr_in any4 = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_ANY),
                               .sin_port = htons(port)};
    int fd = bind_one((struct sockaddr *)&any6, sizeof(any6), true);

    if (fd == -EAFNOSUPPORT)
        fd = bind_one((struct sockaddr *)&any4, sizeof(any4), false);
    return fd < 0 ? cannot_listen(spec, lg, fd) : fd;
}

/* One named host: resolved, then bound.  The descriptor or -errno. */
static int bind_host(const struct listen_spec *spec, const struct logger *lg)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    const struct addrinfo *pick;
    struct addrinfo *res;
    char port[8];
    int rc, fd;

    snprintf(port, sizeof(port), "%u", spec->port);
    rc = getaddrinfo(spec->host, port, &hints, &res);
    if (rc == 0 && !res)
        rc = EAI_NONAME; /* success without an address: none to bind */
    if (rc != 0) {
        log_kv(lg, KSM_LOG_ERROR, "cannot resolve the listen address", 2,
               "host", spec->host, "err", gai_strerror(rc));
        return -EINVAL;
    }
    /*
     * A name may resolve to several addresses; like the Go listeners of
     * the exporters users know, take one, preferring IPv4, so that
     * "localhost:PORT" answers on 127.0.0.1 even when ::1 comes first.
     */
    pick = res;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            pick = ai;
            break;
        }
    }
    fd = bind_one(pick->ai_addr, pick->ai_addrlen, false);
    freeaddrinfo(res);
    return fd < 0 ? cannot_listen(spec, lg, fd) : fd;
}

int listen_open(const struct listen_spec *spec, const struct logger *lg,
                char *bound, size_t size)
{
    struct sockaddr_storage ss = {.ss_family = AF_UNSPEC};
    socklen_t sslen = sizeof(ss);
    int fd;

    fd = spec->host[0] ? bind_host(spec, lg) : bind_any(spec, lg);
    if (fd < 0)
        return fd;
    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
        format_addr((struct sockaddr *)&ss, bound, size);
    return fd;
}
