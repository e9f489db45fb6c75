/* SPDX-License-Identifier: MIT */
/* Basic auth against bcrypt hashes, with a cache of good credentials. */
#ifndef KSM_EXPORTER_AUTH_H
#define KSM_EXPORTER_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "webconfig.h"

#define AUTH_CACHE 64

struct crypt_data;

struct auth {
    const struct web_config *cfg;
    struct crypt_data *crypt; /* crypt_rn()'s scratch, ~32 KiB */
    /* SHA-256 of "user\0password" for credentials bcrypt accepted. */
    uint8_t good[AUTH_CACHE][32];
    unsigned ngood;
    unsigned next;
    /* Token bucket for bcrypt checks not answered by the cache. */
    double tokens;
    uint64_t refilled_ns;
    uint64_t refused; /* checks refused for lack of tokens */
};

/* Prepares *a for cfg (which must outlive it).  0 or -ENOMEM. */
int auth_init(struct auth *a, const struct web_config *cfg);
void auth_fini(struct auth *a);

/*
 * True when user and password match a basic_auth_users entry.  A pair
 * accepted before is answered from the cache without bcrypt; new pairs are
 * checked with bcrypt at most AUTH_RATE times a second (a burst of
 * AUTH_BURST), so that a flood of guesses cannot keep the server busy.
 */
bool auth_check(struct auth *a, const char *user, const char *password);

#define AUTH_RATE  5.0
#define AUTH_BURST 10.0

#endif
