#!/usr/bin/env python3
"""Limits and slow or vanishing peers (issue 11 point 2, docs/reliability.md "Limits and slow
clients"), through the real proxy:
- full duplex: 20 MB uploads (chunked and Content-Length) to a member that echoes while it reads
  (the demo backend's /echo), plain and over --https-listen, the echoed bytes identical;
- --max-connections 2: a third connection waits (no answer) until one of two held ones closes;
  100 more waiting connections do not grow the proxy's memory and are all served afterwards;
- the minimum body rate: a body slower than --min-body-rate gets 408 and a closed connection, a
  fast one under the same flags passes;
- a client that hangs up mid-body or while the member works: the member sees its connection
  closed, the access log says so (499);
- a member that hangs up mid-response (Content-Length and chunked body): the client gets the head,
  a truncated body and a closed connection (no hang), the access log records the truncation."""
import hashlib
import os
import select
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import kbtest  # noqa: E402
from kbtest import check  # noqa: E402

SAN = kbtest.sanitized()
DUPLEX_BYTES = (8 if SAN else 20) << 20


def pattern(size):
    """`size` bytes that differ along the way (a shifted or lost block shows)."""
    block = bytearray()
    i = 0
    while len(block) < size:
        block += hashlib.sha256(str(i).encode()).digest() * 64
        i += 1
    return bytes(block[:size])


def dechunk(data):
    """The body of a chunked response in `data` (after the head), or None while incomplete."""
    out = bytearray()
    pos = 0
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(data[pos:eol].split(b";")[0], 16)
        if size == 0:
            return bytes(out) if data.endswith(b"\r\n\r\n") else None
        start = eol + 2
        if len(data) < start + size + 2:
            return None
        out += data[start:start + size]
        pos = start + size + 2


def duplex_exchange(sock, head, body, chunked, timeout=120):
    """Sends head + body while reading the response, in one thread with select (an SSLSocket
    must not be used from two threads). Returns (status line, echoed body)."""
    wire = bytearray()
    if chunked:
        for i in range(0, len(body), 65536):
            piece = body[i:i + 65536]
            wire += b"%x\r\n" % len(piece) + piece + b"\r\n"
        wire += b"0\r\n\r\n"
    else:
        wire += body
    out = memoryview(head + bytes(wire))
    got = bytearray()
    sock.setblocking(False)
    deadline = time.monotonic() + timeout
    result = None
    while result is None:
        check(time.monotonic() < deadline, "duplex exchange: no progress (sent %d of %d, got %d)"
              % (len(head) + len(wire) - len(out), len(head) + len(wire), len(got)))
        pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
        r, w, _ = select.select([sock], [sock] if len(out) else [], [], 0 if pending else 1.0)
        if r or pending:
            try:
                data = sock.recv(262144)
                check(data != b"", "proxy closed the connection after %d bytes" % len(got))
                got += data
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                pass
        if w and len(out):
            try:
                out = out[sock.send(out[:262144]):]
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                pass
        if not len(out) and got.endswith(b"0\r\n\r\n"):
            result = dechunk(bytes(got[got.find(b"\r\n\r\n") + 4:]))
    sock.setblocking(True)
    return bytes(got[:got.find(b"\r\n")]).decode("latin-1"), result


def test_duplex(port, tls_port, ca_dir):
    body = pattern(DUPLEX_BYTES)
    for scheme in ("http", "https"):
        for chunked in (True, False):
            sock = socket.create_connection(("127.0.0.1", port if scheme == "http" else tls_port), timeout=30)
            if scheme == "https":
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                sock = ctx.wrap_socket(sock, server_hostname="example.test")
            framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % len(body)
            head = b"POST /echo HTTP/1.1\r\nHost: example.test\r\n" + framing + b"\r\n\r\n"
            started = time.monotonic()
            status, echoed = duplex_exchange(sock, head, body, chunked)
            sock.close()
            what = "%s %s" % (scheme, "chunked" if chunked else "content-length")
            check(status.startswith("HTTP/1.1 200"), "%s echo: %s" % (what, status))
            check(echoed == body, "%s echo: %d bytes back of %d, identical=%s"
                  % (what, len(echoed), len(body), echoed == body))
            print("duplex %s: %d MiB echoed in %.1f s" % (what, len(body) >> 20, time.monotonic() - started))


def make_cert(directory):
    crt, key = os.path.join(directory, "t.crt"), os.path.join(directory, "t.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=example.test",
                    "-addext", "subjectAltName=DNS:example.test"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return crt, key


def tls_table(c, crt, key):
    return c.table() + "defaultcertificate: {certificate: %s, key: %s}\n" % (crt, key)


def read_to_eof(sock):
    """Everything `sock` receives until the peer closes (a hang raises socket.timeout)."""
    data = b""
    part = sock.recv(65536)
    while part:
        data += part
        part = sock.recv(65536)
    return data


def answered(sock, wait):
    """Whether a response starts arriving on `sock` within `wait` seconds."""
    r, _, _ = select.select([sock], [], [], wait)
    return bool(r)


def test_max_connections(c):
    held = [kbtest.HttpClient(c.port, timeout=10) for _ in range(2)]
    for h in held:
        check(h.request("GET", "/").status == 200, "held connection served")
    third = socket.create_connection(("127.0.0.1", c.port), timeout=10)  # the backlog takes it
    third.sendall(b"GET / HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n")
    check(not answered(third, 1.0), "third connection answered while 2 were held (--max-connections 2)")
    # Many more wait without costing the proxy memory: the kernel holds them, not the proxy.
    before = kbtest.tree_rss_kib(c.proxy.pid)
    waiting = []
    for _ in range(100):
        s = socket.create_connection(("127.0.0.1", c.port), timeout=30)
        s.sendall(b"GET /bytes?n=10 HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n")
        waiting.append(s)
    time.sleep(0.5)
    growth = kbtest.tree_rss_kib(c.proxy.pid) - before
    check(all(not answered(s, 0) for s in waiting), "a waiting connection was answered over the limit")
    check(growth < 1024, "100 waiting connections grew the proxy by %d KiB" % growth)
    held[0].close()
    check(answered(third, 5.0), "third connection not served after one held connection closed")
    check(third.recv(100).startswith(b"HTTP/1.1 200"), "third connection: 200")
    third.close()
    held[1].close()
    for s in waiting:  # served two at a time as the others close
        data = read_to_eof(s)
        check(data.startswith(b"HTTP/1.1 200") and data.endswith(b"xxxxxxxxxx"), "waiting one: %r" % data[:60])
        s.close()
    print("max-connections: third waited, 100 waiting cost %d KiB, all served" % growth)


def test_min_body_rate(c):
    # 100 bytes every 250 ms (400 B/s) against --body-timeout 1s --min-body-rate 1000.
    s = socket.create_connection(("127.0.0.1", c.port), timeout=10)
    s.sendall(b"POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Length: 100000\r\n\r\n")
    started = time.monotonic()
    data = b""
    try:
        while time.monotonic() - started < 8:
            if answered(s, 0.25):
                break
            s.sendall(b"b" * 100)
        data = read_to_eof(s)
    except (ConnectionResetError, BrokenPipeError):
        pass
    took = time.monotonic() - started
    s.close()
    check(data.startswith(b"HTTP/1.1 408"), "slow body: %r after %.1f s" % (data[:60], took))
    check(1.0 < took < 6, "slow body answered after %.1f s" % took)
    # A fast client under the same limits.
    with kbtest.HttpClient(c.port, timeout=30) as h:
        r = h.request("POST", "/upload", body=b"f" * (4 << 20))
        check(r.status == 200 and r.text.strip() == "received=%d" % (4 << 20), "fast body: %d %s" % (r.status, r.text))
    print("min body rate: 408 after %.1f s, fast body passes" % took)


class RawMember:
    """A member on a raw socket; `script(conn, self)` runs per connection on one thread and may
    record events (self.events) such as when the proxy closed the connection."""

    def __init__(self, script):
        self.events = []
        self.script = script
        self.srv = kbtest.raw_server(lambda conn: self._run(conn))
        self.port = self.srv.getsockname()[1]

    def _run(self, conn):
        try:
            self.script(conn, self)
        except OSError as e:
            self.events.append(("error", str(e)))
        finally:
            conn.close()

    def close(self):
        self.srv.close()


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        part = conn.recv(65536)
        if not part:
            return None
        data += part
    return data


def wait_eof(conn, limit):
    """Reads until EOF or `limit` seconds; returns the seconds it took, or None."""
    started = time.monotonic()
    conn.settimeout(limit)
    try:
        while conn.recv(65536):
            pass
        return time.monotonic() - started
    except (socket.timeout, ConnectionResetError):
        return None if time.monotonic() - started >= limit else time.monotonic() - started


def member_table(port):
    return kbtest.backend_table([{"name": "raw", "members": [("http://127.0.0.1:%d" % port, "m")]}],
                                [{"path": "/", "balancer": "raw"}])


def test_client_gone(args, procs):
    def script(conn, m):
        head = read_head(conn)
        m.events.append(("head", head is not None))
        m.events.append(("eof", wait_eof(conn, 10)))

    member = RawMember(script)
    table = procs.path("raw.yaml")
    kbtest.write_atomic(table, member_table(member.port))
    _, port, _ = procs.start_proxy(args.proxy, table, name="gone")
    try:
        # 1. mid-body: half of a 1 MB Content-Length body, then the client closes.
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"POST /up HTTP/1.1\r\nHost: example.test\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 500000)
        time.sleep(0.5)
        s.close()
        kbtest.wait_for(lambda: len(member.events) >= 2, timeout=15, what="member sees the mid-body close")
        took = member.events[1][1]
        check(member.events[0] == ("head", True) and took is not None and took < 5,
              "client gone mid-body: member events %r" % member.events)
        # 2. waiting for a member that does not answer: the client hangs up after 0.5 s.
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /slow HTTP/1.1\r\nHost: example.test\r\n\r\n")
        time.sleep(0.5)
        s.close()
        kbtest.wait_for(lambda: len(member.events) >= 4, timeout=15, what="member sees the waiting client go")
        took = member.events[3][1]
        check(took is not None and took < 4, "client gone while the member works: member events %r" % member.events)
        log = kbtest.wait_for(lambda: procs.read("gone.access").count("\n") >= 2 and procs.read("gone.access"),
                              timeout=10, what="two access log lines")
        check(" 499 " in log and "client closed the connection" in log, "access log: %r" % log)
        print("client gone: member saw the close mid-body and while working (%.1f s)" % took)
    finally:
        member.close()


def test_member_gone(args, procs):
    def script(conn, m):
        head = read_head(conn)
        if head is None:
            return
        if b"/cl" in head.split(b"\r\n")[0]:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"c" * 1000)
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n" + b"k" * 1000 + b"\r\n")
        time.sleep(0.2)

    member = RawMember(script)
    table = procs.path("raw2.yaml")
    kbtest.write_atomic(table, member_table(member.port))
    _, port, _ = procs.start_proxy(args.proxy, table, name="mgone")
    try:
        for path, want in (("/cl", b"c" * 1000), ("/chunked", b"k" * 1000)):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET %s HTTP/1.1\r\nHost: example.test\r\n\r\n" % path.encode())
            started = time.monotonic()
            data = read_to_eof(s)  # a hang would raise socket.timeout after 10 s
            s.close()
            head, _, body = data.partition(b"\r\n\r\n")
            check(head.startswith(b"HTTP/1.1 200"), "%s: head %r" % (path, head[:60]))
            if path == "/cl":
                check(body == want and b"Content-Length: 100000" in head, "%s: truncated body %d bytes" % (path, len(body)))
            else:
                check(body.startswith(b"3e8\r\n" + want) and not body.endswith(b"0\r\n\r\n"),
                      "%s: truncated chunked body %r" % (path, body[-20:]))
            took = time.monotonic() - started
            check(took < 5, "%s: closed after %.1f s" % (path, took))
        log = kbtest.wait_for(lambda: procs.read("mgone.access").count("member response truncated") >= 2
                              and procs.read("mgone.access"), timeout=10, what="access log records")
        print("member gone mid-response: client saw a truncated body and a close, both logged")
    finally:
        member.close()


def main():
    args = kbtest.binaries()
    with kbtest.Procs() as scratch:
        crt, key = make_cert(scratch.dir)
        with kbtest.Cluster(args, backends=1, table=lambda c: tls_table(c, crt, key),
                            proxy_args=["--https-listen", "127.0.0.1:0", "--access-log", "off"]) as c:
            test_duplex(c.port, c.https_port, scratch.dir)
    with kbtest.Cluster(args, backends=1, proxy_args=["--max-connections", "2"]) as c:
        test_max_connections(c)
    with kbtest.Cluster(args, backends=1, proxy_args=["--body-timeout", "1s", "--min-body-rate", "1000"]) as c:
        test_min_body_rate(c)
    with kbtest.Procs() as procs:
        test_client_gone(args, procs)
        test_member_gone(args, procs)
    print("5 passed, 0 failed")


if __name__ == "__main__":
    main()
