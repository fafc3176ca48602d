// A server with a TLS listener and a plain one, for tests/integration/test_tls.py:
//   build/tlsapp --port=0 --certfile=F [--keyfile=F] [--plain_port=0]
//                [--sni_host=H --sni_certfile=F --sni_keyfile=F] [--ca_certs=F]
//                [--static_path=D] [--header_timeout=S] [--tls_handshake_timeout=S]
//                [--library_allocator]
// --library_allocator: OpenSSL allocates through tn_tls_use_library_allocator,
// /mem says how many blocks the library holds, and the exit status is 5
// unless OpenSSL's blocks too were all given back (OPENSSL_cleanup).
// It logs "plain port M" (with --plain_port), then "Listening on port N" (TLS).
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>

// "https" or "http", as the handler sees it.
static void proto_get(tn_handler *h) { tn_write_str(h, h->request.protocol); }
static const tn_handler_class proto_class = {.get = proto_get};

// n bytes: a body bigger than a TLS record and the socket buffers.
static void big_get(tn_handler *h) {
    static char chunk[65536];
    long n = atol(tn_get_argument(h, "n", "1000000"));
    memset(chunk, 'x', sizeof chunk);
    for (; n > 0; n -= (long)sizeof chunk) tn_write(h, chunk, n < (long)sizeof chunk ? (size_t)n : sizeof chunk);
}
static const tn_handler_class big_class = {.get = big_get};

static void echo_post(tn_handler *h) { tn_write(h, h->request.body.ptr, h->request.body.len); }
static const tn_handler_class echo_class = {.post = echo_post};

static void ws_echo(tn_ws *ws, const char *data, size_t len, bool binary) { tn_ws_send(ws, data, len, binary); }
static tn_ws_class echo_ws = {.on_message = ws_echo, .max_message_size = 16 << 20};  // as examples/websocket

// The library's live blocks (tn_mem_get_stats), in decimal.
static void mem_get(tn_handler *h) { tn_writef(h, "%llu", (unsigned long long)tn_mem_get_stats().live); }
static const tn_handler_class mem_class = {.get = mem_get};

static const tn_route routes[] = {
    {.pattern = "/mem", .handler = &mem_class},
    {.pattern = "/proto", .handler = &proto_class},
    {.pattern = "/big", .handler = &big_class},
    {.pattern = "/echo", .handler = &echo_class},
    TN_WS_ROUTE("/ws", &echo_ws),
    {0},
};

int main(int argc, char **argv) {
    int port = 0, plain_port = -1;
    double header_timeout = 0, handshake_timeout = 0;
    bool library_allocator = false;
    const char *certfile = NULL, *keyfile = NULL, *sni_host = NULL, *sni_certfile = NULL, *sni_keyfile = NULL, *ca_certs = NULL,
               *static_path = NULL;
    tn_options *opts = tn_options_new(&(tn_options_desc){
        .options = (tn_option_desc[]){
            TN_OPTION_PORT(&port),
            {.name = "plain_port", .type = TN_OPTION_INT, .value = &plain_port, .min = -1, .max = 65535,
             .help = "also serve plain HTTP here (-1: no)"},
            {.name = "certfile", .type = TN_OPTION_STRING, .value = &certfile, .help = "the certificate chain (PEM)"},
            {.name = "keyfile", .type = TN_OPTION_STRING, .value = &keyfile, .help = "its key (PEM)"},
            {.name = "sni_host", .type = TN_OPTION_STRING, .value = &sni_host, .help = "a host name with its own certificate"},
            {.name = "sni_certfile", .type = TN_OPTION_STRING, .value = &sni_certfile, .help = "its certificate"},
            {.name = "sni_keyfile", .type = TN_OPTION_STRING, .value = &sni_keyfile, .help = "its key"},
            {.name = "ca_certs", .type = TN_OPTION_STRING, .value = &ca_certs, .help = "require client certificates from this CA"},
            {.name = "header_timeout", .type = TN_OPTION_DURATION, .value = &header_timeout,
             .help = "the server's header_timeout"},
            {.name = "tls_handshake_timeout", .type = TN_OPTION_DURATION, .value = &handshake_timeout,
             .help = "the server's tls_handshake_timeout"},
            {.name = "library_allocator", .type = TN_OPTION_BOOL, .value = &library_allocator,
             .help = "OpenSSL allocates through the library"},
            {.name = "static_path", .type = TN_OPTION_STRING, .value = &static_path, .help = "serve files under /static/"},
            {0},
        }});
    if (!opts) return 1;
    tn_options_parse_command_line(opts, argc, argv);
    if (library_allocator && tn_tls_use_library_allocator() != 0) return 3;
    tn_tls_cert sni = {.host = sni_host, .certfile = sni_certfile, .keyfile = sni_keyfile};
    tn_tls_ctx *tls = tn_tls_ctx_new(&(tn_tls_desc){.server = true,
                                                     .cert = {.certfile = certfile, .keyfile = keyfile},
                                                     .sni = &sni,
                                                     .num_sni = sni_host ? 1 : 0,
                                                     .ca_certs = ca_certs});
    if (!tls) {
        tn_options_free(opts);
        return 2;
    }
    if (!library_allocator && tn_tls_use_library_allocator() != TN_EBUSY) return 4;  // too late: OpenSSL has allocated
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &(tn_app_desc){.routes = routes,
                                                  .static_path = static_path,
                                                  .server = {.header_timeout = header_timeout,
                                                             .tls_handshake_timeout = handshake_timeout,
                                                             .max_write_buffer_size = 48 << 20}});
    if (!app || tn_app_listen_on(app, &(tn_bind_desc){.host = "127.0.0.1", .port = port, .tls = tls}) != 0) return 1;
    tn_tls_ctx_free(tls);  // the listener keeps its reference
    if (plain_port >= 0) {  // logged first: the tests read it before "Listening"
        int fds[1];
        int n = tn_bind_sockets(&(tn_bind_desc){.host = "127.0.0.1", .port = plain_port}, fds, 1);
        if (n != 1 || tn_app_add_sockets(app, fds, 1) != 0) return 1;
        struct sockaddr_in a;
        socklen_t len = sizeof a;
        getsockname(fds[0], (struct sockaddr *)&a, &len);
        TN_LOGI("plain port %d", ntohs(a.sin_port));
    }
    TN_LOGI("Listening on port %d", tn_app_port(app));
    tn_loop_stop_on_signals(loop);
    tn_loop_start(loop);
    tn_loop_free(loop);
    tn_options_free(opts);
    if (library_allocator) OPENSSL_cleanup();  // its global state, through our allocator too
    return tn_mem_get_stats().live == 0 ? 0 : 5;
}
