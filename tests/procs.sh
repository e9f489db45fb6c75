# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared by the integration tests and the benchmarks; sourced, not run:
# ports, and a process's CPU time and memory.

# free_port [FROM]: the first port from FROM (20000) on that nothing
# listens on right now.
free_port() {
    local p=${1:-20000}
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
    echo "$p"
}

# wait_port PORT: waits up to 5 s for /metrics to answer there.
wait_port() {
    local i
    for i in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$1/metrics" && return 0
        sleep 0.05
    done
    return 1
}

# cpu_ticks PID: the process's user and system time, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# cpu_ns PID: the CPU time of all of the process's threads, in ns.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }

# hwm_kb, pss_kb, uss_kb PID: peak RSS, PSS and USS (Private_Clean +
# Private_Dirty) in kB.
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
pss_kb() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup"; }
uss_kb() { awk '/^Private_(Clean|Dirty):/ { n += $2 } END { print n }' "/proc/$1/smaps_rollup"; }
