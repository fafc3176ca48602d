// Graceful shutdown (issue 15, item 4): tn_http_server_drain, tn_app_drain,
// tn_loop_drain and the signals, on the test's clock (sim.h). Each kind of
// connection is checked to the byte: what it is answered and when it closes.
#include "sim.h"
#include "tmpdir.h"
#include <signal.h>
#include <stdlib.h>

// "/park" defers until the test finishes it; anything else says hello.
static tn_handler *parked;
static int closes_heard;
static void heard_close(tn_handler *h) {
    closes_heard++;
    if (h == parked) parked = NULL;
    tn_finish(h);
}
static void drain_cb(tn_handler *h) {
    if (tn_str_eq(h->request.path, "/park")) {
        parked = h;
        tn_on_connection_close(h, heard_close);
        tn_defer(h);
        return;
    }
    tn_write_str(h, "hello");
}

static int done_calls;
static void on_drained(tn_loop *loop, void *arg) {
    (void)loop, (void)arg;
    done_calls++;
}

static tn_http_server *drain_server(tn_loop *loop) {
    tn_http_server_desc d;
    memset(&d, 0, sizeof d);
    d.request_cb = drain_cb;
    d.drain_timeout = 10;
    parked = NULL;
    closes_heard = done_calls = 0;
    return sim_http_server(loop, &d);
}

#define GET(path) "GET " path " HTTP/1.1\r\nHost: x\r\n\r\n"

static int count(const tn_buf *b, const char *what) {
    int n = 0;
    for (const char *p = b->data; p && (p = strstr(p, what)) != NULL; p++) n++;
    return n;
}

// Every kind of HTTP connection at once: the listener closes at once; an
// idle keep-alive connection closes at once; a half-read head and a parked
// request are answered, with Connection: close, and then close; a
// connection that never sent a byte gets one second; the drain ends (and
// done_cb runs) when the last one has gone.
TEST(drain_answers_what_is_in_flight_and_closes_the_rest) {
    tn_loop *loop = sim_loop_new();
    tn_http_server *srv = drain_server(loop);
    int idle = sim_connect(), half = sim_connect(), park = sim_connect(), silent = sim_connect();
    sim_send(idle, GET("/"), strlen(GET("/")));
    sim_send(half, "GET / HTTP/1.1\r\nHo", 18);
    sim_send(park, GET("/park"), strlen(GET("/park")));
    sim_settle(loop);
    tn_buf got[4] = {{0}};
    CHECK(!sim_drain(idle, &got[0]) && count(&got[0], "hello") == 1);
    CHECK(parked != NULL);
    CHECK(!sim_refused());

    tn_http_server_drain(srv, on_drained, NULL);
    sim_settle(loop);
    CHECK(sim_refused());                                  // new connections: refused at once
    CHECK(sim_drain(idle, &got[0]));                   // idle: closed at once, nothing more
    CHECK_INT(count(&got[0], "HTTP/1.1"), 1);
    CHECK(!sim_drain(half, &got[1]) && !got[1].len);   // in flight: waits
    CHECK(!sim_drain(park, &got[2]) && !got[2].len);
    CHECK(!sim_drain(silent, &got[3]));

    sim_send(half, "st: x\r\n\r\n", 9);
    sim_settle(loop);
    CHECK(sim_drain(half, &got[1]));                   // answered whole, with close, then closed
    CHECK(strstr(got[1].data, "Connection: close\r\n") && strstr(got[1].data, "\r\n\r\nhello"));

    sim_advance(loop, 0.75);
    CHECK(!sim_drain(silent, &got[3]));                // a second to send its first byte
    sim_advance(loop, 0.25);
    CHECK(sim_drain(silent, &got[3]) && !got[3].len);  // then closed

    CHECK_INT(done_calls, 0);
    tn_write_str(parked, "late");
    tn_finish(parked);
    sim_settle(loop);
    CHECK(sim_drain(park, &got[2]));
    CHECK(strstr(got[2].data, "HTTP/1.1 200 OK\r\n") && strstr(got[2].data, "Connection: close\r\n") &&
          strstr(got[2].data, "\r\n\r\nlate"));
    CHECK_INT(closes_heard, 0);
    CHECK_INT(tn_http_server_connections(srv), 0);
    CHECK_INT(done_calls, 1);
    int fds[4] = {idle, half, park, silent};
    for (int i = 0; i < 4; i++) {
        tt_sock_close(fds[i]);
        tn_buf_free(&got[i]);
    }
    sim_done(loop);
}

// Connections the kernel completed but the server had not accepted yet when
// the drain began: their clients think they are connected (and have sent a
// request); they are accepted and answered, not reset with the listener.
TEST(drain_serves_the_connections_queued_on_the_listener) {
    tn_loop *loop = sim_loop_new();
    tn_http_server *srv = drain_server(loop);
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = sim_connect();  // queued: the loop has not run since
        sim_send(fds[i], GET("/"), strlen(GET("/")));
    }
    tn_http_server_drain(srv, NULL, NULL);
    sim_settle(loop);
    CHECK(sim_refused());
    for (int i = 0; i < 3; i++) {
        tn_buf got = {0};
        CHECK(sim_drain(fds[i], &got));
        CHECK(got.data && strstr(got.data, "Connection: close\r\n") && strstr(got.data, "\r\n\r\nhello"));
        tn_buf_free(&got);
        tt_sock_close(fds[i]);
    }
    sim_done(loop);
}

// At drain_timeout a request still parked gets 503 and its handler hears
// on_connection_close; not a tick before.
TEST(drain_deadline_answers_a_parked_request_503) {
    tn_loop *loop = sim_loop_new();
    tn_http_server *srv = drain_server(loop);
    int park = sim_connect();
    sim_send(park, GET("/park"), strlen(GET("/park")));
    sim_settle(loop);
    tn_http_server_drain(srv, on_drained, NULL);
    sim_settle(loop);
    tn_buf got = {0};
    sim_advance(loop, 9.75);
    CHECK(!sim_drain(park, &got) && !got.len);
    CHECK_INT(closes_heard, 0);
    sim_advance(loop, 0.25);
    CHECK(sim_drain(park, &got));
    CHECK(strncmp(got.data, "HTTP/1.1 503 Service Unavailable\r\n", 34) == 0);
    CHECK(strstr(got.data, "Connection: close\r\n") != NULL);
    CHECK_INT(closes_heard, 1);
    CHECK(parked == NULL);
    CHECK_INT(done_calls, 1);
    tt_sock_close(park);
    tn_buf_free(&got);
    sim_done(loop);
}

// Pipelined requests: the one being answered is the last, with Connection:
// close; those behind it are not read.
TEST(drain_closes_between_pipelined_requests_after_the_current_answer) {
    tn_loop *loop = sim_loop_new();
    tn_http_server *srv = drain_server(loop);
    int fd = sim_connect();
    const char *two = GET("/park") GET("/");
    sim_send(fd, two, strlen(two));
    sim_settle(loop);
    CHECK(parked != NULL);
    tn_http_server_drain(srv, NULL, NULL);
    sim_settle(loop);
    tn_finish(parked);
    sim_settle(loop);
    tn_buf got = {0};
    CHECK(sim_drain(fd, &got));
    CHECK_INT(count(&got, "HTTP/1.1 200"), 1);
    CHECK(strstr(got.data, "Connection: close\r\n") && !strstr(got.data, "hello"));
    tt_sock_close(fd);
    tn_buf_free(&got);
    sim_done(loop);
}

// A keep-alive connection whose next request arrived but was not read yet
// is not idle: that request is answered (with Connection: close).
TEST(drain_answers_a_request_that_arrived_on_an_idle_connection) {
    tn_loop *loop = sim_loop_new();
    tn_http_server *srv = drain_server(loop);
    int fd = sim_connect();
    sim_send(fd, GET("/"), strlen(GET("/")));
    sim_settle(loop);
    tn_buf got = {0};
    CHECK(!sim_drain(fd, &got));
    sim_send(fd, GET("/"), strlen(GET("/")));  // in the server's socket, not read yet
    tn_http_server_drain(srv, NULL, NULL);
    sim_settle(loop);
    CHECK(sim_drain(fd, &got));
    CHECK_INT(count(&got, "hello"), 2);
    CHECK_INT(count(&got, "Connection: close\r\n"), 1);
    tt_sock_close(fd);
    tn_buf_free(&got);
    sim_done(loop);
}

// An answer still on its way to a slow reader is not cut: the connection
// closes once the client has taken all of it.
static char big[1 << 20];
static void big_cb(tn_handler *h) { tn_write(h, big, sizeof big); }

TEST(drain_lets_an_answer_on_its_way_finish) {
    tn_loop *loop = sim_loop_new();
    tn_http_server_desc d;
    memset(&d, 0, sizeof d);
    d.request_cb = big_cb;
    tn_http_server *srv = sim_http_server(loop, &d);
    memset(big, 'b', sizeof big);
    done_calls = 0;
    int fd = sim_connect();
    sim_send(fd, GET("/"), strlen(GET("/")));
    sim_settle(loop);
    tn_http_server_drain(srv, on_drained, NULL);
    sim_settle(loop);
    tn_buf got = {0};
    for (int i = 0; i < 1000 && !sim_drain(fd, &got); i++) sim_settle(loop);
    const char *body = strstr(got.data, "\r\n\r\n");
    CHECK(body && got.len - (size_t)(body + 4 - got.data) == sizeof big);
    sim_settle(loop);
    CHECK_INT(done_calls, 1);
    tt_sock_close(fd);
    tn_buf_free(&got);
    sim_done(loop);
}

// ---- WebSockets

static int ws_closes, ws_close_code;
static void ws_closed(tn_ws *ws, int code, const char *reason) {
    (void)ws, (void)reason;
    ws_closes++;
    ws_close_code = code;
}
static tn_ws_class drain_ws = {.on_close = ws_closed};

static tn_app *ws_app(tn_loop *loop) {
    tn_app_desc ad;
    memset(&ad, 0, sizeof ad);
    tn_route routes[] = {TN_WS_ROUTE("/ws", &drain_ws), {.pattern = "/", .callback = drain_cb}, {0}};
    ad.routes = routes;
    ad.no_access_log = true;
    ad.server.drain_timeout = 10;
    tn_app *app = tn_app_new(loop, &ad);
    sim_app_listen(app);
    ws_closes = ws_close_code = 0;
    done_calls = 0;
    return app;
}

#define UPGRADE                                                                                        \
    "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"                    \
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

static int ws_open(tn_loop *loop) {
    int fd = sim_connect();
    sim_send(fd, UPGRADE, strlen(UPGRADE));
    sim_settle(loop);
    tn_buf got = {0};
    CHECK(!sim_drain(fd, &got));
    CHECK(strncmp(got.data, "HTTP/1.1 101 ", 13) == 0);
    tn_buf_free(&got);
    return fd;
}

// The close frame a drain sends: 1001 and its reason, unmasked.
static void check_going_away(int fd, tn_loop *loop) {
    tn_buf got = {0};
    sim_settle(loop);
    sim_drain(fd, &got);
    CHECK(got.len >= 4);
    const unsigned char *f = (const unsigned char *)got.data;
    CHECK(f[0] == 0x88 && (f[1] & 0x80) == 0 && f[1] + 2u == got.len);
    CHECK_INT(f[2] << 8 | f[3], 1001);
    tn_buf_free(&got);
}

// A WebSocket gets 1001 (going away); the client answers, the server hangs
// up, on_close reports 1001, and the drain ends.
TEST(drain_sends_websockets_1001_and_waits_for_their_answer) {
    tn_loop *loop = sim_loop_new();
    tn_app *app = ws_app(loop);
    int fd = ws_open(loop);
    tn_app_drain(app, on_drained, NULL);
    check_going_away(fd, loop);
    CHECK_INT(ws_closes, 0);
    const unsigned char answer[8] = {0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe9};  // mask 0: 1001
    sim_send(fd, (const char *)answer, sizeof answer);
    sim_settle(loop);
    CHECK(sim_drain(fd, NULL));
    CHECK_INT(ws_closes, 1);
    CHECK_INT(ws_close_code, 1001);
    CHECK_INT(done_calls, 1);
    tt_sock_close(fd);
    sim_done(loop);
}

// A WebSocket client that never answers is dropped after close_timeout (5 s).
TEST(drain_drops_a_websocket_that_does_not_answer_after_its_close_timeout) {
    tn_loop *loop = sim_loop_new();
    tn_app *app = ws_app(loop);
    int fd = ws_open(loop);
    tn_app_drain(app, on_drained, NULL);
    check_going_away(fd, loop);
    sim_advance(loop, 4.75);
    CHECK(!sim_drain(fd, NULL));
    sim_advance(loop, 0.25);
    CHECK(sim_drain(fd, NULL));
    CHECK_INT(ws_closes, 1);
    CHECK_INT(ws_close_code, 1006);
    CHECK_INT(done_calls, 1);
    tt_sock_close(fd);
    sim_done(loop);
}

// An upgrade that arrives during a drain is refused with 503: it would be
// told to go away at once.
TEST(drain_refuses_a_websocket_upgrade_with_503) {
    tn_loop *loop = sim_loop_new();
    tn_app *app = ws_app(loop);
    int fd = sim_connect();
    sim_send(fd, UPGRADE, 20);  // the head is on its way when the drain starts
    sim_settle(loop);
    tn_app_drain(app, on_drained, NULL);
    sim_settle(loop);
    sim_send(fd, &UPGRADE[20], strlen(UPGRADE) - 20);
    sim_settle(loop);
    tn_buf got = {0};
    CHECK(sim_drain(fd, &got));
    CHECK(strncmp(got.data, "HTTP/1.1 503 ", 13) == 0 && strstr(got.data, "Connection: close\r\n"));
    CHECK_INT(ws_closes, 0);
    CHECK_INT(done_calls, 1);
    tt_sock_close(fd);
    tn_buf_free(&got);
    sim_done(loop);
}

#if !defined(_WIN32)  // Windows has no SIGTERM to raise: its console events are not signals
// ---- the loop and the signals

static void raise_term(tn_loop *loop, void *arg) {
    (void)loop, (void)arg;
    raise(SIGTERM);
}

// The first SIGTERM drains every server on the loop, and tn_loop_start
// returns once both are done; on a clock that never moves, the parked
// request keeps the drain going until the test finishes it.
static tn_http_server *second;
static void finish_parked(tn_loop *loop, void *arg) {
    if (tn_http_server_port(second)) {  // the signal has not been handled yet
        tn_loop_add_callback(loop, finish_parked, arg);
        return;
    }
    CHECK(sim_refused());  // both listeners closed: the drain has begun
    tn_finish(parked);
}

TEST(drain_sigterm_drains_every_server_and_tn_loop_start_returns_when_done) {
    tn_loop *loop = sim_loop_new();
    drain_server(loop);
    tn_http_server_desc d;
    memset(&d, 0, sizeof d);
    d.request_cb = drain_cb;
    second = tn_http_server_new(loop, &d);
    CHECK_OK(tn_http_server_listen(second, &(tn_bind_desc){.host = "127.0.0.1"}));
    int fd = sim_connect();
    sim_send(fd, GET("/park"), strlen(GET("/park")));
    sim_settle(loop);
    CHECK(parked != NULL);
    CHECK_OK(tn_loop_stop_on_signals(loop));
    tn_loop_call_later(loop, 0, raise_term, NULL);
    tn_loop_call_later(loop, 0, finish_parked, NULL);
    CHECK_OK(tn_loop_start(loop));  // returns: the drain ended
    tn_buf got = {0};
    CHECK(sim_drain(fd, &got));
    CHECK(strstr(got.data, "HTTP/1.1 200 OK\r\n") && strstr(got.data, "Connection: close\r\n"));
    tt_sock_close(fd);
    tn_buf_free(&got);
    sim_done(loop);
}
#endif

// An admin request that stops the server it came through: it is answered
// (with Connection: close), and then tn_loop_start returns.
static void quit_cb(tn_handler *h) {
    tn_loop_drain(tn_handler_loop(h));
    tn_write_str(h, "bye");
}

TEST(drain_from_inside_a_handler_answers_it_and_then_returns) {
    tn_loop *loop = sim_loop_new();
    tn_http_server_desc d;
    memset(&d, 0, sizeof d);
    d.request_cb = quit_cb;
    sim_http_server(loop, &d);
    int fd = sim_connect();
    sim_send(fd, GET("/quit"), strlen(GET("/quit")));
    CHECK_OK(tn_loop_start(loop));  // returns: drained
    tn_buf got = {0};
    CHECK(sim_drain(fd, &got));
    CHECK(got.data && strstr(got.data, "Connection: close\r\n") && strstr(got.data, "\r\n\r\nbye"));
    tt_sock_close(fd);
    tn_buf_free(&got);
    sim_done(loop);
}

static void drain_loop(tn_loop *loop, void *arg) {
    (void)arg;
    tn_loop_drain(loop);
}

// tn_loop_drain with nothing to drain stops the loop at once.
TEST(drain_of_a_loop_without_servers_stops_it_at_once) {
    tn_loop *loop = sim_loop_new();
    tn_loop_call_later(loop, 0, drain_loop, NULL);
    CHECK_OK(tn_loop_start(loop));
    tn_loop_free(loop);
}

// A file body on its way to a client that stopped reading: at the deadline
// the connection closes, and the file and the request are let go.
static int file_fd;
static void file_cb(tn_handler *h) { tn_send_file(h, dup(file_fd), 0, 4 << 20); }

TEST(drain_deadline_cuts_a_file_body_to_a_reader_that_stalled) {
    file_fd = tt_tmpfile();
    CHECK(ftruncate(file_fd, 4 << 20) == 0);
    tn_loop *loop = sim_loop_new();
    tn_http_server_desc d;
    memset(&d, 0, sizeof d);
    d.request_cb = file_cb;
    tn_http_server *srv = sim_http_server(loop, &d);
    done_calls = 0;
    int fd = sim_connect();
    sim_send(fd, GET("/"), strlen(GET("/")));
    sim_settle(loop);
    tn_http_server_drain(srv, on_drained, NULL);
    sim_advance(loop, 9.75);
    CHECK(!sim_drain(fd, NULL));  // it waits for the reader
    sim_advance(loop, 0.25);
    CHECK(sim_drain(fd, NULL));
    CHECK_INT(tn_http_server_connections(srv), 0);
    CHECK_INT(done_calls, 1);
    tt_sock_close(fd);
    sim_done(loop);
    close(file_fd);
}
