"""https:// through an HTTP proxy (CONNECT) in the HTTP client (issues 12, 13),
with build/fetch_tls: Debian's tinyproxy, a proxy nobody here wrote, in
front of our TLS server, nginx and Python's ssl server, with a test CA; and
hostile proxies written here (CannedServer) that refuse, answer garbage,
close or stall."""
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import certs
from harness import ROOT, Server, check, done
from peers import CannedServer, Nginx, eventually, free_port, wait_listening

D = tempfile.mkdtemp(prefix="tn-proxy-")
certs.make_ca(D)
certs.sign(D, *certs.SERVER)
CA, CERT, KEY = (os.path.join(D, n) for n in ("ca.pem", "server.pem", "server.key"))
with open(os.path.join(D, "hello.txt"), "w") as f:
    f.write("hello through the tunnel")


class Tinyproxy:
    """tinyproxy in the foreground as this user, on a free port; CONNECT only
    to `ports`; `auth`: (user, password) it requires. Its log is kept."""

    def __init__(self, ports, auth=None):
        self.port = free_port()
        self.log = os.path.join(D, "tinyproxy-%d.log" % self.port)
        conf = os.path.join(D, "tinyproxy-%d.conf" % self.port)
        with open(conf, "w") as f:
            f.write("Port %d\nListen 127.0.0.1\nTimeout 60\nLogLevel Connect\nMaxClients 50\nAllow 127.0.0.1\n"
                    "LogFile \"%s\"\n" % (self.port, self.log))
            for p in ports:
                f.write("ConnectPort %d\n" % p)
            if auth:
                f.write("BasicAuth %s %s\n" % auth)
        self.proc = subprocess.Popen(["tinyproxy", "-d", "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_listening(self.port, self.proc, "tinyproxy")

    def connects(self):
        """The CONNECT requests it logged."""
        with open(self.log) as f:
            return [line for line in f if "CONNECT" in line and "Request" in line]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def fetch(proxy_port, *args):
    return subprocess.run([os.path.join(ROOT, "build", "fetch_tls"), "--proxy_host=127.0.0.1",
                           "--proxy_port=%d" % proxy_port, *args], capture_output=True, text=True, timeout=60)


srv = Server("tlsapp", "--certfile=" + CERT, "--keyfile=" + KEY)
NGINX_TLS = free_port()
nginx = Nginx(D, "listen 127.0.0.1:%d ssl; ssl_certificate %s; ssl_certificate_key %s;" % (NGINX_TLS, CERT, KEY))
wait_listening(NGINX_TLS, nginx.proc, "nginx (TLS)")


class Quiet(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *a, **kw):
        super().__init__(*a, directory=D, **kw)

    def log_message(self, *a):
        pass


pyhttps = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
pyhttps.daemon_threads = True
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(CERT, KEY)
pyhttps.socket = tls.wrap_socket(pyhttps.socket, server_side=True)
PY_TLS = pyhttps.server_address[1]
threading.Thread(target=pyhttps.serve_forever, daemon=True).start()

tiny = Tinyproxy([srv.port, NGINX_TLS, PY_TLS])


def through_tinyproxy_to_ours():
    # Two fetches over one pooled tunnel: tinyproxy sees one CONNECT.
    u = "https://localhost:%d/proto" % srv.port
    r = fetch(tiny.port, "--ca_certs=" + CA, u, u)
    assert r.returncode == 0 and r.stdout == "https" * 2, r
    got = eventually(tiny.connects, lambda c: len(c) >= 1)
    assert len(got) == 1 and "localhost:%d" % srv.port in got[0], got
    big = fetch(tiny.port, "--ca_certs=" + CA, "https://127.0.0.1:%d/big?n=3000000" % srv.port)
    assert big.returncode == 0 and len(big.stdout) == 3000000, big.stderr


def through_tinyproxy_to_nginx_and_python():
    r = fetch(tiny.port, "--ca_certs=" + CA, "https://localhost:%d/hello.txt" % NGINX_TLS,
              "https://localhost:%d/hello.txt" % NGINX_TLS, "https://localhost:%d/hello.txt" % PY_TLS)
    assert r.returncode == 0 and r.stdout == "hello through the tunnel" * 3, r
    rows = nginx.access_log(2, lambda rows: True)
    assert [(n, req) for _, n, req, _ in rows] == [(1, "GET /hello.txt HTTP/1.1"), (2, "GET /hello.txt HTTP/1.1")], rows


def verified_through_the_tunnel():
    # The target's certificate is checked, not the proxy's say-so.
    r = fetch(tiny.port, "https://localhost:%d/proto" % srv.port)
    assert r.returncode == 3 and "unable to get local issuer certificate" in r.stderr, r


def tinyproxy_refuses():
    # A port tinyproxy does not allow: its 403 is TN_EPROXY with the status.
    other = free_port()
    r = fetch(tiny.port, "--ca_certs=" + CA, "https://localhost:%d/" % other)
    assert r.returncode == 3 and "proxy CONNECT to localhost:%d refused: 403" % other in r.stderr, r


def tinyproxy_basic_auth():
    auth = Tinyproxy([srv.port], auth=("tn", "s3cret"))
    try:
        u = "https://localhost:%d/proto" % srv.port
        r = fetch(auth.port, "--ca_certs=" + CA, u)
        assert r.returncode == 3 and "refused: 407" in r.stderr, r
        r = fetch(auth.port, "--ca_certs=" + CA, "--proxy_username=tn", "--proxy_password=wrong", u)
        assert r.returncode == 3 and "refused: 401 Unauthorized" in r.stderr, r  # tinyproxy's answer
        r = fetch(auth.port, "--ca_certs=" + CA, "--proxy_username=tn", "--proxy_password=s3cret", u)
        assert r.returncode == 0 and r.stdout == "https", r
    finally:
        auth.stop()


def plain_http_still_forwarded():
    r = fetch(tiny.port, "http://127.0.0.1:%d/hello.txt" % nginx.port)
    assert r.returncode == 0 and r.stdout == "hello through the tunnel", r


HEAD_407 = b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"t\"\r\n" \
           b"Content-Length: 0\r\n\r\n"


def hostile(answer, *args, url="https://target.example:8443/x"):
    p = CannedServer(answer)
    try:
        return p, fetch(p.port, "--ca_certs=" + CA, *args, url)
    finally:
        p.stop()


def what_the_proxy_sees():
    p, r = hostile(HEAD_407, "--proxy_username=u", "--proxy_password=p w")
    assert r.returncode == 3, r
    assert "proxy CONNECT to target.example:8443 refused: 407 Proxy Authentication Required" in r.stderr, r
    head = p.requests[0].decode()
    lines = head.split("\r\n")
    assert lines[0] == "CONNECT target.example:8443 HTTP/1.1", head
    assert "Host: target.example:8443" in lines, head
    assert "Proxy-Authorization: Basic dTpwIHc=" in lines, head  # base64("u:p w")
    assert not any(l.lower().startswith("authorization") for l in lines), head


def hostile_proxies():
    for answer, why in ((b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad", "refused: 502 Bad Gateway"),
                        (b"\x00\x01garbage\r\n\r\n", "a malformed answer"),
                        (b"HTTP/1.1 200 Conn", "in the middle of the proxy's answer to CONNECT"),
                        (None, "without the proxy's answer to CONNECT"),
                        (b"HTTP/1.1 200 OK\r\n\r\nnot TLS", "after its 200 to CONNECT"),
                        (b"HTTP/1.1 200 OK\r\n\r\n", "ended without an answer")):  # a close in the handshake
        p, r = hostile(answer)
        assert r.returncode == 3 and why in r.stderr, (answer, r)
    p, r = hostile(lambda c, req: time.sleep(30), "--request_timeout=1")
    assert r.returncode == 3 and "timed out" in r.stderr, r


check("proxy: https:// through tinyproxy to our server, one pooled tunnel", through_tinyproxy_to_ours)
check("proxy: https:// through tinyproxy to nginx (keep-alive in the tunnel) and Python's ssl", through_tinyproxy_to_nginx_and_python)
check("proxy: the target's certificate is verified through the tunnel", verified_through_the_tunnel)
check("proxy: tinyproxy's 403 (port not allowed) is TN_EPROXY with the status", tinyproxy_refuses)
check("proxy: tinyproxy BasicAuth: 407 without or with wrong credentials, then through", tinyproxy_basic_auth)
check("proxy: plain http:// is still forwarded (absolute form)", plain_http_still_forwarded)
check("proxy: the CONNECT head (target, Host, Proxy-Authorization, no Authorization)", what_the_proxy_sees)
check("proxy: hostile proxies: 502, garbage, half a head, close, bytes after 200, stall", hostile_proxies)



def clean_exit():
    tiny.stop()
    nginx.stop()
    pyhttps.shutdown()
    status = srv.stop()
    assert status == 0, (status, "".join(srv.log[-20:]))


check("proxy: the servers stop, ours exits cleanly (no leak)", clean_exit)
shutil.rmtree(D, ignore_errors=True)
done()
