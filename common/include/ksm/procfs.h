/* SPDX-License-Identifier: MIT */
/* The cost side and per-process figures of KSM, from procfs. */
#ifndef KSM_PROCFS_H
#define KSM_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksm/meminfo.h"
#include "ksm/parse.h"

#define KSM_COMM_LEN    64
#define KSM_VM_NAME_LEN 128

/* One process listed in a sample (see docs/metrics.md for who is listed). */
struct ksm_process {
    char pid[12];             /* decimal, for labels */
    char comm[KSM_COMM_LEN];  /* valid UTF-8 */
    char vm[KSM_VM_NAME_LEN]; /* QEMU guest name, or "" */
    bool qemu;
    /*
     * Its KSM figures; the present bits say what this kernel has.  They are
     * all 0 for a QEMU process whose ksm_stat was refused or is missing:
     * such a process is listed for its guest figures below.
     */
    struct ksm_process_figures figures;
    /*
     * For a QEMU process only (all false and 0 otherwise).  Resident memory
     * as ksmtuned sums it (ps -o rss), read at every scan; whether
     * ksmtuned's pgrep pattern counts the process; and the anonymous memory
     * backed by transparent huge pages (smaps_rollup AnonHugePages), read
     * on a slower cadence and kept in between (docs/metrics.md says how old
     * it can be).
     */
    bool has_rss;
    bool ksmtuned_counted;
    bool has_thp_anon;
    uint64_t rss_bytes;
    uint64_t thp_anon_bytes;
};

/* The procfs files whose failures are counted, by name. */
enum ksm_proc_source {
    KSM_SRC_VMSTAT,       /* <procfs>/vmstat */
    KSM_SRC_KSMD_STAT,    /* <procfs>/<ksmd's pid>/stat */
    KSM_SRC_KSM_STAT,     /* <procfs>/PID/ksm_stat of any process */
    KSM_SRC_MEMINFO,      /* <procfs>/meminfo */
    KSM_SRC_STATM,        /* <procfs>/PID/statm of a QEMU process */
    KSM_SRC_SMAPS_ROLLUP, /* <procfs>/PID/smaps_rollup of a QEMU process */
    KSM_SRC_COUNT
};

extern const char *const ksm_proc_source_names[KSM_SRC_COUNT];

/* What one procfs reading found; part of struct ksm_sample. */
struct ksm_procfs_sample {
    double ksmd_cpu_seconds; /* when has_ksmd */
    uint64_t cow_ksm;        /* when has_cow */
    uint64_t swpin_copy;     /* when has_swpin_copy */
    /* Failures since the start, per source. */
    uint64_t source_errors[KSM_SRC_COUNT];
    /* The lines of <procfs>/meminfo found; present is 0 when unread. */
    struct ksm_meminfo meminfo;

    /* The process scan, when scanned. */
    const struct ksm_process *processes; /* owned by the reader */
    size_t nprocesses;
    uint64_t examined;   /* processes looked at in this scan */
    uint64_t denied;     /* of those, how many refused access */
    uint64_t vanished;   /* exited while being read, since the start */
    uint64_t over_limit; /* not looked at: beyond max_processes */

    /* Sources that exist on this system (bit 1 << KSM_SRC_*). */
    uint32_t source_exists;
    bool has_ksmd;
    /* The procfs root could be opened; then whether ksmtuned runs. */
    bool opened;
    bool ksmtuned_running;
    bool has_cow;
    bool has_swpin_copy;
    bool scanned; /* the process scan is enabled */
};

struct ksm_procfs_config {
    /* Root of procfs, e.g. "/proc"; copied. */
    const char *root;
    /* Scan every process's ksm_stat. */
    bool processes;
    /* The most processes one scan looks at; 0 means 65536. */
    size_t max_processes;
    /*
     * How many per-process descriptors may be kept open between scans;
     * beyond them a process's file is opened at every scan.  0 means the
     * soft RLIMIT_NOFILE at ksm_procfs_new() less 1024 descriptors for the
     * adapter (half of a limit under 2048).
     */
    size_t fd_budget;
    /* Clock ticks per second of /proc/PID/stat; 0 means sysconf(). */
    uint64_t ticks;
    /* Bytes per page of /proc/PID/statm; 0 means sysconf(). */
    uint64_t page_size;
    /*
     * Seconds between two reads of one QEMU process's smaps_rollup; 0 means
     * KSM_THP_INTERVAL_DEFAULT, and more than KSM_THP_INTERVAL_MAX counts as
     * that.  Reads are spread over the scans (see docs/metrics.md), and the
     * value is kept in between: it is about one interval plus one scan old
     * at most while the scans are regular.
     */
    uint64_t thp_interval;
    /*
     * The most of one CPU those reads may take on average, in percent: 0
     * means KSM_THP_CPU_PERCENT_DEFAULT, 100 or more means no limit.  The
     * kernel walks a guest's page tables for smaps_rollup: some 3 ms per
     * 256 MiB of guest RAM in 4 KiB pages, so a large host would otherwise
     * spend whole seconds per interval.  A read counts for the time it
     * lasts, which bounds its CPU time (waiting on the guest's mmap lock
     * counts too).  Beyond the limit the reads wait, and the values grow
     * older than one interval.
     */
    unsigned thp_cpu_percent;
    /* Monotonic nanoseconds for that cadence; NULL means CLOCK_MONOTONIC. */
    uint64_t (*clock)(void *arg);
    void *clock_arg;
};

/* The default of thp_interval, and the longest one accepted (a day). */
#define KSM_THP_INTERVAL_DEFAULT 60
#define KSM_THP_INTERVAL_MAX     86400
/* The default of thp_cpu_percent. */
#define KSM_THP_CPU_PERCENT_DEFAULT 1

struct ksm_procfs;

/* Returns 0 and a reader in *out, -ENOMEM or -EINVAL (empty root). */
int ksm_procfs_new(const struct ksm_procfs_config *c, struct ksm_procfs **out);

/*
 * Reads vmstat, meminfo, ksmd's CPU time and (when enabled) every process's
 * ksm_stat into *out.  look_for_ksmd says whether to search for the ksmd
 * thread when it is not known yet (it exists only when KSM does).  Nothing
 * here fails the whole reading: what cannot be read is absent and counted.
 * out->processes stays valid until the next call or ksm_procfs_free().
 */
void ksm_procfs_read(struct ksm_procfs *r, bool look_for_ksmd,
                     struct ksm_procfs_sample *out);

void ksm_procfs_free(struct ksm_procfs *r);

#endif
