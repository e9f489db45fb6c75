/* SPDX-License-Identifier: MIT */
/* ksm.so: a collectd read plugin dispatching the KSM metric table. */
/* Long: config, logs, guest instances and dispatch share one context. */
/*
 * collectd.h first, as in collectd's own plugins: it brings in collectd's
 * config.h before any system header is read.
 */
#include "collectd/core/daemon/collectd.h"

#include <inttypes.h>
#include <math.h>

#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"
#include "ksm/metrics.h"
#include "ksm/sampler.h"
#include "ksm/tracker.h"
#include "ksm/tuner.h"

#define PLUGIN                  "ksm"
#define DEFAULT_KSMTUNED_CONFIG "/etc/ksmtuned.conf"

/*
 * collectd's config callback receives no context, so the parsed options wait
 * here until init hands them to the read callback's own context.
 */
struct plugin_options {
    char *sysfs_root;
    char *procfs_root;
    char *ksmtuned_config; /* NULL means /etc/ksmtuned.conf */
    bool report_tunables;
    bool report_processes;
    uint64_t thp_interval; /* seconds; 0 means the sampler's default */
};

#define DEFAULT_OPTIONS                                                        \
    {                                                                          \
        .report_tunables = true, .report_processes = true                      \
    }

static struct plugin_options options = DEFAULT_OPTIONS;

/* A listed QEMU guest, and whether it holds the plain VM name. */
struct guest_slot {
    char pid[12];
    char vm[KSM_VM_NAME_LEN];
    bool plain;
    bool carried; /* listed at the previous read too */
};

struct plugin_ctx {
    struct ksm_sampler *sampler;
    struct ksm_sample sample;
    struct ksm_tracker tracker;
    struct ksm_tuner_tracker tuner_tracker;
    const char *ksmtuned_config; /* for logs: options' or the default */
    /*
     * The guests of the last read, ascending by PID: which one holds its
     * plain VM name.  Rebuilt at every read from the listed processes, so
     * it never holds more than one read's guests and forgets those gone.
     */
    struct guest_slot *guests;
    size_t nguests;
    bool scan_logged; /* the first scan's outcome is logged */
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

/*
 * ThpInterval: whole seconds from 1 to KSM_THP_INTERVAL_MAX between two
 * reads of one guest's smaps_rollup.  Returns 0 or -1.
 */
static int get_thp_interval(const oconfig_item_t *child, uint64_t *dst)
{
    double v;

    if (child->values_num != 1 || child->values[0].type != OCONFIG_TYPE_NUMBER)
        return -1;
    v = child->values[0].value.number;
    if (!(v >= 1 && v <= KSM_THP_INTERVAL_MAX) || v != (double)(uint64_t)v)
        return -1;
    *dst = (uint64_t)v;
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
        else if (strcasecmp(child->key, "KsmtunedConfig") == 0)
            rc = get_nonempty_string(child, &options.ksmtuned_config);
        else if (strcasecmp(child->key, "ReportTunables") == 0)
            rc = cf_util_get_boolean(child, &options.report_tunables);
        else if (strcasecmp(child->key, "ReportProcesses") == 0)
            rc = cf_util_get_boolean(child, &options.report_processes);
        else if (strcasecmp(child->key, "ThpInterval") == 0)
            rc = get_thp_interval(child, &options.thp_interval);
        else {
            ERROR(PLUGIN " plugin: unknown option \"%s\" in <Plugin ksm> "
                         "(known: SysfsRoot, ProcfsRoot, KsmtunedConfig, "
                         "ReportTunables, ReportProcesses, ThpInterval)",
                  child->key);
            return -1;
        }
        if (rc != 0) {
            ERROR(PLUGIN " plugin: option \"%s\" needs %s", child->key,
                  strcasecmp(child->key, "ThpInterval") == 0
                      ? "one whole number of seconds from 1 to 86400"
                  : strcasestr(child->key, "Root") ||
                          strcasestr(child->key, "Config")
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
    free(ctx->guests);
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

/* Logs ksmtuned's config file problems and ignored lines once each. */
static void log_tuner_event(void *arg, enum ksm_tuner_event ev,
                            const struct ksm_tuner_sample *t)
{
    const struct plugin_ctx *ctx = arg;
    char lines[512];

    switch (ev) {
    case KSM_TUNER_CONF_FAILED:
        WARNING(PLUGIN " plugin: cannot read %s: %s; ksmtuned's settings and "
                       "predictions are absent until it can",
                ctx->ksmtuned_config, STRERROR(-t->conf_error));
        break;
    case KSM_TUNER_CONF_RECOVERED:
        INFO(PLUGIN " plugin: %s is readable again", ctx->ksmtuned_config);
        break;
    case KSM_TUNER_CONF_IGNORED:
        if (t->config.ignored_count == 0) {
            INFO(PLUGIN " plugin: %s has no ignored lines any more",
                 ctx->ksmtuned_config);
            break;
        }
        ksm_tuner_format_ignored(&t->config, lines, sizeof(lines));
        WARNING(PLUGIN " plugin: %s has %u lines that are not plain settings, "
                       "so ksmtuned may use other values than reported: "
                       "line %s",
                ctx->ksmtuned_config, t->config.ignored_count, lines);
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
 * Orders decimal PIDs as numbers: without leading zeros, a shorter string
 * is a smaller number.
 */
static int cmp_pid(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

static int cmp_slot_pid(const void *a, const void *b)
{
    return cmp_pid(((const struct guest_slot *)a)->pid,
                   ((const struct guest_slot *)b)->pid);
}

/* Groups slots by VM name, the lowest PID first within a name. */
static int cmp_slot_vm(const void *a, const void *b)
{
    const struct guest_slot *x = a, *y = b;
    int c = strcmp(x->vm, y->vm);

    return c ? c : cmp_pid(x->pid, y->pid);
}

/* The slot of the guest with this PID, or NULL. */
static const struct guest_slot *find_guest(const struct plugin_ctx *ctx,
                                           const char *pid)
{
    struct guest_slot key = {.plain = false};

    if (ctx->nguests == 0)
        return NULL;
    sstrncpy(key.pid, pid, sizeof(key.pid));
    return bsearch(&key, ctx->guests, ctx->nguests, sizeof(key), cmp_slot_pid);
}

/*
 * Within one VM name (slots g[0..n)), hands the plain name to a newcomer
 * only when no guest of that name holds it and the newcomer is the only
 * one to arrive: of two that arrive together, neither can be told to be
 * the one whose series "VM" continues, so both get "VM-PID".
 */
static void assign_plain(struct guest_slot *g, size_t n)
{
    struct guest_slot *fresh = NULL;
    size_t nfresh = 0;

    for (size_t i = 0; i < n; i++) {
        if (g[i].plain)
            return;
        if (!g[i].carried) {
            fresh = &g[i];
            nfresh++;
        }
    }
    if (nfresh == 1)
        fresh->plain = true;
}

/*
 * Rebuilds ctx->guests from the listed processes.  A guest seen at the
 * last read keeps its name, plain or not, for as long as it lives, so that
 * no live guest's graphs are renamed.  Without memory for the new table
 * the old one stays, and guests not in it get "VM-PID" for this read.
 */
static void update_guests(struct plugin_ctx *ctx)
{
    const struct ksm_procfs_sample *ps = &ctx->sample.proc;
    struct guest_slot *g;
    size_t n = 0;

    for (size_t i = 0; i < ps->nprocesses; i++)
        n += ps->processes[i].vm[0] != '\0';
    g = calloc(n ? n : 1, sizeof(*g));
    if (!g)
        return;
    n = 0;
    for (size_t i = 0; i < ps->nprocesses; i++) {
        const struct ksm_process *p = &ps->processes[i];
        const struct guest_slot *old;

        if (p->vm[0] == '\0')
            continue;
        sstrncpy(g[n].pid, p->pid, sizeof(g[n].pid));
        sstrncpy(g[n].vm, p->vm, sizeof(g[n].vm));
        old = find_guest(ctx, p->pid);
        /* A reused PID carries another name, or is a new guest. */
        if (old && strcmp(old->vm, p->vm) == 0) {
            g[n].carried = true;
            g[n].plain = old->plain;
        }
        n++;
    }
    qsort(g, n, sizeof(*g), cmp_slot_vm);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && strcmp(g[j].vm, g[i].vm) == 0; j++)
            ;
        assign_plain(&g[i], j - i);
    }
    qsort(g, n, sizeof(*g), cmp_slot_pid);
    free(ctx->guests);
    ctx->guests = g;
    ctx->nguests = n;
}

/*
 * A per-process series goes under plugin instance "VM" for the QEMU guest
 * that holds that name (see update_guests()), "VM-PID" for any other guest
 * of that name, else "COMM-PID"; '/' cannot appear in an identifier, so it
 * becomes '_'.
 */
static void process_instance(const struct plugin_ctx *ctx,
                             const struct ksm_label *labels, size_t nlabels,
                             char *out, size_t size)
{
    const char *pid = "", *comm = "", *vm = "";
    const struct guest_slot *g;

    for (size_t i = 0; i < nlabels; i++) {
        if (strcmp(labels[i].name, "pid") == 0)
            pid = labels[i].value;
        else if (strcmp(labels[i].name, "comm") == 0)
            comm = labels[i].value;
        else if (strcmp(labels[i].name, "vm") == 0)
            vm = labels[i].value;
    }
    g = vm[0] ? find_guest(ctx, pid) : NULL;
    if (g && g->plain && strcmp(g->vm, vm) == 0)
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
    const struct plugin_ctx *ctx = arg;
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
        process_instance(ctx, labels, nlabels, vl.plugin_instance,
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

/*
 * Says once, after the first scan, how many processes could not be read
 * and why, rather than at every read.  ksm_stat is readable by its owner
 * only: collectd usually runs as root, which reads every process.
 */
static void log_first_scan(const struct ksm_procfs_sample *ps)
{
    if (!ps->scanned)
        WARNING(PLUGIN " plugin: ProcfsRoot cannot be read: no per-process "
                       "figures until it can");
    else if (ps->denied == 0 && ps->over_limit == 0)
        INFO(PLUGIN " plugin: the process scan read all %" PRIu64 " processes",
             ps->examined);
    else
        WARNING(PLUGIN " plugin: the process scan looked at %" PRIu64
                       " processes: %" PRIu64
                       " denied (their ksm_stat needs root or "
                       "CAP_DAC_READ_SEARCH), %" PRIu64
                       " over the limit (not looked at)",
                ps->examined, ps->denied, ps->over_limit);
}

static int ksm_plugin_read(user_data_t *ud)
{
    struct plugin_ctx *ctx = ud->data;
    int err = ksm_sampler_read(ctx->sampler, &ctx->sample);

    ksm_tracker_update(&ctx->tracker, &ctx->sample, err, log_event, ctx);
    ksm_tuner_tracker_update(&ctx->tuner_tracker, &ctx->sample.tuner,
                             log_tuner_event, ctx);
    /* Non-zero makes collectd retry with growing intervals. */
    if (err)
        return -1;
    if (ctx->report_processes && !ctx->scan_logged) {
        log_first_scan(&ctx->sample.proc);
        ctx->scan_logged = true;
    }
    if (ctx->sample.proc.scanned)
        update_guests(ctx);
    for (size_t i = 0; i < ksm_metrics_count; i++) {
        const struct ksm_metric *m = &ksm_metrics[i];

        if (reports_metric(ctx, m))
            ksm_metric_visit(m, &ctx->sample, dispatch_value, ctx);
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
        .thp_interval = options.thp_interval,
        .ksmtuned_config = options.ksmtuned_config ? options.ksmtuned_config
                                                   : DEFAULT_KSMTUNED_CONFIG,
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
    ctx->ksmtuned_config = ksm_sampler_ksmtuned_config(ctx->sampler);
    ctx->report_tunables = options.report_tunables;
    ctx->report_processes = options.report_processes;
    return ctx;
}

static int ksm_plugin_init(void)
{
    struct plugin_ctx *ctx = ctx_new();

    if (!ctx)
        return -1;
    INFO(PLUGIN " plugin: reading %s; per-process figures %s",
         ksm_sampler_path(ctx->sampler),
         ctx->report_processes ? "on (ReportProcesses true)"
                               : "off (ReportProcesses false)");
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
    free(options.ksmtuned_config);
    /* Back to the defaults, for a daemon (or a test) that configures anew. */
    options = (struct plugin_options)DEFAULT_OPTIONS;
    return 0;
}

void module_register(void)
{
    plugin_register_complex_config(PLUGIN, ksm_plugin_configure);
    plugin_register_init(PLUGIN, ksm_plugin_init);
    plugin_register_shutdown(PLUGIN, ksm_plugin_shutdown);
}
