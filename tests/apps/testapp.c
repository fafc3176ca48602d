// A standalone server of the test application, for the integration tests:
//   build/testapp [--port=0] [--max-body=N] [--chunk-size=N] [--compress_response]
//   (--help lists all)
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include "testapp.h"

int main(int argc, char **argv) {
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.routes = testapp_routes;
    d.cookie_secret = "It's a secret to everybody";
    int port = 0, max_body = 0, chunk_size = 0;
    bool compress = false;
    tn_options *opts = tn_options_new(&(tn_options_desc){
        .options = (tn_option_desc[]){
            TN_OPTION_PORT(&port),
            {.name = "max-body", .type = TN_OPTION_INT, .value = &max_body, .min = 0, .max = INT_MAX,
             .help = "the server's max_body_size (0: its default)"},
            {.name = "chunk-size", .type = TN_OPTION_INT, .value = &chunk_size, .min = 0, .max = INT_MAX,
             .help = "the server's chunk_size (0: its default)"},
            {.name = "compress_response", .type = TN_OPTION_BOOL, .value = &compress,
             .help = "gzip compressible responses for clients that accept it"},
            {0},
        }});
    if (!opts) return 1;
    tn_options_parse_command_line(opts, argc, argv);  // exits on --help or a bad flag
    d.server.max_body_size = (size_t)max_body;
    d.server.chunk_size = (size_t)chunk_size;
    d.compress_response = compress;
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
    tn_options_free(opts);
    return tn_mem_get_stats().live == 0 ? 0 : 5;
}
