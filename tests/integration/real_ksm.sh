#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End to end on the real KSM of this machine: a merger process offers mergeable
# pages, KSM is switched on (every setting restored in a trap), then
# ksm_exporter and ksm.so in a real collectd must show the merging.
# Needs root and a writable /sys/kernel/mm/ksm; otherwise it says SKIP.
# Usage: real_ksm.sh KSM_EXPORTER KSM_MERGER PLUGIN_DIR
set -u
EXPORTER=$1 MERGER=$2 PLUGIN_DIR=$(realpath "$3")
KSM=/sys/kernel/mm/ksm
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || [ ! -w "$KSM/run" ]; then
    echo "SKIP: real KSM needs root and a writable $KSM/run"
    exit 77
fi

orig_run=$(cat "$KSM/run")
orig_scan=$(cat "$KSM/pages_to_scan")
orig_sleep=$(cat "$KSM/sleep_millisecs")
restore() {
    if [ "$orig_run" != 1 ]; then
        # Unmerge what this test merged before stopping as before.
        echo 2 >"$KSM/run"; sleep 1
    fi
    # Also when it was 1: a step since may have written another value.
    echo "$orig_run" >"$KSM/run"
    echo "$orig_scan" >"$KSM/pages_to_scan"
    echo "$orig_sleep" >"$KSM/sleep_millisecs"
}
trap 'restore; cleanup' EXIT
PAGE=$(getconf PAGESIZE)

# value NAME [FILE]: a metric's value in a scrape (first series).
value() { awk -v n="$1" '$1 == n { print $2; exit }' "$2"; }

"$MERGER" 64 >"$TMP/merger.out" &
mpid=$!
PIDS+=("$mpid")
for i in $(seq 100); do grep -q ready "$TMP/merger.out" && break; sleep 0.05; done
check "merger ready" grep -q "ready pid=$mpid" "$TMP/merger.out"

start_exporter real || exit 1
curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/before.prom"
cpu0=$(value ksm_ksmd_cpu_seconds_total "$TMP/before.prom")

echo 1000 >"$KSM/pages_to_scan"
echo 10 >"$KSM/sleep_millisecs"
echo 1 >"$KSM/run"
for i in $(seq 300); do
    [ "$(cat "$KSM/pages_sharing")" -gt 1000 ] && break
    sleep 0.1
done
# Let ksmd spend a little more CPU, then scrape.
sleep 1
curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/after.prom"
sharing=$(value ksm_pages_sharing "$TMP/after.prom")
zero=$(value ksm_zero_pages "$TMP/after.prom")
saved=$(value ksm_saved_bytes "$TMP/after.prom")
cpu1=$(value ksm_ksmd_cpu_seconds_total "$TMP/after.prom")
merging=$(sed -n "s/^ksm_process_merging_pages{pid=\"$mpid\",comm=\"ksm_merger\",vm=\"\"} \([0-9]*\)$/\1/p" "$TMP/after.prom")
mergeable=$(sed -n "s/^ksm_process_mergeable{pid=\"$mpid\",comm=\"ksm_merger\",vm=\"\"} \([0-9]*\)$/\1/p" "$TMP/after.prom")
echo "observed: pages_sharing=$sharing ksm_zero_pages=${zero:-absent} saved_bytes=$saved" \
     "merger merging_pages=$merging ksmd_cpu=${cpu0}s->${cpu1}s"

check "ksm_run is 1" test "$(value ksm_run "$TMP/after.prom")" = 1
check "pages_sharing > 0" test "${sharing:-0}" -gt 0
check "saved = (sharing + zero) x page in one scrape" \
    test "$saved" = "$(( (sharing + ${zero:-0}) * PAGE ))"
check "the merger is listed with its pid and comm" test -n "$merging"
# 64 MiB of 4 patterns: nearly every page merges, never more than it has.
check "its merging pages are plausible ($merging)" \
    test "${merging:-0}" -gt 1000 -a "${merging:-0}" -le $(( 64 * 1048576 / PAGE ))
check "it is mergeable" test "$mergeable" = 1
check "ksmd CPU advanced" awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { exit !(b > a) }'
check "promtool finds nothing" promtool check metrics <"$TMP/after.prom"
stop_exporter

# --- the same through collectd -------------------------------------------------
mkdir -p "$TMP/cd"
{
    collectd_conf "$TMP/cd"
    cat <<CONF
PluginDir "$PLUGIN_DIR"
LoadPlugin ksm
CONF
} >"$TMP/cd/collectd.conf"
collectd -f -C "$TMP/cd/collectd.conf" >"$TMP/cd/stdout" 2>&1 &
PIDS+=($!)
cpid=$!
getval() {
    collectdctl -s "$TMP/cd/sock" getval "ksmtest/$1" 2>/dev/null | sed -n 's/^[a-z_]*=//p'
}
# A DERIVE needs two readings for a rate: wait for ksmd's to be a number.
for i in $(seq 100); do
    case "$(getval ksm/total_time_in_ms-ksmd)" in
    "" | *nan*) sleep 0.1 ;;
    *) break ;;
    esac
done
csharing=$(getval ksm/vmpage_number-sharing)
csaved=$(getval ksm/bytes-saved)
cmerging=$(getval "ksm-ksm_merger-$mpid/vmpage_number-merging")
cksmd=$(getval ksm/total_time_in_ms-ksmd)
echo "collectd: vmpage_number-sharing=$csharing bytes-saved=$csaved" \
     "ksm-ksm_merger-$mpid/vmpage_number-merging=$cmerging total_time_in_ms-ksmd=$cksmd ms/s"
gt0() { awk -v v="$1" 'BEGIN { exit !(v != "" && v + 0 > 0) }'; }
check "collectd: pages sharing > 0" gt0 "$csharing"
check "collectd: bytes saved > 0" gt0 "$csaved"
check "collectd: the merger's merging pages > 0" gt0 "$cmerging"
check "collectd: ksmd spends CPU (ms/s)" gt0 "$cksmd"
kill -TERM "$cpid"; wait "$cpid"
[ "$FAIL" -gt 0 ] && cat "$TMP/cd/collectd.log"
finish
