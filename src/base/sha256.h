// ---------------------------------------------------------------------------
// >>sha256  SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104) and signature checks
// ---------------------------------------------------------------------------
#ifndef TN__BASE_SHA256_H
#define TN__BASE_SHA256_H
#include "base/config.h"
TN__BEGIN_DECLS

#define TN_SHA256_SIZE 32

typedef struct tn_sha256_ctx {
    uint32_t state[8];
    uint64_t count;            // bytes hashed so far
    uint8_t block[64];
} tn_sha256_ctx;

typedef struct tn_hmac_sha256_ctx {
    tn_sha256_ctx inner;
    tn_sha256_ctx outer;
} tn_hmac_sha256_ctx;

// Starts a new hash.
TN_API void tn_sha256_init(tn_sha256_ctx *c);
// Hashes `len` more bytes.
TN_API void tn_sha256_update(tn_sha256_ctx *c, const void *data, size_t len);
// Writes the digest; `c` must be initialised again before reuse.
TN_API void tn_sha256_final(tn_sha256_ctx *c, uint8_t out[TN_SHA256_SIZE]);
// The digest of one buffer.
TN_API void tn_sha256(const void *data, size_t len, uint8_t out[TN_SHA256_SIZE]);

// Starts an HMAC-SHA256 with a key of any length (longer than 64 bytes is
// hashed first, as RFC 2104 says).
TN_API void tn_hmac_sha256_init(tn_hmac_sha256_ctx *c, const void *key, size_t keylen);
// Authenticates `len` more message bytes.
TN_API void tn_hmac_sha256_update(tn_hmac_sha256_ctx *c, const void *data, size_t len);
// Writes the MAC; `c` must be initialised again before reuse.
TN_API void tn_hmac_sha256_final(tn_hmac_sha256_ctx *c, uint8_t out[TN_SHA256_SIZE]);
// The HMAC-SHA256 of one message.
TN_API void tn_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                           uint8_t out[TN_SHA256_SIZE]);

// True when the `n` bytes at a and b are equal. Takes the same time wherever
// they differ: compare signatures and tokens with it, never with memcmp.
TN_API bool tn_memeq_consttime(const void *a, const void *b, size_t n);

TN__END_DECLS
#endif
