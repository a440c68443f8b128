#!/usr/bin/env bash
# The whole test suite, from a fresh Debian bookworm machine (as root): installs what is needed,
# builds with -Werror, runs every test (unit and integration) with ctest, then does the same in an
# AddressSanitizer + UndefinedBehaviorSanitizer build, runs the proxy's concurrent parts under
# ThreadSanitizer (scripts/tsan.sh), and each libFuzzer target for a bounded time (scripts/fuzz.sh,
# KB_FUZZ_SECONDS each). `.ci/run` calls this script.
#   scripts/test.sh            every configuration
#   scripts/test.sh --quick    the -Werror configuration only
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=${KB_JOBS:-2}

bash scripts/install-deps.sh
[ -x scripts/get-kube-tools.sh ] && bash scripts/get-kube-tools.sh

run_suite() {  # name, extra cmake flags...
  local dir="build/$1"; shift
  echo "== configure $dir $*"
  cmake -S . -B "$dir" -DKB_WERROR=ON "$@" >/dev/null
  echo "== build $dir"
  cmake --build "$dir" -j"$jobs"
  echo "== test $dir"
  (cd "$dir" && ctest --output-on-failure --timeout 900 -j"$jobs")
}

run_suite test -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [ "$quick" = 0 ]; then
  # Sanitizer runs: leaks are reported, large-transfer tests scale down (see tests/support/kbtest.py).
  export KB_SANITIZER_BUILD=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
  run_suite asan -DCMAKE_BUILD_TYPE=Debug -DKB_SANITIZE=ON
  bash scripts/tsan.sh
  echo "== fuzz (bounded)"
  KB_FUZZ_SECONDS=${KB_FUZZ_SECONDS:-30} bash scripts/fuzz.sh
fi
echo "== all tests passed"
