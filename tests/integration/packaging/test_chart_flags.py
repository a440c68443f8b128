#!/usr/bin/env python3
"""The chart's command lines against the real binaries: every container's args, for the default values
and for values-full.yaml, are given to the binary it runs, followed by --help. Both parsers check
every flag and value before they look at --help, so exit status 0 means the binary accepts exactly
what the chart passes (an unknown flag or a bad value exits 2).
  test_chart_flags.py --proxy BIN --controller BIN"""
import argparse
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import packaging_support as ps  # noqa: E402

BINARIES = {}
# What the kubelet substitutes for $(VAR) from the container's env.
POD_ENV = {"$(POD_NAME)": "kb-kube-balancer-7d9c-abcde", "$(POD_NAMESPACE)": "kb-system"}


def substitute(arg):
    for k, v in POD_ENV.items():
        arg = arg.replace(k, v)
    return arg


class ChartFlagsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.helm, _ = ps.kube_tools()
        cls.tmp = tempfile.TemporaryDirectory(prefix="kb-flags-")
        cls.renders = {
            "default": ps.render(cls.helm, cls.tmp.name)[1],
            "full": ps.render(cls.helm, cls.tmp.name, values=[os.path.join(ps.HERE, "values-full.yaml")])[1],
            "no-leader-election": ps.render(cls.helm, cls.tmp.name,
                                            extra=["--set", "controller.leaderElection.enabled=false"])[1],
            "seed": ps.render(cls.helm, cls.tmp.name, extra=["--set", "tableBootstrap=seed"])[1],
        }

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check(self, container_name, binary_key, keep=lambda arg: True):
        if binary_key not in BINARIES:
            self.skipTest(f"{binary_key} binary not built in this tree")
        for label, docs in self.renders.items():
            deploy = ps.by_kind(docs, "Deployment")[0]
            pod = deploy["spec"]["template"]["spec"]
            c = [c for c in pod.get("initContainers", []) + pod["containers"] if c["name"] == container_name][0]
            self.assertEqual(os.path.basename(BINARIES[binary_key]), c["command"][0])
            args = [substitute(a) for a in c["args"] if keep(a)]
            r = ps.run([BINARIES[binary_key]] + args + ["--help"], check=False, timeout=30)
            self.assertEqual(r.returncode, 0, f"{label}: {c['command'][0]} {' '.join(args)}\n{r.stderr}")

    def test_controller_accepts_the_chart_flags(self):
        self.check("controller", "controller")

    def test_proxy_accepts_the_chart_flags(self):
        # The balancer-manager access flags are checked on their own below.
        self.check("proxy", "proxy", keep=lambda arg: not arg.startswith("--manager-"))

    def test_proxy_accepts_the_manager_flags(self):
        # Only rendered when proxy.manager.* is set (values-full.yaml); the defaults are the proxy's.
        if "proxy" not in BINARIES:
            self.skipTest("proxy binary not built in this tree")
        usage = ps.run([BINARIES["proxy"], "--help"], check=False).stdout
        if "--manager-allow" not in usage:
            self.skipTest("kube-balancer-proxy has no --manager-allow / --manager-token-file yet: "
                          "proxy.manager.allowedCIDRs and proxy.manager.token cannot be used")
        self.check("proxy", "proxy")

    def test_a_wrong_flag_is_refused(self):
        # The premise: the binaries refuse what they do not know, even with --help.
        for key, binary in BINARIES.items():
            r = ps.run([binary, "--no-such-flag=1", "--help"], check=False, timeout=30)
            self.assertNotEqual(r.returncode, 0, key)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--proxy")
    parser.add_argument("--controller")
    args, rest = parser.parse_known_args()
    for key in ("proxy", "controller"):
        if getattr(args, key):
            BINARIES[key] = getattr(args, key)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
