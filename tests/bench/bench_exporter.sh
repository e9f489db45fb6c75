#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ksm_exporter against node_exporter (ksmd collector only) and against the
# floor (a bare libmicrohttpd server that preads the same files and sends a
# body of the same size), all on the real /sys, driven in turn by wrk in one
# run.  Prints one table and the ratios.
# Usage: bench_exporter.sh KSM_EXPORTER FLOOR_SERVER [SECONDS]
set -u
EXPORTER=$1 FLOOR=$2 SECS=${3:-5}
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
p=$(free_port $((p + 1)))
add ours+proc "$p" "$EXPORTER" --web.listen-address="127.0.0.1:$p" \
    --path.sysfs="$SYSFS" --log.level=error
body=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:${ports[0]}/metrics")
ksmd=$(pgrep -x ksmd | head -1)
p=$(free_port $((p + 1)))
add floor "$p" "$FLOOR" "$p" "$body" "$SYSFS" /proc/vmstat \
    ${ksmd:+/proc/$ksmd/stat} /proc/self/stat
if [ -n "$NODE" ]; then
    p=$(free_port $((p + 1)))
    add node "$p" "$NODE" --collector.disable-defaults --collector.ksmd \
        --path.sysfs="$SYSFS" --web.listen-address="127.0.0.1:$p" \
        --log.level=error
else
    echo "prometheus-node-exporter is not installed: no comparison with it"
fi

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

echo "ours: ksm_exporter --no-collector.process (the same work as node's ksmd collector)"
echo "ours+proc: ksm_exporter as installed, with the per-process scan of $(ls -d /proc/[0-9]* | wc -l) processes"
echo
printf '%-20s %-10s %10s %9s %9s %13s\n' "case" "who" "req/s" "p50" "p99" "CPU-ms/1000"
declare -A res
ratio() { # label a b -> a/b
    awk -v a="$2" -v b="$3" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
}
for conns in 1 32; do
    for gzip in no yes; do
        label="c=$conns gzip=$gzip"
        for i in "${!names[@]}"; do
            # The floor has no gzip: it always sends the plain body.
            [ "${names[$i]}" = floor ] && [ "$gzip" = yes ] && continue
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
        if [ "$gzip" = no ]; then
            read -r f_rps _ _ f_cpu <<<"${res[$label,floor]}"
            printf '%-20s %-10s %9sx %9s %9s %12sx\n' "$label" "ours/floor" \
                "$(ratio x "$o_rps" "$f_rps")" "" "" "$(ratio x "$o_cpu" "$f_cpu")"
        fi
    done
done
echo
for i in "${!names[@]}"; do
    plain=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:${ports[$i]}/metrics")
    gz=$(curl -s -o /dev/null -w '%{size_download}' -H 'Accept-Encoding: gzip' "http://127.0.0.1:${ports[$i]}/metrics")
    printf '%-10s peak RSS %6d kB   body %6d bytes, %6d with gzip\n' "${names[$i]}" \
        "$(hwm_kb "${pids[$i]}")" "$plain" "$gz"
done
if [ -n "$NODE" ]; then
    echo "peak RSS ours/node: 1/$(ratio x "$(hwm_kb "${pids[3]}")" "$(hwm_kb "${pids[0]}")")"
fi
# Idle: no CPU at all between scrapes.
t0=$(cpu_ticks "${pids[0]}")
sleep 3
t1=$(cpu_ticks "${pids[0]}")
echo "idle: ours used $((t1 - t0)) clock ticks in 3 s without scrapes"
