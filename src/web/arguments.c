// >>arguments implementation: query and body arguments, uploaded files
#include "base/internal.h"
#include "web/arguments.h"
#include "base/error.h"
#include "base/str.h"
#include "base/utf8.h"
#include "http/args.h"
#include "http/multipart.h"
#include "http/server.h"
#include "web/handler.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "http/server_internal.h"
#include "web/handler_internal.h"

#include <string.h>

// An invalid input is ignored (as Tornado); arguments lost to an allocation
// failure fail the request instead (the handler would see defaults: it gets a 500).
TN__PRIVATE void tn__web_parsed(tn_handler *h, int rc, const char *what) {
    if (rc == TN_ENOMEM) tn__handler_nomem(h);
    else if (rc) TN__LOGW("invalid %s; ignored", what);
}

TN__PRIVATE void tn__web_parse_body(tn__webreq *w, tn_handler *h) {
    w->body_done = 1;
    tn_str ct = tn_get_header(h, "Content-Type");
    tn_str body = h->request.body;
    if (!ct.ptr || !body.len) return;
    if (ct.len >= 33 && tn_str_eq_nocase(tn__str_n(ct.ptr, 33), tn_str_c("application/x-www-form-urlencoded"))) {
        tn__web_parsed(h, tn_args_parse(&w->body, body.ptr, body.len, NULL), "form body");
    } else if (ct.len >= 19 && tn_str_eq_nocase(tn__str_n(ct.ptr, 19), tn_str_c("multipart/form-data"))) {
#if TN_ENABLE_MULTIPART
        w->files_done = 1;
        int rc = tn_multipart_parse(&w->files, ct, body.ptr, body.len, NULL);
        if (rc == 0) rc = tn_multipart_to_args(&w->files, &w->body);
        if (rc == TN_ENOMEM) tn__handler_nomem(h);
#else
        TN__LOGW("multipart body ignored: built with TN_ENABLE_MULTIPART 0");
#endif
    }
}

TN__PRIVATE const tn_args *tn__web_query(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w->query_done) {
        w->query_done = 1;
        tn__web_parsed(h, tn_args_parse(&w->query, h->request.query.ptr, h->request.query.len, NULL), "query string");
    }
    return &w->query;
}

TN__PRIVATE const tn_args *tn__web_body(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w->body_done) tn__web_parse_body(w, h);
    return &w->body;
}

// Tornado's decode_argument + strip: UTF-8 required (else NULL), control
// characters become spaces, surrounding whitespace goes. In place: the
// storage is ours and NUL-terminated.
TN__PRIVATE const char *tn__web_clean(const tn_str *v) {
    char *s = TN__CAST(char *, (void *)(uintptr_t)v->ptr);
    if (!tn_utf8_valid(s, v->len)) return NULL;
    size_t len = v->len;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 && !(s[i] >= '\t' && s[i] <= '\r')) s[i] = ' ';
    while (len && strchr(" \t\n\r\v\f", s[len - 1])) s[--len] = '\0';
    while (*s && strchr(" \t\n\r\v\f", *s)) s++;
    return s;
}

TN__PRIVATE const char *tn__web_argument(tn_handler *h, const char *name, const char *def, int which) {
    if (!tn__web(h)) return def == TN_REQUIRED ? NULL : def;
    const tn_str *v = NULL;
    if (which != 1) v = tn_args_get(tn__web_body(h), name);  // query=1, body=2, both=0
    if (!v && which != 2) v = tn_args_get(tn__web_query(h), name);
    if (!v) {
        if (def != TN_REQUIRED) return def;
        TN__LOGW("Missing argument %s", name);
        tn_send_error(h, 400);
        return NULL;
    }
    const char *s = tn__web_clean(v);
    if (!s) {
        TN__LOGW("Invalid unicode in %s", name);
        tn_send_error(h, 400);
    }
    return s;
}

TN_API const char *tn_get_argument(tn_handler *h, const char *name, const char *def) {
    return tn__web_argument(h, name, def, 0);
}
TN_API const char *tn_get_query_argument(tn_handler *h, const char *name, const char *def) {
    return tn__web_argument(h, name, def, 1);
}
TN_API const char *tn_get_body_argument(tn_handler *h, const char *name, const char *def) {
    return tn__web_argument(h, name, def, 2);
}

TN_API size_t tn_get_arguments(tn_handler *h, const char *name, const char **out, size_t max) {
    if (!tn__web(h)) return 0;
    const tn_args *sources[2] = {tn__web_query(h), tn__web_body(h)};
    size_t n = 0;
    for (int s = 0; s < 2; s++) {
        size_t pos = 0;
        const tn_str *v;
        while ((v = tn_args_next(sources[s], name, &pos)) != NULL) {
            const char *c = tn__web_clean(v);
            if (c && n < max) out[n] = c;
            if (c) n++;
        }
    }
    return n;
}

TN_API const tn_multipart *tn_get_files(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w) return NULL;
    tn__web_body(h);
    return w->files_done ? &w->files : NULL;
}
