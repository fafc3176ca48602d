"""permessage-deflate (RFC 7692) against a peer nobody here wrote: Python's
`websockets` (Debian's python3-websockets) as the client of examples/websocket's
/wsz (every default) and /wsz-lowmem (no context takeover, 10-bit windows),
and as the server of our client (build/wsclient --deflate). Both directions,
with and without context takeover, every window size 9-15, text and binary
from 0 B to 1 MiB, offers declined, and the limits (1009)."""
import asyncio
import os
import subprocess

from harness import ROOT, Server, check, done

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory, \
    ServerPerMessageDeflateFactory

srv = Server(os.environ.get("WS_SERVER", "websocket"))
SOURCE = open(os.path.join(ROOT, "src", "websocket", "websocket.c"), encoding="utf-8").read()
SIZES = [0, 1, 63, 64, 1000, 65536, 1 << 20]


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def url(path):
    return "ws://127.0.0.1:%d%s" % (srv.port, path)


def corpus():
    """Messages that compress well, badly and not at all, text and binary."""
    out = []
    for n in SIZES:
        out.append((SOURCE * (n // len(SOURCE) + 1))[:n])
        out.append(("é" * n)[:n])
        out.append(os.urandom(n))
        out.append(bytes(n))
    return out


async def echo(ws, messages, rounds=1):
    for _ in range(rounds):
        for m in messages:
            await ws.send(m)
            got = await ws.recv()
            assert got == m, (type(m), len(m), len(got))


def extension(ws):
    assert len(ws.extensions) == 1, ws.extensions
    return ws.extensions[0]


def offer(path, factory, want_header, rounds=2):
    """Connects with one offer; the answer must be want_header; echoes the corpus."""
    async def go():
        async with websockets.connect(url(path), max_size=None, extensions=[factory]) as ws:
            got = ws.response_headers.get("Sec-WebSocket-Extensions")
            assert got == want_header, got
            extension(ws)
            await echo(ws, corpus(), rounds)
    return lambda: run(go())


def default_offer():
    async def go():
        async with websockets.connect(url("/wsz"), max_size=None, compression="deflate") as ws:
            e = extension(ws)
            assert (e.remote_no_context_takeover, e.local_no_context_takeover) == (False, False), e
            await echo(ws, corpus(), 3)
    run(go())


check("websockets' default offer on /wsz: accepted with context takeover; echo 0 B..1 MiB x3",
      default_offer)
for w in range(9, 16):
    tail = "; server_max_window_bits=%d" % w + ("; client_max_window_bits=%d" % w if w < 15 else "")
    check("window bits %d both ways, context takeover" % w,
          offer("/wsz", ClientPerMessageDeflateFactory(server_max_window_bits=w, client_max_window_bits=w),
                "permessage-deflate" + tail))
    check("window bits %d both ways, no context takeover either way" % w,
          offer("/wsz", ClientPerMessageDeflateFactory(server_max_window_bits=w, client_max_window_bits=w,
                                                       server_no_context_takeover=True,
                                                       client_no_context_takeover=True),
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover" + tail))
check("server_no_context_takeover only",
      offer("/wsz", ClientPerMessageDeflateFactory(server_no_context_takeover=True),
            "permessage-deflate; server_no_context_takeover"))
check("client_no_context_takeover only",
      offer("/wsz", ClientPerMessageDeflateFactory(client_no_context_takeover=True),
            "permessage-deflate; client_no_context_takeover"))
check("/wsz-lowmem holds the client to 10 bits and no context takeover",
      offer("/wsz-lowmem", ClientPerMessageDeflateFactory(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=10; client_max_window_bits=10"))
check("/wsz-lowmem: a client asking for 9 bits gets 9 both ways",
      offer("/wsz-lowmem", ClientPerMessageDeflateFactory(server_max_window_bits=9, client_max_window_bits=9),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=9; client_max_window_bits=9"))


def declined(path, factory):
    async def go():
        async with websockets.connect(url(path), max_size=None, extensions=[factory]) as ws:
            assert ws.extensions == [], ws.extensions
            await echo(ws, corpus()[:8])
    return lambda: run(go())


check("/wsz-lowmem declines an offer without client_max_window_bits (it goes on uncompressed)",
      declined("/wsz-lowmem", ClientPerMessageDeflateFactory(client_max_window_bits=None)))
check("/ws (no compression) declines every offer",
      declined("/ws", ClientPerMessageDeflateFactory()))


def bomb():
    """17 MiB of zeros, about 17 KiB compressed, past /wsz's 16 MiB limit."""
    async def go():
        async with websockets.connect(url("/wsz"), max_size=None, compression="deflate") as ws:
            await ws.send(bytes(17 << 20))
            try:
                await ws.recv()
            except websockets.ConnectionClosed:
                pass
            assert ws.close_code == 1009, ws.close_code
    run(go())


check("a message inflating past max_message_size -> 1009", bomb)


# ---- our client (build/wsclient --deflate...) against websockets' server

def server_case(factory, args, want):
    """Runs websockets' echo server with `factory`; our client sends text and
    binary messages and checks each echo. `want` is the extension header the
    server must have answered (None: declined)."""
    async def handler(ws, path=None):
        seen.append(ws.response_headers.get("Sec-WebSocket-Extensions"))
        async for m in ws:
            await ws.send(m)
    seen = []

    async def go():
        kw = {"extensions": [factory]} if factory else {"compression": None}
        async with websockets.serve(handler, "127.0.0.1", 0, max_size=None, **kw) as server:
            port = server.sockets[0].getsockname()[1]
            items = []
            for n in (0, 100, 5000, 200000):
                items += ["--text-size=%d" % n, "--binary-size=%d" % n]
            proc = await asyncio.create_subprocess_exec(
                os.path.join(ROOT, "build", "wsclient"), *args, *items, "--close=1000",
                "ws://127.0.0.1:%d/" % port, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            out, _ = await proc.communicate()
            assert proc.returncode == 0, out.decode(errors="replace")[-2000:]
            assert seen == [want], seen
    return lambda: run(go())


check("our client: default offer, websockets' default server -> context takeover both ways",
      server_case(ServerPerMessageDeflateFactory(), ["--deflate=on"], "permessage-deflate"))
for w in (9, 12, 15):
    check("our client: the server asks for client_max_window_bits=%d and no context takeover" % w,
          server_case(ServerPerMessageDeflateFactory(client_max_window_bits=w, server_max_window_bits=w,
                                                     client_no_context_takeover=True,
                                                     server_no_context_takeover=True),
                      ["--deflate=on"],
                      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                      "server_max_window_bits=%d; client_max_window_bits=%d" % (w, w)))
check("our client: asks for server_max_window_bits=10 and server_no_context_takeover",
      server_case(ServerPerMessageDeflateFactory(), ["--deflate=10:nct"],
                  "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; "
                  "client_max_window_bits=10"))
check("our client: a server without compression declines; the echo is plain",
      server_case(None, ["--deflate=on"], None))


def clean_exit():
    status = srv.stop()
    assert status == 0, status


check("ws-deflate: server exits cleanly on SIGTERM", clean_exit)
done()
