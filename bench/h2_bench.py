#!/usr/bin/env python3
"""HTTP/2 benchmark: kube-balancer-proxy side by side with nginx and HAProxy serving HTTP/2 over
TLS (ALPN h2) to h2load, members over HTTP/1.1 keep-alive.

The layout of tls_bench.py (same machine, same run, same worker count, the same EC P-256
certificate and ciphers, one nginx member, h2load pinned to CPU 0 and the proxies to CPU 1).
Per proxy: requests/s of `h2load -c 8 -m 16` (8 connections x 16 concurrent streams) for
--duration seconds, and the proxy's CPU time per request (user+system from /proc, divided by the
requests served). Absolute figures move +-20 % between runs on a shared machine; ratios much less.
Not a test: run it with `cmake --build build --target bench-h2` or directly:
    bench/h2_bench.py --proxy build/proxy/app/kube-balancer-proxy [--duration 5]
"""
import argparse
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import proxy_bench as pb  # noqa: E402
import tls_bench as tb  # noqa: E402


def measure(proc, port, duration, connections, streams):
    before = tb.cpu_seconds(proc.pid)
    r = tb.h2load(port, ["-c", str(connections), "-m", str(streams), "-D", str(duration)], h1=False)
    used = tb.cpu_seconds(proc.pid) - before
    return {"rps": r["ok"] / r["seconds"], "cpu_us": 1e6 * used / max(r["ok"], 1), "failed": r["failed"],
            "proto": r["app"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxy", required=True, help="path of kube-balancer-proxy")
    ap.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--streams", type=int, default=16, help="concurrent streams per connection")
    ap.add_argument("--workers", type=int, default=1, help="worker threads/processes of every proxy")
    args = ap.parse_args()
    for tool in ("nginx", "haproxy", "h2load", "openssl"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run scripts/install-deps.sh")
    procs = pb.Procs()
    tmp = tempfile.mkdtemp(prefix="kb-bench-h2-")
    for d in ("body", "proxy", "fcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(tmp, d), exist_ok=True)
    results = {}
    try:
        cert = tb.make_certificate(tmp)
        backends = pb.start_backends(procs, tmp)[:1]
        tls = (f"ssl_certificate {cert[0]}; ssl_certificate_key {cert[1]}; ssl_protocols TLSv1.2 TLSv1.3; "
               f"ssl_ciphers {tb.CIPHERS};")
        nginx_port = pb.start_nginx_proxy(procs, tmp, backends, args.workers, tls=tls, listen_extra=" http2")
        servers = {"nginx": (procs.procs[-1], nginx_port)}
        haproxy_port = pb.start_haproxy(procs, tmp, backends, args.workers, bind=f"ssl crt {cert[2]} alpn h2,http/1.1",
                                        global_extra=f"  ssl-default-bind-ciphers {tb.CIPHERS}\n"
                                                     "  ssl-default-bind-options ssl-min-ver TLSv1.2")
        servers["haproxy"] = (procs.procs[-1], haproxy_port)
        servers["kube-balancer"] = tb.start_kube_balancer_tls(procs, tmp, backends, args.workers, args.proxy, cert)
        for name, (proc, port) in servers.items():
            tb.h2load(port, ["-c", str(args.connections), "-m", str(args.streams), "-D", "1"], h1=False)  # warm up
            results[name] = measure(proc, port, args.duration, args.connections, args.streams)
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)

    base = results["nginx"]
    print(f"\nh2load -t1 -c{args.connections} -m{args.streams} (HTTP/2 over TLS), {args.workers} worker(s) per proxy, "
          "one nginx member over HTTP/1.1, same EC P-256 certificate\n")
    print("| proxy | protocol | req/s | vs nginx | CPU us/request | vs nginx | failed |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['proto']} | {r['rps']:.0f} | {r['rps'] / base['rps']:.2f}x | {r['cpu_us']:.1f} "
              f"| {r['cpu_us'] / base['cpu_us']:.2f}x | {r['failed']} |")
    return 1 if any(r["failed"] or r["proto"] != "h2" for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
