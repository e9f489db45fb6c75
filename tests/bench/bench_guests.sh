#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The exporter's cost with real QEMU guests listed: three diskless TCG guests
# started without THP (so that KSM merges them) and merged, then
#  - the scrape cost under wrk, with and without the process scan;
#  - the THP cadence: the same exporter with --collector.process.thp-interval
#    1s and the default 60s, scraped once a second side by side, in CPU per
#    scrape and as a ratio;
#  - the run time of `ksm_exporter --report`.
# Prints figures only.  Needs root, a writable KSM and qemu-system-x86_64;
# otherwise it says SKIP.  KSM's settings are restored in a trap.
# Usage: bench_guests.sh KSM_EXPORTER NOTHP [SECONDS]
set -u
. "$(dirname "$0")/../procs.sh"
EXPORTER=$1 NOTHP=$2 SECS=${3:-4}
KSM=/sys/kernel/mm/ksm
if [ "$(id -u)" -ne 0 ] || [ ! -w "$KSM/run" ]; then
    echo "bench_guests: SKIP: needs root and a writable $KSM/run"
    exit 0
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
    echo "bench_guests: SKIP: no qemu-system-x86_64 (make test-deps installs it)"
    exit 0
fi
TMP=$(mktemp -d /tmp/ksm-bench-guests.XXXXXX)
PIDS=()
GUESTS=(bench-a bench-b bench-c)
orig_run=$(cat "$KSM/run")
orig_scan=$(cat "$KSM/pages_to_scan")
orig_sleep=$(cat "$KSM/sleep_millisecs")
restore() {
    local g p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for g in "${GUESTS[@]}"; do
        [ -f "$TMP/$g.pid" ] && kill "$(cat "$TMP/$g.pid")" 2>/dev/null
    done
    wait 2>/dev/null
    sleep 0.5
    if [ "$orig_run" != 1 ]; then
        # Unmerge what this test merged before stopping as before.
        echo 2 >"$KSM/run"; sleep 1
    fi
    # Also when it was 1: a step since may have written another value.
    echo "$orig_run" >"$KSM/run"
    echo "$orig_scan" >"$KSM/pages_to_scan"
    echo "$orig_sleep" >"$KSM/sleep_millisecs"
    rm -rf "$TMP"
}
trap restore EXIT

for g in "${GUESTS[@]}"; do
    "$NOTHP" qemu-system-x86_64 -name "guest=$g,debug-threads=on" -accel tcg -m 256 \
        -machine pc,mem-merge=on -display none -nodefaults -serial none -monitor none \
        -daemonize -pidfile "$TMP/$g.pid" -mem-prealloc ||
        { echo "bench_guests: SKIP: qemu cannot boot a guest here"; exit 0; }
done
# Merge them: about 3 x 65,000 pages; then stop ksmd so that it does not
# compete with the exporter for the CPU (merged pages stay merged).
echo 1000 >"$KSM/pages_to_scan"
echo 20 >"$KSM/sleep_millisecs"
echo 1 >"$KSM/run"
t0=$SECONDS
while [ "$(cat "$KSM/pages_sharing")" -lt 150000 ] && [ $((SECONDS - t0)) -lt 40 ]; do
    sleep 0.5
done
echo 0 >"$KSM/run"
echo "3 guests of 256 MiB merged in $((SECONDS - t0)) s: pages_sharing $(cat "$KSM/pages_sharing")," \
     "$(find /proc -maxdepth 1 -name "[0-9]*" | wc -l) processes on this host"

names=() pids=() ports=()
add() { # NAME ARGS...
    local name=$1 port pid
    shift
    port=$(free_port $((32000 + ${#names[@]} * 10)))
    "$EXPORTER" --web.listen-address="127.0.0.1:$port" --log.level=error "$@" &
    pid=$!
    PIDS+=("$pid")
    wait_port "$port" || { echo "$name did not start"; exit 1; }
    names+=("$name"); pids+=("$pid"); ports+=("$port")
}
add noproc --no-collector.process
add thp60s
add thp1s --collector.process.thp-interval=1s
listed=$(curl -s "http://127.0.0.1:${ports[2]}/metrics" |
    grep -c '^ksm_process_merging_pages{.*vm="bench-[abc]"}')
body=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:${ports[2]}/metrics")
echo "guests listed in a scrape: $listed of 3; body $body bytes"

# Full speed: wrk, one connection, SECS seconds each.
echo
printf '%-8s %9s %10s %12s %14s\n' who scrapes req/s "us/scrape" "CPU-us/scrape"
for i in "${!names[@]}"; do
    c0=$(cpu_ns "${pids[$i]}")
    out=$(wrk -t1 -c1 -d"${SECS}s" "http://127.0.0.1:${ports[$i]}/metrics")
    c1=$(cpu_ns "${pids[$i]}")
    n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
    rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' <<<"$out")
    awk -v w="${names[$i]}" -v n="$n" -v r="$rps" -v c=$((c1 - c0)) 'BEGIN {
        printf "%-8s %9d %10.0f %12.1f %14.1f\n", w, n, r, 1e6 / r, c / 1000 / n }'
done

# Once a second, as Prometheus scrapes: with 1s every scrape reads the
# three guests' smaps_rollup, with 60s almost never.  The first round
# (every guest unread in both) is left out.
ROUNDS=${ROUNDS:-10}
declare -A sum
sum[thp60s]=0 sum[thp1s]=0
for r in $(seq 0 "$ROUNDS"); do
    for i in 1 2; do
        c0=$(cpu_ns "${pids[$i]}")
        curl -s -o /dev/null "http://127.0.0.1:${ports[$i]}/metrics"
        c1=$(cpu_ns "${pids[$i]}")
        [ "$r" -gt 0 ] && sum[${names[$i]}]=$((sum[${names[$i]}] + c1 - c0))
    done
    sleep 1
done
echo
awk -v a="${sum[thp1s]}" -v b="${sum[thp60s]}" -v n="$ROUNDS" 'BEGIN {
    a /= n * 1000; b /= n * 1000
    printf "one scrape a second, %d scrapes: CPU %.1f us/scrape with thp-interval 1s, %.1f with 60s;\n", n, a, b
    printf "ratio 1s/60s %.2f; about %.1f us per smaps_rollup read of a 256 MiB guest\n", a / b, (a - b) / 3 }'

if "$EXPORTER" --help 2>&1 | grep -q -- '--report.format'; then
    echo
    for f in text json; do
        TIMEFORMAT='%R %U %S'
        { time "$EXPORTER" --report --report.interval=1s --report.format=$f \
            >/dev/null 2>&1; } 2>"$TMP/time"
        read -r wall user sys <"$TMP/time"
        awk -v f=$f -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN {
            printf "--report --report.format=%s --report.interval=1s: %.2f s wall, %.0f ms CPU\n",
                f, w, (u + s) * 1000 }'
    done
else
    echo "no --report in this exporter"
fi
