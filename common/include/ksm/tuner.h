/* SPDX-License-Identifier: MIT */
/* Debian's ksmtuned as a source: its config file, read when it changes. */
#ifndef KSM_TUNER_H
#define KSM_TUNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksm/ksmtuned.h"

/* A reason in words for logs, e.g. "shell code" (static storage). */
const char *ksm_ksmtuned_reason_name(enum ksm_ksmtuned_ignored_reason r);

/* What one reading of ksmtuned's config found; part of struct ksm_sample. */
struct ksm_tuner_sample {
    /* A path is configured, and the file exists (read or failed). */
    bool conf_configured;
    bool conf_exists;
    /*
     * config holds what the script uses: the file's settings, or the
     * script's defaults when there is no file (the script sources it only
     * when `[ -f ]` finds it) or none is configured.
     */
    bool has_config;
    /* The negative errno of a failed read, when it exists but failed. */
    int conf_error;
    /* Failed reads since the start. */
    uint64_t conf_read_errors;
    struct ksm_ksmtuned_config config;
};

/*
 * What ksmtuned sees and will do, derived once per sample from the other
 * parts of struct ksm_sample (ksm_sample_derive_ksmtuned() in sampler.h),
 * so that the series only report it.
 */
struct ksm_ksmtuned_view {
    /* The processes were scanned, so both sums below are known. */
    bool has_committed;
    /* The resident memory (whole kB) of the processes its pgrep counts. */
    uint64_t committed_bytes;
    /* The same of every listed QEMU process, for comparison. */
    uint64_t guest_resident_bytes;
    /* Its next check is known: KSM is up, config, meminfo and sums known. */
    bool has_next;
    struct ksm_ksmtuned_decision next;
    /*
     * pages_to_scan after that check, when known: what it writes on boost
     * or decay, the unchanged file on stop.  Unknown while the kernel's
     * advisor refuses the script's writes to it.
     */
    bool has_next_pages_to_scan;
    int64_t next_pages_to_scan;
};

struct ksm_tuner_conf;

/*
 * Creates a reader of the config file at path (copied); NULL reads none.
 * Returns 0 and the reader in *out (NULL for a NULL path), or -ENOMEM.
 */
int ksm_tuner_conf_new(const char *path, struct ksm_tuner_conf **out);

/*
 * Fills *out.  The file is read and parsed again only when stat() says it
 * changed (device, inode, size, modification or change time), so an
 * unchanged file costs one stat() per sample.  A missing file is no error:
 * the defaults apply.  One that exists but cannot be read (or exceeds
 * 64 KiB) leaves has_config false and is counted.  c may be NULL.
 */
void ksm_tuner_conf_read(struct ksm_tuner_conf *c,
                         struct ksm_tuner_sample *out);

/* The path c reads (owned by c), or NULL when c is NULL. */
const char *ksm_tuner_conf_path(const struct ksm_tuner_conf *c);

/* Frees the reader.  NULL is allowed. */
void ksm_tuner_conf_free(struct ksm_tuner_conf *c);

/*
 * Writes the ignored lines of cfg for a log line into buf (size bytes,
 * NUL-terminated, cut when short): "2 (shell code), 7 (unknown name)",
 * followed by " and N more" beyond those reported one by one.
 */
void ksm_tuner_format_ignored(const struct ksm_ksmtuned_config *cfg, char *buf,
                              size_t size);

enum ksm_tuner_event {
    KSM_TUNER_CONF_FAILED,    /* the file cannot be read (conf_error) */
    KSM_TUNER_CONF_RECOVERED, /* it can again */
    KSM_TUNER_CONF_IGNORED,   /* the set of ignored lines changed */
};

typedef void (*ksm_tuner_event_fn)(void *ctx, enum ksm_tuner_event event,
                                   const struct ksm_tuner_sample *t);

/* What the adapter was last told.  Zero-initialise; plain value. */
struct ksm_tuner_tracker {
    bool failed;
    int error;
    unsigned ignored_count;
    struct ksm_ksmtuned_ignored_line ignored[KSM_KSMTUNED_MAX_REPORTED];
};

/*
 * Calls fn for each change since the last call, so that each is logged
 * once: a failure that starts or changes its errno, its end, and a parsed
 * file whose ignored lines differ from those of the last parsed one (an
 * empty set at the first call is no change).
 */
void ksm_tuner_tracker_update(struct ksm_tuner_tracker *tr,
                              const struct ksm_tuner_sample *t,
                              ksm_tuner_event_fn fn, void *ctx);

#endif
