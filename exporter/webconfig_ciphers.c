/* SPDX-License-Identifier: MIT */
/* tls_server_config.cipher_suites: Go's suite names as a GnuTLS priority. */
#include <stdio.h>
#include <string.h>

#include "webconfig_internal.h"

enum { KX_RSA, KX_ECDHE_RSA, KX_ECDHE_ECDSA, KX_COUNT, KX_TLS13 = KX_COUNT };
enum {
    C_AES128_CBC,
    C_AES256_CBC,
    C_AES128_GCM,
    C_AES256_GCM,
    C_CHACHA20,
    C_COUNT
};

static const char *const gnutls_kx[KX_COUNT] = {"RSA", "ECDHE-RSA",
                                                "ECDHE-ECDSA"};
static const char *const gnutls_cipher[C_COUNT] = {"AES-128-CBC", "AES-256-CBC",
                                                   "AES-128-GCM", "AES-256-GCM",
                                                   "CHACHA20-POLY1305"};

/*
 * Every name of Go's tls.CipherSuites(), which is what the exporter-
 * toolkit accepts.  The CBC ones use HMAC-SHA1, the others AEAD.
 */
static const struct {
    const char *name;
    int kx, cipher;
} suites[] = {
    {"TLS_RSA_WITH_AES_128_CBC_SHA", KX_RSA, C_AES128_CBC},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", KX_RSA, C_AES256_CBC},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", KX_RSA, C_AES128_GCM},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", KX_RSA, C_AES256_GCM},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", KX_ECDHE_ECDSA, C_AES128_CBC},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", KX_ECDHE_ECDSA, C_AES256_CBC},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", KX_ECDHE_RSA, C_AES128_CBC},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", KX_ECDHE_RSA, C_AES256_CBC},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", KX_ECDHE_ECDSA, C_AES128_GCM},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", KX_ECDHE_ECDSA, C_AES256_GCM},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", KX_ECDHE_RSA, C_AES128_GCM},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", KX_ECDHE_RSA, C_AES256_GCM},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", KX_ECDHE_RSA, C_CHACHA20},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", KX_ECDHE_ECDSA,
     C_CHACHA20},
    /* TLS 1.3's: accepted and without effect, as in Go. */
    {"TLS_AES_128_GCM_SHA256", KX_TLS13, -1},
    {"TLS_AES_256_GCM_SHA384", KX_TLS13, -1},
    {"TLS_CHACHA20_POLY1305_SHA256", KX_TLS13, -1},
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

/* What the list asks for, in the order first named. */
struct picked {
    bool suite[NSUITES];
    int kx[KX_COUNT], nkx;
    int cipher[C_COUNT], ncipher;
    bool tls12;
};

static void add_once(int *arr, int *n, int v)
{
    for (int i = 0; i < *n; i++)
        if (arr[i] == v)
            return;
    arr[(*n)++] = v;
}

static int pick(struct wc_ctx *x, const yaml_node_t *n, struct picked *p)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return wc_fail(x, n, "cipher_suites: want a list");
    for (yaml_node_item_t *i = n->data.sequence.items.start;
         i < n->data.sequence.items.top; i++) {
        const yaml_node_t *item = yaml_document_get_node(x->doc, *i);
        const char *s = wc_scalar(item);
        size_t k;

        for (k = 0; s && k < NSUITES; k++)
            if (strcmp(s, suites[k].name) == 0)
                break;
        if (!s || k == NSUITES)
            return wc_fail(x, item,
                           "cipher_suites: unknown cipher \"%s\" (want one "
                           "of Go's tls.CipherSuites() names)",
                           s ? s : "?");
        p->suite[k] = true;
        if (suites[k].kx == KX_TLS13)
            continue;
        p->tls12 = true;
        add_once(p->kx, &p->nkx, suites[k].kx);
        add_once(p->cipher, &p->ncipher, suites[k].cipher);
    }
    return 0;
}

/*
 * GnuTLS enables every suite made of an enabled key exchange, cipher and
 * MAC: refuses a list whose parts would make a suite it does not name.
 */
static int no_extra_suite(struct wc_ctx *x, const yaml_node_t *n,
                          const struct picked *p)
{
    for (size_t k = 0; k < NSUITES; k++) {
        bool kx = false, cipher = false;

        for (int i = 0; i < p->nkx; i++)
            kx |= p->kx[i] == suites[k].kx;
        for (int i = 0; i < p->ncipher; i++)
            cipher |= p->cipher[i] == suites[k].cipher;
        if (kx && cipher && !p->suite[k])
            return wc_fail(x, n,
                           "cipher_suites: GnuTLS enables key exchanges and "
                           "ciphers separately, so this list would also "
                           "allow %s: add it, or leave out the suite that "
                           "brings its key exchange or its cipher",
                           suites[k].name);
    }
    return 0;
}

static void put(char *out, size_t size, const char *a, const char *b)
{
    strncat(out, a, size - strlen(out) - 1);
    strncat(out, b, size - strlen(out) - 1);
}

/* The priority string's part for p's key exchanges, ciphers and MACs. */
static void fragment(const struct picked *p, char *out, size_t size)
{
    bool cbc = false, aead = false;

    snprintf(out, size, ":-KX-ALL:-CIPHER-ALL:-MAC-ALL");
    for (int i = 0; i < p->ncipher; i++) {
        put(out, size, ":+", gnutls_cipher[p->cipher[i]]);
        cbc |= p->cipher[i] <= C_AES256_CBC;
        aead |= p->cipher[i] > C_AES256_CBC;
    }
    if (aead)
        put(out, size, ":+", "AEAD");
    if (cbc)
        put(out, size, ":+", "SHA1");
    for (int i = 0; i < p->nkx; i++)
        put(out, size, ":+", gnutls_kx[p->kx[i]]);
}

/* Whether p has a suite Go's HTTP/2 server demands one of. */
static bool has_h2_suite(const struct picked *p)
{
    for (size_t k = 0; k < NSUITES; k++)
        if (p->suite[k] && suites[k].cipher == C_AES128_GCM &&
            suites[k].kx != KX_RSA)
            return true;
    return false;
}

/*
 * GnuTLS takes TLS 1.3's ciphers from the same list, where Go leaves them
 * alone: with TLS 1.3 allowed, one of them must be listed.
 */
static int tls13_has_cipher(struct wc_ctx *x, const yaml_node_t *n,
                            const struct picked *p)
{
    for (int i = 0; i < p->ncipher; i++)
        if (p->cipher[i] > C_AES256_CBC)
            return 0;
    return wc_fail(x, n,
                   "cipher_suites: TLS 1.3 is allowed (max_version TLS13, "
                   "the default) but GnuTLS takes its ciphers from this "
                   "list, which has no GCM or CHACHA20 suite: add one, or "
                   "set max_version: TLS12");
}

int wc_cipher_priorities(struct wc_ctx *x, const yaml_node_t *n, int *min,
                         int max, char *out, size_t size)
{
    struct picked p = {0};
    int rc;

    out[0] = '\0';
    if (wc_is_null(n))
        return 0;
    rc = pick(x, n, &p);
    if (rc || (n->data.sequence.items.start == n->data.sequence.items.top))
        return rc; /* an empty list: Go's defaults */
    if (!has_h2_suite(&p))
        x->h2_missing = n;
    if (!p.tls12) {
        /* Go offers no TLS 1.2 suite then: only TLS 1.3 can work. */
        if (max < WC_TLS13)
            return wc_fail(x, n,
                           "cipher_suites: only TLS 1.3 suites, which Go "
                           "does not configure, and max_version is below "
                           "TLS13: no connection could be made");
        *min = WC_TLS13;
        return 0;
    }
    rc = no_extra_suite(x, n, &p);
    if (rc == 0 && max == WC_TLS13)
        rc = tls13_has_cipher(x, n, &p);
    if (rc)
        return rc;
    fragment(&p, out, size);
    return 0;
}
