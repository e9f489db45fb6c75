/* SPDX-License-Identifier: MIT */
/* libFuzzer: Accept and Accept-Encoding negotiation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    (void)exporter_negotiate(text);
    (void)exporter_accepts_gzip(text);
    free(text);
    return 0;
}
