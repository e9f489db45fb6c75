/* SPDX-License-Identifier: MIT */
/* ksm.so: a collectd read plugin dispatching the KSM metric table. */
/*
 * collectd.h first, as in collectd's own plugins: it brings in collectd's
 * config.h before any system header is read.
 */
#include "collectd/core/daemon/collectd.h"

#include <math.h>

#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"
#include "ksm/metrics.h"
#include "ksm/sampler.h"
#include "ksm/tracker.h"

#define PLUGIN "ksm"

/*
 * collectd's config callback receives no context, so the parsed options wait
 * here until init hands them to the read callback's own context.
 */
struct plugin_options {
    char *sysfs_root;
    char *procfs_root;
    bool report_tunables;
    bool report_processes;
};

static struct plugin_options options = {
    .report_tunables = true,
    .report_processes = true,
};

struct plugin_ctx {
    struct ksm_sampler *sampler;
    struct ksm_sample sample;
    struct ksm_tracker tracker;
    bool report_tunables;
    bool report_processes;
};

/* Replaces *dst with the option's one value, which must be non-empty. */
static int get_nonempty_string(oconfig_item_t *child, char **dst)
{
    char *s = NULL;

    if (cf_util_get_string(child, &s) != 0)
        return -1;
    if (s[0] == '\0') {
        free(s);
        return -1;
    }
    free(*dst);
    *dst = s;
    return 0;
}

/* collectd's complex-config callback: parses one <Plugin ksm> block. */
static int ksm_plugin_configure(oconfig_item_t *ci)
{
    for (int i = 0; i < ci->children_num; i++) {
        oconfig_item_t *child = &ci->children[i];
        int rc;

        if (strcasecmp(child->key, "SysfsRoot") == 0)
            rc = get_nonempty_string(child, &options.sysfs_root);
        else if (strcasecmp(child->key, "ProcfsRoot") == 0)
            rc = get_nonempty_string(child, &options.procfs_root);
        else if (strcasecmp(child->key, "ReportTunables") == 0)
            rc = cf_util_get_boolean(child, &options.report_tunables);
        else if (strcasecmp(child->key, "ReportProcesses") == 0)
            rc = cf_util_get_boolean(child, &options.report_processes);
        else {
            ERROR(PLUGIN " plugin: unknown option \"%s\" in <Plugin ksm> "
                         "(known: SysfsRoot, ProcfsRoot, ReportTunables, "
                         "ReportProcesses)",
                  child->key);
            return -1;
        }
        if (rc != 0) {
            ERROR(PLUGIN " plugin: option \"%s\" needs %s", child->key,
                  strstr(child->key, "Root") || strstr(child->key, "root")
                      ? "one non-empty string"
                      : "one boolean (true or false)");
            return -1;
        }
    }
    return 0;
}

static void ctx_free(void *arg)
{
    struct plugin_ctx *ctx = arg;

    if (!ctx)
        return;
    ksm_sampler_free(ctx->sampler);
    free(ctx);
}

/* Logs a problem when it starts and when it ends (ksm_tracker_update()). */
static void log_event(void *arg, enum ksm_event ev, int field, int err)
{
    const struct plugin_ctx *ctx = arg;
    const char *dir = ksm_sampler_path(ctx->sampler);
    const char *file = field >= 0 ? ksm_field_names[field] : "";

    switch (ev) {
    case KSM_EVENT_DIR_FAILED:
        ERROR(PLUGIN " plugin: cannot read %s: %s", dir, STRERROR(-err));
        break;
    case KSM_EVENT_DIR_RECOVERED:
        INFO(PLUGIN " plugin: %s is readable again", dir);
        break;
    case KSM_EVENT_FILE_FAILED:
        WARNING(PLUGIN " plugin: cannot read %s/%s: %s", dir, file,
                STRERROR(-err));
        break;
    case KSM_EVENT_FILE_RECOVERED:
        INFO(PLUGIN " plugin: %s/%s is readable again", dir, file);
        break;
    }
}

/*
 * The type instance of one series: the table's instance, with the last
 * label's value appended after '-' (or alone when the instance is empty).
 */
static void type_instance_of(const struct ksm_metric *m,
                             const struct ksm_label *labels, size_t nlabels,
                             char *type_instance, size_t size)
{
    const char *inst = m->collectd_instance;

    if (nlabels == 0)
        sstrncpy(type_instance, inst, size);
    else if (inst[0] == '\0')
        sstrncpy(type_instance, labels[nlabels - 1].value, size);
    else
        snprintf(type_instance, size, "%s-%s", inst, labels[nlabels - 1].value);
}

/*
 * True when another listed process has the same VM name as the one with
 * this pid: two guests named alike (qemu:///system and qemu:///session), or
 * an old and a new QEMU overlapping during a restart.
 */
static bool vm_name_shared(const struct ksm_sample *s, const char *vm,
                           const char *pid)
{
    for (size_t i = 0; i < s->proc.nprocesses; i++) {
        const struct ksm_process *p = &s->proc.processes[i];

        if (strcmp(p->vm, vm) == 0 && strcmp(p->pid, pid) != 0)
            return true;
    }
    return false;
}

/*
 * A per-process series goes under plugin instance "VM" for a QEMU guest
 * ("VM-PID" when two processes carry that name), else "COMM-PID"; '/'
 * cannot appear in an identifier, so it becomes '_'.
 */
static void process_instance(const struct ksm_sample *s,
                             const struct ksm_label *labels, size_t nlabels,
                             char *out, size_t size)
{
    const char *pid = "", *comm = "", *vm = "";

    for (size_t i = 0; i < nlabels; i++) {
        if (strcmp(labels[i].name, "pid") == 0)
            pid = labels[i].value;
        else if (strcmp(labels[i].name, "comm") == 0)
            comm = labels[i].value;
        else if (strcmp(labels[i].name, "vm") == 0)
            vm = labels[i].value;
    }
    if (vm[0] && !vm_name_shared(s, vm, pid))
        sstrncpy(out, vm, size);
    else if (vm[0])
        snprintf(out, size, "%s-%s", vm, pid);
    else
        snprintf(out, size, "%s-%s", comm, pid);
    for (char *c = out; *c; c++)
        if (*c == '/')
            *c = '_';
}

static void dispatch_value(void *arg, const struct ksm_metric *m,
                           const struct ksm_label *labels, size_t nlabels,
                           const struct ksm_value *v)
{
    const struct ksm_sample *s = arg;
    value_list_t vl = VALUE_LIST_INIT;
    double scale = m->collectd_scale > 0 ? m->collectd_scale : 1;
    value_t value;

    if (m->type == KSM_COUNTER) {
        /* A DERIVE, so that collectd computes the rate. */
        if (scale != 1)
            value.derive = (derive_t)llround(ksm_value_to_double(v) * scale);
        else if (v->kind == KSM_VALUE_I64)
            value.derive = (derive_t)v->i;
        else
            value.derive = (derive_t)v->u;
    } else {
        value.gauge = (gauge_t)(ksm_value_to_double(v) * scale);
    }
    vl.values = &value;
    vl.values_len = 1;
    sstrncpy(vl.plugin, PLUGIN, sizeof(vl.plugin));
    sstrncpy(vl.type, m->collectd_type, sizeof(vl.type));
    if (m->flags & KSM_MF_PROCESS) {
        process_instance(s, labels, nlabels, vl.plugin_instance,
                         sizeof(vl.plugin_instance));
        sstrncpy(vl.type_instance, m->collectd_instance,
                 sizeof(vl.type_instance));
    } else {
        type_instance_of(m, labels, nlabels, vl.type_instance,
                         sizeof(vl.type_instance));
    }
    plugin_dispatch_values(&vl);
}

/* Whether the plugin dispatches metric m with these options. */
static bool reports_metric(const struct plugin_ctx *ctx,
                           const struct ksm_metric *m)
{
    if (!m->collectd_type)
        return false;
    if ((m->flags & KSM_MF_TUNABLE) && !ctx->report_tunables)
        return false;
    return ctx->report_processes || !(m->flags & KSM_MF_PROCESS);
}

static int ksm_plugin_read(user_data_t *ud)
{
    struct plugin_ctx *ctx = ud->data;
    int err = ksm_sampler_read(ctx->sampler, &ctx->sample);

    ksm_tracker_update(&ctx->tracker, &ctx->sample, err, log_event, ctx);
    /* Non-zero makes collectd retry with growing intervals. */
    if (err)
        return -1;
    for (size_t i = 0; i < ksm_metrics_count; i++) {
        const struct ksm_metric *m = &ksm_metrics[i];

        if (reports_metric(ctx, m))
            ksm_metric_visit(m, &ctx->sample, dispatch_value, &ctx->sample);
    }
    return 0;
}

/* A read context for the parsed options, or NULL once the cause is logged. */
static struct plugin_ctx *ctx_new(void)
{
    struct ksm_sampler_config sc = {
        .sysfs_root = options.sysfs_root,
        .procfs_root = options.procfs_root ? options.procfs_root : "/proc",
        .processes = options.report_processes,
        /*
         * collectd's open-file limit (often 1024) is shared by every
         * plugin: keep at most this many descriptors between reads.
         */
        .fd_budget = 256};
    struct plugin_ctx *ctx = calloc(1, sizeof(*ctx));
    int err;

    if (!ctx) {
        ERROR(PLUGIN " plugin: out of memory");
        return NULL;
    }
    err = ksm_sampler_new(&sc, &ctx->sampler);
    if (err) {
        ERROR(PLUGIN " plugin: cannot set up the sampler for %s: %s",
              options.sysfs_root ? options.sysfs_root : "/sys", STRERROR(-err));
        free(ctx);
        return NULL;
    }
    ctx->report_tunables = options.report_tunables;
    ctx->report_processes = options.report_processes;
    return ctx;
}

static int ksm_plugin_init(void)
{
    struct plugin_ctx *ctx = ctx_new();

    if (!ctx)
        return -1;
    INFO(PLUGIN " plugin: reading %s", ksm_sampler_path(ctx->sampler));
    /*
     * From here collectd owns ctx, even when registering fails: since 5.8
     * plugin_register_complex_read() calls ctx_free on both of its failure
     * paths (src/daemon/plugin.c), whatever plugin.h's comment says.  The
     * plugin is built for 5.8 and later (Debian 12 has 5.12); on 5.7 a
     * failed registration would leave ctx unfreed, once, at start-up.
     */
    if (plugin_register_complex_read(
            NULL, PLUGIN, ksm_plugin_read, 0,
            &(user_data_t){.data = ctx, .free_func = ctx_free}) != 0) {
        ERROR(PLUGIN " plugin: cannot register the read callback");
        return -1;
    }
    return 0;
}

static int ksm_plugin_shutdown(void)
{
    free(options.sysfs_root);
    free(options.procfs_root);
    options.sysfs_root = options.procfs_root = NULL;
    return 0;
}

void module_register(void)
{
    plugin_register_complex_config(PLUGIN, ksm_plugin_configure);
    plugin_register_init(PLUGIN, ksm_plugin_init);
    plugin_register_shutdown(PLUGIN, ksm_plugin_shutdown);
}
