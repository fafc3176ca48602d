// ---------------------------------------------------------------------------
// >>sha1_internal  The Merkle-Damgard framing SHA-1 and SHA-256 share
// (base/sha1.c): 64-byte blocks, a 0x80 pad byte and the bit count as a
// big-endian 64-bit trailer
// ---------------------------------------------------------------------------
#ifndef TN__BASE_SHA1_INTERNAL_H
#define TN__BASE_SHA1_INTERNAL_H
#include "base/internal.h"

// One hash's compression of a 64-byte block into its state.
typedef void (*tn__md_compress)(uint32_t *state, const uint8_t *block);

TN__INTERNAL uint32_t tn__load_be32(const uint8_t *p);
// Hashes `len` more bytes: whole blocks go to `compress`, the rest waits in
// `block`; *count is the total so far.
TN__INTERNAL void tn__md_update(uint32_t *state, uint8_t *block, uint64_t *count, const void *data, size_t len,
                                tn__md_compress compress);
// Pads, compresses the last block(s) and writes `words` big-endian words of
// the state to `out`.
TN__INTERNAL void tn__md_final(uint32_t *state, uint8_t *block, uint64_t count, tn__md_compress compress,
                               uint8_t *out, int words);
#endif
