/* SPDX-License-Identifier: MIT */
/*
 * Slow clients: every connection must deliver each whole request within a
 * bound, and under pressure the oldest unfinished one makes room.
 */
#ifndef KSM_EXPORTER_CONNS_H
#define KSM_EXPORTER_CONNS_H

#include <stdint.h>

#include <microhttpd.h>

struct conns;

/* From accept (or the end of the previous response) to a whole request. */
#define CONNS_BOUND_MS 10000
/*
 * Connections past which a new one drops the oldest unfinished request:
 * below libmicrohttpd's limit (512), which refuses newcomers outright.
 */
#define CONNS_SOFT_LIMIT 448

/*
 * Starts the reaper thread: a connection still sending its request
 * bound_ms after it could start is shut down, and libmicrohttpd, seeing
 * the end of the stream, closes it.  idle_ms is the time a kept-alive
 * connection may stay idle before its next request (the daemon's own
 * timeout), added to the bound for that request.  Returns 0, -ENOMEM or
 * -EAGAIN.
 */
int conns_new(unsigned bound_ms, unsigned idle_ms, unsigned soft_limit,
              struct conns **out);
void conns_free(struct conns *t);

/* MHD_OPTION_NOTIFY_CONNECTION's callback, with the struct conns as cls. */
void conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                  enum MHD_ConnectionNotificationCode code);

/* The whole request is in: its clock stops until the response is sent. */
void conns_request_in(struct conns *t, struct MHD_Connection *c);
/* The request waits for the server (bcrypt): its clock pauses. */
void conns_pause(struct conns *t, struct MHD_Connection *c);
void conns_unpause(struct conns *t, struct MHD_Connection *c);
/* The response went out: the clock of the next request starts. */
void conns_request_done(struct conns *t, struct MHD_Connection *c);

/* Connections shut down past the bound, and to make room. */
uint64_t conns_reaped(struct conns *t);
uint64_t conns_evicted(struct conns *t);

#endif
