/* SPDX-License-Identifier: MIT */
/* Unit tests of the metric table: its invariants and the derived values. */
/* Long: one Check suite per module, and the table grows by a row a metric. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ksm/metrics.h"
#include "testutil.h"

static const struct ksm_metric *find(const char *name)
{
    for (size_t i = 0; i < ksm_metrics_count; i++)
        if (strcmp(ksm_metrics[i].name, name) == 0)
            return &ksm_metrics[i];
    ck_abort_msg("no metric %s", name);
    return NULL;
}

#define MAX_SERIES 64

struct captured {
    size_t n;
    struct ksm_value v[MAX_SERIES];
    char label[MAX_SERIES][64];
};

static void capture(void *arg, const struct ksm_metric *m,
                    const struct ksm_label *labels, size_t nlabels,
                    const struct ksm_value *v)
{
    struct captured *c = arg;

    (void)m;
    ck_assert_uint_lt(c->n, MAX_SERIES);
    c->v[c->n] = *v;
    c->label[c->n][0] = '\0';
    if (nlabels == 1)
        snprintf(c->label[c->n], sizeof(c->label[0]), "%s=%s", labels[0].name,
                 labels[0].value);
    c->n++;
}

static struct captured visit(const char *name, const struct ksm_sample *s)
{
    struct captured c = {0};
    size_t n = ksm_metric_visit(find(name), s, capture, &c);

    ck_assert_uint_eq(n, c.n);
    return c;
}

/* The one value of a single-series metric, which must be present. */
static struct ksm_value one(const char *name, const struct ksm_sample *s)
{
    struct captured c = visit(name, s);

    ck_assert_msg(c.n == 1, "%s: %zu series", name, c.n);
    return c.v[0];
}

static void assert_u64(const char *name, const struct ksm_sample *s,
                       uint64_t want)
{
    struct ksm_value v = one(name, s);

    ck_assert_msg(v.kind == KSM_VALUE_U64, "%s: kind %d", name, v.kind);
    ck_assert_msg(v.u == want, "%s: %llu, want %llu", name,
                  (unsigned long long)v.u, (unsigned long long)want);
}

static void assert_double(const char *name, const struct ksm_sample *s,
                          double want)
{
    struct ksm_value v = one(name, s);

    ck_assert_msg(v.kind == KSM_VALUE_DOUBLE, "%s: kind %d", name, v.kind);
    if (isnan(want))
        ck_assert_msg(isnan(v.d), "%s: %g, want NaN", name, v.d);
    else
        ck_assert_msg(fabs(v.d - want) <= 1e-12 * fabs(want),
                      "%s: %.17g, want %.17g", name, v.d, want);
}

static void assert_absent(const char *name, const struct ksm_sample *s)
{
    ck_assert_msg(visit(name, s).n == 0, "%s is present", name);
}

static int valid_name(const char *n)
{
    if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || *n == '_'))
        return 0;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
              (*n >= '0' && *n <= '9') || *n == '_'))
            return 0;
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

START_TEST(test_table_invariants)
{
    ck_assert_uint_gt(ksm_metrics_count, 30);
    for (size_t i = 0; i < ksm_metrics_count; i++) {
        const struct ksm_metric *m = &ksm_metrics[i];
        char base[128];

        ck_assert_msg(valid_name(m->name), "invalid name %s", m->name);
        ck_assert_msg(strncmp(m->name, "ksm_", 4) == 0,
                      "%s: outside the ksm_ namespace", m->name);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(m->name, ksm_metrics[j].name) != 0,
                          "duplicate %s", m->name);
        ck_assert_msg(m->help && m->help[0], "%s: no help", m->name);
        ck_assert_msg(!strchr(m->help, '\n'), "%s: help spans lines", m->name);
        ck_assert_msg((m->type == KSM_COUNTER) == ends_with(m->name, "_total"),
                      "%s: counters, and only counters, end in _total",
                      m->name);
        snprintf(base, sizeof(base), "%s", m->name);
        if (ends_with(base, "_total"))
            base[strlen(base) - 6] = '\0';
        if (strstr(m->name, "_bytes"))
            ck_assert_msg(m->unit && strcmp(m->unit, "bytes") == 0,
                          "%s: bytes without the unit", m->name);
        if (strstr(m->name, "_seconds"))
            ck_assert_msg(m->unit && strcmp(m->unit, "seconds") == 0,
                          "%s: seconds without the unit", m->name);
        if (m->unit) {
            char suffix[64];

            snprintf(suffix, sizeof(suffix), "_%s", m->unit);
            ck_assert_msg(ends_with(base, suffix), "%s: unit %s not a suffix",
                          m->name, m->unit);
        }
        /* A series function, else a field of the KSM directory. */
        ck_assert_msg(m->series != NULL ||
                          (m->field >= 0 && m->field < KSM_FIELD_COUNT),
                      "%s: no source", m->name);
        ck_assert_msg(m->series == NULL || m->divisor == 0,
                      "%s: a divisor on a series", m->name);
        /*
         * field and proc_field have no "none" (0 is a real field): a row
         * that forgot its source would read the same one as another row.
         */
        for (size_t j = 0; j < i; j++) {
            const struct ksm_metric *o = &ksm_metrics[j];

            ck_assert_msg(m->series || o->series || m->field != o->field,
                          "%s and %s read the same field", m->name, o->name);
            ck_assert_msg(!(m->flags & o->flags & KSM_MF_PROCESS) ||
                              m->series != o->series ||
                              m->proc_field != o->proc_field,
                          "%s and %s report the same per-process figure",
                          m->name, o->name);
        }
        ck_assert_msg(!(m->flags & KSM_MF_PROCESS) || m->series,
                      "%s: a per-process row without its series function",
                      m->name);
        if (m->collectd_type)
            ck_assert_msg(m->collectd_instance != NULL, "%s", m->name);
        for (size_t j = 0; j < i && m->collectd_type; j++) {
            const struct ksm_metric *o = &ksm_metrics[j];

            /* Per-process rows live under their own plugin instances. */
            bool same_instance = !((o->flags ^ m->flags) & KSM_MF_PROCESS);
            bool same_id =
                o->collectd_type && same_instance &&
                strcmp(o->collectd_type, m->collectd_type) == 0 &&
                strcmp(o->collectd_instance, m->collectd_instance) == 0;

            ck_assert_msg(!same_id, "%s and %s share a collectd identifier",
                          m->name, o->name);
        }
    }
}
END_TEST

/* Every field of the sampler is reported by some metric. */
START_TEST(test_every_field_reported)
{
    struct ksm_sample s;
    uint32_t seen = 0;

    ck_assert_int_eq(read_fixture("typical", &s), 0);
    for (int f = 0; f < KSM_FIELD_COUNT; f++) {
        struct ksm_sample one_field = s;

        one_field.present = KSM_FIELD_BIT(f);
        for (size_t i = 0; i < ksm_metrics_count; i++) {
            const struct ksm_metric *m = &ksm_metrics[i];
            struct captured c = {0};

            if (strcmp(m->name, "ksm_read_errors_total") == 0 ||
                strcmp(m->name, "ksm_up") == 0)
                continue;
            ksm_metric_visit(m, &one_field, capture, &c);
            if (c.n > 0)
                seen |= KSM_FIELD_BIT(f);
        }
    }
    ck_assert_uint_eq(seen, (UINT32_C(1) << KSM_FIELD_COUNT) - 1);
}
END_TEST

/*
 * collectd types must exist in the stock types.db, so no TypesDB change.
 * KSM_TYPES_DB in the environment names another copy of it.
 */
START_TEST(test_collectd_types_exist)
{
    const char *path = getenv("KSM_TYPES_DB");
    FILE *f;
    char line[512];
    static char types[1024][64];
    size_t ntypes = 0;

    if (!path)
        path = "/usr/share/collectd/types.db";
    f = fopen(path, "r");
    /* `make test` installs collectd-core, so a missing file is a failure. */
    ck_assert_msg(f != NULL,
                  "cannot open %s: %s (install collectd-core, as make test "
                  "does, or set KSM_TYPES_DB)",
                  path, strerror(errno));
    while (fgets(line, sizeof(line), f) && ntypes < 1024) {
        size_t n = strcspn(line, " \t\n");

        if (line[0] == '#' || n == 0 || n >= sizeof(types[0]))
            continue;
        memcpy(types[ntypes], line, n);
        types[ntypes++][n] = '\0';
    }
    fclose(f);
    for (size_t i = 0; i < ksm_metrics_count; i++) {
        const char *t = ksm_metrics[i].collectd_type;
        int found = 0;

        for (size_t j = 0; t && j < ntypes && !found; j++)
            found = strcmp(types[j], t) == 0;
        ck_assert_msg(!t || found, "%s: type %s not in types.db",
                      ksm_metrics[i].name, t);
    }
}
END_TEST

START_TEST(test_typical_values)
{
    struct ksm_sample s;
    struct captured c;

    ck_assert_int_eq(read_fixture("typical", &s), 0);
    assert_u64("ksm_pages_sharing", &s, 196608);
    assert_u64("ksm_full_scans_total", &s, 42);
    assert_u64("ksm_up", &s, 1);
    /* (196608 + 512) * 4096 */
    assert_u64("ksm_saved_bytes", &s, 807403520);
    /* 196608 / 24576 */
    assert_double("ksm_sharing_ratio", &s, 8.0);
    /* 49152 / 196608 */
    assert_double("ksm_unshared_ratio", &s, 0.25);
    /* 196608 / (24576 + 196608 + 49152 + 1024) */
    assert_double("ksm_savings_ratio", &s, 196608.0 / 271360.0);
    /* 271360 * 64 */
    assert_u64("ksm_rmap_overhead_bytes", &s, 17367040);
    assert_double("ksm_sleep_seconds", &s, 0.02);
    assert_double("ksm_stable_node_chains_prune_seconds", &s, 2.0);
    assert_double("ksm_advisor_max_cpu_ratio", &s, 0.7);
    assert_u64("ksm_advisor_target_scan_time_seconds", &s, 200);
    assert_absent("ksm_full_scan_duration_seconds", &s);

    c = visit("ksm_general_profit_bytes", &s);
    ck_assert_uint_eq(c.n, 1);
    ck_assert_int_eq(c.v[0].kind, KSM_VALUE_I64);
    ck_assert_int_eq(c.v[0].i, 788060480);

    c = visit("ksm_advisor_mode", &s);
    ck_assert_uint_eq(c.n, 2);
    ck_assert_str_eq(c.label[0], "mode=none");
    ck_assert_uint_eq(c.v[0].u, 1);
    ck_assert_str_eq(c.label[1], "mode=scan-time");
    ck_assert_uint_eq(c.v[1].u, 0);

    c = visit("ksm_read_errors_total", &s);
    ck_assert_uint_eq(c.n, KSM_FIELD_COUNT + KSM_HOST_FILE_COUNT);
    for (size_t i = 0; i < c.n; i++)
        ck_assert_uint_eq(c.v[i].u, 0);
    ck_assert_str_eq(c.label[KSM_FIELD_COUNT], "file=thp_enabled");
    ck_assert_str_eq(c.label[KSM_FIELD_COUNT + 2], "file=node_has_memory");
}
END_TEST

/* The host's THP modes and NUMA nodes of the typical fixture. */
START_TEST(test_host_values)
{
    static const char *const defrag[] = {"always", "defer", "defer+madvise",
                                         "madvise", "never"};
    struct ksm_sample s;
    struct captured c;

    ck_assert_int_eq(read_fixture("typical", &s), 0);
    c = visit("ksm_thp_enabled", &s);
    ck_assert_uint_eq(c.n, 3);
    ck_assert_str_eq(c.label[0], "mode=always");
    ck_assert_str_eq(c.label[1], "mode=madvise");
    ck_assert_str_eq(c.label[2], "mode=never");
    ck_assert_uint_eq(c.v[0].u + c.v[1].u * 2 + c.v[2].u * 4, 2);
    c = visit("ksm_thp_defrag", &s);
    ck_assert_uint_eq(c.n, 5);
    for (size_t i = 0; i < c.n; i++) {
        char want[64];

        snprintf(want, sizeof(want), "mode=%s", defrag[i]);
        ck_assert_str_eq(c.label[i], want);
        ck_assert_uint_eq(c.v[i].u, i == 3);
    }
    /* "0-1" */
    assert_u64("ksm_numa_memory_nodes", &s, 2);
    /* Without a procfs root there is no meminfo. */
    assert_absent("ksm_thp_anon_bytes", &s);
    s.proc.meminfo.present = 1u << KSM_MEMINFO_ANON_HUGE_PAGES;
    s.proc.meminfo.kb[KSM_MEMINFO_ANON_HUGE_PAGES] = 530432;
    assert_u64("ksm_thp_anon_bytes", &s, UINT64_C(543162368));
    /* KiB beyond 64-bit bytes: the nearest double, not a wrapped count. */
    s.proc.meminfo.kb[KSM_MEMINFO_ANON_HUGE_PAGES] = UINT64_MAX;
    assert_double("ksm_thp_anon_bytes", &s, 18446744073709551615.0 * 1024);

    /* A kernel without THP or NUMA: absent, not an error. */
    ck_assert_int_eq(read_fixture("old_kernel", &s), 0);
    assert_absent("ksm_thp_enabled", &s);
    assert_absent("ksm_thp_defrag", &s);
    assert_absent("ksm_numa_memory_nodes", &s);
    c = visit("ksm_read_errors_total", &s);
    for (size_t i = 0; i < c.n; i++)
        ck_assert_msg(strstr(c.label[i], "thp") == NULL &&
                          strstr(c.label[i], "node") == NULL,
                      "%s", c.label[i]);
}
END_TEST

/* The speed the tunables allow and the full scan it implies. */
START_TEST(test_scan_speed)
{
    struct ksm_sample s;

    ck_assert_int_eq(read_fixture("typical", &s), 0);
    /* 100 pages every 20 ms */
    assert_double("ksm_scan_pages_per_second", &s, 5000.0);
    /* (24576 + 196608 + 49152 + 1024) / 5000 */
    assert_double("ksm_scan_estimated_full_scan_seconds", &s, 54.272);

    s.value[KSM_SLEEP_MILLISECS].u = 3;
    s.value[KSM_PAGES_TO_SCAN].u = 1000;
    assert_double("ksm_scan_pages_per_second", &s, 1000.0 / 0.003);
    assert_double("ksm_scan_estimated_full_scan_seconds", &s,
                  271360.0 * 0.003 / 1000.0);

    /* A sleep of 0: ksmd only yields, the tunables imply no speed. */
    s.value[KSM_SLEEP_MILLISECS].u = 0;
    assert_double("ksm_scan_pages_per_second", &s, NAN);
    assert_double("ksm_scan_estimated_full_scan_seconds", &s, NAN);

    /* No pages per batch: a full scan never ends. */
    s.value[KSM_SLEEP_MILLISECS].u = 20;
    s.value[KSM_PAGES_TO_SCAN].u = 0;
    assert_double("ksm_scan_pages_per_second", &s, 0.0);
    assert_double("ksm_scan_estimated_full_scan_seconds", &s, NAN);

    /* Nothing tracked: a full scan takes no time. */
    ck_assert_int_eq(read_fixture("stopped", &s), 0);
    assert_double("ksm_scan_estimated_full_scan_seconds", &s, 0.0);

    /* An absent input: absent. */
    ck_assert_int_eq(read_fixture("typical", &s), 0);
    s.present &= ~KSM_FIELD_BIT(KSM_PAGES_VOLATILE);
    assert_double("ksm_scan_pages_per_second", &s, 5000.0);
    assert_absent("ksm_scan_estimated_full_scan_seconds", &s);
    s.present &= ~KSM_FIELD_BIT(KSM_SLEEP_MILLISECS);
    assert_absent("ksm_scan_pages_per_second", &s);
    ck_assert_int_eq(read_fixture("typical", &s), 0);
    s.present &= ~KSM_FIELD_BIT(KSM_PAGES_TO_SCAN);
    assert_absent("ksm_scan_pages_per_second", &s);
    assert_absent("ksm_scan_estimated_full_scan_seconds", &s);
}
END_TEST

START_TEST(test_page_size_scales)
{
    struct ksm_sample s;

    ck_assert_int_eq(read_fixture("typical", &s), 0);
    s.page_size = 65536;
    s.rmap_item_size = 32;
    assert_u64("ksm_saved_bytes", &s, UINT64_C(197120) * 65536);
    assert_u64("ksm_rmap_overhead_bytes", &s, UINT64_C(271360) * 32);
}
END_TEST

START_TEST(test_zero_pages_absent)
{
    struct ksm_sample s;

    ck_assert_int_eq(read_fixture("no_general_profit", &s), 0);
    assert_absent("ksm_general_profit_bytes", &s);
    assert_absent("ksm_zero_pages", &s);
    /* ksm_zero_pages counts as 0: 196608 * 4096 */
    assert_u64("ksm_saved_bytes", &s, 805306368);
}
END_TEST

START_TEST(test_nan_ratios)
{
    struct ksm_sample s;

    ck_assert_int_eq(read_fixture("no_shared", &s), 0);
    assert_double("ksm_sharing_ratio", &s, NAN);
    /* 49152 unshared over 0 sharing: x/0 is NaN too. */
    assert_double("ksm_unshared_ratio", &s, NAN);
    assert_double("ksm_savings_ratio", &s, 0.0);
    assert_u64("ksm_saved_bytes", &s, 0);

    ck_assert_int_eq(read_fixture("stopped", &s), 0);
    assert_double("ksm_sharing_ratio", &s, NAN);
    assert_double("ksm_unshared_ratio", &s, NAN);
    assert_double("ksm_savings_ratio", &s, NAN);
    assert_u64("ksm_rmap_overhead_bytes", &s, 0);
}
END_TEST

START_TEST(test_negative_profit)
{
    struct ksm_sample s;
    struct captured c;

    ck_assert_int_eq(read_fixture("negative_profit", &s), 0);
    c = visit("ksm_general_profit_bytes", &s);
    ck_assert_int_eq(c.v[0].kind, KSM_VALUE_I64);
    ck_assert_int_eq(c.v[0].i, -1234567);
    /* pages_sharing 0, pages_shared 64: nothing shares, ratio 0. */
    assert_double("ksm_sharing_ratio", &s, 0.0);
    assert_double("ksm_unshared_ratio", &s, NAN);
}
END_TEST

/* Counts too large for 64-bit bytes become doubles, never wrap. */
START_TEST(test_huge_values)
{
    struct ksm_sample s;

    ck_assert_int_eq(read_fixture("max_u64", &s), 0);
    assert_u64("ksm_pages_scanned_total", &s, UINT64_MAX);
    assert_double("ksm_saved_bytes", &s,
                  (18446744073709551615.0 - 9223372036854775808.0) * 4096);
    assert_double("ksm_rmap_overhead_bytes", &s,
                  (2 * 18446744073709551615.0 + 49152 + 1024) * 64);
    assert_double("ksm_sharing_ratio", &s, 1.0);

    s.value[KSM_ZERO_PAGES].i = 0;
    s.value[KSM_PAGES_SHARING].u = UINT64_C(1) << 52;
    assert_double("ksm_saved_bytes", &s, 4096.0 * 4503599627370496.0);
    s.value[KSM_PAGES_SHARING].u = UINT64_C(1) << 51;
    assert_u64("ksm_saved_bytes", &s, UINT64_C(1) << 63);
}
END_TEST

START_TEST(test_missing_directory)
{
    struct ksm_sample s;

    ck_assert_int_eq(read_fixture("does-not-exist", &s), -ENOENT);
    for (size_t i = 0; i < ksm_metrics_count; i++) {
        const struct ksm_metric *m = &ksm_metrics[i];
        struct captured c = {0};

        ksm_metric_visit(m, &s, capture, &c);
        if (strcmp(m->name, "ksm_up") == 0) {
            ck_assert_uint_eq(c.n, 1);
            ck_assert_uint_eq(c.v[0].u, 0);
        } else {
            ck_assert_msg(c.n == 0, "%s present without KSM", m->name);
        }
    }
}
END_TEST

START_TEST(test_garbage_errors)
{
    struct ksm_sample s;
    struct captured c;
    int bad = 0;

    ck_assert_int_eq(read_fixture("garbage", &s), 0);
    assert_absent("ksm_pages_shared", &s);
    assert_absent("ksm_saved_bytes", &s);
    assert_absent("ksm_sharing_ratio", &s);
    assert_absent("ksm_advisor_mode", &s);
    assert_absent("ksm_general_profit_bytes", &s);
    assert_u64("ksm_pages_to_scan", &s, 100);
    /* Each malformed host file is absent and counted. */
    assert_absent("ksm_thp_enabled", &s);
    assert_absent("ksm_thp_defrag", &s);
    assert_absent("ksm_numa_memory_nodes", &s);
    c = visit("ksm_read_errors_total", &s);
    ck_assert_uint_eq(c.n, KSM_FIELD_COUNT + KSM_HOST_FILE_COUNT);
    for (size_t i = 0; i < c.n; i++) {
        bad += c.v[i].u == 1;
        if (strcmp(c.label[i], "file=thp_defrag") == 0)
            ck_assert_uint_eq(c.v[i].u, 1);
        if (strcmp(c.label[i], "file=pages_scanned") == 0)
            ck_assert_uint_eq(c.v[i].u, 1);
        if (strcmp(c.label[i], "file=pages_to_scan") == 0)
            ck_assert_uint_eq(c.v[i].u, 0);
    }
    ck_assert_int_eq(bad, 11 + KSM_HOST_FILE_COUNT);
}
END_TEST

START_TEST(test_value_to_double)
{
    struct ksm_value u = {.kind = KSM_VALUE_U64, .u = 7};
    struct ksm_value i = {.kind = KSM_VALUE_I64, .i = -7};
    struct ksm_value d = {.kind = KSM_VALUE_DOUBLE, .d = 0.5};

    ck_assert_double_eq(ksm_value_to_double(&u), 7.0);
    ck_assert_double_eq(ksm_value_to_double(&i), -7.0);
    ck_assert_double_eq(ksm_value_to_double(&d), 0.5);
}
END_TEST

/*
 * A host of 8 GiB with three listed processes: a guest ksmtuned counts
 * (1 GiB resident), one it does not count (512 MiB), and a process that is
 * no guest; pages_to_scan 100, ksmtuned's defaults, ksmtuned running.  A
 * test that changes the sample derives ksmtuned's view again with derive().
 */
static struct ksm_process tuner_procs[3];

static void tuner_sample(struct ksm_sample *s, uint64_t free_kb,
                         uint64_t counted_kb)
{
    memset(s, 0, sizeof(*s));
    memset(tuner_procs, 0, sizeof(tuner_procs));
    s->up = true;
    s->present = KSM_FIELD_BIT(KSM_PAGES_TO_SCAN);
    s->exists = s->present;
    s->value[KSM_PAGES_TO_SCAN].u = 100;
    s->proc.opened = true;
    s->proc.scanned = true;
    s->proc.processes = tuner_procs;
    s->proc.nprocesses = 3;
    tuner_procs[0] = (struct ksm_process){.qemu = true,
                                          .has_rss = true,
                                          .ksmtuned_counted = true,
                                          .rss_bytes = counted_kb * 1024};
    tuner_procs[1] = (struct ksm_process){
        .qemu = true, .has_rss = true, .rss_bytes = UINT64_C(512) << 20};
    tuner_procs[2] = (struct ksm_process){.qemu = false};
    s->proc.meminfo.present =
        (1u << KSM_MEMINFO_MEM_TOTAL) | (1u << KSM_MEMINFO_MEM_FREE) |
        (1u << KSM_MEMINFO_BUFFERS) | (1u << KSM_MEMINFO_CACHED);
    s->proc.meminfo.kb[KSM_MEMINFO_MEM_TOTAL] = 8388608;
    s->proc.meminfo.kb[KSM_MEMINFO_MEM_FREE] = free_kb;
    s->proc.meminfo.kb[KSM_MEMINFO_BUFFERS] = 0;
    s->proc.meminfo.kb[KSM_MEMINFO_CACHED] = 0;
    s->proc.ksmtuned_running = true;
    s->tuner.has_config = true;
    ksm_ksmtuned_config_defaults(&s->tuner.config);
    ksm_sample_derive_ksmtuned(s);
}

static void derive(struct ksm_sample *s)
{
    ksm_sample_derive_ksmtuned(s);
}

static void assert_i64(const char *name, const struct ksm_sample *s,
                       int64_t want)
{
    struct ksm_value v = one(name, s);

    ck_assert_msg(v.kind == KSM_VALUE_I64, "%s: kind %d", name, v.kind);
    ck_assert_msg(v.i == want, "%s: %lld, want %lld", name, (long long)v.i,
                  (long long)want);
}

/* The one series of a labelled metric whose value is 1, as "label=value". */
static void assert_chosen(const char *name, const struct ksm_sample *s,
                          size_t n, const char *want)
{
    struct captured c = visit(name, s);
    int ones = 0;

    ck_assert_uint_eq(c.n, n);
    for (size_t i = 0; i < c.n; i++) {
        if (c.v[i].u != 1)
            continue;
        ones++;
        ck_assert_msg(strcmp(c.label[i], want) == 0, "%s: %s, want %s", name,
                      c.label[i], want);
    }
    ck_assert_int_eq(ones, 1);
}

/*
 * MemTotal 8388608 kB: threshold 8388608 * 20 / 100 = 1677721 kB, sleep
 * 10 * 16 GiB / 8 GiB = 20 ms.  1 GiB committed + threshold is below
 * MemTotal, so with 5100000 kB free it stops; with 1000000 kB free (below
 * the threshold) it boosts 100 to 400; with 7 GiB committed and plenty
 * free it decays 100 by 50, clamped to KSM_NPAGES_MIN 64.
 */
START_TEST(test_ksmtuned_next_check)
{
    struct ksm_sample s;

    tuner_sample(&s, 5100000, 1048576);
    assert_u64("ksm_ksmtuned_committed_bytes", &s, UINT64_C(1) << 30);
    assert_u64("ksm_guest_resident_bytes", &s, UINT64_C(1536) << 20);
    assert_i64("ksm_ksmtuned_threshold_bytes", &s, INT64_C(1677721) * 1024);
    assert_i64("ksm_ksmtuned_free_bytes", &s, INT64_C(5100000) * 1024);
    assert_chosen("ksm_ksmtuned_next_action", &s, 3, "action=stop");
    assert_i64("ksm_ksmtuned_next_pages_to_scan", &s, 100);
    assert_double("ksm_ksmtuned_next_sleep_seconds", &s, 0.02);

    tuner_sample(&s, 1000000, 1048576);
    assert_chosen("ksm_ksmtuned_next_action", &s, 3, "action=boost");
    assert_i64("ksm_ksmtuned_next_pages_to_scan", &s, 400);

    tuner_sample(&s, 5100000, 7340032);
    assert_chosen("ksm_ksmtuned_next_action", &s, 3, "action=decay");
    assert_i64("ksm_ksmtuned_next_pages_to_scan", &s, 64);

    /* Its config counts: a threshold of 30% and a larger boost. */
    tuner_sample(&s, 2000000, 1048576);
    s.tuner.config.value[KSM_KSMTUNED_THRES_COEF] = 30;
    s.tuner.config.value[KSM_KSMTUNED_NPAGES_BOOST] = 1000;
    derive(&s);
    assert_i64("ksm_ksmtuned_threshold_bytes", &s,
               INT64_C(8388608) * 30 / 100 * 1024);
    assert_chosen("ksm_ksmtuned_next_action", &s, 3, "action=boost");
    assert_i64("ksm_ksmtuned_next_pages_to_scan", &s, 1100);

    /* ps reports whole kB: a part of one is not counted. */
    tuner_sample(&s, 5100000, 1048576);
    tuner_procs[0].rss_bytes += 1023;
    derive(&s);
    assert_u64("ksm_ksmtuned_committed_bytes", &s, UINT64_C(1) << 30);

    /* Without pages_to_scan only the counter it leaves is unknown. */
    s.present = 0;
    derive(&s);
    assert_absent("ksm_ksmtuned_next_pages_to_scan", &s);
    assert_chosen("ksm_ksmtuned_next_action", &s, 3, "action=stop");
}
END_TEST

/* Derives s with ksmtuned running or not; checks the action and the pages. */
static void assert_next(struct ksm_sample *s, bool running, const char *action,
                        int64_t pages)
{
    s->proc.ksmtuned_running = running;
    derive(s);
    assert_chosen("ksm_ksmtuned_next_action", s, 3, action);
    assert_i64("ksm_ksmtuned_next_pages_to_scan", s, pages);
}

/*
 * The script sets npages to 0 when it starts: a ksmtuned that does not run
 * yet would boost from 0, whatever pages_to_scan holds now.  On stop it
 * writes no pages_to_scan, which keeps its current value.
 */
START_TEST(test_ksmtuned_first_check)
{
    struct ksm_sample s;

    /* Boost: 0 + 300, not pages_to_scan 100 + 300. */
    tuner_sample(&s, 1000000, 1048576);
    assert_next(&s, false, "action=boost", 300);
    /* It writes that whether or not pages_to_scan can be read now. */
    s.present = 0;
    assert_next(&s, false, "action=boost", 300);

    /* Decay: 0 - 50 clamped to KSM_NPAGES_MIN, not 1000 - 50. */
    tuner_sample(&s, 5100000, 7340032);
    s.value[KSM_PAGES_TO_SCAN].u = 1000;
    assert_next(&s, false, "action=decay", 64);
    /* While it runs, pages_to_scan stands for its last npages. */
    assert_next(&s, true, "action=decay", 950);

    /* Stop: pages_to_scan stays as it is, running or not. */
    tuner_sample(&s, 5100000, 1048576);
    assert_next(&s, false, "action=stop", 100);
    s.present = 0;
    derive(&s);
    assert_absent("ksm_ksmtuned_next_pages_to_scan", &s);
}
END_TEST

/* Sets advisor_mode to text, a line as the kernel prints it. */
static void set_advisor(struct ksm_sample *s, const char *text)
{
    s->present |= KSM_FIELD_BIT(KSM_ADVISOR_MODE);
    s->exists |= KSM_FIELD_BIT(KSM_ADVISOR_MODE);
    ck_assert_int_eq(ksm_parse_selection(text, strlen(text), &s->advisor_mode),
                     0);
}

/*
 * While the advisor is on, the kernel refuses the script's writes to
 * pages_to_scan: what the file holds after the check is then not ksmtuned's
 * to say.  The rest of the prediction stays.
 */
START_TEST(test_ksmtuned_advisor_refuses)
{
    struct ksm_sample s;

    for (int running = 0; running <= 1; running++) {
        tuner_sample(&s, 1000000, 1048576);
        s.proc.ksmtuned_running = running;
        set_advisor(&s, "none [scan-time]\n");
        derive(&s);
        assert_absent("ksm_ksmtuned_next_pages_to_scan", &s);
        assert_chosen("ksm_ksmtuned_next_action", &s, 3, "action=boost");
        assert_double("ksm_ksmtuned_next_sleep_seconds", &s, 0.02);

        set_advisor(&s, "[none] scan-time\n");
        derive(&s);
        assert_i64("ksm_ksmtuned_next_pages_to_scan", &s, running ? 400 : 300);

        /* advisor_mode exists but failed: unknown. */
        s.present &= ~KSM_FIELD_BIT(KSM_ADVISOR_MODE);
        derive(&s);
        assert_absent("ksm_ksmtuned_next_pages_to_scan", &s);
    }
}
END_TEST

/*
 * The view is derived once per sample: the series report it and compute
 * nothing, so a change to the sample shows only once it is derived again.
 */
START_TEST(test_ksmtuned_view_derived_once)
{
    struct ksm_sample s;

    tuner_sample(&s, 5100000, 1048576);
    tuner_procs[0].rss_bytes *= 2;
    s.proc.meminfo.kb[KSM_MEMINFO_MEM_FREE] = 1000000;
    assert_u64("ksm_ksmtuned_committed_bytes", &s, UINT64_C(1) << 30);
    assert_chosen("ksm_ksmtuned_next_action", &s, 3, "action=stop");
    derive(&s);
    assert_u64("ksm_ksmtuned_committed_bytes", &s, UINT64_C(2) << 30);
    assert_u64("ksm_guest_resident_bytes", &s, UINT64_C(2560) << 20);
    assert_chosen("ksm_ksmtuned_next_action", &s, 3, "action=boost");
}
END_TEST

/* Each input missing takes away the series that need it. */
START_TEST(test_ksmtuned_absent)
{
    static const char *const predicted[] = {
        "ksm_ksmtuned_threshold_bytes", "ksm_ksmtuned_free_bytes",
        "ksm_ksmtuned_next_action", "ksm_ksmtuned_next_pages_to_scan",
        "ksm_ksmtuned_next_sleep_seconds"};
    const size_t np = sizeof(predicted) / sizeof(predicted[0]);
    struct ksm_sample s;

    /* No process scan: no sums, no prediction; the settings stay. */
    tuner_sample(&s, 5100000, 1048576);
    s.proc.scanned = false;
    derive(&s);
    assert_absent("ksm_ksmtuned_committed_bytes", &s);
    assert_absent("ksm_guest_resident_bytes", &s);
    for (size_t i = 0; i < np; i++)
        assert_absent(predicted[i], &s);
    ck_assert_uint_eq(visit("ksm_ksmtuned_setting", &s).n, 8);

    /* No meminfo. */
    tuner_sample(&s, 5100000, 1048576);
    s.proc.meminfo.present = 0;
    derive(&s);
    for (size_t i = 0; i < np; i++)
        assert_absent(predicted[i], &s);
    assert_u64("ksm_ksmtuned_committed_bytes", &s, UINT64_C(1) << 30);

    /* A config file that cannot be read. */
    tuner_sample(&s, 5100000, 1048576);
    s.tuner.has_config = false;
    derive(&s);
    for (size_t i = 0; i < np; i++)
        assert_absent(predicted[i], &s);
    assert_absent("ksm_ksmtuned_setting", &s);
    assert_absent("ksm_ksmtuned_config_ignored_lines", &s);

    /* Without KSM, ksmtuned tunes nothing: only the process facts stay. */
    tuner_sample(&s, 5100000, 1048576);
    s.up = false;
    s.proc.ksmtuned_running = false;
    derive(&s);
    for (size_t i = 0; i < np; i++)
        assert_absent(predicted[i], &s);
    assert_absent("ksm_ksmtuned_setting", &s);
    assert_absent("ksm_tuner", &s);
    assert_u64("ksm_ksmtuned_running", &s, 0);
    assert_u64("ksm_guest_resident_bytes", &s, UINT64_C(1536) << 20);

    /* Without procfs nothing of the process is known. */
    tuner_sample(&s, 5100000, 1048576);
    s.proc.opened = false;
    s.proc.ksmtuned_running = false;
    derive(&s);
    assert_absent("ksm_ksmtuned_running", &s);
    assert_absent("ksm_tuner", &s);
}
END_TEST

/* The settings with their names, and the lines left out. */
START_TEST(test_ksmtuned_settings)
{
    static const char text[] = "KSM_NPAGES_MAX=2000\nNPAGES_MIN=1\n"
                               "KSM_SLEEP_MSEC=$(x)\n";
    struct ksm_sample s;
    struct captured c;

    tuner_sample(&s, 5100000, 1048576);
    ck_assert_int_eq(
        ksm_ksmtuned_parse_config(text, sizeof(text) - 1, &s.tuner.config), 0);
    c = visit("ksm_ksmtuned_setting", &s);
    ck_assert_uint_eq(c.n, 8);
    ck_assert_str_eq(c.label[0], "name=KSM_MONITOR_INTERVAL");
    ck_assert_int_eq(c.v[0].i, 60);
    ck_assert_str_eq(c.label[2], "name=KSM_NPAGES_DECAY");
    ck_assert_int_eq(c.v[2].i, -50);
    ck_assert_str_eq(c.label[4], "name=KSM_NPAGES_MAX");
    ck_assert_int_eq(c.v[4].i, 2000);
    ck_assert_str_eq(c.label[7], "name=KSM_THRES_CONST");
    ck_assert_int_eq(c.v[7].i, 2048);
    assert_u64("ksm_ksmtuned_config_ignored_lines", &s, 2);

    /* The file is counted as a file once it exists or failed. */
    c = visit("ksm_read_errors_total", &s);
    ck_assert_str_eq(c.label[c.n - 1], "file=pages_to_scan");
    s.tuner.conf_exists = true;
    s.tuner.conf_read_errors = 3;
    c = visit("ksm_read_errors_total", &s);
    ck_assert_str_eq(c.label[c.n - 1], "file=ksmtuned_conf");
    ck_assert_uint_eq(c.v[c.n - 1].u, 3);
}
END_TEST

/* ksmtuned while it runs, else the advisor in scan-time mode, else none. */
START_TEST(test_tuner)
{
    struct ksm_sample s;

    tuner_sample(&s, 5100000, 1048576);
    assert_chosen("ksm_tuner", &s, 3, "tuner=ksmtuned");
    assert_u64("ksm_ksmtuned_running", &s, 1);
    /* A kernel without advisor_mode has no advisor. */
    s.proc.ksmtuned_running = false;
    assert_chosen("ksm_tuner", &s, 3, "tuner=none");

    s.present |= KSM_FIELD_BIT(KSM_ADVISOR_MODE);
    s.exists |= KSM_FIELD_BIT(KSM_ADVISOR_MODE);
    ck_assert_int_eq(
        ksm_parse_selection("none [scan-time]\n", 17, &s.advisor_mode), 0);
    assert_chosen("ksm_tuner", &s, 3, "tuner=advisor");
    /* Both: ksmtuned switches run, the advisor sets the pace. */
    s.proc.ksmtuned_running = true;
    assert_chosen("ksm_tuner", &s, 3, "tuner=ksmtuned");
    s.proc.ksmtuned_running = false;
    ck_assert_int_eq(
        ksm_parse_selection("[none] scan-time\n", 17, &s.advisor_mode), 0);
    assert_chosen("ksm_tuner", &s, 3, "tuner=none");
    /* advisor_mode exists but failed: unknown. */
    s.present &= ~KSM_FIELD_BIT(KSM_ADVISOR_MODE);
    assert_absent("ksm_tuner", &s);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("table");

    tcase_add_test(tc, test_table_invariants);
    tcase_add_test(tc, test_every_field_reported);
    tcase_add_test(tc, test_collectd_types_exist);
    suite_add_tcase(s, tc);

    tc = tcase_create("derived");
    tcase_add_test(tc, test_typical_values);
    tcase_add_test(tc, test_page_size_scales);
    tcase_add_test(tc, test_zero_pages_absent);
    tcase_add_test(tc, test_nan_ratios);
    tcase_add_test(tc, test_negative_profit);
    tcase_add_test(tc, test_huge_values);
    tcase_add_test(tc, test_value_to_double);
    tcase_add_test(tc, test_host_values);
    tcase_add_test(tc, test_scan_speed);
    suite_add_tcase(s, tc);

    tc = tcase_create("ksmtuned");
    tcase_add_test(tc, test_ksmtuned_next_check);
    tcase_add_test(tc, test_ksmtuned_first_check);
    tcase_add_test(tc, test_ksmtuned_advisor_refuses);
    tcase_add_test(tc, test_ksmtuned_view_derived_once);
    tcase_add_test(tc, test_ksmtuned_absent);
    tcase_add_test(tc, test_ksmtuned_settings);
    tcase_add_test(tc, test_tuner);
    suite_add_tcase(s, tc);

    tc = tcase_create("absent");
    tcase_add_test(tc, test_missing_directory);
    tcase_add_test(tc, test_garbage_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(metrics_suite());
}
