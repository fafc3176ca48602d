"""Shared bits for integration tests: start an example server on an
ephemeral port, and report one PASS/FAIL line per check (tests/run.sh counts
them). Uses only the standard library."""
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
