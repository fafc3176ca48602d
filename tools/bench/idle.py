"""Memory per idle keep-alive connection: opens N connections, makes one
request on each, leaves them open, and reports the server's RSS growth.
Usage: idle.py SERVER_PID PORT N LABEL [--tls | --tls1.2]
--tls: HTTPS (TLS 1.3 if the server has it; the protocol used is printed; the
certificate not checked: a benchmark, not a test);
--tls1.2: HTTPS with TLS 1.2 at most."""
import resource
import socket
import ssl
import sys
import time

pid, port, n, label = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
tls = None
if sys.argv[5:] in (["--tls"], ["--tls1.2"]):
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls.check_hostname = False
    tls.verify_mode = ssl.CERT_NONE
    if sys.argv[5] == "--tls1.2":
        tls.maximum_version = ssl.TLSVersion.TLSv1_2
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 100), hard))


def rss_kib():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


def connect():
    s = socket.create_connection(("127.0.0.1", port))
    return tls.wrap_socket(s, server_hostname="localhost") if tls else s


# Warm the server with a few connections first, so one-time buffers are not counted.
warm = [connect() for _ in range(50)]
for s in warm:
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
for s in warm:
    s.recv(4096)
for s in warm:
    s.close()
time.sleep(0.3)
before = rss_kib()
socks = []
for i in range(n):
    s = connect()
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    socks.append(s)
for s in socks:
    s.recv(4096)
time.sleep(0.5)
after = rss_kib()
# The protocol each side settled on: a comparison holds only between equals.
proto = " (%s)" % "/".join(sorted({s.version() for s in socks})) if tls else ""
print("%s: %d idle keep-alive connections%s: RSS %d -> %d KiB, %.0f bytes each"
      % (label, n, proto, before, after, (after - before) * 1024.0 / n))
for s in socks:
    s.close()
