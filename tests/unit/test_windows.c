// What only Windows has (built by the windows configuration, under wine):
// no fork, Winsock's errors mapped to TN_E*, the loop woken through its
// loopback socket pair from another thread. Elsewhere this file is empty.
#include "test.h"

#if defined(_WIN32)
#include <pthread.h>

TEST(windows_process_fork_is_not_supported) { CHECK_INT(tn_process_fork(NULL), TN_ENOTSUP); }

static void refused_server_stream(tn_tcp_server *srv, tn_stream *s, void *arg) {
    (void)srv;
    (void)arg;
    tn_stream_close(s);
}

static int refused_status, refused_done;
static void refused_cb(tn_loop *loop, int status, tn_stream *s, void *arg) {
    (void)loop;
    (void)arg;
    if (s) tn_stream_close(s);
    refused_status = status;
    refused_done = 1;
}

// WSAECONNREFUSED arrives as the socket's SO_ERROR: TN_ECONNREFUSED.
TEST(windows_connect_refused_is_tn_econnrefused) {
    tn_loop *loop = tt_loop_new();
    tn_tcp_server_desc d = {.handle_stream = refused_server_stream};
    tn_tcp_server *srv = tn_tcp_server_new(loop, &d);
    tn_bind_desc b = {.host = "127.0.0.1"};
    CHECK_OK(tn_tcp_server_listen(srv, &b));
    int port = tn_tcp_server_port(srv);
    tn_tcp_server_stop(srv);  // nothing listens there now
    tn_connect_desc c = {.host = "127.0.0.1", .port = port};
    CHECK_OK(tn_tcp_connect(loop, &c, refused_cb, NULL));
    tt_run_until(loop, &refused_done);
    CHECK_INT(refused_status, TN_ECONNREFUSED);
    tn_loop_free(loop);
}

static int woken;
static void on_woken(tn_loop *loop, void *arg) {
    (void)loop;
    (void)arg;
    woken = 1;
}

static void *wake_from_thread(void *arg) {
    tn_loop_add_callback((tn_loop *)arg, on_woken, NULL);
    return NULL;
}

// The loop sleeps in WSAPoll; a callback from another thread wakes it.
TEST(windows_add_callback_from_a_thread_wakes_the_loop) {
    tn_loop *loop = tt_loop_new();
    CHECK_STR(tn_loop_backend(), "wsapoll");
    pthread_t t;
    CHECK(pthread_create(&t, NULL, wake_from_thread, loop) == 0);
    tt_run_until(loop, &woken);
    pthread_join(t, NULL);
    tn_loop_free(loop);
}
#else
typedef int tt_windows_only;  // ISO C wants a declaration in every file
#endif
