// What the portability matrix (tests/run.sh matrix) must prove on every
// configuration: the backend built is the one asked for, and wire bytes do
// not follow the host's byte order or alignment. SHA, base64, close codes and
// signed values are pinned by their own known-answer tests.
#include "test.h"

TEST(portable_the_backend_is_the_one_configured) {
#if TN_BACKEND == TN_BACKEND_EPOLL
    CHECK_STR(tn_loop_backend(), "epoll");
#elif TN_BACKEND == TN_BACKEND_KQUEUE
    CHECK_STR(tn_loop_backend(), "kqueue");
#elif defined(_WIN32)  // the poll backend over WSAPoll
    CHECK_STR(tn_loop_backend(), "wsapoll");
#else
    CHECK_STR(tn_loop_backend(), "poll");
#endif
}

// Lengths whose bytes all differ: a swapped or half-swapped field shows.
TEST(portable_ws_lengths_are_big_endian_byte_by_byte) {
    static const uint8_t key[4] = {0xa1, 0xb2, 0xc3, 0xd4};
    static const struct { uint64_t len; int masked; const char *bytes; size_t n; } v[] = {
        {0x0102, 0, "\x82\x7e\x01\x02", 4},
        {0xfe7f, 1, "\x82\xfe\xfe\x7f\xa1\xb2\xc3\xd4", 8},
        {0x0102030405060708ull, 0, "\x82\x7f\x01\x02\x03\x04\x05\x06\x07\x08", 10},
        {0x7f6e5d4c3b2a1908ull, 1, "\x82\xff\x7f\x6e\x5d\x4c\x3b\x2a\x19\x08\xa1\xb2\xc3\xd4", 14},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[TN_WS_MAX_HEADER];
        int n = tn_ws_frame_write_header(out, 1, TN_WS_OP_BINARY, 0, v[i].masked, key, v[i].len);
        CHECK_MEM(out, (size_t)n, v[i].bytes, v[i].n);
        tn_ws_frame_header h;
        CHECK_INT(tn_ws_frame_parse(v[i].bytes, v[i].n, &h, NULL), (int)v[i].n);
        CHECK(h.payload_len == v[i].len);
        if (v[i].masked) CHECK_MEM(h.mask_key, 4, key, 4);
    }
}

// The word-at-a-time mask equals the byte-by-byte definition (RFC 6455 §5.3)
// at every address alignment and every stream offset.
TEST(portable_ws_mask_equals_the_bytewise_definition) {
    static const uint8_t key[4] = {0x01, 0x80, 0x7f, 0xfe};
    enum { N = 300 };
    static uint8_t src[N + 8], buf[N + 8], want[N];
    for (int i = 0; i < N + 8; i++) src[i] = (uint8_t)(i * 167 + 13);
    for (size_t align = 0; align < 8; align++) {
        for (uint64_t off = 0; off < 8; off++) {
            for (size_t n = 0; n < N; n = n < 20 ? n + 1 : n + 37) {
                for (size_t i = 0; i < n; i++) want[i] = (uint8_t)(src[i] ^ key[(off + i) % 4]);
                memcpy(buf + align, src, n);
                tn_ws_mask(buf + align, n, key, off);
                CHECK_MEM(buf + align, n, want, n);
            }
        }
    }
}
