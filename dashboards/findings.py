# SPDX-License-Identifier: MIT
"""The findings catalogue as generate.py uses it: the alert rules file, and
the value mappings that put the catalogue's words on the dashboards.

The catalogue is ksm_findings[] of common/src/, printed as JSON by the
findings_catalogue tool of the test build (`make dashboards` runs both).
"""
import json
import textwrap

KEYS = ("id", "alert", "severity", "title", "why", "action", "rule")
# How long a finding must stay active before it alerts.  The exporter
# already averages the rate findings over its reading interval, so these
# only ride out a finding that flickers at its threshold.
FOR = {"warning": "15m", "info": "1h"}
SEVERITY_COLOR = {"warning": "orange", "info": "blue"}

# ksm_verdict_names[] of ksm/findings.h, in words and colours.
VERDICTS = (
    ("unknown", "unknown: run or profit unreadable", "text"),
    ("off", "off", "text"),
    ("idle", "idle", "blue"),
    ("pays", "pays", "green"),
    ("could_pay_more", "could pay more", "orange"),
    ("does_not_pay", "does not pay", "red"),
)


def load(path):
    """The catalogue at PATH: a list of findings; raises ValueError."""
    with open(path, encoding="utf-8") as f:
        catalogue = json.load(f)
    if not isinstance(catalogue, list) or not catalogue:
        raise ValueError("%s: not a list of findings" % path)
    for f in catalogue:
        if set(f) != set(KEYS) or f["severity"] not in FOR:
            raise ValueError("%s: a malformed finding: %r" % (path, f))
    return catalogue


def verdict_mappings():
    """Value mappings from ksm_verdict's label values to words."""
    return [{"type": "value", "options": {
        name: {"text": text, "color": color, "index": i}
        for i, (name, text, color) in enumerate(VERDICTS)}}]


def finding_mappings(catalogue, key, colored=False):
    """Value mappings from finding ids to one text of each finding."""
    options = {}
    for i, f in enumerate(catalogue):
        options[f["id"]] = {"text": f[key], "index": i}
        if colored:
            options[f["id"]]["color"] = SEVERITY_COLOR[f["severity"]]
    return [{"type": "value", "options": options}]


def column(catalogue, name, text, key=None, width=None, colored=False):
    """The override of table column NAME: its title TEXT, and the mapping
    of the finding ids in it to the catalogue's KEY."""
    props = [{"id": "displayName", "value": text}]
    if key:
        props.append({"id": "mappings",
                      "value": finding_mappings(catalogue, key, colored)})
    if colored:
        props.append({"id": "custom.displayMode", "value": "color-text"})
    if width:
        props.append({"id": "custom.width", "value": width})
    else:  # the long texts: a click shows the whole cell
        props.append({"id": "custom.inspect", "value": True})
    return {"matcher": {"id": "byName", "options": name},
            "properties": props}


def why_row(b, catalogue, verdict, finding, stat_options):
    """The "Why" row: the verdict in words and the active findings.

    VERDICT and FINDING are the expressions of the verdict series and of
    the findings, whose series carry the verdict name as label "verdict"
    and the finding id as label "finding".  STAT_OPTIONS are the
    dashboard's stat panel options.
    """
    b.row("Why")
    p = b.add("stat", "Verdict", [(verdict + " == 1", "{{instance}}")],
              "none", w=5, h=8, mappings=verdict_mappings(),
              options=dict(stat_options, colorMode="background",
                           graphMode="none"),
              desc="Whether KSM pays on each host (ksm_verdict).")
    # The value shown is the label's, which the mappings put in words.
    p["options"]["reduceOptions"].update(values=True, fields="/^verdict$/")
    p["targets"][0]["format"] = "table"
    # The table copies the finding id into two more labels, and maps each
    # copy to one text of the catalogue.
    expr = finding + " == 1"
    for label in ("why", "action"):
        expr = 'label_replace(%s, "%s", "$1", "finding", "(.*)")' % (
            expr, label)
    p = b.add("table", "Active findings", [(expr, "")], "none", w=19, h=8,
              options={"showHeader": True},
              transformations=[{"id": "organize", "options": {
                  "excludeByName": {"Time": True, "__name__": True,
                                    "job": True, "Value": True,
                                    "ksm": True},
                  "indexByName": {"instance": 0, "finding": 1, "why": 2,
                                  "action": 3}}}],
              desc="Findings active now; the alert of each has the same "
                   "text. Warnings in orange, facts in blue.")
    p["fieldConfig"]["overrides"] = [
        column(catalogue, "instance", "Host", width=160),
        column(catalogue, "finding", "Finding", "title", width=360,
               colored=True),
        column(catalogue, "why", "Why", "why"),
        column(catalogue, "action", "What to change", "action")]


# The alerts that are not findings: about the exporter itself, or kept from
# before the catalogue.  Written as they stand.
HEAD = """\
# SPDX-License-Identifier: MIT
# Alerting rules for ksm_exporter, written by dashboards/generate.py: edit
# dashboards/findings.py for the first three alerts, and
# common/src/findings_catalogue.c for the others (one per finding: its
# rule, threshold and text), then run `make dashboards`.  They assume the
# exporter is scraped under a job whose name contains "ksm" (see the
# KSMExporterDown expression).
groups:
  - name: ksm
    rules:
      - alert: KSMExporterDown
        expr: up{job=~".*ksm.*"} == 0
        for: 5m
        labels:
          severity: warning
        annotations:
          summary: "ksm_exporter on {{ $labels.instance }} is down"
          description: "Prometheus could not scrape {{ $labels.instance }} for 5 minutes."
          runbook: >-
            Check the service (systemctl status ksm_exporter) and its log on
            the host; check that the port (default 10062) is reachable from
            Prometheus.

      - alert: KSMDirectoryUnreadable
        expr: ksm_up == 0
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: "KSM cannot be read on {{ $labels.instance }}"
          description: "ksm_up has been 0 for 10 minutes: /sys/kernel/mm/ksm is missing or unreadable."
          runbook: >-
            A kernel without CONFIG_KSM has no /sys/kernel/mm/ksm. In a
            container, check that the host's /sys is mounted and passed with
            --path.sysfs. The exporter's log names the path and the error.

      - alert: KSMRunningButSavingNothing
        expr: ksm_run == 1 and on (job, instance) ksm_saved_bytes == 0
        for: 2h
        labels:
          severity: info
        annotations:
          summary: "KSM runs on {{ $labels.instance }} but saves nothing"
          description: "ksmd has been running for 2 hours without merging a page."
          runbook: >-
            No process marks memory mergeable (QEMU needs mem-merge=on, the
            libvirt default, and no <nosharepages/>), or the guests' memory
            differs. Either give KSM work or stop it (echo 0 >
            /sys/kernel/mm/ksm/run) to save ksmd's CPU.
"""


def literal(text):
    """TEXT as it must stand in an annotation: Prometheus expands {{ }}."""
    return text.replace("{{", '{{ "{{" }}')


def quoted(text):
    """A YAML double-quoted scalar: JSON's escapes are YAML's."""
    return json.dumps(text, ensure_ascii=False)


def folded(text, indent):
    """TEXT as a folded block scalar when that keeps it exactly, which
    holds for single-spaced prose; else double-quoted."""
    if not text or text != " ".join(text.split()):
        return quoted(text)
    lines = textwrap.wrap(text, 76 - len(indent), break_long_words=False,
                          break_on_hyphens=False)
    return ">-\n" + "\n".join(indent + line for line in lines)


def alert(f):
    """The alerting rule of finding F, in the layout of HEAD."""
    summary = literal(f["title"]) + " on {{ $labels.instance }}"
    runbook = literal(f["why"] + " " + f["action"])
    return "\n".join([
        "",
        "      - alert: %s" % f["alert"],
        '        expr: ksm_finding{finding="%s"} == 1' % f["id"],
        "        for: %s" % FOR[f["severity"]],
        "        labels:",
        "          severity: %s" % f["severity"],
        "        annotations:",
        "          summary: %s" % quoted(summary),
        "          description: %s" % quoted(literal(f["rule"])),
        "          runbook: %s" % folded(runbook, " " * 12),
        ""])


def alert_rules(catalogue):
    """The text of ksm-alerts.yml."""
    return HEAD + "".join(alert(f) for f in catalogue)
