"""testssl.sh (Debian's testssl.sh package) against our TLS server
(build/tlsapp, issue 13): protocols (-p) and cipher categories (-s), read
from its JSON findings. No SSLv2, SSLv3, TLS 1.0 or 1.1; TLS 1.2 and 1.3
offered; no NULL, anonymous, export, LOW (DES, RC2/4), 3DES/IDEA or CBC
cipher.

The same reading of the findings must flag a server that offers the old
protocols and weak ciphers: `openssl s_server` set up that way is scanned
too, so this test cannot pass by misreading testssl.sh's output."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import harness
from harness import Server, check, done

D = tempfile.mkdtemp(prefix="tn-testssl-")
CERT, KEY = os.path.join(D, "cert.pem"), os.path.join(D, "key.pem")
TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")

# finding id -> the one acceptable verdict (a substring of testssl.sh's text)
WANT = {
    "SSLv2": "not offered", "SSLv3": "not offered", "TLS1": "not offered", "TLS1_1": "not offered",
    "TLS1_2": "offered", "TLS1_3": "offered",
    "cipherlist_NULL": "not offered", "cipherlist_aNULL": "not offered", "cipherlist_EXPORT": "not offered",
    "cipherlist_LOW": "not offered", "cipherlist_3DES_IDEA": "not offered", "cipherlist_AVERAGE": "not offered",
    "cipherlist_STRONG": "offered",
}


def scan(port):
    """testssl.sh's findings for 127.0.0.1:port, as {id: finding}."""
    out = os.path.join(D, "scan-%d.json" % port)
    r = subprocess.run([TESTSSL, "--quiet", "--color", "0", "--warnings", "off", "--connect-timeout", "10",
                        "--openssl-timeout", "10", "-p", "-s", "--jsonfile", out, "127.0.0.1:%d" % port],
                       capture_output=True, text=True, timeout=600)  # a hang guard only
    assert os.path.exists(out), r.stdout[-2000:] + r.stderr[-2000:]
    with open(out) as f:
        return {x["id"]: x["finding"] for x in json.load(f)}


def complaints(found):
    """What the findings say is wrong, one line each; [] when all is well."""
    bad = []
    for k, want in WANT.items():
        got = found.get(k, "(missing)")
        ok = got.startswith(want) and not (want == "offered" and got.startswith("not"))
        if not ok:
            bad.append("%s: %s (want %s)" % (k, got, want))
    return bad


def ours():
    srv = Server("tlsapp", "--certfile=" + CERT, "--keyfile=" + KEY)
    try:
        found = scan(srv.port)
    finally:
        assert srv.stop() == 0, "".join(srv.log[-20:])
    assert complaints(found) == [], complaints(found)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port):
    deadline = time.time() + 30  # a hang guard, not a timing
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=10).close()
            return
        except OSError:
            assert time.time() < deadline, "openssl s_server does not listen"
            time.sleep(0.05)


def weak_server_flagged():
    port = free_port()
    weak = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", CERT, "-key", KEY,
                             "-cipher", "ALL:eNULL:@SECLEVEL=0", "-min_protocol", "TLSv1", "-www", "-quiet"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        bad = complaints(scan(port))
    finally:
        weak.kill()
        weak.wait()
    flagged = {line.split(":")[0] for line in bad}
    assert {"TLS1", "TLS1_1", "cipherlist_NULL", "cipherlist_aNULL"} <= flagged, bad


if not TESTSSL:
    print("FAIL testssl: testssl.sh is not installed (tests/setup.sh installs it)")
    harness.failures += 1
else:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", KEY, "-out", CERT, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    check("testssl: our server offers TLS 1.2 and 1.3 only, strong AEAD ciphers only", ours)
    check("testssl: the same reading flags openssl s_server offering TLS 1.0/1.1 and NULL ciphers",
          weak_server_flagged)
shutil.rmtree(D, ignore_errors=True)
done()
