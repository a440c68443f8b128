"""Shared helpers for the integration tests (python3 stdlib only).

- Procs: starts binaries, waits for their --port-file, and always kills them (use as a context manager).
- HttpClient: HTTP/1.1 on a raw socket with keep-alive, chunked bodies and streaming, for what
  http.client hides (connection reuse, chunked uploads, exact bytes on the wire).
- websocket_connect / ws_send / ws_recv: a minimal masked-frame WebSocket client.
- peak_rss_kib(pid): VmHWM from /proc.
- open_idle_connections / idle_growth_kib / tree_rss_kib / raise_nofile: the idle keep-alive
  connection memory figure (tests/integration/proxy/test_idle_memory.py, bench/idle_conn_bench.py).
"""
import base64
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time


def fail(message):
    print("FAIL:", message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def wait_for(predicate, timeout=20.0, interval=0.02, what="condition"):
    """Polls `predicate` until it returns a truthy value; raises after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("timed out waiting for " + what)


def free_port():
    """A loopback port free right now (for servers that cannot report an OS-chosen one)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def closed_port():
    """A loopback port nothing listens on (bound, then closed): a dead member."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def raw_server(handle, rcvbuf=None):
    """A loopback listener calling handle(conn) for each accepted connection, in order, on one
    daemon thread (misbehaving members for the tests). Returns the listening socket."""
    import threading
    srv = socket.socket()
    if rcvbuf:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # inherited by accepted sockets
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            handle(conn)

    threading.Thread(target=serve, daemon=True).start()
    return srv


def read_port_file(path):
    try:
        with open(path) as f:
            text = f.read().strip()
    except FileNotFoundError:
        return None
    if not text:
        return None
    if "=" not in text:
        return int(text)
    return {k: int(v) for k, v in (p.split("=") for p in text.split())}


class Procs:
    """Starts processes in a temp dir and kills every one of them on exit."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="kbtest-")
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop_all()
        return False

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, argv, name, port_file=None, timeout=30.0):
        """Starts argv with stdout/stderr in <dir>/<name>.out/.err; waits for port_file if given."""
        out = open(self.path(name + ".out"), "wb")
        err = open(self.path(name + ".err"), "wb")
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        proc.kb_name = name
        self.procs.append(proc)
        if port_file is None:
            return proc, None

        def ready():
            if proc.poll() is not None:
                raise RuntimeError("%s exited with %s: %s" % (name, proc.returncode, self.read(name + ".err")))
            return read_port_file(port_file)

        return proc, wait_for(ready, timeout=timeout, what=name + " port file")

    def start_backend(self, binary, name, route):
        port_file = self.path(name + ".port")
        _, port = self.start([binary, "--listen", "127.0.0.1:0", "--name", name, "--route", route,
                              "--port-file", port_file], name, port_file)
        return port

    def start_proxy(self, binary, table, extra=(), name="proxy"):
        """Starts the proxy on port 0 (proxy and admin); returns (proc, proxy_port, admin_port)."""
        port_file = self.path(name + ".port")
        argv = [binary, "--table", table, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--workers", "2", "--port-file", port_file,
                "--access-log", self.path(name + ".access"), "--error-log", self.path(name + ".errlog")]
        argv += list(extra)
        proc, ports = self.start(argv, name, port_file)
        proc.kb_ports = ports  # "https" too with --https-listen
        return proc, ports["proxy"], ports["admin"]

    def read(self, name):
        try:
            with open(self.path(name), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stop_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def stop(self, proc, sig=signal.SIGTERM, timeout=30.0):
        proc.send_signal(sig)
        return proc.wait(timeout=timeout)


def backend_table(balancers, routes, default_backend=""):
    """Renders a table YAML. balancers: list of dicts {name, members: [(url, route)], extra: str}."""
    lines = ["balancers:"]
    for b in balancers:
        lines.append("  - name: %s" % b["name"])
        for line in b.get("extra", "").splitlines():
            if line.strip():
                lines.append("    " + line)
        lines.append("    members:")
        for url, route in b["members"]:
            lines.append("      - url: %s" % url)
            lines.append("        route: %s" % route)
    lines.append("routes:")
    for r in routes:
        lines.append("  - path: %s" % r.get("path", "/"))
        lines.append("    pathtype: %s" % r.get("pathtype", "Prefix"))
        lines.append("    balancer: %s" % r["balancer"])
    if default_backend:
        lines.append("defaultbackend: %s" % default_backend)
    return "\n".join(lines) + "\n"


def write_atomic(path, text):
    """Write-to-temp + rename, as the controller and editors do."""
    tmp = path + ".tmp-%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (lower-case name, value)
        self.body = body

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class HttpClient:
    """One HTTP/1.1 connection. request() sends and reads a whole response; for streaming use
    send_head/send_chunk/send_raw and read_response(sink=...)."""

    def __init__(self, port, host="127.0.0.1", timeout=30.0, tls=None, sni=None, session=None):
        """tls: an ssl.SSLContext to speak HTTPS with (sni: the server name sent, None = none;
        session: an ssl.SSLSession to resume)."""
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname=sni, session=session)
        self.buf = b""
        self.closed_by_peer = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send_head(self, method, target, headers=(), host="example.test"):
        lines = ["%s %s HTTP/1.1" % (method, target)]
        names = {k.lower() for k, _ in headers}
        if "host" not in names:
            lines.append("Host: " + host)
        lines += ["%s: %s" % (k, v) for k, v in headers]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_chunk(self, data):
        self.sock.sendall(b"%x\r\n" % len(data) + data + b"\r\n")

    def end_chunks(self):
        self.sock.sendall(b"0\r\n\r\n")

    def request(self, method, target, headers=(), body=None, host="example.test"):
        headers = list(headers)
        if body is not None:
            headers.append(("Content-Length", str(len(body))))
        self.send_head(method, target, headers, host)
        if body:
            self.sock.sendall(body)
        return self.read_response(head_request=(method == "HEAD"))

    def _fill(self):
        data = self.sock.recv(256 * 1024)
        if not data:
            self.closed_by_peer = True
            raise ConnectionError("connection closed by peer")
        self.buf += data

    def _read_line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read_exact(self, n, sink):
        while n > 0:
            if not self.buf:
                self._fill()
            take = self.buf[:n]
            self.buf = self.buf[len(take):]
            n -= len(take)
            sink(take)

    def read_response(self, sink=None, head_request=False):
        """Reads one response. The body goes to sink(bytes) if given (then Response.body is b"")."""
        parts = []
        if sink is None:
            sink = parts.append
        while True:
            status_line = self._read_line().decode("latin-1")
            version, status, *reason = status_line.split(" ", 2)
            status = int(status)
            headers = []
            while True:
                line = self._read_line().decode("latin-1")
                if not line:
                    break
                k, v = line.split(":", 1)
                headers.append((k.strip().lower(), v.strip()))
            if 100 <= status < 200 and status != 101:
                continue  # 100 Continue: the real response follows
            break
        resp = Response(status, reason[0] if reason else "", headers, b"")
        te = resp.header("transfer-encoding", "").lower()
        if head_request or status in (204, 304) or status == 101:
            pass
        elif "chunked" in te:
            while True:
                size = int(self._read_line().split(b";")[0], 16)
                if size == 0:
                    while self._read_line():
                        pass
                    break
                self._read_exact(size, sink)
                self._read_line()
        elif resp.header("content-length") is not None:
            self._read_exact(int(resp.header("content-length")), sink)
        else:
            try:
                while True:
                    if self.buf:
                        sink(self.buf)
                        self.buf = b""
                    self._fill()
            except ConnectionError:
                pass
        resp.body = b"".join(parts)
        return resp


def http_get(port, target, headers=(), host="example.test", timeout=30.0):
    with HttpClient(port, timeout=timeout) as c:
        return c.request("GET", target, list(headers) + [("Connection", "close")], host=host)


def websocket_connect(port, target="/ws", host="example.test", timeout=30.0, tls=None):
    """Returns an HttpClient whose socket has completed the WebSocket handshake."""
    c = HttpClient(port, timeout=timeout, tls=tls, sni=host if tls is not None else None)
    key = base64.b64encode(os.urandom(16)).decode()
    c.send_head("GET", target, [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13")], host)
    resp = c.read_response()
    if resp.status != 101:
        c.close()
        raise RuntimeError("websocket handshake failed: %d %s" % (resp.status, resp.text))
    return c


def ws_send(c, payload, opcode=0x1):
    if isinstance(payload, str):
        payload = payload.encode()
    mask = os.urandom(4)
    header = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        header += bytes([0x80 | n])
    elif n < 65536:
        header += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        header += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    c.send_raw(header + mask + masked)


def _recv_exact(c, n):
    parts = []
    c._read_exact(n, parts.append)
    return b"".join(parts)


def ws_recv(c):
    """Returns (opcode, payload) of the next message, joining fragments (servers may fragment)."""
    opcode, parts = None, []
    while True:
        b0, b1 = _recv_exact(c, 2)
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(_recv_exact(c, 2), "big")
        elif n == 127:
            n = int.from_bytes(_recv_exact(c, 8), "big")
        payload = _recv_exact(c, n)
        op = b0 & 0x0F
        if op >= 0x8:  # control frame (ping/pong/close) between fragments
            if op == 0x8:
                return op, payload
            continue
        if opcode is None:
            opcode = op
        parts.append(payload)
        if b0 & 0x80:
            return opcode, b"".join(parts)


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def sanitized():
    """True when the binaries were built with ASan (tests then use smaller transfers)."""
    flags = (os.environ.get("KB_SANITIZE", ""), os.environ.get("KB_SANITIZER_BUILD", ""))
    return any(f.upper() in ("ON", "1", "TRUE", "YES") for f in flags)


def binaries():
    """Parses --proxy/--backend/--repo from argv (the CMake test passes them)."""
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--proxy", required=False)
    p.add_argument("--backend", required=False)
    p.add_argument("--repo", required=False)
    p.add_argument("--build-dir", required=False)
    return p.parse_args()


class Cluster:
    """N demo backends + the proxy on free ports, with a table file the test can rewrite.
    Use as a context manager; everything is killed on exit."""

    def __init__(self, args, backends=3, extra_balancer="", table=None, proxy_args=()):
        self.args = args
        self.procs = Procs()
        self.backend_ports = []
        self.table_path = self.procs.path("table.yaml")
        try:
            for i in range(backends):
                self.backend_ports.append(self.procs.start_backend(args.backend, "b%d" % (i + 1), "r%d" % (i + 1)))
            write_atomic(self.table_path, table(self) if callable(table) else
                         self.table(extra=extra_balancer))
            self.proxy, self.port, self.admin_port = self.procs.start_proxy(
                args.proxy, self.table_path, extra=proxy_args)
            self.https_port = self.proxy.kb_ports.get("https")
        except BaseException:
            self.procs.stop_all()
            raise

    def table(self, members=None, extra=""):
        if members is None:
            members = len(self.backend_ports)
        bal = {"name": "web", "members": [("http://127.0.0.1:%d" % p, "r%d" % (i + 1))
                                          for i, p in enumerate(self.backend_ports[:members])],
               "extra": "stickysession: JSESSIONID|jsessionid\n" + extra}
        return backend_table([bal], [{"path": "/", "balancer": "web"}])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.procs.stop_all()
        return False

    def get(self, target, headers=(), host="example.test"):
        return http_get(self.port, target, headers, host)

    def admin_get(self, target):
        return http_get(self.admin_port, target)

    def error_log(self):
        return self.procs.read("proxy.errlog")

    def access_log(self):
        return self.procs.read("proxy.access")


def raise_nofile(want):
    """Raises this process's open-file limit towards `want` (children inherit it); returns it."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        soft = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


def tree_rss_kib(pid):
    """Resident memory (KiB) of pid and all its descendants (nginx's and HAProxy's workers)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open("/proc/%d/status" % p) as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total


def open_idle_connections(port, count, host="example.test", target="/", tls=None):
    """Opens `count` keep-alive connections, each after one served request (status checked);
    returns the open sockets (close them when done). tls: an ssl.SSLContext for HTTPS."""
    request = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, host)).encode()
    conns = []
    try:
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            if tls is not None:
                s = tls.wrap_socket(s, server_hostname=host)
            s.sendall(request)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                check(chunk, "connection closed before a response")
                data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            check(head.startswith(b"HTTP/1.1 200"), "response: %r" % head[:200])
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            check(length is not None, "no Content-Length: %r" % head[:200])
            while len(body) < int(length.group(1)):
                body += s.recv(65536)
            conns.append(s)
    except BaseException:
        for s in conns:
            s.close()
        raise
    return conns


def idle_growth_kib(pid, port, count, host="example.test", target="/", settle=1.0, tls=None):
    """RSS growth (KiB per connection) of pid's process tree for `count` idle keep-alive
    connections; returns (kib_per_conn, conns) with the connections still open."""
    conns = open_idle_connections(port, 16, host, target, tls)  # warm: pools, lent buffers, allocator
    time.sleep(settle)
    before = tree_rss_kib(pid)
    conns += open_idle_connections(port, count, host, target, tls)
    time.sleep(settle)
    after = tree_rss_kib(pid)
    return (after - before) / count, conns
