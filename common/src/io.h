/* SPDX-License-Identifier: MIT */
/* File reading shared by the readers of ksm_common; never installed. */
#ifndef KSM_IO_H
#define KSM_IO_H

#include <stddef.h>

/*
 * Reads a whole small file from offset 0 into buf, retrying on EINTR, so
 * that a descriptor kept open gives fresh contents at every call.
 * Returns 0 and the length in *len, -EOVERFLOW when the text fills buf (it
 * is then not one of the short values expected), or the negative errno of
 * pread().
 */
int ksm_read_fd(int fd, char *buf, size_t cap, size_t *len);

#endif
