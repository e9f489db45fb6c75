/* SPDX-License-Identifier: MIT */
/* The procfs reader's state, shared by its files; never installed. */
#ifndef KSM_PROCFS_INTERNAL_H
#define KSM_PROCFS_INTERNAL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksm/procfs.h"

#define VMSTAT_BUF  32768
#define MEMINFO_BUF 8192
#define CMDLINE_BUF 16384

/*
 * A process found by walking the PIDs (ksmd, ksmtuned): its stat is kept
 * open to see it exit, and a search happens at most once a minute.
 */
struct watched_process {
    int fd; /* <procfs>/PID/stat, or -1 */
    uint64_t searched_ns;
    bool searched;
};

/* ksmd's CPU time, vmstat's KSM counters and meminfo (ksmd_vmstat.c). */
struct ksmd_vmstat {
    int vmstat_fd;
    int meminfo_fd;
    /* Where cow_ksm and ksm_swpin_copy were last found in vmstat. */
    size_t vmstat_hint[2];
    /* ksmd's and ksmtuned's <procfs>/PID/stat, kept open while they live. */
    struct watched_process ksmd;
    struct watched_process ksmtuned;
    double ticks; /* clock ticks per second of /proc/PID/stat */
    char vmstat[VMSTAT_BUF];
    char meminfo[MEMINFO_BUF];
};

struct scan_entry;

/* What the per-process scan (process_scan.c) keeps between scans. */
struct process_scan {
    bool enabled;
    size_t max_processes;
    size_t fd_budget;
    size_t fds_kept;
    uint64_t vanished;
    /* The processes of the last scan by ascending PID, and the next list. */
    struct scan_entry *ent, *next;
    size_t nent, ent_cap, next_cap;
    int *pids;
    size_t pid_cap;
    struct ksm_process *out;
    size_t out_cap;
    /* statm's unit, and the smaps_rollup cadence with its clock. */
    uint64_t page_size;
    uint64_t thp_interval_ns;
    uint64_t (*clock)(void *arg);
    void *clock_arg;
    uint64_t last_scan_ns;
    bool have_last_scan;
    char cmdline[CMDLINE_BUF];
};

struct ksm_procfs {
    char *root;
    int rootfd;
    DIR *dir;
    uint64_t errors[KSM_SRC_COUNT];
    struct ksmd_vmstat kernel;
    struct process_scan scan;
};

/*
 * A directory entry's name as a PID: strictly decimal, from 1 to INT_MAX.
 * Returns 0 and the PID in *pid, or -EINVAL for any other name.
 */
int ksm_procfs_parse_pid(const char *name, int *pid);

/* Reads vmstat's KSM counters into *out (ksmd_vmstat.c). */
void ksm_procfs_read_vmstat(struct ksm_procfs *r,
                            struct ksm_procfs_sample *out);

/* Reads meminfo's lines into out->meminfo (ksmd_vmstat.c). */
void ksm_procfs_read_meminfo(struct ksm_procfs *r,
                             struct ksm_procfs_sample *out);

/*
 * Reads ksmd's CPU time into *out; with look, searches for the ksmd thread
 * when it is not known, at most once a minute (ksmd_vmstat.c).
 */
void ksm_procfs_read_ksmd(struct ksm_procfs *r, bool look,
                          struct ksm_procfs_sample *out);

/*
 * Says in out->ksmtuned_running whether a ksmtuned process runs; searches
 * for one when none is known, at most once a minute (ksmd_vmstat.c).
 */
void ksm_procfs_read_ksmtuned(struct ksm_procfs *r,
                              struct ksm_procfs_sample *out);

/* Closes the vmstat, meminfo, ksmd and ksmtuned descriptors (ksmd_vmstat.c). */
void ksm_procfs_close_kernel(struct ksm_procfs *r);

/* Scans every process into out's process list (process_scan.c). */
void ksm_procfs_scan(struct ksm_procfs *r, struct ksm_procfs_sample *out);

/* Takes the scan's part of the config c (process_scan.c). */
void ksm_procfs_scan_configure(struct process_scan *sc,
                               const struct ksm_procfs_config *c);

/* Closes and frees what the scan keeps (process_scan.c). */
void ksm_procfs_scan_free(struct ksm_procfs *r);

#endif
