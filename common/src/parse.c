/* SPDX-License-Identifier: MIT */
/* Strict decimal and selection parsers for KSM sysfs files. */
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
        case 4:
            dst = &st.ppid;
            break;
        case 9:
            dst = &st.flags;
            break;
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

/* The ksm_stat keys, their field and whether the kernel prints them signed. */
static const struct {
    const char *key;
    enum ksm_proc_field field;
    enum { NUM_U, NUM_I, YES_NO } kind;
} ksm_stat_keys[] = {
    {"ksm_rmap_items", KSM_PROC_RMAP_ITEMS, NUM_U},
    {"ksm_zero_pages", KSM_PROC_ZERO_PAGES, NUM_I},
    {"ksm_merging_pages", KSM_PROC_MERGING_PAGES, NUM_U},
    {"ksm_process_profit", KSM_PROC_PROFIT, NUM_I},
    {"ksm_merge_any:", KSM_PROC_MERGE_ANY, YES_NO},
    {"ksm_mergeable:", KSM_PROC_MERGEABLE, YES_NO},
};

static int parse_ksm_stat_value(int kind, const char *v, size_t n,
                                int64_t *out)
{
    uint64_t u;
    int err;

    switch (kind) {
    case YES_NO:
        if (n == 3 && memcmp(v, "yes", 3) == 0)
            *out = 1;
        else if (n == 2 && memcmp(v, "no", 2) == 0)
            *out = 0;
        else
            return -EINVAL;
        return 0;
    case NUM_I:
        return ksm_parse_i64(v, n, out);
    default:
        err = ksm_parse_u64(v, n, &u);
        if (err)
            return err;
        if (u > (uint64_t)INT64_MAX)
            return -ERANGE;
        *out = (int64_t)u;
        return 0;
    }
}

int ksm_parse_ksm_stat(const char *text, size_t n, struct ksm_ksm_stat *out)
{
    struct ksm_ksm_stat st = {0};
    const char *p = text;
    const char *end = text + n;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *sp;
        size_t klen;

        if (!nl)
            return -EINVAL;
        sp = memchr(p, ' ', (size_t)(nl - p));
        if (!sp)
            return -EINVAL;
        klen = (size_t)(sp - p);
        for (size_t i = 0; i < sizeof(ksm_stat_keys) / sizeof(ksm_stat_keys[0]);
             i++) {
            const char *key = ksm_stat_keys[i].key;
            int err;

            if (strlen(key) != klen || memcmp(key, p, klen) != 0)
                continue;
            err = parse_ksm_stat_value(ksm_stat_keys[i].kind, sp + 1,
                                       (size_t)(nl - sp - 1),
                                       &st.value[ksm_stat_keys[i].field]);
            if (err)
                return err;
            st.present |= UINT32_C(1) << ksm_stat_keys[i].field;
            break;
        }
        p = nl + 1;
    }
    *out = st;
    return 0;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1fu;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0fu;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    /* No overlong forms, no surrogates, nothing past U+10FFFF. */
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return len;
}

void ksm_sanitize_text(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n = strlen(s);

    while (*p) {
        size_t len = utf8_len(p, n);

        if (len == 0 || *p < 0x20 || *p == 0x7f) {
            *p = '?';
            len = 1;
        }
        p += len;
        n -= len;
    }
}

/*
 * Copies one QEMU option value's first element (up to an unescaped ',')
 * with ",," unescaped, cut at size - 1 bytes on a UTF-8 boundary.  Returns
 * its length.
 */
static size_t copy_option(const char *v, const char *end, char *out,
                          size_t size)
{
    size_t len = 0;
    bool cut = false;

    while (v < end && *v) {
        if (*v == ',') {
            if (v + 1 < end && v[1] == ',')
                v++; /* ",," is a literal comma */
            else
                break;
        }
        if (len + 1 >= size) {
            cut = true;
            break;
        }
        out[len++] = *v++;
    }
    /* Cut inside a multi-byte character: drop its first bytes too. */
    if (cut) {
        size_t start = len;

        while (start > 0 && ((unsigned char)out[start - 1] & 0xc0) == 0x80)
            start--;
        if (start > 0 && (unsigned char)out[start - 1] >= 0xc0) {
            unsigned char lead = (unsigned char)out[start - 1];
            size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;

            if (len - (start - 1) < need)
                len = start - 1;
        }
    }
    out[len] = '\0';
    return len;
}

int ksm_parse_qemu_name(const char *cmdline, size_t n, char *out, size_t size)
{
    const char *p = cmdline;
    const char *end = cmdline + n;
    char tmp[512];

    if (size == 0)
        return -EINVAL;
    while (p < end) {
        const char *arg_end = memchr(p, '\0', (size_t)(end - p));
        const char *next = arg_end ? arg_end + 1 : end;

        if (!arg_end)
            arg_end = end;
        if ((size_t)(arg_end - p) == 5 && memcmp(p, "-name", 5) == 0) {
            const char *v = next;
            const char *v_end;
            size_t len;

            if (v >= end)
                return -EINVAL;
            v_end = memchr(v, '\0', (size_t)(end - v));
            if (!v_end)
                v_end = end;
            /* Look for guest=NAME among the comma-separated options. */
            for (const char *opt = v; opt < v_end;) {
                if ((size_t)(v_end - opt) > 6 && memcmp(opt, "guest=", 6) == 0) {
                    len = copy_option(opt + 6, v_end, tmp,
                                      size < sizeof(tmp) ? size : sizeof(tmp));
                    goto found;
                }
                /* Skip to the next unescaped comma. */
                while (opt < v_end) {
                    if (*opt == ',' && !(opt + 1 < v_end && opt[1] == ',')) {
                        opt++;
                        break;
                    }
                    opt += *opt == ',' ? 2 : 1;
                }
            }
            /*
             * Without guest=, the first element is the name ("NAME,...")
             * unless it is some other key=value.
             */
            for (const char *c = v; c < v_end; c++) {
                if (*c == '=')
                    return -EINVAL;
                if (*c == ',' && !(c + 1 < v_end && c[1] == ','))
                    break;
                if (*c == ',')
                    c++;
            }
            len = copy_option(v, v_end, tmp,
                              size < sizeof(tmp) ? size : sizeof(tmp));
        found:
            if (len == 0)
                return -EINVAL;
            memcpy(out, tmp, len + 1);
            ksm_sanitize_text(out);
            return 0;
        }
        p = next;
    }
    return -ENOENT;
}

int ksm_parse_vmstat(const char *text, size_t n, const char *key,
                        uint64_t *out)
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

