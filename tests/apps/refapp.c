// The reference application of issue 10, as a new user would write it, with
// an allocator that counts bytes (TN_MALLOC), for tests/integration/test_hostile.py:
//   GET /               hello
//   POST|PUT /echo      the body back, sent from the request's own buffer
//   GET /big?n=BYTES    one tn_write of that many bytes
//   GET /stats          live and peak library heap bytes, open descriptors
//   POST /stats/reset   the peak starts again from what is live now
// build/refapp [--port=0] [--max-body=N] [--write-timeout=S]   (--help lists all)
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// A size header before each block: 16 bytes keeps malloc's alignment.
static _Atomic long long live_bytes, peak_bytes;
static void count(long long d) {
    long long now = atomic_fetch_add(&live_bytes, d) + d, peak = atomic_load(&peak_bytes);
    while (now > peak && !atomic_compare_exchange_weak(&peak_bytes, &peak, now)) {}
}
static void *ref_malloc(size_t n) {
    size_t *p = (size_t *)malloc(n + 16);
    if (!p) return NULL;
    *p = n;
    count((long long)n);
    return (char *)p + 16;
}
static void ref_free(void *q) {
    if (!q) return;
    size_t *p = (size_t *)(void *)((char *)q - 16);
    count(-(long long)*p);
    free(p);
}
// Counts a growing block as both the old and the new size while realloc
// may copy, as the peak resident memory would.
static void *ref_realloc(void *q, size_t n) {
    if (!q) return ref_malloc(n);
    size_t old = *(size_t *)(void *)((char *)q - 16);
    count((long long)n);
    size_t *p = (size_t *)realloc((char *)q - 16, n + 16);
    if (!p) {
        count(-(long long)n);
        return NULL;
    }
    *p = n;
    count(-(long long)old);
    return (char *)p + 16;
}
#define TN_MALLOC(n) ref_malloc(n)
#define TN_REALLOC(p, n) ref_realloc((p), (n))
#define TN_FREE(p) ref_free(p)
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"

static void hello(tn_handler *h) { tn_write_str(h, "hello"); }

static void echo(tn_handler *h) {
    tn_buf body;
    if (tn_take_body(h, &body) == 0) tn_write_buf(h, &body);
}

static void big(tn_handler *h) {
    size_t n = (size_t)atoll(tn_get_argument(h, "n", "0"));
    char *p = (char *)malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) p[i] = (char)('a' + i % 23);
    int rc = tn_write(h, p, n);
    free(p);
    if (rc) tn_send_error(h, 500);
}

static int open_fds(void) {
    int n = -1;  // opendir's own
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    while (readdir(d)) n++;
    closedir(d);
    return n - 2;  // . and ..
}

static void stats(tn_handler *h) {
    tn_writef(h, "{\"live_bytes\": %lld, \"peak_bytes\": %lld, \"fds\": %d}", atomic_load(&live_bytes),
              atomic_load(&peak_bytes), open_fds());
}

static void stats_reset(tn_handler *h) {
    atomic_store(&peak_bytes, atomic_load(&live_bytes));
    tn_write_str(h, "reset");
}

static const tn_handler_class hello_class = {.get = hello};
static const tn_handler_class echo_class = {.post = echo, .put = echo};
static const tn_handler_class big_class = {.get = big};
static const tn_handler_class stats_class = {.get = stats, .post = stats_reset};

int main(int argc, char **argv) {
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.host = "127.0.0.1";
    int max_body = 0;
    double write_timeout = 0;
    tn_options *opts = tn_options_new(&(tn_options_desc){
        .options = (tn_option_desc[]){
            TN_OPTION_PORT(&b.port),
            {.name = "max-body", .type = TN_OPTION_INT, .value = &max_body, .min = 0, .max = INT_MAX,
             .help = "the server's max_body_size (0: its default)"},
            {.name = "write-timeout", .type = TN_OPTION_DURATION, .value = &write_timeout,
             .help = "the server's write_timeout (0: its default)"},
            {0},
        }});
    if (!opts) return 1;
    tn_options_parse_command_line(opts, argc, argv);  // exits on --help or a bad flag
    d.server.max_body_size = (size_t)max_body;
    d.server.write_timeout = write_timeout;
    tn_route routes[] = {{.pattern = "/", .handler = &hello_class},
                         {.pattern = "/echo", .handler = &echo_class},
                         {.pattern = "/big", .handler = &big_class},
                         {.pattern = "/stats(?:/reset)?", .handler = &stats_class},
                         {0}};
    d.routes = routes;
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &d);
    if (!app || tn_app_listen_on(app, &b) != 0) return 1;
    TN_LOGI("Listening on port %d", tn_app_port(app));
    tn_loop_stop_on_signals(loop);
    tn_loop_start(loop);
    tn_loop_free(loop);
    tn_options_free(opts);
    return atomic_load(&live_bytes) == 0 ? 0 : 5;
}
