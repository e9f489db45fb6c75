#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every key of the exporter-toolkit's web config: node_exporter 1.5 and
# ksm_exporter on the same files (both start, or both refuse), the keys
# newer than node_exporter 1.5 against their documented behaviour over
# real TLS, and a real Prometheus scraping over mutual TLS with basic auth
# under a rate limit.
# Usage: exporter_webconfig.sh KSM_EXPORTER FIXTURES_DIR BCRYPT_HASH
set -u
EXPORTER=$1 FIXTURES=$2 BCRYPT=$3
. "$(dirname "$0")/lib.sh"
require openssl curl
NODE=$(command -v prometheus-node-exporter)
[ -n "$NODE" ] || { fail "prometheus-node-exporter is not installed (make test installs it)"; finish; }
SYS=(--path.sysfs="$FIXTURES/typical" --no-collector.process --path.procfs="$FIXTURES/none")

# --- a CA, an RSA server certificate, client certificates with SANs -----------
pki=$TMP/pki
mkdir -p "$pki"
(
    cd "$pki" || exit 1
    pki_ca ca ksm-test-ca
    # RSA, so that the TLS_ECDHE_RSA_* suites apply.
    pki_cert server 127.0.0.1 ca "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth" rsa
    for who in scraper:DNS:scraper.example,URI:spiffe://ksm/prometheus,email:ops@example.org,IP:10.0.0.7 \
        other:DNS:other.example; do
        name=${who%%:*} san=${who#*:}
        pki_cert "$name" "$name" ca "subjectAltName=$san
extendedKeyUsage=clientAuth"
    done
    # Signed by no CA the exporter knows, with an allowed name.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout self.key -out self.crt -days 2 -subj /CN=self \
        -addext subjectAltName=DNS:scraper.example -addext extendedKeyUsage=clientAuth
) >"$TMP/pki.log" 2>&1 || { cat "$TMP/pki.log"; fail "making test certificates"; finish; }
alice=$("$BCRYPT" secret 4)
indent() { sed 's/^/    /' "$1"; }
TLS="tls_server_config:
  cert_file: server.crt
  key_file: server.key"

# --- node_exporter 1.5 and ksm_exporter on the same files ----------------------
# outcome CMD...: "serves" once an HTTP(S) request gets an HTTP answer (any
# status), "exits" if the process ends first, "hangs" after 10 s.
outcome() {
    local port=$1 pid code scheme
    shift
    "$@" >"$TMP/outcome.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 100); do
        for scheme in https http; do
            code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 1 \
                --cert "$pki/scraper.crt" --key "$pki/scraper.key" "$scheme://127.0.0.1:$port/metrics")
            if [ "$code" != 000 ]; then
                kill "$pid"; wait "$pid" 2>/dev/null
                echo serves; return
            fi
        done
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; echo exits; return; }
        sleep 0.1
    done
    kill "$pid"; wait "$pid" 2>/dev/null
    echo hangs
}
ksm_outcome() {
    local p
    p=$(free_port 29400)
    outcome "$p" "$EXPORTER" --web.listen-address="127.0.0.1:$p" "${SYS[@]}" --web.config.file="$1"
}
node_outcome() {
    local p
    p=$(free_port 29500)
    outcome "$p" "$NODE" --collector.disable-defaults --collector.ksmd \
        --web.listen-address="127.0.0.1:$p" --web.config.file="$1"
}
# same NAME WANT YAML: both exporters give WANT (serves or exits).
n=0
same() {
    local f=$pki/same$((n += 1)).yml k nd
    printf '%s\n' "$3" >"$f"
    k=$(ksm_outcome "$f")
    nd=$(node_outcome "$f")
    check "$1: node_exporter $2 (got $nd)" test "$nd" = "$2"
    check "$1: ksm_exporter $2 like node_exporter (got $k)" test "$k" = "$2"
}
same "an empty file" serves ""
same "TLS from files" serves "$TLS"
same "TLS 1.3 only" serves "$TLS
  min_version: TLS13"
same "TLS 1.2 with two suites" serves "$TLS
  min_version: TLS12
  max_version: TLS12
  cipher_suites:
    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
same "only TLS 1.3 suites, no HTTP/2" serves "$TLS
  cipher_suites: [TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256]
http_server_config:
  http2: false"
# Go's HTTP/2 demands an ECDHE AES-128-GCM suite in any list.
same "only TLS 1.3 suites with HTTP/2" exits "$TLS
  cipher_suites: [TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256]"
same "no AES-128-GCM suite with HTTP/2" exits "$TLS
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]"
same "curves" serves "$TLS
  curve_preferences: [CurveP256, X25519]"
same "client's cipher order" serves "$TLS
  prefer_server_cipher_suites: false"
same "RequireAndVerifyClientCert" serves "$TLS
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt"
same "VerifyClientCertIfGiven" serves "$TLS
  client_auth_type: VerifyClientCertIfGiven
  client_ca_file: ca.crt"
same "RequestClientCert" serves "$TLS
  client_auth_type: RequestClientCert"
same "RequireAnyClientCert" serves "$TLS
  client_auth_type: RequireAnyClientCert"
same "RequireAnyClientCert with CAs" serves "$TLS
  client_auth_type: RequireAnyClientCert
  client_ca_file: ca.crt"
same "headers and http2" serves "http_server_config:
  http2: false
  headers:
    Strict-Transport-Security: max-age=31536000
    X-Frame-Options: sameorigin
    X-Content-Type-Options: nosniff
    X-XSS-Protection: '1; mode=block'
    Content-Security-Policy: default-src 'self'"
same "basic auth over TLS" serves "$TLS
basic_auth_users:
  alice: $alice"
same "an unknown key" exits "tls_config: {}"
same "an unknown TLS key" exits "$TLS
  cert_files: server.crt"
same "an invented cipher" exits "$TLS
  cipher_suites: [TLS_FAKE_WITH_NOTHING]"
same "an insecure cipher" exits "$TLS
  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]"
same "an invented curve" exits "$TLS
  curve_preferences: [CurveP999]"
same "an invented TLS version" exits "$TLS
  min_version: TLS14"
same "an invented client auth type" exits "$TLS
  client_auth_type: Sometimes"
same "client CAs without client auth" exits "$TLS
  client_ca_file: ca.crt"
same "a bad X-Frame-Options" exits "http_server_config:
  headers:
    X-Frame-Options: allow"
same "a bad X-Content-Type-Options" exits "http_server_config:
  headers:
    X-Content-Type-Options: sniff"
same "a header that cannot be set" exits "http_server_config:
  headers:
    Server: ksm"
same "a certificate without its key" exits "tls_server_config:
  cert_file: server.crt"
same "a missing certificate file" exits "tls_server_config:
  cert_file: nope.crt
  key_file: server.key"
same "a password that is not a hash" exits "basic_auth_users:
  alice: secret"
same "a key given twice" exits "$TLS
  min_version: TLS12
  min_version: TLS13"

# Newer than node_exporter 1.5, which refuses them: ksm_exporter takes them.
inline_cert="  cert: |
$(indent "$pki/server.crt")
  key: |
$(indent "$pki/server.key")"
newer() {
    local f=$pki/newer$((n += 1)).yml
    printf '%s\n' "$2" >"$f"
    check "$1: node_exporter 1.5 does not know it" test "$(node_outcome "$f")" = exits
    check "$1: ksm_exporter serves" test "$(ksm_outcome "$f")" = serves
}
newer "inline cert and key" "tls_server_config:
$inline_cert"
newer "inline client CAs" "$TLS
  client_auth_type: RequireAndVerifyClientCert
  client_ca: |
$(indent "$pki/ca.crt")"
newer "client_allowed_sans" "$TLS
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  client_allowed_sans: [scraper.example]"
newer "rate_limit" "rate_limit:
  interval: 1s
  burst: 10"

# Where GnuTLS cannot do what Go does, the file is refused, as documented.
differs() {
    local f=$pki/differs$((n += 1)).yml
    printf '%s\n' "$3" >"$f"
    check "$1: node_exporter serves" test "$(node_outcome "$f")" = serves
    timeout 10 "$EXPORTER" --web.listen-address=127.0.0.1:0 "${SYS[@]}" --web.config.file="$f" 2>"$TMP/differs.err"
    check "$1: ksm_exporter refuses it (exit $?)" grep -q -- "$2" "$TMP/differs.err"
}
differs "suites GnuTLS would widen" "would also allow TLS_RSA_WITH_AES_128_GCM_SHA256" "$TLS
  cipher_suites:
    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    - TLS_RSA_WITH_AES_256_GCM_SHA384"
differs "CBC suites with TLS 1.3 allowed" "no GCM or CHACHA20 suite" "$TLS
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA]
http_server_config:
  http2: false"
differs "verification against the system's CAs" "needs client_ca_file" "$TLS
  client_auth_type: VerifyClientCertIfGiven"

# --- the newer keys, over TLS ----------------------------------------------------
code() { curl -s -o /dev/null -w '%{http_code}' --cacert "$pki/ca.crt" "$@"; }
as() { # NAME: curl's options for the client certificate NAME
    echo "--cert $pki/$1.crt --key $pki/$1.key"
}
serve() { # NAME YAML: starts ksm_exporter on YAML; sets S, the base URL
    printf '%s\n' "$2" >"$pki/$1.yml"
    start_exporter "$1" "${SYS[@]}" --web.config.file="$pki/$1.yml" || return 1
    S=https://127.0.0.1:$PORT
}
serve sans "$TLS
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  client_allowed_sans: [other.invalid, scraper.example]" || finish
# shellcheck disable=SC2046 # as prints two options each
{
    check "an allowed DNS SAN: 200" test "$(code $(as scraper) "$S/metrics")" = 200
    check "a verified certificate without an allowed SAN: 403" test "$(code $(as other) "$S/metrics")" = 403
    check "no certificate: refused" test "$(code "$S/metrics")" = 403
}
stop_exporter
k=0
for san in spiffe://ksm/prometheus ops@example.org 10.0.0.7; do
    serve san$((k += 1)) "$TLS
  client_auth_type: VerifyClientCertIfGiven
  client_ca_file: ca.crt
  client_allowed_sans: ['$san']" || finish
    # shellcheck disable=SC2046
    check "an allowed SAN $san: 200" test "$(code $(as scraper) "$S/metrics")" = 200
    check "SANs and no certificate: refused, as the toolkit's handshake is" \
        test "$(code "$S/metrics")" = 403
    stop_exporter
done

serve any "$TLS
  client_auth_type: RequireAnyClientCert" || finish
check "RequireAnyClientCert: no certificate, refused" test "$(code "$S/metrics")" = 403
# shellcheck disable=SC2046
check "RequireAnyClientCert: an unverified one, 200" test "$(code $(as self) "$S/metrics")" = 200
stop_exporter
serve request "$TLS
  client_auth_type: RequestClientCert" || finish
check "RequestClientCert: no certificate, 200" test "$(code "$S/metrics")" = 200
# shellcheck disable=SC2046
check "RequestClientCert: an unverified one, 200" test "$(code $(as self) "$S/metrics")" = 200
stop_exporter

serve inline "tls_server_config:
$inline_cert" || finish
check "inline cert and key: 200, trusted through the CA" test "$(code "$S/metrics")" = 200
stop_exporter

# cipher_suites: only the listed TLS 1.2 suites, in the server's order.
negotiated() { # openssl s_client options: the cipher agreed, or nothing
    echo | timeout 5 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$pki/ca.crt" "$@" 2>/dev/null |
        sed -n 's/^ *Cipher *: *\([A-Z0-9-]*\)$/\1/p' | grep -v '^0000$'
}
ciphers="  cipher_suites:
    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
serve ciphers "$TLS
$ciphers" || finish
check "a listed suite is negotiated" test "$(negotiated -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256)" = ECDHE-RSA-AES128-GCM-SHA256
check "an unlisted suite cannot be" test -z "$(negotiated -tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305)"
check "an unlisted key exchange cannot be" test -z "$(negotiated -tls1_2 -cipher AES128-GCM-SHA256)"
check "the server's order by default" test "$(negotiated -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384)" = ECDHE-RSA-AES256-GCM-SHA384
check "TLS 1.3 still works" test "$(code --tlsv1.3 "$S/metrics")" = 200
stop_exporter
serve clientorder "$TLS
$ciphers
  prefer_server_cipher_suites: false" || finish
check "prefer_server_cipher_suites false: the client's order" test "$(negotiated -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384)" = ECDHE-RSA-AES128-GCM-SHA256
stop_exporter

# rate_limit: a burst of 3, then one request a second; 429 as the toolkit says.
serve rate "$TLS
rate_limit:
  interval: 1s
  burst: 3" || finish
codes=$(for _ in 1 2 3 4 5; do code "$S/metrics"; echo; done | tr '\n' ' ')
check "a burst of 3 passes, then 429 (got $codes)" test "$codes" = "200 200 200 429 429 "
curl -s -D "$TMP/429.h" -o "$TMP/429.body" --cacert "$pki/ca.crt" "$S/metrics"
check "429's body is the toolkit's" test "$(cat "$TMP/429.body")" = "Too Many Requests"
check "429 says nosniff, as Go's http.Error does" grep -qi '^X-Content-Type-Options: nosniff' "$TMP/429.h"
sleep 1.2
check "a token back after the interval" test "$(code "$S/metrics")" = 200
check "and only one" test "$(code "$S/metrics")" = 429
stop_exporter

# --- a real Prometheus over mutual TLS, basic auth and a rate limit -----------------
if command -v prometheus >/dev/null; then
    serve prom "$TLS
  client_auth_type: RequireAndVerifyClientCert
  client_ca: |
$(indent "$pki/ca.crt")
  client_allowed_sans: [spiffe://ksm/prometheus]
basic_auth_users:
  alice: $alice
rate_limit:
  interval: 100ms
  burst: 5" || finish
    start_prometheus "$(https_job "$pki/ca.crt" "$pki/scraper.crt" "$pki/scraper.key")"
    wait_query ksm_pages_sharing
    check "Prometheus over mutual TLS, basic auth and a rate limit: up 1" test "$(query 'up{job="ksm"}')" = 1
    check "Prometheus gets the value" test "$(query ksm_pages_sharing)" = 196608
    # 30 requests at once: at most 5 + what 100 ms refills pass.
    # shellcheck disable=SC2046
    flood=$(seq 30 | xargs -P 30 -I{} curl -s -o /dev/null -w '%{http_code}\n' --cacert "$pki/ca.crt" \
        -u alice:secret $(as scraper) "$S/metrics" | sort | uniq -c | tr -s ' \n' ' ')
    check "the limit holds beside it: 429s among 30 requests at once ($flood)" grep -q 429 <<<"$flood"
    sleep 2.5
    check "Prometheus scrapes again once the flood is over" test "$(query 'up{job="ksm"}')" = 1
    stop_exporter
    if [ "$FAIL" -gt 0 ]; then tail -5 "$TMP/prometheus.log"; fi
else
    fail "prometheus is not installed (make test installs it)"
fi
finish
