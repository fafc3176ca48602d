"""examples/websocket's chat (Tornado's demos/websocket) against clients
nobody here wrote: Python's `websockets` (Debian's python3-websockets, seen
by /usr/bin/python3) and headless chromium driven by Node's playwright-core
(tests/node/chat_browser.js)."""
import asyncio
import html
import json
import os
import re
import shutil
import socket
import subprocess
import urllib.request

from harness import ROOT, Server, check, done

try:
    import websockets
except ImportError:
    websockets = None

srv = Server("websocket")
CACHE_SIZE = 200
MAX_CHAT_MESSAGE = 64 * 1024


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def url(path):
    return "http://127.0.0.1:%d%s" % (srv.port, path)


def connect(**kw):
    return websockets.connect("ws://127.0.0.1:%d/chatsocket" % srv.port, **kw)


def page():
    with urllib.request.urlopen(url("/"), timeout=30) as r:
        assert r.status == 200, r.status
        assert r.headers["Content-Type"].startswith("text/html"), r.headers["Content-Type"]
        return r.read().decode()


def cached_bodies(text):
    """The bodies of the messages in a page's inbox, unescaped, in order."""
    return [html.unescape(m) for m in
            re.findall(r'<div class="message" id="m[0-9a-f]{32}">(.*?)</div>', text, re.S)]


async def recv_json(ws):
    return json.loads(await ws.recv())


async def broadcast():
    body = "hi <script>alert('x')</script> & \"friends\" \u00e9\u2028"
    async with connect() as a, connect() as b:
        await a.send(json.dumps({"body": body}))
        got_a, got_b = await recv_json(a), await recv_json(b)
    assert got_a == got_b, (got_a, got_b)
    assert sorted(got_a) == ["body", "html", "id"], got_a
    assert re.fullmatch(r"[0-9a-f]{32}", got_a["id"]), got_a["id"]
    assert got_a["body"] == body, got_a["body"]
    want = '<div class="message" id="m%s">%s</div>\n' % (
        got_a["id"], html.escape(body, quote=True).replace("&#x27;", "&#39;"))
    assert got_a["html"] == want, got_a["html"]
    assert "<script>" not in got_a["html"]
    # A client connecting later sees it in the page, rendered by the server.
    text = page()
    assert got_a["html"] in text, "the message is not in the page"
    assert cached_bodies(text)[-1] == body


async def cache_keeps_last():
    tag = os.urandom(4).hex()
    bodies = ["[%s:%d]" % (tag, i) for i in range(1, CACHE_SIZE + 6)]
    async with connect() as ws:
        for b in bodies:
            await ws.send(json.dumps({"body": b}))
        for b in bodies:  # our own broadcasts: every message was handled
            assert (await recv_json(ws))["body"] == b
    assert cached_bodies(page()) == bodies[5:], "the page is not messages 6..205"


async def refused(payload, code):
    async with connect() as ws:
        await ws.send(payload)
        try:
            await ws.recv()
            raise AssertionError("%r was accepted" % payload)
        except websockets.ConnectionClosed as e:
            assert e.code == code, (payload, e.code)


BAD = [
    ("not json", 1007), ('{"body": "unterminated', 1007), ("[]", 1007), ('"body"', 1007),
    ('{"text": "no body"}', 1007), ('{"body": 5}', 1007), ('{"body": null}', 1007),
    ('{"body": ["a"]}', 1007), (b'{"body": "binary"}', 1003),
    (json.dumps({"body": "x" * MAX_CHAT_MESSAGE}), 1009),
]


async def bad_messages():
    for payload, code in BAD:
        await refused(payload, code)
    async with connect() as ws:  # still serving, and a message at the limit passes
        body = "y" * (MAX_CHAT_MESSAGE - len('{"body": ""}'))
        await ws.send(json.dumps({"body": body}))
        assert (await recv_json(ws))["body"] == body


async def origin():
    async with connect(origin="http://127.0.0.1:%d" % srv.port) as ws:
        await ws.send(json.dumps({"body": "same origin"}))
        assert (await recv_json(ws))["body"] == "same origin"
    for foreign in ["http://evil.example", "http://127.0.0.1:1", "null"]:
        try:
            async with connect(origin=foreign):
                raise AssertionError("origin %s was accepted" % foreign)
        except websockets.InvalidStatusCode as e:
            assert e.status_code == 403, (foreign, e.status_code)


def raw_upgrade():
    """A chat socket opened by hand, with a tiny receive buffer, never read."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(30)
    s.connect(("127.0.0.1", srv.port))
    s.sendall(b"GET /chatsocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              b"Sec-WebSocket-Version: 13\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


async def post_many(n, size):
    async with connect(max_size=None) as ws:
        for i in range(n):
            await ws.send(json.dumps({"body": "%d:" % i + "z" * size}))
            await ws.recv()  # this one keeps up


def slow_reader_dropped():
    s = raw_upgrade()
    try:
        # 12 MB to a reader that takes none: far past the socket's 2 MiB limit
        # plus what the kernels buffer.
        run(post_many(200, 60000))
        received = 0
        while True:  # what was queued, then the end; a timeout if never dropped
            try:
                chunk = s.recv(1 << 16)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += len(chunk)
        assert received < 200 * 60000, received
    finally:
        s.close()
    assert any("dropping the connection" in line for line in srv.log), "no log line"
    run(cache_keeps_last())  # and the chat still works


def browser():
    node = shutil.which("node")
    script = os.path.join(ROOT, "tests", "node", "chat_browser.js")
    r = subprocess.run([node, script, url("/")], cwd=os.path.dirname(script),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


if websockets is None:
    print("SKIP ws_chat: python3-websockets is not installed")
else:
    check("ws_chat: a message reaches every socket as JSON, escaped, and the page",
          lambda: run(broadcast()))
    check("ws_chat: the page keeps the last 200 messages", lambda: run(cache_keeps_last()))
    check("ws_chat: bad messages close with 1003/1007/1009, the server stays up",
          lambda: run(bad_messages()))
    check("ws_chat: a foreign Origin gets 403", lambda: run(origin()))
    check("ws_chat: a socket that never reads is dropped", slow_reader_dropped)
if not shutil.which("node") or not os.path.exists("/usr/bin/chromium"):
    print("SKIP ws_chat: node or chromium is not installed")
else:
    check("ws_chat: two chromium pages chat (permessage-deflate negotiated), markup shows as text", browser)


def clean_exit():
    status = srv.stop()
    assert status == 0, (status, srv.log[-5:])


check("ws_chat: the server exits cleanly on SIGTERM", clean_exit)
done()
