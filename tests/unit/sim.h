// A server and its clients in one process, on a clock the test moves itself
// (tn_loop_desc.clock): timeouts are checked to the tick, without sleeping
// and whatever the machine's speed. Clients are non-blocking sockets,
// whose bytes are in the server's socket as soon as send() returns, so
// "run the loop until nothing is left to do" is well defined.
#ifndef TT_SIM_H
#define TT_SIM_H
#include "sock.h"
#if !defined(_WIN32)
#  include <sys/un.h>
#endif

static double sim_now = 1000.0;  // a binary fraction: ticks of 1/4 s add exactly
static __attribute__((unused)) double sim_clock(void *arg) {
    (void)arg;
    return sim_now;
}

static __attribute__((unused)) tn_loop *sim_loop_new(void) {
    tn_loop_desc d;
    memset(&d, 0, sizeof d);
    d.clock = sim_clock;
    tn_loop *loop = tn_loop_new(&d);
    if (!loop) tt_fail(__FILE__, __LINE__, "tn_loop_new failed");
    return loop;
}

// Runs every iteration there is work for at this instant (the clock stands still).
static __attribute__((unused)) void sim_settle(tn_loop *loop) {
    for (int i = 0; i < 12; i++) tn_loop_run_once(loop, 0);
}

// Moves the clock by dt and lets the loop catch up.
static __attribute__((unused)) void sim_advance(tn_loop *loop, double dt) {
    sim_now += dt;
    sim_settle(loop);
}

// The clients: Unix sockets on POSIX; on Windows (where wine has no AF_UNIX)
// loopback TCP without Nagle delay, whose bytes are as promptly there.
#if defined(_WIN32)
static int sim_port;  // the server's port on 127.0.0.1

// An HTTP server on 127.0.0.1 (desc->request_cb must be set).
static __attribute__((unused)) tn_http_server *sim_http_server(tn_loop *loop, const tn_http_server_desc *desc) {
    tn_http_server *srv = tn_http_server_new(loop, desc);
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.host = "127.0.0.1";
    if (!srv || tn_http_server_listen(srv, &b) != 0) tt_fail(__FILE__, __LINE__, "the server did not start");
    sim_port = tn_http_server_port(srv);
    return srv;
}

// The application listens where sim_connect connects.
static __attribute__((unused)) void sim_app_listen(tn_app *app) {
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.host = "127.0.0.1";
    if (!app || tn_app_listen_on(app, &b) != 0) tt_fail(__FILE__, __LINE__, "the app did not start");
    sim_port = tn_app_port(app);
}

// Frees the loop (and with it the server).
static __attribute__((unused)) void sim_done(tn_loop *loop) { tn_loop_free(loop); }

// True if a connection is refused: nobody listens any more.
static __attribute__((unused)) bool sim_refused(void) {
    int fd = (int)socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = tt_loopback(sim_port);
    bool no = connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && WSAGetLastError() == WSAECONNREFUSED;
    tt_sock_close(fd);
    return no;
}

static __attribute__((unused)) int sim_connect(void) {
    int fd = tt_connect(sim_port);
    tt_sock_nonblock(fd);
    return fd;
}
#else
// A socket path unique to this test process.
static __attribute__((unused)) const char *sim_path(void) {
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/tn-sim-%d.sock", (int)getpid());
    return path;
}

// An HTTP server on sim_path() (desc->request_cb must be set).
static __attribute__((unused)) tn_http_server *sim_http_server(tn_loop *loop, const tn_http_server_desc *desc) {
    tn_http_server *srv = tn_http_server_new(loop, desc);
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.unix_path = sim_path();
    if (!srv || tn_http_server_listen(srv, &b) != 0) tt_fail(__FILE__, __LINE__, "the server did not start");
    return srv;
}

// The application listens where sim_connect connects.
static __attribute__((unused)) void sim_app_listen(tn_app *app) {
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.unix_path = sim_path();
    if (!app || tn_app_listen_on(app, &b) != 0) tt_fail(__FILE__, __LINE__, "the app did not start");
}

// Frees the loop (and with it the server) and the socket file.
static __attribute__((unused)) void sim_done(tn_loop *loop) {
    tn_loop_free(loop);
    unlink(sim_path());
}

static __attribute__((unused)) struct sockaddr_un sim_addr(void) {
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sim_path());
    return a;
}

static __attribute__((unused)) int sim_connect(void) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = sim_addr();
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) tt_fail(__FILE__, __LINE__, "connect: %s", strerror(errno));
    return fd;
}

// True if a connection is refused: nobody listens any more.
static __attribute__((unused)) bool sim_refused(void) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = sim_addr();
    bool no = connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno == ECONNREFUSED;
    close(fd);
    return no;
}
#endif

static __attribute__((unused)) void sim_send(int fd, const char *s, size_t n) {
    if (send(fd, s, n, MSG_NOSIGNAL) != (ssize_t)n) tt_fail(__FILE__, __LINE__, "send: %s", tt_sock_error());
}

// Reads what is there into *got (may be NULL); true once the server closed.
static __attribute__((unused)) bool sim_drain(int fd, tn_buf *got) {
    char b[65536];
    for (;;) {
        ssize_t n = tt_recv_nowait(fd, b, sizeof b);
        if (n > 0 && got) tn_buf_append(got, b, (size_t)n);
        if (n > 0) continue;
        return n == 0 || !tt_sock_would_block();
    }
}
#endif
