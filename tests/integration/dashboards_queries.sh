#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every query of the dashboards against a real Prometheus that scrapes
# ksm_exporter (fixtures whose counters move) and a real collectd's
# write_prometheus.  The rules have their own test, tests/rules/rules.sh.
# Usage: dashboards_queries.sh KSM_EXPORTER PLUGIN_DIR FIXTURES_DIR SOURCE_DIR
#        FINDINGS_CATALOGUE
set -u
EXPORTER=$1 PLUGIN_DIR=$(realpath "$2") FIXTURES=$(realpath "$3") SRC=$(realpath "$4")
CATALOGUE=$5
PROCFS=$(dirname "$FIXTURES")/procfs/typical
. "$(dirname "$0")/lib.sh"
for tool in prometheus collectd python3; do
    command -v "$tool" >/dev/null || { fail "$tool is not installed (make test installs it)"; finish; }
done

# The rendered dashboards and rules first: they need nothing running.
check "dashboards and rules are what the mixin renders" \
    "$(dirname "$0")/dashboards_rendered.sh" "$CATALOGUE" "$SRC"
check "dashboard structure" python3 "$(dirname "$0")/dashboards.py" lint "$SRC"/dashboards/ksm-*.json

# A KSM that works: full scans, scanning, ksmd's CPU and copy-on-write move.
cp -r "$FIXTURES/typical" "$TMP/sys"
cp -r "$PROCFS" "$TMP/proc"
ksm=$TMP/sys/kernel/mm/ksm
(
    scans=42 scanned=123456789 cow=1234 ticks=1500
    while :; do
        scans=$((scans + 1)); scanned=$((scanned + 5000)); cow=$((cow + 7)); ticks=$((ticks + 3))
        echo $scans >"$ksm/full_scans.new" && mv "$ksm/full_scans.new" "$ksm/full_scans"
        echo $scanned >"$ksm/pages_scanned.new" && mv "$ksm/pages_scanned.new" "$ksm/pages_scanned"
        sed -i "s/^cow_ksm .*/cow_ksm $cow/" "$TMP/proc/vmstat"
        sed -i "s/^37 (ksmd) S 2 1 1 0 -1 2097216 0 0 0 0 [0-9]*/37 (ksmd) S 2 1 1 0 -1 2097216 0 0 0 0 $ticks/" "$TMP/proc/37/stat"
        sleep 0.5
    done
) &
PIDS+=($!)
start_exporter dash --path.sysfs="$TMP/sys" --path.procfs="$TMP/proc" || exit 1

# collectd with write_prometheus, on the fixtures as they are.
wp_port=$(free_port 29113)
mkdir -p "$TMP/cd"
{
collectd_conf "$TMP/cd"
cat <<CONF
LoadPlugin write_prometheus
<Plugin write_prometheus>
  Host "127.0.0.1"
  Port "$wp_port"
</Plugin>
PluginDir "$PLUGIN_DIR"
LoadPlugin ksm
<Plugin ksm>
  SysfsRoot "$FIXTURES/typical"
  ProcfsRoot "$PROCFS"
</Plugin>
CONF
} >"$TMP/cd/collectd.conf"
collectd -f -C "$TMP/cd/collectd.conf" >"$TMP/cd/stdout" 2>&1 &
PIDS+=($!)

start_prometheus "  - job_name: ksm
    static_configs:
      - targets: ['127.0.0.1:$PORT']
  - job_name: collectd
    honor_labels: true
    static_configs:
      - targets: ['127.0.0.1:$wp_port']"
# Wait until both are scraped, then long enough for rates and two full scans.
for i in $(seq 60); do
    [ -n "$(query ksm_full_scan_duration_seconds)" ] &&
        [ -n "$(query 'collectd_ksm_bytes{ksm="saved"}')" ] && break
    sleep 0.5
done
sleep 6
check "every query of both dashboards returns data" \
    python3 "$(dirname "$0")/dashboards.py" queries "$PROM" "$SRC"/dashboards/ksm-*.json
[ "$FAIL" -gt 0 ] && tail -5 "$TMP/prometheus.log" "$TMP/cd/collectd.log"
finish
