// Our WebSocket client as a command-line program, for the integration tests:
//   build/wsclient [--protocol=P]... [--header="Name: value"]...
//                  [--text=STRING | --text-size=N | --binary-size=N]...
//                  [--close=CODE[:REASON]] [--wait-close] [--idle=N] [--timeout=S]
//                  [--deflate=on|BITS[:nct]] URL
// Connects, sends each message in order and checks that the same message
// comes back (sized messages are a generated pattern), then closes with
// CODE, or waits for the server to close (--wait-close). --idle=N instead
// holds N connections open at once and prints the library's heap per
// connection. Prints one line per event; exits 0 when everything matched,
// 2 when connecting failed, 1 on any other mismatch.
#define _GNU_SOURCE 1
#include <malloc.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

// The library's heap in bytes, through its allocator hooks.
static size_t heap_bytes;
static void *count_malloc(size_t n) {
    void *p = malloc(n);
    if (p) heap_bytes += malloc_usable_size(p);
    return p;
}
static void *count_realloc(void *p, size_t n) {
    size_t old = p ? malloc_usable_size(p) : 0;
    void *q = realloc(p, n);
    if (q) heap_bytes += malloc_usable_size(q) - old;
    return q;
}
static void count_free(void *p) {
    if (p) heap_bytes -= malloc_usable_size(p);
    free(p);
}
#define TN_MALLOC(n) count_malloc(n)
#define TN_REALLOC(p, n) count_realloc((p), (n))
#define TN_FREE(p) count_free(p)
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"

enum { MAX_ITEMS = 64 };

typedef struct {
    bool binary;
    const char *text;  // NULL: a pattern of `size` bytes
    size_t size;
} item;

static struct {
    tn_loop *loop;
    item items[MAX_ITEMS];
    int nitems, next, failures;
    bool connect_failed;
    int close_code;
    const char *close_reason;
    bool wait_close;
    tn_buf expect;     // what the current message must come back as
    int opened, closed, idle_target;
} app;

static void fill_pattern(tn_buf *b, size_t n, bool binary) {
    tn_buf_clear(b);
    tn_buf_reserve(b, n);
    for (size_t i = 0; i < n; i++) {
        char c = binary ? (char)(i * 31 + i / 251) : (char)('a' + i % 26);
        tn_buf_append(b, &c, 1);
    }
}

// Sends the next message, or ends the conversation.
static void send_next(tn_ws *ws) {
    if (app.next == app.nitems) {
        if (app.close_code) tn_ws_close(ws, app.close_code, app.close_reason);
        else if (!app.wait_close) tn_ws_close(ws, 1000, NULL);
        return;
    }
    item *it = &app.items[app.next];
    if (it->text) {
        tn_buf_clear(&app.expect);
        tn_buf_append_str(&app.expect, it->text);
    } else {
        fill_pattern(&app.expect, it->size, it->binary);
    }
    int r = tn_ws_send(ws, app.expect.data ? app.expect.data : "", app.expect.len, it->binary);
    if (r) {
        printf("send failed: %s\n", tn_err_name(r));
        app.failures++;
    }
}

static void on_message(tn_ws *ws, const char *data, size_t len, bool binary) {
    item *it = app.next < app.nitems ? &app.items[app.next] : NULL;
    bool ok = it && binary == it->binary && len == app.expect.len && memcmp(data, app.expect.data ? app.expect.data : "", len) == 0;
    printf("echo %s %zu %s\n", binary ? "binary" : "text", len, ok ? "ok" : "MISMATCH");
    fflush(stdout);
    if (!ok) app.failures++;
    app.next++;
    send_next(ws);
}

static void on_close(tn_ws *ws, int code, const char *reason) {
    (void)ws;
    app.closed++;
    if (app.idle_target) {
        if (app.closed == app.idle_target) tn_loop_stop(app.loop);
        return;
    }
    printf("closed %d %s\n", code, reason);
    tn_loop_stop(app.loop);
}

static tn_ws_class cls = {.on_message = on_message, .on_close = on_close,
                          .max_message_size = 64u * 1024 * 1024, .close_timeout = 5};

static void on_connect(tn_ws *ws, int status, int http_status, void *ud) {
    (void)ud;
    if (status) {
        printf("error %s http=%d\n", tn_err_name(status), http_status);
        app.connect_failed = true;
        app.closed++;
        if (!app.idle_target || app.closed == app.idle_target) tn_loop_stop(app.loop);
        return;
    }
    tn_str p = tn_ws_subprotocol(ws);
    if (!app.idle_target) {
        printf("open protocol=%.*s\n", (int)p.len, p.ptr ? p.ptr : "");
        fflush(stdout);
        send_next(ws);
        return;
    }
    if (++app.opened == app.idle_target) tn_loop_stop(app.loop);
}

// --text, --text-size and --binary-size add a message, in the order given.
static int add_item(tn_options *opts, void *value, void *user_data) {
    (void)opts;
    if (app.nitems == MAX_ITEMS) return -1;
    item *it = &app.items[app.nitems++];
    memset(it, 0, sizeof *it);
    if (user_data) it->size = (size_t)*(int *)value, it->binary = strcmp(user_data, "binary") == 0;
    else it->text = *(const char **)value;
    return 0;
}

static const char *protos[17], *headers[17];
static int nprotos, nheaders;

static int add_protocol(tn_options *opts, void *value, void *user_data) {
    (void)opts, (void)user_data;
    if (nprotos == 16) return -1;
    protos[nprotos++] = *(const char **)value;
    return 0;
}

static int add_header(tn_options *opts, void *value, void *user_data) {
    (void)opts, (void)user_data;
    if (nheaders == 16) return -1;
    headers[nheaders++] = *(const char **)value;
    return 0;
}

static int set_close(tn_options *opts, void *value, void *user_data) {
    (void)opts, (void)user_data;
    const char *v = *(const char **)value, *colon = strchr(v, ':');
    app.close_code = atoi(v);
    app.close_reason = colon ? colon + 1 : NULL;
    return app.close_code >= 1000 && app.close_code <= 4999 ? 0 : -1;
}

// --deflate=on|BITS[:nct]: offer permessage-deflate; BITS asks for
// server_max_window_bits (and holds our window to it), nct for
// server_no_context_takeover. Every message is compressed (min_size 1).
static tn_ws_compression deflate;
static bool use_deflate;
static int set_deflate(tn_options *opts, void *value, void *user_data) {
    (void)opts, (void)user_data;
    const char *v = *(const char **)value;
    use_deflate = true;
    deflate.min_size = 1;
    if (strcmp(v, "on") == 0) return 0;
    int bits = atoi(v);
    deflate.server_max_window_bits = deflate.client_max_window_bits = bits;
    deflate.server_no_context_takeover = strstr(v, ":nct") != NULL;
    return bits >= 8 && bits <= 15 ? 0 : -1;
}

// Holds n connections, reports the heap they cost, closes them.
static int run_idle(const tn_ws_connect_desc *d, int n) {
    size_t before = heap_bytes;
    uint64_t blocks = tn_mem_get_stats().live;
    app.idle_target = n;
    for (int i = 0; i < n; i++)
        if (tn_ws_connect(app.loop, d) != 0) return 1;
    tn_loop_start(app.loop);
    if (app.opened != n) {
        printf("only %d of %d connections opened\n", app.opened, n);
        return 2;
    }
    printf("idle %d connections: %zu bytes of library heap each (%.1f blocks each), sizeof(tn_ws)=%zu\n", n,
           (heap_bytes - before) / (size_t)n, (double)(tn_mem_get_stats().live - blocks) / n, sizeof(struct tn_ws));
    return 0;
}

int main(int argc, char **argv) {
    int idle = 0, size = 0;
    const char *text = NULL;
    tn_ws_connect_desc d;
    memset(&d, 0, sizeof d);
    tn_options *opts = tn_options_new(&(tn_options_desc){
        .args = "URL",
        .options = (tn_option_desc[]){
            {.name = "text", .value = &text, .metavar = "STRING", .callback = add_item, .help = "send this text"},
            {.name = "text-size", .type = TN_OPTION_INT, .value = &size, .min = 0, .max = INT_MAX,
             .callback = add_item, .user_data = (void *)"text", .help = "send N bytes of text"},
            {.name = "binary-size", .type = TN_OPTION_INT, .value = &size, .min = 0, .max = INT_MAX,
             .callback = add_item, .user_data = (void *)"binary", .help = "send N bytes of binary"},
            {.name = "protocol", .metavar = "P", .callback = add_protocol, .help = "offer this subprotocol (16 at most)"},
            {.name = "header", .metavar = "'NAME: VALUE'", .callback = add_header,
             .help = "send this header (16 at most)"},
            {.name = "close", .metavar = "CODE[:REASON]", .callback = set_close,
             .help = "close with CODE (1000..4999) after the messages"},
            {.name = "wait-close", .type = TN_OPTION_BOOL, .value = &app.wait_close,
             .help = "wait for the server to close"},
            {.name = "idle", .type = TN_OPTION_INT, .value = &idle, .min = 0, .max = 1000000,
             .help = "hold N connections and print the heap each costs"},
            {.name = "deflate", .metavar = "on|BITS[:nct]", .callback = set_deflate,
             .help = "offer permessage-deflate (BITS: window bits both ways; nct: no server context takeover)"},
            {.name = "timeout", .type = TN_OPTION_DURATION, .value = &d.connect_timeout, .help = "connect timeout"},
            {0},
        }});
    if (!opts) return 1;
    int first = tn_options_parse_command_line(opts, argc, argv);  // exits on --help or a bad flag
    if (argc - first != 1) {
        fprintf(stderr, "wsclient: expected one URL after the options (see --help)\n");
        return 2;
    }
    d.url = argv[first];
    d.subprotocols = protos;
    d.headers = headers;
    d.cls = &cls;
    d.on_connect = on_connect;
    d.compression = use_deflate ? &deflate : NULL;
    app.loop = tn_loop_new(NULL);
    int r = idle > 0 ? run_idle(&d, idle) : tn_ws_connect(app.loop, &d);
    if (r) {
        printf("error %s\n", tn_err_name(r));
        tn_loop_free(app.loop);
        return 2;
    }
    if (!idle) tn_loop_start(app.loop);
    tn_buf_free(&app.expect);
    tn_loop_free(app.loop);
    tn_options_free(opts);
    if (tn_mem_get_stats().live != 0) {
        printf("leaked %llu blocks\n", (unsigned long long)tn_mem_get_stats().live);
        return 1;
    }
    return app.connect_failed ? 2 : app.failures ? 1 : 0;
}
