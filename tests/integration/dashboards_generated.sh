#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The committed dashboards and alert rules are what dashboards/generate.py
# writes from the findings catalogue of this build: a finding edited in
# common/src/findings.c without `make dashboards` fails here.
# Usage: dashboards_generated.sh FINDINGS_CATALOGUE SOURCE_DIR
set -u
TOOL=$1 SRC=$(realpath "$2")
OUT=$(mktemp -d /tmp/ksm-gen.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
"$TOOL" "$OUT/findings.json" || exit 1
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$OUT/findings.json" ||
    { echo "FAIL: the catalogue tool writes invalid JSON"; exit 1; }
python3 "$SRC/dashboards/generate.py" --catalogue "$OUT/findings.json" "$OUT" || exit 1
status=0
for f in ksm-overview.json ksm-collectd.json ksm-alerts.yml; do
    if ! diff -u "$SRC/dashboards/$f" "$OUT/$f"; then
        echo "FAIL: dashboards/$f is not what generate.py writes (make dashboards)"
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "dashboards_generated: 3 files as generated"
exit "$status"
