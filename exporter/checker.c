/* SPDX-License-Identifier: MIT */
/* A queue of bcrypt checks, run by a few worker threads. */
#include "checker.h"

#include <crypt.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ksm/clock.h"

struct checker {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a check was queued, or the workers must stop */
    pthread_cond_t idle; /* a running check ended */
    struct check *head, *tail;
    unsigned queued, depth, running, nworkers;
    unsigned unseen; /* resumed, not yet back in the handler */
    bool closed, stopping;
    unsigned long runs, overflows;
    uint64_t avg_ns; /* a bcrypt's time, moving average */
    pthread_t workers[CHECKER_WORKERS];
};

/* Hands ck back to the HTTP thread.  Called with k->lock held. */
static void finish(struct checker *k, struct check *ck,
                   enum check_result result)
{
    struct MHD_Connection *conn = ck->conn;

    ck->result = result;
    ck->done = true;
    k->unseen++;
    /* From here on the HTTP thread may free ck. */
    MHD_resume_connection(conn);
}

static struct check *pop(struct checker *k)
{
    struct check *ck = k->head;

    k->head = ck->next;
    if (!k->head)
        k->tail = NULL;
    k->queued--;
    return ck;
}

static void *work(void *arg)
{
    struct checker *k = arg;
    /*
     * crypt_rn()'s 64 KiB of scratch, taken at the first check: without
     * basic auth it is never needed, and a calloc in this thread would
     * start a malloc arena and zero ~36 KiB of it.
     */
    struct crypt_data *scratch = NULL;

    /*
     * Below the HTTP thread: on a small host the scrapes get the CPU
     * first, and bcrypt the rest.  Per thread on Linux.
     */
    (void)setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
    pthread_mutex_lock(&k->lock);
    for (;;) {
        while (!k->stopping && (k->closed || !k->head))
            pthread_cond_wait(&k->work, &k->lock);
        if (k->stopping)
            break;
        struct check *ck = pop(k);
        bool ok;

        k->running++;
        pthread_mutex_unlock(&k->lock);
        if (!scratch)
            scratch = calloc(1, sizeof(*scratch));
        uint64_t t0 = ksm_monotonic_ns();

        ok = scratch && auth_verify(&ck->pending, scratch);
        t0 = ksm_monotonic_ns() - t0;
        pthread_mutex_lock(&k->lock);
        k->avg_ns = k->runs++ ? (k->avg_ns * 7 + t0) / 8 : t0;
        finish(k, ck, ok ? CHECK_OK : CHECK_DENIED);
        if (--k->running == 0)
            pthread_cond_broadcast(&k->idle);
    }
    pthread_mutex_unlock(&k->lock);
    free(scratch);
    return NULL;
}

int checker_new(unsigned workers, unsigned depth, struct checker **out)
{
    struct checker *k = calloc(1, sizeof(*k));

    *out = NULL;
    if (!k)
        return -ENOMEM;
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->work, NULL);
    pthread_cond_init(&k->idle, NULL);
    k->depth = depth;
    if (workers > CHECKER_WORKERS)
        workers = CHECKER_WORKERS;
    for (; k->nworkers < workers; k->nworkers++) {
        if (pthread_create(&k->workers[k->nworkers], NULL, work, k) != 0) {
            checker_free(k);
            return -EAGAIN;
        }
    }
    *out = k;
    return 0;
}

void checker_free(struct checker *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&k->lock);
    k->stopping = true;
    pthread_cond_broadcast(&k->work);
    pthread_mutex_unlock(&k->lock);
    for (unsigned i = 0; i < k->nworkers; i++)
        pthread_join(k->workers[i], NULL);
    pthread_cond_destroy(&k->idle);
    pthread_cond_destroy(&k->work);
    pthread_mutex_destroy(&k->lock);
    free(k);
}

/*
 * Whether a new check would wait past CHECKER_MAX_WAIT_NS: with costly
 * hashes the queue is shorter than its depth, so that every answer comes
 * within the time a client may take to send its request.
 */
static bool too_long(const struct checker *k)
{
    uint64_t ahead = (uint64_t)k->queued + k->running;

    return k->nworkers == 0 ||
           ahead * k->avg_ns / k->nworkers > CHECKER_MAX_WAIT_NS;
}

bool checker_submit(struct checker *k, struct check *ck,
                    struct MHD_Connection *conn)
{
    bool queued = false;

    pthread_mutex_lock(&k->lock);
    if (!k->closed && k->queued < k->depth && !too_long(k)) {
        /*
         * Suspended before a worker can see it: a resume must never come
         * first.  libmicrohttpd calls the handler again once resumed.
         */
        MHD_suspend_connection(conn);
        ck->conn = conn;
        ck->next = NULL;
        ck->done = false;
        if (k->tail)
            k->tail->next = ck;
        else
            k->head = ck;
        k->tail = ck;
        k->queued++;
        pthread_cond_signal(&k->work);
        queued = true;
    } else {
        k->overflows++;
    }
    pthread_mutex_unlock(&k->lock);
    return queued;
}

void checker_drain(struct checker *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&k->lock);
    k->closed = true;
    while (k->head) {
        struct check *ck = pop(k);

        explicit_bzero(ck->pending.password, sizeof(ck->pending.password));
        finish(k, ck, CHECK_BUSY);
    }
    while (k->running > 0)
        pthread_cond_wait(&k->idle, &k->lock);
    /*
     * The daemon still runs: give the resumed requests a moment to get
     * their answer (401, 503, or on), rather than a closed connection.
     */
    for (int i = 0; i < 100 && k->unseen > 0; i++) {
        pthread_mutex_unlock(&k->lock);
        usleep(10000);
        pthread_mutex_lock(&k->lock);
    }
    pthread_mutex_unlock(&k->lock);
}

void checker_seen(struct checker *k)
{
    pthread_mutex_lock(&k->lock);
    if (k->unseen > 0)
        k->unseen--;
    pthread_mutex_unlock(&k->lock);
}

void checker_open(struct checker *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&k->lock);
    k->closed = false;
    pthread_cond_broadcast(&k->work);
    pthread_mutex_unlock(&k->lock);
}

unsigned long checker_runs(struct checker *k)
{
    unsigned long n;

    pthread_mutex_lock(&k->lock);
    n = k->runs;
    pthread_mutex_unlock(&k->lock);
    return n;
}

unsigned long checker_overflows(struct checker *k)
{
    unsigned long n;

    pthread_mutex_lock(&k->lock);
    n = k->overflows;
    pthread_mutex_unlock(&k->lock);
    return n;
}
