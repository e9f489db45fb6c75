/* SPDX-License-Identifier: MIT */
/* The KSM sampler: reads /sys/kernel/mm/ksm into a plain sample struct. */
#ifndef KSM_SAMPLER_H
#define KSM_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#include "ksm/findings.h"
#include "ksm/host.h"
#include "ksm/parse.h"
#include "ksm/procfs.h"
#include "ksm/tuner.h"

/*
 * Every file of <sysfs>/kernel/mm/ksm that the sampler knows.  The order is
 * the order of ksm_field_names[] and of the bits in the masks below.
 */
enum ksm_field {
    KSM_PAGES_SHARED,
    KSM_PAGES_SHARING,
    KSM_PAGES_UNSHARED,
    KSM_PAGES_VOLATILE,
    KSM_ZERO_PAGES,
    KSM_STABLE_NODE_CHAINS,
    KSM_STABLE_NODE_DUPS,
    KSM_FULL_SCANS,
    KSM_PAGES_SCANNED,
    KSM_PAGES_SKIPPED,
    KSM_GENERAL_PROFIT,
    KSM_RUN,
    KSM_PAGES_TO_SCAN,
    KSM_SLEEP_MILLISECS,
    KSM_MAX_PAGE_SHARING,
    KSM_MERGE_ACROSS_NODES,
    KSM_USE_ZERO_PAGES,
    KSM_SMART_SCAN,
    KSM_STABLE_NODE_CHAINS_PRUNE_MILLISECS,
    KSM_ADVISOR_MODE,
    KSM_ADVISOR_MAX_CPU,
    KSM_ADVISOR_TARGET_SCAN_TIME,
    KSM_ADVISOR_MIN_PAGES_TO_SCAN,
    KSM_ADVISOR_MAX_PAGES_TO_SCAN,
    KSM_FIELD_COUNT
};

/* How the kernel prints a field, and so how it is parsed. */
enum ksm_field_format {
    KSM_FMT_U64,       /* "%lu\n" */
    KSM_FMT_I64,       /* "%ld\n" */
    KSM_FMT_SELECTION, /* "[a] b\n" */
};

/* The file name of each field, e.g. "pages_shared" (static storage). */
extern const char *const ksm_field_names[KSM_FIELD_COUNT];
/* The format of each field. */
extern const enum ksm_field_format ksm_field_formats[KSM_FIELD_COUNT];

#define KSM_FIELD_BIT(f) (UINT32_C(1) << (f))

/*
 * Rates of the cost counters, over the time since an earlier reading of the
 * same sampler that is at least KSM_RATE_MIN_WINDOW_NS older.  A reading
 * closer than that to the last one (a second scraper) keeps the last rates,
 * so every reader sees rates over a window of at least that length.
 */
struct ksm_rates {
    bool has;              /* a window exists: the members below are set */
    double window_seconds; /* the window's length */
    bool has_ksmd_cpu;
    double ksmd_cpu_share; /* ksmd's CPU seconds per second */
    bool has_cow;
    double cow_per_second; /* vmstat cow_ksm per second */
};

#define KSM_RATE_MIN_WINDOW_NS 1000000000ull

/*
 * One reading of the KSM directory.  A plain value the caller owns; the
 * sampler fills all of it on every read.
 */
struct ksm_sample {
    /* CLOCK_MONOTONIC (or the injected clock) when the read started, ns. */
    uint64_t timestamp_ns;
    /* The KSM directory could be opened and read this sample. */
    bool up;
    /* Fields read and parsed this sample. */
    uint32_t present;
    /* Fields that exist on this kernel (present or failed this sample). */
    uint32_t exists;
    /* Fields that exist but failed to read or parse this sample. */
    uint32_t failed;
    /* For each failed field, the negative errno of the failure. */
    int error[KSM_FIELD_COUNT];
    /* Failures counted since the sampler was created, per field. */
    uint64_t read_errors[KSM_FIELD_COUNT];
    /* Values of present fields; use .u or .i by ksm_field_formats. */
    union {
        uint64_t u;
        int64_t i;
    } value[KSM_FIELD_COUNT];
    /* The parsed advisor_mode, when KSM_ADVISOR_MODE is present. */
    struct ksm_selection advisor_mode;
    /* Seconds per full scan, valid when has_full_scan_duration. */
    bool has_full_scan_duration;
    double full_scan_duration_seconds;
    /* Constants of the sampler, copied for the derive functions. */
    uint64_t page_size;
    uint64_t rmap_item_size;

    /*
     * The sources beside the KSM directory, one member each, filled by that
     * source's own reader (common/src/<source>.c), which ksm_sampler_new()
     * creates and ksm_sampler_read() calls.  A further source (ksmtuned,
     * smaps_rollup) is a further member here, and its
     * metrics are rows of ksm_metrics[] whose series read that member.
     */

    /* Transparent huge pages and NUMA, from sysfs beside the KSM directory. */
    struct ksm_host_sample host;
    /* The cost side and the processes, when a procfs root is configured. */
    struct ksm_procfs_sample proc;
    /* Debian's ksmtuned config file. */
    struct ksm_tuner_sample tuner;
    /* ksmtuned's view and next check, derived from all of the above. */
    struct ksm_ksmtuned_view ksmtuned;
    /* The cost counters' rates (sampler state: needs an earlier reading). */
    struct ksm_rates rates;
    /* The findings, judged on all of the above. */
    struct ksm_verdict verdict;
};

/* Nanoseconds from some fixed point; must never go backwards. */
typedef uint64_t (*ksm_clock_fn)(void *arg);

struct ksm_sampler_config {
    /* Root of sysfs; NULL means "/sys".  Copied by ksm_sampler_new(). */
    const char *sysfs_root;
    /* Page size in bytes; 0 means sysconf(_SC_PAGESIZE). */
    uint64_t page_size;
    /* Size of the kernel's rmap_item; 0 means 64 on LP64, else 32. */
    uint64_t rmap_item_size;
    /* Clock for sample timestamps; NULL means CLOCK_MONOTONIC. */
    ksm_clock_fn clock;
    void *clock_arg;
    /*
     * Root of procfs for ksmd's CPU time, vmstat and (with processes) the
     * per-process scan; NULL reads no procfs at all.  See struct
     * ksm_procfs_config for max_processes, fd_budget, ticks, thp_interval
     * (seconds) and thp_cpu_percent (the procfs reader takes this sampler's
     * page size and clock).
     */
    const char *procfs_root;
    bool processes;
    size_t max_processes;
    size_t fd_budget;
    uint64_t ticks;
    uint64_t thp_interval;
    unsigned thp_cpu_percent;
    /*
     * Path of Debian's ksmtuned config file, e.g. "/etc/ksmtuned.conf";
     * copied.  NULL reads none: the script's defaults are assumed.
     */
    const char *ksmtuned_config;
};

struct ksm_sampler;

/*
 * Creates a sampler.  The KSM directory need not exist yet: it is opened on
 * the first read that finds it.  config may be NULL for all defaults.
 *
 * Returns 0 and stores a new sampler in *out (free it with
 * ksm_sampler_free()), -ENOMEM, or -EINVAL for a page size that is not a power
 * of two or an empty sysfs root.  A relative root is taken from the working
 * directory.
 */
int ksm_sampler_new(const struct ksm_sampler_config *config,
                    struct ksm_sampler **out);

/*
 * Reads every KSM file into *sample and updates the derived state (the
 * full-scan duration).  A missing file is simply not present; a file that
 * exists but cannot be read or parsed is not present, is marked failed and
 * has its error counted.
 *
 * Returns 0 when the KSM directory was read (sample->up is true), or the
 * negative errno of opening it (-ENOENT when KSM is not built in, -EACCES,
 * ...) with sample->up false and no field present.  *sample is written in
 * both cases.
 */
int ksm_sampler_read(struct ksm_sampler *sampler, struct ksm_sample *sample);

/*
 * Derives s->ksmtuned from the rest of *s: the sums over the listed
 * processes and the prediction of ksmtuned's next check.
 * ksm_sampler_read() calls it last; a sample put together by other means
 * calls it once its other members are set.
 */
void ksm_sample_derive_ksmtuned(struct ksm_sample *s);

/* Closes every file and frees the sampler.  NULL is allowed. */
void ksm_sampler_free(struct ksm_sampler *sampler);

/* The path of the KSM directory the sampler reads (owned by the sampler). */
const char *ksm_sampler_path(const struct ksm_sampler *sampler);

/* The ksmtuned config file it reads, or NULL (owned by the sampler). */
const char *ksm_sampler_ksmtuned_config(const struct ksm_sampler *sampler);

#endif
