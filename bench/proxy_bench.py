#!/usr/bin/env python3
"""Proxy benchmark: kube-balancer-proxy side by side with nginx and HAProxy as reverse proxies.

Same machine, same run, same worker count, keep-alive on both sides, 4 members. One nginx serves
as the backend pool (4 listeners, a small fixed body). wrk drives each proxy in turn for the same
duration, pinned to CPU 0 with the proxies pinned to CPU 1 (the layout of shared/PERFORMANCE.md).
Prints requests/s, p50 and p99 latency and the ratio to nginx, measured in this one run: absolute
figures move +-20 % between runs on a shared machine, ratios much less. Not a test: run it with
`cmake --build build --target bench-proxy` or directly:
    bench/proxy_bench.py --proxy build/proxy/app/kube-balancer-proxy [--duration 10] [--connections 64]
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BODY = "x" * 64  # small responses: the benchmark measures per-request proxy cost


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class Procs:
    """Starts processes and always stops them (the benchmark leaves nothing running)."""

    def __init__(self):
        self.procs = []

    def start(self, argv, cpu=None, **kw):
        if cpu is not None and shutil.which("taskset"):
            argv = ["taskset", "-c", str(cpu)] + argv
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
        self.procs.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def stop_all(self):
        for p in reversed(self.procs):
            self.stop(p)


def nginx_conf(tmp, workers, server_blocks, upstream="", max_conns=4096):
    return f"""
worker_processes {workers};
daemon off;
pid {tmp}/nginx-{id(server_blocks)}.pid;
error_log {tmp}/nginx-error.log warn;
worker_rlimit_nofile {max_conns + 64};
events {{ worker_connections {max_conns}; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  keepalive_requests 1000000;
  {upstream}
  {server_blocks}
}}
"""


def make_tmp(prefix):
    """A scratch directory with the temp folders nginx wants."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    for d in ("body", "proxy", "fcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(tmp, d), exist_ok=True)
    return tmp


def start_backends(procs, tmp):
    ports = [free_port() for _ in range(4)]
    blocks = "\n".join(
        f"server {{ listen 127.0.0.1:{p}; location / {{ return 200 '{BODY}'; }} }}" for p in ports)
    conf = os.path.join(tmp, "backends.conf")
    with open(conf, "w") as f:
        f.write(nginx_conf(tmp, 1, blocks))
    procs.start(["nginx", "-c", conf, "-p", tmp], cpu=1)
    for p in ports:
        wait_port(p)
    return ports


def start_nginx_proxy(procs, tmp, backends, workers, max_conns=4096, tls="", listen_extra=""):
    """tls: server directives (ssl_certificate...) for an HTTPS listener instead of plain HTTP;
    listen_extra: more parameters of the listen directive (" http2")."""
    port = free_port()
    servers = " ".join(f"server 127.0.0.1:{p};" for p in backends)
    upstream = f"upstream pool {{ {servers} keepalive 256; }}"
    block = (f"server {{ listen 127.0.0.1:{port}{' ssl' if tls else ''}{listen_extra}; {tls} location / {{ proxy_pass http://pool; "
             "proxy_http_version 1.1; proxy_set_header Connection \"\"; } }")
    conf = os.path.join(tmp, "proxy-nginx.conf")
    with open(conf, "w") as f:
        f.write(nginx_conf(tmp, workers, block, upstream, max_conns))
    procs.start(["nginx", "-c", conf, "-p", tmp], cpu=1)
    wait_port(port)
    return port


def start_haproxy(procs, tmp, backends, workers, max_conns=4096, lax_limits=False, bind="", global_extra=""):
    """bind: options of the frontend's bind line (ssl crt ...); global_extra: lines of `global`."""
    port = free_port()
    servers = "\n".join(f"  server b{i} 127.0.0.1:{p}" for i, p in enumerate(backends))
    conf = os.path.join(tmp, "haproxy.cfg")
    with open(conf, "w") as f:
        f.write(f"""global
  nbthread {workers}
  maxconn {max_conns}
{'  no strict-limits' if lax_limits else ''}
{global_extra}
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:{port} {bind}
  default_backend pool
backend pool
  balance roundrobin
{servers}
""")
    procs.start(["haproxy", "-f", conf], cpu=1)
    wait_port(port)
    return port


def kube_balancer_argv(tmp, backends, workers, binary, cert=None):
    """The proxy's command line and the port to drive (the --https-listen one with `cert`)."""
    port = free_port()
    admin = free_port()
    table = os.path.join(tmp, "table.yaml")
    with open(table, "w") as f:
        f.write("balancers:\n  - name: pool\n    members:\n")
        for p in backends:
            f.write(f"      - {{url: \"http://127.0.0.1:{p}\"}}\n")
        f.write("routes:\n  - {path: /, pathtype: Prefix, balancer: pool}\n")
        if cert:
            f.write(f"defaultcertificate: {{certificate: {cert[0]}, key: {cert[1]}}}\n")
    listen = ["--listen", f"127.0.0.1:{port}"]
    if cert:
        listen = ["--listen", f"127.0.0.1:{free_port()}", "--https-listen", f"127.0.0.1:{port}"]
    argv = ([binary, "--table", table] + listen +
            ["--admin", f"127.0.0.1:{admin}", "--workers", str(workers), "--access-log", "off"])
    return argv, port


def start_kube_balancer(procs, tmp, backends, workers, binary, cert=None):
    """cert: (certificate, key) files: the returned port is then the --https-listen one."""
    argv, port = kube_balancer_argv(tmp, backends, workers, binary, cert)
    procs.start(argv, cpu=1)
    wait_port(port)
    return port


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def run_wrk(port, duration, connections):
    out = subprocess.run(
        ["taskset", "-c", "0", "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
         f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        lat[pct] = float(m.group(1)) * UNITS[m.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": lat["50"], "p99": lat["99"],
            "errors": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxy", required=True, help="path of kube-balancer-proxy")
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--workers", type=int, default=1, help="worker threads/processes of every proxy")
    ap.add_argument("--rounds", type=int, default=2, help="runs per proxy, interleaved; the best is kept")
    args = ap.parse_args()
    for tool in ("nginx", "haproxy", "wrk"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run scripts/install-deps.sh")

    procs = Procs()
    tmp = make_tmp("kb-bench-")
    try:
        backends = start_backends(procs, tmp)
        starters = {
            "nginx": lambda: start_nginx_proxy(procs, tmp, backends, args.workers),
            "haproxy": lambda: start_haproxy(procs, tmp, backends, args.workers),
            "kube-balancer": lambda: start_kube_balancer(procs, tmp, backends, args.workers, args.proxy),
        }
        ports = {name: start() for name, start in starters.items()}
        for port in ports.values():  # warm up connection pools
            run_wrk(port, 1, args.connections)
        results = {name: None for name in ports}
        for _ in range(args.rounds):  # interleave so drift in machine load hits every proxy alike
            for name, port in ports.items():
                r = run_wrk(port, args.duration, args.connections)
                if results[name] is None or r["rps"] > results[name]["rps"]:
                    results[name] = r
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)

    base = results["nginx"]["rps"]
    print(f"\nwrk -t1 -c{args.connections} -d{args.duration}s, {args.workers} worker(s) per proxy, "
          f"4 nginx members, keep-alive both sides, best of {args.rounds}\n")
    print(f"| proxy | requests/s | vs nginx | p50 ms | p99 ms | non-2xx | socket errors |")
    print(f"|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['rps']:.0f} | {r['rps'] / base:.2f}x | {r['p50']:.3f} | {r['p99']:.3f} | "
              f"{r['errors']} | {r['socket_errors'] or '-'} |")
    bad = [n for n, r in results.items() if r["errors"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
