// ---------------------------------------------------------------------------
// >>utf8  UTF-8 validation (RFC 3629)
// ---------------------------------------------------------------------------
// Rejects overlong forms, surrogates (U+D800..U+DFFF), code points above
// U+10FFFF and the old 5- and 6-byte forms. Fails fast: the first byte that
// no valid sequence can continue with is the error, as RFC 6455 §8.1 wants
// for text frames (a WebSocket peer closes with 1007 before the frame ends).
#ifndef TN__BASE_UTF8_H
#define TN__BASE_UTF8_H
#include "base/config.h"
TN__BEGIN_DECLS

// Zero-initialise before the first call (or use tn_utf8_reset).
typedef struct tn_utf8_state {
    uint64_t offset;   // bytes accepted so far; after an error, the bad byte's offset
    uint8_t need;      // continuation bytes still expected
    uint8_t lo, hi;    // the range allowed for the next continuation byte
    uint8_t failed;
} tn_utf8_state;

// Prepares `s` for a new text.
TN_API void tn_utf8_reset(tn_utf8_state *s);
// Validates the next `len` bytes of a text. Returns 0 when they can still be
// part of valid UTF-8, or TN_EPARSE with s->offset at the first bad byte (then
// every later call fails too).
TN_API int tn_utf8_validate(tn_utf8_state *s, const void *data, size_t len);
// True when the text so far is valid and does not end inside a sequence.
TN_API bool tn_utf8_complete(const tn_utf8_state *s);
// True when the `len` bytes are complete, valid UTF-8.
TN_API bool tn_utf8_valid(const void *data, size_t len);

TN__END_DECLS
#endif
