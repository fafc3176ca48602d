"""tn_tls_use_library_allocator (issue 13): OpenSSL's blocks through the
library's allocator, counted by tn_mem_get_stats. build/tlsapp
--library_allocator opts in before its first TLS context; /mem says how
many blocks the library holds.

Idle TLS connections then hold OpenSSL's session blocks as the library's
(dozens each); without the opt-in only the stream's own few. At exit, after
OPENSSL_cleanup, every block is back (tlsapp's status is 5 otherwise), so
OpenSSL never freed through libc what it took from us, or the reverse. And
tlsapp without the opt-in checks that a late call is refused (TN_EBUSY)."""
import os
import shutil
import socket
import ssl
import subprocess
import tempfile

from harness import Server, check, done

D = tempfile.mkdtemp(prefix="tn-tls-alloc-")
CERT, KEY = os.path.join(D, "cert.pem"), os.path.join(D, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", KEY, "-out", CERT, "-days", "2", "-subj", "/CN=localhost"], check=True, capture_output=True)
CTX = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE  # what is counted here is memory, not trust
N = 20


def get(port, path):
    """A TLS connection that asked for path once and stays open, and the body."""
    s = CTX.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    s.settimeout(60)  # a hang guard only
    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
    out = b""
    while b"\r\n\r\n" not in out:
        out += s.recv(65536)
    head, body = out.split(b"\r\n\r\n", 1)
    length = int(next(l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")).split(b":")[1])
    while len(body) < length:
        body += s.recv(65536)
    return s, body


def live_blocks(port):
    s, body = get(port, "/mem")
    s.close()
    return int(body)


def growth(*args):
    """Blocks the library holds for N idle TLS keep-alive connections."""
    srv = Server("tlsapp", "--certfile=" + CERT, "--keyfile=" + KEY, *args)
    try:
        get(srv.port, "/proto")[0].close()  # one-time state first
        before = live_blocks(srv.port)
        idle = [get(srv.port, "/proto")[0] for _ in range(N)]
        after = live_blocks(srv.port)
        for s in idle:
            s.close()
    finally:
        status = srv.stop()
    assert status == 0, (status, "".join(srv.log[-20:]))  # 5: blocks left; 4: a late opt-in accepted
    return after - before


def counted():
    ours_only, with_openssl = growth(), growth("--library_allocator")
    print("blocks per idle TLS connection: %.1f ours, %.1f with OpenSSL's" % (ours_only / N, with_openssl / N))
    assert ours_only < 10 * N, ours_only
    assert with_openssl >= 20 * N, with_openssl


check("tls_alloc: OpenSSL's blocks through the library's allocator, all given back; a late opt-in refused",
      counted)
shutil.rmtree(D, ignore_errors=True)
done()
