/* SPDX-License-Identifier: MIT */
/* libFuzzer: the number parsers, the selection format and node lists. */
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
    uint64_t u, nodes;
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
    /* Every accepted name is of [a-z0-9_+-] and non-empty. */
    if (ksm_parse_selection(text, size, &sel) == 0)
        for (unsigned k = 0; k < sel.count; k++)
            if (sel.names[k][0] == '\0' ||
                strspn(sel.names[k],
                       "abcdefghijklmnopqrstuvwxyz0123456789_+-") !=
                    strlen(sel.names[k]))
                abort();
    /* A node list names at least one node, each below KSM_MAX_NODE. */
    if (ksm_parse_node_list(text, size, &nodes) == 0 &&
        (nodes == 0 || nodes > KSM_MAX_NODE))
        abort();
    free(text);
    return 0;
}
