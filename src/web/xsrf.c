// >>xsrf implementation: tokens masked afresh for each page (Tornado's
// version 2), the _xsrf cookie, and the check of unsafe methods
#include "base/internal.h"
#include "web/xsrf.h"
#include "web/xsrf_internal.h"
#include "base/random.h"
#include "base/sha256.h"
#include "base/str.h"
#include "http/args.h"
#include "http/cookie.h"
#include "http/server.h"
#include "web/arguments.h"
#include "web/cookies.h"
#include "web/handler.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "web/handler_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if TN_ENABLE_XSRF  // the whole module (base/config.h)

// XORs a token with a 4-byte mask (Tornado's _websocket_mask; masking and
// unmasking are the same operation).
TN__PRIVATE void tn__xsrf_mask(unsigned char *token, size_t len, const unsigned char mask[4]) {
    for (size_t i = 0; i < len; i++) token[i] ^= mask[i % 4];
}

// Hex to bytes; false for odd lengths, bad digits or too much.
TN__PRIVATE bool tn__unhex(const char *s, size_t n, unsigned char *out, size_t cap, size_t *len) {
    if (n % 2 || n / 2 > cap) return false;
    for (size_t i = 0; i < n; i += 2) {
        int a = tn__hex_value(s[i]), b = tn__hex_value(s[i + 1]);
        if (a < 0 || b < 0) return false;
        out[i / 2] = (unsigned char)(a << 4 | b);
    }
    *len = n / 2;
    return true;
}

// Tornado's _decode_xsrf_token: "2|mask|masked|time" (hex), or version 1
// (hex, or the bytes themselves). False when it is not a usable token.
TN__PRIVATE bool tn__xsrf_decode(const char *t, unsigned char *out, size_t *len, int64_t *when) {
    size_t n = strlen(t);
    *when = (int64_t)time(NULL);
    if (n >= 2 && t[0] >= '1' && t[0] <= '9' && strchr(t, '|')) {
        const char *p1 = strchr(t, '|'), *p2 = p1 ? strchr(p1 + 1, '|') : NULL, *p3 = p2 ? strchr(p2 + 1, '|') : NULL;
        unsigned char mask[4];
        size_t ml;
        if (p1 - t != 1 || t[0] != '2' || !p2 || !p3 || strchr(p3 + 1, '|')) return false;
        if (!tn__unhex(p1 + 1, (size_t)(p2 - p1 - 1), mask, sizeof mask, &ml) || ml != 4) return false;
        if (!tn__unhex(p2 + 1, (size_t)(p3 - p2 - 1), out, 64, len) || *len == 0) return false;
        tn__xsrf_mask(out, *len, mask);
        char *end;
        *when = (int64_t)strtoll(p3 + 1, &end, 10);
        return *end == '\0' && end != p3 + 1;
    }
    if (tn__unhex(t, n, out, 64, len)) return *len > 0;
    if (n == 0 || n > 64) return false;
    memcpy(out, t, n);
    *len = n;
    return true;
}

// The raw token: from the _xsrf cookie, or a new random one.
TN__PRIVATE tn__webreq *tn__xsrf_raw(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w || w->xsrf_done) return w;
    w->xsrf_done = 1;
    const char *cookie = tn_get_cookie(h, "_xsrf", NULL);
    if (cookie && tn__xsrf_decode(cookie, w->xsrf, &w->xsrf_len, &w->xsrf_time)) {
        w->xsrf_cookie_ok = 1;
        return w;
    }
    w->xsrf_len = 16;
    w->xsrf_time = (int64_t)time(NULL);
    if (tn_random_bytes(w->xsrf, 16) != 0) w->xsrf_len = 0;
    return w;
}

TN_API const char *tn_xsrf_token(tn_handler *h) {
    tn__webreq *w = tn__xsrf_raw(h);
    if (!w || !w->xsrf_len) return NULL;
    unsigned char mask[4], masked[64];
    if (tn_random_bytes(mask, 4) != 0) return NULL;
    memcpy(masked, w->xsrf, w->xsrf_len);
    tn__xsrf_mask(masked, w->xsrf_len, mask);
    char token[2 + 9 + 129 + 24] = "2|";  // 2|mask|masked token|time
    size_t n = 2;
    tn__hex_encode(mask, 4, token + n);
    n += 8;
    token[n++] = '|';
    tn__hex_encode(masked, w->xsrf_len, token + n);
    n += 2 * w->xsrf_len;
    n += (size_t)snprintf(token + n, sizeof token - n, "|%lld", (long long)w->xsrf_time);
    if (!w->xsrf_cookie_ok) {  // the client gets the cookie with its first token
        tn_cookie_desc d;
        memset(&d, 0, sizeof d);
        d.name = "_xsrf";
        d.value = token;
        if (tn_set_cookie(h, &d) != 0) return NULL;
        w->xsrf_cookie_ok = 1;
    }
    if (tn_args_add(&w->verified, tn_str_c("_xsrf"), tn__str_n(token, n)) != 0) return NULL;
    return w->verified.items[w->verified.count - 1].value.ptr;
}

TN_API const char *tn_xsrf_form_html(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    const char *t = tn_xsrf_token(h);
    if (!t) return NULL;
    char html[256];
    int n = snprintf(html, sizeof html, "<input type=\"hidden\" name=\"_xsrf\" value=\"%s\"/>", t);
    if (n < 0 || (size_t)n >= sizeof html || tn_args_add(&w->verified, tn_str_c("_xsrf_html"), tn__str_n(html, (size_t)n)) != 0)
        return NULL;
    return w->verified.items[w->verified.count - 1].value.ptr;
}

// Tornado's check_xsrf_cookie. Sends the 403 itself; false then.
TN__INTERNAL bool tn__xsrf_check(tn_handler *h) {
    const char *sent = tn_get_argument(h, "_xsrf", NULL);
    if (tn_finished(h)) return false;  // the argument was not UTF-8: 400 sent
    tn_str hdr = tn_get_header(h, "X-Xsrftoken");
    if (!hdr.ptr) hdr = tn_get_header(h, "X-Csrftoken");
    char hbuf[256];
    if (!sent && hdr.ptr && hdr.len < sizeof hbuf) {
        memcpy(hbuf, hdr.ptr, hdr.len);
        hbuf[hdr.len] = '\0';
        sent = hbuf;
    }
    const char *why = NULL;
    unsigned char tok[64];
    size_t tlen = 0;
    int64_t when;
    tn__webreq *w = tn__xsrf_raw(h);
    if (!sent) why = "'_xsrf' argument missing from POST";
    else if (!tn__xsrf_decode(sent, tok, &tlen, &when)) why = "'_xsrf' argument has invalid format";
    else if (!w->xsrf_cookie_ok || tlen != w->xsrf_len || !tn_memeq_consttime(tok, w->xsrf, tlen))
        why = "XSRF cookie does not match POST argument";
    if (!why) return true;
    TN__LOGW("403 %s (%s)", why, h->request.remote_ip);
    tn_send_error(h, 403);
    return false;
}
#endif  // TN_ENABLE_XSRF
