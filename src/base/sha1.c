// >>sha1 implementation
#include "base/internal.h"
#include "base/sha1.h"
#include "base/sha1_internal.h"

#include <string.h>

TN__INTERNAL uint32_t tn__load_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

TN__PRIVATE void tn__store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

TN__PRIVATE uint32_t tn__rol32(uint32_t v, int n) { return v << n | v >> (32 - n); }

// ---- the Merkle-Damgard framing, shared with SHA-256

TN__INTERNAL void tn__md_update(uint32_t *state, uint8_t *block, uint64_t *count, const void *data,
                                size_t len, tn__md_compress compress) {
    const uint8_t *p = TN__CAST(const uint8_t *, data);
    size_t used = (size_t)(*count % 64);
    *count += len;
    if (!len) return;
    if (used) {
        size_t n = TN__MIN(64 - used, len);
        memcpy(block + used, p, n);
        p += n;
        len -= n;
        if (used + n < 64) return;
        compress(state, block);
    }
    for (; len >= 64; p += 64, len -= 64) compress(state, p);
    if (len) memcpy(block, p, len);
}

TN__INTERNAL void tn__md_final(uint32_t *state, uint8_t *block, uint64_t count,
                               tn__md_compress compress, uint8_t *out, int words) {
    size_t used = (size_t)(count % 64);
    block[used++] = 0x80;
    if (used > 56) {
        memset(block + used, 0, 64 - used);
        compress(state, block);
        used = 0;
    }
    memset(block + used, 0, 56 - used);
    tn__store_be32(block + 56, (uint32_t)(count >> 29));
    tn__store_be32(block + 60, (uint32_t)(count << 3));
    compress(state, block);
    for (int i = 0; i < words; i++) tn__store_be32(out + 4 * i, state[i]);
}

TN__PRIVATE void tn__sha1_compress(uint32_t *s, const uint8_t *block) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++) w[i] = tn__load_be32(block + 4 * i);
    for (int i = 16; i < 80; i++) w[i] = tn__rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4];
    // One loop per round function, so no round branches on its index.
#define TN__SHA1_STEP(f, k)                                      \
    do {                                                         \
        uint32_t t = tn__rol32(a, 5) + (f) + e + (k) + w[i];     \
        e = d;                                                   \
        d = c;                                                   \
        c = tn__rol32(b, 30);                                    \
        b = a;                                                   \
        a = t;                                                   \
    } while (0)
    int i = 0;
    for (; i < 20; i++) TN__SHA1_STEP((b & c) | (~b & d), 0x5A827999u);
    for (; i < 40; i++) TN__SHA1_STEP(b ^ c ^ d, 0x6ED9EBA1u);
    for (; i < 60; i++) TN__SHA1_STEP((b & c) | (b & d) | (c & d), 0x8F1BBCDCu);
    for (; i < 80; i++) TN__SHA1_STEP(b ^ c ^ d, 0xCA62C1D6u);
#undef TN__SHA1_STEP
    s[0] += a;
    s[1] += b;
    s[2] += c;
    s[3] += d;
    s[4] += e;
}

TN_API void tn_sha1_init(tn_sha1_ctx *c) {
    static const uint32_t iv[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    memcpy(c->state, iv, sizeof iv);
    c->count = 0;
}

TN_API void tn_sha1_update(tn_sha1_ctx *c, const void *data, size_t len) {
    tn__md_update(c->state, c->block, &c->count, data, len, tn__sha1_compress);
}

TN_API void tn_sha1_final(tn_sha1_ctx *c, uint8_t out[TN_SHA1_SIZE]) {
    tn__md_final(c->state, c->block, c->count, tn__sha1_compress, out, 5);
}

TN_API void tn_sha1(const void *data, size_t len, uint8_t out[TN_SHA1_SIZE]) {
    tn_sha1_ctx c;
    tn_sha1_init(&c);
    tn_sha1_update(&c, data, len);
    tn_sha1_final(&c, out);
}
