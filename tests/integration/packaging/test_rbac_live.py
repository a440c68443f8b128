#!/usr/bin/env python3
"""Least privilege, observed: the real kube-balancer-controller runs against the test API server
(tests/apiserver) through a scenario that makes it do everything it does in a cluster (sync caches,
win the Lease, write Ingress and BalancerCluster statuses, record an Event, renew and release the
Lease), then every request the server counted must be granted by the chart's rules, and every rule
the chart grants must have been used. Also the premise of the chart's sidecar bootstrap: a replica
that does not lead, in an empty cluster, still writes the first table file.
  test_rbac_live.py --controller BIN"""
import argparse
import collections
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import packaging_support as ps  # noqa: E402

sys.path.insert(0, os.path.join(ps.REPO, "tests", "apiserver"))
from apiserver_fixture import ApiServer  # noqa: E402

CONTROLLER = None
NS = "default"
WAIT = 60.0  # seconds; generous, the machine is shared


def wait_for(what, predicate, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def objects():
    svc = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "web", "namespace": NS,
                        # An unknown key: the controller reports it with an Event.
                        "annotations": {"kubebalancer.io/lbmethod": "bybusyness", "kubebalancer.io/no-such-key": "1"}},
           "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
                    "selector": {"app": "web"}}}
    slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
              "metadata": {"name": "web-1", "namespace": NS, "labels": {"kubernetes.io/service-name": "web"}},
              "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
              "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True},
                             "targetRef": {"kind": "Pod", "namespace": NS, "name": "web-1"}}]}
    bc = {"apiVersion": "kubebalancer.io/v1alpha1", "kind": "BalancerCluster",
          "metadata": {"name": "web", "namespace": NS}, "spec": {"service": {"name": "web", "port": 80}}}
    ic = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "kube-balancer"},
          "spec": {"controller": "kubebalancer.io/ingress-controller"}}
    paths = [{"path": "/bc", "pathType": "Prefix",
              "backend": {"resource": {"apiGroup": "kubebalancer.io", "kind": "BalancerCluster", "name": "web"}}},
             {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]
    ing = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": NS},
           "spec": {"ingressClassName": "kube-balancer", "rules": [{"http": {"paths": paths}}]}}
    return [("/apis/networking.k8s.io/v1/ingressclasses", ic),
            (f"/api/v1/namespaces/{NS}/services", svc),
            (f"/apis/discovery.k8s.io/v1/namespaces/{NS}/endpointslices", slice_),
            (f"/apis/kubebalancer.io/v1alpha1/namespaces/{NS}/balancerclusters", bc),
            (f"/apis/networking.k8s.io/v1/namespaces/{NS}/ingresses", ing)]


class FakeProxyAdmin(http.server.BaseHTTPRequestHandler):
    """The proxy's admin API as the controller reads it: no live members, and one balancer-manager
    edit, which the controller writes back to the BalancerCluster (the `patch balancerclusters`
    grant)."""

    def do_GET(self):
        docs = {"/api/balancers": {"balancers": []},
                "/api/edits": {"edits": [{"balancer": NS + "/web", "member": "web-1", "loadfactor": 3}]}}
        path = self.path.partition("?")[0]  # the controller asks for ?name=<its balancers>
        body = json.dumps(docs.get(path, {})).encode()
        self.send_response(200 if path in docs else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def observed_permissions(stats, own):
    """{(group, resource, verb)} from the server's "VERB plural.group[/sub]" request counters, less
    the requests the test made itself (`own`, counted the same way)."""
    out = set()
    for key, count in stats["requests"].items():
        if count <= own.get(key, 0):
            continue
        verb, _, target = key.partition(" ")
        if not target or target.startswith("/") or verb == "unauthorized":
            continue  # discovery, /version, /openapi: non-resource URLs every identity may read
        resource, _, sub = target.partition("/")
        plural, _, group = resource.partition(".")
        out.add((group, plural + ("/" + sub if sub else ""), verb))
    return out


def granted(docs):
    out = set()
    for d in docs:
        if d["kind"] in ("ClusterRole", "Role"):
            for rule in d["rules"]:
                for g in rule["apiGroups"]:
                    for r in rule["resources"]:
                        for v in rule["verbs"]:
                            out.add((g, r, v))
    return out


@unittest.skipUnless(os.path.exists(os.path.join(ps.REPO, "crds", "balancercluster.yaml")), "no CRD yet")
class RbacLiveTest(unittest.TestCase):
    def test_every_request_is_granted_and_every_grant_used(self):
        if not CONTROLLER:
            self.skipTest("kube-balancer-controller not built in this tree")
        helm, _ = ps.kube_tools()
        with tempfile.TemporaryDirectory(prefix="kb-rbac-live-") as tmp:
            _, docs = ps.render(helm, tmp, namespace=NS)
            os.makedirs(os.path.join(tmp, "api"))
            with ApiServer(crds=os.path.join(ps.REPO, "crds"), workdir=os.path.join(tmp, "api")) as api:
                for path, obj in objects():
                    r = api.create(path, obj)
                    self.assertEqual(r.status, 201, f"{path}: {r.body!r}")
                api.reset_stats()
                admin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeProxyAdmin)
                threading.Thread(target=admin.serve_forever, daemon=True).start()
                log = open(os.path.join(tmp, "controller.log"), "w")
                proc = subprocess.Popen(
                    [CONTROLLER, f"--kubeconfig={api.kubeconfig}", f"--table-out={tmp}/table.yaml",
                     f"--proxy-admin=http://127.0.0.1:{admin.server_address[1]}",
                     "--ingress-class=kube-balancer", "--publish-address=127.0.0.2", "--leader-elect=true", f"--lease-namespace={NS}", "--lease-name=kb-kube-balancer",
                     "--identity=test-pod",
                     # as the chart's default (tls.enabled): Ingress spec.tls Secrets are watched
                     f"--tls-dir={tmp}/tls"], stdout=log, stderr=log, stdin=subprocess.DEVNULL)
                own = collections.Counter()

                def get(key, path):  # the test's own reads, to tell them from the controller's
                    own[key] += 1
                    return api.get(path).json

                try:
                    wait_for("the BalancerCluster's status", lambda: get(
                        "get balancerclusters.kubebalancer.io",
                        f"/apis/kubebalancer.io/v1alpha1/namespaces/{NS}/balancerclusters/web").get("status"))
                    wait_for("the Ingress's status", lambda: get(
                        "get ingresses.networking.k8s.io",
                        f"/apis/networking.k8s.io/v1/namespaces/{NS}/ingresses/web").get("status", {})
                        .get("loadBalancer", {}).get("ingress"))
                    wait_for("an Event", lambda: get("list events", f"/api/v1/namespaces/{NS}/events").get("items"))
                    wait_for("a Lease renewal", lambda: api.count(
                        "update leases.coordination.k8s.io") > 0, timeout=WAIT * 2)
                    wait_for("the balancer-manager edit written back", lambda: api.count(
                        "patch balancerclusters.kubebalancer.io") > 0)
                finally:
                    admin.shutdown()
                    admin.server_close()
                    ps.stop_process(proc, timeout=30)
                    log.close()
                observed = observed_permissions(api.stats(), own)
        have = granted(docs)
        self.assertEqual(sorted(observed - have), [], "requests the chart does not grant")
        self.assertEqual(sorted(have - observed), [], "grants the controller never used")

    def test_first_table_without_leadership_or_objects(self):
        # The chart's sidecar mode starts the proxy when the table file exists (startup probe
        # `test -f`): every replica must write it, leader or not, even for an empty cluster.
        if not CONTROLLER:
            self.skipTest("kube-balancer-controller not built in this tree")
        with tempfile.TemporaryDirectory(prefix="kb-first-table-") as tmp:
            os.makedirs(os.path.join(tmp, "api"))
            with ApiServer(crds=os.path.join(ps.REPO, "crds"), workdir=os.path.join(tmp, "api")) as api:
                now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
                lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                         "metadata": {"name": "kb-kube-balancer", "namespace": NS},
                         "spec": {"holderIdentity": "another-pod", "leaseDurationSeconds": 3600,
                                  "acquireTime": now, "renewTime": now}}
                r = api.create(f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases", lease)
                self.assertEqual(r.status, 201, r)
                table = os.path.join(tmp, "table.yaml")
                log = open(os.path.join(tmp, "controller.log"), "w")
                proc = subprocess.Popen(
                    [CONTROLLER, f"--kubeconfig={api.kubeconfig}", f"--table-out={table}", "--proxy-admin=",
                     "--leader-elect=true", f"--lease-namespace={NS}", "--lease-name=kb-kube-balancer",
                     "--identity=test-pod",
                     # as the chart's default (tls.enabled): Ingress spec.tls Secrets are watched
                     f"--tls-dir={tmp}/tls"], stdout=log, stderr=log, stdin=subprocess.DEVNULL)
                try:
                    wait_for("the first table file", lambda: os.path.exists(table))
                finally:
                    ps.stop_process(proc, timeout=30)
                    log.close()
                with open(table) as f:
                    self.assertTrue(f.read().strip(), "the table file is empty")
                holder = api.get(f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases/kb-kube-balancer").json
                self.assertEqual(holder["spec"]["holderIdentity"], "another-pod", "the test pod must not lead")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--controller")
    args, rest = parser.parse_known_args()
    CONTROLLER = args.controller
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
