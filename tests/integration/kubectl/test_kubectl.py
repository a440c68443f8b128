#!/usr/bin/env python3
"""Real kubectl (v1.32, fetched by scripts/get-kube-tools.sh into .tools/bin) against the test API
server: the BalancerCluster CRD from crds/, client-side apply (create, configure, unchanged,
validation errors), printer columns in `get` and `get -o wide`, -o yaml/json, label selectors,
`get -w`, status patches, `wait --for condition=established`, built-in kinds and delete.

Exit code 77 (ctest SKIP) only when no kubectl binary can be found at all."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get("KB_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "apiserver"))
from apiserver_fixture import ApiServer  # noqa: E402

CRD_FILE = os.path.join(REPO, "crds", "balancercluster.yaml")
FIXTURE_CRD = os.path.join(REPO, "tests", "apiserver", "fixtures", "balancercluster-crd.yaml")


def find_kubectl():
    candidates = [os.environ.get("KUBECTL"), os.path.join(REPO, ".tools", "bin", "kubectl"),
                  shutil.which("kubectl")]
    for path in candidates:
        if path and os.access(path, os.X_OK):
            try:
                out = subprocess.run([path, "version", "--client", "-o", "json"],
                                     capture_output=True, timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if out.returncode == 0:
                minor = json.loads(out.stdout)["clientVersion"]["minor"]
                if int(re.sub(r"\D.*", "", minor) or 0) >= 28:
                    return path
    return None


KUBECTL = find_kubectl()

BC_MANIFEST = """\
apiVersion: kubebalancer.io/v1alpha1
kind: BalancerCluster
metadata:
  name: web
  labels:
    team: shop
spec:
  service:
    name: web
    port: http
  lbMethod: %(method)s
  stickySession: JSESSIONID
"""

BUILTINS_MANIFEST = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: kube-balancer
spec:
  controller: kubebalancer.io/ingress-controller
---
apiVersion: v1
kind: Service
metadata:
  name: shop
  namespace: shop
spec:
  selector:
    app: shop
  ports:
  - name: http
    port: 80
    targetPort: 8080
  - name: admin
    port: 9000
    targetPort: %(admin_port)d
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: shop
spec:
  ingressClassName: kube-balancer
  rules:
  - host: shop.example
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: shop
            port:
              name: http
"""


@unittest.skipIf(KUBECTL is None, "no kubectl")
class KubectlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.api = ApiServer().start()
        cls.home = tempfile.mkdtemp(prefix="kb-kubectl-")

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()
        shutil.rmtree(cls.home, ignore_errors=True)

    def kubectl(self, *args, check=True, stdin=None, timeout=60):
        argv = [KUBECTL, "--kubeconfig", self.api.kubeconfig,
                "--cache-dir", os.path.join(self.home, "cache")] + list(args)
        env = dict(os.environ, HOME=self.home)
        env.pop("KUBECONFIG", None)
        out = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout,
                             env=env)
        if check and out.returncode != 0:
            self.fail("kubectl %s failed (%d):\n%s%s" % (" ".join(args), out.returncode,
                                                         out.stdout, out.stderr))
        return out

    def write(self, name, text):
        path = os.path.join(self.home, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    @staticmethod
    def table(text):
        """`kubectl get` output as a list of {COLUMN: value}, cut at the header's column starts
        (empty cells, such as a printer column whose JSONPath finds nothing, stay "")."""
        lines = [l for l in text.splitlines() if l.strip()]
        starts = [m.start() for m in re.finditer(r"\S+", lines[0])]
        names = lines[0].split()
        rows = []
        for line in lines[1:]:
            bounds = starts[1:] + [None]
            rows.append({n: line[a:b].strip() for n, a, b in zip(names, starts, bounds)})
        return rows

    def crd_path(self):
        return CRD_FILE if os.path.exists(CRD_FILE) else FIXTURE_CRD

    def test_1_version_and_discovery(self):
        v = json.loads(self.kubectl("version", "-o", "json").stdout)
        self.assertEqual(v["serverVersion"]["minor"], "32")
        resources = self.kubectl("api-resources").stdout
        for line in ("services", "ingresses", "endpointslices", "leases", "customresourcedefinitions"):
            self.assertIn(line, resources)

    def test_2_balancercluster_lifecycle(self):
        out = self.kubectl("apply", "-f", self.crd_path())
        self.assertIn("customresourcedefinition.apiextensions.k8s.io/balancerclusters.kubebalancer.io "
                      "created", out.stdout)
        # kubectl wait watches the CRD with a field selector until the condition holds.
        self.kubectl("wait", "--for", "condition=established", "--timeout=60s",
                     "crd/balancerclusters.kubebalancer.io")
        self.assertRegex(self.kubectl("api-resources", "--api-group=kubebalancer.io").stdout,
                         r"balancerclusters\s+bc\s+kubebalancer.io/v1alpha1\s+true\s+BalancerCluster")

        manifest = self.write("bc.yaml", BC_MANIFEST % {"method": "bytraffic"})
        self.assertIn("balancercluster.kubebalancer.io/web created",
                      self.kubectl("apply", "-f", manifest).stdout)
        self.assertIn("balancercluster.kubebalancer.io/web unchanged",
                      self.kubectl("apply", "-f", manifest).stdout)

        rows = self.table(self.kubectl("get", "bc").stdout)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["NAME"], "web")
        if self.crd_path() == CRD_FILE:
            self.assertEqual((rows[0]["LBMETHOD"], rows[0]["STICKY"], rows[0]["READY"]),
                             ("bytraffic", "JSESSIONID", ""))
            self.assertRegex(rows[0]["AGE"], r"^\d+s$")
            wide = self.table(self.kubectl("get", "balancerclusters", "-o", "wide").stdout)[0]
            self.assertEqual((wide["SERVICE"], wide["ROUTEFROM"]), ("web", "podName"))
            self.assertIn("INVALID", wide)
            self.assertNotIn("SERVICE", rows[0])  # priority-1 columns only in -o wide

        text = self.kubectl("get", "bc", "web", "-o", "yaml").stdout
        self.assertIn("apiVersion: kubebalancer.io/v1alpha1", text)
        self.assertIn("kind: BalancerCluster", text)
        self.assertRegex(text, r"\n  generation: 1\n")
        obj = json.loads(self.kubectl("get", "bc", "web", "-o", "json").stdout)
        self.assertIn("kubectl.kubernetes.io/last-applied-configuration",
                      obj["metadata"]["annotations"])

        # Status through the subresource; printer columns follow.
        status = {"status": {"healthSummary": "2/2", "conditions": [
            {"type": "Ready", "status": "True", "reason": "MembersHealthy", "message": "2 of 2",
             "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}
        self.kubectl("patch", "bc", "web", "--subresource=status", "--type=merge",
                     "-p", json.dumps(status))
        row = self.table(self.kubectl("get", "bc").stdout)[0]
        if self.crd_path() == CRD_FILE:
            self.assertEqual((row["READY"], row["HEALTHY"]), ("True", "2/2"))

        # Re-apply with a change: configured, generation 2, status kept.
        self.write("bc.yaml", BC_MANIFEST % {"method": "bybusyness"})
        self.assertIn("balancercluster.kubebalancer.io/web configured",
                      self.kubectl("apply", "-f", manifest).stdout)
        obj = json.loads(self.kubectl("get", "bc", "web", "-o", "json").stdout)
        self.assertEqual(obj["spec"]["lbMethod"], "bybusyness")
        self.assertEqual(obj["metadata"]["generation"], 2)
        self.assertEqual(obj["status"]["conditions"][0]["type"], "Ready")

        # The server validates: an enum violation and an unknown field (strict validation).
        bad = self.write("bad.yaml", BC_MANIFEST % {"method": "random"})
        out = self.kubectl("apply", "-f", bad, check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("Unsupported value", out.stderr)
        unknown = self.write("unknown.yaml", BC_MANIFEST % {"method": "bytraffic"} + "  bogus: 1\n")
        out = self.kubectl("apply", "-f", unknown, check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn('unknown field "spec.bogus"', out.stderr)

        # Selectors, all namespaces, short name and category.
        self.assertEqual(len(self.table(self.kubectl("get", "bc", "-l", "team=shop").stdout)), 1)
        none = self.kubectl("get", "bc", "-l", "team=other")
        self.assertIn("No resources found in default namespace.", none.stderr)
        rows = self.table(self.kubectl("get", "bc", "-A").stdout)
        self.assertEqual((rows[0]["NAMESPACE"], rows[0]["NAME"]), ("default", "web"))

        self.assertIn('balancercluster.kubebalancer.io "web" deleted',
                      self.kubectl("delete", "bc", "web").stdout)
        self.assertIn("No resources found", self.kubectl("get", "bc").stderr)

    def test_3_get_watch(self):
        """kubectl get -w: a Table watch that prints a row per change."""
        if not os.path.exists(os.path.join(self.home, "bc.yaml")):
            self.kubectl("apply", "-f", self.crd_path())
        self.kubectl("apply", "-f", self.write("w.yaml", BC_MANIFEST.replace("name: web\n  labels",
                                                                            "name: watched\n  labels", 1)
                                               % {"method": "bytraffic"}))
        argv = [KUBECTL, "--kubeconfig", self.api.kubeconfig, "--cache-dir",
                os.path.join(self.home, "cache"), "get", "bc", "-w", "--output-watch-events"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, HOME=self.home))
        try:
            lines = []
            deadline = time.monotonic() + 60
            self._read_until(proc, lines, "ADDED", deadline)
            self.kubectl("label", "bc", "watched", "changed=yes")
            self._read_until(proc, lines, "MODIFIED", deadline)
            self.kubectl("delete", "bc", "watched")
            self._read_until(proc, lines, "DELETED", deadline)
        finally:
            proc.kill()
            proc.wait(timeout=30)
            proc.stdout.close()
            proc.stderr.close()
        self.assertTrue(lines[0].split()[:2] == ["EVENT", "NAME"], lines)
        self.assertTrue(any(l.split()[:2] == ["DELETED", "watched"] for l in lines), lines)

    def _read_until(self, proc, lines, event, deadline):
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                self.fail("kubectl get -w ended: %s %s" % (lines, proc.stderr.read()))
            lines.append(line)
            if line.split()[:1] == [event]:
                return
        self.fail("no %s line from kubectl get -w: %s" % (event, lines))

    def test_4_builtin_kinds(self):
        # `kubectl create <kind>` posts protobuf bodies; the server decodes these kinds.
        self.assertIn("namespace/shop created", self.kubectl("create", "namespace", "shop").stdout)
        self.kubectl("create", "configmap", "cfg", "-n", "shop", "--from-literal=a=1",
                     "--from-literal=empty=")
        self.kubectl("create", "secret", "generic", "sec", "-n", "shop", "--from-literal=p=x")
        self.kubectl("create", "service", "clusterip", "tmp", "-n", "shop", "--tcp=80:http")
        cfg = json.loads(self.kubectl("get", "cm", "cfg", "-n", "shop", "-o", "json").stdout)
        self.assertEqual(cfg["data"], {"a": "1", "empty": ""})
        sec = json.loads(self.kubectl("get", "secret", "sec", "-n", "shop", "-o", "json").stdout)
        self.assertEqual(sec["data"], {"p": "eA=="})
        tmp = json.loads(self.kubectl("get", "svc", "tmp", "-n", "shop", "-o", "json").stdout)
        self.assertEqual([(p["port"], p["targetPort"], p["protocol"]) for p in tmp["spec"]["ports"]],
                         [(80, "http", "TCP")])
        self.assertEqual(tmp["spec"]["sessionAffinity"], "None")
        self.kubectl("delete", "svc", "tmp", "-n", "shop")
        manifest = self.write("builtins.yaml", BUILTINS_MANIFEST % {"admin_port": 9000})
        out = self.kubectl("apply", "-f", manifest).stdout
        for line in ("ingressclass.networking.k8s.io/kube-balancer created",
                     "service/shop created", "ingress.networking.k8s.io/shop created"):
            self.assertIn(line, out)
        self.assertEqual(self.kubectl("get", "svc,ing", "-n", "shop", "-o", "name").stdout.split(),
                         ["service/shop", "ingress.networking.k8s.io/shop"])
        rows = self.table(self.kubectl("get", "ing", "-n", "shop").stdout)
        self.assertEqual(rows[0]["NAME"], "shop")
        # A strategic merge patch (what apply sends for built-ins) keeps the other port.
        self.write("builtins.yaml", BUILTINS_MANIFEST % {"admin_port": 9100})
        self.assertIn("service/shop configured", self.kubectl("apply", "-f", manifest).stdout)
        svc = json.loads(self.kubectl("get", "svc", "shop", "-n", "shop", "-o", "json").stdout)
        self.assertEqual([(p["name"], p["targetPort"]) for p in svc["spec"]["ports"]],
                         [("http", 8080), ("admin", 9100)])
        self.assertRegex(svc["spec"]["clusterIP"], r"^10\.96\.")
        # Status of an Ingress, as the controller writes it.
        self.kubectl("patch", "ingress", "shop", "-n", "shop", "--subresource=status", "--type=merge",
                     "-p", '{"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.1"}]}}}')
        ing = json.loads(self.kubectl("get", "ing", "shop", "-n", "shop", "-o", "json").stdout)
        self.assertEqual(ing["status"]["loadBalancer"]["ingress"], [{"ip": "127.0.0.1"}])
        row = self.table(self.kubectl("get", "ing", "-n", "shop").stdout)[0]
        self.assertEqual((row["CLASS"], row["HOSTS"], row["ADDRESS"], row["PORTS"]),
                         ("kube-balancer", "shop.example", "127.0.0.1", "80"))
        row = self.table(self.kubectl("get", "svc", "-n", "shop", "-o", "wide").stdout)[0]
        self.assertEqual((row["TYPE"], row["PORT(S)"], row["SELECTOR"]),
                         ("ClusterIP", "80/TCP,9000/TCP", "app=shop"))
        # A core/v1 Event (what the controller writes) shows in both event views.
        r = self.api.create("/api/v1/namespaces/shop/events", {
            "apiVersion": "v1", "kind": "Event", "metadata": {"name": "shop.1"},
            "involvedObject": {"kind": "Ingress", "name": "shop", "namespace": "shop",
                               "uid": ing["metadata"]["uid"], "apiVersion": "networking.k8s.io/v1"},
            "reason": "Rendered", "message": "1 route", "type": "Normal",
            "lastTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "source": {"component": "kube-balancer"}})
        self.assertEqual(r.status, 201, r)
        row = self.table(self.kubectl("events", "-n", "shop").stdout)[0]
        self.assertEqual((row["TYPE"], row["REASON"], row["OBJECT"], row["MESSAGE"]),
                         ("Normal", "Rendered", "Ingress/shop", "1 route"))
        row = self.table(self.kubectl("get", "events", "-n", "shop").stdout)[0]
        self.assertEqual((row["REASON"], row["OBJECT"]), ("Rendered", "ingress/shop"))
        described = self.kubectl("describe", "ingress", "shop", "-n", "shop").stdout
        self.assertRegex(described, r"Normal\s+Rendered\s+\S+\s+kube-balancer\s+1 route")
        out = self.kubectl("delete", "-f", manifest).stdout
        self.assertIn('service "shop" deleted', out)
        self.assertIn("No resources found", self.kubectl("get", "svc,ing", "-n", "shop").stderr)
        self.kubectl("delete", "namespace", "shop")
        self.assertIn("NotFound", self.kubectl("get", "cm", "cfg", "-n", "shop", check=False).stderr)
        out = self.kubectl("delete", "namespace", "default", check=False)
        self.assertIn('namespaces "default" is forbidden', out.stderr)


@unittest.skipIf(KUBECTL is None, "no kubectl")
class LegacyDiscoveryTest(unittest.TestCase):
    """A server without aggregated discovery: kubectl falls back to /api/v1 and /apis/<g>/<v>."""

    def test_fallback(self):
        home = tempfile.mkdtemp(prefix="kb-kubectl-")
        with ApiServer(extra_args=["--no-aggregated-discovery"]) as api:
            argv = [KUBECTL, "--kubeconfig", api.kubeconfig, "--cache-dir",
                    os.path.join(home, "cache")]
            env = dict(os.environ, HOME=home)
            out = subprocess.run(argv + ["apply", "-f", FIXTURE_CRD], capture_output=True,
                                 text=True, timeout=60, env=env)
            self.assertEqual(out.returncode, 0, out.stderr)
            out = subprocess.run(argv + ["api-resources"], capture_output=True, text=True,
                                 timeout=60, env=env)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertRegex(out.stdout, r"balancerclusters\s+bc\s+kubebalancer.io/v1alpha1")
            self.assertGreater(api.count("get /apis/kubebalancer.io/v1alpha1"), 0)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    if KUBECTL is None:
        print("SKIP: no kubectl found (run scripts/get-kube-tools.sh to fetch .tools/bin/kubectl)")
        sys.exit(77)
    unittest.main(verbosity=2)
