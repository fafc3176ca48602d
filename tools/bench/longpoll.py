"""The long-poll benchmark's client (tools/bench/longpoll.sh runs it): parks
N polls on examples/chat (started with --stats), measures the server's
memory per parked poll, then posts one message and times how long until the
last poll has its answer. Python asyncio, standard library only.
    longpoll.py PORT SERVER_PID [N]"""
import asyncio
import json
import re
import sys
import time
import urllib.parse

PORT, PID = int(sys.argv[1]), int(sys.argv[2])
N = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
TCK = 100  # clock ticks per second in /proc/PID/stat (getconf CLK_TCK)


async def exchange(raw, keep=None):
    """One request on a new connection; returns (head, body)."""
    r, w = await asyncio.open_connection("127.0.0.1", PORT)
    w.write(raw)
    head = await r.readuntil(b"\r\n\r\n")
    n = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    body = await r.readexactly(n)
    w.close()
    return head.decode(), body.decode()


def post(path, fields, cookie):
    body = urllib.parse.urlencode(fields)
    return ("POST %s HTTP/1.1\r\nHost: x\r\nCookie: _xsrf=%s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: %d\r\n\r\n%s" % (path, cookie, len(body), body)).encode()


async def stats():
    return json.loads((await exchange(b"GET /a/stats HTTP/1.1\r\nHost: x\r\n\r\n"))[1])


def cpu_seconds():
    with open("/proc/%d/stat" % PID) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TCK


async def main():
    head, page = await exchange(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    cookie = re.search(r"Set-Cookie: _xsrf=([^;]+);", head).group(1)
    token = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1).replace("&#x27;", "'").replace("&quot;", '"')
    _, first = await exchange(post("/a/message/new", {"body": "first", "_xsrf": token}, cookie))
    cursor = json.loads(first)["id"]

    before = await stats()
    poll = post("/a/message/updates", {"cursor": cursor, "_xsrf": token}, cookie)
    conns = []
    for i in range(N):
        r, w = await asyncio.open_connection("127.0.0.1", PORT)
        w.write(poll)
        conns.append((r, w))
        if i % 500 == 499:
            await asyncio.sleep(0)
    while (await stats())["waiters"] < N:
        await asyncio.sleep(0.05)
    parked = await stats()

    async def answer(r):
        head = await r.readuntil(b"\r\n\r\n")
        n = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        body = await r.readexactly(n)
        return time.perf_counter(), body

    readers = [asyncio.ensure_future(answer(r)) for r, _ in conns]
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    _, msg = await exchange(post("/a/message/new", {"body": "wake up", "_xsrf": token}, cookie))
    t_post = time.perf_counter()
    done = await asyncio.gather(*readers)
    cpu1 = cpu_seconds()
    new_id = json.loads(msg)["id"]
    ok = sum(1 for _, body in done if json.loads(body)["messages"][0]["id"] == new_id)
    last = max(t for t, _ in done)
    for _, w in conns:
        w.close()

    rss = (parked["rss_kib"] - before["rss_kib"]) * 1024 / N
    blocks = (parked["live_blocks"] - before["live_blocks"]) / N
    print("parked polls:                 %d (answered with the new message: %d)" % (N, ok))
    print("server memory per parked poll: %.0f bytes RSS, %.1f library blocks" % (rss, blocks))
    print("server RSS:                   %d KiB idle, %d KiB with %d parked" % (before["rss_kib"], parked["rss_kib"], N))
    print("post answered after:          %.1f ms" % ((t_post - t0) * 1000))
    print("post to last poll answered:   %.1f ms (server CPU %.2f s)" % ((last - t0) * 1000, cpu1 - cpu0))
    return ok == N


sys.exit(0 if asyncio.run(main()) else 1)
