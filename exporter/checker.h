/* SPDX-License-Identifier: MIT */
/*
 * bcrypt off the HTTP thread: a request whose credentials the cache does
 * not know is suspended while a worker thread runs bcrypt, then resumed.
 */
#ifndef KSM_EXPORTER_CHECKER_H
#define KSM_EXPORTER_CHECKER_H

#include <stdbool.h>

#include "auth.h"

struct MHD_Connection;
struct checker;

/* Two workers: bcrypt is slow, but the budgets admit 5 checks a second. */
#define CHECKER_WORKERS 2
/*
 * Checks waiting at most, and the longest wait for a new one (from the
 * measured time of a bcrypt); past either a request is answered 503 at
 * once.
 */
#define CHECKER_DEPTH       64
#define CHECKER_MAX_WAIT_NS 5000000000ull

enum check_result {
    CHECK_OK,     /* bcrypt accepted the credentials */
    CHECK_DENIED, /* bcrypt refused them */
    CHECK_BUSY,   /* not checked: the queue was full or closing */
};

/* One waiting check, owned by the request (its con_cls). */
struct check {
    struct auth_pending pending;
    struct MHD_Connection *conn;
    struct check *next;
    bool done;
    enum check_result result;
};

/*
 * Starts workers threads running queued checks, at most depth waiting.
 * Returns 0, -ENOMEM or -EAGAIN (no thread).
 */
int checker_new(unsigned workers, unsigned depth, struct checker **out);

/* Stops the workers; checker_drain() must have run since the last submit. */
void checker_free(struct checker *k);

/*
 * Queues ck for conn and suspends conn, from the access handler.  The
 * worker resumes conn when ck->done, and the handler is called again.
 * Returns false, with conn not suspended, when the queue is full or
 * closed: the caller answers at once.
 */
bool checker_submit(struct checker *k, struct check *ck,
                    struct MHD_Connection *conn);

/*
 * Closes the queue before the daemon stops: queued checks are resumed
 * unchecked (CHECK_BUSY) and running ones are waited for, so that no
 * connection stays suspended.  Submissions fail until checker_open().
 */
void checker_drain(struct checker *k);
void checker_open(struct checker *k);

/* The HTTP thread has taken a finished check back (or freed it). */
void checker_seen(struct checker *k);

/* Checks run so far, and those refused for a full queue. */
unsigned long checker_runs(struct checker *k);
unsigned long checker_overflows(struct checker *k);

#endif
