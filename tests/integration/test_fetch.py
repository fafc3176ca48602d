"""build/fetch (tools/fetch.c, our HTTP client as a command) against servers
nobody here wrote (Python's http.server, nginx, h2o) and our own: bodies,
--print_headers, redirects, method/body/header/proxy flags, and the exit
statuses with their one-line reasons (0 2xx/3xx, 1 HTTP error, 2 usage,
3 network or protocol)."""
import os
import subprocess
import tempfile
import time

from harness import ROOT, Server, check, done
from peers import CannedServer, H2o, Nginx, PythonServer, free_port

FETCH = os.path.join(ROOT, "build", "fetch")
site = tempfile.mkdtemp(prefix="tn_fetch_it_")
os.makedirs(os.path.join(site, "dir"))
FILES = {"a.txt": b"hello file\n", "b.txt": b"second\n", "dir/index.html": b"<p>dir</p>\n",
         "bin.dat": bytes(range(256)) * 40}
for rel, data in FILES.items():
    with open(os.path.join(site, rel), "wb") as f:
        f.write(data)


def fetch(*args, timeout=60):
    p = subprocess.run([FETCH, *args], capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode()


def one_line(err, *words):
    assert err.count("\n") == 1 and err.startswith("fetch: "), repr(err)
    for w in words:
        assert w in err, (w, err)


py10 = PythonServer(site)
py11 = PythonServer(site, protocol="HTTP/1.1")
nginx = Nginx(site, extra="location = /hello { return 200 'Hello, world'; }\n"
                          "location = /moved { return 302 /a.txt; }")
h2o = H2o(site)
ours = Server("helloworld", "--quiet")


def python_server_bodies():
    for srv in (py10, py11):
        rc, out, err = fetch(srv.url("/a.txt"))
        assert rc == 0 and out == FILES["a.txt"] and err == "", (rc, out, err)
        rc, out, _ = fetch(srv.url("/bin.dat"))
        assert rc == 0 and out == FILES["bin.dat"], rc


def print_headers_and_no_body():
    rc, out, _ = fetch("--print_headers", "--print_body=false", py11.url("/a.txt"))
    assert rc == 0, rc
    head = out.decode()
    assert head.startswith("HTTP/1.1 200 OK\n") and "Content-Length: 11\n" in head and head.endswith("\n\n"), head
    assert "hello file" not in head


def redirects_followed_or_not():
    rc, out, _ = fetch(py10.url("/dir"))  # http.server answers 301 to "/dir/"
    assert rc == 0 and out == FILES["dir/index.html"], (rc, out)
    rc, out, err = fetch("--print_headers", "--follow_redirects=false", py10.url("/dir"))
    assert rc == 0 and out.startswith(b"HTTP/1.0 301") and b"Location: /dir/" in out and err == "", (rc, out, err)
    rc, out, _ = fetch(nginx.url("/moved"))
    assert rc == 0 and out == FILES["a.txt"], (rc, out)


def http_errors_exit_1():
    rc, out, err = fetch(py11.url("/nope"))
    assert rc == 1 and b"404" in out, (rc, out)  # the error page is printed, as Tornado's CLI does
    one_line(err, "HTTP 404")
    rc, _, err = fetch("--method=DELETE", nginx.url("/a.txt"))
    assert rc == 1, rc
    one_line(err, "HTTP 405")


def nginx_reuses_one_connection():
    urls = [nginx.url(p) for p in ("/hello", "/a.txt", "/b.txt", "/moved", "/hello")]
    rc, out, _ = fetch(*urls)
    assert rc == 0 and out == b"Hello, world" + FILES["a.txt"] + FILES["b.txt"] + FILES["a.txt"] + b"Hello, world", out
    def one_connection(rows):  # the redirect too
        return len({conn for conn, _, _, _ in rows}) == 1 and [n for _, n, _, _ in rows] == [1, 2, 3, 4, 5, 6]
    rows = nginx.access_log(6, one_connection)
    assert one_connection(rows), rows


def h2o_reuses_one_connection():
    rc, out, _ = fetch(h2o.url("/a.txt"), h2o.url("/dir"), h2o.url("/b.txt"))
    assert rc == 0 and out == FILES["a.txt"] + FILES["dir/index.html"] + FILES["b.txt"], out
    conns = h2o.connections(4)
    assert len(conns) == 4 and len(set(conns)) == 1, conns  # /dir -> 301 -> /dir/ on it too


def our_server():
    rc, out, _ = fetch("http://127.0.0.1:%d/" % ours.port)
    assert rc == 0 and out == b"Hello, world", (rc, out)


def method_body_headers_reach_the_server():
    srv = CannedServer(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
    rc, out, _ = fetch("--method=PUT", "--body=xyz", "--header", "X-A: 1", "--header=X-B: two", srv.url("/p?q=1"))
    assert rc == 0 and out == b"ok", (rc, out)
    req = srv.requests[0].decode()
    assert req.startswith("PUT /p?q=1 HTTP/1.1\r\n"), req
    for line in ("X-A: 1", "X-B: two", "Content-Length: 3", "Host: 127.0.0.1:%d" % srv.port, "User-Agent: Tornado/"):
        assert "\r\n" + line in req, (line, req)
    assert req.endswith("\r\n\r\nxyz"), req
    srv.stop()


def through_a_proxy():
    proxy = CannedServer(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nproxy", repeat=True)
    rc, out, _ = fetch("--proxy_host=127.0.0.1", "--proxy_port=%d" % proxy.port, "http://example.invalid/x?y",
                       "http://other.invalid:8080/")
    assert rc == 0 and out == b"proxyproxy", (rc, out)
    assert proxy.requests[0].startswith(b"GET http://example.invalid/x?y HTTP/1.1\r\nHost: example.invalid\r\n")
    assert proxy.requests[1].startswith(b"GET http://other.invalid:8080/ HTTP/1.1\r\nHost: other.invalid:8080\r\n")
    assert proxy.connections == 1, proxy.connections
    proxy.stop()


def usage_errors_exit_2():
    # (test_options.py checks --help, an unknown flag and --logging for every program)
    for args, words in (([], ["no URL"]), (["--request_timeout=soon", "http://x/"], ["--request_timeout", "soon"]),
                        (["--print_body=maybe", "http://x/"], ["--print_body", "true or false"]),
                        (["--max_redirects=0", "http://x/"], ["--max_redirects", "from 1 to 1000"]),
                        (["--header"], ["--header", "got nothing"]), (["not-a-url"], ["not an http:// URL"]),
                        (["--header", "No colon", "http://127.0.0.1:1/"], ["--header", "'No colon'"]),
                        (["--header", "Bad name: x", "http://127.0.0.1:1/"], ["bad --method or --header"]),
                        (["--method=GE T", "http://127.0.0.1:1/"], ["bad --method or --header"])):
        rc, out, err = fetch(*args)
        assert rc == 2 and out == b"", (args, rc, out)
        assert err.count("\n") == 1 and err.startswith("fetch: ") and all(w in err for w in words), (args, err)


def network_errors_exit_3():
    port = free_port()
    rc, _, err = fetch("http://127.0.0.1:%d/" % port)
    assert rc == 3, rc
    one_line(err, "cannot connect", "connection refused")
    rc, _, err = fetch("--connect_timeout=5", "http://nosuch.invalid/")
    assert rc == 3, rc
    one_line(err, "cannot connect to nosuch.invalid:80")
    rc, _, err = fetch("https://127.0.0.1/")
    assert rc == 3, rc
    one_line(err, "TLS")
    silent = CannedServer(lambda c, r: time.sleep(30))  # answers nothing, keeps the connection
    rc, _, err = fetch("--request_timeout=0.5", silent.url())
    assert rc == 3, rc
    one_line(err, "request timed out")
    silent.stop()


def worst_status_wins():
    rc, out, _ = fetch(py11.url("/a.txt"), py11.url("/nope"), py11.url("/b.txt"))
    assert rc == 1 and out.startswith(FILES["a.txt"]) and out.endswith(FILES["b.txt"]), (rc, out)
    rc, _, _ = fetch(py11.url("/nope"), "http://127.0.0.1:%d/" % free_port())
    assert rc == 3, rc


check("fetch: Python's http.server (1.0 and 1.1): bodies byte for byte", python_server_bodies)
check("fetch: --print_headers and --print_body=false", print_headers_and_no_body)
check("fetch: redirects followed, or shown with --follow_redirects=false (exit 0)", redirects_followed_or_not)
check("fetch: an HTTP error status exits 1 with one line", http_errors_exit_1)
check("fetch: nginx sees five URLs and a redirect on one connection", nginx_reuses_one_connection)
check("fetch: h2o sees three URLs and a redirect on one connection", h2o_reuses_one_connection)
check("fetch: our own server", our_server)
check("fetch: --method, --body and --header reach the server", method_body_headers_reach_the_server)
check("fetch: --proxy_host/--proxy_port send absolute-form targets on one connection", through_a_proxy)
check("fetch: usage errors exit 2 with one line", usage_errors_exit_2)
check("fetch: refused, unknown host, https:// and a timeout exit 3 with one line", network_errors_exit_3)
check("fetch: several URLs: the worst status wins", worst_status_wins)

for s in (py10, py11):
    s.stop()
nginx.stop()
h2o.stop()
ours.stop()
done()
