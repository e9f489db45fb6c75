/* SPDX-License-Identifier: MIT */
/* Content negotiation: the Accept and Accept-Encoding request headers. */
#ifndef KSM_EXPORTER_NEGOTIATE_H
#define KSM_EXPORTER_NEGOTIATE_H

#include <stdbool.h>

#include "ksm/render.h"

/*
 * Which format an Accept header (NULL when absent) asks for: OpenMetrics
 * when the client ranks application/openmetrics-text above text/plain,
 * else text.
 */
enum ksm_format exporter_negotiate(const char *accept);

/*
 * Whether an Accept-Encoding header (NULL when absent) accepts gzip with
 * q > 0.
 */
bool exporter_accepts_gzip(const char *accept_encoding);

#endif
