/* SPDX-License-Identifier: MIT */
/* Checks the metric reference, docs/metrics.md, against the metric tables. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ksm/metrics.h"
#include "ksm/render.h"
#include "ksm/sampler.h"
#include "own_metrics.h"
#include "testutil.h"

#ifndef KSM_METRICS_DOC
#error "KSM_METRICS_DOC must name docs/metrics.md"
#endif
#ifndef KSM_PROCFS_DIR
#error "KSM_PROCFS_DIR must name tests/fixtures/procfs"
#endif

/*
 * The reference read: KSM_METRICS_DOC, or the file that variable names in
 * the environment, so that an edited copy can show what a wrong cell does.
 */
static const char *doc_file = KSM_METRICS_DOC;

/*
 * Every metric row of the reference sits in a table with this header; a
 * table with any other header is not read, so renaming a column makes every
 * metric "missing" rather than silently unchecked.
 */
static const char header[] =
    "| Prometheus | type | unit | labels | source | collectd |";

enum { CELL_NAME, CELL_TYPE, CELL_UNIT, CELL_LABELS, CELL_SOURCE, CELL_ID };
#define NCELLS   6
#define CELL_MAX 512
#define MAX_ROWS 128

struct doc_row {
    unsigned line;
    char cell[NCELLS][CELL_MAX];
};

struct doc {
    size_t nrows;
    struct doc_row rows[MAX_ROWS];
};

/* Copies [s, e) into out without surrounding blanks; false if too long. */
static bool copy_trimmed(const char *s, const char *e, char *out)
{
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    if ((size_t)(e - s) >= CELL_MAX)
        return false;
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = '\0';
    return true;
}

/* Splits one "| a | b | ... |" line into exactly NCELLS cells. */
static void split_row(const char *line, unsigned lineno, struct doc_row *row)
{
    const char *p = line + 1;
    size_t n = 0;

    row->line = lineno;
    for (const char *bar; (bar = strchr(p, '|')) != NULL; p = bar + 1) {
        ck_assert_msg(n < NCELLS, "%s:%u: more than %d cells", doc_file, lineno,
                      NCELLS);
        ck_assert_msg(copy_trimmed(p, bar, row->cell[n]),
                      "%s:%u: cell too long", doc_file, lineno);
        n++;
    }
    ck_assert_msg(n == NCELLS && p[strspn(p, " \t")] == '\0',
                  "%s:%u: want %d cells between bars", doc_file, lineno,
                  NCELLS);
}

/* Reads the metric rows of every table with the reference's header. */
static void read_doc(struct doc *d)
{
    FILE *f = fopen(doc_file, "r");
    char line[2048];
    unsigned lineno = 0;
    bool in_table = false;

    ck_assert_msg(f != NULL, "cannot open %s", doc_file);
    d->nrows = 0;
    while (fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);

        lineno++;
        ck_assert_msg(len > 0 && line[len - 1] == '\n', "%s:%u: line too long",
                      doc_file, lineno);
        line[len - 1] = '\0';
        if (strcmp(line, header) == 0) {
            in_table = true;
            continue;
        }
        if (line[0] != '|') {
            in_table = false;
            continue;
        }
        if (!in_table || strncmp(line, "|---", 4) == 0)
            continue;
        ck_assert_msg(d->nrows < MAX_ROWS, "more than %d rows", MAX_ROWS);
        split_row(line, lineno, &d->rows[d->nrows++]);
    }
    fclose(f);
}

/* The name in a cell written as `name`, or NULL when not so written. */
static const char *quoted(const char *cell, char *out, size_t size)
{
    size_t n = strlen(cell);

    if (n < 3 || n - 2 >= size || cell[0] != '`' || cell[n - 1] != '`' ||
        memchr(cell + 1, '`', n - 2) != NULL)
        return NULL;
    memcpy(out, cell + 1, n - 2);
    out[n - 2] = '\0';
    return out;
}

static const struct doc_row *find_row(const struct doc *d, const char *name)
{
    char got[CELL_MAX];

    for (size_t i = 0; i < d->nrows; i++) {
        const char *n = quoted(d->rows[i].cell[CELL_NAME], got, sizeof(got));

        if (n && strcmp(n, name) == 0)
            return &d->rows[i];
    }
    return NULL;
}

/* Both tables, as one list: the KSM table first, then the exporter's own. */
static size_t nmetrics(void)
{
    return ksm_metrics_count + own_metrics_count;
}

static const struct ksm_metric *metric(size_t i)
{
    return i < ksm_metrics_count ? &ksm_metrics[i]
                                 : &own_metrics[i - ksm_metrics_count];
}

static const struct ksm_metric *find_metric(const char *name)
{
    for (size_t i = 0; i < nmetrics(); i++)
        if (strcmp(metric(i)->name, name) == 0)
            return metric(i);
    return NULL;
}

#define MAX_LABELS 4
#define LABEL_MAX  32

/* The label names a row of the code emits, in the order it emits them. */
struct code_labels {
    bool seen; /* the row emitted at least one series */
    size_t n;
    char name[MAX_LABELS][LABEL_MAX];
};

/* Indexed as metric(): what each row emitted on the fixtures. */
static struct code_labels code[MAX_ROWS];

/*
 * Records one series' label names for the row of name; every series of a
 * row must carry the same names, as the reference gives one list per row.
 */
static void record(struct code_labels *c, const char *name,
                   const char *const *labels, size_t nlabels)
{
    if (c->seen) {
        ck_assert_msg(nlabels == c->n, "%s: series with %zu and %zu labels",
                      name, c->n, nlabels);
        for (size_t i = 0; i < nlabels; i++)
            ck_assert_msg(strcmp(c->name[i], labels[i]) == 0,
                          "%s: series labelled %s and %s", name, c->name[i],
                          labels[i]);
        return;
    }
    ck_assert_msg(nlabels <= MAX_LABELS, "%s: %zu labels", name, nlabels);
    for (size_t i = 0; i < nlabels; i++) {
        ck_assert_msg(strlen(labels[i]) < LABEL_MAX, "%s: label %s too long",
                      name, labels[i]);
        snprintf(c->name[i], sizeof(c->name[i]), "%s", labels[i]);
    }
    c->n = nlabels;
    c->seen = true;
}

static void record_series(void *ctx, const struct ksm_metric *m,
                          const struct ksm_label *labels, size_t nlabels,
                          const struct ksm_value *v)
{
    const char *names[MAX_LABELS];

    (void)v;
    ck_assert_msg(nlabels <= MAX_LABELS, "%s: %zu labels", m->name, nlabels);
    for (size_t i = 0; i < nlabels; i++)
        names[i] = labels[i].name;
    record(ctx, m->name, names, nlabels);
}

/*
 * Visits every row of ksm_metrics[] on a sample of the typical fixtures,
 * with the procfs and its processes, so that every source has a series.
 */
static void collect_ksm_labels(void)
{
    struct ksm_sampler_config cfg = {
        .sysfs_root = fixture("typical"),
        .page_size = 4096,
        .rmap_item_size = 64,
        .procfs_root = KSM_PROCFS_DIR "/typical",
        .processes = true,
    };
    struct ksm_sampler *sampler;
    struct ksm_sample sample;

    ck_assert_int_eq(ksm_sampler_new(&cfg, &sampler), 0);
    ck_assert_int_eq(ksm_sampler_read(sampler, &sample), 0);
    /*
     * The full-scan duration needs two samples in which full_scans advanced,
     * which fixed files never give; its labels do not depend on the value.
     */
    sample.has_full_scan_duration = true;
    sample.full_scan_duration_seconds = 1.0;
    for (size_t i = 0; i < ksm_metrics_count; i++)
        ksm_metric_visit(&ksm_metrics[i], &sample, record_series, &code[i]);
    /* The sample's process list belongs to the sampler: free it last. */
    ksm_sampler_free(sampler);
}

/* Skips a label value, escapes included; returns the closing quote. */
static const char *skip_value(const char *p)
{
    for (; *p && *p != '"'; p++)
        if (*p == '\\' && p[1])
            p++;
    return p;
}

/* Records the label names of one exposition line "name{a="x",b="y"} 1". */
static void parse_series(const char *line)
{
    char name[128];
    const char *names[MAX_LABELS];
    char buf[MAX_LABELS][LABEL_MAX];
    size_t len = strcspn(line, "{ "), n = 0;
    const char *p = line + len;

    ck_assert_msg(len < sizeof(name), "name too long: %s", line);
    memcpy(name, line, len);
    name[len] = '\0';
    if (*p == '{')
        for (p++; *p != '}';) {
            size_t k = strcspn(p, "=");

            ck_assert_msg(n < MAX_LABELS && k < LABEL_MAX && p[k] == '=' &&
                              p[k + 1] == '"',
                          "cannot read the labels of %s", line);
            memcpy(buf[n], p, k);
            buf[n][k] = '\0';
            names[n] = buf[n];
            n++;
            p = skip_value(p + k + 2);
            ck_assert_msg(*p == '"', "unterminated value in %s", line);
            p++;
            if (*p == ',')
                p++;
            ck_assert_msg(*p != '\0', "unterminated labels in %s", line);
        }
    for (size_t i = 0; i < own_metrics_count; i++)
        if (strcmp(own_metrics[i].name, name) == 0) {
            record(&code[ksm_metrics_count + i], name, names, n);
            return;
        }
    ck_abort_msg("own_metrics_render wrote %s, which is in no row", name);
}

/* Renders the exporter's own families and records their label names. */
static void collect_own_labels(void)
{
    struct own_figures f = {
        .version = "1.2.3", .revision = "abc", .has_self = true};
    struct ksm_buf b = {0};
    char *save = NULL;

    ck_assert_int_eq(own_metrics_render(&b, &f, KSM_FORMAT_TEXT), 0);
    ck_assert_int_eq(ksm_render_end(&b, KSM_FORMAT_TEXT), 0);
    for (char *line = strtok_r(b.data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save))
        if (line[0] != '#')
            parse_series(line);
    ksm_buf_free(&b);
}

/* The labels cell the reference must show: "`pid`, `comm`, `vm`", or "". */
static void expected_labels(const struct code_labels *c, char *out, size_t size)
{
    size_t len = 0;

    out[0] = '\0';
    for (size_t i = 0; i < c->n; i++) {
        int n = snprintf(out + len, size - len, "%s`%s`", i ? ", " : "",
                         c->name[i]);

        ck_assert_msg(n > 0 && (size_t)n < size - len, "labels too long");
        len += (size_t)n;
    }
}

/*
 * The collectd cell the reference must show for m: "not dispatched", or the
 * type instance in backticks.  A labelled series appends the label's value
 * after '-' (or uses it alone when the instance is empty), written in the
 * reference as the label's name in upper case; a per-process series keeps
 * the instance and takes its own plugin instance instead.  The label is the
 * last one the code emits, not the one the reference's labels cell names.
 */
static void expected_id(const struct ksm_metric *m,
                        const struct code_labels *labels, char *out,
                        size_t size)
{
    char label[LABEL_MAX] = "";
    int n;

    if (!m->collectd_type) {
        snprintf(out, size, "not dispatched");
        return;
    }
    if (labels->n > 0)
        snprintf(label, sizeof(label), "%s", labels->name[labels->n - 1]);
    for (char *c = label; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    if (!label[0] || (m->flags & KSM_MF_PROCESS))
        n = snprintf(out, size, "`%s-%s`", m->collectd_type,
                     m->collectd_instance);
    else if (m->collectd_instance[0] == '\0')
        n = snprintf(out, size, "`%s-%s`", m->collectd_type, label);
    else
        n = snprintf(out, size, "`%s-%s-%s`", m->collectd_type,
                     m->collectd_instance, label);
    ck_assert_msg(n > 0 && (size_t)n < size, "%s: identifier too long",
                  m->name);
}

static struct doc doc;

static void setup(void)
{
    const char *path = getenv("KSM_METRICS_DOC");

    if (path && path[0])
        doc_file = path;
    read_doc(&doc);
    memset(code, 0, sizeof(code));
    ck_assert_uint_le(nmetrics(), MAX_ROWS);
    collect_ksm_labels();
    collect_own_labels();
}

START_TEST(test_tables_found)
{
    /* Guards the reader itself: a reference it cannot parse checks nothing. */
    ck_assert_uint_ge(doc.nrows, nmetrics());
}
END_TEST

START_TEST(test_every_metric_listed)
{
    const struct ksm_metric *m = metric((size_t)_i);

    ck_assert_msg(find_row(&doc, m->name) != NULL, "%s does not list %s",
                  doc_file, m->name);
}
END_TEST

START_TEST(test_no_unknown_rows)
{
    for (size_t i = 0; i < doc.nrows; i++) {
        const struct doc_row *r = &doc.rows[i];
        char name[CELL_MAX];

        ck_assert_msg(quoted(r->cell[CELL_NAME], name, sizeof(name)),
                      "%s:%u: the name is not written as `name`", doc_file,
                      r->line);
        ck_assert_msg(find_metric(name) != NULL,
                      "%s:%u: %s is in no metric table", doc_file, r->line,
                      name);
        ck_assert_msg(find_row(&doc, name) == r, "%s:%u: %s is listed twice",
                      doc_file, r->line, name);
    }
}
END_TEST

START_TEST(test_type_and_unit)
{
    const struct ksm_metric *m = metric((size_t)_i);
    const struct doc_row *r = find_row(&doc, m->name);
    const char *type = m->type == KSM_COUNTER ? "counter" : "gauge";
    const char *unit = r ? r->cell[CELL_UNIT] : "";

    ck_assert_msg(r != NULL, "%s is not listed", m->name);
    ck_assert_msg(strcmp(r->cell[CELL_TYPE], type) == 0,
                  "%s:%u: %s is a %s, not a %s", doc_file, r->line, m->name,
                  type, r->cell[CELL_TYPE]);
    /* A declared unit is written as is; an undeclared one never as such. */
    if (m->unit)
        ck_assert_msg(strcmp(unit, m->unit) == 0,
                      "%s:%u: %s has unit %s, not %s", doc_file, r->line,
                      m->name, m->unit, unit);
    else
        ck_assert_msg(strcmp(unit, "bytes") != 0 &&
                          strcmp(unit, "seconds") != 0,
                      "%s:%u: %s declares no unit, not %s", doc_file, r->line,
                      m->name, unit);
}
END_TEST

/* The labels cell against the label names the row emits on the fixtures. */
START_TEST(test_labels)
{
    const struct ksm_metric *m = metric((size_t)_i);
    const struct doc_row *r = find_row(&doc, m->name);
    char want[CELL_MAX];

    ck_assert_msg(r != NULL, "%s is not listed", m->name);
    ck_assert_msg(code[_i].seen, "%s emitted no series on the fixtures",
                  m->name);
    expected_labels(&code[_i], want, sizeof(want));
    ck_assert_msg(strcmp(r->cell[CELL_LABELS], want) == 0,
                  "%s:%u: %s: labels are \"%s\", not \"%s\"", doc_file, r->line,
                  m->name, want, r->cell[CELL_LABELS]);
}
END_TEST

START_TEST(test_collectd_identifier)
{
    const struct ksm_metric *m = metric((size_t)_i);
    const struct doc_row *r = find_row(&doc, m->name);
    char want[256];

    ck_assert_msg(r != NULL, "%s is not listed", m->name);
    expected_id(m, &code[_i], want, sizeof(want));
    ck_assert_msg(strcmp(r->cell[CELL_ID], want) == 0,
                  "%s:%u: %s: collectd is %s, not %s", doc_file, r->line,
                  m->name, want, r->cell[CELL_ID]);
}
END_TEST

static Suite *reference_suite(void)
{
    Suite *s = suite_create("reference");
    TCase *tc = tcase_create("docs/metrics.md");
    int n = (int)nmetrics();

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_tables_found);
    tcase_add_loop_test(tc, test_every_metric_listed, 0, n);
    tcase_add_test(tc, test_no_unknown_rows);
    tcase_add_loop_test(tc, test_type_and_unit, 0, n);
    tcase_add_loop_test(tc, test_labels, 0, n);
    tcase_add_loop_test(tc, test_collectd_identifier, 0, n);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(reference_suite());
}
