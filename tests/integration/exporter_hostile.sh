#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile clients (hostile.py), then fault injection: while a scrape loop
# runs, KSM files vanish, come back, turn to garbage, and the directory goes
# and returns; every scrape must be a 200 whose ksm_up and
# ksm_read_errors_total tell the truth, with no invented value.
# Usage: exporter_hostile.sh KSM_EXPORTER FIXTURES_DIR
set -u
EXPORTER=$1 FIXTURES=$2
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { fail "python3 is not installed (make test installs it)"; finish; }

start_exporter hostile --path.sysfs="$FIXTURES/typical" --no-collector.process \
    --path.procfs="$FIXTURES/none" || exit 1
check "hostile clients" python3 "$(dirname "$0")/hostile.py" "$PORT" "$PID"
check "alive and exits 0 after them" stop_exporter

# --- fault injection -----------------------------------------------------------
cp -r "$FIXTURES/typical" "$TMP/sys"
cp -r "$FIXTURES/typical/kernel" "$TMP/kernel.saved"
ksm=$TMP/sys/kernel/mm/ksm
start_exporter faults --path.sysfs="$TMP/sys" --no-collector.process \
    --path.procfs="$FIXTURES/none" || exit 1
(
    i=0
    while :; do
        case $((i % 6)) in
        0) rm -f "$ksm/pages_sharing" ;;
        1) echo garbage >"$ksm/pages_sharing" ;;
        2) echo 196608 >"$ksm/pages_sharing" ;;
        3) rm -rf "$TMP/sys/kernel" ;;
        4) cp -r "$TMP/kernel.saved" "$TMP/sys/kernel" ;;
        5) head -c 5000 /dev/urandom >"$ksm/full_scans"; sleep 0.02; echo 42 >"$ksm/full_scans" ;;
        esac
        i=$((i + 1))
        sleep 0.03
    done
) &
PIDS+=($!)
bad=0 scrapes=0 up0=0 lies=0
for i in $(seq 300); do
    body=$(curl -s -w '\n%{http_code}' "http://127.0.0.1:$PORT/metrics")
    scrapes=$((scrapes + 1))
    code=${body##*$'\n'}
    [ "$code" = 200 ] || { bad=$((bad + 1)); continue; }
    grep -q '^ksm_up 0$' <<<"$body" && up0=$((up0 + 1))
    # Whatever it says must be a value the files held: never made up.
    if v=$(sed -n 's/^ksm_pages_sharing //p' <<<"$body") && [ -n "$v" ] && [ "$v" != 196608 ]; then
        lies=$((lies + 1))
    fi
    if v=$(sed -n 's/^ksm_full_scans_total //p' <<<"$body") && [ -n "$v" ] && [ "$v" != 42 ]; then
        lies=$((lies + 1))
    fi
    # ksm_up 0 comes with no KSM value at all.
    if grep -q '^ksm_up 0$' <<<"$body" && grep -q '^ksm_pages_' <<<"$body"; then
        lies=$((lies + 1))
    fi
done
kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null
[ -d "$TMP/sys/kernel" ] || cp -r "$TMP/kernel.saved" "$TMP/sys/kernel"
echo 196608 >"$ksm/pages_sharing"; echo 42 >"$ksm/full_scans"
echo "fault injection: $scrapes scrapes, $bad not 200, $up0 with ksm_up 0, $lies with a made-up value"
check "every scrape under faults answered 200" test "$bad" = 0
check "no scrape under faults invented a value" test "$lies" = 0
check "the faults showed (ksm_up 0 seen)" test "$up0" -gt 0
final=$(curl -s "http://127.0.0.1:$PORT/metrics")
check "after the faults: ksm_up 1" grep -q '^ksm_up 1$' <<<"$final"
check "after the faults: the values are back" grep -q '^ksm_pages_sharing 196608$' <<<"$final"
check "after the faults: errors were counted" grep -qE '^ksm_read_errors_total\{file="pages_sharing"\} [1-9]' <<<"$final"
check "alive and exits 0 after the faults" stop_exporter
finish
