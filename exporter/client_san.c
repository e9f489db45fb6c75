/* SPDX-License-Identifier: MIT */
/* Compares a client certificate's subject alternative names to a list. */
#include "client_san.h"

#include <arpa/inet.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <string.h>

/* Whether the n bytes at s equal one of the allowed strings. */
static bool listed(const char *s, size_t len, char *const *allowed, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(allowed[i]) == len && memcmp(allowed[i], s, len) == 0)
            return true;
    return false;
}

/*
 * An IP SAN (4 or 16 raw bytes) as Go's net.IP.String() writes it, into
 * text; false for another length.
 */
static bool ip_text(const unsigned char *raw, size_t len, char *text,
                    size_t size)
{
    static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0,    0,
                                                0, 0, 0, 0, 0xff, 0xff};

    if (len == 16 && memcmp(raw, v4_mapped, sizeof(v4_mapped)) == 0) {
        raw += 12;
        len = 4;
    }
    if (len == 4)
        return inet_ntop(AF_INET, raw, text, (socklen_t)size) != NULL;
    if (len == 16)
        return inet_ntop(AF_INET6, raw, text, (socklen_t)size) != NULL;
    return false;
}

/* Whether SAN number seq of crt is listed; -1 when there is none left. */
static int san_listed(gnutls_x509_crt_t crt, unsigned int seq,
                      char *const *allowed, size_t n)
{
    char buf[2048], ip[INET6_ADDRSTRLEN];
    size_t size = sizeof(buf);
    int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf, &size, NULL);

    if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        return -1;
    switch (type) {
    case GNUTLS_SAN_DNSNAME:
    case GNUTLS_SAN_RFC822NAME:
    case GNUTLS_SAN_URI:
        return listed(buf, size, allowed, n);
    case GNUTLS_SAN_IPADDRESS:
        return ip_text((const unsigned char *)buf, size, ip, sizeof(ip)) &&
               listed(ip, strlen(ip), allowed, n);
    default:
        /* Other kinds, and names longer than buf, are not compared. */
        return 0;
    }
}

bool client_san_allowed(const gnutls_datum_t *cert, char *const *allowed,
                        size_t n)
{
    gnutls_x509_crt_t crt;
    int found = 0;

    if (gnutls_x509_crt_init(&crt) < 0)
        return false;
    if (gnutls_x509_crt_import(crt, cert, GNUTLS_X509_FMT_DER) >= 0)
        for (unsigned int seq = 0; found == 0 && seq < 1024; seq++)
            found = san_listed(crt, seq, allowed, n);
    gnutls_x509_crt_deinit(crt);
    return found == 1;
}
