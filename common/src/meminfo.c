/* SPDX-License-Identifier: MIT */
/* Strict parsing of the /proc/meminfo lines that ksmtuned reads. */
#include "ksm/meminfo.h"

#include <errno.h>
#include <string.h>

#include "ksm/parse.h"

static const char *const field_keys[KSM_MEMINFO_FIELD_COUNT] = {
    [KSM_MEMINFO_MEM_TOTAL] = "MemTotal",
    [KSM_MEMINFO_MEM_FREE] = "MemFree",
    [KSM_MEMINFO_BUFFERS] = "Buffers",
    [KSM_MEMINFO_CACHED] = "Cached",
    [KSM_MEMINFO_ANON_HUGE_PAGES] = "AnonHugePages",
};

/* Returns the field whose key is line's text before ':', or -1. */
static int find_field(const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);

    if (!colon)
        return -1;
    for (int i = 0; i < KSM_MEMINFO_FIELD_COUNT; i++) {
        size_t klen = strlen(field_keys[i]);

        if ((size_t)(colon - line) == klen &&
            memcmp(line, field_keys[i], klen) == 0)
            return i;
    }
    return -1;
}

/*
 * Parses the value of a known line: the text after "Key:" up to (without)
 * its '\n'.  The kernel pads with spaces and always prints " kB".
 */
static int parse_value(const char *p, const char *end, uint64_t *out)
{
    static const char unit[] = " kB";
    const size_t ulen = sizeof(unit) - 1;

    if (p == end || *p != ' ')
        return -EINVAL;
    while (p < end && *p == ' ')
        p++;
    if ((size_t)(end - p) <= ulen || memcmp(end - ulen, unit, ulen) != 0)
        return -EINVAL;
    return ksm_parse_u64(p, (size_t)(end - ulen - p), out);
}

int ksm_parse_meminfo(const char *text, size_t n, struct ksm_meminfo *out)
{
    struct ksm_meminfo mi = {0};
    const char *p = text;
    const char *end = text + n;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        int field;
        int err;

        if (!nl)
            return -EINVAL;
        field = find_field(p, (size_t)(nl - p));
        if (field >= 0) {
            const char *value = p + strlen(field_keys[field]) + 1;

            if (mi.present & (1U << field))
                return -EINVAL;
            err = parse_value(value, nl, &mi.kb[field]);
            if (err)
                return err;
            mi.present |= 1U << field;
        }
        p = nl + 1;
    }
    *out = mi;
    return 0;
}
