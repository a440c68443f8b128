#!/usr/bin/env python3
"""Statuses the proxy produces itself: 502 (member answering garbage), 503 (no usable or no reachable
member), 504 (member too slow), 404 (no route)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import kbtest  # noqa: E402
from kbtest import check  # noqa: E402


def garbage_server():
    """Accepts connections, reads a little, answers with something that is not HTTP."""
    def answer(conn):
        try:
            conn.recv(65536)
            conn.sendall(b"this is not http\r\n\r\n")
        except OSError:
            pass
        conn.close()

    return kbtest.raw_server(answer)


def main():
    args = kbtest.binaries()
    garbage = garbage_server()
    dead = kbtest.closed_port()

    def table(c):
        b = c.backend_ports[0]
        return kbtest.backend_table(
            [{"name": "slow", "members": [("http://127.0.0.1:%d" % b, "r1")], "extra": "proxytimeout: 1s"},
             {"name": "garbage", "members": [("http://127.0.0.1:%d" % garbage.getsockname()[1], "g1")]},
             {"name": "dead", "members": [("http://127.0.0.1:%d" % dead, "d1")]},
             {"name": "disabled", "members": [("http://127.0.0.1:%d" % b, "x1")], "extra": ""}],
            [{"path": "/slow", "balancer": "slow"}, {"path": "/garbage", "balancer": "garbage"},
             {"path": "/dead", "balancer": "dead"}, {"path": "/disabled", "balancer": "disabled"},
             {"path": "/ok", "pathtype": "Exact", "balancer": "slow"}])

    try:
        with kbtest.Cluster(args, backends=1, table=table) as c:
            # Disable the 'disabled' balancer's only member through a reload (status: D).
            text = open(c.table_path).read().replace("route: x1", "route: x1\n        status: D")
            kbtest.write_atomic(c.table_path, text)
            kbtest.wait_for(lambda: c.get("/disabled").status == 503, timeout=20, what="disabled member -> 503")

            r = c.get("/slow?ms=5000")
            check(r.status == 504, "slow member: %d %s" % (r.status, r.text))
            r = c.get("/garbage")
            check(r.status == 502, "garbage member: %d %s" % (r.status, r.text))
            r = c.get("/dead")
            check(r.status == 503, "unreachable member: %d %s" % (r.status, r.text))
            r = c.get("/nothing-routes-here")
            check(r.status == 404, "no route: %d" % r.status)
            r = c.get("/ok")
            check(r.status == 200, "the healthy route still works: %d" % r.status)
            log = c.access_log()
            check('"GET /slow?ms=5000" 504' in log, "504 in access log:\n" + log)
    finally:
        garbage.close()
    print("5 passed, 0 failed")


if __name__ == "__main__":
    main()
