// Long polling as examples/chat does it, over real sockets: requests parked
// on a Condition (tn_defer + tn_condition_wait), woken by notify_all, and
// dropped when their client leaves; and the pooled request objects such
// parked requests live in, which must never be handed out twice.
#include "child_server.h"
#include <stdlib.h>

static tn_condition *cond;   // the child's
static tn_handler *parked;   // the child's request parked by /park

static void woken(tn_loop *loop, int status, void *arg) {
    (void)loop;
    tn_handler *h = (tn_handler *)arg;
    h->state = NULL;
    tn_writef(h, "woken %d", status);
    tn_finish(h);
}

static void wait_post(tn_handler *h) {
    h->state = tn_condition_wait(cond, 0, woken, h);
    tn_defer(h);
}

static void wait_closed(tn_handler *h) {
    CHECK(h->state != NULL);
    CHECK(tn_waiter_cancel((tn_waiter *)h->state));
    h->state = NULL;
    tn_finish(h);
}

static void notify_post(tn_handler *h) {
    tn_condition_notify_all(cond);
    tn_write_str(h, "notified");
}

// "waiters N live M": what the test watches instead of sleeping.
static void count_get(tn_handler *h) {
    tn_writef(h, "waiters %zu live %llu", cond ? tn_condition_waiters(cond) : 0,
              (unsigned long long)tn_mem_get_stats().live);
}

// The child must free what it made before it exits and checks for leaks.
static void free_post(tn_handler *h) {
    tn_condition_free(cond);
    cond = NULL;
    tn_write_str(h, "freed");
}

static void auto_get(tn_handler *h) { tn_write_str(h, "auto"); }  // finished for it

static void park_get(tn_handler *h) {
    parked = h;
    tn_defer(h);
}

static void release_get(tn_handler *h) {
    if (parked) {
        tn_write(parked, parked->request.path.ptr, parked->request.path.len);
        tn_finish(parked);
        parked = NULL;
    }
    tn_write_str(h, "released");
}

static const tn_handler_class wait_class = {.post = wait_post, .on_connection_close = wait_closed};
static const tn_handler_class notify_class = {.post = notify_post};
static const tn_handler_class count_class = {.get = count_get};
static const tn_handler_class free_class = {.post = free_post};
static const tn_handler_class auto_class = {.get = auto_get};
static const tn_handler_class park_class = {.get = park_get};
static const tn_handler_class release_class = {.get = release_get};

static tn_app *make_app(tn_loop *loop, void *arg) {
    (void)arg;
    cond = tn_condition_new(loop);
    tn_route routes[] = {
        {.pattern = "/wait", .handler = &wait_class},
        {.pattern = "/notify", .handler = &notify_class},
        {.pattern = "/count", .handler = &count_class},
        {.pattern = "/free", .handler = &free_class},
        {.pattern = "/auto", .handler = &auto_class},
        {.pattern = "/park", .handler = &park_class},
        {.pattern = "/release", .handler = &release_class},
        {0},
    };
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.routes = routes;
    d.no_access_log = true;
    return tn_app_new(loop, &d);
}

// Reads from fd until `want` has arrived (true) or the peer is done (false;
// tt_connect's 5 s receive timeout is the hang guard).
static bool read_until(int fd, tn_buf *in, const char *want) {
    char buf[4096];
    while (!strstr(in->data ? in->data : "", want)) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return false;
        tn_buf_append(in, buf, (size_t)n);
    }
    return true;
}

// One request on a fresh connection; returns the response (caller frees).
static tn_buf ask(int port, const char *method, const char *path, const char *want) {
    int fd = tt_connect(port);
    char req[256];
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", method,
             path);
    tt_send_str(fd, req);
    tn_buf in;
    memset(&in, 0, sizeof in);
    if (!read_until(fd, &in, want)) tt_fail(__FILE__, __LINE__, "%s %s: no \"%s\" in \"%s\"", method, path, want, in.data);
    tt_sock_close(fd);
    return in;
}

// Asks /count until it says `want` (a hang guard of 10 s, not a timing).
static void count_becomes(int port, const char *want) {
    for (int i = 0; i < 1000; i++) {
        tn_buf r = ask(port, "GET", "/count", "live");
        bool ok = strstr(r.data, want) != NULL;
        tn_buf_free(&r);
        if (ok) return;
        usleep(10000);
    }
    tt_fail(__FILE__, __LINE__, "/count never said \"%s\"", want);
}

static int open_wait(int port) {
    int fd = tt_connect(port);
    tt_send_str(fd, "POST /wait HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    return fd;
}

TEST(longpoll_parked_requests_woken_by_notify_all) {
    tt_server s = tt_server_start(make_app, NULL);
    int fds[3];
    for (int i = 0; i < 3; i++) fds[i] = open_wait(s.port);
    count_becomes(s.port, "waiters 3 ");
    tn_buf r = ask(s.port, "POST", "/notify", "notified");
    tn_buf_free(&r);
    for (int i = 0; i < 3; i++) {
        tn_buf in;
        memset(&in, 0, sizeof in);
        CHECK(read_until(fds[i], &in, "woken 0"));
        CHECK(strncmp(in.data, "HTTP/1.1 200 OK\r\n", 17) == 0);
        tn_buf_free(&in);
        tt_sock_close(fds[i]);
    }
    count_becomes(s.port, "waiters 0 ");
    r = ask(s.port, "POST", "/free", "freed");
    tn_buf_free(&r);
    tt_server_stop(s);  // exit status 0: everything freed
}

// The library's live allocations once the count stops changing (the
// server frees a closed connection a moment after the client sees its answer).
static long settled_live(int port) {
    long last = -1, same = 0;
    for (int i = 0; i < 1000 && same < 5; i++) {
        tn_buf r = ask(port, "GET", "/count", "live");
        long live = atol(strstr(r.data, "live ") + 5);
        same = live == last ? same + 1 : 0;
        last = live;
        tn_buf_free(&r);
        usleep(2000);
    }
    return last;
}

static void park_and_leave(int port, int n) {
    int fds[10];
    char want[32];
    snprintf(want, sizeof want, "waiters %d ", n);
    for (int i = 0; i < n; i++) fds[i] = open_wait(port);
    count_becomes(port, want);
    for (int i = 0; i < n; i++) tt_sock_close(fds[i]);
    count_becomes(port, "waiters 0 ");
}

TEST(longpoll_a_client_that_leaves_has_its_waiter_cancelled) {
    tt_server s = tt_server_start(make_app, NULL);
    // The server keeps a pool of request objects with their buffers, so
    // the count moves a little while the pool warms up; a leak per dropped
    // poll would add at least 30 blocks over the last three rounds.
    park_and_leave(s.port, 10);
    park_and_leave(s.port, 10);
    long warm = settled_live(s.port);
    for (int i = 0; i < 3; i++) park_and_leave(s.port, 10);
    long after = settled_live(s.port);
    if (after > warm + 5) tt_fail(__FILE__, __LINE__, "live blocks %ld, then %ld after 30 dropped polls", warm, after);
    // the condition still works for the next poll
    int fd = open_wait(s.port);
    count_becomes(s.port, "waiters 1 ");
    tn_buf r = ask(s.port, "POST", "/notify", "notified");
    tn_buf_free(&r);
    tn_buf in;
    memset(&in, 0, sizeof in);
    CHECK(read_until(fd, &in, "woken 0"));
    tn_buf_free(&in);
    tt_sock_close(fd);
    r = ask(s.port, "POST", "/free", "freed");
    tn_buf_free(&r);
    tt_server_stop(s);
}

// A request finished for its handler went back to the pool at once and
// also queued a second, late release; a request parked on the same
// connection right after took the pooled object, and the late release then
// handed the parked request out again to the next client.
TEST(http_a_parked_request_behind_a_finished_one_keeps_its_object) {
    tt_server s = tt_server_start(make_app, NULL);
    int fd = tt_connect(s.port);
    tt_send_str(fd, "GET /auto HTTP/1.1\r\nHost: x\r\n\r\nGET /park HTTP/1.1\r\nHost: x\r\n\r\n");
    tn_buf in;
    memset(&in, 0, sizeof in);
    CHECK(read_until(fd, &in, "auto"));
    tn_buf r = ask(s.port, "GET", "/auto", "auto");  // would take the parked request's object
    tn_buf_free(&r);
    r = ask(s.port, "GET", "/release", "released");
    tn_buf_free(&r);
    CHECK(read_until(fd, &in, "\r\n\r\n/park"));  // the parked request answered on its own connection
    tn_buf_free(&in);
    tt_sock_close(fd);
    r = ask(s.port, "POST", "/free", "freed");
    tn_buf_free(&r);
    tt_server_stop(s);
}

