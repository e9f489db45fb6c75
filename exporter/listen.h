/* SPDX-License-Identifier: MIT */
/* --web.listen-address: parsing it and opening the listening socket. */
#ifndef KSM_EXPORTER_LISTEN_H
#define KSM_EXPORTER_LISTEN_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

struct listen_spec {
    char host[256]; /* empty: every address */
    uint16_t port;
};

/*
 * Splits host:port, :port or [ipv6]:port into *out.  Returns NULL, or a
 * message for the user saying what is wrong (this parser speaks to the
 * user, so it returns words rather than an errno).
 */
const char *listen_parse(const char *arg, struct listen_spec *out);

/*
 * Opens the listening socket of spec (close-on-exec, non-blocking).
 * Returns it and writes the bound address, with the real port, to bound;
 * or returns a negative errno (-EINVAL when the host does not resolve),
 * logged to lg.
 */
int listen_open(const struct listen_spec *spec, const struct logger *lg,
                char *bound, size_t size);

#endif
