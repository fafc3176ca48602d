"""Headless Chromium loads both chats over HTTPS (issue 13): examples/chat
(long polling) and examples/websocket (its socket over wss://), built with
TLS (build/chat_tls, build/websocket_tls) and started with --certfile and
--keyfile.

The certificate is signed by a test CA made here, and Chromium trusts that
CA the way a Linux desktop does: an NSS database (certutil, Debian's
libnss3-tools) in $HOME/.pki/nssdb, with HOME a temporary folder. No
--ignore-certificate-errors: a Chromium whose database lacks the CA must
refuse the page, and that is checked too."""
import os
import shutil
import subprocess
import tempfile

import harness
from harness import ROOT, Server, check, done

D = tempfile.mkdtemp(prefix="tn-tls-browser-")
NODE = shutil.which("node")
NODE_DIR = os.path.join(ROOT, "tests", "node")


def sh(*args):
    subprocess.run(args, check=True, capture_output=True, cwd=D)


def make_certs():
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    sh("openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
       "-subj", "/CN=tornado.h browser test CA")
    sh("openssl", "req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(D, "server.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    sh("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
       "-days", "30", "-extfile", "server.ext", "-out", "server.pem")


def nss_home(name, trust_ca):
    """A HOME whose NSS database (Chromium's store on Linux) trusts our CA
    for TLS servers, or trusts nothing of ours."""
    home = os.path.join(D, name)
    db = "sql:" + os.path.join(home, ".pki", "nssdb")
    os.makedirs(os.path.join(home, ".pki", "nssdb"))
    sh("certutil", "-N", "-d", db, "--empty-password")
    if trust_ca:
        sh("certutil", "-A", "-d", db, "-n", "tornado.h browser test CA", "-t", "C,,", "-i", "ca.pem")
    return home


def node(home, *args):
    return subprocess.run([NODE, *args], cwd=NODE_DIR, env=dict(os.environ, HOME=home), capture_output=True,
                          text=True, timeout=180)  # a hang guard only


def tls_server(name):
    return Server(name, "--certfile=" + os.path.join(D, "server.pem"), "--keyfile=" + os.path.join(D, "server.key"))


def longpoll_chat():
    srv = tls_server("chat_tls")
    try:
        r = node(TRUSTED, "chat_longpoll_browser.js", "https://127.0.0.1:%d" % srv.port)
        assert r.returncode == 0 and "PASS" in r.stdout and "FAIL" not in r.stdout, r.stdout + r.stderr[-2000:]
    finally:
        assert srv.stop() == 0, "".join(srv.log[-20:])


def websocket_chat():
    srv = tls_server("websocket_tls")
    try:
        r = node(TRUSTED, "chat_browser.js", "https://127.0.0.1:%d/" % srv.port)
        assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    finally:
        assert srv.stop() == 0, "".join(srv.log[-20:])


# Loads URL; prints the error's text when Chromium refuses it.
GOTO = ("require('./browser').run(async () => { const b = await require('./browser').launch();"
        " try { const p = await b.newPage(); await p.goto(process.argv[1]); console.log('loaded'); }"
        " catch (e) { console.log(String(e.message).split('\\n')[0]); } finally { await b.close(); } });")


def unknown_ca_refused():
    srv = tls_server("websocket_tls")
    try:
        url = "https://127.0.0.1:%d/" % srv.port
        r = node(UNTRUSTED, "-e", GOTO, url)
        assert "ERR_CERT_AUTHORITY_INVALID" in r.stdout, r.stdout + r.stderr[-2000:]
        r = node(TRUSTED, "-e", GOTO, url)
        assert r.stdout.strip() == "loaded", r.stdout + r.stderr[-2000:]
    finally:
        assert srv.stop() == 0, "".join(srv.log[-20:])


if not (NODE and os.path.exists("/usr/bin/chromium") and shutil.which("certutil")
        and os.path.isdir(os.path.join(NODE_DIR, "node_modules", "playwright-core"))):
    print("FAIL tls_browser: needs node, tests/node/node_modules, /usr/bin/chromium and certutil"
          " (tests/setup.sh installs them)")
    harness.failures += 1
else:
    make_certs()
    TRUSTED, UNTRUSTED = nss_home("trusted", True), nss_home("untrusted", False)
    check("tls_browser: Chromium trusts the test CA only through its NSS db (unknown CA refused)",
          unknown_ca_refused)
    check("tls_browser: Chromium chats over HTTPS with long polling (examples/chat --certfile)", longpoll_chat)
    check("tls_browser: Chromium chats over wss:// (examples/websocket --certfile)", websocket_chat)
shutil.rmtree(D, ignore_errors=True)
done()
