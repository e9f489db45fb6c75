/* SPDX-License-Identifier: MIT */
/* The web config's tls_server_config, checked and made a GnuTLS priority. */
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>

#include "webconfig_internal.h"

/* An empty list (or null) is fine; anything else this cannot do. */
static int refuse_list(struct wc_ctx *x, const yaml_node_t *n, const char *key,
                       const char *why)
{
    if (wc_is_null(n) ||
        (n->type == YAML_SEQUENCE_NODE &&
         n->data.sequence.items.start == n->data.sequence.items.top))
        return 0;
    return wc_fail(x, n, "%s is not supported: %s", key, why);
}

static const char *const tls_versions[] = {"TLS10", "TLS11", "TLS12", "TLS13"};
static const char *const gnutls_versions[] = {"VERS-TLS1.0", "VERS-TLS1.1",
                                              "VERS-TLS1.2", "VERS-TLS1.3"};

static int tls_version(struct wc_ctx *x, const yaml_node_t *n, const char *key,
                       int *out)
{
    const char *s = wc_scalar(n);

    for (int i = 0; s && i < 4; i++) {
        if (strcmp(s, tls_versions[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return wc_fail(x, n, "%s: want TLS10, TLS11, TLS12 or TLS13", key);
}

/* What tls_server_config says beyond the files: it becomes priorities. */
struct tls_opts {
    int min, max;
    bool server_order;
    char groups[160];
    const yaml_node_t *cert_node; /* where a bad pair is reported */
};

static int curves(struct wc_ctx *x, const yaml_node_t *n, struct tls_opts *t)
{
    static const struct {
        const char *go, *gnutls;
    } map[] = {{"X25519", "GROUP-X25519"},
               {"CurveP256", "GROUP-SECP256R1"},
               {"CurveP384", "GROUP-SECP384R1"},
               {"CurveP521", "GROUP-SECP521R1"}};

    if (wc_is_null(n))
        return 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return wc_fail(x, n, "curve_preferences: want a list");
    for (yaml_node_item_t *i = n->data.sequence.items.start;
         i < n->data.sequence.items.top; i++) {
        const yaml_node_t *item = yaml_document_get_node(x->doc, *i);
        const char *s = wc_scalar(item);
        size_t k;

        for (k = 0; s && k < sizeof(map) / sizeof(map[0]); k++)
            if (strcmp(s, map[k].go) == 0)
                break;
        if (!s || k == sizeof(map) / sizeof(map[0]))
            return wc_fail(x, item,
                           "curve_preferences: want X25519, CurveP256, "
                           "CurveP384 or CurveP521");
        strncat(t->groups, ":+", sizeof(t->groups) - strlen(t->groups) - 1);
        strncat(t->groups, map[k].gnutls,
                sizeof(t->groups) - strlen(t->groups) - 1);
    }
    return 0;
}

static int client_auth(struct wc_ctx *x, const yaml_node_t *n)
{
    const char *s = wc_scalar(n);

    if (s && strcmp(s, "NoClientCert") == 0)
        x->c->client_auth = CLIENT_AUTH_NONE;
    else if (s && strcmp(s, "VerifyClientCertIfGiven") == 0)
        x->c->client_auth = CLIENT_AUTH_VERIFY_IF_GIVEN;
    else if (s && strcmp(s, "RequireAndVerifyClientCert") == 0)
        x->c->client_auth = CLIENT_AUTH_REQUIRE_VERIFY;
    else if (s && (strcmp(s, "RequestClientCert") == 0 ||
                   strcmp(s, "RequireAnyClientCert") == 0))
        return wc_fail(x, n,
                       "client_auth_type %s is not supported: GnuTLS through "
                       "libmicrohttpd asks for client certificates only to "
                       "verify them; use VerifyClientCertIfGiven or "
                       "RequireAndVerifyClientCert with client_ca_file",
                       s);
    else
        return wc_fail(x, n,
                       "client_auth_type: want NoClientCert, "
                       "VerifyClientCertIfGiven or RequireAndVerifyClientCert");
    return 0;
}

/* The keys that name the certificate, the key and the client CAs. */
static int tls_file_key(struct wc_ctx *x, const char *k, const yaml_node_t *v,
                        struct tls_opts *t)
{
    if (strcmp(k, "cert_file") == 0) {
        t->cert_node = v;
        return wc_read_file(x, v, k, &x->c->cert_pem);
    }
    if (strcmp(k, "key_file") == 0)
        return wc_read_file(x, v, k, &x->c->key_pem);
    if (strcmp(k, "cert") == 0) {
        t->cert_node = v;
        return wc_set_string(x, v, k, &x->c->cert_pem);
    }
    if (strcmp(k, "key") == 0)
        return wc_set_string(x, v, k, &x->c->key_pem);
    if (strcmp(k, "client_ca_file") == 0)
        return wc_is_null(v) ? 0 : wc_read_file(x, v, k, &x->c->client_ca_pem);
    return 1; /* not one of these */
}

/* One key of tls_server_config (a wc_pair_fn; arg is the struct tls_opts). */
static int tls_key(struct wc_ctx *x, const char *k, const yaml_node_t *kn,
                   const yaml_node_t *v, void *arg)
{
    struct tls_opts *t = arg;
    int rc;

    if (!k)
        return wc_fail(x, kn, "tls_server_config: keys must be strings");
    rc = tls_file_key(x, k, v, t);
    if (rc <= 0)
        return rc;
    if (strcmp(k, "client_auth_type") == 0)
        return client_auth(x, v);
    if (strcmp(k, "min_version") == 0)
        return tls_version(x, v, k, &t->min);
    if (strcmp(k, "max_version") == 0)
        return tls_version(x, v, k, &t->max);
    if (strcmp(k, "prefer_server_cipher_suites") == 0)
        return wc_get_bool(x, v, k, &t->server_order);
    if (strcmp(k, "curve_preferences") == 0)
        return curves(x, v, t);
    if (strcmp(k, "cipher_suites") == 0)
        return refuse_list(x, v, k,
                           "GnuTLS chooses ciphers by priority; set "
                           "min_version instead");
    if (strcmp(k, "client_allowed_sans") == 0)
        return refuse_list(x, v, k,
                           "any client certificate the CA signed is "
                           "accepted");
    return wc_fail(x, kn, "tls_server_config: unknown key \"%s\"", k);
}

/* The settings that only make sense together. */
static int tls_consistent(struct wc_ctx *x, const yaml_node_t *m,
                          const struct tls_opts *t)
{
    if (!x->c->cert_pem || !x->c->key_pem)
        return wc_fail(x, m,
                       "tls_server_config: needs cert_file (or cert) and "
                       "key_file (or key)");
    if (t->min > t->max)
        return wc_fail(x, m,
                       "tls_server_config: min_version is above "
                       "max_version");
    if (x->c->client_auth != CLIENT_AUTH_NONE && !x->c->client_ca_pem)
        return wc_fail(x, m,
                       "tls_server_config: client_auth_type needs "
                       "client_ca_file");
    if (x->c->client_auth == CLIENT_AUTH_NONE && x->c->client_ca_pem)
        return wc_fail(x, m,
                       "tls_server_config: client_ca_file is set but "
                       "client_auth_type is NoClientCert");
    return 0;
}

static gnutls_datum_t datum(char *pem)
{
    return (gnutls_datum_t){(unsigned char *)pem, (unsigned int)strlen(pem)};
}

/*
 * Loads the certificate, key and client CAs into throw-away credentials
 * now: a clear message rather than a failed start.
 */
static int tls_loadable(struct wc_ctx *x, const yaml_node_t *m,
                        const struct tls_opts *t)
{
    gnutls_certificate_credentials_t cred;
    gnutls_datum_t cert = datum(x->c->cert_pem), key = datum(x->c->key_pem);
    int rc;

    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        return wc_out_of_memory(x, m);
    rc = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key,
                                              GNUTLS_X509_FMT_PEM, NULL, 0);
    if (rc < 0) {
        gnutls_certificate_free_credentials(cred);
        return wc_fail(x, t->cert_node,
                       "tls_server_config: the certificate and key do not "
                       "load: %s",
                       gnutls_strerror(rc));
    }
    if (x->c->client_ca_pem) {
        gnutls_datum_t ca = datum(x->c->client_ca_pem);

        rc = gnutls_certificate_set_x509_trust_mem(cred, &ca,
                                                   GNUTLS_X509_FMT_PEM);
    } else {
        rc = 1; /* no client CAs to load */
    }
    gnutls_certificate_free_credentials(cred);
    if (rc <= 0)
        return wc_fail(x, m,
                       "tls_server_config: client_ca_file holds no "
                       "certificate: %s",
                       rc < 0 ? gnutls_strerror(rc) : "none found");
    return 0;
}

/* Turns the versions, curves and order into a GnuTLS priority string. */
static int tls_priorities(struct wc_ctx *x, const yaml_node_t *m,
                          const struct tls_opts *t)
{
    char prio[256];

    snprintf(prio, sizeof(prio), "NORMAL:-VERS-ALL");
    for (int i = t->max; i >= t->min; i--) {
        strncat(prio, ":+", sizeof(prio) - strlen(prio) - 1);
        strncat(prio, gnutls_versions[i], sizeof(prio) - strlen(prio) - 1);
    }
    if (t->groups[0]) {
        strncat(prio, ":-GROUP-ALL", sizeof(prio) - strlen(prio) - 1);
        strncat(prio, t->groups, sizeof(prio) - strlen(prio) - 1);
    }
    if (t->server_order)
        strncat(prio, ":%SERVER_PRECEDENCE", sizeof(prio) - strlen(prio) - 1);
    x->c->priorities = strdup(prio);
    return x->c->priorities ? 0 : wc_out_of_memory(x, m);
}

int wc_tls_section(struct wc_ctx *x, const yaml_node_t *m)
{
    struct tls_opts t = {.min = 2, .max = 3, .groups = "", .cert_node = m};
    int rc;

    rc = wc_mapping(x, m, "tls_server_config: want a mapping", true, tls_key,
                    &t);
    if (rc == 0)
        rc = tls_consistent(x, m, &t);
    if (rc == 0)
        rc = tls_loadable(x, m, &t);
    if (rc == 0)
        rc = tls_priorities(x, m, &t);
    if (rc == 0)
        x->c->tls = true;
    return rc;
}
