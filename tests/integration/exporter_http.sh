#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ksm_exporter's HTTP behaviour, flags, logging and signals, driven with curl.
# Usage: exporter_http.sh KSM_EXPORTER FIXTURES_DIR
set -u
EXPORTER=$1 FIXTURES=$2
. "$(dirname "$0")/lib.sh"

url() { echo "http://127.0.0.1:$PORT$1"; }
# status METHOD PATH [curl args]: the HTTP status code.
status() { local m=$1 p=$2; shift 2; curl -s -o /dev/null -w '%{http_code}' -X "$m" "$@" "$(url "$p")"; }

# --- routes and methods -----------------------------------------------------
start_exporter routes --path.sysfs="$FIXTURES/typical" --no-collector.process --path.procfs="$FIXTURES/does-not-exist" || exit 1
curl -s -D "$TMP/landing.h" "$(url /)" >"$TMP/landing.html"
check "landing page is HTML" grep -qi '^Content-Type: text/html' "$TMP/landing.h"
check "landing page links to /metrics" grep -q 'href="/metrics"' "$TMP/landing.html"
check "landing page names the version" grep -qE 'Version: [0-9]+\.[0-9]+\.[0-9]+' "$TMP/landing.html"
check "GET /metrics is 200" test "$(status GET /metrics)" = 200
check "GET /foo is 404" test "$(status GET /foo)" = 404
check "GET /metrics/ is 404" test "$(status GET /metrics/)" = 404
check "GET /metricsx is 404" test "$(status GET /metricsx)" = 404
for m in POST PUT DELETE PATCH OPTIONS; do
    check "$m /metrics is 405" test "$(status $m /metrics)" = 405
done
check "POST with a body is 405" test "$(status POST /metrics --data-binary 'x=1')" = 405
curl -s -D "$TMP/405.h" -o /dev/null -X POST "$(url /metrics)"
check "405 carries Allow: GET, HEAD" grep -qi '^Allow: GET, HEAD' "$TMP/405.h"

# Keep-alive: two requests in one curl run share one connection.
check "keep-alive: one connection for two scrapes" test "$(curl -s -o /dev/null -o /dev/null -w '%{num_connects}' "$(url /metrics)" "$(url /metrics)" | tr -d '\n')" = 10

# HEAD: the headers of a GET, no body.
curl -s -I "$(url /metrics)" >"$TMP/head.h"
check "HEAD is 200" grep -q '^HTTP/1.1 200' "$TMP/head.h"
check "HEAD has a Content-Length" grep -qiE '^Content-Length: [1-9][0-9]+' "$TMP/head.h"
check "HEAD has the text Content-Type" grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$TMP/head.h"
check "HEAD sends no body" test "$(curl -s --head "$(url /metrics)" -o /dev/null -w '%{size_download}')" = 0

# --- formats and compression -------------------------------------------------
curl -s -D "$TMP/text.h" "$(url /metrics)" >"$TMP/text.prom"
check "no Accept: text format" grep -qi '^Content-Type: text/plain; version=0.0.4' "$TMP/text.h"
check "no Accept-Encoding: not compressed" bash -c "! grep -qi '^Content-Encoding' '$TMP/text.h'"
curl -s -D "$TMP/om.h" -H "Accept: $PROM_ACCEPT" "$(url /metrics)" >"$TMP/om.txt"
check "Prometheus' Accept: OpenMetrics" grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8' "$TMP/om.h"
check "OpenMetrics ends in # EOF" test "$(tail -n1 "$TMP/om.txt")" = "# EOF"
check "OpenMetrics counter family without _total" grep -q '^# TYPE ksm_full_scans counter$' "$TMP/om.txt"
check "OpenMetrics units" grep -q '^# UNIT ksm_saved_bytes bytes$' "$TMP/om.txt"
# A body that fits TCP's initial window (under 14,000 bytes) goes plain.
curl -s -D "$TMP/plain.h" -H 'Accept-Encoding: gzip' "$(url /metrics)" >"$TMP/plain.prom"
check "body of $(stat -c %s "$TMP/plain.prom") bytes, under 14000" test "$(stat -c %s "$TMP/plain.prom")" -lt 14000
check "a body under 14000 bytes is not gzipped" bash -c "! grep -qi '^Content-Encoding' '$TMP/plain.h'"
check "Vary names Accept-Encoding on a plain body too" grep -qi '^Vary: .*Accept-Encoding' "$TMP/plain.h"

# Concurrent scrapes each get a whole, uncorrupted body.
for i in $(seq 20); do
    curl -s -H 'Accept-Encoding: gzip' --compressed "$(url /metrics)" >"$TMP/par.$i" &
done
wait $(jobs -p | grep -v "^$PID$") 2>/dev/null
bad=0
for i in $(seq 20); do
    strip_self <"$TMP/par.$i" | cmp -s - <(strip_self <"$TMP/text.prom") || bad=$((bad + 1))
done
check "20 concurrent scrapes all intact ($bad bad)" test "$bad" = 0
check "SIGTERM exits 0" stop_exporter
check "start-up says per-process figures are off" grep -q 'level=info msg="per-process figures are off" flag=--no-collector.process' "$TMP/routes.log"

# A larger body, with the fake procfs's processes, is gzipped when accepted.
start_exporter gzip --path.sysfs="$FIXTURES/typical" --path.procfs="$FIXTURES/../procfs/typical" || exit 1
curl -s "$(url /metrics)" >"$TMP/big.prom"
check "body of $(stat -c %s "$TMP/big.prom") bytes, over 14000" test "$(stat -c %s "$TMP/big.prom")" -ge 14000
curl -s -D "$TMP/gz.h" -H 'Accept-Encoding: gzip' "$(url /metrics)" >"$TMP/gz.bin"
check "gzip when accepted" grep -qi '^Content-Encoding: gzip' "$TMP/gz.h"
check "Vary names Accept-Encoding" grep -qi '^Vary: .*Accept-Encoding' "$TMP/gz.h"
check "gzip body decompresses to the metrics" bash -c "gunzip -c '$TMP/gz.bin' | grep -q '^ksm_pages_sharing 196608$'"
check "gzip body is smaller" test "$(stat -c %s "$TMP/gz.bin")" -lt "$(stat -c %s "$TMP/big.prom")"
curl -s -D "$TMP/gz0.h" -o /dev/null -H 'Accept-Encoding: gzip;q=0' "$(url /metrics)"
check "gzip;q=0 is refused" bash -c "! grep -qi '^Content-Encoding' '$TMP/gz0.h'"
curl -s -D "$TMP/gznone.h" -o /dev/null "$(url /metrics)"
check "no Accept-Encoding: a large body is not compressed" bash -c "! grep -qi '^Content-Encoding' '$TMP/gznone.h'"
stop_exporter

# --- a custom path -----------------------------------------------------------
start_exporter custom --path.sysfs="$FIXTURES/typical" --web.telemetry-path=/ksm/metrics || exit 1
check "custom path serves metrics" test "$(status GET /ksm/metrics)" = 200
check "default path is 404 then" test "$(status GET /metrics)" = 404
check "landing links to the custom path" bash -c "curl -s '$(url /)' | grep -q 'href=\"/ksm/metrics\"'"
kill -INT "$PID"
check "SIGINT exits 0" wait "$PID"

# --- every scrape samples afresh; problems are logged once -------------------
cp -r "$FIXTURES/typical" "$TMP/sys"
ksm=$TMP/sys/kernel/mm/ksm
start_exporter fresh --path.sysfs="$TMP/sys" || exit 1
check "first value" bash -c "curl -s '$(url /metrics)' | grep -q '^ksm_pages_sharing 196608$'"
echo 200000 >"$ksm/pages_sharing"
check "a changed file shows at the next scrape" bash -c "curl -s '$(url /metrics)' | grep -q '^ksm_pages_sharing 200000$'"
echo garbage >"$ksm/pages_sharing"
for i in 1 2 3; do curl -s "$(url /metrics)" >"$TMP/bad.$i"; done
check "a bad file is absent" bash -c "! grep -q '^ksm_pages_sharing ' '$TMP/bad.3'"
check "and counted" grep -q '^ksm_read_errors_total{file="pages_sharing"} 3$' "$TMP/bad.3"
check "others still report" grep -q '^ksm_pages_shared 24576$' "$TMP/bad.3"
check "the problem is logged once over 3 scrapes" test "$(grep -c 'msg="cannot read a KSM file".*pages_sharing' "$TMP/fresh.log")" = 1
echo 7 >"$ksm/pages_sharing"
curl -s "$(url /metrics)" >/dev/null; curl -s "$(url /metrics)" >/dev/null
check "its end is logged once" test "$(grep -c 'msg="a KSM file is readable again".*pages_sharing' "$TMP/fresh.log")" = 1
check "start-up says per-process figures are on, all read" grep -qE 'level=info msg="per-process figures are on" procfs=/proc examined=[1-9][0-9]* listed=[0-9]+ denied=0 over_limit=0$' "$TMP/fresh.log"
check "the scan is logged once over 7 scrapes" test "$(grep -c 'per-process figures' "$TMP/fresh.log")" = 1
check "logfmt lines" bash -c "grep -vqE '^ts=[0-9T:.-]+Z level=(debug|info|warn|error) msg=' '$TMP/fresh.log' && exit 1 || exit 0"
stop_exporter

# --- the start-up scan of the fake procfs, and of a missing one ---------------
start_exporter scanned --path.sysfs="$FIXTURES/typical" --path.procfs="$FIXTURES/../procfs/typical" || exit 1
check "start-up scan: counts of the fake procfs" grep -q 'msg="per-process figures are on" procfs=[^ ]*/procfs/typical examined=18 listed=10 denied=0 over_limit=0$' "$TMP/scanned.log"
stop_exporter
start_exporter noproc --path.sysfs="$FIXTURES/typical" --path.procfs="$FIXTURES/does-not-exist" || exit 1
check "start-up scan: procfs missing is a warning" grep -q 'level=warn msg="per-process figures are on, but procfs cannot be read" procfs=' "$TMP/noproc.log"
stop_exporter

# --- ksmtuned's config file: read, never run; its odd lines logged once -------
conf=$(dirname "$FIXTURES")/ksmtuned
start_exporter tuned --path.sysfs="$FIXTURES/typical" --path.procfs="$FIXTURES/../procfs/typical" \
    --path.ksmtuned-config="$conf/garbage.conf" || exit 1
for i in 1 2 3; do curl -s "$(url /metrics)" >"$TMP/tuned.prom"; done
check "ksmtuned config: its value" grep -q '^ksm_ksmtuned_setting{name="KSM_THRES_COEF"} 25$' "$TMP/tuned.prom"
check "ksmtuned config: a default where unset" grep -q '^ksm_ksmtuned_setting{name="KSM_NPAGES_MAX"} 1250$' "$TMP/tuned.prom"
check "ksmtuned config: ignored lines counted" grep -q '^ksm_ksmtuned_config_ignored_lines 12$' "$TMP/tuned.prom"
check "ksmtuned config: the fake procfs runs ksmtuned" grep -q '^ksm_tuner{tuner="ksmtuned"} 1$' "$TMP/tuned.prom"
check "ksmtuned config: ignored lines logged once over 3 scrapes" \
    test "$(grep -c 'level=warn msg="ksmtuned.s config file has lines that are not plain settings.*ignored=12 lines="2 (shell code), 3 (shell code)' "$TMP/tuned.log")" = 1
stop_exporter
start_exporter tunedbad --path.sysfs="$FIXTURES/typical" --no-collector.process --path.procfs="$FIXTURES/does-not-exist" \
    --path.ksmtuned-config="$conf" || exit 1
for i in 1 2 3; do curl -s "$(url /metrics)" >"$TMP/tunedbad.prom"; done
check "ksmtuned config unreadable: counted" grep -q '^ksm_read_errors_total{file="ksmtuned_conf"} 3$' "$TMP/tunedbad.prom"
check "ksmtuned config unreadable: no settings" bash -c "! grep -q '^ksm_ksmtuned_setting' '$TMP/tunedbad.prom'"
check "ksmtuned config unreadable: warned once" test "$(grep -c "cannot read ksmtuned's config file.*err=\"Is a directory\"" "$TMP/tunedbad.log")" = 1
stop_exporter

# --- KSM absent at start, then present --------------------------------------
mkdir -p "$TMP/late"
start_exporter late --path.sysfs="$TMP/late" || exit 1
check "absent KSM: ksm_up 0" bash -c "curl -s '$(url /metrics)' | grep -q '^ksm_up 0$'"
check "absent KSM: warned at start" grep -q 'level=warn msg="cannot read the KSM directory' "$TMP/late.log"
curl -s "$(url /metrics)" >/dev/null
check "absent KSM: warned once" test "$(grep -c 'KSM directory' "$TMP/late.log")" = 1
cp -r "$FIXTURES/typical/kernel" "$TMP/late/"
check "KSM appears: ksm_up 1" bash -c "curl -s '$(url /metrics)' | grep -q '^ksm_up 1$'"
check "KSM appears: values" bash -c "curl -s '$(url /metrics)' | grep -q '^ksm_pages_sharing 196608$'"
check "KSM appears: logged" grep -q 'msg="the KSM directory is readable again"' "$TMP/late.log"
rm -rf "$TMP/late/kernel"
check "KSM vanishes: ksm_up 0" bash -c "curl -s '$(url /metrics)' | grep -q '^ksm_up 0$'"
check "KSM vanishes: no stale values" bash -c "! curl -s '$(url /metrics)' | grep -q '^ksm_pages_sharing'"
stop_exporter

# --- flags -------------------------------------------------------------------
bad_flag() { # description expected-text args...
    local what=$1 want=$2; shift 2
    local rc
    "$EXPORTER" "$@" >"$TMP/flag.out" 2>"$TMP/flag.err"; rc=$?
    check "$what: exit 2 (got $rc)" test "$rc" = 2
    check "$what: one line on stderr" test "$(wc -l <"$TMP/flag.err")" = 1
    check "$what: says '$want'" grep -q -- "$want" "$TMP/flag.err"
}
bad_flag "unknown flag" "unknown flag --bogus" --bogus
bad_flag "unknown short flag" "unknown flag -x" -x
bad_flag "unknown level" "log.level" --log.level=loud
bad_flag "missing value" "needs a value" --log.level
bad_flag "no port" "web.listen-address" --web.listen-address=localhost
bad_flag "port too big" "0 to 65535" --web.listen-address=:65536
bad_flag "port not a number" "0 to 65535" --web.listen-address=:http
bad_flag "bare IPv6" "brackets" --web.listen-address=::1:9100
bad_flag "relative path" "start with '/'" --web.telemetry-path=metrics
bad_flag "empty ksmtuned config" "path.ksmtuned-config" --path.ksmtuned-config=
bad_flag "stray argument" "unexpected argument" stray
"$EXPORTER" --version >"$TMP/v.out"; rc=$?
check "--version exits 0" test "$rc" = 0
check "--version prints the version" grep -qE '^ksm_exporter, version [0-9.]+ \(revision: [^)]+\)$' "$TMP/v.out"
"$EXPORTER" --help >"$TMP/h.out"; rc=$?
check "--help exits 0" test "$rc" = 0
for f in web.listen-address web.telemetry-path path.sysfs path.ksmtuned-config log.level version report report.interval report.format; do
    check "--help lists --$f" grep -q -- "--$f" "$TMP/h.out"
done
check "space-separated values work" bash -c "
    '$EXPORTER' --web.listen-address 127.0.0.1:0 --path.sysfs '$FIXTURES/typical' 2>'$TMP/sp.log' & p=\$!
    for i in \$(seq 50); do grep -q Listening '$TMP/sp.log' && break; sleep 0.05; done
    kill \$p; wait \$p"

# --- listening ----------------------------------------------------------------
start_exporter first --path.sysfs="$FIXTURES/typical" || exit 1
"$EXPORTER" --web.listen-address=127.0.0.1:"$PORT" 2>"$TMP/inuse.err"; rc=$?
check "port in use: exit 1 (got $rc)" test "$rc" = 1
check "port in use: says so" grep -q 'msg="cannot listen".*err="Address already in use"' "$TMP/inuse.err"
stop_exporter

start_exporter all --path.sysfs="$FIXTURES/typical" --web.listen-address=:0 || exit 1
check ":0 listens on every address" grep -q 'address=\[::\]:' "$TMP/all.log"
check ":0 answers on 127.0.0.1" test "$(status GET /metrics)" = 200
stop_exporter
if [ -e /proc/net/if_inet6 ] && start_exporter v6 --path.sysfs="$FIXTURES/typical" --web.listen-address='[::1]:0'; then
    check "[::1]:0 answers on ::1" test "$(curl -s -o /dev/null -w '%{http_code}' "http://[::1]:$PORT/metrics")" = 200
    stop_exporter
fi

# --- unprivileged: everything but other users' processes -------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
        "$EXPORTER" --web.listen-address=127.0.0.1:0 2>"$TMP/nobody.log" &
    PID=$!; PIDS+=("$PID")
    for i in $(seq 100); do grep -q 'Listening on' "$TMP/nobody.log" && break; sleep 0.05; done
    PORT=$(sed -n 's/.*msg="Listening on" address=[^ ]*:\([0-9]*\) .*/\1/p' "$TMP/nobody.log")
    body=$(curl -s "$(url /metrics)")
    check "as nobody: KSM is read" grep -q '^ksm_up 1$' <<<"$body"
    check "as nobody: ksmd and vmstat are read" grep -q '^ksm_cow_total ' <<<"$body"
    check "as nobody: other users' processes are counted as denied" \
        grep -qE '^ksm_process_scan_denied [1-9]' <<<"$body"
    check "as nobody: the start-up log says why processes are missing" \
        grep -qE 'level=warn msg="per-process figures are on, but some processes cannot be read: their ksm_stat needs root or CAP_DAC_READ_SEARCH" procfs=/proc examined=[0-9]+ listed=[0-9]+ denied=[1-9]' "$TMP/nobody.log"
    check "as nobody: exits 0" stop_exporter
fi

# --- a burst of connections leaves no memory behind --------------------------
# 32 connections open at once, each scraped, then closed: their memory goes
# back to the kernel (the heap is trimmed once at most one is left).
burst() {
    local fds=() fd i
    for i in $(seq 32); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || return 1
        fds+=("$fd")
    done
    for fd in "${fds[@]}"; do
        printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&"$fd"
    done
    for fd in "${fds[@]}"; do
        cat <&"$fd" >/dev/null
        exec {fd}>&-
    done
}
start_exporter burst --path.sysfs="$FIXTURES/typical" --path.procfs="$FIXTURES/../procfs/typical" || exit 1
for i in 1 2 3; do curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$(url /metrics)"; done
burst && sleep 0.5 # the first burst sizes what stays (buffers, descriptors)
before=$(uss_kb "$PID")
burst && burst && sleep 0.5
after=$(uss_kb "$PID")
# A sanitizer's allocator keeps freed memory in quarantine: nothing to see.
if ldd "$EXPORTER" | grep -q 'lib[at]san'; then
    echo "skipped under a sanitizer: private memory after a burst"
else
    check "32 connections at once leave ${after} kB private memory after, ${before} kB before (+64 kB at most)" \
        test "$after" -le $((before + 64))
fi
stop_exporter

# --- stops within a second under load ------------------------------------------
start_exporter stop --path.sysfs="$FIXTURES/typical" || exit 1
( for i in $(seq 200); do curl -s -o /dev/null "$(url /metrics)"; done ) &
loader=$!
sleep 0.3
start=$(date +%s%N)
kill -TERM "$PID"; wait "$PID"; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill "$loader" 2>/dev/null; wait "$loader" 2>/dev/null
check "SIGTERM under load: exit 0 (got $rc)" test "$rc" = 0
check "SIGTERM under load: stopped in ${ms} ms (< 1000)" test "$ms" -lt 1000
finish
