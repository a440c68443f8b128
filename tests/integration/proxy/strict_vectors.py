"""RFC 9112 request vectors shared by test_strict_http.py (through kube-balancer-proxy) and
bench/strict_compare.py (the same bytes against nginx and HAProxy for docs/reliability.md).

Each vector: (name, raw request bytes, expected status of kube-balancer, RFC reference). The body
of every refused vector, where it has one, is itself a request for /smuggled: if the proxy
misframed the request, the member would see GET /smuggled."""

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
POST = b"POST /echo HTTP/1.1\r\nHost: a\r\n"
CHUNKED = POST + b"Transfer-Encoding: chunked\r\n\r\n"


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


VECTORS = [
    ("te_chunked_identity", POST + b"Transfer-Encoding: chunked, identity\r\n\r\n" + chunk(SMUGGLED) + b"0\r\n\r\n",
     400, "RFC 9112 6.3 (7): final coding not chunked"),
    ("te_identity", POST + b"Transfer-Encoding: identity\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED) + SMUGGLED,
     400, "RFC 9112 6.3 (7)"),
    ("te_gzip_only", POST + b"Transfer-Encoding: gzip\r\n\r\n" + SMUGGLED, 400, "RFC 9112 6.3 (7)"),
    ("te_xchunked", POST + b"Transfer-Encoding: xchunked\r\n\r\n" + SMUGGLED, 400, "RFC 9112 6.3 (7)"),
    ("te_chunked_twice", POST + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400,
     "RFC 9112 6.1: chunked at most once"),
    ("te_gzip_chunked", POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501,
     "RFC 9112 6.1: unknown coding -> 501"),
    ("te_and_cl", POST + b"Transfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n0\r\n\r\n" % (5 + len(SMUGGLED))
     + SMUGGLED, 200, "RFC 9112 6.1: TE wins (or reject), MUST close"),
    ("cl_duplicate_identical", POST + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400,
     "RFC 9110 8.6: MAY accept identical"),
    ("cl_duplicate_different", POST + b"Content-Length: 5\r\nContent-Length: %d\r\n\r\nhello" % (5 + len(SMUGGLED))
     + SMUGGLED, 400, "RFC 9112 6.3 (5)"),
    ("cl_list", POST + b"Content-Length: 5, 5\r\n\r\nhello", 400, "RFC 9110 8.6"),
    ("cl_plus_sign", POST + b"Content-Length: +5\r\n\r\nhello", 400, "RFC 9110 8.6: 1*DIGIT"),
    ("chunk_size_invalid", CHUNKED + b"zz\r\nhello\r\n0\r\n\r\n", 400, "RFC 9112 7.1"),
    ("chunk_size_0x", CHUNKED + b"0x5\r\nhello\r\n0\r\n\r\n", 400, "RFC 9112 7.1"),
    ("chunk_size_overflow", CHUNKED + b"10000000000000005\r\nhello\r\n0\r\n\r\n", 400, "RFC 9112 7.1"),
    ("chunk_ext_invalid", CHUNKED + b"5;a=b\x01\r\nhello\r\n0\r\n\r\n", 400, "RFC 9112 7.1.1"),
    ("chunk_size_bare_lf", CHUNKED + b"5\nhello\r\n0\r\n\r\n", 400, "RFC 9112 7.1 / 2.2"),
    ("chunk_data_bare_lf", CHUNKED + b"5\r\nhello\n0\r\n\r\n", 400, "RFC 9112 7.1"),
    ("obs_fold", b"GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n", 400, "RFC 9112 5.2: 400 or SP"),
    ("obs_fold_te", POST + b"Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400, "RFC 9112 5.2"),
    ("bare_cr", b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n", 400, "RFC 9112 2.2: MUST reject or SP"),
    ("bare_lf_field", b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\nX-B: b\r\n\r\n", 400, "RFC 9112 2.2: MAY accept"),
    ("bare_lf_head", b"GET / HTTP/1.1\nHost: a\n\n", 400, "RFC 9112 2.2: MAY accept"),
    ("space_before_colon", b"GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n", 400, "RFC 9112 5.1: MUST 400"),
    ("space_before_colon_te", POST + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400, "RFC 9112 5.1"),
    ("nul_in_value", b"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x00c\r\n\r\n", 400, "RFC 9110 5.5"),
    ("ctl_in_value", b"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01c\r\n\r\n", 400, "RFC 9110 5.5"),
    ("ctl_in_name", b"GET / HTTP/1.1\r\nHost: a\r\nX-\x01A: b\r\n\r\n", 400, "RFC 9110 5.1: token"),
    ("http10_te", b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
     "RFC 9112 6.1: faulty framing"),
    ("two_hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "RFC 9112 3.2: MUST 400"),
    ("no_host", b"GET / HTTP/1.1\r\n\r\n", 400, "RFC 9112 3.2: MUST 400"),
    ("host_invalid", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "RFC 9112 3.2: MUST 400"),
    ("absolute_form", b"GET http://b.example/abs HTTP/1.1\r\nHost: a\r\n\r\n", 200,
     "RFC 9112 3.2.2: authority wins"),
    ("absolute_userinfo", b"GET http://u@b.example/abs HTTP/1.1\r\nHost: a\r\n\r\n", 400, "RFC 9110 4.2.4"),
    ("long_method", b"A" * 40 + b" / HTTP/1.1\r\nHost: a\r\n\r\n", 501, "RFC 9112 3: SHOULD 501"),
    ("method_bad_char", b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "RFC 9110 9.1: token"),
    ("request_line_too_long", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414, "RFC 9112 3: 414"),
    ("too_many_fields", b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(120)) + b"\r\n",
     431, "RFC 6585 5"),
    ("valid_chunked", CHUNKED + b"5;ext=1\r\nhello\r\n0\r\n\r\n", 200, "RFC 9112 7.1"),
]
