// Differential fuzzing of the UTF-8 validator against a slow reference that
// decodes code points, and of whole input against the same input in pieces.
// Input: byte 0 picks the cut points, the rest is the text.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdlib.h>

enum { VALID = -1, PARTIAL = -2 };

// Whether some code point in [lo, hi] is a valid scalar value that needs
// exactly `len` bytes (so not overlong).
static int ref_possible(uint32_t lo, uint32_t hi, int len) {
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    uint32_t a = lo > min[len] ? lo : min[len];
    uint32_t b = hi < 0x10FFFF ? hi : 0x10FFFF;
    if (a > b) return 0;
    return !(a >= 0xD800 && b <= 0xDFFF);
}

// The reference: VALID, PARTIAL, or the offset of the first byte after which
// the bytes so far are no prefix of any valid UTF-8 text.
static long long ref_verdict(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        int len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07;
        else return (long long)i;
        for (int k = 0; k < len; k++) {
            if (k > 0) {
                if (i + (size_t)k >= n) return PARTIAL;
                if ((p[i + k] & 0xC0) != 0x80) return (long long)(i + k);
                cp = cp << 6 | (p[i + k] & 0x3F);
            }
            int rest = 6 * (len - 1 - k);
            uint32_t lo = cp << rest, hi = lo | ((1u << rest) - 1);
            if (!ref_possible(lo, hi, len)) return (long long)(i + k);
        }
        i += (size_t)len;
    }
    return VALID;
}

// Validates in pieces whose sizes come from `seed`; 0 means one piece.
static long long verdict(const uint8_t *p, size_t n, unsigned seed) {
    tn_utf8_state st;
    tn_utf8_reset(&st);
    size_t at = 0;
    int failed = 0;
    do {
        size_t piece = seed ? 1 + (seed = seed * 1103515245u + 12345u) % 13 : n;
        size_t end = piece < n - at ? at + piece : n;
        int r = tn_utf8_validate(&st, p + at, end - at);
        if (failed && r != TN_EPARSE) abort();  // errors are sticky
        if (r == TN_EPARSE) failed = 1;
        else if (r != 0 || st.offset != end) abort();
        at = end;
    } while (at < n);
    if (failed) return (long long)st.offset;
    return tn_utf8_complete(&st) ? VALID : PARTIAL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned seed = data[0];
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    // A heap copy so ASan sees any read past the end.
    uint8_t *copy = (uint8_t *)malloc(n ? n : 1);
    if (!copy) return 0;
    memcpy(copy, p, n);
    long long want = ref_verdict(copy, n);
    if (verdict(copy, n, 0) != want) abort();
    if (verdict(copy, n, seed | 1) != want) abort();
    if (tn_utf8_valid(copy, n) != (want == VALID)) abort();
    // Two pieces, cut where the seed says.
    if (n) {
        size_t k = seed % (n + 1);
        tn_utf8_state st;
        tn_utf8_reset(&st);
        int r = tn_utf8_validate(&st, copy, k);
        if (r == 0) r = tn_utf8_validate(&st, copy + k, n - k);
        long long got = r ? (long long)st.offset : tn_utf8_complete(&st) ? VALID : PARTIAL;
        if (got != want) abort();
    }
    free(copy);
    return 0;
}
