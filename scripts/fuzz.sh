#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time on a copy
# of its seed corpus (tests/fuzz/corpus/<name>); a crash fails the run and leaves the reproducer
# in build/fuzz/crashes/. docs/reliability.md has the longer documented run and its figures.
#   scripts/fuzz.sh               every target, KB_FUZZ_SECONDS (default 30) each
#   scripts/fuzz.sh table 600     one target, 600 s
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
only=${1:-}
seconds=${2:-${KB_FUZZ_SECONDS:-30}}
dir=build/fuzz
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKB_FUZZ=ON \
  -DKB_WERROR=OFF "${launcher[@]}" >/dev/null
cmake --build "$dir" -j"${KB_JOBS:-2}" --target fuzz-targets
mkdir -p "$dir/crashes"
status=0
for corpus in tests/fuzz/corpus/*/; do
  name=$(basename "$corpus")
  [ -n "$only" ] && [ "$only" != "$name" ] && continue
  work=$(mktemp -d)
  cp -r "$corpus". "$work"/
  echo "== fuzz $name for ${seconds}s"
  if ! "$dir/tests/fuzz/${name}_fuzz" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$root/$dir/crashes/${name}-" "$work" 2>"$dir/$name.log"; then
    status=1
    tail -n 40 "$dir/$name.log"
    echo "fuzz: $name found a problem; reproducer in $dir/crashes/ (run: $dir/tests/fuzz/${name}_fuzz <file>)"
  else
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$dir/$name.log" || true
    grep -E 'cov: [0-9]+' "$dir/$name.log" | tail -n 1 || true
  fi
  rm -rf "$work"
done
exit $status
