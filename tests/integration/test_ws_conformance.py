"""RFC 6455 conformance of examples/websocket's /ws echo endpoint, organised
like the Autobahn fuzzingclient case groups (1 framing, 2 pings, 3 reserved
bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close, 9 limits, 12 and 13
permessage-deflate on /wsz) plus the handshake (H). A small raw-socket client written here sends exactly the bytes
each case needs, and every failure case checks the exact close code and that
the server then closes TCP. Standard library only.
WS_SERVER=NAME runs it against build/NAME instead (e.g. a sanitizer build)."""
import base64
import hashlib
import os
import socket
import struct
import time
import zlib

from harness import Server, check, done

srv = Server(os.environ.get("WS_SERVER", "websocket"))
TIMEOUT = 20          # a hang guard, never a timing assertion
MAX_MESSAGE = 16 << 20  # examples/websocket.c's /ws limit
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
NO_STATUS = 1005  # a close frame without a payload


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def mask(data, key):
    """XORs data with the 4-byte key (big integers keep 16 MiB fast)."""
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def frame(op, payload=b"", fin=True, rsv=0, masked=True, length=None):
    """One client frame; `length` forces a length encoding (16 or 64 bits)."""
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | op])
    mbit = 0x80 if masked else 0
    if length is None:
        length = 7 if n < 126 else 16 if n < 65536 else 64
    if length == 7:
        head += bytes([mbit | n])
    elif length == 16:
        head += bytes([mbit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + mask(payload, key)


def fragments(op, data, size):
    """A message as frames of `size` payload bytes (at least one frame)."""
    parts = [data[i:i + size] for i in range(0, len(data), size)] or [b""]
    return b"".join(frame(op if i == 0 else CONT, p, fin=i == len(parts) - 1)
                    for i, p in enumerate(parts))


def http_request(path="/ws", method="GET", version="HTTP/1.1", headers=None):
    lines = ["%s %s %s" % (method, path, version)]
    for k, v in (headers or {}).items():
        if v is not None:
            lines.append("%s: %s" % (k, v))
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def default_headers(port, key):
    return {"Host": "127.0.0.1:%d" % port, "Upgrade": "websocket", "Connection": "Upgrade",
            "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"}


class Conn:
    """A raw TCP connection to the server with a frame reader that checks
    every server frame: unmasked, RSV 0, minimal length encoding."""

    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def close(self):
        self.s.close()

    def send(self, data, chop=None):
        """Sends data in one write, or in writes of `chop` bytes (the first 16
        bytes one at a time). The first 64 writes pause so that the server
        reads them apart; the pauses only shape the input, nothing is timed."""
        if not chop:
            self.s.sendall(data)
            return
        i = writes = 0
        while i < len(data):
            n = 1 if i < 16 else chop
            self.s.sendall(data[i:i + n])
            i += n
            writes += 1
            if writes <= 64:
                time.sleep(0.0005)

    def fill(self, n):
        """Reads until n bytes are buffered; False at EOF."""
        while len(self.buf) < n:
            chunk = self.s.recv(max(65536, n - len(self.buf)))
            if not chunk:
                return False
            self.buf += chunk
        return True

    def take(self, n):
        assert self.fill(n), "connection closed after %d of %d bytes" % (len(self.buf), n)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def handshake(self):
        key = base64.b64encode(os.urandom(16)).decode()
        self.send(http_request(headers=default_headers(srv.port, key)))
        status, head = self.response()
        assert status == 101, (status, head)
        assert head.get("sec-websocket-accept") == accept_key(key.encode()).decode(), head
        return head

    def response(self):
        """Reads an HTTP response head: (status, {lowercase name: value})."""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            assert chunk, "connection closed before the response: %r" % bytes(self.buf)
            self.buf += chunk
        end = self.buf.index(b"\r\n\r\n")
        lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        del self.buf[:end + 4]
        head = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            head[k.strip().lower()] = v.strip()
        return int(lines[0].split()[1]), head

    def recv_frame(self):
        b0, b1 = self.take(2)
        assert b0 & 0x70 == 0, "server frame with RSV bits %#x" % b0
        assert b1 & 0x80 == 0, "server frame is masked"
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self.take(2))
            assert n >= 126, "16-bit length %d is not minimal" % n
        elif n == 127:
            (n,) = struct.unpack("!Q", self.take(8))
            assert n >= 65536, "64-bit length %d is not minimal" % n
        return bool(b0 & 0x80), b0 & 0x0F, self.take(n)

    def expect(self, op, payload):
        fin, got_op, got = self.recv_frame()
        assert (fin, got_op) == (True, op), "expected opcode %d, got %d (fin %s) %r" % (op, got_op, fin, got[:60])
        assert got == payload, "payload differs: %d bytes vs %d, %r" % (len(got), len(payload), got[:60])

    def expect_eof(self):
        """The server closes TCP: EOF (or a reset) and no more bytes."""
        try:
            more = self.s.recv(65536)
        except ConnectionResetError:
            more = b""
        assert not self.buf and not more, "bytes after the close: %r" % (bytes(self.buf) + more)[:60]

    def expect_close(self, code):
        """The next frame is a close with `code` (NO_STATUS: empty payload), then EOF."""
        fin, op, payload = self.recv_frame()
        assert op == CLOSE, "expected a close %s, got opcode %d %r" % (code, op, payload[:60])
        if code == NO_STATUS:
            assert payload == b"", payload
        else:
            assert len(payload) >= 2, payload
            got = struct.unpack("!H", payload[:2])[0]
            assert got == code, "close code %d, expected %d (%r)" % (got, code, payload[2:])
            payload[2:].decode("utf-8")  # the reason must be UTF-8
        self.expect_eof()


def ws():
    c = Conn()
    c.handshake()
    return c


def frames(pairs):
    return b"".join(frame(op, p) for op, p in pairs)


def case(data, answers=(), close=None, chop=None):
    """A fresh connection: sends data (chopped or not), checks the answers
    [(opcode, payload)] in order, then the server's close with `close`
    (NO_STATUS: an empty close). close None: the case ends cleanly, our
    close 1000 echoed."""
    def run():
        c = ws()
        c.send(data, chop)
        for op, p in answers:
            c.expect(op, p)
        if close is None:
            c.send(frame(CLOSE, code(1000)))
        c.expect_close(1000 if close is None else close)
    return run


def echo_case(op, data, chop=None):
    return case(frame(op, data), [(op, data)], chop=chop)


def fail_case(data, close, before=()):
    """Sends `before` messages (each must be echoed first), then data."""
    return case(frames(before) + data, before, close=close)


def code(n, reason=b""):
    return struct.pack("!H", n) + reason


def text_of(n):
    """n bytes of valid UTF-8 mixing 1- to 4-byte characters."""
    unit = "aé€😀".encode()
    s = (unit * (n // len(unit) + 1))[:n]
    while True:  # cut back to a character boundary, then pad with ASCII
        try:
            s.decode("utf-8")
            break
        except UnicodeDecodeError:
            s = s[:-1]
    return s + b"z" * (n - len(s))


# ---- 1 framing

SIZES = [0, 125, 126, 127, 128, 65535, 65536]
for g, (op, kind) in enumerate([(TEXT, "text"), (BINARY, "binary")], 1):
    for i, n in enumerate(SIZES, 1):
        data = text_of(n) if op == TEXT else os.urandom(n)
        check("1.%d.%d %s, %d bytes" % (g, i, kind, n), echo_case(op, data))
        check("1.%d.%d %s, %d bytes in small writes" % (g, i + len(SIZES), kind, n),
              echo_case(op, data, chop=997))
check("1.3.1 unmasked client frame -> 1002", fail_case(frame(TEXT, b"hello", masked=False), 1002))
check("1.3.2 16-bit length for 5 bytes (not minimal) -> 1002",
      fail_case(frame(TEXT, b"hello", length=16), 1002))
check("1.3.3 64-bit length for 200 bytes (not minimal) -> 1002",
      fail_case(frame(BINARY, b"x" * 200, length=64), 1002))
check("1.3.4 64-bit length with the top bit set -> 1002",
      fail_case(b"\x82\xff" + struct.pack("!Q", 1 << 63) + b"\0\0\0\0", 1002))


# ---- 2 pings and pongs

def ping_case(payloads, chop=None, before=b""):
    return case(before + b"".join(frame(PING, p) for p in payloads), [(PONG, p) for p in payloads], chop=chop)


check("2.1 ping, no payload", ping_case([b""]))
check("2.2 ping, small text payload", ping_case([b"Hello, world!"]))
check("2.3 ping, small binary payload", ping_case([bytes([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff])]))
check("2.4 ping, 125-byte binary payload", ping_case([os.urandom(125)]))
check("2.5 ping, 126-byte payload -> 1002", fail_case(frame(PING, b"\xfe" * 126), 1002))
check("2.6 ping, 125 bytes sent byte by byte", ping_case([os.urandom(125)], chop=1))
check("2.7 unsolicited pong, no payload, ignored",
      ping_case([], before=frame(PONG, b"")))
check("2.8 unsolicited pong with payload, ignored",
      ping_case([], before=frame(PONG, b"unsolicited pong payload")))
check("2.9 unsolicited pong, then ping answered", ping_case([b"ping payload"], before=frame(PONG, b"x")))
check("2.10 10 pings in a row, all answered", ping_case([b"payload-%d" % i for i in range(10)]))
check("2.11 10 pings in small writes, all answered",
      ping_case([b"payload-%d" % i for i in range(10)], chop=3))


# ---- 3 reserved bits

check("3.1 text with RSV=1 -> 1002", fail_case(frame(TEXT, b"Hello", rsv=1), 1002))
check("3.2 RSV=2 after a valid text (echoed first) -> 1002",
      fail_case(frame(TEXT, b"Hello", rsv=2) + frame(PING, b""), 1002, before=[(TEXT, b"Hello")]))
check("3.3 RSV=3 after a valid text -> 1002",
      fail_case(frame(TEXT, b"Hello", rsv=3), 1002, before=[(TEXT, b"Hello")]))
check("3.4 ping with RSV=4 after a valid text -> 1002",
      fail_case(frame(PING, b"", rsv=4), 1002, before=[(TEXT, b"Hello")]))
check("3.5 binary with RSV=5 -> 1002", fail_case(frame(BINARY, os.urandom(8), rsv=5), 1002))
check("3.6 ping with RSV=6 -> 1002", fail_case(frame(PING, b"Hello", rsv=6), 1002))
check("3.7 close with RSV=7 -> 1002", fail_case(frame(CLOSE, code(1000), rsv=7), 1002))
OPS = [(TEXT, "text", b"Hello"), (BINARY, "binary", b"\x00\xff"), (PING, "ping", b"p"),
       (PONG, "pong", b"p"), (CLOSE, "close", code(1000))]
i = 0
for op, name, payload in OPS:
    for rsv in range(1, 8):
        i += 1
        check("3.8.%d %s with RSV=%d after a valid binary -> 1002" % (i, name, rsv),
              fail_case(frame(op, payload, rsv=rsv), 1002, before=[(BINARY, b"ok")]))


# ---- 4 opcodes

for g, ops in [(1, range(3, 8)), (2, range(11, 16))]:
    for i, op in enumerate(ops, 1):
        check("4.%d.%d reserved opcode %d -> 1002" % (g, i, op), fail_case(frame(op, b""), 1002))
        check("4.%d.%d reserved opcode %d with payload, after a valid text -> 1002" % (g, i + 5, op),
              fail_case(frame(op, b"reserved") + frame(PING, b""), 1002, before=[(TEXT, b"Hello")]))


# ---- 5 fragmentation

def frag_case(parts, answers, chop=None):
    return case(b"".join(parts), answers, chop=chop)


T1, T2 = b"fragment1", b"fragment2"
two = [frame(TEXT, T1, fin=False), frame(CONT, T2)]
with_ping = [frame(TEXT, T1, fin=False), frame(PING, b"ping"), frame(CONT, T2)]
check("5.1 ping in 2 fragments -> 1002",
      fail_case(frame(PING, b"frag", fin=False) + frame(CONT, b"ment"), 1002))
check("5.2 pong in 2 fragments -> 1002",
      fail_case(frame(PONG, b"frag", fin=False) + frame(CONT, b"ment"), 1002))
check("5.3 text in 2 fragments", frag_case(two, [(TEXT, T1 + T2)]))
check("5.4 text in 2 fragments, small writes", frag_case(two, [(TEXT, T1 + T2)], chop=4))
check("5.5 text in 2 fragments, byte by byte", frag_case(two, [(TEXT, T1 + T2)], chop=1))
check("5.6 text in 2 fragments with a ping between (pong first)",
      frag_case(with_ping, [(PONG, b"ping"), (TEXT, T1 + T2)]))
check("5.7 same, small writes", frag_case(with_ping, [(PONG, b"ping"), (TEXT, T1 + T2)], chop=4))
check("5.8 same, byte by byte", frag_case(with_ping, [(PONG, b"ping"), (TEXT, T1 + T2)], chop=1))
for i, fin in [(9, True), (12, False)]:
    nothing = frame(CONT, b"fragment1", fin=fin) + frame(TEXT, b"fragment2")
    check("5.%d continuation (FIN=%d) with nothing to continue -> 1002" % (i, fin), fail_case(nothing, 1002))
    check("5.%d same, small writes" % (i + 1),
          case(nothing, close=1002, chop=3))
    check("5.%d same, after a valid text" % (i + 2), fail_case(nothing, 1002, before=[(TEXT, b"ok")]))
check("5.15 continuation after a finished fragmented text -> 1002",
      case(b"".join(two) + frame(CONT, b"x", fin=False) + frame(TEXT, b"y"), [(TEXT, T1 + T2)], close=1002))
check("5.16 text before the fragmented text ended -> 1002",
      fail_case(frame(TEXT, T1, fin=False) + frame(TEXT, T2), 1002))
check("5.17 binary before the fragmented text ended -> 1002",
      fail_case(frame(TEXT, T1, fin=False) + frame(BINARY, T2), 1002))
check("5.18 text before the fragmented binary ended -> 1002",
      fail_case(frame(BINARY, T1, fin=False) + frame(CONT, T2, fin=False) + frame(TEXT, T2), 1002))
five = [b"fragment%d" % i for i in range(1, 6)]
with_pings = [frame(TEXT, five[0], fin=False), frame(CONT, five[1], fin=False), frame(PING, b"pongme 1!"),
              frame(CONT, five[2], fin=False), frame(CONT, five[3], fin=False), frame(PING, b"pongme 2!"),
              frame(CONT, five[4])]
check("5.19 text in 5 fragments with 2 pings between",
      frag_case(with_pings, [(PONG, b"pongme 1!"), (PONG, b"pongme 2!"), (TEXT, b"".join(five))]))
check("5.20 same, small writes",
      frag_case(with_pings, [(PONG, b"pongme 1!"), (PONG, b"pongme 2!"), (TEXT, b"".join(five))], chop=5))
blob = os.urandom(1000)
check("5.21 binary in 2 fragments", frag_case([fragments(BINARY, blob, 500)], [(BINARY, blob)]))
check("5.22 binary in 1-byte fragments", frag_case([fragments(BINARY, blob, 1)], [(BINARY, blob)]))
text = text_of(1000)
check("5.23 text in 1-byte fragments (characters split)", frag_case([fragments(TEXT, text, 1)], [(TEXT, text)]))
check("5.24 text in 100 fragments", frag_case([fragments(TEXT, text, 10)], [(TEXT, text)]))
check("5.25 text of empty fragments",
      frag_case([frame(TEXT, b"", fin=False), frame(CONT, b"", fin=False), frame(CONT, b"")], [(TEXT, b"")]))
check("5.26 pong between fragments ignored",
      frag_case([frame(BINARY, b"ab", fin=False), frame(PONG, b"x"), frame(CONT, b"cd")], [(BINARY, b"abcd")]))
check("5.27 close in 2 fragments -> 1002",
      fail_case(frame(CLOSE, code(1000), fin=False) + frame(CONT, b""), 1002))
check("5.28 close between fragments ends the connection (close echoed, message dropped)",
      case(frame(TEXT, T1, fin=False) + frame(CLOSE, code(1000)) + frame(CONT, T2), close=1000))


# ---- 6 UTF-8 (Autobahn's cases, from Markus Kuhn's UTF-8 decoder stress test)

KOSME = "κόσμε".encode()
UTF8 = [  # (case, description, bytes, valid)
    ("6.1.1", "empty", b"", True),
    ("6.2.1", "Hello-µ@ßöäüàá-UTF-8!!", "Hello-µ@ßöäüàá-UTF-8!!".encode(), True),
    ("6.3.1", "κόσμε with a surrogate", KOSME + b"\xed\xa0\x80edited", False),
    ("6.5.1", "κόσμε", KOSME, True),
    ("6.5.2", "κόσμε with the emoji", KOSME + "😀".encode(), True),
]
SEQS = [  # Autobahn group: (description, [sequences], valid)
    ("6.7", "first possible sequence of each length", [b"\x00", b"\xc2\x80", b"\xe0\xa0\x80", b"\xf0\x90\x80\x80"], True),
    ("6.8", "first possible 5- and 6-byte forms", [b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80"], False),
    ("6.9", "last possible sequence of each length", [b"\x7f", b"\xdf\xbf", b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf"], True),
    ("6.10", "last possible 4-, 5- and 6-byte forms", [b"\xf7\xbf\xbf\xbf", b"\xfb\xbf\xbf\xbf\xbf",
                                                     b"\xfd\xbf\xbf\xbf\xbf\xbf"], False),
    ("6.11", "boundaries U+D7FF, U+E000, U+FFFD, U+10FFFF",
     [b"\xed\x9f\xbf", b"\xee\x80\x80", b"\xef\xbf\xbd", b"\xf4\x8f\xbf\xbf"], True),
    ("6.24", "above U+10FFFF (Autobahn 6.11.5 among them)", [b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80"], False),
    ("6.12", "unexpected continuation bytes", [b"\x80", b"\xbf", b"\x80\xbf", b"\x80\xbf\x80", b"\x80\xbf\x80\xbf",
                                               b"\x80\xbf\x80\xbf\x80", bytes(range(0x80, 0xc0))], False),
    ("6.13", "lonely start characters", [bytes(b for c in range(lo, hi) for b in (c, 0x20))
                                         for lo, hi in [(0xc0, 0xe0), (0xe0, 0xf0), (0xf0, 0xf8), (0xf8, 0xfc),
                                                        (0xfc, 0xfe)]], False),
    ("6.14", "last continuation byte missing", [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80",
                                                b"\xfc\x80\x80\x80\x80", b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf",
                                                b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf", b"\xc2",
                                                b"\xe0\xa0", b"\xf0\x90\x80", b"a\xe2\x82"], False),
    ("6.15", "concatenated incomplete sequences", [b"\xc0\xe0\x80\xf0\x80\x80\xf8\x80\x80\x80\xfc\x80\x80\x80\x80"
                                                   b"\xdf\xef\xbf\xf7\xbf\xbf\xfb\xbf\xbf\xbf\xfd\xbf\xbf\xbf\xbf"],
     False),
    ("6.16", "impossible bytes", [b"\xfe", b"\xff", b"\xfe\xfe\xff\xff"], False),
    ("6.17", "overlong '/'", [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xf8\x80\x80\x80\xaf",
                              b"\xfc\x80\x80\x80\x80\xaf"], False),
    ("6.18", "maximum overlongs", [b"\xc1\xbf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf", b"\xf8\x87\xbf\xbf\xbf",
                                   b"\xfc\x83\xbf\xbf\xbf\xbf"], False),
    ("6.19", "overlong NUL", [b"\xc0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xf8\x80\x80\x80\x80",
                              b"\xfc\x80\x80\x80\x80\x80"], False),
    ("6.20", "single UTF-16 surrogates", [b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf",
                                          b"\xed\xb0\x80", b"\xed\xbe\x80", b"\xed\xbf\xbf"], False),
    ("6.21", "paired UTF-16 surrogates", [b"\xed\xa0\x80\xed\xb0\x80", b"\xed\xa0\x80\xed\xbf\xbf",
                                          b"\xed\xad\xbf\xed\xb0\x80", b"\xed\xad\xbf\xed\xbf\xbf",
                                          b"\xed\xae\x80\xed\xb0\x80", b"\xed\xae\x80\xed\xbf\xbf",
                                          b"\xed\xaf\xbf\xed\xb0\x80", b"\xed\xaf\xbf\xed\xbf\xbf"], False),
    ("6.22", "non-characters (valid UTF-8)", [b"\xef\xbf\xbe", b"\xef\xbf\xbf", b"\xf0\x9f\xbf\xbe",
                                              b"\xf0\x9f\xbf\xbf", b"\xf4\x8f\xbf\xbe", b"\xf4\x8f\xbf\xbf",
                                              b"\xef\xb7\x90", b"\xef\xb7\xaf"], True),
    ("6.23", "U+FFFD and U+FEFF", [b"\xef\xbf\xbd", b"\xef\xbb\xbf", b"a\xef\xbf\xbdb"], True),
]
for group, desc, seqs, valid in SEQS:
    for i, s in enumerate(seqs, 1):
        UTF8.append(("%s.%d" % (group, i), "%s %s" % (desc, s[:12].hex()), s, valid))
        if not valid:  # the bad sequence after valid text, as Autobahn's κόσμε cases
            UTF8.append(("%s.%d" % (group, i + 100), "%s after κόσμε" % desc, KOSME + s + b"edited", False))


TAILS = [b""] + [bytes([c]) + b"\x80" * j for c in range(0x80, 0xc0) for j in range(3)]


def first_bad(data):
    """The index of the first byte no valid UTF-8 can continue with (len(data)
    when only the end is missing, None when valid), worked out with Python's
    own strict decoder: a prefix is viable if some continuation completes it
    (only the first continuation byte's range depends on the lead byte)."""
    def viable(p):
        for t in TAILS:
            try:
                (p + t).decode("utf-8")
                return True
            except UnicodeDecodeError:
                pass
        return False
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    for i in range(len(data)):
        if not viable(data[:i + 1]):
            return i
    return len(data)


def utf8_valid_case(data):
    """Valid: echoed whole, as one frame, in 1-byte fragments and split in two
    at every byte, on one connection."""
    msgs = [frame(TEXT, data), fragments(TEXT, data, 1)]
    msgs += [frame(TEXT, data[:k], fin=False) + frame(CONT, data[k:]) for k in range(1, len(data))]
    return case(b"".join(msgs), [(TEXT, data)] * len(msgs))


def fail_fast(parts):
    """Sends frames one by one: once a frame holds the first bad byte, the
    close 1007 must come before anything more is sent."""
    bad = first_bad(b"".join(parts))
    c = ws()
    seen = 0
    for i, p in enumerate(parts):
        c.send(frame(TEXT if i == 0 else CONT, p, fin=i == len(parts) - 1))
        seen += len(p)
        if seen > bad or i == len(parts) - 1:
            break
    c.expect_close(1007)


def utf8_invalid_case(data):
    """Invalid: 1007 as one frame, in 1-byte fragments and split in two at
    every byte, each time fail-fast."""
    def run():
        assert first_bad(data) is not None
        fail_fast([data])
        fail_fast([data[i:i + 1] for i in range(len(data))])
        for k in range(1, len(data)):
            fail_fast([data[:k], data[k:]])
    return run


def utf8_table_agrees():
    for num, desc, data, valid in UTF8:
        assert (first_bad(data) is None) == valid, (num, desc)


check("6.0 the table agrees with Python's UTF-8 decoder", utf8_table_agrees)
for num, desc, data, valid in UTF8:
    check("%s %s %s" % (num, desc, "echoed" if valid else "-> 1007 (fail-fast)"),
          (utf8_valid_case if valid else utf8_invalid_case)(data))
check("6.4.1 fail-fast: 3 fragments, the bad one second, the close before the third",
      lambda: fail_fast([KOSME, b"\xf4\x90\x80\x80", b"edited"]))
check("6.4.2 fail-fast: the bad byte alone in the second fragment",
      lambda: fail_fast([KOSME + b"\xf4", b"\x90", b"\x80\x80edited"]))
check("6.4.3 fail-fast: a bad byte early in a 64 KiB message's first fragment",
      lambda: fail_fast([b"a" * 10 + b"\xc0" + b"a" * 1000, b"b" * 65536]))


# ---- 7 close

def close_case(payload, close, extra=b"", before=()):
    """Sends `before` messages, a close frame with payload, then extra."""
    return case(frames(before) + frame(CLOSE, payload) + extra, before, close=close)


check("7.1.1 text echoed, then a clean close", close_case(code(1000), 1000, before=[(TEXT, b"Hello")]))
check("7.1.2 a second close is ignored", close_case(code(1000), 1000, extra=frame(CLOSE, code(1000))))
check("7.1.3 a ping after the close is not answered", close_case(code(1000), 1000, extra=frame(PING, b"x")))
check("7.1.4 text after the close is not echoed", close_case(code(1000), 1000, extra=frame(TEXT, b"x")))
check("7.1.5 close between fragments, the rest ignored",
      case(frame(TEXT, T1, fin=False) + frame(CLOSE, code(1000)) + frame(CONT, T2), close=1000))
big = text_of(256 << 10)
check("7.1.6 256 KiB text echoed, then close, then a ping (not answered)",
      close_case(code(1000), 1000, extra=frame(PING, b"x"), before=[(TEXT, big)]))
check("7.3.1 empty close -> empty close echoed", close_case(b"", NO_STATUS))
check("7.3.2 1-byte close payload -> 1002", close_case(b"\x03", 1002))
check("7.3.3 close 1000 without reason echoed", close_case(code(1000), 1000))
check("7.3.4 close 1000 with a reason", close_case(code(1000, b"Normal close"), 1000))
check("7.3.5 close 1000 with a 123-byte reason", close_case(code(1000, b"*" * 123), 1000))
check("7.3.6 close with a 124-byte reason (126-byte payload) -> 1002",
      fail_case(frame(CLOSE, code(1000, b"*" * 124)), 1002))
check("7.5.1 close reason with invalid UTF-8 -> 1007", close_case(code(1000, KOSME + b"\xed\xa0\x80edited"), 1007))
check("7.5.2 close reason cut inside a character -> 1007", close_case(code(1000, KOSME[:-1]), 1007))
# RFC 6455 §7.4 and the IANA WebSocket Close Code Number registry: 1012
# (Service Restart), 1013 (Try Again Later) and 1014 (Bad Gateway) are
# registered since; 1015 (TLS handshake) must never be sent. The server
# accepts 1000-1003, 1007-1014 and 3000-4999.
VALID = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
INVALID = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
for i, n in enumerate(VALID, 1):
    check("7.7.%d close code %d echoed" % (i, n), close_case(code(n, b"reason"), n))
for i, n in enumerate(INVALID, 1):
    check("7.9.%d close code %d -> 1002" % (i, n), close_case(code(n), 1002))


# ---- 9 limits

def big_case(op, data, size=None):
    """One message in one frame or in fragments of `size`, echoed whole."""
    return case(frame(op, data) if size is None else fragments(op, data, size), [(op, data)])


def over_limit_header():
    """A frame header announcing one byte over the limit fails at once."""
    c = ws()
    c.send(frame(BINARY, b"", length=64)[:2] + struct.pack("!Q", MAX_MESSAGE + 1) + os.urandom(4) + b"x" * 1000)
    c.expect_close(1009)


def over_limit_in_pieces(op):
    def run():
        c = ws()
        data = text_of(MAX_MESSAGE) if op == TEXT else os.urandom(MAX_MESSAGE)
        c.send(frame(op, data[:1 << 20], fin=False))
        c.send(b"".join(frame(CONT, data[i:i + (1 << 20)], fin=False) for i in range(1 << 20, MAX_MESSAGE, 1 << 20)))
        c.send(frame(CONT, b"z"))
        c.expect_close(1009)
    return run


BIG = [64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20]
FRAGS = [64, 256, 1024, 4096, 16384, 65536]
t0 = time.time()
for g, (op, kind) in enumerate([(TEXT, "text"), (BINARY, "binary")]):
    for i, n in enumerate(BIG, 1):
        data = text_of(n) if op == TEXT else os.urandom(n)
        check("9.%d.%d %s, %d KiB in one frame" % (1 + g, i, kind, n >> 10), big_case(op, data))
        for j, f in enumerate(FRAGS, 1):
            check("9.%d.%d.%d %s, %d KiB in %d-byte fragments" % (3 + g, i, j, kind, n >> 10, f),
                  big_case(op, data, f))
    data = text_of(1 << 20) if op == TEXT else os.urandom(1 << 20)
    for j, f in enumerate([64, 128, 256, 512, 1024, 2048, 4096], 1):
        check("9.%d.%d %s, 1 MiB in one frame sent in writes of %d bytes" % (5 + g, j, kind, f),
              case(frame(op, data), [(op, data)], chop=f))


def round_trips(op, n, count=1000):
    """count messages of n bytes, each echoed before the next is sent."""
    def run():
        c = ws()
        for _ in range(count):
            data = text_of(n) if op == TEXT else os.urandom(n)
            c.send(frame(op, data))
            c.expect(op, data)
        c.send(frame(CLOSE, code(1000)))
        c.expect_close(1000)
    return run


for g, (op, kind) in enumerate([(TEXT, "text"), (BINARY, "binary")]):
    for i, n in enumerate([0, 16, 64, 256, 1024, 4096], 1):
        check("9.%d.%d 1000 %s messages of %d bytes, one round trip each" % (7 + g, i, kind, n), round_trips(op, n))
check("9.9.1 a frame of 16 MiB + 1 -> 1009 at its header", over_limit_header)
check("9.9.2 text of 16 MiB + 1 in fragments -> 1009", over_limit_in_pieces(TEXT))
check("9.9.3 binary of 16 MiB + 1 in fragments -> 1009", over_limit_in_pieces(BINARY))
print("group 9 took %.1f s" % (time.time() - t0))


# ---- H handshake

def raw_handshake(headers=None, method="GET", version="HTTP/1.1", key=None):
    key = key or base64.b64encode(os.urandom(16)).decode()
    h = default_headers(srv.port, key)
    for k, v in (headers or {}).items():
        h[k] = v
    c = Conn()
    c.send(http_request(method=method, version=version, headers=h))
    status, head = c.response()
    c.close()
    return status, head, key


def refused(status, headers=None, **kw):
    def run():
        got, head, _ = raw_handshake(headers, **kw)
        assert got == status, (got, head)
        if status == 426:
            assert head.get("sec-websocket-version") == "13", head
        assert "sec-websocket-accept" not in head, head
    return run


def accepted(headers=None, absent=()):
    def run():
        got, head, key = raw_handshake(headers)
        assert got == 101, (got, head)
        assert head.get("sec-websocket-accept") == accept_key(key.encode()).decode(), head
        assert head.get("upgrade", "").lower() == "websocket", head
        assert "upgrade" in head.get("connection", "").lower(), head
        for name in absent:
            assert name not in head, head
    return run


def rfc_example_key():
    assert accept_key(b"dGhlIHNhbXBsZSBub25jZQ==") == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    got, head, _ = raw_handshake(key="dGhlIHNhbXBsZSBub25jZQ==")
    assert got == 101 and head.get("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head


host = "127.0.0.1:%d" % srv.port
check("H.1 the RFC 6455 §1.3 example key gets s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", rfc_example_key)
check("H.2 a random key gets its Sec-WebSocket-Accept", accepted())
check("H.3 header values are case-insensitive, Connection a list",
      accepted({"Upgrade": "WebSocket", "Connection": "keep-alive, upgrade"}))
check("H.4 same Origin accepted", accepted({"Origin": "http://" + host}))
check("H.5 permessage-deflate offer -> 101 without Sec-WebSocket-Extensions",
      accepted({"Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits"},
               absent=["sec-websocket-extensions"]))
check("H.6 a subprotocol offer nobody selects -> 101 without Sec-WebSocket-Protocol",
      accepted({"Sec-WebSocket-Protocol": "chat, superchat"}, absent=["sec-websocket-protocol"]))
check("H.7 Upgrade missing -> 400", refused(400, {"Upgrade": None}))
check("H.8 Upgrade: h2c -> 400", refused(400, {"Upgrade": "h2c"}))
check("H.9 Connection missing -> 400", refused(400, {"Connection": None}))
check("H.10 Connection: keep-alive -> 400", refused(400, {"Connection": "keep-alive"}))
check("H.11 Sec-WebSocket-Key missing -> 400", refused(400, {"Sec-WebSocket-Key": None}))
check("H.12 Sec-WebSocket-Key of 15 bytes -> 400",
      refused(400, {"Sec-WebSocket-Key": base64.b64encode(os.urandom(15)).decode()}))
check("H.13 Sec-WebSocket-Key of 17 bytes -> 400",
      refused(400, {"Sec-WebSocket-Key": base64.b64encode(os.urandom(17)).decode()}))
check("H.14 Sec-WebSocket-Key not base64 -> 400", refused(400, {"Sec-WebSocket-Key": "!!!!not-base64-at-all!!!"}))
check("H.15 HTTP/1.0 -> 400", refused(400, version="HTTP/1.0"))
check("H.16 Sec-WebSocket-Version 8 -> 426 with Sec-WebSocket-Version: 13",
      refused(426, {"Sec-WebSocket-Version": "8"}))
# Tornado answers a missing version 426 as well (RFC 6455 §4.4 names the
# version the server speaks), not 400.
check("H.17 Sec-WebSocket-Version missing -> 426 with Sec-WebSocket-Version: 13",
      refused(426, {"Sec-WebSocket-Version": None}))
check("H.18 POST -> 405", refused(405, method="POST"))
check("H.19 Origin from another host -> 403", refused(403, {"Origin": "http://evil.example"}))
check("H.20 Origin with another port -> 403", refused(403, {"Origin": "http://127.0.0.1:1"}))
check("H.21 frames right after the 101 work",
      case(frame(TEXT, b"hi"), [(TEXT, b"hi")]))


# ---- 12 and 13 permessage-deflate (RFC 7692) on /wsz, Autobahn's shapes:
# 12 echoes payloads of 16 B..128 KiB under the default offer, 13 the same
# under each parameter set (with and without context takeover, small and
# large windows, several offers). zlib (the oracle) compresses ours and
# inflates the server's with the negotiated window, a fresh inflater per
# message where server_no_context_takeover was agreed: a server that
# referred back or past its window fails here.

def pmd_params(header):
    """{'server_max_window_bits': '10', 'client_no_context_takeover': None, ...}"""
    parts = [p.strip() for p in header.split(";")]
    assert parts[0] == "permessage-deflate", header
    return {k.strip(): (v.strip() if v else None) for k, _, v in (p.partition("=") for p in parts[1:])}


class ZConn(Conn):
    """A raw connection to /wsz with permessage-deflate negotiated by `offer`."""

    def __init__(self, offer, path="/wsz"):
        Conn.__init__(self)
        key = base64.b64encode(os.urandom(16)).decode()
        h = default_headers(srv.port, key)
        h["Sec-WebSocket-Extensions"] = offer
        self.send(http_request(path=path, headers=h))
        status, head = self.response()
        assert status == 101, (status, head)
        self.answer = head.get("sec-websocket-extensions")
        p = pmd_params(self.answer) if self.answer else {}
        self.params = p
        self.cbits = int(p.get("client_max_window_bits") or 15)
        self.sbits = int(p.get("server_max_window_bits") or 15)
        self.c_nct = "client_no_context_takeover" in p
        self.s_nct = "server_no_context_takeover" in p
        self.comp = self.decomp = None

    def compress(self, data):
        if self.comp is None or self.c_nct:
            # zlib cannot compress with an 8-bit window and uses 9 (so does
            # every zlib-based peer): the server keeps 9 bits to inflate
            self.comp = zlib.compressobj(6, zlib.DEFLATED, -max(self.cbits, 9))
        z = self.comp.compress(data) + self.comp.flush(zlib.Z_SYNC_FLUSH)
        assert z.endswith(b"\x00\x00\xff\xff")
        return z[:-4]

    def inflate(self, payload):
        if self.decomp is None or self.s_nct:
            self.decomp = zlib.decompressobj(-self.sbits)
        return self.decomp.decompress(payload + b"\x00\x00\xff\xff")

    def send_message(self, op, data, compressed=True, chop=None):
        payload = self.compress(data) if compressed else data
        self.send(frame(op, payload, rsv=4 if compressed else 0), chop)

    def recv_message(self):
        """One whole message: (opcode, was it compressed, payload inflated)."""
        b0, b1 = self.take(2)
        assert b0 & 0x30 == 0, "server frame with RSV2/3 %#x" % b0
        assert b0 & 0x80, "server fragmented a message"
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self.take(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self.take(8))
        payload = self.take(n)
        op, rsv1 = b0 & 0x0F, bool(b0 & 0x40)
        assert not (rsv1 and op >= 8), "a compressed control frame"
        return op, rsv1, self.inflate(payload) if rsv1 else payload


PMD_SIZES = [16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072]
PMD_COUNT = 20  # Autobahn sends 1000 of each; 20 cover context takeover


def pmd_payload(op, n, i):
    if op == BINARY:
        return os.urandom(n // 2) + bytes(n - n // 2)
    return text_of(n) if i % 2 else (b"Hello, permessage-deflate! " * (n // 26 + 1))[:n]


def pmd_case(offer, want=None, sizes=PMD_SIZES, op=TEXT):
    """Echoes PMD_COUNT messages of each size; each reply above the server's
    64-byte threshold must come compressed."""
    def run():
        c = ZConn(offer)
        assert c.answer is not None, "declined: %s" % offer
        if want is not None:
            assert pmd_params(c.answer) == want, (c.answer, want)
        for n in sizes:
            for i in range(PMD_COUNT):
                data = pmd_payload(op, n, i)
                c.send_message(op, data)
                got_op, rsv1, got = c.recv_message()
                assert (got_op, got) == (op, data), (n, i, got_op, len(got))
                assert rsv1 == (n >= 64), (n, rsv1)
        c.send(frame(CLOSE, code(1000)))
        c.expect_close(1000)
    return run


t0 = time.time()
check("12.1 text 16 B..128 KiB x%d, default offer" % PMD_COUNT, pmd_case("permessage-deflate"))
check("12.2 binary 16 B..128 KiB x%d, default offer" % PMD_COUNT, pmd_case("permessage-deflate", op=BINARY))
check("12.3 text, the offer browsers send",
      pmd_case("permessage-deflate; client_max_window_bits", want={}))
check("13.1 server_no_context_takeover",
      pmd_case("permessage-deflate; server_no_context_takeover", want={"server_no_context_takeover": None}))
check("13.2 client_no_context_takeover",
      pmd_case("permessage-deflate; client_no_context_takeover", want={"client_no_context_takeover": None}))
for w in (8, 9, 12, 15):
    check("13.3 server_max_window_bits=%d, client_max_window_bits=%d" % (w, w),
          pmd_case("permessage-deflate; server_max_window_bits=%d; client_max_window_bits=%d" % (w, w),
                   want=dict({"server_max_window_bits": str(w)},
                             **({"client_max_window_bits": str(w)} if w < 15 else {}))))
check("13.4 no context takeover both ways, 9-bit windows",
      pmd_case('permessage-deflate; server_no_context_takeover; client_no_context_takeover; '
               'server_max_window_bits="9"; client_max_window_bits=9',
               want={"server_no_context_takeover": None, "client_no_context_takeover": None,
                     "server_max_window_bits": "9", "client_max_window_bits": "9"}))
check("13.5 several offers: an invalid first one is skipped, the second taken",
      pmd_case("permessage-deflate; bogus=1, permessage-deflate; server_max_window_bits=10, permessage-deflate",
               want={"server_max_window_bits": "10"}))
check("13.6 another extension first, then ours",
      pmd_case("x-webkit-deflate-frame, permessage-deflate; client_no_context_takeover",
               want={"client_no_context_takeover": None}))
print("groups 12 and 13 took %.1f s" % (time.time() - t0))


def pmd_declined(offer):
    def run():
        c = ZConn(offer)
        assert c.answer is None, c.answer
        # RSV1 now has no meaning: a compressed frame is a protocol error.
        c.send(frame(TEXT, b"\xf2\x48\xcd\xc9\xc9\x07\x00", rsv=4))
        c.expect_close(1002)
    return run


for bad in ["permessage-deflate; server_max_window_bits=16", "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits", "permessage-deflate; server_max_window_bits=010",
            "permessage-deflate; client_max_window_bits=99", "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
            "permessage-deflate; x=1", "permessage-deflat", "x-webkit-deflate-frame"]:
    check("13.D %r declined (101, no extension, RSV1 then 1002)" % bad, pmd_declined(bad))


def pmd_fail(send, close, offer="permessage-deflate"):
    def run():
        c = ZConn(offer)
        send(c)
        c.expect_close(close)
    return run


check("13.F1 RSV1 on a ping -> 1002", pmd_fail(lambda c: c.send(frame(PING, b"x", rsv=4)), 1002))
check("13.F2 RSV1 on a close -> 1002", pmd_fail(lambda c: c.send(frame(CLOSE, code(1000), rsv=4)), 1002))
check("13.F3 RSV1 on a continuation -> 1002",
      pmd_fail(lambda c: c.send(frame(TEXT, c.compress(b"ab"), fin=False, rsv=4) + frame(CONT, b"", rsv=4)), 1002))
check("13.F4 RSV2 still -> 1002", pmd_fail(lambda c: c.send(frame(TEXT, b"x", rsv=2)), 1002))
check("13.F5 corrupt compressed data -> 1007",
      pmd_fail(lambda c: c.send(frame(TEXT, b"\xff\xff\xff\xff\xff", rsv=4)), 1007))
check("13.F6 compressed text that inflates to bad UTF-8 -> 1007",
      pmd_fail(lambda c: c.send_message(TEXT, b"ok \xc3\x28 not"), 1007))
check("13.F7 compressed text inflating past 16 MiB -> 1009",
      pmd_fail(lambda c: c.send_message(BINARY, bytes(MAX_MESSAGE + 1)), 1009))


def pmd_fragmented():
    c = ZConn("permessage-deflate")
    data = base64.b64encode(os.urandom(75000))  # about 75 KiB compressed
    z = c.compress(data)
    parts = [z[i:i + 1000] for i in range(0, len(z), 1000)]
    msg = frame(TEXT, parts[0], fin=False, rsv=4) + b"".join(
        frame(CONT, p, fin=i == len(parts) - 2) for i, p in enumerate(parts[1:]))
    c.send(frame(PING, b"between") + msg, chop=333)
    assert c.recv_message() == (PONG, False, b"between")
    assert c.recv_message() == (TEXT, True, data)
    c.send_message(TEXT, b"small", compressed=False)
    assert c.recv_message() == (TEXT, False, b"small")  # under the threshold: plain
    c.send_message(TEXT, b"")
    assert c.recv_message() == (TEXT, False, b"")
    c.send(frame(CLOSE, code(1000)))
    c.expect_close(1000)


check("13.7 a compressed message in 1000-byte fragments, chopped; plain and empty ones between",
      pmd_fragmented)


def clean_exit():
    status = srv.stop()
    assert status == 0, status


check("server exits cleanly on SIGTERM", clean_exit)
done()
