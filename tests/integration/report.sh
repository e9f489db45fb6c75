#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ksm_exporter --report on the fixtures: exit statuses, 80 columns, no
# escape sequences into a pipe, valid JSON with the whole findings
# catalogue, the fixture's guests with their figures, a guest that exits
# mid-report, and no listening socket.
# Usage: report.sh KSM_EXPORTER FIXTURES_DIR PROCFS_DIR SOURCE_DIR
set -u
EXPORTER=$1 FIXTURES=$2 PROCFS=$3 SRC=$4
. "$(dirname "$0")/lib.sh"

NONE=$FIXTURES/does-not-exist
# report NAME ARGS...: runs a one-second report; output in $TMP/NAME, the
# exit status in $TMP/NAME.rc.
report() {
    local name=$1
    shift
    "$EXPORTER" --report --report.interval=1s --path.ksmtuned-config="$NONE" \
        "$@" >"$TMP/$name" 2>"$TMP/$name.err"
    echo $? >"$TMP/$name.rc"
}
exits() { test "$(cat "$TMP/$1.rc")" = "$2"; }
# Every line at most 80 characters (UTF-8 counted as characters).
fits_80() {
    python3 -c 'import sys
bad = [l for l in open(sys.argv[1], encoding="utf-8").read().splitlines() if len(l) > 80]
bad and print(*bad, sep="\n")
sys.exit(1 if bad or not open(sys.argv[1]).read() else 0)' "$1"
}
no_esc() { ! grep -q $'\033' "$1"; }
json_ok() { python3 -m json.tool "$1" >/dev/null; }
# jq-less queries: py FILE EXPR, with d the parsed JSON.
py() {
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); '"$2" "$1" "${@:3}"
}

# The typical host, text and JSON.
TYPICAL=(--path.sysfs="$FIXTURES/typical" --path.procfs="$PROCFS")
report typical.txt "${TYPICAL[@]}"
check "text exits 0" exits typical.txt 0
check "text fits 80 columns" fits_80 "$TMP/typical.txt"
check "no ESC byte into a pipe" no_esc "$TMP/typical.txt"
check "headline says the verdict" grep -qx 'KSM pays, but could pay more\.' \
    <(head -n1 "$TMP/typical.txt")
check "figures: memory saved" grep -qE '^  Memory saved +[0-9.]+ [KMG]iB$' "$TMP/typical.txt"
check "table row of web01" grep -qE '^web01 +1000 +30000 +100 ' "$TMP/typical.txt"
check "an active warning with why and action" \
    grep -qE '^warning: Guest memory is backed by transparent huge pages$' "$TMP/typical.txt"
check "Why: paragraph" grep -q '^  Why: ' "$TMP/typical.txt"
check "Action: paragraph" grep -q '^  Action: ' "$TMP/typical.txt"

report typical.json "${TYPICAL[@]}" --report.format=json
check "json exits 0" exits typical.json 0
check "json parses" json_ok "$TMP/typical.json"
check "json verdict" py "$TMP/typical.json" 'sys.exit(d["verdict"] != "could_pay_more")'
KSMDIR=$FIXTURES/typical/kernel/mm/ksm
SAVED=$((($(cat "$KSMDIR/pages_sharing") + $(cat "$KSMDIR/ksm_zero_pages")) * $(getconf PAGESIZE)))
check "json saved bytes: (pages_sharing + zero pages) x page" py "$TMP/typical.json" '
f = d["figures"]
sys.exit(f["saved_bytes"] != int(sys.argv[2])
         or f["general_profit_bytes"] != int(sys.argv[3]))' "$SAVED" "$(cat "$KSMDIR/general_profit")"
check "full scan bound with no scan finished" grep -qE \
    '^  Full scan +more than 1\.0 s \(0 finished in 1\.0 s\); estimated' "$TMP/typical.txt"

# Every finding of the catalogue, with every key, in catalogue order.
grep -hoE '^ +\.id = "[a-z_]+"' "$SRC"/common/src/findings*.c |
    sed 's/.*"\(.*\)"/\1/' >"$TMP/ids.src"
check "catalogue ids found in the sources" test "$(wc -l <"$TMP/ids.src")" -ge 11
py "$TMP/typical.json" 'print(*[f["id"] for f in d["findings"]], sep="\n")' >"$TMP/ids.json"
check "json lists every finding of the catalogue" diff -u "$TMP/ids.src" "$TMP/ids.json"
check "json findings have every key" py "$TMP/typical.json" '
keys = {"id","alert","severity","title","active","known","value","limit",
        "count","detail","why","action","rule"}
sys.exit(any(set(f) != keys for f in d["findings"]))'

# The guests against the fixture files: each listed pid with its merging
# pages, every QEMU process and every process with merging pages.
check "json guests match the fixture" python3 - "$TMP/typical.json" "$PROCFS" <<'PY'
import json, os, re, sys
d = json.load(open(sys.argv[1]))
root = sys.argv[2]
def merging(pid):
    try:
        m = re.search(r"^ksm_merging_pages (\d+)$",
                      open(f"{root}/{pid}/ksm_stat").read(), re.M)
        if m:
            return int(m.group(1))
    except OSError:
        pass
    try:
        return int(open(f"{root}/{pid}/ksm_merging_pages").read())
    except (OSError, ValueError):
        return None
want = set()
for pid in filter(str.isdigit, os.listdir(root)):
    try:
        argv0 = open(f"{root}/{pid}/cmdline", "rb").read().split(b"\0")[0]
    except OSError:
        continue
    prog = os.path.basename(argv0).decode("utf-8", "replace")
    if re.fullmatch(r"qemu-system-.*|qemu-kvm|kvm", prog) or (merging(pid) or 0) > 0:
        want.add(int(pid))
got = {g["pid"]: g for g in d["guests"]}
bad = [p for p, g in got.items() if g["merging_pages"] not in (merging(p), None)]
if set(got) != want or bad or len(got) != len(d["guests"]):
    print("want", sorted(want), "got", sorted(got), "bad", bad)
    sys.exit(1)
profits = [g["profit_bytes"] for g in d["guests"] if g["profit_bytes"] is not None]
sys.exit(profits != sorted(profits, reverse=True))
PY
# Each guest with statm and a well-formed smaps_rollup has its THP share in
# the report, although --collector.process.thp-interval spreads the reads.
check "every readable guest has its THP share" py "$TMP/typical.json" '
shares = {g["pid"]: g["thp_share"] for g in d["guests"]}
sys.exit(shares != {**shares, 1000: 1, 1001: 0, 1010: 2, 1013: 0})'

# No KSM directory: verdict unknown, exit 0, in both forms.
report missing.txt --path.sysfs="$NONE" --path.procfs="$NONE"
check "missing KSM exits 0" exits missing.txt 0
# The headline may wrap: the path is long.
check "missing KSM says so" grep -q '^KSM cannot be read: .*: No such file or directory Two samples' \
    <(tr '\n' ' ' <"$TMP/missing.txt")
check "missing KSM fits 80 columns" fits_80 "$TMP/missing.txt"
report missing.json --path.sysfs="$NONE" --path.procfs="$NONE" --report.format=json
check "missing KSM json exits 0" exits missing.json 0
check "missing KSM json verdict unknown" py "$TMP/missing.json" '
sys.exit(d["verdict"] != "unknown" or d["figures"]["saved_bytes"] is not None
         or any(f["known"] for f in d["findings"]))'

# Every fixture, both forms at once: exit 0, 80 columns, valid JSON.
for dir in "$FIXTURES"/*/; do
    c=$(basename "$dir")
    report "all-$c.txt" --path.sysfs="$dir" --path.procfs="$PROCFS" &
    report "all-$c.json" --path.sysfs="$dir" --path.procfs="$PROCFS" \
        --report.format=json &
done
wait
for dir in "$FIXTURES"/*/; do
    c=$(basename "$dir")
    check "$c: text exits 0" exits "all-$c.txt" 0
    check "$c: text fits 80 columns" fits_80 "$TMP/all-$c.txt"
    check "$c: json exits 0" exits "all-$c.json" 0
    check "$c: json parses" json_ok "$TMP/all-$c.json"
done
check "garbage: the headline names the bad file" \
    grep -q '^KSM cannot be read: .*/ksm/run: Invalid argument Two samples' \
    <(tr '\n' ' ' <"$TMP/all-garbage.txt")
check "stopped: the headline" grep -qx 'KSM is off\.' <(head -n1 "$TMP/all-stopped.txt")

# Wrong flags exit 2, and print no report.
for flag in --report.interval=0s --report.interval=11m --report.interval=601 \
    --report.interval=5x --report.interval= --report.format=xml --report.bogus; do
    report badflag "$flag" --path.sysfs="$NONE"
    check "$flag exits 2" exits badflag 2
    check "$flag prints no report" test ! -s "$TMP/badflag"
done

# A guest named long, with a control character, quotes and UTF-8: still 80
# columns and no ESC in text; the exact name in JSON.
cp -a "$PROCFS" "$TMP/proc"
NAME=$'gu\033[31mest "\\x" \xc3\xa9t\xc3\xa9-0123456789-0123456789-0123456789-0123456789-0123456789-end'
printf '/usr/bin/qemu-system-x86_64\0-name\0guest=%s\0' "$NAME" >"$TMP/proc/1000/cmdline"
LONG=(--path.sysfs="$FIXTURES/typical" --path.procfs="$TMP/proc")
report long.txt "${LONG[@]}"
check "long name: exits 0" exits long.txt 0
check "long name: fits 80 columns" fits_80 "$TMP/long.txt"
check "long name: no ESC byte" no_esc "$TMP/long.txt"
check "long name: cut in the table" grep -qE '^gu\?\[31mest "\\x" \S+ +1000 ' "$TMP/long.txt"
report long.json "${LONG[@]}" --report.format=json
check "long name: json parses" json_ok "$TMP/long.json"
# (The process scan already shows the control character as '?'.)
check "long name: json name exact" py "$TMP/long.json" '
want = sys.argv[2].replace("\x1b", "?")
sys.exit([g["name"] for g in d["guests"] if g["pid"] == 1000] != [want])' "$NAME"

# A process that exits between the two samples is simply not in the report.
"$EXPORTER" --report --report.interval=2s --report.format=json \
    --path.ksmtuned-config="$NONE" "${LONG[@]}" >"$TMP/exit.json" 2>&1 &
RPID=$!
sleep 0.5
rm -rf "$TMP/proc/1002"
wait "$RPID"
check "exiting process: exit 0" test $? = 0
check "exiting process: absent, others listed" py "$TMP/exit.json" '
pids = {g["pid"] for g in d["guests"]}
sys.exit(1002 in pids or 1005 not in pids)'

# --report opens no socket: it succeeds on an address a server holds.
start_exporter server --path.sysfs="$FIXTURES/typical" --path.procfs="$NONE" \
    --path.ksmtuned-config="$NONE" || fail "server start"
report busy.txt --web.listen-address=127.0.0.1:"$PORT" --path.sysfs="$FIXTURES/typical"
check "no listening socket (the address is in use)" exits busy.txt 0
check "logs nothing" test ! -s "$TMP/busy.txt.err"
stop_exporter

# Colour only on a terminal, and not with NO_COLOR.
if command -v script >/dev/null; then
    TERM=xterm script -qec "$EXPORTER --report --report.interval=1s --path.sysfs=$FIXTURES/typical --path.procfs=$PROCFS --path.ksmtuned-config=$NONE" /dev/null >"$TMP/tty.txt"
    check "colour on a terminal" grep -q $'\033\\[1;33mKSM pays' "$TMP/tty.txt"
    NO_COLOR=1 TERM=xterm script -qec "$EXPORTER --report --report.interval=1s --path.sysfs=$FIXTURES/typical --path.procfs=$PROCFS --path.ksmtuned-config=$NONE" /dev/null >"$TMP/nocolor.txt"
    check "NO_COLOR: no colour" no_esc "$TMP/nocolor.txt"
fi
finish
