"""The TLS handshake's own timeouts (issue 13): the server's
tls_handshake_timeout cuts off a client that stalls in the handshake long
before header_timeout; the client's connect_timeout covers the handshake
(directly and through a proxy's tunnel), long before request_timeout.
The timeouts under test are 1 s; the others, and the hang guards, are
minutes, so a pass cannot come from the wrong one."""
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import certs
from harness import ROOT, Server, check, done
from peers import CannedServer

D = tempfile.mkdtemp(prefix="tn-hs-")
certs.make_ca(D)
certs.sign(D, *certs.SERVER)
CA, CERT, KEY = (os.path.join(D, n) for n in ("ca.pem", "server.pem", "server.key"))
srv = Server("tlsapp", "--certfile=" + CERT, "--keyfile=" + KEY, "--header_timeout=600",
             "--tls_handshake_timeout=1")


def closed_by_server(s):
    """True when the server closes s (EOF or reset) before the hang guard."""
    s.settimeout(120)
    try:
        while s.recv(4096):
            pass
    except ConnectionResetError:
        pass
    return True


def server_cuts_stalled_handshakes():
    with socket.create_connection(("127.0.0.1", srv.port)) as s:  # nothing at all
        assert closed_by_server(s)
    with socket.create_connection(("127.0.0.1", srv.port)) as s:  # half a ClientHello
        s.sendall(b"\x16\x03\x01\x02\x00\x01")
        assert closed_by_server(s)


def a_finished_handshake_is_not_cut():
    # The deadline goes with the handshake: after it, header_timeout (600 s) rules.
    ctx = ssl.create_default_context(cafile=CA)
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port)), server_hostname="localhost") as s:
        time.sleep(3)  # past the 1 s handshake deadline
        s.sendall(b"GET /proto HTTP/1.1\r\nHost: localhost\r\n\r\n")
        s.settimeout(120)
        assert s.recv(4096).endswith(b"https")


class Silent:
    """Accepts connections and never says a word (a TLS server that hangs)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.conns.append(self.sock.accept()[0])
            except OSError:
                return

    def stop(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def fetch(*args):
    return subprocess.run([os.path.join(ROOT, "build", "fetch_tls"), "--ca_certs=" + CA, "--connect_timeout=1",
                           "--request_timeout=600", *args], capture_output=True, text=True, timeout=300)


def client_connect_timeout_covers_handshake():
    silent = Silent()
    try:
        r = fetch("https://localhost:%d/" % silent.port)
        assert r.returncode == 3 and "the handshake timed out (connect_timeout)" in r.stderr, r
    finally:
        silent.stop()


def client_connect_timeout_through_a_proxy():
    # The proxy opens the tunnel, then the far end never answers the ClientHello.
    def tunnel_to_nowhere(c, request):
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        c.settimeout(120)
        try:
            c.recv(65536)
            c.recv(65536)  # blocks until the client gives up
        except OSError:
            pass

    p = CannedServer(tunnel_to_nowhere)
    try:
        r = fetch("--proxy_host=127.0.0.1", "--proxy_port=%d" % p.port, "https://target.example/")
        assert r.returncode == 3 and "the handshake timed out (connect_timeout)" in r.stderr, r
    finally:
        p.stop()


check("tls handshake: the server cuts off stalled handshakes (tls_handshake_timeout)",
      server_cuts_stalled_handshakes)
check("tls handshake: a finished handshake is not cut off by it", a_finished_handshake_is_not_cut)
check("tls handshake: the client's connect_timeout covers the handshake", client_connect_timeout_covers_handshake)
check("tls handshake: ... and through a proxy's tunnel", client_connect_timeout_through_a_proxy)


def clean_exit():
    status = srv.stop()
    assert status == 0, (status, "".join(srv.log[-20:]))


check("tls handshake: our server exits cleanly (no leak)", clean_exit)
shutil.rmtree(D, ignore_errors=True)
done()
