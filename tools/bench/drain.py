"""How long a graceful stop takes: the hello world (build/helloworld
--quiet) from SIGTERM to its exit, idle, holding N idle keep-alive
connections (each closed at once by the drain), and under wrk's load
(every connection has a request in flight, answered before the exit).
Usage: /usr/bin/python3 tools/bench/drain.py [N=10000]   (from the repository)"""
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, N + 200), hard))  # the server inherits it


def start():
    p = subprocess.Popen(["build/helloworld", "--port=0", "--quiet"], stderr=subprocess.PIPE, text=True)
    for line in p.stderr:
        m = re.search(r"Listening on \S+:(\d+)", line)
        if m:
            port = int(m.group(1))
            s = socket.create_connection(("127.0.0.1", port))  # an answer: the loop runs, signals are caught
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            while s.recv(4096):
                pass
            s.close()
            return p, port
    raise SystemExit("the server did not start")


def stop(p):
    """Milliseconds from SIGTERM to the exit."""
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    status = p.wait()
    ms = (time.monotonic() - t0) * 1000
    assert status == 0, status
    return ms


p, port = start()
print("idle server: exits %.1f ms after SIGTERM" % stop(p))

p, port = start()
socks = []
for _ in range(N):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    socks.append(s)
for s in socks:
    s.recv(4096)
print("%d idle keep-alive connections: exits %.1f ms after SIGTERM" % (N, stop(p)))
closed = sum(1 for s in socks if s.recv(4096) == b"")
print("  %d of them saw the server close" % closed)
for s in socks:
    s.close()

if shutil.which("wrk"):
    p, port = start()
    wrk = subprocess.Popen(["wrk", "-t2", "-c100", "-d3s", "http://127.0.0.1:%d/" % port],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    print("wrk, 100 busy connections: exits %.1f ms after SIGTERM" % stop(p))
    wrk.wait()
