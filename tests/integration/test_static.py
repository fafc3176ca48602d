"""Static files against curl and Python's http.client: build/static_files
serves a temporary folder (ranges with curl -r, If-Modified-Since with -z,
HEAD with -I, traversal with --path-as-is), and a program built from
build/pack's output serves the same folder from arrays."""
import hashlib
import http.client
import os
import shutil
import subprocess
import tempfile

from harness import ROOT, build_packed_app, Server, check, done

tmp = tempfile.mkdtemp(prefix="tn_static_it_")
site = os.path.join(tmp, "site")
os.makedirs(os.path.join(site, "docs"))
BIG = bytes((i * 131 + (i >> 12)) & 0xFF for i in range(3 * 1024 * 1024))
FILES = {
    "index.html": b"<h1>home</h1>\n",
    "app.css": b"body { color: red }\n",
    "docs/index.html": b"<p>docs</p>\n",
    "big.bin": BIG,
}
for rel, data in FILES.items():
    with open(os.path.join(site, rel), "wb") as f:
        f.write(data)
with open(os.path.join(tmp, "secret.txt"), "wb") as f:
    f.write(b"secret\n")
MTIME = 1500000000  # Fri, 14 Jul 2017 02:40:00 GMT
for rel in FILES:
    os.utime(os.path.join(site, rel), (MTIME, MTIME))

srv = Server("static_files", "--root=" + site, "--quiet")


def curl(*args, srv=srv):
    """Status, headers (of the last response, after -L redirects) and body."""
    if os.path.exists(os.path.join(tmp, "body")):
        os.remove(os.path.join(tmp, "body"))  # curl writes no file for an empty body
    out = subprocess.run(["curl", "-s", "-S", "--max-time", "20", "-D", "-", "-o", os.path.join(tmp, "body"),
                          *[a.replace("URL", "http://127.0.0.1:%d" % srv.port) for a in args]],
                         capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    head = out.stdout.decode("latin-1").rstrip("\r\n").split("\r\n\r\n")[-1]
    status = int(head.split()[1])
    headers = {}
    for line in head.split("\r\n")[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = b""
    if os.path.exists(os.path.join(tmp, "body")):
        with open(os.path.join(tmp, "body"), "rb") as f:
            body = f.read()
    return status, headers, body


def etag(data):
    return '"%s"' % hashlib.sha256(data).hexdigest()


def whole_file_and_headers(srv=srv):
    st, h, body = curl("URL/static/app.css", srv=srv)
    assert st == 200 and body == FILES["app.css"], (st, body)
    assert h["content-type"] == "text/css", h
    assert h["etag"] == etag(FILES["app.css"]), h
    assert h["last-modified"] == "Fri, 14 Jul 2017 02:40:00 GMT", h
    assert h["accept-ranges"] == "bytes" and "cache-control" not in h, h


def big_file_byte_for_byte(srv=srv):
    st, h, body = curl("URL/static/big.bin", srv=srv)
    assert st == 200 and h["content-length"] == str(len(BIG)) and body == BIG, (st, h)


def curl_ranges(srv=srv):
    st, h, body = curl("-r", "1000-1999", "URL/static/big.bin", srv=srv)
    assert st == 206 and h["content-range"] == "bytes 1000-1999/%d" % len(BIG) and body == BIG[1000:2000], (st, h)
    st, h, body = curl("-r", "-10", "URL/static/big.bin", srv=srv)
    assert st == 206 and body == BIG[-10:], (st, h)
    st, h, body = curl("-r", "0-", "URL/static/app.css", srv=srv)
    assert st == 200 and "content-range" not in h and body == FILES["app.css"], (st, h)
    st, h, body = curl("-r", "100-", "URL/static/app.css", srv=srv)
    assert st == 416 and h["content-range"] == "bytes */20", (st, h)


def curl_if_modified_since(srv=srv):
    st, h, body = curl("-z", "Fri, 14 Jul 2017 02:40:00 GMT", "URL/static/app.css", srv=srv)
    assert st == 304 and body == b"", (st, body)
    st, h, body = curl("-z", "Fri, 14 Jul 2017 02:39:59 GMT", "URL/static/app.css", srv=srv)
    assert st == 200 and body == FILES["app.css"], st


def curl_if_none_match(srv=srv):
    tag = etag(FILES["app.css"])
    st, h, body = curl("-H", "If-None-Match: " + tag, "-r", "0-3", "URL/static/app.css", srv=srv)
    assert st == 304 and body == b"", st  # 304 wins over Range
    st, h, body = curl("-H", 'If-None-Match: "other"', "-z", "Fri, 14 Jul 2017 02:40:00 GMT",
                       "URL/static/app.css", srv=srv)
    assert st == 200, st  # a mismatched If-None-Match beats a matching If-Modified-Since


def curl_head():
    st, h, _ = curl("-I", "URL/static/big.bin")  # (-I writes the head as the body)
    assert st == 200 and h["content-length"] == str(len(BIG)), (st, h)
    # No body follows: the next answer on the connection starts right after the head.
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("HEAD", "/static/big.bin", headers={"Range": "bytes=0-9"})
    r = conn.getresponse()
    assert r.status == 206 and r.getheader("Content-Length") == "10" and r.read() == b"", r.status
    conn.request("GET", "/static/app.css")
    r = conn.getresponse()
    assert r.status == 200 and r.read() == FILES["app.css"], r.status
    conn.close()


def curl_path_traversal():
    for path in ["/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/docs/../../secret.txt"]:
        st, h, body = curl("--path-as-is", "URL" + path)
        assert st == 403 and b"secret" not in body, (path, st)
    st, h, body = curl("URL/static/nothere.txt")
    assert st == 404, st


def default_file_redirect():
    st, h, body = curl("URL/docs")
    assert st == 301 and h["location"] == "/docs/", (st, h)
    st, h, body = curl("-L", "URL/docs")
    assert st == 200 and body == FILES["docs/index.html"], (st, body)
    st, h, body = curl("URL/")
    assert st == 200 and body == FILES["index.html"], (st, body)


def static_url_and_versioned_caching():
    st, h, url = curl("URL/url?p=app.css")
    assert st == 200 and url == b"/static/app.css?v=" + hashlib.sha256(FILES["app.css"]).hexdigest()[:32].encode(), url
    st, h, body = curl("URL" + url.decode())
    assert st == 200 and h["cache-control"] == "max-age=315360000" and "expires" in h, h


def http_client_keep_alive():
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    for path, want in [("/static/big.bin", BIG), ("/static/app.css", FILES["app.css"]), ("/docs/", FILES["docs/index.html"])]:
        conn.request("GET", path)
        r = conn.getresponse()
        assert r.status == 200 and r.read() == want, path
    conn.close()


check("static: whole file with Content-Type, ETag, Last-Modified, Accept-Ranges", whole_file_and_headers)
check("static: a 3 MiB file byte for byte (sendfile)", big_file_byte_for_byte)
check("static: curl -r ranges (206, suffix, whole file 200, 416)", curl_ranges)
check("static: curl -z If-Modified-Since (304 / 200)", curl_if_modified_since)
check("static: If-None-Match beats Range and If-Modified-Since", curl_if_none_match)
check("static: curl -I HEAD announces the length, sends no body", curl_head)
check("static: curl --path-as-is traversal is 403, missing is 404", curl_path_traversal)
check("static: a folder redirects to its trailing slash and serves index.html", default_file_redirect)
check("static: static_url's ?v= URL gets the ten-year cache headers", static_url_and_versioned_caching)
check("static: http.client keep-alive across file responses", http_client_keep_alive)
rc = srv.stop()
check("static: server exits cleanly", lambda: rc == 0 or (_ for _ in ()).throw(AssertionError(rc)))

# tools/pack: the same folder compiled into a program.
packed = None


def build_packed_server():
    global packed
    build_packed_app(site, tmp, "test_packed_static")
    packed = Server("test_packed_static")


check("pack: build/pack output compiles warning-free into a server", build_packed_server)
if packed:
    check("pack: whole file with the packed mtime and hash", lambda: whole_file_and_headers(packed))
    check("pack: a 3 MiB packed file byte for byte", lambda: big_file_byte_for_byte(packed))
    check("pack: curl -r ranges", lambda: curl_ranges(packed))
    check("pack: curl -z If-Modified-Since", lambda: curl_if_modified_since(packed))
    check("pack: If-None-Match", lambda: curl_if_none_match(packed))
    rc2 = packed.stop()
    check("pack: server exits cleanly", lambda: rc2 == 0 or (_ for _ in ()).throw(AssertionError(rc2)))
shutil.rmtree(tmp)
done()
