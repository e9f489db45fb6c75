/* SPDX-License-Identifier: MIT */
/*
 * The verdict: whether KSM pays on this host, and the findings that say why
 * and what to change.  Each finding is defined once, in ksm_findings[]; the
 * metric table, the report, the alert rules and the dashboard all show that
 * one definition (docs/findings.md lists them with their sources).
 */
#ifndef KSM_FINDINGS_H
#define KSM_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The catalogue, in the order every surface presents it. */
enum ksm_finding_id {
    KSM_FINDING_THP_GUESTS,      /* guest RAM in huge pages KSM cannot merge */
    KSM_FINDING_KSMTUNED_BLIND,  /* ksmtuned misses running guests */
    KSM_FINDING_KSMTUNED_STOPS,  /* ksmtuned's next check stops KSM */
    KSM_FINDING_KSM_OFF,         /* KSM off while mergeable guests run */
    KSM_FINDING_NEGATIVE_PROFIT, /* metadata costs more than merging saves */
    KSM_FINDING_KSMD_CPU,        /* ksmd's CPU costs more than it saves */
    KSM_FINDING_UNSHARED,        /* most scanned pages never merge */
    KSM_FINDING_SCAN_SLOW,       /* full scans too slow for the churn */
    KSM_FINDING_COW,             /* merged pages written to and broken */
    KSM_FINDING_NUMA,            /* merging across NUMA nodes */
    KSM_FINDING_OPTED_OUT,       /* guests opted out beside merging ones */
    KSM_FINDING_COUNT
};

enum ksm_severity {
    /* A fact for the administrator's policy, not a fault. */
    KSM_SEVERITY_INFO,
    /* KSM pays less than it could, or costs more than it saves. */
    KSM_SEVERITY_WARNING,
};

/* One finding as every surface shows it; strings of static storage. */
struct ksm_finding_def {
    /* Label value and JSON key, e.g. "thp_guests". */
    const char *id;
    /* Prometheus alert name, e.g. "KSMGuestsBackedByHugePages". */
    const char *alert;
    enum ksm_severity severity;
    /* One line, no period: what is wrong. */
    const char *title;
    /* Why it matters, in sentences. */
    const char *why;
    /* What to change, in sentences (commands in backquotes). */
    const char *action;
    /* The rule and its threshold, in words, with the threshold's source. */
    const char *rule;
    /*
     * The threshold the rule compares its figure with, and a second bound
     * below which the finding stays inactive (0: none); the rule says what
     * each measures.  The judge reads them from here, so that the text and
     * the figure sit in one row.
     */
    double limit;
    double floor;
};

extern const struct ksm_finding_def ksm_findings[KSM_FINDING_COUNT];

/* The figures one finding was judged on, for its detail line. */
struct ksm_finding_state {
    /* Its sources were present, so it was judged. */
    bool known;
    bool active;
    /* The measured figure, and the threshold it was compared with. */
    double value;
    double limit;
    /* How many guests or processes it concerns, where that applies. */
    uint64_t count;
};

/* The verdict in one word, in the order of ksm_verdict_names[]. */
enum ksm_verdict_kind {
    KSM_VERDICT_UNKNOWN,        /* run or the net profit cannot be read */
    KSM_VERDICT_OFF,            /* run is not 1 and nothing stays merged */
    KSM_VERDICT_IDLE,           /* running, nothing merged or tracked */
    KSM_VERDICT_PAYS,           /* net profit above 0, no warning */
    KSM_VERDICT_COULD_PAY_MORE, /* net profit above 0, some warning */
    KSM_VERDICT_DOES_NOT_PAY,   /* net profit at or below 0 otherwise */
    KSM_VERDICT_COUNT
};

/* "unknown", "off", "idle", "pays", "could_pay_more", "does_not_pay". */
extern const char *const ksm_verdict_names[KSM_VERDICT_COUNT];

/* What the findings say of one sample; part of struct ksm_sample. */
struct ksm_verdict {
    enum ksm_verdict_kind kind;
    /* Warnings and facts that are active. */
    unsigned warnings;
    unsigned facts;
    struct ksm_finding_state findings[KSM_FINDING_COUNT];
};

struct ksm_sample;

/*
 * Judges every finding on s (its rates included) and fills s->verdict.
 * ksm_sampler_read() calls it last; a sample put together by other means
 * calls it once its other members are set.
 */
void ksm_sample_judge(struct ksm_sample *s);

/*
 * Writes finding id's figures in words into buf (at most size bytes, always
 * NUL-terminated), e.g. "3 guests hold 96% of their 1.5 GiB in huge pages
 * (limit 20%)".  Returns what snprintf() returns.
 */
int ksm_finding_detail(const struct ksm_sample *s, enum ksm_finding_id id,
                       char *buf, size_t size);

/*
 * Writes bytes in binary units with three significant digits into buf, e.g.
 * "1.50 GiB", "-7.80 MiB", "512 B"; "unknown" for NaN or an infinity.
 * Returns what snprintf() returns.
 */
int ksm_format_bytes(double bytes, char *buf, size_t size);

#endif
