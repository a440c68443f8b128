#!/usr/bin/env python3
"""Table reloads: rewriting the table many times under keep-alive load fails no request; a bad
table is rejected with file:line and field in the error log and the previous table keeps serving."""
import json
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import kbtest  # noqa: E402
from kbtest import check  # noqa: E402

REWRITES = 20


def generation(c):
    return json.loads(c.admin_get("/api/balancers").body)["generation"]


def test_reload_under_load(c):
    stop = threading.Event()
    results = {"ok": 0, "failed": []}
    lock = threading.Lock()

    def client(route):
        try:
            conn = kbtest.HttpClient(c.port, timeout=30)
            while not stop.is_set():
                try:
                    r = conn.request("GET", "/", [("Cookie", "JSESSIONID=s.%s" % route)])
                    ok = r.status == 200
                    with lock:
                        if ok:
                            results["ok"] += 1
                        else:
                            results["failed"].append("%s: %d %s" % (route, r.status, r.text))
                    if r.header("connection", "").lower() == "close":
                        conn.close()
                        conn = kbtest.HttpClient(c.port, timeout=30)
                except (OSError, ValueError) as e:
                    with lock:
                        results["failed"].append("%s: %r" % (route, e))
                    conn.close()
                    conn = kbtest.HttpClient(c.port, timeout=30)
            conn.close()
        except Exception as e:  # connection refused etc.
            with lock:
                results["failed"].append("%s: %r" % (route, e))

    threads = [threading.Thread(target=client, args=(r,)) for r in ("r1", "r2", "r3", "r1")]
    for t in threads:
        t.start()
    try:
        gen = generation(c)
        for i in range(REWRITES):
            # Alternate 3 and 2 members and the loadfactor: every rewrite is a different table.
            members = 3 if i % 2 else 2
            kbtest.write_atomic(c.table_path, c.table(members=members, extra="maxattempts: %d\n" % (1 + i % 3)))
            want = gen + 1
            kbtest.wait_for(lambda: generation(c) >= want, timeout=20, what="generation %d" % want)
            gen = generation(c)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    check(not results["failed"], "%d failed requests during reloads: %s" % (len(results["failed"]), results["failed"][:5]))
    check(results["ok"] > 0, "no request completed")
    print("reload under load: %d requests, %d reloads, 0 failed" % (results["ok"], REWRITES))


def test_bad_table_keeps_old(c):
    gen = generation(c)
    bad = c.table(members=3).replace("route: r2", "route: r2\n        loadfactor: 500")
    line = bad.splitlines().index("        loadfactor: 500") + 1
    kbtest.write_atomic(c.table_path, bad)
    needle = "table.yaml:%d:" % line
    kbtest.wait_for(lambda: needle in c.error_log() and "loadfactor" in c.error_log(), timeout=20,
                    what="error log naming " + needle)
    errline = [l for l in c.error_log().splitlines() if needle in l][0]
    check("[error]" in errline and "balancers[0].members[1].loadfactor" in errline, "error line: " + errline)
    check(generation(c) == gen, "a bad table must not be published")
    for r in ("r1", "r2", "r3"):
        resp = c.get("/", [("Cookie", "JSESSIONID=s.%s" % r)])
        check(resp.status == 200 and "route=%s " % r in resp.text, "old table no longer serves %s: %s" % (r, resp.text))
    check(c.admin_get("/readyz").status == 200, "still ready with the old table")
    # A good table after the bad one is picked up again.
    kbtest.write_atomic(c.table_path, c.table(members=1))
    kbtest.wait_for(lambda: generation(c) > gen, timeout=20, what="reload after a fix")
    check(len(json.loads(c.admin_get("/api/balancers").body)["balancers"][0]["members"]) == 1, "fixed table")


def test_sighup_reloads(c):
    # SIGHUP re-reads the file; the table is equal, so nothing is published (logged at debug).
    gen = generation(c)
    c.proxy.send_signal(signal.SIGHUP)
    kbtest.wait_for(lambda: "(SIGHUP) unchanged" in c.error_log(), timeout=20, what="SIGHUP reload")
    check(generation(c) == gen, "an equal table must not be published")
    check(c.proxy.poll() is None, "SIGHUP must not stop the proxy")


def main():
    args = kbtest.binaries()
    with kbtest.Cluster(args, backends=3, proxy_args=["--log-level", "debug"]) as c:
        test_reload_under_load(c)
        print("ok test_reload_under_load")
        test_bad_table_keeps_old(c)
        print("ok test_bad_table_keeps_old")
        test_sighup_reloads(c)
        print("ok test_sighup_reloads")
    print("3 passed, 0 failed")


if __name__ == "__main__":
    main()
