#!/usr/bin/env python3
"""The out-of-band parts wired by the app: active health checks take a failing member out and bring
it back; a balancer-manager edit applies at once and survives a table reload."""
import json
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import kbtest  # noqa: E402
from kbtest import check  # noqa: E402

HC = "hcmethod: GET\nhcuri: /healthz\nhcinterval: 200ms\nhcfails: 1\nhcpasses: 1\n"


def member(c, route):
    doc = json.loads(c.admin_get("/api/balancers").body)
    return [m for m in doc["balancers"][0]["members"] if m["route"] == route][0]


def backends_hit(c, n=12):
    return {c.get("/").text.split()[0] for _ in range(n)}


def test_health_check(c):
    kbtest.wait_for(lambda: all(member(c, r)["health_check"]["state"] == "passing" for r in ("r1", "r2", "r3")),
                    timeout=30, what="every member passing")
    kbtest.http_get(c.backend_ports[1], "/admin/fail")
    kbtest.wait_for(lambda: member(c, "r2")["health_check"]["state"] == "failing", timeout=30, what="r2 failing")
    m2 = member(c, "r2")
    check(m2["flags"]["hc_failed"] and not m2["usable"] and "C" in m2["status"], "r2 after failing: %s" % m2)
    hit = backends_hit(c)
    check("backend=b2" not in hit and hit, "a failed member still got requests: %s" % hit)
    r = c.get("/", [("Cookie", "JSESSIONID=x.r2")])
    check(r.status == 200 and "backend=b2" not in r.text, "sticky request to a failed member: %s" % r.text)
    kbtest.http_get(c.backend_ports[1], "/admin/ok")
    kbtest.wait_for(lambda: member(c, "r2")["health_check"]["state"] == "passing", timeout=30, what="r2 back")
    check(member(c, "r2")["usable"], "r2 usable again")
    check("health" in c.error_log(), "a health flip is logged:\n" + c.error_log())


def test_manager_edit_survives_reload(c):
    page = c.admin_get("/balancer-manager")
    check(page.status == 200, "manager page: %d" % page.status)
    nonce = re.search(r'name=nonce value="([^"]+)"', page.text)
    check(nonce, "no nonce on the manager page")
    url3 = "http://127.0.0.1:%d" % c.backend_ports[2]
    body = urllib.parse.urlencode({"b": "web", "w": url3, "nonce": nonce.group(1), "w_status_D": "1"}).encode()
    with kbtest.HttpClient(c.admin_port) as client:
        r = client.request("POST", "/balancer-manager",
                           [("Content-Type", "application/x-www-form-urlencoded"), ("Connection", "close")], body)
    check(r.status == 200, "edit: %d %s" % (r.status, r.text[:300]))
    check(member(c, "r3")["flags"]["disabled"], "edit not applied: %s" % member(c, "r3"))
    check("backend=b3" not in backends_hit(c), "a disabled member still got requests")
    # A different table: the edit is re-applied to the new snapshot.
    gen = json.loads(c.admin_get("/api/balancers").body)["generation"]
    kbtest.write_atomic(c.table_path, c.table(extra=HC + "maxattempts: 1\n"))
    kbtest.wait_for(lambda: json.loads(c.admin_get("/api/balancers").body)["generation"] > gen, timeout=20,
                    what="reload")
    check(member(c, "r3")["flags"]["disabled"], "edit lost on reload: %s" % member(c, "r3"))
    check("backend=b3" not in backends_hit(c), "a disabled member got requests after the reload")
    check("balancer-manager: edited member" in c.error_log(), "edit not logged")


def main():
    args = kbtest.binaries()
    with kbtest.Cluster(args, backends=3, extra_balancer=HC) as c:
        test_health_check(c)
        print("ok test_health_check")
        test_manager_edit_survives_reload(c)
        print("ok test_manager_edit_survives_reload")
    print("2 passed, 0 failed")


if __name__ == "__main__":
    main()
