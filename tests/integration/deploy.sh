#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deploy/: the Kubernetes manifests against the API schemas (offline, from
# npm packages), the Prometheus examples with promtool.
# Usage: deploy.sh SOURCE_DIR WORK_DIR
set -u
SRC=$1 WORK=$2
EXPORTER=/bin/false
. "$(dirname "$0")/lib.sh"

if command -v promtool >/dev/null; then
    sed "s|/usr/share/ksm-exporter/rules/|$SRC/dashboards/|" \
        "$SRC/deploy/prometheus/static.yml" >"$TMP/static.yml"
    : >"$TMP/ksm-password"
    sed -i "s|/etc/prometheus/ksm-password|$TMP/ksm-password|" "$TMP/static.yml"
    check "promtool check config: the static example" promtool check config "$TMP/static.yml"
else
    fail "promtool is not installed (make test installs it)"
fi

command -v npm >/dev/null || { fail "npm is not installed (make test installs it)"; finish; }
mkdir -p "$WORK"
cp "$SRC/tests/k8s/package.json" "$SRC/tests/k8s/validate.mjs" "$WORK/"
if [ ! -d "$WORK/node_modules/kubernetes-models" ]; then
    (cd "$WORK" && npm install --no-audit --no-fund --silent) >"$TMP/npm.log" 2>&1 ||
        { cat "$TMP/npm.log"; fail "npm install of the schema packages"; finish; }
fi
check "Kubernetes manifests match the API schemas" \
    node "$WORK/validate.mjs" "$SRC"/deploy/kubernetes/*.yaml
# The validator itself must reject a broken manifest.
sed 's/containerPort: 10062/containerPort: "ten"/' "$SRC/deploy/kubernetes/daemonset.yaml" >"$TMP/broken.yaml"
check "a broken manifest is rejected" bash -c "! node '$WORK/validate.mjs' '$TMP/broken.yaml' >/dev/null"
check "the Kubernetes Prometheus example is YAML" node -e "
    import('$WORK/node_modules/js-yaml/index.js').then(y => {
        const d = y.load(require('fs').readFileSync('$SRC/deploy/prometheus/kubernetes.yml', 'utf8'));
        if (!d.scrape_configs[0].kubernetes_sd_configs) process.exit(1);
    }).catch(() => process.exit(1));"
finish
