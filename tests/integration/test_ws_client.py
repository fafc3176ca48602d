"""Our WebSocket client (build/wsclient) against a server nobody here wrote:
Python's websockets (Debian's python3-websockets, seen by /usr/bin/python3),
an asyncio echo server on an ephemeral port in a thread of this process."""
import asyncio
import http
import os
import re
import subprocess
import threading

from harness import ROOT, check, done

import websockets
import websockets.server

MiB = 1024 * 1024
closes = {}  # path -> (code, reason) the server saw


async def handler(ws, path):
    try:
        if path == "/close":
            await ws.recv()
            await ws.close(4003, "python bye")
        elif path == "/hdr":
            async for _ in ws:
                await ws.send(ws.request_headers.get("X-Test", ""))
        else:
            async for msg in ws:
                await ws.send(msg)
    except websockets.ConnectionClosed:
        pass
    closes[path] = (ws.close_code, ws.close_reason)


async def process_request(path, headers):
    if path == "/forbidden":
        # websockets 10 wants an HTTPStatus here (a bare int fails silently)
        return http.HTTPStatus.FORBIDDEN, [("Content-Type", "text/plain")], b"go away\n"
    return None


def serve():
    """Starts the server in a thread; returns its port."""
    ready = threading.Event()
    box = {}

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(websockets.serve(
            handler, "127.0.0.1", 0, subprotocols=["chat.v2"], max_size=32 * MiB,
            process_request=process_request, ping_interval=None))
        box["port"] = server.sockets[0].getsockname()[1]
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(10)
    return box["port"]


PORT = serve()
URL = "ws://127.0.0.1:%d" % PORT


def wsclient(path, *args, timeout=120):
    p = subprocess.run([os.path.join(ROOT, "build", "wsclient"), *args, URL + path],
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout


SIZES = [0, 1, 125, 126, 127, 65535, 65536, 65537, MiB, 16 * MiB]


def echo(kind):
    rc, out = wsclient("/echo", *["--%s-size=%d" % (kind, n) for n in SIZES])
    want = "".join("echo %s %d ok\n" % (kind, n) for n in SIZES)
    assert rc == 0 and out == "open protocol=\n" + want + "closed 1000 \n", (rc, out)
    assert closes["/echo"] == (1000, ""), closes


def subprotocol():
    rc, out = wsclient("/echo", "--protocol=chat.v1", "--protocol=chat.v2", "--text=hi")
    assert rc == 0 and out.startswith("open protocol=chat.v2\necho text 2 ok\n"), (rc, out)


def extra_header():
    rc, out = wsclient("/hdr", "--header=X-Test: from-our-client", "--text=from-our-client")
    assert rc == 0 and "echo text 15 ok\n" in out, (rc, out)
    rc, out = wsclient("/hdr", "--text=from-our-client")  # without the header: an empty answer
    assert rc == 1 and "MISMATCH" in out, (rc, out)


def server_closes():
    rc, out = wsclient("/close", "--text=hi", "--wait-close")
    assert rc == 0 and out == "open protocol=\nclosed 4003 python bye\n", (rc, out)


def client_closes():
    rc, out = wsclient("/echo2", "--text=x", "--close=4004:client bye")
    assert rc == 0 and re.search(r"^closed 4004 ", out, re.M), (rc, out)
    assert closes["/echo2"] == (4004, "client bye"), closes


def forbidden():
    rc, out = wsclient("/forbidden", "--text=x")
    assert rc == 2 and out == "error HTTP http=403\n", (rc, out)


def idle_memory():
    rc, out = wsclient("/echo", "--idle=500")
    m = re.search(r"idle 500 connections: (\d+) bytes of library heap each .* sizeof\(tn_ws\)=(\d+)", out)
    assert rc == 0 and m, (rc, out)
    print("    " + out.strip(), flush=True)
    assert int(m.group(1)) <= 1024, out


check("ws client: text echo 0 B .. 16 MiB with Python websockets", lambda: echo("text"))
check("ws client: binary echo 0 B .. 16 MiB with Python websockets", lambda: echo("binary"))
check("ws client: the server picks an offered subprotocol", subprotocol)
check("ws client: extra headers reach the server", extra_header)
check("ws client: the server's close code and reason", server_closes)
check("ws client: our close code and reason reach the server", client_closes)
check("ws client: a 403 from process_request is a clear error", forbidden)
check("ws client: an idle connection costs at most 1 KiB of library heap", idle_memory)
done()
