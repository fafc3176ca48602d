// The whole HTTP server connection under fuzzing: each input is fed to a
// live connection of the test application (split into writes at bytes the
// input chooses), and the loop runs until the connection is done. Checks
// that no input crashes, over-reads or leaks (the library's allocation
// balance is compared after each input).
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include "../apps/testapp.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static tn_loop *loop;
static tn_app *app;

static void setup(void) {
    signal(SIGPIPE, SIG_IGN);  // our own writes below may meet a closed peer
    tn_log_set_level(TN_LOG_NONE);
    loop = tn_loop_new(NULL);
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.routes = testapp_routes;
    d.server.max_body_size = 4096;
    d.server.idle_connection_timeout = 0.05;
    d.server.body_timeout = 0.05;
    app = tn_app_new(loop, &d);
    tn_app_add_handlers(app, "api\\.example\\.com", testapp_api_routes);
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.host = "127.0.0.1";
    tn_app_listen_on(app, &b);  // creates the server; connections come below
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!loop) setup();
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 0;
    tn_stream *s = tn_stream_new(loop, sv[0], NULL);
    if (!s) return 0;
    tn__hserver_handle_stream(NULL, s, app->server);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    // The first byte says where to split the rest into two writes.
    size_t split = size ? (size_t)data[0] * (size - 1) / 255 : 0;
    const uint8_t *p = size ? data + 1 : data;
    size_t n = size ? size - 1 : 0;
    char sink[65536];
    if (split && write(sv[1], p, split) < 0) {}
    for (int i = 0; i < 3; i++) tn_loop_run_once(loop, 0);
    if (n > split && write(sv[1], p + split, n - split) < 0) {}
    shutdown(sv[1], SHUT_WR);
    for (int i = 0; i < 200 && tn_http_server_connections(app->server) > 0; i++) {
        tn_loop_run_once(loop, 0.01);
        while (read(sv[1], sink, sizeof sink) > 0) {}
    }
    close(sv[1]);
    for (int i = 0; i < 5; i++) tn_loop_run_once(loop, 0);
    if (tn_http_server_connections(app->server) != 0) abort();  // a connection hung on
    return 0;
}
