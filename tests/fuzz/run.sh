#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer harnesses with clang (ASan + UBSan) in their own build
# directory and runs each for a bounded time on its corpus here.
# Usage: tests/fuzz/run.sh [SECONDS_EACH] [BUILD_DIR]
set -u
secs=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${2:-$src/build-fuzz}
command -v clang >/dev/null || { echo "SKIP: clang is not installed"; exit 77; }
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
    -DKSM_FUZZ=ON -DBUILD_TESTING=OFF >"$build.log" 2>&1 &&
    cmake --build "$build" -j "$(nproc)" >>"$build.log" 2>&1 ||
    { tail -30 "$build.log"; echo "fuzz: 0 passed, 1 failed"; exit 1; }
pass=0 fail=0
for name in numbers procfs ksmtuned findings webconfig http_headers; do
    work=$(mktemp -d)
    cp -r "$here/corpus/$name/." "$work/"
    out=$("$build/tests/fuzz/fuzz_$name" -max_total_time="$secs" -max_len=4096 \
        -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 "$work" 2>&1)
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' <<<"$out")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' <<<"$out")
    echo "fuzz_$name: rc $rc, ${execs:-?} executions in ${secs} s (${rate:-?}/s)"
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        grep -E 'ERROR|SUMMARY|Test unit written' <<<"$out" | head -5
    fi
    rm -rf "$work"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
