#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End to end on real QEMU guests (TCG, no disk, named as libvirt names them)
# and this machine's real KSM, THP and Debian's real ksmtuned:
#  A. guests whose RAM is in transparent huge pages barely merge, and the
#     exporter says why (their THP share, the thp_guests finding);
#  B. the same guests with THP disabled (the nothp wrapper) merge, and a
#     guest started with mem-merge=off is listed as opted out;
#  C. ksmtuned, run for real, does on its first check what the exporter
#     predicted it would, and it does not see the guests (no -enable-kvm).
# Every KSM setting, the ksmtuned config, the guests and ksmtuned are
# restored or stopped in a trap.  Needs root and a writable KSM; installs
# qemu-system-x86 and ksmtuned when missing; otherwise it says SKIP.
# Usage: real_guests.sh KSM_EXPORTER NOTHP
set -u
EXPORTER=$1 NOTHP=$2
KSM=/sys/kernel/mm/ksm
THP=/sys/kernel/mm/transparent_hugepage/enabled
CONF=/etc/ksmtuned.conf
. "$(dirname "$0")/lib.sh"

skip() { echo "SKIP: $*"; exit 77; }
if [ "$(id -u)" -ne 0 ] || [ ! -w "$KSM/run" ]; then
    skip "real guests need root and a writable $KSM/run"
fi

# need COMMAND PACKAGE: installs PACKAGE when COMMAND is missing.
need() {
    command -v "$1" >/dev/null && return 0
    echo "installing $2"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "$2" >"$TMP/apt.log" 2>&1 ||
        { apt-get update -qq >>"$TMP/apt.log" 2>&1 &&
            apt-get install -y -qq --no-install-recommends "$2" >>"$TMP/apt.log" 2>&1; } ||
        { tail -5 "$TMP/apt.log"; skip "$2 cannot be installed"; }
    command -v "$1" >/dev/null || skip "$2 installs no $1"
}
need qemu-system-x86_64 qemu-system-x86
need /usr/sbin/ksmtuned ksmtuned
# One already running (a service) would rewrite KSM's settings under the test.
if pgrep -x ksmtuned >/dev/null; then
    skip "a ksmtuned already tunes KSM here (pid $(pgrep -x ksmtuned | head -1))"
fi

orig_run=$(cat "$KSM/run")
orig_scan=$(cat "$KSM/pages_to_scan")
orig_sleep=$(cat "$KSM/sleep_millisecs")
had_conf=no
[ -e "$CONF" ] && { cp -p "$CONF" "$TMP/ksmtuned.conf.orig" && had_conf=yes; }
GUESTS=()
TUNED=

stop_ksmtuned() {
    [ -n "$TUNED" ] || return 0
    local kids
    kids=$(pgrep -P "$TUNED" | tr '\n' ' ')
    # shellcheck disable=SC2086 # the children, one word each
    kill "$TUNED" $kids 2>/dev/null
    TUNED=
}
# stop_guests: each QEMU by its pidfile, SIGKILL after 5 s.
stop_guests() {
    local g pid
    for g in "${GUESTS[@]}"; do
        pid=$(cat "$TMP/$g.pid" 2>/dev/null) || continue
        kill "$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
        rm -f "$TMP/$g.pid"
    done
    GUESTS=()
}
restore() {
    stop_ksmtuned
    stop_guests
    if [ "$had_conf" = yes ]; then
        cp -p "$TMP/ksmtuned.conf.orig" "$CONF"
    else
        rm -f "$CONF"
    fi
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
MIB=256
GUEST_PAGES=$((MIB * 1048576 / PAGE))

# guest NAME MERGE [WRAPPER...]: boots a diskless TCG guest that sits in its
# firmware with all of its RAM allocated.
guest() {
    local name=$1 merge=$2
    shift 2
    "$@" qemu-system-x86_64 -name "guest=$name,debug-threads=on" -accel tcg \
        -m "$MIB" -machine "pc,mem-merge=$merge" -display none -nodefaults \
        -serial none -monitor none -daemonize -pidfile "$TMP/$name.pid" \
        -mem-prealloc >"$TMP/$name.log" 2>&1 || {
        cat "$TMP/$name.log"
        return 1
    }
    GUESTS+=("$name")
}
# boot [WRAPPER...]: two guests that may merge and one that opted out.
boot() {
    guest ksmit-db on "$@" && guest ksmit-web on "$@" &&
        guest ksmit-nomerge off "$@"
}
gpid() { cat "$TMP/$1.pid"; }

# value NAME FILE: a metric's value in a scrape (first series).
value() { awk -v n="$1" '$1 == n { print $2; exit }' "$2"; }
# pvalue NAME GUEST FILE: a per-process metric of one guest.
pvalue() {
    local pid
    pid=$(gpid "$2")
    sed -n "s/^$1{pid=\"$pid\",comm=\"[^\"]*\",vm=\"$2\"} \([0-9.e+-]*\)$/\1/p" "$3"
}
finding() { value "ksm_finding{finding=\"$1\"}" "$2"; }
scrape() { curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/$1.prom"; }
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 > b + 0) }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

# report PHASE: the exporter's report on the live host, text and JSON.
HAVE_REPORT=no
"$EXPORTER" --help 2>&1 | grep -q -- '--report.format' && HAVE_REPORT=yes
report() {
    [ "$HAVE_REPORT" = yes ] || { echo "(no --report in this exporter)"; return 0; }
    local f
    for f in text json; do
        check "report $1 ($f) exits 0" "$EXPORTER" --report --report.format=$f \
            --report.interval=2s --path.procfs=/proc \
            >"$TMP/report-$1.$f" 2>"$TMP/report-$1.$f.err"
        echo "--- ksm_exporter --report --report.format=$f, phase $1:"
        cat "$TMP/report-$1.$f" "$TMP/report-$1.$f.err"
    done
    echo "---"
}
# report_finding PHASE ID: whether the JSON report of PHASE has ID active.
report_finding() {
    python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(not any(f["id"] == sys.argv[2] and f["active"] for f in r["findings"]))' \
        "$TMP/report-$1.json" "$2"
}

boot || skip "qemu cannot boot a TCG guest here"
start_exporter guests --path.procfs=/proc --collector.process \
    --collector.process.thp-interval=1s || exit 1

# --- A: guests as THP has them -------------------------------------------------
thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$THP" 2>/dev/null)
echo "phase A: THP enabled is '${thp:-unknown}'"
# Two scrapes over a second apart read every guest's smaps_rollup: the huge
# pages as the guests booted, before ksmd splits some of them (it does, when
# it merges a part of one, and the kernel may then free their zero-filled
# parts; how many varies from run to run).
scrape a0
sleep 1.1
scrape a1
for g in ksmit-db ksmit-web; do
    echo "phase A, booted: $g thp_anon=$(mib "$(pvalue ksm_process_thp_anon_bytes $g "$TMP/a1.prom")")" \
         "resident=$(mib "$(pvalue ksm_process_resident_bytes $g "$TMP/a1.prom")")"
done
echo "phase A, booted: thp_guests=$(finding thp_guests "$TMP/a1.prom")"
echo 1000 >"$KSM/pages_to_scan"
echo 20 >"$KSM/sleep_millisecs"
echo 1 >"$KSM/run"
t0=$SECONDS
# The report's two samples fall in ksmd's first full scan, before any split.
report A
if [ "$HAVE_REPORT" = yes ] && [ "$thp" != never ]; then
    check "A: the JSON report has thp_guests active" report_finding A thp_guests
fi
[ $((SECONDS - t0)) -lt 9 ] && sleep $((9 - (SECONDS - t0)))
scrape a2
sleep 1.1
scrape a3
for g in ksmit-db ksmit-web; do
    echo "phase A, KSM on $((SECONDS - t0)) s:" \
         "$g merging_pages=$(pvalue ksm_process_merging_pages $g "$TMP/a3.prom")" \
         "thp_anon=$(mib "$(pvalue ksm_process_thp_anon_bytes $g "$TMP/a3.prom")")" \
         "resident=$(mib "$(pvalue ksm_process_resident_bytes $g "$TMP/a3.prom")")"
done
saved=$(value ksm_saved_bytes "$TMP/a3.prom")
echo "phase A, KSM on: saved=$(mib "$saved")" \
     "general_profit=$(mib "$(value ksm_general_profit_bytes "$TMP/a3.prom")")" \
     "thp_guests=$(finding thp_guests "$TMP/a3.prom")"
if [ "$thp" = never ]; then
    echo "phase A: THP is never on this machine: no huge pages to find"
else
    check "A: thp_guests finding is 1" test "$(finding thp_guests "$TMP/a1.prom")" = 1
    # Each holds huge pages, together over half of their RAM (a guest gets
    # fewer when memory is fragmented as it boots).
    thp_sum=0
    for g in ksmit-db ksmit-web; do
        b=$(pvalue ksm_process_thp_anon_bytes $g "$TMP/a1.prom")
        check "A: $g has huge pages ($b)" gt "$b" 0
        thp_sum=$((thp_sum + ${b:-0}))
    done
    check "A: over half of the guests' RAM is in huge pages ($(mib $thp_sum))" \
        gt "$thp_sum" $((MIB * 1048576))
    # 3 guests' RAM: KSM merges a few hundred pages of it at most.
    check "A: saved stays under 10% of the guests' RAM ($saved)" \
        test "${saved:-X}" -lt $((3 * MIB * 1048576 / 10))
fi

# --- B: the same guests without THP ---------------------------------------------
stop_guests
boot "$NOTHP" || exit 1
# Each may-merge guest merges more than 30% of its pages within 40 s.
want=$((GUEST_PAGES * 3 / 10))
merged() {
    local g
    scrape b
    for g in ksmit-db ksmit-web; do
        gt "$(pvalue ksm_process_merging_pages $g "$TMP/b.prom")" "$want" || return 1
    done
}
t0=$SECONDS
for _ in $(seq 80); do merged && break; sleep 0.5; done
echo "phase B: merging took $((SECONDS - t0)) s"
# A second scrape, over a second later, for fresh THP figures and rates.
sleep 1.1
scrape b2
for g in ksmit-db ksmit-web; do
    m=$(pvalue ksm_process_merging_pages $g "$TMP/b2.prom")
    echo "phase B: $g merging_pages=$m of $GUEST_PAGES" \
         "thp_anon=$(mib "$(pvalue ksm_process_thp_anon_bytes $g "$TMP/b2.prom")")"
    check "B: $g merges over 30% of its pages ($m)" gt "$m" "$want"
    check "B: $g has no huge pages" \
        test "$(pvalue ksm_process_thp_anon_bytes $g "$TMP/b2.prom")" = 0
done
echo "phase B: saved=$(mib "$(value ksm_saved_bytes "$TMP/b2.prom")")" \
     "thp_guests=$(finding thp_guests "$TMP/b2.prom")" \
     "opted_out=$(finding opted_out "$TMP/b2.prom")"
check "B: thp_guests finding is 0" test "$(finding thp_guests "$TMP/b2.prom")" = 0
check "B: the mem-merge=off guest is listed, not mergeable" \
    test "$(pvalue ksm_process_mergeable ksmit-nomerge "$TMP/b2.prom")" = 0
check "B: opted_out finding is 1" test "$(finding opted_out "$TMP/b2.prom")" = 1
report B
stop_exporter

# --- C: Debian's ksmtuned, predicted and then run --------------------------------
total=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
# tuned_conf CASE COEF CONST: the config file, every setting the script reads.
tuned_conf() {
    cat >"$CONF" <<CONFIG
KSM_MONITOR_INTERVAL=2
KSM_NPAGES_BOOST=432
KSM_NPAGES_DECAY=-50
KSM_NPAGES_MIN=64
KSM_NPAGES_MAX=1250
KSM_SLEEP_MSEC=10
KSM_THRES_COEF=$2
KSM_THRES_CONST=$3
DEBUG=1
LOGFILE=$TMP/ksmtuned-$1.log
CONFIG
}
# action FILE: the next_action series that is 1.
action() { sed -n 's/^ksm_ksmtuned_next_action{action="\([a-z]*\)"} 1$/\1/p' "$1"; }

# tuned CASE COEF CONST EXPECTED: predicts ksmtuned's first check with CONF,
# runs it and compares what it logged and wrote with the prediction.
tuned() {
    local c=$1 expected=$4 log=$TMP/ksmtuned-$1.log p
    tuned_conf "$@"
    echo 1000 >"$KSM/pages_to_scan"
    echo 1 >"$KSM/run"
    start_exporter "pre-$c" --path.procfs=/proc --collector.process || return 1
    scrape "pre-$c"
    stop_exporter
    p=$TMP/pre-$c.prom
    local pa pn pc ps
    pa=$(action "$p")
    pn=$(value ksm_ksmtuned_next_pages_to_scan "$p")
    pc=$(value ksm_ksmtuned_committed_bytes "$p")
    ps=$(value ksm_ksmtuned_next_sleep_seconds "$p")
    check "C/$c: the prediction is $expected (got '$pa')" test "$pa" = "$expected"
    check "C/$c: ksmtuned counts no committed memory ($pc)" test "$pc" = 0
    check "C/$c: yet the guests are resident" \
        gt "$(value ksm_guest_resident_bytes "$p")" $((MIB * 1048576))

    PIDFILE=$TMP/ksmtuned.pid /usr/sbin/ksmtuned
    TUNED=$(cat "$TMP/ksmtuned.pid")
    # A new exporter finds the running ksmtuned at once.
    start_exporter "run-$c" --path.procfs=/proc --collector.process || return 1
    scrape "run-$c"
    stop_exporter
    p=$TMP/run-$c.prom
    check "C/$c: ksmtuned is seen running" test "$(value ksm_ksmtuned_running "$p")" = 1
    check "C/$c: ksmtuned_blind finding is 1" test "$(finding ksmtuned_blind "$p")" = 1
    [ "$expected" = stop ] &&
        check "C/$c: ksmtuned_stops finding is 1" test "$(finding ksmtuned_stops "$p")" = 1

    for _ in $(seq 100); do
        grep -qE 'KSMCTL start|stop ksm' "$log" 2>/dev/null && break
        sleep 0.1
    done
    local run scan sleep_ms la lc
    run=$(cat "$KSM/run") scan=$(cat "$KSM/pages_to_scan")
    sleep_ms=$(cat "$KSM/sleep_millisecs")
    # The report while this ksmtuned runs (it checks again meanwhile).
    [ "$c" = stop ] && report C
    stop_ksmtuned
    lc=$(sed -n 's/.*: committed \([0-9]*\) free.*/\1/p' "$log" | head -1)
    la=$(grep -oE 'stop ksm|boost$|decay$' "$log" | head -1)
    la=${la% ksm}
    echo "phase C/$c: predicted action=$pa pages_to_scan=$pn sleep=${ps}s committed=${pc}B;" \
         "ksmtuned logged action=${la:-none} committed=${lc:-none}kB," \
         "wrote run=$run pages_to_scan=$scan sleep_millisecs=$sleep_ms"
    sed 's/^/  ksmtuned.log: /' "$log"
    check "C/$c: ksmtuned did what was predicted ($la)" test "$la" = "$pa"
    check "C/$c: ksmtuned logged committed 0" test "$lc" = 0
    check "C/$c: pages_to_scan as predicted ($scan)" test "$scan" = "$pn"
    if [ "$pa" = stop ]; then
        check "C/$c: KSM stopped" test "$run" = 0
    else
        check "C/$c: KSM running" test "$run" = 1
        check "C/$c: sleep_millisecs as predicted ($sleep_ms)" \
            awk -v a="$sleep_ms" -v b="$ps" 'BEGIN { exit !(a == b * 1000) }'
    fi
}
# A threshold above MemTotal: KSM must run, and free memory is below it.
tuned boost 20 $((total * 2)) boost
# 1% of MemTotal: the guests go unseen, so ksmtuned stops KSM (checked first:
# that much memory is free).
free_kb=$(awk '/^(MemFree|Buffers|Cached):/ { f += $2 } END { print f }' /proc/meminfo)
if [ "$free_kb" -gt $((total * 2 / 100)) ]; then
    tuned stop 1 2048 stop
else
    echo "phase C: under 2% of memory is free: the stop case is left out"
fi
finish
