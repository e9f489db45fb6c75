/* SPDX-License-Identifier: MIT */
/* --web.config.file: TLS and basic auth in the exporter-toolkit format. */
#ifndef KSM_EXPORTER_WEBCONFIG_H
#define KSM_EXPORTER_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* tls_server_config.client_auth_type, as Go's crypto/tls names them. */
enum client_auth {
    CLIENT_AUTH_NONE,            /* NoClientCert */
    CLIENT_AUTH_REQUEST,         /* RequestClientCert: asked, not checked */
    CLIENT_AUTH_REQUIRE_ANY,     /* RequireAnyClientCert: needed, unchecked */
    CLIENT_AUTH_VERIFY_IF_GIVEN, /* VerifyClientCertIfGiven */
    CLIENT_AUTH_REQUIRE_VERIFY,  /* RequireAndVerifyClientCert */
};

struct ratelimit;

/*
 * A basic_auth_users entry (the user and its bcrypt hash, checked with
 * crypt_checksalt() at load) or an http_server_config header.
 */
struct web_pair {
    char *name;
    char *value;
};

struct web_config {
    bool tls;
    char *cert_pem;      /* the server certificate chain, PEM */
    char *key_pem;       /* its private key, PEM */
    char *client_ca_pem; /* CAs for client certificates, or NULL */
    /*
     * What libmicrohttpd gets as MHD_OPTION_HTTPS_MEM_TRUST, which makes
     * it ask for a client certificate: client_ca_pem, or for the types
     * that check no signature cert_pem (a list it needs, never used to
     * verify).  NULL: no certificate asked for.
     */
    char *trust_pem; /* not owned: one of the two */
    enum client_auth client_auth;
    char **allowed_sans; /* client_allowed_sans */
    size_t nallowed_sans;
    char *priorities;       /* GnuTLS priority string, or NULL */
    struct web_pair *users; /* value: the bcrypt hash */
    size_t nusers;
    struct web_pair *headers; /* http_server_config.headers */
    size_t nheaders;
    struct ratelimit *limiter; /* rate_limit, or NULL for none */
};

/*
 * Reads and checks the file at path into *out (zero it first).  Relative
 * file names in it are taken from the file's own directory, as the
 * exporter-toolkit does.  What it cannot honour is refused.
 *
 * Returns 0, or -EINVAL (a problem in the file or in a file it names) or
 * -ENOMEM, with one line in err naming the line and the key.  *out holds
 * nothing to free on failure.
 */
int web_config_load(const char *path, struct web_config *out, char *err,
                    size_t errlen);

/* Frees what web_config_load() filled; *c is zeroed. */
void web_config_free(struct web_config *c);

/* True when s and t are equal; takes the same time for every s of t's
 * length (for secrets). */
bool web_equal_secret(const char *s, const char *t);

#endif
