// >>app implementation: the application, its routes and the dispatch of
// each request (Tornado's Application and RequestHandler._execute)
#include "base/internal.h"
#include "web/app.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/utf8.h"
#include "http/server.h"
#include "http/url.h"
#include "loop/loop.h"
#include "net/socket.h"
#include "web/handler.h"
#include "web/route.h"
#include "web/static.h"
#include "web/template.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "http/server_internal.h"
#include "loop/loop_internal.h"
#include "web/handler_internal.h"
#include "web/static_internal.h"
#include "web/xsrf_internal.h"

#include <string.h>

typedef struct tn__route {
    tn_route_pattern *pat;
    const tn_handler_class *cls;
    tn_handler_cb callback;
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
    tn__web_app web;         // what the rest of the web layer uses
};

// Unmatched paths without a default_handler: only its address is used.
static tn_handler_class tn__not_found_class;

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

TN__PRIVATE void tn__method_fns(const tn_handler_class *c, tn_handler_cb fns[7]) {
    fns[0] = c->get, fns[1] = c->head, fns[2] = c->post, fns[3] = c->del;
    fns[4] = c->patch, fns[5] = c->put, fns[6] = c->options;
}

TN__PRIVATE tn_handler_cb tn__method_fn(const tn_handler_class *c, tn_str m) {
    tn_handler_cb fns[7];
    tn__method_fns(c, fns);
    for (int i = 0; i < 7; i++)
        if (tn_str_eq(m, tn__method_names[i])) return fns[i];
    return NULL;
}


// Runs what Tornado's _execute does before the method: the method check,
// set_default_headers, prepare. Returns the method to call, or NULL when
// the request is already answered.
TN__PRIVATE tn_handler_cb tn__web_prepare(tn_handler *h, tn__webreq *w) {
    const tn_handler_class *c = w->cls;
    w->prepared = 1;
    if (c == &tn__not_found_class) {
        tn_send_error(h, 404);
        return NULL;
    }
    tn_handler_cb fn = tn__method_fn(c, h->request.method);
    if (c->set_default_headers) c->set_default_headers(h);
    if (!fn) {
        tn_buf allow;
        memset(&allow, 0, sizeof allow);
        tn_handler_cb fns[7];
        tn__method_fns(c, fns);
        for (int i = 0; i < 7; i++)
            if (fns[i]) tn_buf_appendf(&allow, "%s%s", allow.len ? ", " : "", tn__method_names[i]);
        tn__web_error(h, 405, allow.len ? allow.data : NULL);
        tn_buf_free(&allow);
        return NULL;
    }
    if (c->on_connection_close) tn_on_connection_close(h, c->on_connection_close);
    tn_str m = h->request.method;
#if TN_ENABLE_XSRF  // (left out, tn_app_new refuses xsrf_cookies)
    if (w->app->desc.xsrf_cookies && !tn_str_eq(m, "GET") && !tn_str_eq(m, "HEAD") && !tn_str_eq(m, "OPTIONS") &&
        !tn__xsrf_check(h))
        return NULL;
#else
    (void)m;
#endif
    if (c->prepare) {
        c->prepare(h);
        if (tn_finished(h)) return NULL;
    }
    return fn;
}

TN__PRIVATE void tn__app_headers(tn_handler *h) {
    tn_app *app = TN__CAST(tn_app *, h->user_data);
    if (!tn__handler_ext(h)) {
        void *ext = tn__calloc(1, sizeof(tn__webreq));
        if (!ext) {
            tn_set_status(h, 503, NULL);
            tn_finish(h);
            return;
        }
        tn__handler_set_ext(h, ext, tn__webreq_free);
    }
    tn__webreq *w = tn__web(h);
    tn__webreq_reset(w);
    w->app = app;
    w->web = &app->web;
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
        tn_handler_stream_body(h, w->cls->data_received);
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
    tn_handler_cb fn = tn__method_fn(w->cls, h->request.method);
    if (!w->prepared) fn = tn__web_prepare(h, w);
    if (fn && !tn_finished(h)) fn(h);
}

// ---- after the response: on_finish and the access log

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

// A desc that asks for a module a TN_ENABLE_* switch left out is refused,
// never served without it (xsrf_cookies ignored would be a hole).
TN__PRIVATE bool tn__app_desc_supported(const tn_app_desc *d) {
    const char *need = NULL;
    if (!TN_ENABLE_XSRF && d->xsrf_cookies) need = "xsrf_cookies needs TN_ENABLE_XSRF";
    if (!TN_ENABLE_STATIC && (d->static_path || d->static_files)) need = "static_path needs TN_ENABLE_STATIC";
    if (!TN_ENABLE_TEMPLATES && d->template_path) need = "template_path needs TN_ENABLE_TEMPLATES";
    if (!TN_ENABLE_DEFLATE && (d->compress_response || d->server.compress_response))
        need = "compress_response needs TN_ENABLE_DEFLATE";
    if (need) TN__LOGE("tn_app_new: %s", need);
    return !need;
}

#if TN_ENABLE_STATIC
// Tornado puts the routes of static_path first, with /favicon.ico and
// /robots.txt. Returns the table to use (the caller frees it) or NULL.
TN__PRIVATE tn_route *tn__app_static_routes(const struct tn__static *st, const tn_route *routes) {
    size_t n = 0;
    while (routes && routes[n].pattern) n++;
    tn_route *all = TN__CAST(tn_route *, tn__calloc(n + 4, sizeof *all));
    if (!all) return NULL;
    const char *patterns[3] = {tn__static_pattern(st), "/(favicon\\.ico)", "/(robots\\.txt)"};
    for (int i = 0; i < 3; i++) {
        all[i].pattern = patterns[i];
        all[i].callback = tn_static_serve;
        all[i].user_data = (void *)(uintptr_t)tn__static_desc(st);
    }
    if (n) memcpy(all + 3, routes, n * sizeof *all);
    return all;
}
#else  // (no app gets statics: tn_app_new refuses them first)
#  define tn__static_new(path, prefix, files) ((struct tn__static *)NULL)
#  define tn__static_free(st) ((void)(st))
#  define tn__app_static_routes(st, routes) ((tn_route *)NULL)
#endif

// ---- templates (rendered by render.c)

TN__PRIVATE int tn__app_templates_init(tn_app *app) {
    const char *path = app->desc.template_path;
    app->desc.template_path = NULL;  // the loader keeps its own copy
#if TN_ENABLE_TEMPLATES
    if (!path) return 0;
    tn_template_loader_desc d;
    memset(&d, 0, sizeof d);
    d.root = path;
    app->web.templates = tn_template_loader_new(&d);
    return app->web.templates ? 0 : TN_ENOMEM;
#else
    return path ? TN_ENOTSUP : 0;  // (refused first by tn__app_desc_supported)
#endif
}

TN__PRIVATE void tn__app_close(tn__handle *h) { tn_app_free(TN__CAST(tn_app *, (void *)h)); }

TN_API tn_app *tn_app_new(tn_loop *loop, const tn_app_desc *desc) {
    if (desc && !tn__app_desc_supported(desc)) return NULL;
    tn_app *app = TN__CAST(tn_app *, tn__calloc(1, sizeof *app));
    if (!app) return NULL;
    app->loop = loop;
    if (desc) app->desc = *desc;
    app->desc.routes = NULL;  // compiled below; the table need not outlive the call
    app->desc.cookie_secret = NULL;  // kept in app->web
    app->desc.static_path = app->desc.static_url_prefix = NULL;  // copied by tn__static_new
    if (desc && desc->cookie_secret && !(app->web.cookie_secret = tn__strdup(desc->cookie_secret))) {
        tn__free(app);
        return NULL;
    }
    bool statics = desc && (desc->static_path || desc->static_files);
    if (statics) app->web.statics = tn__static_new(desc->static_path, desc->static_url_prefix, desc->static_files);
    tn_route *with_static = app->web.statics ? tn__app_static_routes(app->web.statics, desc->routes) : NULL;
    app->groups = TN__CAST(tn__hostgroup *, tn__calloc(1, sizeof(tn__hostgroup)));
    bool bad = (statics && !with_static) || !app->groups ||
               tn__hostgroup_init(&app->groups[0], NULL, with_static ? with_static : desc ? desc->routes : NULL) != 0;
    tn__free(with_static);
    if (bad) {
        tn__static_free(app->web.statics);
        tn__free(app->groups);
        tn__free((void *)(uintptr_t)app->web.cookie_secret);
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
        d.compress_response = d.compress_response || app->desc.compress_response;
        app->server = tn_http_server_new(app->loop, &d);
        if (!app->server) return NULL;
        tn__http_hooks hooks;
        hooks.before_finish = tn__web_auto_etag;
        hooks.after_finish = tn__app_after_finish;
        tn__http_server_adopt(app->server, &hooks);  // the app frees it
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

TN_API void tn_app_drain(tn_app *app, tn_cb done_cb, void *arg) {
    // An app that never listened drains at once, through a server of its own.
    if (tn__app_server(app)) tn_http_server_drain(app->server, done_cb, arg);
    else TN__LOGE("tn_app_drain: out of memory");
}
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
    tn__free((void *)(uintptr_t)app->web.cookie_secret);
    tn__static_free(app->web.statics);
#if TN_ENABLE_TEMPLATES
    tn_template_loader_free(app->web.templates);
#endif
    tn__loop_remove_handle(&app->handle);
    tn__free(app);
}

TN_API tn_app *tn_handler_app(const tn_handler *h) {
    tn__webreq *w = tn__web(h);
    return w ? w->app : NULL;
}
