/* SPDX-License-Identifier: MIT */
/* Unit tests of the findings: the catalogue, the judge, the verdict, rates. */
/* Long: both sides of every threshold of every finding, one test each. */
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "ksm/findings.h"
#include "ksm/metrics.h"
#include "rates.h"
#include "testutil.h"

#define GIB (1024.0 * 1024 * 1024)

enum want { UNJUDGED = -1, INACTIVE = 0, ACTIVE = 1 };

/*
 * The listed processes.  Wrapped, because clang-tidy's padding check
 * multiplies struct ksm_process's padding by the length of a plain array.
 */
static struct {
    struct ksm_process p[8];
} listed;
static struct ksm_process *const procs = listed.p;

/* A sample of a host whose KSM directory was read, and nothing else. */
static struct ksm_sample base(void)
{
    struct ksm_sample s;

    memset(&s, 0, sizeof(s));
    memset(&listed, 0, sizeof(listed));
    s.up = true;
    s.page_size = 4096;
    s.rmap_item_size = 64;
    s.proc.processes = procs;
    s.proc.scanned = true;
    return s;
}

static void set_u(struct ksm_sample *s, enum ksm_field f, uint64_t v)
{
    s->present |= KSM_FIELD_BIT(f);
    s->value[f].u = v;
}

static void set_i(struct ksm_sample *s, enum ksm_field f, int64_t v)
{
    s->present |= KSM_FIELD_BIT(f);
    s->value[f].i = v;
}

static void unset(struct ksm_sample *s, enum ksm_field f)
{
    s->present &= ~KSM_FIELD_BIT(f);
}

/*
 * Adds a QEMU process: mergeable -1 (no such line), 0 (no) or 1 (yes);
 * merging < 0 for no merging-pages line.
 */
static struct ksm_process *guest(struct ksm_sample *s, int mergeable,
                                 int64_t merging)
{
    struct ksm_process *p = &procs[s->proc.nprocesses++];

    ck_assert_uint_le(s->proc.nprocesses,
                      sizeof(listed.p) / sizeof(listed.p[0]));
    p->qemu = true;
    if (mergeable >= 0) {
        p->figures.present |= 1u << KSM_PROC_MERGEABLE;
        p->figures.value[KSM_PROC_MERGEABLE] = mergeable;
    }
    if (merging >= 0) {
        p->figures.present |= 1u << KSM_PROC_MERGING_PAGES;
        p->figures.value[KSM_PROC_MERGING_PAGES] = merging;
    }
    return p;
}

static struct ksm_process *with_memory(struct ksm_process *p, uint64_t rss,
                                       uint64_t thp)
{
    p->has_rss = true;
    p->rss_bytes = rss;
    p->has_thp_anon = true;
    p->thp_anon_bytes = thp;
    return p;
}

/* Judges s and asserts the state of finding id; returns that state. */
static struct ksm_finding_state expect_at(struct ksm_sample *s,
                                          enum ksm_finding_id id,
                                          enum want want, int line)
{
    struct ksm_finding_state st;

    ksm_sample_judge(s);
    st = s->verdict.findings[id];
    ck_assert_msg(st.known == (want != UNJUDGED) &&
                      (!st.known || st.active == (want == ACTIVE)),
                  "line %d: %s known %d active %d value %g limit %g, want %d",
                  line, ksm_findings[id].id, st.known, st.active, st.value,
                  st.limit, want);
    return st;
}

#define EXPECT(s, id, want) expect_at(&(s), (id), (want), __LINE__)

static void assert_near(double got, double want)
{
    ck_assert_msg(fabs(got - want) <= 1e-9 * fmax(1, fabs(want)),
                  "got %.17g, want %.17g", got, want);
}

START_TEST(test_thp_guests)
{
    struct ksm_sample s = base();
    struct ksm_process *p;
    struct ksm_finding_state st;

    EXPECT(s, KSM_FINDING_THP_GUESTS, UNJUDGED); /* no guest */
    p = guest(&s, 1, 0);
    EXPECT(s, KSM_FINDING_THP_GUESTS, UNJUDGED); /* no RSS, no THP */
    with_memory(p, 1000 << 20, 200 << 20);       /* exactly 20% */
    st = EXPECT(s, KSM_FINDING_THP_GUESTS, ACTIVE);
    assert_near(st.value, 0.20);
    assert_near(st.limit, 0.20);
    ck_assert_uint_eq(st.count, 1);
    p->thp_anon_bytes = (200 << 20) - 1;
    EXPECT(s, KSM_FINDING_THP_GUESTS, INACTIVE);
    p->thp_anon_bytes = (200 << 20) + 1;
    EXPECT(s, KSM_FINDING_THP_GUESTS, ACTIVE);
    /* Weighted by memory: 100% of 100 MiB and 0% of 900 MiB is 10%. */
    with_memory(p, 100 << 20, 100 << 20);
    with_memory(guest(&s, -1, -1), 900 << 20, 0);
    st = EXPECT(s, KSM_FINDING_THP_GUESTS, INACTIVE);
    assert_near(st.value, 0.10);
    ck_assert_uint_eq(st.count, 2);
    /* An opted-out guest and a process that is not QEMU do not count. */
    s = base();
    with_memory(guest(&s, 0, 0), 100 << 20, 100 << 20);
    with_memory(guest(&s, 1, 0), 100 << 20, 0)->qemu = false;
    EXPECT(s, KSM_FINDING_THP_GUESTS, UNJUDGED);
    with_memory(guest(&s, 1, 0), 0, 0); /* no resident memory */
    EXPECT(s, KSM_FINDING_THP_GUESTS, UNJUDGED);
}
END_TEST

START_TEST(test_ksmtuned_blind)
{
    struct ksm_sample s = base();
    struct ksm_finding_state st;

    s.ksmtuned.has_committed = true;
    s.ksmtuned.committed_bytes = 500 << 20;
    s.ksmtuned.guest_resident_bytes = 1000 << 20;
    EXPECT(s, KSM_FINDING_KSMTUNED_BLIND, UNJUDGED); /* procfs not opened */
    s.proc.opened = true;
    EXPECT(s, KSM_FINDING_KSMTUNED_BLIND, INACTIVE); /* ksmtuned not running */
    s.proc.ksmtuned_running = true;
    st = EXPECT(s, KSM_FINDING_KSMTUNED_BLIND, INACTIVE); /* exactly half */
    assert_near(st.value, 0.5);
    assert_near(st.limit, 0.5);
    s.ksmtuned.committed_bytes = (500 << 20) - 1;
    EXPECT(s, KSM_FINDING_KSMTUNED_BLIND, ACTIVE);
    s.ksmtuned.committed_bytes = (500 << 20) + 1;
    EXPECT(s, KSM_FINDING_KSMTUNED_BLIND, INACTIVE);
    s.ksmtuned.committed_bytes = 0;
    s.ksmtuned.guest_resident_bytes = 0; /* no guest memory: nothing missed */
    EXPECT(s, KSM_FINDING_KSMTUNED_BLIND, INACTIVE);
    /* The count: QEMU processes with RSS that the pgrep misses. */
    guest(&s, 1, 0)->has_rss = true;
    guest(&s, 1, 0)->ksmtuned_counted = true;
    procs[1].has_rss = true;
    guest(&s, 1, 0); /* no RSS: nothing to count */
    st = EXPECT(s, KSM_FINDING_KSMTUNED_BLIND, INACTIVE);
    ck_assert_uint_eq(st.count, 1);
    s.ksmtuned.has_committed = false;
    EXPECT(s, KSM_FINDING_KSMTUNED_BLIND, UNJUDGED);
}
END_TEST

START_TEST(test_ksmtuned_stops)
{
    struct ksm_sample s = base();
    struct ksm_finding_state st;

    s.ksmtuned.has_next = true;
    s.ksmtuned.next.action = KSM_KSMTUNED_STOP;
    guest(&s, 1, 0);
    EXPECT(s, KSM_FINDING_KSMTUNED_STOPS, UNJUDGED); /* procfs not opened */
    s.proc.opened = true;
    EXPECT(s, KSM_FINDING_KSMTUNED_STOPS, INACTIVE); /* ksmtuned not running */
    s.proc.ksmtuned_running = true;
    st = EXPECT(s, KSM_FINDING_KSMTUNED_STOPS, ACTIVE);
    ck_assert_uint_eq(st.count, 1);
    s.ksmtuned.next.action = KSM_KSMTUNED_BOOST;
    EXPECT(s, KSM_FINDING_KSMTUNED_STOPS, INACTIVE);
    s.ksmtuned.next.action = KSM_KSMTUNED_DECAY;
    EXPECT(s, KSM_FINDING_KSMTUNED_STOPS, INACTIVE);
    s.ksmtuned.next.action = KSM_KSMTUNED_STOP;
    procs[0].figures.value[KSM_PROC_MERGEABLE] = 0; /* none may merge */
    EXPECT(s, KSM_FINDING_KSMTUNED_STOPS, INACTIVE);
    s.ksmtuned.has_next = false;
    EXPECT(s, KSM_FINDING_KSMTUNED_STOPS, UNJUDGED);
}
END_TEST

START_TEST(test_ksm_off)
{
    struct ksm_sample s = base();
    struct ksm_finding_state st;

    guest(&s, 1, 0);
    guest(&s, 0, 0);
    EXPECT(s, KSM_FINDING_KSM_OFF, UNJUDGED); /* run absent */
    set_u(&s, KSM_RUN, 0);
    st = EXPECT(s, KSM_FINDING_KSM_OFF, ACTIVE);
    ck_assert_uint_eq(st.count, 1);
    set_u(&s, KSM_RUN, 2); /* unmerged: still not 1 */
    EXPECT(s, KSM_FINDING_KSM_OFF, ACTIVE);
    set_u(&s, KSM_RUN, 1);
    EXPECT(s, KSM_FINDING_KSM_OFF, INACTIVE);
    set_u(&s, KSM_RUN, 0);
    procs[0].figures.value[KSM_PROC_MERGEABLE] = 0;
    EXPECT(s, KSM_FINDING_KSM_OFF, INACTIVE);
    procs[0].figures.present = 0; /* no ksm_mergeable line: not "yes" */
    EXPECT(s, KSM_FINDING_KSM_OFF, INACTIVE);
    procs[0].figures.present = 1u << KSM_PROC_MERGING_PAGES;
    procs[0].figures.value[KSM_PROC_MERGING_PAGES] = 5; /* still not "yes" */
    EXPECT(s, KSM_FINDING_KSM_OFF, INACTIVE);
    s.proc.scanned = false;
    s.proc.nprocesses = 0;
    EXPECT(s, KSM_FINDING_KSM_OFF, UNJUDGED);
}
END_TEST

START_TEST(test_negative_profit)
{
    struct ksm_sample s = base();
    struct ksm_finding_state st;

    EXPECT(s, KSM_FINDING_NEGATIVE_PROFIT, UNJUDGED);
    set_i(&s, KSM_GENERAL_PROFIT, -1);
    st = EXPECT(s, KSM_FINDING_NEGATIVE_PROFIT, ACTIVE);
    assert_near(st.value, -1);
    set_i(&s, KSM_GENERAL_PROFIT, 0);
    EXPECT(s, KSM_FINDING_NEGATIVE_PROFIT, INACTIVE);
    set_i(&s, KSM_GENERAL_PROFIT, 1);
    EXPECT(s, KSM_FINDING_NEGATIVE_PROFIT, INACTIVE);
    set_i(&s, KSM_GENERAL_PROFIT, INT64_MIN);
    EXPECT(s, KSM_FINDING_NEGATIVE_PROFIT, ACTIVE);
}
END_TEST

START_TEST(test_ksmd_cpu)
{
    struct ksm_sample s = base();
    struct ksm_finding_state st;

    set_u(&s, KSM_PAGES_SHARING, 262144);      /* 1 GiB of 4 KiB pages */
    EXPECT(s, KSM_FINDING_KSMD_CPU, UNJUDGED); /* no rate yet */
    s.rates.has = s.rates.has_ksmd_cpu = true;
    s.rates.ksmd_cpu_share = 0.125; /* worth 8 GiB / 8 = 1 GiB */
    st = EXPECT(s, KSM_FINDING_KSMD_CPU, INACTIVE);
    assert_near(st.value, GIB);
    assert_near(st.limit, GIB);
    set_u(&s, KSM_PAGES_SHARING, 262143);
    EXPECT(s, KSM_FINDING_KSMD_CPU, ACTIVE);
    set_i(&s, KSM_ZERO_PAGES, 1); /* zero pages are saved too */
    EXPECT(s, KSM_FINDING_KSMD_CPU, INACTIVE);
    set_u(&s, KSM_PAGES_SHARING, 262145);
    unset(&s, KSM_ZERO_PAGES);
    EXPECT(s, KSM_FINDING_KSMD_CPU, INACTIVE);
    /* The floor: at least 5% of one CPU. */
    set_u(&s, KSM_PAGES_SHARING, 0);
    s.rates.ksmd_cpu_share = 0.05;
    EXPECT(s, KSM_FINDING_KSMD_CPU, ACTIVE);
    s.rates.ksmd_cpu_share = 0.0499;
    EXPECT(s, KSM_FINDING_KSMD_CPU, INACTIVE);
    unset(&s, KSM_PAGES_SHARING);
    s.rates.ksmd_cpu_share = 1;
    EXPECT(s, KSM_FINDING_KSMD_CPU, UNJUDGED);
}
END_TEST

START_TEST(test_unshared)
{
    struct ksm_sample s = base();
    struct ksm_finding_state st;

    set_u(&s, KSM_PAGES_SHARED, 1);
    set_u(&s, KSM_PAGES_SHARING, 10000);
    set_u(&s, KSM_PAGES_UNSHARED, 100000);     /* exactly 10 times */
    EXPECT(s, KSM_FINDING_UNSHARED, UNJUDGED); /* run absent */
    set_u(&s, KSM_RUN, 0);
    EXPECT(s, KSM_FINDING_UNSHARED, INACTIVE); /* "while KSM runs" */
    set_u(&s, KSM_RUN, 1);
    st = EXPECT(s, KSM_FINDING_UNSHARED, INACTIVE);
    assert_near(st.value, 10);
    assert_near(st.limit, 10);
    set_u(&s, KSM_PAGES_UNSHARED, 100001);
    EXPECT(s, KSM_FINDING_UNSHARED, ACTIVE);
    set_u(&s, KSM_PAGES_UNSHARED, 99999);
    EXPECT(s, KSM_FINDING_UNSHARED, INACTIVE);
    /* The floor: at least 65,536 pages. */
    set_u(&s, KSM_PAGES_SHARING, 0);
    set_u(&s, KSM_PAGES_UNSHARED, 65536);
    st = EXPECT(s, KSM_FINDING_UNSHARED, ACTIVE);
    assert_near(st.value, 65536);
    set_u(&s, KSM_PAGES_UNSHARED, 65535);
    EXPECT(s, KSM_FINDING_UNSHARED, INACTIVE);
    set_u(&s, KSM_PAGES_SHARING, 6553); /* ratio above 10, below the floor */
    EXPECT(s, KSM_FINDING_UNSHARED, INACTIVE);
    unset(&s, KSM_PAGES_UNSHARED);
    EXPECT(s, KSM_FINDING_UNSHARED, UNJUDGED);
    set_u(&s, KSM_PAGES_UNSHARED, 1000000);
    unset(&s, KSM_PAGES_SHARING);
    EXPECT(s, KSM_FINDING_UNSHARED, UNJUDGED);
}
END_TEST

START_TEST(test_cow)
{
    struct ksm_sample s = base();
    struct ksm_finding_state st;

    set_u(&s, KSM_PAGES_SHARED, 1);
    set_u(&s, KSM_PAGES_SHARING, 12000); /* 5% is 600 a minute, 10 a second */
    s.rates.cow_per_second = 10;
    EXPECT(s, KSM_FINDING_COW, UNJUDGED); /* no rate */
    s.rates.has = s.rates.has_cow = true;
    st = EXPECT(s, KSM_FINDING_COW, ACTIVE);
    assert_near(st.value, 0.05);
    assert_near(st.limit, 0.05);
    s.rates.cow_per_second = 9.999;
    EXPECT(s, KSM_FINDING_COW, INACTIVE);
    s.rates.cow_per_second = 10.001;
    EXPECT(s, KSM_FINDING_COW, ACTIVE);
    /* "While pages are shared": nothing left to lose. */
    set_u(&s, KSM_PAGES_SHARING, 0);
    s.rates.cow_per_second = 1;
    EXPECT(s, KSM_FINDING_COW, INACTIVE);
    /* The floor: at least 1 a second. */
    set_u(&s, KSM_PAGES_SHARING, 1);
    EXPECT(s, KSM_FINDING_COW, ACTIVE);
    s.rates.cow_per_second = 0.999;
    EXPECT(s, KSM_FINDING_COW, INACTIVE);
    set_u(&s, KSM_PAGES_SHARING, 1000); /* 5.4% a minute, below 1/s */
    s.rates.cow_per_second = 0.9;
    EXPECT(s, KSM_FINDING_COW, INACTIVE);
    unset(&s, KSM_PAGES_SHARING);
    s.rates.cow_per_second = 1000;
    EXPECT(s, KSM_FINDING_COW, UNJUDGED);
}
END_TEST

START_TEST(test_scan_slow)
{
    struct ksm_sample s = base();
    struct ksm_finding_state st;

    set_u(&s, KSM_PAGES_SHARED, 1000);
    set_u(&s, KSM_PAGES_SHARING, 99000); /* 10% of the merged is 10000 */
    set_u(&s, KSM_RUN, 1);
    s.has_full_scan_duration = true;
    s.full_scan_duration_seconds = 1000;
    s.rates.cow_per_second = 10; /* 600 a minute: cow stays inactive */
    EXPECT(s, KSM_FINDING_SCAN_SLOW, UNJUDGED); /* no rate */
    s.rates.has = s.rates.has_cow = true;
    st = EXPECT(s, KSM_FINDING_SCAN_SLOW, ACTIVE);
    EXPECT(s, KSM_FINDING_COW, INACTIVE);
    assert_near(st.value, 0.10);
    assert_near(st.limit, 0.10);
    s.rates.cow_per_second = 9.99;
    EXPECT(s, KSM_FINDING_SCAN_SLOW, INACTIVE);
    s.rates.cow_per_second = 10.01;
    EXPECT(s, KSM_FINDING_SCAN_SLOW, ACTIVE);
    /* The floor: at least 1 break a second. */
    set_u(&s, KSM_PAGES_SHARED, 100);
    set_u(&s, KSM_PAGES_SHARING, 9900);
    s.full_scan_duration_seconds = 2000;
    s.rates.cow_per_second = 0.99;
    EXPECT(s, KSM_FINDING_SCAN_SLOW, INACTIVE);
    s.rates.cow_per_second = 1;
    EXPECT(s, KSM_FINDING_SCAN_SLOW, ACTIVE);
    /* Not while cow holds: its cure, scanning more slowly, comes first. */
    set_u(&s, KSM_PAGES_SHARING, 900);
    s.full_scan_duration_seconds = 100;
    EXPECT(s, KSM_FINDING_COW, ACTIVE);
    EXPECT(s, KSM_FINDING_SCAN_SLOW, INACTIVE);
    /* Else the estimate: 100,000 pages at 100 pages a second is 1000 s. */
    set_u(&s, KSM_PAGES_SHARED, 1000);
    set_u(&s, KSM_PAGES_SHARING, 99000);
    s.has_full_scan_duration = false;
    EXPECT(s, KSM_FINDING_SCAN_SLOW, UNJUDGED);
    set_u(&s, KSM_PAGES_UNSHARED, 0);
    set_u(&s, KSM_PAGES_VOLATILE, 0);
    set_u(&s, KSM_PAGES_TO_SCAN, 100);
    set_u(&s, KSM_SLEEP_MILLISECS, 1000);
    s.rates.cow_per_second = 10;
    EXPECT(s, KSM_FINDING_SCAN_SLOW, ACTIVE);
    s.rates.cow_per_second = 9.9;
    EXPECT(s, KSM_FINDING_SCAN_SLOW, INACTIVE);
    s.rates.cow_per_second = 10;
    set_u(&s, KSM_RUN, 0);
    EXPECT(s, KSM_FINDING_SCAN_SLOW, INACTIVE); /* "while KSM runs" */
    set_u(&s, KSM_RUN, 1);
    set_u(&s, KSM_PAGES_SHARED, 0);
    set_u(&s, KSM_PAGES_SHARING, 0); /* nothing merged: nothing breaks */
    EXPECT(s, KSM_FINDING_SCAN_SLOW, INACTIVE);
}
END_TEST

START_TEST(test_numa)
{
    struct ksm_sample s = base();
    struct ksm_finding_state st;

    set_u(&s, KSM_MERGE_ACROSS_NODES, 1);
    set_u(&s, KSM_PAGES_SHARING, 1);
    s.host.memory_nodes = 2;
    EXPECT(s, KSM_FINDING_NUMA, UNJUDGED); /* has_memory unread */
    s.host.present = 1u << KSM_HOST_NODE_MEMORY;
    st = EXPECT(s, KSM_FINDING_NUMA, ACTIVE);
    assert_near(st.value, 2);
    s.host.memory_nodes = 3;
    EXPECT(s, KSM_FINDING_NUMA, ACTIVE);
    s.host.memory_nodes = 1;
    EXPECT(s, KSM_FINDING_NUMA, INACTIVE);
    s.host.memory_nodes = 2;
    set_u(&s, KSM_MERGE_ACROSS_NODES, 0);
    EXPECT(s, KSM_FINDING_NUMA, INACTIVE);
    unset(&s, KSM_MERGE_ACROSS_NODES);
    EXPECT(s, KSM_FINDING_NUMA, INACTIVE);
    set_u(&s, KSM_MERGE_ACROSS_NODES, 1);
    set_u(&s, KSM_PAGES_SHARING, 0);
    EXPECT(s, KSM_FINDING_NUMA, INACTIVE);
}
END_TEST

START_TEST(test_opted_out)
{
    struct ksm_sample s = base();
    struct ksm_finding_state st;

    guest(&s, 0, 0);
    st = EXPECT(s, KSM_FINDING_OPTED_OUT, INACTIVE); /* no other guest */
    ck_assert_uint_eq(st.count, 1);
    guest(&s, 1, 0)->qemu = false; /* not a guest */
    EXPECT(s, KSM_FINDING_OPTED_OUT, INACTIVE);
    guest(&s, -1, 5); /* merging pages, no ksm_mergeable line */
    EXPECT(s, KSM_FINDING_OPTED_OUT, ACTIVE);
    procs[2].figures.value[KSM_PROC_MERGING_PAGES] = 0;
    EXPECT(s, KSM_FINDING_OPTED_OUT, INACTIVE);
    guest(&s, 1, 0); /* ksm_mergeable yes */
    st = EXPECT(s, KSM_FINDING_OPTED_OUT, ACTIVE);
    ck_assert_uint_eq(st.count, 1);
    procs[0].figures.value[KSM_PROC_MERGEABLE] = 1;
    EXPECT(s, KSM_FINDING_OPTED_OUT, INACTIVE);
    s.proc.scanned = false;
    s.proc.nprocesses = 0;
    EXPECT(s, KSM_FINDING_OPTED_OUT, UNJUDGED);
}
END_TEST

/* The rule says "another": one opted-out guest alone is not active. */
START_TEST(test_opted_out_alone)
{
    struct ksm_sample s = base();

    guest(&s, 0, 5);
    EXPECT(s, KSM_FINDING_OPTED_OUT, INACTIVE);
}
END_TEST

START_TEST(test_down_judges_nothing)
{
    struct ksm_sample s = base();

    set_u(&s, KSM_RUN, 0);
    set_i(&s, KSM_GENERAL_PROFIT, -1);
    s.host.present = 1u << KSM_HOST_NODE_MEMORY;
    guest(&s, 1, 0);
    ksm_sample_judge(&s);
    ck_assert_uint_gt(s.verdict.warnings, 0);
    s.up = false;
    ksm_sample_judge(&s);
    for (int i = 0; i < KSM_FINDING_COUNT; i++)
        ck_assert_msg(!s.verdict.findings[i].known, "%s", ksm_findings[i].id);
    ck_assert_uint_eq(s.verdict.warnings + s.verdict.facts, 0);
    ck_assert_int_eq(s.verdict.kind, KSM_VERDICT_UNKNOWN);
}
END_TEST

static void expect_verdict_at(struct ksm_sample *s, enum ksm_verdict_kind want,
                              int line)
{
    ksm_sample_judge(s);
    ck_assert_msg(s->verdict.kind == want, "line %d: verdict %s, want %s", line,
                  ksm_verdict_names[s->verdict.kind], ksm_verdict_names[want]);
}

#define VERDICT(s, want) expect_verdict_at(&(s), (want), __LINE__)

START_TEST(test_verdict_kinds)
{
    struct ksm_sample s = base();

    set_i(&s, KSM_GENERAL_PROFIT, 0);
    set_u(&s, KSM_PAGES_SHARING, 0);
    VERDICT(s, KSM_VERDICT_UNKNOWN); /* run absent */
    set_u(&s, KSM_RUN, 0);
    VERDICT(s, KSM_VERDICT_OFF);
    set_u(&s, KSM_RUN, 1);
    VERDICT(s, KSM_VERDICT_IDLE);
    s.rates.has_ksmd_cpu = true; /* nothing merged, yet ksmd costs CPU */
    s.rates.ksmd_cpu_share = 0.5;
    VERDICT(s, KSM_VERDICT_DOES_NOT_PAY);
    s.rates.has_ksmd_cpu = false;
    set_u(&s, KSM_PAGES_SHARING, 100);
    set_i(&s, KSM_GENERAL_PROFIT, 1);
    VERDICT(s, KSM_VERDICT_PAYS);
    set_u(&s, KSM_RUN, 0); /* off, but pages stay merged */
    VERDICT(s, KSM_VERDICT_PAYS);
    set_u(&s, KSM_RUN, 1);
    set_u(&s, KSM_MERGE_ACROSS_NODES, 1); /* a fact is no warning */
    s.host.present = 1u << KSM_HOST_NODE_MEMORY;
    s.host.memory_nodes = 2;
    VERDICT(s, KSM_VERDICT_PAYS);
    ck_assert_uint_eq(s.verdict.facts, 1);
    ck_assert_uint_eq(s.verdict.warnings, 0);
    with_memory(guest(&s, 1, 100), 100 << 20, 100 << 20);
    VERDICT(s, KSM_VERDICT_COULD_PAY_MORE);
    ck_assert_uint_eq(s.verdict.warnings, 1);
    set_i(&s, KSM_GENERAL_PROFIT, 0); /* at 0 while merging */
    VERDICT(s, KSM_VERDICT_DOES_NOT_PAY);
    s.proc.nprocesses = 0;
    VERDICT(s, KSM_VERDICT_DOES_NOT_PAY);
    ck_assert_uint_eq(s.verdict.warnings, 0);
    set_i(&s, KSM_GENERAL_PROFIT, -1);
    VERDICT(s, KSM_VERDICT_DOES_NOT_PAY);
    ck_assert_uint_eq(s.verdict.warnings, 1);
    s.up = false;
    VERDICT(s, KSM_VERDICT_UNKNOWN);
}
END_TEST

/* Without general_profit: saved minus the four counts' rmap_items. */
START_TEST(test_verdict_fallback)
{
    struct ksm_sample s = base();

    set_u(&s, KSM_RUN, 1);
    set_u(&s, KSM_PAGES_SHARED, 0);
    set_u(&s, KSM_PAGES_SHARING, 16);    /* saves 64 KiB */
    set_u(&s, KSM_PAGES_UNSHARED, 1008); /* 1024 rmap_items cost 64 KiB */
    VERDICT(s, KSM_VERDICT_UNKNOWN);     /* volatile absent */
    set_u(&s, KSM_PAGES_VOLATILE, 0);
    VERDICT(s, KSM_VERDICT_DOES_NOT_PAY);
    /* Judged as where the kernel has general_profit: 0 is not below 0. */
    EXPECT(s, KSM_FINDING_NEGATIVE_PROFIT, INACTIVE);
    set_u(&s, KSM_PAGES_SHARING, 17); /* +4096 saved, +64 cost */
    VERDICT(s, KSM_VERDICT_PAYS);
    set_u(&s, KSM_PAGES_SHARING, 16);
    set_i(&s, KSM_ZERO_PAGES, 1); /* zero pages save too */
    VERDICT(s, KSM_VERDICT_PAYS);
    set_u(&s, KSM_PAGES_SHARED, 64); /* shared pages cost too */
    VERDICT(s, KSM_VERDICT_DOES_NOT_PAY);
    set_u(&s, KSM_PAGES_SHARED, 0);
    set_u(&s, KSM_PAGES_VOLATILE, 64); /* and volatile ones */
    VERDICT(s, KSM_VERDICT_DOES_NOT_PAY);
    set_u(&s, KSM_PAGES_UNSHARED, 1009); /* 64 bytes below break-even */
    EXPECT(s, KSM_FINDING_NEGATIVE_PROFIT, ACTIVE);
    set_u(&s, KSM_PAGES_UNSHARED, 1008);
    set_u(&s, KSM_RUN, 0);
    set_u(&s, KSM_PAGES_SHARING, 0);
    unset(&s, KSM_ZERO_PAGES);
    VERDICT(s, KSM_VERDICT_OFF);
    unset(&s, KSM_PAGES_SHARED);
    VERDICT(s, KSM_VERDICT_UNKNOWN);
}
END_TEST

static struct ksm_sample at(uint64_t ns, double cpu, uint64_t cow)
{
    struct ksm_sample s = base();

    s.timestamp_ns = ns;
    s.proc.has_ksmd = s.proc.has_cow = true;
    s.proc.ksmd_cpu_seconds = cpu;
    s.proc.cow_ksm = cow;
    return s;
}

/* Feeds t a reading; asserts the rates (-1: none) and the base after it. */
static void rates_at(struct ksm_rate_tracker *t, struct ksm_sample s,
                     double window, double share, double cow, uint64_t base_ns,
                     int line)
{
    ksm_rates_update(t, &s);
    ck_assert_msg(s.rates.has == (window > 0) &&
                      s.rates.has_ksmd_cpu == (share >= 0) &&
                      s.rates.has_cow == (cow >= 0),
                  "line %d: has %d ksmd %d cow %d", line, s.rates.has,
                  s.rates.has_ksmd_cpu, s.rates.has_cow);
    ck_assert_msg((window <= 0 || s.rates.window_seconds == window) &&
                      (share < 0 || s.rates.ksmd_cpu_share == share) &&
                      (cow < 0 || s.rates.cow_per_second == cow),
                  "line %d: window %.17g share %.17g cow %.17g", line,
                  s.rates.window_seconds, s.rates.ksmd_cpu_share,
                  s.rates.cow_per_second);
    ck_assert_msg(t->base_ns == base_ns, "line %d: base %llu", line,
                  (unsigned long long)t->base_ns);
}

#define RATES(t, s, w, sh, c, b)                                               \
    rates_at(&(t), (s), (w), (sh), (c), (b), __LINE__)
#define SEC 1000000000ull

START_TEST(test_rates)
{
    struct ksm_rate_tracker t;
    struct ksm_sample s;

    memset(&t, 0, sizeof(t));
    RATES(t, at(10 * SEC, 100, 1000), -1, -1, -1, 10 * SEC); /* first */
    RATES(t, at(10 * SEC + SEC / 2, 100.5, 2000), -1, -1, -1, 10 * SEC);
    RATES(t, at(12 * SEC, 100.25, 1500), 2, 0.125, 250, 12 * SEC);
    /* Under 1 s: the last rates again, the base stays. */
    RATES(t, at(12 * SEC + 400000000, 900, 9000), 2, 0.125, 250, 12 * SEC);
    /* A counter that went back has no rate; the other has. */
    RATES(t, at(13 * SEC, 100, 1600), 1, -1, 100, 13 * SEC);
    RATES(t, at(14 * SEC, 101, 1000), 1, 1, -1, 14 * SEC);
    s = at(15 * SEC, 102, 1100);
    s.proc.has_ksmd = false; /* ksmd not found this time */
    RATES(t, s, 1, -1, 100, 15 * SEC);
    RATES(t, at(16 * SEC - 1, 103, 1200), 1, -1, 100, 15 * SEC);
    s = at(16 * SEC, 103, 1200);
    s.proc.has_cow = false;
    RATES(t, s, 1, -1, -1, 16 * SEC);
    RATES(t, at(17 * SEC, 104, 1300), 1, 1, -1, 17 * SEC);
    /* A clock that went back starts over. */
    RATES(t, at(5 * SEC, 104, 1300), -1, -1, -1, 5 * SEC);
    RATES(t, at(6 * SEC, 104.5, 1310), 1, 0.5, 10, 6 * SEC);
}
END_TEST

/* The first reading of a sampler judges no rate finding; the next does. */
START_TEST(test_rates_feed_findings)
{
    struct ksm_rate_tracker t;
    struct ksm_sample s = at(SEC, 10, 0);

    memset(&t, 0, sizeof(t));
    set_u(&s, KSM_RUN, 1);
    set_u(&s, KSM_PAGES_SHARED, 1);
    set_u(&s, KSM_PAGES_SHARING, 1);
    ksm_rates_update(&t, &s);
    EXPECT(s, KSM_FINDING_KSMD_CPU, UNJUDGED);
    EXPECT(s, KSM_FINDING_COW, UNJUDGED);
    s.timestamp_ns = 3 * SEC;
    s.proc.ksmd_cpu_seconds = 11; /* half a CPU */
    s.proc.cow_ksm = 200;         /* 100 a second */
    ksm_rates_update(&t, &s);
    EXPECT(s, KSM_FINDING_KSMD_CPU, ACTIVE);
    EXPECT(s, KSM_FINDING_COW, ACTIVE);
}
END_TEST

/* A sample on which every finding is judged. */
static struct ksm_sample rich(void)
{
    struct ksm_sample s = base();

    set_u(&s, KSM_RUN, 1);
    set_u(&s, KSM_PAGES_SHARED, 100);
    set_u(&s, KSM_PAGES_SHARING, 900);
    set_u(&s, KSM_PAGES_UNSHARED, 20000);
    set_u(&s, KSM_MERGE_ACROSS_NODES, 1);
    set_i(&s, KSM_GENERAL_PROFIT, -1536);
    s.has_full_scan_duration = true;
    s.full_scan_duration_seconds = 100;
    s.host.present = 1u << KSM_HOST_NODE_MEMORY;
    s.host.memory_nodes = 2;
    s.rates = (struct ksm_rates){.has = true,
                                 .window_seconds = 10,
                                 .has_ksmd_cpu = true,
                                 .ksmd_cpu_share = 0.1,
                                 .has_cow = true,
                                 .cow_per_second = 2};
    with_memory(guest(&s, 1, 100), 1000 << 20, 960 << 20);
    guest(&s, 0, 0)->has_rss = true;
    s.proc.opened = true;
    s.proc.ksmtuned_running = true;
    s.ksmtuned.has_committed = true;
    s.ksmtuned.guest_resident_bytes = 1000 << 20;
    s.ksmtuned.has_next = true;
    s.ksmtuned.next.action = KSM_KSMTUNED_STOP;
    s.ksmtuned.next.thres_kb = 1 << 20;
    s.ksmtuned.next.total_kb = 16 << 20;
    ksm_sample_judge(&s);
    return s;
}

static const struct ksm_metric *metric(const char *name)
{
    for (size_t i = 0; i < ksm_metrics_count; i++)
        if (strcmp(ksm_metrics[i].name, name) == 0)
            return &ksm_metrics[i];
    ck_abort_msg("no metric %s", name);
    return NULL;
}

struct series {
    size_t n;
    char label[16][64];
    uint64_t value[16];
};

static void capture(void *ctx, const struct ksm_metric *m,
                    const struct ksm_label *l, size_t nl,
                    const struct ksm_value *v)
{
    struct series *c = ctx;

    (void)m;
    ck_assert_uint_lt(c->n, 16);
    ck_assert_uint_eq(nl, 1);
    ck_assert_int_eq(v->kind, KSM_VALUE_U64);
    snprintf(c->label[c->n], sizeof(c->label[0]), "%s=%s", l[0].name,
             l[0].value);
    c->value[c->n++] = v->u;
}

static struct series visit(const char *name, const struct ksm_sample *s)
{
    struct series c = {0};

    ck_assert_uint_eq(ksm_metric_visit(metric(name), s, capture, &c), c.n);
    return c;
}

static void capture_double(void *ctx, const struct ksm_metric *m,
                           const struct ksm_label *l, size_t nl,
                           const struct ksm_value *v)
{
    double *out = ctx;
    int i = 0;

    (void)m;
    ck_assert_uint_eq(nl, 1);
    ck_assert_int_eq(v->kind, KSM_VALUE_DOUBLE);
    while (i < KSM_FINDING_COUNT && strcmp(ksm_findings[i].id, l[0].value) != 0)
        i++;
    ck_assert_int_lt(i, KSM_FINDING_COUNT);
    out[i] = v->d;
}

/* Each judged finding's figure and threshold, as the judge set them. */
START_TEST(test_finding_figures)
{
    struct ksm_sample s = rich();
    double value[KSM_FINDING_COUNT], limit[KSM_FINDING_COUNT];

    ck_assert_uint_eq(ksm_metric_visit(metric("ksm_finding_value"), &s,
                                       capture_double, value),
                      KSM_FINDING_COUNT);
    ck_assert_uint_eq(ksm_metric_visit(metric("ksm_finding_threshold"), &s,
                                       capture_double, limit),
                      KSM_FINDING_COUNT);
    for (int i = 0; i < KSM_FINDING_COUNT; i++) {
        ck_assert_double_eq(value[i], s.verdict.findings[i].value);
        ck_assert_double_eq(limit[i], s.verdict.findings[i].limit);
    }
    assert_near(value[KSM_FINDING_THP_GUESTS], 0.96);
    assert_near(limit[KSM_FINDING_THP_GUESTS], 0.20);
    s.rates.has_cow = false; /* two fewer judged: cow and scan_slow */
    ksm_sample_judge(&s);
    ck_assert_uint_eq(ksm_metric_visit(metric("ksm_finding_value"), &s,
                                       capture_double, value),
                      KSM_FINDING_COUNT - 2);
}
END_TEST

START_TEST(test_finding_series)
{
    struct ksm_sample s = rich();
    struct series c = visit("ksm_finding", &s);
    size_t n = 0;
    char want[64];

    for (int i = 0; i < KSM_FINDING_COUNT; i++) {
        ck_assert_msg(s.verdict.findings[i].known, "%s", ksm_findings[i].id);
        snprintf(want, sizeof(want), "finding=%s", ksm_findings[i].id);
        ck_assert_str_eq(c.label[i], want);
        ck_assert_uint_eq(c.value[i], s.verdict.findings[i].active);
        n += s.verdict.findings[i].active;
    }
    ck_assert_uint_eq(c.n, KSM_FINDING_COUNT);
    ck_assert_uint_gt(n, 0);
    ck_assert_uint_lt(n, KSM_FINDING_COUNT);
    /* Only general_profit: one series, for the one judged finding. */
    s = base();
    set_i(&s, KSM_GENERAL_PROFIT, -1);
    s.proc.scanned = false;
    ksm_sample_judge(&s);
    c = visit("ksm_finding", &s);
    ck_assert_uint_eq(c.n, 1);
    ck_assert_str_eq(c.label[0], "finding=negative_profit");
    ck_assert_uint_eq(c.value[0], 1);
    s.up = false;
    ksm_sample_judge(&s);
    ck_assert_uint_eq(visit("ksm_finding", &s).n, 0);
}
END_TEST

START_TEST(test_verdict_series)
{
    struct ksm_sample s = rich();
    char want[64];

    for (int k = 0; k < KSM_VERDICT_COUNT; k++) {
        struct series c;
        size_t ones = 0;

        s.verdict.kind = (enum ksm_verdict_kind)k;
        c = visit("ksm_verdict", &s);
        ck_assert_uint_eq(c.n, KSM_VERDICT_COUNT);
        for (int i = 0; i < KSM_VERDICT_COUNT; i++) {
            snprintf(want, sizeof(want), "verdict=%s", ksm_verdict_names[i]);
            ck_assert_str_eq(c.label[i], want);
            ck_assert_uint_eq(c.value[i], i == k);
            ones += c.value[i];
        }
        ck_assert_uint_eq(ones, 1);
    }
}
END_TEST

static void assert_text(const char *what, const char *text)
{
    ck_assert_msg(text && text[0] && text[0] != ' ' &&
                      text[strlen(text) - 1] != ' ',
                  "%s: empty or padded", what);
}

START_TEST(test_catalogue)
{
    regex_t re;

    ck_assert_int_eq(regcomp(&re, "^[a-z_]+$", REG_EXTENDED | REG_NOSUB), 0);
    for (int i = 0; i < KSM_FINDING_COUNT; i++) {
        const struct ksm_finding_def *d = &ksm_findings[i];
        const size_t t = strlen(d->title);

        ck_assert_msg(d->id && regexec(&re, d->id, 0, NULL, 0) == 0,
                      "id %d: %s", i, d->id ? d->id : "(null)");
        assert_text(d->id, d->alert);
        assert_text(d->id, d->title);
        assert_text(d->id, d->why);
        assert_text(d->id, d->action);
        assert_text(d->id, d->rule);
        ck_assert_msg(strncmp(d->alert, "KSM", 3) == 0, "%s", d->alert);
        ck_assert_msg(d->title[t - 1] != '.', "%s: title ends in .", d->id);
        ck_assert_msg(d->severity == KSM_SEVERITY_INFO ||
                          d->severity == KSM_SEVERITY_WARNING,
                      "%s", d->id);
        for (int j = 0; j < i; j++) {
            ck_assert_str_ne(d->id, ksm_findings[j].id);
            ck_assert_str_ne(d->alert, ksm_findings[j].alert);
        }
    }
    for (int i = 0; i < KSM_VERDICT_COUNT; i++) {
        ck_assert_msg(regexec(&re, ksm_verdict_names[i], 0, NULL, 0) == 0,
                      "verdict %d", i);
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(ksm_verdict_names[i], ksm_verdict_names[j]);
    }
    regfree(&re);
}
END_TEST

static const char *detail(const struct ksm_sample *s, enum ksm_finding_id id)
{
    static char buf[256];
    int n = ksm_finding_detail(s, id, buf, sizeof(buf));

    ck_assert_int_gt(n, 0);
    ck_assert_uint_eq((size_t)n, strlen(buf));
    return buf;
}

/* Judged but inactive, or on the fallback: the line says so, no false figure.
 */
START_TEST(test_detail_states)
{
    struct ksm_sample s = rich();

    s.proc.ksmtuned_running = false;
    ksm_sample_judge(&s);
    ck_assert_str_eq(detail(&s, KSM_FINDING_KSMTUNED_BLIND),
                     "ksmtuned does not run");
    ck_assert_str_eq(detail(&s, KSM_FINDING_KSMTUNED_STOPS),
                     "ksmtuned does not run");
    s.proc.ksmtuned_running = true;
    s.ksmtuned.next.action = KSM_KSMTUNED_BOOST;
    ksm_sample_judge(&s);
    ck_assert_str_eq(detail(&s, KSM_FINDING_KSMTUNED_STOPS),
                     "its next check keeps KSM running (boost)");
    set_u(&s, KSM_PAGES_SHARING, 0);
    set_u(&s, KSM_PAGES_UNSHARED, 70000);
    ksm_sample_judge(&s);
    ck_assert_str_eq(detail(&s, KSM_FINDING_UNSHARED),
                     "70000 unshared pages and none sharing (limit 10 per "
                     "sharing page)");
    s.present &= ~KSM_FIELD_BIT(KSM_GENERAL_PROFIT);
    set_u(&s, KSM_PAGES_VOLATILE, 0);
    ksm_sample_judge(&s);
    ck_assert_str_eq(detail(&s, KSM_FINDING_NEGATIVE_PROFIT),
                     "the net profit (no general_profit: computed) is "
                     "-4.28 MiB"); /* (100 + 70000) x 64 bytes */
    s.host.memory_nodes = 1;
    ksm_sample_judge(&s);
    ck_assert_str_eq(detail(&s, KSM_FINDING_NUMA), "1 memory node");
}
END_TEST

START_TEST(test_detail)
{
    struct ksm_sample s = rich();
    char small[8];

    for (int i = 0; i < KSM_FINDING_COUNT; i++) {
        const char *d = detail(&s, (enum ksm_finding_id)i);

        ck_assert_msg(strncmp(d, "not judged", 10) != 0 && !strstr(d, "nan"),
                      "%s: %s", ksm_findings[i].id, d);
    }
    ck_assert_str_eq(detail(&s, KSM_FINDING_THP_GUESTS),
                     "96% of the memory of 1 guest is in huge pages "
                     "(limit 20%)");
    ck_assert_str_eq(detail(&s, KSM_FINDING_NEGATIVE_PROFIT),
                     "general_profit is -1.50 KiB");
    ck_assert_str_eq(detail(&s, KSM_FINDING_KSM_OFF), "1 guest could merge");
    ck_assert_str_eq(detail(&s, KSM_FINDING_NUMA), "2 memory nodes");
    ck_assert_ptr_nonnull(strstr(detail(&s, KSM_FINDING_KSMTUNED_BLIND),
                                 "0 B of the guests' 1000 MiB; 2 QEMU "
                                 "processes are not counted"));
    ck_assert_int_eq(
        ksm_finding_detail(&s, KSM_FINDING_NUMA, small, sizeof(small)), 14);
    ck_assert_str_eq(small, "2 memor");
    s = base();
    s.proc.scanned = false;
    ksm_sample_judge(&s);
    for (int i = 0; i < KSM_FINDING_COUNT; i++)
        ck_assert_str_eq(detail(&s, (enum ksm_finding_id)i),
                         "not judged: its sources are absent");
}
END_TEST

static void bytes_are(double v, const char *want)
{
    char buf[32];
    int n = ksm_format_bytes(v, buf, sizeof(buf));

    ck_assert_msg(strcmp(buf, want) == 0, "%.17g: \"%s\", want \"%s\"", v, buf,
                  want);
    ck_assert_int_eq(n, (int)strlen(want));
}

START_TEST(test_format_bytes)
{
    char small[4];

    bytes_are(0, "0 B");
    bytes_are(512, "512 B");
    bytes_are(1023, "1023 B");
    bytes_are(1024, "1.00 KiB");
    bytes_are(1536, "1.50 KiB");
    bytes_are(100 * 1024, "100 KiB");
    bytes_are(15.5 * 1024 * 1024, "15.5 MiB");
    bytes_are(1.5 * GIB, "1.50 GiB");
    bytes_are(8 * GIB * 1024, "8.00 TiB");
    bytes_are(-512, "-512 B");
    bytes_are(-1536, "-1.50 KiB");
    bytes_are(-1.5 * GIB, "-1.50 GiB");
    bytes_are(NAN, "unknown");
    ck_assert_int_eq(ksm_format_bytes(1.5 * GIB, small, sizeof(small)), 8);
    ck_assert_str_eq(small, "1.5");
}
END_TEST

/* "three significant digits": rounding must not give four. */
START_TEST(test_format_bytes_rounding)
{
    bytes_are(1048575, "1.00 MiB");
    bytes_are(10239, "10.0 KiB");
}
END_TEST

static Suite *findings_suite(void)
{
    Suite *s = suite_create("findings");
    TCase *tc = tcase_create("judge");

    tcase_add_test(tc, test_thp_guests);
    tcase_add_test(tc, test_ksmtuned_blind);
    tcase_add_test(tc, test_ksmtuned_stops);
    tcase_add_test(tc, test_ksm_off);
    tcase_add_test(tc, test_negative_profit);
    tcase_add_test(tc, test_ksmd_cpu);
    tcase_add_test(tc, test_unshared);
    tcase_add_test(tc, test_cow);
    tcase_add_test(tc, test_scan_slow);
    tcase_add_test(tc, test_numa);
    tcase_add_test(tc, test_opted_out);
    tcase_add_test(tc, test_opted_out_alone);
    tcase_add_test(tc, test_down_judges_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("verdict");
    tcase_add_test(tc, test_verdict_kinds);
    tcase_add_test(tc, test_verdict_fallback);
    tcase_add_test(tc, test_rates);
    tcase_add_test(tc, test_rates_feed_findings);
    suite_add_tcase(s, tc);

    tc = tcase_create("surfaces");
    tcase_add_test(tc, test_finding_series);
    tcase_add_test(tc, test_verdict_series);
    tcase_add_test(tc, test_catalogue);
    tcase_add_test(tc, test_finding_figures);
    tcase_add_test(tc, test_detail);
    tcase_add_test(tc, test_detail_states);
    tcase_add_test(tc, test_format_bytes);
    tcase_add_test(tc, test_format_bytes_rounding);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(findings_suite());
}
