// ---------------------------------------------------------------------------
// >>base64  Base64 (RFC 4648), standard and URL-safe
// ---------------------------------------------------------------------------
// Encoding never fails; decoding is strict: any character outside the
// alphabet (whitespace included), misplaced or missing padding, or non-zero
// bits left over in the last character is TN_EPARSE.
#ifndef TN__BASE_BASE64_H
#define TN__BASE_BASE64_H
#include "base/config.h"
#include "base/str.h"
TN__BEGIN_DECLS

enum tn_base64_flags {
    TN_BASE64_URL = 1,    // '-' and '_' instead of '+' and '/' (RFC 4648 §5)
    TN_BASE64_NOPAD = 2   // encode without '='; decode accepts input with or
                          // without padding (as in URL-safe tokens)
};

// Characters tn_base64_encode writes for `len` input bytes (without the NUL).
TN_API size_t tn_base64_encoded_len(size_t len, int flags);
// The most bytes tn_base64_decode can write for `len` input characters.
TN_API size_t tn_base64_decoded_max(size_t len);
// Encodes `len` bytes into `out`, which must hold tn_base64_encoded_len() + 1
// bytes; NUL-terminates it. Returns the characters written (without the NUL).
TN_API size_t tn_base64_encode(const void *src, size_t len, char *out, int flags);
// Appends the encoding of `len` bytes to `b`. Returns 0 or TN_ENOMEM.
TN_API int tn_base64_encode_buf(tn_buf *b, const void *src, size_t len, int flags);
// Decodes `len` characters into `out` (room for tn_base64_decoded_max(len)
// bytes) and sets *out_len. Returns 0 or TN_EPARSE (`out` then holds garbage).
TN_API int tn_base64_decode(const char *src, size_t len, void *out, size_t *out_len, int flags);
// Appends the decoding of `len` characters to `b`. Returns 0, TN_EPARSE or
// TN_ENOMEM; on error `b` keeps its previous contents.
TN_API int tn_base64_decode_buf(tn_buf *b, const char *src, size_t len, int flags);

TN__END_DECLS
#endif
