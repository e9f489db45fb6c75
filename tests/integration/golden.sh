#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Renders every fixture with ksm_dump and diffs it against its golden file,
# in both formats; lints the text format with promtool when it is installed.
# Usage: golden.sh KSM_DUMP FIXTURES_DIR GOLDEN_DIR   (UPDATE=1 rewrites)
set -u
dump=$1 fixtures=$2 golden=$3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0 pass=0

check() { # name args...
    local name=$1; shift
    "$dump" --page-size=4096 "$@" >"$out/$name" 2>"$out/$name.err"
    if [ "${UPDATE:-0}" = 1 ]; then cp "$out/$name" "$golden/$name"; fi
    if diff -u "$golden/$name" "$out/$name"; then
        pass=$((pass + 1))
    else
        echo "FAIL: $name differs from its golden file"; fail=$((fail + 1))
    fi
}

for dir in "$fixtures"/*/; do
    case=$(basename "$dir")
    check "$case.prom" "$dir"
    check "$case.om" --openmetrics "$dir"
done
# The cost side and the processes, from the fake procfs.
procfs=$(dirname "$fixtures")/procfs/typical
check typical-procfs.prom --procfs="$procfs" --processes "$fixtures/typical"
check typical-procfs.om --openmetrics --procfs="$procfs" --processes "$fixtures/typical"
# KSM not built into the kernel: only ksm_up 0.
check missing.prom "$fixtures/does-not-exist"
check missing.om --openmetrics "$fixtures/does-not-exist"

if command -v promtool >/dev/null; then
    for f in "$golden"/*.prom; do
        if lint=$(promtool check metrics <"$f" 2>&1); then
            pass=$((pass + 1))
        else
            echo "FAIL: promtool on $(basename "$f"):"; echo "$lint"
            fail=$((fail + 1))
        fi
    done
else
    echo "FAIL: promtool not installed (make test installs it)"; fail=$((fail + 1))
fi
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
