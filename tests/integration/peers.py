"""Servers nobody here wrote, for the HTTP client's tests, each on a
loopback ephemeral port with its files in a temporary folder: nginx and h2o
(Debian's packages, running as the current user, pid and logs in the folder)
and Python's http.server; and CannedServer, a hostile server whose answers
the test scripts byte by byte. Standard library only."""
import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(read, ok, seconds=30):
    """read() once ok(it) holds, or as it is after `seconds` (a hang guard): a
    server writes its log line after its answer, so the line can come after
    the client is done."""
    deadline = time.time() + seconds
    while True:
        got = read()
        if ok(got) or time.time() > deadline:
            return got
        time.sleep(0.02)


def wait_listening(port, proc, what, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s exited with status %s" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("%s did not start listening on %d" % (what, port))


class Nginx:
    """nginx with one worker serving `root`; `extra` is added to its server
    block. The access log records "$connection $connection_requests $request $status"."""

    def __init__(self, root, extra=""):
        self.dir = tempfile.mkdtemp(prefix="tn_nginx_")
        os.mkdir(os.path.join(self.dir, "tmp"))
        self.port = free_port()
        user = "user %s;" % getpass.getuser() if os.geteuid() == 0 else ""
        conf = """%(user)s
worker_processes 1;
daemon off;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
events { worker_connections 4096; }
http {
    log_format conn '$connection $connection_requests "$request" $status';
    access_log %(d)s/access.log conn;
    client_body_temp_path %(d)s/tmp/body;
    proxy_temp_path %(d)s/tmp/proxy;
    fastcgi_temp_path %(d)s/tmp/fastcgi;
    uwsgi_temp_path %(d)s/tmp/uwsgi;
    scgi_temp_path %(d)s/tmp/scgi;
    keepalive_requests 100000;
    types { text/html html; text/plain txt; }
    server {
        listen 127.0.0.1:%(port)d;
        root %(root)s;
        %(extra)s
    }
}
""" % {"user": user, "d": self.dir, "port": self.port, "root": root, "extra": extra}
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-c", path, "-e", os.path.join(self.dir, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(self.port, self.proc, "nginx")

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def access_log(self, count, ok):
        """The last `count` rows [(connection, requests on it, request line,
        status)], once ok(rows) holds (or after 30 s)."""
        return eventually(lambda: self.rows()[-count:], lambda rows: len(rows) == count and ok(rows))

    def rows(self):
        """[(connection, requests on it, request line, status)] logged so far."""
        rows = []
        with open(os.path.join(self.dir, "access.log")) as f:
            for line in f:
                conn, n, rest = line.split(" ", 2)
                request, status = rest.rsplit(" ", 1)
                rows.append((int(conn), int(n), request.strip('"'), int(status)))
        return rows

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class H2o:
    """h2o serving `root`; the access log records "connection-id request status"."""

    def __init__(self, root):
        self.dir = tempfile.mkdtemp(prefix="tn_h2o_")
        self.port = free_port()
        user = "user: %s\n" % getpass.getuser() if os.geteuid() == 0 else ""
        conf = """%(user)slisten:
  host: 127.0.0.1
  port: %(port)d
pid-file: %(d)s/h2o.pid
error-log: %(d)s/error.log
access-log:
  path: %(d)s/access.log
  format: "%%{connection-id}x %%r %%s"
hosts:
  default:
    paths:
      /:
        file.dir: %(root)s
""" % {"user": user, "d": self.dir, "port": self.port, "root": root}
        path = os.path.join(self.dir, "h2o.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(["h2o", "-c", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(self.port, self.proc, "h2o")

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def connections(self, count):
        """The connection id of each request logged, once there are `count`
        (or after 30 s)."""
        def read():
            with open(os.path.join(self.dir, "access.log")) as f:
                return [int(line.split(" ", 1)[0]) for line in f]
        return eventually(read, lambda conns: len(conns) >= count)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class PythonServer:
    """Python's http.server on `root` (SimpleHTTPRequestHandler; HTTP/1.0
    unless protocol is "HTTP/1.1"), in a thread."""

    def __init__(self, root, protocol="HTTP/1.0", handler=None):
        base = handler or SimpleHTTPRequestHandler

        class Quiet(base):
            protocol_version = protocol

            def __init__(self, *a, **kw):
                super().__init__(*a, directory=root, **kw)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class CannedServer:
    """Accepts connections and answers each request head (and its body, by
    Content-Length) with the next of `answers` for that connection: bytes to
    send, a callable(sock, request) that does the sending itself, or None to
    close without answering. Once the last answer is sent the connection
    closes, unless repeat=True (then the last answers every further request).
    Records every request received."""

    def __init__(self, *answers, repeat=False):
        self.answers = list(answers)
        self.repeat = repeat
        self.requests = []
        self.connections = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    @staticmethod
    def _read_request(c, buf):
        while b"\r\n\r\n" not in buf:
            data = c.recv(65536)
            if not data:
                return None, buf
            buf += data
        head, buf = buf.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(buf) < length:
            data = c.recv(65536)
            if not data:
                break
            buf += data
        return head + b"\r\n\r\n" + buf[:length], buf[length:]

    def _serve(self, c):
        buf = b""
        try:
            for i in range(1 << 30):
                request, buf = self._read_request(c, buf)
                if request is None:
                    break
                self.requests.append(request)
                answer = self.answers[min(i, len(self.answers) - 1)]
                if answer is None:
                    break
                if callable(answer):
                    answer(c, request)
                else:
                    c.sendall(answer)
                if i >= len(self.answers) - 1 and not self.repeat:
                    break
        except OSError:
            pass
        finally:
            c.close()

    def stop(self):
        self.sock.close()
