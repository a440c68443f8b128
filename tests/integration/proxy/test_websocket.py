#!/usr/bin/env python3
"""WebSocket through the proxy: the Upgrade is forwarded and the tunnel relays frames both ways."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import kbtest  # noqa: E402
from kbtest import check  # noqa: E402


def main():
    args = kbtest.binaries()
    with kbtest.Cluster(args, backends=2) as c:
        ws = kbtest.websocket_connect(c.port, "/ws")
        try:
            for i in range(20):
                msg = "hello %d " % i * (i + 1)
                kbtest.ws_send(ws, msg)
                op, data = kbtest.ws_recv(ws)
                check(op == 1 and data == msg.encode(), "text echo %d: %r" % (i, data[:80]))
            big = os.urandom(300000)
            kbtest.ws_send(ws, big, opcode=0x2)
            op, data = kbtest.ws_recv(ws)
            check(op == 2 and data == big, "binary echo of %d bytes: got %d" % (len(big), len(data)))
        finally:
            ws.close()
        # The proxy still serves plain requests afterwards.
        check(c.get("/").status == 200, "plain request after websocket")
    print("2 passed, 0 failed")


if __name__ == "__main__":
    main()
