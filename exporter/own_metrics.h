/* SPDX-License-Identifier: MIT */
/* The exporter's own families: build info, scrape duration, process_*. */
#ifndef KSM_EXPORTER_OWN_METRICS_H
#define KSM_EXPORTER_OWN_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "ksm/metrics.h"
#include "ksm/render.h"
#include "ksm/self.h"

/*
 * What one scrape knows about the exporter itself.  These figures are not
 * KSM's, so they stay out of struct ksm_sample and ksm_metrics[]: the
 * exporter appends them after the table with ksm_render_family().
 */
struct own_figures {
    const char *version;  /* build version */
    const char *revision; /* source revision */
    double scrape_duration_seconds;
    bool has_self; /* self holds this scrape's process figures */
    struct ksm_self self;
};

/*
 * The rows, in the order they are rendered: name, help, type and unit as in
 * ksm_metrics[]; no source fields (the values come from struct own_figures).
 */
extern const struct ksm_metric own_metrics[];
extern const size_t own_metrics_count;

/* Appends every own family to b.  Returns 0 or -ENOMEM. */
int own_metrics_render(struct ksm_buf *b, const struct own_figures *f,
                       enum ksm_format fmt);

#endif
