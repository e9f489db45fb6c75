/* SPDX-License-Identifier: MIT */
/* libFuzzer: the KSM number parsers and advisor_mode's selection format. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ksm/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes: reading past it is caught by ASan. */
    char *text = malloc(size ? size : 1);
    struct ksm_selection sel;
    uint64_t u;
    int64_t i;

    if (!text)
        return 0;
    memcpy(text, data, size);
    if (ksm_parse_u64(text, size, &u) == 0 && size == 0)
        abort(); /* empty text must never parse */
    if (ksm_parse_i64(text, size, &i) == 0 && i > 0 &&
        ksm_parse_u64(text, size, &u) != 0)
        abort(); /* a positive signed value is a valid unsigned one */
    if (ksm_parse_selection(text, size, &sel) == 0 &&
        (sel.count == 0 || sel.selected >= sel.count ||
         sel.count > KSM_MAX_MODES))
        abort();
    free(text);
    return 0;
}
