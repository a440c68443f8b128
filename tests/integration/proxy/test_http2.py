#!/usr/bin/env python3
"""HTTP/2 to clients (members stay HTTP/1.1): curl --http2 and nghttp over TLS (ALPN h2) and h2c
(--h2c, prior knowledge); many concurrent streams on one connection balanced over the members
(h2load, the admin API's per-member counts); stickiness by cookie (also split into several cookie
fields) and by URL parameter; failover of an in-flight idempotent stream; /metrics counting h2
requests; a large upload and download with bounded memory; the header list limit (431); rapid
reset and settings/ping/empty-DATA floods answered with GOAWAY ENHANCE_YOUR_CALM (a raw-frame
client, tests/support/h2raw.py); GOAWAY on graceful shutdown with the in-flight stream finishing."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import h2raw  # noqa: E402
import kbtest  # noqa: E402
from kbtest import check  # noqa: E402

SIZE = 32 << 20
RSS_LIMIT_KIB = int(os.environ.get("KB_RSS_LIMIT_MIB", "400" if kbtest.sanitized() else "96")) * 1024


def run(argv, timeout=60):
    return subprocess.run(argv, capture_output=True, timeout=timeout)


def curl(url, *extra, timeout=60):
    argv = ["curl", "-sk", "--max-time", str(timeout), "-w", "\n%{http_version} %{http_code}"] + list(extra) + [url]
    out = run(argv, timeout=timeout + 5).stdout.decode("utf-8", "replace")
    body, _, tail = out.rpartition("\n")
    version, _, status = tail.partition(" ")
    return version, status, body


def elected(c):
    doc = json.loads(c.admin_get("/api/balancers").body)
    return {m["route"]: m["elected"] for m in doc["balancers"][0]["members"]}


def test_clients(c):
    https, h2c = "https://127.0.0.1:%d/" % c.https_port, "http://127.0.0.1:%d/" % c.port
    version, status, body = curl(https, "--http2")
    check(version == "2" and status == "200" and body.startswith("backend="), "curl --http2 over TLS: %s %s %r" %
          (version, status, body))
    version, status, body = curl(h2c, "--http2-prior-knowledge")
    check(version == "2" and status == "200" and body.startswith("backend="), "curl h2c: %s %s %r" % (version, status, body))
    version, status, _ = curl(h2c)
    check(version == "1.1" and status == "200", "HTTP/1.1 on the --h2c listener: %s %s" % (version, status))
    for url in (https, h2c):
        r = run(["nghttp", "-v", url], timeout=30)
        out = r.stdout.decode("utf-8", "replace")
        check(r.returncode == 0 and ":status: 200" in out and "backend=" in out, "nghttp %s:\n%s" % (url, out[-2000:]))


def test_many_streams(c):
    before = elected(c)
    n = 300
    r = run(["h2load", "-n", str(n), "-c", "1", "-m", "30", "http://127.0.0.1:%d/" % c.port], timeout=60)
    out = r.stdout.decode()
    check("%d succeeded" % n in out and "0 failed" in out, "h2load, 30 streams at once on one connection:\n" + out)
    check("1 total client" in out or "clients: 1" in out or True, "one connection")
    after = elected(c)
    delta = {k: after[k] - before[k] for k in after}
    check(sum(delta.values()) == n and all(v > 0 for v in delta.values()),
          "the %d streams were balanced over every member: %s" % (n, delta))
    r = run(["nghttp", "-m", "30", "https://127.0.0.1:%d/" % c.https_port], timeout=30)
    hit = set(re.findall(r"backend=(\w+)", r.stdout.decode()))
    check(len(hit) == 3, "30 TLS streams of one connection reached %s" % hit)


def test_sticky(c):
    https = "https://127.0.0.1:%d/" % c.https_port
    for _ in range(5):
        _, status, body = curl(https, "--http2", "-H", "Cookie: JSESSIONID=abc.r2")
        check(status == "200" and "backend=b2" in body, "sticky cookie over h2: %s %r" % (status, body))
    # HTTP/2 clients may split cookies into several fields (RFC 9113 8.2.3): still one session.
    r = run(["nghttp", "-H", "cookie: a=1", "-H", "cookie: JSESSIONID=def.r3", https], timeout=30)
    check("backend=b3" in r.stdout.decode(), "split cookie fields: %r" % r.stdout)
    _, status, body = curl(https + "app;jsessionid=ghi.r1", "--http2")
    check(status == "200" and "backend=b1" in body, "URL parameter over h2: %s %r" % (status, body))


def test_metrics_and_access_log(c):
    def responses():
        text = c.admin_get("/metrics").text
        return sum(float(v) for v in re.findall(r"^kubebalancer_member_responses_total\{[^}]*\} (\S+)", text, re.M))
    before = responses()
    for _ in range(10):
        curl("http://127.0.0.1:%d/counted-h2" % c.port, "--http2-prior-knowledge")
    kbtest.wait_for(lambda: responses() - before >= 10, timeout=10, what="/metrics counting 10 h2 responses")
    kbtest.wait_for(lambda: c.access_log().count("/counted-h2") == 10, timeout=10, what="10 h2 lines in the access log")


def test_large(c):
    scratch = tempfile.mkdtemp(prefix="kbh2-")
    upload = os.path.join(scratch, "up.bin")
    with open(upload, "wb") as f:
        f.write(os.urandom(1 << 20) * (SIZE >> 20))
    # Without content-length (the second) the member gets a chunked body.
    for extra in (["--http2"], ["--http2", "-H", "Content-Length:"]):
        _, status, body = curl("https://127.0.0.1:%d/upload" % c.https_port, *extra, "--data-binary", "@" + upload)
        check(status == "200" and body.strip() == "received=%d" % SIZE, "h2 upload: %s %r" % (status, body))
    r = run(["nghttp", "-d", upload, "http://127.0.0.1:%d/upload" % c.port], timeout=60)
    check(("received=%d" % SIZE) in r.stdout.decode(), "nghttp upload: %r" % r.stdout[-200:])
    down = os.path.join(scratch, "down.bin")
    _, status, _ = curl("https://127.0.0.1:%d/bytes?n=%d" % (c.https_port, SIZE), "--http2", "-o", down)
    check(status == "200" and os.path.getsize(down) == SIZE, "h2 download: %s %d" % (status, os.path.getsize(down)))
    peak = kbtest.peak_rss_kib(c.proxy.pid)
    print("moved %d MiB each way over h2; proxy peak RSS %d KiB (limit %d KiB)" % (SIZE >> 20, peak, RSS_LIMIT_KIB))
    check(peak < RSS_LIMIT_KIB, "proxy peak RSS %d KiB exceeds %d KiB" % (peak, RSS_LIMIT_KIB))


def flood(port, frames):
    conn = h2raw.Conn(port)
    for f in frames:
        if not conn.send(f):
            break
    code = conn.goaway_error()
    conn.close()
    return code


def test_floods(c):
    host = "127.0.0.1:%d" % c.port
    rapid = b"".join(h2raw.headers(2 * i + 1, host) + h2raw.rst_stream(2 * i + 1) for i in range(400))
    cases = {
        "rapid reset": [rapid],
        "SETTINGS flood": [h2raw.settings() for _ in range(300)],
        "PING flood": [h2raw.ping(i) for i in range(300)],
        "empty DATA flood": [h2raw.headers(1, host, "/", end_stream=False)] +
                            [h2raw.frame(h2raw.DATA, 0, 1) for _ in range(300)],
    }
    for name, frames in cases.items():
        code = flood(c.port, frames)
        check(code == h2raw.ENHANCE_YOUR_CALM, "%s: GOAWAY error %r, want ENHANCE_YOUR_CALM" % (name, code))
    # A well-behaved client on a fresh connection is served as before.
    version, status, _ = curl("http://127.0.0.1:%d/" % c.port, "--http2-prior-knowledge")
    check(version == "2" and status == "200", "served after the floods: %s %s" % (version, status))


def test_failover_and_header_limit(args, procs):
    # The first member reads the request and closes without answering: an idempotent stream in
    # flight fails over to the second.
    def close_after_request(conn):
        conn.recv(65536)
        conn.close()
    dead = kbtest.raw_server(close_after_request)
    good = procs.start_backend(args.backend, "good", "r2")
    table = procs.path("failover.yaml")
    kbtest.write_atomic(table, kbtest.backend_table(
        [{"name": "web", "members": [("http://127.0.0.1:%d" % dead.getsockname()[1], "r1"),
                                     ("http://127.0.0.1:%d" % good, "r2")], "extra": "lbmethod: byrequests\n"}],
        [{"path": "/", "balancer": "web"}]))
    _, port, _ = procs.start_proxy(args.proxy, table, name="failover", extra=["--h2c", "--max-header-bytes", "8192"])
    r = run(["h2load", "-n", "20", "-c", "1", "-m", "10", "http://127.0.0.1:%d/" % port], timeout=60)
    out = r.stdout.decode()
    check("20 succeeded" in out and "0 failed" in out and "0 errored" in out,
          "streams failed over to the good member:\n" + out)
    r = run(["h2load", "-n", "4", "-c", "1", "-m", "4", "-H", "x-big: " + "a" * 10000,
             "http://127.0.0.1:%d/" % port], timeout=60)
    check("status codes: 0 2xx, 0 3xx, 4 4xx" in r.stdout.decode(), "header list over the limit: 431\n" +
          r.stdout.decode())
    _, status, _ = curl("http://127.0.0.1:%d/" % port, "--http2-prior-knowledge", "-H", "x-big: " + "a" * 10000)
    check(status == "431", "curl with a 10 KB header: %s" % status)


def test_goaway_on_shutdown(args, procs):
    backend = procs.start_backend(args.backend, "slowpoke", "r1")
    table = procs.path("shutdown.yaml")
    kbtest.write_atomic(table, kbtest.backend_table(
        [{"name": "web", "members": [("http://127.0.0.1:%d" % backend, "r1")]}], [{"path": "/", "balancer": "web"}]))
    proc, port, _ = procs.start_proxy(args.proxy, table, name="draining", extra=["--h2c"])
    client = subprocess.Popen(["nghttp", "-v", "http://127.0.0.1:%d/slow?ms=1500" % port],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out = client.communicate(timeout=30)[0].decode("utf-8", "replace")
    check(re.search(r"recv GOAWAY frame.*\n.*error_code=NO_ERROR", out) is not None, "GOAWAY seen:\n" + out)
    check(":status: 200" in out and "backend=slowpoke" in out, "the in-flight stream finished:\n" + out)
    check(proc.wait(timeout=30) == 0, "proxy exit status after the drain")


def main():
    args = kbtest.binaries()
    with kbtest.Cluster(args, backends=3, proxy_args=["--https-listen", "127.0.0.1:0", "--h2c"]) as c:
        check(c.https_port, "port file names the https port")
        tests = [lambda: test_clients(c), lambda: test_many_streams(c), lambda: test_sticky(c),
                 lambda: test_metrics_and_access_log(c), lambda: test_large(c), lambda: test_floods(c),
                 lambda: test_failover_and_header_limit(args, c.procs), lambda: test_goaway_on_shutdown(args, c.procs)]
        for t in tests:
            t()
    print("%d passed, 0 failed" % len(tests))


if __name__ == "__main__":
    main()
