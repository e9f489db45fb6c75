#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The committed dashboards and rules are what the mixin renders, and the
# catalogue it imports (dashboards/lib/findings.json) is what the
# findings_catalogue tool of this build prints: a value edited in the
# jsonnet, or a finding edited in common/src/, without `make mixin` fails
# here.
# Usage: dashboards_rendered.sh FINDINGS_CATALOGUE SOURCE_DIR
set -u
TOOL=$1 SRC=$(realpath "$2")
EXPORTER=/bin/false
. "$(dirname "$0")/lib.sh"
command -v jsonnet >/dev/null || { fail "jsonnet is not installed (make test installs it)"; finish; }

"$TOOL" "$TMP/findings.json" || { fail "the catalogue tool"; finish; }
check "the catalogue tool writes JSON" \
    python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$TMP/findings.json"
if ! diff -u "$SRC/dashboards/lib/findings.json" "$TMP/findings.json"; then
    fail "dashboards/lib/findings.json is not the catalogue of common/src/ (make mixin)"
fi
mkdir "$TMP/out"
check "the mixin renders" "$SRC/dashboards/render.sh" "$TMP/out"
for f in ksm-overview.json ksm-collectd.json ksm-alerts.yml ksm-recording.yml; do
    if ! diff -u "$SRC/dashboards/$f" "$TMP/out/$f"; then
        fail "dashboards/$f is not what the mixin renders (make mixin)"
    else
        ok
    fi
done
finish
