#!/usr/bin/env python3
"""HTTP behaviour of kube-balancer-proxy against real demo backends: sticky routing, keep-alive
reuse of upstream connections, chunked bodies both ways, X-Forwarded-For, ProxyPassReverse and the
admin endpoints."""
import json
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import kbtest  # noqa: E402
from kbtest import check  # noqa: E402


def test_sticky_routing(c):
    # No cookie: the backend hands out JSESSIONID=<id>.<route>; with it, every request sticks.
    first = c.get("/")
    check(first.status == 200, "first request: %d %s" % (first.status, first.text))
    cookie = first.header("set-cookie")
    check(cookie and cookie.startswith("JSESSIONID="), "no JSESSIONID from backend: %s" % first.headers)
    session = cookie.split(";")[0]
    route = session.rsplit(".", 1)[1]
    for _ in range(12):
        r = c.get("/", [("Cookie", session)])
        check(r.status == 200 and ("route=%s " % route) in r.text, "cookie %s went to %s" % (session, r.text))
    # The URL parameter form (jsessionid) sticks too, to another route.
    for want in ("r1", "r2", "r3"):
        r = c.get("/app;jsessionid=abc.%s" % want)
        check("route=%s " % want in r.text, "url param %s went to %s" % (want, r.text))


def test_requests_spread_without_session(c):
    # Runs first: sticky hits count toward byrequests fairness (Apache), which would skew this.
    seen = set()
    for _ in range(12):
        r = c.get("/")
        check(r.status == 200, "status %d" % r.status)
        seen.add(r.text.split()[0])
    check(seen == {"backend=b1", "backend=b2", "backend=b3"}, "byrequests did not use every member: %s" % seen)


def test_keepalive_reuses_upstream_connections(c):
    # 60 requests on one client connection, pinned to one member: the member must see far fewer
    # new connections than requests (the proxy pools upstream connections).
    with kbtest.HttpClient(c.port) as client:
        before = None
        for i in range(60):
            r = client.request("GET", "/conn", [("Cookie", "JSESSIONID=x.r1")])
            check(r.status == 200 and "backend=b1" in r.text, "conn: %d %s" % (r.status, r.text))
            accepted = int(r.text.split()[1].split("=")[1])
            if before is None:
                before = accepted
        check(accepted - before <= 2, "60 keep-alive requests opened %d upstream connections" % (accepted - before))


def test_chunked_both_ways(c):
    payload = [os.urandom(1000 + i * 777) for i in range(20)]
    with kbtest.HttpClient(c.port) as client:
        for _ in range(2):  # twice on one connection: framing must stay in sync
            client.send_head("POST", "/echo", [("Transfer-Encoding", "chunked")])
            for p in payload:
                client.send_chunk(p)
            client.end_chunks()
            r = client.read_response()
            check(r.status == 200, "echo status %d" % r.status)
            check(r.body == b"".join(payload), "echo body differs (%d vs %d bytes)" % (len(r.body), sum(map(len, payload))))
            check("chunked" in r.header("transfer-encoding", "").lower(), "response not chunked: %s" % r.headers)
        r = client.request("POST", "/upload", body=b"z" * 100000)
        check(r.text.strip() == "received=100000", "upload: %s" % r.text)


def test_x_forwarded_for(c):
    # The client is not in --trusted-proxies (none by default): its own X-Forwarded-For is replaced,
    # so it cannot forge an address (kept and appended for trusted peers: test_tls.py).
    r = c.get("/headers", [("X-Forwarded-For", "203.0.113.9")])
    lines = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in r.text.splitlines() if ":" in l}
    check(lines.get("x-forwarded-for") == "127.0.0.1", "XFF: %r" % lines.get("x-forwarded-for"))
    r = c.get("/headers")
    lines = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in r.text.splitlines() if ":" in l}
    check(lines.get("x-forwarded-for") == "127.0.0.1", "XFF without one: %r" % lines.get("x-forwarded-for"))


def test_proxy_pass_reverse(c):
    r = c.get("/redirect", host="shop.example.test")
    check(r.status == 302, "redirect status %d" % r.status)
    check(r.header("location") == "http://shop.example.test/target", "Location not rewritten: %s" % r.header("location"))


def test_statuses_pass_through(c):
    for s in (200, 404, 418, 500, 503):
        r = c.get("/status/%d" % s, [("Cookie", "JSESSIONID=x.r3")])
        check(r.status == s, "status %d came back as %d" % (s, r.status))


def test_admin(c):
    check(c.admin_get("/healthz").status == 200, "healthz")
    check(c.admin_get("/readyz").status == 200, "readyz")
    c.get("/", [("Cookie", "JSESSIONID=x.r2")])
    r = c.admin_get("/api/balancers")
    check(r.status == 200 and r.header("content-type") == "application/json", "api: %d %s" % (r.status, r.headers))
    doc = json.loads(r.body)
    check(doc["generation"] >= 1 and doc["source"].endswith("table.yaml"), "table info: %s" % doc)
    (web,) = doc["balancers"]
    check(web["name"] == "web" and web["lbmethod"] == "byrequests", "balancer: %s" % web)
    check([m["route"] for m in web["members"]] == ["r1", "r2", "r3"], "members: %s" % web["members"])
    m2 = web["members"][1]
    check(m2["elected"] >= 1 and m2["sticky_hits"] >= 1 and m2["status"] == "Ok" and m2["usable"], "member r2: %s" % m2)
    one = json.loads(c.admin_get("/api/balancers/web").body)
    check(one["balancer"]["name"] == "web", "one balancer: %s" % one)
    check(c.admin_get("/api/balancers/nope").status == 404, "unknown balancer must 404")
    only = json.loads(c.admin_get("/api/balancers?name=web&name=other%2Fx%3A80").body)
    check([b["name"] for b in only["balancers"]] == ["web"], "?name= filter: %s" % only)
    none = json.loads(c.admin_get("/api/balancers?name=absent").body)
    check(none["balancers"] == [], "?name= of no balancer: %s" % none)
    check(c.admin_get("/api/balancers?name=%zz").status == 400, "a bad escape must be 400")
    check(c.admin_get("/nope").status == 404, "unknown admin path must 404")
    # The balancer-manager and /metrics are wired into the same listener.
    m = c.admin_get("/metrics")
    check(m.status == 200 and "kubebalancer_table_generation" in m.text, "metrics: %d %s" % (m.status, m.text[:300]))
    check(m.header("content-type", "").startswith("text/plain"), "metrics content type")
    bm = c.admin_get("/balancer-manager")
    check(bm.status == 200 and "web" in bm.text, "balancer-manager: %d %s" % (bm.status, bm.text[:300]))


def raw_exchange(port, request):
    """Sends raw request bytes; returns every byte the proxy sends until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data.decode("latin-1")
            data += chunk


def test_interim_responses(c):
    # A member's 103 Early Hints reaches an HTTP/1.1 client ahead of the final response...
    got = raw_exchange(c.port, b"GET /early-hints HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check(got.startswith("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 "),
          "103 then 200: %r" % got[:300])
    check(got.endswith("hinted\n"), "final body: %r" % got[-100:])
    # ...and never an HTTP/1.0 one (RFC 9110 15.2).
    got = raw_exchange(c.port, b"GET /early-hints HTTP/1.0\r\nHost: x\r\n\r\n")
    check(got.startswith("HTTP/1.1 200 ") and "103" not in got.split("\r\n")[0], "1.0 client: %r" % got[:300])


def main():
    args = kbtest.binaries()
    tests = [test_requests_spread_without_session, test_sticky_routing, test_keepalive_reuses_upstream_connections,
             test_chunked_both_ways, test_x_forwarded_for, test_proxy_pass_reverse, test_statuses_pass_through,
             test_interim_responses, test_admin]
    with kbtest.Cluster(args) as c:
        for t in tests:
            t(c)
            print("ok", t.__name__)
        # Every request above is in the access log with its balancer and member.
        log = c.access_log()
        check('"GET /conn" 200' in log and "balancer=web" in log, "access log:\n" + log[-2000:])
    print("%d passed, 0 failed" % len(tests))


if __name__ == "__main__":
    main()
