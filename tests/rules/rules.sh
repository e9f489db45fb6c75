#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Prometheus rules: promtool checks every rule file of dashboards/ and
# runs the alert unit tests kept beside this script.  It needs promtool
# alone, so it runs wherever promtool does (77, skipped, where it is absent).
# Usage: rules.sh SOURCE_DIR
set -u
SRC=$(realpath "$1")
EXPORTER=/bin/false
. "$SRC/tests/integration/lib.sh"
command -v promtool >/dev/null || { echo "promtool is not installed: skipped"; exit 77; }

check "promtool check rules" promtool check rules "$SRC"/dashboards/*.yml
for t in "$(dirname "$0")"/*.test.yml; do
    check "promtool test rules $(basename "$t")" promtool test rules "$t"
done
finish
