/* SPDX-License-Identifier: MIT */
/* Debian's ksmtuned modelled: its config file, its arithmetic, its pgrep. */
#include "ksm/ksmtuned.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "ksm/parse.h"

/*
 * The script's variables, its defaults and the ranges the model accepts (see
 * ksmtuned.h for why NPAGES_MIN, NPAGES_MAX and MONITOR_INTERVAL are narrower).
 */
static const struct {
    const char *name;
    int64_t fallback;
    int64_t min;
    int64_t max;
} vars[KSM_KSMTUNED_VAR_COUNT] = {
    [KSM_KSMTUNED_MONITOR_INTERVAL] = {.name = "KSM_MONITOR_INTERVAL",
                                       .fallback = 60,
                                       .min = 0,
                                       .max = INT64_MAX},
    [KSM_KSMTUNED_NPAGES_BOOST] = {.name = "KSM_NPAGES_BOOST",
                                   .fallback = 300,
                                   .min = INT64_MIN,
                                   .max = INT64_MAX},
    [KSM_KSMTUNED_NPAGES_DECAY] = {.name = "KSM_NPAGES_DECAY",
                                   .fallback = -50,
                                   .min = INT64_MIN,
                                   .max = INT64_MAX},
    [KSM_KSMTUNED_NPAGES_MIN] = {.name = "KSM_NPAGES_MIN",
                                 .fallback = 64,
                                 .min = 0,
                                 .max = UINT32_MAX},
    [KSM_KSMTUNED_NPAGES_MAX] = {.name = "KSM_NPAGES_MAX",
                                 .fallback = 1250,
                                 .min = 0,
                                 .max = UINT32_MAX},
    [KSM_KSMTUNED_SLEEP_MSEC] = {.name = "KSM_SLEEP_MSEC",
                                 .fallback = 10,
                                 .min = INT64_MIN,
                                 .max = INT64_MAX},
    [KSM_KSMTUNED_THRES_COEF] = {.name = "KSM_THRES_COEF",
                                 .fallback = 20,
                                 .min = INT64_MIN,
                                 .max = INT64_MAX},
    [KSM_KSMTUNED_THRES_CONST] = {.name = "KSM_THRES_CONST",
                                  .fallback = 2048,
                                  .min = INT64_MIN,
                                  .max = INT64_MAX},
};

/* Variables the script reads from the file for its logging and PID file. */
static const char *const other_vars[] = {"DEBUG", "LOGFILE", "PIDFILE"};

const char *ksm_ksmtuned_var_name(enum ksm_ksmtuned_var v)
{
    return (int)v >= 0 && v < KSM_KSMTUNED_VAR_COUNT ? vars[v].name : NULL;
}

void ksm_ksmtuned_config_defaults(struct ksm_ksmtuned_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (int i = 0; i < KSM_KSMTUNED_VAR_COUNT; i++)
        cfg->value[i] = vars[i].fallback;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_name_char(char c, bool first)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/*
 * Bytes an unquoted shell word may hold without any expansion, globbing or
 * operator: everything else ($, `, \, quotes, *?[, {}, ~, |&;<>() and so on)
 * makes the line shell code.  A carriage return is an ordinary character to
 * the shell, so it stays in the word and spoils a number.
 */
static bool is_plain_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || (unsigned char)c >= 0x80 ||
           (c != '\0' && strchr("_-+.,/:@%=#\r", c) != NULL);
}

/* An assignment line cut into its name and its value (quotes removed). */
struct assignment {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/*
 * Reads the quoted or plain value at *pp.  Returns 0 and advances *pp past
 * it, or -1 when it is shell code.
 */
static int lex_value(const char **pp, const char *end, struct assignment *a)
{
    const char *p = *pp;

    if (p < end && (*p == '\'' || *p == '"')) {
        const char quote = *p++;
        const char *close = memchr(p, quote, (size_t)(end - p));

        if (!close)
            return -1;
        /* Inside double quotes, $, ` and \ still expand. */
        if (quote == '"')
            for (const char *q = p; q < close; q++)
                if (*q == '$' || *q == '`' || *q == '\\')
                    return -1;
        a->value = p;
        a->value_len = (size_t)(close - p);
        *pp = close + 1;
        return 0;
    }
    a->value = p;
    while (p < end && !is_blank(*p)) {
        if (!is_plain_char(*p))
            return -1;
        p++;
    }
    a->value_len = (size_t)(p - a->value);
    *pp = p;
    return 0;
}

/*
 * Cuts a line (without its '\n') into an assignment.  Returns 1 for one,
 * 0 for a blank or comment line, -1 for shell code.
 */
static int lex_line(const char *p, const char *end, struct assignment *a)
{
    static const char export_word[] = "export";
    const size_t export_len = sizeof(export_word) - 1;

    while (p < end && is_blank(*p))
        p++;
    if (p == end || *p == '#')
        return 0;
    if ((size_t)(end - p) > export_len &&
        memcmp(p, export_word, export_len) == 0 && is_blank(p[export_len])) {
        p += export_len;
        while (p < end && is_blank(*p))
            p++;
    }
    a->name = p;
    while (p < end && is_name_char(*p, p == a->name))
        p++;
    a->name_len = (size_t)(p - a->name);
    if (a->name_len == 0 || p == end || *p != '=')
        return -1;
    p++;
    if (lex_value(&p, end, a) != 0)
        return -1;
    /* After the value, only blanks and a comment may follow. */
    if (p < end && !is_blank(*p))
        return -1;
    while (p < end && is_blank(*p))
        p++;
    return p == end || *p == '#' ? 1 : -1;
}

/*
 * What a line leaves open for the next one: a quote it opened and did not
 * close, '\\' for a backslash at its end, or 0.  open is what the line before
 * left.  The next line then belongs to this one for the shell, and is shell
 * code to the model as well.
 */
static char left_open(const char *p, const char *end, char open)
{
    bool word_start = true;

    for (; p < end; p++) {
        if (open == '\'' || open == '"') {
            if (*p == open)
                open = 0;
            else if (open == '"' && *p == '\\' && p + 1 < end)
                p++;
            word_start = false;
            continue;
        }
        open = 0;
        if (*p == '#' && word_start)
            return 0;
        if (*p == '\'' || *p == '"') {
            open = *p;
        } else if (*p == '\\') {
            if (p + 1 == end)
                return '\\';
            p++;
        }
        word_start = is_blank(*p);
    }
    /* A backslash from the line before has been consumed. */
    if (open == '\\')
        return 0;
    return open;
}

static bool name_is(const struct assignment *a, const char *name)
{
    return strlen(name) == a->name_len &&
           memcmp(a->name, name, a->name_len) == 0;
}

/*
 * Parses a known variable's value: a plain decimal without '+' or leading
 * zeros, since bash's arithmetic reads "010" as 8 and its test as 10.
 */
static int parse_value(const struct assignment *a, int var, int64_t *out)
{
    const char *digits = a->value;
    size_t len = a->value_len;
    int64_t v;
    int err;

    if (len > 0 && *digits == '-') {
        digits++;
        len--;
    }
    if (len == 0 || *digits < '0' || *digits > '9' ||
        memchr(digits, '\n', len) != NULL)
        return KSM_KSMTUNED_BAD_VALUE;
    if (*digits == '0' && len > 1)
        return KSM_KSMTUNED_BAD_VALUE;
    err = ksm_parse_i64(a->value, a->value_len, &v);
    if (err == -ERANGE)
        return KSM_KSMTUNED_OUT_OF_RANGE;
    if (err)
        return KSM_KSMTUNED_BAD_VALUE;
    if (v < vars[var].min || v > vars[var].max)
        return KSM_KSMTUNED_OUT_OF_RANGE;
    *out = v;
    return -1;
}

/*
 * Applies one assignment to cfg.  Returns -1 when it was taken, or the
 * reason it was ignored.
 */
static int apply(struct ksm_ksmtuned_config *cfg, const struct assignment *a)
{
    for (int i = 0; i < KSM_KSMTUNED_VAR_COUNT; i++) {
        int reason;
        int64_t v;

        if (!name_is(a, vars[i].name))
            continue;
        /* ${NAME:-default} treats an empty value as unset. */
        if (a->value_len == 0) {
            cfg->value[i] = vars[i].fallback;
            cfg->set &= ~(1U << i);
            return -1;
        }
        reason = parse_value(a, i, &v);
        if (reason >= 0)
            return reason;
        cfg->value[i] = v;
        cfg->set |= 1U << i;
        return -1;
    }
    for (size_t i = 0; i < sizeof(other_vars) / sizeof(other_vars[0]); i++)
        if (name_is(a, other_vars[i]))
            return -1;
    return KSM_KSMTUNED_UNKNOWN_NAME;
}

static void report(struct ksm_ksmtuned_config *cfg, unsigned line, int reason)
{
    if (cfg->ignored_count < KSM_KSMTUNED_MAX_REPORTED) {
        cfg->ignored[cfg->ignored_count].line = line;
        cfg->ignored[cfg->ignored_count].reason =
            (enum ksm_ksmtuned_ignored_reason)reason;
    }
    if (cfg->ignored_count < UINT_MAX)
        cfg->ignored_count++;
}

int ksm_ksmtuned_parse_config(const char *text, size_t n,
                              struct ksm_ksmtuned_config *cfg)
{
    struct ksm_ksmtuned_config c;
    const char *p = text;
    const char *end = text + n;
    unsigned line = 0;
    char open = 0;

    ksm_ksmtuned_config_defaults(&c);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        struct assignment a;
        bool joined;
        int kind;
        int reason;

        line++;
        joined = open != 0;
        open = left_open(p, eol, open);
        /* bash reads a NUL byte as the end of its line: unknown effect. */
        if (joined || memchr(p, '\0', (size_t)(eol - p)) != NULL)
            kind = -1;
        else
            kind = lex_line(p, eol, &a);
        if (kind < 0) {
            report(&c, line, KSM_KSMTUNED_SHELL_CODE);
        } else if (kind > 0) {
            reason = apply(&c, &a);
            if (reason >= 0)
                report(&c, line, reason);
        }
        p = nl ? nl + 1 : end;
    }
    *cfg = c;
    return 0;
}

/*
 * bash's arithmetic is intmax_t that wraps on overflow.  The conversion back
 * from uint64_t is written out, since a plain cast is implementation-defined.
 */
static int64_t wrap(uint64_t u)
{
    return u <= (uint64_t)INT64_MAX ? (int64_t)u
                                    : -(int64_t)(UINT64_MAX - u) - 1;
}

static int64_t wrap_add(int64_t a, int64_t b)
{
    return wrap((uint64_t)a + (uint64_t)b);
}

static int64_t wrap_mul(int64_t a, int64_t b)
{
    return wrap((uint64_t)a * (uint64_t)b);
}

/* The script's increase_npages(): add, then clamp to MIN, else to MAX. */
static int64_t increase_npages(const struct ksm_ksmtuned_config *cfg,
                               int64_t npages, int64_t delta)
{
    npages = wrap_add(npages, delta);
    if (npages < cfg->value[KSM_KSMTUNED_NPAGES_MIN])
        npages = cfg->value[KSM_KSMTUNED_NPAGES_MIN];
    else if (npages > cfg->value[KSM_KSMTUNED_NPAGES_MAX])
        npages = cfg->value[KSM_KSMTUNED_NPAGES_MAX];
    return npages;
}

/* mawk prints a whole number above INT32_MAX as "%.6g". */
#define AWK_INT_MAX INT32_MAX

int ksm_ksmtuned_decide(const struct ksm_ksmtuned_config *cfg,
                        const struct ksm_meminfo *mi, uint64_t committed_kb,
                        int64_t npages, struct ksm_ksmtuned_decision *out)
{
    const uint32_t free_bits = (1U << KSM_MEMINFO_MEM_FREE) |
                               (1U << KSM_MEMINFO_BUFFERS) |
                               (1U << KSM_MEMINFO_CACHED);
    struct ksm_ksmtuned_decision d = {0};
    uint64_t free_sum = 0;
    int64_t committed;

    if (!(mi->present & (1U << KSM_MEMINFO_MEM_TOTAL)) ||
        !(mi->present & free_bits) || mi->kb[KSM_MEMINFO_MEM_TOTAL] == 0)
        return -EINVAL;
    if (mi->kb[KSM_MEMINFO_MEM_TOTAL] > (uint64_t)INT64_MAX ||
        committed_kb > AWK_INT_MAX)
        return -ERANGE;
    committed = (int64_t)committed_kb;
    d.total_kb = (int64_t)mi->kb[KSM_MEMINFO_MEM_TOTAL];

    /*
     * Start-up: sleep=$[SLEEP_MSEC * 16 * 1024 * 1024 / total].  Three
     * wrapping products equal one by 2^24 modulo 2^64.
     */
    d.sleep_millisecs = wrap_mul(cfg->value[KSM_KSMTUNED_SLEEP_MSEC],
                                 INT64_C(16) * 1024 * 1024) /
                        d.total_kb;
    if (d.sleep_millisecs <= 10)
        d.sleep_millisecs = 10;
    d.thres_kb =
        wrap_mul(d.total_kb, cfg->value[KSM_KSMTUNED_THRES_COEF]) / 100;
    if (cfg->value[KSM_KSMTUNED_THRES_CONST] > d.thres_kb)
        d.thres_kb = cfg->value[KSM_KSMTUNED_THRES_CONST];

    /* free_memory(): awk sums in doubles, exact below 2^53. */
    for (int i = KSM_MEMINFO_MEM_FREE; i <= KSM_MEMINFO_CACHED; i++)
        if (mi->present & (1U << i)) {
            uint64_t kb = mi->kb[i];

            free_sum = free_sum > UINT64_MAX - kb ? UINT64_MAX : free_sum + kb;
        }
    d.free_unreadable = free_sum > AWK_INT_MAX;
    d.free_kb = free_sum > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)free_sum;

    /* adjust(): a failed test (unreadable free) counts as false. */
    if (!d.free_unreadable && wrap_add(committed, d.thres_kb) < d.total_kb &&
        d.free_kb > d.thres_kb) {
        d.action = KSM_KSMTUNED_STOP;
        d.npages = npages;
    } else if (!d.free_unreadable && d.free_kb < d.thres_kb) {
        d.action = KSM_KSMTUNED_BOOST;
        d.npages =
            increase_npages(cfg, npages, cfg->value[KSM_KSMTUNED_NPAGES_BOOST]);
    } else {
        d.action = KSM_KSMTUNED_DECAY;
        d.npages =
            increase_npages(cfg, npages, cfg->value[KSM_KSMTUNED_NPAGES_DECAY]);
    }
    *out = d;
    return 0;
}

/*
 * The pattern is fixed, so it is matched by hand rather than with regcomp():
 * "^qemu-system" is a prefix, ".*-enable-kvm" a substring after it (neither
 * literal holds a space, so the NULs between arguments, which pgrep shows as
 * spaces, never take part in a match), and regexec() would stop at the first
 * NUL of the raw command line.
 */
bool ksm_ksmtuned_counts(const char *cmdline, size_t n)
{
    static const char head[] = "qemu-system";
    static const char needle[] = "-enable-kvm";
    const size_t hlen = sizeof(head) - 1;
    const size_t nlen = sizeof(needle) - 1;

    if (n > KSM_KSMTUNED_CMDLINE_MAX)
        n = KSM_KSMTUNED_CMDLINE_MAX;
    if (n < hlen || memcmp(cmdline, head, hlen) != 0)
        return false;
    return memmem(cmdline + hlen, n - hlen, needle, nlen) != NULL;
}
