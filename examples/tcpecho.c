// tcpecho: Tornado's demos/tcpecho in C. A line-echo server, and a client.
//
//   build/tcpecho [--port=8888] [--host=ADDR]           serve
//   build/tcpecho --client [--port=8888] [--host=127.0.0.1] [--message=TEXT]
//   build/tcpecho --help                                 list the options
//
// Build alone: cc -O2 -o tcpecho examples/tcpecho.c -pthread
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- server: read a line, write it back, repeat until the client goes

static void on_line(tn_stream *stream, int status, const char *line, size_t len, void *arg) {
    if (status != 0) return;  // closed or too long: the stream is closing
    tn_stream_write(stream, line, len, NULL, NULL);
    tn_stream_read_until(stream, "\n", 1, 64 * 1024, on_line, arg);
}

static void handle_stream(tn_tcp_server *server, tn_stream *stream, void *user_data) {
    (void)server;
    tn_stream_read_until(stream, "\n", 1, 64 * 1024, on_line, user_data);
}

// With certfile: TLS under the same streams (a build with TN_ENABLE_TLS=1).
static int serve(const char *host, int port, const char *certfile, const char *keyfile) {
    tn_tls_ctx *tls = NULL;
    if (certfile && !(tls = tn_tls_ctx_new(&(tn_tls_desc){.server = true,
                                                           .cert = {.certfile = certfile, .keyfile = keyfile}})))
        return 1;
    tn_loop *loop = tn_loop_new(NULL);
    tn_tcp_server *server = tn_tcp_server_new(loop, &(tn_tcp_server_desc){.handle_stream = handle_stream});
    int r = tn_tcp_server_listen(server, &(tn_bind_desc){.host = host, .port = port, .tls = tls});
    tn_tls_ctx_free(tls);  // the server keeps its reference
    if (r != 0) {
        TN_LOGE("cannot listen on port %d: %s", port, tn_strerror(r));
        tn_loop_free(loop);
        return 1;
    }
    TN_LOGI("Listening on port %d", tn_tcp_server_port(server));
    tn_loop_stop_on_signals(loop);
    tn_loop_start(loop);
    tn_loop_free(loop);
    return 0;
}

// ---- client: send one line, print the answer

typedef struct {
    const char *message;
    int result;
} client;

static void on_answer(tn_stream *stream, int status, const char *line, size_t len, void *arg) {
    client *c = arg;
    if (status == 0) printf("%.*s", (int)len, line);
    else fprintf(stderr, "no answer: %s\n", tn_strerror(status));
    c->result = status;
    tn_stream_close(stream);
    tn_loop_sync_done(tn_stream_loop(stream), status);
}

static void on_connect(tn_loop *loop, int status, tn_stream *stream, void *arg) {
    client *c = arg;
    if (status != 0) {
        fprintf(stderr, "cannot connect: %s\n", tn_strerror(status));
        tn_loop_sync_done(loop, status);
        return;
    }
    tn_stream_write(stream, c->message, strlen(c->message), NULL, NULL);
    tn_stream_write(stream, "\n", 1, NULL, NULL);
    tn_stream_read_until(stream, "\n", 1, 64 * 1024, on_answer, c);
}

typedef struct {
    client *c;
    const char *host;
    int port;
} connect_args;

static void start_client(tn_loop *loop, void *arg) {
    connect_args *a = arg;
    int r = tn_tcp_connect(loop, &(tn_connect_desc){.host = a->host, .port = a->port}, on_connect, a->c);
    if (r != 0) tn_loop_sync_done(loop, r);
}

static int run_client(const char *host, int port, const char *message) {
    tn_loop *loop = tn_loop_new(NULL);
    client c = {message, 0};
    connect_args a = {&c, host ? host : "127.0.0.1", port};
    int r = tn_loop_run_sync(loop, start_client, &a, 10.0);
    tn_loop_free(loop);
    return r == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    int port = 8888;
    bool as_client = false;
    const char *host = NULL, *message = "ping", *certfile = NULL, *keyfile = NULL;
    tn_options *opts = tn_options_new(&(tn_options_desc){
        .options = (tn_option_desc[]){
            TN_OPTION_PORT(&port),
            {.name = "host", .value = &host, .metavar = "ADDR",
             .help = "the address to serve on (default: all) or to connect to (default 127.0.0.1)"},
            {.name = "client", .type = TN_OPTION_BOOL, .value = &as_client,
             .help = "send one line to the server and print the answer"},
            {.name = "message", .value = &message, .metavar = "TEXT", .help = "the client's line"},
            TN_OPTIONS_TLS(&certfile, &keyfile),
            {0},
        }});
    if (!opts) return 1;
    tn_options_parse_command_line(opts, argc, argv);  // exits on --help or a bad flag
    int r = as_client ? run_client(host, port, message) : serve(host, port, certfile, keyfile);
    tn_options_free(opts);
    return r;
}
