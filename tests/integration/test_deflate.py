"""tornado.h's DEFLATE codec against Python's zlib and gzip (the oracle),
through build/zpipe: round trips both ways at every level, framing and
window size on a corpus made here (text, this repository's sources, binary,
random, empty, 1 byte), flushes message by message, gzip header fields and
members, corrupt and truncated streams, a decompression bomb, and 100 MB
streamed each way with the pipe's memory measured. Standard library only."""
import gzip
import hashlib
import os
import random
import subprocess
import threading
import zlib

from harness import ROOT, check, done

ZPIPE = os.path.join(ROOT, "build", "zpipe")
WBITS = {"raw": -15, "zlib": 15, "gzip": 31}
rng = random.Random(1234)


def zpipe(*args, data=b"", ok=True):
    """Runs zpipe over data; returns stdout (and checks the exit status)."""
    p = subprocess.run([ZPIPE, *args], input=data, capture_output=True, timeout=300)
    if ok and p.returncode != 0:
        raise AssertionError("zpipe %s failed: %s" % (" ".join(args), p.stderr.decode()))
    if not ok and p.returncode != 1:
        raise AssertionError("zpipe %s: status %d, expected 1: %s" % (" ".join(args), p.returncode, p.stderr.decode()))
    return p.stdout if ok else p


def text(n):
    words = ("the request handler returns a response with headers and a body while the loop "
             "waits for the next event on a socket tornado server client stream").split()
    out, size = [], 0
    while size < n:
        w = rng.choice(words) + rng.choice((" ", " ", " ", ", ", ".\n"))
        out.append(w)
        size += len(w)
    return "".join(out).encode()[:n]


def sources():
    """This repository's sources, one corpus entry per folder of src/ plus the header."""
    out = {"tornado.h": open(os.path.join(ROOT, "tornado.h"), "rb").read()}
    for floor in sorted(os.listdir(os.path.join(ROOT, "src"))):
        d = os.path.join(ROOT, "src", floor)
        if os.path.isdir(d):
            out["src/" + floor] = b"".join(open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d)))
    return out


def binary(n):
    import struct
    nums = b"".join(struct.pack("<IdH", i * 2654435761 % 2**32, i / 7.0, i % 1000) for i in range(n // 14))
    return (nums + open(ZPIPE, "rb").read())[:n]


CORPUS = {"empty": b"", "1 byte": b"x", "text": text(300000), "binary": binary(300000),
          "random": rng.randbytes(100000), "zeros": bytes(500000)}
CORPUS.update(sources())


def ours_to_python():
    for name, data in CORPUS.items():
        for fmt in ("raw", "zlib", "gzip"):
            for level in (-1, 1, 6, 9):
                c = zpipe("--format=" + fmt, "--level=%d" % level, data=data)
                back = gzip.decompress(c) if fmt == "gzip" else zlib.decompress(c, WBITS[fmt])
                assert back == data, (name, fmt, level)


def python_to_ours():
    strategies = (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_HUFFMAN_ONLY, zlib.Z_RLE, zlib.Z_FIXED)
    for name, data in CORPUS.items():
        for fmt in ("raw", "zlib", "gzip"):
            for level in range(10):
                strategy = strategies[level % len(strategies)]
                co = zlib.compressobj(level, zlib.DEFLATED, WBITS[fmt], 1 + level % 9, strategy)
                c = co.compress(data) + co.flush()
                assert zpipe("-d", "--format=" + fmt, data=c) == data, (name, fmt, level)
                if fmt != "raw":
                    assert zpipe("-d", "--format=auto", data=c) == data, (name, fmt, level)


def every_level_and_memory():
    data = CORPUS["text"][:60000] + CORPUS["binary"][:60000]
    for level in range(-1, 10):
        for mem in (1, 5, 9):
            c = zpipe("--format=zlib", "--level=%d" % level, "--mem-level=%d" % mem, data=data)
            assert zlib.decompress(c) == data, (level, mem)


def window_sizes():
    """Our small windows satisfy an inflater keeping only 2^w bytes, and
    Python's small-window streams decode with ours."""
    data = CORPUS["text"][:100000] + CORPUS["random"][:30000] * 2
    for w in range(8, 16):
        for level in (1, 6, 9):
            c = zpipe("--format=raw", "--window-bits=%d" % w, "--level=%d" % level, data=data)
            d = zlib.decompressobj(wbits=-w)
            assert d.decompress(c) + d.flush() == data, (w, level)
        for mem in (1, 8):
            co = zlib.compressobj(6, zlib.DEFLATED, -max(w, 9), mem)
            c = co.compress(data) + co.flush()
            assert zpipe("-d", "--format=raw", "--window-bits=%d" % max(w, 9), data=c) == data, (w, mem)
    # A zlib header asking for a larger window than ours keeps is refused.
    c = zlib.compress(data)
    p = zpipe("-d", "--format=zlib", "--window-bits=12", data=c, ok=False)
    assert b"invalid window size" in p.stderr, p.stderr


def tiny_buffers():
    data = CORPUS["text"][:20000]
    for chunk, out_chunk in ((1, 1), (1, 65536), (65536, 1), (7, 3)):
        for fmt in ("raw", "zlib", "gzip"):
            c = zpipe("--format=" + fmt, "--chunk=%d" % chunk, "--out-chunk=%d" % out_chunk, data=data)
            assert c == zpipe("--format=" + fmt, data=data), (chunk, out_chunk)  # the same stream
            co = zlib.compressobj(9, zlib.DEFLATED, WBITS[fmt])
            theirs = co.compress(data) + co.flush()
            back = zpipe("-d", "--format=" + fmt, "--chunk=%d" % chunk, "--out-chunk=%d" % out_chunk, data=theirs)
            assert back == data, (chunk, out_chunk, fmt)


def frames(segments):
    return b"".join(len(s).to_bytes(4, "big") + s for s in segments)


def unframe(b):
    out = []
    while b:
        n = int.from_bytes(b[:4], "big")
        out.append(b[4:4 + n])
        b = b[4 + n:]
    return out


def messages():
    base = CORPUS["text"]
    msgs = [base[i * 997 % 200000:][:rng.choice((0, 1, 5, 100, 3000, 70000))] for i in range(40)]
    return msgs


def sync_flush_messages():
    """permessage-deflate's shape both ways: every message sync-flushed
    decodes completely from its own bytes, with and without context takeover."""
    msgs = messages()
    for level in (1, 6):
        out = unframe(zpipe("--format=raw", "--level=%d" % level, "--framed", data=frames(msgs)))
        assert len(out) == len(msgs) + 1  # and the finish
        d = zlib.decompressobj(wbits=-15)
        for m, c in zip(msgs, out):
            assert c.endswith(b"\x00\x00\xff\xff"), c[-8:]
            assert d.decompress(c) == m
            # As on the wire: the last four bytes cut, then put back.
        assert d.decompress(out[-1]) == b"" and d.eof
    # Python's flushed messages into ours.
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    segs = [co.compress(m) + co.flush(zlib.Z_SYNC_FLUSH) for m in msgs]
    back = unframe(zpipe("-d", "--format=raw", "--framed", data=frames(segs)))
    assert back == msgs
    # No context takeover: a fresh compressor per message.
    segs = []
    for m in msgs:
        co = zlib.compressobj(6, zlib.DEFLATED, -15)
        segs.append(co.compress(m) + co.flush(zlib.Z_SYNC_FLUSH))
    assert unframe(zpipe("-d", "--format=raw", "--framed", data=frames(segs))) == msgs


def full_flush_messages():
    """After a full flush nothing refers back: each message decodes alone."""
    msgs = messages()
    out = unframe(zpipe("--format=raw", "--flush=full", "--framed", data=frames(msgs)))
    for m, c in zip(msgs, out):
        d = zlib.decompressobj(wbits=-15)
        assert d.decompress(c) == m
    data = CORPUS["text"][:100000]
    c = zpipe("--format=zlib", "--flush=sync", "--chunk=1000", data=data)
    assert c.count(b"\x00\x00\xff\xff") >= 100 and zlib.decompress(c) == data


def gzip_headers():
    data = CORPUS["text"][:5000]
    p = subprocess.run([ZPIPE, "-d", "--format=gzip", "--header"], input=gzip.compress(data, mtime=123456789),
                       capture_output=True, check=True)
    assert p.stdout == data and b"mtime=123456789 " in p.stderr, p.stderr
    import io
    buf = io.BytesIO()
    with gzip.GzipFile(filename="data.txt", mode="wb", fileobj=buf, mtime=42) as f:
        f.write(data)
    p = subprocess.run([ZPIPE, "-d", "--format=gzip", "--header"], input=buf.getvalue(), capture_output=True, check=True)
    assert p.stdout == data and b"mtime=42 " in p.stderr and b"name=data.txt" in p.stderr, p.stderr
    c = zpipe("--format=gzip", "--name=report.csv", "--mtime=1700000000", "--level=9", data=data)
    assert c[3] == 8 and c[10:21] == b"report.csv\0", c[:24]
    f = gzip.GzipFile(fileobj=io.BytesIO(c))
    assert f.read() == data and f.mtime == 1700000000


def gzip_members():
    a, b = CORPUS["text"][:10000], CORPUS["binary"][:10000]
    assert zpipe("-d", "--format=gzip", data=gzip.compress(a) + gzip.compress(b"") + gzip.compress(b)) == a + b
    ours = zpipe("--format=gzip", data=a) + zpipe("--format=gzip", data=b)
    assert gzip.decompress(ours) == a + b
    p = zpipe("-d", "--format=gzip", data=gzip.compress(a) + b"trailing", ok=False)
    assert b"incorrect header check" in p.stderr, p.stderr


def corrupt_streams():
    data = CORPUS["text"][:30000]
    for fmt in ("zlib", "gzip", "raw"):
        co = zlib.compressobj(6, zlib.DEFLATED, WBITS[fmt])
        c = co.compress(data) + co.flush()
        for _ in range(40):
            bad = bytearray(c)
            at = rng.randrange(len(bad))
            bad[at] ^= 1 << rng.randrange(8)
            p = subprocess.run([ZPIPE, "-d", "--format=" + fmt], input=bytes(bad), capture_output=True, timeout=60)
            # A raw stream has no check value: a flipped literal bit may decode to other bytes.
            if p.returncode == 0:
                assert fmt == "raw" and p.stdout != data, (fmt, at)
            else:
                assert p.returncode == 1 and b"inflate failed" in p.stderr, (fmt, at, p.returncode, p.stderr)
        for _ in range(20):
            cut = rng.randrange(len(c))
            p = zpipe("-d", "--format=" + fmt, data=c[:cut], ok=False)
            assert b"inflate failed" in p.stderr, p.stderr
        p = zpipe("-d", "--format=" + fmt, data=c + b"junk", ok=False)
        assert b"after the end" in p.stderr or b"header check" in p.stderr, p.stderr


def bomb():
    """50 MB of zeros in 50 KB: the output stops at the cap with an error."""
    co = zlib.compressobj(9)
    c = co.compress(bytes(50 << 20)) + co.flush()
    assert len(c) < 100000
    p = zpipe("-d", "--max-output=1000000", "--out-chunk=4096", data=c, ok=False)
    assert b"exceeds" in p.stderr and len(p.stdout) <= 1000000, (len(p.stdout), p.stderr)


def vm_hwm(pid):
    """The process's peak RSS in KiB (VmHWM), 0 once it is gone. Its own:
    wait4's ru_maxrss also counts the pages of the Python process that
    forked it, up to its exec."""
    try:
        with open("/proc/%d/status" % pid) as f:
            return next((int(l.split()[1]) for l in f if l.startswith("VmHWM:")), 0)
    except OSError:
        return 0


def stream_100mb(compress):
    """100 MB through one zpipe, produced and consumed as it goes; the
    pipe's peak memory shows it never held the data."""
    block = ((CORPUS["text"] + CORPUS["binary"] + CORPUS["random"]) * 2)[:1 << 20]
    count, total = 100, 0
    want, got = hashlib.sha256(), hashlib.sha256()
    args = ["--format=gzip", "--level=1"] if compress else ["-d", "--format=gzip"]
    proc = subprocess.Popen([ZPIPE, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def feed():
        co = zlib.compressobj(6, zlib.DEFLATED, 31)
        for i in range(count):
            chunk = i.to_bytes(4, "big") + block[4:]
            want.update(chunk)
            proc.stdin.write(chunk if compress else co.compress(chunk))
        if not compress:
            proc.stdin.write(co.flush())
        proc.stdin.close()

    t = threading.Thread(target=feed)
    t.start()
    d = zlib.decompressobj(31)
    peak = 0
    while True:
        b = proc.stdout.read(1 << 16)
        if not b:
            break
        peak = max(peak, vm_hwm(proc.pid))
        out = d.decompress(b) if compress else b
        got.update(out)
        total += len(out)
    t.join()
    status = proc.wait()
    assert status == 0, status
    assert total == count << 20 and got.digest() == want.digest(), total
    assert 0 < peak < 64 * 1024, peak  # KiB, with the sanitizers' own share


check("ours -> python zlib/gzip: corpus x framing x levels", ours_to_python)
check("python zlib/gzip -> ours: corpus x framing x levels 0-9 x strategies x memLevel", python_to_ours)
check("every level and memory level", every_level_and_memory)
check("window sizes 8..15 both ways; a larger zlib window refused", window_sizes)
check("1-byte and odd buffer sizes both ways (the same stream as one call)", tiny_buffers)
check("sync flush per message both ways, with and without context takeover", sync_flush_messages)
check("full flush: each message decodes alone", full_flush_messages)
check("gzip header fields (mtime, name) both ways", gzip_headers)
check("gzip members concatenated both ways; trailing garbage refused", gzip_members)
check("corrupt and truncated streams are refused, never a crash", corrupt_streams)
check("a decompression bomb stops at the output cap", bomb)
check("100 MB streamed through the compressor, memory bounded", lambda: stream_100mb(True))
check("100 MB streamed through the decompressor, memory bounded", lambda: stream_100mb(False))
done()
