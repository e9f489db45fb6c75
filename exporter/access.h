/* SPDX-License-Identifier: MIT */
/* Who may ask: TLS client certificates and basic auth, per request. */
#ifndef KSM_EXPORTER_ACCESS_H
#define KSM_EXPORTER_ACCESS_H

#include <stdbool.h>

#include "auth.h"
#include "webconfig.h"

struct MHD_Connection;

/*
 * Whether the connection's client certificate passes web's
 * client_auth_type and client_allowed_sans: always true without TLS or
 * with NoClientCert.
 */
bool access_client_cert_ok(const struct web_config *web,
                           struct MHD_Connection *c);

/*
 * Whether web's rate_limit lets one more request through (taking its
 * token): always true without one.  The toolkit checks it before basic
 * auth, after the TLS handshake; a refusal is answered 429.
 */
bool access_rate_ok(const struct web_config *web);

#endif
