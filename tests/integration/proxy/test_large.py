#!/usr/bin/env python3
"""1 GiB upload and 1 GiB download through the proxy with bounded proxy memory (VmHWM): bodies are
streamed, never buffered. Sizes: KB_LARGE_BYTES (default 1 GiB; 256 MiB in sanitizer builds, where
every byte costs several times more CPU). The RSS bound: KB_RSS_LIMIT_MIB (default 64; 400 under
ASan, whose shadow memory and quarantine inflate RSS by themselves)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import kbtest  # noqa: E402
from kbtest import check  # noqa: E402

SAN = kbtest.sanitized()
SIZE = int(os.environ.get("KB_LARGE_BYTES", str((256 if SAN else 1024) << 20)))
RSS_LIMIT_KIB = int(os.environ.get("KB_RSS_LIMIT_MIB", "400" if SAN else "64")) * 1024


def main():
    args = kbtest.binaries()
    with kbtest.Cluster(args, backends=1, proxy_args=["--access-log", "off"]) as c:
        # Download: the member streams SIZE bytes, the client counts them.
        got = [0]

        def count(data):
            got[0] += len(data)

        with kbtest.HttpClient(c.port, timeout=120) as client:
            client.send_head("GET", "/bytes?n=%d" % SIZE)
            r = client.read_response(sink=count)
            check(r.status == 200 and got[0] == SIZE, "download: status %d, %d of %d bytes" % (r.status, got[0], SIZE))

            # Upload on the same connection, chunked (no length known in advance), 1 MiB pieces.
            block = b"u" * (1 << 20)
            client.send_head("POST", "/upload", [("Transfer-Encoding", "chunked")])
            sent = 0
            while sent < SIZE:
                n = min(len(block), SIZE - sent)
                client.send_chunk(block[:n])
                sent += n
            client.end_chunks()
            r = client.read_response()
            check(r.status == 200 and r.text.strip() == "received=%d" % SIZE, "upload: %d %s" % (r.status, r.text))

            # And with Content-Length.
            client.send_head("POST", "/upload", [("Content-Length", str(SIZE // 4))])
            sent = 0
            while sent < SIZE // 4:
                n = min(len(block), SIZE // 4 - sent)
                client.send_raw(block[:n])
                sent += n
            r = client.read_response()
            check(r.text.strip() == "received=%d" % (SIZE // 4), "upload with length: %s" % r.text)

        peak = kbtest.peak_rss_kib(c.proxy.pid)
        print("moved %d MiB each way; proxy peak RSS %d KiB (limit %d KiB)" % (SIZE >> 20, peak, RSS_LIMIT_KIB))
        check(peak < RSS_LIMIT_KIB, "proxy peak RSS %d KiB exceeds %d KiB" % (peak, RSS_LIMIT_KIB))
    print("3 passed, 0 failed")


if __name__ == "__main__":
    main()
