#!/usr/bin/env python3
"""balancer-manager access and edits, and /metrics, against the real proxy:
- a client bound to 127.0.0.2 is refused when only 127.0.0.1/32 may use the manager;
- a bearer token, when configured, is required;
- an edit without a nonce or with a stale one is refused and changes nothing;
- /metrics passes promtool and moves as requests flow."""
import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import kbtest  # noqa: E402
from kbtest import check  # noqa: E402


def request_from(source_ip, port, method, target, body=b"", headers=()):
    """One HTTP/1.1 request on a socket bound to `source_ip` (loopback: 127.0.0.0/8 all reach us)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(30)
    try:
        s.bind((source_ip, 0))
        s.connect(("127.0.0.1", port))
        head = "%s %s HTTP/1.1\r\nHost: admin.test\r\nConnection: close\r\nContent-Length: %d\r\n" % (
            method, target, len(body))
        for k, v in headers:
            head += "%s: %s\r\n" % (k, v)
        s.sendall(head.encode() + b"\r\n" + body)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1].decode("utf-8", "replace")


def members(c):
    doc = json.loads(c.admin_get("/api/balancers").body)
    return {m["route"]: m for m in doc["balancers"][0]["members"]}


def nonce_of(c):
    doc = json.loads(c.admin_get("/balancer-manager?json=1").body)
    return doc["nonces"]["web"]


def post_edit(c, fields, source_ip="127.0.0.1", headers=()):
    body = urllib.parse.urlencode(fields).encode()
    return request_from(source_ip, c.admin_port, "POST", "/balancer-manager", body,
                        [("Content-Type", "application/x-www-form-urlencoded")] + list(headers))


def test_allowlist(c):
    status, body = request_from("127.0.0.2", c.admin_port, "GET", "/balancer-manager")
    check(status == 403, "127.0.0.2 outside 127.0.0.1/32 must get 403, got %d %s" % (status, body))
    status, _ = request_from("127.0.0.1", c.admin_port, "GET", "/balancer-manager")
    check(status == 200, "127.0.0.1 must get the page, got %d" % status)
    # An edit from the refused address changes nothing, even with the right nonce.
    status, _ = post_edit(c, {"b": "web", "w": c.member_url(0), "nonce": nonce_of(c), "w_status_D": "1"}, "127.0.0.2")
    check(status == 403, "edit from 127.0.0.2: %d" % status)
    check(not members(c)["r1"]["flags"]["disabled"], "refused edit changed the member")
    # Health, readiness and metrics stay open to probes and Prometheus.
    for path in ("/healthz", "/metrics"):
        status, _ = request_from("127.0.0.2", c.admin_port, "GET", path)
        check(status == 200, "%s from 127.0.0.2: %d" % (path, status))


def test_nonce(c):
    before = members(c)["r2"]
    url = c.member_url(1)
    for fields in ({"b": "web", "w": url, "w_status_D": "1", "w_lf": "7"},
                   {"b": "web", "w": url, "nonce": "stale", "w_status_D": "1", "w_lf": "7"}):
        status, body = post_edit(c, fields)
        check(status == 403, "edit %s must get 403, got %d %s" % (fields, status, body))
    after = members(c)["r2"]
    check(after["flags"] == before["flags"] and after["loadfactor"] == before["loadfactor"],
          "a refused edit changed the member: %s -> %s" % (before, after))
    status, _ = request_from("127.0.0.1", c.admin_port, "GET",
                             "/balancer-manager?b=web&w=%s&nonce=%s&w_status_D=1" % (urllib.parse.quote(url), nonce_of(c)))
    check(status == 200 and not members(c)["r2"]["flags"]["disabled"], "a GET must never edit")
    status, _ = post_edit(c, {"b": "web", "w": url, "nonce": nonce_of(c), "w_status_D": "1", "w_lf": "7"})
    check(status == 200, "edit with the nonce: %d" % status)
    m = members(c)["r2"]
    check(m["flags"]["disabled"] and m["loadfactor"] == 7, "accepted edit not applied: %s" % m)
    hit = {c.get("/").text.split()[0] for _ in range(12)}
    check("backend=b2" not in hit, "a disabled member still gets new requests: %s" % hit)


def sample(text, series):
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return None


def test_metrics(c, promtool):
    before = c.admin_get("/metrics").text
    for _ in range(10):
        check(c.get("/").status == 200, "request through the proxy")
    c.get("/status/503")
    after = c.admin_get("/metrics").text
    series = 'kubebalancer_member_responses_total{balancer="web",code="2xx",member="%s"}'
    moved = sum((sample(after, series % c.member_url(i)) or 0) - (sample(before, series % c.member_url(i)) or 0)
                for i in range(3))
    check(moved >= 10, "2xx responses should have grown by at least 10, grew by %s" % moved)
    fives = sum(sample(after, 'kubebalancer_member_responses_total{balancer="web",code="5xx",member="%s"}'
                       % c.member_url(i)) or 0 for i in range(3))
    check(fives >= 1, "the 503 of a member is counted in 5xx")
    check(sample(after, 'kubebalancer_table_reloads_total{result="success"}') >= 1, "first table load counted")
    check("kubebalancer_member_upstream_response_seconds_bucket" in after, "latency histogram exported")
    if promtool:
        p = subprocess.run([promtool, "check", "metrics"], input=after, capture_output=True, text=True)
        check(p.returncode == 0, "promtool check metrics failed:\n%s%s" % (p.stdout, p.stderr))
        print("promtool check metrics: ok")
    else:
        print("promtool not installed: exposition format not checked here (manager.metrics_pass_promtool covers it)")


def test_token(args):
    with kbtest.Procs() as procs:
        token = procs.path("token")
        with open(token, "w") as f:
            f.write("s3cret\n")
        port = procs.start_backend(args.backend, "b1", "r1")
        table = procs.path("table.yaml")
        kbtest.write_atomic(table, kbtest.backend_table(
            [{"name": "web", "members": [("http://127.0.0.1:%d" % port, "r1")], "extra": ""}],
            [{"path": "/", "balancer": "web"}]))
        _, _, admin = procs.start_proxy(args.proxy, table, extra=["--manager-token-file", token])
        status, _ = request_from("127.0.0.1", admin, "GET", "/balancer-manager")
        check(status == 401, "no token: %d" % status)
        status, _ = request_from("127.0.0.1", admin, "GET", "/balancer-manager", headers=[("Authorization", "Bearer nope")])
        check(status == 401, "wrong token: %d" % status)
        status, _ = request_from("127.0.0.1", admin, "GET", "/balancer-manager", headers=[("Authorization", "Bearer s3cret")])
        check(status == 200, "right token: %d" % status)


def main():
    args = kbtest.binaries()
    promtool = shutil.which("promtool")
    with kbtest.Cluster(args, proxy_args=["--manager-allow", "127.0.0.1/32"]) as c:
        c.member_url = lambda i: "http://127.0.0.1:%d" % c.backend_ports[i]
        test_allowlist(c)
        test_nonce(c)
        test_metrics(c, promtool)
    test_token(args)
    print("manager access, edits and metrics: ok")


if __name__ == "__main__":
    main()
