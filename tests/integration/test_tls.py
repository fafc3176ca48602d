"""TLS (issue 13) against clients nobody here wrote, and our clients against
servers with bad certificates. Certificates are made here with the openssl
command: a test CA, a server certificate for localhost and 127.0.0.1, one
for another host, an expired one and a self-signed one.

build/tlsapp serves TLS and plain HTTP in one app; build/fetch_tls and
build/wsclient_tls are our HTTP and WebSocket clients built with TLS."""
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import tempfile

import certs
from harness import ROOT, Server, check, done

BUILD = os.path.join(ROOT, "build")
D = tempfile.mkdtemp(prefix="tn-tls-")


def make_certs():
    certs.make_ca(D)
    certs.sign(D, *certs.SERVER)
    certs.sign(D, "other", "DNS:other.example", ["-days", "30"])
    certs.sign(D, "expired", "DNS:localhost,IP:127.0.0.1",
               ["-startdate", "20200101000000Z", "-enddate", "20200102000000Z"])
    certs.sign(D, "client", "DNS:client.example", ["-days", "30"])
    certs.sh(D, "openssl", "req", "-x509", *certs.EC, "-keyout", "self.key", "-out", "self.pem", "-days", "30",
             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")


def p(name):
    return os.path.join(D, name)


make_certs()
CA = p("ca.pem")


def tls_server(cert, *extra):
    return Server("tlsapp", "--certfile=" + p(cert + ".pem"), "--keyfile=" + p(cert + ".key"), *extra)


srv = tls_server("server", "--plain_port=0", "--sni_host=other.example", "--sni_certfile=" + p("other.pem"),
                 "--sni_keyfile=" + p("other.key"), "--static_path=" + ROOT, "--header_timeout=1")
PLAIN = int(next(l for l in srv.log if "plain port" in l).split()[-1])
URL = "https://localhost:%d" % srv.port


def curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "60", *args], capture_output=True, timeout=90)


def ctx():
    c = ssl.create_default_context(cafile=CA)
    c.set_alpn_protocols(["h2", "http/1.1"])
    return c


def curl_https():
    r = curl("--cacert", CA, URL + "/proto")
    assert r.returncode == 0 and r.stdout == b"https", r
    r = curl("--cacert", CA, "https://127.0.0.1:%d/proto" % srv.port)  # an IP in the SAN
    assert r.returncode == 0 and r.stdout == b"https", r


def plain_listener_beside():
    r = curl("http://127.0.0.1:%d/proto" % PLAIN)
    assert r.stdout == b"http", r


def plain_http_to_tls_port():
    r = curl("-i", "http://127.0.0.1:%d/proto" % srv.port)
    assert r.stdout.startswith(b"HTTP/1.1 400 "), r
    assert r.stdout.endswith(b"The plain HTTP request was sent to HTTPS port\n"), r


def read_all(s):
    s.settimeout(60)  # a hang guard only: the server closes long before
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out
        out += b


def garbage_cut_off():
    with socket.create_connection(("127.0.0.1", srv.port)) as s:
        s.sendall(b"\x00\x01\x02 not TLS at all\r\n\r\n")
        assert read_all(s) == b""


def stalled_handshake_cut_off():
    # Half a ClientHello, then silence: header_timeout (1 s here) ends it.
    with socket.create_connection(("127.0.0.1", srv.port)) as s:
        s.sendall(b"\x16\x03\x01\x02\x00\x01")
        assert read_all(s) == b""
    with socket.create_connection(("127.0.0.1", srv.port)) as s:  # nothing at all
        assert read_all(s) == b""


def s_client(*args):
    return subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % srv.port, *args],
                          input=b"", capture_output=True, timeout=60)


def old_protocols_refused():
    for v in ("-tls1", "-tls1_1"):
        r = s_client(v)
        assert b"Cipher is (NONE)" in r.stdout or r.returncode != 0, (v, r.stdout[-500:])
    r = s_client("-tls1_2", "-cipher", "AES128-SHA:DES-CBC3-SHA:RC4-SHA")  # no forward secrecy: refused
    assert b"Cipher is (NONE)" in r.stdout, r.stdout[-500:]
    r = s_client("-tls1_2", "-CAfile", CA)
    assert b"Protocol  : TLSv1.2" in r.stdout and b"ECDHE" in r.stdout, r.stdout[-800:]


def alpn_and_sni():
    r = s_client("-alpn", "h2,http/1.1", "-servername", "localhost", "-CAfile", CA)
    assert b"ALPN protocol: http/1.1" in r.stdout, r.stdout[-800:]
    assert b"Verify return code: 0 (ok)" in r.stdout, r.stdout[-800:]
    r = s_client("-servername", "other.example")
    assert b"CN = other" in r.stdout, r.stdout[-800:]


def python_keepalive_and_resumption():
    c = ctx()
    conn = http.client.HTTPSConnection("localhost", srv.port, context=c)
    for n in (0, 1, 100000, 1000000):
        conn.request("POST", "/echo", body=b"y" * n)
        r = conn.getresponse()
        assert r.status == 200 and r.read() == b"y" * n
    assert conn.sock.selected_alpn_protocol() == "http/1.1"
    conn.close()
    c.maximum_version = ssl.TLSVersion.TLSv1_2  # session IDs and tickets, without TLS 1.3's timing
    s1 = c.wrap_socket(socket.create_connection(("127.0.0.1", srv.port)), server_hostname="localhost")
    s1.sendall(b"GET /proto HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert read_all(s1).endswith(b"https")
    sess = s1.session
    s1.close()
    s2 = c.wrap_socket(socket.create_connection(("127.0.0.1", srv.port)), server_hostname="localhost",
                       session=sess)
    assert s2.session_reused
    s2.close()


def close_notify_sent():
    # suppress_ragged_eofs=False: an end without close_notify raises SSLEOFError.
    s = ctx().wrap_socket(socket.create_connection(("127.0.0.1", srv.port)), server_hostname="localhost",
                          suppress_ragged_eofs=False)
    s.sendall(b"GET /proto HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert read_all(s).endswith(b"\r\n\r\nhttps")
    s.close()


def static_file_over_tls():
    with open(os.path.join(ROOT, "tornado.h"), "rb") as f:
        want = f.read()
    r = curl("--cacert", CA, URL + "/static/tornado.h")
    assert r.returncode == 0 and r.stdout == want, (r.returncode, len(r.stdout), len(want))
    r = curl("--cacert", CA, "-r", "1000-1999", URL + "/static/tornado.h")
    assert r.stdout == want[1000:2000]


def big_body_slow_reader():
    # 8 MB to a client that reads in small sips: back-pressure, no loss.
    s = ctx().wrap_socket(socket.create_connection(("127.0.0.1", srv.port)), server_hostname="localhost")
    s.sendall(b"GET /big?n=8000000 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    out = b""
    while True:
        b = s.recv(1000)
        if not b:
            break
        out += b
    s.close()
    assert out.endswith(b"x" * 1000) and len(out.split(b"\r\n\r\n", 1)[1]) == 8000000


def python_websockets_wss():
    import asyncio
    import websockets

    async def run():
        async with websockets.connect("wss://localhost:%d/ws" % srv.port, ssl=ctx(), max_size=None) as ws:
            for m in ("hello", b"\x00" * 200000, "é" * 70000):
                await ws.send(m)
                assert await ws.recv() == m
    asyncio.run(run())


NODE = shutil.which("node") or "/usr/bin/node"
NODE_MODULES = os.path.join(ROOT, "tests", "node", "node_modules")


def node_env():
    return dict(os.environ, NODE_EXTRA_CA_CERTS=CA, NODE_PATH=NODE_MODULES)


def node_https():
    js = ("require('https').get(process.argv[1], r => { let b = ''; const a = r.socket.alpnProtocol;"
          " r.on('data', d => b += d); r.on('end', () => { console.log(r.statusCode, b, a); }); })"
          ".on('error', e => { console.log('error', e.message); process.exit(1); });")
    r = subprocess.run([NODE, "-e", js, URL + "/proto"], capture_output=True, text=True, timeout=60,
                       env=node_env())
    assert r.stdout.strip().startswith("200 https"), r


def node_ws_wss():
    r = subprocess.run([NODE, os.path.join(ROOT, "tests", "node", "ws_echo.js"), "wss://localhost:%d/ws" % srv.port],
                       capture_output=True, text=True, timeout=300, env=node_env())
    fails = [l for l in r.stdout.splitlines() if l.startswith("fail ")]
    assert r.returncode == 0 and not fails, (fails, r.stderr[-1000:])


def fetch(*args):
    return subprocess.run([os.path.join(BUILD, "fetch_tls"), *args], capture_output=True, text=True, timeout=60)


def our_client_verifies():
    r = fetch("--ca_certs=" + CA, URL + "/proto", URL + "/proto", "https://127.0.0.1:%d/proto" % srv.port)
    assert r.returncode == 0 and r.stdout == "https" * 3, r
    r = fetch(URL + "/proto")  # the system's store does not know our CA
    assert r.returncode == 3 and "unable to get local issuer certificate" in r.stderr, r
    big = fetch("--ca_certs=" + CA, URL + "/big?n=5000000")
    assert big.returncode == 0 and len(big.stdout) == 5000000


def bad_certificates():
    for cert, why in (("other", "Hostname mismatch"), ("expired", "certificate has expired"),
                      ("self", "self-signed certificate")):
        bad = tls_server(cert)
        try:
            u = "https://localhost:%d/proto" % bad.port
            r = fetch("--ca_certs=" + CA, u)
            assert r.returncode == 3 and why.lower() in r.stderr.lower(), (cert, r)
            w = subprocess.run([os.path.join(BUILD, "wsclient_tls"), "--ca_certs=" + CA, "--text=x",
                                "wss://localhost:%d/ws" % bad.port], capture_output=True, text=True, timeout=60)
            assert w.returncode == 2 and "error CERT" in w.stdout + w.stderr or "CERT" in w.stdout, (cert, w)
            if cert == "self":  # an explicit opt-out accepts it
                r = fetch("--validate_cert=false", u)
                assert r.returncode == 0 and r.stdout == "https", r
        finally:
            assert bad.stop() == 0


def our_wss_client():
    r = subprocess.run([os.path.join(BUILD, "wsclient_tls"), "--ca_certs=" + CA, "--text=hello",
                        "--binary-size=300000", "--text-size=70000", "--close=1000",
                        "wss://localhost:%d/ws" % srv.port], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r


def client_certificates():
    mtls = tls_server("server", "--ca_certs=" + CA)
    try:
        u = "https://localhost:%d/proto" % mtls.port
        r = curl("--cacert", CA, u)
        assert r.returncode != 0, r
        r = curl("--cacert", CA, "--cert", p("client.pem"), "--key", p("client.key"), u)
        assert r.returncode == 0 and r.stdout == b"https", r
        r = fetch("--ca_certs=" + CA, "--client_cert=" + p("client.pem"), "--client_key=" + p("client.key"), u)
        assert r.returncode == 0 and r.stdout == "https", r
    finally:
        assert mtls.stop() == 0


check("tls: curl --cacert over https (host name and IP)", curl_https)
check("tls: a plain listener in the same app says http", plain_listener_beside)
check("tls: plain HTTP to the TLS port gets nginx's 400", plain_http_to_tls_port)
check("tls: garbage instead of a handshake is cut off", garbage_cut_off)
check("tls: stalled handshakes are cut off (header_timeout)", stalled_handshake_cut_off)
check("tls: openssl s_client: no TLS 1.0/1.1, no weak cipher, TLS 1.2 ECDHE", old_protocols_refused)
check("tls: openssl s_client: ALPN http/1.1, SNI picks the certificate", alpn_and_sni)
check("tls: Python http.client keep-alive bodies and session resumption", python_keepalive_and_resumption)
check("tls: close_notify on a clean close", close_notify_sent)
check("tls: static files over TLS (no sendfile), ranges too", static_file_over_tls)
check("tls: 8 MB to a slow reader arrives whole", big_body_slow_reader)
check("tls: Python websockets over wss://", python_websockets_wss)
if os.path.exists(NODE) and os.path.isdir(os.path.join(NODE_MODULES, "ws")):
    check("tls: Node https", node_https)
    check("tls: Node ws over wss:// (tests/node/ws_echo.js)", node_ws_wss)
else:
    print("SKIP tls node: node or tests/node/node_modules/ws missing")
check("tls: build/fetch_tls verifies (CA file, host, IP; system store refuses)", our_client_verifies)
check("tls: other host, expired, self-signed: TN_ECERT with the reason", bad_certificates)
check("tls: our WebSocket client over wss://", our_wss_client)
check("tls: client certificates (server ca_certs; curl and build/fetch_tls)", client_certificates)


def valgrind_server():
    # The same server without sanitizers, under valgrind: handshakes, files,
    # WebSockets, plain HTTP, garbage and refused handshakes leak nothing.
    cmd = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full", "--show-leak-kinds=definite,indirect",
           "--errors-for-leak-kinds=definite,indirect", os.path.join(BUILD, "tlsapp_vg"), "--port=0",
           "--certfile=" + p("server.pem"), "--keyfile=" + p("server.key"), "--static_path=" + ROOT]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    port = None
    log = []
    for line in proc.stderr:
        log.append(line)
        if "Listening on port" in line:
            port = int(line.split()[-1])
            break
    assert port, log
    u = "https://localhost:%d" % port
    assert curl("--cacert", CA, u + "/proto").stdout == b"https"
    assert len(curl("--cacert", CA, u + "/static/tornado.h").stdout) > 100000
    assert curl("http://127.0.0.1:%d/proto" % port).stdout.endswith(b"HTTPS port\n")
    assert curl(u + "/proto").returncode != 0  # unknown CA: the client refuses
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"\x00garbage")
        assert read_all(s) == b""
    w = subprocess.run([os.path.join(BUILD, "wsclient_tls"), "--ca_certs=" + CA, "--text=hi", "--close=1000",
                        "wss://localhost:%d/ws" % port], capture_output=True, text=True, timeout=120)
    assert w.returncode == 0, w
    proc.terminate()
    rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 0, (proc.returncode, rest[-3000:])


def clean_exit():
    status = srv.stop()
    assert status == 0, (status, "".join(srv.log[-20:]))


check("tls: server exits cleanly on SIGTERM (no leak)", clean_exit)
if shutil.which("valgrind"):
    check("tls: valgrind: no leak, no error in the server", valgrind_server)
else:
    print("SKIP tls valgrind: valgrind is not installed")
shutil.rmtree(D, ignore_errors=True)
done()
