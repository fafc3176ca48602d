// ---------------------------------------------------------------------------
// >>cookie  Cookie request headers and Set-Cookie values
// ---------------------------------------------------------------------------
// Parsing follows Tornado's parse_cookie (Django's browser-like algorithm):
// the header is split on every ";" (even inside quotes), each chunk is
// "name=value" with whitespace trimmed, a chunk without "=" is a value with
// an empty name, and a value in double quotes is unquoted as Python's
// http.cookies does (\ooo octal escapes and \" style escapes). Cookies land
// in a tn_args, so tn_args_get gives the LAST cookie of a name, as Tornado.
#ifndef TN__HTTP_COOKIE_H
#define TN__HTTP_COOKIE_H
#include "base/config.h"
#include "base/str.h"
#include "http/args.h"

#include <time.h>

TN__BEGIN_DECLS

// Parses a Cookie header value and appends its cookies to `jar` (a
// zero-initialised or existing tn_args). Returns 0, TN_ERANGE past 1000
// cookies, or TN_ENOMEM; on error `jar` is left as it was.
TN_API int tn_cookie_parse(tn_args *jar, const char *header, size_t len);

typedef struct tn_cookie_desc {
    const char *name;      // required: letters, digits and !#$%&'*+-.^_`|~:
    const char *value;     // NULL: ""; quoted like Python's SimpleCookie when
                           // it has other characters (";" and controls refused)
    const char *domain;    // NULL: no Domain attribute
    const char *path;      // NULL: "/"
    time_t expires;        // 0: none (a session cookie); a past time deletes it
    int64_t max_age;       // > 0: Max-Age=N; < 0: Max-Age=0 (delete now); 0: none
    bool http_only;        // HttpOnly: hidden from scripts
    bool secure;           // Secure: sent over HTTPS only
    const char *samesite;  // "Strict", "Lax" or "None"; NULL: no attribute
} tn_cookie_desc;

// Appends a Set-Cookie header value, attributes in Python's Morsel order:
// `n=v; Domain=d; expires=<HTTP date>; HttpOnly; Max-Age=N; Path=/;
// SameSite=Lax; Secure`. Returns 0, TN_ENOMEM, or TN_EINVAL (and a log line,
// `out` unchanged) for a bad name, or a ";" or control byte in the value,
// domain, path or samesite.
TN_API int tn_cookie_format(tn_buf *out, const tn_cookie_desc *d);

TN__END_DECLS
#endif
