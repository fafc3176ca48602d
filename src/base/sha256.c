// >>sha256 implementation
#include "base/internal.h"
#include "base/sha256.h"
#include "base/sha1_internal.h"

#include <string.h>

TN__PRIVATE uint32_t tn__ror32(uint32_t v, int n) { return v >> n | v << (32 - n); }

TN__PRIVATE void tn__sha256_compress(uint32_t *s, const uint8_t *block) {
    static const uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    uint32_t w[64];
    for (int i = 0; i < 16; i++) w[i] = tn__load_be32(block + 4 * i);
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = tn__ror32(w[i - 15], 7) ^ tn__ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = tn__ror32(w[i - 2], 17) ^ tn__ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    // Named working variables (not an array) so they stay in registers.
    uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (tn__ror32(e, 6) ^ tn__ror32(e, 11) ^ tn__ror32(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
        uint32_t t2 = (tn__ror32(a, 2) ^ tn__ror32(a, 13) ^ tn__ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s[0] += a;
    s[1] += b;
    s[2] += c;
    s[3] += d;
    s[4] += e;
    s[5] += f;
    s[6] += g;
    s[7] += h;
}

TN_API void tn_sha256_init(tn_sha256_ctx *c) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->state, iv, sizeof iv);
    c->count = 0;
}

TN_API void tn_sha256_update(tn_sha256_ctx *c, const void *data, size_t len) {
    tn__md_update(c->state, c->block, &c->count, data, len, tn__sha256_compress);
}

TN_API void tn_sha256_final(tn_sha256_ctx *c, uint8_t out[TN_SHA256_SIZE]) {
    tn__md_final(c->state, c->block, c->count, tn__sha256_compress, out, 8);
}

TN_API void tn_sha256(const void *data, size_t len, uint8_t out[TN_SHA256_SIZE]) {
    tn_sha256_ctx c;
    tn_sha256_init(&c);
    tn_sha256_update(&c, data, len);
    tn_sha256_final(&c, out);
}

TN_API void tn_hmac_sha256_init(tn_hmac_sha256_ctx *c, const void *key, size_t keylen) {
    uint8_t k[64] = {0}, pad[64];
    if (keylen > sizeof k) tn_sha256(key, keylen, k);
    else if (keylen) memcpy(k, key, keylen);
    for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
    tn_sha256_init(&c->inner);
    tn_sha256_update(&c->inner, pad, sizeof pad);
    for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
    tn_sha256_init(&c->outer);
    tn_sha256_update(&c->outer, pad, sizeof pad);
}

TN_API void tn_hmac_sha256_update(tn_hmac_sha256_ctx *c, const void *data, size_t len) {
    tn_sha256_update(&c->inner, data, len);
}

TN_API void tn_hmac_sha256_final(tn_hmac_sha256_ctx *c, uint8_t out[TN_SHA256_SIZE]) {
    uint8_t inner[TN_SHA256_SIZE];
    tn_sha256_final(&c->inner, inner);
    tn_sha256_update(&c->outer, inner, sizeof inner);
    tn_sha256_final(&c->outer, out);
}

TN_API void tn_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                           uint8_t out[TN_SHA256_SIZE]) {
    tn_hmac_sha256_ctx c;
    tn_hmac_sha256_init(&c, key, keylen);
    tn_hmac_sha256_update(&c, msg, msglen);
    tn_hmac_sha256_final(&c, out);
}

TN_API bool tn_memeq_consttime(const void *a, const void *b, size_t n) {
    const volatile uint8_t *x = TN__CAST(const volatile uint8_t *, a);
    const volatile uint8_t *y = TN__CAST(const volatile uint8_t *, b);
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++) diff |= x[i] ^ y[i];
    return diff == 0;
}
