#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the Grafana dashboards and the alert rules of this directory from
one description, and from the findings catalogue of common/src/.

Run it after changing a panel or a finding: `make dashboards` prints the
catalogue with the findings_catalogue tool, then runs
`dashboards/generate.py --catalogue FINDINGS.json [OUTPUT_DIR]`.  The test
suite checks that the committed files are what this script writes.
"""
import argparse
import json
import os
import sys

# Importing the module beside this script must leave no __pycache__ in the
# source tree.
sys.dont_write_bytecode = True
import findings  # noqa: E402

DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'job=~"$job",instance=~"$instance"'
RATE = "$__rate_interval"


class Board:
    """Lays panels out on Grafana's 24-column grid, row by row."""

    def __init__(self):
        self.panels = []
        self.next_id = 1
        self.x = 0
        self.y = 0
        self.row_h = 0

    def _id(self):
        pid = self.next_id
        self.next_id += 1
        return pid

    def row(self, title):
        self._newline()
        self.panels.append({
            "type": "row", "id": self._id(), "title": title,
            "collapsed": False, "panels": [],
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
        })
        self.y += 1

    def _newline(self):
        if self.x:
            self.y += self.row_h
        self.x = 0
        self.row_h = 0

    def _place(self, w, h):
        if self.x + w > 24:
            self._newline()
        pos = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.row_h = max(self.row_h, h)
        return pos

    def add(self, kind, title, targets, unit, w=6, h=6, desc="",
            options=None, custom=None, mappings=None, transformations=None,
            decimals=None):
        defaults = {"unit": unit}
        if mappings:
            defaults["mappings"] = mappings
        if custom:
            defaults["custom"] = custom
        if decimals is not None:
            defaults["decimals"] = decimals
        panel = {
            "type": kind, "id": self._id(), "title": title,
            "description": desc, "datasource": DS,
            "gridPos": self._place(w, h),
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": options or {},
            "targets": [],
        }
        for i, t in enumerate(targets):
            expr, legend = t[0], t[1]
            target = {"datasource": DS, "expr": expr,
                      "legendFormat": legend, "refId": chr(ord("A") + i)}
            if kind in ("stat", "table", "bargauge"):
                target["instant"] = True
                target["range"] = False
            if kind == "table":
                target["format"] = "table"
            panel["targets"].append(target)
        if transformations:
            panel["transformations"] = transformations
        self.panels.append(panel)
        return panel


def stat_options(text_mode="auto"):
    return {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "",
                              "values": False},
            "colorMode": "value", "graphMode": "area", "justifyMode": "auto",
            "orientation": "auto", "textMode": text_mode}


TS_OPTIONS = {"legend": {"displayMode": "list", "placement": "bottom",
                         "showLegend": True},
              "tooltip": {"mode": "multi", "sort": "desc"}}


def variables(metric, match):
    jobq = "label_values(%s{%s}, job)" % (metric, match) if match else \
        "label_values(%s, job)" % metric
    instq = 'label_values(%s{%sjob=~"$job"}, instance)' % (
        metric, match + "," if match else "")
    return [
        {"name": "datasource", "label": "Data source", "type": "datasource",
         "query": "prometheus", "hide": 0, "refresh": 1, "regex": "",
         "current": {"selected": False, "text": "Prometheus",
                     "value": "${DS_PROMETHEUS}"},
         "options": []},
        {"name": "job", "label": "Job", "type": "query", "datasource": DS,
         "definition": jobq,
         "query": {"query": jobq, "refId": "job"},
         "multi": True, "includeAll": True, "allValue": ".+",
         "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
         "refresh": 2, "sort": 1, "hide": 0, "regex": "", "options": []},
        {"name": "instance", "label": "Instance", "type": "query",
         "datasource": DS,
         "definition": instq,
         "query": {"query": instq, "refId": "instance"},
         "multi": True, "includeAll": True, "allValue": ".+",
         "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
         "refresh": 2, "sort": 1, "hide": 0, "regex": "", "options": []},
    ]


def dashboard(uid, title, desc, panels, metric, match=""):
    kinds = sorted({p["type"] for p in panels if p["type"] != "row"})
    names = {"stat": "Stat", "table": "Table", "timeseries": "Time series",
             "bargauge": "Bar gauge"}
    return {
        "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus",
                      "description": "Prometheus that scrapes the hosts",
                      "type": "datasource", "pluginId": "prometheus",
                      "pluginName": "Prometheus"}],
        "__requires": [
            {"type": "grafana", "id": "grafana", "name": "Grafana",
             "version": "9.0.0"},
            {"type": "datasource", "id": "prometheus", "name": "Prometheus",
             "version": "1.0.0"},
        ] + [{"type": "panel", "id": k, "name": names[k], "version": ""}
             for k in kinds],
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "description": desc,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [],
        "liveNow": False,
        "panels": panels,
        "refresh": "1m",
        "schemaVersion": 37,
        "style": "dark",
        "tags": ["ksm", "kvm", "memory"],
        "templating": {"list": variables(metric, match)},
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }


RUN_MAPPINGS = [{"type": "value", "options": {
    "0": {"text": "stopped", "color": "orange", "index": 0},
    "1": {"text": "running", "color": "green", "index": 1},
    "2": {"text": "unmerging", "color": "red", "index": 2}}}]
YES_NO = [{"type": "value", "options": {
    "0": {"text": "no", "index": 0}, "1": {"text": "yes", "index": 1}}}]


def overview(catalogue):
    b = Board()
    m = lambda name: "%s{%s}" % (name, SEL)  # noqa: E731

    findings.why_row(b, catalogue, m("ksm_verdict"), m("ksm_finding"),
                     stat_options())
    b.row("Verdict: does KSM pay?")
    b.add("stat", "Memory saved", [("sum(%s)" % m("ksm_saved_bytes"), "")],
          "bytes", w=4, options=stat_options(),
          desc="(pages_sharing + ksm_zero_pages) x page size, all selected "
               "hosts.")
    b.add("stat", "General profit",
          [("sum(%s)" % m("ksm_general_profit_bytes"), "")], "bytes", w=4,
          options=stat_options(),
          desc="What KSM saves net of its rmap_item metadata; negative means "
               "KSM costs memory.")
    b.add("stat", "ksmd CPU",
          [("sum(rate(%s[%s]))" % (m("ksm_ksmd_cpu_seconds_total"), RATE),
            "")], "suffix: cores", w=4, options=stat_options(), decimals=3,
          desc="CPU the ksmd thread burns, in cores.")
    b.add("stat", "Saved per ksmd core",
          [("sum(%s) / sum(rate(%s[%s]))" % (
              m("ksm_saved_bytes"), m("ksm_ksmd_cpu_seconds_total"), RATE),
            "")], "bytes", w=4, options=stat_options(),
          desc="Memory saved per core of ksmd CPU: the price of the saving.")
    b.add("stat", "KSM state", [("max(%s)" % m("ksm_run"), "")], "none",
          w=4, options=stat_options(), mappings=RUN_MAPPINGS,
          desc="run: 0 stopped, 1 running, 2 unmerging.")
    b.add("stat", "Advisor mode",
          [("max by (mode) (%s) == 1" % m("ksm_advisor_mode"), "{{mode}}")],
          "none", w=4, options=stat_options("name"),
          desc="The scan advisor (advisor_mode).")
    b.add("timeseries", "Memory saved and profit over time",
          [("sum by (instance) (%s)" % m("ksm_saved_bytes"),
            "saved {{instance}}"),
           ("sum by (instance) (%s)" % m("ksm_general_profit_bytes"),
            "profit {{instance}}"),
           ("sum by (instance) (%s)" % m("ksm_rmap_overhead_bytes"),
            "rmap overhead {{instance}}")],
          "bytes", w=12, h=8, options=TS_OPTIONS)
    b.add("timeseries", "ksmd CPU",
          [("sum by (instance) (rate(%s[%s]))"
            % (m("ksm_ksmd_cpu_seconds_total"), RATE), "{{instance}}")],
          "suffix: cores", w=6, h=8, options=TS_OPTIONS)
    b.add("timeseries", "Scan settings",
          [("max by (instance) (%s)" % m("ksm_pages_to_scan"),
            "pages_to_scan {{instance}}")],
          "none", w=3, h=8, options=TS_OPTIONS)
    b.add("timeseries", "Sleep between batches",
          [("max by (instance) (%s)" % m("ksm_sleep_seconds"),
            "{{instance}}")], "s", w=3, h=8, options=TS_OPTIONS)

    b.row("Sharing quality")
    b.add("timeseries", "Pages",
          [("sum(%s)" % m("ksm_pages_shared"), "shared"),
           ("sum(%s)" % m("ksm_pages_sharing"), "sharing"),
           ("sum(%s)" % m("ksm_pages_unshared"), "unshared"),
           ("sum(%s)" % m("ksm_pages_volatile"), "volatile"),
           ("sum(%s)" % m("ksm_zero_pages"), "zero pages")],
          "suffix: pages", w=8, h=8, options=TS_OPTIONS)
    b.add("timeseries", "Sharing ratio (sharing / shared)",
          [("%s" % m("ksm_sharing_ratio"), "{{instance}}")], "none", w=4,
          h=8, options=TS_OPTIONS,
          desc="Sites per KSM page; up to max_page_sharing.")
    b.add("timeseries", "Unshared ratio (wasted scanning)",
          [("%s" % m("ksm_unshared_ratio"), "{{instance}}")], "none", w=4,
          h=8, options=TS_OPTIONS,
          desc="pages_unshared / pages_sharing: high means ksmd scans pages "
               "that never merge.")
    b.add("timeseries", "Savings ratio",
          [("%s" % m("ksm_savings_ratio"), "{{instance}}")], "percentunit",
          w=4, h=8, options=TS_OPTIONS,
          desc="pages_sharing / all pages KSM tracks.")
    b.add("timeseries", "Stable node chains and dups",
          [("sum(%s)" % m("ksm_stable_node_chains"), "chains"),
           ("sum(%s)" % m("ksm_stable_node_dups"), "dups")],
          "none", w=4, h=8, options=TS_OPTIONS)

    b.row("Scanning")
    b.add("timeseries", "Full scans per hour",
          [("sum by (instance) (rate(%s[%s])) * 3600"
            % (m("ksm_full_scans_total"), RATE), "{{instance}}")],
          "none", w=8, h=8, options=TS_OPTIONS)
    b.add("timeseries", "Full-scan duration",
          [("%s" % m("ksm_full_scan_duration_seconds"), "{{instance}}")],
          "s", w=8, h=8, options=TS_OPTIONS,
          desc="Time per full scan of all mergeable memory.")
    b.add("timeseries", "Pages scanned and skipped per second",
          [("sum(rate(%s[%s]))" % (m("ksm_pages_scanned_total"), RATE),
            "scanned"),
           ("sum(rate(%s[%s]))" % (m("ksm_pages_skipped_total"), RATE),
            "skipped (smart scan)")],
          "suffix: pages/s", w=8, h=8, options=TS_OPTIONS)

    b.row("Churn and risk")
    b.add("timeseries", "Copy-on-write breaks per second",
          [("sum by (instance) (rate(%s[%s]))" % (m("ksm_cow_total"), RATE),
            "{{instance}}")], "suffix: pages/s", w=12, h=8,
          options=TS_OPTIONS,
          desc="Writes to merged pages that split them again (cow_ksm).")
    b.add("timeseries", "Swap-in copies per second",
          [("sum by (instance) (rate(%s[%s]))"
            % (m("ksm_swapin_copies_total"), RATE), "{{instance}}")],
          "suffix: pages/s", w=12, h=8, options=TS_OPTIONS)

    b.row("Per VM and per process")
    b.add("table", "Top savers",
          [("topk(20, %s)" % m("ksm_process_merging_pages"), ""),
           ("topk(20, %s)" % m("ksm_process_profit_bytes"), "")],
          "none", w=12, h=9, options={"showHeader": True},
          transformations=[
              {"id": "merge", "options": {}},
              {"id": "organize", "options": {
                  "excludeByName": {"Time": True, "__name__": True,
                                    "job": True},
                  "renameByName": {"Value #A": "merging pages",
                                   "Value #B": "profit (bytes)"}}}],
          desc="Processes by pages merged; vm names the QEMU guest.")
    b.add("timeseries", "Profit by VM or process",
          [("topk(10, %s)" % m("ksm_process_profit_bytes"),
            "{{vm}}{{comm}} {{pid}} on {{instance}}")], "bytes", w=12, h=9,
          options=TS_OPTIONS)
    b.add("table", "Isolation: which VMs take part in merging",
          [('%s' % ("ksm_process_mergeable{%s,vm!=\"\"}" % SEL), "")],
          "none", w=12, h=8, mappings=YES_NO,
          options={"showHeader": True},
          transformations=[{"id": "organize", "options": {
              "excludeByName": {"Time": True, "__name__": True, "job": True},
              "renameByName": {"Value": "mergeable"}}}],
          desc="mergeable 0: the guest opted out (libvirt <nosharepages/>), "
               "the usual guard against KSM side channels between tenants.")
    b.add("stat", "VMs merging",
          [("count(ksm_process_mergeable{%s,vm!=\"\"} == 1) or vector(0)"
            % SEL, "")], "none", w=4, h=8, options=stat_options())
    b.add("stat", "VMs opted out",
          [("count(ksm_process_mergeable{%s,vm!=\"\"} == 0) or vector(0)"
            % SEL, "")], "none", w=4, h=8, options=stat_options())
    b.add("stat", "Merging across NUMA nodes",
          [("max(%s)" % m("ksm_merge_across_nodes"), "")], "none", w=4, h=8,
          options=stat_options(), mappings=YES_NO,
          desc="merge_across_nodes; absent on kernels without NUMA.")

    b.row("Fleet")
    b.add("stat", "Hosts with KSM running",
          [("count(%s == 1) or vector(0)" % m("ksm_run"), "")], "none",
          w=6, options=stat_options())
    b.add("stat", "Fleet memory saved",
          [("sum(%s)" % m("ksm_saved_bytes"), "")], "bytes", w=6,
          options=stat_options())
    b.add("stat", "Fleet ksmd CPU",
          [("sum(rate(%s[%s]))" % (m("ksm_ksmd_cpu_seconds_total"), RATE),
            "")], "suffix: cores", w=6, options=stat_options(), decimals=3)
    b.add("stat", "Fleet saved per ksmd core",
          [("sum(%s) / sum(rate(%s[%s]))" % (
              m("ksm_saved_bytes"), m("ksm_ksmd_cpu_seconds_total"), RATE),
            "")], "bytes", w=6, options=stat_options())
    b.add("timeseries", "Memory saved by host",
          [("sum by (instance) (%s)" % m("ksm_saved_bytes"),
            "{{instance}}")], "bytes", w=24, h=8, options=TS_OPTIONS)
    return dashboard(
        "ksm-overview", "KSM overview",
        "Kernel Samepage Merging: what it saves, what it costs, for which "
        "VMs (ksm_exporter).", b.panels, "ksm_up")


def collectd(catalogue):
    b = Board()
    sel = 'job=~"$job",instance=~"$instance"'

    def c(kind, inst, extra=""):
        return 'collectd_ksm_%s{%s,ksm="%s"%s}' % (kind, sel, inst, extra)

    def labelled(name):
        # The series of ksm_NAME{NAME="x"}: type instance "NAME-x", which
        # write_prometheus puts in label "ksm"; copied back to label NAME.
        return ('label_replace(collectd_ksm_gauge{%s,ksm=~"%s-.+"}, "%s", '
                '"$1", "ksm", "%s-(.+)")' % (sel, name, name, name))

    findings.why_row(b, catalogue, labelled("verdict"), labelled("finding"),
                     stat_options())
    cpu = "collectd_ksm_total_time_in_ms_total{%s,ksm=\"ksmd\"}" % sel
    b.row("Verdict: does KSM pay?")
    b.add("stat", "Memory saved", [("sum(%s)" % c("bytes", "saved"), "")],
          "bytes", w=4, options=stat_options())
    b.add("stat", "General profit",
          [("sum(%s)" % c("gauge", "general_profit"), "")], "bytes", w=4,
          options=stat_options())
    b.add("stat", "ksmd CPU",
          [("sum(rate(%s[%s])) / 1000" % (cpu, RATE), "")], "suffix: cores",
          w=4, options=stat_options(), decimals=3,
          desc="total_time_in_ms-ksmd is in milliseconds.")
    b.add("stat", "Saved per ksmd core",
          [("sum(%s) / (sum(rate(%s[%s])) / 1000)"
            % (c("bytes", "saved"), cpu, RATE), "")], "bytes", w=4,
          options=stat_options())
    b.add("stat", "KSM state", [("max(%s)" % c("gauge", "run"), "")], "none",
          w=4, options=stat_options(), mappings=RUN_MAPPINGS)
    b.add("stat", "Pages to scan",
          [("max(%s)" % c("gauge", "pages_to_scan"), "")], "none", w=4,
          options=stat_options())
    b.add("timeseries", "Memory saved and profit over time",
          [("sum by (instance) (%s)" % c("bytes", "saved"),
            "saved {{instance}}"),
           ("sum by (instance) (%s)" % c("gauge", "general_profit"),
            "profit {{instance}}")], "bytes", w=12, h=8, options=TS_OPTIONS)
    b.add("timeseries", "ksmd CPU",
          [("sum by (instance) (rate(%s[%s])) / 1000" % (cpu, RATE),
            "{{instance}}")], "suffix: cores", w=12, h=8, options=TS_OPTIONS)

    b.row("Sharing quality")
    b.add("timeseries", "Pages",
          [("sum by (ksm) (collectd_ksm_vmpage_number{%s,"
            "ksm=~\"shared|sharing|unshared|volatile|zero\",type=\"\"})"
            % sel, "{{ksm}}")], "suffix: pages", w=8, h=8,
          options=TS_OPTIONS)
    b.add("timeseries", "Sharing ratio (sharing / shared)",
          [(c("gauge", "sharing_ratio"), "{{instance}}")], "none", w=4, h=8,
          options=TS_OPTIONS)
    b.add("timeseries", "Unshared ratio (wasted scanning)",
          [(c("gauge", "unshared_ratio"), "{{instance}}")], "none", w=4,
          h=8, options=TS_OPTIONS)
    b.add("timeseries", "Savings ratio",
          [(c("gauge", "savings_ratio"), "{{instance}}")], "percentunit",
          w=4, h=8, options=TS_OPTIONS)
    b.add("timeseries", "Copy-on-write breaks per second",
          [("sum by (instance) (rate(%s[%s]))"
            % (c("total_operations_total", "cow"), RATE), "{{instance}}")],
          "suffix: pages/s", w=4, h=8, options=TS_OPTIONS)
    return dashboard(
        "ksm-collectd", "KSM overview (collectd)",
        "Kernel Samepage Merging from collectd's ksm plugin, through "
        "write_prometheus (collectd_ksm_* series).", b.panels,
        "collectd_ksm_bytes", 'ksm="saved"')


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalogue", required=True, metavar="JSON",
                        help="the findings catalogue, as the "
                        "findings_catalogue tool prints it")
    parser.add_argument("out", nargs="?", default=here, metavar="OUTPUT_DIR",
                        help="where to write (default: %(default)s)")
    args = parser.parse_args()
    try:
        catalogue = findings.load(args.catalogue)
    except (OSError, ValueError) as e:
        sys.exit("generate.py: %s" % e)
    for name, board in (("ksm-overview.json", overview(catalogue)),
                        ("ksm-collectd.json", collectd(catalogue))):
        with open(os.path.join(args.out, name), "w") as f:
            json.dump(board, f, indent=2, sort_keys=True)
            f.write("\n")
    with open(os.path.join(args.out, "ksm-alerts.yml"), "w") as f:
        f.write(findings.alert_rules(catalogue))


if __name__ == "__main__":
    main()
