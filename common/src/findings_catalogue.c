/* SPDX-License-Identifier: MIT */
/*
 * The findings catalogue: one row per finding, with the text every surface
 * shows and the thresholds the judge (findings.c) applies.  docs/findings.md
 * gives the sources of the thresholds at more length.
 */
#include "ksm/findings.h"

const char *const ksm_verdict_names[KSM_VERDICT_COUNT] = {
    [KSM_VERDICT_UNKNOWN] = "unknown",
    [KSM_VERDICT_OFF] = "off",
    [KSM_VERDICT_IDLE] = "idle",
    [KSM_VERDICT_PAYS] = "pays",
    [KSM_VERDICT_COULD_PAY_MORE] = "could_pay_more",
    [KSM_VERDICT_DOES_NOT_PAY] = "does_not_pay",
};

const struct ksm_finding_def ksm_findings[KSM_FINDING_COUNT] = {
    [KSM_FINDING_THP_GUESTS] =
        {
            .id = "thp_guests",
            .alert = "KSMGuestsBackedByHugePages",
            .severity = KSM_SEVERITY_WARNING,
            .title = "Guest memory is backed by transparent huge pages",
            .why =
                "KSM merges 4 KiB pages. QEMU asks for huge pages for guest "
                "RAM, and while transparent_hugepage/enabled is always or "
                "madvise most of it sits in 2 MiB pages, which ksmd must "
                "split before it can merge any part of them. Measured on "
                "kernel 6.18: 512 MiB guests merged about 100 pages each with "
                "THP, 66,000 without, and general_profit went negative with "
                "THP.",
            .action =
                "If memory density matters more than the few percent of "
                "speed huge pages give, start the guests without THP: "
                "`echo never > /sys/kernel/mm/transparent_hugepage/enabled` "
                "before they start (or transparent_hugepage=never on the "
                "kernel command line), or start QEMU under "
                "prctl(PR_SET_THP_DISABLE). Guests already running keep "
                "their huge pages until restarted.",
            .rule = "Active when at least 20% of the resident memory of the "
                    "guests that may merge is in anonymous huge pages "
                    "(smaps_rollup AnonHugePages over RSS). The 20% is this "
                    "project's choice: guests without THP measure near 0%, "
                    "guests with it near 100%.",
            .limit = 0.20,
        },
    [KSM_FINDING_KSMTUNED_BLIND] =
        {
            .id = "ksmtuned_blind",
            .alert = "KSMKsmtunedMissesGuests",
            .severity = KSM_SEVERITY_WARNING,
            .title = "ksmtuned does not count the running guests",
            .why = "ksmtuned sums the memory of the processes that `pgrep -f "
                   "'^qemu-system.*-enable-kvm'` finds. QEMU started by path "
                   "(/usr/bin/qemu-system-x86_64, as libvirt does) or with "
                   "-accel kvm instead of -enable-kvm is not counted, so "
                   "ksmtuned believes no guest runs and stops KSM at every "
                   "check while memory is plentiful.",
            .action = "Stop ksmtuned and let the kernel tune KSM (`echo "
                      "scan-time > /sys/kernel/mm/ksm/advisor_mode`, Linux 6.8 "
                      "and later, with run=1), or set run, pages_to_scan and "
                      "sleep_millisecs by hand. Editing the pattern in "
                      "/usr/sbin/ksmtuned works until the package is upgraded.",
            .rule =
                "Active while ksmtuned runs and the memory it counts is "
                "below half of the resident memory of the QEMU processes "
                "(ksm_ksmtuned_committed_bytes vs ksm_guest_resident_bytes).",
            .limit = 0.5,
        },
    [KSM_FINDING_KSMTUNED_STOPS] =
        {
            .id = "ksmtuned_stops",
            .alert = "KSMKsmtunedStopsKSM",
            .severity = KSM_SEVERITY_WARNING,
            .title = "ksmtuned's next check stops KSM while guests may merge",
            .why = "ksmtuned writes run=0 when the memory it counts plus its "
                   "threshold (THRES_COEF% of MemTotal, at least THRES_CONST) "
                   "is below MemTotal and free memory is above the threshold. "
                   "Merged pages stay merged, but nothing new merges.",
            .action = "If KSM should merge before memory runs short, raise "
                      "THRES_COEF in /etc/ksmtuned.conf (ksmtuned keeps KSM "
                      "running while committed + threshold >= MemTotal), or "
                      "stop ksmtuned and tune KSM directly. If ksmtuned does "
                      "not count the guests, fix that first.",
            .rule = "Active while ksmtuned runs, its next check predicts "
                    "\"stop\" (ksm_ksmtuned_next_action) and at least one "
                    "guest may merge.",
            .limit = 1,
        },
    [KSM_FINDING_KSM_OFF] =
        {
            .id = "ksm_off",
            .alert = "KSMOffWithMergeableGuests",
            .severity = KSM_SEVERITY_WARNING,
            .title = "KSM is off while guests with mergeable memory run",
            .why = "The guests mark their RAM mergeable (QEMU's mem-merge=on, "
                   "the default), but ksmd does not scan: nothing is saved.",
            .action =
                "Turn KSM on (`echo 1 > /sys/kernel/mm/ksm/run`) and make "
                "the tuner keep it on, or opt the guests out "
                "(mem-merge=off, libvirt's <nosharepages/>) if KSM is off "
                "on purpose.",
            .rule = "Active when run is not 1 and at least one QEMU process "
                    "has ksm_mergeable yes.",
            .limit = 1,
        },
    [KSM_FINDING_NEGATIVE_PROFIT] =
        {
            .id = "negative_profit",
            .alert = "KSMNegativeProfit",
            .severity = KSM_SEVERITY_WARNING,
            .title = "KSM costs more memory than it saves",
            .why = "general_profit is the memory saved minus the rmap_items "
                   "KSM keeps for every page it tracks (the kernel's "
                   "admin-guide/mm/ksm.rst). Below 0, the pages that never "
                   "merge cost more than the ones that do save.",
            .action = "Look at the other findings first (huge pages, unshared "
                      "pages). If none explains it, the guests' memory does "
                      "not repeat: `echo 2 > /sys/kernel/mm/ksm/run` unmerges "
                      "everything and frees KSM's metadata.",
            .rule = "Active when the net profit is below 0 bytes: the "
                    "kernel's own general_profit, or on kernels without it "
                    "the memory saved minus the rmap_items, as the kernel "
                    "computes general_profit.",
            .limit = 0,
        },
    [KSM_FINDING_KSMD_CPU] =
        {
            .id = "ksmd_cpu",
            .alert = "KSMDaemonCPUHigh",
            .severity = KSM_SEVERITY_WARNING,
            .title = "ksmd's CPU costs more than the memory it saves",
            .why = "ksmd's scanning takes CPU time from the guests. In public "
                   "clouds one vCPU costs about as much as 8 GiB of RAM, so "
                   "ksmd should save at least that much per CPU it uses.",
            .action = "Scan slower: lower pages_to_scan or raise "
                      "sleep_millisecs, and check that smart_scan is 1 (the "
                      "default since Linux 6.7). The advisor (`echo scan-time "
                      "> advisor_mode`, Linux 6.8) caps ksmd only as low as "
                      "advisor_max_cpu, whose default is 70%: set that low "
                      "first.",
            .rule = "Active when ksmd used at least 5% of one CPU since the "
                    "previous reading and the memory saved is below 8 GiB per "
                    "CPU it used. The 8 GiB is the price ratio of a vCPU to a "
                    "GiB of RAM in public-cloud custom machine types.",
            .limit = 8.0 * 1024 * 1024 * 1024,
            .floor = 0.05,
        },
    [KSM_FINDING_UNSHARED] =
        {
            .id = "unshared",
            .alert = "KSMHighUnsharedRatio",
            .severity = KSM_SEVERITY_WARNING,
            .title = "Most scanned pages never merge",
            .why = "The kernel's admin-guide/mm/ksm.rst: a high ratio of "
                   "pages_unshared to pages_sharing indicates wasted effort. "
                   "Each unshared page costs an rmap_item, and a comparison at "
                   "every scan unless smart_scan skips it.",
            .action = "Opt out the guests that share nothing (mem-merge=off, "
                      "<nosharepages/>), lower pages_to_scan, and check that "
                      "smart_scan is 1 (`echo 1 > "
                      "/sys/kernel/mm/ksm/smart_scan`; the default since Linux "
                      "6.7), so that ksmd skips pages that did not merge.",
            .rule = "Active while KSM runs, pages_unshared is more than 10 "
                    "times pages_sharing and at least 65,536 pages (256 MiB "
                    "of 4 KiB pages). The kernel gives no number; 10 is this "
                    "project's choice.",
            .limit = 10,
            .floor = 65536,
        },
    [KSM_FINDING_SCAN_SLOW] =
        {
            .id = "scan_slow",
            .alert = "KSMScanTooSlow",
            .severity = KSM_SEVERITY_WARNING,
            .title = "Full scans are too slow for the guests' churn",
            .why = "A merged page that a guest writes to is copied back (a "
                   "copy-on-write break) and merges again only when ksmd "
                   "comes back to it, one full scan later. When many merged "
                   "pages break during one full scan, the saving lags.",
            .action = "Scan faster: raise pages_to_scan or lower "
                      "sleep_millisecs, or let the advisor aim at a scan time "
                      "(`echo scan-time > advisor_mode`, Linux 6.8; its "
                      "default target is 200 s).",
            .rule = "Active while KSM runs, the copy-on-write finding does "
                    "not hold (its cure, scanning more slowly, comes first), "
                    "there is at least 1 break per second, and the breaks in "
                    "one full scan (breaks per second times the measured, "
                    "else estimated, full-scan time) reach 10% of the merged "
                    "pages (pages_shared + pages_sharing). 10% is this "
                    "project's choice.",
            .limit = 0.10,
            .floor = 1,
        },
    [KSM_FINDING_COW] =
        {
            .id = "cow",
            .alert = "KSMCopyOnWriteStorm",
            .severity = KSM_SEVERITY_WARNING,
            .title = "Guests write to merged pages at a high rate",
            .why = "Every write to a merged page faults and copies it (vmstat "
                   "cow_ksm): the guest pays a fault, ksmd pays to merge it "
                   "again, and the memory saved is not stable.",
            .action = "Find the guests whose ksm_process_merging_pages keeps "
                      "falling and opt them out (mem-merge=off, "
                      "<nosharepages/>), or scan more slowly so that only "
                      "pages that stay unchanged merge.",
            .rule = "Active while pages are shared and copy-on-write "
                    "breaks of merged pages per minute reach 5% of "
                    "pages_sharing, and at least 1 per second. Both are this "
                    "project's choice.",
            .limit = 0.05,
            .floor = 1,
        },
    [KSM_FINDING_NUMA] =
        {
            .id = "numa",
            .alert = "KSMMergesAcrossNUMANodes",
            .severity = KSM_SEVERITY_INFO,
            .title = "KSM merges pages across NUMA nodes",
            .why = "With merge_across_nodes 1, a guest may read a merged page "
                   "from another node's memory. The kernel's "
                   "admin-guide/mm/ksm.rst: systems with more nodes, at "
                   "significant NUMA distances, are likely to benefit from "
                   "setting 0; smaller systems that need to minimize memory "
                   "use benefit from 1.",
            .action = "If the guests are pinned to nodes and latency matters "
                      "more than memory, unmerge and switch: `echo 2 > run; "
                      "echo 0 > merge_across_nodes; echo 1 > run` in "
                      "/sys/kernel/mm/ksm.",
            .rule = "Active when more than one node has memory, "
                    "merge_across_nodes is 1 and pages are shared.",
            .limit = 2,
        },
    [KSM_FINDING_OPTED_OUT] =
        {
            .id = "opted_out",
            .alert = "KSMGuestsOptedOut",
            .severity = KSM_SEVERITY_INFO,
            .title = "Some guests opted out of KSM while others merge",
            .why = "A guest with mem-merge=off (libvirt's <nosharepages/>) is "
                   "never merged: the usual guard against KSM side channels "
                   "between tenants. This is a fact for the isolation policy, "
                   "not a fault.",
            .action = "None needed if the policy is deliberate. Check that "
                      "the opted-out guests are the ones meant to be isolated.",
            .rule = "Active when at least one QEMU process has ksm_mergeable "
                    "no and another has merging pages or ksm_mergeable yes.",
            .limit = 1,
        },
};
