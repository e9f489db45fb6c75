/* SPDX-License-Identifier: MIT */
/* Stand-ins for the collectd daemon's symbols, recording what ksm.so does. */
#ifndef KSM_COLLECTD_STUBS_H
#define KSM_COLLECTD_STUBS_H

#include "collectd/core/daemon/collectd.h"

#include "collectd/core/daemon/plugin.h"

/*
 * The callbacks the plugin registered. A second registration under a name
 * replaces the first, as in the daemon's register_callback().
 */
extern int (*config_cb)(oconfig_item_t *);
extern plugin_init_cb init_cb;
extern plugin_shutdown_cb shutdown_cb;
/*
 * The registered read callback and its user data; read_cb is NULL while no
 * read callback is registered.
 */
extern plugin_read_cb read_cb;
extern user_data_t read_ud;
/*
 * When true, the next plugin_register_complex_read() fails as collectd 5.12
 * does when its calloc() fails: it frees the user data and returns ENOMEM.
 */
extern bool read_register_oom;
/* How often the stubs called a user_data_t's free_func, as the daemon would. */
extern int nfreed;

/*
 * Unregisters the read callback the way the daemon does at shutdown: the
 * user data's free_func runs once (when data and free_func are non-NULL).
 */
void stub_unregister_read(void);

#define MAX_VALUES 256
struct dispatched {
    char plugin[DATA_MAX_NAME_LEN];
    char plugin_instance[DATA_MAX_NAME_LEN];
    char type[DATA_MAX_NAME_LEN];
    char type_instance[DATA_MAX_NAME_LEN];
    value_t value;
    size_t values_len;
};
/* The first MAX_VALUES values dispatched since nvalues was last zeroed. */
extern struct dispatched values[MAX_VALUES];
extern int nvalues;
/* Log lines since nlogged was last zeroed (the first 64). */
extern char logged[64][512];
extern int nlogged;

#endif
