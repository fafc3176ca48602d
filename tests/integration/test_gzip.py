"""compress_response and decompress_response over the wire: build/testapp
--compress_response read by curl --compressed and by Python's http.client
with gzip as the oracle (Accept-Encoding with q-values, Vary, HEAD, a flushed
chunked answer, small bodies left alone, a kept-alive connection); build/fetch inflating what our
server and Python's http.server send, and stopping on corrupt, truncated and
bomb bodies. Standard library and curl only."""
import gzip
import http.client
import http.server
import os
import subprocess
import threading

from harness import ROOT, Server, check, done

FETCH = os.path.join(ROOT, "build", "fetch")
BIG = b"b" * (16 * 65536)  # what testapp's /big writes


def get(port, path, accept=None, method="GET"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {} if accept is None else {"Accept-Encoding": accept}
    c.request(method, path, headers=headers)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def gzipped(port, path, accept="gzip"):
    r, body = get(port, path, accept)
    expect(r.status == 200, "status %d" % r.status)
    expect(r.getheader("Content-Encoding") == "gzip", "not gzipped: %r" % r.getheaders())
    expect("Accept-Encoding" in (r.getheader("Vary") or ""), "no Vary: %r" % r.getheaders())
    return r, gzip.decompress(body)


def identity(port, path, accept):
    r, body = get(port, path, accept)
    expect(r.status == 200, "status %d" % r.status)
    expect(r.getheader("Content-Encoding") is None, "gzipped for %r" % accept)
    return r, body


srv = Server("testapp", "--compress_response")
port = srv.port


def big_gzipped():
    r, raw = get(port, "/big", "gzip")
    expect(r.getheader("Content-Encoding") == "gzip", "not gzipped: %r" % r.getheaders())
    expect(int(r.getheader("Content-Length")) == len(raw), "Content-Length is not the gzipped length")
    expect(len(raw) < len(BIG) // 100, "hardly compressed: %d bytes" % len(raw))
    expect(gzip.decompress(raw) == BIG, "inflated body differs")


def curl_compressed():
    p = subprocess.run(["curl", "-sS", "--compressed", "-D", "-", "-o", "/dev/stdout",
                        "http://127.0.0.1:%d/big" % port], capture_output=True, timeout=60)
    expect(p.returncode == 0, p.stderr.decode())
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    expect(b"content-encoding: gzip" in head.lower(), head.decode())
    expect(body == BIG, "curl's inflated body differs (%d bytes)" % len(body))


def q_values():
    for accept in ("gzip;q=0.5", "deflate, gzip", "*", "identity;q=0, gzip", "x-gzip", "GZIP"):
        gzipped(port, "/big", accept)
    for accept in (None, "", "gzip;q=0", "deflate", "identity", "*;q=0", "br"):
        r, body = identity(port, "/big", accept)
        expect(body == BIG, "identity body differs for %r" % accept)
        expect("Accept-Encoding" in (r.getheader("Vary") or ""), "no Vary on the identity answer")


def small_bodies_stay_identity():
    _, body = identity(port, "/", "gzip")
    expect(len(body) < 1024, "/ is not small: %d" % len(body))


def flushed_answer_goes_chunked():
    r, body = gzipped(port, "/flush")
    expect(r.getheader("Transfer-Encoding") == "chunked", "not chunked: %r" % r.getheaders())
    expect(body == b"first,second", "flushed body: %r" % body)


def keep_alive_mixes_both():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for accept in ("gzip", "identity", "gzip"):
        c.request("GET", "/big", headers={"Accept-Encoding": accept})
        r = c.getresponse()
        body = r.read()
        if accept == "gzip":
            body = gzip.decompress(body)
        expect(body == BIG, "body %d differs on a kept-alive connection (%s)" % (len(body), accept))
    c.close()


def not_modified_carries_vary():
    r, _ = gzipped(port, "/big")
    for accept in ("gzip", None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"If-None-Match": r.getheader("ETag")}
        if accept:
            headers["Accept-Encoding"] = accept
        c.request("GET", "/big", headers=headers)
        r304 = c.getresponse()
        expect(r304.status == 304 and r304.read() == b"", "status %d" % r304.status)
        expect("Accept-Encoding" in (r304.getheader("Vary") or ""), "304 without Vary: %r" % r304.getheaders())
        c.close()


def fetch(*args):
    return subprocess.run([FETCH, *args], capture_output=True, timeout=60)


def fetch_inflates_ours():
    p = fetch("http://127.0.0.1:%d/big" % port)
    expect(p.returncode == 0 and p.stdout == BIG, "fetch: %d %s" % (p.returncode, p.stderr.decode()))
    p = fetch("--decompress_response=false", "http://127.0.0.1:%d/big" % port)
    expect(p.returncode == 0 and p.stdout == BIG, "not asked for gzip: %d %s" % (p.returncode, p.stderr.decode()))
    p = fetch("--decompress_response=false", "--header", "Accept-Encoding: gzip", "http://127.0.0.1:%d/big" % port)
    expect(p.returncode == 0 and p.stdout[:2] == b"\x1f\x8b" and gzip.decompress(p.stdout) == BIG,
           "asked for gzip, not inflated: %d %s" % (p.returncode, p.stderr.decode()))


class GzipHandler(http.server.BaseHTTPRequestHandler):
    """Serves fixed gzip bodies: good, corrupt, truncated, a bomb."""
    good = b"hello from python " * 1000
    bodies = {
        "/good": gzip.compress(good),
        "/corrupt": gzip.compress(good)[:20] + b"\xff" * 40 + gzip.compress(good)[60:],
        "/truncated": gzip.compress(good)[:-12],
        "/bomb": gzip.compress(b"\0" * (50 << 20)),
    }

    def do_GET(self):
        body = self.bodies[self.path]
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


py = http.server.ThreadingHTTPServer(("127.0.0.1", 0), GzipHandler)
threading.Thread(target=py.serve_forever, daemon=True).start()
base = "http://127.0.0.1:%d" % py.server_address[1]


def fetch_inflates_python():
    p = fetch(base + "/good")
    expect(p.returncode == 0 and p.stdout == GzipHandler.good, "fetch /good: %d %s" % (p.returncode, p.stderr.decode()))


def fetch_refuses_bad_gzip():
    for path in ("/corrupt", "/truncated"):
        p = fetch(base + path)
        expect(p.returncode == 3 and p.stderr.strip(), "fetch %s: %d %r" % (path, p.returncode, p.stderr))


def fetch_stops_a_bomb_at_max_body_size():
    p = fetch("--max_body_size=1000000", base + "/bomb")
    expect(p.returncode == 3 and len(p.stdout) <= 1000000, "bomb: %d, %d bytes out" % (p.returncode, len(p.stdout)))


for name, fn in [("big body gzipped, inflates to the same bytes", big_gzipped),
                 ("curl --compressed reads it", curl_compressed),
                 ("Accept-Encoding q-values pick gzip or identity, Vary either way", q_values),
                 ("a body under compress_min_length goes as it is", small_bodies_stay_identity),
                 ("a flushed answer goes gzipped and chunked", flushed_answer_goes_chunked),
                 ("one kept-alive connection mixes gzip and identity", keep_alive_mixes_both),
                 ("a 304 (If-None-Match with the gzip ETag) carries Vary: Accept-Encoding", not_modified_carries_vary),
                 ("fetch inflates our gzip; with --decompress_response=false it neither asks nor inflates", fetch_inflates_ours),
                 ("fetch inflates Python's gzip", fetch_inflates_python),
                 ("fetch fails corrupt and truncated gzip with a reason (exit 3)", fetch_refuses_bad_gzip),
                 ("fetch stops a gzip bomb at max_body_size", fetch_stops_a_bomb_at_max_body_size)]:
    check("gzip: " + name, fn)
py.shutdown()
check("gzip: testapp exits clean (no leak)", lambda: expect(srv.stop() == 0, "testapp exit status"))
done()
