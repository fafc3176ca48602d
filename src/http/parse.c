// >>http_parse implementation
#include "base/internal.h"
#include "http/parse.h"
#include "http/parse_internal.h"
#include "base/error.h"
#include "base/str.h"
#include "base/str_internal.h"

#include <limits.h>
#include <string.h>

// Internal results: 0 = go on, TN_INCOMPLETE, or the HTTP status of the error.
enum {
    TN__HTTP_BAD = 400,
    TN__HTTP_URI_TOO_LONG = 414,
    TN__HTTP_HEAD_TOO_LARGE = 431,
    TN__HTTP_VERSION = 505
};
enum { TN__C_TCHAR = 1, TN__C_REGNAME = 2, TN__C_HEX = 4 };

// Character classes: token (RFC 9110), reg-name (RFC 3986 unreserved and
// sub-delims), hex digit. Bytes >= 0x80 are in none.
static const unsigned char tn__http_cls[256] = {
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,3,0,1,3,1,3,3,2,2,3,3,2,3,3,0,7,7,7,7,7,7,7,7,7,7,0,2,0,2,0,0,
    0,7,7,7,7,7,7,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,0,0,0,1,3,
    1,7,7,7,7,7,7,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,0,1,0,3,0,
};

TN__PRIVATE bool tn__http_is(unsigned char c, int cls) { return (tn__http_cls[c] & cls) != 0; }
TN__INTERNAL bool tn__http_is_tchar(unsigned char c) { return tn__http_is(c, TN__C_TCHAR); }

// A case-insensitive compare of a view with a NUL-terminated name.
TN__PRIVATE bool tn__http_eq(tn_str a, const char *name) {
    return tn_str_eq_nocase(a, tn_str_c(name));
}

TN_API bool tn_headers_next(const tn_header *h, size_t n, const char *name, size_t *pos,
                            tn_str *value) {
    for (size_t i = *pos; i < n; i++) {
        if (tn__http_eq(h[i].name, name)) {
            *value = h[i].value;
            *pos = i + 1;
            return true;
        }
    }
    *pos = n;
    return false;
}

TN_API tn_str tn_headers_get(const tn_header *h, size_t n, const char *name) {
    size_t pos = 0;
    tn_str v = tn__str_n(NULL, 0);
    tn_headers_next(h, n, name, &pos, &v);
    return v;
}

TN_API size_t tn_headers_count(const tn_header *h, size_t n, const char *name) {
    size_t pos = 0, count = 0;
    tn_str v;
    while (tn_headers_next(h, n, name, &pos, &v)) count++;
    return count;
}

// ---- scanning -------------------------------------------------------------

// Why byte p cannot be read: past `cap` is the limit error `over`, past `len`
// more input is needed; 0 when it can.
TN__PRIVATE int tn__http_need(size_t p, size_t len, size_t cap, int over) {
    return p >= cap ? over : p >= len ? TN_INCOMPLETE : 0;
}

TN__PRIVATE size_t tn__http_scan_token(const char *b, size_t p, size_t e) {
    while (p < e && tn__http_is((unsigned char)b[p], TN__C_TCHAR)) p++;
    return p;
}

// The first index in [p, e) holding a byte below `lo` (HTAB excepted when
// tab_ok) or DEL. Eight bytes at a time while no byte of a word can stop the
// scan: values and targets are the long parts of a head.
TN__PRIVATE size_t tn__http_scan_text(const char *b, size_t p, size_t e, unsigned char lo,
                                      bool tab_ok) {
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (;;) {
        while (p + 8 <= e) {
            uint64_t x;
            memcpy(&x, b + p, 8);
            uint64_t del = x ^ (0x7f * ones);
            if (((x - lo * ones) & ~x & highs) | ((del - ones) & ~del & highs)) break;
            p += 8;
        }
        size_t stop = TN__MIN(e, p + 8);
        for (; p < stop; p++) {
            unsigned char c = (unsigned char)b[p];
            if ((c < lo && !(tab_ok && c == '\t')) || c == 0x7f) return p;
        }
        if (p >= e) return p;
    }
}

TN__INTERNAL tn_str tn__http_trim(const char *p, size_t len) {
    while (len && (p[0] == ' ' || p[0] == '\t')) p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
    return tn__str_n(p, len);
}

// At the start of a line: consumes a CRLF and returns 1; 0 when the line is
// not empty; TN_INCOMPLETE or an error status.
TN__PRIVATE int tn__http_empty_line(const char *b, size_t len, size_t cap, size_t *p) {
    int r = tn__http_need(*p, len, cap, TN__HTTP_HEAD_TOO_LARGE);
    if (r || b[*p] != '\r') return r;
    if ((r = tn__http_need(*p + 1, len, cap, TN__HTTP_HEAD_TOO_LARGE))) return r;
    if (b[*p + 1] != '\n') return TN__HTTP_BAD;
    *p += 2;
    return 1;
}

// Expects the CRLF ending a line at *p (which is inside len).
TN__PRIVATE int tn__http_crlf(const char *b, size_t len, size_t cap, size_t *p) {
    if (b[*p] != '\r') return TN__HTTP_BAD;
    int r = tn__http_need(*p + 1, len, cap, TN__HTTP_HEAD_TOO_LARGE);
    if (r) return r;
    if (b[*p + 1] != '\n') return TN__HTTP_BAD;
    *p += 2;
    return 0;
}

// One field line "name: value CRLF" at *p, nothing read at or past `cap`.
TN__PRIVATE int tn__http_field(const char *b, size_t len, size_t cap, size_t *p, tn_header *out) {
    size_t e = TN__MIN(len, cap), q = tn__http_scan_token(b, *p, e);
    if (q == e) return tn__http_need(q, len, cap, TN__HTTP_HEAD_TOO_LARGE);
    // A line starting with whitespace is obs-fold; whitespace before the colon is forbidden.
    if (q == *p || b[q] != ':') return TN__HTTP_BAD;
    size_t v = q + 1;
    q = tn__http_scan_text(b, v, e, 0x20, true);
    if (q == e) return tn__http_need(q, len, cap, TN__HTTP_HEAD_TOO_LARGE);
    int r = tn__http_crlf(b, len, cap, &q);
    if (r) return r;
    out->name = tn__str_n(b + *p, (size_t)(v - 1 - *p));
    out->value = tn__http_trim(b + v, q - 2 - v);
    *p = q;
    return 0;
}

// The field lines and the blank line ending a head, from *p.
TN__PRIVATE int tn__http_fields(const char *b, size_t len, size_t cap, size_t *p, tn_header *h,
                                size_t max, size_t *n) {
    *n = 0;
    for (;;) {
        int r = tn__http_empty_line(b, len, cap, p);
        if (r) return r == 1 ? 0 : r;
        if (*n == max) return TN__HTTP_HEAD_TOO_LARGE;
        if ((r = tn__http_field(b, len, cap, p, &h[*n]))) return r;
        (*n)++;
    }
}

// ---- start lines ----------------------------------------------------------

// The bounds of one head being parsed: `len` bytes are there, nothing of the
// head may sit at or past `cap`, nor the start line's text at or past `lim`.
typedef struct tn__http_head {
    const char *b;
    size_t len, cap, lim;
} tn__http_head;

// Why byte q of the start line's text cannot be read (0 when it can).
TN__PRIVATE int tn__http_need_line(const tn__http_head *h, size_t q) {
    return q >= h->lim ? TN__HTTP_URI_TOO_LONG
                       : tn__http_need(q, h->len, h->cap, TN__HTTP_HEAD_TOO_LARGE);
}

// "HTTP/1.x" at *q; sets *minor. A major other than 1 is 505.
TN__PRIVATE int tn__http_version(const tn__http_head *h, size_t *q, int *minor) {
    static const char pattern[] = "HTTP/1.";
    for (int i = 0; i < 8; i++, (*q)++) {
        int r = tn__http_need_line(h, *q);
        if (r) return r;
        unsigned char c = (unsigned char)h->b[*q];
        if (i == 5 && c >= '0' && c <= '9' && c != '1') return TN__HTTP_VERSION;
        if (i == 7 ? !(c >= '0' && c <= '9') : c != (unsigned char)pattern[i]) return TN__HTTP_BAD;
        if (i == 7) *minor = c > '0';
    }
    return 0;
}

// Line text up to a byte outside the class scanned by `scan_text(lo, tab_ok)`.
TN__PRIVATE int tn__http_line_text(const tn__http_head *h, size_t *q, unsigned char lo, bool tab_ok) {
    size_t e = TN__MIN(TN__MIN(h->len, h->cap), h->lim);
    *q = tn__http_scan_text(h->b, *q, e, lo, tab_ok);
    return *q >= e ? tn__http_need_line(h, *q) : 0;
}

TN__INTERNAL bool tn__http_valid_host(tn_str s, bool strict, bool need_port) {
    size_t i = 0, n = s.len;
    const unsigned char *p = (const unsigned char *)s.ptr;
    if (n && p[0] == '[') {
        // IPv6address or IPvFuture; their exact grammar is not checked, their alphabet is.
        bool future = n > 1 && (p[1] == 'v' || p[1] == 'V');
        for (i = 1 + future; i < n && p[i] != ']'; i++)
            if (!(tn__http_is(p[i], TN__C_HEX) || p[i] == ':' || p[i] == '.' ||
                  (future && tn__http_is(p[i], TN__C_REGNAME))))
                return false;
        if (i == n || i == 1 + (size_t)future) return false;
        i++;
    } else {
        for (; i < n && p[i] != ':'; i++) {
            if (p[i] == '%' && i + 2 < n && tn__http_is(p[i + 1], TN__C_HEX) &&
                tn__http_is(p[i + 2], TN__C_HEX))
                i += 2;
            else if (!tn__http_is(p[i], TN__C_REGNAME))
                return false;
        }
        if (i == 0 && strict) return false;
    }
    if (i == n) return !need_port;
    if (p[i] != ':' || (need_port && i + 1 == n)) return false;
    for (i++; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return false;
    return true;
}

// Splits "path?query" into the request's views.
TN__PRIVATE void tn__http_split_query(tn_str pq, tn_http_request *req) {
    const char *qm = TN__CAST(const char *, memchr(pq.ptr, '?', pq.len));
    req->path = tn__str_n(pq.ptr, qm ? (size_t)(qm - pq.ptr) : pq.len);
    if (qm) req->query = tn__str_n(qm + 1, pq.len - req->path.len - 1);
}

// absolute-form: scheme "://" authority [path] ["?" query].
TN__PRIVATE bool tn__http_absolute_form(tn_str t, tn_http_request *req) {
    size_t i = 0;
    const char *p = t.ptr;
    for (; i < t.len; i++) {
        unsigned char c = (unsigned char)p[i];
        bool alpha = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
        if (!alpha && !(i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))
            break;
    }
    if (i == 0 || t.len - i < 3 || memcmp(p + i, "://", 3) != 0) return false;
    size_t a = i + 3, e = a;
    while (e < t.len && p[e] != '/' && p[e] != '?') e++;
    req->authority = tn__str_n(p + a, e - a);
    if (!tn__http_valid_host(req->authority, true, false)) return false;
    tn__http_split_query(tn__str_n(p + e, t.len - e), req);
    if (req->path.len == 0) req->path = tn__str_n("/", 1);
    return true;
}

// Checks the request-target's form against the method and fills the views.
TN__PRIVATE bool tn__http_target(tn_http_request *req) {
    tn_str t = req->target;
    if (tn_str_eq(req->method, "CONNECT")) {
        req->authority = t;
        return tn__http_valid_host(t, true, true);
    }
    if (t.ptr[0] == '/') {
        tn__http_split_query(t, req);
        return true;
    }
    if (tn_str_eq(t, "*")) {
        req->path = t;
        return tn_str_eq(req->method, "OPTIONS");
    }
    return tn__http_absolute_form(t, req);
}

TN__PRIVATE tn__http_head tn__http_head_init(const char *buf, size_t len,
                                             const tn_http_limits *limits) {
    tn__http_head h;
    h.b = buf;
    h.len = len;
    h.cap = TN__MIN(TN__DEF(limits ? limits->max_header_size : 0, 16384u), (size_t)INT_MAX);
    h.lim = TN__DEF(limits ? limits->max_request_line : 0, 8192u);
    return h;
}

TN__PRIVATE int tn__http_request_line(tn__http_head *h, size_t *p, tn_http_request *req) {
    int r;
    while ((r = tn__http_empty_line(h->b, h->len, h->cap, p)) == 1) {}
    if (r) return r;
    size_t s = *p, q;
    h->lim = h->lim > SIZE_MAX - s ? SIZE_MAX : s + h->lim;
    size_t e = TN__MIN(TN__MIN(h->len, h->cap), h->lim);
    q = tn__http_scan_token(h->b, s, e);
    if (q == e) return tn__http_need_line(h, q);
    if (q == s || h->b[q] != ' ') return TN__HTTP_BAD;
    req->method = tn__str_n(h->b + s, q - s);
    size_t t = ++q;
    if ((r = tn__http_line_text(h, &q, 0x21, false))) return r;
    if (q == t || h->b[q] != ' ') return TN__HTTP_BAD;
    req->target = tn__str_n(h->b + t, q - t);
    if (!tn__http_target(req)) return TN__HTTP_BAD;
    q++;
    if ((r = tn__http_version(h, &q, &req->version_minor))) return r;
    // The CR may sit right at the line limit: need() instead of need_line().
    if ((r = tn__http_need(q, h->len, h->cap, TN__HTTP_HEAD_TOO_LARGE))) return r;
    if ((r = tn__http_crlf(h->b, h->len, h->cap, &q))) return r;
    *p = q;
    return 0;
}

TN_API int tn_http_parse_request(const char *buf, size_t len, tn_http_request *req,
                                 tn_header *headers, size_t max_headers,
                                 const tn_http_limits *limits) {
    tn__http_head h = tn__http_head_init(buf, len, limits);
    size_t p = 0;
    memset(req, 0, sizeof *req);
    req->headers = headers;
    int r = tn__http_request_line(&h, &p, req);
    if (!r) r = tn__http_fields(buf, len, h.cap, &p, headers, max_headers, &req->num_headers);
    if (r == TN_INCOMPLETE) return r;
    if (r) {
        req->status = r;
        return TN_EPARSE;
    }
    return (int)p;
}

TN__PRIVATE int tn__http_status_line(tn__http_head *h, size_t *p, tn_http_response *resp) {
    size_t q = 0;
    int r = tn__http_version(h, &q, &resp->version_minor);
    for (int i = 0; !r && i < 4; i++, q++) {
        if ((r = tn__http_need_line(h, q))) break;
        unsigned char c = (unsigned char)h->b[q];
        if (i == 0 ? c != ' ' : !(c >= '0' + (i == 1) && c <= '9')) return TN__HTTP_BAD;
        if (i) resp->status_code = resp->status_code * 10 + (c - '0');
    }
    if (r) return r;
    // "HTTP/1.1 200\r\n": the SP before an empty reason is often left out.
    if ((r = tn__http_need(q, h->len, h->cap, TN__HTTP_HEAD_TOO_LARGE))) return r;
    size_t reason = q;
    if (h->b[q] == ' ') {
        reason = ++q;
        if ((r = tn__http_line_text(h, &q, 0x20, true))) return r;
    }
    resp->reason = tn__str_n(h->b + reason, q - reason);
    if ((r = tn__http_crlf(h->b, h->len, h->cap, &q))) return r;
    *p = q;
    return 0;
}

TN_API int tn_http_parse_response(const char *buf, size_t len, tn_http_response *resp,
                                  tn_header *headers, size_t max_headers,
                                  const tn_http_limits *limits) {
    tn__http_head h = tn__http_head_init(buf, len, limits);
    size_t p = 0;
    memset(resp, 0, sizeof *resp);
    resp->headers = headers;
    int r = tn__http_status_line(&h, &p, resp);
    if (!r) r = tn__http_fields(buf, len, h.cap, &p, headers, max_headers, &resp->num_headers);
    if (r == TN_INCOMPLETE) return r;
    return r ? TN_EPARSE : (int)p;
}

// ---- framing --------------------------------------------------------------

// The next element of a comma-separated list, OWS trimmed (possibly empty).
// Returns false once the list is used up.
TN__PRIVATE bool tn__http_list_next(tn_str *rest, tn_str *elem) {
    if (!rest->ptr) return false;
    const char *comma = TN__CAST(const char *, memchr(rest->ptr, ',', rest->len));
    size_t n = comma ? (size_t)(comma - rest->ptr) : rest->len;
    *elem = tn__http_trim(rest->ptr, n);
    if (comma) {
        rest->ptr = comma + 1;
        rest->len -= n + 1;
    } else {
        rest->ptr = NULL;
    }
    return true;
}

// Content-Length over every line and list element: 1*DIGIT, all equal.
TN__PRIVATE bool tn__http_content_length(const tn_header *h, size_t n, bool *seen, uint64_t *out) {
    size_t pos = 0;
    tn_str v, e;
    *seen = false;
    while (tn_headers_next(h, n, "Content-Length", &pos, &v)) {
        while (tn__http_list_next(&v, &e)) {
            uint64_t x = 0;
            if (e.len == 0) return false;
            for (size_t i = 0; i < e.len; i++) {
                unsigned d = (unsigned char)e.ptr[i] - '0';
                if (d > 9 || x > (UINT64_MAX - d) / 10) return false;
                x = x * 10 + d;
            }
            if (*seen && x != *out) return false;
            *seen = true;
            *out = x;
        }
    }
    return true;
}

// Transfer-Encoding: absent, or exactly one element "chunked" (we decode no
// other coding, and anything else is a smuggling shape). Returns -1 if invalid.
TN__PRIVATE int tn__http_chunked(const tn_header *h, size_t n) {
    size_t pos = 0, count = 0;
    bool chunked = false;
    tn_str v, e;
    while (tn_headers_next(h, n, "Transfer-Encoding", &pos, &v)) {
        while (tn__http_list_next(&v, &e)) {
            count++;
            chunked = tn__http_eq(e, "chunked");
        }
    }
    return count == 0 ? 0 : count == 1 && chunked ? 1 : -1;
}

// True when any Connection header lists `option`.
TN__PRIVATE bool tn__http_connection_has(const tn_header *h, size_t n, const char *option) {
    size_t pos = 0;
    tn_str v, e;
    while (tn_headers_next(h, n, "Connection", &pos, &v))
        while (tn__http_list_next(&v, &e))
            if (tn__http_eq(e, option)) return true;
    return false;
}

// The rules requests and responses share: body length headers and keep-alive.
TN__PRIVATE int tn__http_framing(int minor, const tn_header *h, size_t n, tn_http_framing *f) {
    bool has_length;
    memset(f, 0, sizeof *f);
    f->status = TN__HTTP_BAD;
    int chunked = tn__http_chunked(h, n);
    if (!tn__http_content_length(h, n, &has_length, &f->content_length) || chunked < 0 ||
        (chunked && (has_length || minor == 0)))
        return TN_EPARSE;
    f->body = chunked ? TN_HTTP_BODY_CHUNKED : has_length ? TN_HTTP_BODY_LENGTH : TN_HTTP_BODY_NONE;
    f->keep_alive = !tn__http_connection_has(h, n, "close") &&
                    (minor >= 1 || tn__http_connection_has(h, n, "keep-alive"));
    f->status = 0;
    return 0;
}

TN_API int tn_http_request_framing(const tn_http_request *req, tn_http_framing *f) {
    if (tn__http_framing(req->version_minor, req->headers, req->num_headers, f)) return TN_EPARSE;
    size_t hosts = tn_headers_count(req->headers, req->num_headers, "Host");
    tn_str host = tn_headers_get(req->headers, req->num_headers, "Host");
    if (hosts > 1 || (hosts == 0 && req->version_minor >= 1) ||
        (hosts == 1 && !tn__http_valid_host(host, false, false))) {
        f->status = TN__HTTP_BAD;
        return TN_EPARSE;
    }
    // RFC 9112 3.2.2: an absolute-form target's authority overrides Host.
    f->host = req->authority.ptr && !tn_str_eq(req->method, "CONNECT") ? req->authority : host;
    f->expect_continue =
        req->version_minor >= 1 &&
        tn__http_eq(tn_headers_get(req->headers, req->num_headers, "Expect"), "100-continue");
    return 0;
}

TN_API int tn_http_response_framing(const tn_http_response *resp, tn_str request_method,
                                    tn_http_framing *f) {
    if (tn__http_framing(resp->version_minor, resp->headers, resp->num_headers, f)) return TN_EPARSE;
    int code = resp->status_code;
    // A 2xx answer to CONNECT turns the connection into a tunnel: no body.
    if (tn_str_eq(request_method, "HEAD") || code < 200 || code == 204 || code == 304 ||
        (code < 300 && tn_str_eq(request_method, "CONNECT"))) {
        f->body = TN_HTTP_BODY_NONE;
        f->content_length = 0;
    } else if (f->body == TN_HTTP_BODY_NONE) {
        f->body = TN_HTTP_BODY_UNTIL_CLOSE;
        f->keep_alive = false;
    }
    return 0;
}

// ---- chunked --------------------------------------------------------------

enum { TN__CK_SIZE, TN__CK_DATA, TN__CK_DATA_END, TN__CK_TRAILER, TN__CK_DONE };

// A chunk-size line "HEX [BWS ";" extensions] CRLF" at b[0..len), shorter
// than `max`. Extensions are skipped; they may hold no CTL but HTAB.
// A size over `room` is TN_EMSGSIZE as soon as its digits show it.
TN__PRIVATE int tn__chunk_size_line(const char *b, size_t len, size_t max, uint64_t room, uint64_t *size,
                                    size_t *used) {
    size_t q = 0, e = TN__MIN(len, max);
    uint64_t v = 0;
    for (; q < e && tn__http_is((unsigned char)b[q], TN__C_HEX); q++) {
        if (q == 16) return TN_EPARSE;  // 16 hex digits fill a uint64_t
        unsigned char c = (unsigned char)b[q];
        v = v << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        if (v > room) return TN_EMSGSIZE;
    }
    size_t digits = q;
    while (q < e && (b[q] == ' ' || b[q] == '\t')) q++;
    if (q < e && b[q] == ';') q = tn__http_scan_text(b, q + 1, e, 0x20, true);
    else if (q < e && q != digits) return TN_EPARSE;  // BWS only before ';'
    if (q == e) return q >= max ? TN_EPARSE : TN_INCOMPLETE;
    if (digits == 0 || b[q] != '\r') return TN_EPARSE;
    if (q + 1 >= e) return q + 1 >= max ? TN_EPARSE : TN_INCOMPLETE;
    if (b[q + 1] != '\n') return TN_EPARSE;
    *size = v;
    *used = q + 2;
    return 0;
}

// One trailer line (or the blank line ending them) at b[0..len).
TN__PRIVATE int tn__chunk_trailer(tn_chunked_decoder *d, const char *b, size_t len, size_t *used) {
    size_t max = TN__DEF(d->max_trailer, 16384u), p = 0;
    tn_header ignored;
    int r = tn__http_empty_line(b, len, max - d->_trailer_bytes, &p);
    if (r == 0) r = tn__http_field(b, len, max - d->_trailer_bytes, &p, &ignored);
    if (r == TN_INCOMPLETE) return r;
    if (r != 0 && r != 1) return TN_EPARSE;
    if (r == 1) d->_state = TN__CK_DONE;
    d->_trailer_bytes += p;
    *used = p;
    return 0;
}

// One step of the decoder at b[0..len): sets *used (and *data in DATA).
TN__PRIVATE int tn__chunk_step(tn_chunked_decoder *d, const char *b, size_t len, size_t *used,
                               tn_str *data) {
    switch (d->_state) {
    case TN__CK_SIZE: {
        uint64_t room = d->max_size ? d->max_size - d->_total : UINT64_MAX;
        int r = tn__chunk_size_line(b, len, TN__DEF(d->max_line, 4096u), room, &d->_remaining, used);
        if (r) return r;
        d->_total += d->_remaining;
        d->_state = d->_remaining ? TN__CK_DATA : TN__CK_TRAILER;
        return 0;
    }
    case TN__CK_DATA:
        *used = (size_t)TN__MIN((uint64_t)len, d->_remaining);
        *data = tn__str_n(b, *used);
        if ((d->_remaining -= *used) == 0) d->_state = TN__CK_DATA_END;
        return *used ? 0 : TN_INCOMPLETE;
    case TN__CK_DATA_END:
        if (len == 0) return TN_INCOMPLETE;
        if (b[0] != '\r') return TN_EPARSE;
        if (len == 1) return TN_INCOMPLETE;
        if (b[1] != '\n') return TN_EPARSE;
        *used = 2;
        d->_state = TN__CK_SIZE;
        return 0;
    default:  // TN__CK_TRAILER: tn_chunked_decode never steps a finished decoder
        return tn__chunk_trailer(d, b, len, used);
    }
}

TN_API int tn_chunked_decode(tn_chunked_decoder *d, const char *buf, size_t len, tn_str *data) {
    size_t off = 0;
    *data = tn__str_n(buf, 0);
    // Consume framing freely but return at most one payload span per call,
    // and never more than an int can count.
    len = TN__MIN(len, (size_t)INT_MAX);
    while (d->_state != TN__CK_DONE && !(d->_state == TN__CK_DATA && data->len)) {
        size_t used = 0;
        int r = tn__chunk_step(d, buf + off, len - off, &used, data);
        // An error after some progress is reported by the next call, so a
        // split feed and a one-shot feed deliver the same data.
        if (r == TN_EPARSE || r == TN_EMSGSIZE) return off ? (int)off : r;
        if (r) break;
        off += used;
    }
    return off ? (int)off : d->_state == TN__CK_DONE ? 0 : TN_INCOMPLETE;
}

TN_API bool tn_chunked_done(const tn_chunked_decoder *d) { return d->_state == TN__CK_DONE; }
