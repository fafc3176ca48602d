"""examples/chat (Tornado's long-polling chat demo) over the wire with
Python's http.client: the XSRF cookie flow, posting, the long-poll updates
with a cursor, the 200-message cache and a parked client that leaves.
The server runs with --stats so the test can see how many polls are parked
(instead of guessing with sleeps) and that a dropped poll frees its memory."""
import html
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse

import harness
from harness import ROOT, Server, check, done, http_request

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
srv = Server("chat", "--stats", "--drain_timeout=1s")


def request(method, path, body=None, headers=None, timeout=10):
    return http_request(srv.port, method, path, body, headers, timeout)


class Browser:
    """One visitor: GET / gives the _xsrf cookie and the form's token."""

    def __init__(self):
        status, headers, page = request("GET", "/")
        assert status == 200, status
        cookie = headers["Set-Cookie"]
        m = re.match(r"_xsrf=([^;]+);", cookie)
        assert m, cookie
        self.cookie = m.group(1)
        m = re.search(r'<input type="hidden" name="_xsrf" value="([^"]+)"/>', page)
        assert m, page
        self.form_token = html.unescape(m.group(1))
        self.page = page

    def post(self, path, fields, token=True, timeout=10):
        fields = dict(fields)
        if token:
            fields.setdefault("_xsrf", self.form_token)
        return request("POST", path, urllib.parse.urlencode(fields),
                       {"Cookie": "_xsrf=" + self.cookie,
                        "Content-Type": "application/x-www-form-urlencoded"}, timeout)

    def say(self, body):
        status, _, text = self.post("/a/message/new", {"body": body})
        assert status == 200, (status, text)
        return json.loads(text)

    def updates(self, cursor=None, timeout=10):
        status, _, text = self.post("/a/message/updates", {"cursor": cursor} if cursor else {}, timeout=timeout)
        assert status == 200, (status, text)
        return json.loads(text)["messages"]


def stats():
    return json.loads(request("GET", "/a/stats")[2])


def wait_for(pred, what):
    """A hang guard, not a timing: the condition must come true eventually."""
    deadline = time.time() + 10
    while not pred():
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what + ": " + json.dumps(stats()))
        time.sleep(0.02)


def test_page_sets_cookie_and_token():
    b = Browser()
    assert b.cookie.startswith("2|"), b.cookie
    assert b.form_token.startswith("2|"), b.form_token
    assert 'action="/a/message/new"' in b.page
    assert re.search(r'<link rel="stylesheet" href="/static/chat\.css(\?v=[0-9a-f]+)?"', b.page), b.page
    assert re.search(r'<script src="/static/chat\.js(\?v=[0-9a-f]+)?"', b.page), b.page


def test_xsrf_required():
    b = Browser()
    cases = [  # (fields, send the token?, expected status)
        ({"body": "no token"}, False, 403),
        ({"body": "bad token", "_xsrf": "2|00000000|00000000000000000000000000000000|1"}, True, 403),
        ({"body": "garbage token", "_xsrf": "nonsense"}, True, 403),
        ({"body": "good token"}, True, 200),
    ]
    for fields, token, want in cases:
        status, _, text = b.post("/a/message/new", fields, token=token)
        assert status == want, (fields, status, text)
    # the cookie alone, with no token, does not pass for the updates either
    status, _, _ = b.post("/a/message/updates", {}, token=False)
    assert status == 403, status
    # the header form of the token, as XHR libraries send it
    status, _, text = request("POST", "/a/message/new", "body=by+header",
                              {"Cookie": "_xsrf=" + b.cookie, "X-XSRFToken": b.form_token,
                               "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, (status, text)


def test_new_message_json():
    b = Browser()
    body = "<script>alert('x')</script> & \u00e9t\u00e9 \U0001F600"
    m = b.say(body)
    assert UUID4.match(m["id"]), m
    assert m["body"] == body, m
    got = re.fullmatch(r'<div class="message" id="m%s">([^<>"\']*)</div>' % m["id"], m["html"].strip())
    assert got and html.unescape(got.group(1)) == body, m["html"]  # escaped, whichever entity for '
    # the page shows it, escaped
    assert 'id="m%s"' % m["id"] in Browser().page
    assert "<script>alert" not in Browser().page


def test_bad_messages_refused():
    b = Browser()
    cases = [
        ({}, 400),                                      # no body
        ({"body": "   "}, 400),                         # empty once stripped
        ({"body": "x" * 4097}, 400),                    # over the 4 KiB limit
        ({"body": "x" * 4096}, 200),
        ({"body": "hi", "next": "//evil.example/"}, 400),
        ({"body": "hi", "next": "/\\evil.example/"}, 400),
        ({"body": "hi", "next": "http://evil.example/"}, 400),
        ({"body": "\xff\xfe"}, 200),                    # urlencoded as UTF-8: fine
    ]
    for fields, want in cases:
        status, _, text = b.post("/a/message/new", fields)
        assert status == want, (fields, status, text)
    # raw bytes that are not UTF-8
    status, _, _ = request("POST", "/a/message/new", b"body=%ff%fe&_xsrf=" + urllib.parse.quote(b.form_token).encode(),
                           {"Cookie": "_xsrf=" + b.cookie, "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400, status


def test_plain_form_post_redirects_to_next():
    b = Browser()
    status, headers, _ = b.post("/a/message/new", {"body": "from a form", "next": "/"})
    assert status == 302, status
    assert headers["Location"] == "/", headers["Location"]
    assert b.updates()[-1]["body"] == "from a form"


def test_updates_answer_at_once_when_newer_exist():
    b = Browser()
    ms = [b.say("burst %d" % i) for i in range(3)]
    assert b.updates(ms[0]["id"]) == ms[1:]
    assert b.updates(ms[1]["id"]) == ms[2:]
    everything = b.updates()  # no cursor: the whole cache
    assert everything[-3:] == ms, everything[-3:]
    assert b.updates("not-a-cached-id") == everything  # unknown cursor: the whole cache too


def test_parked_until_next_message():
    b = Browser()
    newest = b.say("before")["id"]
    results = []
    threads = [threading.Thread(target=lambda: results.append(b.updates(newest, timeout=20))) for _ in range(3)]
    for t in threads:
        t.start()
    wait_for(lambda: stats()["waiters"] == 3, "three parked polls")
    assert results == [], results
    m = Browser().say("wake up")
    for t in threads:
        t.join(15)
    assert results == [[m]] * 3, results
    assert stats()["waiters"] == 0


def test_cache_keeps_the_last_200():
    b = Browser()
    ids = [b.say("flood %d" % i)["id"] for i in range(205)]
    everything = b.updates()
    assert len(everything) == 200, len(everything)
    assert [m["id"] for m in everything] == ids[5:]
    page = Browser().page
    shown = re.findall(r'<div class="message" id="m([0-9a-f-]+)">', page)
    assert shown == ids[5:], (len(shown), shown[:3])
    assert stats()["messages"] == 200
    # the oldest ids are gone: such a cursor gets the whole cache
    assert len(b.updates(ids[0])) == 200
    assert b.updates(ids[-2]) == everything[-1:]


def park(b, cursor):
    """A poll on a raw socket, to hang up on."""
    body = urllib.parse.urlencode({"cursor": cursor, "_xsrf": b.form_token})
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(("POST /a/message/updates HTTP/1.1\r\nHost: x\r\nCookie: _xsrf=%s\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s"
               % (b.cookie, len(body), body)).encode())
    return s


def test_parked_client_that_leaves_is_dropped():
    b = Browser()
    newest = b.say("last")["id"]

    def park_and_leave(n):
        socks = [park(b, newest) for _ in range(n)]
        wait_for(lambda: stats()["waiters"] == n, "%d parked polls" % n)
        for s in socks:
            s.close()
        wait_for(lambda: stats()["waiters"] == 0, "the parked polls to be dropped")

    def settled_blocks():
        """The count once it stops moving (closed connections are freed a
        little after the client hangs up)."""
        seen = []
        wait_for(lambda: seen.append(stats()["live_blocks"]) or seen[-5:] == [seen[-1]] * 5, "a steady count")
        return seen[-1]

    # The server keeps a pool of request objects with their buffers, so the
    # count moves a little while it warms up; a leak per dropped poll would
    # add at least 60 blocks over the last three rounds.
    park_and_leave(20)
    park_and_leave(20)
    warm = settled_blocks()
    for _ in range(3):
        park_and_leave(20)
    after = settled_blocks()
    assert after <= warm + 5, (warm, after)
    # the server is fine, and a new message reaches a new poll
    got = []
    def poll():
        try:
            got.append(b.updates(newest, timeout=20))
        except Exception as e:
            got.append(repr(e))
    t = threading.Thread(target=poll)
    t.start()
    wait_for(lambda: stats()["waiters"] == 1, "a new parked poll")
    m = b.say("still here")
    t.join(15)
    assert got == [[m]], (got, "".join(srv.log[-10:]))


def test_static_files():
    status, headers, text = request("GET", "/static/chat.js")
    assert status == 200, status
    assert "javascript" in headers["Content-Type"], headers["Content-Type"]
    assert "/a/message/updates" in text
    status, headers, _ = request("GET", "/static/chat.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css"), headers["Content-Type"]
    for path in ("/static/nothing.js", "/static/../chat.c", "/static/%2e%2e/chat.c"):
        status, _, _ = request("GET", path)
        assert status in (403, 404), (path, status)


def test_root_option_and_a_broken_template():
    """--root picks the folder; a template error is a 500 and a log line
    naming the template, line and column."""
    import tempfile
    with tempfile.TemporaryDirectory() as root:
        os.mkdir(os.path.join(root, "templates"))
        os.mkdir(os.path.join(root, "static"))
        with open(os.path.join(root, "templates", "index.html"), "w") as f:
            f.write("<p>\n{% if messages %}never closed\n")
        other = Server("chat", "--root=" + root)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", other.port, timeout=10)
            conn.request("GET", "/")
            r = conn.getresponse()
            r.read()
            conn.close()
            assert r.status == 500, r.status
            wait_for(lambda: any("index.html:2:" in line for line in other.log), "the template error in the log")
        finally:
            assert other.stop() == 0


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return False
    except ConnectionRefusedError:
        return True


def test_stops_gracefully_with_a_parked_poll():
    """SIGTERM drains: new connections are refused at once, the poll parked
    at the signal is answered 503 at --drain_timeout (1 s), and the chat
    exits 0 (1 when the library still held memory after the loop closed)."""
    b = Browser()
    s = park(b, b.updates()[-1]["id"])
    wait_for(lambda: stats()["waiters"] == 1, "a parked poll")
    srv.proc.send_signal(signal.SIGTERM)
    deadline = time.time() + 10
    while not refused(srv.port):
        assert time.time() < deadline, "still accepting 10 s after SIGTERM"
        time.sleep(0.01)
    s.settimeout(20)
    answer = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        answer += chunk
    s.close()
    assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), answer
    assert b"\r\nConnection: close\r\n" in answer, answer
    status = srv.stop()
    assert status == 0, (status, "".join(srv.log[-5:]))


def browser_test():
    """tests/node/chat_longpoll_browser.js on a fresh chat: two Chromium pages."""
    script = os.path.join(ROOT, "tests", "node", "chat_longpoll_browser.js")
    if not (shutil.which("node") and os.path.exists("/usr/bin/chromium")
            and os.path.isdir(os.path.join(ROOT, "tests", "node", "node_modules", "playwright-core"))):
        print("SKIP chat browser: needs node, tests/node/node_modules and /usr/bin/chromium", flush=True)
        return
    fresh = Server("chat")
    try:
        out = subprocess.run(["node", script, "http://127.0.0.1:%d" % fresh.port],
                             capture_output=True, text=True, timeout=90)
        print(out.stdout, end="", flush=True)  # its own PASS/FAIL lines
        if out.returncode != 0:
            harness.failures += 1
            if "FAIL" not in out.stdout:
                print("FAIL chat browser: node exited %d\n%s" % (out.returncode, out.stderr[-2000:]), flush=True)
    finally:
        fresh.stop()


for name, fn in list(globals().items()):
    if name.startswith("test_"):
        if name == "test_stops_gracefully_with_a_parked_poll":
            browser_test()
        check("chat: " + name[5:].replace("_", " "), fn)
if srv.proc.poll() is None:
    srv.stop()
done()
