// ---------------------------------------------------------------------------
// >>cookies  Cookies in a handler, plain and signed
// ---------------------------------------------------------------------------
// The request's cookies (>>cookie parses them), Set-Cookie headers, and
// Tornado's signed cookies made with the app's cookie_secret.
#ifndef TN__WEB_COOKIES_H
#define TN__WEB_COOKIES_H
#include "base/config.h"
#include "http/cookie.h"
#include "http/server.h"
TN__BEGIN_DECLS

// The cookies of the request (parsed on first use).
TN_API const char *tn_get_cookie(tn_handler *h, const char *name, const char *def);

// Adds a Set-Cookie header (tn_cookie_desc: path "/" by default). Returns
// 0 or TN_EINVAL (bad characters, logged) / TN_ENOMEM.
TN_API int tn_set_cookie(tn_handler *h, const tn_cookie_desc *cookie);
// Tells the browser to delete a cookie (an expired one with the same name,
// path and domain; path NULL means "/").
TN_API int tn_clear_cookie(tn_handler *h, const char *name, const char *path, const char *domain);
// Tornado's set_signed_cookie: the value signed with the app's cookie_secret
// (Tornado's v2 format), expiring in expires_days (0: 30). Returns 0, or
// TN_EINVAL without a cookie_secret.
TN_API int tn_set_signed_cookie(tn_handler *h, const char *name, const char *value, double expires_days);
// Tornado's get_signed_cookie: the verified value as a C string, or NULL
// when absent, forged, for another name, or older than max_age_days (0: 31).
TN_API const char *tn_get_signed_cookie(tn_handler *h, const char *name, double max_age_days);

TN__END_DECLS
#endif
