// The test application: routes that exercise the HTTP server and the web
// layer. Included by tests/unit/test_http_server.c (in a child process) and
// by tests/apps/testapp.c (a standalone server for the integration tests).
#ifndef TESTAPP_H
#define TESTAPP_H
#include <stdlib.h>
#include <string.h>


static int stream_chunks;
static size_t stream_bytes;
static int closes_seen;

static void hello_get(tn_handler *h) { tn_write_str(h, "Hello, world"); }
static void hello_head(tn_handler *h) { (void)h; }
static void echo_post(tn_handler *h) {
    tn_writef(h, "%zu:", h->request.body.len);
    tn_write(h, h->request.body.ptr, h->request.body.len);
}
static void args_get(tn_handler *h) {
    const char *a = tn_get_argument(h, "a", TN_REQUIRED);
    if (!a) return;  // 400 sent
    tn_writef(h, "a=[%s] b=[%s]", a, tn_get_argument(h, "b", "default"));
}
static void path_get(tn_handler *h) {
    tn_str id = tn_path_arg(h, 0), name = tn_path_kwarg(h, "name");
    tn_writef(h, "id=%.*s name=%.*s n=%d", (int)id.len, id.ptr, (int)name.len, name.ptr, tn_path_args_count(h));
}
static void flush_get(tn_handler *h) {
    tn_write_str(h, "first,");
    tn_flush(h, NULL, NULL);
    tn_write_str(h, "second");
}
static void status_get(tn_handler *h) {
    tn_str code = tn_path_arg(h, 0);
    tn_set_status(h, atoi(code.ptr), NULL);
    if (atoi(code.ptr) == 200) tn_write_str(h, "ok");
}
static void redirect_get(tn_handler *h) { tn_redirect(h, "/target?x=1", atoi(tn_get_argument(h, "s", "0"))); }
static void finish_later(tn_loop *loop, void *arg) {
    tn_handler *h = (tn_handler *)arg;
    (void)loop;
    tn_write_str(h, "deferred done");
    tn_finish(h);
}
static void defer_get(tn_handler *h) {
    tn_defer(h);
    tn_loop_call_later(tn_handler_loop(h), 0.05, finish_later, h);
}
// /slow: answered 20 ms later; says in the log when it has read a request,
// so a test can count the requests read against the answers.
static void slow_get(tn_handler *h) {
    TN_LOGI("slow request read");
    tn_defer(h);
    tn_loop_call_later(tn_handler_loop(h), 0.02, finish_later, h);
}
static tn_handler *parked;
static void park_closed(tn_handler *h) {
    closes_seen++;
    tn_finish(h);  // the client is gone: this writes nothing
    parked = NULL;
}
static void park_get(tn_handler *h) {
    tn_defer(h);
    parked = h;
}
static void stats_get(tn_handler *h) {
    tn_writef(h, "closes=%d chunks=%d bytes=%zu", closes_seen, stream_chunks, stream_bytes);
}
static void stream_data(tn_handler *h, const char *data, size_t len) {
    (void)h;
    (void)data;
    stream_chunks++;
    stream_bytes += len;
}
static void stream_post(tn_handler *h) { tn_writef(h, "streamed %zu", stream_bytes); }
static void stream_prepare(tn_handler *h) {
    stream_chunks = 0;
    stream_bytes = 0;
    if (tn_get_header(h, "X-Deny").ptr) tn_send_error(h, 401);
}
static void headers_get(tn_handler *h) {
    int bad = tn_set_header(h, "X-Bad", "a\r\nInjected: 1");
    int bad_name = tn_set_header(h, "Bad Name", "x");
    tn_set_header(h, "X-Ok", "fine");
    tn_add_header(h, "X-Multi", "1");
    tn_add_header(h, "X-Multi", "2");
    tn_writef(h, "bad=%d bad_name=%d ip=%s proto=%s host=%.*s", bad, bad_name, h->request.remote_ip,
              h->request.protocol, (int)h->request.host.len, h->request.host.ptr);
}
static void big_get(tn_handler *h) {
    static char chunk[65536];
    memset(chunk, 'b', sizeof chunk);
    for (int i = 0; i < 16; i++) tn_write(h, chunk, sizeof chunk);
}

// Upgrades to a raw line echo over the detached stream.
static void raw_line(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    if (status) return;
    tn_stream_write(s, data, len, NULL, NULL);
    tn_stream_read_until(s, "\n", 1, 4096, raw_line, arg);
}
static void detach_get(tn_handler *h) {
    tn_stream *s = tn_detach(h, 101);
    if (!s) return;
    const char *ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n";
    tn_stream_write(s, ok, strlen(ok), NULL, NULL);
    tn_stream_read_until(s, "\n", 1, 4096, raw_line, NULL);
}

static int finishes_seen;
static void callback_route(tn_handler *h) {
    tn_writef(h, "callback %.*s", (int)h->request.method.len, h->request.method.ptr);
}
static void custom_error_get(tn_handler *h) { tn_send_error(h, 503); }
static void custom_write_error(tn_handler *h, int status) { tn_writef(h, "custom page for %d", status); }
static void reason_get(tn_handler *h) {
    bool unknown = tn_get_argument(h, "unknown", NULL) != NULL;
    tn_set_status(h, unknown ? 682 : 299, unknown ? NULL : "Custom Reason");
    int bad = tn_set_status(h, 200, "evil\r\nX: y");
    tn_writef(h, "bad=%d", bad);
}
static void reverse_get(tn_handler *h) {
    tn_buf out = {0};
    const char *args[] = {"7", "a b/c"};
    int r = tn_app_reverse_url(tn_handler_app(h), "path", args, 2, &out);
    int missing = tn_app_reverse_url(tn_handler_app(h), "nope", args, 2, &out);
    tn_writef(h, "%d %d %s", r, missing, out.data ? out.data : "");
    tn_buf_free(&out);
}
static void defaults_headers(tn_handler *h) { tn_set_header(h, "X-Default", "yes"); }
static void defaults_prepare(tn_handler *h) {
    if (tn_get_argument(h, "deny", NULL)) tn_send_error(h, 403);  // the method never runs
}
static void defaults_get(tn_handler *h) { tn_write_str(h, "method ran"); }
static void defaults_finish(tn_handler *h) {
    (void)h;
    finishes_seen++;
}
static void finishes_get(tn_handler *h) { tn_writef(h, "finishes=%d", finishes_seen); }
static void cookie_get(tn_handler *h) { tn_writef(h, "name=%s other=%s", tn_get_cookie(h, "name", "none"), tn_get_cookie(h, "other", "none")); }
static void upload_post(tn_handler *h) {
    const tn_multipart *mp = tn_get_files(h);
    tn_writef(h, "field=%s", tn_get_argument(h, "field", "-"));
    for (size_t i = 0; mp && i < mp->count; i++)
        if (mp->parts[i].filename.len)
            tn_writef(h, " %s:%.*s:%zu", mp->parts[i].filename.ptr, (int)mp->parts[i].content_type.len,
                      mp->parts[i].content_type.ptr, mp->parts[i].body.len);
}
static void json_get(tn_handler *h) {
    tn_json_writer *w = tn_write_json_begin(h);
    tn_json_write_object_begin(w);
    tn_json_write_key(w, "a", 1);
    tn_json_write_array_begin(w);
    tn_json_write_int(w, 1);
    tn_json_write_str(w, "x</script>", 10);
    tn_json_write_array_end(w);
    tn_json_write_object_end(w);
    tn_write_json_end(h);
}
static void api_get(tn_handler *h) { tn_write_str(h, "api host"); }
static void xsrf_get(tn_handler *h) { tn_write_str(h, tn_xsrf_token(h)); }
static void xsrf_post(tn_handler *h) { tn_write_str(h, "ok"); }
static void signed_get(tn_handler *h) {
    const char *set = tn_get_argument(h, "set", NULL);
    if (set) {
        tn_set_signed_cookie(h, "user", set, 0);
        tn_cookie_desc c;
        memset(&c, 0, sizeof c);
        c.name = "plain";
        c.value = "v1";
        c.http_only = true;
        c.samesite = "Lax";
        tn_set_cookie(h, &c);
        tn_clear_cookie(h, "old", NULL, NULL);
        return;
    }
    const char *user = tn_get_signed_cookie(h, "user", 0);
    tn_writef(h, "user=%s", user ? user : "(none)");
}
static void sources_post(tn_handler *h) {
    tn_set_header(h, "X-Gone", "1");
    int cleared = tn_clear_header(h, "X-Gone");
    const char *all[4];
    size_t n = tn_get_arguments(h, "v", all, 4);
    tn_writef(h, "q=%s b=%s n=%zu first=%s cleared=%d", tn_get_query_argument(h, "v", "-"), tn_get_body_argument(h, "v", "-"), n,
              n ? all[0] : "-", cleared);
}
static void fallback_get(tn_handler *h) {
    tn_set_status(h, 404, NULL);
    tn_writef(h, "custom 404 for %.*s data=%s", (int)h->request.path.len, h->request.path.ptr, (const char *)h->user_data);
}
// For tn_app_desc.default_handler (tests that set it).
static const tn_handler_class testapp_fallback_class = {.get = fallback_get};

static const tn_handler_class hello_class = {.get = hello_get, .head = hello_head};
static const tn_handler_class echo_class = {.post = echo_post, .put = echo_post};
static const tn_handler_class args_class = {.get = args_get, .post = args_get};
static const tn_handler_class path_class = {.get = path_get};
static const tn_handler_class flush_class = {.get = flush_get};
static const tn_handler_class status_class = {.get = status_get};
static const tn_handler_class redirect_class = {.get = redirect_get};
static const tn_handler_class defer_class = {.get = defer_get};
static const tn_handler_class slow_class = {.get = slow_get};
static const tn_handler_class park_class = {.get = park_get, .on_connection_close = park_closed};
static const tn_handler_class stats_class = {.get = stats_get};
static const tn_handler_class stream_class = {
    .post = stream_post, .prepare = stream_prepare, .data_received = stream_data, .on_connection_close = park_closed};
static const tn_handler_class headers_class = {.get = headers_get};
static const tn_handler_class big_class = {.get = big_get};
static const tn_handler_class detach_class = {.get = detach_get};
static const tn_handler_class custom_error_class = {.get = custom_error_get, .write_error = custom_write_error};
static const tn_handler_class reason_class = {.get = reason_get};
static const tn_handler_class reverse_class = {.get = reverse_get};
static const tn_handler_class defaults_class = {.get = defaults_get, .prepare = defaults_prepare,
                                                .set_default_headers = defaults_headers, .on_finish = defaults_finish};
static const tn_handler_class finishes_class = {.get = finishes_get};
static const tn_handler_class cookie_class = {.get = cookie_get};
static const tn_handler_class upload_class = {.post = upload_post};
static const tn_handler_class json_class = {.get = json_get};
static const tn_handler_class api_class = {.get = api_get};
static const tn_handler_class sources_class = {.post = sources_post};
static const tn_handler_class signed_class = {.get = signed_get};
static const tn_handler_class xsrf_class = {.get = xsrf_get, .post = xsrf_post};

// Routes for requests whose Host is api.example.com (tn_app_add_handlers).
static const tn_route testapp_api_routes[] = {
    {.pattern = "/", .handler = &api_class},
    {0},
};

// The routes, as a table for tn_app_desc.routes.
static const tn_route testapp_routes[] = {
    {.pattern = "/", .handler = &hello_class},
    {.pattern = "/echo", .handler = &echo_class},
    {.pattern = "/args", .handler = &args_class},
    {.pattern = "/path/([0-9]+)/(?P<name>[^/]+)", .handler = &path_class, .name = "path"},
    {.pattern = "/flush", .handler = &flush_class},
    {.pattern = "/status/(\\d+)", .handler = &status_class},
    {.pattern = "/redirect", .handler = &redirect_class},
    {.pattern = "/defer", .handler = &defer_class},
    {.pattern = "/slow", .handler = &slow_class},
    {.pattern = "/park", .handler = &park_class},
    {.pattern = "/stats", .handler = &stats_class},
    {.pattern = "/stream", .handler = &stream_class},
    {.pattern = "/headers", .handler = &headers_class},
    {.pattern = "/big", .handler = &big_class},
    {.pattern = "/detach", .handler = &detach_class},
    {.pattern = "/callback", .callback = callback_route},
    {.pattern = "/custom-error", .handler = &custom_error_class},
    {.pattern = "/reason", .handler = &reason_class},
    {.pattern = "/reverse", .handler = &reverse_class},
    {.pattern = "/defaults", .handler = &defaults_class},
    {.pattern = "/finishes", .handler = &finishes_class},
    {.pattern = "/cookie", .handler = &cookie_class},
    {.pattern = "/upload", .handler = &upload_class},
    {.pattern = "/json", .handler = &json_class},
    {.pattern = "/sources", .handler = &sources_class},
    {.pattern = "/signed", .handler = &signed_class},
    {.pattern = "/xsrf", .handler = &xsrf_class},
    {0},
};
#endif
