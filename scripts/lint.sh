#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The C sources against .clang-format and .clang-tidy.
#   lint.sh format            rewrite every tracked .c/.h file in place
#   lint.sh check BUILD_DIR   fail on any formatting difference or clang-tidy
#                             finding (BUILD_DIR holds compile_commands.json)
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t sources < <(git ls-files '*.c' '*.h')

case "${1:-}" in
format)
    clang-format -i "${sources[@]}"
    exit 0
    ;;
check)
    build=${2:?usage: lint.sh check BUILD_DIR}
    ;;
*)
    echo "usage: lint.sh format | lint.sh check BUILD_DIR" >&2
    exit 2
    ;;
esac

status=0
echo "clang-format: ${#sources[@]} files"
if ! clang-format --dry-run --Werror "${sources[@]}"; then
    echo "clang-format: differences above (make format fixes them)"
    status=1
fi

# clang-tidy needs each file's flags: it checks the translation units of the
# build (headers through them), which leaves out only the fuzz harnesses,
# built by their own clang configuration.  CMake writes physical paths.
db=$build/compile_commands.json
if [ ! -f "$db" ]; then
    echo "no $db: configure the build first" >&2
    exit 2
fi
top=$(pwd -P)
mapfile -t units < <(git ls-files '*.c' | while read -r f; do
    grep -q "\"file\": \"$top/$f\"" "$db" && echo "$f"
done)
echo "clang-tidy: ${#units[@]} translation units"
if [ "${#units[@]}" -lt 10 ]; then
    echo "clang-tidy: too few translation units found in $db" >&2
    exit 1
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# WarningsAsErrors makes every finding a non-zero exit; the output is kept
# so that the findings are shown, and any failure of clang-tidy itself
# (missing, crashed) fails too.
if ! printf '%s\n' "${units[@]}" |
    xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet >"$out" 2>&1; then
    grep -E '(warning|error):' "$out" || cat "$out"
    echo "clang-tidy: failed (findings or errors above)"
    status=1
fi
[ "$status" -eq 0 ] && echo "lint: clean"
exit "$status"
