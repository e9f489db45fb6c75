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

/*
 * An entry's listed_at when this scan does not list its process.  An index
 * of the list fits in 32 bits: a list has at most one process per PID, and
 * Linux has at most 2^22 PIDs.
 */
#define NOT_LISTED UINT32_MAX

/*
 * The longest comm an entry keeps as text, with its NUL: a user process's
 * comm (TASK_COMM_LEN).  A longer one (a kernel thread's, or one that
 * ksm_sanitize_text() made longer) is kept as its hash.
 */
#define SCAN_COMM_SHORT 16

/*
 * What a QEMU process keeps between scans beyond its entry: allocated when
 * the process is identified as QEMU, freed when it stops being one or its
 * entry goes (guest_scan.c).  An entry is copied by value from the last
 * scan's list to the next: the copy owns it, the old slot is not read again.
 */
struct scan_guest {
    char vm[KSM_VM_NAME_LEN]; /* the guest's name, or "" */
    /* ksmtuned's verdict, valid while the entry's counted_known holds. */
    bool ksmtuned_counted;
    /*
     * Its smaps_rollup: read (or tried) at thp_read_ns; the value, if the
     * read succeeded, is kept until the process goes.
     */
    bool thp_tried;
    bool has_thp_anon;
    uint64_t thp_read_ns;
    uint64_t thp_anon_bytes;
};

/*
 * The comm an entry's process had when last read: identified again when
 * it changes.  ksmd_vmstat.c looks for ksmtuned by it.
 */
struct scan_info {
    uint64_t comm_hash;         /* FNV-1a of a longer comm, when comm_hashed */
    char comm[SCAN_COMM_SHORT]; /* the comm when it fits, else "" */
};

/*
 * A process seen by the last scan (process_scan.c, guest_scan.c): what it
 * needs between scans, some 64 bytes.  Its figures are read anew at every
 * scan and go straight to the scan's list (struct ksm_process).
 */
struct scan_entry {
    int pid;
    int fd;             /* its ksm_stat (or ksm_merging_pages), or -1 */
    int comm_fd;        /* its comm, kept with fd, or -1 */
    int merging_fd;     /* ksm_merging_pages beside a ksm_stat without it */
    int statm_fd;       /* a QEMU process's statm, kept with fd, or -1 */
    uint32_t listed_at; /* its index in this scan's list, or NOT_LISTED */
    /* A QEMU process's own state; NULL for any other process. */
    struct scan_guest *guest;
    struct scan_info info;
    bool known;        /* comm and VM name read */
    bool merging_only; /* the kernel has ksm_merging_pages, not ksm_stat */
    bool no_source;    /* the kernel has neither */
    /* guest->ksmtuned_counted holds for info's comm and guest->vm. */
    bool counted_known;
    bool comm_hashed; /* info holds a longer comm's hash */
};

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
    /*
     * The CPU time smaps_rollup reads may still take, in ns: it grows by
     * thp_cpu_percent of the time between scans up to THP_CREDIT_MAX_NS,
     * and each read takes what it lasted.  Unlimited at 100 percent.
     */
    unsigned thp_cpu_percent;
    int64_t thp_credit_ns;
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
 * Says in out->ksmtuned_running whether a ksmtuned process runs.  When none
 * is known it searches the list of the scan just made, or, with the scan
 * off, walks the PIDs at most once a minute (ksmd_vmstat.c).
 */
void ksm_procfs_read_ksmtuned(struct ksm_procfs *r,
                              struct ksm_procfs_sample *out);

/* Closes the vmstat, meminfo, ksmd and ksmtuned descriptors (ksmd_vmstat.c). */
void ksm_procfs_close_kernel(struct ksm_procfs *r);

/* Scans every process into out's process list (process_scan.c). */
void ksm_procfs_scan(struct ksm_procfs *r, struct ksm_procfs_sample *out);

/* Closes and frees what the scan keeps (process_scan.c). */
void ksm_procfs_scan_free(struct ksm_procfs *r);

/*
 * Opens the file name of e's process, counted in fds_kept until it is
 * closed with ksm_procfs_close_kept().  Returns 0 and the descriptor in
 * *fd, or a negative errno (process_scan.c).
 */
int ksm_procfs_open_kept(struct ksm_procfs *r, const struct scan_entry *e,
                         const char *name, int *fd);

/* Closes *fd when it is open, uncounts it and sets it to -1 (process_scan.c).
 */
void ksm_procfs_close_kept(struct process_scan *sc, int *fd);

/*
 * Reads the small file path below dirfd at once into buf, of cap bytes,
 * with its length in *len.  Returns 0, -EOVERFLOW when buf fills, or
 * another negative errno (process_scan.c).
 */
int ksm_procfs_read_at(int dirfd, const char *path, char *buf, size_t cap,
                       size_t *len);

/* Whether the directory of e's process is still there (process_scan.c). */
bool ksm_procfs_process_exists(const struct ksm_procfs *r,
                               const struct scan_entry *e);

/*
 * Takes the guests' part of the config c: statm's unit and the
 * smaps_rollup cadence with its clock (guest_scan.c).
 */
void ksm_procfs_scan_configure(struct process_scan *sc,
                               const struct ksm_procfs_config *c);

/*
 * Forgets what is known of a QEMU process beyond its KSM figures: frees its
 * guest state and closes its statm (guest_scan.c).
 */
void ksm_procfs_forget_guest(struct process_scan *sc, struct scan_entry *e);

/*
 * Reads the comm of e's process into comm (KSM_COMM_LEN), and identifies
 * the process again when its comm changed or it is not known: whether it
 * is a QEMU guest and which, with e's guest state to match.  Returns 0, the
 * negative errno of reading comm or the command line, or -ENOMEM when a
 * guest's state cannot be allocated (guest_scan.c).
 */
int ksm_procfs_refresh_identity(struct ksm_procfs *r, struct scan_entry *e,
                                char *comm);

/*
 * Whether Debian's ksmtuned counts e's process, whose command line's first
 * n bytes are in cmdline, cut when cut is set (guest_scan.c).
 */
bool ksm_procfs_ksmtuned_counts(struct ksm_procfs *r,
                                const struct scan_entry *e, const char *cmdline,
                                size_t n, bool cut);

/*
 * Reads a QEMU process's resident memory into p, what this scan lists of
 * it.  Returns 0, or the negative errno that says the process is gone
 * (guest_scan.c).
 */
int ksm_procfs_read_rss(struct ksm_procfs *r, struct scan_entry *e,
                        struct ksm_process *p);

/*
 * Reads the due guests' smaps_rollup among the nnext entries of sc->next,
 * within this scan's budget, and gives every listed guest in sc->out its
 * THP share (guest_scan.c).
 */
void ksm_procfs_read_thp_shares(struct ksm_procfs *r, size_t nnext,
                                uint64_t now);

#endif
