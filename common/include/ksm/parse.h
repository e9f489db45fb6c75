/* SPDX-License-Identifier: MIT */
/* Strict parsers for the text the kernel prints in /sys/kernel/mm/ksm. */
#ifndef KSM_PARSE_H
#define KSM_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The most modes a selection file such as advisor_mode may list, and the
 * longest mode name (without the terminating NUL) that is accepted.
 */
#define KSM_MAX_MODES    8
#define KSM_MODE_NAMELEN 23

/*
 * Parses an unsigned decimal as the kernel prints it with "%lu\n".
 *
 * The text is exactly n bytes (it need not be NUL-terminated).  It must start
 * with a digit: empty text, blanks, '+' and '-' are refused.  After the digits
 * one '\n' is allowed and nothing else.  Leading zeros are accepted, since
 * they cannot change the value.
 *
 * Returns 0 and writes *out on success, -EINVAL for malformed text, -ERANGE
 * when the value does not fit in 64 bits.  *out is untouched on failure.
 */
int ksm_parse_u64(const char *text, size_t n, uint64_t *out);

/*
 * Parses a signed decimal as the kernel prints it with "%ld\n".  As
 * ksm_parse_u64(), except that one leading '-' is allowed, directly followed
 * by a digit.  Returns 0, -EINVAL or -ERANGE.
 */
int ksm_parse_i64(const char *text, size_t n, int64_t *out);

/* The modes listed in a selection file and which one is selected. */
struct ksm_selection {
    unsigned count;
    unsigned selected; /* index into names, always < count */
    char names[KSM_MAX_MODES][KSM_MODE_NAMELEN + 1];
};

/*
 * Parses a selection as the kernel prints it for advisor_mode:
 * "[none] scan-time\n".  Names are separated by single spaces, exactly one is
 * in brackets, one '\n' may end the text.  Names consist of [a-z0-9_-] and
 * are at most KSM_MODE_NAMELEN long; at most KSM_MAX_MODES are listed; a
 * name appears once.
 *
 * Returns 0 and writes *out on success, -EINVAL for malformed text, -ERANGE
 * when there are too many or too long names.  *out is untouched on failure.
 */
int ksm_parse_selection(const char *text, size_t n, struct ksm_selection *out);

/* The fields of /proc/PID/stat that the project uses (proc(5) numbering). */
struct ksm_proc_stat {
    char state;         /* (3) */
    uint64_t utime;     /* (14) clock ticks */
    uint64_t stime;     /* (15) clock ticks */
    uint64_t starttime; /* (22) clock ticks after boot */
    uint64_t vsize;     /* (23) bytes */
    uint64_t rss;       /* (24) pages */
};

/*
 * Parses the text of /proc/PID/stat.  The command name (2) may hold any
 * byte, spaces and ')' included, so fields are counted after the last ')'.
 * Each used field must be a strict unsigned decimal.
 *
 * Returns 0 and writes *out, or -EINVAL for text that is not such a line.
 * comm, when not NULL, receives the command name, NUL-terminated and cut to
 * comm_size - 1 bytes.
 */
int ksm_parse_proc_stat(const char *text, size_t n, struct ksm_proc_stat *out,
                        char *comm, size_t comm_size);

#endif
