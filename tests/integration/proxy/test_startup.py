#!/usr/bin/env python3
"""Startup failures are clear errors, never crashes: a bad command line exits 2 with usage, an invalid
table exits 1 naming file:line and field, a listener that cannot bind exits 1 naming the address."""
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import kbtest  # noqa: E402
from kbtest import check  # noqa: E402


def run(argv):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def main():
    args = kbtest.binaries()
    with kbtest.Procs() as procs:
        code, out, err = run([args.proxy, "--help"])
        check(code == 0 and "--table FILE" in out and "--admin ADDR:PORT" in out, "help: %d %s" % (code, out))
        code, out, err = run([args.proxy])
        check(code == 2 and "--table FILE is required" in err, "no table: %d %s" % (code, err))
        code, out, err = run([args.proxy, "--table", "t.yaml", "--listen", "nonsense"])
        check(code == 2 and "--listen wants ADDR:PORT" in err, "bad listen: %d %s" % (code, err))

        bad = procs.path("table.yaml")
        with open(bad, "w") as f:
            f.write("balancers:\n  - name: web\n    lbmethod: fastest\n")
        code, out, err = run([args.proxy, "--table", bad, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"])
        check(code == 1, "invalid table must exit 1, got %d" % code)
        check("%s:3:" % bad in err and "balancers[0].lbmethod" in err, "error must name file:line and field:\n" + err)

        missing = procs.path("none.yaml")
        code, out, err = run([args.proxy, "--table", missing, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"])
        check(code == 1 and missing in err, "missing table: %d %s" % (code, err))

        good = procs.path("good.yaml")
        with open(good, "w") as f:
            f.write("balancers: []\n")
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        try:
            code, out, err = run([args.proxy, "--table", good, "--listen", "127.0.0.1:0",
                                  "--admin", "127.0.0.1:%d" % port])
        finally:
            busy.close()
        check(code == 1 and ("127.0.0.1:%d" % port) in err, "admin port in use: %d %s" % (code, err))

        # An empty table is valid: every request gets 404, and the proxy is ready.
        proc, ports = procs.start([args.proxy, "--table", good, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                                   "--port-file", procs.path("p")], "proxy", procs.path("p"))
        check(kbtest.http_get(ports["proxy"], "/x").status == 404, "empty table must 404")
        check(kbtest.http_get(ports["admin"], "/readyz").status == 200, "ready with an empty table")
    print("7 passed, 0 failed")


if __name__ == "__main__":
    main()
