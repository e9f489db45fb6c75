/* SPDX-License-Identifier: MIT */
/* Rendered /metrics bodies: a pool of buffers and their gzip copies. */
#ifndef KSM_EXPORTER_BODY_H
#define KSM_EXPORTER_BODY_H

#include <libdeflate.h>

#include "ksm/render.h"

/*
 * Bodies smaller than this are sent uncompressed.  A response that fits
 * TCP's initial window (RFC 6928: 10 segments of 1448 bytes, 14,480 bytes
 * with the headers) goes out in one flight, and Linux starts a scrape over
 * a kept-alive connection there again once it was idle longer than its
 * retransmission timeout, as between scrapes: below it gzip saves bytes
 * but no round trip.  It costs ~25 us of the exporter's CPU on a
 * 12 KB body (a scrape costs ~75 us) and the scraper's to inflate, and its
 * compressor holds 200 KB, of which each compression writes 144 KB: a host
 * whose body stays below never allocates it.  The typical host without
 * guests sends 10 to 12 KB; every guest adds ~1.5 KB, so a hypervisor's
 * body is compressed.
 */
#define GZIP_MIN_BYTES 14000

struct body_pool;

/* A rendered body, lent to libmicrohttpd until it has sent it. */
struct body {
    struct body *next;
    struct body_pool *owner;
    struct ksm_buf text;
    struct ksm_buf gz;
};

/*
 * Bodies not lent out, and the one gzip compressor.  Bodies are taken and
 * returned on the libmicrohttpd thread only, so the pool needs no lock.
 */
struct body_pool {
    struct body *free;
    /* NULL until the first body is compressed */
    struct libdeflate_compressor *gzip;
};

/* Sets up an empty pool; the compressor comes with the first compression. */
void body_pool_init(struct body_pool *p);

/* Frees the bodies in the pool (none may be lent out) and the compressor. */
void body_pool_fini(struct body_pool *p);

/*
 * A body with empty text, from the pool or newly allocated.  NULL when out
 * of memory.
 */
struct body *body_take(struct body_pool *p);

/*
 * Gives b back to its pool.  It is libmicrohttpd's free callback too, so
 * it takes a void pointer.
 */
void body_return(void *b);

/*
 * Compresses b->text into b->gz, allocating the compressor at the first
 * call.  Returns 0, or -ENOMEM (the body goes plain; the next call tries
 * again).
 */
int body_compress(struct body_pool *p, struct body *b);

#endif
