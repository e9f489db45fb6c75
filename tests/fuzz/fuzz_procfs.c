/* SPDX-License-Identifier: MIT */
/* libFuzzer: ksm_stat, vmstat, /proc/PID/stat and the QEMU -name parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ksm/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    struct ksm_ksm_stat ks;
    struct ksm_proc_stat ps;
    char comm[16], vm[24];
    uint64_t v;

    if (!text)
        return 0;
    memcpy(text, data, size);
    ksm_parse_ksm_stat(text, size, &ks);
    ksm_parse_vmstat(text, size, "cow_ksm", &v);
    if (ksm_parse_proc_stat(text, size, &ps, comm, sizeof(comm)) == 0 &&
        strlen(comm) >= sizeof(comm))
        abort();
    /* Odd sizes too: the cut must stay on a character boundary. */
    if (ksm_parse_qemu_name(text, size, vm, 1 + (size % sizeof(vm))) == 0) {
        size_t n = strlen(vm);

        if (n == 0 || n >= sizeof(vm))
            abort();
        for (size_t k = 0; k < n; k++)
            if ((unsigned char)vm[k] < 0x20 || vm[k] == 0x7f)
                abort(); /* sanitised: no control characters */
    }
    free(text);
    return 0;
}
