#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Prometheus rules: promtool checks every rule file of dashboards/ and
# runs the alert unit tests kept beside this script.  It needs promtool
# alone, which `make test` installs: without it the test fails rather than
# passing unchecked.
# Usage: rules.sh SOURCE_DIR
set -u
SRC=$(realpath "$1")
EXPORTER=/bin/false
. "$SRC/tests/integration/lib.sh"
if ! command -v promtool >/dev/null; then
    fail "promtool is not installed (make test installs it)"
    finish
fi

check "promtool check rules" promtool check rules "$SRC"/dashboards/*.yml
for t in "$(dirname "$0")"/*.test.yml; do
    check "promtool test rules $(basename "$t")" promtool test rules "$t"
done
finish
