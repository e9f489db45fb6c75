/* SPDX-License-Identifier: MIT */
/* Problem events from successive samples, for adapters to log once. */
#include "ksm/tracker.h"

void ksm_tracker_update(struct ksm_tracker *t, const struct ksm_sample *s,
                        int err, ksm_event_fn fn, void *ctx)
{
    if (!s->up) {
        if (!t->seen || t->was_up || t->dir_error != err)
            fn(ctx, KSM_EVENT_DIR_FAILED, -1, err);
        t->seen = true;
        t->was_up = false;
        t->dir_error = err;
        /* Files start afresh when the directory comes back. */
        t->was_failed = 0;
        return;
    }
    if (t->seen && !t->was_up)
        fn(ctx, KSM_EVENT_DIR_RECOVERED, -1, 0);
    for (int f = 0; f < KSM_FIELD_COUNT; f++) {
        uint32_t bit = KSM_FIELD_BIT(f);
        bool now = (s->failed & bit) != 0;
        bool before = (t->was_failed & bit) != 0;

        if (now && (!before || s->error[f] != t->file_error[f]))
            fn(ctx, KSM_EVENT_FILE_FAILED, f, s->error[f]);
        else if (!now && before)
            fn(ctx, KSM_EVENT_FILE_RECOVERED, f, 0);
        t->file_error[f] = now ? s->error[f] : 0;
    }
    t->seen = true;
    t->was_up = true;
    t->dir_error = 0;
    t->was_failed = s->failed;
}
