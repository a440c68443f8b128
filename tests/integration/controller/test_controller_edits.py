#!/usr/bin/env python3
"""Balancer-manager edits written back to the BalancerCluster: an edit on the proxy's
balancer-manager (loadfactor, drain) appears in the cluster's spec.memberOverrides (the controller
reads the proxy's GET /api/edits), is rendered into the table, and a second proxy started fresh
on that table (no edits of its own, as after a restart or on another replica) serves it. A form
edit that changes only the Factor records only the factor, so the pod still drains when it
terminates (issue 12)."""
import os
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controller_support as cs  # noqa: E402
from controller_support import kbtest  # noqa: E402

BALANCER = "default/web"


def member(admin_port, name):
    for b in cs.admin_get(admin_port, "/api/balancers")["balancers"]:
        if b["name"] == BALANCER:
            for m in b["members"]:
                if m["name"] == name:
                    return m
    return None


def edit_fields(edit):
    """An /api/edits entry without its bookkeeping (seq, state, note): what was edited."""
    return {k: v for k, v in edit.items() if k not in ("seq", "state", "note")}


def main():
    cs.main(run, ("controller.err", "proxy.err", "proxy2.err", "apiserver-0.err"))


def run(procs, args):
    api_server = cs.ApiServer(procs, procs.path("apiserver"))
    api_server.start()
    api = api_server.client()
    api.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", cs.BC_CRD)
    ports = {name: procs.start_backend(args.backend, name, "r" + name) for name in ("b1", "b2")}
    api.create("/apis/networking.k8s.io/v1/ingressclasses", cs.ingress_class())
    api.create("/api/v1/namespaces/default/services", cs.service("web"))
    for name in ("b1", "b2"):
        api.create(cs.SLICES, cs.endpoint_slice("web-" + name, "web", ports[name], "pod-" + name))
    # An override the user wrote: kept as it is.
    api.create(cs.BCS, cs.balancer_cluster("web", "web", {
        "memberOverrides": [{"selector": {"podName": "pod-b2"}, "route": "rb2"}]}))
    api.create("/apis/networking.k8s.io/v1/namespaces/default/ingresses", cs.ingress("web", "web"))

    table = procs.path("table.yaml")
    kbtest.write_atomic(table, "balancers: []\nroutes: []\n")
    _, proxy_port, admin_port = procs.start_proxy(args.proxy, table)
    procs.start([args.controller, "--kubeconfig", api_server.kubeconfig, "--table-out", table,
                 "--proxy-admin", "http://127.0.0.1:%d" % admin_port, "--lease-namespace", "default",
                 "--identity", "kb-edits", "--status-interval", "1s"], "controller")
    cs.wait_routing(proxy_port, {"b1", "b2"}, timeout=30, what="initial routing")

    # The edit, as the balancer-manager page sends it.
    nonce = cs.admin_get(admin_port, "/balancer-manager?json=1")["nonces"][BALANCER]
    form = urllib.parse.urlencode({"b": BALANCER, "w": "pod-b1", "nonce": nonce, "w_lf": "7",
                                   "w_status_N": "1"}).encode()
    with urllib.request.urlopen("http://127.0.0.1:%d/balancer-manager" % admin_port, data=form, timeout=30) as r:
        kbtest.check(r.status in (200, 303), "manager POST: %d" % r.status)
    edits = [edit_fields(e) for e in cs.admin_get(admin_port, "/api/edits")["edits"]]
    kbtest.check(edits == [{"balancer": BALANCER, "member": "pod-b1", "loadfactor": 7, "flags": {"N": True}}],
                 "GET /api/edits: %s" % edits)

    def written():
        overrides = (api.get(cs.BCS + "/web").get("spec") or {}).get("memberOverrides") or []
        return overrides if len(overrides) == 2 else None

    overrides = kbtest.wait_for(written, timeout=30, interval=0.2, what="the edit in spec.memberOverrides")
    kbtest.check(overrides == [{"selector": {"podName": "pod-b2"}, "route": "rb2"},
                               {"selector": {"podName": "pod-b1"}, "loadFactor": 7, "status": "+N"}],
                 "spec.memberOverrides: %s" % overrides)

    # A fresh proxy on the controller's table: the edit is there without its own balancer-manager.
    kbtest.wait_for(lambda: "loadfactor: 7" in open(table).read(), timeout=30, what="the edit in the table")
    _, _, admin2 = procs.start_proxy(args.proxy, table, name="proxy2")
    m = kbtest.wait_for(lambda: member(admin2, "pod-b1"), timeout=30, what="pod-b1 on the second proxy")
    kbtest.check(m["loadfactor"] == 7 and "N" in m["status"], "pod-b1 on a fresh proxy: %s" % m)
    kbtest.check(cs.admin_get(admin2, "/api/edits")["edits"] == [], "the fresh proxy has no edits of its own")
    # Written once: the pass after the write (it reconciled the new generation and wrote status for
    # it) found nothing left to write, so the cluster's generation settles.
    generation = api.get(cs.BCS + "/web")["metadata"].get("generation")
    kbtest.wait_for(lambda: (api.get(cs.BCS + "/web").get("status") or {}).get("observedGeneration") == generation,
                    timeout=30, what="status for the written generation")
    log = procs.read("controller.err")
    kbtest.check(log.count("written to BalancerCluster") == 1, "one write-back:\n%s" % log)
    kbtest.check(api.get(cs.BCS + "/web")["metadata"].get("generation") == generation, "generation moved")

    # Issue 12: the HTML form posts every field and every w_status_* radio. Changing only the Factor
    # of pod-b2 records only the factor, so when pod-b2 later terminates it still drains (+N).
    nonce = cs.admin_get(admin_port, "/balancer-manager?json=1")["nonces"][BALANCER]
    fields = {"b": BALANCER, "w": "pod-b2", "nonce": nonce, "w_lf": "3", "w_ls": "0", "w_wr": "rb2", "w_rr": ""}
    fields.update({"w_status_" + letter: "0" for letter in "INDHRS"})
    with urllib.request.urlopen("http://127.0.0.1:%d/balancer-manager" % admin_port,
                                data=urllib.parse.urlencode(fields).encode(), timeout=30) as r:
        kbtest.check(r.status in (200, 303), "manager form POST: %d" % r.status)
    edits = [edit_fields(e) for e in cs.admin_get(admin_port, "/api/edits")["edits"] if e["member"] == "pod-b2"]
    kbtest.check(edits == [{"balancer": BALANCER, "member": "pod-b2", "loadfactor": 3}],
                 "a form edit of the Factor only records the factor: %s" % edits)

    def b2_override():
        for o in (api.get(cs.BCS + "/web").get("spec") or {}).get("memberOverrides") or []:
            if o["selector"] == {"podName": "pod-b2"} and o.get("loadFactor") == 3:
                return o
        return None

    o = kbtest.wait_for(b2_override, timeout=30, interval=0.2, what="the factor edit in spec.memberOverrides")
    kbtest.check("status" not in o, "the form edit wrote status flags nobody changed: %s" % o)
    terminating = cs.endpoint_slice("web-b2", "web", ports["b2"], "pod-b2")
    terminating["endpoints"][0]["conditions"] = {"ready": False, "serving": True, "terminating": True}
    api.request("PUT", cs.SLICES + "/web-b2", {**terminating, "metadata": {
        **terminating["metadata"], "resourceVersion": api.get(cs.SLICES + "/web-b2")["metadata"]["resourceVersion"]}})
    m = kbtest.wait_for(lambda: (lambda m: m if m and "N" in m["status"] else None)(member(admin_port, "pod-b2")),
                        timeout=30, interval=0.1, what="the edited, terminating pod-b2 draining (+N) in the proxy")
    kbtest.check(m["loadfactor"] == 3, "pod-b2 lost its edited factor: %s" % m)
    kbtest.wait_for(lambda: next((m for m in (api.get(cs.BCS + "/web").get("status") or {}).get("members", [])
                                  if "pod-b2" in (m.get("name"), m.get("route")) and "N" in m.get("status", "")), None),
                    timeout=30, what="the edited, terminating pod-b2 shown draining (+N) in the status")

if __name__ == "__main__":
    main()
