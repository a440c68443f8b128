#!/usr/bin/env python3
"""An ingress-nginx user's Ingresses, unchanged, through kube-balancer (issue 13, point 5): the test
API server, the real controller and proxy, and kb-demo-backend pods on loopback.

The manifests are written as ingress-nginx users write them (its docs' affinity, canary and
rewrite examples in spirit): cookie affinity with session-cookie-name/path/max-age, affinity-mode
and load-balance; a canary Ingress with canary-weight, -by-header and -by-cookie beside its main
Ingress; rewrite-target with capture groups and use-regex; app-root; permanent-redirect;
whitelist-source-range; proxy-body-size; one unsupported and one invalid annotation. Checked on the
wire: the cookie's name and attributes, requests staying on their pod and failing over when it
dies, the canary split over 1,000 requests with sessions staying on their version, what the member
sees after a rewrite, redirects, 403, 413, exactly one Warning Event per bad annotation, and
--also-serve-ingress-class nginx off (the Ingresses are left alone) and on."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controller_support as cs  # noqa: E402
from controller_support import kbtest  # noqa: E402
from kbtest import check  # noqa: E402

EMPTY_TABLE = "balancers: []\nroutes: []\n"
INGRESSES = "/apis/networking.k8s.io/v1/namespaces/default/ingresses"
NGINX = "nginx.ingress.kubernetes.io/"
CANARY_REQUESTS = 1000


def step(message):
    print("--", message, flush=True)


def main():
    cs.main(run, ("controller-off.err", "controller-on.err", "proxy.err", "apiserver-0.err"))


def nginx_ingress(name, host, service, annotations, path="/", path_type="Prefix", legacy_class=False):
    meta = {"name": name, "namespace": "default",
            "annotations": {(k if "/" in k else NGINX + k): v for k, v in annotations.items()}}
    spec = {"rules": [{"host": host, "http": {"paths": [
        {"path": path, "pathType": path_type,
         "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]}
    if legacy_class:
        meta["annotations"]["kubernetes.io/ingress.class"] = "nginx"
    else:
        spec["ingressClassName"] = "nginx"
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def manifests():
    return [
        nginx_ingress("sticky", "sticky.test", "sticky", {
            "affinity": "cookie", "affinity-mode": "persistent", "session-cookie-name": "SERVERID",
            "session-cookie-path": "/", "session-cookie-max-age": "3600", "load-balance": "ewma",
            "configuration-snippet": "more_set_headers \"X-Snippet: yes\";"}),
        nginx_ingress("shop", "shop.test", "shop", {"affinity": "cookie"}),
        nginx_ingress("shop-canary", "shop.test", "shop-canary", {
            "affinity": "cookie", "canary": "true", "canary-weight": "20",
            "canary-by-header": "X-Canary", "canary-by-cookie": "canary_cookie"}),
        nginx_ingress("rewrite", "rewrite.test", "api", {"use-regex": "true", "rewrite-target": "/$2",
                                                         "load-balance": "least_conn"},
                      path="/something(/|$)(.*)", path_type="ImplementationSpecific"),
        nginx_ingress("approot", "approot.test", "api", {"app-root": "/app1"}),
        nginx_ingress("moved", "moved.test", "api", {"permanent-redirect": "https://www.example.org/landing"},
                      legacy_class=True),
        nginx_ingress("private", "private.test", "api", {"whitelist-source-range": "10.0.0.0/8, 192.168.0.0/16"}),
        nginx_ingress("office", "office.test", "api", {"whitelist-source-range": "127.0.0.1/32"}),
        nginx_ingress("upload", "upload.test", "api", {"proxy-body-size": "1k"}),
    ]


def pods():
    """Service -> [(pod, backend process)]; pods of different Services may share a process."""
    return {"sticky": [("sticky-1", "b1"), ("sticky-2", "b2")],
            "shop": [("shop-1", "b1"), ("shop-2", "b2")],
            "shop-canary": [("shop-canary-1", "b3")],
            "api": [("api-1", "b4")]}


def request(port, host, target="/", headers=(), method="GET", body=None):
    with kbtest.HttpClient(port, timeout=10) as c:
        return c.request(method, target, list(headers) + [("Connection", "close")], body=body, host=host)


def start_controller(procs, args, api_server, table, admin_port, name, also=None):
    argv = [args.controller, "--kubeconfig", api_server.kubeconfig, "--table-out", table,
            "--proxy-admin", "http://127.0.0.1:%d" % admin_port, "--publish-address", "127.0.0.1",
            "--lease-namespace", "default", "--identity", name, "--status-interval", "1s"]
    if also:
        argv += ["--also-serve-ingress-class", also]
    return procs.start(argv, name)[0]


def events(api, name, reason=None):
    items = api.get("/api/v1/namespaces/default/events").get("items") or []
    return [e for e in items if e.get("involvedObject", {}).get("name") == name and
            (reason is None or e.get("reason") == reason)]


def run(procs, args):
    api_server = cs.ApiServer(procs, procs.path("apiserver"))
    api_server.start()
    api = api_server.client()
    api.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", cs.BC_CRD)
    ports = {name: procs.start_backend(args.backend, name, "r" + name[1:]) for name in ("b1", "b2", "b3", "b4")}
    api.create("/apis/networking.k8s.io/v1/ingressclasses", cs.ingress_class())
    for svc, members in pods().items():
        api.create("/api/v1/namespaces/default/services", cs.service(svc))
        for pod, backend in members:
            api.create(cs.SLICES, cs.endpoint_slice(pod, svc, ports[backend], pod))
    for ing in manifests():
        api.create(INGRESSES, ing)
    # One Ingress of our own class, to know when the controller has published.
    api.create(INGRESSES, {**cs.ingress("ours", "unused"), "spec": {
        "ingressClassName": "kube-balancer", "rules": [{"host": "ours.test", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "api", "port": {"number": 80}}}}]}}]}})

    table = procs.path("table.yaml")
    kbtest.write_atomic(table, EMPTY_TABLE)
    _, proxy_port, admin_port = procs.start_proxy(args.proxy, table)

    step("--also-serve-ingress-class off (the default): ingress-nginx's Ingresses are left alone")
    off = start_controller(procs, args, api_server, table, admin_port, "controller-off")
    kbtest.wait_for(lambda: request(proxy_port, "ours.test").status == 200, timeout=30, what="our Ingress served")
    time.sleep(1.5)  # a status round: nothing may be written to the nginx Ingresses
    for host in ("sticky.test", "shop.test", "rewrite.test", "moved.test"):
        r = request(proxy_port, host, "/something/x")
        check(r.status == 404, "%s served with the switch off: %d %s" % (host, r.status, r.text))
    for ing in manifests():
        name = ing["metadata"]["name"]
        check(events(api, name) == [], "events on %s with the switch off: %s" % (name, events(api, name)))
        got = api.get(INGRESSES + "/" + name)
        check(not (got.get("status") or {}).get("loadBalancer", {}).get("ingress"), "status written on %s" % name)
    check(procs.stop(off) == 0, "the controller did not exit cleanly")

    step("--also-serve-ingress-class nginx: the same Ingresses are served, unchanged")
    start_controller(procs, args, api_server, table, admin_port, "controller-on", also="nginx")
    kbtest.wait_for(lambda: request(proxy_port, "sticky.test").status == 200, timeout=30, what="nginx Ingresses served")
    kbtest.wait_for(lambda: request(proxy_port, "moved.test").status == 301, timeout=10,
                    what="the legacy kubernetes.io/ingress.class annotation served too")

    check_affinity(api, proxy_port, admin_port)
    check_canary(proxy_port)
    check_routing_actions(proxy_port)
    check_events(api)
    check_failover(procs, proxy_port)


def session_of(resp, name):
    for v in resp.header_all("set-cookie"):
        if v.startswith(name + "="):
            return v
    return None


def check_affinity(api, proxy_port, admin_port):
    step("affinity cookie: name and attributes on the wire, requests stay on their pod")
    first = request(proxy_port, "sticky.test")
    cookie = session_of(first, "SERVERID")
    check(cookie is not None, "no SERVERID cookie: %s" % first.headers)
    parts = [p.strip() for p in cookie.split(";")]
    check(parts[0] in ("SERVERID=.sticky-1", "SERVERID=.sticky-2"), "cookie value names the pod: %s" % cookie)
    check(set(parts[1:]) == {"Path=/", "HttpOnly", "Max-Age=3600"}, "cookie attributes: %s" % cookie)
    pod_backend = {"sticky-1": "b1", "sticky-2": "b2"}[parts[0].split(".", 1)[1]]
    for _ in range(20):
        r = request(proxy_port, "sticky.test", headers=[("Cookie", parts[0])])
        check(cs.backend_of(r.text) == pod_backend, "session %s left its pod: %s" % (parts[0], r.text))
        check(session_of(r, "SERVERID") is None, "the cookie is re-issued while the session holds: %s" % r.headers)
    doc = cs.admin_get(admin_port, "/api/balancers")
    bal = next((b for b in doc["balancers"] if b["name"].startswith("default/sticky:")), None)
    check(bal is not None and bal["lbmethod"] == "bybusyness", "load-balance: ewma -> bybusyness: %s" % bal)


def check_canary(proxy_port):
    step("canary: weight 20 over %d new sessions, sessions stay on their version, header and cookie" % CANARY_REQUESTS)
    counts = {}
    with kbtest.HttpClient(proxy_port, timeout=10) as c:
        for _ in range(CANARY_REQUESTS):
            b = cs.backend_of(c.request("GET", "/", host="shop.test").text)
            counts[b] = counts.get(b, 0) + 1
    share = counts.get("b3", 0) / CANARY_REQUESTS
    print("   canary share %.1f %% (%s)" % (100 * share, counts))
    check(0.16 <= share <= 0.24, "canary share %.3f not within a few percent of 0.20: %s" % (share, counts))
    for _ in range(25):
        first = request(proxy_port, "shop.test")
        cookie = session_of(first, "INGRESSCOOKIE")
        check(cookie is not None, "no INGRESSCOOKIE from %s: %s" % (cs.backend_of(first.text), first.headers))
        session = cookie.split(";")[0]
        backend = cs.backend_of(first.text)
        for _ in range(8):
            again = cs.backend_of(request(proxy_port, "shop.test", headers=[("Cookie", session)]).text)
            check(again == backend, "session %s moved from %s to %s" % (session, backend, again))
    # A session started on the canary (by its header) stays there on its cookie alone, though the
    # weights would send 80 % of new sessions to the main version.
    forced = request(proxy_port, "shop.test", headers=[("X-Canary", "always")])
    session = (session_of(forced, "INGRESSCOOKIE") or "").split(";")[0]
    check(session == "INGRESSCOOKIE=.shop-canary-1", "canary session cookie: %s" % forced.headers)
    check(all(cs.backend_of(request(proxy_port, "shop.test", headers=[("Cookie", session)]).text) == "b3"
              for _ in range(20)), "a canary session stays on the canary")
    check(all(cs.backend_of(request(proxy_port, "shop.test", headers=[("X-Canary", "always")]).text) == "b3"
              for _ in range(10)), "canary-by-header always")
    check(all(cs.backend_of(request(proxy_port, "shop.test", headers=[("X-Canary", "never")]).text) in ("b1", "b2")
              for _ in range(10)), "canary-by-header never")
    check(all(cs.backend_of(request(proxy_port, "shop.test", headers=[("Cookie", "canary_cookie=always")]).text) == "b3"
              for _ in range(10)), "canary-by-cookie always")


def check_routing_actions(proxy_port):
    step("rewrite-target with capture groups, app-root, permanent-redirect, allowlist, body size")
    r = request(proxy_port, "rewrite.test", "/something/new/path?x=1")
    check(r.status == 200 and "path=/new/path?x=1" in r.text, "rewrite seen by the member: %s" % r.text)
    r = request(proxy_port, "rewrite.test", "/something")
    check(r.text.split()[2] == "path=/", "rewrite of the bare prefix: %s" % r.text)
    r = request(proxy_port, "approot.test", "/")
    check(r.status == 302 and r.header("location") == "http://approot.test/app1", "app-root: %d %s" % (r.status, r.headers))
    r = request(proxy_port, "approot.test", "/app1/page")
    check(r.status == 200 and "path=/app1/page" in r.text, "below app-root is served: %s" % r.text)
    r = request(proxy_port, "moved.test", "/anything?q=1")
    check(r.status == 301 and r.header("location") == "https://www.example.org/landing",
          "permanent-redirect: %d %s" % (r.status, r.headers))
    r = request(proxy_port, "private.test")
    check(r.status == 403, "whitelist-source-range refuses 127.0.0.1: %d %s" % (r.status, r.text))
    check(request(proxy_port, "office.test").status == 200, "whitelist-source-range admits 127.0.0.1")
    r = request(proxy_port, "upload.test", "/upload", method="POST", body=b"x" * 2048)
    check(r.status == 413, "proxy-body-size 1k: %d %s" % (r.status, r.text))
    r = request(proxy_port, "upload.test", "/upload", method="POST", body=b"x" * 1000)
    check(r.status == 200 and r.text.strip() == "received=1000", "under proxy-body-size: %s" % r.text)


def check_events(api):
    step("exactly one Warning Event per unsupported annotation and per invalid value")

    def one(name, reason, needle):
        found = [e for e in events(api, name, reason) if needle in e.get("message", "")]
        return found if found else None

    unsupported = kbtest.wait_for(lambda: one("sticky", "UnsupportedAnnotation", NGINX + "configuration-snippet"),
                                  timeout=20, what="the UnsupportedAnnotation Event")
    invalid = kbtest.wait_for(lambda: one("rewrite", "InvalidAnnotation", "least_conn"), timeout=20,
                              what="the InvalidAnnotation Event")
    time.sleep(2)  # more reconciles (status rounds): no second Event, no repeat count
    for name, reason, found in (("sticky", "UnsupportedAnnotation", unsupported), ("rewrite", "InvalidAnnotation", invalid)):
        now = events(api, name)
        check(len(now) == 1 and now[0].get("type") == "Warning" and now[0].get("reason") == reason,
              "events on %s: %s" % (name, now))
        check(now[0].get("count", 1) == 1, "the Event was repeated: %s" % now[0])
    for ing in ("shop", "shop-canary", "approot", "moved", "private", "office", "upload"):
        check(events(api, ing) == [], "events on %s: %s" % (ing, events(api, ing)))


def check_failover(procs, proxy_port):
    step("the session's pod dies: the request fails over and the cookie moves to the new pod")
    r = request(proxy_port, "sticky.test", headers=[("Cookie", "SERVERID=.sticky-1")])
    check(cs.backend_of(r.text) == "b1", "on sticky-1 before: %s" % r.text)
    b1 = next(p for p in procs.procs if p.kb_name == "b1")
    b1.kill()
    b1.wait(timeout=10)
    r = request(proxy_port, "sticky.test", headers=[("Cookie", "SERVERID=.sticky-1")])
    check(r.status == 200 and cs.backend_of(r.text) == "b2", "failover to sticky-2: %d %s" % (r.status, r.text))
    cookie = session_of(r, "SERVERID")
    check(cookie is not None and cookie.startswith("SERVERID=.sticky-2;"), "cookie re-issued for sticky-2: %s" % r.headers)
    for _ in range(5):
        r = request(proxy_port, "sticky.test", headers=[("Cookie", "SERVERID=.sticky-2")])
        check(cs.backend_of(r.text) == "b2", "stays on sticky-2: %s" % r.text)


if __name__ == "__main__":
    main()
