#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Basic auth under attack: bcrypt runs beside the HTTP thread, so scrapes with
# cached credentials are answered while checks run; reload and shutdown with
# checks waiting; slow clients are dropped.  Figures, not timings, decide.
# Usage: exporter_flood.sh KSM_EXPORTER FIXTURES_DIR BCRYPT_HASH AUTH_FLOOD
set -u
EXPORTER=$1 FIXTURES=$2 BCRYPT=$3 FLOOD=$4
. "$(dirname "$0")/lib.sh"

# field NAME LINE: the value of NAME=... in auth_flood's output line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }
url() { echo "http://127.0.0.1:$PORT/metrics"; }

# Cost 14: one check takes most of a second, long enough to be seen.
printf 'basic_auth_users:\n  prom: "%s"\n' "$("$BCRYPT" secret 14)" >"$TMP/web.yml"
start_exporter flood --path.sysfs="$FIXTURES/typical" --no-collector.process \
    --path.procfs="$FIXTURES/does-not-exist" --web.config.file="$TMP/web.yml" || exit 1

# One wrong password is checked (~1 s) while cached scrapes go on.  With
# bcrypt on the HTTP thread, at most one scrape could finish meanwhile.
out=$("$FLOOD" "$PORT" 10 inflight prom secret)
echo "$out"
check "the wrong password is refused" test "$(field inflight_status "$out")" = 401
check "cached scrapes all succeed meanwhile" test "$(field ok "$out")" = "$(field scrapes "$out")"
check "10+ cached scrapes during one check" test "$(field scrapes "$out")" -ge 10

# 20 addresses flood wrong passwords: every scrape succeeds, every flood
# request gets 401 or 503, none waits past the 15 s client timeout.  (Whether
# the queue fills depends on the machine's bcrypt speed: test_auth_queue
# checks the 503 of a full queue.)
out=$("$FLOOD" "$PORT" 4 password prom secret)
echo "$out"
check "scrapes during the flood all succeed" test "$(field ok "$out")" = "$(field scrapes "$out")"
check "20+ scrapes during the flood" test "$(field scrapes "$out")" -ge 20
check "flood answered 401/503 only" test "$(field attack_other "$out")" = 0
check "no flood request hangs" test "$(field attack_hung "$out")" = 0
sleep 3 # the checks still queued finish; budgets refill

# wrong_passwords TAG: 6 wrong passwords from 6 addresses, in the background;
# their statuses land in $TMP/TAG.N.
wrong_passwords() {
    local i
    CURLS=()
    for i in 2 3 4 5 6 7; do
        curl -s -o /dev/null -w '%{http_code}' --max-time 15 --interface "127.0.0.$((i + 40))" \
            -u "prom:nope$i" "$(url)" >"$TMP/$1.$i" &
        CURLS+=($!)
    done
    sleep 0.3
}
answered() { # TAG ALLOWED-REGEX: every status of TAG matches
    local f
    for f in "$TMP/$1".*; do grep -qE "^($2)$" "$f" || { echo "$f: $(cat "$f")"; return 1; }; done
}

wrong_passwords hup
kill -HUP "$PID"
wait "${CURLS[@]}"
check "checks waiting at a reload are answered" answered hup '401|503'
check "the reloaded server scrapes" test "$(curl -s -o /dev/null -w '%{http_code}' -u prom:secret "$(url)")" = 200

# A client sending a header line every 2 s: only the request bound stops it.
slow_closed_after() {
    python3 - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(2)
t0 = time.monotonic()
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
while time.monotonic() - t0 < 20:
    try:
        if s.recv(100) == b"":
            break
    except socket.timeout:
        try:
            s.sendall(b"X-Slow: 1\r\n")
        except OSError:
            break
    except OSError:
        break
print(int(time.monotonic() - t0))
PY
}
took=$(slow_closed_after)
check "a slow request is dropped after 10 s (took $took s)" test "$took" -ge 9 -a "$took" -le 13

# 1,000 slow connections from 64 addresses: scrapes still get through.
out=$("$FLOOD" "$PORT" 5 slow prom secret)
echo "$out"
check "scrapes among slow clients all succeed" test "$(field ok "$out")" = "$(field scrapes "$out")"
check "20+ scrapes among slow clients" test "$(field scrapes "$out")" -ge 20
# A scraper that takes 200 ms to send its request (a WAN, a TLS handshake)
# is not the one evicted: the flood's addresses hold more than their share.
out=$("$FLOOD" "$PORT" 5 slow prom secret 200)
echo "slow clients, scraper sending after 200 ms: $out"
check "slow-sending scrapes among slow clients all succeed" \
    test "$(field ok "$out")" = "$(field scrapes "$out")"
check "10+ slow-sending scrapes among slow clients" test "$(field scrapes "$out")" -ge 10

# Shutdown with checks waiting: prompt, clean exit.
wrong_passwords term
start=$SECONDS
stop_exporter
check "exits 0 with checks waiting" test $? = 0
check "exits within 5 s" test $((SECONDS - start)) -le 5
wait "${CURLS[@]}"
finish
