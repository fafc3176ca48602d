// ---------------------------------------------------------------------------
// >>handler_internal  What the parts of the web layer share: each request's
// web state and the per-app state it points to (app.c fills them, the rest
// of the web layer reads them; web/handler.c keeps their life cycle)
// ---------------------------------------------------------------------------
#ifndef TN__WEB_HANDLER_INTERNAL_H
#define TN__WEB_HANDLER_INTERNAL_H
#include "base/internal.h"
#include "base/json.h"
#include "base/str.h"
#include "http/args.h"
#include "http/multipart.h"
#include "http/server.h"
#include "web/handler.h"
#include "web/route.h"
#include "web/template.h"

enum { TN__MAX_PATH_ARGS = 16 };

struct tn_app;
struct tn__static;

// What the parts of the web layer below app.c keep per application (app.c
// holds it in its tn_app and fills it; the request's web state points to it).
typedef struct tn__web_app {
    const char *cookie_secret;      // signed cookies (cookies.c), copied; NULL: none
    struct tn__static *statics;     // static files and their hashes (static.c)
    tn_template_loader *templates;  // tn_render's loader (render.c); NULL: none
} tn__web_app;

// The web layer's per-request state; it lives with the pooled request
// object, so its buffers are reused too.
typedef struct tn__webreq {
    struct tn_app *app;      // the app that routed the request
    tn__web_app *web;        // and its shared state
    const tn_handler_class *cls;
    tn_handler_cb callback;
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

// The request's web state: NULL on a plain server (no app routed it).
TN__INTERNAL tn__webreq *tn__web(const tn_handler *h);
// Empties the state for the next request on the same object, keeping its buffers.
TN__INTERNAL void tn__webreq_reset(tn__webreq *w);
// Frees the state (the request object's extension destructor).
TN__INTERNAL void tn__webreq_free(void *ext);
// Tornado's send_error, with an Allow header when `allow` is set (405).
TN__INTERNAL void tn__web_error(tn_handler *h, int status, const char *allow);
// Tornado's check_etag_header: does If-None-Match name this entity tag?
TN__INTERNAL bool tn__etag_matches(tn_str inm, tn_str etag);
// Tornado's automatic ETag (and 304) for a GET or HEAD answered 200: the
// server calls it before a response is finished.
TN__INTERNAL void tn__web_auto_etag(tn_handler *h);
#endif
