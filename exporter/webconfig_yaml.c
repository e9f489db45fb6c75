/* SPDX-License-Identifier: MIT */
/* Walks the web config's YAML document and reports problems by line. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "webconfig_internal.h"

/* Writes "line N: <why>" to the caller's buffer; returns -EINVAL. */
int wc_fail(struct wc_ctx *x, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    int off =
        snprintf(x->err, x->errlen,
                 "line %lu: ", n ? (unsigned long)n->start_mark.line + 1 : 1UL);

    if (off < 0 || (size_t)off >= x->errlen)
        return -EINVAL;
    va_start(ap, fmt);
    /* The analyzer loses track of va_start() on some callers' paths. */
    vsnprintf(x->err + off, x->errlen - (size_t)off, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

int wc_out_of_memory(struct wc_ctx *x, const yaml_node_t *n)
{
    wc_fail(x, n, "out of memory");
    return -ENOMEM;
}

const char *wc_scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

bool wc_is_null(const yaml_node_t *n)
{
    const char *s = wc_scalar(n);

    return n == NULL ||
           (s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            (s[0] == '\0' || strcmp(s, "null") == 0 || strcmp(s, "~") == 0));
}

int wc_get_bool(struct wc_ctx *x, const yaml_node_t *n, const char *key,
                bool *out)
{
    const char *s = wc_scalar(n);

    if (s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
        *out = s[0] == 't';
        return 0;
    }
    return wc_fail(x, n, "%s: want true or false", key);
}

/* Frees a buffer that may hold key material, zeroing it first. */
void wc_free_secret(char *p)
{
    if (p)
        explicit_bzero(p, strlen(p));
    free(p);
}

/* Reads all of fd into a new NUL-terminated buffer of at most size bytes. */
static char *read_all(int fd, size_t size)
{
    char *buf = malloc(size + 1);
    size_t len = 0;

    if (!buf)
        return NULL;
    while (len < size) {
        ssize_t r = read(fd, buf + len, size - len);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    return buf;
}

/*
 * Reads a whole file named in the config, relative to its directory.  No
 * stdio: its buffers would keep a private key's bytes after fclose().
 */
int wc_read_file(struct wc_ctx *x, const yaml_node_t *n, const char *key,
                 char **out)
{
    const char *name = wc_scalar(n);
    char path[4096];
    struct stat st;
    char *buf;
    int fd;

    if (!name || !name[0])
        return wc_fail(x, n, "%s: want a file name", key);
    if (name[0] == '/')
        snprintf(path, sizeof(path), "%s", name);
    else
        snprintf(path, sizeof(path), "%s/%s", x->dir, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wc_fail(x, n, "%s: cannot read %s: %s", key, path,
                       strerror(errno));
    if (fstat(fd, &st) != 0 || st.st_size > WC_MAX_FILE) {
        close(fd);
        return wc_fail(x, n, "%s: %s is not a file of at most 1 MiB", key,
                       path);
    }
    buf = read_all(fd, (size_t)st.st_size);
    close(fd);
    if (!buf) {
        wc_fail(x, n, "%s: out of memory", key);
        return -ENOMEM;
    }
    wc_free_secret(*out);
    *out = buf;
    return 0;
}

/* A key given twice in one mapping is refused, as the toolkit does. */
static int check_unique(struct wc_ctx *x, const yaml_node_t *m,
                        const yaml_node_pair_t *p)
{
    const char *k = wc_scalar(yaml_document_get_node(x->doc, p->key));

    for (const yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++) {
        const char *o = wc_scalar(yaml_document_get_node(x->doc, q->key));

        if (k && o && strcmp(k, o) == 0)
            return wc_fail(x, yaml_document_get_node(x->doc, p->key),
                           "\"%s\" appears twice", k);
    }
    return 0;
}

int wc_each_pair(struct wc_ctx *x, const yaml_node_t *m, bool unique,
                 wc_pair_fn fn, void *arg)
{
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
         p < m->data.mapping.pairs.top; p++) {
        const yaml_node_t *kn = yaml_document_get_node(x->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(x->doc, p->value);
        int rc = unique ? check_unique(x, m, p) : 0;

        if (rc == 0)
            rc = fn(x, wc_scalar(kn), kn, v, arg);
        if (rc)
            return rc;
    }
    return 0;
}

int wc_set_string(struct wc_ctx *x, const yaml_node_t *n, const char *key,
                  char **out)
{
    const char *s = wc_scalar(n);

    if (!s || !s[0])
        return wc_fail(x, n, "%s: want a string", key);
    wc_free_secret(*out);
    *out = strdup(s);
    return *out ? 0 : wc_out_of_memory(x, n);
}

int wc_mapping(struct wc_ctx *x, const yaml_node_t *m, const char *not_mapping,
               bool unique, wc_pair_fn fn, void *arg)
{
    if (wc_is_null(m))
        return 0;
    if (m->type != YAML_MAPPING_NODE)
        return wc_fail(x, m, "%s", not_mapping);
    return wc_each_pair(x, m, unique, fn, arg);
}
