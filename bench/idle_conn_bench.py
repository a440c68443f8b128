#!/usr/bin/env python3
"""Idle keep-alive connection memory: kube-balancer-proxy side by side with nginx and HAProxy.

Each proxy (same worker count, all in front of the same nginx member, the layout of
proxy_bench.py) gets 10,000 client connections, each left idle after one served request; the
benchmark prints the growth of the proxy's resident memory (the process and its workers) per
connection. Kernel socket buffers are not in RSS, so this is the proxy's own cost. Not a test (the
loose bound is asserted in tests/integration/proxy/test_idle_memory.py): run it with
`cmake --build build --target bench-idle` or directly:
    bench/idle_conn_bench.py --proxy build/proxy/app/kube-balancer-proxy [--connections 10000]
"""
import argparse
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))
import kbtest  # noqa: E402
import proxy_bench as pb  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxy", required=True, help="path of kube-balancer-proxy")
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--workers", type=int, default=1, help="worker threads/processes of every proxy")
    args = ap.parse_args()
    for tool in ("nginx", "haproxy"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run scripts/install-deps.sh")
    limit = kbtest.raise_nofile(2 * args.connections + 512)
    if limit < args.connections + 128:
        sys.exit(f"RLIMIT_NOFILE is {limit}: too low for {args.connections} connections")

    max_conns = args.connections + 256
    # HAProxy wants two descriptors per maxconn; `no strict-limits` lets it run on our limit.
    procs = pb.Procs()
    tmp = tempfile.mkdtemp(prefix="kb-bench-idle-")
    for d in ("body", "proxy", "fcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(tmp, d), exist_ok=True)
    results = {}
    try:
        backends = pb.start_backends(procs, tmp)[:1]
        starters = {
            "nginx": lambda: pb.start_nginx_proxy(procs, tmp, backends, args.workers, max_conns),
            "haproxy": lambda: pb.start_haproxy(procs, tmp, backends, args.workers, max_conns, True),
            "kube-balancer": lambda: pb.start_kube_balancer(procs, tmp, backends, args.workers, args.proxy),
        }
        for name, start in starters.items():  # one at a time: the client holds the connections
            port = start()
            proc = procs.procs[-1]
            growth, conns = kbtest.idle_growth_kib(proc.pid, port, args.connections, host="bench.test")
            for s in conns:
                s.close()
            results[name] = growth
            procs.stop(proc)
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n{args.connections} idle keep-alive client connections (one request served on each), "
          f"{args.workers} worker(s) per proxy, RSS growth of the proxy's processes\n")
    print("| proxy | KiB per idle connection |")
    print("|---|---|")
    for name, growth in results.items():
        print(f"| {name} | {growth:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
