#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian package: builds it (prefix /usr), checks it with lintian against
# tests/lintian-allowed.txt, installs it with dpkg, runs ksm_exporter from
# /usr/bin, loads ksm.so in collectd with the shipped snippet, verifies the
# systemd unit, then removes and purges it.  Needs root (it installs).
# Usage: package.sh SOURCE_DIR WORK_DIR
set -u
SRC=$1 WORK=$2
EXPORTER=/bin/false
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: installing a package needs root"; exit 77; fi
if dpkg-query -W -f='${Status}' ksm-exporter 2>/dev/null | grep -q 'ok installed'; then
    echo "SKIP: ksm-exporter is installed on this machine; not touching it"
    exit 77
fi

( cmake -S "$SRC" -B "$WORK" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
      -DBUILD_TESTING=OFF && cmake --build "$WORK" -j "$(nproc)" &&
  cd "$WORK" && rm -f ./*.deb && cpack ) >"$TMP/build.log" 2>&1 ||
    { tail -20 "$TMP/build.log"; fail "building the package"; finish; }
deb=$(ls "$WORK"/*.deb)
check "one .deb built" test -f "$deb"
check "its dependencies were computed" bash -c "dpkg-deb -f '$deb' Depends | grep -q libmicrohttpd12"

if command -v lintian >/dev/null; then
    lintian -I --pedantic "$deb" 2>/dev/null | grep -E '^[EWIP]: ' >"$TMP/lintian.txt"
    unexplained=$(awk '{ print $3 }' "$TMP/lintian.txt" | sort -u | while read -r tag; do
        grep -q "^$tag	" "$SRC/tests/lintian-allowed.txt" || echo "$tag"
    done)
    check "lintian: every finding explained in tests/lintian-allowed.txt ($unexplained)" test -z "$unexplained"
else
    fail "lintian is not installed (make test installs it)"
fi

trap 'dpkg -P ksm-exporter >/dev/null 2>&1; cleanup' EXIT
check "dpkg -i installs it" dpkg -i "$deb"
check "ksm_exporter --version from /usr/bin" bash -c "/usr/bin/ksm_exporter --version | grep -q '^ksm_exporter, version 0.1.0'"
check "the man pages are there" test -f /usr/share/man/man1/ksm_exporter.1.gz -a -f /usr/share/man/man5/collectd-ksm.5.gz
check "the dashboards and rules are there" test -f /usr/share/ksm-exporter/dashboards/ksm-overview.json -a -f /usr/share/ksm-exporter/rules/ksm-alerts.yml
check "/etc/default/ksm-exporter is a conffile" bash -c "dpkg-query -W -f='\${Conffiles}' ksm-exporter | grep -q /etc/default/ksm-exporter"
if command -v systemd-analyze >/dev/null; then
    check "the installed unit verifies" bash -c "! systemd-analyze verify /usr/lib/systemd/system/ksm-exporter.service 2>&1 | grep ksm-exporter"
fi

# collectd loads the installed ksm.so through the shipped snippet.
if command -v collectd >/dev/null; then
    mkdir -p "$TMP/cd"
    {
        collectd_conf "$TMP/cd"
        cat <<CONF
Include "/etc/collectd/collectd.conf.d/ksm.conf"
CONF
    } >"$TMP/cd/collectd.conf"
    collectd -f -C "$TMP/cd/collectd.conf" >"$TMP/cd/stdout" 2>&1 &
    cpid=$!; PIDS+=("$cpid")
    for i in $(seq 100); do
        collectdctl -s "$TMP/cd/sock" getval ksmtest/ksm/gauge-run 2>/dev/null | grep -q value= && break
        sleep 0.2
    done
    check "collectd loads /usr/lib/collectd/ksm.so with the shipped snippet" \
        grep -q 'plugin "ksm" successfully loaded' "$TMP/cd/collectd.log"
    check "and reads this machine's KSM" bash -c "collectdctl -s '$TMP/cd/sock' getval ksmtest/ksm/gauge-run | grep -q '^value='"
    kill -TERM "$cpid"; wait "$cpid"
fi

check "dpkg -r removes it" dpkg -r ksm-exporter
check "the binary is gone" test ! -e /usr/bin/ksm_exporter
check "the plugin is gone" test ! -e /usr/lib/collectd/ksm.so
check "conffiles stay until purge" test -f /etc/default/ksm-exporter
check "dpkg -P purges it" dpkg -P ksm-exporter
check "nothing is left in /etc" test ! -e /etc/default/ksm-exporter -a ! -e /etc/collectd/collectd.conf.d/ksm.conf
check "dpkg forgets it" bash -c "! dpkg-query -W ksm-exporter 2>/dev/null | grep -q ."
check "no unit symlink is left" bash -c "! ls /etc/systemd/system/*/ksm-exporter.service /etc/systemd/system/ksm-exporter.service 2>/dev/null | grep -q ."
finish
