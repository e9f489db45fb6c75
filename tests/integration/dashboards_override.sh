#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The documented override, dashboards/example-override.jsonnet, rendered:
# its selectors reach every query of every panel, every variable and every
# rule; its durations and tags reach their rules and dashboards; the
# dashboards keep their structure; the rules pass promtool check rules, and
# the alert unit tests of tests/rules/ pass on its rules once the test
# series carry its job (with its durations put back, since the cases time
# the defaults).  The committed rules fail those relabelled cases: the
# selector does select.
# Usage: dashboards_override.sh SOURCE_DIR
set -u
SRC=$(realpath "$1")
EXPORTER=/bin/false
. "$(dirname "$0")/lib.sh"
for tool in jsonnet promtool python3; do
    command -v "$tool" >/dev/null || { fail "$tool is not installed (make test installs it)"; finish; }
done
DASH=$SRC/dashboards
example=$DASH/example-override.jsonnet
config() { jsonnet -J "$DASH" -e "(import '$example')._config.$1"; }
ksm_sel=$(config ksmSelector | python3 -c 'import json, sys; print(json.load(sys.stdin))')
cd_sel=$(config collectdSelector | python3 -c 'import json, sys; print(json.load(sys.stdin))')
job=$(printf '%s' "$ksm_sel" | sed -n 's/^job="\([^"]*\)"$/\1/p')
[ -n "$job" ] || { fail "the example's ksmSelector is not job=\"NAME\": $ksm_sel"; finish; }
[ "$job" != ksm ] || { fail "the example keeps the default job"; finish; }

mkdir "$TMP/ov"
check "the example renders" "$DASH/render.sh" "$TMP/ov" "$example"
check "its selectors ($ksm_sel, $cd_sel) reach every query and rule" \
    python3 "$(dirname "$0")/dashboards_selectors.py" "$ksm_sel" "$cd_sel" "$TMP/ov"
check "the committed files do not carry them (the check can fail)" \
    bash -c "! python3 '$(dirname "$0")/dashboards_selectors.py' '$ksm_sel' '$cd_sel' '$SRC/dashboards' >/dev/null"
check "its durations and tags reach the rules and dashboards" python3 - "$TMP/ov" \
    "$(config alertFor)" "$(config dashboardTags)" <<'PY'
import json, sys, yaml
out, alert_for, tags = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
rules = {r["alert"]: r for g in yaml.safe_load(open(out + "/ksm-alerts.yml"))["groups"]
         for r in g["rules"]}
bad = ["%s: for %s, not %s" % (a, rules[a]["for"], d) for a, d in alert_for.items()
       if rules[a]["for"] != d]
words = "running for 6 hours"  # the example's KSMRunningButSavingNothing: 6h
if words not in rules["KSMRunningButSavingNothing"]["annotations"]["description"]:
    bad.append("KSMRunningButSavingNothing's description lacks '%s'" % words)
for f in ("ksm-overview.json", "ksm-collectd.json"):
    if json.load(open(out + "/" + f))["tags"] != tags:
        bad.append(f + ": tags are not " + str(tags))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
check "its dashboards' structure" python3 "$(dirname "$0")/dashboards.py" lint \
    "$TMP/ov/ksm-overview.json" "$TMP/ov/ksm-collectd.json"
check "promtool check rules on its rules" promtool check rules "$TMP"/ov/ksm-*.yml

# Its selectors, with every other _config field back to the default.
cat >"$TMP/selectors.jsonnet" <<JSONNET
local defaults = (import 'config.libsonnet')._config;
(import '$example') + { _config+:: {
  [k]: defaults[k] for k in std.objectFields(defaults) if !std.endsWith(k, 'Selector')
} }
JSONNET
mkdir "$TMP/sel"
check "the example with default durations renders" "$DASH/render.sh" "$TMP/sel" "$TMP/selectors.jsonnet"
relabel() { # RULES_DIR OUTPUT: the unit tests on RULES_DIR, series of job $job
    sed -e "s|\.\./\.\./dashboards/|$1/|" -e "s/job=\"ksm\"/job=\"$job\"/g" \
        -e "s/job: ksm,/job: $job,/g" "$SRC/tests/rules/ksm-alerts.test.yml" >"$2"
}
relabel "$TMP/sel" "$TMP/sel.test.yml"
check "promtool test rules on its rules, series of job $job" \
    promtool test rules "$TMP/sel.test.yml"
relabel "$SRC/dashboards" "$TMP/default.test.yml"
check "the committed rules ignore job $job" \
    bash -c "! promtool test rules '$TMP/default.test.yml' >/dev/null 2>&1"
finish
