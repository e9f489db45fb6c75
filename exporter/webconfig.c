/* SPDX-License-Identifier: MIT */
/* Reads the exporter-toolkit web config file with libyaml. */
#include "webconfig.h"

#include <crypt.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include "ratelimit.h"
#include "webconfig_internal.h"

/* Appends copies of name and value to the list *arr of *count pairs. */
static int add_pair(struct wc_ctx *x, const yaml_node_t *n,
                    struct web_pair **arr, size_t *count, const char *name,
                    const char *value)
{
    struct web_pair *grown = realloc(*arr, (*count + 1) * sizeof(**arr));

    if (!grown)
        return wc_out_of_memory(x, n);
    *arr = grown;
    grown[*count].name = strdup(name);
    grown[*count].value = strdup(value);
    (*count)++;
    if (!grown[*count - 1].name || !grown[*count - 1].value)
        return wc_out_of_memory(x, n);
    return 0;
}

/* One http_server_config header (a wc_pair_fn). */
static int header(struct wc_ctx *x, const char *name, const yaml_node_t *hn,
                  const yaml_node_t *hv, void *arg)
{
    static const char *const allowed[] = {
        "Strict-Transport-Security", "X-Frame-Options",
        "X-Content-Type-Options",    "X-XSS-Protection",
        "Content-Security-Policy",
    };
    const char *value = wc_scalar(hv);
    size_t i;

    (void)arg;
    /* Names as the toolkit spells them: it looks them up in a Go map. */
    for (i = 0; name && i < sizeof(allowed) / sizeof(allowed[0]); i++)
        if (strcmp(name, allowed[i]) == 0)
            break;
    if (!name || i == sizeof(allowed) / sizeof(allowed[0]))
        return wc_fail(x, hn, "headers: \"%s\" cannot be set here",
                       name ? name : "?");
    if (!value || strpbrk(value, "\r\n"))
        return wc_fail(x, hv, "headers: %s: want a one-line value", name);
    if (i == 1 && strcmp(value, "deny") != 0 &&
        strcmp(value, "sameorigin") != 0)
        return wc_fail(x, hv,
                       "headers: X-Frame-Options: want deny or sameorigin");
    if (i == 2 && strcmp(value, "nosniff") != 0)
        return wc_fail(x, hv, "headers: X-Content-Type-Options: want nosniff");
    return add_pair(x, hn, &x->c->headers, &x->c->nheaders, allowed[i], value);
}

/* One key of http_server_config (a wc_pair_fn). */
static int http_key(struct wc_ctx *x, const char *k, const yaml_node_t *kn,
                    const yaml_node_t *v, void *arg)
{
    bool http2;

    (void)arg;
    if (k && strcmp(k, "http2") == 0) {
        /* Served as HTTP/1.1 either way: libmicrohttpd has no HTTP/2. */
        int rc = wc_get_bool(x, v, k, &http2);

        x->http2_off = rc == 0 && !http2;
        return rc;
    }
    if (!k || strcmp(k, "headers") != 0)
        return wc_fail(x, kn, "http_server_config: unknown key \"%s\"",
                       k ? k : "?");
    return wc_mapping(x, v, "headers: want a mapping", true, header, NULL);
}

/* rate_limit's two keys, as the toolkit reads them. */
struct rate {
    int64_t interval_ns;
    int64_t burst;
};

/*
 * A time.Duration as go-yaml decodes it: a string for time.ParseDuration(),
 * or a plain integer of nanoseconds.
 */
static int duration(const char *s, int64_t *out)
{
    char *end;
    long long ns;

    if (ratelimit_parse_duration(s, out) == 0)
        return 0;
    errno = 0;
    ns = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -EINVAL;
    *out = ns;
    return 0;
}

/* One key of rate_limit (a wc_pair_fn; arg is the struct rate). */
static int rate_key(struct wc_ctx *x, const char *k, const yaml_node_t *kn,
                    const yaml_node_t *v, void *arg)
{
    struct rate *r = arg;
    const char *s = wc_scalar(v);
    char *end;

    if (k && strcmp(k, "interval") == 0) {
        if (!wc_is_null(v) && (!s || duration(s, &r->interval_ns) != 0))
            return wc_fail(x, v,
                           "rate_limit: interval: want a duration such as "
                           "1s, 250ms or 1m30s");
        return 0;
    }
    if (!k || strcmp(k, "burst") != 0)
        return wc_fail(x, kn,
                       "rate_limit: unknown key \"%s\" (want interval or "
                       "burst)",
                       k ? k : "?");
    if (wc_is_null(v))
        return 0;
    errno = 0;
    r->burst = s ? strtoll(s, &end, 10) : 0;
    if (!s || errno || end == s || *end)
        return wc_fail(x, v, "rate_limit: burst: want an integer");
    return 0;
}

/* rate_limit: a limiter when interval is not 0, as in the toolkit. */
static int rate_section(struct wc_ctx *x, const yaml_node_t *m)
{
    struct rate r = {0, 0};
    int rc = wc_mapping(x, m, "rate_limit: want a mapping", true, rate_key, &r);

    if (rc || r.interval_ns == 0)
        return rc;
    ratelimit_free(x->c->limiter);
    x->c->limiter = ratelimit_new(r.interval_ns, r.burst);
    return x->c->limiter ? 0 : wc_out_of_memory(x, m);
}

static int http_section(struct wc_ctx *x, const yaml_node_t *m)
{
    return wc_mapping(x, m, "http_server_config: want a mapping", true,
                      http_key, NULL);
}

/*
 * One basic_auth_users entry (a wc_pair_fn).  A repeated user is refused
 * here, after the hash check, with the section's name in the message.
 */
static int user(struct wc_ctx *x, const char *name, const yaml_node_t *kn,
                const yaml_node_t *v, void *arg)
{
    const char *hash = wc_scalar(v);

    (void)arg;
    if (!name || !name[0] || strchr(name, ':'))
        return wc_fail(x, kn,
                       "basic_auth_users: a user name must be a "
                       "non-empty string without ':'");
    if (!hash || strncmp(hash, "$2", 2) != 0 ||
        crypt_checksalt(hash) != CRYPT_SALT_OK)
        return wc_fail(x, v,
                       "basic_auth_users: %s: not a bcrypt hash (want "
                       "$2y$... or $2b$..., e.g. from htpasswd -nbB)",
                       name);
    for (size_t i = 0; i < x->c->nusers; i++)
        if (strcmp(x->c->users[i].name, name) == 0)
            return wc_fail(x, kn, "basic_auth_users: %s appears twice", name);
    return add_pair(x, kn, &x->c->users, &x->c->nusers, name, hash);
}

static int users_section(struct wc_ctx *x, const yaml_node_t *m)
{
    return wc_mapping(x, m, "basic_auth_users: want a mapping of user: hash",
                      false, user, NULL);
}

/* One top-level key (a wc_pair_fn). */
static int top_key(struct wc_ctx *x, const char *k, const yaml_node_t *kn,
                   const yaml_node_t *v, void *arg)
{
    (void)arg;
    if (k && strcmp(k, "tls_server_config") == 0)
        return wc_is_null(v) ? 0 : wc_tls_section(x, v);
    if (k && strcmp(k, "http_server_config") == 0)
        return http_section(x, v);
    if (k && strcmp(k, "basic_auth_users") == 0)
        return users_section(x, v);
    if (k && strcmp(k, "rate_limit") == 0)
        return rate_section(x, v);
    return wc_fail(x, kn,
                   "unknown key \"%s\" (want tls_server_config, "
                   "http_server_config, basic_auth_users or rate_limit)",
                   k ? k : "?");
}

static int walk(struct wc_ctx *x)
{
    /* An empty file (no root, or a null one) means plain HTTP, no auth. */
    int rc = wc_mapping(x, yaml_document_get_root_node(x->doc),
                        "want a mapping at the top", true, top_key, NULL);

    /* The toolkit fails to start then: Go's http2.ConfigureServer(). */
    if (rc == 0 && x->h2_missing && !x->http2_off)
        rc = wc_fail(x, x->h2_missing,
                     "cipher_suites: with http2 on (the default) the "
                     "toolkit needs TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 or "
                     "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 in the list: "
                     "add one, or set http_server_config.http2: false");
    return rc;
}

#define MAX_DEPTH 16

/*
 * Before building the document: at most 1 MiB, nested at most MAX_DEPTH
 * deep (libyaml's loader slows down with the square of the depth).  Leaves
 * f rewound.  0, or -EINVAL with the reason in err.
 */
static int prescan(FILE *f, char *err, size_t errlen)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct stat st;
    int depth = 0, rc = 0;

    if (fstat(fileno(f), &st) != 0 || st.st_size > WC_MAX_FILE) {
        snprintf(err, errlen, "the file is larger than 1 MiB");
        return -EINVAL;
    }
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    for (;;) {
        if (!yaml_parser_parse(&parser, &ev))
            break; /* the loader reports syntax errors with their line */
        if (ev.type == YAML_MAPPING_START_EVENT ||
            ev.type == YAML_SEQUENCE_START_EVENT) {
            if (++depth > MAX_DEPTH) {
                snprintf(err, errlen, "line %lu: nested deeper than %d levels",
                         (unsigned long)ev.start_mark.line + 1, MAX_DEPTH);
                rc = -EINVAL;
            }
        } else if (ev.type == YAML_MAPPING_END_EVENT ||
                   ev.type == YAML_SEQUENCE_END_EVENT) {
            depth--;
        }
        if (ev.type == YAML_STREAM_END_EVENT || rc) {
            yaml_event_delete(&ev);
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    rewind(f);
    return rc;
}

/* Builds the document from f (prescanned) and walks it into x->c. */
static int load(struct wc_ctx *x, FILE *f)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc = -EINVAL;

    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(x->err, x->errlen, "line %lu: YAML: %s%s%s",
                 (unsigned long)parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "syntax error",
                 parser.context ? " " : "",
                 parser.context ? parser.context : "");
        goto out;
    }
    x->doc = &doc;
    rc = walk(x);
    x->doc = NULL;
    yaml_document_delete(&doc);
out:
    yaml_parser_delete(&parser);
    return rc;
}

int web_config_load(const char *path, struct web_config *out, char *err,
                    size_t errlen)
{
    char *copy = strdup(path);
    struct wc_ctx x = {.err = err, .errlen = errlen, .c = out};
    FILE *f;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    x.dir = dirname(copy);
    f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        rc = -EINVAL;
        goto out_copy;
    }
    rc = prescan(f, err, errlen);
    if (rc == 0)
        rc = load(&x, f);
    fclose(f);
out_copy:
    free(copy);
    if (rc)
        web_config_free(out);
    return rc;
}

static void free_pairs(struct web_pair *arr, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(arr[i].name);
        free(arr[i].value);
    }
    free(arr);
}

void web_config_free(struct web_config *c)
{
    free_pairs(c->users, c->nusers);
    free_pairs(c->headers, c->nheaders);
    free(c->cert_pem);
    /* The private key does not linger in freed memory. */
    wc_free_secret(c->key_pem);
    free(c->client_ca_pem);
    for (size_t i = 0; i < c->nallowed_sans; i++)
        free(c->allowed_sans[i]);
    free(c->allowed_sans);
    free(c->priorities);
    ratelimit_free(c->limiter);
    memset(c, 0, sizeof(*c));
}

bool web_equal_secret(const char *s, const char *t)
{
    size_t n = strlen(t);
    /* Lengths differ: still walk t, so that the time says nothing more. */
    const char *a = strlen(s) == n ? s : t;
    unsigned char diff = a != s;

    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ t[i]);
    return diff == 0;
}
