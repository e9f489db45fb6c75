/* SPDX-License-Identifier: MIT */
/*
 * Connection tracking and the reaper of slow requests.  libmicrohttpd
 * bounds idle time only: a client sending one byte every few seconds keeps
 * its slot for ever.  Here every connection is listed from the STARTED to
 * the CLOSED notification; a thread shuts down the socket of those whose
 * request takes too long.  libmicrohttpd calls CLOSED before it closes the
 * socket (daemon.c, MHD_cleanup_connections() and the failed-start path),
 * and the list is only changed under the lock, so a listed descriptor is
 * never a number already reused.  shutdown() leaves the closing to
 * libmicrohttpd, which sees the end of the stream on its next poll.
 */
#include "conns.h"

#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ksm/clock.h"

enum conn_state {
    CONN_WAITING,   /* the request is on its way: the clock runs */
    CONN_PAUSED,    /* the server works on it (bcrypt) */
    CONN_ANSWERING, /* the request is whole: the response is ours */
    CONN_SHUT,      /* shut down, libmicrohttpd is closing it */
};

/*
 * Whom a connection comes from, for a fair share of the slots: an IPv4
 * address, or an IPv6 /64 (one host's addresses are a whole /64).
 */
struct peer {
    unsigned char bytes[8];
    unsigned char len; /* 0: unknown (not IP) */
};

struct conn {
    struct conn *prev, *next;
    struct peer peer;
    int fd;
    enum conn_state state;
    uint64_t start_ns; /* when the request could start */
    uint64_t paused_ns;
};

struct conns {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool stopping, started;
    struct conn *head;
    unsigned count, soft_limit;
    unsigned peak; /* the most connections open since the last trim */
    uint64_t bound_ns, idle_ns;
    uint64_t reaped, evicted;
};

#define TICK_NS 100000000ull /* the reaper looks every 0.1 s */

/*
 * After a burst of at least this many connections, once at most one is
 * left (a scraper keeps one open), the heap's free pages go back to the
 * kernel: each connection's 8 KiB pool and state are freed into the heap
 * between other blocks, where they would stay resident (32 connections
 * left ~260 kB).  A trim walks the free blocks: some microseconds, once
 * per burst.
 */
#define TRIM_AFTER_PEAK 8

static void shut(struct conn *n)
{
    /* The descriptor is still libmicrohttpd's: only shut, never closed. */
    (void)shutdown(n->fd, SHUT_RDWR);
    n->state = CONN_SHUT;
}

static void reap(struct conns *t, uint64_t now)
{
    for (struct conn *n = t->head; n; n = n->next) {
        if (n->state == CONN_WAITING && now > n->start_ns &&
            now - n->start_ns > t->bound_ns) {
            shut(n);
            t->reaped++;
        }
    }
}

/* Trims the heap after a burst (TRIM_AFTER_PEAK), with t->lock held. */
static void trim_after_burst(struct conns *t)
{
    if (t->peak < TRIM_AFTER_PEAK || t->count > 1)
        return;
    t->peak = t->count;
    pthread_mutex_unlock(&t->lock);
    malloc_trim(0);
    pthread_mutex_lock(&t->lock);
}

static void *reaper(void *arg)
{
    struct conns *t = arg;

    pthread_mutex_lock(&t->lock);
    while (!t->stopping) {
        trim_after_burst(t);
        if (t->count == 0) {
            pthread_cond_wait(&t->wake, &t->lock);
            continue;
        }
        struct timespec until;

        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += (long)TICK_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&t->wake, &t->lock, &until);
        reap(t, ksm_monotonic_ns());
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

int conns_new(unsigned bound_ms, unsigned idle_ms, unsigned soft_limit,
              struct conns **out)
{
    struct conns *t = calloc(1, sizeof(*t));
    pthread_condattr_t attr;

    *out = NULL;
    if (!t)
        return -ENOMEM;
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&t->wake, &attr);
    pthread_condattr_destroy(&attr);
    t->bound_ns = (uint64_t)bound_ms * 1000000u;
    t->idle_ns = (uint64_t)idle_ms * 1000000u;
    t->soft_limit = soft_limit;
    if (pthread_create(&t->thread, NULL, reaper, t) != 0) {
        conns_free(t);
        return -EAGAIN;
    }
    t->started = true;
    *out = t;
    return 0;
}

/* The daemon must be stopped: its CLOSED notifications have emptied t. */
void conns_free(struct conns *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    t->stopping = true;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    if (t->started)
        pthread_join(t->thread, NULL);
    while (t->head) {
        struct conn *n = t->head;

        t->head = n->next;
        free(n);
    }
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* A table of the peers of the listed connections, built for one choice. */
#define PEER_SLOTS 2048 /* a power of two, well above the 512 connections */

struct peer_count {
    struct peer peer;
    unsigned count;
};

static unsigned peer_hash(const struct peer *p)
{
    unsigned h = 2166136261u; /* FNV-1a */

    for (unsigned i = 0; i < p->len; i++)
        h = (h ^ p->bytes[i]) * 16777619u;
    return h;
}

/* The entry of p in table, added with count 0 when new (*added set). */
static struct peer_count *peer_slot(struct peer_count *table,
                                    const struct peer *p, bool *added)
{
    unsigned i = peer_hash(p) & (PEER_SLOTS - 1);

    *added = false;
    while (table[i].peer.len != 0 &&
           (table[i].peer.len != p->len ||
            memcmp(table[i].peer.bytes, p->bytes, p->len) != 0))
        i = (i + 1) & (PEER_SLOTS - 1);
    if (table[i].peer.len == 0) {
        table[i].peer = *p;
        *added = true;
    }
    return &table[i];
}

/*
 * Near the connection limit a newcomer would soon be refused: the request
 * waiting longest (the slowest sender, or the longest idle kept-alive
 * connection) goes instead, taken from a peer that holds more than its
 * fair share of the connections (the limit over the peers seen) whenever
 * one does.  So a flood from a few addresses evicts its own connections,
 * not a scraper's that takes a while to send its request (a TLS handshake
 * across a WAN), however fast the flood reconnects.
 */
static void make_room(struct conns *t)
{
    static struct peer_count table[PEER_SLOTS]; /* under t->lock */
    struct conn *oldest = NULL, *oldest_over = NULL;
    unsigned peers = 0;
    bool added;
    double share;

    memset(table, 0, sizeof(table));
    for (struct conn *n = t->head; n; n = n->next)
        if (n->peer.len != 0) {
            peer_slot(table, &n->peer, &added)->count++;
            peers += added;
        }
    share = peers ? (double)t->soft_limit / peers : 0;
    for (struct conn *n = t->head; n; n = n->next) {
        if (n->state != CONN_WAITING)
            continue;
        if (!oldest || n->start_ns < oldest->start_ns)
            oldest = n;
        if (n->peer.len != 0 &&
            peer_slot(table, &n->peer, &added)->count > share &&
            (!oldest_over || n->start_ns < oldest_over->start_ns))
            oldest_over = n;
    }
    if (oldest_over)
        oldest = oldest_over;
    if (oldest) {
        shut(oldest);
        t->evicted++;
    }
}

static void peer_of(struct MHD_Connection *c, struct peer *out)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;

    memset(out, 0, sizeof(*out));
    if (sa && sa->sa_family == AF_INET) {
        memcpy(out->bytes,
               &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        out->len = 4;
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a =
            &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

        /* An IPv4 client of a dual-stack socket is that IPv4 address. */
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            memcpy(out->bytes, a->s6_addr + 12, 4);
            out->len = 4;
        } else {
            memcpy(out->bytes, a->s6_addr, 8);
            out->len = 8;
        }
    }
}

static void started(struct conns *t, struct MHD_Connection *c, void **ctx)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct conn *n = calloc(1, sizeof(*n));

    if (!n || !info) {
        free(n); /* untracked: only the idle timeout applies */
        return;
    }
    n->fd = info->connect_fd;
    peer_of(c, &n->peer);
    n->start_ns = ksm_monotonic_ns();
    pthread_mutex_lock(&t->lock);
    n->next = t->head;
    if (t->head)
        t->head->prev = n;
    t->head = n;
    if (++t->count == 1)
        pthread_cond_signal(&t->wake);
    if (t->count > t->peak)
        t->peak = t->count;
    if (t->count > t->soft_limit)
        make_room(t);
    pthread_mutex_unlock(&t->lock);
    *ctx = n;
}

static void closed(struct conns *t, struct conn *n)
{
    pthread_mutex_lock(&t->lock);
    if (n->prev)
        n->prev->next = n->next;
    else
        t->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    t->count--;
    pthread_mutex_unlock(&t->lock);
    free(n);
}

void conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                  enum MHD_ConnectionNotificationCode code)
{
    struct conns *t = cls;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        started(t, c, socket_context);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        closed(t, *socket_context);
        *socket_context = NULL;
    }
}

static struct conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return info ? info->socket_context : NULL;
}

/* Moves c's entry from state from (any when CONN_SHUT) to state to. */
static void move(struct conns *t, struct MHD_Connection *c, enum conn_state to)
{
    struct conn *n = conn_of(c);
    uint64_t now = ksm_monotonic_ns();

    if (!t || !n)
        return;
    pthread_mutex_lock(&t->lock);
    if (n->state == CONN_SHUT) {
        pthread_mutex_unlock(&t->lock);
        return;
    }
    if (to == CONN_PAUSED && n->state == CONN_WAITING)
        n->paused_ns = now;
    if (to == CONN_WAITING && n->state == CONN_PAUSED)
        n->start_ns += now - n->paused_ns; /* the wait was the server's */
    if (to == CONN_WAITING && n->state == CONN_ANSWERING)
        n->start_ns = now + t->idle_ns;
    n->state = to;
    pthread_mutex_unlock(&t->lock);
}

void conns_request_in(struct conns *t, struct MHD_Connection *c)
{
    move(t, c, CONN_ANSWERING);
}

void conns_pause(struct conns *t, struct MHD_Connection *c)
{
    move(t, c, CONN_PAUSED);
}

void conns_unpause(struct conns *t, struct MHD_Connection *c)
{
    move(t, c, CONN_WAITING);
}

void conns_request_done(struct conns *t, struct MHD_Connection *c)
{
    move(t, c, CONN_WAITING);
}

static uint64_t read_locked(struct conns *t, const uint64_t *v)
{
    uint64_t n;

    pthread_mutex_lock(&t->lock);
    n = *v;
    pthread_mutex_unlock(&t->lock);
    return n;
}

uint64_t conns_reaped(struct conns *t)
{
    return read_locked(t, &t->reaped);
}

uint64_t conns_evicted(struct conns *t)
{
    return read_locked(t, &t->evicted);
}
