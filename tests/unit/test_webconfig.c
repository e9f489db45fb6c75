/* SPDX-License-Identifier: MIT */
/* Unit tests of the web config: its keys, the rate limit, the SAN check. */
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "client_san.h"
#include "ratelimit.h"
#include "webconfig.h"

#define SEC 1000000000LL

static char dir[] = "/tmp/ksm-webconfig.XXXXXX";

/* A self-signed ECDSA certificate with a few SANs, and its key. */
static gnutls_x509_crt_t make_cert(gnutls_x509_privkey_t *key)
{
    gnutls_x509_crt_t crt;
    unsigned char v4[4] = {10, 0, 0, 7}, v6[16];
    static const char *const text[][2] = {
        {"DNS", "a.example"},
        {"URI", "spiffe://ksm/prometheus"},
        {"EMAIL", "ops@example.org"},
    };

    inet_pton(AF_INET6, "2001:db8::1", v6);
    ck_assert_int_ge(gnutls_x509_privkey_init(key), 0);
    ck_assert_int_ge(gnutls_x509_privkey_generate(
                         *key, GNUTLS_PK_ECDSA,
                         GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
                     0);
    ck_assert_int_ge(gnutls_x509_crt_init(&crt), 0);
    gnutls_x509_crt_set_version(crt, 3);
    gnutls_x509_crt_set_serial(crt, "\x01", 1);
    gnutls_x509_crt_set_activation_time(crt, time(NULL) - 60);
    gnutls_x509_crt_set_expiration_time(crt, time(NULL) + 3600);
    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "t", 1);
    gnutls_x509_crt_set_key(crt, *key);
    for (size_t i = 0; i < 3; i++) {
        gnutls_x509_subject_alt_name_t type = i == 0   ? GNUTLS_SAN_DNSNAME
                                              : i == 1 ? GNUTLS_SAN_URI
                                                       : GNUTLS_SAN_RFC822NAME;

        ck_assert_int_ge(gnutls_x509_crt_set_subject_alt_name(
                             crt, type, text[i][1],
                             (unsigned int)strlen(text[i][1]),
                             GNUTLS_FSAN_APPEND),
                         0);
    }
    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, v4, 4,
                                         GNUTLS_FSAN_APPEND);
    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, v6, 16,
                                         GNUTLS_FSAN_APPEND);
    ck_assert_int_ge(
        gnutls_x509_crt_sign2(crt, crt, *key, GNUTLS_DIG_SHA256, 0), 0);
    return crt;
}

static void write_pem(const char *name, const gnutls_datum_t *d)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fwrite(d->data, 1, d->size, f);
    fclose(f);
}

/* s.crt and s.key in dir, and the DER certificate for the SAN tests. */
static gnutls_datum_t der;

static void setup(void)
{
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    gnutls_datum_t pem;

    if (der.data)
        return;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    crt = make_cert(&key);
    ck_assert_int_ge(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem),
                     0);
    write_pem("s.crt", &pem);
    gnutls_free(pem.data);
    ck_assert_int_ge(
        gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &pem), 0);
    write_pem("s.key", &pem);
    gnutls_free(pem.data);
    ck_assert_int_ge(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der),
                     0);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
}

/* Loads text as a web config file in dir; returns web_config_load's. */
static int load(const char *text, struct web_config *c, char *err,
                size_t errlen)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/web.yml", dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    err[0] = '\0';
    return web_config_load(path, c, err, errlen);
}

#define TLS "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n"

/*
 * Files and what comes of them: want is found in the error when refused,
 * in the GnuTLS priorities when accepted (and absent when the case says).
 */
static const struct {
    const char *yaml;
    int rc;
    const char *want, *absent;
} cases[] = {
    {TLS, 0, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE",
     "CIPHER"},
    {TLS "  prefer_server_cipher_suites: false\n", 0, "NORMAL", "SERVER"},
    {TLS "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n", 0,
     ":-KX-ALL:-CIPHER-ALL:-MAC-ALL:+AES-128-GCM:+AEAD:+ECDHE-ECDSA:", "SHA1"},
    {TLS "  cipher_suites:\n  - TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA\n"
         "  - TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA\n  max_version: TLS12\n"
         "http_server_config: {http2: false}\n",
     0, "+AES-256-CBC:+AES-128-CBC:+SHA1:+ECDHE-ECDSA", "AEAD"},
    {TLS "  cipher_suites: [TLS_AES_128_GCM_SHA256]\nhttp_server_config:\n"
         "  http2: false\n",
     0, "-VERS-ALL:+VERS-TLS1.3:%", "TLS1.2"},
    {TLS "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n", -EINVAL,
     "line 4: cipher_suites: with http2 on", NULL},
    {TLS "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n", -EINVAL,
     "needs TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", NULL},
    {TLS "  cipher_suites: [TLS_FAKE]\n", -EINVAL,
     "line 4: cipher_suites: unknown cipher \"TLS_FAKE\"", NULL},
    {TLS "  cipher_suites: [TLS_ECDHE_RSA_WITH_RC4_128_SHA]\n", -EINVAL,
     "unknown cipher", NULL},
    {TLS "  cipher_suites:\n  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
         "  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n",
     -EINVAL, "would also allow TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", NULL},
    {TLS "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA]\n"
         "http_server_config: {http2: false}\n",
     -EINVAL, "no GCM or CHACHA20 suite", NULL},
    {TLS "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n  max_version: TLS12\n",
     -EINVAL, "no connection could be made", NULL},
    {TLS "  cert: x\n", -EINVAL,
     "line 4: tls_server_config: cert_file and "
     "cert are both given",
     NULL},
    {TLS "  client_auth_type: RequireAnyClientCert\n", 0, "NORMAL", NULL},
    {TLS "  client_auth_type: RequireClientCert\n", 0, "NORMAL", NULL},
    {TLS "  client_auth_type: Bogus\n", -EINVAL, "line 4: client_auth_type",
     NULL},
    {TLS "  client_auth_type: VerifyClientCertIfGiven\n", -EINVAL,
     "needs client_ca_file", NULL},
    {TLS "  client_ca_file: s.crt\n", -EINVAL, "is NoClientCert", NULL},
    {TLS "  client_allowed_sans: [a]\n", -EINVAL,
     "client_allowed_sans needs VerifyClientCertIfGiven", NULL},
    {TLS "  client_allowed_sans: [a]\n  client_auth_type: "
         "RequireAnyClientCert\n",
     -EINVAL, "SANs of an unverified certificate prove nothing", NULL},
    {TLS "  client_allowed_sans: []\n", -EINVAL,
     "line 4: client_allowed_sans: an empty list allows no client", NULL},
    {TLS "  client_allowed_sans: a\n  client_auth_type: RequestClientCert\n",
     -EINVAL, "line 4: client_allowed_sans: want a list", NULL},
    {"rate_limit:\n  interval: 1s\n  burst: x\n", -EINVAL,
     "line 3: rate_limit: burst: want an integer", NULL},
    {"rate_limit:\n  interval: 1 s\n", -EINVAL,
     "line 2: rate_limit: interval: want a duration", NULL},
    {"rate_limit:\n  rate: 1\n", -EINVAL, "rate_limit: unknown key \"rate\"",
     NULL},
    {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n", -EINVAL,
     "want deny or sameorigin", NULL},
    {"http_server_config:\n  headers:\n    X-Content-Type-Options: x\n",
     -EINVAL, "want nosniff", NULL},
    {"http_server_config:\n  headers:\n    x-frame-options: deny\n", -EINVAL,
     "cannot be set here", NULL},
};

START_TEST(test_load)
{
    struct web_config c;
    char err[512];
    int rc;

    setup();
    rc = load(cases[_i].yaml, &c, err, sizeof(err));
    ck_assert_msg(rc == cases[_i].rc, "case %d: rc %d (%s)", _i, rc, err);
    if (rc) {
        ck_assert_msg(strstr(err, cases[_i].want), "case %d: %s", _i, err);
        return;
    }
    ck_assert_msg(strstr(c.priorities, cases[_i].want), "case %d: %s", _i,
                  c.priorities);
    ck_assert_msg(!cases[_i].absent || !strstr(c.priorities, cases[_i].absent),
                  "case %d: %s", _i, c.priorities);
    web_config_free(&c);
}
END_TEST

/* Inline material, the client CA list and what libmicrohttpd is given. */
START_TEST(test_inline_and_trust)
{
    struct web_config c;
    char err[512], *yaml, *cert = NULL, *key = NULL;
    size_t n;
    FILE *f;

    setup();
    ck_assert_int_eq(load(TLS "  client_auth_type: RequireAnyClientCert\n", &c,
                          err, sizeof(err)),
                     0);
    ck_assert_int_eq(c.client_auth, CLIENT_AUTH_REQUIRE_ANY);
    ck_assert_ptr_eq(c.trust_pem, c.cert_pem); /* so that one is asked for */
    cert = strdup(c.cert_pem);
    key = strdup(c.key_pem);
    web_config_free(&c);
    f = open_memstream(&yaml, &n);
    fprintf(f, "tls_server_config:\n  cert: |\n");
    for (char *l = strtok(cert, "\n"); l; l = strtok(NULL, "\n"))
        fprintf(f, "    %s\n", l);
    fprintf(f, "  key: |\n");
    for (char *l = strtok(key, "\n"); l; l = strtok(NULL, "\n"))
        fprintf(f, "    %s\n", l);
    fprintf(f, "  client_ca_file: s.crt\n  client_auth_type: "
               "RequireAndVerifyClientCert\n  client_allowed_sans: [a, b]\n");
    fclose(f);
    ck_assert_msg(load(yaml, &c, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(c.client_auth, CLIENT_AUTH_REQUIRE_VERIFY);
    ck_assert_ptr_eq(c.trust_pem, c.client_ca_pem);
    ck_assert_uint_eq(c.nallowed_sans, 2);
    ck_assert_str_eq(c.allowed_sans[1], "b");
    web_config_free(&c);
    free(yaml);
    free(cert);
    free(key);
}
END_TEST

/* rate_limit: a limiter only when interval is not 0. */
START_TEST(test_rate_config)
{
    struct web_config c;
    char err[512];

    setup();
    ck_assert_int_eq(
        load("rate_limit:\n  interval: 0\n  burst: 5\n", &c, err, sizeof(err)),
        0);
    ck_assert_ptr_null(c.limiter);
    web_config_free(&c);
    ck_assert_int_eq(
        load("rate_limit:\n  interval: 1h\n  burst: 2\n", &c, err, sizeof(err)),
        0);
    ck_assert_ptr_nonnull(c.limiter);
    ck_assert(ratelimit_allow(c.limiter));
    ck_assert(ratelimit_allow(c.limiter));
    ck_assert(!ratelimit_allow(c.limiter));
    web_config_free(&c);
}
END_TEST

/* golang.org/x/time/rate's Allow(): full at first, one token per interval. */
START_TEST(test_bucket)
{
    struct ratelimit *r = ratelimit_new(SEC, 3);
    struct timespec ts;
    int64_t t;

    /* Times after the bucket's creation, on the clock it reads. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t = (int64_t)ts.tv_sec * SEC + ts.tv_nsec + 10 * SEC;

    ck_assert_ptr_nonnull(r);
    for (int i = 0; i < 3; i++)
        ck_assert(ratelimit_allow_at(r, t));
    ck_assert(!ratelimit_allow_at(r, t));
    ck_assert(!ratelimit_allow_at(r, t + SEC / 2));
    ck_assert(ratelimit_allow_at(r, t + SEC));
    ck_assert(!ratelimit_allow_at(r, t + SEC));
    /* A long pause refills up to the burst, no more. */
    for (int i = 0; i < 3; i++)
        ck_assert(ratelimit_allow_at(r, t + 100 * SEC));
    ck_assert(!ratelimit_allow_at(r, t + 100 * SEC));
    ratelimit_free(r);
    r = ratelimit_new(SEC, 0); /* burst 0: nothing passes */
    ck_assert(!ratelimit_allow_at(r, t + 100 * SEC));
    ratelimit_free(r);
    r = ratelimit_new(-SEC, 0); /* a negative interval: no limit */
    ck_assert(ratelimit_allow_at(r, t));
    ratelimit_free(r);
    ck_assert(ratelimit_allow(NULL));
}
END_TEST

static const struct {
    const char *text;
    int rc;
    int64_t ns;
} durations[] = {
    {"1s", 0, SEC},          {"0", 0, 0},
    {"250ms", 0, 250000000}, {"1m30s", 0, 90 * SEC},
    {"1.5h", 0, 5400 * SEC}, {"-2s", 0, -2 * SEC},
    {"10us", 0, 10000},      {"10\xc2\xb5s", 0, 10000},
    {"7ns", 0, 7},           {".5s", 0, SEC / 2},
    {"", -EINVAL, 0},        {"5", -EINVAL, 0},
    {"1x", -EINVAL, 0},      {"s", -EINVAL, 0},
    {"1s ", -EINVAL, 0},     {"99999999999h", -EINVAL, 0},
};

START_TEST(test_duration)
{
    int64_t ns = -1;
    int rc = ratelimit_parse_duration(durations[_i].text, &ns);

    ck_assert_msg(rc == durations[_i].rc, "%s: rc %d", durations[_i].text, rc);
    if (rc == 0)
        ck_assert_msg(ns == durations[_i].ns, "%s: %lld", durations[_i].text,
                      (long long)ns);
}
END_TEST

/* Exact comparison with each kind of SAN, in Go's text form. */
START_TEST(test_sans)
{
    static const struct {
        const char *name;
        bool want;
    } names[] = {
        {"a.example", true},
        {"A.example", false},
        {"a.exampl", false},
        {"10.0.0.7", true},
        {"2001:db8::1", true},
        {"2001:DB8::1", false},
        {"ops@example.org", true},
        {"spiffe://ksm/prometheus", true},
        {"t", false}, /* the common name is not a SAN */
    };
    char other[] = "other", name[64];
    char *list[2] = {other, name};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(name, sizeof(name), "%s", names[i].name);
        ck_assert_msg(client_san_allowed(&der, list, 2) == names[i].want, "%s",
                      names[i].name);
    }
    ck_assert(!client_san_allowed(&der, list, 0));
}
END_TEST

/* Removes what setup() made (after every test has run). */
static void remove_files(void)
{
    static const char *const names[] = {"s.crt", "s.key", "web.yml"};
    char path[128];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    gnutls_free(der.data);
}

static Suite *webconfig_suite(void)
{
    Suite *s = suite_create("webconfig");
    TCase *tc = tcase_create("load");

    /* Made once, before the tests fork. */
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_add_loop_test(tc, test_load, 0,
                        (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_inline_and_trust);
    tcase_add_test(tc, test_rate_config);
    suite_add_tcase(s, tc);
    tc = tcase_create("rate");
    tcase_add_test(tc, test_bucket);
    tcase_add_loop_test(tc, test_duration, 0,
                        (int)(sizeof(durations) / sizeof(durations[0])));
    suite_add_tcase(s, tc);
    tc = tcase_create("sans");
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_sans);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(webconfig_suite());
    int rc;

    srunner_run_all(sr, CK_NORMAL);
    rc = srunner_ntests_failed(sr) ? EXIT_FAILURE : EXIT_SUCCESS;
    srunner_free(sr);
    remove_files();
    return rc;
}
