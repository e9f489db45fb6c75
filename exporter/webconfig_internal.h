/* SPDX-License-Identifier: MIT */
/* Shared by the web config reader's files: the walk's context and steps. */
#ifndef KSM_EXPORTER_WEBCONFIG_INTERNAL_H
#define KSM_EXPORTER_WEBCONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "webconfig.h"

/* The largest file read: the config itself, a certificate or a key. */
#define WC_MAX_FILE (1 << 20)

/* One load: the document, where to report a problem, what is filled. */
struct wc_ctx {
    yaml_document_t *doc;
    const char *dir; /* the config file's directory */
    char *err;
    size_t errlen;
    struct web_config *c;
    /*
     * cipher_suites without the suite Go's HTTP/2 demands, and whether
     * http2 is off: together they decide, once the whole file is read.
     */
    const yaml_node_t *h2_missing;
    bool http2_off;
};

/*
 * Every step that can fail writes one line to x->err, "line N: why", and
 * returns -EINVAL (a problem in the file) or -ENOMEM.
 */
__attribute__((format(printf, 3, 4))) int
wc_fail(struct wc_ctx *x, const yaml_node_t *n, const char *fmt, ...);
int wc_out_of_memory(struct wc_ctx *x, const yaml_node_t *n);

/* A scalar node's text, or NULL for any other node (or NULL). */
const char *wc_scalar(const yaml_node_t *n);

/* Whether n is absent, empty, "null" or "~" (plain style only). */
bool wc_is_null(const yaml_node_t *n);

/* "true" or "false" into *out. */
int wc_get_bool(struct wc_ctx *x, const yaml_node_t *n, const char *key,
                bool *out);

/* Frees a buffer that may hold key material, zeroing it first. */
void wc_free_secret(char *p);

/*
 * Reads the file that n names (relative to the config's directory) into
 * a new string at *out, freeing what *out held.
 */
int wc_read_file(struct wc_ctx *x, const yaml_node_t *n, const char *key,
                 char **out);

/* A copy of n's non-empty text into *out, freeing what *out held. */
int wc_set_string(struct wc_ctx *x, const yaml_node_t *n, const char *key,
                  char **out);

/*
 * Called for each pair of a mapping: k is the key's text (NULL when the
 * key is not a scalar), kn the key's node, v the value's node.
 */
typedef int (*wc_pair_fn)(struct wc_ctx *x, const char *k,
                          const yaml_node_t *kn, const yaml_node_t *v,
                          void *arg);

/*
 * Calls fn for each pair of mapping m, in order, first refusing a key seen
 * before when unique is set.  Returns the first non-zero result, or 0.
 */
int wc_each_pair(struct wc_ctx *x, const yaml_node_t *m, bool unique,
                 wc_pair_fn fn, void *arg);

/*
 * A section: nothing when m is null, the message not_mapping when it is
 * not a mapping, else wc_each_pair().
 */
int wc_mapping(struct wc_ctx *x, const yaml_node_t *m, const char *not_mapping,
               bool unique, wc_pair_fn fn, void *arg);

/* TLS versions as min_version and max_version are kept: TLS10 is 0. */
#define WC_TLS12 2
#define WC_TLS13 3

/*
 * cipher_suites (the list n) as the part of a GnuTLS priority string that
 * picks key exchanges, ciphers and MACs, into out ("" for Go's defaults).
 * May raise *min to WC_TLS13 (a list of TLS 1.3 suites only).
 */
int wc_cipher_priorities(struct wc_ctx *x, const yaml_node_t *n, int *min,
                         int max, char *out, size_t size);

/* tls_server_config (a mapping): fills the TLS fields of x->c. */
int wc_tls_section(struct wc_ctx *x, const yaml_node_t *m);

#endif
