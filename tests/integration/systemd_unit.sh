#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The example systemd unit passes systemd-analyze verify (offline).
# Usage: systemd_unit.sh UNIT_FILE KSM_EXPORTER
set -u
unit=$1 exporter=$2
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|^ExecStart=/usr/bin/ksm_exporter|ExecStart=$exporter|" "$unit" >"$tmp/ksm_exporter.service"
out=$(systemd-analyze verify "$tmp/ksm_exporter.service" 2>&1)
rc=$?
# Only what concerns this unit counts; verify may mention others on the host.
mine=$(grep 'ksm_exporter.service' <<<"$out")
if [ "$rc" -eq 0 ] && [ -z "$mine" ]; then
    echo "systemd_unit: 1 passed, 0 failed"
else
    echo "$out"; echo "systemd_unit: 0 passed, 1 failed"; exit 1
fi
