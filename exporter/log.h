/* SPDX-License-Identifier: MIT */
/* logfmt logging on stderr: ts=... level=... msg=... key=value. */
#ifndef KSM_EXPORTER_LOG_H
#define KSM_EXPORTER_LOG_H

enum log_level {
    KSM_LOG_DEBUG,
    KSM_LOG_INFO,
    KSM_LOG_WARN,
    KSM_LOG_ERROR,
};

/* Parses "debug", "info", "warn" or "error"; returns 0 or -EINVAL. */
int log_parse_level(const char *name, enum log_level *out);

/* Where lines go and which are kept.  Read-only once threads start. */
struct logger {
    enum log_level min; /* lines below this level are dropped */
    int fd;             /* normally STDERR_FILENO */
};

/*
 * Writes one line: the message and then key/value pairs, nkv pairs of
 * const char * arguments.  Values are quoted and escaped when logfmt needs
 * it.  One write(2) per line, so lines from two threads never interleave.
 */
void log_kv(const struct logger *lg, enum log_level level, const char *msg,
            int nkv, ...);

#endif
