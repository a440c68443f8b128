#!/usr/bin/env python3
"""HTTPS on --https-listen: SNI picks the certificate (exact, wildcard, default for unknown or
absent SNI), ALPN h2 then http/1.1 (HTTP/2 itself: test_http2.py), session resumption (TLS 1.3 and 1.2 tickets), X-Forwarded-Proto and the
Location rewrite with the client's scheme, HSTS, the 308 redirect of plain requests, trusted
proxies kept vs replaced, the handshake timeout, WebSocket over TLS, 20 certificate swaps under load with zero failed
requests, a bad certificate rejected with the old one still served, close_notify on shutdown.
Certificates are made here with the openssl CLI."""
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import kbtest  # noqa: E402
from kbtest import check  # noqa: E402

SHOP = "shop.example.test"
PLAIN = "plain.example.test"
SWAPS = 20


def make_cert(directory, name, cn, sans):
    crt, key = os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=" + cn,
                    "-addext", "subjectAltName=" + ",".join("DNS:" + s for s in sans)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return crt, key


def render_table(c, certs, shop="shop-a", shop_key=None):
    shop_crt = certs[shop][0]
    shop_key = shop_key or certs[shop][1]
    return """balancers:
  - name: web
    members:
      - url: http://127.0.0.1:%d
        route: r1
routes:
  - {host: %s, path: /, pathtype: Prefix, balancer: web}
  - {host: %s, path: /.well-known, pathtype: Prefix, balancer: web, sslredirect: false}
  - {host: %s, path: /small, pathtype: Prefix, balancer: web, maxbodysize: 4}
  - {host: "*.wild.example.test", path: /, pathtype: Prefix, balancer: web}
  - {host: %s, path: /, pathtype: Prefix, balancer: web}
tls:
  - hosts: [%s]
    certificate: %s
    key: %s
    hsts: {maxage: 600, includesubdomains: true}
  - hosts: ["*.wild.example.test"]
    certificate: %s
    key: %s
defaultcertificate: {certificate: %s, key: %s}
""" % (c.backend_ports[0], SHOP, SHOP, SHOP, PLAIN, SHOP, shop_crt, shop_key, certs["wild"][0], certs["wild"][1],
       certs["default"][0], certs["default"][1])


def client_context(alpn=None, max_version=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if max_version:
        ctx.maximum_version = max_version
    return ctx


def served_cn(port, sni, scratch):
    """The common name of the certificate the proxy serves for `sni` (None = no SNI)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with client_context().wrap_socket(raw, server_hostname=sni) as s:
            der = s.getpeercert(binary_form=True)
    with open(scratch, "w") as f:
        f.write(ssl.DER_cert_to_PEM_cert(der))
    subject = ssl._ssl._test_decode_cert(scratch)["subject"]
    return dict(x[0] for x in subject)["commonName"]


def test_sni(c, scratch):
    cases = [(SHOP, "shop-a"), ("SHOP.Example.TEST", "shop-a"), ("a.wild.example.test", "*.wild.example.test"),
             ("a.b.wild.example.test", "default"), ("nobody.example.test", "default"), (None, "default")]
    for sni, want in cases:
        got = served_cn(c.https_port, sni, scratch)
        check(got == want, "SNI %r: served CN %r, want %r" % (sni, got, want))


def test_alpn_and_resumption(c):
    with kbtest.HttpClient(c.https_port, tls=client_context(["h2", "http/1.1"]), sni=SHOP) as h:
        check(h.sock.selected_alpn_protocol() == "h2", "ALPN prefers h2: %r" % h.sock.selected_alpn_protocol())
    with kbtest.HttpClient(c.https_port, tls=client_context(["http/1.1"]), sni=SHOP) as h:
        check(h.sock.selected_alpn_protocol() == "http/1.1", "ALPN: %r" % h.sock.selected_alpn_protocol())
        check(h.request("GET", "/", host=SHOP).status == 200, "GET over TLS with ALPN")
    try:
        with kbtest.HttpClient(c.https_port, tls=client_context(["spdy/3"]), sni=SHOP) as h:
            h.request("GET", "/", host=SHOP)
        check(False, "a client offering neither h2 nor http/1.1 must be refused (no_application_protocol)")
    except (ssl.SSLError, ConnectionError, OSError):
        pass
    for version in (None, ssl.TLSVersion.TLSv1_2):
        ctx = client_context(max_version=version)
        with kbtest.HttpClient(c.https_port, tls=ctx, sni=SHOP) as h:
            check(h.request("GET", "/", host=SHOP).status == 200, "first request")
            session = h.sock.session
            check(not h.sock.session_reused, "first handshake is full")
        with kbtest.HttpClient(c.https_port, tls=ctx, sni=SHOP, session=session) as h:
            check(h.sock.session_reused, "session not resumed (%s)" % h.sock.version())
            check(h.request("GET", "/", host=SHOP).status == 200, "request on the resumed session")
    # The handshakes above on /metrics (test_sni made full ones before; the h2-only client failed).
    metrics = c.admin_get("/metrics").text
    counts = {r: float(re.search(r'^kubebalancer_tls_handshakes_total\{result="%s"\} (\S+)$' % r, metrics, re.M).group(1))
              for r in ("full", "resumed", "failure")}
    check(counts["resumed"] >= 2 and counts["full"] >= 2 and counts["failure"] >= 1, "TLS metrics: %r" % counts)


def header_lines(resp):
    return resp.text.splitlines()


def test_scheme_headers(c):
    with kbtest.HttpClient(c.https_port, tls=client_context(), sni=SHOP) as h:
        r = h.request("GET", "/headers", [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-Proto", "http")], host=SHOP)
        lines = header_lines(r)
        check("X-Forwarded-Proto: https" in lines, "member sees https: %r" % lines)
        check("X-Forwarded-For: 127.0.0.1" in lines, "untrusted peer's X-Forwarded-For replaced: %r" % lines)
        check(r.header("strict-transport-security") == "max-age=600; includeSubDomains", "HSTS: %r" % r.headers)
        r = h.request("GET", "/redirect", host=SHOP)
        check(r.header("location") == "https://%s/target" % SHOP, "Location rewrite: %r" % r.header("location"))
        r = h.request("GET", "/headers", host="a.wild.example.test")
        check(r.header("strict-transport-security") is None, "no HSTS for a host without it")
        # The proxy's own answers carry it too (nginx's `always`): a route's 413 here.
        r = h.request("POST", "/small", body=b"0123456789", host=SHOP)
        check(r.status == 413, "maxbodysize: %d" % r.status)
        check(r.header("strict-transport-security") == "max-age=600; includeSubDomains",
              "HSTS on the proxy's own answer: %r" % r.headers)
    r = kbtest.http_get(c.port, "/headers", host=PLAIN)
    check("X-Forwarded-Proto: http" in header_lines(r), "plain request: %r" % r.text)
    check(r.header("strict-transport-security") is None, "never HSTS on plain HTTP")


def test_redirect(c):
    r = kbtest.http_get(c.port, "/a/b?x=1&y=2", host=SHOP)
    check(r.status == 308, "plain request on a host with a certificate: %d" % r.status)
    want = "https://%s:%d/a/b?x=1&y=2" % (SHOP, c.https_port)
    check(r.header("location") == want, "Location %r, want %r" % (r.header("location"), want))
    r = kbtest.http_get(c.port, "/.well-known/x", host=SHOP)
    check(r.status == 200, "sslredirect: false route: %d" % r.status)
    r = kbtest.http_get(c.port, "/", host=PLAIN)
    check(r.status == 200, "host without certificate: %d" % r.status)
    with kbtest.HttpClient(c.port) as h:  # keep-alive after the redirect
        check(h.request("GET", "/x", host=SHOP).status == 308, "GET redirected")
        check(h.request("GET", "/", host=PLAIN).status == 200, "same connection afterwards")
    with kbtest.HttpClient(c.port) as h:  # 308 keeps the method: a POST is redirected too
        r = h.request("POST", "/form", body=b"a=1", host=SHOP)
        check(r.status == 308 and r.header("location").endswith("/form"), "POST: %d %r" % (r.status, r.headers))


def test_trusted_proxies_and_handshake_timeout(c):
    proc, port, _ = c.procs.start_proxy(c.args.proxy, c.table_path, name="trusting",
                                        extra=["--https-listen", "127.0.0.1:0", "--trusted-proxies", "127.0.0.1/32",
                                               "--header-timeout", "1s"])
    try:
        # A client that connects to the HTTPS listener and never says hello is cut off after the
        # header timeout, like one that sends half a request head.
        with socket.create_connection(("127.0.0.1", proc.kb_ports["https"]), timeout=10) as silent:
            started = time.time()
            check(silent.recv(100) == b"", "silent TLS client: connection closed")
            check(time.time() - started < 5, "handshake timeout took %.1f s" % (time.time() - started))
        with kbtest.HttpClient(port) as h:
            r = h.request("GET", "/headers", [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-Proto", "https")],
                          host=SHOP)
            check(r.status == 200, "a trusted proxy saying https is not redirected: %d" % r.status)
            lines = header_lines(r)
            check("X-Forwarded-For: 6.6.6.6, 127.0.0.1" in lines, "trusted chain kept: %r" % lines)
            check("X-Forwarded-Proto: https" in lines, "trusted proto kept: %r" % lines)
            check(r.header("strict-transport-security") is not None, "HSTS behind a trusted TLS offloader")
            r = h.request("GET", "/x", [("X-Forwarded-Proto", "http")], host=SHOP)
            check(r.status == 308, "trusted proxy saying http: redirected (%d)" % r.status)
    finally:
        c.procs.stop(proc)


def test_websocket(c):
    ws = kbtest.websocket_connect(c.https_port, "/ws", host=SHOP, tls=client_context())
    try:
        for i in range(5):
            kbtest.ws_send(ws, "tls %d" % i)
            op, data = kbtest.ws_recv(ws)
            check(op == 1 and data == ("tls %d" % i).encode(), "echo %d: %r" % (i, data))
        big = os.urandom(200000)
        kbtest.ws_send(ws, big, opcode=0x2)
        op, data = kbtest.ws_recv(ws)
        check(op == 2 and data == big, "binary echo: %d bytes back" % len(data))
    finally:
        ws.close()


def test_swaps_under_load(c, certs, scratch):
    stop = threading.Event()
    lock = threading.Lock()
    results = {"ok": 0, "failed": []}

    def client():
        ctx = client_context()
        while not stop.is_set():
            try:
                with kbtest.HttpClient(c.https_port, tls=ctx, sni=SHOP, timeout=20) as h:
                    for _ in range(5):
                        r = h.request("GET", "/", host=SHOP)
                        with lock:
                            if r.status == 200:
                                results["ok"] += 1
                            else:
                                results["failed"].append("%d %s" % (r.status, r.text))
            except (OSError, ValueError) as e:
                with lock:
                    results["failed"].append(repr(e))

    threads = [threading.Thread(target=client) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(SWAPS):
            want = "shop-b" if i % 2 == 0 else "shop-a"
            kbtest.write_atomic(c.table_path, render_table(c, certs, shop=want))
            kbtest.wait_for(lambda: served_cn(c.https_port, SHOP, scratch) == want, timeout=20,
                            what="certificate %s after swap %d" % (want, i + 1))
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    check(not results["failed"], "%d failed requests: %s" % (len(results["failed"]), results["failed"][:5]))
    check(results["ok"] > 0, "no request completed")
    print("certificate swaps under load: %d requests, %d swaps, 0 failed" % (results["ok"], SWAPS))


def test_bad_certificate_rejected(c, certs, scratch):
    serving = served_cn(c.https_port, SHOP, scratch)
    bad = render_table(c, certs, shop="shop-b" if serving == "shop-a" else "shop-a", shop_key=certs["wild"][1])
    kbtest.write_atomic(c.table_path, bad)
    line = bad.splitlines().index("    key: %s" % certs["wild"][1]) + 1
    needle = "table.yaml:%d:" % line
    kbtest.wait_for(lambda: needle in c.error_log() and "tls[0].key" in c.error_log(), timeout=20,
                    what="error log naming %s tls[0].key" % needle)
    check(served_cn(c.https_port, SHOP, scratch) == serving, "the previous certificate keeps serving")
    check("PRIVATE KEY" not in c.error_log(), "no key material in the log")


def test_shutdown_close_notify(c):
    raw = socket.create_connection(("127.0.0.1", c.https_port), timeout=10)
    s = client_context().wrap_socket(raw, server_hostname=SHOP, suppress_ragged_eofs=False)
    s.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % SHOP.encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    while len(body) < length:
        body += s.recv(65536)
    c.proxy.send_signal(signal.SIGTERM)
    try:
        tail = s.recv(65536)  # b"" only after close_notify; a bare TCP close raises SSLEOFError
        check(tail == b"", "idle connection on shutdown: %r" % tail)
    finally:
        s.close()
    check(c.proxy.wait(timeout=30) == 0, "proxy exit status")


def main():
    args = kbtest.binaries()
    scratch_dir = tempfile.mkdtemp(prefix="kbtls-")
    scratch = os.path.join(scratch_dir, "served.pem")
    certs = {
        "shop-a": make_cert(scratch_dir, "shop-a", "shop-a", [SHOP]),
        "shop-b": make_cert(scratch_dir, "shop-b", "shop-b", [SHOP]),
        "wild": make_cert(scratch_dir, "wild", "*.wild.example.test", ["*.wild.example.test"]),
        "default": make_cert(scratch_dir, "default", "default", ["default.example.test"]),
    }
    table = lambda c: render_table(c, certs)  # noqa: E731
    with kbtest.Cluster(args, backends=1, table=table, proxy_args=["--https-listen", "127.0.0.1:0"]) as c:
        check(c.https_port, "port file names the https port")
        tests = [lambda: test_sni(c, scratch), lambda: test_alpn_and_resumption(c), lambda: test_scheme_headers(c),
                 lambda: test_redirect(c), lambda: test_trusted_proxies_and_handshake_timeout(c), lambda: test_websocket(c),
                 lambda: test_swaps_under_load(c, certs, scratch),
                 lambda: test_bad_certificate_rejected(c, certs, scratch), lambda: test_shutdown_close_notify(c)]
        for t in tests:
            t()
    print("%d passed, 0 failed" % len(tests))


if __name__ == "__main__":
    main()
