/* SPDX-License-Identifier: MIT */
/* The exporter's own families, rendered after the KSM metric table. */
#include "own_metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

enum own_row {
    OWN_BUILD_INFO,
    OWN_SCRAPE_DURATION,
    OWN_CPU,
    OWN_RSS,
    OWN_VSIZE,
    OWN_START_TIME,
    OWN_OPEN_FDS,
    OWN_MAX_FDS,
    OWN_COUNT
};

const struct ksm_metric own_metrics[] = {
    [OWN_BUILD_INFO] = {.name = "ksm_exporter_build_info",
                        .help = "A metric with a constant '1' value labeled "
                                "by the version and source revision of "
                                "ksm_exporter.",
                        .type = KSM_GAUGE},
    [OWN_SCRAPE_DURATION] = {.name = "ksm_scrape_duration_seconds",
                             .help = "Time this scrape spent reading KSM.",
                             .type = KSM_GAUGE,
                             .unit = "seconds"},
    [OWN_CPU] = {.name = "process_cpu_seconds_total",
                 .help = "Total user and system CPU time spent in seconds.",
                 .type = KSM_COUNTER,
                 .unit = "seconds"},
    [OWN_RSS] = {.name = "process_resident_memory_bytes",
                 .help = "Resident memory size in bytes.",
                 .type = KSM_GAUGE,
                 .unit = "bytes"},
    [OWN_VSIZE] = {.name = "process_virtual_memory_bytes",
                   .help = "Virtual memory size in bytes.",
                   .type = KSM_GAUGE,
                   .unit = "bytes"},
    [OWN_START_TIME] = {.name = "process_start_time_seconds",
                        .help = "Start time of the process since unix epoch "
                                "in seconds.",
                        .type = KSM_GAUGE,
                        .unit = "seconds"},
    [OWN_OPEN_FDS] = {.name = "process_open_fds",
                      .help = "Number of open file descriptors.",
                      .type = KSM_GAUGE},
    [OWN_MAX_FDS] = {.name = "process_max_fds",
                     .help = "Maximum number of open file descriptors.",
                     .type = KSM_GAUGE},
};

const size_t own_metrics_count = OWN_COUNT;

#define U64(x)    ((struct ksm_value){.kind = KSM_VALUE_U64, .u = (x)})
#define DOUBLE(x) ((struct ksm_value){.kind = KSM_VALUE_DOUBLE, .d = (x)})

int own_metrics_render(struct ksm_buf *b, const struct own_figures *f,
                       enum ksm_format fmt)
{
    const struct ksm_label build[2] = {
        {"version", f->version ? f->version : ""},
        {"revision", f->revision ? f->revision : ""}};
    const struct ksm_self *p = &f->self;
    struct ksm_series v[OWN_COUNT] = {
        [OWN_BUILD_INFO] = {.labels = build, .nlabels = 2, .value = U64(1)},
        [OWN_SCRAPE_DURATION] = {.value = DOUBLE(f->scrape_duration_seconds)},
        [OWN_CPU] = {.value = DOUBLE(p->cpu_seconds)},
        [OWN_RSS] = {.value = U64(p->rss_bytes)},
        [OWN_VSIZE] = {.value = U64(p->vsize_bytes)},
        [OWN_START_TIME] = {.value = DOUBLE(p->start_time)},
        [OWN_OPEN_FDS] = {.value = U64(p->open_fds)},
        [OWN_MAX_FDS] = {.value = U64(p->max_fds)},
    };

    for (size_t i = 0; i < OWN_COUNT; i++) {
        /*
         * process_* are the families read from /proc/self, as in every
         * Prometheus client library: left out when it could not be read.
         */
        bool from_self = strncmp(own_metrics[i].name, "process_", 8) == 0;

        ksm_render_family(b, &own_metrics[i], &v[i],
                          from_self && !f->has_self ? 0 : 1, fmt);
    }
    return b->oom ? -ENOMEM : 0;
}
