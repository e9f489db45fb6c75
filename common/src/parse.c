/* SPDX-License-Identifier: MIT */
/* Strict decimal and selection parsers for KSM sysfs files. */
#include "ksm/parse.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

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

int ksm_parse_proc_stat(const char *text, size_t n, struct ksm_proc_stat *out,
                        char *comm, size_t comm_size)
{
    const char *end = text + n;
    const char *open = memchr(text, '(', n);
    const char *close = NULL;
    struct ksm_proc_stat st = {0};
    const char *p;
    unsigned field = 3;

    for (p = end; p > text; p--) {
        if (p[-1] == ')') {
            close = p - 1;
            break;
        }
    }
    if (!open || !close || close < open || end - close < 4 || close[1] != ' ')
        return -EINVAL;
    p = close + 2;
    st.state = *p;
    while (p < end && field <= 24) {
        const char *tok = p;
        uint64_t *dst = NULL;

        while (p < end && *p != ' ' && *p != '\n')
            p++;
        switch (field) {
        case 14:
            dst = &st.utime;
            break;
        case 15:
            dst = &st.stime;
            break;
        case 22:
            dst = &st.starttime;
            break;
        case 23:
            dst = &st.vsize;
            break;
        case 24:
            dst = &st.rss;
            break;
        default:
            break;
        }
        if (dst && ksm_parse_u64(tok, (size_t)(p - tok), dst) != 0)
            return -EINVAL;
        field++;
        if (p < end)
            p++;
    }
    if (field <= 24)
        return -EINVAL;
    if (comm && comm_size > 0) {
        size_t len = (size_t)(close - open - 1);

        if (len >= comm_size)
            len = comm_size - 1;
        memcpy(comm, open + 1, len);
        comm[len] = '\0';
    }
    *out = st;
    return 0;
}
