#!/usr/bin/env python3
"""A test Kubernetes API server for kube-balancer's tests (python3 stdlib only).

Speaks the real wire protocol over HTTPS with bearer-token auth, so the controller and kubectl
work against it unchanged: discovery (legacy and aggregated), OpenAPI, CRUD with
resourceVersions and optimistic concurrency, merge / JSON / strategic patches, status
subresources, watches with bookmarks and 410 Expired, Table output, CRDs that become served
resources. Test control: POST /_test/faults, GET|DELETE /_test/stats, GET /_test/state.

  kube_apiserver.py --port 0 --port-file F --cert-dir DIR --token TOKEN [--crds DIR]
                    [--state-file F] [--history N] [--bookmark-interval S] [--verbose]

--cert-dir receives ca.crt, server.crt/key, kubeconfig and serviceaccount/{token,ca.crt,namespace}
before the port file is written; the port file holds the port alone.
"""
import argparse
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kubeapi.catalog import CRD_KEY, Catalog  # noqa: E402
from kubeapi.certs import ensure_certs, write_kubeconfig  # noqa: E402
from kubeapi.control import Faults, Stats  # noqa: E402
from kubeapi.errors import ApiError  # noqa: E402
from kubeapi.handler import ApiHandler, Snapshots  # noqa: E402
from kubeapi.registry import Registry  # noqa: E402
from kubeapi.store import Store  # noqa: E402

_BUILTIN_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"]


class App:
    """Everything a request handler needs, hung off the HTTP server."""

    def __init__(self, args):
        self.token = args.token
        self.verbose = args.verbose
        self.no_aggregated = args.no_aggregated_discovery
        self.bookmark_interval = args.bookmark_interval
        self.max_watch_seconds = args.max_watch_seconds
        self.port = 0
        self.catalog = Catalog()
        self.store = Store(args.history, args.state_file)
        self.registry = Registry(self.store, self.catalog)
        self.stats = Stats()
        self.faults = Faults()
        self.snapshots = Snapshots()

    def version_info(self):
        return {"major": "1", "minor": "32", "gitVersion": "v1.32.0",
                "gitCommit": "kube-balancer-test",
                "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
                "goVersion": "go1.23.0", "compiler": "gc", "platform": "linux/amd64"}

    def wait_for_rv(self, wanted, timeout=3.0):
        """A list at a resourceVersion the server has not reached yet waits briefly, then fails
        like the real server's "Too large resource version"."""
        deadline = time.monotonic() + timeout
        with self.store.cond:
            while self.store.rv < wanted:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ApiError(504, "Too large resource version: %d, current: %d"
                                   % (wanted, self.store.rv), "Timeout",
                                   {"causes": [{"reason": "ResourceVersionTooLarge",
                                                "message": "Too large resource version"}],
                                    "retryAfterSeconds": 1})
                self.store.cond.wait(left)

    def bootstrap(self, crd_dir):
        ns_type = self.catalog.lookup_key(("", "namespaces"))
        for ns in _BUILTIN_NAMESPACES:
            if self.store.get(ns_type.key, "", ns) is None:
                self.registry.create(ns_type, "v1", "", {"metadata": {"name": ns}})
        if crd_dir:
            self.load_crds(crd_dir)

    def load_crds(self, crd_dir):
        """Creates (or updates) the CRDs in crd_dir: *.json always, *.yaml/*.yml when PyYAML is
        importable (without it, YAML files are skipped with a message)."""
        crd_type = self.catalog.lookup_key(CRD_KEY)
        for name in sorted(os.listdir(crd_dir)):
            path = os.path.join(crd_dir, name)
            docs = _read_documents(path)
            for doc in docs:
                if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                    continue
                existing = self.store.get(CRD_KEY, "", doc["metadata"]["name"])
                try:
                    if existing is None:
                        self.registry.create(crd_type, "v1", "", doc)
                    else:
                        doc["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
                        self.registry.update(crd_type, "v1", "", doc["metadata"]["name"], doc)
                except ApiError as e:
                    raise SystemExit("kube_apiserver: %s: %s" % (path, e.message))


def _read_documents(path):
    if path.endswith(".json"):
        with open(path) as f:
            doc = json.load(f)
        return doc.get("items", [doc]) if doc.get("kind") == "List" else [doc]
    if path.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            sys.stderr.write("kube_apiserver: skipping %s: PyYAML is not installed (use JSON or "
                             "kubectl apply)\n" % path)
            return []
        with open(path) as f:
            return [d for d in yaml.safe_load_all(f) if d]
    return []


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, socket.timeout)):
            return  # clients going away mid-request is normal for a watch server
        super().handle_error(request, client_address)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Test Kubernetes API server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", help="written with the port once the server is ready")
    parser.add_argument("--cert-dir", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--crds", help="directory of CRD files (JSON, or YAML with PyYAML) to load")
    parser.add_argument("--state-file", help="persist objects here; reload them on start")
    parser.add_argument("--history", type=int, default=1000,
                        help="watch events retained; older resourceVersions get 410 Expired")
    parser.add_argument("--bookmark-interval", type=float, default=1.0,
                        help="seconds between BOOKMARK events on watches that allow them")
    parser.add_argument("--max-watch-seconds", type=float, default=1800.0)
    parser.add_argument("--no-aggregated-discovery", action="store_true",
                        help="answer aggregated-discovery requests with the legacy documents")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.history < 1:
        parser.error("--history must be at least 1")

    app = App(args)
    app.bootstrap(args.crds)
    ca_crt, crt, key = ensure_certs(args.cert_dir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(crt, key)
    context.set_alpn_protocols(["http/1.1"])

    server = Server(("127.0.0.1", args.port), ApiHandler, bind_and_activate=True)
    server.socket = context.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    server.app = app
    app.port = server.server_address[1]
    write_kubeconfig(args.cert_dir, app.port, args.token, ca_crt)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % app.port)
        os.replace(tmp, args.port_file)
    sys.stderr.write("kube_apiserver: serving on https://127.0.0.1:%d (resourceVersion %d)\n"
                     % (app.port, app.store.current_rv()))

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever(poll_interval=0.2)
    server.server_close()


if __name__ == "__main__":
    main()
