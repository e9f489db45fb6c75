/* SPDX-License-Identifier: MIT */
/* Routes requests and serves /metrics: negotiate, scrape, render, gzip. */
#include "http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "access.h"
#include "checker.h"
#include "conns.h"
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

/* con_cls once the headers passed; otherwise NULL or a struct check. */
static char headers_seen;
/*
 * The same for a request that passed a bcrypt check: the checker counts it
 * as unseen until its response is out (exporter_completed()), so that a
 * reload's drain does not stop the daemon between the check and the answer.
 */
static char headers_checked;
/* A request refused after a bcrypt check, its answer queued: the same. */
static char check_refused;

enum gate {
    GATE_PASS,   /* go on */
    GATE_DENY,   /* 401 */
    GATE_BUSY,   /* 503: no room to check */
    GATE_QUEUED, /* suspended until a worker has checked */
};

/* Queues the bcrypt of p for c, within the budgets and the queue's room. */
static enum gate queue_check(struct exporter *e, struct MHD_Connection *c,
                             const struct auth_pending *p, void **con_cls)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    struct check *ck = malloc(sizeof(*ck));

    if (!ck)
        return GATE_BUSY;
    if (!auth_admit(&e->auth, info ? info->client_addr : NULL)) {
        free(ck);
        return GATE_DENY;
    }
    ck->pending = *p;
    if (!checker_submit(e->checker, ck, c)) {
        explicit_bzero(ck, sizeof(*ck));
        free(ck);
        return GATE_BUSY;
    }
    *con_cls = ck;
    conns_pause(e->conns, c);
    return GATE_QUEUED;
}

/* Basic auth: cached credentials at once, others through a worker. */
static enum gate basic_auth(struct exporter *e, struct MHD_Connection *c,
                            void **con_cls)
{
    struct auth_pending p;
    enum auth_step step = AUTH_FAIL;
    char *pass = NULL;
    enum gate g;
    char *user;

    if (e->auth.cfg->nusers == 0)
        return GATE_PASS;
    user = MHD_basic_auth_get_username_password(c, &pass);
    if (user && pass)
        step = auth_begin(&e->auth, user, pass, &p);
    if (pass) {
        explicit_bzero(pass, strlen(pass));
        MHD_free(pass);
    }
    if (user)
        MHD_free(user);
    if (step != AUTH_SLOW)
        return step == AUTH_PASS ? GATE_PASS : GATE_DENY;
    g = queue_check(e, c, &p, con_cls);
    explicit_bzero(&p, sizeof(p));
    return g;
}

/* The outcome of a worker's check, on the call after the resume. */
static enum gate checked(struct exporter *e, struct MHD_Connection *c,
                         void **con_cls)
{
    struct check *ck = *con_cls;
    enum gate g = ck->result == CHECK_OK       ? GATE_PASS
                  : ck->result == CHECK_DENIED ? GATE_DENY
                                               : GATE_BUSY;

    if (ck->result == CHECK_OK)
        auth_remember(&e->auth, &ck->pending);
    explicit_bzero(ck, sizeof(*ck));
    free(ck);
    /* Seen once answered: the refusals are queued in this call. */
    *con_cls = g == GATE_PASS ? &headers_checked : &check_refused;
    conns_unpause(e->conns, c);
    return g;
}

/* Queues the fixed response id; the request is over on our side. */
static enum MHD_Result answer(struct exporter *e, struct MHD_Connection *c,
                              enum response_id id)
{
    conns_request_in(e->conns, c);
    return response_queue(&e->responses, c, id);
}

/*
 * The checks made once the headers are in: client certificate, rate
 * limit, basic auth, method.  Refusals go at once; a check that needs
 * bcrypt suspends the request and this runs again when the worker is done.
 */
static enum MHD_Result first_call(struct exporter *e, struct MHD_Connection *c,
                                  const char *method, void **con_cls)
{
    enum gate g;

    if (*con_cls) {
        g = checked(e, c, con_cls);
    } else {
        if (!access_client_cert_ok(&e->web, c))
            return answer(e, c, RESPONSE_FORBIDDEN);
        if (!access_rate_ok(&e->web))
            return answer(e, c, RESPONSE_TOO_MANY);
        g = basic_auth(e, c, con_cls);
    }
    switch (g) {
    case GATE_QUEUED:
        return MHD_YES;
    case GATE_DENY:
        return answer(e, c, RESPONSE_UNAUTHORIZED);
    case GATE_BUSY:
        return answer(e, c, RESPONSE_BUSY);
    case GATE_PASS:
        break;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return answer(e, c, RESPONSE_NOT_ALLOWED);
    if (*con_cls != &headers_checked)
        *con_cls = &headers_seen;
    return MHD_YES;
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
     * Answer on the last call, once the request is complete: a response
     * queued while libmicrohttpd may still expect a body makes it close the
     * connection, which would cost every scraper a new TCP handshake.
     * Refusals go at once, on the first call.
     */
    if (*con_cls == &check_refused)
        return MHD_NO; /* its answer is queued: nothing more to do */
    if (*con_cls != &headers_seen && *con_cls != &headers_checked)
        return first_call(e, c, method, con_cls);
    if (*upload_size != 0) {
        *upload_size = 0; /* a GET with a body: the body is ignored */
        return MHD_YES;
    }
    conns_request_in(e->conns, c);
    if (strcmp(url, e->cfg.telemetry_path) == 0)
        return serve_metrics(e, c);
    if (strcmp(url, "/") == 0)
        return response_queue(&e->responses, c, RESPONSE_LANDING);
    return response_queue(&e->responses, c, RESPONSE_NOT_FOUND);
}

void exporter_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode code)
{
    struct exporter *e = cls;

    if (*con_cls == &headers_checked || *con_cls == &check_refused) {
        checker_seen(e->checker);
    } else if (*con_cls && *con_cls != &headers_seen) {
        /* A check resumed but never seen again: the daemon is stopping. */
        explicit_bzero(*con_cls, sizeof(struct check));
        free(*con_cls);
        checker_seen(e->checker);
    }
    *con_cls = NULL;
    if (code == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        conns_request_done(e->conns, c);
}
