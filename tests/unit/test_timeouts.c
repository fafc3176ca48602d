// The HTTP server's timeouts on a clock the test moves (sim.h): each
// connection is cut off exactly when its deadline comes, however the others
// come and go around it (issue 10, item 1).
#include "sim.h"

static void echo_cb(tn_handler *h) { tn_write(h, h->request.body.ptr, h->request.body.len); }

static tn_http_server *sim_server(tn_loop *loop, double idle, double header, double body) {
    tn_http_server_desc d;
    memset(&d, 0, sizeof d);
    d.request_cb = echo_cb;
    d.idle_connection_timeout = idle;
    d.header_timeout = header;
    d.body_timeout = body;
    return sim_http_server(loop, &d);
}

// The scenario: A opens and leaves; B, opened later, trickles its
// head one byte a second. B must go at its own deadline, not live forever
// because the list's timer was still set for A.
TEST(timeouts_a_slowloris_after_an_early_leaver_is_cut_at_its_deadline) {
    tn_loop *loop = sim_loop_new();
    sim_server(loop, 60, 10, 60);
    double t0 = sim_now;
    int a = sim_connect();
    sim_advance(loop, 1);
    tt_sock_close(a);
    sim_advance(loop, 1);
    int b = sim_connect();
    sim_settle(loop);
    while (sim_now < t0 + 40) {
        sim_send(b, "G", 1);
        sim_advance(loop, 1);
        if (sim_drain(b, NULL)) break;
    }
    CHECK(sim_now == t0 + 2 + 10);  // B's head was due 10 s after it connected
    tt_sock_close(b);
    sim_done(loop);
}

enum { C_HEAD, C_IDLE, C_BODY, C_GONE };
typedef struct {
    int fd, state;
    double deadline;
    int body_left;     // C_BODY: bytes of the body still to send
    int answers_due;   // responses the server owes so far
    tn_buf got;
} client;

static int count_answers(const tn_buf *b) {
    int n = 0;
    for (const char *p = b->data; p && (p = strstr(p, "HTTP/1.1 200 OK")) != NULL; p++) n++;
    return n;
}

// The same dice on every libc (musl's rand() is not glibc's).
static uint32_t dice_state = 12345;
static int roll(int n) {
    dice_state = dice_state * 1103515245u + 12345u;
    return (int)((dice_state >> 16) % (uint32_t)n);
}

// Sends the start of a GET or a POST (with a 16-byte body to come) whose
// head goes on until the test ends it.
static void start_request(client *c) {
    const char *start = roll(2) ? "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: "
                                   : "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\nX-Pad: ";
    sim_send(c->fd, start, strlen(start));
    c->state = C_HEAD;
    c->deadline = sim_now + 10;  // header_timeout, from the first byte (or the accept)
    c->body_left = start[0] == 'P' ? 16 : 0;
}

// Many connections join and leave the idle, header and body lists in random
// order: by finishing a head or a body, by starting a request, or by
// hanging up. Every one that stays is cut off exactly at its deadline.
TEST(timeouts_many_connections_joining_and_leaving_each_list_are_cut_exactly_on_time) {
    const double tick = 0.25, idle_t = 7, head_t = 10, body_t = 5;
    enum { MAX = 400 };
    static client cs[MAX];
    int opened = 0, cut = 0, left = 0, answered = 0;
    tn_loop *loop = sim_loop_new();
    sim_server(loop, idle_t, head_t, body_t);
    double end = sim_now + 120;
    while (sim_now < end) {
        sim_now += tick;
        for (int k = roll(4); k > 0 && opened < MAX && sim_now < end - 20; k--) {
            client *c = &cs[opened++];
            memset(c, 0, sizeof *c);
            c->fd = sim_connect();
            start_request(c);
        }
        for (int i = 0; i < opened; i++) {
            client *c = &cs[i];
            if (c->state == C_GONE || c->deadline <= sim_now) continue;  // no moves at the deadline itself
            int dice = roll(100);
            if (dice < 1) {  // hangs up
                tt_sock_close(c->fd);
                tn_buf_free(&c->got);
                c->state = C_GONE;
                left++;
            } else if (c->state == C_HEAD && dice < 12) {  // the head ends
                sim_send(c->fd, "\r\n\r\n", 4);
                if (c->body_left) {
                    c->state = C_BODY;
                    c->deadline = sim_now + body_t;
                } else {
                    c->state = C_IDLE;
                    c->deadline = sim_now + idle_t;
                    c->answers_due++;
                }
            } else if (c->state == C_HEAD) {
                sim_send(c->fd, "a", 1);  // the head goes on, slowly
            } else if (c->state == C_BODY && dice < 50) {
                sim_send(c->fd, "b", 1);
                if (--c->body_left == 0) {
                    c->state = C_IDLE;
                    c->deadline = sim_now + idle_t;
                    c->answers_due++;
                }
            } else if (c->state == C_IDLE && dice < 10) {
                start_request(c);
            }
        }
        sim_settle(loop);
        for (int i = 0; i < opened; i++) {
            client *c = &cs[i];
            if (c->state == C_GONE) continue;
            bool closed = sim_drain(c->fd, &c->got);
            if (closed != (sim_now >= c->deadline))
                tt_fail(__FILE__, __LINE__, "connection %d (state %d): %s at t=%.2f, its deadline is t=%.2f", i,
                        c->state, closed ? "cut off" : "still open", sim_now - 1000, c->deadline - 1000);
            CHECK_INT(count_answers(&c->got), c->answers_due);
            if (closed) {
                answered += c->answers_due;
                tt_sock_close(c->fd);
                tn_buf_free(&c->got);
                c->state = C_GONE;
                cut++;
            }
        }
    }
    CHECK_INT(cut + left, opened);  // everyone went, one way or the other
    printf("  %d connections: %d cut off, %d hung up, %d requests answered\n", opened, cut, left, answered);
    CHECK(cut > 100 && left > 20 && answered > 100);  // and the mix was rich
    sim_done(loop);
}

static void sim_fired(tn_loop *loop, void *arg) {
    (void)loop;
    (*(int *)arg)++;
}

// The loop's clock hook: timers and periodic callbacks follow the test's
// time, not the wall clock's.
TEST(loop_clock_hook_drives_timers_and_periodic_callbacks) {
    tn_loop *loop = sim_loop_new();
    double t0 = sim_now;
    CHECK(tn_loop_time(loop) == t0);
    int once = 0, ticks = 0;
    tn_loop_call_later(loop, 5, sim_fired, &once);
    tn_periodic_desc pd;
    memset(&pd, 0, sizeof pd);
    pd.interval = 2;
    pd.cb = sim_fired;
    pd.user_data = &ticks;
    tn_periodic *p = tn_periodic_new(loop, &pd);
    tn_periodic_start(p);
    for (int i = 1; i <= 40; i++) {  // 10 s in quarter seconds
        sim_advance(loop, 0.25);
        CHECK(tn_loop_time(loop) == sim_now);
        CHECK_INT(once, sim_now >= t0 + 5 ? 1 : 0);
        CHECK_INT(ticks, (int)((sim_now - t0) / 2));
    }
    tn_loop_free(loop);
}
