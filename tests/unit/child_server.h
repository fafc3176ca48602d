// A server beside the test, for tests that talk to it over real sockets with
// plain blocking calls: it builds an application with the caller's function on
// a loop of its own, serves it on 127.0.0.1 (an ephemeral port), and must have
// freed everything once stopped. A child process on POSIX, a thread on Windows.
#ifndef TT_CHILD_SERVER_H
#define TT_CHILD_SERVER_H
#include "sock.h"
#include <stdint.h>
#include <stdlib.h>
#if defined(_WIN32)
#  include <pthread.h>
#else
#  include <signal.h>
#  include <sys/prctl.h>
#  include <sys/wait.h>
#endif

// Builds the application on the server's loop; NULL fails the start.
typedef tn_app *(*tt_app_fn)(tn_loop *loop, void *arg);

// Starts the loop and the application on 127.0.0.1 (an ephemeral port) and
// returns the port, or exits with 3 if the application did not start.
static __attribute__((unused)) int tt_server_listen(tn_loop *loop, tt_app_fn make_app, void *arg) {
    tn_app *app = make_app(loop, arg);
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.host = "127.0.0.1";
    if (!app || tn_app_listen_on(app, &b) != 0) _exit(3);
    return tn_app_port(app);
}

#if defined(_WIN32)
// Windows has no fork: the server runs on a thread of its own, with its own
// loop, whose allocator counts its blocks (the process-wide counters would
// also count the test's). The thread returns 5 if that count is not back to
// zero once the loop is freed.
typedef struct tt_server_state {
    tt_app_fn make_app;
    void *arg;
    tn_loop *loop;
    int port;  // 0 until the server listens
    long long blocks;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} tt_server_state;
typedef struct { pthread_t thread; tt_server_state *st; int port; } tt_server;

static __attribute__((unused)) void *tt_server_alloc(size_t n, void *arg) {
    void *p = malloc(n);
    if (p) __atomic_add_fetch(&((tt_server_state *)arg)->blocks, 1, __ATOMIC_RELAXED);
    return p;
}

static __attribute__((unused)) void tt_server_free(void *p, void *arg) {
    if (p) __atomic_sub_fetch(&((tt_server_state *)arg)->blocks, 1, __ATOMIC_RELAXED);
    free(p);
}

static __attribute__((unused)) void *tt_server_main(void *arg) {
    tt_server_state *st = (tt_server_state *)arg;
    tn_loop_desc d;
    memset(&d, 0, sizeof d);
    d.allocator.alloc_cb = tt_server_alloc;
    d.allocator.free_cb = tt_server_free;
    d.allocator.user_data = st;
    tn_loop *loop = tn_loop_new(&d);
    int port = tt_server_listen(loop, st->make_app, st->arg);
    pthread_mutex_lock(&st->mu);
    st->loop = loop;
    st->port = port;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
    tn_loop_start(loop);
    tn_loop_free(loop);
    return (void *)(intptr_t)(st->blocks == 0 ? 0 : 5);
}

static __attribute__((unused)) tt_server tt_server_start(tt_app_fn make_app, void *arg) {
    tn_log_set_level(TN_LOG_NONE);  // process-wide here: the test's lines go too
    tt_server s;
    s.st = (tt_server_state *)calloc(1, sizeof *s.st);
    s.st->make_app = make_app;
    s.st->arg = arg;
    pthread_mutex_init(&s.st->mu, NULL);
    pthread_cond_init(&s.st->cv, NULL);
    if (pthread_create(&s.thread, NULL, tt_server_main, s.st) != 0) tt_fail(__FILE__, __LINE__, "server thread");
    pthread_mutex_lock(&s.st->mu);
    while (!s.st->port) pthread_cond_wait(&s.st->cv, &s.st->mu);
    pthread_mutex_unlock(&s.st->mu);
    s.port = s.st->port;
    return s;
}

static __attribute__((unused)) void tt_server_drain(tn_loop *loop, void *arg) {
    (void)arg;
    tn_loop_drain(loop);
}

// Drains the server as SIGTERM does elsewhere; it must have freed everything.
static __attribute__((unused)) void tt_server_stop(tt_server s) {
    void *rc = NULL;
    tn_loop_add_callback(s.st->loop, tt_server_drain, NULL);
    pthread_join(s.thread, &rc);
    pthread_mutex_destroy(&s.st->mu);
    pthread_cond_destroy(&s.st->cv);
    free(s.st);
    if (rc) tt_fail(__FILE__, __LINE__, "server exit status %d (5: leaked memory)", (int)(intptr_t)rc);
}
#else
// On POSIX the server is a child process: it dies with its test, so a
// failing test never leaves a server behind, and SIGTERM drains it; it
// exits 0 only if the library freed everything (5 if not).
typedef struct { pid_t pid; int port; } tt_server;

static __attribute__((unused)) void tt_server_main(int port_fd, tt_app_fn make_app, void *arg) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    tn_log_set_level(TN_LOG_NONE);
    tn_loop *loop = tn_loop_new(NULL);
    int port = tt_server_listen(loop, make_app, arg);
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
#endif

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
    tt_sock_close(fd);
    const char *body = strstr(buf, "\r\n\r\n");
    return strncmp(buf, "HTTP/1.1 200", 12) == 0 && body ? body + 4 : NULL;
}
#endif
