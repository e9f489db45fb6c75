#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ksm_exporter against node_exporter (ksmd collector only), both on the real
# /sys, driven alternately by wrk in the same run.  Prints one table.
# Usage: bench_exporter.sh KSM_EXPORTER [SECONDS]
set -u
EXPORTER=$1 SECS=${2:-5}
SYSFS=${SYSFS:-/sys}
NODE=$(command -v prometheus-node-exporter || true)
TMP=$(mktemp -d /tmp/ksm-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"' EXIT
TICK=$(getconf CLK_TCK)

free_port() {
    local p=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
    echo "$p"
}
wait_port() {
    local i
    for i in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$1/metrics" && return 0
        sleep 0.05
    done
    return 1
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

ours_port=$(free_port 31000)
"$EXPORTER" --web.listen-address="127.0.0.1:$ours_port" --path.sysfs="$SYSFS" \
    --log.level=error &
ours=$!; PIDS+=("$ours")
wait_port "$ours_port" || { echo "ksm_exporter did not start"; exit 1; }
names=(ours); pids=("$ours"); ports=("$ours_port")
if [ -n "$NODE" ]; then
    node_port=$(free_port 32000)
    "$NODE" --collector.disable-defaults --collector.ksmd \
        --path.sysfs="$SYSFS" --web.listen-address="127.0.0.1:$node_port" \
        --log.level=error 2>/dev/null &
    node=$!; PIDS+=("$node")
    wait_port "$node_port" || { echo "node_exporter did not start"; exit 1; }
    names+=(node); pids+=("$node"); ports+=("$node_port")
else
    echo "prometheus-node-exporter is not installed: ksm_exporter alone"
fi

# run NAME PID PORT CONNS GZIP: one wrk run; prints "rps p50 p99 cpu_ms_per_1000"
run() {
    local pid=$2 port=$3 conns=$4 gzip=$5 t0 t1 out reqs rps p50 p99
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
        'BEGIN { printf "%s %s %s %.3f\n", r, a, b, (n > 0 ? d / tk / n * 1000 * 1000 : 0) }'
}

printf '%-22s %-6s %10s %9s %9s %14s\n' "case" "who" "req/s" "p50" "p99" "CPU-ms/1000"
declare -A res
for conns in 1 32; do
    for gzip in no yes; do
        label="c=$conns gzip=$gzip"
        for i in "${!names[@]}"; do
            r=$(run "${names[$i]}" "${pids[$i]}" "${ports[$i]}" "$conns" "$gzip")
            res[$label,${names[$i]}]=$r
            read -r rps p50 p99 cpu <<<"$r"
            printf '%-22s %-6s %10s %9s %9s %14s\n' "$label" "${names[$i]}" "$rps" "$p50" "$p99" "$cpu"
        done
        if [ -n "$NODE" ]; then
            read -r a _ _ ca <<<"${res[$label,ours]}"
            read -r b _ _ cb <<<"${res[$label,node]}"
            awk -v a="$a" -v b="$b" -v ca="$ca" -v cb="$cb" -v l="$label" \
                'BEGIN { printf "%-22s %-6s %9.1fx %9s %9s %13.3fx\n", l, "ratio", a / b, "", "", ca / cb }'
        fi
    done
done
echo
for i in "${!names[@]}"; do
    plain=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:${ports[$i]}/metrics")
    gz=$(curl -s -o /dev/null -w '%{size_download}' -H 'Accept-Encoding: gzip' "http://127.0.0.1:${ports[$i]}/metrics")
    printf '%-6s peak RSS %6d kB   body %6d bytes, %6d gzipped\n' "${names[$i]}" \
        "$(hwm_kb "${pids[$i]}")" "$plain" "$gz"
done
if [ -n "$NODE" ]; then
    awk -v a="$(hwm_kb "$ours")" -v b="$(hwm_kb "$node")" \
        'BEGIN { printf "peak RSS ratio ours/node: 1/%.1f\n", b / a }'
fi
