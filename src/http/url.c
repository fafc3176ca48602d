// >>url implementation
#include "base/internal.h"
#include "http/url.h"
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
    while (p < end && (*p == '\0' || !strchr(stops, *p))) p++;
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
