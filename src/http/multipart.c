// >>multipart implementation
#include "base/internal.h"
#include "http/multipart.h"
#include "base/error.h"
#include "base/str.h"
#include "http/args.h"
#include "http/url.h"
#include "http/util.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "http/parse_internal.h"

#include <string.h>

#if TN_ENABLE_MULTIPART  // the whole module (base/config.h)

#define TN__MP_MAX_PARTS 100
#define TN__MP_MAX_HEADER (10 * 1024)
#define TN__MP_MAX_BOUNDARY 70  // RFC 2046

// memmem, which is not in C99 or POSIX.
TN__PRIVATE const char *tn__mp_find(const char *h, const char *end, const char *n, size_t nlen) {
    while ((size_t)(end - h) >= nlen) {
        const char *p = TN__CAST(const char *, memchr(h, n[0], (size_t)(end - h) - nlen + 1));
        if (!p) return NULL;
        if (memcmp(p, n, nlen) == 0) return p;
        h = p + 1;
    }
    return NULL;
}

TN__PRIVATE int tn__mp_fail(int err, const char *why) {
    TN__LOGW("invalid multipart/form-data: %s", why);
    return err;
}

// RFC 2046 bchars: DIGIT / ALPHA / "'()+_,-./:=?" / space (not last).
TN__PRIVATE bool tn__mp_boundary_ok(tn_str b) {
    if (b.len == 0 || b.len > TN__MP_MAX_BOUNDARY || b.ptr[b.len - 1] == ' ') return false;
    for (size_t i = 0; i < b.len; i++) {
        int c = (unsigned char)b.ptr[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (c == 0 || !strchr("'()+_,-./:=? ", c))) return false;
    }
    return true;
}

// The delimiter is "\r\n--" boundary; the one that opens the body may lack
// the CRLF. What follows it decides: "--" closes the body, optional
// padding then CRLF opens a part, anything else means it was content.
typedef struct tn__mp_scan {
    const char *end;
    char delim[4 + TN__MP_MAX_BOUNDARY];
    size_t delim_len;
} tn__mp_scan;

// If a delimiter line starts at p (at its "--"), returns where the next part
// starts (or the epilogue, with *close set); else NULL.
TN__PRIVATE const char *tn__mp_delim_end(const tn__mp_scan *sc, const char *p, bool *close) {
    size_t dash_len = sc->delim_len - 2;
    if ((size_t)(sc->end - p) < dash_len || memcmp(p, sc->delim + 2, dash_len) != 0) return NULL;
    p += dash_len;
    *close = sc->end - p >= 2 && p[0] == '-' && p[1] == '-';
    if (*close) return p + 2;
    while (p < sc->end && (*p == ' ' || *p == '\t')) p++;
    return sc->end - p >= 2 && p[0] == '\r' && p[1] == '\n' ? p + 2 : NULL;
}

// Finds the next delimiter from `from`: returns its CRLF, and sets *next.
TN__PRIVATE const char *tn__mp_next(const tn__mp_scan *sc, const char *from, const char **next,
                                    bool *close) {
    const char *d;
    while ((d = tn__mp_find(from, sc->end, sc->delim, sc->delim_len)) != NULL) {
        if ((*next = tn__mp_delim_end(sc, d + 2, close)) != NULL) return d;
        from = d + 1;
    }
    return NULL;
}

// Reads the header line at *pp up to `end`. Returns 1 (a line), 0 (no more)
// or TN_EPARSE (not "token: value", or a CR, LF or NUL inside).
TN__PRIVATE int tn__mp_line(const char **pp, const char *end, tn_str *name, tn_str *value) {
    const char *p = *pp;
    if (p >= end) return 0;
    const char *crlf = tn__mp_find(p, end, "\r\n", 2);
    const char *eol = crlf ? crlf : end;
    const char *colon = p;
    while (colon < eol && tn__http_is_tchar((unsigned char)*colon)) colon++;
    if (colon == p || colon == eol || *colon != ':') return TN_EPARSE;
    for (const char *q = colon; q < eol; q++)
        if (*q == '\r' || *q == '\n' || *q == '\0') return TN_EPARSE;
    const char *v = colon + 1, *vend = eol;
    while (v < vend && (*v == ' ' || *v == '\t')) v++;
    while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t')) vend--;
    *name = tn__str_n(p, (size_t)(colon - p));
    *value = tn__str_n(v, (size_t)(vend - v));
    *pp = crlf ? crlf + 2 : end;
    return 1;
}

TN_API tn_str tn_multipart_header(const tn_multipart_part *part, const char *name) {
    const char *p = part->headers.ptr, *end = p + part->headers.len;
    tn_str n, v, want = tn_str_c(name);
    while (tn__mp_line(&p, end, &n, &v) > 0)
        if (tn_str_eq_nocase(n, want)) return v;
    v.ptr = NULL;
    v.len = 0;
    return v;
}

// Pass 1: splits the body into parts (headers and body views).
TN__PRIVATE int tn__mp_split(tn_multipart *mp, tn__mp_scan *sc, const char *body, size_t max_parts,
                             size_t max_header) {
    bool close = false;
    const char *next = tn__mp_delim_end(sc, body, &close);
    if (!next && !tn__mp_next(sc, body, &next, &close))
        return tn__mp_fail(TN_EPARSE, "no boundary");
    size_t cap = 0;
    while (!close) {
        const char *start = next;  // just after the delimiter's CRLF
        if (mp->count == max_parts) return tn__mp_fail(TN_ERANGE, "too many parts");
        // Searching from the delimiter's CRLF finds an empty header block too.
        size_t avail = (size_t)(sc->end - start) + 2;
        size_t window = max_header < avail ? TN__MIN(avail, max_header + 6) : avail;
        const char *eoh = tn__mp_find(start - 2, start - 2 + window, "\r\n\r\n", 4);
        if (!eoh)
            return window < avail ? tn__mp_fail(TN_EMSGSIZE, "part header too large")
                                  : tn__mp_fail(TN_EPARSE, "missing headers");
        const char *content = eoh + 4;
        const char *d = tn__mp_next(sc, eoh + 2, &next, &close);
        if (!d) return tn__mp_fail(TN_EPARSE, "no closing boundary");
        if (tn__grow(&mp->parts, &cap, mp->count + 1, sizeof *mp->parts, 4)) return TN_ENOMEM;
        tn_multipart_part *part = &mp->parts[mp->count++];
        memset(part, 0, sizeof *part);
        part->headers = tn__str_n(start, eoh < start ? 0 : (size_t)(eoh - start));
        part->body = tn__str_n(content, d < content ? 0 : (size_t)(d - content));
    }
    return 0;
}

// Decodes the filename*= ext-value "charset'language'pct-encoded" (RFC 5987)
// into dst (room for v.len bytes). UTF-8 is kept, ISO-8859-1 converted to
// UTF-8. Returns the length, or -1 for another charset or a bad value.
TN__PRIVATE long tn__mp_ext_value(char *dst, tn_str v) {
    const char *q1 = TN__CAST(const char *, memchr(v.ptr, '\'', v.len));
    const char *end = v.ptr + v.len;
    const char *q2 = q1 ? TN__CAST(const char *, memchr(q1 + 1, '\'', (size_t)(end - q1 - 1))) : NULL;
    if (!q2) return -1;
    tn_str charset = tn__str_n(v.ptr, (size_t)(q1 - v.ptr));
    bool latin1 = tn_str_eq_nocase(charset, tn_str_c("iso-8859-1"));
    if (!latin1 && !tn_str_eq_nocase(charset, tn_str_c("utf-8"))) return -1;
    for (const char *p = q2 + 1; p < end; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) return -1;
    size_t n = tn_url_unescape(dst, q2 + 1, (size_t)(end - q2 - 1), false);
    if (latin1) {  // each byte >= 0x80 came from a 3-byte "%XX": room to widen
        size_t wide = n;
        for (size_t i = 0; i < n; i++) wide += (unsigned char)dst[i] >= 0x80;
        for (size_t i = n, o = wide; i-- > 0;) {
            unsigned char c = (unsigned char)dst[i];
            if (c < 0x80) {
                dst[--o] = (char)c;
            } else {
                dst[--o] = (char)(0x80 | (c & 0x3f));
                dst[--o] = (char)(0xc0 | c >> 6);
            }
        }
        n = wide;
    }
    return (long)n;
}

// Copies a parameter value into the arena, unquoted. Returns the copy.
TN__PRIVATE tn_str tn__mp_store(char **arena, tn_str v, bool quoted) {
    tn_str s;
    s.ptr = *arena;
    s.len = quoted ? tn_http_unquote(*arena, v) : v.len;
    if (!quoted && v.len) memcpy(*arena, v.ptr, v.len);
    (*arena)[s.len] = '\0';
    *arena += s.len + 1;
    return s;
}

// Pass 2: checks a part's headers and fills in its name, file name and type.
TN__PRIVATE int tn__mp_describe(tn_multipart_part *part, char **arena) {
    const char *p = part->headers.ptr, *end = p + part->headers.len;
    tn_str n, v;
    int r;
    while ((r = tn__mp_line(&p, end, &n, &v)) > 0) {}
    if (r < 0) return tn__mp_fail(TN_EPARSE, "bad part header line");
    tn_str disp = tn_multipart_header(part, "Content-Disposition");
    if (!disp.ptr) return tn__mp_fail(TN_EPARSE, "no Content-Disposition");
    const char *semi = TN__CAST(const char *, memchr(disp.ptr, ';', disp.len));
    tn_str type = tn__str_n(disp.ptr, semi ? (size_t)(semi - disp.ptr) : disp.len);
    while (type.len && (type.ptr[type.len - 1] == ' ' || type.ptr[type.len - 1] == '\t')) type.len--;
    if (!tn_str_eq_nocase(type, tn_str_c("form-data")))
        return tn__mp_fail(TN_EPARSE, "Content-Disposition is not form-data");
    bool quoted;
    if (!tn_http_header_param(disp, "name", &v, &quoted) || v.len == 0)
        return tn__mp_fail(TN_EPARSE, "value missing name");
    part->name = tn__mp_store(arena, v, quoted);
    long ext = -1;
    if (tn_http_header_param(disp, "filename*", &v, &quoted)) {
        tn_str raw = v;
        if (quoted) {
            raw.len = tn_http_unquote(*arena, v);
            raw.ptr = *arena;
        }
        ext = tn__mp_ext_value(*arena, raw);
    }
    if (ext >= 0) {
        part->filename = tn__str_n(*arena, (size_t)ext);
        (*arena)[ext] = '\0';
        *arena += ext + 1;
    } else if (tn_http_header_param(disp, "filename", &v, &quoted)) {
        part->filename = tn__mp_store(arena, v, quoted);
    }
    part->content_type = tn_multipart_header(part, "Content-Type");
    if (part->content_type.len == 0) part->content_type = tn_str_c("application/unknown");
    return 0;
}

TN_API int tn_multipart_parse(tn_multipart *mp, tn_str content_type, const char *body, size_t len,
                              const tn_multipart_limits *lim) {
    memset(mp, 0, sizeof *mp);
    tn__mp_scan sc;
    tn_str boundary;
    if (!tn_http_header_param(content_type, "boundary", &boundary, NULL) ||
        !tn__mp_boundary_ok(boundary))
        return tn__mp_fail(TN_EPARSE, "missing or bad boundary");
    memcpy(sc.delim, "\r\n--", 4);
    memcpy(sc.delim + 4, boundary.ptr, boundary.len);
    sc.delim_len = boundary.len + 4;
    sc.end = body + len;
    size_t max_parts = lim && lim->max_parts ? lim->max_parts : TN__MP_MAX_PARTS;
    size_t max_header = lim && lim->max_part_header_size ? lim->max_part_header_size
                                                         : TN__MP_MAX_HEADER;
    int r = tn__mp_split(mp, &sc, body, max_parts, max_header);
    if (r) return r;
    // Decoded names fit in their header block, plus a NUL each for name and file name.
    size_t need = 1;
    for (size_t i = 0; i < mp->count; i++) need += mp->parts[i].headers.len + 2;
    mp->names = TN__CAST(char *, tn__malloc(need));
    if (!mp->names) return TN_ENOMEM;
    char *arena = mp->names;
    for (size_t i = 0; i < mp->count; i++)
        if ((r = tn__mp_describe(&mp->parts[i], &arena)) != 0) return r;
    return 0;
}

TN_API int tn_multipart_to_args(const tn_multipart *mp, tn_args *args) {
    for (size_t i = 0; i < mp->count; i++) {
        const tn_multipart_part *part = &mp->parts[i];
        if (part->filename.len) continue;
        int r = tn_args_add(args, part->name, part->body);
        if (r) return r;
    }
    return 0;
}

TN_API void tn_multipart_free(tn_multipart *mp) {
    tn__free(mp->parts);
    tn__free(mp->names);
    memset(mp, 0, sizeof *mp);
}
#endif  // TN_ENABLE_MULTIPART
