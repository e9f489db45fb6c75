/* SPDX-License-Identifier: MIT */
/* Turns successive samples into problem events: each logged once. */
#ifndef KSM_TRACKER_H
#define KSM_TRACKER_H

#include <stdbool.h>
#include <stdint.h>

#include "ksm/sampler.h"

enum ksm_event {
    KSM_EVENT_DIR_FAILED,     /* the directory cannot be read (err) */
    KSM_EVENT_DIR_RECOVERED,  /* it can again */
    KSM_EVENT_FILE_FAILED,    /* a file cannot be read or parsed (err) */
    KSM_EVENT_FILE_RECOVERED, /* it can again */
};

/*
 * Called for each change.  field is the file (KSM_EVENT_FILE_*) or -1; err
 * is the negative errno of a failure, 0 for a recovery.
 */
typedef void (*ksm_event_fn)(void *ctx, enum ksm_event event, int field,
                             int err);

/* What the last sample said.  Zero-initialise; plain value, caller owns. */
struct ksm_tracker {
    bool seen;
    bool was_up;
    int dir_error;
    uint32_t was_failed;
    int file_error[KSM_FIELD_COUNT];
};

/*
 * Compares sample s (and err, the return of ksm_sampler_read()) with what
 * the tracker saw last, calls fn for each problem that started, changed or
 * ended, and remembers s.  A problem that persists calls nothing.  The first
 * sample reports only failures.
 */
void ksm_tracker_update(struct ksm_tracker *t, const struct ksm_sample *s,
                        int err, ksm_event_fn fn, void *ctx);

#endif
