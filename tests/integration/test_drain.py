"""Graceful shutdown (issue 15, item 4) over the wire, with clients nobody
here wrote. wrk keeps 32 connections busy while the server is told to stop
(SIGTERM): build/testapp's /slow, answered 20 ms after it was read, so that
every connection has a request in flight at the signal, and the hello world
in two pre-forked processes (examples/multiprocess). Every request the
server read is answered whole: its "read" lines, its access lines and wrk's
count of complete responses are equal (a stop at once leaves the requests
in flight unanswered). wrk sees nothing else but refused connections and,
at most once per connection, a keep-alive connection closed between two
requests. A WebSocket open at the signal gets close 1001 from the websocket
example (Python's websockets). The long poll parked at the signal is in
test_chat.py; each kind of connection, to the tick of the drain's deadline,
in tests/unit/test_drain.c."""
import asyncio
import os
import re
import shutil
import signal
import subprocess
import threading
import time

from harness import ROOT, Server, check, done

try:
    import websockets
except ImportError:
    websockets = None

CONNS = 32


class Counted:
    """build/PROG --port=0 ARGS; counts its access lines for `path` (and
    its "slow request read" lines) as they come."""

    def __init__(self, path, prog, *args):
        self.proc = subprocess.Popen([os.path.join(ROOT, "build", prog), "--port=0", *args],
                                     stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.access = re.compile(r"\] 200 GET %s \(" % re.escape(path))
        self.lines = self.read = 0
        self.other = []
        self.port = None
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait(lambda: self.port, "the port")

    def _read(self):
        for line in self.proc.stderr:
            with self.cond:
                if self.access.search(line):
                    self.lines += 1
                elif "slow request read" in line:
                    self.read += 1
                else:
                    self.other.append(line)
                    m = re.search(r"[Ll]istening on (?:port |\S+:)(\d+)", line)
                    if m and not self.port:
                        self.port = int(m.group(1))
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait(self, pred, what, timeout=60):
        """A hang guard, not a timing: pred must come true."""
        with self.cond:
            if not self.cond.wait_for(pred, timeout):
                self.proc.kill()
                raise AssertionError("no %s: %s" % (what, "".join(self.other[-20:])))

    def finish(self):
        """Waits for the exit and the last log line; returns the status."""
        status = self.proc.wait(timeout=60)
        self.wait(lambda: getattr(self, "closed", False), "end of the log")
        return status


def wrk_while_stopping(path, prog, *args):
    srv = Counted(path, prog, *args)
    wrk = subprocess.Popen([shutil.which("wrk") or "wrk", "-t2", "-c%d" % CONNS, "-d8s", "--timeout", "30s",
                            "http://127.0.0.1:%d%s" % (srv.port, path)], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    srv.wait(lambda: srv.lines >= 300 or wrk.poll() is not None, "300 requests served")
    assert wrk.poll() is None, "wrk ended before the stop; make its -d longer"
    srv.proc.send_signal(signal.SIGTERM)
    status = srv.finish()
    out = wrk.communicate(timeout=60)[0]
    log = "".join(srv.other[-20:])
    assert status == 0, (status, log)
    m = re.search(r"(\d+) requests in", out)
    e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    assert m and e, out
    connect, read, write, timeout = map(int, e.groups())
    # Every request read was answered, and every answer arrived whole.
    if path == "/slow":
        assert srv.read == srv.lines, ("read", srv.read, "answered", srv.lines, log)
    assert int(m.group(1)) == srv.lines, (int(m.group(1)), srv.lines, out, log)
    assert "Non-2xx" not in out, out
    assert timeout == 0, out
    # wrk tried new connections after the stop: refused (it counts a refused
    # non-blocking connect as a connect or a write error)...
    assert connect + write > 0, out
    # ... and each connection may have been closed between two requests once
    # (its next request crossed the close: clients retry those, RFC 9112 9.3.1).
    assert read <= CONNS, out
    assert "draining" in log, log


def websocket_gets_1001():
    assert websockets, "python3-websockets is not installed (tests/setup.sh installs it)"
    srv = Server("websocket", "--drain_timeout=30s")

    async def main():
        async with websockets.connect("ws://127.0.0.1:%d/ws" % srv.port) as ws:
            await ws.send("before")
            assert await ws.recv() == "before"
            srv.proc.send_signal(signal.SIGTERM)
            try:
                await ws.recv()
                raise AssertionError("a message instead of the close")
            except websockets.ConnectionClosed as e:
                assert e.rcvd is not None and e.rcvd.code == 1001, e  # the client answered; the server hung up

    asyncio.run(asyncio.wait_for(main(), 60))
    status = srv.proc.wait(timeout=20)  # well before --drain_timeout: the client answered
    assert status == 0, (status, "".join(srv.log[-10:]))


check("drain: wrk on requests answered 20 ms later, stopped by SIGTERM: each request read is answered whole",
      lambda: wrk_while_stopping("/slow", "testapp"))
check("drain: wrk on two pre-forked processes (examples/multiprocess), SIGTERM to the parent: the same",
      lambda: wrk_while_stopping("/", "multiprocess", "--processes=2"))
check("drain: a WebSocket open at SIGTERM gets close 1001, and the server exits once it answered",
      websocket_gets_1001)
done()
