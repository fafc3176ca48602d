"""examples/tcpecho against clients nobody here wrote: Python's socket module,
asyncio (1,000 clients at once) and nc."""
import asyncio
import os
import shutil
import socket
import subprocess
import time

from harness import ROOT, Server, check, done

srv = Server("tcpecho")


def connect():
    return socket.create_connection(("127.0.0.1", srv.port), timeout=10)


def recv_line(s):
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            raise AssertionError("closed before a full line: %r" % data)
        data += chunk
    return data


def python_socket_echo():
    with connect() as s:
        s.sendall(b"hello from python\n")
        assert recv_line(s) == b"hello from python\n"
        s.sendall(b"second line on the same connection\n")
        assert recv_line(s) == b"second line on the same connection\n"


def line_split_across_writes():
    with connect() as s:
        for part in (b"sp", b"lit ", b"across ", b"writes", b"\n"):
            s.sendall(part)
            time.sleep(0.01)
        assert recv_line(s) == b"split across writes\n"


def many_lines_in_one_write():
    lines = b"".join(b"line %d\n" % i for i in range(500))
    with connect() as s:
        s.sendall(lines)
        got = b""
        while len(got) < len(lines):
            chunk = s.recv(65536)
            assert chunk, "closed early"
            got += chunk
        assert got == lines


def binary_bytes_and_long_line():
    line = bytes(range(256)).replace(b"\n", b"") * 200 + b"\n"
    with connect() as s:
        s.sendall(line)
        assert recv_line(s) == line


async def one_client(i):
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
    msg = b"client %d\n" % i
    writer.write(msg)
    await writer.drain()
    got = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return got == msg


def thousand_concurrent_clients():
    async def main():
        results = await asyncio.gather(*(one_client(i) for i in range(1000)))
        return sum(results)
    ok = asyncio.run(main())
    assert ok == 1000, "%d of 1000 clients got their echo" % ok


def nc_client():
    nc = shutil.which("nc")
    assert nc, "nc is not installed (tests/setup.sh installs netcat-openbsd)"
    out = subprocess.run([nc, "-N", "127.0.0.1", str(srv.port)], input=b"hello from nc\n",
                         capture_output=True, timeout=10)
    assert out.stdout == b"hello from nc\n", out


def own_client_example():
    out = subprocess.run([os.path.join(ROOT, "build", "tcpecho"), "--client", "--port=%d" % srv.port,
                          "--message=hi from our client"], capture_output=True, timeout=10)
    assert out.returncode == 0 and out.stdout == b"hi from our client\n", out


def sigterm_stops_cleanly():
    rc = srv.stop()
    assert rc == 0, "exit status %r" % rc


check("python socket client gets its lines back", python_socket_echo)
check("a line split across many writes comes back whole", line_split_across_writes)
check("500 lines in one write come back in order", many_lines_in_one_write)
check("binary bytes in a 50 KB line come back unchanged", binary_bytes_and_long_line)
check("1000 concurrent asyncio clients all get their echo", thousand_concurrent_clients)
check("nc gets its line back", nc_client)
check("the example's own client talks to the server", own_client_example)
check("SIGTERM stops the server cleanly with status 0", sigterm_stops_cleanly)
done()
