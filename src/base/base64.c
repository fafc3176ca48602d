// >>base64 implementation
#include "base/internal.h"
#include "base/base64.h"
#include "base/error.h"
#include "base/str.h"

TN__PRIVATE const char *tn__b64_alphabet(int flags) {
    return flags & TN_BASE64_URL ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                                 : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

TN_API size_t tn_base64_encoded_len(size_t len, int flags) {
    if (flags & TN_BASE64_NOPAD) return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
    return (len + 2) / 3 * 4;
}

TN_API size_t tn_base64_decoded_max(size_t len) { return len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0); }

TN_API size_t tn_base64_encode(const void *src, size_t len, char *out, int flags) {
    const unsigned char *s = TN__CAST(const unsigned char *, src);
    const char *abc = tn__b64_alphabet(flags);
    char *o = out;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        *o++ = abc[v >> 18];
        *o++ = abc[v >> 12 & 63];
        *o++ = abc[v >> 6 & 63];
        *o++ = abc[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < len ? (uint32_t)s[i + 1] << 8 : 0);
        *o++ = abc[v >> 18];
        *o++ = abc[v >> 12 & 63];
        if (i + 1 < len) *o++ = abc[v >> 6 & 63];
        if (!(flags & TN_BASE64_NOPAD)) {
            if (i + 1 == len) *o++ = '=';
            *o++ = '=';
        }
    }
    *o = '\0';
    return (size_t)(o - out);
}

TN_API int tn_base64_encode_buf(tn_buf *b, const void *src, size_t len, int flags) {
    size_t n = tn_base64_encoded_len(len, flags);
    if (tn_buf_reserve(b, n)) return TN_ENOMEM;
    b->len += tn_base64_encode(src, len, b->data + b->len, flags);
    return 0;
}

// The 6-bit value of a character, or -1 outside the alphabet.
TN__PRIVATE int tn__b64_value(unsigned char c, int flags) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == (flags & TN_BASE64_URL ? '-' : '+')) return 62;
    if (c == (flags & TN_BASE64_URL ? '_' : '/')) return 63;
    return -1;
}

// Checks the padding and sets *data to the number of characters before it.
TN__PRIVATE bool tn__b64_data_len(const char *src, size_t len, int flags, size_t *data) {
    size_t pad = 0;
    while (pad < 2 && pad < len && src[len - 1 - pad] == '=') pad++;
    *data = len - pad;
    if (pad > 0 || !(flags & TN_BASE64_NOPAD)) return len % 4 == 0;
    return *data % 4 != 1;
}

TN_API int tn_base64_decode(const char *src, size_t len, void *out, size_t *out_len, int flags) {
    size_t data;
    if (!tn__b64_data_len(src, len, flags, &data)) return TN_EPARSE;
    const unsigned char *s = (const unsigned char *)src;
    unsigned char *start = TN__CAST(unsigned char *, out), *o = start;
    uint32_t acc = 0;
    size_t i = 0;
    for (; i < data; i++) {
        int v = tn__b64_value(s[i], flags);
        if (v < 0) return TN_EPARSE;
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            *o++ = (unsigned char)(acc >> 16);
            *o++ = (unsigned char)(acc >> 8);
            *o++ = (unsigned char)acc;
            acc = 0;
        }
    }
    // A tail of 2 or 3 characters carries 1 or 2 bytes; the bits left over
    // must be zero, or two different strings would decode to the same bytes.
    if (i % 4 == 2) {
        if (acc & 0xF) return TN_EPARSE;
        *o++ = (unsigned char)(acc >> 4);
    } else if (i % 4 == 3) {
        if (acc & 0x3) return TN_EPARSE;
        *o++ = (unsigned char)(acc >> 10);
        *o++ = (unsigned char)(acc >> 2);
    }
    *out_len = (size_t)(o - start);
    return 0;
}

TN_API int tn_base64_decode_buf(tn_buf *b, const char *src, size_t len, int flags) {
    if (tn_buf_reserve(b, tn_base64_decoded_max(len))) return TN_ENOMEM;
    size_t n;
    int r = tn_base64_decode(src, len, b->data + b->len, &n, flags);
    if (r == 0) b->len += n;
    b->data[b->len] = '\0';
    return r;
}
