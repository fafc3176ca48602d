// >>cookies implementation: the request's cookies, Set-Cookie, signed cookies
#include "base/internal.h"
#include "web/cookies.h"
#include "base/error.h"
#include "base/signed.h"
#include "base/str.h"
#include "http/args.h"
#include "http/cookie.h"
#include "http/parse.h"
#include "http/server.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "http/server_internal.h"
#include "web/handler_internal.h"

#include <string.h>
#include <time.h>

TN_API const char *tn_get_cookie(tn_handler *h, const char *name, const char *def) {
    tn__webreq *w = tn__web(h);
    if (!w) return def;
    if (!w->cookies_done) {
        w->cookies_done = 1;
        size_t pos = 0;
        tn_str c;
        while (tn_headers_next(h->request.headers, h->request.num_headers, "Cookie", &pos, &c))
            if (tn_cookie_parse(&w->cookies, c.ptr, c.len) == TN_ENOMEM) tn__handler_nomem(h);  // a 500, not "absent"
    }
    const tn_str *v = tn_args_get(&w->cookies, name);
    return v ? v->ptr : def;
}

TN_API int tn_set_cookie(tn_handler *h, const tn_cookie_desc *cookie) {
    tn__webreq *w = tn__web(h);
    if (!w) return TN_EINVAL;
    size_t start = w->scratch.len;
    int r = tn_cookie_format(&w->scratch, cookie);
    if (r == 0) r = tn_add_header(h, "Set-Cookie", w->scratch.data + start);
    w->scratch.len = start;
    if (w->scratch.data) w->scratch.data[start] = '\0';
    return r;
}

TN_API int tn_clear_cookie(tn_handler *h, const char *name, const char *path, const char *domain) {
    tn_cookie_desc d;
    memset(&d, 0, sizeof d);
    d.name = name;
    d.path = path;
    d.domain = domain;
    d.expires = time(NULL) - 365 * 86400;  // Tornado: a year ago
    d.max_age = -1;                          // and Max-Age=0
    return tn_set_cookie(h, &d);
}

#if TN_ENABLE_SIGNED  // signed cookies, to the end
TN_API int tn_set_signed_cookie(tn_handler *h, const char *name, const char *value, double expires_days) {
    tn__webreq *w = tn__web(h);
    if (!w || !w->web->cookie_secret) {
        TN__LOGE("tn_set_signed_cookie needs the application's cookie_secret");
        return TN_EINVAL;
    }
    tn_buf sv = {NULL, 0, 0};
    int r = tn_signed_value_create(&sv, w->web->cookie_secret, 0, name, value, strlen(value), (int64_t)time(NULL));
    if (r == 0) {
        tn_cookie_desc d;
        memset(&d, 0, sizeof d);
        d.name = name;
        d.value = sv.data;
        d.expires = time(NULL) + (time_t)((expires_days > 0 ? expires_days : 30.0) * 86400.0);
        r = tn_set_cookie(h, &d);
    }
    tn_buf_free(&sv);
    return r;
}

TN_API const char *tn_get_signed_cookie(tn_handler *h, const char *name, double max_age_days) {
    tn__webreq *w = tn__web(h);
    const char *raw = tn_get_cookie(h, name, NULL);
    if (!w || !raw || !w->web->cookie_secret) return NULL;
    const char *secret = w->web->cookie_secret;
    tn_buf v = {NULL, 0, 0};
    int r = tn_signed_value_decode(&v, &secret, 1, name, raw, strlen(raw), max_age_days, (int64_t)time(NULL));
    // A value with a NUL inside is no C string: refused like a forged one.
    if (r == 0 && !(v.len && memchr(v.data, '\0', v.len))) r = tn_args_add(&w->verified, tn_str_c(name), tn__str_n(v.data ? v.data : "", v.len));
    else r = TN_EPARSE;
    tn_buf_free(&v);
    return r == 0 ? w->verified.items[w->verified.count - 1].value.ptr : NULL;
}
#endif  // TN_ENABLE_SIGNED
