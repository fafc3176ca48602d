// Streams: writes of lent memory (tn_stream_write_ref) and write_timeout.
#include "sim.h"
#include <stdlib.h>

typedef struct {
    int released[8];
    int order[8];
    size_t queued[8];  // the stream's queued bytes when each was given back
    int n;
} lend_log;
static lend_log lg;
static char lent_a[3 << 20], lent_b[20000];
static tn_stream *lender;

static void rel(void *arg) {
    int i = (int)(intptr_t)arg;
    lg.released[i]++;
    lg.queued[i] = lender ? tn_stream_write_buffer_size(lender) : 0;
    lg.order[lg.n++] = i;
}

// Lent pieces go out in order with the copied writes around them, each is
// given back exactly once (never inside the call), after its bytes left.
TEST(stream_lent_memory_goes_out_in_order_and_is_given_back_once) {
    memset(&lg, 0, sizeof lg);
    for (size_t i = 0; i < sizeof lent_a; i++) lent_a[i] = (char)(i * 7);
    memset(lent_b, 'b', sizeof lent_b);
    tn_loop *loop = tt_loop_new();
    int sv[2];
    CHECK(tt_socketpair(sv) == 0);
    tn_stream *s = lender = tn_stream_new(loop, sv[0], NULL);
    CHECK_OK(tn_stream_write(s, "A", 1, NULL, NULL));
    CHECK_OK(tn_stream_write_ref(s, lent_a, sizeof lent_a, rel, (void *)(intptr_t)0));
    CHECK_OK(tn_stream_write(s, "B", 1, NULL, NULL));
    CHECK_OK(tn_stream_write_ref(s, lent_b, sizeof lent_b, rel, (void *)(intptr_t)1));
    CHECK_OK(tn_stream_write_ref(s, "", 0, rel, (void *)(intptr_t)2));
    CHECK_OK(tn_stream_write(s, "C", 1, NULL, NULL));
    CHECK_INT(lg.n, 0);  // never inside the call
    CHECK(tn_stream_write_buffer_size(s) > sizeof lent_b);  // the socket cannot take 3 MiB at once
    size_t want = 3 + sizeof lent_a + sizeof lent_b, got = 0;
    char *buf = (char *)malloc(want);
    while (got < want || lg.n < 3) {
        CHECK_OK(tn_loop_run_once(loop, 0));
        ssize_t r = tt_recv_nowait(sv[1], buf + got, want - got);
        if (r > 0) got += (size_t)r;
    }
    CHECK(buf[0] == 'A' && memcmp(buf + 1, lent_a, sizeof lent_a) == 0 && buf[1 + sizeof lent_a] == 'B');
    CHECK(memcmp(buf + 2 + sizeof lent_a, lent_b, sizeof lent_b) == 0 && buf[want - 1] == 'C');
    for (int i = 0; i < 3; i++) CHECK_INT(lg.released[i], 1);
    for (int i = 0; i < 3; i++) CHECK_INT(lg.order[i], i);
    CHECK(lg.queued[0] <= 2 + sizeof lent_b);  // only what follows it was left
    CHECK(lg.queued[1] <= 1);
    lender = NULL;
    CHECK_INT(tn_stream_write_buffer_size(s), 0);
    // Closed: given back at once, before the call returns.
    tn_stream_close(s);
    CHECK_INT(tn_stream_write_ref(s, lent_b, 10, rel, (void *)(intptr_t)3), TN_ECLOSED);
    CHECK_INT(lg.released[3], 1);
    free(buf);
    tt_sock_close(sv[1]);
    tn_loop_free(loop);
}

// Lent memory still queued when the loop is freed is given back too.
TEST(stream_lent_memory_pending_at_loop_free_is_given_back) {
    memset(&lg, 0, sizeof lg);
    tn_loop *loop = tt_loop_new();
    int sv[2];
    CHECK(tt_socketpair(sv) == 0);
    tn_stream *s = tn_stream_new(loop, sv[0], NULL);
    CHECK_OK(tn_stream_write_ref(s, lent_a, sizeof lent_a, rel, (void *)(intptr_t)0));  // more than the socket takes
    CHECK_OK(tn_stream_write_ref(s, lent_b, sizeof lent_b, rel, (void *)(intptr_t)1));
    tn_loop_free(loop);
    CHECK_INT(lg.released[0], 1);
    CHECK_INT(lg.released[1], 1);
    tt_sock_close(sv[1]);
}

static int closed_with = 1;
static void on_closed(tn_stream *s, int reason, void *arg) {
    (void)s, (void)arg;
    closed_with = reason;
}

// write_timeout counts from the last byte the kernel took: a peer that
// reads now and then keeps the stream, one that stops loses it, exactly
// write_timeout later (on the test's clock).
TEST(stream_write_timeout_counts_from_the_last_progress) {
    tn_loop *loop = sim_loop_new();
    int sv[2];
    CHECK(tt_socketpair(sv) == 0);
    tn_stream_desc d;
    memset(&d, 0, sizeof d);
    d.write_timeout = 4;
    tn_stream *s = tn_stream_new(loop, sv[0], &d);
    tn_stream_set_close_callback(s, on_closed, NULL);
    CHECK_OK(tn_stream_write_ref(s, lent_a, sizeof lent_a, rel, (void *)(intptr_t)0));
    sim_settle(loop);
    double last = sim_now;
    static char sink[200000];
    // Every 3 s the peer reads what is there (all of it: a loopback TCP
    // pair, as on Windows, may not reopen its window for less): never 4 s
    // without progress.
    for (int i = 0; i < 6; i++) {
        sim_advance(loop, 3);
        CHECK(closed_with == 1);
        CHECK(tt_recv_nowait(sv[1], sink, sizeof sink) > 0);
        while (tt_recv_nowait(sv[1], sink, sizeof sink) > 0) continue;
        sim_settle(loop);
        last = sim_now;
    }
    // The kernel may still take bytes a little later (loopback TCP opens its
    // window when it acknowledges): that is progress too.
    size_t left = tn_stream_write_buffer_size(s);
    while (closed_with == 1 && sim_now < last + 20) {
        sim_advance(loop, 0.25);
        if (closed_with == 1 && tn_stream_write_buffer_size(s) < left) {
            left = tn_stream_write_buffer_size(s);
            last = sim_now;
        }
    }
    CHECK_INT(closed_with, TN_ETIMEDOUT);
    CHECK(sim_now == last + 4);
    tt_sock_close(sv[1]);
    tn_loop_free(loop);
}
