// helloworld: Tornado's hello world in C.
//
//     class MainHandler(tornado.web.RequestHandler):
//         def get(self):
//             self.write("Hello, world")
//
//     app = tornado.web.Application([(r"/", MainHandler)])
//     app.listen(8888)
//     tornado.ioloop.IOLoop.current().start()
//
// Build alone: cc -O2 -o helloworld examples/helloworld.c -pthread
// Run: ./helloworld [--port=8888] [--quiet]   (--quiet: no access log)
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void main_get(tn_handler *h) { tn_write_str(h, "Hello, world"); }

static const tn_handler_class main_handler = {.get = main_get};

int main(int argc, char **argv) {
    int port = 8888;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--port=", 7) == 0) port = atoi(argv[i] + 7);
        else if (strcmp(argv[i], "--quiet") == 0) quiet = true;
    }
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &(tn_app_desc){
        .routes = (tn_route[]){{.pattern = "/", .handler = &main_handler}, {0}},
        .no_access_log = quiet,
    });
    if (tn_app_listen(app, port) != 0) {
        TN_LOGE("cannot listen on port %d", port);
        return 1;
    }
    TN_LOGI("Listening on http://localhost:%d/", tn_app_port(app));
    tn_loop_stop_on_signals(loop);
    tn_loop_start(loop);
    tn_loop_free(loop);
    return 0;
}
