// The end-to-end harness of the WebSocket server's fuzz targets: an app on
// a loopback port, and one exchange per input: the bytes sent at once, the
// client's side shut, the loop run until the server has ended the
// connection (its on_close counted in ws_fuzz_closes). A server that never
// ends it aborts the run. Include after tornado.h, in one target.
#ifndef WS_HARNESS_H
#define WS_HARNESS_H
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int ws_fuzz_closes;
static tn_loop *ws_fuzz_loop;
static int ws_fuzz_port;

static void ws_fuzz_count_close(tn_ws *ws, int code, const char *reason) {
    (void)ws, (void)code, (void)reason;
    ws_fuzz_closes++;
}

// Starts the app serving `routes`, once.
static void ws_fuzz_setup(const tn_route *routes) {
    if (ws_fuzz_loop) return;
    tn_log_set_level(TN_LOG_NONE);
    ws_fuzz_loop = tn_loop_new(NULL);
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.routes = routes;
    d.no_access_log = true;
    tn_app *app = tn_app_new(ws_fuzz_loop, &d);
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.host = "127.0.0.1";
    if (!app || tn_app_listen_on(app, &b) != 0) abort();
    ws_fuzz_port = tn_app_port(app);
}

static void ws_fuzz_abort(const char *what) __attribute__((noreturn));
static void ws_fuzz_abort(const char *what) {
    fprintf(stderr, "ws_harness: %s: %s\n", what, strerror(errno));
    abort();
}

// A blocking connect that a signal interrupts (libFuzzer's SIGALRM, which
// checks -timeout every second) goes on in the kernel: wait for its end.
static int ws_fuzz_connected(int fd) {
    struct pollfd p = {fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    while (poll(&p, 1, -1) < 0)
        if (errno != EINTR) return 0;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return 0;
    errno = err;
    return err == 0;
}

// A connection to the app. At thousands of exchanges a second the server's
// side keeps tens of thousands of TIME_WAITs, and a connect whose port meets
// one of them may be refused: that is the machine, not a finding, so it is
// tried again.
static int ws_fuzz_connect(void) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)ws_fuzz_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int tries = 0; tries < 100; tries++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) ws_fuzz_abort("socket");
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 || (errno == EINTR && ws_fuzz_connected(fd))) return fd;
        int e = errno;
        close(fd);
        errno = e;
        if (e != ECONNREFUSED && e != EADDRNOTAVAIL && e != ECONNRESET) break;
        usleep(10000);
    }
    ws_fuzz_abort("connect");
}

// Sends `len` bytes (small enough for the socket buffers) and runs the loop,
// reading what comes back, until the server has closed the WebSocket.
static void ws_fuzz_exchange(const void *bytes, size_t len) {
    int fd = ws_fuzz_connect();
    if (send(fd, bytes, len, MSG_NOSIGNAL) != (ssize_t)len) ws_fuzz_abort("send");
    shutdown(fd, SHUT_WR);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    int before = ws_fuzz_closes;
    for (int i = 0; i < 10000 && ws_fuzz_closes == before; i++) {
        tn_loop_run_once(ws_fuzz_loop, 0.01);
        char buf[65536];
        while (recv(fd, buf, sizeof buf, 0) > 0) {
        }
    }
    if (ws_fuzz_closes == before) abort();  // the server must end every connection
    close(fd);
}
#endif
