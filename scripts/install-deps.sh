#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages the build and the tests need, when missing.
# As root it runs apt-get; otherwise it names what to install and fails.
# Usage: install-deps.sh [build|test|bench]
set -eu
want=(git cmake make gcc pkg-config libmicrohttpd-dev libgnutls28-dev zlib1g-dev libyaml-dev
      libcrypt-dev libdeflate-dev check curl jsonnet)
case "${1:-build}" in
test)  want+=(collectd-core collectd-dev collectd-utils libprotobuf-c1 python3
              python3-pytest python3-yaml
              openssl prometheus-node-exporter clang libclang-rt-14-dev
              dpkg-dev lintian clang-format clang-tidy
              prometheus qemu-system-x86 ksmtuned) ;;
bench) want+=(wrk prometheus-node-exporter qemu-system-x86) ;;
esac
# The manifest checks use npm packages; any Node.js with npm will do.
if [ "${1:-build}" = test ] && ! command -v npm >/dev/null; then
    want+=(nodejs npm)
fi

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale or absent on a fresh machine.
apt-get update -qq
# Recommends would drag a JRE in with collectd-utils.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
