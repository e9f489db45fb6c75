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
 * client_auth_type: always true without TLS or with NoClientCert.
 */
bool access_client_cert_ok(const struct web_config *web,
                           struct MHD_Connection *c);

/*
 * Whether the request's basic auth credentials pass a (always true when
 * no users are configured).  Wipes the password it read.
 */
bool access_basic_auth_ok(struct auth *a, struct MHD_Connection *c);

#endif
