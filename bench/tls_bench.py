#!/usr/bin/env python3
"""HTTPS benchmark: kube-balancer-proxy side by side with nginx and HAProxy terminating TLS.

Same machine, same run, same worker count, the same certificate (EC P-256, made here with the
openssl CLI), Mozilla intermediate ciphers everywhere, one nginx member (the layout of
proxy_bench.py: clients pinned to CPU 0, proxies to CPU 1). h2load --h1 (Debian nghttp2-client)
measures, per proxy:
  - keep-alive HTTPS requests/s and the proxy's CPU time per request (user+system of the proxy
    process and its workers, from /proc, divided by the requests served),
  - full handshakes/s: many h2load runs of C clients with one request each (a new connection and
    a full handshake per client, h2load cannot resume across runs),
  - resumed handshakes/s: `Connection: close` on every request, so h2load reconnects for each one
    and resumes the session it got (tickets on every proxy),
  - the memory of an idle keep-alive TLS connection: RSS growth of the proxy's processes per
    connection over --idle connections, each left idle after one request (as idle_conn_bench.py).
Absolute figures move +-20 % between runs on a shared machine; ratios much less. Not a test: run
it with `cmake --build build --target bench-tls` or directly:
    bench/tls_bench.py --proxy build/proxy/app/kube-balancer-proxy [--duration 5] [--connections 32]
"""
import argparse
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))
import kbtest  # noqa: E402
import proxy_bench as pb  # noqa: E402

CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
           "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")


def make_certificate(tmp):
    crt, key = os.path.join(tmp, "bench.crt"), os.path.join(tmp, "bench.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=bench.example.test",
                    "-addext", "subjectAltName=DNS:bench.example.test"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pem = os.path.join(tmp, "bench.pem")  # HAProxy wants both in one file
    with open(pem, "w") as out:
        out.write(open(crt).read() + open(key).read())
    return crt, key, pem


def start_nginx_tls(procs, tmp, backends, workers, cert):
    tls = (f"ssl_certificate {cert[0]}; ssl_certificate_key {cert[1]}; ssl_protocols TLSv1.2 TLSv1.3; "
           f"ssl_ciphers {CIPHERS}; ssl_session_tickets on;")
    port = pb.start_nginx_proxy(procs, tmp, backends, workers, tls=tls)
    return procs.procs[-1], port


def start_haproxy_tls(procs, tmp, backends, workers, cert):
    port = pb.start_haproxy(procs, tmp, backends, workers, bind=f"ssl crt {cert[2]} alpn http/1.1",
                            global_extra=f"  ssl-default-bind-ciphers {CIPHERS}\n"
                                         "  ssl-default-bind-options ssl-min-ver TLSv1.2")
    return procs.procs[-1], port


def start_kube_balancer_tls(procs, tmp, backends, workers, binary, cert):
    port = pb.start_kube_balancer(procs, tmp, backends, workers, binary, cert)
    return procs.procs[-1], port


def cpu_seconds(pid):
    """User+system CPU of `pid` and its child processes (nginx workers), in seconds."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def h2load(port, args, h1=True):
    """h1=False: HTTP/2 (ALPN h2; h2_bench.py); "app" is the protocol h2load got."""
    out = subprocess.run(["taskset", "-c", "0", "h2load"] + (["--h1"] if h1 else []) + ["-t", "1"] + args +
                         [f"https://127.0.0.1:{port}/"], capture_output=True, text=True).stdout
    m = re.search(r"finished in ([\d.]+)(ms|s), ([\d.]+) req/s", out)
    done = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored", out)
    proto = re.search(r"TLS Protocol: (\S+)", out)
    app = re.search(r"Application protocol: (\S+)", out)
    if not m or not done:
        raise RuntimeError("h2load output not understood:\n" + out)
    seconds = float(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0)
    return {"seconds": seconds, "ok": int(done.group(1)), "failed": int(done.group(2)) + int(done.group(3)),
            "proto": proto.group(1) if proto else "?", "app": app.group(1) if app else "?"}


def keepalive(proc, port, duration, connections):
    before = cpu_seconds(proc.pid)
    r = h2load(port, ["-c", str(connections), "-D", str(duration)])
    used = cpu_seconds(proc.pid) - before
    return {"rps": r["ok"] / r["seconds"], "cpu_us": 1e6 * used / max(r["ok"], 1), "failed": r["failed"],
            "proto": r["proto"]}


def full_handshakes(port, duration, clients):
    ok = failed = 0
    seconds = 0.0
    until = time.time() + duration
    while time.time() < until:
        r = h2load(port, ["-c", str(clients), "-n", str(clients)])
        ok, failed, seconds = ok + r["ok"], failed + r["failed"], seconds + r["seconds"]
    return {"rate": ok / seconds, "failed": failed}


def resumed_handshakes(port, requests, clients):
    r = h2load(port, ["-c", str(clients), "-n", str(requests), "-H", "Connection: close"])
    return {"rate": r["ok"] / r["seconds"], "failed": r["failed"]}


def idle_tls_kib(proc, port, count):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    growth, conns = kbtest.idle_growth_kib(proc.pid, port, count, host="bench.example.test", tls=ctx)
    for s in conns:
        s.close()
    return growth


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxy", required=True, help="path of kube-balancer-proxy")
    ap.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--workers", type=int, default=1, help="worker threads/processes of every proxy")
    ap.add_argument("--idle", type=int, default=2000, help="idle TLS connections for the memory figure")
    args = ap.parse_args()
    kbtest.raise_nofile(2 * args.idle + 512)
    for tool in ("nginx", "haproxy", "h2load", "openssl"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run scripts/install-deps.sh")

    procs = pb.Procs()
    tmp = tempfile.mkdtemp(prefix="kb-bench-tls-")
    for d in ("body", "proxy", "fcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(tmp, d), exist_ok=True)
    results = {}
    try:
        cert = make_certificate(tmp)
        backends = pb.start_backends(procs, tmp)[:1]
        servers = {
            "nginx": start_nginx_tls(procs, tmp, backends, args.workers, cert),
            "haproxy": start_haproxy_tls(procs, tmp, backends, args.workers, cert),
            "kube-balancer": start_kube_balancer_tls(procs, tmp, backends, args.workers, args.proxy, cert),
        }
        for name, (proc, port) in servers.items():
            h2load(port, ["-c", str(args.connections), "-D", "1"])  # warm up the member pools
            results[name] = {
                "keepalive": keepalive(proc, port, args.duration, args.connections),
                "full": full_handshakes(port, args.duration, args.connections),
                "resumed": resumed_handshakes(port, 400 * args.duration, args.connections),
                "idle_kib": idle_tls_kib(proc, port, args.idle),
            }
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)

    base = results["nginx"]
    proto = results["nginx"]["keepalive"]["proto"]
    print(f"\nh2load --h1 -t1 -c{args.connections}, {args.workers} worker(s) per proxy, one nginx member, "
          f"same EC P-256 certificate, {proto} (what h2load negotiates)\n")
    print("| proxy | keep-alive req/s | vs nginx | CPU us/request | full handshakes/s | vs nginx "
          "| resumed handshakes/s | vs nginx | KiB per idle TLS connection | failed |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        failed = r["keepalive"]["failed"] + r["full"]["failed"] + r["resumed"]["failed"]
        print(f"| {name} | {r['keepalive']['rps']:.0f} | {r['keepalive']['rps'] / base['keepalive']['rps']:.2f}x "
              f"| {r['keepalive']['cpu_us']:.1f} | {r['full']['rate']:.0f} | {r['full']['rate'] / base['full']['rate']:.2f}x "
              f"| {r['resumed']['rate']:.0f} | {r['resumed']['rate'] / base['resumed']['rate']:.2f}x "
              f"| {r['idle_kib']:.1f} | {failed} |")
    return 1 if any(r["keepalive"]["failed"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
