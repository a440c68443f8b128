#!/usr/bin/env python3
"""kube-balancer end to end on loopback: the test API server (HTTPS + token), the real
kube-balancer-controller and kube-balancer-proxy, and kb-demo-backend processes.

Objects are created through the API; traffic must flow through the proxy to the Service's
endpoints; an EndpointSlice change must move the routing (the latency is printed, and only a
generous bound fails); status must appear on the BalancerCluster, the Ingress and the Lease; an
invalid spec must give an InvalidSpec condition and one Event. Dropped watches, expired (410)
watches and an API server restart must be survived with the table file left untouched meanwhile,
and routing must still follow changes afterwards."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controller_support as cs  # noqa: E402
from controller_support import kbtest  # noqa: E402

EMPTY_TABLE = "balancers: []\nroutes: []\n"


def step(message):
    print("--", message, flush=True)


def condition(obj, type_):
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def main():
    cs.main(run, ("controller.err", "proxy.err", "apiserver-0.err", "apiserver-1.err"))


def run(procs, args):
    api_server = cs.ApiServer(procs, procs.path("apiserver"))
    api_server.start()
    api = api_server.client()
    step("API server on port %d" % api_server.port)

    api.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", cs.BC_CRD)
    kbtest.wait_for(lambda: _served(api), timeout=20, what="the BalancerCluster CRD to be served")

    ports = {}
    for name, route in (("b1", "r1"), ("b2", "r2"), ("b3", "r3")):
        ports[name] = procs.start_backend(args.backend, name, route)

    api.create("/apis/networking.k8s.io/v1/ingressclasses", cs.ingress_class())
    api.create("/api/v1/namespaces/default/services", cs.service("web"))
    for name in ("b1", "b2"):
        api.create(cs.SLICES, cs.endpoint_slice("web-" + name, "web", ports[name], "pod-" + name))
    api.create(cs.BCS, cs.balancer_cluster("web", "web", {"lbMethod": "byrequests"}))
    api.create("/apis/networking.k8s.io/v1/namespaces/default/ingresses", cs.ingress("web", "web"))

    # As in the pod: the proxy starts on an empty table, the controller replaces it.
    table = procs.path("table.yaml")
    kbtest.write_atomic(table, EMPTY_TABLE)
    _, proxy_port, admin_port = procs.start_proxy(args.proxy, table)
    controller_argv = [args.controller, "--kubeconfig", api_server.kubeconfig, "--table-out", table,
                       "--proxy-admin", "http://127.0.0.1:%d" % admin_port, "--publish-address", "127.0.0.1",
                       "--lease-namespace", "default", "--identity", "kb-test-controller",
                       "--status-interval", "1s", "--watch-timeout", "60s"]
    controller = procs.start(controller_argv, "controller")[0]

    step("traffic flows through the proxy to the Service's endpoints")
    took = cs.wait_routing(proxy_port, {"b1", "b2"}, timeout=30, what="initial routing")
    print("   first table served after %.2f s" % took)

    step("an EndpointSlice change moves the routing")
    api.delete(cs.SLICES + "/web-b1")
    api.create(cs.SLICES, cs.endpoint_slice("web-b3", "web", ports["b3"], "pod-b3"))
    took = cs.wait_routing(proxy_port, {"b2", "b3"}, timeout=10, what="routing after the endpoint change")
    print("   endpoint change -> routing followed in %.3f s (target: about a second)" % took)

    step("status on the BalancerCluster, the Ingress and the Lease")

    def bc_ready():
        bc = api.get(cs.BCS + "/web")
        st = bc.get("status") or {}
        ready = condition(bc, "Ready")
        if st.get("totalMembers") == 2 and st.get("healthyMembers") == 2 and ready and ready["status"] == "True":
            return bc
        return None

    bc = kbtest.wait_for(bc_ready, timeout=30, what="BalancerCluster status Ready with 2 healthy members")
    st = bc["status"]
    kbtest.check(st.get("observedGeneration") == bc["metadata"].get("generation"), "observedGeneration: %s" % st)
    addresses = sorted(m.get("address", "") for m in st.get("members", []))
    kbtest.check(addresses == sorted("http://127.0.0.1:%d" % ports[b] for b in ("b2", "b3")),
                 "member addresses: %s" % addresses)
    kbtest.check(all(m.get("healthy") for m in st["members"]), "members healthy: %s" % st["members"])
    kbtest.check(condition(bc, "InvalidSpec")["status"] == "False", "InvalidSpec: %s" % st)
    kbtest.check(condition(bc, "Degraded")["status"] == "False", "Degraded: %s" % st)

    # The counters come from the proxy: after traffic, elected moves.
    def elected_counted():
        cs.sample_backends(proxy_port, 4)
        s = api.get(cs.BCS + "/web").get("status") or {}
        return sum(m.get("elected", 0) for m in s.get("members", [])) > 0

    kbtest.wait_for(elected_counted, timeout=60, interval=0.5, what="elected counters in the status")

    def ingress_status():
        ing = api.get("/apis/networking.k8s.io/v1/namespaces/default/ingresses/web")
        return ((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress")

    lb = kbtest.wait_for(ingress_status, timeout=20, what="Ingress status.loadBalancer")
    kbtest.check(lb == [{"ip": "127.0.0.1"}], "Ingress status: %s" % lb)
    lease = api.get("/apis/coordination.k8s.io/v1/namespaces/default/leases/kube-balancer-controller")
    kbtest.check(lease["spec"].get("holderIdentity") == "kb-test-controller", "lease: %s" % lease["spec"])

    step("an invalid spec gives InvalidSpec and one Event, and the controller carries on")
    api.create(cs.BCS, cs.balancer_cluster("bad", "web", {"lbMethod": "round-robin-please"}))

    def invalid():
        c = condition(api.get(cs.BCS + "/bad"), "InvalidSpec")
        return c if c and c["status"] == "True" else None

    c = kbtest.wait_for(invalid, timeout=20, what="InvalidSpec=True on the bad BalancerCluster")
    kbtest.check("lbMethod" in c.get("message", ""), "InvalidSpec message names the field: %s" % c)
    events = kbtest.wait_for(lambda: _events_for(api, "bad"), timeout=20, what="an Event for the bad spec")
    kbtest.check(controller.poll() is None, "the controller exited on an invalid spec")

    step("dropped watches, expired watches and an API server restart leave the table alone")
    before = cs.table_state(table)
    base = _counts(api)
    api.faults({"drop_watches": True})
    _wait_counts(api, base, watches=5, what="re-watches after dropped watches")
    base = _counts(api)
    api.faults({"compact": True, "expire_watches": True})
    _wait_counts(api, base, lists=5, watches=5, what="relists after expired (410) watches")
    kbtest.check(cs.table_state(table) == before, "the table file changed after dropped/expired watches")

    port = api_server.port
    api_server.stop()
    time.sleep(0.5)  # the controller is now failing and backing off; it must not touch the table
    kbtest.check(cs.table_state(table) == before, "the table file changed while the API server was down")
    api_server.start(port)
    api = api_server.client()
    _wait_counts(api, (0, 0), watches=5, what="watches after the API server restart", timeout=60)
    kbtest.check(cs.table_state(table) == before, "the table file changed across the API server restart")
    kbtest.check(cs.sample_backends(proxy_port, 6) and
                 set(cs.sample_backends(proxy_port, 6)) <= {"b2", "b3"}, "routing after the restart")

    step("429 Too Many Requests with Retry-After on the relist is waited out")
    base = _counts(api)
    api.faults({"errors": {"count": 3, "code": 429, "retry_after": 1, "verbs": ["list"]}})
    api.faults({"compact": True, "expire_watches": True})
    _wait_counts(api, base, lists=5, watches=5, what="relists after 429s")
    kbtest.check(api.faults({})["errors"] is None, "the injected 429s were not all consumed")
    kbtest.check(cs.table_state(table) == before, "the table file changed across the 429s")

    step("changes after all that still reach the proxy")
    api.create(cs.SLICES, cs.endpoint_slice("web-b1", "web", ports["b1"], "pod-b1"))
    took = cs.wait_routing(proxy_port, {"b1", "b2", "b3"}, timeout=30, what="routing after the restart")
    print("   endpoint change after the restart -> routing followed in %.3f s" % took)

    step("a terminating pod drains: its sticky sessions stay on it, new users go elsewhere")
    api.merge_patch(cs.BCS + "/web", {"spec": {"stickySession": "JSESSIONID|jsessionid"}})
    # The member route is the pod's name (Tomcat's jvmRoute=$HOSTNAME): a session of pod-b1.
    session = [("Cookie", "JSESSIONID=abc123.pod-b1")]

    def sticky_to(backend):
        return all(b == backend for b in cs.sample_backends(proxy_port, 6, session))

    kbtest.wait_for(lambda: sticky_to("b1"), timeout=20, interval=0.1, what="sessions of pod-b1 sticking to b1")
    terminating = cs.endpoint_slice("web-b1", "web", ports["b1"], "pod-b1")
    terminating["endpoints"][0]["conditions"] = {"ready": False, "serving": True, "terminating": True}
    api.request("PUT", cs.SLICES + "/web-b1", {**terminating, "metadata": {
        **terminating["metadata"], "resourceVersion": api.get(cs.SLICES + "/web-b1")["metadata"]["resourceVersion"]}})
    started = time.monotonic()

    def proxy_drains():
        doc = cs.admin_get(admin_port, "/api/balancers?name=default%2Fweb")
        members = [m for b in doc["balancers"] for m in b["members"] if m["route"] == "pod-b1"]
        return members and "N" in members[0]["status"]

    kbtest.wait_for(proxy_drains, timeout=10, interval=0.05, what="the proxy draining pod-b1 (+N)")
    print("   terminating endpoint -> proxy drains it in %.3f s" % (time.monotonic() - started))
    new_users = cs.sample_backends(proxy_port, 30)
    kbtest.check(set(new_users) == {"b2", "b3"}, "new users while pod-b1 drains: %s" % new_users)
    kbtest.check(sticky_to("b1"), "a session of the terminating pod left it while it was still serving")
    new_users = cs.sample_backends(proxy_port, 30)
    kbtest.check(set(new_users) == {"b2", "b3"}, "new users after sticky requests: %s" % new_users)
    drained = kbtest.wait_for(lambda: next((m for m in (api.get(cs.BCS + "/web").get("status") or {})
                                            .get("members", []) if "pod-b1" in (m.get("name"), m.get("route"))
                                            and "N" in m.get("status", "")), None),
                              timeout=30, what="the terminating member shown draining (+N) in the status")
    print("   status of the terminating member: %s" % drained.get("status"))
    api.delete(cs.SLICES + "/web-b1")  # the pod is gone: its sessions fail over
    kbtest.wait_for(lambda: all(b in ("b2", "b3") for b in cs.sample_backends(proxy_port, 6, session)),
                    timeout=10, interval=0.1, what="sessions of the deleted pod failing over")
    api.create(cs.SLICES, cs.endpoint_slice("web-b1", "web", ports["b1"], "pod-b1"))
    cs.wait_routing(proxy_port, {"b1", "b2", "b3"}, timeout=10, what="routing with pod-b1 back")

    step("a second replica (in-cluster configuration) publishes its own table but does not write; "
         "it takes over on release")
    table2 = procs.path("table2.yaml")
    argv2 = [a if a != table else table2 for a in controller_argv]
    argv2[argv2.index("kb-test-controller")] = "kb-test-controller-2"
    i = argv2.index("--kubeconfig")
    del argv2[i:i + 2]
    # What a pod sees: the service environment and the service-account mount (token, ca.crt,
    # namespace), here the directory the API server writes.
    in_cluster = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(api_server.port),
                  "KB_SERVICEACCOUNT_DIR": os.path.join(api_server.state_dir, "serviceaccount")}
    saved = {k: os.environ.get(k) for k in list(in_cluster) + ["KUBECONFIG"]}
    os.environ.update(in_cluster)
    os.environ.pop("KUBECONFIG", None)
    try:
        controller2 = procs.start(argv2, "controller2")[0]
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    kbtest.wait_for(lambda: os.path.exists(table2) and cs.table_state(table2)[2] == cs.table_state(table)[2],
                    timeout=30, what="the second replica's table to equal the first's")
    lease = api.get("/apis/coordination.k8s.io/v1/namespaces/default/leases/kube-balancer-controller")
    kbtest.check(lease["spec"].get("holderIdentity") == "kb-test-controller", "lease moved: %s" % lease["spec"])

    event_count = len(_events_for(api, "bad"))
    kbtest.check(event_count == len(events),
                 "the invalid spec was reported again (%d events, was %d)" % (event_count, len(events)))
    kbtest.check(controller.poll() is None, "the controller exited")
    kbtest.check(procs.stop(controller) == 0, "the controller did not exit cleanly on SIGTERM")

    def holder():
        lease = api.get("/apis/coordination.k8s.io/v1/namespaces/default/leases/kube-balancer-controller")
        return lease["spec"].get("holderIdentity") == "kb-test-controller-2"

    # The first released the lease on SIGTERM, so the second need not wait out the 15 s duration.
    kbtest.wait_for(holder, timeout=12, interval=0.2, what="the second replica to take the lease")
    kbtest.check(procs.stop(controller2) == 0, "the second controller did not exit cleanly")


def _served(api):
    try:
        api.get(cs.BCS)
        return True
    except cs.ApiError:
        return False


def _events_for(api, name):
    items = api.get("/api/v1/namespaces/default/events").get("items") or []
    return [e for e in items if e.get("involvedObject", {}).get("name") == name and e.get("reason") == "InvalidSpec"]


def _counts(api):
    """(lists, watches) the API server has answered so far."""
    requests = api.stats().get("requests", {})
    lists = sum(n for k, n in requests.items() if k.startswith("list "))
    watches = sum(n for k, n in requests.items() if k.startswith("watch "))
    return lists, watches


def _wait_counts(api, base, lists=0, watches=0, what="", timeout=30):
    """Waits until the controller made `lists` more LISTs and `watches` more WATCHes than `base`
    and holds at least five watches open again (one per kind)."""
    def done():
        stats = api.stats()
        now = _counts(api)
        return (now[0] - base[0] >= lists and now[1] - base[1] >= watches and
                stats.get("openWatchCount", 0) >= 5)
    kbtest.wait_for(done, timeout=timeout, interval=0.1, what=what)


if __name__ == "__main__":
    main()
