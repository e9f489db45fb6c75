#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A simulated fleet: N ksm_exporter instances on 127.0.0.1, each on a fixture
# of its own (host i shares 1000*i pages), one real Prometheus scraping them
# every second with the recording rules of dashboards/.  Checks that every
# target is up and the fleet aggregates are right, and prints the figures.
# Usage: fleet.sh KSM_EXPORTER SOURCE_DIR [N]
set -u
EXPORTER=$1 SRC=$(realpath "$2") N=${3:-200}
TMP=$(mktemp -d /tmp/ksm-fleet.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"' EXIT
pass=0 fail=0
check() { if "${@:2}"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
ulimit -n 65536 2>/dev/null

echo "starting $N exporters"
targets=""
expected=0
for i in $(seq 1 "$N"); do
    root=$TMP/host$i
    mkdir -p "$root"
    cp -r "$SRC/tests/fixtures/sysfs/typical/kernel" "$root/"
    echo $((1000 * i)) >"$root/kernel/mm/ksm/pages_sharing"
    # saved = (pages_sharing + ksm_zero_pages 512) x 4096
    expected=$((expected + (1000 * i + 512) * 4096))
    "$EXPORTER" --web.listen-address=127.0.0.1:0 --path.sysfs="$root" \
        --path.procfs="$SRC/tests/fixtures/procfs/typical" 2>"$TMP/e$i.log" &
    PIDS+=($!)
done
ports=()
for i in $(seq 1 "$N"); do
    for t in $(seq 100); do
        p=$(sed -n 's/.*msg="Listening on" address=[^ ]*:\([0-9]*\) .*/\1/p' "$TMP/e$i.log")
        [ -n "$p" ] && break
        sleep 0.05
    done
    ports+=("$p")
    targets+="'127.0.0.1:$p',"
done
check "all $N exporters started" test "${#ports[@]}" = "$N"

sed 's/interval: 1m/interval: 1s/' "$SRC/dashboards/ksm-recording.yml" >"$TMP/recording.yml"
pp=20000
while (exec 3<>"/dev/tcp/127.0.0.1/$pp") 2>/dev/null; do pp=$((pp + 1)); done
cat >"$TMP/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $TMP/recording.yml
scrape_configs:
  - job_name: ksm
    static_configs:
      - targets: [${targets%,}]
YAML
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
    --web.listen-address="127.0.0.1:$pp" >"$TMP/prometheus.log" 2>&1 &
ppid=$!; PIDS+=("$ppid")
q() { curl -s --get --data-urlencode "query=$1" "http://127.0.0.1:$pp/api/v1/query" | sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p'; }
for t in $(seq 120); do
    [ "$(q 'count(up{job="ksm"} == 1)')" = "$N" ] && [ -n "$(q 'job:ksm_saved_bytes:sum')" ] && break
    sleep 1
done
sleep 15 # a steady state to measure

up=$(q 'count(up{job="ksm"} == 1)')
saved=$(q 'job:ksm_saved_bytes:sum{job="ksm"}')
running=$(q 'job:ksm_hosts_running:count{job="ksm"}')
check "every target up ($up of $N)" test "$up" = "$N"
check "job:ksm_saved_bytes:sum = $expected (got $saved)" awk -v a="$saved" -v b="$expected" 'BEGIN { exit !(a == b) }'
check "job:ksm_hosts_running:count = $N (got $running)" test "$running" = "$N"

rss=0 pss=0
for p in "${PIDS[@]}"; do
    [ "$p" = "$ppid" ] && continue
    r=$(awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null)
    s=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
    rss=$((rss + ${r:-0})); pss=$((pss + ${s:-0}))
done
echo "fleet of $N exporters:"
echo "  total resident memory of the exporters: $((rss / 1024)) MB ($((rss / N)) kB each)"
echo "  the same with shared library pages divided among them (PSS): $((pss / 1024)) MB ($((pss / N)) kB each)"
echo "  Prometheus scrape duration: mean $(q 'avg(scrape_duration_seconds{job="ksm"})') s, max $(q 'max(scrape_duration_seconds{job="ksm"})') s"
echo "  samples per scrape: $(q 'avg(scrape_samples_scraped{job="ksm"})')"
appended() {
    curl -s "http://127.0.0.1:$pp/metrics" |
        awk '/^prometheus_tsdb_head_samples_appended_total/ { s += $2 } END { printf "%d", s }'
}
a1=$(appended); sleep 10; a2=$(appended)
echo "  samples ingested per second: $(( (a2 - a1) / 10 ))"
echo "  Prometheus resident memory: $(( $(awk '/^VmRSS/ { print $2 }' "/proc/$ppid/status") / 1024 )) MB"
echo "fleet: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
