// A standalone server of the test application, for the integration tests:
//   build/testapp [--port=0] [--max-body=N] [--chunk-size=N]
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include "testapp.h"

int main(int argc, char **argv) {
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.routes = testapp_routes;
    d.cookie_secret = "It's a secret to everybody";
    int port = 0;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--port=", 7) == 0) port = atoi(argv[i] + 7);
        else if (strncmp(argv[i], "--max-body=", 11) == 0) d.server.max_body_size = (size_t)atol(argv[i] + 11);
        else if (strncmp(argv[i], "--chunk-size=", 13) == 0) d.server.chunk_size = (size_t)atol(argv[i] + 13);
    }
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &d);
    if (app && tn_app_add_handlers(app, "api\\.example\\.com", testapp_api_routes) != 0) return 1;
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.host = "127.0.0.1";
    b.port = port;
    if (!app || tn_app_listen_on(app, &b) != 0) return 1;
    TN_LOGI("Listening on port %d", tn_app_port(app));
    tn_loop_stop_on_signals(loop);
    tn_loop_start(loop);
    tn_loop_free(loop);
    return tn_mem_get_stats().live == 0 ? 0 : 5;
}
