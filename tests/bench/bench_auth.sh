#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# An authorized scrape's latency (cached credentials, a new connection each,
# one every 10 ms) alone, during a flood of wrong passwords from 20 addresses
# at bcrypt cost 10 and 12, and among 1,000 slow connections from 64
# addresses.  Prints one table.
# Usage: bench_auth.sh KSM_EXPORTER BCRYPT_HASH AUTH_FLOOD [SECONDS]
set -u
. "$(dirname "$0")/../procs.sh"
EXPORTER=$1 BCRYPT=$2 FLOOD=$3 SECS=${4:-10}
SYSFS=${SYSFS:-/sys}
TMP=$(mktemp -d /tmp/ksm-bench.XXXXXX)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

# start COST: an exporter whose one user's hash has that cost.
start() {

    printf 'basic_auth_users:\n  prom: "%s"\n' "$("$BCRYPT" secret "$1")" >"$TMP/web.yml"
    PORT=$(free_port 21000)
    "$EXPORTER" --web.listen-address="127.0.0.1:$PORT" --path.sysfs="$SYSFS" \
        --no-collector.process --web.config.file="$TMP/web.yml" --log.level=error &
    PID=$!
    for _ in $(seq 200); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" = 401 ] && return 0
        sleep 0.05
    done
    echo "the exporter did not start"
    exit 1
}
stop() { kill "$PID"; wait "$PID"; PID=; }

# row COST MODE LABEL [DELAY_MS]: one line of the table, from auth_flood's
# figures; DELAY_MS is how long each scrape waits before sending (a WAN).
row() {
    local out what
    out=$("$FLOOD" "$PORT" "$SECS" "$2" prom secret "${4:-0}") || exit 1
    case $2 in
    none) what=- ;;
    password) what="401: $(field attack_401 "$out"), 503: $(field attack_503 "$out"), other: $(field attack_other "$out"), slowest $(field attack_max_ms "$out") ms" ;;
    slow) what="$(field slow_connects "$out") slow connections opened" ;;
    esac
    printf '%-4s %-27s %9s %7s %7s %8s  %s\n' "$1" "$3" \
        "$(field ok "$out")/$(field scrapes "$out")" "$(field p50_ms "$out")" \
        "$(field p99_ms "$out")" "$(field max_ms "$out")" "$what"
}

printf '%-4s %-27s %9s %7s %7s %8s  %s\n' cost attack "200/all" "p50 ms" \
    "p99 ms" "max ms" "the attack's answers"
for cost in 10 12; do
    start "$cost"
    row "$cost" none "none"
    row "$cost" password "wrong passwords, 20 addrs"
    stop
done
start 10
row 10 none "none"
row 10 slow "1,000 slow conns, 64 addrs"
row 10 none "none, scrape sends after 100ms" 100
row 10 slow "slow conns, scrape after 100ms" 100
stop
