// static_files: serves a folder, as Tornado's static_path and StaticFileHandler.
//
//     app = tornado.web.Application([
//         (r"/url", UrlHandler),
//         (r"/(.*)", tornado.web.StaticFileHandler, {"path": root, "default_filename": "index.html"}),
//     ], static_path=root)
//
//   /static/PATH    the file, with ETag, Last-Modified, ranges, 304s
//   /url?p=PATH     the versioned URL static_url makes for it
//   /PATH           the same files, folders served by their index.html
//
// Build alone: cc -O2 -o static_files examples/static_files.c -pthread
// Run: ./static_files [--port=8888] [--root=DIR] [--quiet] [--compress_response]
//      [--gzip_static]   (--help lists all)
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

static void url_get(tn_handler *h) {
    const char *path = tn_get_argument(h, "p", TN_REQUIRED);
    if (!path) return;
    tn_buf url = {0};
    if (tn_static_url(h, path, &url) == 0) {
        tn_write_str(h, url.data);
    } else {
        tn_send_error(h, 404);
    }
    tn_buf_free(&url);
}

static const tn_handler_class url_handler = {.get = url_get};

int main(int argc, char **argv) {
    int port = 8888;
    const char *certfile = NULL, *keyfile = NULL;  // HTTPS (a TLS build)
    bool quiet = false, compress = false;
    tn_static_desc files = {.path = ".", .default_filename = "index.html"};
    tn_options *opts = tn_options_new(&(tn_options_desc){
        .options = (tn_option_desc[]){
            TN_OPTION_PORT(&port),
            TN_OPTIONS_TLS(&certfile, &keyfile),
            {.name = "root", .value = &files.path, .metavar = "DIR", .help = "the folder to serve"},
            {.name = "quiet", .type = TN_OPTION_BOOL, .value = &quiet, .help = "no access log"},
            {.name = "compress_response", .type = TN_OPTION_BOOL, .value = &compress,
             .help = "gzip text files for clients that accept it (and serve NAME.gz)"},
            {.name = "gzip_static", .type = TN_OPTION_BOOL, .value = &files.gzip_static,
             .help = "serve NAME.gz for NAME to clients that accept gzip"},
            {0},
        }});
    if (!opts) return 1;
    tn_options_parse_command_line(opts, argc, argv);  // exits on --help or a bad flag
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &(tn_app_desc){
        .server = {.certfile = certfile, .keyfile = keyfile},
        .routes = (tn_route[]){{.pattern = "/url", .handler = &url_handler},
                               TN_STATIC_ROUTE("/(.*)", &files),
                               {0}},
        .static_path = files.path,
        .no_access_log = quiet,
        .compress_response = compress,
    });
    if (!app || tn_app_listen(app, port) != 0) {
        TN_LOGE("cannot listen on port %d", port);
        return 1;
    }
    TN_LOGI("Listening on http://localhost:%d/ (serving %s)", tn_app_port(app), files.path);
    tn_loop_stop_on_signals(loop);
    tn_loop_start(loop);
    tn_loop_free(loop);
    tn_options_free(opts);
    return 0;
}
