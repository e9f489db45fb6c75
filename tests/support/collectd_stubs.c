/* SPDX-License-Identifier: MIT */
/* Stand-ins for the collectd daemon's symbols, recording what ksm.so does. */
#include "collectd_stubs.h"

#include "collectd/core/utils/common/common.h"

int (*config_cb)(oconfig_item_t *);
plugin_init_cb init_cb;
plugin_shutdown_cb shutdown_cb;
plugin_read_cb read_cb;
user_data_t read_ud;
bool read_register_oom;
int nfreed;
struct dispatched values[MAX_VALUES];
int nvalues;
char logged[64][512];
int nlogged;

/* The name the read callback was registered under. */
static char read_name[DATA_MAX_NAME_LEN];

/* As the daemon's free_userdata(): free_func runs only when both are set. */
static void free_userdata(const user_data_t *ud)
{
    if (ud && ud->data && ud->free_func) {
        nfreed++;
        ud->free_func(ud->data);
    }
}

int plugin_register_complex_config(const char *type,
                                   int (*callback)(oconfig_item_t *))
{
    (void)type;
    config_cb = callback;
    return 0;
}

/* As create_register_callback(), which refuses a missing name or callback. */
int plugin_register_init(const char *name, plugin_init_cb callback)
{
    if (!name || !callback)
        return EINVAL;
    init_cb = callback;
    return 0;
}

int plugin_register_shutdown(const char *name, plugin_shutdown_cb callback)
{
    if (!name || !callback)
        return EINVAL;
    shutdown_cb = callback;
    return 0;
}

/*
 * As collectd 5.12's plugin_register_complex_read() (src/daemon/plugin.c),
 * whose code, unlike the comment in plugin.h, frees the user data on both
 * of its failures: when calloc() fails (ENOMEM), and when
 * plugin_insert_read() finds a read callback of that name (EINVAL).
 */
int plugin_register_complex_read(const char *group, const char *name,
                                 plugin_read_cb callback, cdtime_t interval,
                                 user_data_t const *user_data)
{
    (void)group;
    (void)interval;
    if (read_register_oom) {
        read_register_oom = false;
        free_userdata(user_data);
        return ENOMEM;
    }
    if (read_cb && strcmp(read_name, name) == 0) {
        free_userdata(user_data);
        return EINVAL;
    }
    sstrncpy(read_name, name, sizeof(read_name));
    read_cb = callback;
    read_ud = user_data ? *user_data : (user_data_t){.data = NULL};
    return 0;
}

void stub_unregister_read(void)
{
    free_userdata(&read_ud);
    read_ud = (user_data_t){.data = NULL};
    read_cb = NULL;
    read_name[0] = '\0';
}

int plugin_dispatch_values(value_list_t const *vl)
{
    struct dispatched *d;

    if (nvalues >= MAX_VALUES)
        return 0;
    d = &values[nvalues++];
    sstrncpy(d->plugin, vl->plugin, sizeof(d->plugin));
    sstrncpy(d->plugin_instance, vl->plugin_instance,
             sizeof(d->plugin_instance));
    sstrncpy(d->type, vl->type, sizeof(d->type));
    sstrncpy(d->type_instance, vl->type_instance, sizeof(d->type_instance));
    d->values_len = vl->values_len;
    d->value = vl->values[0];
    return 0;
}

void plugin_log(int level, const char *format, ...)
{
    va_list ap;

    (void)level;
    if (nlogged >= 64)
        return;
    va_start(ap, format);
    vsnprintf(logged[nlogged++], sizeof(logged[0]), format, ap);
    va_end(ap);
}

int cf_util_get_string(const oconfig_item_t *ci, char **ret_string)
{
    if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING)
        return -1;
    *ret_string = strdup(ci->values[0].value.string);
    return *ret_string ? 0 : -1;
}

int cf_util_get_boolean(const oconfig_item_t *ci, bool *ret_bool)
{
    if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_BOOLEAN)
        return -1;
    *ret_bool = ci->values[0].value.boolean != 0;
    return 0;
}

char *sstrncpy(char *dest, const char *src, size_t n)
{
    snprintf(dest, n, "%s", src);
    return dest;
}

char *sstrerror(int errnum, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "%s", strerror(errnum));
    return buf;
}
