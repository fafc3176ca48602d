"""Static files and gzip over the wire: build/static_files with
--compress_response (text files gzipped on the fly, a NAME.gz beside NAME
served as it is) and with --gzip_static alone (only the NAME.gz), read by
curl --compressed and by Python's http.client with gzip as the oracle:
types, sizes, clients that do not take gzip, ranges, HEAD, 304s with Vary,
stale and requested .gz files; then the same folder packed by build/pack.
Standard library and curl only."""
import gzip
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import tempfile

from harness import ROOT, build_packed_app, Server, check, done

tmp = tempfile.mkdtemp(prefix="tn_static_gzip_")
site = os.path.join(tmp, "site")
os.makedirs(site)
PAGE = b"".join(b"<tr><td>row %d</td><td>%s</td></tr>\n" % (i, b"x" * (i % 17)) for i in range(1200))
CSS = b"".join(b".c%d { color: #%06x }\n" % (i, i * 2654435761 % 0xFFFFFF) for i in range(400))
FILES = {
    "data.json": json.dumps([{"id": i, "name": "item %d" % i} for i in range(600)]).encode(),
    "page.html": PAGE,
    "app.js": b"function f(x) { return x * 2; }\n" * 100,
    "logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg">' + b'<rect width="1" height="1"/>' * 80 + b"</svg>",
    "small.txt": b"short\n",
    "blob.bin": bytes((i * 7919) & 0xFF for i in range(20000)),
    "pre.css": CSS,
    "stale.txt": b"the new text, newer than its .gz\n" * 60,
    "huge.txt": b"0123456789abcdef" * (5 << 16),  # 5 MiB: above the on-the-fly limit
}
# The sidecars: level 1 with a fixed name in the header, so their bytes
# differ from anything the server would make itself.
PRE_GZ = gzip.compress(CSS, compresslevel=1, mtime=1)
SIDECARS = {"pre.css.gz": PRE_GZ, "stale.txt.gz": gzip.compress(b"old text\n", mtime=1)}
for rel, data in {**FILES, **SIDECARS}.items():
    with open(os.path.join(site, rel), "wb") as f:
        f.write(data)
MTIME = 1500000000
for rel in FILES:
    os.utime(os.path.join(site, rel), (MTIME, MTIME))
os.utime(os.path.join(site, "pre.css.gz"), (MTIME + 60, MTIME + 60))
os.utime(os.path.join(site, "stale.txt.gz"), (MTIME - 60, MTIME - 60))

srv = Server("static_files", "--root=" + site, "--quiet", "--compress_response")


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def sha_tag(data, suffix=""):
    return '"%s%s"' % (hashlib.sha256(data).hexdigest(), suffix)


def get(path, headers=None, method="GET", server=None):
    c = http.client.HTTPConnection("127.0.0.1", (server or srv).port, timeout=30)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body


def varies(r):
    return "Accept-Encoding" in (r.getheader("Vary") or "")


def gzipped(path, server=None):
    """A 200 gzipped answer: Content-Length of the gzip bytes, Vary; the inflated body."""
    r, raw = get(path, {"Accept-Encoding": "gzip"}, server=server)
    expect(r.status == 200, "%s: status %d" % (path, r.status))
    expect(r.getheader("Content-Encoding") == "gzip", "%s not gzipped: %r" % (path, r.getheaders()))
    expect(int(r.getheader("Content-Length")) == len(raw), "%s: Content-Length is not the gzip length" % path)
    expect(varies(r), "%s: no Vary: %r" % (path, r.getheaders()))
    return r, raw


def identity(path, accept="gzip", server=None):
    r, body = get(path, {"Accept-Encoding": accept} if accept is not None else {}, server=server)
    expect(r.status == 200, "%s: status %d" % (path, r.status))
    expect(r.getheader("Content-Encoding") is None, "%s gzipped for %r" % (path, accept))
    return r, body


def compressible_types_gzipped():
    for rel in ("data.json", "page.html", "app.js", "logo.svg"):
        for prefix in ("/static/", "/"):  # the app's static_path and a route's tn_static_desc
            r, raw = gzipped(prefix + rel)
            expect(gzip.decompress(raw) == FILES[rel], "%s: inflated body differs" % rel)
            expect(r.getheader("ETag") == sha_tag(FILES[rel], "-gzip"), "%s: ETag %r" % (rel, r.getheader("ETag")))
            expect(len(raw) < len(FILES[rel]) // 2, "%s: hardly compressed (%d bytes)" % (rel, len(raw)))


def curl_compressed():
    for rel in ("page.html", "pre.css"):
        p = subprocess.run(["curl", "-sS", "--compressed", "-D", "-", "-o", "/dev/stdout",
                            "http://127.0.0.1:%d/static/%s" % (srv.port, rel)], capture_output=True, timeout=60)
        expect(p.returncode == 0, p.stderr.decode())
        head, _, body = p.stdout.partition(b"\r\n\r\n")
        expect(b"content-encoding: gzip" in head.lower(), head.decode())
        expect(body == FILES[rel], "curl's inflated %s differs (%d bytes)" % (rel, len(body)))


def others_go_as_they_are():
    r, body = identity("/static/blob.bin")
    expect(body == FILES["blob.bin"] and not varies(r), "blob.bin: %r" % r.getheaders())
    r, body = identity("/static/small.txt")  # under compress_min_length
    expect(body == FILES["small.txt"] and varies(r), "small.txt: %r" % r.getheaders())
    r, body = identity("/static/huge.txt")  # over the 4 MiB on-the-fly limit, sent with sendfile
    expect(body == FILES["huge.txt"] and varies(r), "huge.txt: %d bytes, %r" % (len(body), r.getheaders()))


def clients_without_gzip():
    for accept in (None, "", "identity", "gzip;q=0", "br", "gzip;q=0.5, identity"):
        for rel in ("page.html", "pre.css"):
            r, body = identity("/static/" + rel, accept)
            expect(body == FILES[rel], "%s for %r differs" % (rel, accept))
            expect(r.getheader("ETag") == sha_tag(FILES[rel]), "%s for %r: ETag %r" % (rel, accept, r.getheader("ETag")))
            expect(varies(r), "%s for %r: no Vary" % (rel, accept))


def ranges_are_identity():
    for rel in ("page.html", "pre.css"):
        r, body = get("/static/" + rel, {"Accept-Encoding": "gzip", "Range": "bytes=100-199"})
        expect(r.status == 206 and r.getheader("Content-Encoding") is None, "%s: %d %r" % (rel, r.status, r.getheaders()))
        expect(body == FILES[rel][100:200], "%s: the range is not of the file as it is" % rel)
        expect(r.getheader("Content-Range") == "bytes 100-199/%d" % len(FILES[rel]), r.getheader("Content-Range"))
    r, body = get("/static/page.html", {"Accept-Encoding": "gzip", "Range": "bytes=%d-" % len(PAGE)})
    expect(r.status == 416 and r.getheader("Content-Encoding") is None, "416: %r" % r.getheaders())
    r, raw = gzipped("/static/page.html")  # a range covering everything is a 200: gzipped
    r, raw2 = get("/static/page.html", {"Accept-Encoding": "gzip", "Range": "bytes=0-"})
    expect(r.status == 200 and raw2 == raw, "bytes=0-: %d %r" % (r.status, r.getheaders()))


def head_announces_gzip():
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    for rel in ("page.html", "pre.css"):
        _, raw = gzipped("/static/" + rel)
        c.request("HEAD", "/static/" + rel, headers={"Accept-Encoding": "gzip"})
        r = c.getresponse()
        expect(r.status == 200 and r.getheader("Content-Encoding") == "gzip" and varies(r), "%s: %r" % (rel, r.getheaders()))
        expect(int(r.getheader("Content-Length")) == len(raw), "%s: HEAD's length %s, GET's %d" %
               (rel, r.getheader("Content-Length"), len(raw)))
        expect(r.read() == b"", "HEAD with a body")
    c.request("GET", "/static/small.txt")  # no stray body before this answer
    r = c.getresponse()
    expect(r.status == 200 and r.read() == FILES["small.txt"], "the answer after HEAD")
    c.close()


def not_modified_with_vary():
    gz_tag, id_tag = sha_tag(FILES["page.html"], "-gzip"), sha_tag(FILES["page.html"])
    for accept, inm, tag in (("gzip", gz_tag, gz_tag), ("gzip", id_tag, gz_tag), (None, id_tag, id_tag)):
        headers = {"If-None-Match": inm}
        if accept:
            headers["Accept-Encoding"] = accept
        r, body = get("/static/page.html", headers)
        expect(r.status == 304 and body == b"", "If-None-Match %s: %d" % (inm, r.status))
        expect(varies(r), "304 without Vary: %r" % r.getheaders())
        expect(r.getheader("ETag") == tag, "304's ETag %r, the 200's would be %s" % (r.getheader("ETag"), tag))
    r, _ = get("/static/page.html", {"Accept-Encoding": "gzip", "If-Modified-Since": "Fri, 14 Jul 2017 02:40:00 GMT"})
    expect(r.status == 304 and varies(r), "If-Modified-Since: %d %r" % (r.status, r.getheaders()))
    r, _ = get("/static/pre.css", {"Accept-Encoding": "gzip", "If-None-Match": sha_tag(PRE_GZ)})
    expect(r.status == 304 and varies(r), "the .gz's tag: %d %r" % (r.status, r.getheaders()))


def sidecar_served_as_is():
    r, raw = gzipped("/static/pre.css")
    expect(raw == PRE_GZ, "not the NAME.gz's bytes (%d, the .gz has %d)" % (len(raw), len(PRE_GZ)))
    expect(r.getheader("Content-Type") == "text/css", r.getheader("Content-Type"))
    expect(r.getheader("ETag") == sha_tag(PRE_GZ), "ETag %r" % r.getheader("ETag"))
    expect(r.getheader("Last-Modified") == "Fri, 14 Jul 2017 02:41:00 GMT", r.getheader("Last-Modified"))
    r, body = identity("/static/pre.css.gz")  # asked for by name: the file as it is
    expect(body == PRE_GZ and r.getheader("Content-Type") == "application/gzip", r.getheaders())


def stale_sidecar_not_served():
    r, raw = gzipped("/static/stale.txt")
    expect(gzip.decompress(raw) == FILES["stale.txt"], "the older stale.txt.gz was served")


def gzip_static_without_compress_response():
    other = Server("static_files", "--root=" + site, "--quiet", "--gzip_static")
    try:
        r, raw = gzipped("/pre.css", server=other)
        expect(raw == PRE_GZ, "the route's NAME.gz")
        r, body = identity("/pre.css", None, server=other)
        expect(body == CSS and varies(r), "pre.css without gzip: %r" % r.getheaders())
        r, body = identity("/page.html", server=other)  # nothing compressed on the fly
        expect(body == PAGE and not varies(r), "page.html: %r" % r.getheaders())
        r, body = identity("/static/pre.css", server=other)  # the app's static_path follows compress_response
        expect(body == CSS, "/static/pre.css")
    finally:
        expect(other.stop() == 0, "the gzip_static server's exit status")


check("static gzip: JSON, HTML, JS, SVG gzipped on the fly, with the -gzip ETag", compressible_types_gzipped)
check("static gzip: curl --compressed reads a gzipped file and a NAME.gz", curl_compressed)
check("static gzip: binary, small and over-4-MiB files go as they are", others_go_as_they_are)
check("static gzip: clients that do not take gzip get the file, its ETag and Vary", clients_without_gzip)
check("static gzip: ranges are of the file as it is (206, 416); bytes=0- is gzipped", ranges_are_identity)
check("static gzip: HEAD announces the gzip length, sends no body", head_announces_gzip)
check("static gzip: 304 carries Vary and the ETag the 200 would have", not_modified_with_vary)
check("static gzip: NAME.gz is served as it is; asked for by name it is a plain file", sidecar_served_as_is)
check("static gzip: a NAME.gz older than NAME is not served", stale_sidecar_not_served)
check("static gzip: gzip_static alone serves NAME.gz, compresses nothing", gzip_static_without_compress_response)
rc = srv.stop()
check("static gzip: server exits cleanly", lambda: expect(rc == 0, "exit status %r" % rc))

# tools/pack: the same folder compiled in, with compress_response.
packed = None


def build_packed_server():
    global packed
    build_packed_app(site, tmp, "test_packed_static_gzip", '    d.compress_response = true;\n')
    packed = Server("test_packed_static_gzip")


def packed_gzip():
    r, raw = gzipped("/static/page.html", server=packed)
    expect(gzip.decompress(raw) == PAGE and r.getheader("ETag") == sha_tag(PAGE, "-gzip"), r.getheaders())
    r, raw = gzipped("/static/pre.css", server=packed)
    expect(raw == PRE_GZ, "packed NAME.gz not served as it is")
    r, body = get("/static/page.html", {"Accept-Encoding": "gzip", "Range": "bytes=0-9"}, server=packed)
    expect(r.status == 206 and body == PAGE[:10], "packed range: %d" % r.status)
    r, _ = get("/static/page.html", {"Accept-Encoding": "gzip", "If-None-Match": sha_tag(PAGE, "-gzip")}, server=packed)
    expect(r.status == 304 and varies(r), "packed 304: %d %r" % (r.status, r.getheaders()))


check("static gzip pack: build/pack output with compress_response compiles", build_packed_server)
if packed:
    check("static gzip pack: gzipped on the fly, NAME.gz as it is, ranges, 304", packed_gzip)
    rc2 = packed.stop()
    check("static gzip pack: server exits cleanly", lambda: expect(rc2 == 0, "exit status %r" % rc2))
shutil.rmtree(tmp)
done()
