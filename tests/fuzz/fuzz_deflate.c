// Round-trip fuzzing of the deflater. Input: byte 0 the level (-1..9),
// byte 1 the window bits (8..15, bits 0-2), the framing (bits 3-4) and the
// memory level (bits 5-7); byte 2 seeds the piece sizes and the flushes; the
// rest is the data. Checks: inflating gives the data back at every level and
// window size (with an inflater that keeps only 2^window_bits bytes), zlib
// inflates it to the same bytes, the size stays within tn_deflate_bound plus
// the flush markers, and without flushes the pieces give the same stream as
// one call.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdlib.h>
#include <zlib.h>

static void zlib_check(int format, int wbits, const tn_buf *c, const uint8_t *p, size_t n) {
    z_stream s;
    memset(&s, 0, sizeof s);
    int zw = format == TN_DEFLATE_RAW ? -wbits : format == TN_DEFLATE_ZLIB ? wbits : 16 + (wbits < 9 ? 9 : wbits);
    if (inflateInit2(&s, zw) != Z_OK) abort();
    uint8_t *out = (uint8_t *)malloc(n + 1);
    s.next_in = (Bytef *)c->data;
    s.avail_in = (uInt)c->len;
    s.next_out = out;
    s.avail_out = (uInt)n + 1;
    if (inflate(&s, Z_FINISH) != Z_STREAM_END || s.total_out != n || s.avail_in || memcmp(out, p, n)) abort();
    inflateEnd(&s);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    static const int formats[4] = {TN_DEFLATE_RAW, TN_DEFLATE_ZLIB, TN_DEFLATE_GZIP, TN_DEFLATE_RAW};
    int level = data[0] % 11 - 1, wbits = 8 + (data[1] & 7), format = formats[data[1] >> 3 & 3];
    int mem = 1 + (data[1] >> 5) + (data[1] >> 7);
    unsigned seed = data[2];
    bool flushes = seed & 1;
    const uint8_t *p = data + 3;
    size_t n = size - 3, at = 0, markers = 0;
    tn_deflate_desc d = {format, level, wbits, mem, NULL, 0};
    tn_deflate *z = tn_deflate_new(&d);
    if (!z) abort();
    tn_buf c = {0}, whole = {0}, back = {0};
    int r;
    do {
        seed = seed * 1103515245u + 12345u;
        size_t in_len = (seed >> 8) % 500 + 1, room = (seed >> 18) % 200 + 1;
        in_len = in_len < n - at ? in_len : n - at;
        int flush = at + in_len == n ? TN_DEFLATE_FINISH
                    : flushes && seed >> 28 == 0 ? TN_DEFLATE_SYNC_FLUSH
                    : flushes && seed >> 28 == 1 ? TN_DEFLATE_FULL_FLUSH : TN_DEFLATE_NO_FLUSH;
        if (tn_buf_reserve(&c, room)) abort();
        r = tn_deflate_update(z, p + at, &in_len, c.data + c.len, &room, flush);
        if (r < 0) abort();
        at += in_len;
        c.len += room;
        markers += r == 1 && flush != TN_DEFLATE_FINISH;
    } while (r != 1 || at < n);
    tn_deflate_free(z);
    if (c.len > tn_deflate_bound(n) + 6 * markers) abort();
    tn_inflate_desc id = {format, wbits};
    if (tn_inflate_buf(&back, c.data, c.len, n, &id) || back.len != n || memcmp(back.data, p, n)) abort();
    zlib_check(format, wbits, &c, p, n);
    if (!flushes) {
        if (tn_deflate_buf(&whole, p, n, &d) || whole.len != c.len || memcmp(whole.data, c.data, c.len)) abort();
    }
    tn_buf_free(&c);
    tn_buf_free(&whole);
    tn_buf_free(&back);
    return 0;
}
