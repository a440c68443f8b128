"""A minimal raw HTTP/2 client for the attack tests: hand-built frames over a plain (h2c) or TLS
socket, requests encoded with HPACK literals without indexing (RFC 7541 6.2.2) so no encoder state
is needed; responses are only read as frame headers (type, flags, stream, and GOAWAY's error)."""
import socket
import struct

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE = range(9)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
NO_ERROR, CANCEL, ENHANCE_YOUR_CALM = 0x0, 0x8, 0xB


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def _hpack_string(s):
    b = s.encode()
    assert len(b) < 127
    return bytes([len(b)]) + b


def request_block(authority, path="/", method="GET"):
    """:method, :scheme http, :path, :authority as literals without indexing, new names."""
    out = b""
    for name, value in ((":method", method), (":scheme", "http"), (":path", path), (":authority", authority)):
        out += b"\x00" + _hpack_string(name) + _hpack_string(value)
    return out


def headers(stream, authority, path="/", end_stream=True):
    flags = END_HEADERS | (END_STREAM if end_stream else 0)
    return frame(HEADERS, flags, stream, request_block(authority, path))


def rst_stream(stream, code=CANCEL):
    return frame(RST_STREAM, 0, stream, struct.pack(">I", code))


def settings():
    return frame(SETTINGS, 0, 0)


def ping(n):
    return frame(PING, 0, 0, struct.pack(">Q", n))


class Conn:
    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.sock.sendall(PREFACE + settings())

    def send(self, data):
        """False when the server already closed (it may do so in the middle of a flood)."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def frames(self):
        """Yields (type, flags, stream, payload) until the server closes the connection."""
        while True:
            while len(self.buf) >= 9:
                length = struct.unpack(">I", b"\0" + self.buf[:3])[0]
                if len(self.buf) < 9 + length:
                    break
                ftype, flags = self.buf[3], self.buf[4]
                stream = struct.unpack(">I", self.buf[5:9])[0] & 0x7FFFFFFF
                payload = self.buf[9:9 + length]
                self.buf = self.buf[9 + length:]
                if ftype == SETTINGS and not flags & ACK:
                    self.send(frame(SETTINGS, ACK, 0))
                yield ftype, flags, stream, payload
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                return
            if not chunk:
                return
            self.buf += chunk

    def goaway_error(self):
        """The error code of the server's GOAWAY (None if none came before the close)."""
        code = None
        for ftype, _, _, payload in self.frames():
            if ftype == GOAWAY:
                code = struct.unpack(">I", payload[4:8])[0]
        return code

    def close(self):
        self.sock.close()
