// Fuzzing of the inflater alone. Input: byte 0 picks the format (bits 0-1),
// the window size (bits 2-4) and the piece sizes (bits 5-7); the rest is the
// stream. Checks: no crash or sanitizer report; no call writes past the room
// it is given; decoding in small pieces (the one-symbol slow path) gives the
// same verdict, the same output, the same bytes taken (unless refused) and
// the same error as one call over the whole buffers (the fast loop); output
// is capped.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdlib.h>

enum { CAP = 1 << 16, GUARD = 64 };

typedef struct result {
    int r;
    size_t taken, made;
    const char *error;
} result;

static uint8_t *out_one, *out_pieces;

static result decode(const tn_inflate_desc *d, const uint8_t *p, size_t n, uint8_t *out, unsigned seed) {
    result res = {0, 0, 0, NULL};
    tn_inflate *z = tn_inflate_new(d);
    if (!z) abort();
    for (;;) {
        size_t in_len = n - res.taken, room = CAP - res.made;
        if (seed) {
            seed = seed * 1103515245u + 12345u;
            in_len = in_len < (seed >> 8) % 7 + 1 ? in_len : (seed >> 8) % 7 + 1;
            room = room < (seed >> 16) % 300 + 1 ? room : (seed >> 16) % 300 + 1;
        }
        size_t given_in = in_len, given_room = room;
        memset(out + res.made + room, 0x5A, GUARD);
        res.r = tn_inflate_update(z, p + res.taken, &in_len, out + res.made, &room);
        if (in_len > given_in || room > given_room) abort();
        for (int i = 0; i < GUARD; i++)
            if (out[res.made + given_room + i] != 0x5A) abort();
        res.taken += in_len;
        res.made += room;
        // Stop at an error, or when nothing moves: more input or room is
        // needed, or the stream ended with bytes after it. A gzip stream
        // goes on after a member's end.
        if (!seed || res.r < 0 || (!in_len && !room)) break;
    }
    res.error = tn_inflate_error(z);
    tn_inflate_free(z);
    return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    if (!out_one) {
        out_one = (uint8_t *)malloc(CAP + GUARD);
        out_pieces = (uint8_t *)malloc(CAP + GUARD);
    }
    static const int formats[4] = {TN_DEFLATE_RAW, TN_DEFLATE_ZLIB, TN_DEFLATE_GZIP, TN_DEFLATE_AUTO};
    tn_inflate_desc d = {formats[data[0] & 3], 8 + (data[0] >> 2 & 7)};
    unsigned seed = data[0] >> 5 | 1u << 8;
    size_t n = size - 1;
    uint8_t *p = (uint8_t *)malloc(n ? n : 1);  // a heap copy: ASan sees any read past the end
    memcpy(p, data + 1, n);
    result a = decode(&d, p, n, out_one, 0), b = decode(&d, p, n, out_pieces, seed);
    if (a.r == TN_ENOMEM || b.r == TN_ENOMEM) abort();
    // Where one call stopped for want of room, the pieces went on: compare
    // only what both decoded.
    if (a.r != 0 || a.made < CAP) {
        if (a.r != b.r || a.made != b.made || (a.r >= 0 && a.taken != b.taken)) abort();
        if ((a.error == NULL) != (b.error == NULL) || (a.error && strcmp(a.error, b.error))) abort();
    }
    size_t common = a.made < b.made ? a.made : b.made;
    if (memcmp(out_one, out_pieces, common)) abort();
    // The one-shot call: the same verdict, and a cap is a hard stop.
    tn_buf buf = {0};
    int r = tn_inflate_buf(&buf, p, n, 1000, &d);
    if (r == 0 && (a.r != 1 || buf.len != a.made || memcmp(buf.data, out_one, buf.len))) abort();
    if (r == TN_EMSGSIZE && a.made <= 1000) abort();
    if (r != 0 && buf.len) abort();
    tn_buf_free(&buf);
    free(p);
    return 0;
}
