#!/usr/bin/env python3
"""Apache mod_proxy_balancer semantics end to end: the real kube-balancer-proxy in front of real
kb-demo-backend processes (issue 3 item 6).

Two groups, run as separate CTest entries so they can run in parallel:
  FailoverTests  a member killed under load, recovery after `retry`, hot standby (no force recovery
                 while it is usable), 503 when nothing is reachable, health checks
  RoutingTests   drain (+N and balancer-manager), sticky routes (cookie, URL and path parameter,
                 route cookie), nofailover, byrequests weights

Every test starts its own cluster (kbtest.Cluster) and kills everything it started. Pass criteria
are counts and states, never durations; waits are polls with generous timeouts.

Usage: test_balancing.py --proxy BIN --backend BIN [unittest args, e.g. FailoverTests -v]
"""
import argparse
import json
import os
import signal
import sys
import threading
import unittest
import urllib.parse
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import kbtest  # noqa: E402

ARGS = None  # --proxy/--backend, parsed in main()
POLL_TIMEOUT = 60.0  # generous: the machine is shared and tests may run under ASan
# How long /slow keeps a request in flight so a member can be killed under it. The kill follows
# the first admin poll that sees the request (normally milliseconds); a replayed GET waits this
# long again on the other member, so it is the test's cost.
SLOW_MS = 6000


def render_table(c, balancer="", members=None, route_cookie_sticky=False):
    """The table for Cluster `c`: one balancer `web` on / with every backend as member bN/route rN.
    `balancer`: extra balancer-level YAML lines; `members`: {index: extra member YAML lines}."""
    members = members or {}
    lines = ["balancers:", "  - name: web"]
    lines += ["    " + line for line in balancer.splitlines() if line.strip()]
    lines.append("    members:")
    for i, port in enumerate(c.backend_ports):
        lines.append("      - url: http://127.0.0.1:%d" % port)
        lines.append("        route: r%d" % (i + 1))
        lines += ["        " + line for line in members.get(i, "").splitlines() if line.strip()]
    lines += ["routes:", "  - path: /", "    pathtype: Prefix", "    balancer: web"]
    return "\n".join(lines) + "\n"


def cluster(backends=3, balancer="stickysession: JSESSIONID|jsessionid\n", members=None, workers=2):
    return kbtest.Cluster(ARGS, backends=backends,
                          table=lambda c: render_table(c, balancer, members),
                          proxy_args=["--workers", str(workers)])


def backend_of(resp):
    """'b2' from the demo backend's "backend=b2 route=r2 path=..." body; None for other answers."""
    first = resp.text.split(" ", 1)[0]
    return first[len("backend="):] if first.startswith("backend=") else None


def members(c):
    doc = json.loads(c.admin_get("/api/balancers").body)
    return {m["route"]: m for m in doc["balancers"][0]["members"]}


def backend_proc(c, name):
    return [p for p in c.procs.procs if p.kb_name == name and p.poll() is None][0]


def kill_backend(c, name):
    proc = backend_proc(c, name)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def restart_backend(c, index):
    """Starts backend b<index+1> again on the port it had (the member's URL is unchanged)."""
    name, route, port = "b%d" % (index + 1), "r%d" % (index + 1), c.backend_ports[index]
    port_file = c.procs.path(name + "-again.port")
    c.procs.start([ARGS.backend, "--listen", "127.0.0.1:%d" % port, "--name", name, "--route", route,
                   "--port-file", port_file], name + "-again", port_file)


def count_backends(c, n, headers=(), target="/"):
    """Sends n sequential requests; returns {backend: count}; every answer must be a 200."""
    seen = {}
    for _ in range(n):
        r = c.get(target, headers)
        if r.status != 200:
            raise AssertionError("GET %s %s: %d %s" % (target, list(headers), r.status, r.text))
        seen[backend_of(r)] = seen.get(backend_of(r), 0) + 1
    return seen


class FailoverTests(unittest.TestCase):

    def test_kill_member_under_load(self):
        """2000 keep-alive GETs from 4 threads; b2 is SIGKILLed after 400: every answer is a 200
        (connect failures and lost idempotent requests fail over), and b2 ends up in E."""
        threads_n, per_thread, kill_after = 4, 500, 400
        with cluster() as c:
            lock = threading.Lock()
            done = [0]
            failures = []
            served = {}
            killed = threading.Event()
            reached_kill_point = threading.Event()

            def client():
                conn = None
                try:
                    for i in range(per_thread):
                        if conn is None:
                            conn = kbtest.HttpClient(c.port)
                        try:
                            r = conn.request("GET", "/load?i=%d" % i)
                        except (ConnectionError, OSError) as e:
                            with lock:
                                failures.append("request %d: %s" % (i, e))
                            conn.close()
                            conn = None
                            continue
                        with lock:
                            done[0] += 1
                            if r.status != 200:
                                failures.append("request %d: %d %s" % (i, r.status, r.text.strip()))
                            b = backend_of(r)
                            served[(b, killed.is_set())] = served.get((b, killed.is_set()), 0) + 1
                            if done[0] >= kill_after:
                                reached_kill_point.set()
                        if r.header("connection", "").lower() == "close":
                            conn.close()
                            conn = None
                finally:
                    if conn is not None:
                        conn.close()

            threads = [threading.Thread(target=client, daemon=True) for _ in range(threads_n)]
            for t in threads:
                t.start()
            try:
                self.assertTrue(reached_kill_point.wait(POLL_TIMEOUT), "the load never reached %d" % kill_after)
                kill_backend(c, "b2")
                killed.set()
            finally:
                for t in threads:
                    t.join(timeout=POLL_TIMEOUT * 2)
            self.assertFalse(any(t.is_alive() for t in threads), "client threads did not finish")
            self.assertEqual(failures, [], "failed requests while a member was killed")
            self.assertEqual(done[0], threads_n * per_thread)
            # All three members took traffic before the kill (the load was really spread).
            self.assertTrue(all(served.get(("b%d" % i, False), 0) > 0 for i in (1, 2, 3)), served)
            m2 = members(c)["r2"]
            self.assertTrue(m2["flags"]["in_error"] and "E" in m2["status"] and not m2["usable"], m2)
            self.assertTrue(members(c)["r1"]["usable"] and members(c)["r3"]["usable"])
            # With the default retry (60 s), b2 takes nothing now.
            self.assertNotIn("b2", count_backends(c, 12))

    def in_flight_on_b2_when_killed(self, c, method, body=None):
        """Sends one slow request stuck to b2, SIGKILLs b2 while the request is in flight there
        (b2's busy counter says so), returns the response."""
        result = {}

        def send():
            try:
                with kbtest.HttpClient(c.port, timeout=POLL_TIMEOUT) as client:
                    result["r"] = client.request(method, "/slow?ms=%d" % SLOW_MS,
                                                 [("Cookie", "JSESSIONID=x.r2"), ("Connection", "close")], body)
            except Exception as e:  # reported by the caller
                result["e"] = e

        t = threading.Thread(target=send, daemon=True)
        t.start()
        try:
            kbtest.wait_for(lambda: members(c)["r2"]["busy"] == 1, timeout=POLL_TIMEOUT, what="request in flight on b2")
        finally:
            kill_backend(c, "b2")
            t.join(timeout=POLL_TIMEOUT)
        self.assertFalse(t.is_alive(), "no answer after the member died")
        self.assertNotIn("e", result)
        return result["r"]

    def test_in_flight_request_fails_over_only_when_idempotent(self):
        """The member dies while a request is in flight on it: a GET is replayed on another member
        (200); a POST with a body is not (502), as Apache does not replay it either."""
        with cluster() as c:
            r = self.in_flight_on_b2_when_killed(c, "GET")
            self.assertEqual(r.status, 200, r.text)
            # /slow answers "slow done backend=NAME".
            self.assertNotEqual(r.text.strip(), "slow done backend=b2", "b2 answered before it was killed")
            self.assertIn(r.text.strip(), ("slow done backend=b1", "slow done backend=b3"))
        with cluster() as c:
            r = self.in_flight_on_b2_when_killed(c, "POST", b"order=1")
            self.assertEqual(r.status, 502, r.text)

    def test_recovery_after_retry(self):
        """A killed member (retry: 1) restarted on its port gets traffic again once retry elapsed."""
        with cluster(members={i: "retry: 1" for i in range(3)}) as c:
            self.assertIn("b2", count_backends(c, 6))
            kill_backend(c, "b2")
            # Requests keep succeeding (failover) and the connect failure puts b2 in error.
            kbtest.wait_for(lambda: count_backends(c, 3) and members(c)["r2"]["flags"]["in_error"],
                            timeout=POLL_TIMEOUT, interval=0.05, what="b2 in error")
            retries_before = members(c)["r2"]["retries"]
            restart_backend(c, 1)
            # After retry, the first request that considers b2 clears E (lazy recovery).
            kbtest.wait_for(lambda: "b2" in count_backends(c, 3), timeout=POLL_TIMEOUT, interval=0.1,
                            what="b2 getting traffic again")
            m2 = members(c)["r2"]
            self.assertTrue(m2["usable"] and not m2["flags"]["in_error"], m2)
            self.assertGreater(m2["retries"], retries_before, m2)
            # And with its session cookie it is sticky again.
            self.assertEqual(count_backends(c, 5, [("Cookie", "JSESSIONID=abc.r2")]), {"b2": 5})

    def test_hot_standby(self):
        """b3 (+H) takes requests only when b1 and b2 are both down."""
        with cluster(members={2: "status: +H"}) as c:
            self.assertTrue(members(c)["r3"]["flags"]["hot_standby"])
            seen = count_backends(c, 20)
            self.assertEqual(set(seen), {"b1", "b2"}, seen)
            kill_backend(c, "b1")
            seen = count_backends(c, 20)
            self.assertEqual(set(seen), {"b2"}, seen)
            self.assertTrue(members(c)["r1"]["flags"]["in_error"])
            kill_backend(c, "b2")
            seen = count_backends(c, 20)
            self.assertEqual(seen, {"b3": 20})
            self.assertTrue(members(c)["r2"]["flags"]["in_error"])
            # A session of a dead member also fails over to the standby.
            self.assertEqual(count_backends(c, 3, [("Cookie", "JSESSIONID=x.r1")]), {"b3": 3})

    def test_no_force_recovery_while_standby_usable(self):
        """b1 and b2 dead, b3 (+H) alive: as Apache's force_recovery sees a member not in error
        (the standby), b1 and b2 stay in error until `retry` (60 s) passes; the standby serves and
        no retry is counted (a forced recovery would clear E and count one on every request)."""
        with cluster(members={0: "retry: 60", 1: "retry: 60", 2: "status: +H"}) as c:
            kill_backend(c, "b1")
            kill_backend(c, "b2")
            kbtest.wait_for(lambda: count_backends(c, 3) == {"b3": 3} and members(c)["r1"]["flags"]["in_error"]
                            and members(c)["r2"]["flags"]["in_error"],
                            timeout=POLL_TIMEOUT, interval=0.05, what="b1 and b2 in error, b3 serving")
            before = {r: members(c)[r]["retries"] for r in ("r1", "r2")}
            self.assertEqual(count_backends(c, 20), {"b3": 20})
            after = members(c)
            for r in ("r1", "r2"):
                self.assertTrue(after[r]["flags"]["in_error"], after[r])
                self.assertEqual(after[r]["retries"], before[r], after[r])

    def test_unreachable_without_failover_is_503(self):
        """A connect failure that cannot fail over is answered 503, as Apache does: with
        maxattempts 0, and when every member was tried."""
        with cluster(backends=2, balancer="maxattempts: 0\n") as c:
            kill_backend(c, "b1")
            r = c.get("/")  # byrequests starts with b1
            self.assertEqual(r.status, 503, r.text)
            self.assertTrue(members(c)["r1"]["flags"]["in_error"])
        with cluster(backends=2) as c:
            kill_backend(c, "b1")
            kill_backend(c, "b2")
            r = c.get("/")  # tries b1, fails over to b2 (maxattempts 1), both refuse
            self.assertEqual(r.status, 503, r.text)
            self.assertTrue(all(m["flags"]["in_error"] for m in members(c).values()), members(c))

    def test_health_check_takes_member_out_and_back(self):
        hc = "hcmethod: GET\nhcuri: /healthz\nhcinterval: 200ms\nhcfails: 2\nhcpasses: 2\n"
        with cluster(balancer="stickysession: JSESSIONID|jsessionid\n" + hc) as c:
            kbtest.wait_for(lambda: all(m["health_check"]["state"] == "passing" for m in members(c).values()),
                            timeout=POLL_TIMEOUT, what="every member passing")
            hc2 = members(c)["r2"]["health_check"]
            self.assertEqual((hc2["method"], hc2["uri"], hc2["interval_ms"], hc2["fails"], hc2["passes"]),
                             ("GET", "/healthz", 200, 2, 2), hc2)
            self.assertEqual(kbtest.http_get(c.backend_ports[1], "/admin/fail").status, 200)
            kbtest.wait_for(lambda: "C" in members(c)["r2"]["status"], timeout=POLL_TIMEOUT, what="r2 gets C")
            m2 = members(c)["r2"]
            self.assertTrue(m2["flags"]["hc_failed"] and not m2["usable"], m2)
            self.assertEqual(m2["health_check"]["state"], "failing", m2)
            self.assertFalse(m2["health_check"]["last_ok"], m2)
            self.assertEqual(m2["health_check"]["last_status"], 500, m2)
            elected = m2["elected"]
            seen = count_backends(c, 20)
            self.assertEqual(set(seen), {"b1", "b3"}, seen)
            self.assertEqual(members(c)["r2"]["elected"], elected, "a C member was elected")
            self.assertEqual(kbtest.http_get(c.backend_ports[1], "/admin/ok").status, 200)
            kbtest.wait_for(lambda: "C" not in members(c)["r2"]["status"], timeout=POLL_TIMEOUT,
                            what="r2 C cleared")
            m2 = members(c)["r2"]
            self.assertTrue(m2["usable"] and not m2["flags"]["hc_failed"], m2)
            self.assertEqual(m2["health_check"]["state"], "passing", m2)
            self.assertIn("b2", count_backends(c, 12))


class RoutingTests(unittest.TestCase):

    def check_drained(self, c, session_cookie):
        """b2 is draining: cookie-less requests never reach it, its sessions still do."""
        self.assertTrue(members(c)["r2"]["flags"]["drain"], members(c)["r2"])
        self.assertTrue(members(c)["r2"]["usable"])
        new_sessions = [c.get("/") for _ in range(30)]
        self.assertTrue(all(r.status == 200 for r in new_sessions))
        seen = {backend_of(r) for r in new_sessions}
        self.assertEqual(seen, {"b1", "b3"})
        # New sessions handed out by the other members carry their routes, never r2.
        cookies = [r.header("set-cookie", "") for r in new_sessions]
        self.assertFalse([x for x in cookies if ".r2;" in x], cookies)
        self.assertEqual(count_backends(c, 10, [("Cookie", session_cookie)]), {"b2": 10})
        self.assertEqual(count_backends(c, 3, target="/x?jsessionid=abc.r2"), {"b2": 3})

    def test_drain_from_table(self):
        with cluster(members={1: "status: +N"}) as c:
            self.assertEqual(members(c)["r2"]["status"], "+N")
            self.check_drained(c, "JSESSIONID=abc.r2")

    def test_drain_from_balancer_manager(self):
        with cluster() as c:
            # A real session on b2, taken before the drain.
            session = None
            for _ in range(6):
                r = c.get("/")
                if backend_of(r) == "b2":
                    session = r.header("set-cookie").split(";")[0]
            self.assertTrue(session and session.endswith(".r2"), session)
            doc = json.loads(c.admin_get("/balancer-manager?json=1").body)
            nonce = doc["nonces"]["web"]
            form = {"b": "web", "w": "http://127.0.0.1:%d" % c.backend_ports[1], "nonce": nonce, "w_status_N": "1"}
            with kbtest.HttpClient(c.admin_port) as client:
                r = client.request("POST", "/balancer-manager",
                                   [("Content-Type", "application/x-www-form-urlencoded"), ("Connection", "close")],
                                   urllib.parse.urlencode(form).encode())
            self.assertEqual(r.status, 200, r.text[:300])
            self.check_drained(c, session)
            # Undrain: b2 takes new sessions again.
            form["w_status_N"] = "0"
            with kbtest.HttpClient(c.admin_port) as client:
                r = client.request("POST", "/balancer-manager",
                                   [("Content-Type", "application/x-www-form-urlencoded"), ("Connection", "close")],
                                   urllib.parse.urlencode(form).encode())
            self.assertEqual(r.status, 200, r.text[:300])
            self.assertFalse(members(c)["r2"]["flags"]["drain"])
            # Its sticky hits were charged to it (Apache's fairness), so it may take a few
            # requests before its byrequests counter wins again; 60 is far more than enough.
            self.assertTrue(any(backend_of(c.get("/")) == "b2" for _ in range(60)), "b2 gets no new session")

    def test_sticky_cookie_url_and_path_parameter(self):
        with cluster(balancer="stickysession: JSESSIONID|jsessionid\nscolonpathdelim: On\n") as c:
            for route in ("r1", "r2", "r3"):
                b = "b" + route[1:]
                self.assertEqual(count_backends(c, 4, [("Cookie", "JSESSIONID=x.%s" % route)]), {b: 4})
                self.assertEqual(count_backends(c, 4, [("Cookie", "a=1; JSESSIONID=x.%s; z=2" % route)]), {b: 4})
                self.assertEqual(count_backends(c, 4, target="/p?jsessionid=x.%s" % route), {b: 4})
                self.assertEqual(count_backends(c, 4, target="/p?a=1&jsessionid=x.%s&z=2" % route), {b: 4})
                self.assertEqual(count_backends(c, 4, target="/app;jsessionid=x.%s" % route), {b: 4})
                # scolonpathdelim On: ';' ends the value, so "x.r2;v=1" still names r2.
                self.assertEqual(count_backends(c, 4, target="/app;jsessionid=x.%s;v=1" % route), {b: 4})
            # The URL parameter wins over the cookie (Apache looks at the URL first).
            self.assertEqual(count_backends(c, 4, [("Cookie", "JSESSIONID=x.r1")], "/p?jsessionid=x.r3"), {"b3": 4})
            stats = members(c)
            self.assertEqual([stats[r]["sticky_hits"] for r in ("r1", "r2", "r3")], [24, 24, 28], stats)
            # Names are case-sensitive, a value without the separator carries no route and a route
            # no member has is balanced: none of these is a sticky hit, and they are spread.
            for cookie in ("jsessionid=x.r2", "JSESSIONID=r2", "JSESSIONID=x.r9", "XJSESSIONID=x.r2"):
                seen = count_backends(c, 9, [("Cookie", cookie)])
                self.assertGreater(len(seen), 1, (cookie, seen))
            self.assertEqual([members(c)[r]["sticky_hits"] for r in ("r1", "r2", "r3")], [24, 24, 28])

    def test_path_parameter_without_scolonpathdelim(self):
        with cluster() as c:
            # scolonpathdelim Off: the route is "r2;v=1", which no member has, so it is balanced.
            self.assertEqual(set(count_backends(c, 9, target="/app;jsessionid=x.r2;v=1")), {"b1", "b2", "b3"})
            self.assertEqual(count_backends(c, 4, target="/app;jsessionid=x.r2?v=1"), {"b2": 4})

    def test_route_cookie(self):
        with cluster(balancer="stickysession: ROUTEID\nroutecookie: ROUTEID\n") as c:
            # Every member hands out its own route (a fresh balancer: b1 b2 b3 in turn).
            routes = {}
            for _ in range(3):
                r = c.get("/")
                self.assertEqual(r.status, 200)
                got = [v.split(";")[0] for v in r.header_all("set-cookie") if v.startswith("ROUTEID=")]
                self.assertEqual(got, ["ROUTEID=.r" + backend_of(r)[1:]], r.headers)
                routes[got[0]] = backend_of(r)
            self.assertEqual(set(routes), {"ROUTEID=.r1", "ROUTEID=.r2", "ROUTEID=.r3"})
            value, b = "ROUTEID=.r2", "b2"
            for _ in range(10):
                r = c.get("/", [("Cookie", value)])
                self.assertEqual((r.status, backend_of(r)), (200, b))
                # The route did not change: no new route cookie.
                self.assertEqual([v for v in r.header_all("set-cookie") if v.startswith("ROUTEID=")], [])
            # The member dies: the session fails over and the cookie is re-issued for the new member.
            kill_backend(c, b)
            r = c.get("/", [("Cookie", value)])
            self.assertEqual(r.status, 200)
            got = [v.split(";")[0] for v in r.header_all("set-cookie") if v.startswith("ROUTEID=")]
            self.assertEqual(got, ["ROUTEID=.r" + backend_of(r)[1:]])
            self.assertNotEqual(backend_of(r), b)

    def test_nofailover_member_known_down(self):
        """nofailover: a session whose member is in error gets 503; other sessions still work."""
        with cluster(balancer="stickysession: JSESSIONID|jsessionid\nnofailover: On\n") as c:
            self.assertEqual(count_backends(c, 3, [("Cookie", "JSESSIONID=x.r2")]), {"b2": 3})
            kill_backend(c, "b2")
            # Cookie-less traffic finds b2 dead and puts it in error (and still succeeds).
            kbtest.wait_for(lambda: count_backends(c, 3) and members(c)["r2"]["flags"]["in_error"],
                            timeout=POLL_TIMEOUT, interval=0.05, what="b2 in error")
            for _ in range(5):
                r = c.get("/", [("Cookie", "JSESSIONID=x.r2")])
                self.assertEqual(r.status, 503, r.text)
            self.assertEqual(c.get("/x?jsessionid=x.r2").status, 503)
            self.assertEqual(count_backends(c, 3, [("Cookie", "JSESSIONID=x.r1")]), {"b1": 3})
            self.assertNotIn("b2", count_backends(c, 6))

    def test_nofailover_first_request_after_member_died(self):
        """nofailover: the first sticky request after its member died (not yet known to be in
        error) gets 503 too. Apache: the connect failure puts the member in E, proxy_handler
        loops to pre_request, find_session_route finds the route's member unusable and nofailover
        answers HTTP_SERVICE_UNAVAILABLE."""
        with cluster(balancer="stickysession: JSESSIONID|jsessionid\nnofailover: On\n") as c:
            self.assertEqual(count_backends(c, 3, [("Cookie", "JSESSIONID=x.r2")]), {"b2": 3})
            kill_backend(c, "b2")
            r = c.get("/", [("Cookie", "JSESSIONID=x.r2")])
            self.assertTrue(members(c)["r2"]["flags"]["in_error"])
            self.assertEqual(r.status, 503, r.text)
            self.assertEqual(c.get("/", [("Cookie", "JSESSIONID=x.r2")]).status, 503)

    def test_byrequests_weights(self):
        """loadfactor 1,2,3, no sessions, one worker: 60 requests split exactly 10/20/30 in
        Apache's smooth weighted round-robin order (b3 b2 b1 b3 b2 b3 repeating)."""
        with cluster(balancer="lbmethod: byrequests\n",
                     members={0: "loadfactor: 1", 1: "loadfactor: 2", 2: "loadfactor: 3"}, workers=1) as c:
            order = []
            for _ in range(60):
                r = c.get("/")
                self.assertEqual(r.status, 200, r.text)
                order.append(backend_of(r))
            counts = {b: order.count(b) for b in set(order)}
            self.assertEqual(counts, {"b1": 10, "b2": 20, "b3": 30})
            self.assertEqual(order[:6], ["b3", "b2", "b1", "b3", "b2", "b3"], order)
            self.assertEqual(order, order[:6] * 10)
            elected = {r: m["elected"] for r, m in members(c).items()}
            self.assertEqual(elected, {"r1": 10, "r2": 20, "r3": 30})


def main():
    global ARGS
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--proxy", required=True)
    p.add_argument("--backend", required=True)
    ARGS, rest = p.parse_known_args()
    # kbtest.Procs keeps the child's log files open for the process's lifetime; unittest would
    # report each as a ResourceWarning. warnings=False keeps unittest from resetting this filter.
    warnings.filterwarnings("ignore", category=ResourceWarning)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2, warnings=False)


if __name__ == "__main__":
    main()
