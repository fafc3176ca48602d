// The HTTP server against slow, hostile and faulty peers (issue 10), in one
// process on the test's clock (sim.h).
#include "sim.h"
#include "tmpdir.h"
#include <signal.h>
#include <stdlib.h>

static void hello_cb(tn_handler *h) { tn_write_str(h, "hello"); }

static tn_http_server *hostile_server(tn_loop *loop, tn_http_server_desc *d) {
    if (!d->request_cb) d->request_cb = hello_cb;
    return sim_http_server(loop, d);
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
    sim_done(loop);
    CHECK(sim_drain(silent, NULL) && sim_drain(partial, NULL) && sim_drain(kept, NULL));
    tt_sock_close(silent);
    tt_sock_close(partial);
    tt_sock_close(kept);
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
        tt_sock_close(fd);
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
    tt_sock_close(fd);
    sim_done(loop);
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

// ---- big responses, slow readers (issue 10, items 4 and 8)

enum { BIG = 20 * 1000 * 1000 + 1 };  // more than the default max_write_buffer_size
static int big_released, big_calls;
static char big_byte(size_t i) { return (char)('a' + i % 23); }
static char *big_body(void) {  // 'a' + i % 23, doubling a copy (fast under qemu too)
    char *p = (char *)malloc(BIG);
    size_t n = 23;
    for (size_t i = 0; i < n; i++) p[i] = big_byte(i);
    for (; n < BIG; n *= 2) memcpy(p + n, p, n < BIG - n ? n : BIG - n);
    return p;
}
static void big_release(void *p) {
    free(p);
    big_released++;
}
// GET /copy: one tn_write of BIG bytes; /lend: the same bytes lent; /file:
// tn_send_file of the file whose fd the test put in big_file.
static int big_file = -1;
static void big_cb(tn_handler *h) {
    big_calls++;
    if (tn_str_eq(h->request.path, "/copy")) {
        char *p = big_body();
        CHECK_OK(tn_write(h, p, BIG));
        free(p);
    } else if (tn_str_eq(h->request.path, "/lend")) {
        CHECK_OK(tn_write_str(h, "<"));
        char *p = big_body();
        CHECK_OK(tn_write_ref(h, p, BIG, big_release, p));  // released exactly once
    } else if (tn_str_eq(h->request.path, "/file")) {
        CHECK_OK(tn_send_file(h, dup(big_file), 0, BIG));
    } else {
        tn_write_str(h, "hello");
    }
}

// What the test's log writer saw (warnings and up).
static tn_buf logged;
static void log_keep(const tn_log_record *rec, void *ud) {
    (void)ud;
    if (rec->level >= TN_LOG_WARNING) tn_buf_appendf(&logged, "%s\n", rec->message);
}

static size_t head_end(const tn_buf *b) {
    const char *e = b->data ? strstr(b->data, "\r\n\r\n") : NULL;
    return e ? (size_t)(e - b->data) + 4 : 0;
}

// A client reading as fast as it can gets a body bigger than
// max_write_buffer_size whole, from one tn_write, a lent buffer or a file:
// a single write of the application is not a slow reader.
TEST(http_a_response_bigger_than_max_write_buffer_size_goes_out_whole) {
    tn_loop *loop = sim_loop_new();
    tn_http_server_desc d;
    memset(&d, 0, sizeof d);
    d.request_cb = big_cb;
    hostile_server(loop, &d);
    char *want = big_body();
    big_file = tt_tmpfile();
    CHECK(write(big_file, want, BIG) == BIG);
    tn_log_set_cb(log_keep, NULL);
    const char *paths[] = {"/copy", "/lend", "/file"};
    for (int i = 0; i < 3; i++) {
        int fd = sim_connect();
        char req[64];
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", paths[i]);
        sim_send(fd, req, strlen(req));
        tn_buf got = {0};
        size_t skip = i == 1 ? 1 : 0, at, idle = 0;
        while (!(at = head_end(&got)) || got.len < at + skip + BIG) {
            size_t before = got.len;
            sim_settle(loop);
            CHECK(!sim_drain(fd, &got));
            idle = got.len == before ? idle + 1 : 0;
            CHECK(idle < 100);  // nothing more is coming
        }
        char cl[48];
        snprintf(cl, sizeof cl, "Content-Length: %d\r\n", BIG + (int)skip);
        CHECK(strstr(got.data, cl) != NULL);
        CHECK_INT(got.len, at + skip + BIG);
        CHECK(memcmp(got.data + at + skip, want, BIG) == 0);
        tn_buf_free(&got);
        tt_sock_close(fd);
        sim_settle(loop);
    }
    CHECK_INT(big_released, 1);
    CHECK(logged.len == 0);  // no "not reading" for a reader that reads
    tn_log_set_cb(NULL, NULL);
    close(big_file);
    free(want);
    sim_done(loop);
}

#if !defined(_WIN32)  // counts descriptors in /proc; and loopback TCP (sim.h on
// Windows) takes bytes late, when it acknowledges, not at a tick of the clock
static int count_fds(void) {
    int n = 0;
    char path[64];
    for (int fd = 0; fd < 4096; fd++) {
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        if (access(path, F_OK) == 0) n++;
    }
    return n;
}

// A client that stops reading is cut off write_timeout after the last byte
// it took, the lent body is given back, no descriptor is left, and the log
// says why; on either sendfile's path or the 64 KiB pieces' (the poll build
// has TN_USE_SENDFILE=0).
TEST(http_a_reader_that_stalls_mid_response_is_cut_off_at_write_timeout) {
    big_file = tt_tmpfile();
    char *body = big_body();
    CHECK(write(big_file, body, BIG) == BIG);
    free(body);
    tn_loop *loop = sim_loop_new();
    tn_http_server_desc d;
    memset(&d, 0, sizeof d);
    d.request_cb = big_cb;
    d.write_timeout = 10;
    tn_http_server *srv = hostile_server(loop, &d);
    tn_log_set_cb(log_keep, NULL);
    const char *paths[] = {"/copy", "/lend", "/file"};
    for (int i = 0; i < 3; i++) {
        int fds = count_fds();
        int fd = sim_connect();
        char req[64];
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", paths[i]);
        sim_send(fd, req, strlen(req));
        tn_buf got = {0};
        sim_settle(loop);
        CHECK(!sim_drain(fd, &got));  // a first part, then it stops reading
        sim_settle(loop);             // the server fills the socket again
        double last = sim_now;        // the last byte the kernel took
        bool read_more = true;
        while (tn_http_server_connections(srv) && sim_now < last + 30) {
            if (read_more && sim_now == last + 5) {  // reads a little: that is progress
                static char buf[300000];
                CHECK(tt_recv_nowait(fd, buf, sizeof buf) > 0);
                sim_settle(loop);
                last = sim_now;
                read_more = false;
            }
            sim_advance(loop, 1);
        }
        CHECK(!read_more && sim_now == last + 10);  // cut off exactly then
        CHECK_INT(count_fds(), fds + 1);  // only the test's own end is left
        CHECK(strstr(logged.data, "not reading its responses") != NULL);
        tn_buf_clear(&logged);
        tn_buf_free(&got);
        tt_sock_close(fd);
    }
    CHECK_INT(big_released, 1);
    tn_log_set_cb(NULL, NULL);
    tn_buf_free(&logged);
    close(big_file);
    sim_done(loop);
}
#endif

// A client that pipelines requests and reads none of the answers cannot
// make them pile up: past max_write_buffer_size of queued answers the
// server reads no further request, until write_timeout cuts it off.
TEST(http_pipelined_requests_whose_answers_are_not_read_do_not_pile_up) {
    tn_loop *loop = sim_loop_new();
    tn_http_server_desc d;
    memset(&d, 0, sizeof d);
    d.request_cb = big_cb;
    d.max_write_buffer_size = 256 * 1024;
    d.write_timeout = 10;
    tn_http_server *srv = hostile_server(loop, &d);
    tn_log_set_cb(log_keep, NULL);
    int fd = sim_connect();
    tn_buf q = {0};
    for (int i = 0; i < 50; i++) tn_buf_append_str(&q, "GET /copy HTTP/1.1\r\nHost: x\r\n\r\n");
    sim_send(fd, q.data, q.len);
    sim_settle(loop);
    double t0 = sim_now;
    while (tn_http_server_connections(srv) && sim_now < t0 + 30) {
        sim_advance(loop, 1);
        CHECK_INT(big_calls, 1);  // one answer in memory, not 50 (a GB)
    }
    CHECK(sim_now == t0 + 10);
    CHECK(strstr(logged.data, "not reading its responses") != NULL);
    tn_log_set_cb(NULL, NULL);
    tn_buf_free(&logged);
    tn_buf_free(&q);
    tt_sock_close(fd);
    sim_done(loop);
}

// ---- SIGTERM (issue 10, item 6)
#if !defined(_WIN32)  // Windows has no SIGTERM to send: its console events are not signals

static void defer_cb(tn_handler *h) {
    if (tn_str_eq(h->request.path, "/defer")) tn_defer(h);  // finished by nobody: the loop frees it
    else big_cb(h);
}

static int timer_fired;
static void mark_fired(tn_loop *loop, void *arg) {
    (void)loop, (void)arg;
    timer_fired = 1;
}

#if TN_ENABLE_THREADS
#  include <pthread.h>
static int go[2];
static void *send_sigterm(void *arg) {
    (void)arg;
    char b;
    // Two signals sent at once may arrive as one: the second waits until
    // the loop has taken the first.
    for (int i = 0; i < 2 && read(go[0], &b, 1) == 1; i++) kill(getpid(), SIGTERM);
    return NULL;
}
static void let_it_go(tn_loop *loop, void *arg) {
    (void)loop, (void)arg;
    CHECK(write(go[1], "g", 1) == 1);
}
static void go_again_once_draining(const tn_log_record *rec, void *ud) {
    (void)ud;
    if (strstr(rec->message, "received signal") && strstr(rec->message, "draining")) let_it_go(NULL, NULL);
}
#endif
static void raise_sigterm(tn_loop *loop, void *arg) {
    (void)loop, (void)arg;
    raise(SIGTERM);
    raise(SIGTERM);
}

// The first SIGTERM drains (tests/unit/test_drain.c); a second one stops a
// server at once whatever its connections are doing: on a clock that never
// moves, no timer can fire, so only the signals can end tn_loop_start
// (else the hang guard does). Raised inside a callback, and sent from
// another thread while the loop sleeps.
TEST(http_a_second_sigterm_stops_the_loop_at_once_with_connections_in_every_state) {
    big_file = tt_tmpfile();
    CHECK(ftruncate(big_file, BIG) == 0);
    tn_loop *loop = sim_loop_new();
    tn_http_server_desc d;
    memset(&d, 0, sizeof d);
    d.request_cb = defer_cb;
    tn_http_server *srv = hostile_server(loop, &d);
    int fds[6];
    for (int i = 0; i < 6; i++) fds[i] = sim_connect();
    sim_send(fds[1], "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);                          // answered, idle
    sim_send(fds[2], "GET / HT", 8);                                                      // half a head
    sim_send(fds[3], "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nab", 48);  // half a body
    sim_send(fds[4], "GET /defer HTTP/1.1\r\nHost: x\r\n\r\n", 32);                     // deferred
    sim_send(fds[5], "GET /file HTTP/1.1\r\nHost: x\r\n\r\n", 31);                      // a file, not read
    sim_settle(loop);
    CHECK_INT(tn_http_server_connections(srv), 6);
    CHECK_OK(tn_loop_stop_on_signals(loop));
    tn_loop_call_at(loop, sim_now + 1, mark_fired, NULL);
    tn_loop_call_later(loop, 0, raise_sigterm, NULL);
    CHECK_OK(tn_loop_start(loop));  // returns: the signal stopped it
#if TN_ENABLE_THREADS
    pthread_t t;
    CHECK(pipe(go) == 0);
    CHECK(pthread_create(&t, NULL, send_sigterm, NULL) == 0);
    tn_log_set_cb(go_again_once_draining, NULL);
    tn_loop_call_later(loop, 0, let_it_go, NULL);  // the signals come while the loop waits
    CHECK_OK(tn_loop_start(loop));
    tn_log_set_cb(NULL, NULL);
    pthread_join(t, NULL);
    close(go[0]);
    close(go[1]);
#endif
    CHECK(!timer_fired);
    sim_done(loop);
    for (int i = 0; i < 6; i++) {
        CHECK(sim_drain(fds[i], NULL));  // every connection closed
        close(fds[i]);
    }
    close(big_file);
}
#endif

// ---- lent bodies in the web layer

static char page[20000];
static int page_released;
static void page_release(void *arg) {
    (void)arg;
    page_released++;
}
static void lent_get(tn_handler *h) { tn_write_ref(h, page, sizeof page, page_release, NULL); }
static void copied_get(tn_handler *h) { tn_write(h, page, sizeof page); }
static void dropped_get(tn_handler *h) {
    tn_write_ref(h, page, sizeof page, page_release, NULL);
    tn_send_error(h, 503);  // the error page replaces the lent body, which is given back
}

// The automatic ETag hashes what tn_get_written shows, which lent pieces are
// not in: a lent body gets no ETag (else two bodies could share one), and a
// lent body dropped for an error page is given back.
TEST(web_lent_bodies_get_no_automatic_etag_and_are_given_back_when_dropped) {
    memset(page, 'p', sizeof page);
    tn_loop *loop = sim_loop_new();
    static const tn_handler_class lent = {.get = lent_get}, copied = {.get = copied_get},
                                  dropped = {.get = dropped_get};
    tn_route routes[] = {{.pattern = "/lent", .handler = &lent},
                         {.pattern = "/copied", .handler = &copied},
                         {.pattern = "/dropped", .handler = &dropped},
                         {0}};
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.routes = routes;
    d.no_access_log = true;
    tn_app *app = tn_app_new(loop, &d);
    sim_app_listen(app);
    const char *paths[] = {"/lent", "/copied", "/dropped"};
    for (int i = 0; i < 3; i++) {
        int fd = sim_connect();
        char req[64];
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", paths[i]);
        tn_buf got = {0};
        bool closed;
        ask(loop, fd, req, &got, &closed);
        CHECK(got.data != NULL);
        if (i == 2) {
            CHECK(strncmp(got.data, "HTTP/1.1 503 ", 13) == 0);
        } else {
            size_t at = head_end(&got);
            CHECK(at && got.len == at + sizeof page && memcmp(got.data + at, page, sizeof page) == 0);
            CHECK((strstr(got.data, "Etag: ") != NULL) == (i == 1));
        }
        CHECK_INT(page_released, i == 2 ? 2 : 1);
        tn_buf_free(&got);
        tt_sock_close(fd);
    }
    sim_done(loop);
}

static void flushed_get(tn_handler *h) {
    tn_write_str(h, "<");
    tn_write_ref(h, page, sizeof page, page_release, NULL);
    tn_write_str(h, "|");
    tn_flush(h, NULL, NULL);  // chunked from here: one chunk of 20002 bytes
    tn_write_ref(h, page, 100, page_release, NULL);  // small: copied, given back at once
    tn_write_ref(h, page, sizeof page, page_release, NULL);
    tn_write_str(h, ">");
}

// Lent pieces keep their place among copied bytes, in chunks too.
TEST(http_lent_pieces_keep_their_place_in_a_chunked_response) {
    for (size_t i = 0; i < sizeof page; i++) page[i] = (char)('A' + i % 53);
    page_released = 0;
    tn_loop *loop = sim_loop_new();
    tn_http_server_desc d;
    memset(&d, 0, sizeof d);
    d.request_cb = flushed_get;
    hostile_server(loop, &d);
    int fd = sim_connect();
    tn_buf got = {0};
    bool closed;
    ask(loop, fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", &got, &closed);
    size_t at = head_end(&got);
    CHECK(at && strstr(got.data, "Transfer-Encoding: chunked\r\n"));
    tn_chunked_decoder dec;
    memset(&dec, 0, sizeof dec);
    tn_buf body = {0};
    tn_str piece;
    int n;
    while ((n = tn_chunked_decode(&dec, got.data + at, got.len - at, &piece)) > 0) {
        tn_buf_append(&body, piece.ptr, piece.len);
        at += (size_t)n;
    }
    CHECK(tn_chunked_done(&dec) && at == got.len);
    tn_buf want = {0};
    tn_buf_append(&want, "<", 1);
    tn_buf_append(&want, page, sizeof page);
    tn_buf_append(&want, "|", 1);
    tn_buf_append(&want, page, 100);
    tn_buf_append(&want, page, sizeof page);
    tn_buf_append(&want, ">", 1);
    CHECK(body.len == want.len && memcmp(body.data, want.data, want.len) == 0);
    tn_buf_free(&want);
    CHECK_INT(page_released, 3);
    tn_buf_free(&body);
    tn_buf_free(&got);
    tt_sock_close(fd);
    sim_done(loop);
}
