"""Helpers for the controller's integration tests (python3 stdlib only): start the test API server,
talk to it over HTTPS with the kubeconfig's CA and token, and build the objects the tests create."""
import argparse
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "support"))
import kbtest  # noqa: E402

APISERVER = os.path.join(REPO, "tests", "apiserver", "kube_apiserver.py")
TOKEN = "kb-controller-test-token"


class ApiServer:
    """The test API server as a process: started on `port` (0 = any), state and certificates in
    `state_dir`, so a restart on the same port keeps both (clients keep their CA and resume)."""

    def __init__(self, procs, state_dir):
        self.procs = procs
        self.state_dir = state_dir
        self.proc = None
        self.port = 0
        self.restarts = 0

    def start(self, port=0):
        os.makedirs(self.state_dir, exist_ok=True)
        port_file = os.path.join(self.state_dir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        argv = [sys.executable, APISERVER, "--port", str(port), "--port-file", port_file,
                "--cert-dir", self.state_dir, "--token", TOKEN,
                "--state-file", os.path.join(self.state_dir, "state.json")]
        self.proc, self.port = self.procs.start(argv, "apiserver-%d" % self.restarts, port_file)
        self.restarts += 1
        return self.port

    def stop(self):
        self.procs.stop(self.proc)

    @property
    def kubeconfig(self):
        return os.path.join(self.state_dir, "kubeconfig")

    def client(self):
        return ApiClient("https://127.0.0.1:%d" % self.port, os.path.join(self.state_dir, "ca.crt"), TOKEN)


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__("HTTP %d: %s" % (status, body[:300]))
        self.status = status


class ApiClient:
    def __init__(self, server, ca_file, token):
        self.server = server
        self.token = token
        self.ctx = ssl.create_default_context(cafile=ca_file)

    def request(self, method, path, body=None, content_type="application/json"):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
                text = resp.read().decode()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            raise ApiError(e.code, e.read().decode(errors="replace")) from None

    def get(self, path):
        return self.request("GET", path)

    def create(self, path, obj):
        return self.request("POST", path, obj)

    def merge_patch(self, path, patch):
        return self.request("PATCH", path, patch, "application/merge-patch+json")

    def delete(self, path):
        return self.request("DELETE", path)

    def faults(self, spec):
        return self.request("POST", "/_test/faults", spec)

    def stats(self):
        return self.request("GET", "/_test/stats")


# ---- objects ---------------------------------------------------------------------------------

BC_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "balancerclusters.kubebalancer.io"},
    "spec": {
        "group": "kubebalancer.io", "scope": "Namespaced",
        "names": {"plural": "balancerclusters", "singular": "balancercluster", "kind": "BalancerCluster",
                  "listKind": "BalancerClusterList", "shortNames": ["bc"]},
        "versions": [{"name": "v1alpha1", "served": True, "storage": True,
                      "subresources": {"status": {}},
                      "schema": {"openAPIV3Schema": {"type": "object",
                                                     "x-kubernetes-preserve-unknown-fields": True}}}],
    },
}


def ingress_class():
    return {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": {"name": "kube-balancer"},
            "spec": {"controller": "kubebalancer.io/ingress-controller"}}


def service(name, port=80):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
            "spec": {"ports": [{"name": "http", "port": port, "targetPort": 8080, "protocol": "TCP"}],
                     "selector": {"app": name}}}


def endpoint_slice(name, service_name, backend_port, pod):
    """One slice per backend: they all listen on 127.0.0.1, each on its own port."""
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name, "namespace": "default",
                         "labels": {"kubernetes.io/service-name": service_name}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": backend_port, "protocol": "TCP"}],
            "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True},
                           "targetRef": {"kind": "Pod", "namespace": "default", "name": pod}}]}


def balancer_cluster(name, service_name, extra_spec=None):
    spec = {"service": {"name": service_name, "port": 80}}
    spec.update(extra_spec or {})
    return {"apiVersion": "kubebalancer.io/v1alpha1", "kind": "BalancerCluster",
            "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def ingress(name, cluster):
    backend = {"resource": {"apiGroup": "kubebalancer.io", "kind": "BalancerCluster", "name": cluster}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"ingressClassName": "kube-balancer",
                     "rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}]}}


SLICES = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
BCS = "/apis/kubebalancer.io/v1alpha1/namespaces/default/balancerclusters"


def backend_of(body):
    m = re.search(r"backend=(\S+)", body)
    return m.group(1) if m else None


def sample_backends(port, n=12, headers=()):
    """The backends that answered n requests through the proxy (None for errors)."""
    seen = []
    for _ in range(n):
        try:
            r = kbtest.http_get(port, "/", headers, timeout=10)
            seen.append(backend_of(r.text) if r.status == 200 else None)
        except OSError:
            seen.append(None)
    return seen


def wait_routing(port, expected, timeout=20.0, what="routing"):
    """Polls until n consecutive requests are all answered by backends in `expected` and every one
    of them answered; returns the seconds it took."""
    start = time.monotonic()

    def ok():
        seen = sample_backends(port)
        return all(b in expected for b in seen) and set(seen) == set(expected)

    kbtest.wait_for(ok, timeout=timeout, interval=0.05, what=what + " to reach " + ",".join(sorted(expected)))
    return time.monotonic() - start


def table_state(path):
    st = os.stat(path)
    with open(path, "rb") as f:
        return (st.st_ino, st.st_mtime_ns, f.read())


def admin_get(port, path):
    """A JSON document from the proxy's admin API."""
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=30) as resp:
        return json.loads(resp.read().decode())


def main(run, logs):
    """The command line of the controller tests (--controller, --proxy, --backend), then
    run_with_logs(run, args, logs)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--controller", required=True)
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--backend", required=True)
    run_with_logs(run, parser.parse_args(), logs)


def run_with_logs(run, args, logs):
    """Runs `run(procs, args)` with every process it starts killed afterwards. On failure, prints
    the last lines of the named logs; on success, removes the temp dir."""
    with kbtest.Procs() as procs:
        try:
            run(procs, args)
        except BaseException:
            for name in logs:
                text = procs.read(name)
                if text:
                    print("==== %s (last 60 lines)" % name)
                    print("\n".join(text.splitlines()[-60:]))
            raise
    shutil.rmtree(procs.dir, ignore_errors=True)  # kept on failure, for the logs
    print("PASS")
