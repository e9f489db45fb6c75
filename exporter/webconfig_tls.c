/* SPDX-License-Identifier: MIT */
/* The web config's tls_server_config, checked and made a GnuTLS priority. */
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webconfig_internal.h"

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
    const yaml_node_t *ciphers;   /* read once the versions are known */
    const yaml_node_t *given[6];  /* the material[] keys seen, by index */
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
    static const struct {
        const char *name;
        enum client_auth value;
    } types[] = {
        {"", CLIENT_AUTH_NONE},
        {"NoClientCert", CLIENT_AUTH_NONE},
        {"RequestClientCert", CLIENT_AUTH_REQUEST},
        {"RequireAnyClientCert", CLIENT_AUTH_REQUIRE_ANY},
        /* The toolkit's older name for it, still accepted there. */
        {"RequireClientCert", CLIENT_AUTH_REQUIRE_ANY},
        {"VerifyClientCertIfGiven", CLIENT_AUTH_VERIFY_IF_GIVEN},
        {"RequireAndVerifyClientCert", CLIENT_AUTH_REQUIRE_VERIFY},
    };
    const char *s = wc_is_null(n) ? "" : wc_scalar(n);

    for (size_t i = 0; s && i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(s, types[i].name) == 0) {
            x->c->client_auth = types[i].value;
            return 0;
        }
    }
    return wc_fail(x, n,
                   "client_auth_type: want NoClientCert, RequestClientCert, "
                   "RequireAnyClientCert, VerifyClientCertIfGiven or "
                   "RequireAndVerifyClientCert");
}

/* client_allowed_sans: a list of strings, kept as they are. */
static int allowed_sans(struct wc_ctx *x, const yaml_node_t *n)
{
    struct web_config *c = x->c;

    if (wc_is_null(n))
        return 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return wc_fail(x, n, "client_allowed_sans: want a list of strings");
    /* The toolkit would refuse every client: say so rather than serve. */
    if (n->data.sequence.items.start == n->data.sequence.items.top)
        return wc_fail(x, n,
                       "client_allowed_sans: an empty list allows no "
                       "client; leave it out to allow every verified one");
    for (yaml_node_item_t *i = n->data.sequence.items.start;
         i < n->data.sequence.items.top; i++) {
        const yaml_node_t *item = yaml_document_get_node(x->doc, *i);
        const char *s = wc_scalar(item);
        char **grown;

        if (!s)
            return wc_fail(x, item, "client_allowed_sans: want a string");
        grown =
            realloc(c->allowed_sans, (c->nallowed_sans + 1) * sizeof(*grown));
        if (!grown)
            return wc_out_of_memory(x, item);
        c->allowed_sans = grown;
        grown[c->nallowed_sans] = strdup(s);
        if (!grown[c->nallowed_sans])
            return wc_out_of_memory(x, item);
        c->nallowed_sans++;
    }
    return 0;
}

/*
 * The certificate, the key and the client CAs, each inline or from a file
 * (one key of each pair at most: entry i ^ 1 is i's other form).
 */
static const struct {
    const char *key;
    bool file;
} material[] = {{"cert", false},      {"cert_file", true},
                {"key", false},       {"key_file", true},
                {"client_ca", false}, {"client_ca_file", true}};

static char **material_field(struct web_config *c, size_t i)
{
    return i < 2 ? &c->cert_pem : i < 4 ? &c->key_pem : &c->client_ca_pem;
}

/* One of the material[] keys; 1 when k is none of them. */
static int tls_file_key(struct wc_ctx *x, const char *k, const yaml_node_t *kn,
                        const yaml_node_t *v, struct tls_opts *t)
{
    size_t i;

    for (i = 0; i < sizeof(material) / sizeof(material[0]); i++)
        if (strcmp(k, material[i].key) == 0)
            break;
    if (i == sizeof(material) / sizeof(material[0]))
        return 1;
    if (wc_is_null(v))
        return 0; /* unset, as an empty string is for the toolkit */
    if (t->given[i ^ 1])
        return wc_fail(x, kn,
                       "tls_server_config: %s and %s are both given: "
                       "give one",
                       material[i ^ 1].key, k);
    t->given[i] = kn;
    if (i < 2)
        t->cert_node = v;
    if (material[i].file)
        return wc_read_file(x, v, k, material_field(x->c, i));
    return wc_set_string(x, v, k, material_field(x->c, i));
}

/* One key of tls_server_config (a wc_pair_fn; arg is the struct tls_opts). */
static int tls_key(struct wc_ctx *x, const char *k, const yaml_node_t *kn,
                   const yaml_node_t *v, void *arg)
{
    struct tls_opts *t = arg;
    int rc;

    if (!k)
        return wc_fail(x, kn, "tls_server_config: keys must be strings");
    rc = tls_file_key(x, k, kn, v, t);
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
    if (strcmp(k, "cipher_suites") == 0) {
        t->ciphers = v;
        return 0;
    }
    if (strcmp(k, "client_allowed_sans") == 0)
        return allowed_sans(x, v);
    return wc_fail(x, kn, "tls_server_config: unknown key \"%s\"", k);
}

/* The client certificate settings that only make sense together. */
static int client_consistent(struct wc_ctx *x, const yaml_node_t *m)
{
    enum client_auth a = x->c->client_auth;

    if (a >= CLIENT_AUTH_VERIFY_IF_GIVEN && !x->c->client_ca_pem)
        return wc_fail(x, m,
                       "tls_server_config: client_auth_type needs "
                       "client_ca_file (or client_ca): the system's CAs "
                       "are not taken for clients here");
    if (a == CLIENT_AUTH_NONE && x->c->client_ca_pem)
        return wc_fail(x, m,
                       "tls_server_config: client_ca_file (or client_ca) "
                       "is set but client_auth_type is NoClientCert");
    /* A SAN of a certificate nobody verified proves nothing. */
    if (a < CLIENT_AUTH_VERIFY_IF_GIVEN && x->c->nallowed_sans)
        return wc_fail(x, m,
                       "tls_server_config: client_allowed_sans needs "
                       "VerifyClientCertIfGiven or RequireAndVerifyClientCert: "
                       "the SANs of an unverified certificate prove nothing");
    /* libmicrohttpd asks for a certificate only when given a CA list. */
    if (x->c->client_ca_pem)
        x->c->trust_pem = x->c->client_ca_pem;
    else if (a != CLIENT_AUTH_NONE)
        x->c->trust_pem = x->c->cert_pem;
    return 0;
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
    return client_consistent(x, m);
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
                       "certificate (or client_ca): %s",
                       rc < 0 ? gnutls_strerror(rc) : "none found");
    return 0;
}

/* Turns the versions, curves, ciphers and order into GnuTLS priorities. */
static int tls_priorities(struct wc_ctx *x, const yaml_node_t *m,
                          struct tls_opts *t)
{
    char prio[512], ciphers[256];
    int rc = wc_cipher_priorities(x, t->ciphers, &t->min, t->max, ciphers,
                                  sizeof(ciphers));

    if (rc)
        return rc;
    snprintf(prio, sizeof(prio), "NORMAL:-VERS-ALL");
    for (int i = t->max; i >= t->min; i--) {
        strncat(prio, ":+", sizeof(prio) - strlen(prio) - 1);
        strncat(prio, gnutls_versions[i], sizeof(prio) - strlen(prio) - 1);
    }
    strncat(prio, ciphers, sizeof(prio) - strlen(prio) - 1);
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
    /* The toolkit's defaults: TLS 1.2 to 1.3, the server's order. */
    struct tls_opts t = {.min = WC_TLS12,
                         .max = WC_TLS13,
                         .server_order = true,
                         .groups = "",
                         .cert_node = m};
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
