/* SPDX-License-Identifier: MIT */
/*
 * The metric table: every metric both adapters report, one row each.  It
 * grows by a row per metric and stays one list, however long it gets.
 */
#include "ksm/metrics.h"

#include "derive.h"

/*
 * Each row names its value's source: .field, a file of the KSM directory
 * (divided by .divisor when that is above 1), or .series, a function of
 * derive.c that reads any part of the sample.  Rows for a new source use
 * .series.  The order is the order of the exposition.
 */
const struct ksm_metric ksm_metrics[] = {
    /* Statistics of <sysfs>/kernel/mm/ksm. */
    {
        .name = "ksm_pages_shared",
        .help = "How many shared pages are being used.",
        .type = KSM_GAUGE,
        .collectd_type = "vmpage_number",
        .collectd_instance = "shared",
        .field = KSM_PAGES_SHARED,
    },
    {
        .name = "ksm_pages_sharing",
        .help = "How many more sites are sharing them, i.e. how much is saved.",
        .type = KSM_GAUGE,
        .collectd_type = "vmpage_number",
        .collectd_instance = "sharing",
        .field = KSM_PAGES_SHARING,
    },
    {
        .name = "ksm_pages_unshared",
        .help = "How many pages are unique but repeatedly checked for merging.",
        .type = KSM_GAUGE,
        .collectd_type = "vmpage_number",
        .collectd_instance = "unshared",
        .field = KSM_PAGES_UNSHARED,
    },
    {
        .name = "ksm_pages_volatile",
        .help = "How many pages are changing too fast to be placed in a tree.",
        .type = KSM_GAUGE,
        .collectd_type = "vmpage_number",
        .collectd_instance = "volatile",
        .field = KSM_PAGES_VOLATILE,
    },
    {
        .name = "ksm_zero_pages",
        .help = "How many empty pages are merged with the kernel zero page "
                "(use_zero_pages).",
        .type = KSM_GAUGE,
        .collectd_type = "vmpage_number",
        .collectd_instance = "zero",
        .field = KSM_ZERO_PAGES,
    },
    {
        .name = "ksm_stable_node_chains",
        .help = "Number of stable node chains allocated, the KSM pages that "
                "hit the max_page_sharing limit.",
        .type = KSM_GAUGE,
        .collectd_type = "count",
        .collectd_instance = "stable_node_chains",
        .field = KSM_STABLE_NODE_CHAINS,
    },
    {
        .name = "ksm_stable_node_dups",
        .help =
            "Number of stable node dups queued into the stable node chains.",
        .type = KSM_GAUGE,
        .collectd_type = "count",
        .collectd_instance = "stable_node_dups",
        .field = KSM_STABLE_NODE_DUPS,
    },
    {
        .name = "ksm_full_scans_total",
        .help = "How many times all mergeable areas have been scanned.",
        .type = KSM_COUNTER,
        .collectd_type = "total_operations",
        .collectd_instance = "full_scans",
        .field = KSM_FULL_SCANS,
    },
    {
        .name = "ksm_pages_scanned_total",
        .help = "How many pages ksmd has scanned.",
        .type = KSM_COUNTER,
        .collectd_type = "total_operations",
        .collectd_instance = "pages_scanned",
        .field = KSM_PAGES_SCANNED,
    },
    {
        .name = "ksm_pages_skipped_total",
        .help = "How many pages smart scanning skipped.",
        .type = KSM_COUNTER,
        .collectd_type = "total_operations",
        .collectd_instance = "pages_skipped",
        .field = KSM_PAGES_SKIPPED,
    },
    {
        .name = "ksm_general_profit_bytes",
        .help = "How much memory KSM saves net of its rmap_item metadata, in "
                "bytes; negative when it costs more than it saves.",
        .type = KSM_GAUGE,
        .unit = "bytes",
        .collectd_type = "gauge",
        .collectd_instance = "general_profit",
        .field = KSM_GENERAL_PROFIT,
    },

    /* Tunables. */
    {
        .name = "ksm_run",
        .help =
            "Whether ksmd runs: 0 stopped, 1 running, 2 unmerging all pages.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "run",
        .flags = KSM_MF_TUNABLE,
        .field = KSM_RUN,
    },
    {
        .name = "ksm_pages_to_scan",
        .help = "How many pages ksmd scans before it sleeps.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "pages_to_scan",
        .flags = KSM_MF_TUNABLE,
        .field = KSM_PAGES_TO_SCAN,
    },
    {
        .name = "ksm_sleep_seconds",
        .help = "How long ksmd sleeps between batches (sleep_millisecs).",
        .type = KSM_GAUGE,
        .unit = "seconds",
        .collectd_type = "duration",
        .collectd_instance = "sleep",
        .flags = KSM_MF_TUNABLE,
        .field = KSM_SLEEP_MILLISECS,
        .divisor = 1000,
    },
    {
        .name = "ksm_max_page_sharing",
        .help = "The most pages that may share one KSM page.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "max_page_sharing",
        .flags = KSM_MF_TUNABLE,
        .field = KSM_MAX_PAGE_SHARING,
    },
    {
        .name = "ksm_merge_across_nodes",
        .help = "Whether pages from different NUMA nodes may be merged.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "merge_across_nodes",
        .flags = KSM_MF_TUNABLE,
        .field = KSM_MERGE_ACROSS_NODES,
    },
    {
        .name = "ksm_use_zero_pages",
        .help = "Whether empty pages are merged with the kernel zero page.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "use_zero_pages",
        .flags = KSM_MF_TUNABLE,
        .field = KSM_USE_ZERO_PAGES,
    },
    {
        .name = "ksm_smart_scan",
        .help =
            "Whether pages that did not merge before are skipped for a while.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "smart_scan",
        .flags = KSM_MF_TUNABLE,
        .field = KSM_SMART_SCAN,
    },
    {
        .name = "ksm_stable_node_chains_prune_seconds",
        .help = "How often stale stable node chains are pruned "
                "(stable_node_chains_prune_millisecs).",
        .type = KSM_GAUGE,
        .unit = "seconds",
        .collectd_type = "duration",
        .collectd_instance = "stable_node_chains_prune",
        .flags = KSM_MF_TUNABLE,
        .field = KSM_STABLE_NODE_CHAINS_PRUNE_MILLISECS,
        .divisor = 1000,
    },
    {
        .name = "ksm_advisor_mode",
        .help = "The scan advisor's mode: 1 for the selected one.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "advisor_mode",
        .flags = KSM_MF_TUNABLE,
        .series = ksm_series_advisor_mode,
    },
    {
        .name = "ksm_advisor_max_cpu_ratio",
        .help = "The most CPU the scan-time advisor lets ksmd use, as a share "
                "of one CPU (advisor_max_cpu / 100).",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "advisor_max_cpu_ratio",
        .flags = KSM_MF_TUNABLE,
        .field = KSM_ADVISOR_MAX_CPU,
        .divisor = 100,
    },
    {
        .name = "ksm_advisor_target_scan_time_seconds",
        .help = "The full-scan time the scan-time advisor aims for.",
        .type = KSM_GAUGE,
        .unit = "seconds",
        .collectd_type = "duration",
        .collectd_instance = "advisor_target_scan_time",
        .flags = KSM_MF_TUNABLE,
        .field = KSM_ADVISOR_TARGET_SCAN_TIME,
    },
    {
        .name = "ksm_advisor_min_pages_to_scan",
        .help = "The fewest pages_to_scan the scan-time advisor sets.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "advisor_min_pages_to_scan",
        .flags = KSM_MF_TUNABLE,
        .field = KSM_ADVISOR_MIN_PAGES_TO_SCAN,
    },
    {
        .name = "ksm_advisor_max_pages_to_scan",
        .help = "The most pages_to_scan the scan-time advisor sets.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "advisor_max_pages_to_scan",
        .flags = KSM_MF_TUNABLE,
        .field = KSM_ADVISOR_MAX_PAGES_TO_SCAN,
    },

    /* Derived from the statistics. */
    {
        .name = "ksm_saved_bytes",
        .help = "Memory saved by merging: (pages_sharing + ksm_zero_pages) "
                "times the page size.",
        .type = KSM_GAUGE,
        .unit = "bytes",
        .collectd_type = "bytes",
        .collectd_instance = "saved",
        .series = ksm_series_saved_bytes,
    },
    {
        .name = "ksm_sharing_ratio",
        .help = "pages_sharing / pages_shared: how many sites share each KSM "
                "page on average; NaN without shared pages.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "sharing_ratio",
        .series = ksm_series_sharing_ratio,
    },
    {
        .name = "ksm_unshared_ratio",
        .help = "pages_unshared / pages_sharing: high means scanning is wasted "
                "on unique pages; NaN without sharing.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "unshared_ratio",
        .series = ksm_series_unshared_ratio,
    },
    {
        .name = "ksm_savings_ratio",
        .help = "pages_sharing / (pages_shared + pages_sharing + "
                "pages_unshared + pages_volatile), from 0 to 1.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "savings_ratio",
        .series = ksm_series_savings_ratio,
    },
    {
        .name = "ksm_rmap_overhead_bytes",
        .help = "Metadata KSM spends on the pages it tracks: (shared + sharing "
                "+ unshared + volatile) times sizeof(rmap_item).",
        .type = KSM_GAUGE,
        .unit = "bytes",
        .collectd_type = "bytes",
        .collectd_instance = "rmap_overhead",
        .series = ksm_series_rmap_overhead_bytes,
    },
    {
        .name = "ksm_full_scan_duration_seconds",
        .help = "Seconds per full scan, measured between the two latest "
                "samples in which full_scans advanced.",
        .type = KSM_GAUGE,
        .unit = "seconds",
        .collectd_type = "duration",
        .collectd_instance = "full_scan",
        .series = ksm_series_full_scan_duration,
    },
    {
        .name = "ksm_scan_pages_per_second",
        .help = "Pages per second that pages_to_scan and sleep_millisecs "
                "allow ksmd; NaN with a sleep of 0.",
        .type = KSM_GAUGE,
        .collectd_type = "operations_per_second",
        .collectd_instance = "scan_pages",
        .series = ksm_series_scan_speed,
    },
    {
        .name = "ksm_scan_estimated_full_scan_seconds",
        .help = "Estimated seconds per full scan: (shared + sharing + "
                "unshared + volatile) pages / ksm_scan_pages_per_second.",
        .type = KSM_GAUGE,
        .unit = "seconds",
        .collectd_type = "duration",
        .collectd_instance = "estimated_full_scan",
        .series = ksm_series_estimated_full_scan,
    },

    /* The reading itself. */
    {
        .name = "ksm_up",
        .help = "1 when the KSM directory could be read, else 0.",
        .type = KSM_GAUGE,
        .series = ksm_series_up,
    },
    {
        .name = "ksm_read_errors_total",
        .help = "Failed reads or parses of a KSM file that exists.",
        .type = KSM_COUNTER,
        .collectd_type = "errors",
        .collectd_instance = "",
        .series = ksm_series_read_errors,
    },

    /* The cost side, from procfs. */
    {
        .name = "ksm_ksmd_cpu_seconds_total",
        .help = "CPU time the ksmd kernel thread has spent (user + system).",
        .type = KSM_COUNTER,
        .unit = "seconds",
        .collectd_type = "total_time_in_ms",
        .collectd_instance = "ksmd",
        .series = ksm_series_ksmd_cpu,
        .collectd_scale = 1000,
    },
    {
        .name = "ksm_cow_total",
        .help = "Copy-on-write breaks of KSM pages: writes that unshared a "
                "merged page (vmstat cow_ksm).",
        .type = KSM_COUNTER,
        .collectd_type = "total_operations",
        .collectd_instance = "cow",
        .series = ksm_series_cow,
    },
    {
        .name = "ksm_swapin_copies_total",
        .help = "KSM pages copied at swap-in (vmstat ksm_swpin_copy).",
        .type = KSM_COUNTER,
        .collectd_type = "total_operations",
        .collectd_instance = "swapin_copies",
        .series = ksm_series_swapin_copies,
    },

    /* Facts of the host that decide whether KSM pays. */
    {
        .name = "ksm_thp_enabled",
        .help = "The transparent huge page mode (transparent_hugepage/"
                "enabled): 1 for the selected one.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "thp_enabled",
        .series = ksm_series_thp_enabled,
    },
    {
        .name = "ksm_thp_defrag",
        .help = "The transparent huge page defrag mode (transparent_hugepage/"
                "defrag): 1 for the selected one.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "thp_defrag",
        .series = ksm_series_thp_defrag,
    },
    {
        .name = "ksm_thp_anon_bytes",
        .help = "Anonymous memory backed by transparent huge pages, which KSM "
                "cannot merge until split (meminfo AnonHugePages).",
        .type = KSM_GAUGE,
        .unit = "bytes",
        .collectd_type = "bytes",
        .collectd_instance = "thp_anon",
        .series = ksm_series_thp_anon_bytes,
    },
    {
        .name = "ksm_numa_memory_nodes",
        .help = "NUMA nodes with memory (devices/system/node/has_memory).",
        .type = KSM_GAUGE,
        .collectd_type = "count",
        .collectd_instance = "numa_memory_nodes",
        .series = ksm_series_numa_memory_nodes,
    },

    /* Per process and per VM, from <procfs>/PID/ksm_stat. */
    {
        .name = "ksm_process_merging_pages",
        .help = "Pages of this process merged by KSM (ksm_merging_pages).",
        .type = KSM_GAUGE,
        .collectd_type = "vmpage_number",
        .collectd_instance = "merging",
        .flags = KSM_MF_PROCESS,
        .series = ksm_series_per_process,
        .proc_field = KSM_PROC_MERGING_PAGES,
    },
    {
        .name = "ksm_process_zero_pages",
        .help = "Empty pages of this process merged with the zero page.",
        .type = KSM_GAUGE,
        .collectd_type = "vmpage_number",
        .collectd_instance = "zero",
        .flags = KSM_MF_PROCESS,
        .series = ksm_series_per_process,
        .proc_field = KSM_PROC_ZERO_PAGES,
    },
    {
        .name = "ksm_process_rmap_items",
        .help = "rmap_items KSM keeps for this process.",
        .type = KSM_GAUGE,
        .collectd_type = "count",
        .collectd_instance = "rmap_items",
        .flags = KSM_MF_PROCESS,
        .series = ksm_series_per_process,
        .proc_field = KSM_PROC_RMAP_ITEMS,
    },
    {
        .name = "ksm_process_profit_bytes",
        .help = "Memory KSM saves for this process net of its rmap_items "
                "(ksm_process_profit).",
        .type = KSM_GAUGE,
        .unit = "bytes",
        .collectd_type = "gauge",
        .collectd_instance = "profit",
        .flags = KSM_MF_PROCESS,
        .series = ksm_series_per_process,
        .proc_field = KSM_PROC_PROFIT,
    },
    {
        .name = "ksm_process_mergeable",
        .help = "1 when any memory of this process may be merged "
                "(ksm_mergeable); 0 for a VM that opted out.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "mergeable",
        .flags = KSM_MF_PROCESS,
        .series = ksm_series_per_process,
        .proc_field = KSM_PROC_MERGEABLE,
    },
    {
        .name = "ksm_process_merge_any",
        .help = "1 when the process made all its memory mergeable (prctl "
                "PR_SET_MEMORY_MERGE).",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "merge_any",
        .flags = KSM_MF_PROCESS,
        .series = ksm_series_per_process,
        .proc_field = KSM_PROC_MERGE_ANY,
    },
    /* QEMU processes only, beside their ksm_stat: each has its function. */
    {
        .name = "ksm_process_resident_bytes",
        .help = "Resident memory of this QEMU process (statm resident pages "
                "times the page size; ps -o rss, which ksmtuned sums).",
        .type = KSM_GAUGE,
        .unit = "bytes",
        .collectd_type = "bytes",
        .collectd_instance = "resident",
        .flags = KSM_MF_PROCESS,
        .series = ksm_series_process_resident,
    },
    {
        .name = "ksm_process_ksmtuned_counted",
        .help = "1 when Debian's ksmtuned counts this QEMU process as "
                "committed memory (pgrep -f '^qemu-system.*-enable-kvm').",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "ksmtuned_counted",
        .flags = KSM_MF_PROCESS,
        .series = ksm_series_process_ksmtuned_counted,
    },
    {
        .name = "ksm_process_thp_anon_bytes",
        .help = "Anonymous memory of this QEMU process backed by transparent "
                "huge pages (smaps_rollup AnonHugePages), read once per THP "
                "interval.",
        .type = KSM_GAUGE,
        .unit = "bytes",
        .collectd_type = "bytes",
        .collectd_instance = "thp_anon",
        .flags = KSM_MF_PROCESS,
        .series = ksm_series_process_thp_anon,
    },
    {
        .name = "ksm_process_scan_examined",
        .help = "Processes the last scan looked at.",
        .type = KSM_GAUGE,
        .collectd_type = "count",
        .collectd_instance = "scan_examined",
        .series = ksm_series_scan_examined,
    },
    {
        .name = "ksm_process_scan_denied",
        .help = "Processes whose ksm_stat the last scan was not allowed to "
                "read (it needs root or the owner).",
        .type = KSM_GAUGE,
        .collectd_type = "count",
        .collectd_instance = "scan_denied",
        .series = ksm_series_scan_denied,
    },
    {
        .name = "ksm_process_scan_over_limit",
        .help = "Processes the last scan skipped: beyond its limit.",
        .type = KSM_GAUGE,
        .collectd_type = "count",
        .collectd_instance = "scan_over_limit",
        .series = ksm_series_scan_over_limit,
    },
    {
        .name = "ksm_process_scan_vanished_total",
        .help = "Processes that exited while being read.",
        .type = KSM_COUNTER,
        .collectd_type = "total_operations",
        .collectd_instance = "scan_vanished",
        .series = ksm_series_scan_vanished,
    },

    /* Debian's ksmtuned: what it sees and will do, and who governs KSM. */
    {
        .name = "ksm_tuner",
        .help = "What governs KSM's pace: ksmtuned while it runs, else the "
                "kernel's advisor in scan-time mode, else none; 1 for the one.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "tuner",
        .series = ksm_series_tuner,
    },
    {
        .name = "ksm_ksmtuned_running",
        .help = "1 when a ksmtuned process runs, else 0.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "ksmtuned_running",
        .series = ksm_series_ksmtuned_running,
    },
    {
        .name = "ksm_ksmtuned_setting",
        .help = "ksmtuned's effective settings: its config file's values, its "
                "defaults where unset.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "ksmtuned_setting",
        .series = ksm_series_ksmtuned_setting,
    },
    {
        .name = "ksm_ksmtuned_config_ignored_lines",
        .help = "Lines of ksmtuned's config file that are not plain "
                "assignments of known settings, so their effect is unknown.",
        .type = KSM_GAUGE,
        .collectd_type = "count",
        .collectd_instance = "ksmtuned_config_ignored_lines",
        .series = ksm_series_ksmtuned_ignored_lines,
    },
    {
        .name = "ksm_ksmtuned_committed_bytes",
        .help = "Memory committed to guests as ksmtuned sees it: the resident "
                "memory of the QEMU processes its pgrep pattern matches.",
        .type = KSM_GAUGE,
        .unit = "bytes",
        .collectd_type = "bytes",
        .collectd_instance = "ksmtuned_committed",
        .series = ksm_series_ksmtuned_committed,
    },
    {
        .name = "ksm_guest_resident_bytes",
        .help = "Resident memory of every QEMU guest process.",
        .type = KSM_GAUGE,
        .unit = "bytes",
        .collectd_type = "bytes",
        .collectd_instance = "guest_resident",
        .series = ksm_series_guest_resident,
    },
    {
        .name = "ksm_ksmtuned_threshold_bytes",
        .help = "ksmtuned's threshold: max(MemTotal * KSM_THRES_COEF / 100, "
                "KSM_THRES_CONST kB).",
        .type = KSM_GAUGE,
        .unit = "bytes",
        .collectd_type = "gauge",
        .collectd_instance = "ksmtuned_threshold",
        .series = ksm_series_ksmtuned_threshold,
    },
    {
        .name = "ksm_ksmtuned_free_bytes",
        .help = "Free memory as ksmtuned sees it: MemFree + Buffers + Cached.",
        .type = KSM_GAUGE,
        .unit = "bytes",
        .collectd_type = "bytes",
        .collectd_instance = "ksmtuned_free",
        .series = ksm_series_ksmtuned_free,
    },
    {
        .name = "ksm_ksmtuned_next_action",
        .help = "What ksmtuned's next check does (stop, boost or decay): 1 "
                "for the one.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "ksmtuned_next_action",
        .series = ksm_series_ksmtuned_next_action,
    },
    {
        .name = "ksm_ksmtuned_next_pages_to_scan",
        .help = "The pages_to_scan ksmtuned's next check leaves: the one it "
                "writes on boost or decay, the current one on stop.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "ksmtuned_next_pages_to_scan",
        .series = ksm_series_ksmtuned_next_pages,
    },
    {
        .name = "ksm_ksmtuned_next_sleep_seconds",
        .help = "The sleep_millisecs ksmtuned writes when it starts KSM, in "
                "seconds.",
        .type = KSM_GAUGE,
        .unit = "seconds",
        .collectd_type = "duration",
        .collectd_instance = "ksmtuned_next_sleep",
        .series = ksm_series_ksmtuned_next_sleep,
    },

    /* The verdict and the findings behind it (docs/findings.md). */
    {
        .name = "ksm_verdict",
        .help = "Whether KSM pays on this host (unknown, off, idle, pays, "
                "could_pay_more, does_not_pay): 1 for the one.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "verdict",
        .series = ksm_series_verdict,
    },
    {
        .name = "ksm_finding",
        .help = "1 while a finding of docs/findings.md holds, 0 while it "
                "does not; absent while its sources are missing.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "finding",
        .series = ksm_series_finding,
    },
    {
        .name = "ksm_finding_value",
        .help = "The figure each judged finding measured, in the unit its "
                "rule in docs/findings.md names.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "finding_value",
        .series = ksm_series_finding_value,
    },
    {
        .name = "ksm_finding_threshold",
        .help = "The threshold each judged finding compared its figure "
                "with, in the same unit.",
        .type = KSM_GAUGE,
        .collectd_type = "gauge",
        .collectd_instance = "finding_threshold",
        .series = ksm_series_finding_threshold,
    },
};

const size_t ksm_metrics_count = sizeof(ksm_metrics) / sizeof(ksm_metrics[0]);
