#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Soak: 100,000 scrapes against an ASan/LSan build (no leak, no error), and
# against a release build whose resident memory after 100,000 scrapes must
# be within 5% of that after 1,000.  Scrapes alternate text, OpenMetrics and
# gzip.  Usage: soak.sh ASAN_EXPORTER RELEASE_EXPORTER [SCRAPES]
set -u
ASAN=$1 RELEASE=$2 TOTAL=${3:-100000}
TMP=$(mktemp -d /tmp/ksm-soak.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
command -v wrk >/dev/null || { echo "soak needs wrk (make bench installs it)"; exit 1; }
pass=0 fail=0
check() { if "${@:2}"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }

cat >"$TMP/mix.lua" <<'LUA'
local n = 0
request = function()
    n = n + 1
    local h = {}
    if n % 3 == 1 then h["Accept"] = "application/openmetrics-text;version=1.0.0" end
    if n % 3 == 2 then h["Accept-Encoding"] = "gzip" end
    return wrk.format("GET", "/metrics", h)
end
LUA

start() { # binary name -> PID, PORT
    "$1" --web.listen-address=127.0.0.1:0 2>"$TMP/$2.log" &
    PID=$!; PIDS+=("$PID")
    for i in $(seq 200); do
        PORT=$(sed -n 's/.*msg="Listening on" address=[^ ]*:\([0-9]*\) .*/\1/p' "$TMP/$2.log" | head -1)
        [ -n "$PORT" ] && return 0
        sleep 0.05
    done
    cat "$TMP/$2.log"; return 1
}
# drive N: at least N scrapes; prints how many
drive() {
    local want=$1 done=0 out n
    while [ "$done" -lt "$want" ]; do
        out=$(wrk -t1 -c4 -d2s -s "$TMP/mix.lua" "http://127.0.0.1:$PORT/metrics")
        n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
        grep -q 'Non-2xx' <<<"$out" && { echo "non-2xx answers"; return 1; }
        done=$((done + ${n:-0}))
    done
    echo "$done"
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# --- ASan/LSan ---------------------------------------------------------------
start "$ASAN" asan || exit 1
n=$(drive "$TOTAL")
check "ASan build answered $TOTAL scrapes (got $n)" test "${n:-0}" -ge "$TOTAL"
kill -TERM "$PID"; wait "$PID"; rc=$?
check "ASan build exits 0 (LeakSanitizer found nothing; rc $rc)" test "$rc" = 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$TMP/asan.log'"
echo "asan: $n scrapes, exit $rc"

# --- release: memory must not grow ---------------------------------------------
start "$RELEASE" release || exit 1
n1=$(drive 1000)
r1=$(rss_kb "$PID")
n2=$(drive "$TOTAL")
r2=$(rss_kb "$PID")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$PID/status")
echo "release: RSS $r1 kB after $n1 scrapes, $r2 kB after $((n1 + n2)); peak $hwm kB"
check "RSS after $TOTAL within 5% of after 1000 ($r1 -> $r2 kB)" \
    awk -v a="$r1" -v b="$r2" 'BEGIN { exit !(b <= a * 1.05) }'
kill -TERM "$PID"; wait "$PID"
echo "soak: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
