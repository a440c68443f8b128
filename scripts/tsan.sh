#!/usr/bin/env bash
# ThreadSanitizer run of the proxy's concurrent parts: workers sharing balancer state, table swaps,
# health checks and heartbeats, the admin listener and manager, the access-log queue. Builds the
# proxy, its unit tests and the demo backend with -fsanitize=thread (build/tsan), runs the unit
# tests and the proxy's integration tests (real binary, several workers), and fails when any
# process wrote a TSan report (reports go to build/tsan/reports/, not only to stderr, so a race in
# a proxy a Python test started is seen too). The controller is left out: cpprestsdk is not
# instrumented, so TSan would report its internals.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build/tsan
jobs=${KB_JOBS:-2}
unit_tests=(core/kb_core_tests core/kb_core_lb_tests net/kb_net_unit_tests net/kb_net_loopback_tests
            health/kb_health_tests admin/kb_admin_tests app/kb_app_tests manager/manager_test)
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
echo "== configure $dir (ThreadSanitizer)"
cmake -S . -B "$dir" -DKB_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKB_TSAN=ON "${launcher[@]}" >/dev/null
echo "== build $dir"
cmake --build "$dir" -j"$jobs" --target kube-balancer-proxy kb-demo-backend \
  $(for t in "${unit_tests[@]}"; do basename "$t"; done)
reports="$PWD/$dir/reports"
rm -rf "$reports" && mkdir -p "$reports"
export TSAN_OPTIONS="log_path=$reports/tsan second_deadlock_stack=1 history_size=4"
export KB_SANITIZER_BUILD=1
echo "== test $dir"
status=0
for t in "${unit_tests[@]}"; do
  # From the build directory: some tests write files (metrics.txt) into their working directory.
  if ! (cd "$dir" && "tests/unit/$t" --gtest_brief=1 >"$(basename "$t").log" 2>&1); then
    echo "tsan: $t failed"; tail -n 30 "$dir/$(basename "$t").log"; status=1
  fi
done
(cd "$dir" && ctest -R 'integration\.(proxy|balancing|manager)' -E 'integration\.proxy\.demo' \
   --output-on-failure --timeout 600 -j"$jobs") || status=1
if compgen -G "$reports/tsan*" >/dev/null; then
  echo "tsan: ThreadSanitizer reports:"
  cat "$reports"/tsan* | head -n 200
  status=1
fi
[ "$status" = 0 ] && echo "== tsan: no data race reported"
exit $status
