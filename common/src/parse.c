/* SPDX-License-Identifier: MIT */
/* Strict decimal, selection, node list and vmstat parsers for kernel text. */
#include "ksm/parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
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

int ksm_parse_u64_as_i64(const char *text, size_t n, int64_t *out)
{
    uint64_t u;
    int err = ksm_parse_u64(text, n, &u);

    if (err)
        return err;
    if (u > (uint64_t)INT64_MAX)
        return -ERANGE;
    *out = (int64_t)u;
    return 0;
}

/* '+' is for THP's defrag mode "defer+madvise" (mm/huge_memory.c). */
static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '+';
}

/*
 * Appends the mode name at start (len bytes) to sel.  Returns 0, -ERANGE
 * beyond KSM_MAX_MODES or KSM_MODE_NAMELEN, or -EINVAL for a name listed
 * twice.
 */
static int add_mode(struct ksm_selection *sel, const char *start, size_t len)
{
    if (sel->count == KSM_MAX_MODES || len > KSM_MODE_NAMELEN)
        return -ERANGE;
    for (unsigned i = 0; i < sel->count; i++)
        if (strlen(sel->names[i]) == len &&
            memcmp(sel->names[i], start, len) == 0)
            return -EINVAL;
    memcpy(sel->names[sel->count], start, len);
    sel->names[sel->count][len] = '\0';
    sel->count++;
    return 0;
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
        bool bracketed = *p == '[';
        const char *start = bracketed ? ++p : p;
        int err;

        while (p < end && is_name_char(*p))
            p++;
        if (p == start)
            return -EINVAL;
        if (bracketed) {
            if (p == end || *p != ']' || have_selected)
                return -EINVAL;
            have_selected = true;
            sel.selected = sel.count;
        }
        err = add_mode(&sel, start, (size_t)(p - start));
        if (err)
            return err;
        if (bracketed)
            p++;
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

int ksm_parse_vmstat(const char *text, size_t n, const char *key, uint64_t *out)
{
    char needle[64];
    int len = snprintf(needle, sizeof(needle), "\n%s ", key);
    size_t klen;
    const char *p;
    const char *end;

    if (len < 3 || (size_t)len >= sizeof(needle))
        return -EINVAL;
    klen = (size_t)len;
    /* The first line has no newline before it. */
    if (n >= klen - 1 && memcmp(text, needle + 1, klen - 1) == 0) {
        p = text + klen - 1;
    } else {
        p = memmem(text, n, needle, klen);
        if (!p)
            return -ENOENT;
        p += klen;
    }
    end = memchr(p, '\n', (size_t)(text + n - p));
    return ksm_parse_u64(p, (size_t)((end ? end : text + n) - p), out);
}

/*
 * One node number of a list: digits without a leading zero (the kernel
 * prints none), below KSM_MAX_NODE.  Advances *p past it.
 */
static int scan_node(const char **p, const char *end, uint64_t *out)
{
    const char *q = *p;
    uint64_t v = 0;

    if (q == end || *q < '0' || *q > '9')
        return -EINVAL;
    if (*q == '0' && q + 1 < end && q[1] >= '0' && q[1] <= '9')
        return -EINVAL;
    while (q < end && *q >= '0' && *q <= '9') {
        v = v * 10 + (uint64_t)(*q - '0');
        if (v >= KSM_MAX_NODE)
            return -ERANGE;
        q++;
    }
    *p = q;
    *out = v;
    return 0;
}

int ksm_parse_node_list(const char *text, size_t n, uint64_t *count)
{
    const char *p = text;
    const char *end = text + n;
    uint64_t total = 0;
    uint64_t next = 0; /* the lowest node the next range may start at */

    if (p < end && end[-1] == '\n')
        end--;
    if (p == end)
        return -EINVAL;
    for (;;) {
        uint64_t first, last;
        int err = scan_node(&p, end, &first);

        if (err)
            return err;
        last = first;
        if (p < end && *p == '-') {
            p++;
            err = scan_node(&p, end, &last);
            if (err)
                return err;
            if (last <= first)
                return -EINVAL;
        }
        if (first < next)
            return -EINVAL;
        total += last - first + 1;
        next = last + 1;
        if (p == end)
            break;
        if (*p != ',' || p + 1 == end)
            return -EINVAL;
        p++;
    }
    *count = total;
    return 0;
}
