/* SPDX-License-Identifier: MIT */
/* Facts about the host's memory in sysfs beside the KSM directory. */
#ifndef KSM_HOST_H
#define KSM_HOST_H

#include <stdint.h>

#include "ksm/parse.h"

/* The files the host reader knows, in the order of the bits below. */
enum ksm_host_file {
    KSM_HOST_THP_ENABLED, /* kernel/mm/transparent_hugepage/enabled */
    KSM_HOST_THP_DEFRAG,  /* kernel/mm/transparent_hugepage/defrag */
    KSM_HOST_NODE_MEMORY, /* devices/system/node/has_memory */
    KSM_HOST_FILE_COUNT
};

/* Each file's name in ksm_read_errors_total{file}, e.g. "thp_enabled". */
extern const char *const ksm_host_file_names[KSM_HOST_FILE_COUNT];
/* Each file's path below the sysfs root, starting with '/'. */
extern const char *const ksm_host_file_paths[KSM_HOST_FILE_COUNT];

/* What one reading found; part of struct ksm_sample. */
struct ksm_host_sample {
    /* Files read and parsed, and files that exist (bit 1 << KSM_HOST_*). */
    uint32_t present;
    uint32_t exists;
    /* Failures since the start, per file. */
    uint64_t read_errors[KSM_HOST_FILE_COUNT];
    struct ksm_selection thp_enabled; /* when KSM_HOST_THP_ENABLED */
    struct ksm_selection thp_defrag;  /* when KSM_HOST_THP_DEFRAG */
    uint64_t memory_nodes;            /* when KSM_HOST_NODE_MEMORY */
};

struct ksm_host;

/*
 * Creates a reader of the files under sysfs_root (copied).  Returns 0 and a
 * reader in *out (free it with ksm_host_free()), or -ENOMEM.
 */
int ksm_host_new(const char *sysfs_root, struct ksm_host **out);

/*
 * Reads every file into *out.  A file that does not exist (a kernel
 * without THP or NUMA) is absent and looked for again once a minute of
 * now_ns, a monotonic time in nanoseconds; one that exists but cannot be
 * read or parsed is absent and counted.  Nothing fails the whole reading.
 */
void ksm_host_read(struct ksm_host *h, uint64_t now_ns,
                   struct ksm_host_sample *out);

/* Closes every file and frees the reader.  NULL is allowed. */
void ksm_host_free(struct ksm_host *h);

#endif
