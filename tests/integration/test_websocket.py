"""examples/websocket against a client nobody here wrote: Python's
`websockets` (Debian's python3-websockets): text and binary echo from 0 B to
16 MiB, ping/pong, the close code echoed back."""
import asyncio
import os

from harness import Server, check, done

try:
    import websockets
except ImportError:
    websockets = None

srv = Server("websocket")
URL = None
SIZES = [0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20]


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def connect():
    return websockets.connect("ws://127.0.0.1:%d/ws" % srv.port, max_size=None,
                              compression="deflate")  # offered; the server declines


async def echo_all():
    async with connect() as ws:
        assert ws.extensions == [], ws.extensions
        for n in SIZES:
            text = "é" * (n // 2) + "a" * (n % 2)
            await ws.send(text)
            got = await ws.recv()
            assert got == text, (n, len(got))
            data = os.urandom(n)
            await ws.send(data)
            got = await ws.recv()
            assert got == data, (n, len(got))


async def fragmented():
    async with connect() as ws:
        await ws.send(["frag", "men", "ted"])
        assert await ws.recv() == "fragmented"


async def ping_pong():
    async with connect() as ws:
        for payload in [b"", b"x", b"p" * 125]:
            waiter = await ws.ping(payload)
            await asyncio.wait_for(waiter, 10)


async def close_code(code, reason):
    ws = await connect()
    await ws.close(code, reason)
    assert ws.close_code == code, ws.close_code


async def too_big():
    async with connect() as ws:
        await ws.send(b"x" * ((16 << 20) + 1))
        try:
            await ws.recv()
            raise AssertionError("the server accepted a message over 16 MiB")
        except websockets.ConnectionClosed as e:
            assert e.code == 1009, e.code


if websockets is None:
    print("SKIP websocket: python3-websockets is not installed")
else:
    check("websocket: text and binary echo, 0 B to 16 MiB", lambda: run(echo_all()))
    check("websocket: a fragmented message arrives whole", lambda: run(fragmented()))
    check("websocket: pings answered with the same payload", lambda: run(ping_pong()))
    check("websocket: close codes 1000, 1001 and 4000 echoed",
          lambda: [run(close_code(c, r)) for c, r in [(1000, "bye"), (1001, ""), (4000, "app")]])
    check("websocket: a message over max_message_size closes with 1009", lambda: run(too_big()))


def clean_exit():
    status = srv.stop()
    assert status == 0, status


check("websocket: server exits cleanly on SIGTERM", clean_exit)
done()
