"""Shared bits for integration tests: start an example server on an
ephemeral port, and report one PASS/FAIL line per check (tests/run.sh counts
them). Uses only the standard library."""
import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = 0


class Server:
    """Runs build/NAME --port=0 and reads the port from its log line;
    wrap: a command that runs it (["wine"] for a Windows build)."""

    def __init__(self, name, *args, wrap=()):
        self.proc = subprocess.Popen(
            [*wrap, os.path.join(ROOT, "build", name), "--port=0", *args],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.log = []
        deadline = time.time() + 10
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.log.append(line)
            m = re.search(r"[Ll]istening on (?:port |\S+:)(\d+)", line)
            if m:
                self.port = int(m.group(1))
                # Keep reading its log, or a chatty server blocks on a full pipe.
                threading.Thread(target=self._drain, daemon=True).start()
                return
        self.proc.kill()
        raise RuntimeError("server did not start: " + "".join(self.log))

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line)
            del self.log[:-200]

    def stop(self, sig=signal.SIGTERM):
        """Signals the server; returns its exit status (None if it hung)."""
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None


def check(name, fn):
    global failures
    try:
        fn()
        print("PASS " + name, flush=True)
    except Exception:
        failures += 1
        print("FAIL " + name, flush=True)
        traceback.print_exc(file=sys.stdout)


def done():
    sys.exit(1 if failures else 0)


def missing_modules(path):
    """The modules a test file imports that this interpreter cannot find."""
    import ast
    import importlib.util
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    return sorted(n for n in names if importlib.util.find_spec(n) is None)


if __name__ == "__main__":
    # tests/run.sh asks before running a test file, so that a missing module
    # is one clear line rather than a traceback: harness.py --missing FILE
    if len(sys.argv) == 3 and sys.argv[1] == "--missing":
        print(" ".join(missing_modules(sys.argv[2])))
    else:
        sys.exit("usage: harness.py --missing TEST_FILE")


def build_packed_app(site, tmp, name, settings=""):
    """Compiles build/pack's output for the folder SITE into build/NAME: an
    app serving it under /static/ (SETTINGS: more C lines on its tn_app_desc
    d), warning-free, for Server(NAME)."""
    assets = os.path.join(tmp, name + "_assets.c")
    with open(assets, "wb") as f:
        subprocess.run([os.path.join(ROOT, "build", "pack"), site, "assets"], stdout=f, check=True)
    main = os.path.join(tmp, name + ".c")
    with open(main, "w") as f:
        f.write('#define TORNADO_IMPLEMENTATION\n#include "tornado.h"\n#include <stdlib.h>\n'
                'extern const tn_packed_file assets[];\n'
                'int main(int argc, char **argv) {\n'
                '    (void)argc;\n'
                '    tn_loop *loop = tn_loop_new(NULL);\n'
                '    tn_app_desc d = {0};\n'
                '    d.static_files = assets;\n'
                '    d.no_access_log = true;\n' + settings +
                '    tn_app *app = tn_app_new(loop, &d);\n'
                '    if (!app || tn_app_listen(app, atoi(argv[1] + 7)) != 0) return 1;\n'
                '    TN_LOGI("Listening on http://127.0.0.1:%d", tn_app_port(app));\n'
                '    tn_loop_stop_on_signals(loop);\n'
                '    tn_loop_start(loop);\n'
                '    tn_loop_free(loop);\n'
                '    return 0;\n}\n')
    exe = os.path.join(ROOT, "build", name)
    subprocess.run(["cc", "-O0", "-Wall", "-Wextra", "-Werror", "-I", ROOT, "-o", exe, main, assets, "-pthread"],
                   check=True, capture_output=True)


def http_request(port, method, path, body=None, headers=None, timeout=30, host="127.0.0.1", source=None):
    """One request on a new connection: (status, headers, body as text)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.headers, r.read().decode()
    finally:
        conn.close()
