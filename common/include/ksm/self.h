/* SPDX-License-Identifier: MIT */
/* The exporter's own process figures (process_* metrics) from /proc/self. */
#ifndef KSM_SELF_H
#define KSM_SELF_H

#include <stdbool.h>
#include <stdint.h>

/* Process figures as Prometheus client libraries report them. */
struct ksm_self {
    double cpu_seconds;   /* utime + stime */
    uint64_t rss_bytes;   /* resident set */
    uint64_t vsize_bytes; /* virtual memory */
    double start_time;    /* seconds since the Unix epoch */
    uint64_t open_fds;    /* entries of /proc/self/fd */
    uint64_t max_fds;     /* soft RLIMIT_NOFILE */
};

struct ksm_self_reader;

/*
 * Opens /proc/self/stat and /proc/self/fd and reads the boot time from
 * /proc/stat, once.  procfs is the procfs mount, NULL for "/proc".
 * Returns 0 and a reader in *out, -ENOMEM, or the negative errno of opening.
 */
int ksm_self_reader_new(const char *procfs, struct ksm_self_reader **out);

/* Fills *out.  Returns 0, or a negative errno with *out untouched. */
int ksm_self_read(struct ksm_self_reader *r, struct ksm_self *out);

/* Closes and frees; NULL is allowed. */
void ksm_self_reader_free(struct ksm_self_reader *r);

#endif
