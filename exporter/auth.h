/* SPDX-License-Identifier: MIT */
/* Basic auth against bcrypt hashes, with a cache of good credentials. */
#ifndef KSM_EXPORTER_AUTH_H
#define KSM_EXPORTER_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "webconfig.h"

#define AUTH_CACHE     64
#define AUTH_SOURCES   256
#define AUTH_MAX_FIELD 512 /* longest user name or password checked */

struct crypt_data;
struct sockaddr;

/* A token bucket: bcrypt checks allowed now, refilled over time. */
struct bucket {
    double tokens;
    uint64_t refilled_ns;
};

struct auth {
    const struct web_config *cfg;
    struct crypt_data *crypt; /* crypt_rn()'s scratch, ~32 KiB */
    /* A hash as costly as the configured ones, for unknown users. */
    char dummy[128];
    /* SHA-256 of "user\0password\0hash" for credentials bcrypt accepted. */
    uint8_t good[AUTH_CACHE][32];
    unsigned ngood;
    unsigned next;
    /* bcrypt budgets for credentials the cache does not know. */
    struct bucket global;
    struct bucket source[AUTH_SOURCES]; /* by client address, hashed */
    uint64_t refused;                   /* checks refused for lack of tokens */
};

/*
 * Prepares *a for cfg (which must outlive it).  Computes one bcrypt hash
 * of the configured cost, for unknown users.  Returns 0, -ENOMEM, or -EIO
 * when GnuTLS gives no random bytes or libcrypt no hash.
 */
int auth_init(struct auth *a, const struct web_config *cfg);
void auth_fini(struct auth *a);

/*
 * Takes over from old the cached credentials: those whose user still has
 * the same hash stay accepted (the cache key includes the hash).
 */
void auth_keep_cache(struct auth *a, const struct auth *old);

/*
 * A check that the cache could not answer: what bcrypt needs, copied so
 * that another thread can run it while the request waits.
 */
struct auth_pending {
    char password[AUTH_MAX_FIELD + 1];
    char hash[128];
    uint8_t digest[32]; /* the cache key, remembered when bcrypt accepts */
    bool known;         /* the user exists (else hash is the dummy) */
};

enum auth_step {
    AUTH_PASS, /* no users configured, or the pair is cached */
    AUTH_FAIL, /* malformed: too long, or no hash could be made */
    AUTH_SLOW, /* *p is filled: only bcrypt can tell */
};

/* The cheap part of a check: the cache.  Never runs bcrypt. */
enum auth_step auth_begin(const struct auth *a, const char *user,
                          const char *password, struct auth_pending *p);

/*
 * Whether this client (from, may be NULL) and everyone together may
 * spend a bcrypt now (the budgets below); counts refusals.
 */
bool auth_admit(struct auth *a, const struct sockaddr *from);

/*
 * The slow part: bcrypt of p against its hash, in scratch (one per
 * thread).  Touches no struct auth, so any thread may run it.  Wipes the
 * password from p.
 */
bool auth_verify(struct auth_pending *p, struct crypt_data *scratch);

/* Caches the credentials of p, which auth_verify() accepted. */
void auth_remember(struct auth *a, const struct auth_pending *p);

/*
 * New pairs are checked with bcrypt at most AUTH_SOURCE_RATE times a second
 * per client address and AUTH_RATE times a second in all (auth_admit()), so
 * that a flood of guesses from one address neither keeps the server busy
 * nor locks out the others; a pair accepted before is answered from the
 * cache without bcrypt (auth_begin()).
 */
#define AUTH_RATE         5.0
#define AUTH_BURST        10.0
#define AUTH_SOURCE_RATE  1.0
#define AUTH_SOURCE_BURST 3.0

#endif
