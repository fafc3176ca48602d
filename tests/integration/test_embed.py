"""The loop inside another main loop, and another library on our loop, with
clients nobody here wrote (curl, ab):
- examples/embed_poll: a plain poll() loop of its own, over stdin and ours;
- tests/apps/glib_embed: our loop as a GSource in GLib's main loop (epoll and
  poll backends), deferred answers finished by GLib, by our timers and by
  our executor;
- tests/apps/cares_dns: c-ares's sockets and timers driven by our loop (a
  name from /etc/hosts, a small DNS server on our loop, a silent one).
GLib and c-ares are test-only (Debian: libglib2.0-dev, libc-ares-dev)."""
import os
import re
import shutil
import signal
import subprocess
import threading
import time

from harness import ROOT, Server, check, done

PROGRAMS = ["build/glib_embed", "build/glib_embed_poll", "build/cares_dns"]
built = subprocess.run(["make", "-s", *PROGRAMS], cwd=ROOT, capture_output=True, text=True)


def need_built():
    assert built.returncode == 0, "cannot build %s (needs libglib2.0-dev, libc-ares-dev, pkg-config):\n%s" % (
        " ".join(PROGRAMS), built.stdout + built.stderr)


def curl(port, path):
    out = subprocess.run(["curl", "-s", "-S", "--max-time", "10", "http://127.0.0.1:%d%s" % (port, path)],
                         capture_output=True, timeout=20)
    assert out.returncode == 0, out.stderr
    return out.stdout


def ab(port, n, c):
    out = subprocess.run([shutil.which("ab") or "ab", "-q", "-k", "-n", str(n), "-c", str(c),
                          "http://127.0.0.1:%d/" % port], capture_output=True, text=True, timeout=120).stdout
    assert re.search(r"Complete requests:\s+%d\b" % n, out), out
    assert re.search(r"Failed requests:\s+0\b", out), out
    assert "Non-2xx" not in out, out


# ---- examples/embed_poll: stdin is one of its own descriptors
class PollExample:
    def __init__(self):
        self.proc = subprocess.Popen([os.path.join(ROOT, "build", "embed_poll"), "--port=0"],
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        m = re.search(r"Listening on \S+:(\d+)", line)
        assert m, line
        self.port = int(m.group(1))
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()


ex = PollExample()


def poll_example_answers():
    assert curl(ex.port, "/") == b"Hello from a poll() loop"


def poll_example_reads_stdin_between_requests():
    ex.proc.stdin.write("typed on stdin\n")
    ex.proc.stdin.flush()
    deadline = time.time() + 10
    while curl(ex.port, "/") != b"typed on stdin":
        assert time.time() < deadline, "the line never reached the handler"
        time.sleep(0.05)


def poll_example_under_ab():
    ab(ex.port, 2000, 20)


def poll_example_ends_with_stdin():
    ex.proc.stdin.close()
    assert ex.proc.wait(timeout=10) == 0


check("embed_poll: curl is answered from inside the example's poll() loop", poll_example_answers)
check("embed_poll: a line on stdin changes the answer (stdin and sockets in one poll)",
      poll_example_reads_stdin_between_requests)
check("embed_poll: ab, 2000 keep-alive requests from 20 clients, zero failures", poll_example_under_ab)
check("embed_poll: end of stdin ends it with status 0", poll_example_ends_with_stdin)


# ---- GLib's main loop drives ours
def glib_checks(name):
    state = {}

    def start():
        need_built()
        state["srv"] = Server(name)
        assert "in GLib's main loop" in "".join(state["srv"].log)

    def answers():
        port = state["srv"].port
        assert curl(port, "/") == b"Hello from GLib's main loop"
        assert curl(port, "/glib") == b"finished by a GLib timeout"
        assert curl(port, "/tornado") == b"finished by a tornado.h timer"
        assert curl(port, "/executor") == b"finished after the executor (status 0)"

    def under_ab():
        ab(state["srv"].port, 2000, 50)

    def stops():
        assert state["srv"].stop(signal.SIGTERM) == 0, "".join(state["srv"].log[-20:])

    check("%s: starts inside GLib's main loop" % name, start)
    check("%s: curl gets answers finished by GLib, by our timer and by our executor" % name, answers)
    check("%s: ab, 2000 keep-alive requests from 50 clients, zero failures" % name, under_ab)
    check("%s: SIGTERM through GLib's signal source quits, everything freed" % name, stops)


glib_checks("glib_embed")
glib_checks("glib_embed_poll")

# ---- c-ares on our loop
cares = {}


def cares_runs():
    need_built()
    out = subprocess.run([os.path.join(ROOT, "build", "cares_dns")], capture_output=True, text=True, timeout=60)
    cares["out"] = out.stdout
    assert out.returncode == 0, out.stdout + out.stderr


def line(prefix):
    for ln in cares.get("out", "").splitlines():
        if ln.startswith(prefix + " "):
            return ln[len(prefix) + 1:]
    raise AssertionError("no %r line in %r" % (prefix, cares.get("out")))


def cares_hosts():
    assert line("hosts localhost") == "127.0.0.1"


def cares_dns():
    assert line("dns tornado.test") == "10.1.2.3"
    assert line("dns nothing.test") == "Domain name not found"
    io = int(re.search(r"io (\d+)", cares["out"]).group(1))
    assert io >= 1, "the answers did not come through our fd handler"


def cares_timeout():
    assert line("silent") == "Timeout while contacting DNS servers"
    timers = int(re.search(r"timers (\d+)", cares["out"]).group(1))
    # A few timeouts and retries; hundreds would mean the timer spins.
    assert 1 <= timers <= 20, "timer fired %d times" % timers


def cares_freed():
    assert line("leaked") == "0"


check("c-ares on our loop: the program runs to the end", cares_runs)
check("c-ares on our loop: localhost from /etc/hosts is 127.0.0.1", cares_hosts)
check("c-ares on our loop: a DNS server on the same loop answers through our fd handler (A and NXDOMAIN)",
      cares_dns)
check("c-ares on our loop: an unanswered query times out on our timer", cares_timeout)
check("c-ares on our loop: everything freed", cares_freed)
done()
