// Compresses (or with -d decompresses) stdin to stdout with tornado.h's
// codec, streaming through fixed buffers, so memory stays the same for any
// length. tests/integration/test_deflate.py drives it against Python's zlib.
//   zpipe [-d] [--format=zlib|raw|gzip|auto] [--level=N] [--window-bits=N]
//         [--mem-level=N] [--name=S] [--mtime=N] [--chunk=N] [--out-chunk=N]
//         [--flush=sync|full] [--framed] [--max-output=N] [--header]
// --flush: a flush after every --chunk input bytes. --framed: input and
// output go in segments, each after a 4-byte big-endian length; compressing,
// each input segment is flushed (sync unless --flush=full) and its output is
// one segment; decompressing, each segment's output is one segment.
// --max-output: decompressing, fail once the output passes N bytes.
// --header: decompressing gzip, print the last member's header to stderr.
// Exit status 0, or 1 with the reason on stderr.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdio.h>
#include <stdlib.h>

static struct {
    bool decompress, framed, header;
    int flush;
    size_t chunk, out_chunk;
    unsigned long long max_output;
    tn_deflate_desc d;
    tn_inflate_desc i;
} opt = {false, false, false, TN_DEFLATE_NO_FLUSH, 65536, 65536, 0, {0, 0, 0, 0, NULL, 0}, {0, 0}};

static void fail(const char *what, const char *why) {
    fprintf(stderr, "zpipe: %s%s%s\n", what, why ? ": " : "", why ? why : "");
    exit(1);
}

static void put(const void *p, size_t n) {
    if (n && fwrite(p, 1, n, stdout) != n) fail("write failed", NULL);
}

// Reads up to n bytes (less only at the end of the input).
static size_t get(void *p, size_t n) {
    size_t got = 0, k;
    while (got < n && (k = fread((char *)p + got, 1, n - got, stdin)) > 0) got += k;
    if (ferror(stdin)) fail("read failed", NULL);
    return got;
}

// The length of the next framed segment; false at the end of the input.
static bool get_frame(size_t *len) {
    uint8_t h[4];
    size_t k = get(h, 4);
    if (!k) return false;
    if (k < 4) fail("a truncated frame header", NULL);
    *len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
    return true;
}

static void put_frame(const tn_buf *b) {
    uint8_t h[4] = {(uint8_t)(b->len >> 24), (uint8_t)(b->len >> 16), (uint8_t)(b->len >> 8), (uint8_t)b->len};
    put(h, 4);
    put(b->data, b->len);
}

// Feeds n bytes to the codec, writing (or, framed, collecting) what comes out.
// Returns the codec's last result.
static int feed(tn_deflate *zd, tn_inflate *zi, const uint8_t *in, size_t n, int flush, uint8_t *out,
                tn_buf *frame, unsigned long long *total) {
    int r;
    size_t room;
    do {
        size_t in_len = n;
        room = opt.out_chunk;
        r = zd ? tn_deflate_update(zd, in, &in_len, out, &room, flush) : tn_inflate_update(zi, in, &in_len, out, &room);
        if (r < 0) fail(zd ? "deflate failed" : "inflate failed", zi ? tn_inflate_error(zi) : tn_strerror(r));
        if ((*total += room) > opt.max_output && opt.max_output) fail("output exceeds --max-output", NULL);
        if (frame) {
            if (tn_buf_append(frame, out, room)) fail("out of memory", NULL);
        } else {
            put(out, room);
        }
        in += in_len;
        n -= in_len;
        // Compressing: until the flush is complete. Decompressing: until the
        // input is used up and the output is no longer full (or the end).
        if (zi && r == 1 && n && !in_len && !room) fail("bytes after the end of the stream", NULL);
    } while (zd ? (r != 1 && (n || flush != TN_DEFLATE_NO_FLUSH)) : (n || room == opt.out_chunk));
    return r;
}

static int run(void) {
    tn_deflate *zd = NULL;
    tn_inflate *zi = NULL;
    if (opt.decompress ? !(zi = tn_inflate_new(&opt.i)) : !(zd = tn_deflate_new(&opt.d))) fail("bad options", NULL);
    uint8_t *in = (uint8_t *)malloc(opt.chunk), *out = (uint8_t *)malloc(opt.out_chunk);
    tn_buf frame = {0}, seg = {0};
    unsigned long long total = 0;
    int r = 0;
    if (!in || !out) fail("out of memory", NULL);
    for (;;) {
        size_t n;
        if (opt.framed) {
            if (!get_frame(&n)) break;
            if (tn_buf_reserve(&seg, n)) fail("out of memory", NULL);
            if (get(seg.data, n) < n) fail("a truncated frame", NULL);
            int flush = opt.flush == TN_DEFLATE_NO_FLUSH ? TN_DEFLATE_SYNC_FLUSH : opt.flush;
            tn_buf_clear(&frame);
            r = feed(zd, zi, (uint8_t *)seg.data, n, flush, out, &frame, &total);
            put_frame(&frame);
            fflush(stdout);
            continue;
        }
        if (!(n = get(in, opt.chunk))) break;
        r = feed(zd, zi, in, n, n < opt.chunk ? TN_DEFLATE_NO_FLUSH : opt.flush, out, NULL, &total);
    }
    if (zd) {
        if (opt.framed) {
            tn_buf_clear(&frame);
            feed(zd, NULL, in, 0, TN_DEFLATE_FINISH, out, &frame, &total);
            put_frame(&frame);
        } else {
            feed(zd, NULL, in, 0, TN_DEFLATE_FINISH, out, NULL, &total);
        }
    } else if (r != 1 && !opt.framed) {  // framed: a stream of flushed messages
        fail("inflate failed", "truncated stream");
    }
    if (zi && opt.header) {
        const tn_gzip_header *h = tn_inflate_gzip_header(zi);
        fprintf(stderr, "mtime=%u os=%u xfl=%u flags=%u name=%s\n", h->mtime, h->os, h->xfl, h->flags, h->name);
    }
    fflush(stdout);
    tn_deflate_free(zd);
    tn_inflate_free(zi);
    tn_buf_free(&frame);
    tn_buf_free(&seg);
    free(in);
    free(out);
    return 0;
}

static int format_of(const char *s) {
    return !strcmp(s, "raw") ? TN_DEFLATE_RAW : !strcmp(s, "gzip") ? TN_DEFLATE_GZIP
           : !strcmp(s, "auto") ? TN_DEFLATE_AUTO : TN_DEFLATE_ZLIB;
}

int main(int argc, char **argv) {
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k], *v = strchr(a, '=');
        v = v ? v + 1 : "";
        if (!strcmp(a, "--help")) {
            printf("usage: zpipe [-d] [--format=zlib|raw|gzip|auto] [--level=N] [--window-bits=N] [--mem-level=N]\n"
                   "             [--name=S] [--mtime=N] [--chunk=N] [--out-chunk=N] [--flush=sync|full]\n"
                   "             [--framed] [--max-output=N] [--header]  (stdin to stdout)\n");
            return 0;
        }
        if (!strcmp(a, "-d")) opt.decompress = true;
        else if (!strcmp(a, "--framed")) opt.framed = true;
        else if (!strcmp(a, "--header")) opt.header = true;
        else if (!strncmp(a, "--format=", 9)) opt.d.format = opt.i.format = format_of(v);
        else if (!strncmp(a, "--level=", 8)) opt.d.level = atoi(v);
        else if (!strncmp(a, "--window-bits=", 14)) opt.d.window_bits = opt.i.window_bits = atoi(v);
        else if (!strncmp(a, "--mem-level=", 12)) opt.d.mem_level = atoi(v);
        else if (!strncmp(a, "--name=", 7)) opt.d.gzip_name = v;
        else if (!strncmp(a, "--mtime=", 8)) opt.d.gzip_mtime = (uint32_t)strtoul(v, NULL, 10);
        else if (!strncmp(a, "--chunk=", 8)) opt.chunk = (size_t)strtoul(v, NULL, 10);
        else if (!strncmp(a, "--out-chunk=", 12)) opt.out_chunk = (size_t)strtoul(v, NULL, 10);
        else if (!strncmp(a, "--max-output=", 13)) opt.max_output = strtoull(v, NULL, 10);
        else if (!strncmp(a, "--flush=", 8)) opt.flush = !strcmp(v, "full") ? TN_DEFLATE_FULL_FLUSH : TN_DEFLATE_SYNC_FLUSH;
        else fail("unknown option", a);
    }
    if (!opt.chunk || !opt.out_chunk) fail("--chunk and --out-chunk must be positive", NULL);
    return run();
}
