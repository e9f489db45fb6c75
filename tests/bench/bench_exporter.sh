#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ksm_exporter against node_exporter (ksmd collector only) and against the
# floor (a bare libmicrohttpd server that preads the same files as a scrape
# and sends the same body, gzipped by the same rule), all on the real /sys, driven
# in turn by wrk in one run.  Prints one table, the ratios, and the memory of
# each: peak RSS, PSS and USS (Private_Clean + Private_Dirty) while serving.
# With BENCH_GZIP set to bench_gzip, it first compares the gzip compressors
# on the exporter's body.
# Usage: bench_exporter.sh KSM_EXPORTER FLOOR_SERVER [SECONDS]
set -u
. "$(dirname "$0")/../procs.sh"
EXPORTER=$1 FLOOR=$2 SECS=${3:-5}
BENCH_GZIP=${BENCH_GZIP:-}
SYSFS=${SYSFS:-/sys}
NODE=$(command -v prometheus-node-exporter || true)
TMP=$(mktemp -d /tmp/ksm-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"' EXIT
TICK=$(getconf CLK_TCK)


names=() pids=() ports=()
add() { # NAME PORT COMMAND...
    local name=$1 port=$2; shift 2
    "$@" &
    local pid=$!
    PIDS+=("$pid")
    wait_port "$port" || { echo "$name did not start"; exit 1; }
    names+=("$name"); pids+=("$pid"); ports+=("$port")
}

p=$(free_port 31000)
add ours "$p" "$EXPORTER" --web.listen-address="127.0.0.1:$p" \
    --path.sysfs="$SYSFS" --no-collector.process --log.level=error
# A copy of its own: two processes mapping one executable would share its
# pages, and neither would count them in its USS as it does when alone.
cp "$EXPORTER" "$TMP/ksm_exporter"
p=$(free_port $((p + 1)))
add ours+proc "$p" "$TMP/ksm_exporter" --web.listen-address="127.0.0.1:$p" \
    --path.sysfs="$SYSFS" --log.level=error
curl -s -o "$TMP/body.prom" "http://127.0.0.1:${ports[0]}/metrics"
ksmd=$(pgrep -x ksmd | head -1)
p=$(free_port $((p + 1)))
# Every file a scrape of ours reads: the KSM files, THP's modes, the NUMA
# nodes, vmstat, meminfo, ksmd's and its own stat.
extra=()
for f in "$SYSFS/kernel/mm/transparent_hugepage/enabled" \
    "$SYSFS/kernel/mm/transparent_hugepage/defrag" \
    "$SYSFS/devices/system/node/has_memory"; do
    [ -r "$f" ] && extra+=("$f")
done
add floor "$p" "$FLOOR" "$p" "$TMP/body.prom" "$SYSFS" "${extra[@]}" \
    /proc/vmstat /proc/meminfo ${ksmd:+/proc/$ksmd/stat} /proc/self/stat
if [ -n "$NODE" ]; then
    p=$(free_port $((p + 1)))
    add node "$p" "$NODE" --collector.disable-defaults --collector.ksmd \
        --path.sysfs="$SYSFS" --web.listen-address="127.0.0.1:$p" \
        --log.level=error
else
    echo "prometheus-node-exporter is not installed: no comparison with it"
fi
# A body that is always gzipped (over 14,000 bytes whatever this host
# runs): ours with the fake procfs's processes listed, and the floor
# sending that body.
cp "$EXPORTER" "$TMP/ksm_exporter_big"
p=$(free_port $((p + 1)))
add ours+fake "$p" "$TMP/ksm_exporter_big" --web.listen-address="127.0.0.1:$p" \
    --path.sysfs="$SYSFS" --path.procfs="$(dirname "$0")/../fixtures/procfs/typical" \
    --log.level=error
curl -s -o "$TMP/big.prom" "http://127.0.0.1:$p/metrics"
p=$(free_port $((p + 1)))
add floor+fake "$p" "$FLOOR" "$p" "$TMP/big.prom" "$SYSFS" "${extra[@]}" \
    /proc/vmstat /proc/meminfo ${ksmd:+/proc/$ksmd/stat} /proc/self/stat

# run PID PORT CONNS GZIP: one wrk run; prints "rps p50 p99 cpu_ms_per_1000"
run() {
    local pid=$1 port=$2 conns=$3 gzip=$4 t0 t1 out reqs rps p50 p99
    local hdr=()
    [ "$gzip" = yes ] && hdr=(-H 'Accept-Encoding: gzip')
    t0=$(cpu_ticks "$pid")
    out=$(wrk -t1 -c"$conns" -d"${SECS}s" --latency "${hdr[@]}" "http://127.0.0.1:$port/metrics")
    t1=$(cpu_ticks "$pid")
    reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
    rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' <<<"$out")
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    awk -v r="$rps" -v a="$p50" -v b="$p99" -v d=$((t1 - t0)) -v n="$reqs" -v tk="$TICK" \
        'BEGIN { printf "%s %s %s %.1f\n", r, a, b, (n > 0 ? d / tk / n * 1e6 : 0) }'
}

if [ -n "$BENCH_GZIP" ]; then
    "$BENCH_GZIP" "$TMP/body.prom"
    echo
fi
echo "ours: ksm_exporter --no-collector.process (the same work as node's ksmd collector)"
echo "ours+proc: ksm_exporter as installed, with the per-process scan of $(find /proc -maxdepth 1 -name "[0-9]*" | wc -l) processes"
echo "ours+fake: ksm_exporter listing the fake procfs's processes (a $(stat -c %s "$TMP/big.prom")-byte body, always gzipped);"
echo "floor+fake: the floor sending that body"
echo
printf '%-20s %-10s %10s %9s %9s %13s\n' "case" "who" "req/s" "p50" "p99" "CPU-ms/1000"
declare -A res
mem1=()
ratio() { # label a b -> a/b
    awk -v a="$2" -v b="$3" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
}
for conns in 1 32; do
    for gzip in no yes; do
        label="c=$conns gzip=$gzip"
        for i in "${!names[@]}"; do
            r=$(run "${pids[$i]}" "${ports[$i]}" "$conns" "$gzip")
            res[$label,${names[$i]}]=$r
            read -r rps p50 p99 cpu <<<"$r"
            printf '%-20s %-10s %10s %9s %9s %13s\n' "$label" "${names[$i]}" "$rps" "$p50" "$p99" "$cpu"
        done
        read -r o_rps _ _ o_cpu <<<"${res[$label,ours]}"
        if [ -n "$NODE" ]; then
            read -r n_rps _ _ n_cpu <<<"${res[$label,node]}"
            printf '%-20s %-10s %9sx %9s %9s %12sx\n' "$label" "ours/node" \
                "$(ratio x "$o_rps" "$n_rps")" "" "" "$(ratio x "$o_cpu" "$n_cpu")"
        fi
        for pair in ours/floor ours+fake/floor+fake; do
            read -r a_rps _ _ a_cpu <<<"${res[$label,${pair%/*}]}"
            read -r f_rps _ _ f_cpu <<<"${res[$label,${pair#*/}]}"
            printf '%-20s %-10s %9sx %9s %9s %12sx\n' "$label" "$pair" \
                "$(ratio x "$a_rps" "$f_rps")" "" "" "$(ratio x "$a_cpu" "$f_cpu")"
        done
        if [ "$gzip" = yes ]; then
            for who in ours ours+proc ours+fake floor+fake; do
                read -r _ _ _ g_cpu <<<"${res[$label,$who]}"
                read -r _ _ _ p_cpu <<<"${res[c=$conns gzip=no,$who]}"
                printf '%-20s %-10s %10s %9s %9s %12sx\n' "$label" "gzip/plain" \
                    "$who" "" "" "$(ratio x "$g_cpu" "$p_cpu")"
            done
        fi
    done
    # Memory as Prometheus leaves it: scraped over one kept-alive connection.
    if [ "$conns" = 1 ]; then
        for i in "${!names[@]}"; do
            mem1[i]="$(pss_kb "${pids[$i]}") $(uss_kb "${pids[$i]}")"
        done
    fi
done
echo
echo "Bodies under 14000 bytes go plain even when gzip is asked for (see body.h)."
echo "PSS and USS (Private_Clean + Private_Dirty of smaps_rollup) after the c=1 runs;"
echo "USS again after the c=32 runs, which leave more behind (connection memory)."
printf '%-10s %9s %9s %9s %13s %11s %9s\n' "who" "peak RSS" "PSS" "USS" "USS c=32" \
    "body bytes" "gzipped"
for i in "${!names[@]}"; do
    plain=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:${ports[$i]}/metrics")
    gz=$(curl -s -o /dev/null -w '%{size_download}' -H 'Accept-Encoding: gzip' "http://127.0.0.1:${ports[$i]}/metrics")
    read -r pss uss <<<"${mem1[$i]}"
    printf '%-10s %6d kB %6d kB %6d kB %10d kB %11d %9d\n' "${names[$i]}" \
        "$(hwm_kb "${pids[$i]}")" "$pss" "$uss" "$(uss_kb "${pids[$i]}")" "$plain" "$gz"
done
if [ -n "$NODE" ]; then
    echo "peak RSS ours/node: 1/$(ratio x "$(hwm_kb "${pids[3]}")" "$(hwm_kb "${pids[0]}")")," \
        "USS ours/node: 1/$(ratio x "$(uss_kb "${pids[3]}")" "$(uss_kb "${pids[0]}")")"
fi
# Idle: no CPU at all between scrapes.
t0=$(cpu_ticks "${pids[0]}")
sleep 3
t1=$(cpu_ticks "${pids[0]}")
echo "idle: ours used $((t1 - t0)) clock ticks in 3 s without scrapes"
