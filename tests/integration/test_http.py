"""The HTTP server against clients nobody here wrote: curl (keep-alive reuse,
chunked upload, 100-continue), Python's http.client, and ab / wrk smoke runs
that must end with zero errors. Talks to build/testapp and build/helloworld."""
import http.client
import os
import re
import shutil
import subprocess

from harness import Server, check, done

app = Server("testapp")
hello = Server("helloworld")


def curl(*args, data=None):
    out = subprocess.run(["curl", "-s", "-S", "--max-time", "10", *args], input=data,
                         capture_output=True, timeout=20)
    return out.returncode, out.stdout, out.stderr.decode(errors="replace")


def url(path, srv=app):
    return "http://127.0.0.1:%d%s" % (srv.port, path)


def curl_keep_alive_reuse():
    rc, out, err = curl("-v", url("/"), url("/args?a=2"))
    assert rc == 0, err
    assert out == b"Hello, worlda=[2] b=[default]", out
    assert re.search(r"[Rr]e-?us(ing|e) existing connection", err), err


def curl_chunked_upload():
    body = os.urandom(200000)
    rc, out, err = curl("-H", "Transfer-Encoding: chunked", "--data-binary", "@-", url("/echo"), data=body)
    assert rc == 0, err
    assert out == b"200000:" + body


def curl_100_continue():
    body = b"x" * 5000
    rc, out, err = curl("-v", "-H", "Expect: 100-continue", "--data-binary", "@-", url("/echo"), data=body)
    assert rc == 0, err
    assert "HTTP/1.1 100 Continue" in err, err
    assert out == b"5000:" + body


def curl_head_and_redirect():
    rc, out, err = curl("-I", url("/"))
    assert rc == 0 and out.startswith(b"HTTP/1.1 200 OK"), out
    rc, out, err = curl("-L", url("/redirect"))
    assert rc == 0 and b"404: Not Found" in out, out  # /target does not exist


def python_http_client():
    c = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    c.request("GET", "/path/7/bob")
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"id=7 name=bob n=2"
    c.request("POST", "/echo", body=b"hello")  # same connection
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"5:hello"
    c.request("POST", "/echo", body=iter([b"ab", b"cd"]), encode_chunked=True,
              headers={"Transfer-Encoding": "chunked"})
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"4:abcd"
    c.request("GET", "/flush")
    r = c.getresponse()
    assert r.getheader("Transfer-Encoding") == "chunked" and r.read() == b"first,second"
    c.request("GET", "/status/404")
    r = c.getresponse()
    assert r.status == 404
    r.read()
    c.request("GET", "/nowhere")
    r = c.getresponse()
    assert r.status == 404 and b"404: Not Found" in r.read()
    c.close()


def ab_smoke():
    ab = shutil.which("ab")
    assert ab, "ab is not installed (tests/setup.sh installs apache2-utils)"
    out = subprocess.run([ab, "-q", "-k", "-n", "5000", "-c", "20", url("/", hello)],
                         capture_output=True, text=True, timeout=120).stdout
    assert re.search(r"Complete requests:\s+5000", out), out
    assert re.search(r"Failed requests:\s+0\b", out), out
    assert "Non-2xx" not in out, out


def wrk_smoke():
    wrk = shutil.which("wrk")
    assert wrk, "wrk is not installed (tests/setup.sh installs it)"
    out = subprocess.run([wrk, "-t1", "-c50", "-d2s", url("/", hello)],
                         capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"(\d+) requests in", out)
    assert m and int(m.group(1)) > 0, out
    assert "Socket errors" not in out and "Non-2xx" not in out, out


def access_log_format():
    rc, out, err = curl(url("/", hello) + "?x=1")
    assert rc == 0
    import time
    time.sleep(0.2)
    pat = re.compile(r"^\[I \d{6} \d\d:\d\d:\d\d \w+:\d+\] 200 GET /\?x=1 \(127\.0\.0\.1\) \d+\.\d\dms$")
    assert any(pat.match(line.rstrip("\n")) for line in hello.log), hello.log[-5:]


check("access log lines in Tornado's format", access_log_format)
check("curl reuses a keep-alive connection", curl_keep_alive_reuse)
check("curl uploads a chunked body", curl_chunked_upload)
check("curl gets 100 Continue before sending its body", curl_100_continue)
check("curl HEAD and a followed redirect", curl_head_and_redirect)
check("Python http.client: keep-alive, bodies, chunked both ways, errors", python_http_client)
check("ab: 5000 keep-alive requests, zero failures", ab_smoke)
check("wrk: 2 s at 50 connections, zero errors", wrk_smoke)


def stops_cleanly(srv):
    rc = srv.stop()
    assert rc == 0, "exit status %r (5: memory left allocated)" % rc


check("the test application stops cleanly with everything freed", lambda: stops_cleanly(app))
check("the hello world stops cleanly", lambda: stops_cleanly(hello))
done()
