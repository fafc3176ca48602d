// The HTTP server against slow, hostile and faulty peers (issue 10), in one
// process on the test's clock (sim.h).
#include "sim.h"
#include <stdlib.h>

static void hello_cb(tn_handler *h) { tn_write_str(h, "hello"); }

static tn_http_server *hostile_server(tn_loop *loop, tn_http_server_desc *d) {
    if (!d->request_cb) d->request_cb = hello_cb;
    tn_http_server *srv = tn_http_server_new(loop, d);
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.unix_path = sim_path();
    CHECK(srv != NULL);
    CHECK_OK(tn_http_server_listen(srv, &b));
    return srv;
}

static void hostile_done(tn_loop *loop) {
    tn_loop_free(loop);
    unlink(sim_path());
}

// Freeing the loop (as SIGTERM does) while connections wait for a head, with
// none, part or all of one: the pending head read learns of the close after
// its connection was freed, and must not touch it.
TEST(http_server_freed_while_heads_are_awaited_touches_nothing_freed) {
    tn_loop *loop = sim_loop_new();
    tn_http_server_desc d;
    memset(&d, 0, sizeof d);
    hostile_server(loop, &d);
    int silent = sim_connect(), partial = sim_connect(), kept = sim_connect();
    sim_send(partial, "GET / HT", 8);
    sim_send(kept, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    sim_settle(loop);
    tn_buf got = {0};
    CHECK(!sim_drain(kept, &got));
    CHECK(strstr(got.data, "hello") != NULL);
    hostile_done(loop);
    CHECK(sim_drain(silent, NULL) && sim_drain(partial, NULL) && sim_drain(kept, NULL));
    close(silent);
    close(partial);
    close(kept);
    tn_buf_free(&got);
}

static void echo_cb(tn_handler *h) { tn_write(h, h->request.body.ptr, h->request.body.len); }

// Sends `req`, lets the server answer, and returns what came back; *closed
// says whether the server hung up.
static void ask(tn_loop *loop, int fd, const char *req, tn_buf *got, bool *closed) {
    sim_send(fd, req, strlen(req));
    sim_settle(loop);
    *closed = sim_drain(fd, got);
}

// A chunk announced past max_body_size is answered 413 before its data
// arrive, and the connection closes: the client need not send (or stall on)
// what would be refused anyway (issue 10, item 3).
TEST(http_a_chunk_announced_past_the_body_limit_gets_413_at_once) {
    tn_loop *loop = sim_loop_new();
    tn_http_server_desc d;
    memset(&d, 0, sizeof d);
    d.request_cb = echo_cb;
    d.max_body_size = 1000;
    hostile_server(loop, &d);
    const char *head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    const char *cases[] = {
        "3e9\r\n",                             // 1001 bytes announced, none sent
        "FFFFFFFFFF",                          // too big before the line even ends
        "200\r\n", "1e9\r\n",                  // 512 + 489 = 1001 over two chunks
    };
    char pad[513];
    memset(pad, 'p', 512);
    pad[512] = '\0';
    for (int i = 0; i < 3; i++) {
        int fd = sim_connect();
        tn_buf got = {0};
        bool closed;
        ask(loop, fd, head, &got, &closed);
        CHECK(!closed && got.len == 0);
        ask(loop, fd, cases[i == 2 ? 2 : i], &got, &closed);
        if (i == 2) {
            CHECK(!closed && got.len == 0);  // 512 of 1000: fine so far
            sim_send(fd, pad, 512);
            ask(loop, fd, "\r\n", &got, &closed);
            CHECK(!closed && got.len == 0);
            ask(loop, fd, cases[3], &got, &closed);
        }
        CHECK(closed);
        CHECK(got.data && strncmp(got.data, "HTTP/1.1 413 ", 13) == 0);
        tn_buf_free(&got);
        close(fd);
    }
    // Exactly the limit is fine.
    int fd = sim_connect();
    tn_buf got = {0};
    bool closed;
    sim_send(fd, head, strlen(head));
    ask(loop, fd, "3e8\r\n", &got, &closed);
    char body[1001];
    memset(body, 'b', 1000);
    body[1000] = '\0';
    sim_send(fd, body, 1000);
    ask(loop, fd, "\r\n0\r\n\r\n", &got, &closed);
    CHECK(!closed);
    CHECK(got.data && strncmp(got.data, "HTTP/1.1 200 ", 13) == 0 && strstr(got.data, "Content-Length: 1000\r\n"));
    tn_buf_free(&got);
    close(fd);
    hostile_done(loop);
}

// The decoder itself: max_size counts the announced sizes.
TEST(http_chunked_decoder_max_size) {
    tn_chunked_decoder dec;
    memset(&dec, 0, sizeof dec);
    dec.max_size = 10;
    tn_str piece;
    const char *in = "5\r\nhello\r\n5\r\nworld\r\n1\r\n";
    size_t off = 0, len = strlen(in);
    tn_buf got = {0};
    int n;
    while ((n = tn_chunked_decode(&dec, in + off, len - off, &piece)) > 0) {
        tn_buf_append(&got, piece.ptr, piece.len);
        off += (size_t)n;
    }
    CHECK_INT(n, TN_EMSGSIZE);  // the third chunk would make 11
    CHECK_MEM(got.data, got.len, "helloworld", 10);
    tn_buf_free(&got);
    memset(&dec, 0, sizeof dec);
    const char *big = "FFFFFFFFFFFFFFF\r\n";  // no limit: a size is only a size
    CHECK_INT(tn_chunked_decode(&dec, big, strlen(big), &piece), (int)strlen(big));
}
