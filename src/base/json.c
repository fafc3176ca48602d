// >>json implementation
#include "base/internal.h"
#include "base/json.h"
#include "base/error.h"
#include "base/str.h"
#include "base/alloc_internal.h"

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if TN_ENABLE_JSON  // the whole module (base/config.h)

typedef struct tn__json_member tn__json_member;

struct tn_json_value {
    tn_json_kind kind;
    size_t len;  // string bytes, number text bytes, members; 1 for true
    union {
        const char *s;              // strings and numbers: NUL-terminated
        const tn__json_member *m;   // arrays (keys empty) and objects
    } u;
};

struct tn__json_member {
    tn_str key;
    tn_json_value value;
};

// One UTF-8 sequence at s (n bytes available): its length, or 0 when it is
// invalid (overlong, surrogate, above U+10FFFF, truncated, stray byte).
TN__PRIVATE size_t tn__json_utf8(const unsigned char *s, size_t n) {
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

// printf and strtod follow LC_NUMERIC; JSON always uses '.'.
TN__PRIVATE const char *tn__json_locale_point(void) {
    const char *dp = localeconv()->decimal_point;
    return dp && dp[0] && strcmp(dp, ".") != 0 ? dp : NULL;
}

// ---- writer

enum { TN__JW_OBJECT = 1, TN__JW_ITEMS = 2 };

TN_API void tn_json_writer_init(tn_json_writer *w, tn_buf *out) {
    memset(w, 0, sizeof *w);
    w->out = out;
    w->start = out->len;
}

TN__PRIVATE int tn__jw_fail(tn_json_writer *w, int err) {
    if (!w->err) w->err = err;
    return w->err;
}

TN__PRIVATE void tn__jw_put(tn_json_writer *w, const char *p, size_t n) {
    if (!w->err && tn_buf_append(w->out, p, n) != 0) w->err = TN_ENOMEM;
}

// Every value goes through here first: it checks that a value may come now
// and writes the comma before it.
TN__PRIVATE int tn__jw_value(tn_json_writer *w) {
    if (w->err) return w->err;
    if (w->depth == 0) {
        if (w->done) return tn__jw_fail(w, TN_EINVAL);
        w->done = true;
        return 0;
    }
    unsigned char *f = &w->frames[w->depth - 1];
    if (*f & TN__JW_OBJECT) {
        if (!w->have_key) return tn__jw_fail(w, TN_EINVAL);
        w->have_key = false;
        return 0;
    }
    if (*f & TN__JW_ITEMS) tn__jw_put(w, ",", 1);
    *f |= TN__JW_ITEMS;
    return w->err;
}

TN__PRIVATE void tn__jw_escape(tn_json_writer *w, unsigned c) {
    static const char hex[] = "0123456789abcdef";
    char e[6] = {'\\', 'u', '0', '0', 0, 0};
    const char *shorts = "\"\"\\\\\bb\ff\nn\rr\tt";
    for (const char *p = shorts; *p; p += 2)
        if ((unsigned char)p[0] == c) {
            e[1] = p[1];
            tn__jw_put(w, e, 2);
            return;
        }
    e[2] = hex[(c >> 12) & 15];
    e[3] = hex[(c >> 8) & 15];
    e[4] = hex[(c >> 4) & 15];
    e[5] = hex[c & 15];
    tn__jw_put(w, e, 6);
}

// The escaped form of one character at s[i], or 0 when it passes as is.
// Sets *n to its length in bytes (0 for invalid UTF-8).
TN__PRIVATE unsigned tn__jw_needs_escape(const unsigned char *s, size_t i, size_t len, size_t *n) {
    unsigned c = s[i];
    *n = 1;
    if (c >= 0x80) {
        *n = tn__json_utf8(s + i, len - i);
        // U+2028 and U+2029 end a line in pre-2019 JavaScript.
        if (*n == 3 && c == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9))
            return 0x2000u | ((unsigned)s[i + 2] - 0x80u);
        return 0;
    }
    if (c < 0x20 || c == '"' || c == '\\') return c ? c : 0x10000u;
    return c == '/' && i > 0 && s[i - 1] == '<' ? '/' : 0;
}

TN__PRIVATE void tn__jw_string(tn_json_writer *w, const char *str, size_t len) {
    if (len == 0) str = "";  // NULL may come with 0
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0, i = 0, n;
    tn__jw_put(w, "\"", 1);
    while (i < len && !w->err) {
        unsigned e = tn__jw_needs_escape(s, i, len, &n);
        if (n == 0) {
            tn__jw_fail(w, TN_EINVAL);
            return;
        }
        if (e) {
            tn__jw_put(w, str + run, i - run);
            if (e == '/') tn__jw_put(w, "\\/", 2);
            else tn__jw_escape(w, e & 0xFFFFu);
            run = i + n;
        }
        i += n;
    }
    tn__jw_put(w, str + run, len - run);
    tn__jw_put(w, "\"", 1);
}

TN_API int tn_json_writer_finish(tn_json_writer *w) {
    if (!w->err && (w->depth != 0 || !w->done)) w->err = TN_EINVAL;
    if (w->err && w->out->data) {
        w->out->len = w->start;
        w->out->data[w->start] = '\0';
    }
    return w->err;
}

TN__PRIVATE int tn__jw_begin(tn_json_writer *w, unsigned char kind) {
    if (tn__jw_value(w)) return w->err;
    if (w->depth == TN_JSON_MAX_DEPTH) return tn__jw_fail(w, TN_EINVAL);
    w->frames[w->depth++] = kind;
    tn__jw_put(w, kind == TN__JW_OBJECT ? "{" : "[", 1);
    return w->err;
}

TN__PRIVATE int tn__jw_end(tn_json_writer *w, unsigned char kind) {
    if (w->err) return w->err;
    if (w->depth == 0 || (w->frames[w->depth - 1] & TN__JW_OBJECT) != kind || w->have_key)
        return tn__jw_fail(w, TN_EINVAL);
    w->depth--;
    tn__jw_put(w, kind == TN__JW_OBJECT ? "}" : "]", 1);
    return w->err;
}

TN_API int tn_json_write_object_begin(tn_json_writer *w) { return tn__jw_begin(w, TN__JW_OBJECT); }
TN_API int tn_json_write_object_end(tn_json_writer *w) { return tn__jw_end(w, TN__JW_OBJECT); }
TN_API int tn_json_write_array_begin(tn_json_writer *w) { return tn__jw_begin(w, 0); }
TN_API int tn_json_write_array_end(tn_json_writer *w) { return tn__jw_end(w, 0); }

TN_API int tn_json_write_key(tn_json_writer *w, const char *key, size_t len) {
    if (w->err) return w->err;
    if (w->depth == 0 || !(w->frames[w->depth - 1] & TN__JW_OBJECT) || w->have_key)
        return tn__jw_fail(w, TN_EINVAL);
    unsigned char *f = &w->frames[w->depth - 1];
    if (*f & TN__JW_ITEMS) tn__jw_put(w, ",", 1);
    *f |= TN__JW_ITEMS;
    tn__jw_string(w, key, len);
    tn__jw_put(w, ":", 1);
    w->have_key = true;
    return w->err;
}

TN_API int tn_json_write_str(tn_json_writer *w, const char *s, size_t len) {
    if (tn__jw_value(w) == 0) tn__jw_string(w, s, len);
    return w->err;
}

TN_API int tn_json_write_raw(tn_json_writer *w, const char *json, size_t len) {
    if (tn__jw_value(w) == 0) tn__jw_put(w, json, len);
    return w->err;
}

TN_API int tn_json_write_int(tn_json_writer *w, int64_t v) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    return tn_json_write_raw(w, tmp, (size_t)n);
}

TN_API int tn_json_write_bool(tn_json_writer *w, bool v) {
    return v ? tn_json_write_raw(w, "true", 4) : tn_json_write_raw(w, "false", 5);
}

TN_API int tn_json_write_null(tn_json_writer *w) { return tn_json_write_raw(w, "null", 4); }

// Formats a finite double into tmp (at least 40 bytes) with '.' as the
// decimal point; returns the length.
TN__PRIVATE int tn__json_format_double(char *tmp, size_t cap, double v) {
    int n = 0;
    double mag = v < 0 ? -v : v;
    if (v == 0) return snprintf(tmp, cap, "%s", signbit(v) ? "-0" : "0");
    // Every double from 2^53 on is an integer; below, the cast tests it.
    if (mag < 1e21 && (mag >= 9007199254740992.0 || (double)(int64_t)v == v))
        return snprintf(tmp, cap, "%.0f", v);
    // The first precision that reads back exactly is the shortest form; below
    // 15 digits only subnormals (fewer significant bits) can be shorter.
    for (int prec = mag < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        n = snprintf(tmp, cap, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v) break;
    }
    const char *dp = tn__json_locale_point();
    char *at = dp ? strstr(tmp, dp) : NULL;
    if (at) {
        size_t dl = strlen(dp);
        *at = '.';
        memmove(at + 1, at + dl, strlen(at + dl) + 1);
        n -= (int)dl - 1;
    }
    return n;
}

TN_API int tn_json_write_double(tn_json_writer *w, double v) {
    char tmp[64];
    if (w->err) return w->err;
    if (!isfinite(v)) return tn__jw_fail(w, TN_ERANGE);
    int n = tn__json_format_double(tmp, sizeof tmp, v);
    return tn_json_write_raw(w, tmp, (size_t)n);
}

TN_API int tn_json_write_value(tn_json_writer *w, const tn_json_value *v) {
    if (w->err) return w->err;
    switch (tn_json_type(v)) {
    case TN_JSON_NULL: return tn_json_write_null(w);
    case TN_JSON_BOOL: return tn_json_write_bool(w, v->len != 0);
    case TN_JSON_NUMBER: return tn_json_write_raw(w, v->u.s, v->len);
    case TN_JSON_STRING: return tn_json_write_str(w, v->u.s, v->len);
    case TN_JSON_ARRAY:
    case TN_JSON_OBJECT: {
        bool obj = v->kind == TN_JSON_OBJECT;
        tn__jw_begin(w, obj ? TN__JW_OBJECT : 0);
        for (size_t i = 0; i < v->len && !w->err; i++) {
            if (obj) tn_json_write_key(w, v->u.m[i].key.ptr, v->u.m[i].key.len);
            tn_json_write_value(w, &v->u.m[i].value);
        }
        return tn__jw_end(w, obj ? TN__JW_OBJECT : 0);
    }
    default: return tn__jw_fail(w, TN_EINVAL);
    }
}

// ---- reader

// The arena: a list of blocks, newest first, freed together.
typedef struct tn__json_block {
    struct tn__json_block *next;
    size_t cap, used;
} tn__json_block;
#define TN__JSON_HDR ((sizeof(tn__json_block) + 15) & ~(size_t)15)
#define TN__JSON_BLOCK_MAX ((size_t)1 << 20)

typedef struct tn__json_frame {
    size_t first;  // its first member in the scratch stack
    unsigned char close;
} tn__json_frame;

typedef struct tn__json_parser {
    const unsigned char *start, *p, *end;
    tn_json_doc *doc;
    tn__json_block *arena;
    size_t next_block;
    int max_depth;
    // Members of the open containers, moved into the arena when one closes.
    tn__json_member *stack;
    size_t nstack, stack_cap;
    tn__json_frame *frames;
    size_t nframes, frames_cap;
} tn__json_parser;

TN__PRIVATE void tn__json_free_blocks(tn__json_block *b) {
    while (b) {
        tn__json_block *next = b->next;
        tn__free(b);
        b = next;
    }
}

TN__PRIVATE char *tn__json_alloc(tn__json_parser *P, size_t n, size_t align) {
    tn__json_block *b = P->arena;
    if (b) {
        size_t off = (b->used + align - 1) & ~(align - 1);
        if (off <= b->cap && n <= b->cap - off) {
            b->used = off + n;
            return (char *)b + TN__JSON_HDR + off;
        }
    }
    size_t cap = TN__MAX(n, P->next_block);
    if (cap > SIZE_MAX - TN__JSON_HDR) return NULL;
    b = TN__CAST(tn__json_block *, tn__malloc(TN__JSON_HDR + cap));
    if (!b) return NULL;
    P->next_block = TN__MIN(P->next_block * 2, TN__JSON_BLOCK_MAX);
    b->next = P->arena;
    b->cap = cap;
    b->used = n;
    P->arena = b;
    return (char *)b + TN__JSON_HDR;
}

// Gives back the unused tail of the newest allocation `p` of `had` bytes.
TN__PRIVATE void tn__json_shrink(tn__json_parser *P, char *p, size_t had, size_t keep) {
    tn__json_block *b = P->arena;
    if (p + had == (char *)b + TN__JSON_HDR + b->used) b->used -= had - keep;
}

TN__PRIVATE int tn__json_fail(tn__json_parser *P, const unsigned char *at, const char *what) {
    tn_json_doc *d = P->doc;
    d->error_offset = (size_t)(at - P->start);
    snprintf(d->error, sizeof d->error, "%s at %lu", what, (unsigned long)d->error_offset);
    return TN_EPARSE;
}

TN__PRIVATE int tn__json_nomem(tn__json_parser *P) {
    P->doc->error_offset = (size_t)(P->p - P->start);
    snprintf(P->doc->error, sizeof P->doc->error, "out of memory");
    return TN_ENOMEM;
}

// An error at p: the end of the input or an unexpected byte.
TN__PRIVATE int tn__json_unexpected(tn__json_parser *P, const unsigned char *p) {
    return tn__json_fail(P, p, p >= P->end ? "unexpected end of input" : "unexpected character");
}

TN__PRIVATE void tn__json_ws(tn__json_parser *P) {
    while (P->p < P->end && (*P->p == ' ' || *P->p == '\n' || *P->p == '\r' || *P->p == '\t'))
        P->p++;
}

TN__PRIVATE bool tn__json_digit(tn__json_parser *P, const unsigned char *q) {
    return q < P->end && *q >= '0' && *q <= '9';
}

// Copies the bytes [from, to) into the arena, NUL-terminated.
TN__PRIVATE int tn__json_copy(tn__json_parser *P, const unsigned char *from, const unsigned char *to,
                              tn_json_value *v) {
    size_t n = (size_t)(to - from);
    char *s = tn__json_alloc(P, n + 1, 1);
    if (!s) return tn__json_nomem(P);
    memcpy(s, from, n);
    s[n] = '\0';
    v->u.s = s;
    v->len = n;
    return 0;
}

TN__PRIVATE int tn__json_number(tn__json_parser *P, tn_json_value *v) {
    const unsigned char *q = P->p;
    if (*q == '-') q++;
    if (!tn__json_digit(P, q)) return tn__json_unexpected(P, q);
    if (*q++ != '0')
        while (tn__json_digit(P, q)) q++;
    if (q < P->end && *q == '.') {
        if (!tn__json_digit(P, ++q)) return tn__json_unexpected(P, q);
        while (tn__json_digit(P, q)) q++;
    }
    if (q < P->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < P->end && (*q == '+' || *q == '-')) q++;
        if (!tn__json_digit(P, q)) return tn__json_unexpected(P, q);
        while (tn__json_digit(P, q)) q++;
    }
    v->kind = TN_JSON_NUMBER;
    int r = tn__json_copy(P, P->p, q, v);
    P->p = q;
    return r;
}

TN__PRIVATE int tn__json_hex4(const unsigned char *s) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

TN__PRIVATE size_t tn__json_put_utf8(char *o, unsigned long cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

// Decodes the \u escape at q (q[0] == 'u'; the string ends at `end`) into o:
// one code point, or a surrogate pair written as two escapes. Returns the
// input bytes it used, or 0 with the reason in *why.
TN__PRIVATE size_t tn__json_unicode(const unsigned char *q, const unsigned char *end, char *o, size_t *olen,
                                    const char **why) {
    *why = "invalid escape";
    long hi = end - q >= 5 ? tn__json_hex4(q + 1) : -1;
    if (hi < 0) return 0;
    *why = "unpaired surrogate";
    if (hi >= 0xDC00 && hi <= 0xDFFF) return 0;
    if (hi < 0xD800 || hi > 0xDBFF) {
        *olen = tn__json_put_utf8(o, (unsigned long)hi);
        return 5;
    }
    long lo = end - q >= 11 && q[5] == '\\' && q[6] == 'u' ? tn__json_hex4(q + 7) : -1;
    if (lo < 0xDC00 || lo > 0xDFFF) return 0;
    *olen = tn__json_put_utf8(o, 0x10000ul + (((unsigned long)hi - 0xD800) << 10) + ((unsigned long)lo - 0xDC00));
    return 11;
}

// The byte an escape like \n stands for, or -1.
TN__PRIVATE int tn__json_short_escape(int c) {
    switch (c) {
    case '"': case '\\': case '/': return c;
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return -1;
    }
}

// Decodes the escape at q (q[0] is the backslash) into o. Returns the input
// bytes it used, with *olen output bytes, or 0 with the reason in *why.
TN__PRIVATE size_t tn__json_escape(const unsigned char *q, const unsigned char *end, char *o, size_t *olen,
                                   const char **why) {
    int e = tn__json_short_escape(q[1]);
    *why = "invalid escape";
    if (q[1] == 'u') {
        size_t n = tn__json_unicode(q + 1, end, o, olen, why);
        return n ? n + 1 : 0;
    }
    if (e < 0) return 0;
    *o = (char)e;
    *olen = 1;
    return 2;
}

// Decodes the string whose opening quote is at P->p into the arena.
TN__PRIVATE int tn__json_string(tn__json_parser *P, tn_str *out) {
    const unsigned char *q = P->p + 1, *end = q;
    while (end < P->end && *end != '"') end += (*end == '\\' && P->end - end > 1) ? 2 : 1;
    if (end >= P->end) return tn__json_unexpected(P, P->end);
    size_t cap = (size_t)(end - q) + 1;
    char *s = tn__json_alloc(P, cap, 1), *o = s;
    if (!s) return tn__json_nomem(P);
    while (q < end) {
        size_t n = 1, olen = 1;
        unsigned c = *q;
        if (c == '\\') {
            const char *why;
            n = tn__json_escape(q, end, o, &olen, &why);
            if (n == 0) return tn__json_fail(P, q, why);
        } else if (c >= 0x80) {
            n = olen = tn__json_utf8(q, (size_t)(end - q));
            if (n == 0) return tn__json_fail(P, q, "invalid UTF-8");
            memcpy(o, q, n);
        } else if (c < 0x20) {
            return tn__json_fail(P, q, "unescaped control character");
        } else {
            *o = (char)c;
        }
        o += olen;
        q += n;
    }
    *o = '\0';
    out->ptr = s;
    out->len = (size_t)(o - s);
    tn__json_shrink(P, s, cap, out->len + 1);
    P->p = end + 1;
    return 0;
}

TN__PRIVATE int tn__json_literal(tn__json_parser *P, const char *word, tn_json_value *v) {
    for (size_t i = 0; word[i]; i++)
        if (P->p + i >= P->end || P->p[i] != (unsigned char)word[i]) return tn__json_unexpected(P, P->p + i);
    P->p += strlen(word);
    v->kind = word[0] == 'n' ? TN_JSON_NULL : TN_JSON_BOOL;
    v->len = word[0] == 't';
    return 0;
}

TN__PRIVATE int tn__json_scalar(tn__json_parser *P, tn_json_value *v) {
    memset(v, 0, sizeof *v);
    if (P->p >= P->end) return tn__json_unexpected(P, P->p);
    switch (*P->p) {
    case 'n': return tn__json_literal(P, "null", v);
    case 't': return tn__json_literal(P, "true", v);
    case 'f': return tn__json_literal(P, "false", v);
    case '"': {
        tn_str s;
        int r = tn__json_string(P, &s);
        v->kind = TN_JSON_STRING;
        v->u.s = s.ptr;
        v->len = s.len;
        return r;
    }
    default: return tn__json_number(P, v);
    }
}

// Opens the array or object at P->p.
TN__PRIVATE int tn__json_open(tn__json_parser *P) {
    if (P->nframes >= (size_t)P->max_depth) {
        char what[48];
        snprintf(what, sizeof what, "nesting deeper than %d", P->max_depth);
        return tn__json_fail(P, P->p, what);
    }
    if (tn__grow(&P->frames, &P->frames_cap, P->nframes + 1, sizeof *P->frames, 16))
        return tn__json_nomem(P);
    tn__json_frame *f = &P->frames[P->nframes++];
    f->first = P->nstack;
    f->close = *P->p++ == '{' ? '}' : ']';
    return 0;
}

// Moves the innermost container's members into the arena and makes its value.
TN__PRIVATE int tn__json_close(tn__json_parser *P, tn_json_value *v) {
    tn__json_frame *f = &P->frames[--P->nframes];
    size_t n = P->nstack - f->first;
    tn__json_member *m = NULL;
    if (n) {
        m = TN__CAST(tn__json_member *, (void *)tn__json_alloc(P, n * sizeof *m, sizeof(void *)));
        if (!m) return tn__json_nomem(P);
        memcpy(m, P->stack + f->first, n * sizeof *m);
    }
    P->nstack = f->first;
    v->kind = f->close == '}' ? TN_JSON_OBJECT : TN_JSON_ARRAY;
    v->len = n;
    v->u.m = m;
    return 0;
}

// Starts the next member of the innermost container: for an object, its key
// and the colon.
TN__PRIVATE int tn__json_member_start(tn__json_parser *P) {
    if (tn__grow(&P->stack, &P->stack_cap, P->nstack + 1, sizeof *P->stack, 16))
        return tn__json_nomem(P);
    tn__json_member *m = &P->stack[P->nstack];
    memset(m, 0, sizeof *m);
    if (P->frames[P->nframes - 1].close == '}') {
        tn__json_ws(P);
        if (P->p >= P->end || *P->p != '"') return tn__json_unexpected(P, P->p);
        int r = tn__json_string(P, &m->key);
        if (r) return r;
        tn__json_ws(P);
        if (P->p >= P->end || *P->p != ':') return tn__json_unexpected(P, P->p);
        P->p++;
    }
    P->nstack++;
    return 0;
}

// Places a finished value: as the document's root, or in its container, then
// closes every container that ends after it.
TN__PRIVATE int tn__json_place(tn__json_parser *P, tn_json_value v, bool *more) {
    for (;;) {
        if (P->nframes == 0) {
            tn_json_value *root = TN__CAST(tn_json_value *, (void *)tn__json_alloc(P, sizeof v, sizeof(void *)));
            if (!root) return tn__json_nomem(P);
            *root = v;
            P->doc->root = root;
            tn__json_ws(P);
            *more = false;
            return P->p < P->end ? tn__json_unexpected(P, P->p) : 0;
        }
        P->stack[P->nstack - 1].value = v;
        tn__json_ws(P);
        if (P->p >= P->end) return tn__json_unexpected(P, P->p);
        if (*P->p == ',') {
            P->p++;
            *more = true;
            return tn__json_member_start(P);
        }
        if (*P->p != P->frames[P->nframes - 1].close) return tn__json_unexpected(P, P->p);
        P->p++;
        int r = tn__json_close(P, &v);
        if (r) return r;
    }
}

// Iterative, so max_depth can be large without deep C recursion.
TN__PRIVATE int tn__json_run(tn__json_parser *P) {
    bool more = true;
    while (more) {
        tn_json_value v;
        int r;
        tn__json_ws(P);
        if (P->p < P->end && (*P->p == '[' || *P->p == '{')) {
            if ((r = tn__json_open(P)) != 0) return r;
            tn__json_ws(P);
            if (P->p < P->end && *P->p == P->frames[P->nframes - 1].close) {
                P->p++;
                r = tn__json_close(P, &v);
            } else {
                if ((r = tn__json_member_start(P)) != 0) return r;
                continue;
            }
        } else {
            r = tn__json_scalar(P, &v);
        }
        if (r == 0) r = tn__json_place(P, v, &more);
        if (r) return r;
    }
    return 0;
}

TN_API int tn_json_parse(tn_json_doc *doc, const char *text, size_t len, const tn_json_opts *o) {
    tn__json_parser P;
    memset(doc, 0, sizeof *doc);
    memset(&P, 0, sizeof P);
    size_t max_size = o && o->max_size ? o->max_size : TN_DEFAULT_JSON_MAX_SIZE;
    if (len > max_size) {
        doc->error_offset = max_size;
        snprintf(doc->error, sizeof doc->error, "input larger than %lu bytes", (unsigned long)max_size);
        return TN_EMSGSIZE;
    }
    P.start = P.p = (const unsigned char *)(text ? text : "");
    P.end = P.start + (text ? len : 0);
    P.doc = doc;
    P.max_depth = o && o->max_depth > 0 ? o->max_depth : TN_JSON_MAX_DEPTH;
    // Small documents fit in one block.
    P.next_block = TN__MAX(TN__MIN(len * 2, TN__JSON_BLOCK_MAX / 16), (size_t)256);
    int r = tn__json_run(&P);
    tn__free(P.stack);
    tn__free(P.frames);
    if (r) {
        tn__json_free_blocks(P.arena);
        doc->root = NULL;
        return r;
    }
    doc->arena = P.arena;
    return 0;
}

TN_API void tn_json_doc_free(tn_json_doc *doc) {
    tn__json_free_blocks(TN__CAST(tn__json_block *, doc->arena));
    doc->arena = NULL;
    doc->root = NULL;
}

// ---- accessors

TN_API tn_json_kind tn_json_type(const tn_json_value *v) { return v ? v->kind : TN_JSON_NONE; }

TN_API size_t tn_json_len(const tn_json_value *v) {
    tn_json_kind k = tn_json_type(v);
    return k == TN_JSON_ARRAY || k == TN_JSON_OBJECT || k == TN_JSON_STRING ? v->len : 0;
}

TN_API const tn_json_value *tn_json_at(const tn_json_value *v, size_t i) {
    tn_json_kind k = tn_json_type(v);
    return (k == TN_JSON_ARRAY || k == TN_JSON_OBJECT) && i < v->len ? &v->u.m[i].value : NULL;
}

TN_API tn_str tn_json_key_at(const tn_json_value *obj, size_t i) {
    tn_str none = {NULL, 0};
    return tn_json_type(obj) == TN_JSON_OBJECT && i < obj->len ? obj->u.m[i].key : none;
}

TN_API const tn_json_value *tn_json_getn(const tn_json_value *obj, const char *key, size_t len) {
    if (tn_json_type(obj) != TN_JSON_OBJECT) return NULL;
    for (size_t i = obj->len; i-- > 0;) {
        tn_str k = obj->u.m[i].key;
        if (k.len == len && (len == 0 || memcmp(k.ptr, key, len) == 0)) return &obj->u.m[i].value;
    }
    return NULL;
}

TN_API const tn_json_value *tn_json_get(const tn_json_value *obj, const char *key) {
    return tn_json_getn(obj, key, strlen(key));
}

TN__PRIVATE tn_str tn__json_text(const tn_json_value *v, tn_json_kind kind) {
    tn_str s = {NULL, 0};
    if (tn_json_type(v) == kind) {
        s.ptr = v->u.s;
        s.len = v->len;
    }
    return s;
}

TN_API tn_str tn_json_str(const tn_json_value *v) { return tn__json_text(v, TN_JSON_STRING); }
TN_API tn_str tn_json_num_text(const tn_json_value *v) { return tn__json_text(v, TN_JSON_NUMBER); }
TN_API bool tn_json_bool(const tn_json_value *v) { return tn_json_type(v) == TN_JSON_BOOL && v->len; }

// Exact: the number is digits x 10^scale, from its (validated) text.
TN_API int tn_json_int(const tn_json_value *v, int64_t *out) {
    if (tn_json_type(v) != TN_JSON_NUMBER) return TN_EINVAL;
    const char *s = v->u.s, *end = s + v->len;
    bool neg = *s == '-';
    const char *m = s + neg, *mend = m;
    while (mend < end && *mend != 'e' && *mend != 'E') mend++;
    long long scale = 0;
    if (mend < end) {
        const char *e = mend + 1;
        bool eneg = *e == '-';
        for (e += (*e == '-' || *e == '+'); e < end; e++)
            if (scale < 1000000000) scale = scale * 10 + (*e - '0');
        if (eneg) scale = -scale;
    }
    const char *dot = (const char *)memchr(m, '.', (size_t)(mend - m));
    if (dot) scale -= mend - dot - 1;
    const char *first = m, *last = mend;
    while (first < mend && (*first == '0' || *first == '.')) first++;
    if (first == mend) {
        *out = 0;
        return 0;
    }
    while (last[-1] == '0' || last[-1] == '.') scale += *--last == '0';
    long long digits = (last - first) - (dot && dot > first && dot < last);
    if (scale < 0 || digits + scale > 19) return TN_ERANGE;
    uint64_t u = 0;
    for (const char *d = first; d < last; d++)
        if (*d != '.') u = u * 10 + (uint64_t)(*d - '0');
    for (long long i = 0; i < scale; i++) u *= 10;
    if (u > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) return TN_ERANGE;
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 0;
}

TN_API int tn_json_num(const tn_json_value *v, double *out) {
    if (tn_json_type(v) != TN_JSON_NUMBER) return TN_EINVAL;
    const char *dp = tn__json_locale_point();
    char small[128], *copy = NULL;
    const char *text = v->u.s;
    if (dp && memchr(text, '.', v->len)) {
        size_t dl = strlen(dp), n = v->len + dl;
        copy = n < sizeof small ? small : TN__CAST(char *, tn__malloc(n));
        if (!copy) return TN_ENOMEM;
        const char *at = (const char *)memchr(text, '.', v->len);
        size_t pre = (size_t)(at - text);
        memcpy(copy, text, pre);
        memcpy(copy + pre, dp, dl);
        memcpy(copy + pre + dl, at + 1, v->len - pre);  // with the NUL
        text = copy;
    }
    errno = 0;
    double d = strtod(text, NULL);
    int overflow = errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL);
    if (copy != small) tn__free(copy);
    *out = d;
    return overflow ? TN_ERANGE : 0;
}
#endif  // TN_ENABLE_JSON
