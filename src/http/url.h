// ---------------------------------------------------------------------------
// >>url  Percent-encoding and URL parsing
// ---------------------------------------------------------------------------
// Tornado's url_escape / url_unescape on bytes, and a parser for absolute URLs
// (the HTTP and WebSocket clients' input). Decoding never fails: a malformed
// escape such as "%zz" or a trailing "%4" is kept as written, as Python's
// unquote does. `plus` selects query-string rules ("+" is a space); paths use
// plus = false, so "+" in a path stays "+".
#ifndef TN__HTTP_URL_H
#define TN__HTTP_URL_H
#include "base/config.h"
#include "base/str.h"
TN__BEGIN_DECLS

// Decodes `len` bytes of `src` into `dst` (room for `len` bytes; dst may be
// src). Returns the decoded length (never more than len). Output is not
// NUL-terminated.
TN_API size_t tn_url_unescape(char *dst, const char *src, size_t len, bool plus);
// tn_url_unescape in place. Returns the new length.
TN_API size_t tn_url_unescape_inplace(char *s, size_t len, bool plus);
// Appends `s` percent-encoded. Unreserved bytes (A-Z a-z 0-9 - . _ ~) are kept;
// plus = true encodes a space as "+" and "/" as "%2F" (a query value, Python's
// quote_plus); plus = false encodes a space as "%20" and keeps "/" (a path,
// Python's quote). Returns 0 or TN_ENOMEM.
TN_API int tn_url_escape(tn_buf *out, const char *s, size_t len, bool plus);

// An absolute URL split into views of the parsed string.
typedef struct tn_url {
    tn_str scheme;    // as written, e.g. "http" (compare without case)
    tn_str userinfo;  // before "@", still percent-encoded; empty if none
    tn_str host;      // IPv6 literals without their brackets
    tn_str path;      // "/" when the URL has none; still percent-encoded
    tn_str query;     // after "?", without it; empty if none
    tn_str fragment;  // after "#", without it; empty if none
    uint16_t port;    // explicit, else 80 (http, ws) or 443 (https, wss), else 0
    bool has_port;    // the URL spelled a port
    bool has_query;   // the URL had a "?" (possibly with an empty query)
} tn_url;

// Parses "scheme://[userinfo@]host[:port][/path][?query][#fragment]".
// Returns 0 or TN_EPARSE (no "scheme://", empty host, a port that is not
// digits or is over 65535, a bad IPv6 literal, spaces or control bytes).
TN_API int tn_url_parse(const char *url, tn_url *out);
// tn_url_parse for a view that need not be NUL-terminated.
TN_API int tn_url_parse_str(tn_str url, tn_url *out);
// Resolves `ref` (a URL, or a reference such as "/a", "b/c", "../d", "?q",
// "//host/x") against the absolute URL `base`, as RFC 3986 section 5 does
// (dot segments removed, the fragment taken from ref), and appends the
// result to out. Returns 0, TN_EPARSE (base has no scheme) or TN_ENOMEM.
TN_API int tn_url_join(tn_buf *out, tn_str base, tn_str ref);

TN__END_DECLS
#endif
