/* SPDX-License-Identifier: MIT */
/* Basic auth: bcrypt through libcrypt, a cache, and a bcrypt budget. */
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "auth.h"

/* A valid bcrypt hash of nothing anyone knows, for unknown users. */
#define DUMMY_HASH "$2y$10$oPNAMwbSS5pZKoqASPIfyee50U1w8j/MKakVGQ8DpLKk0uQlof7JK"

int auth_init(struct auth *a, const struct web_config *cfg)
{
    memset(a, 0, sizeof(*a));
    a->cfg = cfg;
    a->tokens = AUTH_BURST;
    if (cfg->nusers == 0)
        return 0;
    a->crypt = calloc(1, sizeof(*a->crypt));
    return a->crypt ? 0 : -ENOMEM;
}

void auth_fini(struct auth *a)
{
    if (a->crypt)
        explicit_bzero(a->crypt, sizeof(*a->crypt));
    free(a->crypt);
    explicit_bzero(a->good, sizeof(a->good));
    memset(a, 0, sizeof(*a));
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static bool take_token(struct auth *a)
{
    uint64_t now = now_ns();

    a->tokens += (double)(now - a->refilled_ns) / 1e9 * AUTH_RATE;
    if (a->tokens > AUTH_BURST)
        a->tokens = AUTH_BURST;
    a->refilled_ns = now;
    if (a->tokens < 1) {
        a->refused++;
        return false;
    }
    a->tokens -= 1;
    return true;
}

static bool digest_equal(const uint8_t *x, const uint8_t *y)
{
    uint8_t diff = 0;

    for (int i = 0; i < 32; i++)
        diff |= (uint8_t)(x[i] ^ y[i]);
    return diff == 0;
}

bool auth_check(struct auth *a, const char *user, const char *password)
{
    const char *hash = DUMMY_HASH;
    bool known = false, hit = false, ok;
    char key[1026];
    uint8_t digest[32];
    size_t ul = strlen(user), pl = strlen(password);
    const char *out;

    if (a->cfg->nusers == 0)
        return true;
    if (ul > 512 || pl > 512)
        return false;
    memcpy(key, user, ul + 1);
    memcpy(key + ul + 1, password, pl);
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, key, ul + 1 + pl, digest) < 0)
        return false;
    explicit_bzero(key, sizeof(key));
    /* Every entry is compared, so the time does not say which matched. */
    for (unsigned i = 0; i < a->ngood; i++)
        hit |= digest_equal(a->good[i], digest);
    if (hit)
        return true;
    if (!take_token(a))
        return false;
    for (size_t i = 0; i < a->cfg->nusers; i++) {
        if (strcmp(a->cfg->users[i].name, user) == 0) {
            hash = a->cfg->users[i].hash;
            known = true;
        }
    }
    /* An unknown user costs one bcrypt too: the time does not tell. */
    out = crypt_rn(password, hash, a->crypt, sizeof(*a->crypt));
    ok = known && out && out[0] != '*' && web_equal_secret(out, hash);
    if (ok) {
        memcpy(a->good[a->next], digest, sizeof(digest));
        a->next = (a->next + 1) % AUTH_CACHE;
        if (a->ngood < AUTH_CACHE)
            a->ngood++;
    }
    return ok;
}
