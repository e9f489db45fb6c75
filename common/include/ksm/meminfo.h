/* SPDX-License-Identifier: MIT */
/* A strict parser for the /proc/meminfo lines that ksmtuned's model needs. */
#ifndef KSM_MEMINFO_H
#define KSM_MEMINFO_H

#include <stddef.h>
#include <stdint.h>

/* The lines of /proc/meminfo that are kept, in the order of their bits. */
enum ksm_meminfo_field {
    KSM_MEMINFO_MEM_TOTAL,       /* MemTotal */
    KSM_MEMINFO_MEM_FREE,        /* MemFree */
    KSM_MEMINFO_BUFFERS,         /* Buffers */
    KSM_MEMINFO_CACHED,          /* Cached (not SwapCached) */
    KSM_MEMINFO_ANON_HUGE_PAGES, /* AnonHugePages, only with
                                    CONFIG_TRANSPARENT_HUGEPAGE */
    KSM_MEMINFO_FIELD_COUNT
};

/*
 * The figures in kB (KiB, 1024 bytes), as the file prints them: ksmtuned does
 * all its arithmetic in these units, so they are kept rather than converted.
 */
struct ksm_meminfo {
    uint32_t present; /* bit (1 << KSM_MEMINFO_*) per line found */
    uint64_t kb[KSM_MEMINFO_FIELD_COUNT];
};

/*
 * Parses the text of /proc/meminfo (n bytes, not necessarily NUL-terminated).
 * Every line ends with '\n': a last line without one means a cut buffer.  A
 * known line is exactly "Key:", one or more spaces, a number as
 * ksm_parse_u64() reads it, and " kB".  Lines with other keys are skipped
 * unread, so that other kernels' additions do no harm.
 *
 * Returns 0 and writes *out, -EINVAL for a malformed known line, a known key
 * given twice or a line without '\n', or -ERANGE for a number beyond 64 bits.
 * *out is untouched on failure.
 */
int ksm_parse_meminfo(const char *text, size_t n, struct ksm_meminfo *out);

#endif
