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
