#!/usr/bin/env bash
# The kube-balancer demo: three kb-demo-backend processes (127.0.0.1:9001-9003, routes r1-r3)
# behind kube-balancer-proxy serving examples/table.yaml (proxy 127.0.0.1:8080, admin :9901).
#
#   scripts/demo.sh                 install deps, build Release into build/, run until Ctrl-C
#   scripts/demo.sh --check         the same, but run the checks below and exit 0/1
# Options:
#   --build-dir DIR   use (and build into) DIR instead of build/
#   --no-install      skip scripts/install-deps.sh
#   --no-build        use the binaries already in the build dir
#   --any-ports       OS-chosen ports for everything (tests; the table is rendered to a temp file)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo/build"
check=0 install=1 build=1 any_ports=0
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1 ;;
    --build-dir) build_dir="$2"; shift ;;
    --no-install) install=0 ;;
    --no-build) build=0 ;;
    --any-ports) any_ports=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$install" = 1 ]; then
  if [ "$(id -u)" = 0 ]; then "$repo/scripts/install-deps.sh"; else sudo "$repo/scripts/install-deps.sh"; fi
fi
if [ "$build" = 1 ]; then
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DKB_WERROR=OFF
  fi
  cmake --build "$build_dir" -j2 --target kube-balancer-proxy kb-demo-backend
fi

proxy_bin="$(find "$build_dir" -type f -name kube-balancer-proxy -perm -u+x | head -n1)"
backend_bin="$(find "$build_dir" -type f -name kb-demo-backend -perm -u+x | head -n1)"
if [ -z "$proxy_bin" ] || [ -z "$backend_bin" ]; then
  echo "demo.sh: kube-balancer-proxy or kb-demo-backend not found under $build_dir" >&2
  exit 1
fi

work="$(mktemp -d /tmp/kb-demo.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_file() {  # wait_file FILE: until it exists (up to 30 s)
  for _ in $(seq 300); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "demo.sh: timed out waiting for $1" >&2
  return 1
}

table="$repo/examples/table.yaml"
listen=127.0.0.1:8080 admin=127.0.0.1:9901
if [ "$any_ports" = 1 ]; then listen=127.0.0.1:0 admin=127.0.0.1:0; fi
for i in 1 2 3; do
  port=$((9000 + i))
  [ "$any_ports" = 1 ] && port=0
  "$backend_bin" --listen "127.0.0.1:$port" --name "backend$i" --route "r$i" \
    --port-file "$work/b$i.port" >"$work/b$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do wait_file "$work/b$i.port"; done
if [ "$any_ports" = 1 ]; then
  sed -e "s/127.0.0.1:9001/127.0.0.1:$(cat "$work/b1.port")/" \
      -e "s/127.0.0.1:9002/127.0.0.1:$(cat "$work/b2.port")/" \
      -e "s/127.0.0.1:9003/127.0.0.1:$(cat "$work/b3.port")/" "$table" >"$work/table.yaml"
  table="$work/table.yaml"
fi

access_log=-
[ "$check" = 1 ] && access_log="$work/access.log"
"$proxy_bin" --table "$table" --listen "$listen" --admin "$admin" --port-file "$work/proxy.port" \
  --access-log "$access_log" --error-log - 2> >(tee "$work/error.log" >&2) &
pids+=($!)
wait_file "$work/proxy.port"
read -r proxy_kv admin_kv <"$work/proxy.port"
proxy_port="${proxy_kv#proxy=}" admin_port="${admin_kv#admin=}"
url="http://127.0.0.1:$proxy_port"
admin_url="http://127.0.0.1:$admin_port"

if [ "$check" = 0 ]; then
  cat <<EOT

kube-balancer demo running: proxy $url, admin $admin_url,
backends 127.0.0.1:$(cat "$work/b1.port"), :$(cat "$work/b2.port"), :$(cat "$work/b3.port") (routes r1, r2, r3).
Try:
  curl -v $url/                                  # a backend sets JSESSIONID=<id>.<route>
  curl -c /tmp/jar -b /tmp/jar $url/             # repeat: same backend every time (sticky)
  curl "$url/app;jsessionid=abc.r2"              # URL form of the session: goes to r2
  curl $url/redirect -H 'Host: shop.test' -v     # Location rewritten (ProxyPassReverse)
  curl $admin_url/api/balancers                  # members, flags, counters, health checks
  curl $admin_url/readyz
  edit $table and watch the proxy reload it (a bad edit is logged and ignored)
Ctrl-C stops everything.
EOT
  wait "${pids[-1]}"
  exit $?
fi

# --check: sticky routing, URL-parameter routing, the admin API; exit 0 only if all hold.
fail() { echo "demo.sh --check: FAIL: $*" >&2; exit 1; }
jar="$work/cookies"
first="$(curl -sS -c "$jar" -b "$jar" "$url/")" || fail "first request"
route="$(sed -n 's/.*route=\(r[0-9]\).*/\1/p' <<<"$first")"
[ -n "$route" ] || fail "no route in '$first'"
grep -q "JSESSIONID.*\.$route" "$jar" || fail "no JSESSIONID cookie for $route"
for _ in $(seq 10); do
  body="$(curl -sS -c "$jar" -b "$jar" "$url/")" || fail "request with cookie"
  grep -q "route=$route " <<<"$body" || fail "cookie for $route went to: $body"
done
for r in r1 r2 r3; do
  body="$(curl -sS "$url/app;jsessionid=abc.$r")" || fail "url param request"
  grep -q "route=$r " <<<"$body" || fail "jsessionid=abc.$r went to: $body"
done
api="$(curl -sS "$admin_url/api/balancers")" || fail "admin api"
grep -q '"name":"demo"' <<<"$api" || fail "admin api: $api"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$admin_url/readyz")" = 200 ] || fail "readyz"
# The health checks (hcinterval 2s) see all three backends passing.
passing=0
for _ in $(seq 100); do
  passing="$(curl -sS "$admin_url/api/balancers" | grep -o '"state":"passing"' | wc -l || true)"
  [ "$passing" = 3 ] && break
  sleep 0.1
done
[ "$passing" = 3 ] || fail "health checks: $passing of 3 members passing"
echo "demo.sh --check: OK (sticky to $route, url-param routing, admin API, health checks)"
