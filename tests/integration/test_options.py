"""tornado.options and tornado.log in the built programs: every example and
tool answers --help (exit 0, its options listed), and a bad port, an
unknown flag or a bad config file stop it with one line and exit 2; the log
line format from a real server, colours only on a terminal (a pty), and a
log file rotated by size with its backups."""
import os
import pty
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

from harness import ROOT, Server, check, done

# name -> (arguments it needs to get as far as parsing, options --help must list)
PROGRAMS = {
    "helloworld": ([], ["--port", "--quiet", "--config=FILE"]),
    "static_files": ([], ["--port", "--root=DIR", "--quiet"]),
    "tcpecho": ([], ["--port", "--host=ADDR", "--client", "--message=TEXT"]),
    "file_upload": ([], ["--port"]),
    "websocket": ([], ["--port"]),
    "chat": ([], ["--port", "--root=DIR", "--stats"]),
    "testapp": ([], ["--port", "--max-body", "--chunk-size"]),
    "wsclient": (["ws://127.0.0.1:1/"], ["--text=STRING", "--close=CODE[:REASON]", "--timeout"]),
    "pack": ([".", "name"], []),
    "multiprocess": ([], ["--port", "--processes", "--reuse-port", "--quiet"]),
    "embed_poll": ([], ["--port"]),
    "fetch": (["http://127.0.0.1:1/"], ["--print-headers", "--print-body", "--follow-redirects", "--max-redirects",
                                       "--request-timeout", "--connect-timeout", "--max-body-size=BYTES",
                                       "--method=METHOD", "--body=TEXT", "--header=LINE", "--proxy-host=HOST",
                                       "--proxy-port"]),
    "webspider": (["http://127.0.0.1:1/"], ["--concurrency", "--timeout"]),
    "httpclient": (["http://127.0.0.1:1/"], ["--concurrent=N", "--max-clients", "--upload=BYTES", "--length"]),
}
LOGGING = ["--logging=debug|info|warning|error|none", "--log-to-stderr", "--log-file-prefix=PATH",
           "--log-file-max-size", "--log-file-num-backups"]
# A --help line: the option, then its help from column 36 (or on the next line).
OPTION_LINE = re.compile(r"^  (--\S+)(?: {2,}\S.*)?$")
ACCESS = re.compile(r"^\[([IWE]) \d{6} \d\d:\d\d:\d\d \w+:\d+\] (\d{3}) GET (\S+) \(127\.0\.0\.1\) \d+\.\d\dms$")

tmp = tempfile.mkdtemp(prefix="tn_options_")


def run(name, *args):
    return subprocess.run([os.path.join(ROOT, "build", name), *args], capture_output=True, text=True, timeout=30)


def help_lists_options(name):
    p = run(name, "--help")
    assert p.returncode == 0, (p.returncode, p.stderr)
    assert p.stderr == "", p.stderr
    assert p.stdout.startswith("Usage: %s [OPTIONS]" % name), p.stdout[:200]
    listed = [m.group(1) for m in map(OPTION_LINE.match, p.stdout.splitlines()) if m]
    want = PROGRAMS[name][1] + ["--help"] + (LOGGING if name != "pack" else [])
    for opt in want:
        assert opt in listed, (opt, listed)


def one_line_exit_2(name, args, pattern):
    p = run(name, *args)
    assert p.returncode == 2, (args, p.returncode, p.stdout, p.stderr)
    assert p.stdout == "", p.stdout
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and re.fullmatch(pattern, lines[0]), (args, p.stderr)


for name, (needs, _) in PROGRAMS.items():
    check("%s --help: exit 0, its options listed" % name, lambda name=name: help_lists_options(name))
    check("%s --bogus: one line, exit 2" % name, lambda name=name, needs=needs: one_line_exit_2(
        name, ["--bogus"] + needs, re.escape(name) + r": unknown option --bogus \(see --help\)"))
    if "--port" in PROGRAMS[name][1]:
        for bad in ("abc", "70000", "-1", ""):
            check("%s --port=%s: one line, exit 2" % (name, bad), lambda name=name, bad=bad: one_line_exit_2(
                name, ["--port=" + bad], re.escape(name) +
                r": --port: expected an integer from 0 to 65535, got '%s'" % re.escape(bad)))
        check("%s --port without a value: one line, exit 2" % name, lambda name=name: one_line_exit_2(
            name, ["--port"], re.escape(name) + r": --port: expected an integer from 0 to 65535, got nothing"))
    if name != "pack":  # pack does not log
        check("%s --logging=loud: one line, exit 2" % name, lambda name=name, needs=needs: one_line_exit_2(
            name, ["--logging=loud"] + needs,
            re.escape(name) + r": --logging: expected one of debug\|info\|warning\|error\|none, got 'loud'"))
check("helloworld: a positional argument is one line, exit 2",
      lambda: one_line_exit_2("helloworld", ["8888"], r"helloworld: unexpected argument '8888'"))


def get(port, path):
    try:
        return urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code


def wait_for_lines(srv, pattern, n):
    """The server's log lines matching pattern, once there are n of them (its
    log is read by a thread; the response can arrive before the line)."""
    for _ in range(500):
        got = [m for m in map(pattern.match, (l.rstrip("\n") for l in list(srv.log))) if m]
        if len(got) >= n:
            return got
        time.sleep(0.02)
    raise AssertionError("expected %d lines like %s in %r" % (n, pattern.pattern, srv.log[-10:]))


def config_file_sets_flags():
    conf = os.path.join(tmp, "hello.conf")
    with open(conf, "w") as f:
        f.write("# helloworld's options\nport = 0   # any free port\nquiet = true\n")
    srv = Server("helloworld", "--config=" + conf)
    try:
        assert get(srv.port, "/") == 200
    finally:
        assert srv.stop() == 0
    wait_for_lines(srv, re.compile(r".*received signal 15"), 1)  # its last line: the log is all read
    assert not [l for l in srv.log if ACCESS.match(l.rstrip("\n"))], srv.log
    srv = Server("helloworld", "--config=" + conf, "--quiet=false")  # the flag after the file wins
    try:
        assert get(srv.port, "/nope") == 404
        assert get(srv.port, "/") == 200
        lines = wait_for_lines(srv, ACCESS, 2)
        assert [(m.group(1), m.group(2), m.group(3)) for m in lines] == [("W", "404", "/nope"), ("I", "200", "/")], lines
    finally:
        assert srv.stop() == 0


def bad_config_file():
    conf = os.path.join(tmp, "bad.conf")
    with open(conf, "w") as f:
        f.write("port = 8080\nquiet = perhaps\n")
    one_line_exit_2("helloworld", ["--config=" + conf],
                    r"helloworld: %s:2: quiet: expected true or false, got 'perhaps'" % re.escape(conf))
    one_line_exit_2("helloworld", ["--config=" + conf + ".missing"],
                    r"helloworld: %s\.missing: no such file or directory" % re.escape(conf))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def logging_warning_hides_info():
    port = free_port()
    p = subprocess.Popen([os.path.join(ROOT, "build", "helloworld"), "--port=%d" % port, "--logging=warning"],
                         stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(500):  # until it listens (its "Listening" line is info: not shown)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=10).close()
                break
            except ConnectionRefusedError:
                time.sleep(0.02)
        assert get(port, "/") == 200  # info: hidden
        assert get(port, "/nope") == 404  # warning: shown, after the line above would have been
        line = p.stderr.readline().rstrip("\n")
        m = ACCESS.match(line)
        assert m and m.group(1) == "W" and m.group(3) == "/nope", line
    finally:
        p.terminate()
        p.wait(timeout=10)


def colours_only_on_a_terminal():
    master, slave = pty.openpty()
    p = subprocess.Popen([os.path.join(ROOT, "build", "helloworld"), "--port=0"], stderr=slave,
                         stdout=subprocess.DEVNULL)
    os.close(slave)
    out = b""
    try:
        while b"\n" not in out:
            r, _, _ = select.select([master], [], [], 10)
            assert r, "no line on the terminal: %r" % out
            out += os.read(master, 4096)
    finally:
        p.terminate()
        p.wait(timeout=10)
        os.close(master)
    line = out.split(b"\n")[0].rstrip(b"\r")
    assert re.fullmatch(rb"\x1b\[32m\[I \d{6} \d\d:\d\d:\d\d helloworld:\d+\]\x1b\[0m Listening on http://localhost:\d+/",
                        line), line
    srv = Server("helloworld")  # stderr is a pipe here
    try:
        assert "\x1b" not in "".join(srv.log), srv.log
    finally:
        srv.stop()


def log_file_rotates():
    prefix = os.path.join(tmp, "hello.log")
    srv = Server("helloworld", "--log_file_prefix=" + prefix, "--log_file_max_size=2000",
                 "--log_file_num_backups=3", "--log_to_stderr")
    try:
        for i in range(200):
            assert get(srv.port, "/?n=%03d" % i) == 200
        wait_for_lines(srv, ACCESS, 200)  # the stderr copy of every line
    finally:
        assert srv.stop() == 0  # it has exited: the file holds every line too
    files = sorted(f for f in os.listdir(tmp) if f.startswith("hello.log"))
    assert files == ["hello.log", "hello.log.1", "hello.log.2", "hello.log.3"], files
    numbers = []
    for name in ["hello.log.3", "hello.log.2", "hello.log.1", "hello.log"]:
        data = open(os.path.join(tmp, name)).read()
        assert 0 < len(data) <= 2000, (name, len(data))
        if name != "hello.log":  # a backup was rotated when the next line did not fit
            assert len(data) > 2000 - 100, (name, len(data))
        assert "\x1b" not in data
        for line in data.splitlines():
            m = ACCESS.match(line)
            if m:
                numbers.append(int(m.group(3)[4:]))
            else:
                assert re.search(r"Listening on|received signal|draining:|drained:", line), line
    # The files hold the last requests, oldest first, none missing between.
    assert numbers == list(range(200 - len(numbers), 200)), numbers


def log_file_cannot_open():
    one_line_exit_2("helloworld", ["--log_file_prefix=/nonexistent/dir/x.log"],
                    r"helloworld: --log_file_prefix: cannot open '/nonexistent/dir/x\.log': no such file or directory")


check("helloworld --config=FILE: its values, then the flags after it", config_file_sets_flags)
check("helloworld --config=FILE: a bad line or a missing file is one line, exit 2", bad_config_file)
check("--logging=warning: the 404 line but no info lines", logging_warning_hides_info)
check("log colours on a terminal (a pty) only", colours_only_on_a_terminal)
check("--log_file_prefix: rotated by size, 3 backups, no line lost", log_file_rotates)
check("--log_file_prefix in a missing folder: one line, exit 2", log_file_cannot_open)
shutil.rmtree(tmp)
done()
