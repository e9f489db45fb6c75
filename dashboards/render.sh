#!/bin/sh
# SPDX-License-Identifier: MIT
# Renders a mixin into the files this directory commits: ksm-overview.json,
# ksm-collectd.json, ksm-alerts.yml and ksm-recording.yml.
# Usage: render.sh OUTPUT_DIR [MIXIN]
#   MIXIN: a jsonnet file that evaluates to the mixin, such as
#   example-override.jsonnet (default: mixin.libsonnet of this directory).
#   Imports resolve against this directory too.
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    sed -n '3,8s/^# \{0,1\}//p' "$0" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
out=$1
mixin=$(realpath "${2:-$here/mixin.libsonnet}")
command -v jsonnet >/dev/null ||
    { echo "render.sh: jsonnet is not installed (apt-get install jsonnet)" >&2; exit 1; }
mkdir -p "$out"
jsonnet -J "$here" -m "$out" -e "(import '$mixin').grafanaDashboards" >/dev/null
jsonnet -J "$here" -S -m "$out" \
    -e "(import 'lib/files.libsonnet')(import '$mixin')" >/dev/null
