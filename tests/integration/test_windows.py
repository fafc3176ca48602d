"""The Windows build (issue 16): examples/helloworld, examples/chat (long
polling) and examples/websocket built by mingw-w64 and served by wine,
driven from Linux by curl, Python's http.client and `websockets`. Skipped,
with the reason, where mingw-w64 or wine is missing (tests/setup.sh installs
them)."""
import asyncio
import html
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import urllib.parse

import websockets

from harness import ROOT, Server, check, done, http_request

WINE = ["env", "WINEDEBUG=-all", "wine"]
PROGRAMS = ["build/windows/helloworld.exe", "build/windows/chat.exe", "build/windows/websocket.exe",
            "build/windows/winctrl.exe"]

missing = [t for t in ("x86_64-w64-mingw32-gcc", "wine", "curl") if not shutil.which(t)]
if missing:
    print("SKIP windows: %s not installed (tests/setup.sh installs them)" % ", ".join(missing))
    done()
built = subprocess.run(["make", "-s", *PROGRAMS], cwd=ROOT, capture_output=True, text=True)
if built.returncode:
    print("FAIL windows_build\n" + built.stdout + built.stderr)
    raise SystemExit(1)


request = http_request


def stops(srv):
    """SIGTERM reaches the wine process: it ends (wine's exit status)."""
    assert srv.stop() is not None, "the server did not exit"


# ---- helloworld

hello = Server("windows/helloworld.exe", wrap=WINE)


def hello_curl():
    out = subprocess.run(["curl", "-sS", "-i", "-m", "30", "http://127.0.0.1:%d/" % hello.port],
                         capture_output=True, check=True).stdout.decode()  # bytes: CRLF kept
    assert out.startswith("HTTP/1.1 200 OK\r\n"), out
    assert out.endswith("\r\n\r\nHello, world"), out
    assert "Content-Length: 12\r\n" in out, out


def hello_not_found():
    status, _, _ = request(hello.port, "GET", "/nothere")
    assert status == 404, status


def hello_keep_alive():
    # Three requests on one connection: the socket stays open between them.
    conn = http.client.HTTPConnection("127.0.0.1", hello.port, timeout=30)
    for _ in range(3):
        conn.request("GET", "/")
        r = conn.getresponse()
        assert (r.status, r.read()) == (200, b"Hello, world")
    conn.close()


def hello_pipelined_by_curl():
    # curl reuses one connection for several URLs on one command line.
    u = "http://127.0.0.1:%d/" % hello.port
    out = subprocess.run(["curl", "-sS", "-m", "30", u, u, u], capture_output=True, text=True, check=True).stdout
    assert out == "Hello, world" * 3, out


check("windows_helloworld_curl", hello_curl)
check("windows_helloworld_404", hello_not_found)
check("windows_helloworld_keep_alive", hello_keep_alive)
check("windows_helloworld_curl_reuses_connection", hello_pipelined_by_curl)
check("windows_helloworld_stops_on_sigterm", lambda: stops(hello))

# ---- chat: templates and static files found beside the program, XSRF,
# a long poll answered by a post

chat = Server("windows/chat.exe", wrap=WINE)


def chat_long_poll():
    status, headers, page = request(chat.port, "GET", "/")
    assert status == 200, status
    cookie = re.match(r"_xsrf=([^;]+);", headers["Set-Cookie"]).group(1)
    token = html.unescape(re.search(r'name="_xsrf" value="([^"]+)"', page).group(1))
    form = {"Cookie": "_xsrf=" + cookie, "Content-Type": "application/x-www-form-urlencoded"}
    # A poll parks first; the post then answers it, on another connection.
    conn = http.client.HTTPConnection("127.0.0.1", chat.port, timeout=30)
    conn.request("POST", "/a/message/updates", urllib.parse.urlencode({"_xsrf": token}), form)
    status, _, text = request(chat.port, "POST", "/a/message/new",
                              urllib.parse.urlencode({"_xsrf": token, "body": "hello from Linux"}), form)
    assert status == 200, (status, text)
    r = conn.getresponse()
    got = json.loads(r.read())
    conn.close()
    assert r.status == 200 and got["messages"][0]["body"] == "hello from Linux", got


def chat_xsrf_refused():
    status, _, _ = request(chat.port, "POST", "/a/message/new", "body=x",
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403, status


def chat_static():
    out = subprocess.run(["curl", "-sS", "-o", os.devnull, "-w", "%{http_code}", "-m", "30",
                          "http://127.0.0.1:%d/static/chat.js" % chat.port],
                         capture_output=True, text=True, check=True).stdout
    assert out == "200", out


check("windows_chat_long_poll", chat_long_poll)
check("windows_chat_xsrf_refused", chat_xsrf_refused)
check("windows_chat_static_file", chat_static)
check("windows_chat_stops_on_sigterm", lambda: stops(chat))

# ---- websocket chat and echo, with Python's websockets

ws = Server("windows/websocket.exe", wrap=WINE)


async def ws_chat():
    base = "ws://127.0.0.1:%d" % ws.port
    async with websockets.connect(base + "/chatsocket") as a, websockets.connect(base + "/chatsocket") as b:
        await a.send(json.dumps({"body": "über wine"}))
        got_a, got_b = json.loads(await a.recv()), json.loads(await b.recv())
        assert got_a["body"] == got_b["body"] == "über wine", (got_a, got_b)
    async with websockets.connect(base + "/ws", max_size=None) as e:
        big = bytes(range(256)) * 4096  # 1 MiB: many reads and writes
        await e.send(big)
        assert await e.recv() == big
        await e.send("text")
        assert await e.recv() == "text"


check("windows_websocket_chat_and_echo", lambda: asyncio.run(asyncio.wait_for(ws_chat(), 60)))
check("windows_websocket_stops_on_sigterm", lambda: stops(ws))

# ---- console control events (tn_loop_stop_on_signals on Windows)
#
# Ctrl-C from outside: wine turns SIGINT into CTRL_C_EVENT for the process
# (ntdll's SIGINT handler runs the console control routine), which must drain
# the server as a Ctrl-C in a Windows console does: an idle keep-alive
# connection closed, exit status 0.


def ctrl_c_drains_helloworld():
    srv = Server("windows/helloworld.exe", wrap=WINE)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    conn.request("GET", "/")
    r = conn.getresponse()
    assert (r.status, r.read()) == (200, b"Hello, world")
    assert srv.stop(signal.SIGINT) == 0, "".join(srv.log)
    log = "".join(srv.log)
    assert "received signal 2: draining" in log and "drained: stopping the loop" in log, log
    try:
        conn.request("GET", "/")
        conn.getresponse()
        raise AssertionError("the kept-alive connection was still served after the drain")
    except (http.client.RemoteDisconnected, ConnectionError):
        pass


def on_pty(cmd):
    """Runs cmd with a pty as its console (wine needs one for
    GenerateConsoleCtrlEvent); returns its exit status (None: hung) and
    what it wrote, without the console's escape sequences."""
    master, slave = os.openpty()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT)
    os.close(slave)
    out = []

    def read():
        while True:
            try:
                b = os.read(master, 4096)
            except OSError:  # EIO: the last writer is gone
                return
            if not b:
                return
            out.append(b)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        rc = proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = None
    reader.join(5)
    os.close(master)
    text = b"".join(out).decode(errors="replace")
    text = re.sub(r"\x1b\[(\d*)C", lambda m: " " * int(m.group(1) or 1), text)
    return rc, re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", text).replace("\r", "")


def drained(rc, out):
    assert rc == 0 and "received signal 2: draining" in out and "drained" in out, (rc, out)


def ctrl_event(event):
    """tests/apps/winctrl.c: GenerateConsoleCtrlEvent(event, 0) from a
    handler must drain the server: the request answered, the connection
    closed, exit status 0 (3: GenerateConsoleCtrlEvent failed)."""
    return on_pty([*WINE, "build/windows/winctrl.exe", event])


check("windows_ctrl_c_from_sigint_drains_helloworld", ctrl_c_drains_helloworld)
check("windows_generate_ctrl_c_event_drains_the_server", lambda: drained(*ctrl_event("c")))
# Ctrl-Break does not reach a program under wine (8.0):
# GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, 0) fails there with error 6, and
# wineserver turns the event into SIGQUIT, whose handler ends a thread
# without running the console handlers. Not counted while wine refuses it
# (a limit of wine, stated in the README, not a missing tool); a wine that
# delivers it gets the check. Nor
# can closing the console (CTRL_CLOSE_EVENT) be tried: wine propagates only
# Ctrl-C and Ctrl-Break.
rc, out = ctrl_event("break")
if rc == 3:
    print("note: windows_generate_ctrl_break_event_drains_the_server not run, wine cannot deliver it: "
          + " ".join(out.split()), flush=True)
else:
    check("windows_generate_ctrl_break_event_drains_the_server", lambda: drained(rc, out))
done()
