#!/usr/bin/env python3
"""Gateway API, conformance-style, end to end: the test API server (with minimal Gateway API CRDs
written here), the real controller (--gateway-api) and the real proxy, kb-demo-backend processes.
Covers what the upstream core HTTPRoute tests check that this data plane serves today: class and
Gateway status, listener attachedRoutes, HTTPRoute status.parents with the spec's reasons and
observedGeneration, hostname intersection, path matching, cross-namespace backends with and
without a ReferenceGrant, BalancerCluster backendRefs, and that the matches and actions reach the
table the proxy loads. kubectl is not needed."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controller_support as cs  # noqa: E402
from controller_support import kbtest  # noqa: E402

G = "/apis/gateway.networking.k8s.io/v1"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def step(text):
    print("-- " + text, flush=True)


def crd(plural, kind, scope="Namespaced", version="v1"):
    """A minimal CRD: any spec, a status subresource (what the controller writes)."""
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": plural + ".gateway.networking.k8s.io"},
            "spec": {"group": "gateway.networking.k8s.io", "scope": scope,
                     "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "listKind": kind + "List"},
                     "versions": [{"name": version, "served": True, "storage": True,
                                   "subresources": {"status": {}},
                                   "schema": {"openAPIV3Schema": {"type": "object",
                                                                  "x-kubernetes-preserve-unknown-fields": True}}}]}}


def namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def service(ns, name):
    svc = cs.service(name)
    svc["metadata"]["namespace"] = ns
    return svc


def slice_for(ns, name, service_name, port, pod):
    s = cs.endpoint_slice(name, service_name, port, pod)
    s["metadata"]["namespace"] = ns
    s["endpoints"][0]["targetRef"]["namespace"] = ns
    return s


def route(ns, name, hostnames, rules, section=None):
    parent = {"name": "edge", "namespace": "infra"}
    if section:
        parent["sectionName"] = section
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"parentRefs": [parent], "hostnames": hostnames, "rules": rules}}


def backend(name, port=80, weight=None, ns=None):
    b = {"name": name, "port": port}
    if weight is not None:
        b["weight"] = weight
    if ns:
        b["namespace"] = ns
    return b


def condition(obj, ctype, path=("status",)):
    node = obj
    for p in path:
        node = (node or {}).get(p) if isinstance(node, dict) else None
    for c in (node or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def parent_condition(api, ns, name, ctype):
    obj = api.get("%s/namespaces/%s/httproutes/%s" % (G, ns, name))
    for p in (obj.get("status") or {}).get("parents") or []:
        if p.get("controllerName") == "kubebalancer.io/gateway-controller":
            for c in p.get("conditions") or []:
                if c.get("type") == ctype:
                    return c, obj["metadata"].get("generation")
    return None, None


def wait_parent(api, ns, name, ctype, status, reason, timeout=30):
    def ok():
        c, gen = parent_condition(api, ns, name, ctype)
        return c if c and c["status"] == status and c["reason"] == reason and c["observedGeneration"] == gen else None
    return kbtest.wait_for(ok, timeout=timeout, interval=0.1,
                           what="HTTPRoute %s/%s %s=%s (%s)" % (ns, name, ctype, status, reason))


def backend_for(port, host, path="/"):
    try:
        r = kbtest.http_get(port, path, host=host, timeout=10)
    except OSError:
        return None
    return cs.backend_of(r.text) if r.status == 200 else r.status


def main():
    cs.main(run, ("controller.err", "proxy.err", "apiserver-0.err"))


def run(procs, args):
    api_server = cs.ApiServer(procs, procs.path("apiserver"))
    api_server.start()
    api = api_server.client()
    api.create(CRDS, cs.BC_CRD)
    for c in (crd("gatewayclasses", "GatewayClass", "Cluster"), crd("gateways", "Gateway"),
              crd("httproutes", "HTTPRoute"), crd("referencegrants", "ReferenceGrant", version="v1beta1")):
        api.create(CRDS, c)
    for ns in ("infra", "app", "other"):
        api.create("/api/v1/namespaces", namespace(ns))

    ports = {name: procs.start_backend(args.backend, name, "r-" + name) for name in ("a1", "a2", "o1")}
    api.create("/api/v1/namespaces/app/services", service("app", "web"))
    api.create("/api/v1/namespaces/app/services", service("app", "v2"))
    api.create("/api/v1/namespaces/other/services", service("other", "web"))
    slices = "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices"
    api.create(slices % "app", slice_for("app", "web-a1", "web", ports["a1"], "pod-a1"))
    api.create(slices % "app", slice_for("app", "v2-a2", "v2", ports["a2"], "pod-a2"))
    api.create(slices % "other", slice_for("other", "web-o1", "web", ports["o1"], "pod-o1"))
    bc = cs.balancer_cluster("legacy", "v2")
    bc["metadata"]["namespace"] = "app"
    api.create("/apis/kubebalancer.io/v1alpha1/namespaces/app/balancerclusters", bc)

    api.create(G + "/gatewayclasses", {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                                       "metadata": {"name": "kb"},
                                       "spec": {"controllerName": "kubebalancer.io/gateway-controller"}})
    api.create(G + "/namespaces/infra/gateways", {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "edge", "namespace": "infra"},
        "spec": {"gatewayClassName": "kb", "listeners": [
            {"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "All"}}},
            {"name": "wild", "protocol": "HTTP", "port": 80, "hostname": "*.wild.test",
             "allowedRoutes": {"namespaces": {"from": "All"}}},
            {"name": "same", "protocol": "HTTP", "port": 80, "hostname": "same.test"}]}})

    api.create(G + "/namespaces/app/httproutes", route("app", "shop", ["shop.test"], [
        {"matches": [{"path": {"type": "PathPrefix", "value": "/v2"}}], "backendRefs": [backend("v2")]},
        {"backendRefs": [backend("web")]},
        {"matches": [{"path": {"type": "Exact", "value": "/api"}, "method": "POST",
                      "headers": [{"name": "X-Version", "value": "2"}]}],
         "filters": [{"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "X-A", "value": "1"}]}},
                     {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/x"}}}],
         "backendRefs": [backend("web", weight=70), backend("v2", weight=30)]},
        {"matches": [{"path": {"type": "PathPrefix", "value": "/old"}}],
         "filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}]))
    api.create(G + "/namespaces/app/httproutes", route("app", "wild", ["a.wild.test", "b.other.test"],
                                                       [{"backendRefs": [backend("web")]}], section="wild"))
    api.create(G + "/namespaces/app/httproutes", route("app", "nohost", ["x.other.test"],
                                                       [{"backendRefs": [backend("web")]}], section="wild"))
    api.create(G + "/namespaces/app/httproutes", route("app", "notallowed", [],
                                                       [{"backendRefs": [backend("web")]}], section="same"))
    api.create(G + "/namespaces/app/httproutes", route("app", "cross", ["cross.test"],
                                                       [{"backendRefs": [backend("web", ns="other")]}]))
    api.create(G + "/namespaces/app/httproutes", route("app", "bc", ["bc.test"], [
        {"backendRefs": [{"group": "kubebalancer.io", "kind": "BalancerCluster", "name": "legacy"}]}]))
    api.create(G + "/namespaces/app/httproutes", route("app", "badkind", ["bad.test"], [
        {"backendRefs": [{"group": "example.com", "kind": "Bucket", "name": "b"}]}]))

    table = procs.path("table.yaml")
    kbtest.write_atomic(table, "balancers: []\nroutes: []\n")
    _, proxy_port, _ = procs.start_proxy(args.proxy, table)
    procs.start([args.controller, "--kubeconfig", api_server.kubeconfig, "--table-out", table,
                 "--proxy-admin", "", "--leader-elect", "false", "--gateway-api", "--publish-address", "127.0.0.1",
                 "--status-interval", "1s"], "controller")

    step("GatewayClass Accepted with supportedFeatures")
    gc = kbtest.wait_for(lambda: (lambda o: o if condition(o, "Accepted") else None)(api.get(G + "/gatewayclasses/kb")),
                         timeout=30, what="GatewayClass status")
    kbtest.check(condition(gc, "Accepted")["status"] == "True", gc)
    features = {f["name"] for f in gc["status"]["supportedFeatures"]}
    kbtest.check({"Gateway", "HTTPRoute", "ReferenceGrant"} <= features, features)

    step("HTTPRoute status: Accepted / ResolvedRefs with the spec's reasons and observedGeneration")
    wait_parent(api, "app", "shop", "Accepted", "True", "Accepted")
    wait_parent(api, "app", "shop", "ResolvedRefs", "True", "ResolvedRefs")
    wait_parent(api, "app", "wild", "Accepted", "True", "Accepted")
    wait_parent(api, "app", "nohost", "Accepted", "False", "NoMatchingListenerHostname")
    wait_parent(api, "app", "notallowed", "Accepted", "False", "NotAllowedByListeners")
    wait_parent(api, "app", "cross", "ResolvedRefs", "False", "RefNotPermitted")
    wait_parent(api, "app", "badkind", "ResolvedRefs", "False", "InvalidKind")
    wait_parent(api, "app", "bc", "ResolvedRefs", "True", "ResolvedRefs")

    step("Gateway Accepted/Programmed, listener attachedRoutes, addresses")
    def gateway_ready():
        gw = api.get(G + "/namespaces/infra/gateways/edge")
        p = condition(gw, "Programmed")
        return gw if p and p["status"] == "True" else None
    gw = kbtest.wait_for(gateway_ready, timeout=20, what="Gateway Programmed")
    attached = {l["name"]: l["attachedRoutes"] for l in gw["status"]["listeners"]}
    kbtest.check(attached == {"http": 4, "wild": 1, "same": 0}, "attachedRoutes %s" % attached)
    kbtest.check(gw["status"]["addresses"] == [{"type": "IPAddress", "value": "127.0.0.1"}], gw["status"]["addresses"])

    step("traffic: hostnames and paths reach the right backends through the proxy")
    kbtest.wait_for(lambda: backend_for(proxy_port, "shop.test") == "a1", timeout=20, what="shop.test -> web")
    kbtest.check(backend_for(proxy_port, "shop.test", "/v2/x") == "a2", "shop.test/v2 -> v2")
    kbtest.check(backend_for(proxy_port, "a.wild.test") == "a1", "a.wild.test -> web (listener wildcard)")
    kbtest.check(backend_for(proxy_port, "b.other.test") == 404, "b.other.test is outside the listener's hostname")
    kbtest.check(backend_for(proxy_port, "bc.test") == "a2", "BalancerCluster backendRef")
    kbtest.check(backend_for(proxy_port, "cross.test") == 503, "a backend refused by the missing grant gets 503")

    step("the matches and actions are in the table the proxy loads")
    text = open(table).read().replace('"', "")
    for needle in ("methods: [POST]", "name: X-Version", "X-A: 1", "replaceprefix: /x", "weight: 70", "weight: 30",
                   "scheme: https", "status: 301"):
        kbtest.check(needle in text, "%r not in the table:\n%s" % (needle, text))

    step("a ReferenceGrant lets the cross-namespace backend through")
    api.create("/apis/gateway.networking.k8s.io/v1beta1/namespaces/other/referencegrants", {
        "apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
        "metadata": {"name": "from-app", "namespace": "other"},
        "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "app"}],
                 "to": [{"group": "", "kind": "Service"}]}})
    wait_parent(api, "app", "cross", "ResolvedRefs", "True", "ResolvedRefs")
    kbtest.wait_for(lambda: backend_for(proxy_port, "cross.test") == "o1", timeout=20, what="cross.test -> other/web")

    step("a spec change moves observedGeneration; an unchanged status is not rewritten")
    api.merge_patch(G + "/namespaces/app/httproutes/wild", {"spec": {"hostnames": ["a.wild.test", "c.wild.test"]}})
    wait_parent(api, "app", "wild", "Accepted", "True", "Accepted")
    rv = api.get(G + "/namespaces/app/httproutes/shop")["metadata"]["resourceVersion"]
    time.sleep(2.5)  # two status rounds
    kbtest.check(api.get(G + "/namespaces/app/httproutes/shop")["metadata"]["resourceVersion"] == rv,
                 "the controller rewrote an unchanged HTTPRoute status")


if __name__ == "__main__":
    main()
