// Floor 2: the loop driven by a main loop of its own (tn_loop_fds,
// tn_loop_timeout, tn_loop_run_once(loop, 0)): here a plain poll() loop.
#include "child_server.h"
#include <pthread.h>
#include <stdlib.h>

enum { MAX_FDS = 64 };

static void nop_io(tn_loop *loop, int fd, int events, void *arg) {
    (void)loop, (void)fd, (void)events, (void)arg;
}
static void nop(tn_loop *loop, void *arg) { (void)loop, (void)arg; }

// kqueue emulated on Linux (libkqueue) has no descriptor to give: there
// tn_loop_fds is TN_ENOTSUP and the tests that poll one are left out.
#if TN_BACKEND == TN_BACKEND_KQUEUE && defined(__linux__)
#  define HAVE_FDS 0
#else
#  define HAVE_FDS 1
#endif

#if HAVE_FDS
// The loop's descriptors as pollfds, plus `extra` (when >= 0) last.
static int fill(tn_loop *loop, struct pollfd *p, int extra) {
    tn_loop_fd fds[MAX_FDS];
    int n = tn_loop_fds(loop, fds, MAX_FDS);
    CHECK(n >= 1 && n < MAX_FDS);
    for (int i = 0; i < n; i++) {
        p[i].fd = fds[i].fd;
        p[i].events = (short)(((fds[i].events & TN_IO_READ) ? POLLIN : 0) | ((fds[i].events & TN_IO_WRITE) ? POLLOUT : 0));
        p[i].revents = 0;
    }
    if (extra >= 0) {
        p[n].fd = extra;
        p[n].events = POLLIN;
        p[n].revents = 0;
        n++;
    }
    return n;
}

// poll()'s timeout for the loop: tn_loop_timeout rounded up to ms.
static int timeout_ms(tn_loop *loop) {
    double t = tn_loop_timeout(loop);
    if (t < 0) return -1;
    double ms = t * 1000.0;
    return ms > 60000 ? 60000 : (int)ms + ((double)(int)ms < ms);
}

TEST(embed_fds_become_ready_when_a_handler_is) {
    tn_loop *loop = tt_loop_new();
    int p[2];
    CHECK(tt_socketpair(p) == 0);
    CHECK_OK(tn_loop_add_handler(loop, p[0], TN_IO_READ, nop_io, NULL));
    struct pollfd pf[MAX_FDS];
    int n = fill(loop, pf, -1);
    CHECK_INT(tt_poll(pf, n, 0), 0);  // nothing to do yet
    CHECK(send(p[1], "x", 1, 0) == 1);
    n = fill(loop, pf, -1);
    CHECK(tt_poll(pf, n, 0) >= 1);
    // A short array gets the count, and no more than its room.
    tn_loop_fd one[1] = {{-7, -7}};
    CHECK_INT(tn_loop_fds(loop, NULL, 0), n);
    CHECK_INT(tn_loop_fds(loop, one, 1), n);
    CHECK(one[0].fd >= 0 && one[0].events == TN_IO_READ);
    CHECK_OK(tn_loop_remove_handler(loop, p[0]));
    tt_sock_close(p[0]);
    tt_sock_close(p[1]);
    tn_loop_free(loop);
}

#endif

TEST(embed_fds_follow_the_handlers_with_poll_and_stay_with_epoll) {
    tn_loop *loop = tt_loop_new();
    if (!HAVE_FDS) {
        CHECK_INT(tn_loop_fds(loop, NULL, 0), TN_ENOTSUP);
        tn_loop_free(loop);
        return;
    }
    int p[2];
    CHECK(tt_socketpair(p) == 0);
    tn_loop_fd fds[MAX_FDS];
    int before = tn_loop_fds(loop, fds, MAX_FDS);
    CHECK_OK(tn_loop_add_handler(loop, p[1], TN_IO_WRITE, nop_io, NULL));
    int after = tn_loop_fds(loop, fds, MAX_FDS);
    bool listed = false;
    for (int i = 0; i < after; i++) listed |= fds[i].fd == p[1] && fds[i].events == TN_IO_WRITE;
    if (!strcmp(tn_loop_backend(), "poll") || !strcmp(tn_loop_backend(), "wsapoll")) {
        CHECK_INT(after, before + 1);
        CHECK(listed);
    } else {
        CHECK_INT(after, 1);  // the backend's descriptor stands for them all
        CHECK_INT(before, 1);
        CHECK(!listed);
    }
    tn_loop_remove_handler(loop, p[1]);
    CHECK_INT(tn_loop_fds(loop, fds, MAX_FDS), before);
    tt_sock_close(p[0]);
    tt_sock_close(p[1]);
    tn_loop_free(loop);
}

TEST(embed_timeout_says_when_the_loop_has_work) {
    tn_loop *loop = tt_loop_new();
    CHECK(tn_loop_timeout(loop) == -1);  // only fds could give it work
    tn_timeout t = tn_loop_call_later(loop, 3600, nop, NULL);
    double s = tn_loop_timeout(loop);
    CHECK(s > 3000 && s <= 3600);
    CHECK_OK(tn_loop_add_callback(loop, nop, NULL));
    CHECK(tn_loop_timeout(loop) == 0);
    CHECK_OK(tn_loop_run_once(loop, 0));
    CHECK(tn_loop_timeout(loop) > 3000);
    tn_loop_remove_timeout(loop, t);
    tn_loop_call_later(loop, 0, nop, NULL);
    CHECK(tn_loop_timeout(loop) == 0);
    CHECK_OK(tn_loop_run_once(loop, 0));
    CHECK(tn_loop_timeout(loop) == -1);
    tn_loop_free(loop);
}

#if HAVE_FDS
// ---- a request served by an app whose loop a poll() loop drives. The
// handler answers from a timer, so timers must be driven too.
static void answer_later(tn_loop *loop, void *arg) {
    (void)loop;
    tn_handler *h = (tn_handler *)arg;
    tn_write_str(h, "served inside poll()");
    tn_finish(h);
}
static void later_get(tn_handler *h) {
    tn_defer(h);
    tn_loop_call_later(tn_handler_loop(h), 0.05, answer_later, h);
}
static const tn_handler_class later_handler = {.get = later_get};

// A client on another thread: GET /, then the body (or "bad") to `out`.
typedef struct { pthread_t thread; int port, out; } client;
static void *client_main(void *arg) {
    client *c = (client *)arg;
    char buf[2048];
    const char *body = tt_get(c->port, "/", buf, sizeof buf);
    const char *say = body ? body : "bad";
    send(c->out, say, strlen(say), 0);
    return NULL;
}

TEST(embed_a_plain_poll_loop_serves_a_request) {
    tn_loop *loop = tt_loop_new();
    tn_app_desc ad = {0};
    tn_route routes[] = {{.pattern = "/", .handler = &later_handler}, {0}};
    ad.routes = routes;
    ad.no_access_log = true;
    tn_app *app = tn_app_new(loop, &ad);
    tn_bind_desc b = {0};
    b.host = "127.0.0.1";
    CHECK_OK(tn_app_listen_on(app, &b));
    int p[2];
    CHECK(tt_socketpair(p) == 0);
    client c = {.port = tn_app_port(app), .out = p[1]};
    CHECK(pthread_create(&c.thread, NULL, client_main, &c) == 0);
    // The foreign loop: its own fd (the client's socket) beside the loop's.
    char got[256] = "";
    int rounds = 0;
    for (;;) {
        struct pollfd pf[MAX_FDS + 1];
        int n = fill(loop, pf, p[0]);
        int ms = timeout_ms(loop);
        int r = tt_poll(pf, n, ms < 0 ? 10000 : ms);
        if (ms < 0 && r == 0) tt_fail(__FILE__, __LINE__, "stuck: no descriptor ready, no timeout");
        if (pf[n - 1].revents) {
            CHECK(recv(p[0], got, sizeof got - 1, 0) > 0);
            break;
        }
        CHECK_OK(tn_loop_run_once(loop, 0));
        CHECK(++rounds < 100000);
    }
    CHECK_STR(got, "served inside poll()");
    pthread_join(c.thread, NULL);
    tt_sock_close(p[0]);
    tt_sock_close(p[1]);
    tn_app_free(app);
    tn_loop_free(loop);
}

#if TN_ENABLE_THREADS
static void set_flag(tn_loop *loop, void *arg) {
    (void)loop;
    *(int *)arg = 1;
}
typedef struct {
    tn_loop *loop;
    int *flag;
} poke;
static void *poke_later(void *arg) {
    poke *k = (poke *)arg;
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    tn_loop_add_callback(k->loop, set_flag, k->flag);
    return NULL;
}

// Only the loop's descriptors can wake the foreign poll() here.
TEST(embed_a_callback_from_another_thread_wakes_the_foreign_poll) {
    tn_loop *loop = tt_loop_new();
    int flag = 0;
    poke k = {loop, &flag};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, poke_later, &k) == 0);
    while (!flag) {
        struct pollfd pf[MAX_FDS];
        int n = fill(loop, pf, -1);
        int ms = timeout_ms(loop);  // -1 until the callback is queued
        int r = tt_poll(pf, n, ms < 0 ? 10000 : ms);
        if (ms < 0 && r == 0) tt_fail(__FILE__, __LINE__, "the wake-up never made a descriptor ready");
        CHECK_OK(tn_loop_run_once(loop, 0));
    }
    pthread_join(t, NULL);
    tn_loop_free(loop);
}
#endif
#endif  // HAVE_FDS
