// The gzip benchmark's target (tools/bench/gzip.sh): a small JSON hello
// world, a 40 KB HTML page written by a handler, and static files, with or
// without compress_response; no access log.
//   tools/bench/gzip_bench [--port=8888] [--root=DIR] [--compress_response]
// DIR/page.html is the page /page writes; DIR is also served under /static/.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdio.h>
#include <stdlib.h>

static tn_buf page;

static void hello_get(tn_handler *h) {
    tn_set_header(h, "Content-Type", "application/json");
    tn_write_str(h, "{\"message\": \"Hello, world\"}");
}

static void page_get(tn_handler *h) {
    tn_set_header(h, "Content-Type", "text/html; charset=UTF-8");
    tn_write(h, page.data, page.len);
}

static const tn_handler_class hello = {.get = hello_get};
static const tn_handler_class page_class = {.get = page_get};

// The whole file into `page` (0 or -1).
static int load(const char *root) {
    char path[4096];
    snprintf(path, sizeof path, "%s/page.html", root);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) tn_buf_append(&page, chunk, n);
    fclose(f);
    return 0;
}

int main(int argc, char **argv) {
    int port = 8888;
    const char *root = ".";
    bool compress = false;
    tn_options *opts = tn_options_new(&(tn_options_desc){
        .options = (tn_option_desc[]){
            TN_OPTION_PORT(&port),
            {.name = "root", .value = &root, .metavar = "DIR", .help = "folder with page.html, served under /static/"},
            {.name = "compress_response", .type = TN_OPTION_BOOL, .value = &compress, .help = "gzip"},
            {0},
        }});
    if (!opts) return 1;
    tn_options_parse_command_line(opts, argc, argv);
    if (load(root) != 0) {
        fprintf(stderr, "cannot read %s/page.html\n", root);
        return 1;
    }
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &(tn_app_desc){
        .routes = (tn_route[]){{.pattern = "/", .handler = &hello}, {.pattern = "/page", .handler = &page_class}, {0}},
        .static_path = root,
        .compress_response = compress,
        .no_access_log = true,
    });
    if (!app || tn_app_listen_on(app, &(tn_bind_desc){.host = "127.0.0.1", .port = port, .backlog = 4096}) != 0) return 1;
    TN_LOGI("Listening on port %d", tn_app_port(app));
    tn_loop_stop_on_signals(loop);
    tn_loop_start(loop);
    tn_loop_free(loop);
    tn_buf_free(&page);
    tn_options_free(opts);
    return 0;
}
