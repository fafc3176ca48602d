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
// SIGTERM or Ctrl-C stops it gracefully (tn_loop_stop_on_signals): no new
// connection is taken, what is in flight is answered, then it exits; a second
// signal stops it at once.
//
// Build alone: cc -O2 -o helloworld examples/helloworld.c -pthread
// Run: ./helloworld [--port=8888] [--quiet] [--config=FILE]   (--help lists all)
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

static void main_get(tn_handler *h) { tn_write_str(h, "Hello, world"); }

static const tn_handler_class main_handler = {.get = main_get};

// --config=FILE: the options in FILE, where it appears among the flags
// (those after it win), as Tornado's demos do with parse_config_file.
static int load_config(tn_options *opts, void *value, void *user_data) {
    (void)user_data;
    return tn_options_parse_config_file(opts, *(const char **)value);
}

int main(int argc, char **argv) {
    int port = 8888;
    const char *certfile = NULL, *keyfile = NULL;  // HTTPS (a TLS build)
    bool quiet = false;
    tn_options *opts = tn_options_new(&(tn_options_desc){
        .options = (tn_option_desc[]){
            TN_OPTION_PORT(&port),
            TN_OPTIONS_TLS(&certfile, &keyfile),
            {.name = "quiet", .type = TN_OPTION_BOOL, .value = &quiet, .help = "no access log"},
            {.name = "config", .metavar = "FILE", .callback = load_config,
             .help = "read options from FILE (lines of name = value)"},
            {0},
        }});
    if (!opts) return 1;
    tn_options_parse_command_line(opts, argc, argv);  // exits on --help or a bad flag
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &(tn_app_desc){
        .server = {.certfile = certfile, .keyfile = keyfile},
        .routes = (tn_route[]){{.pattern = "/", .handler = &main_handler}, {0}},
        .no_access_log = quiet,
    });
    if (tn_app_listen(app, port) != 0) {
        TN_LOGE("cannot listen on port %d", port);
        return 1;
    }
    TN_LOGI("Listening on http://localhost:%d/", tn_app_port(app));
    tn_loop_stop_on_signals(loop);  // SIGTERM: drain, then tn_loop_start returns
    tn_loop_start(loop);
    tn_loop_free(loop);
    tn_options_free(opts);
    return 0;
}
