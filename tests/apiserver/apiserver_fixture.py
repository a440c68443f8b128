"""Starting and talking to the test API server from Python tests (stdlib only).

    with ApiServer() as api:                # starts kube_apiserver.py on a free port
        api.create("/api/v1/namespaces/default/services", {...})
        w = api.watch("/api/v1/services", resourceVersion="0")
        event = w.next_event(timeout=10)
        api.faults({"errors": {"count": 2, "code": 500}})
        api.restart()                       # same port, CA, token and (with state=True) objects

api.kubeconfig, api.ca_file, api.token, api.url, api.port, api.cert_dir are what a controller or
kubectl needs. Every process started is killed on exit."""
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "kube_apiserver.py")


class ApiResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # http.client.HTTPMessage
        self.body = body

    @property
    def json(self):
        return json.loads(self.body) if self.body else None

    def __repr__(self):
        return "ApiResponse(%d, %s)" % (self.status, self.body[:300])


class WatchStream:
    """A watch response read event by event (the body is chunked, one JSON object a line)."""

    def __init__(self, conn, response):
        self.conn = conn
        self.response = response
        self.status = response.status
        self.headers = response.headers

    def next_event(self, timeout=20.0):
        """The next event as a dict, or None when the server ended the stream."""
        self.conn.sock.settimeout(timeout)
        line = self.response.readline()
        if not line:
            return None
        return json.loads(line)

    def events_until(self, predicate, timeout=20.0):
        """Reads events until predicate(event) is true; returns all read (the last matched)."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching watch event; saw %r" % [e["type"] for e in seen])
            event = self.next_event(left)
            if event is None:
                raise EOFError("watch ended; saw %r" % [e["type"] for e in seen])
            seen.append(event)
            if predicate(event):
                return seen

    def close(self):
        try:
            self.conn.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class ApiServer:
    def __init__(self, token="test-token", crds=None, state=False, extra_args=(), workdir=None,
                 verbose=False):
        self.own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="kb-apiserver-")
        self.cert_dir = os.path.join(self.workdir, "certs")
        self.token = token
        self.crds = crds
        self.state_file = os.path.join(self.workdir, "state.json") if state else None
        self.extra_args = list(extra_args)
        self.verbose = verbose
        self.proc = None
        self.port = 0
        self._ctx = None

    # Process ------------------------------------------------------------------------------------

    def start(self, port=None, timeout=60.0):
        port_file = os.path.join(self.workdir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        argv = [sys.executable, SERVER, "--port", str(self.port if port is None else port),
                "--port-file", port_file, "--cert-dir", self.cert_dir, "--token", self.token]
        if self.crds:
            argv += ["--crds", self.crds]
        if self.state_file:
            argv += ["--state-file", self.state_file]
        if self.verbose:
            argv.append("--verbose")
        argv += self.extra_args
        self.log = open(os.path.join(self.workdir, "apiserver.log"), "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("kube_apiserver.py exited with %s:\n%s"
                                   % (self.proc.returncode, self.read_log()))
            try:
                with open(port_file) as f:
                    text = f.read().strip()
                if text:
                    self.port = int(text)
                    break
            except FileNotFoundError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("kube_apiserver.py did not write its port file")
            time.sleep(0.05)
        self._ctx = ssl.create_default_context(cafile=self.ca_file)
        return self

    def read_log(self):
        try:
            with open(os.path.join(self.workdir, "apiserver.log"), "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        if self.proc:
            self.log.close()
        self.proc = None

    def restart(self, sig=signal.SIGKILL):
        """Kills the server and starts it again on the same port with the same certificates."""
        self.kill(sig)
        deadline = time.monotonic() + 30
        while True:
            try:
                return self.start(port=self.port)
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)  # the port may linger a moment

    def stop(self):
        self.kill(signal.SIGTERM)
        if self.own_workdir and not os.environ.get("KB_KEEP_TEST_DIRS"):
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def ca_file(self):
        return os.path.join(self.cert_dir, "ca.crt")

    @property
    def kubeconfig(self):
        return os.path.join(self.cert_dir, "kubeconfig")

    @property
    def serviceaccount_dir(self):
        return os.path.join(self.cert_dir, "serviceaccount")

    @property
    def url(self):
        return "https://127.0.0.1:%d" % self.port

    # HTTP ---------------------------------------------------------------------------------------

    def connection(self, timeout=30.0):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self._ctx,
                                           timeout=timeout)

    def request(self, method, path, body=None, content_type="application/json", headers=None,
                token=True, query=None, timeout=30.0):
        if query:
            path += ("&" if "?" in path else "?") + urllib.parse.urlencode(query)
        hdrs = {"Accept": "application/json"}
        if token:
            hdrs["Authorization"] = "Bearer " + (self.token if token is True else token)
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            hdrs["Content-Type"] = content_type
        hdrs.update(headers or {})
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return ApiResponse(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def create(self, path, obj, **kw):
        return self.request("POST", path, obj, **kw)

    def put(self, path, obj, **kw):
        return self.request("PUT", path, obj, **kw)

    def patch(self, path, patch, patch_type="application/merge-patch+json", **kw):
        return self.request("PATCH", path, patch, content_type=patch_type, **kw)

    def delete(self, path, options=None, **kw):
        return self.request("DELETE", path, options, **kw)

    def watch(self, path, timeout=30.0, headers=None, **params):
        params.setdefault("watch", "true")
        full = path + ("&" if "?" in path else "?") + urllib.parse.urlencode(params)
        conn = self.connection(timeout)
        hdrs = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
        hdrs.update(headers or {})
        conn.request("GET", full, headers=hdrs)
        return WatchStream(conn, conn.getresponse())

    # Test control ---------------------------------------------------------------------------------

    def faults(self, spec):
        resp = self.request("POST", "/_test/faults", spec, token=False)
        if resp.status != 200:
            raise RuntimeError("faults request failed: %r" % resp)
        return resp.json

    def stats(self):
        return self.request("GET", "/_test/stats", token=False).json

    def reset_stats(self):
        return self.request("DELETE", "/_test/stats", token=False).json

    def count(self, key):
        """Requests counted under `key`, e.g. "list services" or
        "patch ingresses.networking.k8s.io/status"."""
        return self.stats()["requests"].get(key, 0)

    def resource_version(self):
        return int(self.request("GET", "/_test/state", token=False).json["resourceVersion"])
