// ---------------------------------------------------------------------------
// >>sha1  SHA-1 (FIPS 180-4)
// ---------------------------------------------------------------------------
// For protocol use only (the WebSocket handshake, ETags): SHA-1 is broken for
// signatures; use tn_hmac_sha256 for those.
#ifndef TN__BASE_SHA1_H
#define TN__BASE_SHA1_H
#include "base/config.h"
TN__BEGIN_DECLS

#define TN_SHA1_SIZE 20

typedef struct tn_sha1_ctx {
    uint32_t state[5];
    uint64_t count;            // bytes hashed so far
    uint8_t block[64];
} tn_sha1_ctx;

// Starts a new hash.
TN_API void tn_sha1_init(tn_sha1_ctx *c);
// Hashes `len` more bytes.
TN_API void tn_sha1_update(tn_sha1_ctx *c, const void *data, size_t len);
// Writes the digest; `c` must be initialised again before reuse.
TN_API void tn_sha1_final(tn_sha1_ctx *c, uint8_t out[TN_SHA1_SIZE]);
// The digest of one buffer.
TN_API void tn_sha1(const void *data, size_t len, uint8_t out[TN_SHA1_SIZE]);

TN__END_DECLS
#endif
