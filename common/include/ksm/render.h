/* SPDX-License-Identifier: MIT */
/* Renders a sample as Prometheus text (0.0.4) or OpenMetrics (1.0.0). */
#ifndef KSM_RENDER_H
#define KSM_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksm/metrics.h"
#include "ksm/sampler.h"

/*
 * A growing output buffer.  Reset it with len = 0 and reuse it, so that a
 * long-lived renderer stops allocating once it has seen its largest body.
 * Zero-initialise it; free data with ksm_buf_free().
 */
struct ksm_buf {
    char *data;
    size_t len;
    size_t cap;
    /* Set when an allocation failed; everything appended since is lost. */
    bool oom;
};

void ksm_buf_free(struct ksm_buf *b);

/*
 * Makes room for n more bytes after b->len.  Returns 0, or -ENOMEM with
 * b->oom set.
 */
int ksm_buf_reserve(struct ksm_buf *b, size_t n);

enum ksm_format {
    KSM_FORMAT_TEXT,        /* text/plain; version=0.0.4 */
    KSM_FORMAT_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

/*
 * Appends every metric of ksm_metrics[] that has a series in sample s to b,
 * in the given format: HELP and TYPE (and UNIT in OpenMetrics) for each
 * family, label values escaped, NaN and +Inf/-Inf spelled as the formats
 * require, integers exact up to 2^64-1.  Families without a series are left
 * out.  Does not write the OpenMetrics "# EOF" line (see ksm_render_end()),
 * so that an adapter may append more families from the same table.
 *
 * Returns 0, or -ENOMEM (b->oom is then set and b->data incomplete).
 */
int ksm_render(struct ksm_buf *b, const struct ksm_sample *s,
               enum ksm_format fmt);

/*
 * Appends one metric's series (as ksm_render() does for each table row).
 * Returns how many series were written.
 */
size_t ksm_render_metric(struct ksm_buf *b, const struct ksm_metric *m,
                         const struct ksm_sample *s, enum ksm_format fmt);

/* One series of an adapter's own family (see ksm_render_family()). */
struct ksm_series {
    const struct ksm_label *labels;
    size_t nlabels;
    struct ksm_value value;
};

/*
 * Appends a family that is not in ksm_metrics[]: an adapter's own section,
 * such as the exporter's build info and process_* figures.  m gives the
 * name, help, type and unit (its source fields are not used); series holds
 * n series.  Written as ksm_render_metric() writes a table row, and nothing
 * at all when n is 0.  Returns 0, or -ENOMEM (b->oom is then set).
 */
int ksm_render_family(struct ksm_buf *b, const struct ksm_metric *m,
                      const struct ksm_series *series, size_t n,
                      enum ksm_format fmt);

/*
 * Ends the body: "# EOF\n" in OpenMetrics, nothing in text.  Either way a
 * NUL follows the body (not counted in len).  Returns 0 or -ENOMEM.
 */
int ksm_render_end(struct ksm_buf *b, enum ksm_format fmt);

/*
 * Formats a double as both formats spell it: "NaN", "+Inf", "-Inf", else
 * the shortest decimal that reads back to the same double.  buf must hold
 * at least 32 bytes.  Returns the length written (NUL-terminated).
 */
size_t ksm_format_double(double d, char *buf);

#endif
