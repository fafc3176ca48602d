// >>url implementation
#include "base/internal.h"
#include "http/url.h"
#include "http/url_internal.h"
#include "base/error.h"
#include "base/str.h"
#include "base/str_internal.h"

#include <string.h>

TN_API size_t tn_url_unescape(char *dst, const char *src, size_t len, bool plus) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%' && i + 2 < len) {
            int hi = tn__hex_value((unsigned char)src[i + 1]);
            int lo = tn__hex_value((unsigned char)src[i + 2]);
            if (hi >= 0 && lo >= 0) {
                c = (char)(hi << 4 | lo);
                i += 2;
            }
        } else if (c == '+' && plus) {
            c = ' ';
        }
        dst[o++] = c;  // o <= i, so decoding in place never overtakes the reader
    }
    return o;
}

TN_API size_t tn_url_unescape_inplace(char *s, size_t len, bool plus) {
    return tn_url_unescape(s, s, len, plus);
}

TN__PRIVATE bool tn__url_unreserved(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

TN_API int tn_url_escape(tn_buf *out, const char *s, size_t len, bool plus) {
    static const char hex[] = "0123456789ABCDEF";
    // Worst case three bytes per input byte: reserve once, then write directly.
    if (len > (SIZE_MAX - 1) / 3 || tn_buf_reserve(out, len * 3)) return TN_ENOMEM;
    char *o = out->data + out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (tn__url_unreserved(c) || (c == '/' && !plus)) {
            *o++ = (char)c;
        } else if (c == ' ' && plus) {
            *o++ = '+';
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
    return 0;
}

// The first of `stops` in [p, end), or end.
TN__PRIVATE const char *tn__url_find(const char *p, const char *end, const char *stops) {
    for (; p < end; p++)  // no strchr per byte: a client parses a URL per request
        for (const char *s = stops; *s; s++)
            if (*p == *s) return p;
    return p;
}

TN__PRIVATE bool tn__url_scheme_ok(tn_str s) {
    // RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    for (size_t i = 0; i < s.len; i++) {
        int c = (unsigned char)s.ptr[i], lc = c | 0x20;
        bool alpha = lc >= 'a' && lc <= 'z';
        if (!alpha && (i == 0 || !((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))
            return false;
    }
    return s.len > 0;
}

TN__PRIVATE uint16_t tn__url_default_port(tn_str scheme) {
    if (tn_str_eq_nocase(scheme, tn_str_c("http")) || tn_str_eq_nocase(scheme, tn_str_c("ws")))
        return 80;
    if (tn_str_eq_nocase(scheme, tn_str_c("https")) || tn_str_eq_nocase(scheme, tn_str_c("wss")))
        return 443;
    return 0;
}

// Splits "host[:port]" (host may be "[v6]"). Returns 0 or TN_EPARSE.
TN__PRIVATE int tn__url_hostport(const char *p, const char *end, tn_url *u) {
    const char *colon;
    if (p < end && *p == '[') {
        const char *close = tn__url_find(p, end, "]");
        if (close == end) return TN_EPARSE;
        bool has_colon = false;
        for (const char *q = p + 1; q < close; q++) {
            if (*q == ':') has_colon = true;
            else if (*q != '.' && tn__hex_value((unsigned char)*q) < 0) return TN_EPARSE;
        }
        if (!has_colon) return TN_EPARSE;
        u->host = tn__str_n(p + 1, (size_t)(close - p - 1));
        colon = close + 1;
        if (colon < end && *colon != ':') return TN_EPARSE;
    } else {
        colon = tn__url_find(p, end, ":");
        for (const char *q = p; q < colon; q++)
            if (*q == '[' || *q == ']' || *q == '\\') return TN_EPARSE;
        u->host = tn__str_n(p, (size_t)(colon - p));
    }
    if (u->host.len == 0) return TN_EPARSE;
    if (colon >= end || colon + 1 == end) return 0;  // RFC 3986 allows "host:"
    unsigned long port = 0;
    for (const char *q = colon + 1; q < end; q++) {
        if (*q < '0' || *q > '9') return TN_EPARSE;
        port = port * 10 + (unsigned long)(*q - '0');
        if (port > 65535) return TN_EPARSE;
    }
    u->port = (uint16_t)port;
    u->has_port = true;
    return 0;
}

TN_API int tn_url_parse_str(tn_str url, tn_url *u) {
    static const char slash[] = "/";
    const char *p = url.ptr, *end = url.ptr + url.len;
    memset(u, 0, sizeof *u);
    u->userinfo = u->query = u->fragment = tn__str_n(end, 0);  // never NULL
    for (size_t i = 0; i < url.len; i++)
        if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f) return TN_EPARSE;
    const char *colon = tn__url_find(p, end, ":/?#");
    if (end - colon < 3 || memcmp(colon, "://", 3) != 0) return TN_EPARSE;
    u->scheme = tn__str_n(p, (size_t)(colon - p));
    if (!tn__url_scheme_ok(u->scheme)) return TN_EPARSE;
    const char *auth = colon + 3;
    const char *auth_end = tn__url_find(auth, end, "/?#");
    const char *at = NULL;
    for (const char *q = auth; q < auth_end; q++)
        if (*q == '@') at = q;
    if (at) {
        u->userinfo = tn__str_n(auth, (size_t)(at - auth));
        auth = at + 1;
    }
    int r = tn__url_hostport(auth, auth_end, u);
    if (r) return r;
    if (!u->has_port) u->port = tn__url_default_port(u->scheme);
    const char *qs = tn__url_find(auth_end, end, "?#");
    u->path = qs > auth_end ? tn__str_n(auth_end, (size_t)(qs - auth_end))
                            : tn__str_n(slash, 1);
    const char *hash = tn__url_find(qs, end, "#");
    if (qs < end && *qs == '?') {
        u->has_query = true;
        u->query = tn__str_n(qs + 1, (size_t)(hash - qs - 1));
    }
    if (hash < end) u->fragment = tn__str_n(hash + 1, (size_t)(end - hash - 1));
    return 0;
}

TN_API int tn_url_parse(const char *url, tn_url *out) {
    return tn_url_parse_str(tn_str_c(url), out);
}

// ---- building requests from a parsed URL (the HTTP and WebSocket clients)

TN__INTERNAL int tn__url_append_authority(tn_buf *b, const tn_url *u, uint16_t default_port) {
    bool v6 = memchr(u->host.ptr, ':', u->host.len) != NULL;
    int r = v6 ? tn_buf_append(b, "[", 1) : 0;
    if (!r) r = tn_buf_append(b, u->host.ptr, u->host.len);
    if (!r && v6) r = tn_buf_append(b, "]", 1);
    if (!r && u->port != default_port) {  // ":port" without printf: it is on every request
        char num[6];
        int i = (int)sizeof num;
        for (unsigned v = u->port; v || i == (int)sizeof num; v /= 10) num[--i] = (char)('0' + v % 10);
        num[--i] = ':';
        r = tn_buf_append(b, num + i, sizeof num - (size_t)i);
    }
    return r;
}

TN__INTERNAL int tn__url_append_target(tn_buf *b, const tn_url *u) {
    int r = tn_buf_append(b, u->path.ptr, u->path.len);
    if (!r && u->has_query) r = tn_buf_append(b, "?", 1);
    if (!r && u->has_query) r = tn_buf_append(b, u->query.ptr, u->query.len);
    return r;
}

// ---- reference resolution (RFC 3986 section 5)

// A URI reference split as RFC 3986 appendix B does; absent parts are NULL.
typedef struct tn__url_ref {
    tn_str scheme, authority, path, query, fragment;
} tn__url_ref;

TN__PRIVATE void tn__url_split_ref(tn_str s, tn__url_ref *r) {
    const char *p = s.ptr, *end = s.ptr + s.len, *q = tn__url_find(p, end, ":/?#");
    memset(r, 0, sizeof *r);
    if (q < end && *q == ':' && tn__url_scheme_ok(tn__str_n(p, (size_t)(q - p)))) {
        r->scheme = tn__str_n(p, (size_t)(q - p));
        p = q + 1;
    }
    if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
        q = tn__url_find(p + 2, end, "/?#");
        r->authority = tn__str_n(p + 2, (size_t)(q - p - 2));
        p = q;
    }
    q = tn__url_find(p, end, "?#");
    r->path = tn__str_n(p, (size_t)(q - p));
    p = q;
    if (p < end && *p == '?') {
        q = tn__url_find(p + 1, end, "#");
        r->query = tn__str_n(p + 1, (size_t)(q - p - 1));
        p = q;
    }
    if (p < end) r->fragment = tn__str_n(p + 1, (size_t)(end - p - 1));
}

// Drops the last segment written since `from`, with the "/" before it.
TN__PRIVATE void tn__url_pop_segment(tn_buf *out, size_t from) {
    size_t n = out->len;
    while (n > from && out->data[n - 1] != '/') n--;
    out->len = n > from ? n - 1 : from;
    out->data[out->len] = '\0';
}

// Appends path `in` with "." and ".." segments removed (RFC 3986 5.2.4).
TN__PRIVATE int tn__url_append_path(tn_buf *out, tn_str in) {
    size_t from = out->len, i = 0, n = in.len;
    const char *s = in.ptr;
    int r = 0;
    while (i < n && !r) {
        const char *p = s + i;
        size_t left = n - i;
        if (left >= 3 && memcmp(p, "../", 3) == 0) i += 3;                              // A
        else if (left >= 2 && memcmp(p, "./", 2) == 0) i += 2;                          // A
        else if (left >= 3 && memcmp(p, "/./", 3) == 0) i += 2;                         // B
        else if (left == 2 && memcmp(p, "/.", 2) == 0) r = tn_buf_append(out, "/", 1), i = n;
        else if (left >= 4 && memcmp(p, "/../", 4) == 0) tn__url_pop_segment(out, from), i += 3;  // C
        else if (left == 3 && memcmp(p, "/..", 3) == 0) {
            tn__url_pop_segment(out, from);
            r = tn_buf_append(out, "/", 1);
            i = n;
        } else if ((left == 1 && p[0] == '.') || (left == 2 && memcmp(p, "..", 2) == 0)) {
            i = n;                                                                      // D
        } else {                                                                        // E
            size_t j = i + (p[0] == '/');
            while (j < n && s[j] != '/') j++;
            r = tn_buf_append(out, p, j - i);
            i = j;
        }
    }
    return r;
}

// The reference's path merged with the base's (RFC 3986 5.2.3), dots removed.
TN__PRIVATE int tn__url_append_merged(tn_buf *out, const tn__url_ref *b, tn_str ref_path) {
    tn_buf merged;
    memset(&merged, 0, sizeof merged);
    int r;
    if (b->authority.ptr && b->path.len == 0) {
        r = tn_buf_append(&merged, "/", 1);
    } else {
        size_t dir = b->path.len;
        while (dir && b->path.ptr[dir - 1] != '/') dir--;
        r = tn_buf_append(&merged, b->path.ptr, dir);
    }
    if (!r) r = tn_buf_append(&merged, ref_path.ptr, ref_path.len);
    if (!r) r = tn__url_append_path(out, tn__str_n(merged.data, merged.len));
    tn_buf_free(&merged);
    return r;
}

TN_API int tn_url_join(tn_buf *out, tn_str base, tn_str ref) {
    tn__url_ref b, rf;
    tn__url_split_ref(base, &b);
    tn__url_split_ref(ref, &rf);
    if (!b.scheme.ptr) return TN_EPARSE;
    const tn__url_ref *auth = rf.scheme.ptr || rf.authority.ptr ? &rf : &b;
    tn_str query = rf.query;
    size_t start = out->len;
    int r = tn_buf_append(out, (rf.scheme.ptr ? rf : b).scheme.ptr, (rf.scheme.ptr ? rf : b).scheme.len);
    if (!r) r = tn_buf_append(out, ":", 1);
    if (!r && auth->authority.ptr) r = tn_buf_append(out, "//", 2);
    if (!r && auth->authority.ptr) r = tn_buf_append(out, auth->authority.ptr, auth->authority.len);
    if (r) {
    } else if (auth == &rf || (rf.path.len && rf.path.ptr[0] == '/')) {
        r = tn__url_append_path(out, rf.path);
    } else if (rf.path.len == 0) {
        r = tn_buf_append(out, b.path.ptr, b.path.len);
        if (!rf.query.ptr) query = b.query;
    } else {
        r = tn__url_append_merged(out, &b, rf.path);
    }
    if (!r && query.ptr) r = tn_buf_append(out, "?", 1);
    if (!r && query.ptr) r = tn_buf_append(out, query.ptr, query.len);
    if (!r && rf.fragment.ptr) r = tn_buf_append(out, "#", 1);
    if (!r && rf.fragment.ptr) r = tn_buf_append(out, rf.fragment.ptr, rf.fragment.len);
    if (r) {
        out->len = start;
        if (out->data) out->data[start] = '\0';
    }
    return r;
}
