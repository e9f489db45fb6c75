/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: ksm_stat, ksm_merging_pages, vmstat, /proc/PID/stat, -name,
 * statm and smaps_rollup.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ksm/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    struct ksm_process_figures ks;
    struct ksm_process_figures merging = {0};
    struct ksm_proc_stat ps;
    char comm[16], vm[24];
    uint64_t v;
    uint64_t kept = UINT64_C(0x5a5a5a5a5a5a5a5a);

    if (!text)
        return 0;
    memcpy(text, data, size);
    ksm_parse_ksm_stat(text, size, &ks);
    ksm_parse_vmstat(text, size, "cow_ksm", &v);
    /* A value that does not parse must claim no figure. */
    if (ksm_parse_merging_pages(text, size, &merging) != 0 &&
        merging.present != 0)
        abort();
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
    /* A refused text leaves the out-parameter as it was. */
    v = kept;
    if (ksm_parse_statm_resident(text, size, &v) != 0 && v != kept)
        abort();
    v = kept;
    if (ksm_parse_anon_huge_pages(text, size, &v) != 0 && v != kept)
        abort();
    free(text);
    return 0;
}
