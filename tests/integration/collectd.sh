#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ksm.so in a real collectd: values through unixsock and csv, the same values
# through collectd's own write_prometheus, config errors, KSM coming back.
# Usage: collectd.sh PLUGIN_DIR FIXTURES_DIR
set -u
PLUGIN_DIR=$(realpath "$1") FIXTURES=$(realpath "$2")
PROCFS=$(dirname "$FIXTURES")/procfs/typical
EXPORTER=/bin/false
. "$(dirname "$0")/lib.sh"

command -v collectd >/dev/null || { fail "collectd is not installed (make test installs it)"; finish; }
command -v collectdctl >/dev/null || { fail "collectdctl is not installed (make test installs it)"; finish; }
[ "$(getconf PAGESIZE)" = 4096 ] || { echo "values assume 4 KiB pages"; exit 77; }

# start_collectd NAME KSM_BLOCK_BODY [WP_PORT]: a private collectd, Interval 1.
start_collectd() {
    local name=$1 body=$2 wp=${3:-}
    local dir=$TMP/$name
    mkdir -p "$dir"
    {
        collectd_conf "$dir"
        if [ -n "$wp" ]; then
            echo "LoadPlugin write_prometheus"
            echo "<Plugin write_prometheus>"
            echo "  Host \"127.0.0.1\""
            echo "  Port \"$wp\""
            echo "</Plugin>"
        fi
        echo "PluginDir \"$PLUGIN_DIR\""
        echo "LoadPlugin ksm"
        echo "<Plugin ksm>"
        echo "$body"
        echo "</Plugin>"
    } >"$dir/collectd.conf"
    collectd -f -C "$dir/collectd.conf" >"$dir/stdout" 2>&1 &
    CPID=$!
    PIDS+=("$CPID")
    SOCK=$dir/sock
    LOG=$dir/collectd.log
}

stop_collectd() {
    kill -TERM "$CPID" 2>/dev/null
    wait "$CPID"
}

# getval IDENT: the value collectd holds for ksmtest/ksm/IDENT, or nothing.
getval() {
    collectdctl -s "$SOCK" getval "ksmtest/ksm/$1" 2>/dev/null | sed -n 's/^[a-z_]*=//p'
}

# wait_for IDENT: until collectd has a value for it (up to 15 s).
wait_for() {
    wait_output 150 0.1 getval "$1"
}

# collectdctl prints 7 significant digits (%e): compare to that precision.
same_number() {
    awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d;
        m = b < 0 ? -b : b; exit !(a != "" && d <= 5e-7 * m) }'
}

# --- the typical fixture: unixsock, csv and write_prometheus ------------------
wp_port=$(free_port 29103)
start_collectd typical "  SysfsRoot \"$FIXTURES/typical\"
  ProcfsRoot \"$PROCFS\"" "$wp_port"
check "collectd has ksm values" wait_for vmpage_number-sharing
check "vmpage_number-sharing" same_number "$(getval vmpage_number-sharing)" 196608
check "vmpage_number-shared" same_number "$(getval vmpage_number-shared)" 24576
check "vmpage_number-unshared" same_number "$(getval vmpage_number-unshared)" 49152
check "vmpage_number-zero" same_number "$(getval vmpage_number-zero)" 512
check "bytes-saved (derived)" same_number "$(getval bytes-saved)" 807403520
check "bytes-rmap_overhead (derived)" same_number "$(getval bytes-rmap_overhead)" 17367040
check "gauge-sharing_ratio (derived)" same_number "$(getval gauge-sharing_ratio)" 8
check "gauge-general_profit (signed)" same_number "$(getval gauge-general_profit)" 788060480
check "duration-sleep (tunable)" same_number "$(getval duration-sleep)" 0.02
check "gauge-advisor_mode-none" same_number "$(getval gauge-advisor_mode-none)" 1
check "per VM: two processes of web01 get ksm-web01-PID" same_number \
    "$(collectdctl -s "$SOCK" getval ksmtest/ksm-web01-1000/vmpage_number-merging | sed -n 's/^value=//p')" 30000
check "per VM: the opted-out guest has mergeable 0" same_number \
    "$(collectdctl -s "$SOCK" getval ksmtest/ksm-db,prod/gauge-mergeable | sed -n 's/^value=//p')" 0
check "per process: ksm-redis-server-1002/gauge-merge_any" same_number \
    "$(collectdctl -s "$SOCK" getval ksmtest/ksm-redis-server-1002/gauge-merge_any | sed -n 's/^value=//p')" 1
# A DERIVE comes back as a rate: the counter is constant, so 0.
wait_for total_operations-full_scans
check "total_operations-full_scans is a DERIVE (rate 0)" same_number "$(getval total_operations-full_scans)" 0
check "no unknown type logged" bash -c "! grep -qi 'type .* not found\|unknown type' '$LOG'"
check "csv files written" test -f "$(ls "$TMP/typical/csv/ksmtest/ksm/"vmpage_number-sharing-* 2>/dev/null | head -1)"
csv=$(ls "$TMP/typical/csv/ksmtest/ksm/"bytes-saved-* 2>/dev/null | head -1)
check "csv holds saved bytes" bash -c "tail -n1 '$csv' | grep -q ',807403520'"
metrics=$(curl -s "http://127.0.0.1:$wp_port/metrics")
check "write_prometheus: vmpage_number sharing" grep -qE '^collectd_ksm_vmpage_number\{.*ksm="sharing".*\} 196608( |$)' <<<"$metrics"
check "write_prometheus: bytes saved" grep -qE '^collectd_ksm_bytes\{.*ksm="saved".*\} 807403520( |$)' <<<"$metrics"
check "write_prometheus: full scans counter" grep -qE '^collectd_ksm_total_operations_total\{.*ksm="full_scans".*\} 42( |$)' <<<"$metrics"
check "write_prometheus: sharing ratio" grep -qE '^collectd_ksm_gauge\{.*ksm="sharing_ratio".*\} 8( |$)' <<<"$metrics"
check "no ksm error logged" bash -c "! grep -i 'ksm' '$LOG' | grep -qi 'error'"
check "INFO at init: per-process figures on" grep -q 'ksm plugin: reading .*; per-process figures on (ReportProcesses true)' "$LOG"
check "the first scan is logged" grep -q 'ksm plugin: the process scan read all 18 processes' "$LOG"
check "and only once" test "$(grep -c 'ksm plugin: the process scan' "$LOG")" = 1
check "collectd exits 0 on SIGTERM" stop_collectd
[ "$FAIL" -gt 0 ] && { echo "--- collectd.log"; cat "$LOG"; echo "--- write_prometheus"; head -40 <<<"$metrics"; }

# --- a guest keeps its plugin instance when another of its name comes -------
# guest PID NAME MERGING: a fake QEMU guest in $TMP/gproc, or new figures.
guest() {
    local d=$TMP/gproc/$1
    mkdir -p "$d"
    echo qemu-system-x86 >"$d/comm"
    printf '/usr/bin/qemu-system-x86_64\0-name\0guest=%s\0' "$2" >"$d/cmdline"
    printf 'ksm_rmap_items 1\nksm_zero_pages 0\nksm_merging_pages %s\nksm_process_profit 0\nksm_merge_any: no\nksm_mergeable: yes\n' "$3" >"$d/ksm_stat"
}
pval() { collectdctl -s "$SOCK" getval "ksmtest/$1/vmpage_number-merging" 2>/dev/null | sed -n 's/^value=//p'; }
is_val() { same_number "$(pval "$1")" "$2"; }
wait_val() { for i in $(seq 100); do is_val "$1" "$2" && return 0; sleep 0.1; done; return 1; }
mkdir -p "$TMP/gproc"
cp "$PROCFS/vmstat" "$PROCFS/stat" "$TMP/gproc/"
guest 2001 db 100
start_collectd guests "  SysfsRoot \"$FIXTURES/typical\"
  ProcfsRoot \"$TMP/gproc\""
check "one guest db: ksm-db" wait_val ksm-db 100
guest 2002 db 200
check "a second db: ksm-db-2002" wait_val ksm-db-2002 200
guest 2001 db 150
check "the first db keeps ksm-db" wait_val ksm-db 150
check "the first db never gets ksm-db-2001" test -z "$(pval ksm-db-2001)"
stop_collectd

# --- pages_shared = 0: a NaN ratio ------------------------------------------
start_collectd no_shared "  SysfsRoot \"$FIXTURES/no_shared\""
check "no_shared: values" wait_for bytes-saved
check "no_shared: gauge-sharing_ratio is NaN" bash -c "[[ \"\$(collectdctl -s '$SOCK' getval ksmtest/ksm/gauge-sharing_ratio)\" =~ ^value=-?nan$ ]]"
check "no_shared: bytes-saved 0" same_number "$(getval bytes-saved)" 0
stop_collectd

# --- ReportTunables false ----------------------------------------------------
start_collectd notun "  SysfsRoot \"$FIXTURES/typical\"
  ReportTunables false"
check "ReportTunables false: statistics still there" wait_for vmpage_number-sharing
check "ReportTunables false: no tunable" test -z "$(getval gauge-run)"
stop_collectd

# --- a bad option: collectd reports it and refuses to start --------------------
for opt in 'Colour "blue"' 'ReportTunables "maybe"'; do
    key=${opt%% *}
    start_collectd "bad-$key" "  $opt"
    wait "$CPID"; rc=$?
    check "bad $key: collectd exits non-zero (got $rc)" test "$rc" -ne 0
    check "bad $key: says the config failed" grep -q 'Parsing the config file failed' "$TMP/bad-$key/stdout"
done
check "unknown option: logged with its name" grep -q 'ksm plugin: unknown option "Colour"' "$TMP/bad-Colour/collectd.log"
check "bad boolean: logged with its name" grep -q 'ksm plugin: option "ReportTunables" needs one boolean' "$TMP/bad-ReportTunables/collectd.log"

# --- KSM missing: one ERROR, then back ------------------------------------------
mkdir -p "$TMP/late"
start_collectd late "  SysfsRoot \"$TMP/late\""
sleep 3
check "missing KSM: one ERROR over several intervals" test "$(grep -c 'ksm plugin: cannot read' "$LOG")" = 1
check "missing KSM: no values" test -z "$(getval vmpage_number-sharing)"
cp -r "$FIXTURES/typical/kernel" "$TMP/late/"
# collectd backs off after failed reads (doubling intervals): allow for it.
for i in $(seq 200); do grep -q 'is readable again' "$LOG" && break; sleep 0.1; done
check "KSM back: INFO logged" grep -q 'ksm plugin: .* is readable again' "$LOG"
check "KSM back: values resume" wait_for vmpage_number-sharing
stop_collectd

# --- garbage and a vanishing directory: collectd keeps running, recovers ------
cp -r "$FIXTURES/typical" "$TMP/gsys"
g=$TMP/gsys/kernel/mm/ksm
start_collectd garbage "  SysfsRoot \"$TMP/gsys\""
check "garbage: values first" wait_for vmpage_number-sharing
for f in "$g"/*; do head -c 300 /dev/urandom >"$f"; done
sleep 2
check "garbage: collectd is alive" kill -0 "$CPID"
check "garbage: each bad file logged" grep -q 'ksm plugin: cannot read .*/pages_sharing' "$LOG"
rm -rf "$TMP/gsys/kernel"
sleep 2
check "no directory: collectd is alive" kill -0 "$CPID"
cp -r "$FIXTURES/typical/kernel" "$TMP/gsys/"
for i in $(seq 200); do grep -q 'gsys/kernel/mm/ksm is readable again' "$LOG" && break; sleep 0.1; done
check "recovered: logged" grep -q 'is readable again' "$LOG"
ok_value() { same_number "$(getval vmpage_number-sharing)" 196608; }
for i in $(seq 100); do ok_value && break; sleep 0.2; done
check "recovered: values are right again" ok_value
check "garbage: collectd exits 0" stop_collectd
[ "$FAIL" -gt 0 ] && { echo "--- last collectd.log"; cat "$LOG"; }
finish
