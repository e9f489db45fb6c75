/* SPDX-License-Identifier: MIT */
/* Checks the metric reference, docs/metrics.md, against the metric tables. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "ksm/metrics.h"
#include "own_metrics.h"
#include "testutil.h"

#ifndef KSM_METRICS_DOC
#error "KSM_METRICS_DOC must name docs/metrics.md"
#endif

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
        ck_assert_msg(n < NCELLS, "%s:%u: more than %d cells", KSM_METRICS_DOC,
                      lineno, NCELLS);
        ck_assert_msg(copy_trimmed(p, bar, row->cell[n]),
                      "%s:%u: cell too long", KSM_METRICS_DOC, lineno);
        n++;
    }
    ck_assert_msg(n == NCELLS && p[strspn(p, " \t")] == '\0',
                  "%s:%u: want %d cells between bars", KSM_METRICS_DOC, lineno,
                  NCELLS);
}

/* Reads the metric rows of every table with the reference's header. */
static void read_doc(struct doc *d)
{
    FILE *f = fopen(KSM_METRICS_DOC, "r");
    char line[2048];
    unsigned lineno = 0;
    bool in_table = false;

    ck_assert_msg(f != NULL, "cannot open %s", KSM_METRICS_DOC);
    d->nrows = 0;
    while (fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);

        lineno++;
        ck_assert_msg(len > 0 && line[len - 1] == '\n', "%s:%u: line too long",
                      KSM_METRICS_DOC, lineno);
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

/* The last label named in a labels cell ("`pid`, `comm`, `vm`"), or "". */
static void last_label(const char *cell, char *out, size_t size)
{
    const char *end = strrchr(cell, '`');
    const char *start = end;

    out[0] = '\0';
    if (!end)
        return;
    while (start > cell && start[-1] != '`')
        start--;
    if (start == cell || (size_t)(end - start) >= size)
        return;
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
}

/*
 * The collectd cell the reference must show for m: "not dispatched", or the
 * type instance in backticks.  A labelled series appends the label's value
 * after '-' (or uses it alone when the instance is empty), written in the
 * reference as the label's name in upper case; a per-process series keeps
 * the instance and takes its own plugin instance instead.
 */
static void expected_id(const struct ksm_metric *m, const char *labels,
                        char *out, size_t size)
{
    char label[64];
    int n;

    if (!m->collectd_type) {
        snprintf(out, size, "not dispatched");
        return;
    }
    last_label(labels, label, sizeof(label));
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
    read_doc(&doc);
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
                  KSM_METRICS_DOC, m->name);
}
END_TEST

START_TEST(test_no_unknown_rows)
{
    for (size_t i = 0; i < doc.nrows; i++) {
        const struct doc_row *r = &doc.rows[i];
        char name[CELL_MAX];

        ck_assert_msg(quoted(r->cell[CELL_NAME], name, sizeof(name)),
                      "%s:%u: the name is not written as `name`",
                      KSM_METRICS_DOC, r->line);
        ck_assert_msg(find_metric(name) != NULL,
                      "%s:%u: %s is in no metric table", KSM_METRICS_DOC,
                      r->line, name);
        ck_assert_msg(find_row(&doc, name) == r, "%s:%u: %s is listed twice",
                      KSM_METRICS_DOC, r->line, name);
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
                  "%s:%u: %s is a %s, not a %s", KSM_METRICS_DOC, r->line,
                  m->name, type, r->cell[CELL_TYPE]);
    /* A declared unit is written as is; an undeclared one never as such. */
    if (m->unit)
        ck_assert_msg(strcmp(unit, m->unit) == 0,
                      "%s:%u: %s has unit %s, not %s", KSM_METRICS_DOC, r->line,
                      m->name, m->unit, unit);
    else
        ck_assert_msg(strcmp(unit, "bytes") != 0 &&
                          strcmp(unit, "seconds") != 0,
                      "%s:%u: %s declares no unit, not %s", KSM_METRICS_DOC,
                      r->line, m->name, unit);
}
END_TEST

START_TEST(test_collectd_identifier)
{
    const struct ksm_metric *m = metric((size_t)_i);
    const struct doc_row *r = find_row(&doc, m->name);
    char want[256];

    ck_assert_msg(r != NULL, "%s is not listed", m->name);
    expected_id(m, r->cell[CELL_LABELS], want, sizeof(want));
    ck_assert_msg(strcmp(r->cell[CELL_ID], want) == 0,
                  "%s:%u: %s: collectd is %s, not %s", KSM_METRICS_DOC, r->line,
                  m->name, want, r->cell[CELL_ID]);
    /* Per-process series are told apart by these labels in Prometheus. */
    if (m->flags & KSM_MF_PROCESS)
        ck_assert_msg(strcmp(r->cell[CELL_LABELS], "`pid`, `comm`, `vm`") == 0,
                      "%s:%u: %s: labels are `pid`, `comm`, `vm`",
                      KSM_METRICS_DOC, r->line, m->name);
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
    tcase_add_loop_test(tc, test_collectd_identifier, 0, n);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(reference_suite());
}
