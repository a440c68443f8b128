#!/usr/bin/env python3
"""Route matches and actions on the wire (docs/table-format.md "Route"), through the real proxy and
kb-demo-backend members: each action is checked by what the member receives and what the client
gets. allow (403), redirect (Location + status, no member), maxbodysize (413 up front and while a
chunked body streams), rewrite (target and Host the member sees, query kept), request and response
header modifiers, the route's response timeout and maxattempts, method/header/query matching and
its precedence, weighted backends (split ratio, sticky sessions on their version, weight 0
included) and canary header/cookie rules."""
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import kbtest  # noqa: E402
from kbtest import check  # noqa: E402

SPLIT_REQUESTS = 1000


def stalled_server():
    """Accepts connections and never reads from them: the request's writes block."""
    held = []
    return kbtest.raw_server(held.append, rcvbuf=4096)


def table(c, dead, stalled):
    p = c.backend_ports
    url = lambda i: "http://127.0.0.1:%d" % p[i]  # noqa: E731
    return """\
balancers:
  - name: v1
    stickysession: JSESSIONID|jsessionid
    members:
      - {url: %(b1)s, route: r1}
      - {url: %(b2)s, route: r2}
  - name: v2
    stickysession: JSESSIONID|jsessionid
    members:
      - {url: %(b3)s, route: r3}
  - name: b4
    members:
      - {url: %(b4)s, route: r4}
  - name: fail0
    members:
      - {url: http://127.0.0.1:%(dead)d, route: d0}
      - {url: %(b4)s, route: l0}
  - name: stalled
    members:
      - {url: http://127.0.0.1:%(stalled)d, route: s1}
  - name: faildefault
    members:
      - {url: http://127.0.0.1:%(dead)d, route: d1}
      - {url: %(b4)s, route: l1}
routes:
  - {host: allow.test, balancer: v2, allow: [10.0.0.0/8]}
  - {host: allowed.test, balancer: v2, allow: "10.0.0.0/8, 127.0.0.0/8"}
  - {host: redirect.test, path: /old, redirect: {replaceprefix: /new, status: 301}}
  - {host: redirect.test, path: /secure, balancer: v2, redirect: {scheme: https}}
  - {host: redirect.test, path: /moved, redirect: {url: "https://example.org/landing", status: 308}}
  - {host: limit.test, balancer: v2, maxbodysize: 40000}
  - {host: rewrite.test, path: /api, balancer: v2, rewrite: {regex: "/api(/|$)(.*)", replacement: /$2}}
  - {host: rewrite.test, path: /v1, balancer: v2, rewrite: {replaceprefix: /v2}}
  - {host: rewrite.test, path: /h, balancer: v2, rewrite: {replacefull: /headers, hostname: internal.example}}
  - host: headers.test
    path: /headers
    balancer: v2
    requestheaders: {set: {X-Set: one}, add: {X-Add: two}, remove: [X-Drop]}
    responseheaders: {set: {X-Frame-Options: DENY}, add: {X-Route: headers}, remove: [X-Backend]}
  - {host: timeout.test, path: /slow, balancer: v2, timeout: 300ms}
  - {host: sendtimeout.test, balancer: stalled, sendtimeout: 300ms, timeout: 20s}
  - {host: attempts.test, path: /zero, balancer: fail0, maxattempts: 0}
  - {host: attempts.test, path: /default, balancer: faildefault}
  - {host: match.test, balancer: v1}
  - {host: match.test, balancer: v2, methods: [POST]}
  - {host: match.test, balancer: b4, headers: [{name: X-Version, value: "2"}]}
  - {host: match.test, balancer: v2, headers: [{name: X-Version, value: "2"}, {name: X-Tier, value: "^gold|silver$", type: RegularExpression}]}
  - {host: match.test, balancer: b4, queryparams: [{name: beta, value: "1"}]}
  - {host: match.test, path: /exact, pathtype: Exact, balancer: b4}
  - {host: split.test, backends: [{balancer: v1, weight: 80}, {balancer: v2, weight: 20}]}
  - {host: zero.test, backends: [{balancer: v1, weight: 1}, {balancer: v2, weight: 0}]}
  - host: canary.test
    backends: [{balancer: v1, weight: 1}, {balancer: v2, weight: 0}]
    canary: {balancer: v2, header: X-Canary, cookie: canary}
  - host: canary-value.test
    backends: [{balancer: v1, weight: 0}, {balancer: v2, weight: 1}]
    canary: {balancer: v2, header: X-Canary, headervalue: "yes"}
""" % {"b1": url(0), "b2": url(1), "b3": url(2), "b4": url(3), "dead": dead,
       "stalled": stalled.getsockname()[1]}


def backend(r):
    check(r.status == 200, "status %d: %s" % (r.status, r.text))
    return r.text.split()[0].split("=")[1]


def member_headers(r):
    """The /headers page of the demo backend: {lower-case name: [values]}."""
    out = {}
    for line in r.text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out.setdefault(k.strip().lower(), []).append(v.strip())
    return out


def test_allow(c):
    r = c.get("/", host="allow.test")
    check(r.status == 403 and "allow" in r.text, "outside the allow list: %d %s" % (r.status, r.text))
    check(r.header("x-backend") is None, "a 403 must not come from a member: %s" % r.headers)
    check(backend(c.get("/", host="allowed.test")) == "b3", "inside the allow list")


def test_redirect(c):
    r = c.get("/old/a/b?q=1", host="redirect.test")
    check(r.status == 301, "replaceprefix status %d" % r.status)
    check(r.header("location") == "http://redirect.test/new/a/b?q=1", "Location %s" % r.header("location"))
    check(r.header("x-backend") is None and r.body == b"", "a redirect is answered by the proxy: %s" % r.headers)
    r = c.get("/old", host="Redirect.Test:8080")
    check(r.header("location") == "http://redirect.test:8080/new", "port of the Host kept: %s" % r.header("location"))
    r = c.get("/secure/x?y=2", host="redirect.test")
    check(r.status == 302 and r.header("location") == "https://redirect.test/secure/x?y=2",
          "scheme redirect (the balancer is not used): %d %s" % (r.status, r.header("location")))
    with kbtest.HttpClient(c.port) as client:  # kept alive: the next request on it is served
        r = client.request("GET", "/moved/anything", host="redirect.test")
        check(r.status == 308 and r.header("location") == "https://example.org/landing", "url redirect %s" % r.headers)
        check(backend(client.request("GET", "/", host="allowed.test")) == "b3", "keep-alive after a redirect")


def test_body_limit(c):
    with kbtest.HttpClient(c.port) as client:
        r = client.request("POST", "/upload", body=b"x" * 40000, host="limit.test")
        check(r.status == 200 and r.text.strip() == "received=40000", "at the limit: %d %s" % (r.status, r.text))
    r = kbtest.HttpClient(c.port).request("POST", "/upload", body=b"x" * 40001, host="limit.test")
    check(r.status == 413 and "maxbodysize" in r.text, "declared length over the limit: %d %s" % (r.status, r.text))
    check(r.header("x-backend") is None, "413 up front comes from the proxy")
    # Chunked, over the limit within the first relay chunk: refused before the member sees it.
    r = post_chunked(c.port, [b"y" * 10000] * 5)
    check(r.status == 413, "chunked over the limit: %d %s" % (r.status, r.text))
    # Chunked and streamed: the limit is passed after the head went out.
    r = post_chunked(c.port, [b"z" * 8000] * 20)
    check(r.status == 413, "streamed chunked body over the limit: %d %s" % (r.status, r.text))
    r = post_chunked(c.port, [b"w" * 9000] * 4)
    check(r.status == 200 and r.text.strip() == "received=36000", "chunked under the limit: %s" % r.text)


def post_chunked(port, chunks):
    with kbtest.HttpClient(port) as client:
        client.send_head("POST", "/upload", [("Transfer-Encoding", "chunked")], host="limit.test")
        try:
            for chunk in chunks:
                client.send_chunk(chunk)
            client.end_chunks()
        except OSError:
            pass  # the proxy may answer 413 and close while we still send
        return client.read_response()


def test_rewrite(c):
    r = c.get("/api/users/7?x=1", host="rewrite.test")
    check("path=/users/7?x=1" in r.text, "regex rewrite with capture, query kept: %s" % r.text)
    r = c.get("/api", host="rewrite.test")
    check(r.text.split()[2] == "path=/", "regex rewrite of the bare prefix: %s" % r.text)
    r = c.get("/api/MixedCase", host="rewrite.test")
    check(r.text.split()[2] == "path=/MixedCase", "captures keep their case: %s" % r.text)
    r = c.get("/v1/items?page=2", host="rewrite.test")
    check(r.text.split()[2] == "path=/v2/items?page=2", "replaceprefix: %s" % r.text)
    r = c.get("/h/anything", host="rewrite.test")
    seen = member_headers(r)
    check(seen.get("host") == ["internal.example"], "rewrite hostname: the member's Host %s" % seen.get("host"))
    check(seen.get("x-forwarded-host") == ["rewrite.test"], "X-Forwarded-Host stays the client's: %s" % seen)


def test_header_modifiers(c):
    r = c.get("/headers", [("X-Set", "client"), ("X-Add", "client"), ("X-Drop", "secret"), ("X-Keep", "k")],
              host="headers.test")
    seen = member_headers(r)
    check(seen.get("x-set") == ["one"], "set replaces the client's value: %s" % seen.get("x-set"))
    check(seen.get("x-add") == ["client", "two"], "add appends: %s" % seen.get("x-add"))
    check("x-drop" not in seen, "remove deletes: %s" % seen)
    check(seen.get("x-keep") == ["k"], "other headers pass: %s" % seen)
    check(r.header("x-frame-options") == "DENY" and r.header("x-route") == "headers", "response set/add: %s" % r.headers)
    check(r.header("x-backend") is None, "response remove: %s" % r.headers)
    r = c.get("/headers", host="allowed.test")
    check(r.header("x-backend") == "b3" and r.header("x-route") is None, "other routes untouched: %s" % r.headers)


def test_timeout_and_attempts(c):
    r = c.get("/slow?ms=3000", host="timeout.test")
    check(r.status == 504, "the route's timeout (300ms) before the member's 3 s answer: %d" % r.status)
    r = c.get("/zero", host="attempts.test")
    check(r.status == 503, "maxattempts 0: no failover from the dead member: %d %s" % (r.status, r.text))
    r = c.get("/default", host="attempts.test")
    check(r.status == 200 and "backend=b4" in r.text, "the balancer's maxattempts fails over: %d %s" % (r.status, r.text))


def test_send_timeout(c):
    # The member never reads: once the socket buffers are full, a write of the body waits longer
    # than the route's sendtimeout (300ms; its response timeout is 20 s) and the proxy answers 504.
    size = 256 * 1024 * 1024
    with kbtest.HttpClient(c.port, timeout=20) as client:
        client.send_head("POST", "/upload", [("Content-Length", str(size))], host="sendtimeout.test")

        def feed():
            block = b"s" * (1024 * 1024)
            try:
                for _ in range(size // len(block)):
                    client.sock.sendall(block)
            except OSError:
                pass  # the proxy answered and closed

        sender = threading.Thread(target=feed, daemon=True)
        sender.start()
        r = client.read_response()
        check(r.status == 504 and "take the request" in r.text, "send timeout: %d %s" % (r.status, r.text))


def test_matching(c):
    check(backend(c.get("/", host="match.test")) in ("b1", "b2"), "plain GET: the route without matches")
    with kbtest.HttpClient(c.port) as client:
        check(backend(client.request("POST", "/", body=b"", host="match.test")) == "b3", "methods: POST")
        check(backend(client.request("GET", "/", [("X-Version", "2")], host="match.test")) == "b4", "one header")
        check(backend(client.request("GET", "/", [("x-version", "2"), ("X-Tier", "gold")], host="match.test")) == "b3",
              "two headers (one a regex) beat one")
        check(backend(client.request("GET", "/", [("X-Version", "2"), ("X-Tier", "bronze")], host="match.test")) == "b4",
              "a failing regex falls back to the one-header route")
        check(backend(client.request("POST", "/", [("X-Version", "2")], body=b"", host="match.test")) == "b3",
              "methods beat headers")
        check(backend(client.request("GET", "/a?beta=1&x=2", host="match.test")) == "b4", "query parameter")
        check(backend(client.request("GET", "/a?beta=2", host="match.test")) in ("b1", "b2"), "query value differs")
        check(backend(client.request("POST", "/exact", body=b"", host="match.test")) == "b4",
              "a longer path beats a shorter one with methods")


def count_versions(port, host, n, headers=()):
    counts = {}
    with kbtest.HttpClient(port) as client:
        for _ in range(n):
            b = backend(client.request("GET", "/", list(headers), host=host))
            counts[b] = counts.get(b, 0) + 1
    return counts


def test_weighted_split(c):
    counts = count_versions(c.port, "split.test", SPLIT_REQUESTS, [("Cookie", "other=1")])
    v2 = counts.get("b3", 0) / SPLIT_REQUESTS
    print("   80/20 split over %d requests: v2 got %.1f %% (%s)" % (SPLIT_REQUESTS, 100 * v2, counts))
    check(0.16 <= v2 <= 0.24, "v2 share %.3f not near 0.20: %s" % (v2, counts))
    # A new session lands on a version; its cookie keeps it there for every later request.
    for _ in range(10):
        first = c.get("/", host="split.test")
        session = first.header("set-cookie").split(";")[0]
        version = backend(first)
        for _ in range(10):
            again = backend(c.get("/", [("Cookie", session)], host="split.test"))
            check(again == version, "session %s moved from %s to %s" % (session, version, again))


def test_weight_zero(c):
    counts = count_versions(c.port, "zero.test", 50)
    check(set(counts) <= {"b1", "b2"}, "weight 0 gets no new sessions: %s" % counts)
    counts = count_versions(c.port, "zero.test", 20, [("Cookie", "JSESSIONID=abc.r3")])
    check(counts == {"b3": 20}, "an existing session stays on its weight-0 version: %s" % counts)
    counts = count_versions(c.port, "zero.test", 20, [("Cookie", "JSESSIONID=abc.r2")])
    check(counts == {"b2": 20}, "and on its member: %s" % counts)


def test_canary(c):
    check(set(count_versions(c.port, "canary.test", 10)) <= {"b1", "b2"}, "no canary signal: the weights (v1)")
    check(count_versions(c.port, "canary.test", 10, [("X-Canary", "always")]) == {"b3": 10}, "header always")
    check(set(count_versions(c.port, "canary.test", 10, [("X-Canary", "never"), ("Cookie", "canary=always")]))
          <= {"b1", "b2"}, "header never beats the cookie")
    check(count_versions(c.port, "canary.test", 10, [("Cookie", "a=1; canary=always")]) == {"b3": 10}, "cookie always")
    check(set(count_versions(c.port, "canary.test", 10, [("Cookie", "canary=never; JSESSIONID=x.r3")])) <= {"b1", "b2"},
          "cookie never beats a session on the canary")
    check(count_versions(c.port, "canary.test", 10, [("X-Canary", "maybe"), ("Cookie", "JSESSIONID=x.r3")]) == {"b3": 10},
          "an unknown header value falls through to the session")
    check(count_versions(c.port, "canary-value.test", 10, [("X-Canary", "yes")]) == {"b3": 10}, "headervalue equal")
    check(count_versions(c.port, "canary-value.test", 10, [("X-Canary", "always")]) == {"b3": 10},
          "with headervalue, 'always' is just another value: the weights (v2 weight 1)")


def main():
    args = kbtest.binaries()
    dead = kbtest.closed_port()
    stalled = stalled_server()
    with kbtest.Cluster(args, backends=4, table=lambda c: table(c, dead, stalled)) as c:
        for name, fn in sorted((k, v) for k, v in globals().items() if k.startswith("test_")):
            print("--", name, flush=True)
            try:
                fn(c)
            except BaseException:
                print(c.error_log()[-3000:])
                raise
    print("PASS")


if __name__ == "__main__":
    main()
