/* SPDX-License-Identifier: MIT */
/*
 * Parsers for the per-process files of procfs: stat, ksm_stat, cmdline,
 * statm and smaps_rollup.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "ksm/meminfo.h"
#include "ksm/parse.h"

/* The last field of /proc/PID/stat that struct ksm_proc_stat holds. */
#define PROC_STAT_LAST 24

/*
 * Finds the command name (2) between the first '(' and the last ')', so
 * that a name holding ')' does not end it early.  Returns 0, or -EINVAL
 * when the text has no such name followed by " S" (the state, field 3).
 */
static int find_comm(const char *text, size_t n, const char **open,
                     const char **close)
{
    const char *end = text + n;

    *open = memchr(text, '(', n);
    *close = NULL;
    for (const char *p = end; p > text; p--) {
        if (p[-1] == ')') {
            *close = p - 1;
            break;
        }
    }
    if (!*open || !*close || *close < *open || end - *close < 4 ||
        (*close)[1] != ' ')
        return -EINVAL;
    return 0;
}

/*
 * Parses the space-separated fields from 3 (the state, at p) to
 * PROC_STAT_LAST into *st.  Returns 0, or -EINVAL when one of them is
 * missing or a used one is not a strict unsigned decimal.
 */
static int parse_stat_fields(const char *p, const char *end,
                             struct ksm_proc_stat *st)
{
    /* Where each used field goes, by its proc(5) number. */
    uint64_t *const dst_of[PROC_STAT_LAST + 1] = {
        [4] = &st->ppid,   [9] = &st->flags,      [14] = &st->utime,
        [15] = &st->stime, [22] = &st->starttime, [23] = &st->vsize,
        [24] = &st->rss,
    };
    unsigned field = 3;

    st->state = *p;
    while (p < end && field <= PROC_STAT_LAST) {
        const char *tok = p;

        while (p < end && *p != ' ' && *p != '\n')
            p++;
        if (dst_of[field] &&
            ksm_parse_u64(tok, (size_t)(p - tok), dst_of[field]) != 0)
            return -EINVAL;
        field++;
        if (p < end)
            p++;
    }
    return field <= PROC_STAT_LAST ? -EINVAL : 0;
}

int ksm_parse_proc_stat(const char *text, size_t n, struct ksm_proc_stat *out,
                        char *comm, size_t comm_size)
{
    struct ksm_proc_stat st = {0};
    const char *open;
    const char *close;

    if (find_comm(text, n, &open, &close) != 0 ||
        parse_stat_fields(close + 2, text + n, &st) != 0)
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

static int parse_ksm_stat_value(int kind, const char *v, size_t n, int64_t *out)
{
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
        return ksm_parse_u64_as_i64(v, n, out);
    }
}

int ksm_parse_ksm_stat(const char *text, size_t n,
                       struct ksm_process_figures *out)
{
    struct ksm_process_figures st = {0};
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

int ksm_parse_merging_pages(const char *text, size_t n,
                            struct ksm_process_figures *out)
{
    int64_t v;
    int err = ksm_parse_u64_as_i64(text, n, &v);

    if (err)
        return err;
    out->present |= UINT32_C(1) << KSM_PROC_MERGING_PAGES;
    out->value[KSM_PROC_MERGING_PAGES] = v;
    return 0;
}

size_t ksm_utf8_len(const unsigned char *s, size_t n)
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
        size_t len = ksm_utf8_len(p, n);

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

/*
 * The end of the comma-separated QEMU option that starts at opt: its first
 * ',' that is not part of a ",," (a literal comma), or end.
 */
static const char *option_end(const char *opt, const char *end)
{
    while (opt < end) {
        if (*opt != ',')
            opt++;
        else if (opt + 1 < end && opt[1] == ',')
            opt += 2;
        else
            return opt;
    }
    return end;
}

/*
 * Finds the argument after "-name" in the NUL-separated cmdline: *value up
 * to *value_end.  Returns 0, -ENOENT without "-name", or -EINVAL when
 * "-name" is the last argument.
 */
static int find_name_arg(const char *cmdline, size_t n, const char **value,
                         const char **value_end)
{
    const char *p = cmdline;
    const char *end = cmdline + n;

    while (p < end) {
        const char *arg_end = memchr(p, '\0', (size_t)(end - p));
        const char *next = arg_end ? arg_end + 1 : end;

        if (!arg_end)
            arg_end = end;
        if ((size_t)(arg_end - p) == 5 && memcmp(p, "-name", 5) == 0) {
            if (next >= end)
                return -EINVAL;
            *value = next;
            *value_end = memchr(next, '\0', (size_t)(end - next));
            if (!*value_end)
                *value_end = end;
            return 0;
        }
        p = next;
    }
    return -ENOENT;
}

/*
 * Where the guest's name starts in the value of "-name": after "guest=" in
 * any of its options, as libvirt writes it, else the first option ("NAME"
 * or "NAME,..."), unless that is some other key=value (then NULL).
 */
static const char *guest_name(const char *v, const char *v_end)
{
    for (const char *opt = v; opt < v_end;) {
        const char *end = option_end(opt, v_end);

        if ((size_t)(v_end - opt) > 6 && memcmp(opt, "guest=", 6) == 0)
            return opt + 6;
        opt = end < v_end ? end + 1 : v_end;
    }
    if (memchr(v, '=', (size_t)(option_end(v, v_end) - v)))
        return NULL;
    return v;
}

int ksm_parse_qemu_name(const char *cmdline, size_t n, char *out, size_t size)
{
    const char *value;
    const char *value_end;
    const char *name;
    char tmp[512];
    size_t len;
    int err;

    if (size == 0)
        return -EINVAL;
    err = find_name_arg(cmdline, n, &value, &value_end);
    if (err)
        return err;
    name = guest_name(value, value_end);
    if (!name)
        return -EINVAL;
    len = copy_option(name, value_end, tmp,
                      size < sizeof(tmp) ? size : sizeof(tmp));
    if (len == 0)
        return -EINVAL;
    memcpy(out, tmp, len + 1);
    ksm_sanitize_text(out);
    return 0;
}

/* A strict decimal in exactly [p, end): no '\n', which ksm_parse_u64 takes. */
static int parse_token(const char *p, const char *end, uint64_t *out)
{
    if (p == end || memchr(p, '\n', (size_t)(end - p)))
        return -EINVAL;
    return ksm_parse_u64(p, (size_t)(end - p), out);
}

int ksm_parse_statm_resident(const char *text, size_t n, uint64_t *pages)
{
    const char *p = text;
    const char *end = text + n;
    uint64_t field[7];

    /* task_statm() printed by proc_pid_statm(): seven fields and '\n'. */
    if (n == 0 || text[n - 1] != '\n')
        return -EINVAL;
    end--;
    for (int i = 0; i < 7; i++) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        const char *tok_end = i < 6 ? sp : end;
        int err;

        if (!tok_end || (i == 6 && sp))
            return -EINVAL;
        err = parse_token(p, tok_end, &field[i]);
        if (err)
            return err;
        p = tok_end + 1;
    }
    *pages = field[1];
    return 0;
}

/*
 * smaps_rollup prints its sizes as meminfo does ("Key:   N kB", from
 * SEQ_PUT_DEC in fs/proc/task_mmu.c), and holds none of meminfo's other
 * keys, so meminfo's strict parser reads the AnonHugePages line.
 */
int ksm_parse_anon_huge_pages(const char *text, size_t n, uint64_t *kb)
{
    struct ksm_meminfo mi;
    int err = ksm_parse_meminfo(text, n, &mi);

    if (err)
        return err;
    if (mi.present != (1U << KSM_MEMINFO_ANON_HUGE_PAGES))
        return mi.present ? -EINVAL : -ENOENT;
    *kb = mi.kb[KSM_MEMINFO_ANON_HUGE_PAGES];
    return 0;
}
