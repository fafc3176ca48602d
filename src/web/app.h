// ---------------------------------------------------------------------------
// >>app  The application: routes, handler classes, listening (tornado.web)
// ---------------------------------------------------------------------------
// Tornado's hello world, in C:
//
//     static void main_get(tn_handler *h) { tn_write_str(h, "Hello, world"); }
//     static const tn_handler_class main_handler = {.get = main_get};
//
//     int main(void) {
//         tn_loop *loop = tn_loop_new(NULL);
//         tn_app *app = tn_app_new(loop, &(tn_app_desc){
//             .routes = (tn_route[]){{.pattern = "/", .handler = &main_handler}, {0}}});
//         tn_app_listen(app, 8888);
//         tn_loop_start(loop);
//     }
//
// A route's pattern is a Tornado-style regular expression matched against
// the whole (still percent-encoded) path; the first match wins. Its groups
// become path arguments: tn_path_arg(h, i), or tn_path_kwarg(h, "name") for
// named groups (?P<name>...). They arrive percent-decoded and must be UTF-8
// (else 400), as in Tornado.
#ifndef TN__WEB_APP_H
#define TN__WEB_APP_H
#include "base/config.h"
#include "base/str.h"
#include "http/server.h"
#include "loop/loop.h"
#include "net/socket.h"
#include "web/handler.h"
#include "web/static.h"
TN__BEGIN_DECLS

// One entry of a route table; a table ends with an entry whose pattern is NULL.
typedef struct tn_route {
    const char *pattern;                // "/story/([0-9]+)"
    const tn_handler_class *handler;    // the class answering it, or:
    tn_handler_cb callback;             // a plain function for every method
    void *user_data;                    // h->user_data (Tornado's initialize kwargs)
    const char *name;                   // for tn_app_reverse_url
} tn_route;

typedef struct tn_app tn_app;

// --certfile and --keyfile for a server's tn_options (Tornado's ssl_options),
// into two `const char *`, for tn_app_desc.server.certfile and .keyfile.
#define TN_OPTIONS_TLS(certfile, keyfile)                                                                 \
    {.name = "certfile", .type = TN_OPTION_STRING, .value = (certfile), .metavar = "FILE",                 \
     .help = "serve HTTPS with this certificate chain (PEM; a build with TN_ENABLE_TLS=1)"},               \
    {.name = "keyfile", .type = TN_OPTION_STRING, .value = (keyfile), .metavar = "FILE",                   \
     .help = "the certificate's private key (PEM); default: in certfile"}

typedef struct tn_app_desc {
    const tn_route *routes;             // the default host's routes (may be NULL)
    const tn_handler_class *default_handler;  // unmatched paths; default: 404 page
    void *default_handler_data;
    bool no_access_log;                 // no tornado.access line per request
    tn_handler_cb log_function;         // writes each request's access line instead of
                                        // tn_app_log_request (Tornado's log_function);
                                        // called even with no_access_log
    void *user_data;                    // tn_app_user_data
    const char *cookie_secret;          // for signed cookies (copied); NULL: none
    bool xsrf_cookies;                  // Tornado's XSRF check on every method
                                        // but GET, HEAD and OPTIONS (403 on failure)
    const char *static_path;            // a folder served under static_url_prefix
                                        // (Tornado's static_path; copied); NULL: none
    const char *static_url_prefix;      // default "/static/"
    const tn_packed_file *static_files; // files embedded by tools/pack, served under
                                        // the prefix when static_path is NULL
    bool compress_response;             // gzip compressible responses (Tornado's
                                        // setting; the rules: >>gzip, static
                                        // files: >>static); the same as server's
    const char *template_path;          // folder of tn_render's templates (copied);
                                        // each parsed on first use, then cached
    tn_http_server_desc server;         // for tn_app_listen: limits, timeouts,
                                        // xheaders (request_cb is the app's)
} tn_app_desc;

// Creates an application; every pattern is compiled now. Returns NULL (and
// logs the pattern and column) on a bad pattern, or when out of memory.
TN_API tn_app *tn_app_new(tn_loop *loop, const tn_app_desc *desc);
// Tornado's add_handlers: routes that apply when the request's host (without
// port) matches host_pattern; host groups are tried in the order added,
// before the default host's routes. Returns 0 or TN_EINVAL / TN_ENOMEM.
TN_API int tn_app_add_handlers(tn_app *app, const char *host_pattern, const tn_route *routes);
// Serves on `port` on every interface (Tornado's app.listen). Returns 0 or an error.
TN_API int tn_app_listen(tn_app *app, int port);
// Serves on the address `bind` describes. Returns 0 or an error.
TN_API int tn_app_listen_on(tn_app *app, const tn_bind_desc *bind);
// Serves on listening sockets made elsewhere, e.g. by tn_bind_sockets before
// tn_process_fork (Tornado's add_sockets); they become the app's. Returns 0
// or an error.
TN_API int tn_app_add_sockets(tn_app *app, const int *fds, int n);
// The port of the first listening socket.
TN_API int tn_app_port(const tn_app *app);
// A graceful stop of the app's server and its WebSockets (what
// tn_loop_drain and SIGTERM do): see tn_http_server_drain, whose deadline
// is tn_app_desc.server.drain_timeout. done_cb (may be NULL) runs once no
// connection is left.
TN_API void tn_app_drain(tn_app *app, tn_cb done_cb, void *arg);
// Appends the path of the route named `name` with its groups filled by args
// (escaped here). Returns 0, TN_ENOENT (no such name) or TN_EINVAL.
TN_API int tn_app_reverse_url(const tn_app *app, const char *name, const char *const *args, int nargs, tn_buf *out);
TN_API void *tn_app_user_data(const tn_app *app);
// Tornado's log_request: logs "200 GET /path (ip) 0.52ms" on the access
// channel, at info below 400, warning below 500, error from 500 on. A
// log_function may call it for the requests it does not handle itself.
TN_API void tn_app_log_request(tn_handler *h);
// The application serving the request (NULL for plain servers).
TN_API tn_app *tn_handler_app(const tn_handler *h);
// Stops serving and frees the application (the loop frees it at the end too).
TN_API void tn_app_free(tn_app *app);

TN__END_DECLS
#endif
