"""examples/multiprocess (tn_process_fork) against clients nobody here
wrote (curl, ab, Python's http.client): children on sockets the parent bound,
each with its task id; every child accepts; a child killed is restarted;
SIGTERM to the parent stops them all; and the same server with a
SO_REUSEPORT socket per child."""
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

from harness import ROOT, check, done

PROG = os.path.join(ROOT, "build", "multiprocess")


class Multi:
    """build/multiprocess with 2 children; follows its log for task lines."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([PROG, "--processes=2", "--quiet", *args],
                                     stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.log = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        m = self.wait_for(r"Listening on \S+:(\d+)/")
        self.port = int(m.group(1))
        self.pids = {}
        for t in (0, 1):
            self.pids[t] = self.task_pid(t)

    def _read(self):
        for line in self.proc.stderr:
            with self.cond:
                self.log.append(line)
                self.cond.notify_all()

    def wait_for(self, pattern, after=0):
        """The first match of pattern in log lines from index `after` on."""
        deadline = time.time() + 20
        with self.cond:
            while True:
                for line in self.log[after:]:
                    m = re.search(pattern, line)
                    if m:
                        return m
                left = deadline - time.time()
                assert left > 0, "no %r in the log:\n%s" % (pattern, "".join(self.log[-30:]))
                self.cond.wait(left)

    def task_pid(self, task, after=0):
        return int(self.wait_for(r"task %d \(pid (\d+)\) serving" % task, after).group(1))

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    assert r.status == 200, (r.status, body)
    return body


def task_of(port):
    m = re.match(rb"task (\d+) pid (\d+)$", get(port, "/task"))
    assert m
    return int(m.group(1)), int(m.group(2))


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def ab(port):
    out = subprocess.run([shutil.which("ab") or "ab", "-q", "-k", "-n", "5000", "-c", "20",
                          "http://127.0.0.1:%d/" % port], capture_output=True, text=True, timeout=120).stdout
    assert re.search(r"Complete requests:\s+5000\b", out), out
    assert re.search(r"Failed requests:\s+0\b", out), out
    assert "Non-2xx" not in out, out


shared = Multi("--port=0")


def curl_hello():
    out = subprocess.run(["curl", "-s", "-S", "--max-time", "10", "http://127.0.0.1:%d/" % shared.port],
                         capture_output=True, timeout=20)
    assert out.returncode == 0 and out.stdout == b"Hello, world", out


def each_child_accepts():
    # A stopped child cannot accept: the other takes every connection from
    # the shared queue. Then the other way round.
    for busy, free in ((0, 1), (1, 0)):
        os.kill(shared.pids[busy], signal.SIGSTOP)
        try:
            for _ in range(5):
                assert task_of(shared.port) == (free, shared.pids[free])
        finally:
            os.kill(shared.pids[busy], signal.SIGCONT)


def ab_shared():
    ab(shared.port)


def killed_child_restarts():
    mark = len(shared.log)
    old = shared.pids[0]
    os.kill(old, signal.SIGKILL)
    shared.wait_for(r"child 0 \(pid %d\) killed by signal 9, restarting" % old, mark)
    new = shared.task_pid(0, mark)
    assert new != old
    shared.pids[0] = new
    os.kill(shared.pids[1], signal.SIGSTOP)  # the new child serves alone
    try:
        assert task_of(shared.port) == (0, new)
    finally:
        os.kill(shared.pids[1], signal.SIGCONT)


def sigterm_stops_all(m):
    def run():
        rc = m.stop()
        assert rc == 0, "parent exit status %r:\n%s" % (rc, "".join(m.log[-20:]))
        assert all(gone(p) for p in m.pids.values()), m.pids
        s = socket.socket()
        try:
            assert s.connect_ex(("127.0.0.1", m.port)) != 0, "the port still accepts"
        finally:
            s.close()
    return run


check("multiprocess: curl gets Hello, world from a child", curl_hello)
check("multiprocess: each of the 2 children accepts on the sockets the parent bound", each_child_accepts)
check("multiprocess: ab, 5000 keep-alive requests from 20 clients, zero failures", ab_shared)
check("multiprocess: a child killed with SIGKILL is restarted under its task id and serves",
      killed_child_restarts)
check("multiprocess: SIGTERM to the parent stops every child, exit 0, port closed", sigterm_stops_all(shared))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


reuse = {}


def reuse_starts():
    reuse["m"] = Multi("--reuse-port", "--port=%d" % free_port())


def reuse_spreads():
    m = reuse["m"]
    # The kernel hashes each new connection (its source port differs) to one
    # of the two sockets: 200 connections all to one would be a 2^-199 chance.
    seen = {task_of(m.port)[0] for _ in range(200)}
    assert seen == {0, 1}, seen


def reuse_ab():
    ab(reuse["m"].port)


check("multiprocess --reuse-port: each child binds its own socket on the port", reuse_starts)
check("multiprocess --reuse-port: new connections reach both children", reuse_spreads)
check("multiprocess --reuse-port: ab, 5000 requests, zero failures", reuse_ab)
check("multiprocess --reuse-port: SIGTERM stops every child, exit 0, port closed",
      lambda: sigterm_stops_all(reuse["m"])())


def bad_flags():
    for args in (["--processes=abc"], ["--port=70000"], ["--reuse-port", "--port=0"], ["--nope"]):
        out = subprocess.run([PROG, *args], capture_output=True, text=True, timeout=10)
        assert out.returncode == 2 and out.stderr.strip(), (args, out)
    out = subprocess.run([PROG, "--help"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and "--processes" in out.stdout, out


check("multiprocess: bad flags exit 2 with a message; --help exits 0", bad_flags)
done()
