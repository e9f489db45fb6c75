/* SPDX-License-Identifier: MIT */
/* Builds the landing page and the fixed error responses. */
#include "responses.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "exporter.h"

/* Appends n bytes of s; a failed allocation only sets b->oom. */
static void put(struct ksm_buf *b, const char *s, size_t n)
{
    if (ksm_buf_reserve(b, n) == 0) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
    }
}

/* Appends s with the five HTML special characters escaped. */
static void put_html(struct ksm_buf *b, const char *s)
{
    for (; *s; s++) {
        const char *esc = NULL;

        switch (*s) {
        case '&':
            esc = "&amp;";
            break;
        case '<':
            esc = "&lt;";
            break;
        case '>':
            esc = "&gt;";
            break;
        case '"':
            esc = "&quot;";
            break;
        case '\'':
            esc = "&#39;";
            break;
        default:
            break;
        }
        if (esc)
            put(b, esc, strlen(esc));
        else
            put(b, s, 1);
    }
}

static struct MHD_Response *make_landing(const struct exporter_config *cfg)
{
    struct ksm_buf b = {0};
    struct MHD_Response *r;
    /* Even entries are HTML, odd ones are values that need escaping. */
    const char *parts[] = {
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
        "charset=\"utf-8\">\n"
        "<title>KSM Exporter</title>\n</head>\n<body>\n<h1>KSM Exporter</h1>\n"
        "<p>Prometheus exporter for Linux Kernel Samepage Merging.</p>\n"
        "<p>Version: ",
        cfg->version,
        " (revision: ",
        cfg->revision,
        ")</p>\n<ul>\n<li><a href=\"",
        cfg->telemetry_path,
        "\">Metrics</a></li>\n</ul>\n</body>\n</html>\n",
    };

    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (i % 2 == 0)
            put(&b, parts[i], strlen(parts[i]));
        else
            put_html(&b, parts[i]);
    }
    if (b.oom) {
        ksm_buf_free(&b);
        return NULL;
    }
    r = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        ksm_buf_free(&b);
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/html; charset=utf-8");
    return r;
}

/*
 * A fixed response's status, and for the plain-text ones their text and
 * one more header when hdr is not NULL.
 */
struct fixed_text {
    unsigned int status;
    const char *text;
    const char *hdr;
    const char *value;
};

static const struct fixed_text fixed[RESPONSE_COUNT] = {
    [RESPONSE_LANDING] = {.status = MHD_HTTP_OK},
    [RESPONSE_NOT_FOUND] = {.status = MHD_HTTP_NOT_FOUND,
                            .text = "404 page not found\n"},
    [RESPONSE_NOT_ALLOWED] = {.status = MHD_HTTP_METHOD_NOT_ALLOWED,
                              .text = "405 method not allowed\n",
                              .hdr = MHD_HTTP_HEADER_ALLOW,
                              .value = "GET, HEAD"},
    [RESPONSE_INTERNAL_ERROR] =
        {.status = MHD_HTTP_INTERNAL_SERVER_ERROR,
         .text = "internal error: see the exporter's log\n"},
    /*
     * The challenge is part of the shared response, added once: libmicro-
     * httpd's MHD_queue_basic_auth_fail_response() would add it to the
     * shared response again at every 401.
     */
    [RESPONSE_UNAUTHORIZED] = {.status = MHD_HTTP_UNAUTHORIZED,
                               .text = "Unauthorized\n",
                               .hdr = MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                               .value = "Basic realm=\"ksm_exporter\""},
    [RESPONSE_FORBIDDEN] = {.status = MHD_HTTP_FORBIDDEN,
                            .text =
                                "client certificate required or not trusted\n"},
    /* What the toolkit's http.Error() sends. */
    [RESPONSE_TOO_MANY] = {.status = MHD_HTTP_TOO_MANY_REQUESTS,
                           .text = "Too Many Requests\n",
                           .hdr = MHD_HTTP_HEADER_X_CONTENT_TYPE_OPTIONS,
                           .value = "nosniff"},
    /*
     * Too many credentials wait for a bcrypt check: as for a server
     * overloaded for a moment (Prometheus counts it a failed scrape and
     * tries again at the next interval).  Cached credentials never get it.
     */
    [RESPONSE_BUSY] = {.status = MHD_HTTP_SERVICE_UNAVAILABLE,
                       .text = "Too many credentials wait for a check: "
                               "retry later.\n",
                       .hdr = MHD_HTTP_HEADER_RETRY_AFTER,
                       .value = "1"},
};

static struct MHD_Response *make_static(const struct fixed_text *f)
{
    char *copy = strdup(f->text);
    struct MHD_Response *r;

    if (!copy)
        return NULL;
    r = MHD_create_response_from_buffer(strlen(copy), copy,
                                        MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(copy);
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; charset=utf-8");
    if (f->hdr)
        MHD_add_response_header(r, f->hdr, f->value);
    return r;
}

void response_add_config_headers(struct MHD_Response *r,
                                 const struct web_config *web)
{
    for (size_t i = 0; i < web->nheaders; i++)
        MHD_add_response_header(r, web->headers[i].name, web->headers[i].value);
}

void responses_free(struct responses *rs)
{
    for (size_t i = 0; i < RESPONSE_COUNT; i++) {
        if (rs->r[i])
            MHD_destroy_response(rs->r[i]);
        rs->r[i] = NULL;
    }
}

int responses_make(struct responses *rs, const struct exporter_config *cfg,
                   const struct web_config *web)
{
    memset(rs, 0, sizeof(*rs));
    for (size_t i = 0; i < RESPONSE_COUNT; i++) {
        rs->r[i] =
            i == RESPONSE_LANDING ? make_landing(cfg) : make_static(&fixed[i]);
        if (!rs->r[i]) {
            responses_free(rs);
            return -ENOMEM;
        }
        response_add_config_headers(rs->r[i], web);
    }
    return 0;
}

enum MHD_Result response_queue(const struct responses *rs,
                               struct MHD_Connection *c, enum response_id id)
{
    return MHD_queue_response(c, fixed[id].status, rs->r[id]);
}
