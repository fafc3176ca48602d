// Built by `make -f tests/compile/Makefile features` with modules left out
// (TN_ENABLE_* switches): a desc that needs a module left out is refused by
// tn_app_new, never served without it; a plain app still works; with
// WebSockets, a message goes there and back over loopback, compressed only
// when the codec (TN_ENABLE_DEFLATE) is built in.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdio.h>
#include <string.h>

static void get(tn_handler *h) { tn_write_str(h, "x"); }
static const tn_handler_class cls = {.get = get};

// 0 when tn_app_new(desc) gives an app exactly when `want` says so.
static int expect(tn_loop *loop, tn_app_desc d, bool want, const char *what) {
    tn_route routes[] = {{.pattern = "/", .handler = &cls}, {0}};
    d.routes = routes;
    tn_app *app = tn_app_new(loop, &d);
    if (!app != !want) {
        printf("tn_app_new with %s: %s\n", what, app ? "accepted" : "refused");
        return 1;
    }
    tn_app_free(app);
    return 0;
}

#if TN_ENABLE_WEBSOCKET
static int ws_done, ws_bad;
// min_size 1: even a 5-byte message goes out compressed when negotiated.
static const tn_ws_compression pmd = {.min_size = 1};

static void echo(tn_ws *ws, const char *data, size_t len, bool binary) { tn_ws_send(ws, data, len, binary); }
static void got(tn_ws *ws, const char *data, size_t len, bool binary) {
    ws_bad |= binary || len != 5 || memcmp(data, "hello", 5) != 0;
    tn_ws_close(ws, 1000, NULL);
}
static void closed(tn_ws *ws, int code, const char *reason) {
    (void)ws, (void)reason;
    ws_bad |= code != 1000;
    ws_done = 1;
}
static void connected(tn_ws *ws, int status, int http_status, void *user_data) {
    (void)http_status, (void)user_data;
    if (status) ws_bad = ws_done = 1;
    else tn_ws_send(ws, "hello", 5, false);
}
static void guard(tn_loop *loop, void *arg) {
    (void)loop, (void)arg;
    puts("websocket: no echo after 10 s");
    ws_bad = ws_done = 1;
}

// The server's route asks for permessage-deflate; so does the client, which
// is refused (TN_ENOTSUP) without the codec and then connects without it.
static int ws_roundtrip(tn_loop *loop) {
    static tn_ws_class server_cls = {.on_message = echo, .compression = &pmd};
    static tn_ws_class client_cls = {.on_message = got, .on_close = closed};
    tn_route routes[] = {TN_WS_ROUTE("/ws", &server_cls), {0}};
    tn_app_desc ad = {.routes = routes, .no_access_log = true};
    tn_bind_desc bd = {.host = "127.0.0.1"};
    tn_app *app = tn_app_new(loop, &ad);
    if (!app || tn_app_listen_on(app, &bd)) return 1;
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws", tn_app_port(app));
    tn_ws_connect_desc cd = {.url = url, .cls = &client_cls, .compression = &pmd, .on_connect = connected};
    int r = tn_ws_connect(loop, &cd);
    if (r != (TN_ENABLE_DEFLATE ? 0 : TN_ENOTSUP)) printf("tn_ws_connect with compression: %s\n", tn_err_name(r));
    ws_bad = r != (TN_ENABLE_DEFLATE ? 0 : TN_ENOTSUP);
    cd.compression = NULL;
    if (r == TN_ENOTSUP) ws_bad |= tn_ws_connect(loop, &cd) != 0;
    tn_timeout t = tn_loop_call_later(loop, 10.0, guard, NULL);
    while (!ws_done) tn_loop_run_once(loop, 1.0);
    tn_loop_remove_timeout(loop, t);
    tn_app_free(app);
    if (ws_bad) puts("websocket: the round trip failed");
    return ws_bad;
}
#endif

int main(void) {
    tn_loop *loop = tn_loop_new(NULL);
    if (!loop) return 1;
    int bad = expect(loop, (tn_app_desc){0}, true, "nothing");
    bad |= expect(loop, (tn_app_desc){.xsrf_cookies = true}, TN_ENABLE_XSRF, "xsrf_cookies");
    bad |= expect(loop, (tn_app_desc){.static_path = "."}, TN_ENABLE_STATIC, "static_path");
    bad |= expect(loop, (tn_app_desc){.template_path = "."}, TN_ENABLE_TEMPLATES, "template_path");
#if TN_ENABLE_WEBSOCKET
    bad |= ws_roundtrip(loop);
#endif
    tn_loop_free(loop);
    return bad;
}
