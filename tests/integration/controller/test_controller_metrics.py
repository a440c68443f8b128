#!/usr/bin/env python3
"""kube-balancer-controller --metrics-listen: the real controller against the test API server
serves /metrics and /healthz; after its first table the counters show the LISTs and WATCHes it
made, the publish, the reconcile histogram, leadership and (with a 1 s watch timeout) watch
restarts; `promtool check metrics` accepts the exposition (when promtool is installed)."""
import argparse
import os
import re
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controller_support as cs  # noqa: E402
from controller_support import kbtest  # noqa: E402


def fetch(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=30) as resp:
        return resp.status, resp.read().decode()


def value(text, series):
    """The value of one exact series line ("name{labels}") or None."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--controller", required=True)
    parser.add_argument("--promtool", default="")
    args = parser.parse_args()
    cs.run_with_logs(run, args, ("controller.err", "apiserver-0.err"))


def run(procs, args):
    api_server = cs.ApiServer(procs, procs.path("apiserver"))
    api_server.start()
    api = api_server.client()
    api.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", cs.BC_CRD)
    api.create("/apis/networking.k8s.io/v1/ingressclasses", cs.ingress_class())

    table = procs.path("table.yaml")
    kbtest.write_atomic(table, "balancers: []\nroutes: []\n")
    controller = procs.start([args.controller, "--kubeconfig", api_server.kubeconfig, "--table-out", table,
                              "--proxy-admin", "", "--lease-namespace", "default", "--identity", "kb-metrics",
                              "--watch-timeout", "1s", "--metrics-listen", "127.0.0.1:0"], "controller")[0]

    def port():
        if controller.poll() is not None:
            raise RuntimeError("controller exited with %s" % controller.returncode)
        m = re.search(r"serving metrics on http://127\.0\.0\.1:(\d+)/metrics", procs.read("controller.err"))
        return int(m.group(1)) if m else None

    metrics_port = kbtest.wait_for(port, timeout=30, what="the controller's metrics address in its log")
    status, _ = fetch(metrics_port, "/healthz")
    kbtest.check(status == 200, "/healthz: %d" % status)

    def scraped():
        _, text = fetch(metrics_port, "/metrics")
        ready = (value(text, "kubebalancer_controller_table_publishes_total") or 0) >= 1 and \
            value(text, "kubebalancer_controller_leader") == 1 and \
            (value(text, 'kubebalancer_controller_watch_restarts_total{reason="closed",resource="ingresses"}') or 0) >= 1
        return text if ready else None

    text = kbtest.wait_for(scraped, timeout=60, interval=0.2,
                           what="a publish, leadership and a watch restart in /metrics")
    for series in ('kubebalancer_controller_api_requests_total{code="200",resource="ingresses",verb="list"}',
                   'kubebalancer_controller_api_requests_total{code="200",resource="ingresses",verb="watch"}',
                   'kubebalancer_controller_api_requests_total{code="200",resource="balancerclusters",verb="list"}',
                   "kubebalancer_controller_reconcile_duration_seconds_count"):
        kbtest.check((value(text, series) or 0) >= 1, "%s in:\n%s" % (series, text))
    # The Lease was created (404 on the first GET, then a create), counted with its status code.
    kbtest.check(value(text, 'kubebalancer_controller_api_requests_total{code="200",resource="leases",verb="create"}')
                 == 1, "lease create in:\n%s" % text)

    if args.promtool:
        check = subprocess.run([args.promtool, "check", "metrics"], input=text.encode(), capture_output=True,
                               timeout=60)
        kbtest.check(check.returncode == 0, "promtool check metrics: %s %s" % (check.stdout, check.stderr))
    procs.stop(controller)


if __name__ == "__main__":
    main()
