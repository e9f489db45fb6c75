#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ksm_exporter on every fixture, scraped with curl in both formats and
# diffed against the golden files; the text format linted by promtool.
# Usage: exporter_golden.sh KSM_EXPORTER FIXTURES_DIR GOLDEN_DIR
set -u
EXPORTER=$1 FIXTURES=$2 GOLDEN=$3
. "$(dirname "$0")/lib.sh"

if [ "$(getconf PAGESIZE)" != 4096 ]; then
    echo "golden files assume 4 KiB pages; this machine has $(getconf PAGESIZE)"
    exit 77
fi

scrape_case() { # case sysfs-root [exporter flags...]
    local case=$1 root=$2
    shift 2
    # No procfs unless asked: the goldens must not see this machine's.
    local flags=(--no-collector.process --path.procfs="$FIXTURES/does-not-exist")
    [ $# -gt 0 ] && flags=("$@")
    # One exporter per format: each body is then its first scrape, as in
    # the golden files (ksm_read_errors_total counts per scrape).
    # Nor this machine's ksmtuned config: the goldens assume its defaults.
    flags+=(--path.ksmtuned-config="$FIXTURES/does-not-exist")
    start_exporter "$case" --path.sysfs="$root" "${flags[@]}" || { fail "$case: start"; return; }
    curl -sf "http://127.0.0.1:$PORT/metrics" >"$TMP/$case.prom"
    check "$case: SIGTERM exits 0" stop_exporter
    start_exporter "$case-om" --path.sysfs="$root" "${flags[@]}" || { fail "$case: start"; return; }
    curl -sf -H "Accept: $PROM_ACCEPT" "http://127.0.0.1:$PORT/metrics" >"$TMP/$case.om"
    check "$case: SIGTERM exits 0" stop_exporter

    check "$case: text body matches $case.prom" \
        diff -u "$GOLDEN/$case.prom" <(strip_self <"$TMP/$case.prom")
    if [ -f "$GOLDEN/$case.om" ]; then
        check "$case: OpenMetrics body matches $case.om" \
            diff -u "$GOLDEN/$case.om" <(strip_self <"$TMP/$case.om")
    fi
    check "$case: promtool check metrics finds nothing" \
        promtool check metrics <"$TMP/$case.prom"
    # The exporter's own families are there, with sane values.
    check "$case: build info" grep -qE '^ksm_exporter_build_info\{version="[0-9.]+",revision="[^"]+"\} 1$' "$TMP/$case.prom"
    check "$case: scrape duration" grep -qE '^ksm_scrape_duration_seconds [0-9.e-]+$' "$TMP/$case.prom"
    check "$case: resident memory" grep -qE '^process_resident_memory_bytes [1-9][0-9]*$' "$TMP/$case.prom"
    check "$case: open fds" grep -qE '^process_open_fds [1-9][0-9]*$' "$TMP/$case.prom"
    check "$case: OpenMetrics ends in # EOF" test "$(tail -n1 "$TMP/$case.om")" = "# EOF"
}

for dir in "$FIXTURES"/*/; do
    scrape_case "$(basename "$dir")" "$dir"
done
scrape_case missing "$FIXTURES/does-not-exist"
[ "$(getconf CLK_TCK)" = 100 ] &&
    scrape_case typical-procfs "$FIXTURES/typical" \
        --path.procfs="$(dirname "$FIXTURES")/procfs/typical"
finish
