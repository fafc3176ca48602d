// WebSocket frames: header round trips at every length boundary, every prefix
// incomplete, each rejection with its close code, masking in pieces, close
// payloads.
#include "test.h"

static const uint8_t KEY[4] = {0x37, 0xfa, 0x21, 0x3d};

// Parses `len` bytes, checking first that every shorter prefix is incomplete
// or already the same error (the parser fails as early as it can).
static int parse_all_prefixes(const char *buf, size_t len, tn_ws_frame_header *h, const tn_ws_parse_opts *o) {
    int whole = tn_ws_frame_parse(buf, len, h, o);
    int code = h->close_code;
    int failed_early = 0;
    for (size_t k = 0; k < len; k++) {
        tn_ws_frame_header p;
        int r = tn_ws_frame_parse(buf, k, &p, o);
        if (r == TN_EPARSE) {
            CHECK_INT(whole, TN_EPARSE);
            CHECK_INT(p.close_code, code);
            failed_early = 1;
        } else {
            CHECK(!failed_early);  // once wrong, longer input stays wrong
            CHECK_INT(r, TN_INCOMPLETE);
        }
    }
    return whole;
}

TEST(ws_header_round_trip_every_length_boundary) {
    static const uint64_t lens[] = {0, 1, 125, 126, 127, 65535, 65536, 65537,
                                    0xFFFFFFFFull, 0x100000000ull, 0x7FFFFFFFFFFFFFFFull};
    static const int ops[] = {TN_WS_OP_TEXT, TN_WS_OP_BINARY, TN_WS_OP_CONTINUATION};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (int m = 0; m < 2; m++) {
            for (size_t op = 0; op < 3; op++) {
                for (int fin = 0; fin < 2; fin++) {
                    char out[TN_WS_MAX_HEADER + 1];
                    int n = tn_ws_frame_write_header(out, fin, ops[op], false, m, KEY, lens[i]);
                    int want = (lens[i] < 126 ? 2 : lens[i] <= 0xFFFF ? 4 : 10) + (m ? 4 : 0);
                    CHECK_INT(n, want);
                    tn_ws_frame_header h;
                    CHECK_INT(parse_all_prefixes(out, (size_t)n, &h, NULL), n);
                    CHECK_INT(h.fin, fin);
                    CHECK_INT(h.opcode, ops[op]);
                    CHECK_INT(h.masked, m);
                    CHECK(!h.rsv1);
                    CHECK(h.payload_len == lens[i]);
                    if (m) CHECK_MEM(h.mask_key, 4, KEY, 4);
                    // Trailing payload bytes are not part of the header.
                    out[n] = 'x';
                    CHECK_INT(tn_ws_frame_parse(out, (size_t)n + 1, &h, NULL), n);
                }
            }
        }
    }
}

TEST(ws_header_exact_bytes) {
    static const struct { int fin, op, rsv1, masked; uint64_t len; const char *bytes; size_t n; } v[] = {
        {1, TN_WS_OP_TEXT, 0, 0, 5, "\x81\x05", 2},
        {1, TN_WS_OP_TEXT, 0, 1, 5, "\x81\x85\x37\xfa\x21\x3d", 6},
        {0, TN_WS_OP_TEXT, 0, 0, 3, "\x01\x03", 2},
        {1, TN_WS_OP_CONTINUATION, 0, 0, 2, "\x80\x02", 2},
        {1, TN_WS_OP_BINARY, 0, 0, 126, "\x82\x7e\x00\x7e", 4},
        {1, TN_WS_OP_BINARY, 0, 0, 65535, "\x82\x7e\xff\xff", 4},
        {1, TN_WS_OP_BINARY, 0, 0, 65536, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10},
        {1, TN_WS_OP_BINARY, 1, 0, 256, "\xc2\x7e\x01\x00", 4},
        {1, TN_WS_OP_PING, 0, 0, 125, "\x89\x7d", 2},
        {1, TN_WS_OP_PONG, 0, 1, 0, "\x8a\x80\x37\xfa\x21\x3d", 6},
        {1, TN_WS_OP_CLOSE, 0, 0, 2, "\x88\x02", 2},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[TN_WS_MAX_HEADER];
        int n = tn_ws_frame_write_header(out, v[i].fin, v[i].op, v[i].rsv1, v[i].masked, KEY, v[i].len);
        CHECK_MEM(out, (size_t)n, v[i].bytes, v[i].n);
    }
}

TEST(ws_header_writer_refuses_invalid_frames) {
    char out[TN_WS_MAX_HEADER];
    CHECK_INT(tn_ws_frame_write_header(out, true, 3, false, false, KEY, 0), TN_EINVAL);
    CHECK_INT(tn_ws_frame_write_header(out, true, 0xB, false, false, KEY, 0), TN_EINVAL);
    CHECK_INT(tn_ws_frame_write_header(out, true, 0x11, false, false, KEY, 0), TN_EINVAL);
    CHECK_INT(tn_ws_frame_write_header(out, true, -1, false, false, KEY, 0), TN_EINVAL);
    CHECK_INT(tn_ws_frame_write_header(out, false, TN_WS_OP_PING, false, false, KEY, 0), TN_EINVAL);
    CHECK_INT(tn_ws_frame_write_header(out, true, TN_WS_OP_CLOSE, true, false, KEY, 0), TN_EINVAL);
    CHECK_INT(tn_ws_frame_write_header(out, true, TN_WS_OP_PONG, false, false, KEY, 126), TN_EINVAL);
    CHECK_INT(tn_ws_frame_write_header(out, true, TN_WS_OP_BINARY, false, false, KEY, 1ull << 63), TN_EINVAL);
}

enum { ANY = TN_WS_MASK_ANY, REQ = TN_WS_MASK_REQUIRED, FORBID = TN_WS_MASK_FORBIDDEN };

TEST(ws_parse_rejections) {
#define R(bytes, mask, rsv1, maxp, code) {bytes, sizeof(bytes) - 1, mask, rsv1, maxp, code}
    static const struct { const char *b; size_t n; int mask, rsv1; uint64_t max; int code; } v[] = {
        // reserved bits without an extension, or where the extension forbids them
        R("\xc1\x00", ANY, 0, 0, 1002), R("\xa1\x00", ANY, 0, 0, 1002), R("\x91\x00", ANY, 0, 0, 1002),
        R("\xe1\x00", ANY, 1, 0, 1002), R("\xc9\x00", ANY, 1, 0, 1002), R("\x40\x00", ANY, 1, 0, 1002),
        R("\xc8\x00", ANY, 1, 0, 1002),
        // reserved opcodes
        R("\x83\x00", ANY, 0, 0, 1002), R("\x84\x00", ANY, 0, 0, 1002), R("\x85\x00", ANY, 0, 0, 1002),
        R("\x86\x00", ANY, 0, 0, 1002), R("\x87\x00", ANY, 0, 0, 1002), R("\x8b\x00", ANY, 0, 0, 1002),
        R("\x8c\x00", ANY, 0, 0, 1002), R("\x8d\x00", ANY, 0, 0, 1002), R("\x8e\x00", ANY, 0, 0, 1002),
        R("\x8f\x00", ANY, 0, 0, 1002), R("\x03\x00", ANY, 0, 0, 1002),
        // fragmented or long control frames
        R("\x08\x00", ANY, 0, 0, 1002), R("\x09\x00", ANY, 0, 0, 1002), R("\x0a\x00", ANY, 0, 0, 1002),
        R("\x89\x7e\x00\x7e", ANY, 0, 0, 1002), R("\x88\x7e\x00\xc8", ANY, 0, 0, 1002),
        R("\x8a\x7f\x00\x00\x00\x00\x00\x01\x00\x00", ANY, 0, 0, 1002),
        // 64-bit length with the top bit set, non-minimal lengths
        R("\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", ANY, 0, 0, 1002),
        R("\x82\x7f\xff\xff\xff\xff\xff\xff\xff\xff", ANY, 0, 0, 1002),
        R("\x82\x7e\x00\x7d", ANY, 0, 0, 1002), R("\x82\x7e\x00\x00", ANY, 0, 0, 1002),
        R("\x82\x7f\x00\x00\x00\x00\x00\x00\xff\xff", ANY, 0, 0, 1002),
        R("\x82\x7f\x00\x00\x00\x00\x00\x00\x00\x7d", ANY, 0, 0, 1002),
        // masking against the rule
        R("\x81\x80\x01\x02\x03\x04", FORBID, 0, 0, 1002), R("\x81\x00", REQ, 0, 0, 1002),
        R("\x82\xfe\x01\x00\x01\x02\x03\x04", FORBID, 0, 0, 1002), R("\x82\x7e\x01\x00", REQ, 0, 0, 1002),
        // too big
        R("\x82\x7e\x03\xe9", ANY, 0, 1000, 1009), R("\x82\x7f\x00\x00\x00\x01\x00\x00\x00\x00", ANY, 0, 1000, 1009),
        R("\x82\x7f\x7f\xff\xff\xff\xff\xff\xff\xff", ANY, 0, 0xFFFFFFFF, 1009), R("\x82\x7e\x00\x7e", ANY, 0, 125, 1009),
        R("\x81\x0b", ANY, 0, 10, 1009),
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        tn_ws_parse_opts o;
        memset(&o, 0, sizeof o);
        o.mask = (tn_ws_mask_rule)v[i].mask;
        o.allow_rsv1 = v[i].rsv1;
        o.max_payload = v[i].max;
        tn_ws_frame_header h;
        if (parse_all_prefixes(v[i].b, v[i].n, &h, &o) != TN_EPARSE || h.close_code != v[i].code)
            tt_fail(__FILE__, __LINE__, "case %zu: not rejected with %d (close_code %d)", i, v[i].code, h.close_code);
    }
    // Rejections that need only the first byte come at once.
    tn_ws_frame_header h;
    CHECK_INT(tn_ws_frame_parse("\x83", 1, &h, NULL), TN_EPARSE);
    CHECK_INT(h.close_code, 1002);
}

TEST(ws_parse_accepts_what_opts_allow) {
    tn_ws_parse_opts o;
    memset(&o, 0, sizeof o);
    tn_ws_frame_header h;
    // Tornado's default: masked and unmasked frames both accepted.
    CHECK_INT(tn_ws_frame_parse("\x81\x80\x01\x02\x03\x04", 6, &h, &o), 6);
    CHECK_INT(tn_ws_frame_parse("\x81\x00", 2, &h, &o), 2);
    o.mask = TN_WS_MASK_REQUIRED;
    CHECK_INT(tn_ws_frame_parse("\x81\x80\x01\x02\x03\x04", 6, &h, &o), 6);
    o.mask = TN_WS_MASK_FORBIDDEN;
    CHECK_INT(tn_ws_frame_parse("\x81\x00", 2, &h, &o), 2);
    // permessage-deflate: RSV1 on the first frame of a data message.
    o.allow_rsv1 = true;
    CHECK_INT(tn_ws_frame_parse("\xc1\x00", 2, &h, &o), 2);
    CHECK(h.rsv1);
    CHECK_INT(tn_ws_frame_parse("\x42\x00", 2, &h, &o), 2);
    CHECK(h.rsv1 && !h.fin && h.opcode == TN_WS_OP_BINARY);
    // Exactly at the size limit is fine.
    o.max_payload = 1000;
    CHECK_INT(tn_ws_frame_parse("\x82\x7e\x03\xe8", 4, &h, &o), 4);
    CHECK(h.payload_len == 1000);
    CHECK_INT(tn_ws_frame_parse("\x89\x7d", 2, &h, &o), 2);
    CHECK_INT(tn_ws_frame_parse("", 0, &h, &o), TN_INCOMPLETE);
}

// ---- masking ----------------------------------------------------------------

TEST(ws_mask_vectors) {
    static const struct { const char *key, *in, *out; size_t n; } v[] = {
        {"\x37\xfa\x21\x3d", "Hello", "\x7f\x9f\x4d\x51\x58", 5},  // RFC 6455 §5.7
        {"abcd", "", "", 0},
        {"abcd", "b", "\x03", 1},
        {"abcd", "54321", "TVPVP", 5},
        {"ZXCV", "98765432", "c`t`olpd", 8},
        {"\x00\x01\x02\x03", "\xff\xfb\xfd\xfc\xfe\xfa", "\xff\xfa\xff\xff\xfe\xfb", 6},
        {"\xff\xfb\xfd\xfc", "\x00\x01\x02\x03\x04\x05", "\xff\xfa\xff\xff\xfb\xfe", 6},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char buf[16];
        memcpy(buf, v[i].in, v[i].n);
        tn_ws_mask(buf, v[i].n, (const uint8_t *)v[i].key, 0);
        CHECK_MEM(buf, v[i].n, v[i].out, v[i].n);
        tn_ws_mask(buf, v[i].n, (const uint8_t *)v[i].key, 0);
        CHECK_MEM(buf, v[i].n, v[i].in, v[i].n);
    }
}

TEST(ws_mask_in_pieces_equals_one_shot) {
    enum { N = 1000 };
    static char src[N], whole[N], pieces[N];
    for (int i = 0; i < N; i++) src[i] = (char)(i * 31 + 7);
    memcpy(whole, src, N);
    tn_ws_mask(whole, N, KEY, 0);
    // Two pieces, cut at every point of the first 40 bytes and some far ones.
    for (size_t k = 0; k <= N; k = k < 40 ? k + 1 : k + 97) {
        memcpy(pieces, src, N);
        tn_ws_mask(pieces, k, KEY, 0);
        tn_ws_mask(pieces + k, N - k, KEY, k);
        CHECK_MEM(pieces, (size_t)N, whole, (size_t)N);
    }
    // Many odd-sized pieces, from unaligned addresses.
    static const size_t steps[] = {1, 3, 5, 7, 9, 13, 17, 31, 63, 127};
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        memcpy(pieces, src, N);
        for (size_t at = 0; at < N; at += steps[s]) {
            size_t n = steps[s] < N - at ? steps[s] : N - at;
            tn_ws_mask(pieces + at, n, KEY, at);
        }
        CHECK_MEM(pieces, (size_t)N, whole, (size_t)N);
    }
    // Offsets beyond 4 GiB only matter modulo 4.
    memcpy(pieces, src, N);
    tn_ws_mask(pieces, N, KEY, 0x100000000ull);
    CHECK_MEM(pieces, (size_t)N, whole, (size_t)N);
}

// ---- close frames ------------------------------------------------------------

TEST(ws_close_code_validity) {
    static const int valid[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
                                1012, 1013, 1014, 3000, 3999, 4000, 4999};
    static const int invalid[] = {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000,
                                  2999, 5000, 65535, -1000, 65536 + 1000};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) CHECK(tn_ws_close_code_valid(valid[i]));
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        if (tn_ws_close_code_valid(invalid[i])) tt_fail(__FILE__, __LINE__, "%d accepted", invalid[i]);
}

TEST(ws_close_parse) {
#define C(bytes, rc, code, reason) {bytes, sizeof(bytes) - 1, rc, code, reason}
    static const struct { const char *b; size_t n; int rc, code; const char *reason; } v[] = {
        C("", 0, 1005, ""),
        C("\x03\xe8", 0, 1000, ""),
        C("\x03\xe9" "bye", 0, 1001, "bye"),
        C("\x0b\xb8" "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 0, 3000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"),
        C("\x13\x87", 0, 4999, ""),
        C("\x03", TN_EPARSE, 1002, NULL),
        C("\x03\xed", TN_EPARSE, 1002, NULL),       // 1005 is never sent
        C("\x03\xee" "x", TN_EPARSE, 1002, NULL),   // 1006
        C("\x03\xf7", TN_EPARSE, 1002, NULL),       // 1015
        C("\x13\x88", TN_EPARSE, 1002, NULL),       // 5000
        C("\x00\x00", TN_EPARSE, 1002, NULL),
        C("\x03\xe8" "\xff", TN_EPARSE, 1007, NULL),
        C("\x03\xe8" "ok\xce", TN_EPARSE, 1007, NULL),
        C("\x03\xe8" "\xed\xa0\x80", TN_EPARSE, 1007, NULL),
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        tn_ws_close_info ci;
        int rc = tn_ws_close_parse(v[i].b, v[i].n, &ci);
        CHECK_INT(rc, v[i].rc);
        if (rc == 0) {
            CHECK_INT(ci.code, v[i].code);
            CHECK_MEM(ci.reason.ptr, ci.reason.len, v[i].reason, strlen(v[i].reason));
            CHECK_INT(ci.fail_code, 0);
        } else {
            CHECK_INT(ci.fail_code, v[i].code);
        }
    }
}

TEST(ws_close_payload_build) {
    char out[125];
    CHECK_INT(tn_ws_close_payload(out, 0, "ignored", 7), 0);
    int n = tn_ws_close_payload(out, 1000, "bye", 3);
    CHECK_MEM(out, (size_t)n, "\x03\xe8" "bye", 5);
    CHECK_INT(tn_ws_close_payload(out, 1005, "", 0), TN_EINVAL);
    CHECK_INT(tn_ws_close_payload(out, 1000, "\xff", 1), TN_EINVAL);
    // Long reasons are cut to 123 bytes at a character boundary.
    char reason[300];
    memset(reason, 'r', sizeof reason);
    CHECK_INT(tn_ws_close_payload(out, 4000, reason, sizeof reason), 125);
    static const struct { const char *prefix; size_t cut; } v[] = {
        {"", 122},                   // "é" x 150: byte 123 is a continuation byte
        {"x", 123},                  // "x" then "é" x 149: byte 123 starts a character
        {"x\xe2\x82\xac", 122},     // shifted by a 3-byte "€": cut before a "é"
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t p = strlen(v[i].prefix);
        memcpy(reason, v[i].prefix, p);
        for (size_t at = p; at + 2 <= sizeof reason; at += 2) memcpy(reason + at, "\xc3\xa9", 2);
        size_t len = p + (sizeof reason - p) / 2 * 2;
        n = tn_ws_close_payload(out, 4000, reason, len);
        CHECK_INT(n, 2 + (int)v[i].cut);
        CHECK(tn_utf8_valid(out + 2, (size_t)n - 2));
    }
    CHECK_INT(tn_ws_close_payload(out, 4000, reason + 2, 198), TN_EINVAL);  // starts mid-character
    CHECK_INT(tn_ws_close_payload(out, 4000, reason + 1, 199), 2 + 123);
    // A 3-byte "€" at every position around the limit of 123 bytes.
    for (size_t at = 118; at <= 124; at++) {
        memset(reason, 'a', sizeof reason);
        memcpy(reason + at, "\xe2\x82\xac", 3);
        n = tn_ws_close_payload(out, 1001, reason, 200);
        CHECK_INT(n, 2 + (at + 3 <= 123 || at >= 123 ? 123 : (int)at));
    }
    // What the builder writes, the parser accepts.
    tn_ws_close_info ci;
    CHECK_OK(tn_ws_close_parse(out, (size_t)n, &ci));
    CHECK_INT(ci.code, 1001);
    CHECK_INT(ci.reason.len, 123);
}
