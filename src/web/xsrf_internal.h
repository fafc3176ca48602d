// ---------------------------------------------------------------------------
// >>xsrf_internal  What the application asks of xsrf.c
// ---------------------------------------------------------------------------
#ifndef TN__WEB_XSRF_INTERNAL_H
#define TN__WEB_XSRF_INTERNAL_H
#include "base/internal.h"
#include "http/server.h"
#if TN_ENABLE_XSRF  // the whole module (base/config.h)

// Tornado's check_xsrf_cookie, for a method other than GET, HEAD and
// OPTIONS when the app has xsrf_cookies: true when the request carries the
// token of its _xsrf cookie; otherwise it sends the 403 itself (or the 400
// of a malformed argument) and returns false.
TN__INTERNAL bool tn__xsrf_check(tn_handler *h);
#endif  // TN_ENABLE_XSRF
#endif
