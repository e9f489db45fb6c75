/* SPDX-License-Identifier: MIT */
/* Strict decimal and selection parsers for KSM sysfs files. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "ksm/parse.h"

/*
 * The digits are accumulated by hand rather than with strtoull(): strtoull()
 * skips blanks, takes a sign (strtoull("-1") is UINT64_MAX with errno 0) and
 * needs a NUL-terminated string, while sysfs text is a counted buffer.  The
 * rules are stated in parse.h; both parsers share this scanner.
 */
static int scan_digits(const char *p, const char *end, uint64_t *out)
{
    uint64_t v = 0;

    if (p == end || *p < '0' || *p > '9')
        return -EINVAL;
    while (p < end && *p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');

        if (v > (UINT64_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
        p++;
    }
    if (p < end && *p == '\n')
        p++;
    if (p != end)
        return -EINVAL;
    *out = v;
    return 0;
}

int ksm_parse_u64(const char *text, size_t n, uint64_t *out)
{
    return scan_digits(text, text + n, out);
}

int ksm_parse_i64(const char *text, size_t n, int64_t *out)
{
    const char *p = text;
    const char *end = text + n;
    bool neg = false;
    uint64_t mag;
    int err;

    if (p < end && *p == '-') {
        neg = true;
        p++;
    }
    err = scan_digits(p, end, &mag);
    if (err)
        return err;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return -ERANGE;
        /* -(INT64_MAX + 1) cannot be written as a negated int64_t. */
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return -ERANGE;
        *out = (int64_t)mag;
    }
    return 0;
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

int ksm_parse_selection(const char *text, size_t n, struct ksm_selection *out)
{
    struct ksm_selection sel = {0};
    const char *p = text;
    const char *end = text + n;
    bool have_selected = false;

    if (p < end && end[-1] == '\n')
        end--;
    if (p == end)
        return -EINVAL;
    for (;;) {
        bool bracketed = false;
        const char *start;
        size_t len;

        if (*p == '[') {
            bracketed = true;
            p++;
        }
        start = p;
        while (p < end && is_name_char(*p))
            p++;
        len = (size_t)(p - start);
        if (len == 0)
            return -EINVAL;
        if (bracketed) {
            if (p == end || *p != ']' || have_selected)
                return -EINVAL;
            p++;
            have_selected = true;
            sel.selected = sel.count;
        }
        if (sel.count == KSM_MAX_MODES || len > KSM_MODE_NAMELEN)
            return -ERANGE;
        for (unsigned i = 0; i < sel.count; i++)
            if (strlen(sel.names[i]) == len &&
                memcmp(sel.names[i], start, len) == 0)
                return -EINVAL;
        memcpy(sel.names[sel.count], start, len);
        sel.names[sel.count][len] = '\0';
        sel.count++;
        if (p == end)
            break;
        if (*p != ' ' || p + 1 == end)
            return -EINVAL;
        p++;
    }
    if (!have_selected)
        return -EINVAL;
    *out = sel;
    return 0;
}
