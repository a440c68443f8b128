#!/usr/bin/env python3
"""The Helm chart, with the real Helm v3: `helm lint --strict`, `helm template` for the default values
and for values-full.yaml (every optional part on), every rendered object validated strictly against
the Kubernetes API schemas (validator/kbvalidate.mjs), and the wiring checked object by object: the
pod's two containers and their flags, the shared table volume, probes, security contexts, Services,
IngressClass, RBAC scoping, ServiceMonitor, PDB, the CRD copy and the documentation of values."""
import filecmp
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import packaging_support as ps  # noqa: E402

FULL_VALUES = os.path.join(ps.HERE, "values-full.yaml")
TABLE_DIR = "/var/run/kube-balancer"
TABLE = TABLE_DIR + "/table.yaml"
STD_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
              "app.kubernetes.io/managed-by", "helm.sh/chart")


def one(docs, kind, name=None):
    found = [d for d in ps.by_kind(docs, kind) if name is None or d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def container(deploy, name):
    """A container or init container (the controller is a native sidecar by default)."""
    pod = deploy["spec"]["template"]["spec"]
    found = [c for c in pod.get("initContainers", []) + pod["containers"] if c["name"] == name]
    assert len(found) == 1, f"no container {name}"
    return found[0]


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


class ChartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.helm, _ = ps.kube_tools()
        cls.tmp = tempfile.TemporaryDirectory(prefix="kb-chart-")
        cls.default_file, cls.default = ps.render(cls.helm, cls.tmp.name)
        cls.full_file, cls.full = ps.render(cls.helm, cls.tmp.name, values=[FULL_VALUES], release="edge",
                                            namespace="ingress")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_lint_strict(self):
        for values in ([], [FULL_VALUES]):
            cmd = [self.helm, "lint", "--strict", ps.CHART]
            for v in values:
                cmd += ["-f", v]
            r = ps.run(cmd, check=False)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("0 chart(s) failed", r.stdout)

    def test_rendered_objects_validate_against_kubernetes_schemas(self):
        crds = [os.path.join(ps.CHART, "crds", f) for f in sorted(os.listdir(os.path.join(ps.CHART, "crds")))
                if f.endswith(".yaml")] if os.path.isdir(os.path.join(ps.CHART, "crds")) else []
        for path in (self.default_file, self.full_file):
            ok, report = ps.validate([path], crds)
            self.assertTrue(ok, "\n".join(ps.errors_of(report)))
            self.assertGreaterEqual(len(report), 9)

    def test_validator_rejects_a_broken_manifest(self):
        # The strictness the other tests rely on: an unknown field and a wrong type are errors.
        with open(self.default_file) as f:
            text = f.read()
        bad = text.replace("readOnlyRootFilesystem", "readOnlyRootFilesytem", 1).replace(
            "minAvailable: 1", 'minAvailable: 1\n  maxUnavailble: 1', 1).replace(
            "containerPort: 8080", 'containerPort: "8080"', 1)
        path = os.path.join(self.tmp.name, "bad.yaml")
        with open(path, "w") as f:
            f.write(bad)
        ok, report = ps.validate([path])
        self.assertFalse(ok)
        errors = "\n".join(ps.errors_of(report))
        self.assertIn('unknown field "readOnlyRootFilesytem"', errors)
        self.assertIn('unknown field "maxUnavailble"', errors)
        self.assertRegex(errors, r"containerPort: type")

    def test_default_objects(self):
        kinds = sorted(d["kind"] for d in self.default if d["kind"] != "CustomResourceDefinition")
        self.assertEqual(kinds, sorted(["ClusterRole", "ClusterRoleBinding", "Deployment", "IngressClass",
                                        "PodDisruptionBudget", "Role", "RoleBinding", "Service", "Service",
                                        "ServiceAccount"]))
        for d in self.default:
            if d["kind"] == "CustomResourceDefinition":
                continue
            labels = d["metadata"].get("labels", {})
            for key in STD_LABELS:
                self.assertIn(key, labels, f"{d['kind']}/{d['metadata']['name']} lacks label {key}")
            if d["kind"] not in ("ClusterRole", "ClusterRoleBinding", "IngressClass"):
                self.assertEqual(d["metadata"]["namespace"], "kb-system", d["kind"])

    def test_pod_wiring(self):
        deploy = one(self.default, "Deployment")
        spec = deploy["spec"]
        pod = spec["template"]["spec"]
        self.assertEqual(spec["replicas"], 2)
        self.assertTrue(matches(spec["selector"]["matchLabels"], spec["template"]["metadata"]["labels"]))
        # The controller is a native sidecar: the proxy starts once the first table exists.
        self.assertEqual([c["name"] for c in pod["initContainers"]], ["controller"])
        self.assertEqual([c["name"] for c in pod["containers"]], ["proxy"])
        self.assertEqual(pod["serviceAccountName"], one(self.default, "ServiceAccount")["metadata"]["name"])
        self.assertEqual(pod["volumes"][0], {"name": "table", "emptyDir": {"sizeLimit": "64Mi"}})

        controller = container(deploy, "controller")
        proxy = container(deploy, "proxy")
        self.assertEqual(controller["restartPolicy"], "Always")
        self.assertEqual(controller["startupProbe"]["exec"]["command"], ["test", "-f", TABLE])
        for c in (controller, proxy):
            self.assertIn({"name": "table", "mountPath": TABLE_DIR, **({"readOnly": True} if c is proxy else {})},
                          c["volumeMounts"], c["name"])
            self.assertEqual(c["image"], "kube-balancer:0.1.0")

        self.assertEqual(controller["command"], ["kube-balancer-controller"])
        for arg in (f"--table-out={TABLE}", "--proxy-admin=http://127.0.0.1:9901", "--ingress-class=kube-balancer",
                    "--leader-elect=true", "--lease-name=kb-kube-balancer", "--lease-namespace=$(POD_NAMESPACE)",
                    "--identity=$(POD_NAME)"):
            self.assertIn(arg, controller["args"])
        self.assertFalse([a for a in controller["args"] if a.startswith(("--namespaces", "--publish-address"))])
        # The controller's own metrics listener, reachable through the metrics Service.
        self.assertIn("--metrics-listen=0.0.0.0:9902", controller["args"])
        self.assertEqual(controller["ports"], [{"name": "ctl-metrics", "containerPort": 9902, "protocol": "TCP"}])

        self.assertEqual(proxy["command"], ["kube-balancer-proxy"])
        for arg in (f"--table={TABLE}", "--listen=0.0.0.0:8080", "--admin=0.0.0.0:9901",
                    "--workers=2"):
            self.assertIn(arg, proxy["args"])
        self.assertFalse([a for a in proxy["args"] if a.startswith("--manager-")], "defaults: the proxy's own")
        ports = {p["name"]: p["containerPort"] for p in proxy["ports"]}
        self.assertEqual(ports, {"http": 8080, "https": 8443, "admin": 9901})
        # HTTPS from spec.tls Secrets: the proxy listens, the controller writes the key files into
        # an in-memory volume both mount (the proxy read-only).
        self.assertIn("--https-listen=0.0.0.0:8443", proxy["args"])
        self.assertIn("--tls-dir=/var/run/kube-balancer-tls", controller["args"])
        self.assertIn({"name": "tls", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}}, pod["volumes"])
        self.assertIn({"name": "tls", "mountPath": "/var/run/kube-balancer-tls", "readOnly": True}, proxy["volumeMounts"])
        self.assertIn({"name": "tls", "mountPath": "/var/run/kube-balancer-tls"}, controller["volumeMounts"])
        self.assertNotIn("--gateway-api=true", controller["args"])
        self.assertEqual(proxy["readinessProbe"]["httpGet"], {"path": "/readyz", "port": "admin"})
        self.assertEqual(proxy["livenessProbe"]["httpGet"], {"path": "/healthz", "port": "admin"})

    def test_seed_bootstrap(self):
        # Older clusters: an init container seeds the image's empty table; the controller is a
        # regular container next to the proxy.
        path, docs = ps.render(self.helm, self.tmp.name, extra=["--set", "tableBootstrap=seed"])
        ok, report = ps.validate([path])
        self.assertTrue(ok, "\n".join(ps.errors_of(report)))
        deploy = one(docs, "Deployment")
        pod = deploy["spec"]["template"]["spec"]
        self.assertEqual([c["name"] for c in pod["initContainers"]], ["table-init"])
        self.assertEqual([c["name"] for c in pod["containers"]], ["controller", "proxy"])
        init = container(deploy, "table-init")
        self.assertEqual(init["command"], ["cp", "/etc/kube-balancer/empty-table.yaml", TABLE])
        self.assertIn({"name": "table", "mountPath": TABLE_DIR}, init["volumeMounts"])
        controller = container(deploy, "controller")
        self.assertNotIn("restartPolicy", controller)
        self.assertEqual(controller["args"], container(one(self.default, "Deployment"), "controller")["args"])
        r = ps.run([self.helm, "template", "kb", ps.CHART, "--set", "tableBootstrap=later"], check=False)
        self.assertIn("tableBootstrap must be sidecar or seed", r.stderr)
        # Before 1.29 there are no native sidecars: the default refuses, seed works.
        r = ps.run([self.helm, "template", "kb", ps.CHART, "--kube-version", "1.28.5"], check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("tableBootstrap=sidecar needs native sidecars (Kubernetes >= 1.29)", r.stderr)
        ps.run([self.helm, "template", "kb", ps.CHART, "--kube-version", "1.28.5", "--set", "tableBootstrap=seed"])
        ps.run([self.helm, "template", "kb", ps.CHART, "--kube-version", "1.29.0"])

    def test_security_contexts(self):
        deploy = one(self.default, "Deployment")
        pod = deploy["spec"]["template"]["spec"]
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertEqual(pod["securityContext"]["runAsUser"], 65532)
        for c in pod["containers"] + pod["initContainers"]:
            sc = c["securityContext"]
            self.assertIs(sc["runAsNonRoot"], True, c["name"])
            self.assertEqual(sc["runAsUser"], 65532, c["name"])
            self.assertIs(sc["allowPrivilegeEscalation"], False, c["name"])
            self.assertIs(sc["readOnlyRootFilesystem"], True, c["name"])
            self.assertEqual(sc["capabilities"], {"drop": ["ALL"]}, c["name"])
            self.assertEqual(sc["seccompProfile"], {"type": "RuntimeDefault"}, c["name"])
            self.assertIn("requests", c["resources"], c["name"])

    def test_services_select_the_pods(self):
        for docs in (self.default, self.full):
            deploy = one(docs, "Deployment")
            pod_labels = deploy["spec"]["template"]["metadata"]["labels"]
            pod = deploy["spec"]["template"]["spec"]
            # The proxy's ports and the controller's (a native sidecar in initContainers, or not).
            port_names = {p["name"] for c in pod["containers"] + pod.get("initContainers", [])
                          for p in c.get("ports", [])}
            self.assertLessEqual({"http", "admin", "ctl-metrics"}, port_names)
            for svc in ps.by_kind(docs, "Service"):
                self.assertTrue(matches(svc["spec"]["selector"], pod_labels), svc["metadata"]["name"])
                for port in svc["spec"]["ports"]:
                    self.assertIn(port["targetPort"], port_names)
        svc = one(self.default, "Service", "kb-kube-balancer")
        self.assertEqual(svc["spec"]["type"], "LoadBalancer")
        self.assertEqual(svc["spec"]["ports"], [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"},
                                                {"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}])
        metrics = one(self.default, "Service", "kb-kube-balancer-metrics")
        self.assertEqual(metrics["spec"]["type"], "ClusterIP")
        self.assertEqual(metrics["spec"]["ports"][0]["targetPort"], "admin")

    def test_ingress_class(self):
        ic = one(self.default, "IngressClass")
        self.assertEqual(ic["metadata"]["name"], "kube-balancer")
        self.assertEqual(ic["spec"], {"controller": "kubebalancer.io/ingress-controller"})
        self.assertNotIn("annotations", ic["metadata"])
        ic = one(self.full, "IngressClass")
        self.assertEqual(ic["metadata"]["name"], "edge")
        self.assertEqual(ic["metadata"]["annotations"], {"ingressclass.kubernetes.io/is-default-class": "true"})

    def test_gateway_api(self):
        self.assertFalse(ps.by_kind(self.default, "GatewayClass"), "off by default")
        _, docs = ps.render(self.helm, self.tmp.name, extra=["--set", "gatewayAPI.enabled=true"])
        gc = one(docs, "GatewayClass")
        self.assertEqual(gc["metadata"]["name"], "kube-balancer")
        self.assertEqual(gc["spec"], {"controllerName": "kubebalancer.io/gateway-controller"})
        self.assertIn("--gateway-api=true", container(one(docs, "Deployment"), "controller")["args"])

    def test_tls_off(self):
        _, docs = ps.render(self.helm, self.tmp.name, extra=["--set", "tls.enabled=false"])
        deploy = one(docs, "Deployment")
        self.assertFalse([a for a in container(deploy, "proxy")["args"] if a.startswith("--https-listen")])
        self.assertFalse([a for a in container(deploy, "controller")["args"] if a.startswith("--tls-dir")])
        self.assertFalse([v for v in deploy["spec"]["template"]["spec"]["volumes"] if v["name"] == "tls"])

    def test_full_values(self):
        deploy = one(self.full, "Deployment")
        pod = deploy["spec"]["template"]["spec"]
        controller = container(deploy, "controller")
        proxy = container(deploy, "proxy")
        self.assertEqual(deploy["spec"]["replicas"], 3)
        self.assertEqual(controller["image"], "registry.example.com/kube-balancer:9.9.9")
        self.assertEqual(pod["imagePullSecrets"], [{"name": "regcred"}])
        self.assertEqual(pod["serviceAccountName"], "kb-sa")
        self.assertEqual(pod["priorityClassName"], "system-cluster-critical")
        for arg in ("--ingress-class=edge", "--publish-address=203.0.113.10", "--namespaces=team-a,team-b", "--proxy-admin=http://127.0.0.1:9902", "--debounce=250ms"):
            self.assertIn(arg, controller["args"])
        for arg in ("--listen=0.0.0.0:8081", "--admin=0.0.0.0:9902", "--manager-allow=127.0.0.1/32,10.0.0.0/8",
                    "--manager-token-file=/etc/kube-balancer/manager/bearer", "--max-body-bytes=1048576"):
            self.assertIn(arg, proxy["args"])
        # The token file is the Secret's key, mounted read-only.
        volume = [v for v in pod["volumes"] if v["name"] == "manager-token"][0]
        self.assertEqual(volume["secret"]["secretName"], "kb-manager-token")
        self.assertIn({"name": "manager-token", "mountPath": "/etc/kube-balancer/manager", "readOnly": True},
                      proxy["volumeMounts"])

        svc = one(self.full, "Service", "edge-kube-balancer")
        self.assertEqual(svc["spec"]["type"], "NodePort")
        self.assertEqual(svc["spec"]["externalTrafficPolicy"], "Local")
        self.assertEqual(svc["spec"]["ports"][0]["nodePort"], 30080)
        self.assertEqual(svc["spec"]["ports"][0]["port"], 8000)
        self.assertEqual(one(self.full, "PodDisruptionBudget")["spec"]["minAvailable"], 2)

    def test_service_monitor(self):
        self.assertEqual(ps.by_kind(self.default, "ServiceMonitor"), [])
        sm = one(self.full, "ServiceMonitor")
        self.assertEqual(sm["apiVersion"], "monitoring.coreos.com/v1")
        self.assertEqual(sm["metadata"]["labels"]["release"], "prometheus")
        endpoint = sm["spec"]["endpoints"][0]
        self.assertEqual((endpoint["port"], endpoint["path"], endpoint["interval"]), ("metrics", "/metrics", "15s"))
        selected = [s for s in ps.by_kind(self.full, "Service")
                    if matches(sm["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])]
        self.assertEqual([s["metadata"]["name"] for s in selected], ["edge-kube-balancer-metrics"])
        self.assertEqual(selected[0]["spec"]["ports"][0]["name"], "metrics")
        self.assertEqual(selected[0]["spec"]["ports"][0]["port"], 9100)
        # The controllers' /metrics: a second port and a second endpoint.
        self.assertEqual([(e["port"], e["path"]) for e in sm["spec"]["endpoints"]],
                         [("metrics", "/metrics"), ("controller-metrics", "/metrics")])
        self.assertEqual({p["name"]: p["targetPort"] for p in selected[0]["spec"]["ports"]},
                         {"metrics": "admin", "controller-metrics": "ctl-metrics"})

    def test_rbac_scoping(self):
        # All namespaces: one ClusterRole holds everything; the Lease Role is in the release namespace.
        cr = one(self.default, "ClusterRole")
        self.assertIn("ingresses", {r for rule in cr["rules"] for r in rule["resources"]})
        lease = one(self.default, "Role")
        self.assertEqual(lease["metadata"]["namespace"], "kb-system")
        self.assertEqual(lease["rules"], [
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": ["kb-kube-balancer"],
             "verbs": ["get", "update"]}])
        # A namespace list: the ClusterRole keeps only the cluster-scoped IngressClasses.
        cr = one(self.full, "ClusterRole")
        self.assertEqual({r for rule in cr["rules"] for r in rule["resources"]}, {"ingressclasses"})
        roles = {r["metadata"]["namespace"]: r for r in ps.by_kind(self.full, "Role")}
        self.assertEqual(set(roles), {"team-a", "team-b", "ingress"})
        self.assertIn("ingresses", {r for rule in roles["team-a"]["rules"] for r in rule["resources"]})
        for b in ps.by_kind(self.full, "RoleBinding") + ps.by_kind(self.full, "ClusterRoleBinding"):
            self.assertEqual(b["subjects"], [{"kind": "ServiceAccount", "name": "kb-sa", "namespace": "ingress"}])
            if b["roleRef"]["kind"] == "Role":
                role = [r for r in ps.by_kind(self.full, "Role") if r["metadata"]["name"] == b["roleRef"]["name"]
                        and r["metadata"]["namespace"] == b["metadata"]["namespace"]]
                self.assertEqual(len(role), 1, b["metadata"])

    def test_bad_values_fail_clearly(self):
        r = ps.run([self.helm, "template", "kb", ps.CHART, "--set", "service.type=Ingress"], check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("service.type must be LoadBalancer, NodePort or ClusterIP", r.stderr)
        r = ps.run([self.helm, "template", "kb", ps.CHART, "--set", "metrics.serviceMonitor.enabled=true",
                    "--set", "metrics.service.enabled=false"], check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("metrics.serviceMonitor.enabled needs metrics.service.enabled", r.stderr)
        _, docs = ps.render(self.helm, self.tmp.name, extra=["--set", "replicaCount=1"])
        self.assertEqual(ps.by_kind(docs, "PodDisruptionBudget"), [], "one pod: a PDB would block drains")
        _, docs = ps.render(self.helm, self.tmp.name, extra=["--set", "controller.leaderElection.enabled=false"])
        self.assertIn("--leader-elect=false", container(one(docs, "Deployment"), "controller")["args"])
        self.assertEqual(ps.by_kind(docs, "Role"), [], "no leader election: no Lease permissions")

    def test_crd_is_the_repository_crd(self):
        source = os.path.join(ps.REPO, "crds", "balancercluster.yaml")
        copy = os.path.join(ps.CHART, "crds", "balancercluster.yaml")
        if not os.path.exists(source) and not os.path.exists(copy):
            self.skipTest("crds/balancercluster.yaml is not written yet")
        self.assertTrue(filecmp.cmp(source, copy, shallow=False),
                        "helm/kube-balancer/crds/balancercluster.yaml differs from crds/balancercluster.yaml")
        crd = one(self.default, "CustomResourceDefinition")
        self.assertEqual(crd["metadata"]["name"], "balancerclusters.kubebalancer.io")

    def render_notes(self, values=()):
        # Helm renders NOTES.txt only on install, which needs a cluster. Render the same file with the
        # same engine through `tpl` in a copy of the chart instead.
        chart = os.path.join(self.tmp.name, "notes-chart")
        if not os.path.isdir(chart):
            shutil.copytree(ps.CHART, chart)
            os.rename(os.path.join(chart, "templates", "NOTES.txt"), os.path.join(chart, "notes.txt"))
            with open(os.path.join(chart, "templates", "zz-notes.yaml"), "w") as f:
                f.write('notes: {{ tpl (.Files.Get "notes.txt") . | quote }}\n')
        cmd = [self.helm, "template", "kb", chart, "-n", "kb-system", "--show-only", "templates/zz-notes.yaml"]
        for v in values:
            cmd += ["-f", v]
        path = os.path.join(self.tmp.name, "notes.yaml")
        with open(path, "w") as f:
            f.write(ps.run(cmd).stdout)
        return ps.yaml_docs(path)[0]["notes"]

    def test_notes(self):
        notes = self.render_notes()
        self.assertIn("Ingresses with spec.ingressClassName: kube-balancer are served", notes)
        self.assertIn("All namespaces are watched.", notes)
        self.assertIn("get service kb-kube-balancer -o jsonpath='{.status.loadBalancer.ingress[0]}'", notes)
        self.assertIn("port-forward deployment/kb-kube-balancer 9901", notes)
        notes = self.render_notes([FULL_VALUES])
        self.assertIn("(or with no class: it is the cluster default)", notes)
        self.assertIn("Watched namespaces: team-a, team-b.", notes)
        self.assertIn("{.spec.ports[0].nodePort}", notes)
        self.assertIn("http://127.0.0.1:9902/balancer-manager", notes)

    def test_every_value_is_documented(self):
        with open(os.path.join(ps.CHART, "values.yaml")) as f:
            lines = f.read().splitlines()
        undocumented = []
        for i, line in enumerate(lines):
            if not re.match(r"^\s*[A-Za-z0-9_.-]+:", line):
                continue
            prev = i - 1
            while prev >= 0 and not lines[prev].strip():
                prev -= 1
            if prev < 0 or not lines[prev].lstrip().startswith("#"):
                undocumented.append(f"values.yaml:{i + 1}: {line.strip()}")
        self.assertEqual(undocumented, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
