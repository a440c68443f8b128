#!/usr/bin/env python3
"""The BalancerCluster CRD and the examples, against each other: the CRD is a valid
apiextensions.k8s.io/v1 object; every document of examples/kubernetes/ validates strictly (custom
resources against the CRD's openAPIV3Schema, the rest against the Kubernetes schemas); the
BalancerCluster and Ingress in docs/install.md too; and the `kubectl get balancerclusters` output in
docs/install.md has the CRD's printer columns."""
import glob
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import packaging_support as ps  # noqa: E402

CRD = os.path.join(ps.REPO, "crds", "balancercluster.yaml")
INSTALL_MD = os.path.join(ps.REPO, "docs", "install.md")


@unittest.skipUnless(os.path.exists(CRD), "crds/balancercluster.yaml is not written yet")
class CrdExamplesTest(unittest.TestCase):
    def test_crd_is_a_valid_custom_resource_definition(self):
        ok, report = ps.validate([CRD])
        self.assertTrue(ok, "\n".join(ps.errors_of(report)))
        crd = ps.yaml_docs(CRD)[0]
        self.assertEqual(crd["metadata"]["name"], "balancerclusters.kubebalancer.io")
        self.assertEqual(crd["spec"]["names"]["kind"], "BalancerCluster")
        self.assertIn("bc", crd["spec"]["names"].get("shortNames", []))

    def test_examples_validate(self):
        files = sorted(glob.glob(os.path.join(ps.REPO, "examples", "kubernetes", "*.yaml")))
        if not files:
            self.skipTest("examples/kubernetes/ has no examples yet")
        ok, report = ps.validate(files, [CRD])
        self.assertTrue(ok, "\n".join(ps.errors_of(report)))
        self.assertTrue([e for e in report if e["kind"] == "BalancerCluster"], "no BalancerCluster example")

    def test_the_validator_rejects_a_bad_balancer_cluster(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = os.path.join(tmp, "bad.yaml")
            with open(bad, "w") as f:
                f.write("apiVersion: kubebalancer.io/v1alpha1\nkind: BalancerCluster\nmetadata: {name: x}\n"
                        "spec:\n  lbMethd: byrequests\n")
            ok, report = ps.validate([bad], [CRD])
            self.assertFalse(ok)
            self.assertIn("lbMethd", "\n".join(ps.errors_of(report)))

    def test_install_md(self):
        with open(INSTALL_MD) as f:
            text = f.read()
        blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
        with tempfile.TemporaryDirectory() as tmp:
            files = []
            for i, block in enumerate(blocks):
                path = os.path.join(tmp, f"block{i}.yaml")
                with open(path, "w") as f:
                    f.write(block)
                files.append(path)
            ok, report = ps.validate(files, [CRD])
            self.assertTrue(ok, "\n".join(ps.errors_of(report)))
            self.assertIn("BalancerCluster", [e["kind"] for e in report])
        crd = ps.yaml_docs(CRD)[0]
        version = [v for v in crd["spec"]["versions"] if v.get("served")][0]
        columns = ["NAME"] + [c["name"].upper() for c in version.get("additionalPrinterColumns", [])
                              if c.get("priority", 0) == 0]
        m = re.search(r"\$ kubectl -n \S+ get balancerclusters\n(.*)\n", text)
        self.assertTrue(m, "docs/install.md shows no `kubectl get balancerclusters` output")
        self.assertEqual(m.group(1).split(), columns)


if __name__ == "__main__":
    unittest.main(verbosity=2)
