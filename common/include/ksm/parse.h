/* SPDX-License-Identifier: MIT */
/* Strict parsers for what the kernel prints in sysfs's ksm and in procfs. */
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

/*
 * Parses an unsigned decimal ("%lu\n", no sign) as ksm_parse_u64() does,
 * for a figure stored beside signed ones in an int64_t.  Returns 0, -EINVAL,
 * or -ERANGE when the value exceeds INT64_MAX.
 */
int ksm_parse_u64_as_i64(const char *text, size_t n, int64_t *out);

/* The modes listed in a selection file and which one is selected. */
struct ksm_selection {
    unsigned count;
    unsigned selected; /* index into names, always < count */
    char names[KSM_MAX_MODES][KSM_MODE_NAMELEN + 1];
};

/*
 * Parses a selection as the kernel prints it for advisor_mode,
 * "[none] scan-time\n", and for transparent huge pages' enabled and defrag,
 * "always defer defer+madvise [madvise] never\n".  Names are separated by
 * single spaces, exactly one is in brackets, one '\n' may end the text.
 * Names consist of [a-z0-9_+-] and
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
    uint64_t ppid;      /* (4) */
    uint64_t flags;     /* (9) PF_* */
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

/* The figures of /proc/PID/ksm_stat, in the order of KSM_PROC_* bits. */
enum ksm_proc_field {
    KSM_PROC_MERGING_PAGES, /* ksm_merging_pages %lu */
    KSM_PROC_ZERO_PAGES,    /* ksm_zero_pages %ld */
    KSM_PROC_RMAP_ITEMS,    /* ksm_rmap_items %lu */
    KSM_PROC_PROFIT,        /* ksm_process_profit %ld, bytes */
    KSM_PROC_MERGEABLE,     /* ksm_mergeable: yes|no */
    KSM_PROC_MERGE_ANY,     /* ksm_merge_any: yes|no */
    KSM_PROC_FIELD_COUNT
};

/* The KSM figures of one process, from ksm_stat or ksm_merging_pages. */
struct ksm_process_figures {
    uint32_t present; /* bit (1 << KSM_PROC_*) per figure found */
    int64_t value[KSM_PROC_FIELD_COUNT];
};

/*
 * Parses /proc/PID/ksm_stat: lines "key value" (numbers, strict as
 * ksm_parse_u64/i64, unsigned ones at most INT64_MAX) and "key: yes|no".
 * Lines with other keys are skipped, so that a newer kernel's additions do
 * no harm.  Empty text (a kernel thread) gives present == 0.
 *
 * Returns 0 and writes *out, or -EINVAL/-ERANGE for a malformed known line
 * or a line without '\n'.  *out is untouched on failure.
 */
int ksm_parse_ksm_stat(const char *text, size_t n,
                       struct ksm_process_figures *out);

/*
 * Parses /proc/PID/ksm_merging_pages, one unsigned decimal as
 * ksm_parse_u64() reads it, into the KSM_PROC_MERGING_PAGES figure of *out
 * (its present bit set), leaving the other figures as they are.  The file
 * exists on kernels whose ksm_stat lacks that line, or that have no
 * ksm_stat at all.
 *
 * Returns 0, -EINVAL, or -ERANGE above INT64_MAX.  *out is untouched on
 * failure.
 */
int ksm_parse_merging_pages(const char *text, size_t n,
                            struct ksm_process_figures *out);

/*
 * Parses /proc/PID/statm, seven unsigned decimals separated by single
 * spaces and ended by '\n' ("size resident shared text lib data dt"), each
 * strict as ksm_parse_u64() reads it, and gives the second, the resident
 * pages: the same count as status's VmRSS, which `ps -o rss` reports in kB.
 *
 * Returns 0 and the pages in *pages, or -EINVAL/-ERANGE for any other
 * text.  *pages is untouched on failure.
 */
int ksm_parse_statm_resident(const char *text, size_t n, uint64_t *pages);

/*
 * Finds the line "AnonHugePages: N kB" of /proc/PID/smaps_rollup: the key
 * at the start of a line, one or more spaces, N strict as ksm_parse_u64()
 * reads it, then exactly " kB".  The text is read as ksm_parse_meminfo()
 * reads meminfo (meminfo.h): every line ends with '\n', and other lines
 * are skipped unless they carry one of meminfo's other keys, which
 * smaps_rollup never prints.
 *
 * Returns 0 and N (kB) in *kb, -ENOENT when no line has the key, or
 * -EINVAL/-ERANGE for a malformed or repeated line, a last line without
 * '\n', or a line of meminfo's.  *kb is untouched on failure.
 */
int ksm_parse_anon_huge_pages(const char *text, size_t n, uint64_t *kb);

/*
 * Finds a QEMU guest's name in its command line (NUL-separated arguments,
 * n bytes, the last one possibly unterminated): the value of "-name", either
 * "guest=NAME,..." as libvirt writes it or "NAME[,...]".  ",," stands for a
 * literal comma.  The name is cut at size - 1 bytes on a UTF-8 boundary.
 *
 * Returns 0 and the name in out, -ENOENT without "-name", or -EINVAL when
 * its value is missing or gives an empty name.
 */
int ksm_parse_qemu_name(const char *cmdline, size_t n, char *out, size_t size);

/* Node numbers are below this; the kernel's MAX_NUMNODES is at most 1024. */
#define KSM_MAX_NODE 65536

/*
 * Counts the nodes of a node list as the kernel prints a nodemask with
 * "%*pbl\n", e.g. <sysfs>/devices/system/node/has_memory: "0", "0-1",
 * "0-3,5".  Items are a node or an ascending range "A-B" (A < B), separated
 * by single commas, in ascending order without overlap; numbers have no
 * sign, blank or leading zero; one '\n' may end the text.  An empty list is
 * refused: a running system has memory on some node.
 *
 * Returns 0 and the number of nodes in *count, -EINVAL for malformed text,
 * or -ERANGE for a node number of KSM_MAX_NODE or more.  *count is
 * untouched on failure.
 */
int ksm_parse_node_list(const char *text, size_t n, uint64_t *count);

/*
 * Finds the line "KEY N" of /proc/vmstat text (n bytes, not necessarily
 * NUL-terminated) and parses N as ksm_parse_u64() does.  Returns 0, -ENOENT
 * when no line has that key, or -EINVAL/-ERANGE for a malformed number.
 */
int ksm_parse_vmstat(const char *text, size_t n, const char *key,
                     uint64_t *out);

/*
 * The length of the valid UTF-8 sequence at s (at most n bytes, n > 0), or
 * 0 for a byte that starts none: no overlong forms, no surrogates, nothing
 * past U+10FFFF.
 */
size_t ksm_utf8_len(const unsigned char *s, size_t n);

/*
 * Makes s fit for a label value or a collectd instance: every byte that is
 * not part of valid UTF-8, and every control character, becomes '?'.
 */
void ksm_sanitize_text(char *s);

#endif
