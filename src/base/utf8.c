// >>utf8 implementation
#include "base/internal.h"
#include "base/utf8.h"
#include "base/error.h"

#include <string.h>

TN_API void tn_utf8_reset(tn_utf8_state *s) { memset(s, 0, sizeof *s); }

// Sets up the sequence a lead byte starts: how many continuation bytes follow
// and the range of the first of them, which is where RFC 3629 §4 rules out
// overlongs (E0, F0), surrogates (ED) and values above U+10FFFF (F4).
TN__PRIVATE bool tn__utf8_lead(tn_utf8_state *s, uint8_t c) {
    s->lo = 0x80;
    s->hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) s->need = 1;
    else if (c >= 0xE0 && c <= 0xEF) s->need = 2;
    else if (c >= 0xF0 && c <= 0xF4) s->need = 3;
    else return false;
    if (c == 0xE0) s->lo = 0xA0;
    else if (c == 0xED) s->hi = 0x9F;
    else if (c == 0xF0) s->lo = 0x90;
    else if (c == 0xF4) s->hi = 0x8F;
    return true;
}

// Skips whole 8-byte words of ASCII; returns how many bytes it skipped.
TN__PRIVATE size_t tn__utf8_ascii_run(const uint8_t *p, size_t len) {
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull) break;
    }
    return i;
}

TN_API int tn_utf8_validate(tn_utf8_state *s, const void *data, size_t len) {
    if (s->failed) return TN_EPARSE;
    const uint8_t *p = TN__CAST(const uint8_t *, data);
    size_t i = 0;
    while (i < len) {
        if (s->need == 0) {
            i += tn__utf8_ascii_run(p + i, len - i);
            if (i == len) break;
            uint8_t c = p[i];
            if (c >= 0x80 && !tn__utf8_lead(s, c)) break;
        } else {
            uint8_t c = p[i];
            if (c < s->lo || c > s->hi) break;
            s->need--;
            s->lo = 0x80;
            s->hi = 0xBF;
        }
        i++;
    }
    s->offset += i;
    if (i == len) return 0;
    s->failed = 1;
    return TN_EPARSE;
}

TN_API bool tn_utf8_complete(const tn_utf8_state *s) { return !s->failed && s->need == 0; }

TN_API bool tn_utf8_valid(const void *data, size_t len) {
    tn_utf8_state s;
    tn_utf8_reset(&s);
    return tn_utf8_validate(&s, data, len) == 0 && tn_utf8_complete(&s);
}
