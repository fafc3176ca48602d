// Floors 5-6 over the wire: a test application runs in a child process; the
// test talks to it with raw blocking sockets, byte by byte where it matters.
#define _GNU_SOURCE 1
#include "test.h"
#include <stdlib.h>

#include "../apps/testapp.h"
#include "child_server.h"

static bool use_fallback;  // set before start(): unmatched paths go to testapp_fallback_class
static bool use_xsrf;      // set before start(): xsrf_cookies on

static tn_app *make_app(tn_loop *loop, void *arg) {
    const tn_http_server_desc *sd = (const tn_http_server_desc *)arg;
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.routes = testapp_routes;
    d.no_access_log = true;
    d.cookie_secret = "It's a secret to everybody";
    d.xsrf_cookies = use_xsrf;
    if (use_fallback) {
        d.default_handler = &testapp_fallback_class;
        d.default_handler_data = (void *)"fallback-data";
    }
    if (sd) d.server = *sd;
    tn_app *app = tn_app_new(loop, &d);
    if (app && tn_app_add_handlers(app, "api\\.example\\.com", testapp_api_routes) != 0) return NULL;
    return app;
}

static tt_server start(const tn_http_server_desc *sd) { return tt_server_start(make_app, (void *)(uintptr_t)sd); }

// A parsed response.
typedef struct { int status; char head[4096]; tn_buf body; bool closed; } resp;

// Reads one response (or notes that the connection closed first).
// `r` must be zero-initialised before its first use; its body is reused.
static int read_response(int fd, tn_buf *in, resp *r) {
    tn_buf_free(&r->body);
    memset(r, 0, sizeof *r);
    for (;;) {
        tn_header hs[64];
        tn_http_response pr;
        int n = in->len ? tn_http_parse_response(in->data, in->len, &pr, hs, 64, NULL) : TN_INCOMPLETE;
        if (n > 0) {
            r->status = pr.status_code;
            snprintf(r->head, sizeof r->head, "%.*s", n, in->data);
            tn_http_framing f;
            if (tn_http_response_framing(&pr, tn_str_c("GET"), &f) != 0) return -1;
            size_t used = (size_t)n;
            if (pr.status_code == 100) {
                tn_buf_consume(in, used);
                return 100;
            }
            tn_chunked_decoder dec;
            memset(&dec, 0, sizeof dec);
            for (;;) {
                if (f.body == TN_HTTP_BODY_LENGTH && in->len - used >= f.content_length) {
                    tn_buf_append(&r->body, in->data + used, (size_t)f.content_length);
                    tn_buf_consume(in, used + (size_t)f.content_length);
                    return r->status;
                }
                if (f.body == TN_HTTP_BODY_NONE) {
                    tn_buf_consume(in, used);
                    return r->status;
                }
                while (f.body == TN_HTTP_BODY_CHUNKED && used < in->len && !tn_chunked_done(&dec)) {
                    tn_str piece;
                    int c = tn_chunked_decode(&dec, in->data + used, in->len - used, &piece);
                    if (c == TN_INCOMPLETE) break;
                    if (c < 0) return -1;
                    used += (size_t)c;
                    tn_buf_append(&r->body, piece.ptr, piece.len);
                }
                if (f.body == TN_HTTP_BODY_CHUNKED && tn_chunked_done(&dec)) {
                    tn_buf_consume(in, used);
                    return r->status;
                }
                char buf[65536];
                ssize_t got = recv(fd, buf, sizeof buf, 0);
                if (got <= 0) {
                    r->closed = true;
                    if (f.body == TN_HTTP_BODY_UNTIL_CLOSE) {
                        tn_buf_append(&r->body, in->data + used, in->len - used);
                        tn_buf_clear(in);
                        return r->status;
                    }
                    return -1;
                }
                tn_buf_append(in, buf, (size_t)got);
                if (f.body == TN_HTTP_BODY_CHUNKED) {
                    // restart the decode over the grown buffer from where we were
                    continue;
                }
            }
        }
        if (n != TN_INCOMPLETE) return -1;
        char buf[65536];
        ssize_t got = recv(fd, buf, sizeof buf, 0);
        if (got <= 0) {
            r->closed = true;
            return 0;
        }
        tn_buf_append(in, buf, (size_t)got);
    }
}

// True when the server closed the connection (EOF) within the receive timeout.
static bool peer_closed(int fd) {
    char b[256];
    for (;;) {
        ssize_t n = recv(fd, b, sizeof b, 0);
        if (n == 0) return true;
        if (n < 0) return tt_sock_reset();
    }
}

// One request on a fresh connection: the response's status, body in *body.
static int exchange(int port, const char *req, resp *r) {
    int fd = tt_connect(port);
    tn_buf in = {0};
    tt_send_all(fd, req, strlen(req));
    int st = read_response(fd, &in, r);
    tn_buf_free(&in);
    tt_sock_close(fd);
    return st;
}

static void body_is(const resp *r, const char *want, int line) {
    size_t n = strlen(want);
    if (r->body.len != n || (n && memcmp(r->body.data, want, n) != 0))
        tt_fail(__FILE__, line, "body \"%.*s\", expected \"%s\"", (int)r->body.len, r->body.data ? r->body.data : "", want);
}
#define BODY_IS(r, lit) body_is(&(r), (lit), __LINE__)
#define HEAD_HAS(r, text)                                                            \
    do {                                                                             \
        if (!strstr((r).head, text)) tt_fail(__FILE__, __LINE__, "head lacks %s:\n%s", text, (r).head); \
    } while (0)
#define HEAD_LACKS(r, text)                                                          \
    do {                                                                             \
        if (strstr((r).head, text)) tt_fail(__FILE__, __LINE__, "head has %s:\n%s", text, (r).head); \
    } while (0)

// ---- tests

TEST(http_hello_world_headers) {
    tt_server s = start(NULL);
    resp r = {0};
    CHECK_INT(exchange(s.port, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", &r), 200);
    BODY_IS(r, "Hello, world");
    HEAD_HAS(r, "HTTP/1.1 200 OK\r\n");
    HEAD_HAS(r, "Content-Length: 12\r\n");
    HEAD_HAS(r, "Content-Type: text/html; charset=UTF-8\r\n");
    HEAD_HAS(r, "\r\nDate: ");
    HEAD_HAS(r, "\r\nServer: ");
    HEAD_HAS(r, "\r\nEtag: \"");
    tn_buf_free(&r.body);
    tt_server_stop(s);
}

TEST(http_keep_alive_and_http10_rules) {
    tt_server s = start(NULL);
    int fd = tt_connect(s.port);
    tn_buf in = {0};
    resp r = {0};
    for (int i = 0; i < 3; i++) {
        tt_send_str(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK_INT(read_response(fd, &in, &r), 200);
        HEAD_LACKS(r, "Connection: close");
        tn_buf_free(&r.body);
    }
    tt_send_str(fd, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK_INT(read_response(fd, &in, &r), 200);
    HEAD_HAS(r, "Connection: close\r\n");
    CHECK(peer_closed(fd));
    tt_sock_close(fd);
    tn_buf_free(&r.body);
    // HTTP/1.0: closes unless asked to keep alive
    fd = tt_connect(s.port);
    tt_send_str(fd, "GET / HTTP/1.0\r\n\r\n");
    CHECK_INT(read_response(fd, &in, &r), 200);
    CHECK(peer_closed(fd));
    tt_sock_close(fd);
    tn_buf_free(&r.body);
    fd = tt_connect(s.port);
    tn_buf_clear(&in);
    tt_send_str(fd, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK_INT(read_response(fd, &in, &r), 200);
    HEAD_HAS(r, "Connection: keep-alive\r\n");
    tn_buf_free(&r.body);
    tt_send_str(fd, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK_INT(read_response(fd, &in, &r), 200);
    tn_buf_free(&r.body);
    tt_sock_close(fd);
    tn_buf_free(&in);
    tt_server_stop(s);
}

TEST(http_100_pipelined_requests_in_one_write_answered_in_order) {
    tt_server s = start(NULL);
    tn_buf req = {0};
    for (int i = 0; i < 100; i++) tn_buf_appendf(&req, "GET /args?a=%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
    int fd = tt_connect(s.port);
    tt_send_all(fd, req.data, req.len);
    tn_buf in = {0};
    for (int i = 0; i < 100; i++) {
        resp r = {0};
        CHECK_INT(read_response(fd, &in, &r), 200);
        char want[64];
        snprintf(want, sizeof want, "a=[%d] b=[default]", i);
        BODY_IS(r, want);
        tn_buf_free(&r.body);
    }
    tt_sock_close(fd);
    tn_buf_free(&in);
    tn_buf_free(&req);
    tt_server_stop(s);
}

TEST(http_request_bodies_length_chunked_and_100_continue) {
    tt_server s = start(NULL);
    resp r = {0};
    CHECK_INT(exchange(s.port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", &r), 200);
    BODY_IS(r, "5:hello");
    tn_buf_free(&r.body);
    CHECK_INT(exchange(s.port,
                       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n",
                       &r),
              200);
    BODY_IS(r, "11:hello world");
    tn_buf_free(&r.body);
    // 100-continue: the interim answer comes before we send the body
    int fd = tt_connect(s.port);
    tn_buf in = {0};
    tt_send_str(fd, "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
    CHECK_INT(read_response(fd, &in, &r), 100);
    tt_send_str(fd, "abc");
    CHECK_INT(read_response(fd, &in, &r), 200);
    BODY_IS(r, "3:abc");
    tn_buf_free(&r.body);
    // ... but never to HTTP/1.0
    tt_sock_close(fd);
    fd = tt_connect(s.port);
    tn_buf_clear(&in);
    tt_send_str(fd, "PUT /echo HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nxyz");
    CHECK_INT(read_response(fd, &in, &r), 200);
    BODY_IS(r, "3:xyz");
    tn_buf_free(&r.body);
    tt_sock_close(fd);
    tn_buf_free(&in);
    // a form body feeds get_argument
    CHECK_INT(exchange(s.port,
                       "POST /args?b=q HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                       "Content-Length: 12\r\n\r\na=%20spaced+",
                       &r),
              200);
    BODY_IS(r, "a=[spaced] b=[q]");
    tn_buf_free(&r.body);
    tt_server_stop(s);
}

TEST(http_streamed_body_arrives_in_pieces_and_prepare_can_refuse) {
    tn_http_server_desc sd;
    memset(&sd, 0, sizeof sd);
    sd.chunk_size = 1000;
    tt_server s = start(&sd);
    tn_buf req = {0};
    tn_buf_appendf(&req, "POST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
    for (int i = 0; i < 5000; i++) tn_buf_append(&req, "z", 1);
    resp r = {0};
    CHECK_INT(exchange(s.port, req.data, &r), 200);
    BODY_IS(r, "streamed 5000");
    tn_buf_free(&r.body);
    CHECK_INT(exchange(s.port, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    CHECK(strstr(r.body.data, "chunks=5 ") != NULL);
    tn_buf_free(&r.body);
    // prepare answers 401 before the body is read; the connection then closes
    int fd = tt_connect(s.port);
    tn_buf in = {0};
    tt_send_str(fd, "POST /stream HTTP/1.1\r\nHost: x\r\nX-Deny: 1\r\nContent-Length: 5000\r\n\r\n");
    CHECK_INT(read_response(fd, &in, &r), 401);
    CHECK(peer_closed(fd));
    tt_sock_close(fd);
    tn_buf_free(&in);
    tn_buf_free(&r.body);
    tn_buf_free(&req);
    tt_server_stop(s);
}

TEST(http_head_204_304_carry_no_body) {
    tt_server s = start(NULL);
    resp r = {0};
    int fd = tt_connect(s.port);
    tn_buf in = {0};
    // HEAD: the GET's framing headers but no body, and the connection goes on
    tt_send_str(fd, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_INT(read_response(fd, &in, &r), 200);  // (our reader sees Content-Length: 0)
    HEAD_HAS(r, "Content-Length: 0");
    tt_send_str(fd, "GET /status/204 HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_INT(read_response(fd, &in, &r), 204);
    HEAD_LACKS(r, "Content-Length");
    HEAD_LACKS(r, "Transfer-Encoding");
    HEAD_LACKS(r, "Content-Type");
    tt_send_str(fd, "GET /status/304 HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_INT(read_response(fd, &in, &r), 304);
    HEAD_LACKS(r, "Content-Length");
    tt_send_str(fd, "GET /status/200 HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_INT(read_response(fd, &in, &r), 200);
    BODY_IS(r, "ok");  // the connection is still in step
    tn_buf_free(&r.body);
    tt_sock_close(fd);
    tn_buf_free(&in);
    tt_server_stop(s);
}

TEST(http_flush_switches_to_chunked_and_http10_to_close) {
    tt_server s = start(NULL);
    resp r = {0};
    CHECK_INT(exchange(s.port, "GET /flush HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    HEAD_HAS(r, "Transfer-Encoding: chunked");
    BODY_IS(r, "first,second");
    tn_buf_free(&r.body);
    CHECK_INT(exchange(s.port, "GET /flush HTTP/1.0\r\n\r\n", &r), 200);
    HEAD_LACKS(r, "Transfer-Encoding");
    CHECK(r.closed);
    BODY_IS(r, "first,second");
    tn_buf_free(&r.body);
    tt_server_stop(s);
}

// Each of these must be refused with the status, never interpreted, and the
// connection closed.
static const struct { const char *name, *req; int status; } bad_requests[] = {
    {"CL and TE", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
    {"two different CLs", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
    {"CL list that differs", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd", 400},
    {"signed CL", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400},
    {"hex CL", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0x3\r\n\r\nabc", 400},
    {"CL with inner space", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\nabc", 400},
    {"TE gzip, chunked", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400},
    {"TE chunked, gzip", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400},
    {"TE xchunked", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400},
    {"TE in HTTP/1.0", "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
    {"bad chunk size", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
    // past max_body_size long before it overflows 64 bits: refused as too large
    {"chunk size overflow", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", 413},
    {"negative chunk size", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400},
    {"missing Host", "GET / HTTP/1.1\r\n\r\n", 400},
    {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"invalid Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
    {"bare CR in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400},
    {"NUL in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 400},
    {"space before colon", "GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n", 400},
    {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400},
    {"lowercase version", "GET / http/1.1\r\nHost: x\r\n\r\n", 400},
    {"bad method token", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
    {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
};

TEST(http_smuggling_shapes_are_refused_and_the_connection_closed) {
    tt_server s = start(NULL);
    for (size_t i = 0; i < sizeof bad_requests / sizeof bad_requests[0]; i++) {
        int fd = tt_connect(s.port);
        const char *q = bad_requests[i].req;
        size_t len = strlen(q);
        if (strstr(bad_requests[i].name, "NUL")) len = strlen(q) + 1 + strlen(q + strlen(q) + 1);
        tt_send_all(fd, q, len);
        tn_buf in = {0};
        resp r = {0};
        int st = read_response(fd, &in, &r);
        if (st != bad_requests[i].status)
            tt_fail(__FILE__, __LINE__, "%s: status %d, expected %d", bad_requests[i].name, st, bad_requests[i].status);
        if (!r.closed && !peer_closed(fd)) tt_fail(__FILE__, __LINE__, "%s: connection left open", bad_requests[i].name);
        tn_buf_free(&r.body);
        tn_buf_free(&in);
        tt_sock_close(fd);
    }
    tt_server_stop(s);
}

TEST(http_limits_answer_414_431_413_and_405) {
    tn_http_server_desc sd;
    memset(&sd, 0, sizeof sd);
    sd.max_body_size = 1000;
    sd.max_header_size = 4096;
    tt_server s = start(&sd);
    resp r = {0};
    tn_buf q = {0};
    tn_buf_append_str(&q, "GET /");
    for (int i = 0; i < 9000; i++) tn_buf_append(&q, "a", 1);
    tn_buf_append_str(&q, " HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_INT(exchange(s.port, q.data, &r), 414);
    tn_buf_clear(&q);
    tn_buf_append_str(&q, "GET / HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 200; i++) tn_buf_appendf(&q, "X-Header-%d: %040d\r\n", i, i);
    tn_buf_append_str(&q, "\r\n");
    CHECK_INT(exchange(s.port, q.data, &r), 431);
    CHECK_INT(exchange(s.port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n", &r), 413);
    tn_buf_clear(&q);
    tn_buf_append_str(&q, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 3; i++) {
        tn_buf_append_str(&q, "190\r\n");  // 400 bytes each: over 1000 on the third
        for (int j = 0; j < 400; j++) tn_buf_append(&q, "c", 1);
        tn_buf_append_str(&q, "\r\n");
    }
    tn_buf_append_str(&q, "0\r\n\r\n");
    CHECK_INT(exchange(s.port, q.data, &r), 413);
    CHECK_INT(exchange(s.port, "FOO / HTTP/1.1\r\nHost: x\r\n\r\n", &r), 405);
    CHECK_INT(exchange(s.port, "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", &r), 405);
    HEAD_HAS(r, "Allow: GET, HEAD\r\n");
    tn_buf_free(&r.body);
    tn_buf_free(&q);
    tt_server_stop(s);
}

TEST(http_idle_and_slowloris_clients_are_cut_off_while_others_are_served) {
    tn_http_server_desc sd;
    memset(&sd, 0, sizeof sd);
    sd.idle_connection_timeout = 0.3;
    sd.header_timeout = 0.3;
    sd.body_timeout = 0.3;
    tt_server s = start(&sd);
    int idle = tt_connect(s.port);
    int slow = tt_connect(s.port);
    int body = tt_connect(s.port);
    tt_send_str(body, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    const char *head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n\r\n";
    bool cut = false;
    for (size_t i = 0; i < strlen(head) && !cut; i++) {  // one byte every 50 ms
        tt_send_all(slow, head + i, 1);
        resp r = {0};
        CHECK_INT(exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);  // others are served
        tn_buf_free(&r.body);
        usleep(50000);
        char b;
        ssize_t n = tt_recv_nowait(slow, &b, 1);
        cut = n == 0 || (n < 0 && tt_sock_reset());
    }
    CHECK(cut || peer_closed(slow));
    CHECK(peer_closed(idle));
    CHECK(peer_closed(body));
    tt_sock_close(idle);
    tt_sock_close(slow);
    tt_sock_close(body);
    tt_server_stop(s);
}

TEST(http_deferred_handlers_and_on_connection_close) {
    tt_server s = start(NULL);
    resp r = {0};
    CHECK_INT(exchange(s.port, "GET /defer HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    BODY_IS(r, "deferred done");
    tn_buf_free(&r.body);
    // A parked request whose client leaves gets on_connection_close.
    int fd = tt_connect(s.port);
    tt_send_str(fd, "GET /park HTTP/1.1\r\nHost: x\r\n\r\n");
    usleep(100000);
    tt_sock_close(fd);
    usleep(100000);
    CHECK_INT(exchange(s.port, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    CHECK(strstr(r.body.data, "closes=1") != NULL);
    // So does a handler reading a streamed body when its client leaves mid-body.
    fd = tt_connect(s.port);
    tt_send_str(fd, "POST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf");
    usleep(100000);
    tt_sock_close(fd);
    usleep(100000);
    CHECK_INT(exchange(s.port, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    CHECK(strstr(r.body.data, "closes=2") != NULL);
    tn_buf_free(&r.body);
    tt_server_stop(s);  // and nothing leaked (the server checks at exit)
}

TEST(http_routes_path_arguments_404_redirects_and_missing_arguments) {
    tt_server s = start(NULL);
    resp r = {0};
    CHECK_INT(exchange(s.port, "GET /path/42/J%C3%BCrgen+x HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    BODY_IS(r, "id=42 name=J\xc3\xbcrgen+x n=2");  // decoded, '+' kept in paths
    CHECK_INT(exchange(s.port, "GET /path/42/%FF HTTP/1.1\r\nHost: x\r\n\r\n", &r), 400);  // not UTF-8
    CHECK_INT(exchange(s.port, "GET /path/x/y HTTP/1.1\r\nHost: x\r\n\r\n", &r), 404);
    BODY_IS(r, "<html><title>404: Not Found</title><body>404: Not Found</body></html>");
    CHECK_INT(exchange(s.port, "GET /pathological HTTP/1.1\r\nHost: x\r\n\r\n", &r), 404);
    CHECK_INT(exchange(s.port, "GET /args HTTP/1.1\r\nHost: x\r\n\r\n", &r), 400);  // missing a
    CHECK_INT(exchange(s.port, "GET /args?a=%FF HTTP/1.1\r\nHost: x\r\n\r\n", &r), 400);
    CHECK_INT(exchange(s.port, "GET /args?a=+x%09+&b=1&b=2 HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    BODY_IS(r, "a=[x] b=[2]");  // stripped; the last value wins
    CHECK_INT(exchange(s.port, "GET /redirect HTTP/1.1\r\nHost: x\r\n\r\n", &r), 302);
    HEAD_HAS(r, "Location: /target?x=1\r\n");
    CHECK_INT(exchange(s.port, "GET /redirect?s=301 HTTP/1.1\r\nHost: x\r\n\r\n", &r), 301);
    CHECK_INT(exchange(s.port, "GET /redirect?s=308 HTTP/1.1\r\nHost: x\r\n\r\n", &r), 308);
    tn_buf_free(&r.body);
    tt_server_stop(s);
}

TEST(http_etag_and_if_none_match) {
    tt_server s = start(NULL);
    resp r = {0};
    CHECK_INT(exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    // "Hello, world": one 8-byte word and a tail; the same tag on every byte order
    HEAD_HAS(r, "Etag: \"1a1cc8d538e0865574ddf17cc26e6c3a\"\r\n");
    char *e = strstr(r.head, "Etag: ");
    CHECK(e != NULL);
    char etag[64];
    CHECK(sscanf(e + 6, "%63[^\r]", etag) == 1);
    char q[256];
    snprintf(q, sizeof q, "GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: %s\r\n\r\n", etag);
    CHECK_INT(exchange(s.port, q, &r), 304);
    CHECK_INT(r.body.len, 0);
    snprintf(q, sizeof q, "GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"nope\", W/%s\r\n\r\n", etag);
    CHECK_INT(exchange(s.port, q, &r), 304);  // weak comparison, in a list
    CHECK_INT(exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\n\r\n", &r), 304);
    CHECK_INT(exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"other\"\r\n\r\n", &r), 200);
    tn_buf_free(&r.body);
    tt_server_stop(s);
}

TEST(http_headers_validated_and_xheaders) {
    tt_server s = start(NULL);
    resp r = {0};
    CHECK_INT(exchange(s.port, "GET /headers HTTP/1.1\r\nHost: example.com:81\r\nX-Real-Ip: 10.0.0.9\r\n\r\n", &r), 200);
    BODY_IS(r, "bad=-5 bad_name=-5 ip=127.0.0.1 proto=http host=example.com:81");  // no xheaders
    HEAD_HAS(r, "X-Ok: fine\r\n");
    HEAD_HAS(r, "X-Multi: 1\r\nX-Multi: 2\r\n");
    HEAD_LACKS(r, "Injected");
    tn_buf_free(&r.body);
    tt_server_stop(s);
    tn_http_server_desc sd;
    memset(&sd, 0, sizeof sd);
    sd.xheaders = true;
    s = start(&sd);
    CHECK_INT(exchange(s.port, "GET /headers HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4, 10.0.0.7\r\nX-Forwarded-Proto: https\r\n\r\n", &r), 200);
    BODY_IS(r, "bad=-5 bad_name=-5 ip=10.0.0.7 proto=https host=x");
    CHECK_INT(exchange(s.port, "GET /headers HTTP/1.1\r\nHost: x\r\nX-Real-Ip: not-an-ip\r\nX-Scheme: gopher\r\n\r\n", &r), 200);
    BODY_IS(r, "bad=-5 bad_name=-5 ip=127.0.0.1 proto=http host=x");
    tn_buf_free(&r.body);
    tt_server_stop(s);
}

TEST(http_detach_hands_the_stream_over_with_bytes_that_followed) {
    tt_server s = start(NULL);
    int fd = tt_connect(s.port);
    // the first line rides in the same write as the head
    tt_send_str(fd, "GET /detach HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nearly line\n");
    tn_buf in = {0};
    resp r = {0};
    CHECK_INT(read_response(fd, &in, &r), 101);
    char buf[256];
    size_t have = in.len;
    memcpy(buf, in.data, have);
    while (have < 11) {
        ssize_t n = recv(fd, buf + have, sizeof buf - have, 0);
        CHECK(n > 0);
        have += (size_t)n;
    }
    CHECK_MEM(buf, have, "early line\n", 11);
    tt_send_str(fd, "second\n");
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    CHECK_MEM(buf, (size_t)(n > 0 ? n : 0), "second\n", 7);
    tt_sock_close(fd);
    tn_buf_free(&in);
    tn_buf_free(&r.body);
    tt_server_stop(s);
}

TEST(web_host_groups_callbacks_errors_reasons_and_reverse_url) {
    tt_server s = start(NULL);
    resp r = {0};
    CHECK_INT(exchange(s.port, "GET / HTTP/1.1\r\nHost: api.example.com:8080\r\n\r\n", &r), 200);
    BODY_IS(r, "api host");
    CHECK_INT(exchange(s.port, "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n", &r), 200);
    BODY_IS(r, "Hello, world");  // other hosts: the default routes
    CHECK_INT(exchange(s.port, "GET /args?a=1 HTTP/1.1\r\nHost: api.example.com\r\n\r\n", &r), 200);  // falls through
    CHECK_INT(exchange(s.port, "PATCH /callback HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    BODY_IS(r, "callback PATCH");  // a plain callback answers every method
    CHECK_INT(exchange(s.port, "GET /custom-error HTTP/1.1\r\nHost: x\r\n\r\n", &r), 503);
    BODY_IS(r, "custom page for 503");
    CHECK_INT(exchange(s.port, "GET /reason HTTP/1.1\r\nHost: x\r\n\r\n", &r), 299);
    HEAD_HAS(r, "HTTP/1.1 299 Custom Reason\r\n");
    BODY_IS(r, "bad=-5");  // a reason with CR/LF is refused
    CHECK_INT(exchange(s.port, "GET /reason?unknown=1 HTTP/1.1\r\nHost: x\r\n\r\n", &r), 682);
    HEAD_HAS(r, "HTTP/1.1 682 Unknown\r\n");
    CHECK_INT(exchange(s.port, "GET /reverse HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    BODY_IS(r, "0 -20 /path/7/a%20b/c");  // Tornado's url_escape(plus=False) keeps "/"
    tn_buf_free(&r.body);
    tt_server_stop(s);
}

TEST(web_default_headers_prepare_on_finish_cookies_files_and_json) {
    tt_server s = start(NULL);
    resp r = {0};
    CHECK_INT(exchange(s.port, "GET /defaults HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    HEAD_HAS(r, "X-Default: yes\r\n");
    BODY_IS(r, "method ran");
    CHECK_INT(exchange(s.port, "GET /defaults?deny=1 HTTP/1.1\r\nHost: x\r\n\r\n", &r), 403);
    HEAD_HAS(r, "X-Default: yes\r\n");  // set again for the error page
    BODY_IS(r, "<html><title>403: Forbidden</title><body>403: Forbidden</body></html>");
    CHECK_INT(exchange(s.port, "GET /finishes HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    BODY_IS(r, "finishes=2");
    CHECK_INT(exchange(s.port, "GET /cookie HTTP/1.1\r\nHost: x\r\nCookie: a=1; name=\"quoted\\\"v\"\r\n\r\n", &r), 200);
    BODY_IS(r, "name=quoted\"v other=none");
    const char *up =
        "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 173\r\n\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        "--XyZ--\r\n";
    CHECK_INT(exchange(s.port, up, &r), 200);
    BODY_IS(r, "field=value a.txt:text/plain:5");
    CHECK_INT(exchange(s.port, "GET /json HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    HEAD_HAS(r, "Content-Type: application/json; charset=UTF-8\r\n");
    BODY_IS(r, "{\"a\":[1,\"x<\\/script>\"]}");
    tn_buf_free(&r.body);
    tt_server_stop(s);
}

// Found by fuzz_http_server: the parser's "/" for an absolute URI without a
// path is a static string, which the head copy must not rebase.
TEST(http_absolute_form_target_without_a_path) {
    tt_server s = start(NULL);
    resp r = {0};
    CHECK_INT(exchange(s.port, "GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", &r), 200);
    BODY_IS(r, "Hello, world");
    CHECK_INT(exchange(s.port, "GET http://example.com/args?a=5 HTTP/1.1\r\nHost: example.com\r\n\r\n", &r), 200);
    BODY_IS(r, "a=[5] b=[default]");
    tn_buf_free(&r.body);
    tt_server_stop(s);
}

TEST(web_default_handler_clear_header_and_argument_sources) {
    use_fallback = true;
    tt_server s = start(NULL);
    resp r = {0};
    CHECK_INT(exchange(s.port, "GET /no/such/page HTTP/1.1\r\nHost: x\r\n\r\n", &r), 404);
    BODY_IS(r, "custom 404 for /no/such/page data=fallback-data");
    CHECK_INT(exchange(s.port, "POST /sources?v=fromquery HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                               "Content-Length: 10\r\n\r\nv=frombody", &r), 200);
    BODY_IS(r, "q=fromquery b=frombody n=2 first=fromquery cleared=1");
    HEAD_LACKS(r, "X-Gone");
    tn_buf_free(&r.body);
    tt_server_stop(s);
}

TEST(web_set_cookie_clear_cookie_and_signed_cookies_round_trip) {
    tt_server s = start(NULL);
    resp r = {0};
    CHECK_INT(exchange(s.port, "GET /signed?set=alice HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    HEAD_HAS(r, "Set-Cookie: plain=v1; HttpOnly; Path=/; SameSite=Lax\r\n");
    HEAD_HAS(r, "Set-Cookie: old=\"\"; expires=");  // as Python's SimpleCookie writes ""
    HEAD_HAS(r, "Max-Age=0");
    // quoted, as Python's SimpleCookie does: base64 brings "=", not a cookie character
    char *c = strstr(r.head, "Set-Cookie: user=\"2|1:0|10:");
    CHECK(c != NULL);
    char value[512];
    CHECK(sscanf(c + 17, "%511[^;\r]", value) == 1);
    char q[1024];
    snprintf(q, sizeof q, "GET /signed HTTP/1.1\r\nHost: x\r\nCookie: user=%s\r\n\r\n", value);
    CHECK_INT(exchange(s.port, q, &r), 200);
    BODY_IS(r, "user=alice");
    // forged: the value changed, the signature kept
    char *b64 = strstr(value, "|8:");
    CHECK(b64 != NULL);
    b64[3] = b64[3] == 'Y' ? 'Z' : 'Y';
    snprintf(q, sizeof q, "GET /signed HTTP/1.1\r\nHost: x\r\nCookie: user=%s\r\n\r\n", value);
    CHECK_INT(exchange(s.port, q, &r), 200);
    BODY_IS(r, "user=(none)");
    // Tornado's published value verifies under the same secret, but it is long expired
    CHECK_INT(exchange(s.port, "GET /signed HTTP/1.1\r\nHost: x\r\nCookie: user=2|1:0|10:1300000000|3:key|8:dmFsdWU=|"
                               "3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152\r\n\r\n", &r), 200);
    BODY_IS(r, "user=(none)");
    tn_buf_free(&r.body);
    tt_server_stop(s);
}

// Tornado's XSRFTest cases.
static int xsrf_post_with(int port, const char *cookie, const char *body_token, const char *header) {
    char q[2048], body[600] = "";
    if (body_token) snprintf(body, sizeof body, "_xsrf=%s", body_token);
    snprintf(q, sizeof q,
             "POST /xsrf HTTP/1.1\r\nHost: x\r\n%s%s%s%s%sContent-Type: application/x-www-form-urlencoded\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             cookie ? "Cookie: _xsrf=" : "", cookie ? cookie : "", cookie ? "\r\n" : "", header ? header : "",
             header ? "\r\n" : "", strlen(body), body);
    resp r = {0};
    int st = exchange(port, q, &r);
    tn_buf_free(&r.body);
    return st;
}

// The token a GET /xsrf page shows to a client whose _xsrf cookie is `cookie`.
static void xsrf_page_token(int port, const char *cookie, char *out, size_t size) {
    char q[512];
    snprintf(q, sizeof q, "GET /xsrf HTTP/1.1\r\nHost: x\r\nCookie: _xsrf=%s\r\n\r\n", cookie);
    resp r = {0};
    CHECK_INT(exchange(port, q, &r), 200);
    snprintf(out, size, "%.*s", (int)r.body.len, r.body.data);
    tn_buf_free(&r.body);
}

// Tornado's XSRFTest.test_refresh_token: a tab holding an old token still
// posts after another tab refreshed the cookie; every refresh masks anew.
TEST(web_xsrf_refresh_token) {
    use_xsrf = true;
    tt_server s = start(NULL);
    char first[256], token[256], seen[6][256];
    xsrf_page_token(s.port, "", first, sizeof first);  // an empty cookie: a fresh token
    CHECK(strncmp(first, "2|", 2) == 0);
    snprintf(token, sizeof token, "%s", first);
    snprintf(seen[0], sizeof seen[0], "%s", first);
    for (int i = 1; i < 6; i++) {
        char next[256];
        xsrf_page_token(s.port, token, next, sizeof next);
        snprintf(token, sizeof token, "%s", next);
        for (int j = 0; j < i; j++) CHECK(strcmp(seen[j], token) != 0);
        snprintf(seen[i], sizeof seen[i], "%s", token);
        CHECK_INT(xsrf_post_with(s.port, token, first, NULL), 200);
    }
    tt_server_stop(s);
}

// Tornado's XSRFTest.test_versioning, from the accepting side: a version-1
// cookie (hex) gets masked version-2 tokens for the same secret, different
// each time, and v1 and v2 forms of one token are accepted either way round.
TEST(web_xsrf_v1_cookie_upgrades_to_v2) {
    use_xsrf = true;
    tt_server s = start(NULL);
    const char *v1 = "0123456789abcdef0123456789abcdef";
    char v2[256], v2b[256];
    xsrf_page_token(s.port, v1, v2, sizeof v2);
    xsrf_page_token(s.port, v1, v2b, sizeof v2b);
    CHECK(strncmp(v2, "2|", 2) == 0);
    CHECK(strcmp(v2, v1) != 0);
    CHECK(strcmp(v2, v2b) != 0);                            // one v1 token, many v2 forms
    CHECK_INT(xsrf_post_with(s.port, v1, v2, NULL), 200);  // v1 cookie, v2 body
    CHECK_INT(xsrf_post_with(s.port, v2, v1, NULL), 200);  // v2 cookie, v1 body
    CHECK_INT(xsrf_post_with(s.port, v1, v1, NULL), 200);
    CHECK_INT(xsrf_post_with(s.port, v1, "2|00000000|0000000000|0", NULL), 403);
    CHECK_INT(xsrf_post_with(s.port, "fedcba9876543210fedcba9876543210", v2, NULL), 403);
    tt_server_stop(s);
}

TEST(web_xsrf_cookies_as_tornado) {
    use_xsrf = true;
    tt_server s = start(NULL);
    resp r = {0};
    CHECK_INT(exchange(s.port, "GET /xsrf HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);  // GET is never checked
    char *c = strstr(r.head, "Set-Cookie: _xsrf=");
    CHECK(c != NULL);
    char cookie[256], token[256];
    CHECK(sscanf(c + 18, "%255[^;\r]", cookie) == 1);
    snprintf(token, sizeof token, "%.*s", (int)r.body.len, r.body.data);
    CHECK(strncmp(token, "2|", 2) == 0);
    // a second token for the same cookie is masked differently, and both pass
    char q[512], token2[256];
    snprintf(q, sizeof q, "GET /xsrf HTTP/1.1\r\nHost: x\r\nCookie: _xsrf=%s\r\n\r\n", cookie);
    CHECK_INT(exchange(s.port, q, &r), 200);
    HEAD_LACKS(r, "Set-Cookie");  // the client has its cookie
    snprintf(token2, sizeof token2, "%.*s", (int)r.body.len, r.body.data);
    CHECK(strcmp(token, token2) != 0);
    CHECK_INT(xsrf_post_with(s.port, cookie, token, NULL), 200);         // success_post_body
    CHECK_INT(xsrf_post_with(s.port, cookie, token2, NULL), 200);        // distinct_tokens
    char hdr[300];
    snprintf(hdr, sizeof hdr, "X-Xsrftoken: %s", token);
    CHECK_INT(xsrf_post_with(s.port, cookie, NULL, hdr), 200);           // success_header
    snprintf(hdr, sizeof hdr, "X-Csrftoken: %s", token);
    CHECK_INT(xsrf_post_with(s.port, cookie, NULL, hdr), 200);
    CHECK_INT(xsrf_post_with(s.port, cookie, token, NULL), 200);
    CHECK_INT(xsrf_post_with(s.port, NULL, NULL, NULL), 403);            // fail_no_token
    CHECK_INT(xsrf_post_with(s.port, cookie, NULL, NULL), 403);          // fail_cookie_no_body
    CHECK_INT(xsrf_post_with(s.port, NULL, token, NULL), 403);           // fail_body_no_cookie
    CHECK_INT(xsrf_post_with(s.port, cookie, "2|zz|00|1", NULL), 403);   // fail_argument_invalid_format
    CHECK_INT(xsrf_post_with(s.port, "2|zz|00|1", token, NULL), 403);    // fail_cookie_invalid_format
    CHECK_INT(xsrf_post_with(s.port, "deadbeef", "deadbeef", NULL), 200);  // success_short_token (version 1)
    CHECK_INT(xsrf_post_with(s.port, "xoxo", "xoxo", NULL), 200);          // success_non_hex_token
    CHECK_INT(xsrf_post_with(s.port, "deadbeef", token, NULL), 403);       // cross_user
    tn_buf_free(&r.body);
    tt_server_stop(s);
}
