// ---------------------------------------------------------------------------
// >>web  Application, routes and request handlers (tornado.web)
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

// Tornado's RequestHandler subclass: the methods a route answers, and hooks.
// A method left NULL answers 405 with an Allow header.
typedef struct tn_handler_class {
    tn_handler_fn get, head, post, put, del, patch, options;  // del: DELETE
    tn_handler_fn prepare;              // before the method; finishing here skips it
    tn_handler_fn on_finish;            // after the response was sent
    tn_handler_fn on_connection_close;  // the client left during a deferred answer
                                        // or a streamed body (data_received)
    tn_handler_fn set_default_headers;  // at the start, and again before an error page
    void (*write_error)(tn_handler *h, int status);  // NULL: Tornado's default page
    tn_body_fn data_received;           // set: the body streams here as it arrives
                                        // (@stream_request_body); prepare then runs
                                        // before the body is read
    size_t max_body_size;               // 0: the server's
    bool no_etag;                       // skip the automatic ETag / 304
} tn_handler_class;

// One entry of a route table; a table ends with an entry whose pattern is NULL.
typedef struct tn_route {
    const char *pattern;                // "/story/([0-9]+)"
    const tn_handler_class *handler;    // the class answering it, or:
    tn_handler_fn callback;             // a plain function for every method
    void *user_data;                    // h->user_data (Tornado's initialize kwargs)
    const char *name;                   // for tn_app_reverse_url
} tn_route;

typedef struct tn_app tn_app;
typedef struct tn_packed_file tn_packed_file;  // see >>static

typedef struct tn_app_desc {
    const tn_route *routes;             // the default host's routes (may be NULL)
    const tn_handler_class *default_handler;  // unmatched paths; default: 404 page
    void *default_handler_data;
    bool no_access_log;                 // no tornado.access line per request
    tn_handler_fn log_function;         // writes each request's access line instead of
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
// Appends the path of the route named `name` with its groups filled by args
// (escaped here). Returns 0, TN_ENOENT (no such name) or TN_EINVAL.
TN_API int tn_app_reverse_url(const tn_app *app, const char *name, const char *const *args, int nargs, tn_buf *out);
TN_API void *tn_app_user_data(const tn_app *app);
// Tornado's log_request: logs "200 GET /path (ip) 0.52ms" on the access
// channel, at info below 400, warning below 500, error from 500 on. A
// log_function may call it for the requests it does not handle itself.
TN_API void tn_app_log_request(tn_handler *h);
// Stops serving and frees the application (the loop frees it at the end too).
TN_API void tn_app_free(tn_app *app);

// ---- inside a handler
// Positional path argument i (0-based), decoded; {NULL,0} when absent.
TN_API tn_str tn_path_arg(const tn_handler *h, int i);
// Named path argument, decoded; {NULL,0} when absent.
TN_API tn_str tn_path_kwarg(const tn_handler *h, const char *name);
TN_API int tn_path_args_count(const tn_handler *h);
// Pass as the default to make an argument required (Tornado's get_argument
// without a default): when absent, a 400 is sent and NULL returned.
#define TN_REQUIRED ((const char *)(uintptr_t)1)

// Tornado's get_argument: the last value of `name` from the query or a form
// body, as a C string with surrounding whitespace stripped; `def` (may be
// NULL) when absent. With def == TN_REQUIRED a missing argument sends a 400
// ("Missing argument NAME") and returns NULL: return from the handler then.
// A value that is not UTF-8 also sends a 400 and returns NULL.
TN_API const char *tn_get_argument(tn_handler *h, const char *name, const char *def);
// Only the query string's (get_query_argument) or only the body's.
TN_API const char *tn_get_query_argument(tn_handler *h, const char *name, const char *def);
TN_API const char *tn_get_body_argument(tn_handler *h, const char *name, const char *def);
// Every value of `name` (query then body), up to max, as C strings.
// Returns how many there are.
TN_API size_t tn_get_arguments(tn_handler *h, const char *name, const char **out, size_t max);
// The files of a multipart/form-data body (parts with a file name), or NULL.
TN_API const tn_multipart *tn_get_files(tn_handler *h);
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

// Tornado's xsrf_token: this session's XSRF token (masked afresh on each
// call, version 2), setting the _xsrf cookie when the client has none.
// Valid until the request finishes; NULL when out of memory.
TN_API const char *tn_xsrf_token(tn_handler *h);
// `<input type="hidden" name="_xsrf" value="TOKEN"/>` for forms.
TN_API const char *tn_xsrf_form_html(tn_handler *h);

// Sends an error page (write_error, or Tornado's default) with `status` and
// finishes. If the head was already sent, the connection is just ended.
TN_API void tn_send_error(tn_handler *h, int status);
// Sends a redirect to url and finishes; status 0 means 302 (301, 302, 303,
// 307 and 308 are allowed). Returns 0 or TN_EINVAL.
TN_API int tn_redirect(tn_handler *h, const char *url, int status);
// Writes JSON made by the caller's json writer into the body, setting
// Content-Type application/json; returns a writer over the response body.
TN_API tn_json_writer *tn_write_json_begin(tn_handler *h);
// Ends tn_write_json_begin. Returns 0 or the writer's error (the partial
// JSON is then removed from the body).
TN_API int tn_write_json_end(tn_handler *h);
// The application serving the request (NULL for plain servers).
TN_API tn_app *tn_handler_app(const tn_handler *h);
