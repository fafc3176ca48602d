// Floor 1 codecs: base64, SHA-1, SHA-256, HMAC-SHA256, constant-time compare,
// the OS random source and the WebSocket accept key.
#include "test.h"

static const char *hex(const uint8_t *p, size_t n) {
    static char out[2 * 64 + 1];
    for (size_t i = 0; i < n && i < 64; i++) snprintf(out + 2 * i, 3, "%02x", p[i]);
    out[2 * (n < 64 ? n : 64)] = '\0';
    return out;
}

// Deterministic bytes covering all 256 values.
static void fill(uint8_t *p, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

// ---- base64 -----------------------------------------------------------------

TEST(base64_rfc4648_vectors) {
    static const struct { const char *in, *std, *nopad; } v[] = {
        {"", "", ""},           {"f", "Zg==", "Zg"},         {"fo", "Zm8=", "Zm8"},
        {"foo", "Zm9v", "Zm9v"}, {"foob", "Zm9vYg==", "Zm9vYg"}, {"fooba", "Zm9vYmE=", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[16];
        size_t n = strlen(v[i].in);
        CHECK_INT(tn_base64_encode(v[i].in, n, out, 0), strlen(v[i].std));
        CHECK_STR(out, v[i].std);
        CHECK_INT(tn_base64_encode(v[i].in, n, out, TN_BASE64_NOPAD), strlen(v[i].nopad));
        CHECK_STR(out, v[i].nopad);
        uint8_t dec[16];
        size_t dn = 99;
        CHECK_OK(tn_base64_decode(v[i].std, strlen(v[i].std), dec, &dn, 0));
        CHECK_MEM(dec, dn, v[i].in, n);
        CHECK_OK(tn_base64_decode(v[i].nopad, strlen(v[i].nopad), dec, &dn, TN_BASE64_NOPAD));
        CHECK_MEM(dec, dn, v[i].in, n);
        // NOPAD decoding still takes correctly padded input.
        CHECK_OK(tn_base64_decode(v[i].std, strlen(v[i].std), dec, &dn, TN_BASE64_NOPAD));
        CHECK_MEM(dec, dn, v[i].in, n);
    }
}

TEST(base64_url_alphabet) {
    static const uint8_t bytes[] = {0xfb, 0xff, 0xbf};
    char out[8];
    tn_base64_encode(bytes, 3, out, 0);
    CHECK_STR(out, "+/+/");
    tn_base64_encode(bytes, 3, out, TN_BASE64_URL);
    CHECK_STR(out, "-_-_");
    tn_base64_encode(bytes, 2, out, TN_BASE64_URL | TN_BASE64_NOPAD);
    CHECK_STR(out, "-_8");
    uint8_t dec[4];
    size_t n;
    CHECK_OK(tn_base64_decode("-_-_", 4, dec, &n, TN_BASE64_URL));
    CHECK_MEM(dec, n, bytes, 3);
    CHECK_INT(tn_base64_decode("-_-_", 4, dec, &n, 0), TN_EPARSE);
    CHECK_INT(tn_base64_decode("+/+/", 4, dec, &n, TN_BASE64_URL), TN_EPARSE);
}

TEST(base64_round_trip_every_length) {
    static const int flag_sets[] = {0, TN_BASE64_URL, TN_BASE64_NOPAD, TN_BASE64_URL | TN_BASE64_NOPAD};
    for (size_t len = 0; len <= 64; len++) {
        for (size_t f = 0; f < 4; f++) {
            int flags = flag_sets[f];
            uint8_t src[64], dec[64];
            char enc[100];
            fill(src, len, (uint32_t)(len * 7 + f));
            size_t elen = tn_base64_encode(src, len, enc, flags);
            CHECK_INT(elen, tn_base64_encoded_len(len, flags));
            CHECK_INT(enc[elen], '\0');
            CHECK(tn_base64_decoded_max(elen) >= len);
            size_t dlen = 999;
            CHECK_OK(tn_base64_decode(enc, elen, dec, &dlen, flags));
            CHECK_MEM(dec, dlen, src, len);
            // The tn_buf variants append after what is there.
            tn_buf b = {0};
            CHECK_OK(tn_buf_append_str(&b, "x"));
            CHECK_OK(tn_base64_encode_buf(&b, src, len, flags));
            CHECK_MEM(b.data + 1, b.len - 1, enc, elen);
            tn_buf d = {0};
            CHECK_OK(tn_base64_decode_buf(&d, b.data + 1, b.len - 1, flags));
            CHECK_MEM(d.data, d.len, src, len);
            tn_buf_free(&b);
            tn_buf_free(&d);
        }
    }
}

TEST(base64_rejects_malformed) {
    #define BAD(s, f) {s, sizeof(s) - 1, f}
    static const struct { const char *in; size_t len; int flags; } bad[] = {
        BAD("Zg=", 0),      BAD("Zg", 0),        BAD("Z", 0),         BAD("Z===", 0),      BAD("====", 0),
        BAD("=", 0),        BAD("Zh==", 0),      BAD("Zm9=", 0),      BAD("Zg==Zg==", 0),  BAD("Zg=A", 0),
        BAD("Zg===", 0),    BAD("Zm9v\n", 0),    BAD(" Zm9v", 0),     BAD("Zm9v ", 0),     BAD("Zm-v", 0),
        BAD("Zm_v", 0),     BAD("Zm9\x80", 0),   BAD("Zm\0v", 0),     BAD("Z=g=", 0),      BAD("Zm9vY", 0),
        BAD("Z", TN_BASE64_NOPAD),            BAD("Zg=", TN_BASE64_NOPAD),           BAD("Zh", TN_BASE64_NOPAD),
        BAD("Zm9", TN_BASE64_NOPAD),          BAD("Zm9vY", TN_BASE64_NOPAD),         BAD("Zg=A", TN_BASE64_NOPAD),
        BAD("Zm+v", TN_BASE64_URL),           BAD("Zm/v", TN_BASE64_URL),            BAD("Zm9", TN_BASE64_URL),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t dec[16];
        size_t n = 12345;
        if (tn_base64_decode(bad[i].in, bad[i].len, dec, &n, bad[i].flags) != TN_EPARSE)
            tt_fail(__FILE__, __LINE__, "\"%s\" (flags %d) decoded", bad[i].in, bad[i].flags);
        CHECK_INT(n, 12345);
    }
    // On error the tn_buf keeps what it held.
    tn_buf b = {0};
    CHECK_OK(tn_buf_append_str(&b, "keep"));
    CHECK_INT(tn_base64_decode_buf(&b, "Zh==", 4, 0), TN_EPARSE);
    CHECK_STR(b.data, "keep");
    tn_buf_free(&b);
}

// ---- SHA-1, SHA-256, HMAC ---------------------------------------------------

static const char abc448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

TEST(sha1_known_answers) {
    uint8_t d[TN_SHA1_SIZE];
    tn_sha1("", 0, d);
    CHECK_STR(hex(d, 20), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    tn_sha1("abc", 3, d);
    CHECK_STR(hex(d, 20), "a9993e364706816aba3e25717850c26c9cd0d89d");
    tn_sha1(abc448, strlen(abc448), d);
    CHECK_STR(hex(d, 20), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    // One million 'a', fed in odd-sized pieces.
    char a[1000];
    memset(a, 'a', sizeof a);
    tn_sha1_ctx c;
    tn_sha1_init(&c);
    for (size_t done = 0, step = 1; done < 1000000; done += step, step = step % 987 + 13)
        tn_sha1_update(&c, a, (step < 1000000 - done ? step : 1000000 - done));
    tn_sha1_final(&c, d);
    CHECK_STR(hex(d, 20), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(sha256_known_answers) {
    uint8_t d[TN_SHA256_SIZE];
    tn_sha256("", 0, d);
    CHECK_STR(hex(d, 32), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    tn_sha256("abc", 3, d);
    CHECK_STR(hex(d, 32), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    tn_sha256(abc448, strlen(abc448), d);
    CHECK_STR(hex(d, 32), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char a[1000];
    memset(a, 'a', sizeof a);
    tn_sha256_ctx c;
    tn_sha256_init(&c);
    for (size_t done = 0, step = 1; done < 1000000; done += step, step = step % 987 + 13)
        tn_sha256_update(&c, a, (step < 1000000 - done ? step : 1000000 - done));
    tn_sha256_final(&c, d);
    CHECK_STR(hex(d, 32), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Messages whose padding spills into a second block (55/56, 63/64/65, ...).
TEST(sha_padding_boundaries) {
    static const struct { size_t n; const char *sha1, *sha256; } v[] = {
        {55, "c1c8bbdc22796e28c0e15163d20899b65621d65a", "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "c2db330f6083854c99d4b5bfb6e8f29f201be699", "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5", "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "0098ba824b5c16427bd7a1122a5a442a25ec644d", "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "11655326c708d70319be2610e8a57d9a5b959d3b", "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56", "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "f34c1488385346a55709ba056ddd08280dd4c6d6", "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
    };
    char a[128];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t d[32];
        tn_sha1(a, v[i].n, d);
        CHECK_STR(hex(d, 20), v[i].sha1);
        tn_sha256(a, v[i].n, d);
        CHECK_STR(hex(d, 32), v[i].sha256);
    }
}

// Incremental hashing split at every point gives the one-shot digest.
TEST(sha_incremental_every_split) {
    uint8_t msg[200];
    fill(msg, sizeof msg, 42);
    uint8_t one1[20], one256[32];
    tn_sha1(msg, sizeof msg, one1);
    tn_sha256(msg, sizeof msg, one256);
    for (size_t k = 0; k <= sizeof msg; k++) {
        uint8_t d[32];
        tn_sha1_ctx c1;
        tn_sha1_init(&c1);
        tn_sha1_update(&c1, msg, k);
        tn_sha1_update(&c1, NULL, 0);
        tn_sha1_update(&c1, msg + k, sizeof msg - k);
        tn_sha1_final(&c1, d);
        CHECK_MEM(d, 20, one1, 20);
        tn_sha256_ctx c2;
        tn_sha256_init(&c2);
        tn_sha256_update(&c2, msg, k);
        tn_sha256_update(&c2, msg + k, sizeof msg - k);
        tn_sha256_final(&c2, d);
        CHECK_MEM(d, 32, one256, 32);
    }
}

TEST(hmac_sha256_rfc4231) {
    uint8_t k4[25], k131[131];
    for (int i = 0; i < 25; i++) k4[i] = (uint8_t)(i + 1);
    memset(k131, 0xaa, sizeof k131);
    uint8_t k1[20], k3[20], k5[20], d3[50], d4[50];
    memset(k1, 0x0b, 20);
    memset(k3, 0xaa, 20);
    memset(k5, 0x0c, 20);
    memset(d3, 0xdd, 50);
    memset(d4, 0xcd, 50);
    static const char m6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    static const char m7[] = "This is a test using a larger than block-size key and a larger than block-size "
                             "data. The key needs to be hashed before being used by the HMAC algorithm.";
    static const char m2[] = "what do ya want for nothing?";
    const struct { const void *key; size_t klen; const void *msg; size_t mlen; const char *mac; } v[] = {
        {k1, 20, "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"Jefe", 4, m2, strlen(m2), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {k3, 20, d3, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {k4, 25, d4, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        {k5, 20, "Test With Truncation", 20, "a3b6167473100ee06e0c796c2955552b"},  // 128-bit truncation
        {k131, 131, m6, strlen(m6), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {k131, 131, m7, strlen(m7), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t mac[32];
        tn_hmac_sha256(v[i].key, v[i].klen, v[i].msg, v[i].mlen, mac);
        CHECK_STR(hex(mac, strlen(v[i].mac) / 2), v[i].mac);
        // The same MAC from the incremental calls, the message in two pieces.
        tn_hmac_sha256_ctx c;
        uint8_t mac2[32];
        tn_hmac_sha256_init(&c, v[i].key, v[i].klen);
        tn_hmac_sha256_update(&c, v[i].msg, v[i].mlen / 3);
        tn_hmac_sha256_update(&c, (const char *)v[i].msg + v[i].mlen / 3, v[i].mlen - v[i].mlen / 3);
        tn_hmac_sha256_final(&c, mac2);
        CHECK_MEM(mac2, 32, mac, 32);
    }
    // A 64-byte key is used as it is; 65 bytes are hashed first.
    uint8_t mac[32], ref[32], hk[32];
    tn_hmac_sha256(k131, 65, "m", 1, mac);
    tn_sha256(k131, 65, hk);
    tn_hmac_sha256(hk, 32, "m", 1, ref);
    CHECK_MEM(mac, 32, ref, 32);
    tn_hmac_sha256(k131, 64, "m", 1, mac);
    CHECK(memcmp(mac, ref, 32) != 0);
}

TEST(memeq_consttime) {
    static const char a[] = "0123456789abcdef", b[] = "0123456789abcdeF", c[] = "X123456789abcdef";
    CHECK(tn_memeq_consttime(a, a, 16));
    CHECK(tn_memeq_consttime(a, "0123456789abcdef", 16));
    CHECK(!tn_memeq_consttime(a, b, 16));
    CHECK(!tn_memeq_consttime(a, c, 16));
    CHECK(tn_memeq_consttime(a, b, 15));
    CHECK(tn_memeq_consttime(a, c, 0));
}

// ---- random, WebSocket accept -----------------------------------------------

TEST(random_bytes) {
    uint8_t a[32] = {0}, b[32] = {0}, zero[32] = {0};
    CHECK_OK(tn_random_bytes(a, sizeof a));
    CHECK_OK(tn_random_bytes(b, sizeof b));
    CHECK(memcmp(a, b, 32) != 0);
    CHECK(memcmp(a, zero, 32) != 0);
    CHECK_OK(tn_random_bytes(NULL, 0));
    // A large request is filled to the end (getrandom may return it in parts).
    static uint8_t big[1 << 20];
    int counts[256] = {0};
    CHECK_OK(tn_random_bytes(big, sizeof big));
    for (size_t i = 0; i < sizeof big; i++) counts[big[i]]++;
    for (int v = 0; v < 256; v++) CHECK(counts[v] > 3000 && counts[v] < 5200);  // mean 4096
    CHECK(memcmp(big + sizeof big - 32, zero, 32) != 0);
}

TEST(ws_accept_key_rfc6455) {
    char out[TN_WS_ACCEPT_LEN + 1];
    memset(out, '#', sizeof out);
    tn_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, out);
    CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    CHECK_INT(strlen(out), TN_WS_ACCEPT_LEN);
}
