"""Two replicas as the chart installs them, on loopback: the test API server, and twice a
kube-balancer-proxy with its own kube-balancer-controller (own table file, own --proxy-admin),
electing one leader through the Lease. Helpers to edit on one replica's balancer-manager and to
read members from each proxy."""
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controller_support as cs  # noqa: E402
from controller_support import kbtest  # noqa: E402

BALANCER = "default/web"
LEASE = "/apis/coordination.k8s.io/v1/namespaces/default/leases/kube-balancer-controller"
LOGS = ("controller-a.err", "controller-b.err", "proxy-a.err", "proxy-b.err", "apiserver-0.err")


class Replica:
    def __init__(self, name, proxy_port, admin_port, table):
        self.name = name
        self.identity = "kb-" + name
        self.proxy_port = proxy_port
        self.admin_port = admin_port
        self.table = table

    def member(self, member):
        for b in cs.admin_get(self.admin_port, "/api/balancers")["balancers"]:
            if b["name"] == BALANCER:
                for m in b["members"]:
                    if m["name"] == member:
                        return m
        return None

    def edits(self):
        return cs.admin_get(self.admin_port, "/api/edits")["edits"]

    def post_form(self, fields):
        """A balancer-manager edit, as the page's form sends it (with the balancer's nonce)."""
        nonce = cs.admin_get(self.admin_port, "/balancer-manager?json=1")["nonces"][BALANCER]
        body = urllib.parse.urlencode(dict(fields, b=BALANCER, nonce=nonce)).encode()
        with urllib.request.urlopen("http://127.0.0.1:%d/balancer-manager" % self.admin_port, data=body,
                                    timeout=30) as r:
            kbtest.check(r.status in (200, 303), "manager POST on %s: %d" % (self.name, r.status))
            return r.read().decode()


class Cluster:
    def __init__(self, procs, args, bc_spec=None, controller_args=(), services=()):
        self.procs = procs
        self.api_server = cs.ApiServer(procs, procs.path("apiserver"))
        self.api_server.start()
        api = self.api = self.api_server.client()
        # The real CRD (schema, printer columns: `kubectl get bc` shows HEALTHY), applied with kubectl.
        kubectl(self, "apply", "-f", os.path.join(cs.REPO, "crds", "balancercluster.yaml"))
        kubectl(self, "wait", "--for", "condition=established", "--timeout=30s",
                "crd/balancerclusters.kubebalancer.io")
        self.backend_procs = {}
        self.ports = {}
        for name in ("b1", "b2"):
            port_file = procs.path(name + ".port")
            proc, port = procs.start([args.backend, "--listen", "127.0.0.1:0", "--name", name, "--route", "r" + name,
                                      "--port-file", port_file], name, port_file)
            self.backend_procs[name], self.ports[name] = proc, port
        api.create("/apis/networking.k8s.io/v1/ingressclasses", cs.ingress_class())
        api.create("/api/v1/namespaces/default/services", cs.service("web"))
        for svc in services:
            api.create("/api/v1/namespaces/default/services", svc)
        for name in ("b1", "b2"):
            api.create(cs.SLICES, cs.endpoint_slice("web-" + name, "web", self.ports[name], "pod-" + name))
        api.create(cs.BCS, cs.balancer_cluster("web", "web", bc_spec))
        api.create("/apis/networking.k8s.io/v1/namespaces/default/ingresses", cs.ingress("web", "web"))
        self.replicas = []
        for name in ("a", "b"):
            table = procs.path("table-%s.yaml" % name)
            kbtest.write_atomic(table, "balancers: []\nroutes: []\n")
            _, proxy_port, admin_port = procs.start_proxy(args.proxy, table, name="proxy-" + name)
            procs.start([args.controller, "--kubeconfig", self.api_server.kubeconfig, "--table-out", table,
                         "--proxy-admin", "http://127.0.0.1:%d" % admin_port, "--lease-namespace", "default",
                         "--identity", "kb-" + name] + list(controller_args), "controller-" + name)
            self.replicas.append(Replica(name, proxy_port, admin_port, table))
        for r in self.replicas:
            cs.wait_routing(r.proxy_port, {"b1", "b2"}, timeout=30, what="initial routing on " + r.name)
        holder = kbtest.wait_for(lambda: (api.get(LEASE).get("spec") or {}).get("holderIdentity"), timeout=30,
                                 what="a leader")
        self.leader = next(r for r in self.replicas if r.identity == holder)
        self.follower = next(r for r in self.replicas if r.identity != holder)

    def overrides(self):
        return (self.api.get(cs.BCS + "/web").get("spec") or {}).get("memberOverrides") or []

    def override(self, member):
        return next((o for o in self.overrides() if o.get("selector") == {"podName": member}), None)


def wait_within(predicate, seconds, what, timeout=30.0):
    """Waits for predicate; fails unless it held within `seconds` (the promise), while still waiting up
    to `timeout` so that a slow run reports the time it took instead of a bare timeout."""
    start = time.monotonic()
    value = kbtest.wait_for(predicate, timeout=timeout, interval=0.05, what=what)
    took = time.monotonic() - start
    print("%s: %.2f s" % (what, took))
    kbtest.check(took <= seconds, "%s took %.2f s (promised within %.1f s)" % (what, took, seconds))
    return value


def find_kubectl():
    candidates = [os.environ.get("KUBECTL"), os.path.join(cs.REPO, ".tools", "bin", "kubectl"),
                  shutil.which("kubectl")]
    for path in candidates:
        if path and os.access(path, os.X_OK):
            return path
    return None


def kubectl(cluster, *argv):
    binary = find_kubectl()
    out = subprocess.run([binary, "--kubeconfig", cluster.api_server.kubeconfig] + list(argv),
                         capture_output=True, text=True, timeout=60)
    kbtest.check(out.returncode == 0, "kubectl %s: %s%s" % (" ".join(argv), out.stdout, out.stderr))
    return out.stdout
