#!/usr/bin/env python3
"""Sends every RFC 9112 vector of tests/integration/proxy/strict_vectors.py to nginx, HAProxy and
(optionally) kube-balancer-proxy on loopback, each in front of the same raw-socket member, and prints
a Markdown table: status per server, "+fwd" when the member received a request for the vector,
"SMUGGLED" when it received GET /smuggled. Feeds docs/reliability.md.

  python3 bench/strict_compare.py [--proxy build/test/proxy/app/kube-balancer-proxy]
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration", "proxy"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))
import kbtest  # noqa: E402
from strict_vectors import VECTORS  # noqa: E402
from test_strict_http import Member, exchange  # noqa: E402


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("port %d" % port)


def start_nginx(tmp, member_port):
    port = kbtest.free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""pid %(t)s/nginx.pid; error_log %(t)s/nginx.err; daemon off; worker_processes 1;
events {}
http { access_log off; client_body_temp_path %(t)s/body; proxy_temp_path %(t)s/proxy;
  fastcgi_temp_path %(t)s/f; uwsgi_temp_path %(t)s/u; scgi_temp_path %(t)s/s;
  server { listen 127.0.0.1:%(p)d; location / { proxy_pass http://127.0.0.1:%(m)d; proxy_http_version 1.1;
    proxy_set_header Connection ""; } } }
""" % {"t": tmp, "p": port, "m": member_port})
    proc = subprocess.Popen(["nginx", "-p", tmp, "-c", conf], stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc, port


def start_haproxy(tmp, member_port):
    port = kbtest.free_port()
    conf = os.path.join(tmp, "haproxy.cfg")
    with open(conf, "w") as f:
        f.write("""global
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 5s
  timeout server 5s
  timeout http-request 5s
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  server m 127.0.0.1:%d
""" % (port, member_port))
    proc = subprocess.Popen(["haproxy", "-db", "-f", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc, port


def start_kb(tmp, binary, member_port):
    table = os.path.join(tmp, "table.yaml")
    kbtest.write_atomic(table, kbtest.backend_table(
        [{"name": "raw", "members": [("http://127.0.0.1:%d" % member_port, "m1")]}], [{"path": "/", "balancer": "raw"}]))
    port_file = os.path.join(tmp, "ports")
    proc = subprocess.Popen([binary, "--table", table, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                             "--port-file", port_file, "--access-log", "off", "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ports = kbtest.wait_for(lambda: kbtest.read_port_file(port_file), timeout=10, what="port file")
    return proc, ports["proxy"]


def version(argv):
    out = subprocess.run(argv, capture_output=True, text=True)
    return (out.stdout + out.stderr).strip().splitlines()[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kb-strict-")
    servers = []
    procs = []
    try:
        for name, start in (("nginx", start_nginx), ("haproxy", start_haproxy)):
            m = Member()
            p, port = start(tmp, m.port)
            procs.append(p)
            servers.append((name, port, m))
        if a.proxy:
            m = Member()
            p, port = start_kb(tmp, a.proxy, m.port)
            procs.append(p)
            servers.insert(0, ("kube-balancer", port, m))
        print("<!-- %s; %s -->" % (version(["nginx", "-v"]), version(["haproxy", "-v"])))
        print("| vector | " + " | ".join(s[0] for s in servers) + " | expected | RFC |")
        print("|---" * (len(servers) + 3) + "|")
        for vname, raw, want, rfc in VECTORS:
            cells = []
            for _name, port, m in servers:
                before = m.snapshot()
                status, _data, closed = exchange(port, raw, wait=3)
                time.sleep(0.05)
                got = m.since(before)
                cell = str(status) if status else "no answer"
                if status and status >= 400 and not closed:
                    cell += " keep"
                if any(b"/smuggled" in h for _, h, _ in got):
                    cell += " SMUGGLED"
                elif got and (status >= 400 or status == 0):
                    cell += " +fwd"
                cells.append(cell)
            print("| %s | %s | %d | %s |" % (vname, " | ".join(cells), want, rfc))
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
