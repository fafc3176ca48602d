"""examples/file_upload.c with curl: a multipart POST of two files, a
streamed PUT of 50 MiB checked by its SHA-256 (with Content-Length and
chunked), the size limits, and a client leaving in the middle of a body."""
import hashlib
import os
import socket
import subprocess
import tempfile

from harness import Server, check, done

srv = Server("file_upload")
url = "http://127.0.0.1:%d" % srv.port
tmp = tempfile.TemporaryDirectory()


def curl(*args, stdin=None):
    out = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", *args], input=stdin,
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    body, _, code = out.stdout.decode().rpartition("\n")
    return int(code), body.rstrip("\n")


def make_file(name, data):
    path = os.path.join(tmp.name, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def raw(head, body=b""):
    """Sends bytes, returns the status line."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(head.encode() + body)
        return s.makefile("rb").readline().decode().strip()


BIG = os.urandom(1 << 20) * 50  # 50 MiB (random MiB repeated: cheap to make)
BIG_SHA = hashlib.sha256(BIG).hexdigest()
big_path = make_file("big.bin", BIG)


def vm_hwm_kib():
    with open("/proc/%d/status" % srv.proc.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])


def test_put_streamed_50_mib():
    code, body = curl("-T", big_path, url + "/stream/big.bin")
    assert code == 200, (code, body)
    assert body == 'PUT "big.bin" "application/octet-stream" %d bytes sha256=%s' % (len(BIG), BIG_SHA), body
    # streamed, not buffered: the server never held the body whole
    assert vm_hwm_kib() < 40 * 1024, vm_hwm_kib()


def test_put_chunked_from_stdin():
    data = BIG[: 10 << 20] + b"tail"
    code, body = curl("-T", "-", url + "/stream/na%C3%AFve%20name.txt", stdin=data)
    assert code == 200, (code, body)
    want = 'PUT "na\u00efve name.txt" "text/plain" %d bytes sha256=%s' % (len(data), hashlib.sha256(data).hexdigest())
    assert body == want, body


def test_put_empty_body():
    code, body = curl("-X", "PUT", "--data-binary", "", url + "/stream/empty")
    assert code == 200, (code, body)
    assert body.endswith(" 0 bytes sha256=" + hashlib.sha256(b"").hexdigest()), body


def test_post_multipart_two_files():
    text = make_file("notes.txt", b"hello, world\n")
    blob = make_file("blob.bin", os.urandom(3 << 20))
    code, body = curl("-F", "first=@%s" % text, "-F", "second=@%s;type=application/x-thing" % blob,
                      "-F", "note=a field, not a file", "-F", "third=@%s;filename=\u00e9t\u00e9.txt" % text, url + "/")
    assert code == 200, (code, body)
    assert body.splitlines() == [
        'POST "notes.txt" "text/plain" 13 bytes',
        'POST "blob.bin" "application/x-thing" %d bytes' % (3 << 20),
        'POST "\u00e9t\u00e9.txt" "text/plain" 13 bytes',
    ], body


def test_form_page():
    code, body = curl(url + "/")
    assert code == 200 and 'enctype="multipart/form-data"' in body and 'type="file"' in body, (code, body)


def test_refused_bodies():
    cases = [  # (curl arguments, expected status)
        (["-d", "x=1"], 400),                             # a form, not multipart
        (["-F", "field=only a field"], 400),              # multipart without a file
        (["-H", "Content-Type: multipart/form-data; boundary=zzz", "-d", "--zzz\r\nnonsense"], 400),
        (["-X", "DELETE"], 405),
    ]
    for args, want in cases:
        code, body = curl(*args, url + "/")
        assert code == want, (args, code, body)
    code, _ = curl("-X", "POST", url + "/stream/x")
    assert code == 405, code


def test_size_limits():
    # announced sizes over each route's limit are refused before any body is read
    line = raw("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
               "Content-Length: %d\r\n\r\n" % ((64 << 20) + 1))
    assert line.startswith("HTTP/1.1 413"), line
    line = raw("PUT /stream/huge HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % ((4 << 30) + 1))
    assert line.startswith("HTTP/1.1 413"), line
    # and the PUT limit is the route's own: far over the server's 1 MiB default
    line = raw("PUT /stream/ok HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n",
               b"z" * 2000000)
    assert line.startswith("HTTP/1.1 200"), line


def test_client_leaving_mid_body():
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
            s.sendall(b"PUT /stream/gone HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" + BIG[:300000])
    code, body = curl("-T", big_path, url + "/stream/after")
    assert code == 200 and body.endswith(BIG_SHA), (code, body)


def test_stops_cleanly():
    assert srv.stop() == 0


for name, fn in list(globals().items()):
    if name.startswith("test_"):
        check("file_upload: " + name[5:].replace("_", " "), fn)
tmp.cleanup()
done()
