/* SPDX-License-Identifier: MIT */
/* Reads the exporter-toolkit web config file with libyaml. */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <yaml.h>

#include "webconfig.h"

#define MAX_FILE (1 << 20)

struct ctx {
    yaml_document_t *doc;
    const char *dir; /* the config file's directory */
    char *err;
    size_t errlen;
    struct web_config *c;
};

__attribute__((format(printf, 3, 4))) static int fail(struct ctx *x,
                                                      const yaml_node_t *n,
                                                      const char *fmt, ...)
{
    va_list ap;
    int off = snprintf(x->err, x->errlen, "line %lu: ",
                       n ? (unsigned long)n->start_mark.line + 1 : 1UL);

    if (off < 0 || (size_t)off >= x->errlen)
        return -1;
    va_start(ap, fmt);
    vsnprintf(x->err + off, x->errlen - (size_t)off, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

static bool is_null(const yaml_node_t *n)
{
    const char *s = scalar(n);

    return n == NULL ||
           (s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            (s[0] == '\0' || strcmp(s, "null") == 0 || strcmp(s, "~") == 0));
}

static int get_bool(struct ctx *x, const yaml_node_t *n, const char *key,
                    bool *out)
{
    const char *s = scalar(n);

    if (s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
        *out = s[0] == 't';
        return 0;
    }
    return fail(x, n, "%s: want true or false", key);
}

/* Frees a buffer that may hold key material, zeroing it first. */
static void free_secret(char *p)
{
    if (p)
        explicit_bzero(p, strlen(p));
    free(p);
}

/*
 * Reads a whole file named in the config, relative to its directory.  No
 * stdio: its buffers would keep a private key's bytes after fclose().
 */
static int read_file(struct ctx *x, const yaml_node_t *n, const char *key,
                     char **out)
{
    const char *name = scalar(n);
    char path[4096];
    struct stat st;
    size_t len = 0;
    char *buf;
    int fd;

    if (!name || !name[0])
        return fail(x, n, "%s: want a file name", key);
    if (name[0] == '/')
        snprintf(path, sizeof(path), "%s", name);
    else
        snprintf(path, sizeof(path), "%s/%s", x->dir, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(x, n, "%s: cannot read %s: %s", key, path,
                    strerror(errno));
    if (fstat(fd, &st) != 0 || st.st_size > MAX_FILE) {
        close(fd);
        return fail(x, n, "%s: %s is not a file of at most 1 MiB", key, path);
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return fail(x, n, "%s: out of memory", key);
    }
    while (len < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    free_secret(*out);
    *out = buf;
    return 0;
}

/* A key given twice in one mapping is refused, as the toolkit does. */
static int check_unique(struct ctx *x, const yaml_node_t *m,
                        const yaml_node_pair_t *p)
{
    const char *k = scalar(yaml_document_get_node(x->doc, p->key));

    for (const yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++) {
        const char *o = scalar(yaml_document_get_node(x->doc, q->key));

        if (k && o && strcmp(k, o) == 0)
            return fail(x, yaml_document_get_node(x->doc, p->key),
                        "\"%s\" appears twice", k);
    }
    return 0;
}

static int set_string(struct ctx *x, const yaml_node_t *n, const char *key,
                      char **out)
{
    const char *s = scalar(n);

    if (!s || !s[0])
        return fail(x, n, "%s: want a string", key);
    free_secret(*out);
    *out = strdup(s);
    return *out ? 0 : fail(x, n, "out of memory");
}

/* An empty list (or null) is fine; anything else this cannot do. */
static int refuse_list(struct ctx *x, const yaml_node_t *n, const char *key,
                       const char *why)
{
    if (is_null(n) ||
        (n->type == YAML_SEQUENCE_NODE &&
         n->data.sequence.items.start == n->data.sequence.items.top))
        return 0;
    return fail(x, n, "%s is not supported: %s", key, why);
}

static const char *const tls_versions[] = {"TLS10", "TLS11", "TLS12",
                                           "TLS13"};
static const char *const gnutls_versions[] = {"VERS-TLS1.0", "VERS-TLS1.1",
                                              "VERS-TLS1.2", "VERS-TLS1.3"};

static int tls_version(struct ctx *x, const yaml_node_t *n, const char *key,
                       int *out)
{
    const char *s = scalar(n);

    for (int i = 0; s && i < 4; i++) {
        if (strcmp(s, tls_versions[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return fail(x, n, "%s: want TLS10, TLS11, TLS12 or TLS13", key);
}

struct tls_opts {
    int min, max;
    bool server_order;
    char groups[160];
};

static int curves(struct ctx *x, const yaml_node_t *n, struct tls_opts *t)
{
    static const struct {
        const char *go, *gnutls;
    } map[] = {{"X25519", "GROUP-X25519"},
               {"CurveP256", "GROUP-SECP256R1"},
               {"CurveP384", "GROUP-SECP384R1"},
               {"CurveP521", "GROUP-SECP521R1"}};

    if (is_null(n))
        return 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(x, n, "curve_preferences: want a list");
    for (yaml_node_item_t *i = n->data.sequence.items.start;
         i < n->data.sequence.items.top; i++) {
        const yaml_node_t *item = yaml_document_get_node(x->doc, *i);
        const char *s = scalar(item);
        size_t k;

        for (k = 0; s && k < sizeof(map) / sizeof(map[0]); k++)
            if (strcmp(s, map[k].go) == 0)
                break;
        if (!s || k == sizeof(map) / sizeof(map[0]))
            return fail(x, item,
                        "curve_preferences: want X25519, CurveP256, "
                        "CurveP384 or CurveP521");
        strncat(t->groups, ":+", sizeof(t->groups) - strlen(t->groups) - 1);
        strncat(t->groups, map[k].gnutls,
                sizeof(t->groups) - strlen(t->groups) - 1);
    }
    return 0;
}

static int client_auth(struct ctx *x, const yaml_node_t *n)
{
    const char *s = scalar(n);

    if (s && strcmp(s, "NoClientCert") == 0)
        x->c->client_auth = CLIENT_AUTH_NONE;
    else if (s && strcmp(s, "VerifyClientCertIfGiven") == 0)
        x->c->client_auth = CLIENT_AUTH_VERIFY_IF_GIVEN;
    else if (s && strcmp(s, "RequireAndVerifyClientCert") == 0)
        x->c->client_auth = CLIENT_AUTH_REQUIRE_VERIFY;
    else if (s && (strcmp(s, "RequestClientCert") == 0 ||
                   strcmp(s, "RequireAnyClientCert") == 0))
        return fail(x, n,
                    "client_auth_type %s is not supported: GnuTLS through "
                    "libmicrohttpd asks for client certificates only to "
                    "verify them; use VerifyClientCertIfGiven or "
                    "RequireAndVerifyClientCert with client_ca_file",
                    s);
    else
        return fail(x, n,
                    "client_auth_type: want NoClientCert, "
                    "VerifyClientCertIfGiven or RequireAndVerifyClientCert");
    return 0;
}

static int tls_section(struct ctx *x, const yaml_node_t *m)
{
    struct tls_opts t = {.min = 2, .max = 3, .groups = ""};
    const yaml_node_t *cert_node = m;
    char prio[256];

    if (m->type != YAML_MAPPING_NODE)
        return fail(x, m, "tls_server_config: want a mapping");
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
         p < m->data.mapping.pairs.top; p++) {
        const yaml_node_t *kn = yaml_document_get_node(x->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(x->doc, p->value);
        const char *k = scalar(kn);
        int rc;

        if (!k)
            return fail(x, kn, "tls_server_config: keys must be strings");
        if (check_unique(x, m, p))
            return -1;
        if (strcmp(k, "cert_file") == 0) {
            rc = read_file(x, v, k, &x->c->cert_pem);
            cert_node = v;
        } else if (strcmp(k, "key_file") == 0) {
            rc = read_file(x, v, k, &x->c->key_pem);
        } else if (strcmp(k, "cert") == 0) {
            rc = set_string(x, v, k, &x->c->cert_pem);
            cert_node = v;
        } else if (strcmp(k, "key") == 0) {
            rc = set_string(x, v, k, &x->c->key_pem);
        } else if (strcmp(k, "client_ca_file") == 0) {
            rc = is_null(v) ? 0 : read_file(x, v, k, &x->c->client_ca_pem);
        } else if (strcmp(k, "client_auth_type") == 0) {
            rc = client_auth(x, v);
        } else if (strcmp(k, "min_version") == 0) {
            rc = tls_version(x, v, k, &t.min);
        } else if (strcmp(k, "max_version") == 0) {
            rc = tls_version(x, v, k, &t.max);
        } else if (strcmp(k, "prefer_server_cipher_suites") == 0) {
            rc = get_bool(x, v, k, &t.server_order);
        } else if (strcmp(k, "curve_preferences") == 0) {
            rc = curves(x, v, &t);
        } else if (strcmp(k, "cipher_suites") == 0) {
            rc = refuse_list(x, v, k,
                             "GnuTLS chooses ciphers by priority; set "
                             "min_version instead");
        } else if (strcmp(k, "client_allowed_sans") == 0) {
            rc = refuse_list(x, v, k,
                             "any client certificate the CA signed is "
                             "accepted");
        } else {
            return fail(x, kn, "tls_server_config: unknown key \"%s\"", k);
        }
        if (rc)
            return rc;
    }
    if (!x->c->cert_pem || !x->c->key_pem)
        return fail(x, m,
                    "tls_server_config: needs cert_file (or cert) and "
                    "key_file (or key)");
    if (t.min > t.max)
        return fail(x, m, "tls_server_config: min_version is above "
                          "max_version");
    if (x->c->client_auth != CLIENT_AUTH_NONE && !x->c->client_ca_pem)
        return fail(x, m,
                    "tls_server_config: client_auth_type needs "
                    "client_ca_file");
    if (x->c->client_auth == CLIENT_AUTH_NONE && x->c->client_ca_pem)
        return fail(x, m,
                    "tls_server_config: client_ca_file is set but "
                    "client_auth_type is NoClientCert");
    /* Check the pair now: a clear message rather than a failed start. */
    {
        gnutls_certificate_credentials_t cred;
        gnutls_datum_t c = {(unsigned char *)x->c->cert_pem,
                            (unsigned int)strlen(x->c->cert_pem)};
        gnutls_datum_t k = {(unsigned char *)x->c->key_pem,
                            (unsigned int)strlen(x->c->key_pem)};
        int rc;

        if (gnutls_certificate_allocate_credentials(&cred) < 0)
            return fail(x, m, "out of memory");
        rc = gnutls_certificate_set_x509_key_mem2(cred, &c, &k,
                                                  GNUTLS_X509_FMT_PEM, NULL, 0);
        gnutls_certificate_free_credentials(cred);
        if (rc < 0)
            return fail(x, cert_node,
                        "tls_server_config: the certificate and key do not "
                        "load: %s",
                        gnutls_strerror(rc));
    }
    if (x->c->client_ca_pem) {
        gnutls_certificate_credentials_t cred;
        gnutls_datum_t ca = {(unsigned char *)x->c->client_ca_pem,
                             (unsigned int)strlen(x->c->client_ca_pem)};
        int rc;

        if (gnutls_certificate_allocate_credentials(&cred) < 0)
            return fail(x, m, "out of memory");
        rc = gnutls_certificate_set_x509_trust_mem(cred, &ca,
                                                   GNUTLS_X509_FMT_PEM);
        gnutls_certificate_free_credentials(cred);
        if (rc <= 0)
            return fail(x, m,
                        "tls_server_config: client_ca_file holds no "
                        "certificate: %s",
                        rc < 0 ? gnutls_strerror(rc) : "none found");
    }
    snprintf(prio, sizeof(prio), "NORMAL:-VERS-ALL");
    for (int i = t.max; i >= t.min; i--) {
        strncat(prio, ":+", sizeof(prio) - strlen(prio) - 1);
        strncat(prio, gnutls_versions[i], sizeof(prio) - strlen(prio) - 1);
    }
    if (t.groups[0]) {
        strncat(prio, ":-GROUP-ALL", sizeof(prio) - strlen(prio) - 1);
        strncat(prio, t.groups, sizeof(prio) - strlen(prio) - 1);
    }
    if (t.server_order)
        strncat(prio, ":%SERVER_PRECEDENCE", sizeof(prio) - strlen(prio) - 1);
    x->c->priorities = strdup(prio);
    x->c->tls = true;
    return x->c->priorities ? 0 : fail(x, m, "out of memory");
}

static int http_section(struct ctx *x, const yaml_node_t *m)
{
    static const char *const allowed[] = {
        "Strict-Transport-Security", "X-Frame-Options",
        "X-Content-Type-Options",    "X-XSS-Protection",
        "Content-Security-Policy",
    };

    if (is_null(m))
        return 0;
    if (m->type != YAML_MAPPING_NODE)
        return fail(x, m, "http_server_config: want a mapping");
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
         p < m->data.mapping.pairs.top; p++) {
        const yaml_node_t *kn = yaml_document_get_node(x->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(x->doc, p->value);
        const char *k = scalar(kn);
        bool http2;

        if (check_unique(x, m, p))
            return -1;
        if (k && strcmp(k, "http2") == 0) {
            /* Served as HTTP/1.1 either way: libmicrohttpd has no HTTP/2. */
            if (get_bool(x, v, k, &http2))
                return -1;
            continue;
        }
        if (!k || strcmp(k, "headers") != 0)
            return fail(x, kn, "http_server_config: unknown key \"%s\"",
                        k ? k : "?");
        if (is_null(v))
            continue;
        if (v->type != YAML_MAPPING_NODE)
            return fail(x, v, "headers: want a mapping");
        for (yaml_node_pair_t *h = v->data.mapping.pairs.start;
             h < v->data.mapping.pairs.top; h++) {
            const yaml_node_t *hn = yaml_document_get_node(x->doc, h->key);
            const yaml_node_t *hv = yaml_document_get_node(x->doc, h->value);
            const char *name = scalar(hn), *value = scalar(hv);
            struct web_header *arr;
            size_t i;

            if (check_unique(x, v, h))
                return -1;
            for (i = 0; name && i < sizeof(allowed) / sizeof(allowed[0]); i++)
                if (strcasecmp(name, allowed[i]) == 0)
                    break;
            if (!name || i == sizeof(allowed) / sizeof(allowed[0]))
                return fail(x, hn, "headers: \"%s\" cannot be set here",
                            name ? name : "?");
            if (!value || strpbrk(value, "\r\n"))
                return fail(x, hv, "headers: %s: want a one-line value",
                            name);
            arr = realloc(x->c->headers,
                          (x->c->nheaders + 1) * sizeof(*x->c->headers));
            if (!arr)
                return fail(x, hn, "out of memory");
            x->c->headers = arr;
            arr[x->c->nheaders].name = strdup(allowed[i]);
            arr[x->c->nheaders].value = strdup(value);
            x->c->nheaders++;
            if (!arr[x->c->nheaders - 1].name ||
                !arr[x->c->nheaders - 1].value)
                return fail(x, hn, "out of memory");
        }
    }
    return 0;
}

static int users_section(struct ctx *x, const yaml_node_t *m)
{
    if (is_null(m))
        return 0;
    if (m->type != YAML_MAPPING_NODE)
        return fail(x, m, "basic_auth_users: want a mapping of user: hash");
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
         p < m->data.mapping.pairs.top; p++) {
        const yaml_node_t *kn = yaml_document_get_node(x->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(x->doc, p->value);
        const char *user = scalar(kn), *hash = scalar(v);
        struct web_user *arr;

        if (!user || !user[0] || strchr(user, ':'))
            return fail(x, kn, "basic_auth_users: a user name must be a "
                               "non-empty string without ':'");
        if (!hash || strncmp(hash, "$2", 2) != 0 ||
            crypt_checksalt(hash) != CRYPT_SALT_OK)
            return fail(x, v,
                        "basic_auth_users: %s: not a bcrypt hash (want "
                        "$2y$... or $2b$..., e.g. from htpasswd -nbB)",
                        user);
        for (size_t i = 0; i < x->c->nusers; i++)
            if (strcmp(x->c->users[i].name, user) == 0)
                return fail(x, kn, "basic_auth_users: %s appears twice",
                            user);
        arr = realloc(x->c->users, (x->c->nusers + 1) * sizeof(*arr));
        if (!arr)
            return fail(x, kn, "out of memory");
        x->c->users = arr;
        arr[x->c->nusers].name = strdup(user);
        arr[x->c->nusers].hash = strdup(hash);
        x->c->nusers++;
        if (!arr[x->c->nusers - 1].name || !arr[x->c->nusers - 1].hash)
            return fail(x, kn, "out of memory");
    }
    return 0;
}

static int walk(struct ctx *x)
{
    const yaml_node_t *root = yaml_document_get_root_node(x->doc);

    if (!root || is_null(root))
        return 0; /* an empty file: plain HTTP, no auth */
    if (root->type != YAML_MAPPING_NODE)
        return fail(x, root, "want a mapping at the top");
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         p < root->data.mapping.pairs.top; p++) {
        const yaml_node_t *kn = yaml_document_get_node(x->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(x->doc, p->value);
        const char *k = scalar(kn);
        int rc;

        if (check_unique(x, root, p))
            return -1;
        if (k && strcmp(k, "tls_server_config") == 0)
            rc = is_null(v) ? 0 : tls_section(x, v);
        else if (k && strcmp(k, "http_server_config") == 0)
            rc = http_section(x, v);
        else if (k && strcmp(k, "basic_auth_users") == 0)
            rc = users_section(x, v);
        else
            return fail(x, kn, "unknown key \"%s\" (want tls_server_config, "
                               "http_server_config or basic_auth_users)",
                        k ? k : "?");
        if (rc)
            return rc;
    }
    return 0;
}

#define MAX_DEPTH 16

/*
 * Before building the document: at most 1 MiB, nested at most MAX_DEPTH
 * deep (libyaml's loader slows down with the square of the depth).  Leaves
 * f rewound.  0, or -1 with the reason in err.
 */
static int prescan(FILE *f, char *err, size_t errlen)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct stat st;
    int depth = 0, rc = 0;

    if (fstat(fileno(f), &st) != 0 || st.st_size > MAX_FILE) {
        snprintf(err, errlen, "the file is larger than 1 MiB");
        return -1;
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
                rc = -1;
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

int web_config_load(const char *path, struct web_config *out, char *err,
                    size_t errlen)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    char *copy = strdup(path);
    struct ctx x = {.doc = &doc, .err = err, .errlen = errlen, .c = out};
    FILE *f;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    x.dir = dirname(copy);
    f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        free(copy);
        return -1;
    }
    if (prescan(f, err, errlen) != 0) {
        fclose(f);
        free(copy);
        return -1;
    }
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(err, errlen, "line %lu: YAML: %s%s%s",
                 (unsigned long)parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "syntax error",
                 parser.context ? " " : "",
                 parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        fclose(f);
        free(copy);
        return -1;
    }
    rc = walk(&x);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    free(copy);
    if (rc)
        web_config_free(out);
    return rc;
}

void web_config_free(struct web_config *c)
{
    for (size_t i = 0; i < c->nusers; i++) {
        free(c->users[i].name);
        free(c->users[i].hash);
    }
    for (size_t i = 0; i < c->nheaders; i++) {
        free(c->headers[i].name);
        free(c->headers[i].value);
    }
    free(c->users);
    free(c->headers);
    free(c->cert_pem);
    /* The private key does not linger in freed memory. */
    free_secret(c->key_pem);
    free(c->client_ca_pem);
    free(c->priorities);
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
