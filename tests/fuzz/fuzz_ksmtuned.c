/* SPDX-License-Identifier: MIT */
/* libFuzzer: the ksmtuned config and meminfo parsers, decide() and pgrep. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ksm/ksmtuned.h"
#include "ksm/meminfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The invariants of a parsed config; abort() on a broken one. */
static void check_config(const struct ksm_ksmtuned_config *cfg, size_t size)
{
    unsigned shown = cfg->ignored_count < KSM_KSMTUNED_MAX_REPORTED
                         ? cfg->ignored_count
                         : KSM_KSMTUNED_MAX_REPORTED;

    if (cfg->ignored_count > size || cfg->set >= 1U << KSM_KSMTUNED_VAR_COUNT ||
        cfg->value[KSM_KSMTUNED_NPAGES_MIN] < 0 ||
        cfg->value[KSM_KSMTUNED_NPAGES_MIN] > UINT32_MAX ||
        cfg->value[KSM_KSMTUNED_NPAGES_MAX] < 0 ||
        cfg->value[KSM_KSMTUNED_NPAGES_MAX] > UINT32_MAX ||
        cfg->value[KSM_KSMTUNED_MONITOR_INTERVAL] < 0)
        abort();
    for (unsigned i = 0; i < shown; i++)
        if (cfg->ignored[i].line == 0 ||
            (i > 0 && cfg->ignored[i].line <= cfg->ignored[i - 1].line) ||
            cfg->ignored[i].reason > KSM_KSMTUNED_OUT_OF_RANGE)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes: reading past it is caught by ASan. */
    char *text = malloc(size ? size : 1);
    struct ksm_meminfo mi = {.present = (1U << KSM_MEMINFO_MEM_TOTAL) |
                                        (1U << KSM_MEMINFO_MEM_FREE),
                             .kb = {16777216, 1000000}};
    struct ksm_ksmtuned_config cfg;
    struct ksm_ksmtuned_decision d;
    uint64_t committed = size > 8 ? data[0] * UINT64_C(1000000) : 0;

    if (!text)
        return 0;
    memcpy(text, data, size);
    if (ksm_ksmtuned_parse_config(text, size, &cfg) != 0)
        abort();
    check_config(&cfg, size);
    if (ksm_parse_meminfo(text, size, &mi) == 0 &&
        mi.present >= 1U << KSM_MEMINFO_FIELD_COUNT)
        abort();
    if (ksm_ksmtuned_decide(&cfg, &mi, committed, 0, &d) == 0) {
        if (d.sleep_millisecs < 10 ||
            d.thres_kb < cfg.value[KSM_KSMTUNED_THRES_CONST])
            abort();
        /* From 0, MIN and MAX are in range, so the result is too. */
        if (d.npages < 0 || d.npages > UINT32_MAX)
            abort();
    }
    (void)ksm_ksmtuned_counts(text, size);
    free(text);
    return 0;
}
