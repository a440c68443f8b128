#!/usr/bin/env python3
"""SIGTERM: the proxy stops accepting, lets an in-flight slow request finish, then exits 0."""
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import kbtest  # noqa: E402
from kbtest import check  # noqa: E402


def main():
    args = kbtest.binaries()
    with kbtest.Cluster(args, backends=1, proxy_args=["--shutdown-grace", "20s"]) as c:
        result = {}

        def slow():
            try:
                result["resp"] = c.get("/slow?ms=1500")
            except Exception as e:
                result["error"] = repr(e)

        t = threading.Thread(target=slow)
        t.start()
        # Wait until the member is working on the slow request (its /heartbeat counts it as busy).
        backend = c.backend_ports[0]
        kbtest.wait_for(lambda: "busy=1" in kbtest.http_get(backend, "/heartbeat").text, timeout=20,
                        what="slow request in flight")
        c.proxy.send_signal(signal.SIGTERM)
        t.join(timeout=60)
        check("resp" in result, "in-flight request failed: %s" % result.get("error"))
        check(result["resp"].status == 200 and "slow done" in result["resp"].text,
              "in-flight request: %d %s" % (result["resp"].status, result["resp"].text))
        code = c.proxy.wait(timeout=30)
        check(code == 0, "proxy exit code %d; error log:\n%s" % (code, c.error_log()))
        check("SIGTERM" in c.error_log(), "shutdown not logged:\n" + c.error_log())
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
