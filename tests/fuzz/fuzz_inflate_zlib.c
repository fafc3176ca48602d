// Differential fuzzing of the inflater against zlib (fuzz build only: the
// library never uses zlib). Input: byte 0 picks the framing (raw, zlib,
// gzip), the rest is the stream. Checks: both accept it or neither does;
// when both do, the same output and the same bytes taken; either way, what
// one produced is a prefix of what the other did.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdlib.h>
#include <zlib.h>

enum { CAP = 1 << 20 };
static uint8_t *ours, *theirs;

// zlib over the whole input; like ours, a gzip stream goes on into the next member.
static int zlib_decode(int format, const uint8_t *p, size_t n, size_t *made, size_t *taken) {
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, format == TN_DEFLATE_RAW ? -15 : format == TN_DEFLATE_ZLIB ? 15 : 31) != Z_OK) abort();
    s.next_in = (Bytef *)p;
    s.avail_in = (uInt)n;
    s.next_out = theirs;
    s.avail_out = CAP;
    int r;
    for (;;) {
        r = inflate(&s, Z_NO_FLUSH);
        if (r != Z_STREAM_END || format != TN_DEFLATE_GZIP || !s.avail_in) break;
        inflateReset(&s);
    }
    *made = CAP - s.avail_out;
    *taken = n - s.avail_in;
    inflateEnd(&s);
    return r == Z_STREAM_END;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    if (!ours) ours = (uint8_t *)malloc(CAP), theirs = (uint8_t *)malloc(CAP);
    static const int formats[3] = {TN_DEFLATE_RAW, TN_DEFLATE_ZLIB, TN_DEFLATE_GZIP};
    int format = formats[data[0] % 3];
    size_t n = size - 1, made = CAP, taken = n, zmade, ztaken;
    uint8_t *p = (uint8_t *)malloc(n ? n : 1);
    memcpy(p, data + 1, n);
    tn_inflate_desc d = {format, 15};
    tn_inflate *z = tn_inflate_new(&d);
    int r = tn_inflate_update(z, p, &taken, ours, &made);
    int zok = zlib_decode(format, p, n, &zmade, &ztaken);
    if (made < CAP && zmade < CAP) {  // neither stopped for want of room
        if ((r == 1) != zok) abort();
        if (zok && (made != zmade || taken != ztaken)) abort();
    }
    if (memcmp(ours, theirs, made < zmade ? made : zmade)) abort();
    tn_inflate_free(z);
    free(p);
    return 0;
}
