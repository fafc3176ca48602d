"""WebSocket built without the codec (TN_ENABLE_DEFLATE=0): examples/websocket
as build/websocket_nodeflate, whose /wsz and /chatsocket routes ask for
permessage-deflate. Python's `websockets` and Node's ws (tests/node) offer it,
as they do by default; the server must answer without the extension and
then echo text and binary uncompressed, up to 1 MiB."""
import asyncio
import json
import os
import shutil
import subprocess

import websockets

from harness import ROOT, Server, check, done

built = subprocess.run(["make", "-s", "build/websocket_nodeflate"], cwd=ROOT, capture_output=True, text=True)
if built.returncode:
    print("FAIL ws_nodeflate_build\n" + built.stdout + built.stderr)
    raise SystemExit(1)
srv = Server("websocket_nodeflate")
MESSAGES = ["", "hello", "é" * 70000, os.urandom(1 << 20), bytes(1000)]


def python_declined(path):
    async def go():
        async with websockets.connect("ws://127.0.0.1:%d%s" % (srv.port, path), max_size=None) as ws:
            assert ws.response_headers.get("Sec-WebSocket-Extensions") is None, ws.response_headers
            assert ws.extensions == [], ws.extensions
            for m in MESSAGES:
                await ws.send(m)
                assert await ws.recv() == m, len(m)
    return lambda: asyncio.run(asyncio.wait_for(go(), 60))


check("ws_nodeflate_python_offer_declined_on_wsz", python_declined("/wsz"))
check("ws_nodeflate_python_offer_declined_on_ws", python_declined("/ws"))

# Node's ws offers permessage-deflate (perMessageDeflate: true); it reports
# the header it got and the extensions it runs with, then echoes 1 MiB.
NODE = shutil.which("node") or "/usr/bin/node"
WS = os.path.join(ROOT, "tests", "node", "node_modules", "ws")
SCRIPT = """
const WebSocket = require(process.argv[1]);
const ws = new WebSocket(process.argv[2], {perMessageDeflate: true, maxPayload: 0});
let header = null;
const big = Buffer.alloc(1 << 20, 7);
ws.on('upgrade', (res) => { header = res.headers['sec-websocket-extensions'] || null; });
ws.on('open', () => ws.send(big));
ws.on('message', (data) => {
  console.log(JSON.stringify({header, extensions: ws.extensions, echoed: Buffer.compare(data, big) === 0}));
  ws.close(1000);
});
ws.on('error', (e) => { console.log(JSON.stringify({error: String(e)})); process.exit(1); });
"""


def node_declined():
    out = subprocess.run([NODE, "-e", SCRIPT, WS, "ws://127.0.0.1:%d/wsz" % srv.port],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"header": None, "extensions": "", "echoed": True}, got


if not os.path.exists(NODE) or not os.path.isdir(WS):
    print("SKIP ws_nodeflate_node: node or tests/node/node_modules/ws missing (tests/setup.sh installs them)")
else:
    check("ws_nodeflate_node_offer_declined_on_wsz", node_declined)


def clean_exit():
    status = srv.stop()
    assert status == 0, status


check("ws_nodeflate_server_exits_cleanly", clean_exit)
done()
