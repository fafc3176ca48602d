// A server in a child process, for tests that talk to it over real sockets
// with plain blocking calls. The child builds an application with the
// caller's function, serves it on 127.0.0.1 (an ephemeral port), and at
// SIGTERM stops and exits 0 only if the library freed everything (5 if not).
// It dies with its test, so a failing test never leaves a server behind.
#ifndef TT_CHILD_SERVER_H
#define TT_CHILD_SERVER_H
#include "test.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct { pid_t pid; int port; } tt_server;
// Builds the application on the child's loop; NULL fails the start.
typedef tn_app *(*tt_app_fn)(tn_loop *loop, void *arg);

static __attribute__((unused)) void tt_server_main(int port_fd, tt_app_fn make_app, void *arg) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    tn_log_set_level(TN_LOG_NONE);
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = make_app(loop, arg);
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.host = "127.0.0.1";
    if (!app || tn_app_listen_on(app, &b) != 0) _exit(3);
    int port = tn_app_port(app);
    if (write(port_fd, &port, sizeof port) != sizeof port) _exit(4);
    close(port_fd);
    tn_loop_stop_on_signals(loop);
    tn_loop_start(loop);
    tn_loop_free(loop);
    _exit(tn_mem_get_stats().live == 0 ? 0 : 5);
}

static __attribute__((unused)) tt_server tt_server_start(tt_app_fn make_app, void *arg) {
    int p[2];
    if (pipe(p) != 0) tt_fail(__FILE__, __LINE__, "pipe");
    tt_server s;
    s.pid = fork();
    if (s.pid == 0) {
        close(p[0]);
        tt_server_main(p[1], make_app, arg);
    }
    close(p[1]);
    if (read(p[0], &s.port, sizeof s.port) != sizeof s.port) tt_fail(__FILE__, __LINE__, "server did not start");
    close(p[0]);
    return s;
}

// Stops the server; it must exit cleanly, having freed everything.
static __attribute__((unused)) void tt_server_stop(tt_server s) {
    int st = 0;
    kill(s.pid, SIGTERM);
    waitpid(s.pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        tt_fail(__FILE__, __LINE__, "server exit status %d (5: leaked memory)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

// A blocking connection with a 5 s receive timeout and no Nagle delay.
static __attribute__((unused)) int tt_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) tt_fail(__FILE__, __LINE__, "connect");
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

// Sends everything, or stops quietly if the server closed (what it said
// before is still read afterwards).
static __attribute__((unused)) void tt_send_all(int fd, const void *data, size_t n) {
    const char *p = (const char *)data;
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

static __attribute__((unused)) void tt_send_str(int fd, const char *s) { tt_send_all(fd, s, strlen(s)); }

// GET `path` on a new connection (Connection: close), the whole answer into
// buf (NUL-terminated). Returns the body, or NULL unless the status was 200.
static __attribute__((unused)) const char *tt_get(int port, const char *path, char *buf, size_t cap) {
    int fd = tt_connect(port);
    char req[512];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    tt_send_str(fd, req);
    size_t n = 0;
    ssize_t r;
    while (n < cap - 1 && (r = recv(fd, buf + n, cap - 1 - n, 0)) > 0) n += (size_t)r;
    buf[n] = 0;
    close(fd);
    const char *body = strstr(buf, "\r\n\r\n");
    return strncmp(buf, "HTTP/1.1 200", 12) == 0 && body ? body + 4 : NULL;
}
#endif
