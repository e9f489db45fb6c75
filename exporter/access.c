/* SPDX-License-Identifier: MIT */
/* Checks a request's client certificate and basic auth credentials. */
#include "access.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include <microhttpd.h>

#include "client_san.h"
#include "ratelimit.h"

/* Whether the chain's first certificate is signed by client_ca_file. */
static bool verified(gnutls_session_t session)
{
    /* Signed by client_ca_file, and meant for clients (TLS WWW client). */
    char purpose[] = GNUTLS_KP_TLS_WWW_CLIENT;
    gnutls_typed_vdata_st want = {.type = GNUTLS_DT_KEY_PURPOSE_OID,
                                  .data = (unsigned char *)purpose};
    unsigned int status = 0;

    return gnutls_certificate_verify_peers(session, &want, 1, &status) >= 0 &&
           status == 0;
}

bool access_client_cert_ok(const struct web_config *web,
                           struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info;
    const gnutls_datum_t *peers;
    gnutls_session_t session;
    unsigned int n = 0;

    if (!web->tls || web->client_auth == CLIENT_AUTH_NONE)
        return true;
    info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!info || !info->tls_session)
        return false;
    session = (gnutls_session_t)info->tls_session;
    peers = gnutls_certificate_get_peers(session, &n);
    if (!peers || n == 0)
        /* The toolkit's SAN check fails the handshake without one. */
        return web->nallowed_sans == 0 &&
               (web->client_auth == CLIENT_AUTH_REQUEST ||
                web->client_auth == CLIENT_AUTH_VERIFY_IF_GIVEN);
    if (web->client_auth >= CLIENT_AUTH_VERIFY_IF_GIVEN && !verified(session))
        return false;
    /* As Go does it: on the certificate sent, verified or not. */
    return web->nallowed_sans == 0 ||
           client_san_allowed(&peers[0], web->allowed_sans, web->nallowed_sans);
}

bool access_rate_ok(const struct web_config *web)
{
    return ratelimit_allow(web->limiter);
}
