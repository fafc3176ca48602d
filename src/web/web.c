// >>web implementation
#include "loop/loop_internal.h"

enum { TN__MAX_PATH_ARGS = 16 };

typedef struct tn__route {
    tn_route_pattern *pat;
    const tn_handler_class *cls;
    tn_handler_fn callback;
    void *user_data;
    char *name;
} tn__route;

typedef struct tn__hostgroup {
    tn_route_pattern *host;  // NULL: any host
    tn__route *routes;
    size_t n;
} tn__hostgroup;

struct tn_app {
    tn__handle handle;
    tn_loop *loop;
    tn_app_desc desc;
    tn__hostgroup *groups;   // added host groups, in order; the default host last
    size_t ngroups;
    tn_http_server *server;
    struct tn__static *statics;  // static.c: static files and their hashes
    tn_template_loader *templates;  // from template_path; NULL without one
};

// static.c: the routes static_path / static_files install before the app's
// own (the table to free; NULL when out of memory), and freeing their state.
TN__PRIVATE tn_route *tn__static_app_routes(tn_app *app, const tn_route *routes);
TN__PRIVATE void tn__static_free(struct tn__static *st);

// The web layer's per-request state; it lives with the pooled request
// object, so its buffers are reused too.
typedef struct tn__webreq {
    tn_app *app;
    const tn_handler_class *cls;
    tn_handler_fn callback;
    const tn_route_pattern *pat;
    int nargs;
    tn_str args[TN__MAX_PATH_ARGS];
    tn_buf argbuf;           // decoded path arguments, NUL-terminated
    tn_buf scratch;          // a Set-Cookie value being formatted
    tn_args verified;        // signed cookie values, decoded (stable until the end)
    tn_args query, body, cookies;
    tn_multipart files;
    tn_json_writer json;
    unsigned char xsrf[64];  // the raw token of the _xsrf cookie (or a new one)
    size_t xsrf_len;
    int64_t xsrf_time;
    unsigned prepared : 1, query_done : 1, body_done : 1, cookies_done : 1, files_done : 1, xsrf_done : 1,
        xsrf_cookie_ok : 1;
} tn__webreq;

// Unmatched paths without a default_handler: only its address is used.
static tn_handler_class tn__not_found_class;

TN__PRIVATE tn__webreq *tn__web(const tn_handler *h) {
    return TN__CAST(tn__webreq *, TN__REQ(h)->ext);
}

TN__PRIVATE void tn__webreq_reset(tn__webreq *w) {
    tn_args_free(&w->query);
    tn_args_free(&w->body);
    tn_args_free(&w->cookies);
    tn_args_free(&w->verified);
    tn_multipart_free(&w->files);
    tn_buf argbuf = w->argbuf, scratch = w->scratch;
    tn_buf_clear(&argbuf);
    tn_buf_clear(&scratch);
    memset(w, 0, sizeof *w);
    w->argbuf = argbuf;
    w->scratch = scratch;
}

TN__PRIVATE void tn__webreq_free(void *ext) {
    tn__webreq *w = TN__CAST(tn__webreq *, ext);
    tn__webreq_reset(w);
    tn_buf_free(&w->argbuf);
    tn_buf_free(&w->scratch);
    tn__free(w);
}

// ---- routing

TN__PRIVATE tn_str tn__host_name(tn_str host) {
    // "[::1]:8888" -> "::1"-ish bracket form kept; "example.com:80" -> "example.com"
    size_t n = host.len;
    if (n && host.ptr[0] == '[') {
        const char *close = TN__CAST(const char *, memchr(host.ptr, ']', n));
        if (close) host.len = (size_t)(close - host.ptr) + 1;
        return host;
    }
    const char *colon = TN__CAST(const char *, memchr(host.ptr, ':', n));
    if (colon) host.len = (size_t)(colon - host.ptr);
    return host;
}

TN__PRIVATE const tn__route *tn__app_find(tn_app *app, tn_handler *h, tn_str *groups, int *ngroups) {
    tn_str host = tn__host_name(h->request.host);
    const tn_str path = h->request.path;
    for (size_t g = 0; g < app->ngroups; g++) {
        const tn__hostgroup *hg = &app->groups[g];
        if (hg->host && tn_route_match(hg->host, host.ptr, host.len, NULL, 0) < 0) continue;
        for (size_t i = 0; i < hg->n; i++) {
            int n = tn_route_match(hg->routes[i].pat, path.ptr, path.len, groups, TN__MAX_PATH_ARGS);
            if (n >= 0) {
                *ngroups = n;
                return &hg->routes[i];
            }
        }
    }
    return NULL;
}

// Decodes the path arguments (%xx, '+' kept) into argbuf; they must be UTF-8.
TN__PRIVATE int tn__web_decode_args(tn__webreq *w, const tn_str *groups, int n) {
    size_t total = 0;
    for (int i = 0; i < n; i++) total += groups[i].len + 1;
    tn_buf_clear(&w->argbuf);
    if (tn_buf_reserve(&w->argbuf, total)) return TN_ENOMEM;
    for (int i = 0; i < n; i++) {
        if (!groups[i].ptr) {
            w->args[i] = groups[i];
            continue;
        }
        char *dst = w->argbuf.data + w->argbuf.len;
        size_t len = tn_url_unescape(dst, groups[i].ptr, groups[i].len, false);
        dst[len] = '\0';
        w->argbuf.len += len + 1;
        if (!tn_utf8_valid(dst, len)) return TN_EPARSE;
        w->args[i].ptr = dst;
        w->args[i].len = len;
    }
    w->nargs = n;
    return 0;
}

// Tornado's SUPPORTED_METHODS, in its order (the Allow header's too).
static const char *const tn__method_names[7] = {"GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS"};

TN__PRIVATE void tn__method_fns(const tn_handler_class *c, tn_handler_fn fns[7]) {
    fns[0] = c->get, fns[1] = c->head, fns[2] = c->post, fns[3] = c->del;
    fns[4] = c->patch, fns[5] = c->put, fns[6] = c->options;
}

TN__PRIVATE tn_handler_fn tn__method_fn(const tn_handler_class *c, tn_str m) {
    tn_handler_fn fns[7];
    tn__method_fns(c, fns);
    for (int i = 0; i < 7; i++)
        if (tn_str_eq(m, tn__method_names[i])) return fns[i];
    return NULL;
}

TN__PRIVATE void tn__web_error(tn_handler *h, int status, const char *allow);
TN__PRIVATE bool tn__xsrf_check(tn_handler *h);

// Runs what Tornado's _execute does before the method: the method check,
// set_default_headers, prepare. Returns the method to call, or NULL when
// the request is already answered.
TN__PRIVATE tn_handler_fn tn__web_prepare(tn_handler *h, tn__webreq *w) {
    const tn_handler_class *c = w->cls;
    w->prepared = 1;
    if (c == &tn__not_found_class) {
        tn_send_error(h, 404);
        return NULL;
    }
    tn_handler_fn fn = tn__method_fn(c, h->request.method);
    if (c->set_default_headers) c->set_default_headers(h);
    if (!fn) {
        tn_buf allow;
        memset(&allow, 0, sizeof allow);
        tn_handler_fn fns[7];
        tn__method_fns(c, fns);
        for (int i = 0; i < 7; i++)
            if (fns[i]) tn_buf_appendf(&allow, "%s%s", allow.len ? ", " : "", tn__method_names[i]);
        tn__web_error(h, 405, allow.len ? allow.data : NULL);
        tn_buf_free(&allow);
        return NULL;
    }
    if (c->on_connection_close) tn_on_connection_close(h, c->on_connection_close);
    tn_str m = h->request.method;
    if (w->app->desc.xsrf_cookies && !tn_str_eq(m, "GET") && !tn_str_eq(m, "HEAD") && !tn_str_eq(m, "OPTIONS") &&
        !tn__xsrf_check(h))
        return NULL;
    if (c->prepare) {
        c->prepare(h);
        if (tn_finished(h)) return NULL;
    }
    return fn;
}

TN__PRIVATE void tn__app_headers(tn_handler *h) {
    tn_app *app = TN__CAST(tn_app *, h->user_data);
    tn__hreq *r = TN__REQ(h);
    if (!r->ext) {
        r->ext = tn__calloc(1, sizeof(tn__webreq));
        if (!r->ext) {
            tn_set_status(h, 503, NULL);
            tn_finish(h);
            return;
        }
        r->ext_free = tn__webreq_free;
    }
    tn__webreq *w = tn__web(h);
    tn__webreq_reset(w);
    w->app = app;
    tn_str groups[TN__MAX_PATH_ARGS];
    int n = 0;
    const tn__route *rt = tn__app_find(app, h, groups, &n);
    if (rt) {
        w->cls = rt->cls;
        w->callback = rt->callback;
        w->pat = rt->pat;
        h->user_data = rt->user_data;
    } else {
        w->cls = app->desc.default_handler ? app->desc.default_handler : &tn__not_found_class;
        h->user_data = app->desc.default_handler_data;
    }
    if (n > TN__MAX_PATH_ARGS) n = TN__MAX_PATH_ARGS;
    int rc = tn__web_decode_args(w, groups, n);
    if (rc) {
        TN__LOGW("%s: path arguments are not valid UTF-8", h->request.remote_ip);
        tn_send_error(h, rc == TN_ENOMEM ? 503 : 400);
        return;
    }
    if (w->cls && w->cls->data_received) {  // @stream_request_body: prepare first
        tn_stream_body(h, w->cls->data_received);
        if (w->cls->max_body_size) tn_set_max_body_size(h, w->cls->max_body_size);
        tn__web_prepare(h, w);
    } else if (w->cls && w->cls->max_body_size) {
        tn_set_max_body_size(h, w->cls->max_body_size);
    }
}

TN__PRIVATE void tn__app_request(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w || tn_finished(h)) return;
    if (w->callback) {
        w->callback(h);
        return;
    }
    tn_handler_fn fn = tn__method_fn(w->cls, h->request.method);
    if (!w->prepared) fn = tn__web_prepare(h, w);
    if (fn && !tn_finished(h)) fn(h);
}

// ---- finishing: Tornado's automatic ETag, on_finish and the access log

// Tornado's check_etag_header: does If-None-Match name this entity tag?
TN__PRIVATE bool tn__etag_matches(tn_str inm, tn_str etag) {
    if (etag.len >= 2 && etag.ptr[0] == 'W' && etag.ptr[1] == '/') etag.ptr += 2, etag.len -= 2;
    size_t i = 0;
    while (i < inm.len) {
        while (i < inm.len && (inm.ptr[i] == ' ' || inm.ptr[i] == ',' || inm.ptr[i] == '\t')) i++;
        if (i < inm.len && inm.ptr[i] == '*') return true;
        size_t start = i;
        if (i + 1 < inm.len && inm.ptr[i] == 'W' && inm.ptr[i + 1] == '/') i += 2, start = i;
        if (i >= inm.len || inm.ptr[i] != '"') {
            while (i < inm.len && inm.ptr[i] != ',') i++;  // not an entity tag: skip it
            continue;
        }
        const char *q = TN__CAST(const char *, memchr(inm.ptr + i + 1, '"', inm.len - i - 1));
        if (!q) return false;
        size_t end = (size_t)(q - inm.ptr) + 1;
        if (end - start == etag.len && memcmp(inm.ptr + start, etag.ptr, etag.len) == 0) return true;
        i = end;
    }
    return false;
}

// A fast 128-bit hash (two 64-bit multiply-mix lanes, 8 bytes a step) for
// automatic ETags: a tag need only change when the body changes, and the
// one who could make two bodies collide owns the resource anyway.
TN__PRIVATE uint64_t tn__mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

// 8 bytes as a little-endian word whatever the host's byte order, so that a
// body has one tag on every machine behind a balancer (compilers make it one load).
TN__PRIVATE uint64_t tn__etag_word(const char *p) {
    const unsigned char *b = (const unsigned char *)p;
    return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24 |
           (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 | (uint64_t)b[6] << 48 | (uint64_t)b[7] << 56;
}

TN__PRIVATE void tn__etag_hash(const char *p, size_t n, uint64_t out[2]) {
    uint64_t a = 0x9e3779b97f4a7c15ULL ^ n, b = 0x6a09e667f3bcc909ULL + n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = tn__etag_word(p + i);
        a = (a ^ w) * 0x100000001b3ULL;
        a = (a << 31) | (a >> 33);
        b = (b + w) * 0x9ddfea08eb382d69ULL;
        b ^= b >> 29;
    }
    char tail[8] = {0};
    if (n > i) memcpy(tail, p + i, n - i);  // p may be NULL when n is 0
    uint64_t w = tn__etag_word(tail);
    out[0] = tn__mix64(a ^ w);
    out[1] = tn__mix64(b + w + out[0]);
}

TN__PRIVATE void tn__app_before_finish(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w || w->callback || (w->cls && w->cls->no_etag) || tn_headers_sent(h)) return;
    int status = tn_get_status(h);
    bool get = tn_str_eq(h->request.method, "GET"), head = tn_str_eq(h->request.method, "HEAD");
    if (!(status == 200 || status == 304) || !(get || head)) return;
    if (tn_get_response_header(h, "Etag").ptr) return;
    tn_str body = tn_get_written(h);
    uint64_t hash[2];
    tn__etag_hash(body.ptr, body.len, hash);
    unsigned char bytes[16];
    for (int i = 0; i < 16; i++) bytes[i] = (unsigned char)(hash[i / 8] >> (56 - 8 * (i % 8)));
    char etag[35];
    etag[0] = '"';
    tn__hex_encode(bytes, sizeof bytes, etag + 1);
    etag[33] = '"';
    etag[34] = '\0';
    tn_set_header(h, "Etag", etag);
    tn_str inm = tn_get_header(h, "If-None-Match");
    if (inm.ptr && tn__etag_matches(inm, tn__str_n(etag, 34))) {
        tn_clear_written(h);
        tn_set_status(h, 304, NULL);
    }
}

TN__PRIVATE void tn__app_after_finish(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w) return;
    if (w->cls && w->cls->on_finish) w->cls->on_finish(h);
    if (w->app && w->app->desc.log_function) w->app->desc.log_function(h);
    else if (w->app && !w->app->desc.no_access_log) tn_app_log_request(h);
}

TN_API void tn_app_log_request(tn_handler *h) {
    int status = tn_get_status(h);
    int level = status < 400 ? TN_LOG_INFO : status < 500 ? TN_LOG_WARNING : TN_LOG_ERROR;
    TN_LOG(level, TN_LOG_ACCESS, "%d %.*s %.*s (%s) %.2fms", status, (int)h->request.method.len,
           h->request.method.ptr, (int)h->request.uri.len, h->request.uri.ptr, h->request.remote_ip,
           tn_request_time(h) * 1000.0);
}

// ---- errors and redirects

// Tornado's send_error: a fresh response with the error page.
TN__PRIVATE void tn__web_error(tn_handler *h, int status, const char *allow) {
    if (tn_finished(h)) return;
    if (tn_headers_sent(h)) {
        TN__LOGE("cannot send error %d: the response head was already sent", status);
        tn_finish(h);
        return;
    }
    tn__webreq *w = tn__web(h);
    tn_clear_written(h);
    tn__hreq_default_headers(TN__REQ(h));
    if (w && w->cls && w->cls->set_default_headers) w->cls->set_default_headers(h);
    if (tn_set_status(h, status, NULL) != 0) tn_set_status(h, 500, NULL);
    if (allow) tn_set_header(h, "Allow", allow);
    status = tn_get_status(h);
    if (w && w->cls && w->cls->write_error) {
        w->cls->write_error(h, status);
    } else {
        const char *reason = tn_http_reason(status);
        tn_writef(h, "<html><title>%d: %s</title><body>%d: %s</body></html>", status, reason, status, reason);
    }
    if (!tn_finished(h)) tn_finish(h);
}

TN_API void tn_send_error(tn_handler *h, int status) { tn__web_error(h, status, NULL); }

TN_API int tn_redirect(tn_handler *h, const char *url, int status) {
    if (status == 0) status = 302;
    if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) return TN_EINVAL;
    if (tn_headers_sent(h) || tn_set_header(h, "Location", url) != 0) return TN_EINVAL;
    tn_set_status(h, status, NULL);
    tn_clear_written(h);
    return tn_finish(h);
}

// ---- arguments

TN__PRIVATE void tn__web_parse_body(tn__webreq *w, tn_handler *h) {
    w->body_done = 1;
    tn_str ct = tn_get_header(h, "Content-Type");
    tn_str body = h->request.body;
    if (!ct.ptr || !body.len) return;
    if (ct.len >= 33 && tn_str_eq_nocase(tn__str_n(ct.ptr, 33), tn_str_c("application/x-www-form-urlencoded"))) {
        if (tn_args_parse(&w->body, body.ptr, body.len, NULL) != 0) TN__LOGW("invalid form body; ignored");
    } else if (ct.len >= 19 && tn_str_eq_nocase(tn__str_n(ct.ptr, 19), tn_str_c("multipart/form-data"))) {
        w->files_done = 1;
        if (tn_multipart_parse(&w->files, ct, body.ptr, body.len, NULL) == 0) tn_multipart_to_args(&w->files, &w->body);
    }
}

TN__PRIVATE const tn_args *tn__web_query(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w->query_done) {
        w->query_done = 1;
        if (tn_args_parse(&w->query, h->request.query.ptr, h->request.query.len, NULL) != 0)
            TN__LOGW("invalid query string; ignored");
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

TN_API const char *tn_get_cookie(tn_handler *h, const char *name, const char *def) {
    tn__webreq *w = tn__web(h);
    if (!w) return def;
    if (!w->cookies_done) {
        w->cookies_done = 1;
        size_t pos = 0;
        tn_str c;
        while (tn_headers_next(h->request.headers, h->request.num_headers, "Cookie", &pos, &c))
            tn_cookie_parse(&w->cookies, c.ptr, c.len);
    }
    const tn_str *v = tn_args_get(&w->cookies, name);
    return v ? v->ptr : def;
}

// ---- cookies

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

TN_API int tn_set_signed_cookie(tn_handler *h, const char *name, const char *value, double expires_days) {
    tn__webreq *w = tn__web(h);
    if (!w || !w->app->desc.cookie_secret) {
        TN__LOGE("tn_set_signed_cookie needs the application's cookie_secret");
        return TN_EINVAL;
    }
    tn_buf sv = {NULL, 0, 0};
    int r = tn_signed_value_create(&sv, w->app->desc.cookie_secret, 0, name, value, strlen(value), (int64_t)time(NULL));
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
    if (!w || !raw || !w->app->desc.cookie_secret) return NULL;
    const char *secret = w->app->desc.cookie_secret;
    tn_buf v = {NULL, 0, 0};
    int r = tn_signed_value_decode(&v, &secret, 1, name, raw, strlen(raw), max_age_days, (int64_t)time(NULL));
    // A value with a NUL inside is no C string: refused like a forged one.
    if (r == 0 && !(v.len && memchr(v.data, '\0', v.len))) r = tn_args_add(&w->verified, tn_str_c(name), tn__str_n(v.data ? v.data : "", v.len));
    else r = TN_EPARSE;
    tn_buf_free(&v);
    return r == 0 ? w->verified.items[w->verified.count - 1].value.ptr : NULL;
}

// ---- XSRF (Tornado's xsrf_cookies)

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
        tn_ws_mask(TN__CAST(char *, (void *)out), *len, mask, 0);
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
    tn_ws_mask(TN__CAST(char *, (void *)masked), w->xsrf_len, mask, 0);
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
TN__PRIVATE bool tn__xsrf_check(tn_handler *h) {
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

TN_API tn_str tn_path_arg(const tn_handler *h, int i) {
    tn__webreq *w = tn__web(h);
    if (!w || i < 0 || i >= w->nargs) return tn__str_n(NULL, 0);
    return w->args[i];
}

TN_API tn_str tn_path_kwarg(const tn_handler *h, const char *name) {
    tn__webreq *w = tn__web(h);
    if (!w || !w->pat) return tn__str_n(NULL, 0);
    return tn_path_arg(h, tn_route_group_index(w->pat, name));
}

TN_API int tn_path_args_count(const tn_handler *h) {
    tn__webreq *w = tn__web(h);
    return w ? w->nargs : 0;
}

TN_API tn_json_writer *tn_write_json_begin(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w) return NULL;
    tn_set_header(h, "Content-Type", "application/json; charset=UTF-8");
    tn_json_writer_init(&w->json, &TN__REQ(h)->out);
    return &w->json;
}

TN_API int tn_write_json_end(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    return w ? tn_json_writer_finish(&w->json) : TN_EINVAL;
}

TN_API tn_app *tn_handler_app(const tn_handler *h) {
    tn__webreq *w = tn__web(h);
    return w ? w->app : NULL;
}

// ---- the application

TN__PRIVATE void tn__hostgroup_free(tn__hostgroup *g) {
    for (size_t i = 0; i < g->n; i++) {
        tn_route_free(g->routes[i].pat);
        tn__free(g->routes[i].name);
    }
    tn__free(g->routes);
    tn_route_free(g->host);
}

// Compiles a route table into g. Returns 0 or an error (g is then empty).
TN__PRIVATE int tn__hostgroup_init(tn__hostgroup *g, const char *host, const tn_route *routes) {
    memset(g, 0, sizeof *g);
    size_t n = 0;
    while (routes && routes[n].pattern) n++;
    if (host && tn_route_compile(&g->host, host) != 0) return TN_EINVAL;
    g->routes = TN__CAST(tn__route *, tn__calloc(n ? n : 1, sizeof(tn__route)));
    if (!g->routes) {
        tn__hostgroup_free(g);
        return TN_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const tn_route *r = &routes[i];
        tn__route *d = &g->routes[i];
        g->n = i + 1;  // what tn__hostgroup_free must release if this one fails
        int rc = 0;
        if (!r->handler == !r->callback) {
            TN__LOGE("route %s: give exactly one of handler and callback", r->pattern);
            rc = TN_EINVAL;
        } else if (tn_route_compile(&d->pat, r->pattern) != 0) {
            rc = TN_EINVAL;
        } else if (r->name && !(d->name = tn__strdup(r->name))) {
            rc = TN_ENOMEM;
        }
        if (rc) {
            tn__hostgroup_free(g);
            return rc;
        }
        d->cls = r->handler;
        d->callback = r->callback;
        d->user_data = r->user_data;
    }
    return 0;
}

// ---- templates (tn_render lives in template.c)

TN__PRIVATE int tn__app_templates_init(tn_app *app) {
    const char *path = app->desc.template_path;
    app->desc.template_path = NULL;  // the loader keeps its own copy
    if (!path) return 0;
    tn_template_loader_desc d;
    memset(&d, 0, sizeof d);
    d.root = path;
    app->templates = tn_template_loader_new(&d);
    return app->templates ? 0 : TN_ENOMEM;
}

TN__PRIVATE tn_template_loader *tn__app_templates(tn_app *app) { return app->templates; }

TN__PRIVATE void tn__app_close(tn__handle *h) { tn_app_free(TN__CAST(tn_app *, (void *)h)); }

TN_API tn_app *tn_app_new(tn_loop *loop, const tn_app_desc *desc) {
    tn_app *app = TN__CAST(tn_app *, tn__calloc(1, sizeof *app));
    if (!app) return NULL;
    app->loop = loop;
    if (desc) app->desc = *desc;
    app->desc.routes = NULL;  // compiled below; the table need not outlive the call
    app->desc.cookie_secret = NULL;
    if (desc && desc->cookie_secret && !(app->desc.cookie_secret = tn__strdup(desc->cookie_secret))) {
        tn__free(app);
        return NULL;
    }
    bool statics = desc && (desc->static_path || desc->static_files);
    tn_route *with_static = statics ? tn__static_app_routes(app, desc->routes) : NULL;
    app->groups = TN__CAST(tn__hostgroup *, tn__calloc(1, sizeof(tn__hostgroup)));
    bool bad = (statics && !with_static) || !app->groups ||
               tn__hostgroup_init(&app->groups[0], NULL, with_static ? with_static : desc ? desc->routes : NULL) != 0;
    tn__free(with_static);
    if (bad) {
        tn__static_free(app->statics);
        tn__free(app->groups);
        tn__free((void *)(uintptr_t)app->desc.cookie_secret);
        tn__free(app);
        return NULL;
    }
    app->ngroups = 1;
    app->handle.close = tn__app_close;
    tn__loop_add_handle(loop, &app->handle);
    if (tn__app_templates_init(app) != 0) {
        tn_app_free(app);
        return NULL;
    }
    return app;
}

TN_API int tn_app_add_handlers(tn_app *app, const char *host_pattern, const tn_route *routes) {
    if (!host_pattern) return TN_EINVAL;
    tn__hostgroup g;
    int r = tn__hostgroup_init(&g, host_pattern, routes);
    if (r) return r;
    tn__hostgroup *gs = TN__CAST(tn__hostgroup *, tn__realloc(app->groups, (app->ngroups + 1) * sizeof *gs));
    if (!gs) {
        tn__hostgroup_free(&g);
        return TN_ENOMEM;
    }
    // Host groups go before the default host (the last one), in the order added.
    memmove(&gs[app->ngroups], &gs[app->ngroups - 1], sizeof *gs);
    gs[app->ngroups - 1] = g;
    app->groups = gs;
    app->ngroups++;
    return 0;
}

// The HTTP server under app, made on first use.
TN__PRIVATE tn_http_server *tn__app_server(tn_app *app) {
    if (!app->server) {
        tn_http_server_desc d = app->desc.server;
        d.request_cb = tn__app_request;
        d.headers_cb = tn__app_headers;
        d.user_data = app;
        app->server = tn_http_server_new(app->loop, &d);
        if (!app->server) return NULL;
        tn__loop_remove_handle(&app->server->handle);  // the app frees it
        app->server->hooks.before_finish = tn__app_before_finish;
        app->server->hooks.after_finish = tn__app_after_finish;
    }
    return app->server;
}

TN_API int tn_app_listen_on(tn_app *app, const tn_bind_desc *bind) {
    return tn__app_server(app) ? tn_http_server_listen(app->server, bind) : TN_ENOMEM;
}

TN_API int tn_app_add_sockets(tn_app *app, const int *fds, int n) {
    return tn__app_server(app) ? tn_http_server_add_sockets(app->server, fds, n) : TN_ENOMEM;
}

TN_API int tn_app_listen(tn_app *app, int port) {
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.port = port;
    return tn_app_listen_on(app, &b);
}

TN_API int tn_app_port(const tn_app *app) { return app->server ? tn_http_server_port(app->server) : 0; }
TN_API void *tn_app_user_data(const tn_app *app) { return app->desc.user_data; }

TN_API int tn_app_reverse_url(const tn_app *app, const char *name, const char *const *args, int nargs, tn_buf *out) {
    for (size_t g = 0; g < app->ngroups; g++) {
        for (size_t i = 0; i < app->groups[g].n; i++) {
            const tn__route *r = &app->groups[g].routes[i];
            if (!r->name || strcmp(r->name, name) != 0) continue;
            if (nargs > TN__MAX_PATH_ARGS || nargs < 0) return TN_EINVAL;
            tn_buf esc[TN__MAX_PATH_ARGS];
            const char *ptrs[TN__MAX_PATH_ARGS] = {NULL};
            memset(esc, 0, sizeof esc);
            int rc = 0;
            for (int a = 0; a < nargs && !rc; a++) {
                rc = tn_url_escape(&esc[a], args[a], strlen(args[a]), false);
                ptrs[a] = esc[a].data ? esc[a].data : "";
            }
            if (!rc) rc = tn_route_reverse(r->pat, ptrs, nargs, out);
            for (int a = 0; a < nargs; a++) tn_buf_free(&esc[a]);
            return rc;
        }
    }
    return TN_ENOENT;
}

TN_API void tn_app_free(tn_app *app) {
    if (!app) return;
    if (app->server) tn_http_server_stop(app->server);
    for (size_t g = 0; g < app->ngroups; g++) tn__hostgroup_free(&app->groups[g]);
    tn__free(app->groups);
    tn__free((void *)(uintptr_t)app->desc.cookie_secret);
    tn__static_free(app->statics);
    tn_template_loader_free(app->templates);
    tn__loop_remove_handle(&app->handle);
    tn__free(app);
}
