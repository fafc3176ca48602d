"""Tornado's own AsyncHTTPClient as a load generator, for tools/bench/client.sh:
N fetches in flight for S seconds (max_clients N); prints "requests=R errors=E".
Its simple client opens a new connection for every request (it has no pool).
Usage: tornado_client.py URL N SECONDS"""
import sys
import time

from tornado import gen, httpclient, ioloop


async def main(url, n, seconds):
    httpclient.AsyncHTTPClient.configure(None, max_clients=n)
    client = httpclient.AsyncHTTPClient()
    end = time.monotonic() + seconds
    counts = {"requests": 0, "errors": 0}

    async def worker():
        while time.monotonic() < end:
            try:
                await client.fetch(url)
                counts["requests"] += 1
            except Exception:
                counts["errors"] += 1

    await gen.multi([worker() for _ in range(n)])
    print("requests=%(requests)d errors=%(errors)d" % counts)


ioloop.IOLoop.current().run_sync(lambda: main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
