// >>str implementation
#include "base/internal.h"
#include "base/str.h"
#include "base/str_internal.h"
#include "base/error.h"
#include "base/alloc_internal.h"

#include <stdio.h>
#include <string.h>

TN__INTERNAL tn_str tn__str_n(const char *p, size_t n) {
    tn_str v;
    v.ptr = p;
    v.len = n;
    return v;
}

TN__INTERNAL char *tn__strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = TN__CAST(char *, tn__malloc(n));
    if (p) memcpy(p, s, n);
    return p;
}

TN__INTERNAL int tn__hex_value(int c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

TN__INTERNAL void tn__hex_encode(const void *src, size_t n, char *out) {
    const unsigned char *p = TN__CAST(const unsigned char *, src);
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = "0123456789abcdef"[p[i] >> 4];
        out[2 * i + 1] = "0123456789abcdef"[p[i] & 15];
    }
}

TN_API tn_str tn_str_c(const char *s) {
    tn_str v;
    v.ptr = s ? s : "";
    v.len = s ? strlen(s) : 0;
    return v;
}

TN_API bool tn_str_eq(tn_str a, const char *s) {
    size_t n = strlen(s);
    return a.len == n && (n == 0 || memcmp(a.ptr, s, n) == 0);
}

TN__PRIVATE int tn__lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

TN_API bool tn_str_eq_nocase(tn_str a, tn_str b) {
    if (a.len != b.len) return false;
    for (size_t i = 0; i < a.len; i++)
        if (tn__lower((unsigned char)a.ptr[i]) != tn__lower((unsigned char)b.ptr[i])) return false;
    return true;
}

TN_API int tn_buf_reserve(tn_buf *b, size_t extra) {
    if (extra > SIZE_MAX - b->len - 1) return TN_ENOMEM;
    return tn__grow(&b->data, &b->cap, b->len + extra + 1, 1, 64);  // + 1: the NUL
}

TN_API int tn_buf_append(tn_buf *b, const void *data, size_t len) {
    if (tn_buf_reserve(b, len)) return TN_ENOMEM;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

TN_API int tn_buf_append_str(tn_buf *b, const char *s) { return tn_buf_append(b, s, strlen(s)); }

TN_API int tn_buf_appendv(tn_buf *b, const char *fmt, va_list ap) {
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0) return TN_EINVAL;
    if ((size_t)n < sizeof small) return tn_buf_append(b, small, (size_t)n);
    if (tn_buf_reserve(b, (size_t)n)) return TN_ENOMEM;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

TN_API int tn_buf_appendf(tn_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = tn_buf_appendv(b, fmt, ap);
    va_end(ap);
    return r;
}

TN_API void tn_buf_consume(tn_buf *b, size_t n) {
    if (n >= b->len) {
        tn_buf_clear(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

TN_API void tn_buf_clear(tn_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

TN_API void tn_buf_free(tn_buf *b) {
    tn__free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

TN__INTERNAL int tn__buf_append_num(tn_buf *b, uint64_t v, unsigned base) {
    char tmp[24];
    int i = (int)sizeof tmp;
    do {
        tmp[--i] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    return tn_buf_append(b, tmp + i, sizeof tmp - (size_t)i);
}

TN__INTERNAL int tn__buf_reserve_exact(tn_buf *b, size_t extra) {
    if (extra > SIZE_MAX - b->len - 1) return TN_ENOMEM;
    size_t need = b->len + extra + 1;  // + 1: the NUL
    if (need <= b->cap) return 0;
    char *p = TN__CAST(char *, tn__realloc(b->data, need));
    if (!p) return TN_ENOMEM;
    b->data = p;
    b->cap = need;
    return 0;
}

TN__INTERNAL void tn__buf_trim(tn_buf *b, size_t keep) {
    if (b->cap > keep) tn_buf_free(b);
    else tn_buf_clear(b);
}
