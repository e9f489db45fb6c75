/* SPDX-License-Identifier: MIT */
/* Rendered /metrics bodies: a pool of buffers and their gzip copies. */
#ifndef KSM_EXPORTER_BODY_H
#define KSM_EXPORTER_BODY_H

#include <libdeflate.h>

#include "ksm/render.h"

/*
 * Bodies smaller than this are sent uncompressed.  Measured here with
 * libdeflate level 1, gzip costs ~5 us plus ~1.6 us per KB (a whole scrape
 * costs ~75 us of CPU); below one TCP segment (1448 bytes of payload on
 * Ethernet) the body goes in one packet either way, so gzip would spend CPU
 * to save nothing that matters.  Above it every KB saved is a packet saved:
 * the typical body, 12 KB, shrinks to 3 KB (9 segments to 3).
 */
#define GZIP_MIN_BYTES 1400

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
    /* NULL: gzip could not be set up, bodies go plain */
    struct libdeflate_compressor *gzip;
};

/*
 * Sets up an empty pool and its compressor.  Returns 0, or -EIO when the
 * compressor cannot be allocated: the pool still works, without gzip.
 */
int body_pool_init(struct body_pool *p);

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

/* Compresses b->text into b->gz.  Returns 0, -ENOMEM or -EIO. */
int body_compress(struct body_pool *p, struct body *b);

#endif
