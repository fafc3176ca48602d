"""Our HTTP client over real sockets (build/fetch and build/httpclient):
hostile servers for each failure it must report (short body, missing last
chunk, bad chunk size, garbage, nothing, an oversized head or body, silence),
framing it must accept, stale pooled connections, redirect rules seen by the
server, reuse seen in nginx's and Python's own records, a 1 GiB download
streamed from a generator with bounded memory, 1,000 concurrent fetches
through max_clients=10 (nginx and our server), and streamed uploads through
a body producer into nginx's WebDAV PUT."""
import os
import subprocess
import tempfile
import time

from harness import ROOT, Server, check, done
from peers import CannedServer, Nginx, PythonServer, eventually

FETCH = os.path.join(ROOT, "build", "fetch")
DRIVER = os.path.join(ROOT, "build", "httpclient")
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
site = tempfile.mkdtemp(prefix="tn_client_it_")
os.makedirs(os.path.join(site, "up"))
with open(os.path.join(site, "a.txt"), "wb") as f:
    f.write(b"hello file\n")


def fetch(*args, timeout=120):
    p = subprocess.run([FETCH, *args], capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode()


def fails(answer, *words, args=(), out=None):
    """One fetch from a server answering `answer` then closing: exit 3 with
    a reason holding `words`; stdout is what arrived of the body."""
    srv = CannedServer(answer)
    rc, got, err = fetch(*args, srv.url())
    srv.stop()
    assert rc == 3, (rc, got, err)
    assert err.count("\n") == 1 and all(w in err for w in words), err
    if out is not None:
        assert got == out, got


def short_body():
    fails(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345", "after 5 of 10 body bytes", out=b"12345")


def chunked_without_last_chunk():
    fails(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n", "before the last chunk", out=b"abcde")


def bad_chunk_size():
    fails(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\nzz\r\nmore", "malformed chunked body")
    fails(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", "malformed chunked body")


def garbage_and_nothing():
    fails(b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "a malformed answer", '"SSH-2.0-OpenSSH_9.2"')
    fails(b"\x00\x01\x02\xff garbage", "a malformed answer")
    fails(None, "without an answer")
    fails(b"HTTP/1.1 200 OK\r\nContent-Len", "in the middle of the answer's head")


def oversized_head_and_body():
    fails(b"HTTP/1.1 200 OK\r\nX-Big: " + b"x" * 100000 + b"\r\n\r\n", "max_header_size")
    fails(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"y" * 100000, "max_body_size",
          args=("--max_body_size=1000",))
    fails(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"400\r\n" + b"z" * 1024 + b"\r\n" * 3,
          "max_body_size", args=("--max_body_size=1000",))


def silence_times_out():
    srv = CannedServer(lambda c, r: time.sleep(30))
    rc, _, err = fetch("--request_timeout=0.5", srv.url())
    assert rc == 3 and "request timed out" in err, (rc, err)
    srv.stop()


def framings_accepted():
    cases = [
        (b"HTTP/1.0 200 OK\r\n\r\nuntil the close", b"until the close"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n", b"abc"),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n" + OK, b"ok"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", b"ok"),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b""),
    ]
    for answer, body in cases:
        srv = CannedServer(answer)
        rc, out, err = fetch(srv.url())
        srv.stop()
        assert rc == 0 and out == body, (answer, rc, out, err)


def stale_pooled_connection():
    srv = CannedServer(OK, None)  # each connection: one answer, then it closes at the next request
    rc, out, err = fetch(srv.url("/1"), srv.url("/2"), srv.url("/3"))
    assert rc == 0 and out == b"okokok", (rc, out, err)
    assert srv.connections == 3 and len(srv.requests) == 5, (srv.connections, srv.requests)  # /2 and /3 retried
    rc, out, err = fetch("--body=x", srv.url("/post1"), srv.url("/post2"))  # POST: never retried
    assert rc == 3 and out == b"ok", (rc, out, err)
    assert "post2" in err and ("without an answer" in err or "reset" in err), err
    srv.stop()


def redirect_rules_seen_by_the_server():
    for code, method, want in ((301, "POST", b"GET"), (302, "POST", b"GET"), (303, "PUT", b"GET"),
                               (307, "POST", b"POST"), (308, "PUT", b"PUT")):
        srv = CannedServer(b"HTTP/1.1 %d Moved\r\nLocation: ../b/c?d\r\nContent-Length: 0\r\n\r\n" % code, OK)
        rc, out, err = fetch("--method=" + method, "--body=payload", srv.url("/a/x"))
        assert rc == 0 and out == b"ok", (code, rc, err)
        second = srv.requests[1]
        assert second.startswith(want + b" /b/c?d HTTP/1.1\r\n"), (code, second)
        assert second.endswith(b"\r\n\r\npayload") == (want != b"GET"), (code, second)
        assert (b"Content-Length" in second) == (want != b"GET"), (code, second)
        assert srv.connections == 1, srv.connections
        srv.stop()


def credentials_stay_with_their_host():
    target = CannedServer(OK)
    first = CannedServer(b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n"
                         % target.url("/there").encode())
    rc, _, err = fetch("--header", "Authorization: Bearer t0ken", "--header", "Cookie: s=1", "--header", "X-K: v",
                       first.url("/here"))
    assert rc == 0, err
    assert b"Authorization: Bearer t0ken" in first.requests[0] and b"Cookie: s=1" in first.requests[0]
    moved = target.requests[0]
    assert b"Authorization" not in moved and b"Cookie" not in moved and b"X-K: v" in moved, moved
    assert b"Host: 127.0.0.1:%d" % target.port in moved, moved
    target.stop()
    first.stop()


def redirect_loop_ends():
    srv = CannedServer(b"HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n", repeat=True)
    rc, _, err = fetch("--max_redirects=4", srv.url("/loop"))
    assert rc == 1 and "too many redirects" in err, (rc, err)
    assert len(srv.requests) == 5 and srv.connections == 1, (srv.requests, srv.connections)
    srv.stop()


nginx = Nginx(site, extra="location = /hello { return 200 'Hello, world'; }\n"
                          "location /up/ { dav_methods PUT; client_max_body_size 0; }")
py11 = PythonServer(site, protocol="HTTP/1.1")
ours = Server("helloworld", "--quiet")


def reuse_in_their_records():
    rc, out, _ = fetch(*[nginx.url("/hello")] * 4)
    assert rc == 0 and out == b"Hello, world" * 4, out
    def one_connection(rows):
        return len({r[0] for r in rows}) == 1 and [r[1] for r in rows] == [1, 2, 3, 4]
    rows = nginx.access_log(4, one_connection)
    assert one_connection(rows), rows
    # Python's http.server keeps HTTP/1.1 connections too
    seen = []

    class Tracking(__import__("http.server").server.SimpleHTTPRequestHandler):
        def handle_one_request(self):
            seen.append(self.client_address[1])
            super().handle_one_request()

    py = PythonServer(site, protocol="HTTP/1.1", handler=Tracking)
    rc, out, _ = fetch(py.url("/a.txt"), py.url("/a.txt"), py.url("/a.txt"))
    py.stop()
    assert rc == 0 and out == b"hello file\n" * 3, out
    assert len(set(seen)) == 1, seen


def one_gib_streamed_with_bounded_memory():
    GIB, block = 1 << 30, bytes(range(256)) * 4096  # 1 MiB

    def generator(c, request):
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % GIB)
        for _ in range(GIB // len(block)):
            c.sendall(block)

    srv = CannedServer(generator)
    p = subprocess.Popen([FETCH, srv.url()], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    total, tail = 0, b""
    while True:
        data = p.stdout.read(1 << 20)
        if not data:
            break
        total += len(data)
        tail = (tail + data)[-256:]
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    srv.stop()
    assert p.returncode == 0, (p.returncode, p.stderr.read())
    assert total == GIB and tail == bytes(range(256)), total
    assert usage.ru_maxrss < 64 * 1024, "fetch peaked at %d KiB for a 1 GiB body" % usage.ru_maxrss


def thousand_through_ten(url, nginx_log=False):
    before = len(nginx.rows())
    p = subprocess.run([DRIVER, "--concurrent=1000", "--max_clients=10", url], capture_output=True, timeout=300)
    out = p.stdout.decode()
    assert p.returncode == 0 and "queued=1000" in out and "ok=1000 errors=0" in out, (out, p.stderr[-2000:])
    conns = int(out.split("max_connections=")[1].split()[0])
    assert 1 <= conns <= 10, out
    if nginx_log:  # these fetches' lines, once all are written
        rows = eventually(nginx.rows, lambda rows: len(rows) >= before + 1000)[before:]
        assert len(rows) == 1000 and all(r[3] == 200 for r in rows), (len(rows), rows[:3])
        assert len({r[0] for r in rows}) <= 10, len({r[0] for r in rows})


def thousand_concurrent():
    thousand_through_ten(nginx.url("/hello"), nginx_log=True)
    thousand_through_ten("http://127.0.0.1:%d/" % ours.port)


def uploads_through_a_body_producer():
    size = 10 * 1024 * 1024 + 17
    pattern = bytes(ord("a") + i % 26 for i in range(65536))
    for extra, name in (([], "chunked.bin"), (["--length"], "length.bin")):
        p = subprocess.run([DRIVER, "--upload=%d" % size, *extra, nginx.url("/up/" + name)], capture_output=True,
                           timeout=300)
        assert p.returncode == 0 and p.stdout.strip() in (b"code=201", b"code=204"), (p.stdout, p.stderr[-2000:])
        with open(os.path.join(site, "up", name), "rb") as f:
            data = f.read()
        assert len(data) == size and data[:65536] == pattern and data[-17:] == pattern[:17], len(data)
    def both_puts(rows):
        return [r[2].split(" ")[:2] for r in rows] == [["PUT", "/up/chunked.bin"], ["PUT", "/up/length.bin"]]
    rows = nginx.access_log(2, both_puts)
    assert both_puts(rows), rows


check("client: a body shorter than its Content-Length is an error (what came is kept)", short_body)
check("client: a chunked body cut before its last chunk is an error", chunked_without_last_chunk)
check("client: a bad chunk size is an error", bad_chunk_size)
check("client: garbage, nothing, half a head are errors with a reason", garbage_and_nothing)
check("client: a head or body over its limit is an error", oversized_head_and_body)
check("client: a server that never answers times out", silence_times_out)
check("client: close-delimited, chunked with trailers, 1xx, equal lengths, 204", framings_accepted)
check("client: a stale pooled connection: GET retried once afresh, POST not", stale_pooled_connection)
check("client: redirect methods, bodies and relative Locations as the server sees them", redirect_rules_seen_by_the_server)
check("client: Authorization and Cookie are not sent to another host", credentials_stay_with_their_host)
check("client: a redirect loop ends at max_redirects on one connection", redirect_loop_ends)
check("client: nginx's log and Python's http.server see one connection for many fetches", reuse_in_their_records)
check("client: a 1 GiB download streamed from a generator stays under 64 MiB", one_gib_streamed_with_bounded_memory)
check("client: 1,000 concurrent fetches through max_clients=10 (nginx, ours)", thousand_concurrent)
check("client: 10 MiB streamed uploads (chunked and with a length) into nginx's WebDAV PUT",
      uploads_through_a_body_producer)

nginx.stop()
py11.stop()
ours.stop()
done()
