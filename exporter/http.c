/* SPDX-License-Identifier: MIT */
/* The HTTP side: routes, content negotiation, gzip, and the scrape itself. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "exporter.h"
#include "ksm/clock.h"

#define CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define CT_OPENMETRICS                                                         \
    "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* One comma-separated element of an Accept or Accept-Encoding header. */
struct item {
    const char *name;
    size_t len;
    double q;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * The q parameter's value by RFC 9110's grammar: "0" or "1", optionally a
 * '.' and up to three digits, never above 1.  Anything else counts as 0.
 */
static double parse_q(const char *p, size_t n)
{
    double q, scale = 0.1;

    if (n == 0 || (p[0] != '0' && p[0] != '1'))
        return 0;
    q = p[0] - '0';
    if (n == 1)
        return q;
    if (p[1] != '.' || n > 5)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        q += (p[i] - '0') * scale;
        scale /= 10;
    }
    return q > 1 ? 0 : q;
}

/*
 * Reads the next element at *p: "name;param=x;q=0.5".  Returns false at the
 * end of the header.
 */
static bool next_item(const char **p, struct item *it)
{
    const char *s = *p;
    const char *end;

    while (*s == ',' || is_blank(*s))
        s++;
    if (*s == '\0')
        return false;
    end = s + strcspn(s, ",");
    it->name = s;
    it->len = strcspn(s, ";,");
    while (it->len > 0 && is_blank(s[it->len - 1]))
        it->len--;
    it->q = 1;
    for (const char *param = s + strcspn(s, ";,"); param < end && *param == ';';) {
        const char *v;
        size_t plen;

        param++;
        while (is_blank(*param))
            param++;
        plen = strcspn(param, ";,");
        if (plen >= 2 && (param[0] == 'q' || param[0] == 'Q') &&
            param[1] == '=') {
            v = param + 2;
            size_t vlen = plen - 2;

            while (vlen > 0 && is_blank(v[vlen - 1]))
                vlen--;
            it->q = parse_q(v, vlen);
        }
        param += plen;
    }
    *p = end;
    return true;
}

static bool item_is(const struct item *it, const char *name)
{
    return it->len == strlen(name) && strncasecmp(it->name, name, it->len) == 0;
}

enum ksm_format exporter_negotiate(const char *accept)
{
    double om = -1, text = -1, wild = -1;
    int om_pos = 0, text_pos = 0, pos = 0;
    struct item it;

    if (!accept)
        return KSM_FORMAT_TEXT;
    while (next_item(&accept, &it)) {
        pos++;
        if (item_is(&it, "application/openmetrics-text")) {
            if (it.q > om) {
                om = it.q;
                om_pos = pos;
            }
        } else if (item_is(&it, "text/plain")) {
            if (it.q > text) {
                text = it.q;
                text_pos = pos;
            }
        } else if (item_is(&it, "text/*") || item_is(&it, "*/*")) {
            wild = fmax(wild, it.q);
        }
    }
    if (text < 0) {
        text = wild;
        text_pos = pos + 1;
    }
    if (om > 0 && (om > text || (om == text && om_pos < text_pos)))
        return KSM_FORMAT_OPENMETRICS;
    return KSM_FORMAT_TEXT;
}

bool exporter_accepts_gzip(const char *accept_encoding)
{
    double gzip = -1, star = -1;
    struct item it;

    if (!accept_encoding)
        return false;
    while (next_item(&accept_encoding, &it)) {
        if (item_is(&it, "gzip") || item_is(&it, "x-gzip"))
            gzip = fmax(gzip, it.q);
        else if (item_is(&it, "*"))
            star = fmax(star, it.q);
    }
    return (gzip >= 0 ? gzip : star) > 0;
}

static const char *errstr(int err)
{
    return strerror(err < 0 ? -err : err);
}

/* Logs a problem when it starts and when it ends (ksm_tracker_update()). */
static void log_event(void *ctx, enum ksm_event ev, int field, int err)
{
    const struct exporter *e = ctx;
    const char *dir = ksm_sampler_path(e->sampler);
    char path[4096];

    if (field >= 0)
        snprintf(path, sizeof(path), "%s/%s", dir, ksm_field_names[field]);
    switch (ev) {
    case KSM_EVENT_DIR_FAILED:
        log_kv(&e->cfg.log, LOG_WARN,
               "cannot read the KSM directory: ksm_up is 0 until it can", 2,
               "path", dir, "err", errstr(err));
        break;
    case KSM_EVENT_DIR_RECOVERED:
        log_kv(&e->cfg.log, LOG_INFO, "the KSM directory is readable again", 1,
               "path", dir);
        break;
    case KSM_EVENT_FILE_FAILED:
        log_kv(&e->cfg.log, LOG_WARN, "cannot read a KSM file", 2, "file",
               path, "err", errstr(err));
        break;
    case KSM_EVENT_FILE_RECOVERED:
        log_kv(&e->cfg.log, LOG_INFO, "a KSM file is readable again", 1,
               "file", path);
        break;
    }
}

/* The http_server_config headers, on every response. */
static void add_config_headers(const struct exporter *e, struct MHD_Response *r)
{
    for (size_t i = 0; i < e->web.nheaders; i++)
        MHD_add_response_header(r, e->web.headers[i].name,
                                e->web.headers[i].value);
}

/* Takes a fresh sample into e->sample, and the exporter's own figures. */
static void scrape(struct exporter *e)
{
    struct ksm_sample *s = &e->sample;
    struct own_figures *own = &e->own;
    uint64_t t0 = ksm_monotonic_ns();
    int err = ksm_sampler_read(e->sampler, s);

    own->scrape_duration_seconds = (double)(ksm_monotonic_ns() - t0) / 1e9;
    own->version = e->cfg.version;
    own->revision = e->cfg.revision;
    own->has_self = e->self && ksm_self_read(e->self, &own->self) == 0;
    ksm_tracker_update(&e->tracker, s, err, log_event, e);
}

static struct body *take_body(struct exporter *e)
{
    struct body *b = e->free_bodies;

    if (b) {
        e->free_bodies = b->next;
        return b;
    }
    b = calloc(1, sizeof(*b));
    if (b)
        b->owner = e;
    return b;
}

/* libmicrohttpd calls this once it no longer needs the body. */
static void return_body(void *cls)
{
    struct body *b = cls;

    b->next = b->owner->free_bodies;
    b->owner->free_bodies = b;
}

/* Compresses b->text into b->gz; returns 0 or a negative errno. */
static int compress_body(struct exporter *e, struct body *b)
{
    uLong bound;

    if (!e->z_ready || deflateReset(&e->z) != Z_OK)
        return -EIO;
    bound = deflateBound(&e->z, (uLong)b->text.len);
    b->gz.len = 0;
    b->gz.oom = false;
    if (ksm_buf_reserve(&b->gz, bound) != 0)
        return -ENOMEM;
    e->z.next_in = (Bytef *)b->text.data;
    e->z.avail_in = (uInt)b->text.len;
    e->z.next_out = (Bytef *)b->gz.data;
    e->z.avail_out = (uInt)bound;
    if (deflate(&e->z, Z_FINISH) != Z_STREAM_END)
        return -EIO;
    b->gz.len = bound - e->z.avail_out;
    return 0;
}

static enum MHD_Result queue_error(struct exporter *e,
                                   struct MHD_Connection *c)
{
    return MHD_queue_response(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                              e->internal_error);
}

static enum MHD_Result serve_metrics(struct exporter *e,
                                     struct MHD_Connection *c)
{
    const char *accept =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    const char *encoding = MHD_lookup_connection_value(
        c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    enum ksm_format fmt = exporter_negotiate(accept);
    struct body *b = take_body(e);
    struct MHD_Response *r;
    enum MHD_Result ret;
    bool gzip = false;
    char *data;
    size_t len;

    if (!b) {
        log_kv(&e->cfg.log, LOG_ERROR, "out of memory", 0);
        return queue_error(e, c);
    }
    scrape(e);
    b->text.len = 0;
    b->text.oom = false;
    if (ksm_render(&b->text, &e->sample, fmt) != 0 ||
        own_metrics_render(&b->text, &e->own, fmt) != 0 ||
        ksm_render_end(&b->text, fmt) != 0) {
        log_kv(&e->cfg.log, LOG_ERROR, "out of memory", 0);
        return_body(b);
        return queue_error(e, c);
    }
    data = b->text.data;
    len = b->text.len;
    if (len >= GZIP_MIN_BYTES && exporter_accepts_gzip(encoding) &&
        compress_body(e, b) == 0 && b->gz.len < len) {
        data = b->gz.data;
        len = b->gz.len;
        gzip = true;
    }
    r = MHD_create_response_from_buffer_with_free_callback_cls(len, data,
                                                               return_body, b);
    if (!r) {
        return_body(b);
        return queue_error(e, c);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            fmt == KSM_FORMAT_OPENMETRICS ? CT_OPENMETRICS
                                                          : CT_TEXT);
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
    if (gzip)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    add_config_headers(e, r);
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/*
 * With TLS client authentication: whether this connection's client
 * certificate passes client_auth_type.  NULL when it does, else the
 * response to send (403).
 */
static struct MHD_Response *check_client_cert(struct exporter *e,
                                              struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info;
    gnutls_session_t session;
    unsigned int n = 0, status = 0;

    if (!e->web.tls || e->web.client_auth == CLIENT_AUTH_NONE)
        return NULL;
    info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!info || !info->tls_session)
        return e->forbidden;
    session = (gnutls_session_t)info->tls_session;
    if (!gnutls_certificate_get_peers(session, &n) || n == 0)
        return e->web.client_auth == CLIENT_AUTH_REQUIRE_VERIFY ? e->forbidden
                                                                : NULL;
    /* Signed by client_ca_file, and meant for clients (TLS WWW client). */
    char purpose[] = GNUTLS_KP_TLS_WWW_CLIENT;
    gnutls_typed_vdata_st want = {.type = GNUTLS_DT_KEY_PURPOSE_OID,
                                  .data = (unsigned char *)purpose};

    if (gnutls_certificate_verify_peers(session, &want, 1, &status) < 0 ||
        status)
        return e->forbidden;
    return NULL;
}

/* Basic auth, when users are configured: true when the request passes. */
static bool check_basic_auth(struct exporter *e, struct MHD_Connection *c)
{
    char *pass = NULL;
    char *user;
    bool ok;

    if (e->web.nusers == 0)
        return true;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

    user = MHD_basic_auth_get_username_password(c, &pass);
    ok = user && pass &&
         auth_check(&e->auth, info ? info->client_addr : NULL, user, pass);
    if (pass) {
        explicit_bzero(pass, strlen(pass));
        MHD_free(pass);
    }
    if (user)
        MHD_free(user);
    return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
    struct exporter *e = cls;
    struct MHD_Response *denied;

    (void)version;
    (void)upload_data;
    /*
     * Answer on the second call, once the request is complete: a response
     * queued while libmicrohttpd may still expect a body makes it close the
     * connection, which would cost every scraper a new TCP handshake.
     * Refusals go at once, on the first call.
     */
    if (*con_cls == NULL) {
        denied = check_client_cert(e, c);
        if (denied)
            return MHD_queue_response(c, MHD_HTTP_FORBIDDEN, denied);
        if (!check_basic_auth(e, c))
            return MHD_queue_response(c, MHD_HTTP_UNAUTHORIZED,
                                      e->unauthorized);
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
            strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
            return MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                                      e->not_allowed);
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
        return MHD_queue_response(c, MHD_HTTP_OK, e->landing);
    return MHD_queue_response(c, MHD_HTTP_NOT_FOUND, e->not_found);
}

/* Appends s with the five HTML special characters escaped. */
static void put_html(struct ksm_buf *b, const char *s)
{
    for (; *s; s++) {
        const char *esc = NULL;
        char c = *s;

        switch (c) {
        case '&': esc = "&amp;"; break;
        case '<': esc = "&lt;"; break;
        case '>': esc = "&gt;"; break;
        case '"': esc = "&quot;"; break;
        case '\'': esc = "&#39;"; break;
        default: break;
        }
        if (esc) {
            size_t n = strlen(esc);

            if (ksm_buf_reserve(b, n) == 0) {
                memcpy(b->data + b->len, esc, n);
                b->len += n;
            }
        } else if (ksm_buf_reserve(b, 1) == 0) {
            b->data[b->len++] = c;
        }
    }
}

static struct MHD_Response *make_landing(const struct exporter_config *cfg)
{
    struct ksm_buf b = {0};
    struct MHD_Response *r;
    const char *parts[] = {
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>KSM Exporter</title>\n</head>\n<body>\n<h1>KSM Exporter</h1>\n"
        "<p>Prometheus exporter for Linux Kernel Samepage Merging.</p>\n"
        "<p>Version: ",
        cfg->version, " (revision: ", cfg->revision,
        ")</p>\n<ul>\n<li><a href=\"", cfg->telemetry_path,
        "\">Metrics</a></li>\n</ul>\n</body>\n</html>\n",
    };

    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (i % 2 == 0) {
            size_t n = strlen(parts[i]);

            if (ksm_buf_reserve(&b, n) == 0) {
                memcpy(b.data + b.len, parts[i], n);
                b.len += n;
            }
        } else {
            put_html(&b, parts[i]);
        }
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

static struct MHD_Response *make_static(const char *text, const char *hdr,
                                        const char *value)
{
    char *copy = strdup(text);
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
    if (hdr)
        MHD_add_response_header(r, hdr, value);
    return r;
}

/*
 * Says at start-up whether KSM can be read, rather than at the first
 * scrape; the first scrape then logs only what changed.  Opening the
 * directory counts no read error, unlike a sample would.
 */
static void probe_directory(struct exporter *e)
{
    const char *dir = ksm_sampler_path(e->sampler);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct ksm_sample probe = {.up = fd >= 0};

    ksm_tracker_update(&e->tracker, &probe, fd < 0 ? -errno : 0, log_event, e);
    if (fd >= 0) {
        close(fd);
        log_kv(&e->cfg.log, LOG_INFO, "reading KSM", 1, "path", dir);
    }
}

static void free_responses(struct exporter *e)
{
    struct MHD_Response **all[] = {&e->landing, &e->not_found, &e->not_allowed,
                                   &e->internal_error, &e->unauthorized,
                                   &e->forbidden};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (*all[i])
            MHD_destroy_response(*all[i]);
        *all[i] = NULL;
    }
}

/* The responses that never change, with the config's headers. */
static int make_responses(struct exporter *e)
{
    struct MHD_Response **all[] = {&e->landing, &e->not_found, &e->not_allowed,
                                   &e->internal_error, &e->unauthorized,
                                   &e->forbidden};

    e->landing = make_landing(&e->cfg);
    e->not_found = make_static("404 page not found\n", NULL, NULL);
    e->not_allowed = make_static("405 method not allowed\n",
                                 MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    e->internal_error =
        make_static("internal error: see the exporter's log\n", NULL, NULL);
    /*
     * The challenge is part of the shared response, added once: libmicro-
     * httpd's MHD_queue_basic_auth_fail_response() would add it to the
     * shared response again at every 401.
     */
    e->unauthorized = make_static("Unauthorized\n", MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                  "Basic realm=\"ksm_exporter\"");
    e->forbidden = make_static("client certificate required or not trusted\n",
                               NULL, NULL);
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (!*all[i]) {
            free_responses(e);
            return -ENOMEM;
        }
        add_config_headers(e, *all[i]);
    }
    return 0;
}

int exporter_init(struct exporter *e, const struct exporter_config *cfg)
{
    struct ksm_sampler_config sc = {.sysfs_root = cfg->sysfs,
                                    .procfs_root = cfg->procfs,
                                    .processes = cfg->processes};
    int err;

    memset(e, 0, sizeof(*e));
    e->cfg = *cfg;
    err = ksm_sampler_new(&sc, &e->sampler);
    if (err) {
        log_kv(&cfg->log, LOG_ERROR, "cannot create the KSM sampler", 2,
               "path", cfg->sysfs, "err", errstr(err));
        return err;
    }
    probe_directory(e);
    if (cfg->web_config_path) {
        char msg[512];

        if (web_config_load(cfg->web_config_path, &e->web, msg,
                            sizeof(msg)) != 0) {
            log_kv(&cfg->log, LOG_ERROR, "bad web config file", 2, "file",
                   cfg->web_config_path, "err", msg);
            ksm_sampler_free(e->sampler);
            return -EINVAL;
        }
    }
    if (auth_init(&e->auth, &e->web) != 0) {
        log_kv(&cfg->log, LOG_ERROR, "out of memory", 0);
        web_config_free(&e->web);
        ksm_sampler_free(e->sampler);
        return -ENOMEM;
    }
    err = ksm_self_reader_new(NULL, &e->self);
    if (err) {
        log_kv(&cfg->log, LOG_WARN,
               "cannot read /proc/self: no process_* metrics", 1, "err",
               errstr(err));
        e->self = NULL;
    }
    /*
     * Level 1 with an 8 KiB window and memLevel 6: metric text repeats at
     * short distances, so this compresses a typical body (7 KB to 2 KB) as
     * well as the defaults do, ~5% faster, in 64 KiB of state instead of
     * 256 KiB.  Level 6 would save 7% more bytes for 1.8x the CPU.
     */
    e->z_ready = deflateInit2(&e->z, Z_BEST_SPEED, Z_DEFLATED, 13 + 16, 6,
                              Z_DEFAULT_STRATEGY) == Z_OK;
    if (!e->z_ready)
        log_kv(&cfg->log, LOG_WARN, "cannot set up gzip: sending plain", 0);
    if (make_responses(e) != 0) {
        log_kv(&cfg->log, LOG_ERROR, "out of memory", 0);
        exporter_fini(e);
        return -ENOMEM;
    }
    return 0;
}

__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    const struct exporter *e = cls;
    char msg[512];
    size_t n;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    log_kv(&e->cfg.log, LOG_DEBUG, "libmicrohttpd", 1, "detail", msg);
}

int exporter_start(struct exporter *e, int listen_fd)
{
    struct MHD_OptionItem tls[5];
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                         MHD_USE_ERROR_LOG | MHD_USE_ITC;
    size_t n = 0;

    if (e->web.tls) {
        flags |= MHD_USE_TLS;
        tls[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                           e->web.cert_pem};
        tls[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                           e->web.key_pem};
        tls[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                           e->web.priorities};
        if (e->web.client_ca_pem)
            tls[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                               e->web.client_ca_pem};
    }
    tls[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    /*
     * The logger comes first so that libmicrohttpd's own start-up messages
     * go through it.  Per client address at most 32 connections, so that
     * one host cannot take all 512; idle connections go after 10 s.  Each
     * connection's memory pool holds the request's and response's headers
     * only (bodies are our own buffers) and is cleared after every
     * request: 8 KiB instead of the default 32 KiB cuts that cost 4x.
     */
    e->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, e, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        e, MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)512, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned int)32, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192, MHD_OPTION_ARRAY,
        tls, MHD_OPTION_END);
    if (!e->daemon) {
        log_kv(&e->cfg.log, LOG_ERROR, "cannot start the HTTP server", 0);
        return -EIO;
    }
    return 0;
}

/*
 * Starts the daemon on a duplicate of fd: a failed start closes the socket
 * it was given, and the caller still needs fd for another try.
 */
static int start_on_copy(struct exporter *e, int fd)
{
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);

    if (copy < 0)
        return -errno;
    if (exporter_start(e, copy) != 0) {
        close(copy);
        return -EIO;
    }
    return 0;
}

int exporter_reload(struct exporter *e)
{
    struct web_config fresh, old;
    struct auth old_auth;
    char msg[512];
    MHD_socket fd;

    if (!e->cfg.web_config_path)
        return 0;
    if (web_config_load(e->cfg.web_config_path, &fresh, msg, sizeof(msg))) {
        log_kv(&e->cfg.log, LOG_ERROR,
               "bad web config file: keeping the running one", 2, "file",
               e->cfg.web_config_path, "err", msg);
        return -EINVAL;
    }
    /*
     * TLS settings are fixed for a daemon's life: stop accepting, finish
     * and stop the old daemon, then start a new one on the same socket.
     * Connections wait in the listen queue meanwhile.
     */
    fd = MHD_quiesce_daemon(e->daemon);
    if (fd == MHD_INVALID_SOCKET) {
        log_kv(&e->cfg.log, LOG_ERROR,
               "cannot hand over the listening socket: keeping the running "
               "settings", 1, "file", e->cfg.web_config_path);
        web_config_free(&fresh);
        return -EINVAL;
    }
    MHD_stop_daemon(e->daemon);
    e->daemon = NULL;
    old = e->web;
    old_auth = e->auth;
    e->web = fresh;
    free_responses(e);
    if (auth_init(&e->auth, &e->web) == 0 && make_responses(e) == 0) {
        /* Credentials that still have the same hash stay accepted. */
        auth_keep_cache(&e->auth, &old_auth);
        if (start_on_copy(e, (int)fd) == 0) {
            close((int)fd);
            auth_fini(&old_auth);
            web_config_free(&old);
            log_kv(&e->cfg.log, LOG_INFO, "reloaded the web config file", 2,
                   "file", e->cfg.web_config_path, "tls",
                   e->web.tls ? "on" : "off");
            return 0;
        }
    }
    /* Could not start with the new settings: go back to the old ones. */
    auth_fini(&e->auth);
    free_responses(e);
    web_config_free(&e->web);
    e->web = old;
    e->auth = old_auth;
    if (make_responses(e) == 0 && start_on_copy(e, (int)fd) == 0) {
        close((int)fd);
        log_kv(&e->cfg.log, LOG_ERROR,
               "cannot serve with the new web config: kept the old one", 1,
               "file", e->cfg.web_config_path);
        return -EINVAL;
    }
    close((int)fd);
    return -EIO;
}

void exporter_fini(struct exporter *e)
{
    if (e->daemon)
        MHD_stop_daemon(e->daemon);
    e->daemon = NULL;
    free_responses(e);
    auth_fini(&e->auth);
    web_config_free(&e->web);
    while (e->free_bodies) {
        struct body *b = e->free_bodies;

        e->free_bodies = b->next;
        ksm_buf_free(&b->text);
        ksm_buf_free(&b->gz);
        free(b);
    }
    if (e->z_ready)
        deflateEnd(&e->z);
    ksm_self_reader_free(e->self);
    ksm_sampler_free(e->sampler);
    memset(e, 0, sizeof(*e));
}
