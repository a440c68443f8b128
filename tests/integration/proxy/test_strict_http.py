#!/usr/bin/env python3
"""RFC 9112 strictness through the real proxy (issue 11 point 1, docs/reliability.md): every vector
of strict_vectors.py is sent on its own connection; the test checks the status, that a refused
request closes the connection, and what the member received (a raw-socket member that records the
exact bytes: a refused request must reach it not at all, and /smuggled never). Then the member's
side: responses with conflicting framing become 502 and their connection is not reused. Then the
limits: 431 (size, count), 414, 413, 408 (slow head), keep-alive idle timeout."""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
sys.path.insert(0, os.path.dirname(__file__))
import kbtest  # noqa: E402
from kbtest import check  # noqa: E402
from strict_vectors import VECTORS  # noqa: E402

# What the member answers, by request path; anything else gets 200 "ok".
BAD_RESPONSES = {
    b"/resp/cl-conflict": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
    b"/resp/te-gzip": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc",
    b"/resp/te-not-last": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    b"/resp/te-and-cl": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    b"/resp/bare-cr": b"HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: evil=1\r\nContent-Length: 2\r\n\r\nok",
    b"/resp/bare-lf": b"HTTP/1.1 200 OK\r\nX-A: a\nSet-Cookie: evil=1\r\nContent-Length: 2\r\n\r\nok",
    b"/resp/space-colon": b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",
    b"/resp/http10-te": b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
}


class Member:
    """A raw-socket HTTP/1.1 member: records every request (connection id, head, body) and whether
    each connection was closed by the proxy."""

    def __init__(self):
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(64)
        self.port = self.srv.getsockname()[1]
        self.lock = threading.Lock()
        self.requests = []   # (conn_id, head bytes, body bytes)
        self.raw = {}        # conn_id -> every byte received
        self.closed = set()  # conn_ids closed by the proxy
        self.next_id = 0
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            with self.lock:
                cid = self.next_id
                self.next_id += 1
                self.raw[cid] = b""
            threading.Thread(target=self.serve, args=(conn, cid), daemon=True).start()

    def serve(self, conn, cid):
        buf = b""

        def more():
            nonlocal buf
            data = conn.recv(65536)
            if not data:
                raise EOFError
            with self.lock:
                self.raw[cid] += data
            buf += data

        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    more()
                end = buf.index(b"\r\n\r\n") + 4
                head, buf = buf[:end], buf[end:]
                fields = {}
                for line in head.split(b"\r\n")[1:]:
                    if b":" in line:
                        k, v = line.split(b":", 1)
                        fields[k.strip().lower()] = v.strip()
                body = b""
                if fields.get(b"transfer-encoding", b"").lower() == b"chunked":
                    while True:
                        while b"\r\n" not in buf:
                            more()
                        line, buf = buf.split(b"\r\n", 1)
                        size = int(line.split(b";")[0], 16)
                        while len(buf) < size + 2:
                            more()
                        body += buf[:size]
                        buf = buf[size + 2:]
                        if size == 0:
                            break
                else:
                    n = int(fields.get(b"content-length", b"0"))
                    while len(buf) < n:
                        more()
                    body, buf = buf[:n], buf[n:]
                with self.lock:
                    self.requests.append((cid, head, body))
                path = head.split(b" ")[1]
                if path in BAD_RESPONSES:
                    conn.sendall(BAD_RESPONSES[path])
                    continue
                reply = b"ok " + body
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(reply), reply))
        except (EOFError, OSError, ValueError):
            pass
        with self.lock:
            self.closed.add(cid)
        conn.close()

    def snapshot(self):
        with self.lock:
            return len(self.requests)

    def since(self, n):
        with self.lock:
            return list(self.requests[n:])

    def all_raw(self):
        with self.lock:
            return b"".join(self.raw.values())


def exchange(port, raw, wait=5.0):
    """Sends raw on a new connection; returns (status, response bytes, closed_by_proxy)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(wait)
    try:
        s.sendall(raw)
    except OSError:
        pass
    data = b""
    closed = False
    deadline = time.monotonic() + wait
    try:
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
            if b"\r\n\r\n" in data:
                # One response is enough for a keep-alive connection: wait briefly for a close.
                s.settimeout(0.5)
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    s.close()
    status = int(data.split(b" ")[1]) if data.startswith(b"HTTP/1.") else 0
    return status, data, closed


def main():
    args = kbtest.binaries()
    member = Member()

    def table(_c):
        return kbtest.backend_table([{"name": "raw", "members": [("http://127.0.0.1:%d" % member.port, "m1")]}],
                                    [{"path": "/", "balancer": "raw"}])

    proxy_args = ["--max-header-bytes", "16384", "--max-body-bytes", "100000", "--header-timeout", "1s",
                  "--idle-timeout", "2s"]
    failures = []
    with kbtest.Cluster(args, backends=0, table=table, proxy_args=proxy_args) as c:
        # 1. Request vectors.
        for name, raw, want, _rfc in VECTORS:
            before = member.snapshot()
            status, data, closed = exchange(c.port, raw)
            time.sleep(0.05)
            got = member.since(before)
            if status != want:
                failures.append("%s: status %d, want %d: %r" % (name, status, want, data[:200]))
                continue
            if want >= 400:
                if not closed:
                    failures.append("%s: %d but the connection stayed open" % (name, status))
                if got:
                    failures.append("%s: refused, yet the member received %r" % (name, got))
            elif name == "absolute_form":
                heads = [h for _, h, _ in got]
                ok = len(heads) == 1 and heads[0].startswith(b"GET /abs HTTP/1.1\r\n") and \
                    b"\r\nX-Forwarded-Host: b.example\r\n" in heads[0]
                if not ok:
                    failures.append("absolute_form: member received %r" % heads)
            elif name == "te_and_cl":
                # Transfer-Encoding wins: one request, chunked, no Content-Length; then the close.
                heads = [h.lower() for _, h, _ in got]
                ok = len(heads) == 1 and b"content-length" not in heads[0] and \
                    b"transfer-encoding: chunked" in heads[0] and got[0][2] == b"" and closed
                if not ok:
                    failures.append("te_and_cl: member received %r, client closed=%s" % (got, closed))
            elif name == "valid_chunked":
                if len(got) != 1 or got[0][2] != b"hello" or b"ok hello" not in data:
                    failures.append("valid_chunked: member received %r, client %r" % (got, data))
        check(b"/smuggled" not in member.all_raw(), "a smuggled request reached the member")

        # 2. The member's responses: 502, and that member connection is closed, not reused.
        for path in BAD_RESPONSES:
            before = member.snapshot()
            status, data, _ = exchange(c.port, b"GET " + path + b" HTTP/1.1\r\nHost: a\r\n\r\n")
            got = member.since(before)
            if status != 502 or b"evil" in data or b"abc" in data:
                failures.append("%s: client got %r" % (path.decode(), data[:200]))
                continue
            cid = got[0][0]
            try:
                kbtest.wait_for(lambda: cid in member.closed, timeout=5, what="member connection closed")
            except TimeoutError:
                failures.append("%s: the member connection was kept" % path.decode())
            before = member.snapshot()
            status, _, _ = exchange(c.port, b"GET /after HTTP/1.1\r\nHost: a\r\n\r\n")
            after = member.since(before)
            if status != 200 or not after or after[0][0] == cid:
                failures.append("%s: next request %d on %r (bad connection %d)" % (path.decode(), status, after, cid))

        # 3. Limits.
        big = b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"v" * 20000 + b"\r\n\r\n"
        status, _, closed = exchange(c.port, big)
        check(status == 431 and closed, "head over --max-header-bytes: %d closed=%s" % (status, closed))
        before = member.snapshot()
        status, _, _ = exchange(c.port, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\n\r\n" + b"x" * 1000)
        check(status == 413 and not member.since(before), "body over --max-body-bytes: %d" % status)
        start = time.monotonic()
        status, _, closed = exchange(c.port, b"GET / HTTP/1.1\r\nHost: a\r\n", wait=6)
        took = time.monotonic() - start
        check(status == 408 and closed and took < 5, "slow head: %d closed=%s after %.1fs" % (status, closed, took))
        # Slowloris: a byte every 300 ms keeps the connection busy but the head still times out.
        s = socket.create_connection(("127.0.0.1", c.port))
        s.settimeout(6)
        start = time.monotonic()
        data = b""
        try:
            for b in b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ":
                s.sendall(bytes([b]))
                time.sleep(0.3)
                if time.monotonic() - start > 4:
                    break
        except OSError:
            pass
        try:
            data = s.recv(65536)
        except OSError:
            pass
        s.close()
        check(data.startswith(b"HTTP/1.1 408"), "slowloris head: %r" % data[:80])
        # Keep-alive idle timeout: one request, then silence; the proxy closes after --idle-timeout.
        s = socket.create_connection(("127.0.0.1", c.port))
        s.settimeout(8)
        s.sendall(b"GET /idle HTTP/1.1\r\nHost: a\r\n\r\n")
        data = s.recv(65536)
        check(data.startswith(b"HTTP/1.1 200"), "idle: first response %r" % data[:80])
        start = time.monotonic()
        rest = s.recv(65536)
        took = time.monotonic() - start
        s.close()
        check(rest == b"" and 1.0 < took < 6.0, "idle connection closed after %.1fs (%r)" % (took, rest))

    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    check(not failures, "%d vector(s) failed" % len(failures))
    print("strict http: %d request vectors, %d member-response vectors, limits OK" % (len(VECTORS), len(BAD_RESPONSES)))


if __name__ == "__main__":
    main()
