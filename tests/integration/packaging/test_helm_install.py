#!/usr/bin/env python3
"""The chart and docs/install.md end to end with the real Helm and kubectl against the test API
server (tests/apiserver): `helm install` creates the CRD and every object of the chart and prints
the NOTES; the BalancerCluster and Ingress of docs/install.md apply; with the status the controller
would write, `kubectl get balancerclusters` prints the header docs/install.md shows; `helm upgrade`
changes the Service type and marks the IngressClass default; `helm uninstall` removes the objects and
keeps the CRD, as the docs say."""
import json
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import packaging_support as ps  # noqa: E402

sys.path.insert(0, os.path.join(ps.REPO, "tests", "apiserver"))
from apiserver_fixture import ApiServer  # noqa: E402

INSTALL_MD = os.path.join(ps.REPO, "docs", "install.md")
NS = "kube-balancer"


class HelmInstallTest(unittest.TestCase):
    def setUp(self):
        self.helm, self.kubectl = ps.kube_tools()
        self.tmp = tempfile.TemporaryDirectory(prefix="kb-helm-install-")
        os.makedirs(os.path.join(self.tmp.name, "api"))
        self.api = ApiServer(workdir=os.path.join(self.tmp.name, "api")).start()
        home = self.tmp.name
        self.env = dict(os.environ, KUBECONFIG=self.api.kubeconfig, HELM_CACHE_HOME=f"{home}/helm-cache",
                        HELM_CONFIG_HOME=f"{home}/helm-config", HELM_DATA_HOME=f"{home}/helm-data")

    def tearDown(self):
        self.api.stop()
        self.tmp.cleanup()

    def tool(self, *args, check=True):
        return ps.run(list(args), check=check, env=self.env, timeout=120)

    def kubectl_json(self, *args):
        return json.loads(self.tool(self.kubectl, *args, "-o", "json").stdout)

    def test_install_docs_upgrade_uninstall(self):
        r = self.tool(self.helm, "install", "kb", ps.CHART, "--namespace", NS, "--create-namespace")
        self.assertIn("STATUS: deployed", r.stdout)
        self.assertIn("kube-balancer 0.1.0 is installed as kb-kube-balancer in namespace kube-balancer.", r.stdout)

        # Every object of the chart exists, and the CRD (installed from the chart's crds/).
        _, docs = ps.render(self.helm, self.tmp.name, release="kb", namespace=NS)
        for d in docs:
            args = [d["kind"].lower() + "." + d["apiVersion"].split("/")[0] if "/" in d["apiVersion"]
                    else d["kind"].lower(), d["metadata"]["name"]]
            if d["metadata"].get("namespace"):
                args += ["-n", d["metadata"]["namespace"]]
            got = self.kubectl_json("get", *args)
            self.assertEqual(got["kind"], d["kind"])
        self.tool(self.kubectl, "get", "crd", "balancerclusters.kubebalancer.io")

        # docs/install.md: its manifests apply, and `kubectl get balancerclusters` looks as it says.
        self.tool(self.kubectl, "create", "namespace", "shop")
        with open(INSTALL_MD) as f:
            text = f.read()
        for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", text, re.S)):
            path = os.path.join(self.tmp.name, f"doc{i}.yaml")
            with open(path, "w") as f:
                f.write(block)
            self.tool(self.kubectl, "apply", "-f", path)
        status = {"status": {"healthSummary": "3/3", "healthyMembers": 3, "totalMembers": 3,
                             "conditions": [{"type": "Ready", "status": "True", "reason": "MembersReady",
                                             "message": "3 of 3 members healthy",
                                             "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}
        r = self.api.patch("/apis/kubebalancer.io/v1alpha1/namespaces/shop/balancerclusters/web/status", status)
        self.assertEqual(r.status, 200, r)
        shown = self.tool(self.kubectl, "-n", "shop", "get", "balancerclusters").stdout.splitlines()
        print("\n".join(shown))
        documented = re.search(r"\$ kubectl -n shop get balancerclusters\n(.*)\n(.*)\n", text)
        self.assertEqual(shown[0].split(), documented.group(1).split())
        self.assertEqual(shown[1].split()[:-1], documented.group(2).split()[:-1], "all but AGE")
        self.assertEqual(self.tool(self.kubectl, "-n", "shop", "get", "bc", "-o", "name").stdout.strip(),
                         "balancercluster.kubebalancer.io/web")

        # helm upgrade: NodePort and the default IngressClass.
        self.tool(self.helm, "upgrade", "kb", ps.CHART, "--namespace", NS, "--set", "service.type=NodePort",
                  "--set", "service.nodePort=30080", "--set", "ingressClass.default=true")
        svc = self.kubectl_json("get", "service", "kb-kube-balancer", "-n", NS)
        self.assertEqual(svc["spec"]["type"], "NodePort")
        self.assertEqual(svc["spec"]["ports"][0]["nodePort"], 30080)
        ic = self.kubectl_json("get", "ingressclass", "kube-balancer")
        self.assertEqual(ic["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"], "true")

        # helm uninstall: the objects go, the CRD and the BalancerClusters stay.
        self.tool(self.helm, "uninstall", "kb", "--namespace", NS)
        r = self.tool(self.kubectl, "get", "deployment", "kb-kube-balancer", "-n", NS, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("NotFound", r.stderr)
        r = self.tool(self.kubectl, "get", "ingressclass", "kube-balancer", check=False)
        self.assertIn("NotFound", r.stderr)
        self.tool(self.kubectl, "get", "crd", "balancerclusters.kubebalancer.io")
        self.tool(self.kubectl, "-n", "shop", "get", "bc", "web")


if __name__ == "__main__":
    unittest.main(verbosity=2)
