#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --web.config.file end to end: basic auth, TLS, client certificates, bad
# files, SIGHUP, a real Prometheus scraping through TLS with basic auth, and
# node_exporter reading the same file.
# Usage: exporter_tls.sh KSM_EXPORTER FIXTURES_DIR BCRYPT_HASH
set -u
EXPORTER=$1 FIXTURES=$2 BCRYPT=$3
. "$(dirname "$0")/lib.sh"
require openssl curl
SYS=(--path.sysfs="$FIXTURES/typical" --no-collector.process --path.procfs="$FIXTURES/none")

# --- a test CA, a server certificate for 127.0.0.1, client certificates ----
pki=$TMP/pki
mkdir -p "$pki"
(
    cd "$pki" || exit 1
    pki_ca ca ksm-test-ca
    pki_ca rogue rogue-ca
    pki_cert server 127.0.0.1 ca "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
    for who in client:ca rogueclient:rogue; do
        pki_cert "${who%%:*}" "${who%%:*}" "${who##*:}" extendedKeyUsage=clientAuth
    done
) >"$TMP/pki.log" 2>&1 || { cat "$TMP/pki.log"; fail "making test certificates"; finish; }

alice=$("$BCRYPT" secret 4)
bob=$("$BCRYPT" other 4)
carol=$("$BCRYPT" third 4)
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# --- basic auth over HTTP ----------------------------------------------------
cat >"$TMP/auth.yml" <<YAML
basic_auth_users:
  alice: $alice
  carol: $carol
YAML
start_exporter auth "${SYS[@]}" --web.config.file="$TMP/auth.yml" || exit 1
u=http://127.0.0.1:$PORT
check "no credentials: 401" test "$(code "$u/metrics")" = 401
curl -s -D "$TMP/401.h" -o /dev/null "$u/metrics"
check "401 carries WWW-Authenticate" grep -qi '^WWW-Authenticate: Basic realm="ksm_exporter"' "$TMP/401.h"
check "wrong password: 401" test "$(code -u alice:wrong "$u/metrics")" = 401
check "unknown user: 401" test "$(code -u mallory:secret "$u/metrics")" = 401
check "good credentials: 200" test "$(code -u alice:secret "$u/metrics")" = 200
check "the landing page needs them too" test "$(code "$u/")" = 401
check "the body is the metrics" bash -c "curl -s -u alice:secret '$u/metrics' | grep -q '^ksm_pages_sharing 196608$'"
# Hundreds of 401s: one challenge header each, every time.
for i in $(seq 300); do code "$u/metrics" >/dev/null; done
curl -s -D "$TMP/401b.h" -o /dev/null "$u/metrics"
check "the 301st 401 is still a 401" grep -q '^HTTP/1.1 401' "$TMP/401b.h"
check "with exactly one WWW-Authenticate" test "$(grep -ci '^WWW-Authenticate' "$TMP/401b.h")" = 1
# A flood of guesses from one address spends its own bcrypt budget: the
# known client keeps its 200, and new credentials from elsewhere still pass.
for i in $(seq 30); do code --interface 127.0.0.2 -u alice:guess$i "$u/metrics" >/dev/null; done
check "after 30 wrong guesses, the known client still gets 200" test "$(code -u alice:secret "$u/metrics")" = 200
check "and a new client elsewhere still gets in" test "$(code -u carol:third "$u/metrics")" = 200

# A reload keeps the credentials that still have the same hash, even with
# every bcrypt budget spent by guesses from many addresses.
for a in $(seq 10 40); do
    for i in 1 2 3; do code --interface 127.0.0.$a -u carol:guess$i "$u/metrics" >/dev/null; done
done
printf 'basic_auth_users:\n  alice: %s\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n' "$alice" >"$TMP/auth.yml"
kill -HUP "$PID"
for i in $(seq 50); do grep -q 'reloaded the web config' "$TMP/auth.log" && break; sleep 0.05; done
check "after a reload under attack, a known client still gets 200" test "$(code -u alice:secret "$u/metrics")" = 200
check "the reload took effect" bash -c "curl -s -D - -o /dev/null -u alice:secret '$u/metrics' | grep -qi '^X-Frame-Options: deny'"
# SIGHUP: new users take effect; a broken file keeps the running ones.
cat >"$TMP/auth.yml" <<YAML
basic_auth_users:
  bob: $bob
YAML
kill -HUP "$PID"
for i in $(seq 50); do [ "$(grep -c 'reloaded the web config' "$TMP/auth.log")" = 2 ] && break; sleep 0.05; done
check "SIGHUP: reloaded" test "$(grep -c 'msg="reloaded the web config file"' "$TMP/auth.log")" = 2
check "SIGHUP: alice is gone" test "$(code -u alice:secret "$u/metrics")" = 401
check "SIGHUP: bob is in" test "$(code -u bob:other "$u/metrics")" = 200
printf 'basic_auth_users:\n  bob: [unclosed\n' >"$TMP/auth.yml"
kill -HUP "$PID"
for i in $(seq 50); do grep -q 'keeping the running one' "$TMP/auth.log" && break; sleep 0.05; done
check "bad file on SIGHUP: logged with its line" grep -q 'msg="bad web config file: keeping the running one".*err="line [0-9]*: YAML' "$TMP/auth.log"
check "bad file on SIGHUP: bob still in" test "$(code -u bob:other "$u/metrics")" = 200
check "SIGTERM exits 0" stop_exporter

# --- TLS -----------------------------------------------------------------------
# Relative names are taken from the config file's directory.
cat >"$pki/tls.yml" <<YAML
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  min_version: TLS12
http_server_config:
  headers:
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  alice: $alice
YAML
start_exporter tls "${SYS[@]}" --web.config.file="$pki/tls.yml" || exit 1
check "start-up line says tls=on" grep -q 'msg="Listening on".*tls=on' "$TMP/tls.log"
s=https://127.0.0.1:$PORT
check "HTTPS with the test CA: 200" test "$(code --cacert "$pki/ca.crt" -u alice:secret "$s/metrics")" = 200
check "HTTPS without credentials: 401" test "$(code --cacert "$pki/ca.crt" "$s/metrics")" = 401
check "a configured header is sent" bash -c "curl -s -D - -o /dev/null --cacert '$pki/ca.crt' -u alice:secret '$s/metrics' | grep -qi '^Strict-Transport-Security: max-age=31536000'"
check "an untrusting client refuses the certificate" bash -c "! curl -s -o /dev/null '$s/metrics'"
check "plain HTTP gets no answer from the TLS port" bash -c "! curl -s -o /dev/null --max-time 3 'http://127.0.0.1:$PORT/metrics'"
check "TLS 1.3 works" test "$(code --cacert "$pki/ca.crt" --tlsv1.3 -u alice:secret "$s/metrics")" = 200
stop_exporter

cat >"$pki/tls13.yml" <<YAML
tls_server_config:
  cert_file: $pki/server.crt
  key_file: $pki/server.key
  min_version: TLS13
YAML
start_exporter tls13 "${SYS[@]}" --web.config.file="$pki/tls13.yml" || exit 1
check "min_version TLS13 refuses TLS 1.2" bash -c "! curl -s -o /dev/null --cacert '$pki/ca.crt' --tls-max 1.2 'https://127.0.0.1:$PORT/metrics'"
check "min_version TLS13 serves TLS 1.3" test "$(code --cacert "$pki/ca.crt" "https://127.0.0.1:$PORT/metrics")" = 200
stop_exporter

# --- client certificates -------------------------------------------------------
cat >"$pki/mtls.yml" <<YAML
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
YAML
start_exporter mtls "${SYS[@]}" --web.config.file="$pki/mtls.yml" || exit 1
s=https://127.0.0.1:$PORT
check "client certificate from the CA: 200" test "$(code --cacert "$pki/ca.crt" --cert "$pki/client.crt" --key "$pki/client.key" "$s/metrics")" = 200
check "no client certificate: refused" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert '$pki/ca.crt' '$s/metrics')\" != 200 ]"
check "the server's own certificate (not for clients): refused" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert '$pki/ca.crt' --cert '$pki/server.crt' --key '$pki/server.key' '$s/metrics')\" != 200 ]"
check "a certificate from another CA: refused" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert '$pki/ca.crt' --cert '$pki/rogueclient.crt' --key '$pki/rogueclient.key' '$s/metrics')\" != 200 ]"
stop_exporter
sed 's/RequireAndVerifyClientCert/VerifyClientCertIfGiven/' "$pki/mtls.yml" >"$pki/mtls-opt.yml"
start_exporter mtls-opt "${SYS[@]}" --web.config.file="$pki/mtls-opt.yml" || exit 1
s=https://127.0.0.1:$PORT
check "VerifyClientCertIfGiven: none given, 200" test "$(code --cacert "$pki/ca.crt" "$s/metrics")" = 200
check "VerifyClientCertIfGiven: a good one, 200" test "$(code --cacert "$pki/ca.crt" --cert "$pki/client.crt" --key "$pki/client.key" "$s/metrics")" = 200
check "VerifyClientCertIfGiven: a rogue one, refused" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert '$pki/ca.crt' --cert '$pki/rogueclient.crt' --key '$pki/rogueclient.key' '$s/metrics')\" != 200 ]"
stop_exporter

# --- bad files are refused at start, naming the line and the key ----------------
bad() { # description expected-text yaml
    local what=$1 want=$2 rc
    printf '%s\n' "$3" >"$pki/bad.yml"
    "$EXPORTER" --web.listen-address=127.0.0.1:0 "${SYS[@]}" --web.config.file="$pki/bad.yml" 2>"$TMP/bad.err"
    rc=$?
    check "$what: exit 1 (got $rc)" test "$rc" = 1
    check "$what: says '$want'" grep -q -- "$want" "$TMP/bad.err"
}
bad "missing cert file" 'line 2: cert_file: cannot read' "tls_server_config:
  cert_file: nope.crt
  key_file: server.key"
bad "wrong hash format" 'line 2: basic_auth_users: alice: not a bcrypt hash' "basic_auth_users:
  alice: secret"
bad "unknown key" 'line 1: unknown key \\"tls_config\\"' "tls_config:
  cert_file: server.crt"
bad "unknown TLS key" 'unknown key \\"cert_files\\"' "tls_server_config:
  cert_files: server.crt"
bad "YAML syntax error" 'line [0-9]*: YAML' "basic_auth_users: [alice"
bad "key without cert" 'needs cert_file' "tls_server_config:
  key_file: server.key"
bad "mismatched key" 'do not load' "tls_server_config:
  cert_file: server.crt
  key_file: client.key"
bad "unknown client auth" 'line 4: client_auth_type: want NoClientCert' "tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: Sometimes"
bad "unknown cipher suite" 'line 4: cipher_suites: unknown cipher \\"TLS_FAKE\\"' "tls_server_config:
  cert_file: server.crt
  key_file: server.key
  cipher_suites: [TLS_FAKE]"
bad "duplicate key" 'basic_auth_users\\" appears twice' "basic_auth_users:
  alice: $alice
basic_auth_users:
  bob: $bob"
bad "deep nesting" 'nested deeper than 16 levels' "basic_auth_users: $(printf '[%.0s' $(seq 20))$(printf ']%.0s' $(seq 20))"
printf 'not a certificate\n' >"$pki/junk.crt"
bad "a client CA file without a certificate" 'client_ca_file holds no certificate' "tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: junk.crt"
bad "verify without a CA" 'needs client_ca_file' "tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert"
"$EXPORTER" --web.listen-address=127.0.0.1:0 --web.config.file="$TMP/none.yml" 2>"$TMP/bad.err"
check "a missing file: exit 1" test $? = 1
check "a missing file: says so" grep -q "cannot read $TMP/none.yml" "$TMP/bad.err"

# --- node_exporter reads the same file -----------------------------------------
if command -v prometheus-node-exporter >/dev/null; then
    np=$(free_port 29300)
    prometheus-node-exporter --collector.disable-defaults --collector.ksmd \
        --web.listen-address="127.0.0.1:$np" --web.config.file="$pki/tls.yml" \
        >"$TMP/node.log" 2>&1 &
    npid=$!; PIDS+=("$npid")
    for i in $(seq 50); do curl -s -o /dev/null --cacert "$pki/ca.crt" "https://127.0.0.1:$np/" && break; sleep 0.1; done
    check "node_exporter takes the same file (TLS + auth)" test "$(code --cacert "$pki/ca.crt" -u alice:secret "https://127.0.0.1:$np/metrics")" = 200
    check "node_exporter refuses the same bad password" test "$(code --cacert "$pki/ca.crt" -u alice:wrong "https://127.0.0.1:$np/metrics")" = 401
    kill "$npid"
fi

# --- a real Prometheus through TLS and basic auth --------------------------------
if command -v prometheus >/dev/null; then
    start_exporter prom "${SYS[@]}" --web.config.file="$pki/tls.yml" || exit 1
    start_prometheus "$(https_job "$pki/ca.crt")"
    wait_query ksm_pages_sharing
    check "Prometheus over TLS with basic auth: up 1" test "$(query 'up{job="ksm"}')" = 1
    check "Prometheus over TLS with basic auth: the value" test "$(query ksm_pages_sharing)" = 196608
    stop_exporter
else
    fail "prometheus is not installed (make test installs it)"
fi
finish
