/* SPDX-License-Identifier: MIT */
/* Parses the Accept and Accept-Encoding headers (RFC 9110, section 12). */
#include "negotiate.h"

#include <math.h>
#include <string.h>
#include <strings.h>

/* One comma-separated element of an Accept or Accept-Encoding header. */
struct item {
    const char *name;
    size_t len;
    double q;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * The q parameter's value by RFC 9110's grammar: "0" or "1", optionally a
 * '.' and up to three digits, never above 1.  Anything else counts as 0.
 */
static double parse_q(const char *p, size_t n)
{
    double q, scale = 0.1;

    if (n == 0 || (p[0] != '0' && p[0] != '1'))
        return 0;
    q = p[0] - '0';
    if (n == 1)
        return q;
    if (p[1] != '.' || n > 5)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        q += (p[i] - '0') * scale;
        scale /= 10;
    }
    return q > 1 ? 0 : q;
}

/*
 * Reads the next element at *p: "name;param=x;q=0.5".  Returns false at the
 * end of the header.
 */
static bool next_item(const char **p, struct item *it)
{
    const char *s = *p;
    const char *end;

    while (*s == ',' || is_blank(*s))
        s++;
    if (*s == '\0')
        return false;
    end = s + strcspn(s, ",");
    it->name = s;
    it->len = strcspn(s, ";,");
    while (it->len > 0 && is_blank(s[it->len - 1]))
        it->len--;
    it->q = 1;
    for (const char *param = s + strcspn(s, ";,");
         param < end && *param == ';';) {
        const char *v;
        size_t plen;

        param++;
        while (is_blank(*param))
            param++;
        plen = strcspn(param, ";,");
        if (plen >= 2 && (param[0] == 'q' || param[0] == 'Q') &&
            param[1] == '=') {
            v = param + 2;
            size_t vlen = plen - 2;

            while (vlen > 0 && is_blank(v[vlen - 1]))
                vlen--;
            it->q = parse_q(v, vlen);
        }
        param += plen;
    }
    *p = end;
    return true;
}

static bool item_is(const struct item *it, const char *name)
{
    return it->len == strlen(name) && strncasecmp(it->name, name, it->len) == 0;
}

enum ksm_format exporter_negotiate(const char *accept)
{
    double om = -1, text = -1, wild = -1;
    int om_pos = 0, text_pos = 0, pos = 0;
    struct item it;

    if (!accept)
        return KSM_FORMAT_TEXT;
    while (next_item(&accept, &it)) {
        pos++;
        if (item_is(&it, "application/openmetrics-text")) {
            if (it.q > om) {
                om = it.q;
                om_pos = pos;
            }
        } else if (item_is(&it, "text/plain")) {
            if (it.q > text) {
                text = it.q;
                text_pos = pos;
            }
        } else if (item_is(&it, "text/*") || item_is(&it, "*/*")) {
            wild = fmax(wild, it.q);
        }
    }
    if (text < 0) {
        text = wild;
        text_pos = pos + 1;
    }
    if (om > 0 && (om > text || (om == text && om_pos < text_pos)))
        return KSM_FORMAT_OPENMETRICS;
    return KSM_FORMAT_TEXT;
}

bool exporter_accepts_gzip(const char *accept_encoding)
{
    double gzip = -1, star = -1;
    struct item it;

    if (!accept_encoding)
        return false;
    while (next_item(&accept_encoding, &it)) {
        if (item_is(&it, "gzip") || item_is(&it, "x-gzip"))
            gzip = fmax(gzip, it.q);
        else if (item_is(&it, "*"))
            star = fmax(star, it.q);
    }
    return (gzip >= 0 ? gzip : star) > 0;
}
