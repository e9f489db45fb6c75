#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real Prometheus scrapes ksm_exporter on the typical fixture; its query API
# must return the fixture's numbers, and its metadata the OpenMetrics units.
# Usage: exporter_prometheus.sh KSM_EXPORTER FIXTURES_DIR
set -u
EXPORTER=$1 FIXTURES=$2
. "$(dirname "$0")/lib.sh"

command -v prometheus >/dev/null || { fail "prometheus is not installed (make test installs it)"; finish; }
[ "$(getconf PAGESIZE)" = 4096 ] || { echo "values assume 4 KiB pages"; exit 77; }

start_exporter prom-target --path.sysfs="$FIXTURES/typical" || exit 1
target_port=$PORT exporter_pid=$PID

start_prometheus "  - job_name: ksm
    static_configs:
      - targets: ['127.0.0.1:$target_port']"
wait_query ksm_pages_sharing

check "up is 1" test "$(query 'up{job="ksm"}')" = 1
check "ksm_pages_sharing" test "$(query ksm_pages_sharing)" = 196608
check "ksm_saved_bytes" test "$(query ksm_saved_bytes)" = 807403520
check "ksm_sharing_ratio" test "$(query ksm_sharing_ratio)" = 8
check "ksm_full_scans_total" test "$(query ksm_full_scans_total)" = 42
check "ksm_general_profit_bytes" test "$(query ksm_general_profit_bytes)" = 788060480
check "ksm_advisor_mode" test "$(query 'ksm_advisor_mode{mode="none"}')" = 1
check "ksm_up" test "$(query ksm_up)" = 1
check "no samples dropped" test "$(query 'scrape_samples_scraped{job="ksm"}')" = "$(query 'count({job="ksm",__name__=~"ksm_.*|process_.*"})')"

# Units exist only in OpenMetrics: seeing them proves which format was used.
meta=$(curl -s "$PROM/api/v1/metadata?metric=ksm_saved_bytes")
check "scraped as OpenMetrics (unit in metadata: $meta)" grep -q '"unit":"bytes"' <<<"$meta"
meta=$(curl -s "$PROM/api/v1/metadata?metric=ksm_full_scans")
check "counter family typed counter ($meta)" grep -q '"type":"counter"' <<<"$meta"

if [ "$FAIL" -gt 0 ]; then tail -20 "$TMP/prometheus.log"; fi
PID=$exporter_pid
check "exporter exits 0" stop_exporter
finish
