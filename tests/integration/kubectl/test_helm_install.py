#!/usr/bin/env python3
"""Real Helm v3 (from scripts/get-kube-tools.sh) installs, upgrades and uninstalls the
kube-balancer chart against the test API server: the chart's CRD is created from its crds/
directory, every rendered object is accepted by the server (discovery, create, strategic-merge
upgrade patches, Helm's protobuf release Secrets), and uninstall removes what install made.

Exit code 77 (ctest SKIP) only when no helm binary can be found at all."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get("KB_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "apiserver"))
sys.path.insert(0, HERE)
from apiserver_fixture import ApiServer  # noqa: E402
from test_kubectl import KUBECTL  # noqa: E402

CHART = os.path.join(REPO, "helm", "kube-balancer")


def find_helm():
    for path in (os.environ.get("HELM"), os.path.join(REPO, ".tools", "bin", "helm"),
                 shutil.which("helm")):
        if path and os.access(path, os.X_OK):
            try:
                out = subprocess.run([path, "version", "--short"], capture_output=True, text=True,
                                     timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if out.returncode == 0 and out.stdout.startswith("v3."):
                return path
    return None


HELM = find_helm()


@unittest.skipIf(HELM is None or KUBECTL is None or not os.path.isdir(CHART),
                 "no helm, kubectl or chart")
class HelmInstallTest(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="kb-helm-")
        self.api = ApiServer().start()

    def tearDown(self):
        self.api.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def run_tool(self, argv, check=True):
        env = dict(os.environ, HOME=self.home, HELM_CACHE_HOME=os.path.join(self.home, "hc"),
                   HELM_CONFIG_HOME=os.path.join(self.home, "hcfg"),
                   HELM_DATA_HOME=os.path.join(self.home, "hd"))
        env.pop("KUBECONFIG", None)
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
        if check and out.returncode != 0:
            self.fail("%s failed (%d):\n%s%s" % (" ".join(argv), out.returncode, out.stdout,
                                                 out.stderr))
        return out

    def helm(self, *args, check=True):
        return self.run_tool([HELM, "--kubeconfig", self.api.kubeconfig] + list(args), check)

    def kubectl(self, *args, check=True):
        return self.run_tool([KUBECTL, "--kubeconfig", self.api.kubeconfig, "--cache-dir",
                              os.path.join(self.home, "cache")] + list(args), check)

    def names(self, kinds, namespace):
        out = self.kubectl("get", kinds, "-n", namespace, "-o", "name").stdout
        return sorted(out.split())

    def test_install_upgrade_uninstall(self):
        out = self.helm("install", "kb", CHART, "-n", "kb-system", "--create-namespace")
        self.assertIn("STATUS: deployed", out.stdout)
        crds = json.loads(self.kubectl("get", "crd", "-o", "json").stdout)["items"]
        self.assertIn("balancerclusters.kubebalancer.io", [c["metadata"]["name"] for c in crds])
        installed = self.names("deployment,service,serviceaccount,role,rolebinding", "kb-system")
        self.assertTrue(any(n.startswith("deployment.apps/") for n in installed), installed)
        self.assertTrue(any(n.startswith("service/") for n in installed), installed)
        classes = self.kubectl("get", "ingressclass", "-o", "json").stdout
        self.assertIn("kubebalancer.io/ingress-controller", classes)
        secrets = self.names("secret", "kb-system")
        self.assertIn("secret/sh.helm.release.v1.kb.v1", secrets)

        out = self.helm("upgrade", "kb", CHART, "-n", "kb-system", "--set", "replicaCount=3")
        self.assertIn("has been upgraded", out.stdout)
        deploy = json.loads(self.kubectl("get", "deployment", "-n", "kb-system", "-o", "json").stdout)
        self.assertEqual(deploy["items"][0]["spec"]["replicas"], 3)
        self.assertEqual(deploy["items"][0]["metadata"]["generation"], 2)
        listed = self.helm("list", "-n", "kb-system", "-o", "json").stdout
        self.assertEqual(json.loads(listed)[0]["revision"], "2")

        self.assertIn('release "kb" uninstalled', self.helm("uninstall", "kb", "-n", "kb-system").stdout)
        self.assertEqual(self.names("deployment,service,serviceaccount,role,rolebinding,secret",
                                    "kb-system"), [])
        # Helm keeps CRDs on uninstall, as documented.
        self.kubectl("get", "crd", "balancerclusters.kubebalancer.io")


if __name__ == "__main__":
    if HELM is None or KUBECTL is None:
        print("SKIP: no helm/kubectl found (run scripts/get-kube-tools.sh to fetch .tools/bin)")
        sys.exit(77)
    unittest.main(verbosity=2)
