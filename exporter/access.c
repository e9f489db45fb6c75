/* SPDX-License-Identifier: MIT */
/* Checks a request's client certificate and basic auth credentials. */
#include "access.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include <microhttpd.h>

bool access_client_cert_ok(const struct web_config *web,
                           struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info;
    gnutls_session_t session;
    unsigned int n = 0, status = 0;

    if (!web->tls || web->client_auth == CLIENT_AUTH_NONE)
        return true;
    info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!info || !info->tls_session)
        return false;
    session = (gnutls_session_t)info->tls_session;
    if (!gnutls_certificate_get_peers(session, &n) || n == 0)
        return web->client_auth != CLIENT_AUTH_REQUIRE_VERIFY;
    /* Signed by client_ca_file, and meant for clients (TLS WWW client). */
    char purpose[] = GNUTLS_KP_TLS_WWW_CLIENT;
    gnutls_typed_vdata_st want = {.type = GNUTLS_DT_KEY_PURPOSE_OID,
                                  .data = (unsigned char *)purpose};

    return gnutls_certificate_verify_peers(session, &want, 1, &status) >= 0 &&
           status == 0;
}

bool access_basic_auth_ok(struct auth *a, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info;
    char *pass = NULL;
    char *user;
    bool ok;

    if (a->cfg->nusers == 0)
        return true;
    info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    user = MHD_basic_auth_get_username_password(c, &pass);
    ok = user && pass &&
         auth_check(a, info ? info->client_addr : NULL, user, pass);
    if (pass) {
        explicit_bzero(pass, strlen(pass));
        MHD_free(pass);
    }
    if (user)
        MHD_free(user);
    return ok;
}
