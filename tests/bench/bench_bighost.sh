#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A big host, simulated: bighost holds GUESTS processes that look like QEMU
# guests (libvirt's command line, a 1 GiB mapping asked to merge, MIB MiB of
# it written in 4 KiB pages) and OTHERS idle processes.  Prints what the
# reads on their own cadence cost (bench_cadence), then, for ksm_exporter
# scraped one request at a time with and without the per-process scan:
# wall and CPU time per scrape, CPU per process examined, series per scrape
# and body sizes.
# Usage: bench_bighost.sh KSM_EXPORTER BIGHOST BENCH_CADENCE [GUESTS OTHERS MIB]
set -u
. "$(dirname "$0")/../procs.sh"
EXPORTER=$1 BIGHOST=$2 CADENCE=$3
GUESTS=${4:-200} OTHERS=${5:-20000} MIB=${6:-16}
SCRAPES=${SCRAPES:-40}
TMP=$(mktemp -d /tmp/ksm-bighost-bench.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    exec 4>&- # bighost's standard input: its processes end with it
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT


# One descriptor per process file kept between scans: room for them, if the
# hard limit allows (a systemd service's is 524288).
ulimit -n "$(ulimit -Hn)"
if [ "$(cat /proc/sys/kernel/pid_max)" -lt $((GUESTS + OTHERS + 1000)) ]; then
    echo "kernel.pid_max is below $((GUESTS + OTHERS + 1000)): fewer processes"
    OTHERS=$(($(cat /proc/sys/kernel/pid_max) - GUESTS - 1000))
fi
mkfifo "$TMP/hold"
"$BIGHOST" "$GUESTS" "$OTHERS" "$MIB" <"$TMP/hold" >"$TMP/ready" &
exec 4>"$TMP/hold"
for _ in $(seq 600); do
    grep -q ready "$TMP/ready" 2>/dev/null && break
    sleep 0.2
done
grep -q ready "$TMP/ready" || { echo "bighost did not start"; exit 1; }
nprocs=$(find /proc -maxdepth 1 -name "[0-9]*" | wc -l)
echo "big host: $GUESTS guests ($MIB MiB written of 1 GiB each) and $OTHERS other" \
    "processes; $nprocs in all"
lim=$(ulimit -n)
[ "$lim" -ge 2048 ] && keep=$((lim - 1024)) || keep=$((lim / 2))
echo "open-file limit $lim: the scan keeps at most $keep descriptors, two per" \
    "process and three per guest"
echo
"$CADENCE"
echo

# scrape PORT: one gzip scrape; prints its time in microseconds, as curl
# measured it from the connection's start.
scrape() {
    curl -s -o /dev/null -w '%{time_total}' -H 'Accept-Encoding: gzip' \
        "http://127.0.0.1:$1/metrics" | awk '{ printf "%.0f\n", $1 * 1e6 }'
}

printf '%-14s %9s %9s %8s %7s %10s %8s %9s %8s\n' "exporter" "wall us" "CPU us" \
    "us/proc" "series" "body bytes" "gzipped" "peak RSS" "USS"
base_cpu=0
for mode in no-process process; do
    args=()
    [ "$mode" = no-process ] && args=(--no-collector.process)
    port=$(free_port 31500)
    "$EXPORTER" --web.listen-address="127.0.0.1:$port" --log.level=error \
        "${args[@]}" &
    pid=$!
    PIDS+=("$pid")
    wait_port "$port" || { echo "ksm_exporter did not start"; exit 1; }
    scrape "$port" >/dev/null
    walls=()
    c0=$(cpu_ns "$pid")
    for _ in $(seq "$SCRAPES"); do walls+=("$(scrape "$port")"); done
    c1=$(cpu_ns "$pid")
    curl -s -o "$TMP/body" "http://127.0.0.1:$port/metrics"
    gz=$(curl -s -D "$TMP/headers" -o /dev/null -w '%{size_download}' \
        -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/metrics")
    grep -qi '^Content-Encoding: gzip' "$TMP/headers" || gz=plain
    examined=$(awk '$1 == "ksm_process_scan_examined" { print $2 }' "$TMP/body")
    series=$(grep -vc '^#' "$TMP/body")
    wall=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    cpu=$(((c1 - c0) / SCRAPES / 1000))
    [ "$mode" = no-process ] && base_cpu=$cpu
    # us/proc: what the scan adds to a scrape, per process examined.
    awk -v m="$mode" -v w="$wall" -v cpu="$cpu" -v base="$base_cpu" \
        -v e="${examined:-0}" -v s="$series" -v b="$(stat -c %s "$TMP/body")" -v g="$gz" \
        -v r="$(hwm_kb "$pid")" -v u="$(uss_kb "$pid")" \
        'BEGIN { printf "%-14s %9d %9d %8s %7d %10d %8s %6d kB %5d kB\n", m, w, cpu,
                        (e > 0 ? sprintf("%.2f", (cpu - base) / e) : "-"), s, b,
                        g, r, u }'
    kill "$pid"
    wait "$pid" 2>/dev/null
done
echo "(wall: the median of $SCRAPES gzip scrapes one after another; CPU: the" \
    "exporter's mean over them; us/proc: the scan's share, per process examined." \
    "Scrapes back to back read one guest's smaps_rollup each at most; at one" \
    "scrape every 15 s a scrape reads a quarter of them: see the line above.)"
