// >>gzip implementation
#include "base/internal.h"
#include "http/gzip.h"
#include "http/gzip_internal.h"
#include "base/deflate.h"
#include "base/error.h"
#include "base/str.h"
#include "base/str_internal.h"
#include "http/parse_internal.h"

#include <string.h>

// A qvalue ("0", "0.5", "1.000"), in thousandths; -1 when malformed.
TN__PRIVATE int tn__gzip_qvalue(tn_str v) {
    if (!v.len || (v.ptr[0] != '0' && v.ptr[0] != '1') || v.len > 5 || (v.len > 1 && v.ptr[1] != '.')) return -1;
    int q = (v.ptr[0] - '0') * 1000, scale = 100;
    for (size_t i = 2; i < v.len; i++, scale /= 10) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9') return -1;
        q += (v.ptr[i] - '0') * scale;
    }
    return q > 1000 ? -1 : q;
}

// The weight of one list element "coding;q=0.5;other=x" (1000 without q).
TN__PRIVATE int tn__gzip_weight(const char *p, const char *end) {
    int q = 1000;
    while (p < end) {
        const char *semi = TN__CAST(const char *, memchr(p, ';', (size_t)(end - p)));
        const char *next = semi ? semi + 1 : end;
        tn_str param = tn__http_trim(p, (size_t)(next - p - (semi ? 1 : 0)));
        if (param.len >= 2 && (param.ptr[0] | 0x20) == 'q' && param.ptr[1] == '=') {
            q = tn__gzip_qvalue(tn__http_trim(param.ptr + 2, param.len - 2));
            if (q < 0) q = 0;  // malformed: not acceptable
        }
        p = next;
    }
    return q;
}

TN__PRIVATE bool tn__gzip_names(tn_str name, const char *coding) {
    if (tn_str_eq_nocase(name, tn_str_c(coding))) return true;
    return strcmp(coding, "gzip") == 0 && tn_str_eq_nocase(name, tn_str_c("x-gzip"));
}

TN_API int tn_http_accept_q(tn_str ae, const char *coding) {
    if (!ae.ptr) return -1;
    int named = -1, star = -1;
    const char *p = ae.ptr, *end = ae.ptr + ae.len;
    while (p < end) {
        const char *comma = TN__CAST(const char *, memchr(p, ',', (size_t)(end - p)));
        const char *elem_end = comma ? comma : end;
        const char *semi = TN__CAST(const char *, memchr(p, ';', (size_t)(elem_end - p)));
        tn_str name = tn__http_trim(p, (size_t)((semi ? semi : elem_end) - p));
        int q = semi ? tn__gzip_weight(semi + 1, elem_end) : 1000;
        if (tn__gzip_names(name, coding)) named = TN__MAX(named, q);
        else if (tn_str_eq(name, "*")) star = TN__MAX(star, q);
        p = comma ? comma + 1 : end;
    }
    return named >= 0 ? named : star;
}

TN_API bool tn_http_gzip_acceptable(tn_str ae) {
    int gzip = tn_http_accept_q(ae, "gzip"), identity = tn_http_accept_q(ae, "identity");
    return gzip > 0 && gzip >= identity;
}

TN__PRIVATE bool tn__gzip_ends_with(tn_str s, const char *suffix) {
    size_t n = strlen(suffix);
    return s.len >= n && tn_str_eq_nocase(tn__str_n(s.ptr + s.len - n, n), tn__str_n(suffix, n));
}

TN_API bool tn_http_compressible(tn_str ct) {
    static const char *const types[] = {"application/json",       "application/javascript", "application/x-javascript",
                                        "application/ecmascript", "application/xml",        "application/xhtml+xml",
                                        "application/atom+xml",   "application/rss+xml",    "image/svg+xml"};
    if (!ct.ptr) return false;
    const char *semi = TN__CAST(const char *, memchr(ct.ptr, ';', ct.len));
    tn_str t = tn__http_trim(ct.ptr, semi ? (size_t)(semi - ct.ptr) : ct.len);
    if (t.len > 5 && tn_str_eq_nocase(tn__str_n(t.ptr, 5), tn_str_c("text/"))) return true;
    for (size_t i = 0; i < TN__COUNTOF(types); i++)
        if (tn_str_eq_nocase(t, tn_str_c(types[i]))) return true;
    return tn__gzip_ends_with(t, "+json") || tn__gzip_ends_with(t, "+xml");
}

#if TN_ENABLE_DEFLATE
TN__INTERNAL int tn__gzip_append(tn_deflate *z, tn_buf *out, const void *in, size_t len, int flush) {
    const char *p = TN__CAST(const char *, in);
    for (;;) {
        // Room for a good ratio's output; the loop asks for more as needed.
        if (tn_buf_reserve(out, len / 4 + 4096)) return TN_ENOMEM;
        size_t in_len = len, room = out->cap - out->len - 1, out_len = room;
        int r = tn_deflate_update(z, p, &in_len, out->data + out->len, &out_len, flush);
        out->len += out_len;
        out->data[out->len] = '\0';
        p += in_len, len -= in_len;
        if (r < 0) return r;
        // Done: the flush is complete, or without one, all input taken and
        // the room not filled (nothing more waiting to come out).
        if (r == 1 || (flush == TN_DEFLATE_NO_FLUSH && !len && out_len < room)) return 0;
    }
}
#endif

TN__INTERNAL int tn__gzip_etag(tn_buf *out, tn_str etag) {
    size_t at = etag.len && etag.ptr[etag.len - 1] == '"' ? etag.len - 1 : etag.len;
    int r = tn_buf_append(out, etag.ptr, at);
    if (!r) r = tn_buf_append_str(out, TN__GZIP_ETAG_SUFFIX);
    return r ? r : tn_buf_append(out, etag.ptr + at, etag.len - at);
}

TN__INTERNAL bool tn__gzip_etag_is(tn_str tag, tn_str etag) {
    size_t n = sizeof TN__GZIP_ETAG_SUFFIX - 1;
    size_t at = etag.len && etag.ptr[etag.len - 1] == '"' ? etag.len - 1 : etag.len;
    return tag.len == etag.len + n && memcmp(tag.ptr, etag.ptr, at) == 0 &&
           memcmp(tag.ptr + at, TN__GZIP_ETAG_SUFFIX, n) == 0 && memcmp(tag.ptr + at + n, etag.ptr + at, etag.len - at) == 0;
}

TN__INTERNAL int tn__gzip_vary(tn_str vary, tn_buf *out) {
    tn_buf_clear(out);
    const char *p = vary.ptr, *end = p ? p + vary.len : NULL;  // no header: a null view
    while (p && p < end) {
        const char *comma = TN__CAST(const char *, memchr(p, ',', (size_t)(end - p)));
        tn_str name = tn__http_trim(p, (size_t)((comma ? comma : end) - p));
        if (tn_str_eq(name, "*") || tn_str_eq_nocase(name, tn_str_c("Accept-Encoding"))) return 0;
        p = comma ? comma + 1 : end;
    }
    tn_str v = vary.ptr ? tn__http_trim(vary.ptr, vary.len) : tn__str_n("", 0);
    int r = tn_buf_append(out, v.ptr, v.len);
    if (!r && v.len) r = tn_buf_append(out, ", ", 2);
    if (!r) r = tn_buf_append_str(out, "Accept-Encoding");
    return r ? r : 1;
}
