/* SPDX-License-Identifier: MIT */
/* Basic auth: bcrypt through libcrypt, a cache, and bcrypt budgets. */
#include "auth.h"

#include <crypt.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ksm/clock.h"

/* The bcrypt cost of a "$2y$NN$..." hash, or 0. */
static unsigned long cost_of(const char *hash)
{
    if (strlen(hash) < 7 || hash[3] != '$' || hash[4] < '0' || hash[4] > '9' ||
        hash[5] < '0' || hash[5] > '9')
        return 0;
    return (unsigned long)(hash[4] - '0') * 10 + (unsigned long)(hash[5] - '0');
}

/*
 * A hash of a random password with the highest configured cost, so that
 * an unknown user takes as long as a known one.
 */
static int make_dummy(struct auth *a)
{
    unsigned long cost = 4;
    char salt[64], secret[33];
    uint8_t rnd[16];
    const char *out;

    for (size_t i = 0; i < a->cfg->nusers; i++) {
        unsigned long c = cost_of(a->cfg->users[i].value);

        if (c > cost)
            cost = c;
    }
    if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) < 0 ||
        !crypt_gensalt_rn("$2y$", cost, NULL, 0, salt, (int)sizeof(salt)))
        return -EIO;
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(secret + 2 * i, 3, "%02x", rnd[i]);
    out = crypt_rn(secret, salt, a->crypt, sizeof(*a->crypt));
    explicit_bzero(secret, sizeof(secret));
    if (!out || out[0] == '*' || strlen(out) >= sizeof(a->dummy))
        return -EIO;
    snprintf(a->dummy, sizeof(a->dummy), "%s", out);
    return 0;
}

int auth_init(struct auth *a, const struct web_config *cfg)
{
    int err;

    memset(a, 0, sizeof(*a));
    a->cfg = cfg;
    a->global.tokens = AUTH_BURST;
    a->global.refilled_ns = ksm_monotonic_ns();
    if (cfg->nusers == 0)
        return 0;
    a->crypt = calloc(1, sizeof(*a->crypt));
    if (!a->crypt)
        return -ENOMEM;
    err = make_dummy(a);
    if (err) {
        free(a->crypt);
        a->crypt = NULL;
    }
    return err;
}

void auth_fini(struct auth *a)
{
    if (a->crypt)
        explicit_bzero(a->crypt, sizeof(*a->crypt));
    free(a->crypt);
    explicit_bzero(a->good, sizeof(a->good));
    memset(a, 0, sizeof(*a));
}

void auth_keep_cache(struct auth *a, const struct auth *old)
{
    memcpy(a->good, old->good, sizeof(a->good));
    a->ngood = old->ngood;
    a->next = old->next;
}

static bool take(struct bucket *b, double rate, double burst, uint64_t now)
{
    if (b->refilled_ns == 0) {
        b->tokens = burst;
    } else {
        b->tokens += (double)(now - b->refilled_ns) / 1e9 * rate;
        if (b->tokens > burst)
            b->tokens = burst;
    }
    b->refilled_ns = now;
    if (b->tokens < 1)
        return false;
    b->tokens -= 1;
    return true;
}

/* The bucket of a client address (hashed; colliding addresses share). */
static struct bucket *source_bucket(struct auth *a, const struct sockaddr *sa)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    uint32_t h = 2166136261u;

    if (sa && sa->sa_family == AF_INET) {
        p = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
        n = 4;
    } else if (sa && sa->sa_family == AF_INET6) {
        /* A /64 is one client: hosts get whole prefixes. */
        p = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
        n = 8;
    }
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return &a->source[h % AUTH_SOURCES];
}

static bool digest_equal(const uint8_t *x, const uint8_t *y)
{
    uint8_t diff = 0;

    for (int i = 0; i < 32; i++)
        diff |= (uint8_t)(x[i] ^ y[i]);
    return diff == 0;
}

/*
 * The cache key of a check: SHA-256 of "user\0password\0hash".  Returns
 * 0, or -EINVAL when the pair is too long or the hash fails.
 */
static int cache_key(const char *user, const char *password, const char *hash,
                     uint8_t digest[32])
{
    size_t ul = strlen(user), pl = strlen(password), hl = strlen(hash);
    char key[1200];
    int rc;

    if (ul > AUTH_MAX_FIELD || pl > AUTH_MAX_FIELD ||
        hl >= sizeof(key) - ul - pl - 2)
        return -EINVAL;
    memcpy(key, user, ul + 1);
    memcpy(key + ul + 1, password, pl + 1);
    /* Hashed as ul + pl + 2 + hl bytes: the key is never read as a string. */
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
    memcpy(key + ul + pl + 2, hash, hl);
    rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, key, ul + pl + 2 + hl, digest);
    explicit_bzero(key, sizeof(key));
    return rc < 0 ? -EINVAL : 0;
}

/* Every entry is compared, so the time does not say which matched. */
static bool cached(const struct auth *a, const uint8_t digest[32])
{
    bool hit = false;

    for (unsigned i = 0; i < a->ngood; i++)
        hit |= digest_equal(a->good[i], digest);
    return hit;
}

void auth_remember(struct auth *a, const struct auth_pending *p)
{
    memcpy(a->good[a->next], p->digest, 32);
    a->next = (a->next + 1) % AUTH_CACHE;
    if (a->ngood < AUTH_CACHE)
        a->ngood++;
}

bool auth_admit(struct auth *a, const struct sockaddr *from)
{
    uint64_t now = ksm_monotonic_ns();

    if (!take(source_bucket(a, from), AUTH_SOURCE_RATE, AUTH_SOURCE_BURST,
              now) ||
        !take(&a->global, AUTH_RATE, AUTH_BURST, now)) {
        a->refused++;
        return false;
    }
    return true;
}

enum auth_step auth_begin(const struct auth *a, const char *user,
                          const char *password, struct auth_pending *p)
{
    const char *hash = a->dummy;
    bool known = false;

    if (a->cfg->nusers == 0)
        return AUTH_PASS;
    for (size_t i = 0; i < a->cfg->nusers; i++) {
        if (strcmp(a->cfg->users[i].name, user) == 0) {
            hash = a->cfg->users[i].value;
            known = true;
        }
    }
    if (cache_key(user, password, hash, p->digest) != 0)
        return AUTH_FAIL;
    if (cached(a, p->digest))
        return AUTH_PASS;
    /* cache_key() has bounded the password's length. */
    if (strlen(hash) >= sizeof(p->hash))
        return AUTH_FAIL;
    snprintf(p->password, sizeof(p->password), "%s", password);
    snprintf(p->hash, sizeof(p->hash), "%s", hash);
    p->known = known;
    return AUTH_SLOW;
}

bool auth_verify(struct auth_pending *p, struct crypt_data *scratch)
{
    /* An unknown user costs one bcrypt too: the time does not tell. */
    const char *out = crypt_rn(p->password, p->hash, scratch, sizeof(*scratch));
    bool ok =
        p->known && out && out[0] != '*' && web_equal_secret(out, p->hash);

    explicit_bzero(p->password, sizeof(p->password));
    explicit_bzero(scratch, sizeof(*scratch));
    return ok;
}
