#!/usr/bin/env python3
"""User-space instructions and heap allocations per proxied request, counted by valgrind.

Wall-clock figures on a shared, loaded machine are noise; instruction counts are not. This runs
kube-balancer-proxy under `valgrind --tool=callgrind` (one worker, the table of proxy_bench.py, one
nginx serving as the 4 members), sends --warmup keep-alive requests on one connection, zeroes the
counters (callgrind_control -z), sends --requests more on the same connection, dumps the counters
(callgrind_control -d) and prints instructions per request and calls to malloc per request.
--tls does the same over HTTPS (an EC P-256 certificate, TLS 1.3, as tls_bench.py). The request is
what a browser-like client sends: GET / with Host, User-Agent, Accept and Accept-Encoding.
Not a test: run it directly, before and after a change to the request path:
    bench/request_cost.py --proxy build/test/proxy/app/kube-balancer-proxy [--tls] [--requests 2000]
"""
import argparse
import glob
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import proxy_bench as pb  # noqa: E402
import tls_bench as tb  # noqa: E402

REQUEST = (b"GET / HTTP/1.1\r\nHost: bench.example.test\r\nUser-Agent: request-cost/1\r\n"
           b"Accept: */*\r\nAccept-Encoding: gzip\r\n\r\n")


def read_response(sock, buf):
    """Reads one Content-Length response from `sock`; returns the bytes left after it."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("the proxy closed the connection")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError("unexpected response: " + head.decode(errors="replace"))
    length = int(re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head).group(1))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("the proxy closed the connection mid-body")
        rest += chunk
    return rest[length:]


def send_requests(sock, count):
    buf = b""
    for _ in range(count):
        sock.sendall(REQUEST)
        buf = read_response(sock, buf)


def callgrind_control(*args):
    subprocess.run(["callgrind_control", *args], check=True, stdout=subprocess.DEVNULL)


def dumped_totals(outdir, pid):
    """Event totals of the newest dump of `pid`: {'Ir': ...}."""
    dumps = sorted(glob.glob(os.path.join(outdir, f"callgrind.out.{pid}.*")), key=os.path.getmtime)
    if not dumps:
        raise RuntimeError("callgrind wrote no dump")
    events, totals = None, None
    with open(dumps[-1]) as f:
        for line in f:
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith(("summary:", "totals:")):
                totals = [int(v) for v in line.split()[1:]]
    return dumps[-1], dict(zip(events, totals))


def malloc_calls(dump):
    """Calls into malloc recorded in the dump (its cfn=/calls= lines, every caller summed)."""
    calls, callee = 0, None
    with open(dump) as f:
        for line in f:
            if line.startswith("cfn="):
                callee = line[4:].strip()  # --compress-strings=no: the name itself
            elif line.startswith("calls=") and callee == "malloc":
                calls += int(line[6:].split()[0])
    return calls


def start_proxy_under_callgrind(procs, tmp, backends, binary, cert):
    """The proxy of proxy_bench.py (same table, one worker, no access log) under callgrind."""
    argv, port = pb.kube_balancer_argv(tmp, backends, 1, binary, cert)
    proc = procs.start(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/callgrind.out.%p",
                        "--compress-strings=no", "--compress-pos=no"] + argv)
    pb.wait_port(port, timeout=120)
    return proc, port


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxy", required=True, help="path of kube-balancer-proxy")
    ap.add_argument("--tls", action="store_true", help="HTTPS to the proxy")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--keep", help="copy the callgrind dump here (for callgrind_annotate)")
    args = ap.parse_args()
    missing = [t for t in ("nginx", "valgrind", "callgrind_control", "openssl") if not shutil.which(t)]
    if missing:
        sys.exit(f"missing: {' '.join(missing)}")
    procs = pb.Procs()
    tmp = pb.make_tmp("kb-cost-")
    try:
        backends = pb.start_backends(procs, tmp)
        cert = tb.make_certificate(tmp)[:2] if args.tls else None
        proc, port = start_proxy_under_callgrind(procs, tmp, backends, args.proxy, cert)
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if args.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock, server_hostname="bench.example.test")
        send_requests(sock, args.warmup)
        callgrind_control("-z", str(proc.pid))
        send_requests(sock, args.requests)
        callgrind_control("-d", str(proc.pid))
        time.sleep(0.5)
        dump, totals = dumped_totals(tmp, proc.pid)
        mallocs = malloc_calls(dump)
        if args.keep:
            shutil.copy(dump, args.keep)
        sock.close()
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    n = args.requests
    print(f"{'HTTPS' if args.tls else 'HTTP'} keep-alive, {n} requests after {args.warmup} warm-up: "
          f"{totals['Ir'] / n:.0f} instructions/request, {mallocs / n:.2f} malloc calls/request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
