"""Deployment (issue 15, item 6), for real: Debian's nginx (nginx-light),
with examples/nginx.conf as README.md shows it, on a loopback port with
its config, pid and logs in a temporary folder, in front of the chat
example (--xheaders --address=127.0.0.1) and of the websocket example.
The chat logs the client's address from X-Real-IP (the client connects
from 127.0.0.3, nginx from 127.0.0.1; what the client forges under those
names is replaced); a long poll passes through, and so does its 503 when
the chat drains; a WebSocket passes through, and so does its close 1001.
examples/tornado-chat.service passes systemd-analyze verify, and stops
later than the chat's drain."""
import asyncio
import html
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

from harness import ROOT, Server, check, done, http_request

try:
    import websockets
except ImportError:
    websockets = None

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CONF = os.path.join(ROOT, "examples", "nginx.conf")
UNIT = os.path.join(ROOT, "examples", "tornado-chat.service")
CLIENT = "127.0.0.3"  # the "remote" client: lo answers all of 127/8


def free_port(host):
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, what, timeout=10):
    """A hang guard, not a timing: pred must come true."""
    deadline = time.time() + timeout
    while not pred():
        assert time.time() < deadline, "timed out waiting for " + what
        time.sleep(0.02)


def accepts(host, port):
    try:
        socket.create_connection((host, port), timeout=5).close()
        return True
    except OSError:
        return False


class Nginx:
    """nginx with examples/nginx.conf, its upstream and listen lines pointed
    at the test's ports."""

    def __init__(self, upstream_port):
        self.dir = tempfile.mkdtemp(prefix="tn-nginx-")
        self.port = free_port("127.0.0.2")
        conf = open(CONF).read()
        for old, new in (("server 127.0.0.1:8888;", "server 127.0.0.1:%d;" % upstream_port),
                         ("listen 80;", "listen 127.0.0.2:%d;" % self.port)):
            assert conf.count(old) == 1, old
            conf = conf.replace(old, new)
        with open(os.path.join(self.dir, "tornado.conf"), "w") as f:
            f.write(conf)
        d = self.dir
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write("daemon off;\nworker_processes 1;\npid %s/nginx.pid;\nerror_log %s/error.log notice;\n"
                    "events { worker_connections 256; }\n"
                    "http {\n    access_log %s/access.log;\n" % (d, d, d) +
                    "".join("    %s_temp_path %s/%s;\n" % (t, d, t)
                            for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) +
                    "    include %s/tornado.conf;\n}\n" % d)
        self.proc = subprocess.Popen([NGINX, "-p", d, "-c", os.path.join(d, "nginx.conf"),
                                      "-e", os.path.join(d, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: self.proc.poll() is None and accepts("127.0.0.2", self.port), "nginx to listen")
        except AssertionError:
            self.stop()
            raise

    def log(self):
        try:
            return open(os.path.join(self.dir, "error.log")).read()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def request(port, method, path, body=None, headers=None):
    """Through nginx, from CLIENT."""
    return http_request(port, method, path, body, headers, timeout=20, host="127.0.0.2", source=CLIENT)


def readme_shows_the_config():
    """README.md's nginx block is examples/nginx.conf without its header."""
    readme = open(os.path.join(ROOT, "README.md")).read()
    m = re.search(r"```nginx\n(.*?)```", readme, re.S)
    assert m, "no nginx block in README.md"
    conf = open(CONF).read()
    body = conf[conf.index("upstream tornado"):]
    assert m.group(1) == body, "README.md's nginx block differs from examples/nginx.conf"


def read_answer(s):
    """One whole answer (nginx keeps the connection open after it)."""
    data = b""
    while True:
        head, sep, body = data.partition(b"\r\n\r\n")
        m = re.search(rb"\r\ncontent-length: *(\d+)", head, re.I)
        if sep and m and len(body) >= int(m.group(1)):
            break
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


def chat_behind_nginx():
    chat = Server("chat", "--address=127.0.0.1", "--xheaders", "--drain_timeout=1s", "--stats")
    proxy = Nginx(chat.port)
    try:
        # the page, with a forged X-Real-IP and X-Forwarded-For that nginx replaces
        status, headers, page = request(proxy.port, "GET", "/?from=nginx",
                                        headers={"X-Real-IP": "6.6.6.6", "X-Forwarded-For": "7.7.7.7"})
        assert status == 200, status
        wait_for(lambda: any("GET /?from=nginx" in line for line in chat.log), "the access line")
        line = [line for line in chat.log if "GET /?from=nginx" in line][0]
        assert "(%s)" % CLIENT in line, line
        # the XSRF cookie flow, then polls parked through nginx
        cookie = re.match(r"_xsrf=([^;]+);", headers["Set-Cookie"]).group(1)
        token = html.unescape(re.search(r'name="_xsrf" value="([^"]+)"', page).group(1))

        def post(fields):
            body = urllib.parse.urlencode(dict(fields, _xsrf=token))
            return request(proxy.port, "POST", "/a/message/new", body,
                           {"Cookie": "_xsrf=" + cookie, "Content-Type": "application/x-www-form-urlencoded"})

        def park(cursor):
            body = urllib.parse.urlencode({"cursor": cursor, "_xsrf": token})
            s = socket.create_connection(("127.0.0.2", proxy.port), timeout=20, source_address=(CLIENT, 0))
            s.sendall(("POST /a/message/updates HTTP/1.1\r\nHost: chat\r\nCookie: _xsrf=%s\r\n"
                       "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s"
                       % (cookie, len(body), body)).encode())
            wait_for(lambda: json.loads(request(proxy.port, "GET", "/a/stats")[2])["waiters"] == 1, "a parked poll")
            return s

        status, _, text = post({"body": "first"})
        assert status == 200, (status, text)
        s = park(json.loads(text)["id"])
        status, _, text = post({"body": "second"})
        assert status == 200, (status, text)
        second = json.loads(text)["id"]
        got = read_answer(s)
        assert got.startswith(b"HTTP/1.1 200 "), got
        messages = json.loads(got.partition(b"\r\n\r\n")[2])["messages"]
        assert [m["id"] for m in messages] == [second], messages
        # the chat drains: the poll parked at the signal gets its 503 through nginx
        s = park(second)
        chat.proc.send_signal(signal.SIGTERM)
        got = read_answer(s)
        assert got.startswith(b"HTTP/1.1 503 "), got
        assert chat.proc.wait(timeout=20) == 0, "".join(chat.log[-10:])
    finally:
        proxy.stop()
        if chat.proc.poll() is None:
            chat.stop()


def websocket_behind_nginx():
    assert websockets, "python3-websockets is not installed (tests/setup.sh installs it)"
    ws_srv = Server("websocket", "--drain_timeout=30s")
    proxy = Nginx(ws_srv.port)
    try:
        async def main():
            async with websockets.connect("ws://127.0.0.2:%d/ws" % proxy.port) as ws:
                for msg in ("hello", b"\x00\x01binary", "é" * 70000):
                    await ws.send(msg)
                    assert await ws.recv() == msg
                ws_srv.proc.send_signal(signal.SIGTERM)
                try:
                    await ws.recv()
                    raise AssertionError("a message instead of the close")
                except websockets.ConnectionClosed as e:
                    assert e.rcvd is not None and e.rcvd.code == 1001, e

        asyncio.run(asyncio.wait_for(main(), 60))
        assert ws_srv.proc.wait(timeout=20) == 0, "".join(ws_srv.log[-10:])
    finally:
        proxy.stop()
        if ws_srv.proc.poll() is None:
            ws_srv.stop()


def unit_file_verifies():
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is not installed (tests/setup.sh installs systemd)"
    text = open(UNIT).read()
    # The drain ends before systemd's patience: TimeoutStopSec above --drain_timeout.
    stop = re.search(r"^TimeoutStopSec=(\d+)s$", text, re.M)
    drain = re.search(r"--drain_timeout=(\d+)s", text)
    assert stop and drain and int(stop.group(1)) > int(drain.group(1)), (stop, drain)
    for key in ("Restart=on-failure", "KillSignal=SIGTERM", "LimitNOFILE="):
        assert re.search(r"^" + re.escape(key), text, re.M), key
    d = tempfile.mkdtemp(prefix="tn-unit-")
    try:
        path = os.path.join(d, "tornado-chat.service")
        with open(path, "w") as f:  # the program where this checkout built it
            f.write(text.replace("/usr/local/bin/tornado-chat", os.path.join(ROOT, "build", "chat")))
        r = subprocess.run([tool, "verify", "--man=no", path], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and not r.stdout and not r.stderr, (r.returncode, r.stdout, r.stderr)
    finally:
        shutil.rmtree(d, ignore_errors=True)


check("nginx: README.md shows examples/nginx.conf as it is", readme_shows_the_config)
check("nginx: in front of the chat: remote_ip from X-Real-IP, a long poll passes, so does the drain's 503",
      chat_behind_nginx)
check("nginx: in front of the websocket example: messages pass, and so does the drain's close 1001",
      websocket_behind_nginx)
check("systemd: examples/tornado-chat.service passes systemd-analyze verify, and stops after the drain",
      unit_file_verifies)
done()
