/* SPDX-License-Identifier: MIT */
/* tls_server_config.client_allowed_sans: the client certificate's SANs. */
#ifndef KSM_EXPORTER_CLIENT_SAN_H
#define KSM_EXPORTER_CLIENT_SAN_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Whether the DER certificate cert has a DNS, IP, e-mail or URI subject
 * alternative name equal to one of the n strings of allowed, compared as
 * the exporter-toolkit does: byte for byte, IP addresses in Go's text
 * form (dotted IPv4, also for an IPv4-mapped IPv6 address; RFC 5952
 * IPv6).  False for a certificate that does not parse.
 */
bool client_san_allowed(const gnutls_datum_t *cert, char *const *allowed,
                        size_t n);

#endif
