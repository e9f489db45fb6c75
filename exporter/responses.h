/* SPDX-License-Identifier: MIT */
/* The responses that never change: the landing page and the refusals. */
#ifndef KSM_EXPORTER_RESPONSES_H
#define KSM_EXPORTER_RESPONSES_H

#include <microhttpd.h>

struct exporter_config;
struct web_config;

enum response_id {
    RESPONSE_LANDING,        /* 200, the HTML page at "/" */
    RESPONSE_NOT_FOUND,      /* 404 */
    RESPONSE_NOT_ALLOWED,    /* 405, with Allow */
    RESPONSE_INTERNAL_ERROR, /* 500 */
    RESPONSE_UNAUTHORIZED,   /* 401, with the Basic challenge */
    RESPONSE_FORBIDDEN,      /* 403, client certificate refused */
    RESPONSE_TOO_MANY,       /* 429, past rate_limit */
    RESPONSE_BUSY,           /* 503, with Retry-After: no room to check */
    RESPONSE_COUNT,
};

/* Created once and queued many times; libmicrohttpd counts the users. */
struct responses {
    struct MHD_Response *r[RESPONSE_COUNT];
};

/*
 * Creates every response of rs, each with web's http_server_config
 * headers.  The landing page shows cfg's version and telemetry path.
 * Returns 0, or -ENOMEM with nothing held.
 */
int responses_make(struct responses *rs, const struct exporter_config *cfg,
                   const struct web_config *web);

/* Releases every response of rs (NULL ones are skipped); all become NULL. */
void responses_free(struct responses *rs);

/* Adds web's http_server_config headers to r. */
void response_add_config_headers(struct MHD_Response *r,
                                 const struct web_config *web);

/* Queues rs's response id on c with its status code (200, 404, ...). */
enum MHD_Result response_queue(const struct responses *rs,
                               struct MHD_Connection *c, enum response_id id);

#endif
