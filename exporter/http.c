/* SPDX-License-Identifier: MIT */
/* Routes requests and serves /metrics: negotiate, scrape, render, gzip. */
#include "http.h"

#include <errno.h>
#include <string.h>

#include <microhttpd.h>

#include "access.h"
#include "exporter.h"
#include "negotiate.h"
#include "scrape.h"

#define CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define CT_OPENMETRICS                                                         \
    "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* Renders the sample and the exporter's own families into b->text. */
static int render(struct exporter *e, struct body *b, enum ksm_format fmt)
{
    if (ksm_render(&b->text, &e->sample, fmt) != 0 ||
        own_metrics_render(&b->text, &e->own, fmt) != 0 ||
        ksm_render_end(&b->text, fmt) != 0)
        return -ENOMEM;
    return 0;
}

/* Queues b (gzipped when that is asked for and pays); b is lent to MHD. */
static enum MHD_Result queue_body(struct exporter *e, struct MHD_Connection *c,
                                  struct body *b, enum ksm_format fmt)
{
    const char *encoding = MHD_lookup_connection_value(
        c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    struct ksm_buf *out = &b->text;
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (b->text.len >= GZIP_MIN_BYTES && exporter_accepts_gzip(encoding) &&
        body_compress(&e->bodies, b) == 0 && b->gz.len < b->text.len)
        out = &b->gz;
    r = MHD_create_response_from_buffer_with_free_callback_cls(
        out->len, out->data, body_return, b);
    if (!r) {
        body_return(b);
        return response_queue(&e->responses, c, RESPONSE_INTERNAL_ERROR);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            fmt == KSM_FORMAT_OPENMETRICS ? CT_OPENMETRICS
                                                          : CT_TEXT);
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
    if (out == &b->gz)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    response_add_config_headers(r, &e->web);
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result serve_metrics(struct exporter *e,
                                     struct MHD_Connection *c)
{
    const char *accept =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    enum ksm_format fmt = exporter_negotiate(accept);
    struct body *b = body_take(&e->bodies);

    if (b) {
        exporter_scrape(e);
        if (render(e, b, fmt) == 0)
            return queue_body(e, c, b, fmt);
        body_return(b);
    }
    log_kv(&e->cfg.log, KSM_LOG_ERROR, "out of memory", 0);
    return response_queue(&e->responses, c, RESPONSE_INTERNAL_ERROR);
}

/*
 * The checks made once the headers are in: client certificate, basic
 * auth, method.  The refusal to send, or RESPONSE_COUNT to go on.
 */
static enum response_id refusal(struct exporter *e, struct MHD_Connection *c,
                                const char *method)
{
    if (!access_client_cert_ok(&e->web, c))
        return RESPONSE_FORBIDDEN;
    if (!access_basic_auth_ok(&e->auth, c))
        return RESPONSE_UNAUTHORIZED;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return RESPONSE_NOT_ALLOWED;
    return RESPONSE_COUNT;
}

enum MHD_Result exporter_handle(void *cls, struct MHD_Connection *c,
                                const char *url, const char *method,
                                const char *version, const char *upload_data,
                                size_t *upload_size, void **con_cls)
{
    struct exporter *e = cls;

    (void)version;
    (void)upload_data;
    /*
     * Answer on the second call, once the request is complete: a response
     * queued while libmicrohttpd may still expect a body makes it close the
     * connection, which would cost every scraper a new TCP handshake.
     * Refusals go at once, on the first call.
     */
    if (*con_cls == NULL) {
        enum response_id no = refusal(e, c, method);

        if (no != RESPONSE_COUNT)
            return response_queue(&e->responses, c, no);
        *con_cls = e; /* any non-NULL marker: headers seen */
        return MHD_YES;
    }
    if (*upload_size != 0) {
        *upload_size = 0; /* a GET with a body: the body is ignored */
        return MHD_YES;
    }
    if (strcmp(url, e->cfg.telemetry_path) == 0)
        return serve_metrics(e, c);
    if (strcmp(url, "/") == 0)
        return response_queue(&e->responses, c, RESPONSE_LANDING);
    return response_queue(&e->responses, c, RESPONSE_NOT_FOUND);
}
