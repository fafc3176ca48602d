"""Reads over TLS (issue 13's keep-alive cost): OpenSSL reads ahead, as
nginx has it do, so a request in one TLS record costs one recv and the
recv that says the socket is dry, not three (the record's 5-byte header,
then its body). strace counts build/tlsapp's recvfrom calls over keep-alive
requests. Bytes read ahead wait in OpenSSL's buffer: records that arrive
together are all answered, without waiting for more bytes that never come."""
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile

import harness
from harness import Server, check, done

D = tempfile.mkdtemp(prefix="tn-tls-reads-")
CERT, KEY = os.path.join(D, "cert.pem"), os.path.join(D, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", KEY, "-out", CERT, "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
CTX = ssl.create_default_context(cafile=CERT)
N = 200


def recv_calls_per_request():
    out = os.path.join(D, "strace.txt")
    os.environ["ASAN_OPTIONS"] = "detect_leaks=0"  # LeakSanitizer cannot work under ptrace
    srv = Server("tlsapp", "--certfile=" + CERT, "--keyfile=" + KEY,
                 wrap=["strace", "-f", "-c", "-o", out, "-e", "trace=recvfrom"])
    try:
        conn = http.client.HTTPSConnection("localhost", srv.port, context=CTX, timeout=60)
        for _ in range(N):
            conn.request("GET", "/proto")
            r = conn.getresponse()
            assert r.status == 200 and r.read() == b"https"
        conn.close()
    finally:
        app = int(subprocess.check_output(["pgrep", "-P", str(srv.proc.pid)]).split()[0])
        os.kill(app, signal.SIGTERM)  # strace writes its counts when the program ends
        assert srv.proc.wait(timeout=60) == 0, "".join(srv.log[-20:])
    with open(out) as f:
        calls = int(next(l for l in f if l.rstrip().endswith("recvfrom")).split()[3])
    # Two per request, and a few for the handshake and the end.
    assert calls < 2.5 * N, "%d recvfrom calls for %d requests" % (calls, N)


def records_read_together():
    srv = Server("tlsapp", "--certfile=" + CERT, "--keyfile=" + KEY)
    try:
        s = CTX.wrap_socket(socket.create_connection(("127.0.0.1", srv.port)), server_hostname="localhost")
        s.settimeout(60)  # a hang guard only
        # Three records in one TCP segment's worth: read ahead at once.
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
        for i in range(3):
            s.sendall(b"GET /proto HTTP/1.1\r\nHost: x\r\n%s\r\n" % (b"Connection: close\r\n" if i == 2 else b""))
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
        s.close()
        assert out.count(b"HTTP/1.1 200 OK") == 3 and out.endswith(b"https"), out
    finally:
        assert srv.stop() == 0, "".join(srv.log[-20:])


check("tls_reads: records that arrive together are all answered", records_read_together)
if shutil.which("strace"):
    check("tls_reads: one recv per request and one that finds the socket dry (read-ahead)",
          recv_calls_per_request)
else:
    print("FAIL tls_reads: strace is not installed (tests/setup.sh installs it)")
    harness.failures += 1
shutil.rmtree(D, ignore_errors=True)
done()
