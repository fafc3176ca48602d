// The hello world as a benchmark target: no access log, plus GET /stats with
// the library's allocation counters, so a benchmark can show that a steady
// state allocates nothing per request.
//   tools/bench/hello_bench [--port=8888]
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdlib.h>
#include <string.h>

static void hello_get(tn_handler *h) { tn_write_str(h, "Hello, world"); }

static void stats_get(tn_handler *h) {
    tn_mem_stats m = tn_mem_get_stats();
    tn_writef(h, "allocs=%llu live=%llu", (unsigned long long)m.allocs, (unsigned long long)m.live);
}

static const tn_handler_class hello = {.get = hello_get, .no_etag = false};
static const tn_handler_class stats = {.get = stats_get, .no_etag = true};

int main(int argc, char **argv) {
    int port = 8888;
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--port=", 7) == 0) port = atoi(argv[i] + 7);
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &(tn_app_desc){
        .routes = (tn_route[]){{.pattern = "/", .handler = &hello}, {.pattern = "/stats", .handler = &stats}, {0}},
        .no_access_log = true,
    });
    if (tn_app_listen_on(app, &(tn_bind_desc){.host = "127.0.0.1", .port = port, .backlog = 4096}) != 0) return 1;
    TN_LOGI("Listening on port %d", tn_app_port(app));
    tn_loop_stop_on_signals(loop);
    tn_loop_start(loop);
    tn_loop_free(loop);
    return 0;
}
