"""examples/websocket's /ws against Node's ws client (npm, pinned in
tests/node): text and binary echoed byte for byte from 0 B to 16 MiB, a
fragmented message, ping/pong, the client's close code echoed, and the
server's close code and reason (1009, 1007) seen by the client; then
permessage-deflate on /wsz and /wsz-lowmem (every window size, with and
without context takeover). The cases live in tests/node/ws_echo.js and
ws_deflate.js; each of its lines becomes a PASS/FAIL here.
WS_SERVER=NAME runs it against build/NAME instead (e.g. a sanitizer build)."""
import os
import shutil
import subprocess

from harness import ROOT, Server, check, done

NODE = shutil.which("node") or "/usr/bin/node"
SCRIPT = os.path.join(ROOT, "tests", "node", "ws_echo.js")
WS = os.path.join(ROOT, "tests", "node", "node_modules", "ws")

srv = Server(os.environ.get("WS_SERVER", "websocket"))


def case(line):
    def run():
        assert line.startswith("ok "), line
    return run


def node_ran(out):
    def run():
        assert out.returncode == 0, "node exited with %d: %s" % (out.returncode, out.stderr[-2000:])
    return run


if not os.path.exists(NODE) or not os.path.isdir(WS):
    print("SKIP ws-node: node or tests/node/node_modules/ws missing (tests/setup.sh installs them)")
else:
    out = subprocess.run([NODE, SCRIPT, "ws://127.0.0.1:%d/ws" % srv.port],
                         capture_output=True, text=True, timeout=300)
    lines = [l for l in out.stdout.splitlines() if l.startswith(("ok ", "fail "))]
    for line in lines:
        check("node ws: " + line.split(" ", 1)[1].split("\t", 1)[0], case(line))
    check("node ws: the script ran its %d cases and exited 0" % len(lines), node_ran(out))
    # permessage-deflate on /wsz and /wsz-lowmem (tests/node/ws_deflate.js)
    out = subprocess.run([NODE, os.path.join(ROOT, "tests", "node", "ws_deflate.js"),
                          "ws://127.0.0.1:%d" % srv.port], capture_output=True, text=True, timeout=300)
    lines = [l for l in out.stdout.splitlines() if l.startswith(("ok ", "fail "))]
    for line in lines:
        check("node ws deflate: " + line.split(" ", 1)[1].split("\t", 1)[0], case(line))
    check("node ws deflate: the script ran its %d cases and exited 0" % len(lines), node_ran(out))


def clean_exit():
    status = srv.stop()
    assert status == 0, status


check("ws-node: server exits cleanly on SIGTERM", clean_exit)
done()
