// The HTTP client's response path end to end: each input is what a server
// on loopback answers (split into two writes at a byte the input chooses,
// then the server closes), fed through the real client: connect, request,
// head, 1xx, framing, chunked, limits, redirects back to the same server,
// the keep-alive pool and its stale-connection retry (a second fetch
// follows each first), all through the proxy path. Checks that no input crashes, over-reads, hangs or
// leaks: on_response runs exactly once per fetch, and the library's
// allocation balance is back where it was after each input.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static tn_loop *loop;
static tn_tcp_server *server;
static char url[64];
static int port;
static const uint8_t *answer;
static size_t answer_len, split;
static int server_open, responses;

static void server_second_half(tn_loop *l, void *arg) {
    tn_stream *s = (tn_stream *)arg;
    (void)l;
    tn_stream_write(s, answer + split, answer_len - split, NULL, NULL);
    tn_stream_close(s);
}

static void server_gone(tn_stream *s, int reason, void *arg) {
    (void)s, (void)reason, (void)arg;
    server_open--;
}

static void server_got_request(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    (void)data, (void)len, (void)arg;
    if (status) return;
    tn_stream_write(s, answer, split, NULL, NULL);
    tn_loop_call_later(loop, 0, server_second_half, s);
}

static void server_accept(tn_tcp_server *srv, tn_stream *s, void *ud) {
    (void)srv, (void)ud;
    server_open++;
    tn_stream_set_close_callback(s, server_gone, NULL);
    tn_stream_read_until(s, "\r\n\r\n", 4, 65536, server_got_request, NULL);
}

static void setup(void) {
    signal(SIGPIPE, SIG_IGN);
    tn_log_set_level(TN_LOG_NONE);
    loop = tn_loop_new(NULL);
    tn_tcp_server_desc d;
    memset(&d, 0, sizeof d);
    d.handle_stream = server_accept;
    server = tn_tcp_server_new(loop, &d);
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.host = "127.0.0.1";
    if (tn_tcp_server_listen(server, &b) != 0) abort();
    port = tn_tcp_server_port(server);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/p", port);
}

static void on_response(const tn_fetch_response *r, void *ud) {
    (void)ud;
    if (r->error == 0 && (r->code < 200 || r->code > 299)) abort();
    if (r->body.len && !r->body.ptr) abort();
    for (size_t i = 0; i < r->num_headers; i++)  // views must be readable
        if (r->headers[i].name.len && r->headers[i].name.ptr[0] == '\0') abort();
    responses++;
}

static int discard(const char *data, size_t len, void *ud) {
    (void)data, (void)len, (void)ud;
    return 0;
}

// Two fetches of one client against the server answering `answer`; the
// client is freed after. Aborts on a hang, a leak or a callback miscount.
static void run(uint8_t opts, bool check_leak) {
    static const char *const methods[] = {"GET", "HEAD", "POST", "PUT"};
    tn_mem_stats before = tn_mem_get_stats();
    tn_http_client *c = tn_http_client_new(loop, &(tn_http_client_desc){.max_clients = 1});
    tn_fetch_desc d;
    memset(&d, 0, sizeof d);
    d.url = url;
    d.method = methods[opts & 3];
    if (d.method[0] == 'P') d.body = "body", d.body_len = 4;
    d.expect_100_continue = opts & 4;
    d.no_follow_redirects = opts & 8;
    d.max_redirects = 2;
    d.max_header_size = opts & 16 ? 64 : 0;
    d.max_body_size = opts & 32 ? 16 : 0;
    d.streaming_callback = opts & 64 ? discard : NULL;
    d.request_timeout = 2;
    // Every connection goes to the server, as a proxy: a redirect to a host
    // name resolves nothing (a lookup would outlive the input).
    d.proxy_host = "127.0.0.1";
    d.proxy_port = port;
    d.on_response = on_response;
    responses = 0;
    if (tn_http_client_fetch(c, &d) != 0 || tn_http_client_fetch(c, &d) != 0) abort();
    for (int i = 0; i < 20000 && responses < 2; i++) tn_loop_run_once(loop, 0.01);
    if (responses != 2) abort();  // a fetch hung on
    tn_http_client_free(c);
    for (int i = 0; i < 200 && server_open > 0; i++) tn_loop_run_once(loop, 0.01);
    for (int i = 0; i < 3; i++) tn_loop_run_once(loop, 0);
    if (responses != 2 || server_open != 0) abort();
    if (check_leak && tn_mem_get_stats().live != before.live) abort();  // a leak
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!loop) {
        setup();
        static const char warm[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        answer = (const uint8_t *)warm;  // the loop's one-time buffers come first
        answer_len = split = sizeof warm - 1;
        run(0, false);
    }
    if (size < 2) return 0;
    answer = data + 2;
    answer_len = size - 2;
    split = (size_t)data[0] * answer_len / 255;
    run(data[1], true);
    return 0;
}
