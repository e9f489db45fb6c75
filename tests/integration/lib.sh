# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared by the integration tests: start/stop the exporter, count results.
# Source it after setting EXPORTER (the binary) and FIXTURES (a directory).

TMP=$(mktemp -d /tmp/ksm-it.XXXXXX)
PASS=0
FAIL=0
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); }
fail() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }
check() { # description command...
    local what=$1; shift
    if "$@"; then ok; else fail "$what"; fi
}

# Prints the summary line and exits with the verdict.
finish() {
    echo "$(basename "$0" .sh): $PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
    exit
}

# require TOOL...: a tool missing is a failure (make test installs them).
require() {
    local tool
    for tool; do
        command -v "$tool" >/dev/null ||
            { fail "$tool is not installed (make test installs it)"; finish; }
    done
}

# Test certificates, made in the current directory, valid for two days.
# pki_ca NAME CN: a self-signed P-256 CA, NAME.key and NAME.crt.
pki_ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.crt" -days 2 -subj "/CN=$2"
}
# pki_cert NAME CN CA EXTENSIONS [rsa]: NAME.key and NAME.crt, issued by the
# CA of pki_ca with the extension lines given, on a P-256 key (RSA 2048
# with "rsa").
pki_cert() {
    local name=$1 cn=$2 ca=$3 key=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
    [ "${5:-}" = rsa ] && key=(-newkey rsa:2048)
    openssl req "${key[@]}" -nodes -keyout "$name.key" -out "$name.csr" \
        -subj "/CN=$cn" &&
        printf '%s\n' "$4" >"$name.ext" &&
        openssl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" \
            -CAcreateserial -out "$name.crt" -days 2 -extfile "$name.ext"
}

# start_exporter NAME ARGS...: starts ksm_exporter on 127.0.0.1:0 unless
# ARGS give another address; sets PORT and PID, logs to $TMP/NAME.log.
start_exporter() {
    local name=$1; shift
    local log=$TMP/$name.log i
    "$EXPORTER" --web.listen-address=127.0.0.1:0 "$@" 2>"$log" &
    PID=$!
    PIDS+=("$PID")
    for i in $(seq 100); do
        if grep -q 'msg="Listening on"' "$log" 2>/dev/null; then
            PORT=$(sed -n 's/.*msg="Listening on" address=[^ ]*:\([0-9]*\) .*/\1/p' "$log" | head -1)
            return 0
        fi
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "exporter $name did not start:"; cat "$log"
    return 1
}

# stop_exporter: SIGTERM, and the exit status must be 0.
stop_exporter() {
    kill -TERM "$PID" 2>/dev/null
    wait "$PID"
}

# Removes what depends on time or on the build: the exporter's own families.
strip_self() {
    grep -vE '^(# (HELP|TYPE|UNIT) )?(ksm_exporter_build_info|ksm_scrape_duration_seconds|process_)'
}

# free_port, and a process's CPU time and memory (uss_kb ...).
# shellcheck source=../procs.sh
. "$(dirname "${BASH_SOURCE[0]}")/../procs.sh"

# Prometheus 2.42's scrape Accept header.
PROM_ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'

# collectd_conf DIR: the start of a private collectd config on stdout:
# host "ksmtest", Interval 1, logfile DIR/collectd.log, csv in DIR/csv and
# unixsock DIR/sock.  The caller appends its plugins.
collectd_conf() {
    cat <<CONF
Hostname "ksmtest"
FQDNLookup false
BaseDir "$1"
PIDFile "$1/collectd.pid"
Interval 1
PluginDir "/usr/lib/collectd"
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "$1/collectd.log"
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir "$1/csv"
</Plugin>
LoadPlugin unixsock
<Plugin unixsock>
  SocketFile "$1/sock"
  SocketGroup "root"
  SocketPerms "0600"
</Plugin>
CONF
}

# start_prometheus SCRAPE_CONFIGS: a private Prometheus on 127.0.0.1 that
# scrapes every second; SCRAPE_CONFIGS is the YAML list under
# scrape_configs.  Sets PROM (its base URL).
start_prometheus() {
    local port
    port=$(free_port 29090)
    printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n%s\n' \
        "$1" >"$TMP/prometheus.yml"
    prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
        --web.listen-address="127.0.0.1:$port" >"$TMP/prometheus.log" 2>&1 &
    PIDS+=($!)
    PROM=http://127.0.0.1:$port
}

# https_job CA [CERT KEY]: the scrape config of a job "ksm" for the exporter
# at $PORT over HTTPS, trusting CA, with basic auth alice:secret and, when
# given, the client certificate CERT and its KEY.
https_job() {
    printf '  - job_name: ksm\n    scheme: https\n    tls_config:\n      ca_file: %s\n' "$1"
    [ $# -eq 3 ] && printf '      cert_file: %s\n      key_file: %s\n' "$2" "$3"
    printf '    basic_auth:\n      username: alice\n      password: secret\n'
    printf "    static_configs:\n      - targets: ['127.0.0.1:%s']\n" "$PORT"
}

# query EXPR: the single value Prometheus returns for EXPR, or nothing.
query() {
    curl -s --get --data-urlencode "query=$1" "$PROM/api/v1/query" |
        sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p'
}

# wait_output TRIES DELAY COMMAND...: until COMMAND prints something, trying
# TRIES times DELAY seconds apart; fails if it never does.
wait_output() {
    local tries=$1 delay=$2
    shift 2
    while [ "$tries" -gt 0 ]; do
        [ -n "$("$@")" ] && return 0
        sleep "$delay"
        tries=$((tries - 1))
    done
    return 1
}

# wait_query EXPR: until EXPR has a value (the first scrape lands several
# seconds after Prometheus starts); up to 30 s.
wait_query() {
    wait_output 60 0.5 query "$1"
}
