/* SPDX-License-Identifier: MIT */
/* A model of Debian's ksmtuned: its config file, its decision, its pgrep. */
#ifndef KSM_KSMTUNED_H
#define KSM_KSMTUNED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksm/meminfo.h"

/*
 * The model follows /usr/sbin/ksmtuned of Debian's package 4.20150326 (Red
 * Hat's bash script), run with Debian's awk (mawk) and procps 4 pgrep.  The
 * script sources /etc/ksmtuned.conf, then gives each variable that is unset
 * or empty its default with ${KSM_NAME:-default}.  The variables carry the
 * KSM_ prefix: a line "NPAGES_MAX=2000" sets nothing the script reads.
 */
enum ksm_ksmtuned_var {
    KSM_KSMTUNED_MONITOR_INTERVAL, /* seconds between checks, default 60 */
    KSM_KSMTUNED_NPAGES_BOOST,     /* default 300 */
    KSM_KSMTUNED_NPAGES_DECAY,     /* default -50 */
    KSM_KSMTUNED_NPAGES_MIN,       /* default 64 */
    KSM_KSMTUNED_NPAGES_MAX,       /* default 1250 */
    KSM_KSMTUNED_SLEEP_MSEC,       /* for 16 GiB of MemTotal, default 10 */
    KSM_KSMTUNED_THRES_COEF,       /* percent of MemTotal, default 20 */
    KSM_KSMTUNED_THRES_CONST,      /* kB, default 2048 */
    KSM_KSMTUNED_VAR_COUNT
};

/*
 * A variable's name as the script reads it, e.g. "KSM_NPAGES_MAX" (static
 * storage); NULL for a value outside the enum.
 */
const char *ksm_ksmtuned_var_name(enum ksm_ksmtuned_var v);

/* Why a line of the config file was left out of the model. */
enum ksm_ksmtuned_ignored_reason {
    /* A plain assignment to a variable the script does not read. */
    KSM_KSMTUNED_UNKNOWN_NAME,
    /*
     * Not a plain assignment: a command, an expansion or substitution ($,
     * backquote, backslash), several words, unbalanced quotes, a NUL byte,
     * and the lines the shell joins to such a line (an open quote, a
     * backslash at the end).  The file is never executed, so its effect is
     * unknown.
     */
    KSM_KSMTUNED_SHELL_CODE,
    /*
     * A known variable whose value is not a plain decimal integer: leading
     * zeros (octal in bash arithmetic, decimal in test), a '+', blanks,
     * a carriage return (a CRLF file: bash then fails on "N\r"), a
     * fraction.  The script reads such values inconsistently or fails.
     */
    KSM_KSMTUNED_BAD_VALUE,
    /* A plain decimal outside the range given for its variable below. */
    KSM_KSMTUNED_OUT_OF_RANGE,
};

/* How many ignored lines are reported one by one; the rest are counted. */
#define KSM_KSMTUNED_MAX_REPORTED 8

struct ksm_ksmtuned_ignored_line {
    unsigned line; /* 1-based line number */
    enum ksm_ksmtuned_ignored_reason reason;
};

/*
 * The variables as the script uses them after defaulting.  Lines that were
 * ignored keep the value of the previous plain assignment (or the default);
 * the script itself may have used something else for them, which is why they
 * are reported.
 */
struct ksm_ksmtuned_config {
    int64_t value[KSM_KSMTUNED_VAR_COUNT];
    uint32_t set; /* bit (1 << KSM_KSMTUNED_*) per variable the file set */
    unsigned ignored_count; /* all ignored lines */
    struct ksm_ksmtuned_ignored_line ignored[KSM_KSMTUNED_MAX_REPORTED];
};

/* Fills *cfg with the script's defaults, nothing set, nothing ignored. */
void ksm_ksmtuned_config_defaults(struct ksm_ksmtuned_config *cfg);

/*
 * Reads the text of /etc/ksmtuned.conf (n bytes, not necessarily
 * NUL-terminated) without executing anything.  Lines end with '\n'; the last
 * one may lack it.  Blank lines and '#' comments are skipped.  An accepted
 * line is [export ]NAME=VALUE with optional leading blanks, and after the
 * value optional blanks and a '#' comment.  VALUE is a word of characters
 * that are not special to the shell, or the same in '...' or "...".  An
 * empty VALUE unsets the variable, so the default applies, as
 * ${NAME:-default} does.
 *
 * The script also reads DEBUG, LOGFILE and PIDFILE from the file; plain
 * assignments to them are accepted and not modelled.
 *
 * Numeric values are plain decimals (a '-' allowed, no leading zeros),
 * so that bash's arithmetic and its test builtin read them alike.  Ranges:
 * NPAGES_MIN and NPAGES_MAX 0..UINT32_MAX (the script writes them to
 * pages_to_scan, which the kernel parses as unsigned int);
 * MONITOR_INTERVAL 0..INT64_MAX (sleep(1) refuses a negative one, and the
 * script then checks without pause); all others the 64-bit range of bash.
 *
 * Returns 0 and writes *cfg; it does not fail on any text.
 */
int ksm_ksmtuned_parse_config(const char *text, size_t n,
                              struct ksm_ksmtuned_config *cfg);

enum ksm_ksmtuned_action {
    KSM_KSMTUNED_STOP,  /* writes run=0, keeps npages */
    KSM_KSMTUNED_BOOST, /* npages += NPAGES_BOOST, then starts */
    KSM_KSMTUNED_DECAY, /* npages += NPAGES_DECAY, then starts */
};

/*
 * One check of the script.  On BOOST and DECAY it writes npages to
 * pages_to_scan, sleep_millisecs to sleep_millisecs, then 1 to run.  The
 * kernel refuses a sleep_millisecs above UINT32_MAX and, on kernels with
 * advisor_mode, any pages_to_scan while the advisor is not "none"; the
 * script ignores those failures.
 */
struct ksm_ksmtuned_decision {
    enum ksm_ksmtuned_action action;
    int64_t npages;          /* the script's npages after the check */
    int64_t sleep_millisecs; /* computed once at start-up, at least 10 */
    int64_t thres_kb;        /* max(MemTotal * COEF / 100, CONST) */
    int64_t total_kb;        /* MemTotal */
    int64_t free_kb;         /* MemFree + Buffers + Cached, those present */
    /*
     * mawk prints a sum above INT32_MAX in exponent notation ("2.14748e+09").
     * test then fails on free, so the script never stops KSM and decays.
     */
    bool free_unreadable;
};

/*
 * Computes what the script's next check does, exactly as bash computes it:
 * 64-bit integers that wrap, division truncating toward zero.  The script
 * reads MemTotal, and so the threshold and sleep, once at start-up; mi's
 * MemTotal stands for that value (they differ only after memory hot-plug or
 * ballooning).  committed_kb is the sum of the RSS (kB) of the processes
 * ksm_ksmtuned_counts() accepts.  npages is the script's own counter: 0 at
 * start-up, then the last pages_to_scan it wrote (a stop keeps it).
 *
 * Returns 0 and writes *out, -EINVAL when mi lacks MemTotal or has none of
 * MemFree, Buffers and Cached, or MemTotal is 0 (bash fails at start-up),
 * -ERANGE when MemTotal exceeds INT64_MAX or committed_kb exceeds INT32_MAX
 * (mawk prints it in exponent notation, bash's arithmetic fails on it and
 * the script's loop ends).  *out is untouched on failure.
 */
int ksm_ksmtuned_decide(const struct ksm_ksmtuned_config *cfg,
                        const struct ksm_meminfo *mi, uint64_t committed_kb,
                        int64_t npages, struct ksm_ksmtuned_decision *out);

/*
 * The longest command line pgrep matches: procps 4 looks at the first
 * 128 KiB - 1 bytes of the arguments joined with spaces (measured).
 */
#define KSM_KSMTUNED_CMDLINE_MAX 131071

/*
 * Whether the script counts a process with this command line, as read from
 * /proc/PID/cmdline (NUL-separated arguments, n bytes): it emulates
 * `pgrep -f '^qemu-system.*-enable-kvm'`.  The joined line must begin with
 * "qemu-system" (a guest started by path, "/usr/bin/qemu-system-x86_64",
 * is not counted, nor is "qemu-kvm") and contain "-enable-kvm" anywhere
 * after that within KSM_KSMTUNED_CMDLINE_MAX bytes.  libvirt's guests use
 * "-accel kvm" and are never counted.  An empty command line (a kernel thread,
 * a zombie) is not counted.
 */
bool ksm_ksmtuned_counts(const char *cmdline, size_t n);

#endif
