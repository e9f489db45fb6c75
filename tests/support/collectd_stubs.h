/* SPDX-License-Identifier: MIT */
/* Stand-ins for the collectd daemon's symbols, recording what ksm.so does. */
#ifndef KSM_COLLECTD_STUBS_H
#define KSM_COLLECTD_STUBS_H

#include "collectd/core/daemon/collectd.h"

#include "collectd/core/daemon/plugin.h"

/* The callbacks the plugin registered. */
extern int (*config_cb)(oconfig_item_t *);
extern plugin_init_cb init_cb;
extern plugin_shutdown_cb shutdown_cb;
extern plugin_read_cb read_cb;
extern user_data_t read_ud;
/* What plugin_register_complex_read() returns (0 unless a test says). */
extern int register_read_rc;

#define MAX_VALUES 128
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
