#!/usr/bin/env python3
"""Least privilege: the chart's ClusterRole and Roles grant exactly the API calls the controller makes,
no more and no fewer. The calls are read from the controller's source, where every one goes through
the KubeApi interface with a named resource (controller/kube/kube_api.h):
  - the Reflector lists and watches its resource; controller.cc gives each resource a Reflector;
  - every other call names its resource directly: api_.patch_status(kr::ingresses(), ...).
An API call the parser cannot attribute fails the test, so new calls cannot slip past it."""
import glob
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import packaging_support as ps  # noqa: E402

CONTROLLER = os.path.join(ps.REPO, "controller")
# KubeApi method -> (RBAC verb, subresource)
KUBE_API_VERBS = {"get": ("get", ""), "list": ("list", ""), "watch": ("watch", ""), "create": ("create", ""),
                  "update": ("update", ""), "merge_patch": ("patch", ""), "patch_status": ("patch", "status"),
                  "remove": ("delete", "")}
CALL = re.compile(r"\bapi_?\s*(?:\.|->)\s*(" + "|".join(KUBE_API_VERBS) + r")\s*\(\s*([\w:]+(?:\(\))?)")


def read(path):
    with open(path) as f:
        return f.read()


def source_files():
    files = glob.glob(os.path.join(CONTROLLER, "**", "*.cc"), recursive=True)
    # The REST implementation is the API itself, not a caller of it.
    return sorted(f for f in files if not f.endswith("rest_kube_api.cc"))


def resource_table():
    """resources::NAME() -> (group, plural), from kube_api.cc."""
    text = read(os.path.join(CONTROLLER, "kube", "kube_api.cc"))
    table = {m[0]: (m[1], m[2]) for m in re.findall(
        r'Resource\s+(\w+)\(\)\s*\{\s*return\s*\{\s*"([^"]*)"\s*,\s*"[^"]*"\s*,\s*"([^"]*)"', text)}
    assert table, "no resources found in controller/kube/kube_api.cc"
    return table


def controller_permissions():
    """{(group, resource, verb)} the controller's source uses."""
    resources = resource_table()
    perms, reflector_verbs, reflected, unattributed = set(), set(), set(), []
    for path in source_files():
        text = read(path)
        rel = os.path.relpath(path, ps.REPO)
        for m in CALL.finditer(text):
            method, arg = m.group(1), m.group(2).strip()
            verb, sub = KUBE_API_VERBS[method]
            line = text.count("\n", 0, m.start()) + 1
            if rel.endswith("reflector.cc") and arg == "resource_":
                reflector_verbs.add(verb)
                continue
            k = re.fullmatch(r"(?:kube::)?(?:kr|resources)::(\w+)\(\)", arg)
            if not k or k.group(1) not in resources:
                unattributed.append(f"{rel}:{line}: api.{method}({arg} ...)")
                continue
            group, plural = resources[k.group(1)]
            perms.add((group, plural + ("/" + sub if sub else ""), verb))
        if "Reflector>(" in text or "Reflector(" in text:
            for fn in re.findall(r"\badd\(\s*[\w.]+\s*,\s*(?:kube::)?(?:kr|resources)::(\w+)\(\)\s*[,)]", text):
                reflected.add(resources[fn])
    assert not unattributed, "API calls the RBAC test cannot attribute:\n" + "\n".join(unattributed)
    assert reflector_verbs == {"list", "watch"}, f"the Reflector's calls changed: {reflector_verbs}"
    assert reflected, "found no resource given a Reflector in controller/"
    for group, plural in reflected:
        for verb in reflector_verbs:
            perms.add((group, plural, verb))
    return perms


# Permissions of features the chart switches off: granted only when their value is on.
OPTIONAL = {"gateway.networking.k8s.io": "gatewayAPI.enabled", "secrets": "tls.enabled"}


def without_features(perms, off):
    """`perms` minus those of the features named in `off` (values of OPTIONAL)."""
    return {p for p in perms if not any(v in off and (p[0] == k or p[1] == k) for k, v in OPTIONAL.items())}


def granted(rules):
    out = set()
    for rule in rules:
        for group in rule["apiGroups"]:
            for res in rule["resources"]:
                for verb in rule["verbs"]:
                    out.add((group, res, verb))
    return out


class RbacTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.helm, _ = ps.kube_tools()
        cls.tmp = tempfile.TemporaryDirectory(prefix="kb-rbac-")
        cls.expected = controller_permissions()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_the_source_scan_sees_the_known_calls(self):
        # Guards the parser itself: these calls are in the controller today.
        for perm in [("networking.k8s.io", "ingresses", "watch"), ("coordination.k8s.io", "leases", "create"),
                     ("kubebalancer.io", "balancerclusters/status", "patch")]:
            self.assertIn(perm, self.expected)

    def check(self, docs, release_ns, off=("gatewayAPI.enabled",)):
        rules = []
        for d in docs:
            if d["kind"] in ("ClusterRole", "Role"):
                for rule in d["rules"]:
                    self.assertNotIn("*", rule["verbs"] + rule["resources"] + rule["apiGroups"], d["metadata"])
                    if rule["resources"] == ["leases"]:
                        self.assertEqual(d["kind"], "Role", "Leases only in the release namespace")
                        self.assertEqual(d["metadata"]["namespace"], release_ns)
                rules += d["rules"]
        have = granted(rules)
        expected = without_features(self.expected, off)
        self.assertEqual(sorted(have - expected), [], "granted but never used by the controller")
        self.assertEqual(sorted(expected - have), [], "used by the controller but not granted")

    def test_default_values_grant_exactly_what_the_controller_uses(self):
        _, docs = ps.render(self.helm, self.tmp.name)
        self.check(docs, "kb-system")

    def test_optional_features_grant_exactly_their_calls(self):
        _, docs = ps.render(self.helm, self.tmp.name, extra=["--set", "gatewayAPI.enabled=true"])
        self.check(docs, "kb-system", off=())
        _, docs = ps.render(self.helm, self.tmp.name, extra=["--set", "tls.enabled=false"])
        self.check(docs, "kb-system", off=("gatewayAPI.enabled", "tls.enabled"))

    def test_namespace_list_grants_exactly_what_the_controller_uses(self):
        _, docs = ps.render(self.helm, self.tmp.name, values=[os.path.join(ps.HERE, "values-full.yaml")],
                            namespace="ingress")
        for ns in ("team-a", "team-b"):
            role = [d for d in ps.by_kind(docs, "Role") if d["metadata"]["namespace"] == ns]
            self.assertEqual(len(role), 1, ns)
            # Every namespaced permission, in every watched namespace.
            namespaced = {p for p in without_features(self.expected, ("gatewayAPI.enabled",))
                          if p[1] not in ("ingressclasses", "leases")}
            self.assertEqual(granted(role[0]["rules"]), namespaced, ns)
        self.check(docs, "ingress")


if __name__ == "__main__":
    unittest.main(verbosity=2)
