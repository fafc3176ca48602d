// The DEFLATE codec: checksums, known streams from zlib, round trips at every
// level, window size and framing, streaming through 1-byte buffers, flushes,
// and every malformed shape the decoder must refuse (built bit by bit here).
#include "test.h"
#include <stdlib.h>
#if TN_ENABLE_DEFLATE  // the codec's own tests: nothing to test without it

// ---- helpers -------------------------------------------------------------------

#define MIN(a, b) ((a) < (b) ? (a) : (b))

static int hexval(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

static uint32_t rng_state = 12345;
static uint32_t rnd(void) {
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

// Kinds of test data: English-like words, structured binary, random bytes, zeros.
enum { TEXT, BINARY, RANDOM, ZEROS, NKINDS };

static uint8_t *make_data(int kind, size_t n, uint32_t seed) {
    static const char *words[] = {"the ",    "quick ", "brown ", "fox ",    "jumps ", "over ",
                                  "lazy ",   "dog ",   "tornado ", "request ", "handler ", "\n",
                                  "{\"id\": ", "42, ", "\"name\": ", "\"value\"}, "};
    uint8_t *p = (uint8_t *)malloc(n ? n : 1);
    rng_state = seed;
    for (size_t i = 0; i < n;) {
        if (kind == TEXT) {
            const char *w = words[rnd() % (sizeof words / sizeof words[0])];
            for (; *w && i < n; w++) p[i++] = (uint8_t)*w;
        } else if (kind == BINARY) {
            uint32_t v = (uint32_t)(i / 4) * 3 + (rnd() % 4 == 0 ? rnd() % 256 : 0);
            p[i] = (uint8_t)(v >> (8 * (i % 4)));
            i++;
        } else {
            p[i++] = kind == RANDOM ? (uint8_t)rnd() : 0;
        }
    }
    return p;
}

static int inflate_all(const void *in, size_t len, tn_buf *out, int format, int wbits) {
    tn_inflate_desc d = {format, wbits};
    return tn_inflate_buf(out, in, len, 1 << 26, &d);
}

// Compresses through tn_deflate_update with input and output in pieces of
// in_step and out_step bytes, `flush` after the last input.
static void deflate_stepped(const tn_deflate_desc *d, const uint8_t *p, size_t n, size_t in_step, size_t out_step,
                            tn_buf *out) {
    tn_deflate *z = tn_deflate_new(d);
    CHECK(z);
    size_t at = 0;
    int r;
    do {
        size_t in_len = MIN(in_step, n - at), room = out_step;
        int flush = at + in_len == n ? TN_DEFLATE_FINISH : TN_DEFLATE_NO_FLUSH;
        CHECK_OK(tn_buf_reserve(out, room));
        r = tn_deflate_update(z, p + at, &in_len, out->data + out->len, &room, flush);
        CHECK(r >= 0);
        CHECK(room <= out_step);
        at += in_len;
        out->len += room;
    } while (r != 1);
    CHECK_INT(at, n);
    tn_deflate_free(z);
}

static void inflate_stepped(const tn_inflate_desc *d, const uint8_t *p, size_t n, size_t in_step, size_t out_step,
                            tn_buf *out) {
    tn_inflate *z = tn_inflate_new(d);
    CHECK(z);
    size_t at = 0;
    int r;
    do {
        size_t in_len = MIN(in_step, n - at), room = out_step;
        CHECK_OK(tn_buf_reserve(out, room));
        r = tn_inflate_update(z, p + at, &in_len, out->data + out->len, &room);
        if (r < 0) tt_fail(__FILE__, __LINE__, "inflate: %s", tn_inflate_error(z));
        CHECK(room <= out_step);
        at += in_len;
        out->len += room;
    } while (r != 1 || at < n);  // a gzip stream may go on with another member
    CHECK_INT(at, n);
    tn_inflate_free(z);
}

// A bit writer for hand-made streams: values least significant bit first,
// Huffman codes most significant first (RFC 1951 3.1.1).
typedef struct bits {
    uint8_t buf[2048];
    size_t len;
    unsigned n;
} bits;

static void put(bits *w, unsigned v, unsigned n) {
    for (unsigned i = 0; i < n; i++) {
        if (v >> i & 1) w->buf[w->len] |= (uint8_t)(1u << w->n);
        if (++w->n == 8) w->n = 0, w->len++;
    }
}
static void put_code(bits *w, unsigned code, unsigned n) {
    while (n--) put(w, code >> n & 1, 1);
}
static void put_align(bits *w) {
    if (w->n) w->n = 0, w->len++;
}
static size_t bits_len(const bits *w) { return w->len + (w->n > 0); }

// Fixed-code symbols (RFC 1951 3.2.6).
static void put_fixed_lit(bits *w, unsigned sym) {
    if (sym < 144) put_code(w, 0x30 + sym, 8);
    else if (sym < 256) put_code(w, 0x190 + sym - 144, 9);
    else if (sym < 280) put_code(w, sym - 256, 7);
    else put_code(w, 0xc0 + sym - 280, 8);
}

// A dynamic block header whose precode gives symbols 0..15 a 4-bit code each
// (code = symbol), so each code length is written as is.
static void put_dynamic_header(bits *w, bool last, const uint8_t *lens, unsigned nlen, unsigned ndist) {
    put(w, last, 1);
    put(w, 2, 2);
    put(w, nlen - 257, 5);
    put(w, ndist - 1, 5);
    put(w, 15, 4);  // 19 precode lengths
    static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    for (int i = 0; i < 19; i++) put(w, order[i] < 16 ? 4 : 0, 3);
    for (unsigned i = 0; i < nlen + ndist; i++) put_code(w, lens[i], 4);
}

// Expects the stream to be refused with a message containing `why`: as it
// is (the decoder's one-symbol path) and followed by 32 zero bytes it never
// reaches (then its fast loop runs: it needs 16 bytes of input ahead).
#define CHECK_REFUSED(w, format, why) check_refused((w)->buf, bits_len(w), format, why, __LINE__)
static void check_refused_once(const uint8_t *p, size_t n, int format, const char *why, int line);
static void check_refused(const uint8_t *p, size_t n, int format, const char *why, int line) {
    uint8_t padded[2048 + 32] = {0};
    memcpy(padded, p, n);
    check_refused_once(p, n, format, why, line);
    check_refused_once(padded, n + 32, format, why, line);
}
static void check_refused_once(const uint8_t *p, size_t n, int format, const char *why, int line) {
    tn_inflate_desc d = {format, 0};
    tn_inflate *z = tn_inflate_new(&d);
    uint8_t out[4096];
    size_t in_len = n, out_len = sizeof out;
    int r = tn_inflate_update(z, p, &in_len, out, &out_len);
    if (r != TN_EPARSE || !tn_inflate_error(z) || !strstr(tn_inflate_error(z), why))
        tt_fail(__FILE__, line, "expected \"%s\", got %d (%s)", why, r,
                tn_inflate_error(z) ? tn_inflate_error(z) : "no error");
    // Errors are sticky.
    in_len = n, out_len = sizeof out;
    if (tn_inflate_update(z, p, &in_len, out, &out_len) != TN_EPARSE) tt_fail(__FILE__, line, "error not sticky");
    tn_inflate_free(z);
    tn_buf b = {0};
    if (tn_inflate_buf(&b, p, n, 1 << 20, &d) != TN_EPARSE || b.len) tt_fail(__FILE__, line, "tn_inflate_buf accepted it");
    tn_buf_free(&b);
}

static const char *inflate_error_of(const uint8_t *p, size_t n, int format) {
    static char msg[128];
    tn_inflate_desc d = {format, 0};
    tn_inflate *z = tn_inflate_new(&d);
    uint8_t out[1 << 16];
    size_t in_len = n, out_len = sizeof out;
    int r = tn_inflate_update(z, p, &in_len, out, &out_len);
    snprintf(msg, sizeof msg, "%d %s", r, tn_inflate_error(z) ? tn_inflate_error(z) : "");
    tn_inflate_free(z);
    return msg;
}

// ---- checksums ------------------------------------------------------------------

TEST(deflate_checksums_known_answers) {
    CHECK_INT(tn_crc32(0, "123456789", 9), 0xCBF43926u);
    CHECK_INT(tn_adler32(1, "123456789", 9), 0x091E01DEu);
    CHECK_INT(tn_crc32(0, "", 0), 0);
    CHECK_INT(tn_adler32(1, "", 0), 1);
    CHECK_INT(tn_crc32(0, "a", 1), 0xE8B7BE43u);
    CHECK_INT(tn_adler32(1, "a", 1), 0x00620062u);
}

// Against bitwise references, in pieces of every size, over lengths that
// cross the slicing and the 5552-byte Adler-32 blocks; 0xff bytes are the
// worst case for Adler-32's sums.
TEST(deflate_checksums_match_reference) {
    size_t n = 20000;
    uint8_t *p = make_data(RANDOM, n, 7);
    memset(p + 10000, 0xff, 10000);
    uint32_t crc = 0xffffffffu, a = 1, b = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = crc & 1 ? 0xEDB88320u ^ crc >> 1 : crc >> 1;
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
        if (i % 997 == 0 || i == n - 1) {
            CHECK_INT(tn_crc32(0, p, i + 1), ~crc);
            CHECK_INT(tn_adler32(1, p, i + 1), b << 16 | a);
        }
    }
    for (size_t step = 1; step < 40; step += 3) {
        uint32_t c = 0, d = 1;
        for (size_t at = 0; at < n; at += step) {
            c = tn_crc32(c, p + at, MIN(step, n - at));
            d = tn_adler32(d, p + at, MIN(step, n - at));
        }
        CHECK_INT(c, ~crc);
        CHECK_INT(d, b << 16 | a);
    }
    free(p);
}

// ---- known streams ----------------------------------------------------------------

static void zlib_fox_text(tn_buf *t) {
    for (int i = 0; i < 40; i++)
        tn_buf_appendf(t, "line %d: the quick brown fox jumps over the lazy dog\n", i * 7919 % 1000);
}

// A fixed and a dynamic block made by zlib (Python's zlib.compressobj(wbits=-15)).
TEST(deflate_inflates_zlib_streams) {
    static const uint8_t fixed[] = {0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
    static const char dyn_hex[] =
        "9dd2c90dc2401044d13b514c08ee9ea5a7c986c580c1d86c668b1e4106fc73e94b75787d37b4a19987dbae0de7a95b1dc2f2"
        "323e86b0199f613f1d4fd730dedbcb6fee17ef57588fdb59ff6d5c1c54355650593650152ba0ca9e49250954294650c5aca0"
        "52135089131bd2101b4a687822346a2134ac121ad6101a45098d9c088d54088d58090d754443880d89c4462634dc088dea84"
        "461542c322a15132a1918dd04895d0480da11195d0d0446c484136080d02c355d1bd3f617c00";
    uint8_t dyn[sizeof dyn_hex / 2];
    for (size_t i = 0; i < sizeof dyn; i++) dyn[i] = (uint8_t)(hexval(dyn_hex[2 * i]) << 4 | hexval(dyn_hex[2 * i + 1]));
    CHECK_INT((dyn[0] >> 1) & 3, 2);  // it is a dynamic block
    tn_buf out = {0}, want = {0};
    CHECK_OK(inflate_all(fixed, sizeof fixed, &out, TN_DEFLATE_RAW, 0));
    CHECK_MEM(out.data, out.len, "hello", 5);
    tn_buf_clear(&out);
    zlib_fox_text(&want);
    CHECK_OK(inflate_all(dyn, sizeof dyn, &out, TN_DEFLATE_RAW, 0));
    CHECK_MEM(out.data, out.len, want.data, want.len);
    tn_buf_free(&out);
    tn_buf_free(&want);
}

// Stored blocks, including an empty one and one split across the 65535 limit.
TEST(deflate_stored_blocks) {
    bits w = {{0}, 0, 0};
    put(&w, 0, 1), put(&w, 0, 2), put_align(&w);
    memcpy(w.buf + w.len, "\x05\x00\xfa\xffhello", 9), w.len += 9;
    put(&w, 0, 1), put(&w, 0, 2), put_align(&w);
    memcpy(w.buf + w.len, "\x00\x00\xff\xff", 4), w.len += 4;
    put(&w, 1, 1), put(&w, 1, 2);
    put_fixed_lit(&w, '!'), put_fixed_lit(&w, 256);
    tn_buf out = {0};
    CHECK_OK(inflate_all(w.buf, bits_len(&w), &out, TN_DEFLATE_RAW, 0));
    CHECK_MEM(out.data, out.len, "hello!", 6);
    tn_buf_free(&out);
}

// ---- round trips ------------------------------------------------------------------

static int first_block_type(const uint8_t *p, int format) {
    size_t at = format == TN_DEFLATE_ZLIB ? 2 : format == TN_DEFLATE_GZIP ? 10 : 0;
    return (p[at] >> 1) & 3;
}

// Every kind of data at every level and framing, decoded again; every block
// type shows up where it should.
TEST(deflate_round_trip_levels_and_formats) {
    static const size_t sizes[] = {0, 1, 2, 3, 100, 5000, 70000};
    for (int kind = 0; kind < NKINDS; kind++)
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            size_t n = sizes[si];
            uint8_t *p = make_data(kind, n, (uint32_t)(kind * 100 + si));
            for (int level = -1; level <= 9; level++)
                for (int format = TN_DEFLATE_ZLIB; format <= TN_DEFLATE_GZIP; format++) {
                    if (n >= 70000 && level != 6 && level != 1 && level != 9 && format != TN_DEFLATE_RAW) continue;
                    tn_deflate_desc d = {format, level, 0, 0, NULL, 0};
                    tn_buf c = {0}, back = {0};
                    CHECK_OK(tn_deflate_buf(&c, p, n, &d));
                    CHECK(c.len <= tn_deflate_bound(n) + 10);
                    CHECK_OK(inflate_all(c.data, c.len, &back, format, 0));
                    CHECK_MEM(back.data, back.len, p, n);
                    int type = first_block_type((uint8_t *)c.data, format);
                    if (level == TN_DEFLATE_STORE || (kind == RANDOM && n >= 100)) CHECK_INT(type, 0);
                    else if (kind == TEXT && n == 100) CHECK_INT(type, 1);
                    else if (kind == TEXT && n >= 5000) CHECK_INT(type, 2);
                    tn_buf_free(&c);
                    tn_buf_free(&back);
                }
            free(p);
        }
}

// Every window size and memory level: the deflater never reaches back
// further than 2^window_bits, so an inflater keeping only that much accepts
// its output; a stream made with a larger window is refused by it.
TEST(deflate_round_trip_window_sizes) {
    // Text, then random bytes with repeats at distances up to 32 KiB.
    size_t n = 44000;
    uint8_t *p = make_data(TEXT, n, 99), *r = make_data(RANDOM, 40000, 99);
    memcpy(p + 4000, r, 40000);
    free(r);
    for (size_t k = 1; k < 15; k++) memcpy(p + 8000 + 2048 * k + 1000, p + 8100, 300);
    memcpy(p + 40000, p + 40000 - 32500, 1000);
    for (int wbits = 8; wbits <= 15; wbits++)
        for (int mem = 1; mem <= 9; mem += 4)
            for (int level = 1; level <= 9; level += 4) {
                tn_deflate_desc d = {TN_DEFLATE_RAW, level, wbits, mem, NULL, 0};
                tn_buf c = {0}, back = {0};
                CHECK_OK(tn_deflate_buf(&c, p, n, &d));
                CHECK_OK(inflate_all(c.data, c.len, &back, TN_DEFLATE_RAW, wbits));
                CHECK_MEM(back.data, back.len, p, n);
                if (wbits < 15 && level == 9 && mem == 9) {
                    tn_buf c15 = {0};
                    tn_deflate_desc d15 = {TN_DEFLATE_RAW, 9, 15, 9, NULL, 0};
                    CHECK_OK(tn_deflate_buf(&c15, p, n, &d15));
                    tn_inflate_desc id = {TN_DEFLATE_RAW, wbits};
                    tn_buf_clear(&back);
                    CHECK_INT(tn_inflate_buf(&back, c15.data, c15.len, n, &id), TN_EPARSE);
                    tn_buf_free(&c15);
                }
                tn_buf_free(&c);
                tn_buf_free(&back);
            }
    free(p);
}

// 1-byte (and other small) input and output buffers give the same stream as
// one call, both ways.
TEST(deflate_streaming_tiny_buffers) {
    size_t n = 3000;
    uint8_t *p = make_data(TEXT, n, 5);
    for (int format = TN_DEFLATE_ZLIB; format <= TN_DEFLATE_GZIP; format++)
        for (int level = -1; level <= 9; level += 2) {
            tn_deflate_desc d = {format, level, 0, 0, "name", 0};
            tn_inflate_desc id = {format, 0};
            tn_buf whole = {0}, c = {0}, back = {0};
            CHECK_OK(tn_deflate_buf(&whole, p, n, &d));
            static const size_t steps[][2] = {{1, 1}, {1, 4096}, {4096, 1}, {7, 3}, {333, 17}};
            for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
                tn_buf_clear(&c);
                tn_buf_clear(&back);
                deflate_stepped(&d, p, n, steps[s][0], steps[s][1], &c);
                CHECK_MEM(c.data, c.len, whole.data, whole.len);
                inflate_stepped(&id, (uint8_t *)whole.data, whole.len, steps[s][0], steps[s][1], &back);
                CHECK_MEM(back.data, back.len, p, n);
            }
            tn_buf_free(&whole);
            tn_buf_free(&c);
            tn_buf_free(&back);
        }
    free(p);
}

// A large stream through a 1-byte-at-a-time inflater exercises the slow path
// for every symbol and matches that reach back into the window.
TEST(deflate_inflate_window_across_calls) {
    size_t n = 200000;
    uint8_t *p = make_data(TEXT, n, 11);
    tn_deflate_desc d = {TN_DEFLATE_GZIP, 9, 0, 0, NULL, 0};
    tn_inflate_desc id = {TN_DEFLATE_GZIP, 0};
    tn_buf c = {0}, back = {0};
    CHECK_OK(tn_deflate_buf(&c, p, n, &d));
    inflate_stepped(&id, (uint8_t *)c.data, c.len, 1 << 20, 1, &back);
    CHECK_MEM(back.data, back.len, p, n);
    tn_buf_clear(&back);
    inflate_stepped(&id, (uint8_t *)c.data, c.len, 5, 4000, &back);
    CHECK_MEM(back.data, back.len, p, n);
    // Calls that each write more than the window holds.
    tn_buf_clear(&back);
    inflate_stepped(&id, (uint8_t *)c.data, c.len, 20000, 50000, &back);
    CHECK_MEM(back.data, back.len, p, n);
    tn_buf_free(&c);
    tn_buf_free(&back);
    free(p);
}

// ---- flushes --------------------------------------------------------------------

// After each sync flush, everything given so far decodes from what was
// written so far, and the output ends with 00 00 FF FF; a full flush lets a
// fresh inflater start right there. A flush with no new input adds an empty
// stored block.
TEST(deflate_sync_and_full_flush) {
    size_t n = 30000;
    uint8_t *p = make_data(TEXT, n, 3);
    for (int level = -1; level <= 9; level++)
        for (int full = 0; full <= 1; full++) {
            tn_deflate_desc d = {TN_DEFLATE_RAW, level, 0, 0, NULL, 0};
            tn_deflate *z = tn_deflate_new(&d);
            tn_inflate *zi = tn_inflate_new(&(tn_inflate_desc){TN_DEFLATE_RAW, 0});
            uint8_t *c = (uint8_t *)malloc(2 * n + 1000), *out = (uint8_t *)malloc(n);
            size_t clen = 0, olen = 0, at = 0, last_flush = 0;
            int flush = full ? TN_DEFLATE_FULL_FLUSH : TN_DEFLATE_SYNC_FLUSH;
            for (int msg = 0; at < n; msg++) {
                size_t len = MIN(n - at, (size_t)(msg * 977 % 5000)), room = 2 * n + 1000 - clen;
                CHECK_INT(tn_deflate_update(z, p + at, &len, c + clen, &room, flush), 1);
                at += len;
                clen += room;
                CHECK(clen >= 4 && !memcmp(c + clen - 4, "\x00\x00\xff\xff", 4));
                room = 100;
                size_t none = 0;
                CHECK_INT(tn_deflate_update(z, NULL, &none, c + clen, &room, flush), 1);
                CHECK_MEM(c + clen, room, "\x00\x00\x00\xff\xff", 5);
                clen += room;
                size_t in_len = clen - last_flush, out_len = n - olen;
                CHECK_INT(tn_inflate_update(zi, c + last_flush, &in_len, out + olen, &out_len), 0);
                CHECK_INT(in_len, clen - last_flush);
                olen += out_len;
                CHECK_MEM(out, olen, p, at);
                if (full) {
                    // A new inflater from the last flush point on decodes this part alone.
                    tn_buf part = {0};
                    tn_inflate *fresh = tn_inflate_new(&(tn_inflate_desc){TN_DEFLATE_RAW, 0});
                    size_t il = clen - last_flush;
                    CHECK_OK(tn_buf_reserve(&part, n));
                    size_t ol = n;
                    CHECK_INT(tn_inflate_update(fresh, c + last_flush, &il, part.data, &ol), 0);
                    CHECK_MEM(part.data, ol, p + at - len, len);
                    tn_inflate_free(fresh);
                    tn_buf_free(&part);
                }
                last_flush = clen;
            }
            size_t none = 0, room = 2 * n + 1000 - clen;
            CHECK_INT(tn_deflate_update(z, NULL, &none, c + clen, &room, TN_DEFLATE_FINISH), 1);
            size_t in_len = room, out_len = n - olen;
            CHECK_INT(tn_inflate_update(zi, c + clen, &in_len, out + olen, &out_len), 1);
            CHECK_INT(out_len, 0);
            // After the finish: input is refused, no input is fine.
            size_t one = 1;
            room = 100;
            CHECK_INT(tn_deflate_update(z, "x", &one, c, &room, TN_DEFLATE_FINISH), TN_EINVAL);
            none = 0;
            CHECK_INT(tn_deflate_update(z, NULL, &none, c, &room, TN_DEFLATE_FINISH), 1);
            tn_deflate_free(z);
            tn_inflate_free(zi);
            free(c);
            free(out);
        }
    free(p);
}

// permessage-deflate's shape: each message sync-flushed, its 00 00 FF FF cut
// off and put back before inflating; with no context takeover both sides
// reset between messages.
TEST(deflate_message_shapes) {
    const char *msgs[] = {"Hello", "Hello", "Hello, Hello, Hello", "", "x"};
    size_t totals[2];
    for (int takeover = 0; takeover <= 1; takeover++) {
        tn_deflate *z = tn_deflate_new(&(tn_deflate_desc){TN_DEFLATE_RAW, 0, 9, 1, NULL, 0});
        tn_inflate *zi = tn_inflate_new(&(tn_inflate_desc){TN_DEFLATE_RAW, 9});
        size_t total = 0;
        for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
            uint8_t c[256], out[256];
            size_t len = strlen(msgs[i]), room = sizeof c;
            if (!takeover) tn_deflate_reset(z), tn_inflate_reset(zi, false);
            CHECK_INT(tn_deflate_update(z, msgs[i], &len, c, &room, TN_DEFLATE_SYNC_FLUSH), 1);
            CHECK(room >= 5 && !memcmp(c + room - 4, "\x00\x00\xff\xff", 4));
            room -= 4;
            if (!len) CHECK_MEM(c, room, "\x00", 1);  // RFC 7692 7.2.3.6
            total += room;
            memcpy(c + room, "\x00\x00\xff\xff", 4);
            size_t in_len = room + 4, out_len = sizeof out;
            CHECK_INT(tn_inflate_update(zi, c, &in_len, out, &out_len), 0);
            CHECK_INT(in_len, room + 4);
            CHECK_MEM(out, out_len, msgs[i], strlen(msgs[i]));
        }
        totals[takeover] = total;
        tn_deflate_free(z);
        tn_inflate_free(zi);
    }
    CHECK(totals[1] + 5 < totals[0]);  // context takeover makes the repeats cheaper
}

// A raw stream ended by a final block, then a next one that refers back into
// the first (permessage-deflate with context takeover after BFINAL).
TEST(deflate_inflate_keep_window) {
    bits w = {{0}, 0, 0};
    put(&w, 1, 1), put(&w, 1, 2);
    for (const char *s = "abcdef"; *s; s++) put_fixed_lit(&w, (uint8_t)*s);
    put_fixed_lit(&w, 256), put_align(&w);
    size_t first = bits_len(&w);
    put(&w, 1, 1), put(&w, 1, 2);
    put_fixed_lit(&w, 258), put_code(&w, 4, 5), put(&w, 1, 1);  // length 4, distance 5 + 1
    put_fixed_lit(&w, 256);
    for (int keep = 0; keep <= 1; keep++) {
        tn_inflate *z = tn_inflate_new(&(tn_inflate_desc){TN_DEFLATE_RAW, 0});
        uint8_t out[64];
        size_t in_len = first, out_len = sizeof out;
        CHECK_INT(tn_inflate_update(z, w.buf, &in_len, out, &out_len), 1);
        CHECK_MEM(out, out_len, "abcdef", 6);
        tn_inflate_reset(z, keep);
        in_len = bits_len(&w) - first, out_len = sizeof out;
        int r = tn_inflate_update(z, w.buf + first, &in_len, out, &out_len);
        if (keep) {
            CHECK_INT(r, 1);
            CHECK_MEM(out, out_len, "abcd", 4);
        } else {
            CHECK_INT(r, TN_EPARSE);
            CHECK_STR(tn_inflate_error(z), "invalid distance too far back");
        }
        tn_inflate_free(z);
    }
}

// ---- gzip -------------------------------------------------------------------------

TEST(deflate_gzip_header_fields) {
    tn_buf c = {0}, back = {0};
    tn_deflate_desc d = {TN_DEFLATE_GZIP, 9, 0, 0, "file.txt", 1700000000};
    CHECK_OK(tn_deflate_buf(&c, "abc", 3, &d));
    CHECK_MEM(c.data, 4, "\x1f\x8b\x08\x08", 4);
    CHECK_MEM(c.data + 10, 9, "file.txt", 9);
    tn_inflate *z = tn_inflate_new(&(tn_inflate_desc){TN_DEFLATE_GZIP, 0});
    uint8_t out[16];
    size_t in_len = c.len, out_len = sizeof out;
    CHECK_INT(tn_inflate_update(z, c.data, &in_len, out, &out_len), 1);
    const tn_gzip_header *h = tn_inflate_gzip_header(z);
    CHECK_INT(h->mtime, 1700000000);
    CHECK_INT(h->flags, 8);
    CHECK_INT(h->xfl, 2);
    CHECK_STR(h->name, "file.txt");
    tn_inflate_free(z);

    // FEXTRA, FNAME (longer than kept), FCOMMENT and FHCRC, by hand.
    bits w = {{0}, 0, 0};
    static const uint8_t head[10] = {0x1f, 0x8b, 8, 4 | 8 | 16 | 2, 1, 2, 3, 4, 0, 3};
    memcpy(w.buf, head, 10), w.len = 10;
    memcpy(w.buf + w.len, "\x03\x00xyz", 5), w.len += 5;
    memset(w.buf + w.len, 'n', 300), w.len += 300;
    w.buf[w.len++] = 0;
    memcpy(w.buf + w.len, "comment", 8), w.len += 8;
    uint32_t hcrc = tn_crc32(0, w.buf, w.len);
    w.buf[w.len++] = (uint8_t)hcrc, w.buf[w.len++] = (uint8_t)(hcrc >> 8);
    size_t body = w.len;
    put(&w, 1, 1), put(&w, 1, 2), put_fixed_lit(&w, 'Q'), put_fixed_lit(&w, 256), put_align(&w);
    uint32_t crc = tn_crc32(0, "Q", 1);
    for (int i = 0; i < 4; i++) w.buf[w.len++] = (uint8_t)(crc >> 8 * i);
    memcpy(w.buf + w.len, "\x01\x00\x00\x00", 4), w.len += 4;
    z = tn_inflate_new(&(tn_inflate_desc){TN_DEFLATE_GZIP, 0});
    in_len = w.len, out_len = sizeof out;
    CHECK_INT(tn_inflate_update(z, w.buf, &in_len, out, &out_len), 1);
    CHECK_MEM(out, out_len, "Q", 1);
    h = tn_inflate_gzip_header(z);
    CHECK_INT(h->mtime, 0x04030201);
    CHECK_INT(h->os, 3);
    CHECK_INT(strlen(h->name), TN_GZIP_NAME_MAX);
    tn_inflate_free(z);
    // A wrong header CRC.
    w.buf[body - 1] ^= 1;
    CHECK_REFUSED(&w, TN_DEFLATE_GZIP, "header crc mismatch");
    tn_buf_free(&c);
    tn_buf_free(&back);
}

// Concatenated members decode to the concatenated data; anything else after
// a member is refused.
TEST(deflate_gzip_members) {
    tn_buf c = {0}, back = {0};
    tn_deflate_desc d = {TN_DEFLATE_GZIP, 0, 0, 0, NULL, 0};
    CHECK_OK(tn_deflate_buf(&c, "first,", 6, &d));
    CHECK_OK(tn_deflate_buf(&c, "", 0, &d));
    CHECK_OK(tn_deflate_buf(&c, "second", 6, &d));
    CHECK_OK(inflate_all(c.data, c.len, &back, TN_DEFLATE_GZIP, 0));
    CHECK_MEM(back.data, back.len, "first,second", 12);
    tn_buf_clear(&back);
    CHECK_OK(inflate_all(c.data, c.len, &back, TN_DEFLATE_AUTO, 0));
    CHECK_MEM(back.data, back.len, "first,second", 12);
    tn_buf_clear(&back);
    inflate_stepped(&(tn_inflate_desc){TN_DEFLATE_GZIP, 0}, (uint8_t *)c.data, c.len, 1, 1, &back);
    CHECK_MEM(back.data, back.len, "first,second", 12);
    CHECK_OK(tn_buf_append(&c, "\0", 1));
    CHECK_STR(inflate_error_of((uint8_t *)c.data, c.len, TN_DEFLATE_GZIP), "-3 incorrect header check");
    tn_buf_free(&c);
    tn_buf_free(&back);
}

TEST(deflate_auto_format) {
    for (int format = TN_DEFLATE_ZLIB; format <= TN_DEFLATE_GZIP; format += 2) {
        tn_buf c = {0}, back = {0};
        tn_deflate_desc d = {format, 0, 0, 0, NULL, 0};
        CHECK_OK(tn_deflate_buf(&c, "auto", 4, &d));
        CHECK_OK(inflate_all(c.data, c.len, &back, TN_DEFLATE_AUTO, 0));
        CHECK_MEM(back.data, back.len, "auto", 4);
        tn_buf_free(&c);
        tn_buf_free(&back);
    }
}

// ---- limits and memory -------------------------------------------------------------

// A bomb (10 MB of zeros in a few KB) stops at the cap; the cap is exact.
TEST(deflate_output_cap) {
    size_t n = 10 << 20;
    uint8_t *p = make_data(ZEROS, n, 0);
    tn_buf c = {0}, back = {0};
    CHECK_OK(tn_deflate_buf(&c, p, n, &(tn_deflate_desc){TN_DEFLATE_ZLIB, 9, 0, 0, NULL, 0}));
    CHECK(c.len < n / 500);
    tn_inflate_desc d = {TN_DEFLATE_ZLIB, 0};
    CHECK_INT(tn_inflate_buf(&back, c.data, c.len, 1 << 20, &d), TN_EMSGSIZE);
    CHECK_INT(back.len, 0);
    CHECK(back.cap < (2 << 20) + 100);
    CHECK_INT(tn_inflate_buf(&back, c.data, c.len, n - 1, &d), TN_EMSGSIZE);
    CHECK_INT(tn_inflate_buf(&back, c.data, c.len, n, &d), 0);
    CHECK_INT(back.len, n);
    CHECK(!memcmp(back.data, p, n));
    // The streaming call never writes past the room it is given.
    tn_inflate *z = tn_inflate_new(&d);
    uint8_t guard[64];
    memset(guard, 0xAA, sizeof guard);
    size_t in_len = c.len, room = 10;
    CHECK_INT(tn_inflate_update(z, c.data, &in_len, guard, &room), 0);
    CHECK_INT(room, 10);
    for (size_t i = 10; i < sizeof guard; i++) CHECK_INT(guard[i], 0xAA);
    tn_inflate_free(z);
    tn_buf_free(&c);
    tn_buf_free(&back);
    free(p);
}

// tn_deflate_bound holds for the worst input at every setting.
TEST(deflate_bound_holds) {
    size_t n = 100000;
    uint8_t *p = make_data(RANDOM, n, 1);
    for (int level = -1; level <= 9; level += 1)
        for (int wbits = 8; wbits <= 15; wbits += 7)
            for (int mem = 1; mem <= 9; mem += 8) {
                tn_buf c = {0};
                tn_deflate_desc d = {TN_DEFLATE_RAW, level, wbits, mem, NULL, 0};
                CHECK_OK(tn_deflate_buf(&c, p, n, &d));
                CHECK(c.len <= tn_deflate_bound(n));
                CHECK(c.len <= n + n / (mem == 9 ? 100 : 20));  // stored blocks, hardly any expansion
                tn_buf_free(&c);
            }
    free(p);
}

// One allocation per deflater, one per inflater plus the window when a
// stream spans calls; the reported sizes match the documented ones.
TEST(deflate_memory) {
    tn_mem_stats before = tn_mem_get_stats();
    tn_deflate *z = tn_deflate_new(NULL);
    CHECK_INT(tn_mem_get_stats().allocs - before.allocs, 1);
    tn_deflate_free(z);
    size_t def = tn_deflate_memory(NULL);
    CHECK(def > 250000 && def < 268000);  // zlib's: 256 KiB + 6 KiB
    tn_deflate_desc small = {TN_DEFLATE_RAW, 0, 9, 1, NULL, 0};
    CHECK(tn_deflate_memory(&small) < 8 * 1024);
    tn_deflate_desc store = {TN_DEFLATE_RAW, TN_DEFLATE_STORE, 0, 0, NULL, 0};
    CHECK(tn_deflate_memory(&store) < 3 * 32768 + 1600);
    CHECK(tn_inflate_memory(NULL) > 32768 && tn_inflate_memory(NULL) < 41000);
    tn_inflate_desc i8 = {TN_DEFLATE_RAW, 8};
    CHECK(tn_inflate_memory(&i8) < 8000);
    before = tn_mem_get_stats();
    tn_buf c = {0}, back = {0};
    CHECK_OK(tn_deflate_buf(&c, "one shot", 8, NULL));
    CHECK_INT(tn_mem_get_stats().allocs - before.allocs, 2);  // the buffer and the deflater
    before = tn_mem_get_stats();
    CHECK_OK(tn_inflate_buf(&back, c.data, c.len, 100, NULL));
    CHECK_INT(tn_mem_get_stats().allocs - before.allocs, 2);  // the buffer and the inflater: no window
    tn_buf_free(&c);
    tn_buf_free(&back);
}

TEST(deflate_invalid_descs) {
    static const tn_deflate_desc bad[] = {
        {9, 0, 0, 0, NULL, 0}, {0, 10, 0, 0, NULL, 0}, {0, -2, 0, 0, NULL, 0}, {0, 0, 7, 0, NULL, 0},
        {0, 0, 16, 0, NULL, 0}, {0, 0, 0, 10, NULL, 0}, {TN_DEFLATE_AUTO, 0, 0, 0, NULL, 0}};
    tn_log_set_level(TN_LOG_NONE);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tn_buf b = {0};
        CHECK(!tn_deflate_new(&bad[i]));
        CHECK_INT(tn_deflate_buf(&b, "x", 1, &bad[i]), TN_EINVAL);
        CHECK_INT(tn_deflate_memory(&bad[i]), 0);
    }
    char name[1100];
    memset(name, 'a', sizeof name - 1), name[sizeof name - 1] = 0;
    CHECK(!tn_deflate_new(&(tn_deflate_desc){TN_DEFLATE_GZIP, 0, 0, 0, name, 0}));
    static const tn_inflate_desc ibad[] = {{5, 0}, {0, 7}, {0, 16}};
    for (size_t i = 0; i < sizeof ibad / sizeof ibad[0]; i++) {
        tn_buf b = {0};
        CHECK(!tn_inflate_new(&ibad[i]));
        CHECK_INT(tn_inflate_buf(&b, "x", 1, 10, &ibad[i]), TN_EINVAL);
    }
    tn_deflate *z = tn_deflate_new(NULL);
    size_t n = 0, room = 0;
    CHECK_INT(tn_deflate_update(z, NULL, &n, NULL, &room, 7), TN_EINVAL);
    tn_deflate_free(z);
    tn_log_set_level(TN_LOG_INFO);
}

// A reset deflater writes the same stream as a new one.
TEST(deflate_reset_repeats_streams) {
    uint8_t *p = make_data(TEXT, 10000, 8);
    tn_deflate_desc d = {TN_DEFLATE_GZIP, 6, 0, 0, "n", 5};
    tn_deflate *z = tn_deflate_new(&d);
    uint8_t a[12000], b[12000];
    size_t n = 10000, la = sizeof a, lb = sizeof b;
    CHECK_INT(tn_deflate_update(z, p, &n, a, &la, TN_DEFLATE_FINISH), 1);
    tn_deflate_reset(z);
    n = 10000;
    CHECK_INT(tn_deflate_update(z, p, &n, b, &lb, TN_DEFLATE_FINISH), 1);
    CHECK_MEM(a, la, b, lb);
    tn_deflate_free(z);
    free(p);
}

// ---- malformed streams ----------------------------------------------------------------

TEST(deflate_refuses_bad_blocks) {
    bits w = {{0}, 0, 0};
    put(&w, 1, 1), put(&w, 3, 2);
    CHECK_REFUSED(&w, TN_DEFLATE_RAW, "invalid block type");

    memset(&w, 0, sizeof w);
    put(&w, 1, 1), put(&w, 0, 2), put_align(&w);
    memcpy(w.buf + w.len, "\x05\x00\xfa\xfehello", 9), w.len += 9;
    CHECK_REFUSED(&w, TN_DEFLATE_RAW, "invalid stored block lengths");

    // Literal/length symbols 286 and 287 exist only in the fixed code.
    for (unsigned sym = 286; sym <= 287; sym++) {
        memset(&w, 0, sizeof w);
        put(&w, 1, 1), put(&w, 1, 2), put_fixed_lit(&w, 'a'), put_fixed_lit(&w, sym);
        CHECK_REFUSED(&w, TN_DEFLATE_RAW, "invalid literal/length code");
    }
    // Distance codes 30 and 31 likewise.
    for (unsigned code = 30; code <= 31; code++) {
        memset(&w, 0, sizeof w);
        put(&w, 1, 1), put(&w, 1, 2), put_fixed_lit(&w, 'a'), put_fixed_lit(&w, 257), put_code(&w, code, 5);
        put_fixed_lit(&w, 256);
        CHECK_REFUSED(&w, TN_DEFLATE_RAW, "invalid distance code");
    }
    // Distances past the start of the output.
    memset(&w, 0, sizeof w);
    put(&w, 1, 1), put(&w, 1, 2), put_fixed_lit(&w, 257), put_code(&w, 0, 5), put_fixed_lit(&w, 256);
    CHECK_REFUSED(&w, TN_DEFLATE_RAW, "invalid distance too far back");
    memset(&w, 0, sizeof w);
    put(&w, 1, 1), put(&w, 1, 2), put_fixed_lit(&w, 'a'), put_fixed_lit(&w, 257), put_code(&w, 1, 5);
    put_fixed_lit(&w, 256);
    CHECK_REFUSED(&w, TN_DEFLATE_RAW, "invalid distance too far back");
    // The longest length code with all its extra bits set is 258 (zlib accepts it too).
    memset(&w, 0, sizeof w);
    put(&w, 1, 1), put(&w, 1, 2), put_fixed_lit(&w, 'a'), put_fixed_lit(&w, 284), put(&w, 31, 5);
    put_code(&w, 0, 5), put_fixed_lit(&w, 256);
    tn_buf out = {0};
    CHECK_OK(inflate_all(w.buf, bits_len(&w), &out, TN_DEFLATE_RAW, 0));
    CHECK_INT(out.len, 259);
    tn_buf_free(&out);
}

TEST(deflate_refuses_bad_code_sets) {
    uint8_t lens[320];
    bits w;
#define DYN(nlen, ndist, why)                                     \
    do {                                                          \
        memset(&w, 0, sizeof w);                                  \
        put_dynamic_header(&w, true, lens, nlen, ndist);          \
        put_code(&w, 0, 8);                                       \
        CHECK_REFUSED(&w, TN_DEFLATE_RAW, why);                   \
    } while (0)
    // Over-subscribed litlen: three 1-bit codes.
    memset(lens, 0, sizeof lens);
    lens['a'] = lens['b'] = lens[256] = 1, lens[257] = 1;
    DYN(257, 1, "invalid literal/lengths set");
    // Incomplete litlen: two 2-bit codes.
    memset(lens, 0, sizeof lens);
    lens['a'] = lens[256] = 2, lens[257] = 1;
    DYN(257, 1, "invalid literal/lengths set");
    // Missing end-of-block.
    memset(lens, 0, sizeof lens);
    lens['a'] = lens['b'] = 1, lens[257] = 1;
    DYN(257, 1, "missing end-of-block");
    // Over-subscribed and incomplete distances.
    memset(lens, 0, sizeof lens);
    lens['a'] = lens[256] = 1, lens[257] = lens[258] = lens[259] = 1;
    DYN(257, 3, "invalid distances set");
    memset(lens, 0, sizeof lens);
    lens['a'] = lens[256] = 1, lens[257] = lens[258] = 2;
    DYN(257, 2, "invalid distances set");
    // Too many symbols: HLIT 287 (only the fixed code has 286, 287), HDIST 31.
    memset(lens, 0, sizeof lens);
    lens['a'] = lens[256] = 1;
    DYN(287, 1, "too many length or distance symbols");
    DYN(257, 31, "too many length or distance symbols");
#undef DYN

    // A single 1-bit code is allowed for both (zlib accepts both), and no
    // distance code at all when none is used.
    memset(lens, 0, sizeof lens);
    lens[256] = 1, lens[257] = 1;
    memset(&w, 0, sizeof w);
    put_dynamic_header(&w, true, lens, 257, 1);
    put_code(&w, 0, 1);  // end of block
    tn_buf out = {0};
    CHECK_OK(inflate_all(w.buf, bits_len(&w), &out, TN_DEFLATE_RAW, 0));
    CHECK_INT(out.len, 0);
    memset(lens, 0, sizeof lens);
    lens['z'] = lens[256] = 1;
    memset(&w, 0, sizeof w);
    put_dynamic_header(&w, true, lens, 257, 1);
    put_code(&w, 0, 1), put_code(&w, 0, 1), put_code(&w, 1, 1);  // z z end
    CHECK_OK(inflate_all(w.buf, bits_len(&w), &out, TN_DEFLATE_RAW, 0));
    CHECK_MEM(out.data, out.len, "zz", 2);
    // ... but a distance from an empty distance code is refused.
    memset(lens, 0, sizeof lens);
    lens['z'] = 1, lens[256] = lens[257] = 2;
    memset(&w, 0, sizeof w);
    put_dynamic_header(&w, true, lens, 258, 1);
    put_code(&w, 0, 1), put_code(&w, 3, 2), put_code(&w, 0, 1);  // z, length 3, a distance
    CHECK_REFUSED(&w, TN_DEFLATE_RAW, "invalid distance code");
    tn_buf_free(&out);
}

// Hand-made precodes: `plen` are the 19 lengths in symbol order.
static void put_precode(bits *w, unsigned nlen, unsigned ndist, const uint8_t *plen) {
    static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    put(w, 1, 1), put(w, 2, 2), put(w, nlen - 257, 5), put(w, ndist - 1, 5), put(w, 15, 4);
    for (int i = 0; i < 19; i++) put(w, plen[order[i]], 3);
}

TEST(deflate_refuses_bad_precodes) {
    uint8_t plen[19];
    bits w;
    memset(plen, 1, sizeof plen);  // over-subscribed
    memset(&w, 0, sizeof w);
    put_precode(&w, 257, 1, plen);
    CHECK_REFUSED(&w, TN_DEFLATE_RAW, "invalid code lengths set");
    memset(plen, 0, sizeof plen);  // incomplete
    plen[1] = plen[2] = 2;
    memset(&w, 0, sizeof w);
    put_precode(&w, 257, 1, plen);
    CHECK_REFUSED(&w, TN_DEFLATE_RAW, "invalid code lengths set");
    memset(plen, 0, sizeof plen);  // empty
    memset(&w, 0, sizeof w);
    put_precode(&w, 257, 1, plen);
    CHECK_REFUSED(&w, TN_DEFLATE_RAW, "invalid code lengths set");
    memset(plen, 0, sizeof plen);  // 0, 1, 16, 18 with 2-bit codes 00, 01, 10, 11
    plen[0] = plen[1] = plen[16] = plen[18] = 2;
    memset(&w, 0, sizeof w);
    put_precode(&w, 257, 1, plen);
    put_code(&w, 2, 2), put(&w, 0, 2);  // 16 first: nothing to repeat
    CHECK_REFUSED(&w, TN_DEFLATE_RAW, "invalid bit length repeat");
    memset(&w, 0, sizeof w);
    put_precode(&w, 257, 1, plen);
    put_code(&w, 3, 2), put(&w, 127, 7);  // 138 zeros
    put_code(&w, 3, 2), put(&w, 107, 7);  // 256
    put_code(&w, 1, 2);                   // 257: a 1
    put_code(&w, 2, 2), put(&w, 3, 2);    // 6 more: 263 > 258
    CHECK_REFUSED(&w, TN_DEFLATE_RAW, "invalid bit length repeat");
}

TEST(deflate_refuses_bad_headers_and_trailers) {
    tn_buf c = {0};
    CHECK_OK(tn_deflate_buf(&c, "payload", 7, &(tn_deflate_desc){TN_DEFLATE_ZLIB, 0, 0, 0, NULL, 0}));
    bits w;
#define MUTATED(src, at, value, format, why)              \
    do {                                                  \
        memset(&w, 0, sizeof w);                          \
        memcpy(w.buf, (src).data, (src).len);             \
        w.len = (src).len;                                \
        w.buf[at] = (uint8_t)(value);                     \
        CHECK_REFUSED(&w, format, why);                   \
    } while (0)
    MUTATED(c, 1, c.data[1] ^ 1, TN_DEFLATE_ZLIB, "incorrect header check");
    MUTATED(c, c.len - 1, c.data[c.len - 1] ^ 1, TN_DEFLATE_ZLIB, "incorrect data check");
    // A valid header with method 7, window 2^16, or a preset dictionary.
    static const uint8_t heads[][3] = {{0x77, 0x85, 0}, {0x88, 0x98, 0}, {0x78, 0xbb, 0}};
    static const char *whys[] = {"unknown compression method", "invalid window size", "preset dictionary"};
    for (int i = 0; i < 3; i++) {
        CHECK_INT((heads[i][0] << 8 | heads[i][1]) % 31, 0);
        memset(&w, 0, sizeof w);
        memcpy(w.buf, heads[i], 2), w.len = 2;
        CHECK_REFUSED(&w, TN_DEFLATE_ZLIB, whys[i]);
    }
    // A window larger than the inflater keeps.
    memset(&w, 0, sizeof w);
    memcpy(w.buf, c.data, c.len), w.len = c.len;
    tn_inflate_desc small = {TN_DEFLATE_ZLIB, 9};
    tn_buf out = {0};
    CHECK_INT(tn_inflate_buf(&out, w.buf, w.len, 100, &small), TN_EPARSE);
    tn_buf_clear(&c);
    CHECK_OK(tn_deflate_buf(&c, "payload", 7, &(tn_deflate_desc){TN_DEFLATE_GZIP, 0, 0, 0, NULL, 0}));
    MUTATED(c, 0, 0x1e, TN_DEFLATE_GZIP, "incorrect header check");
    MUTATED(c, 1, 0x8a, TN_DEFLATE_GZIP, "incorrect header check");
    MUTATED(c, 2, 7, TN_DEFLATE_GZIP, "unknown compression method");
    MUTATED(c, 3, 0x20, TN_DEFLATE_GZIP, "unknown header flags set");
    MUTATED(c, c.len - 8, c.data[c.len - 8] ^ 1, TN_DEFLATE_GZIP, "incorrect data check");
    MUTATED(c, c.len - 4, c.data[c.len - 4] ^ 1, TN_DEFLATE_GZIP, "incorrect length check");
#undef MUTATED
    // Bytes after the end.
    for (int format = TN_DEFLATE_ZLIB; format <= TN_DEFLATE_RAW; format++) {
        tn_buf_clear(&c);
        CHECK_OK(tn_deflate_buf(&c, "payload", 7, &(tn_deflate_desc){format, 0, 0, 0, NULL, 0}));
        CHECK_OK(tn_buf_append(&c, "garbage", 7));
        CHECK_INT(tn_inflate_buf(&out, c.data, c.len, 100, &(tn_inflate_desc){format, 0}), TN_EPARSE);
        // The streaming call stops at the end and leaves them.
        tn_inflate *z = tn_inflate_new(&(tn_inflate_desc){format, 0});
        uint8_t o[16];
        size_t in_len = c.len, out_len = sizeof o;
        CHECK_INT(tn_inflate_update(z, c.data, &in_len, o, &out_len), 1);
        CHECK_INT(in_len, c.len - 7);
        tn_inflate_free(z);
    }
    tn_buf_free(&c);
    tn_buf_free(&out);
}

// Every proper prefix of a valid stream is refused as truncated, and the
// streaming call never reports an end for it.
TEST(deflate_refuses_truncated_streams) {
    uint8_t *p = make_data(TEXT, 2000, 4), *r = make_data(RANDOM, 500, 4);
    memcpy(p + 1000, r, 500);
    free(r);
    for (int format = TN_DEFLATE_ZLIB; format <= TN_DEFLATE_GZIP; format++)
        for (int level = -1; level <= 9; level += 5) {
            tn_buf c = {0}, out = {0};
            CHECK_OK(tn_deflate_buf(&c, p, 2000, &(tn_deflate_desc){format, level, 0, 0, "nm", 0}));
            for (size_t k = 0; k < c.len; k++) {
                tn_inflate_desc d = {format, 0};
                CHECK_INT(tn_inflate_buf(&out, c.data, k, 10000, &d), TN_EPARSE);
                tn_inflate *z = tn_inflate_new(&d);
                uint8_t o[4000];
                size_t in_len = k, out_len = sizeof o;
                CHECK_INT(tn_inflate_update(z, c.data, &in_len, o, &out_len), 0);
                CHECK_INT(in_len, k);
                CHECK(out_len <= 2000 && !memcmp(o, p, out_len));
                tn_inflate_free(z);
            }
            tn_buf_free(&c);
            tn_buf_free(&out);
        }
    free(p);
}
#endif  // TN_ENABLE_DEFLATE
