// tornado.locks in callback style: Condition, Event, Semaphore (and Lock).
#include "sim.h"

typedef struct { int order[16]; int n; int status[16]; } wait_log;
typedef struct { wait_log *log; int id; } wait_arg;

static void on_wait(tn_loop *loop, int status, void *arg) {
    wait_arg *a = (wait_arg *)arg;
    (void)loop;
    a->log->status[a->log->n] = status;
    a->log->order[a->log->n++] = a->id;
}

static void spin(tn_loop *loop, int n) {
    for (int i = 0; i < n; i++) CHECK_OK(tn_loop_run_once(loop, 0));
}

// On the test's clock: waiter 4's timeout must not fall due before the
// first notify is delivered, however slow the machine.
TEST(condition_notify_n_in_order_then_all_timeouts_and_cancel) {
    tn_loop *loop = sim_loop_new();
    tn_condition *c = tn_condition_new(loop);
    wait_log log = {{0}, 0, {0}};
    wait_arg a[5];
    tn_waiter *w[5];
    for (int i = 0; i < 5; i++) {
        a[i].log = &log;
        a[i].id = i;
        w[i] = tn_condition_wait(c, i == 4 ? 0.05 : 0, on_wait, &a[i]);
        CHECK(w[i] != NULL);
    }
    CHECK_INT(tn_condition_waiters(c), 5);
    CHECK(tn_waiter_cancel(w[1]));  // dropped: never called
    tn_condition_notify(c, 2);
    CHECK_INT(log.n, 0);  // never inside the call
    spin(loop, 1);
    CHECK_INT(log.n, 2);
    CHECK_INT(log.order[0], 0);
    CHECK_INT(log.order[1], 2);
    CHECK_INT(log.status[0], 0);
    sim_advance(loop, 0.25);  // waiter 4 times out
    CHECK_INT(log.n, 3);
    CHECK_INT(log.order[2], 4);
    CHECK_INT(log.status[2], TN_ETIMEDOUT);
    tn_condition_notify_all(c);
    spin(loop, 1);
    CHECK_INT(log.n, 4);
    CHECK_INT(log.order[3], 3);
    CHECK_INT(tn_condition_waiters(c), 0);
    // freed with a waiter pending: it learns so
    tn_condition_wait(c, 0, on_wait, &a[0]);
    tn_condition_free(c);
    spin(loop, 1);
    CHECK_INT(log.n, 5);
    CHECK_INT(log.status[4], TN_ECANCELED);
    tn_loop_free(loop);
}

TEST(condition_cancel_after_notify_but_before_delivery_drops_the_callback) {
    tn_loop *loop = tt_loop_new();
    tn_condition *c = tn_condition_new(loop);
    wait_log log = {{0}, 0, {0}};
    wait_arg a = {&log, 7};
    tn_waiter *w = tn_condition_wait(c, 10, on_wait, &a);
    tn_condition_notify(c, 1);
    CHECK(tn_waiter_cancel(w));  // the client left in the same iteration
    spin(loop, 2);
    CHECK_INT(log.n, 0);
    tn_condition_free(c);
    tn_loop_free(loop);
}

TEST(event_wait_set_clear) {
    tn_loop *loop = tt_loop_new();
    tn_event *e = tn_event_new(loop);
    wait_log log = {{0}, 0, {0}};
    wait_arg a = {&log, 1}, b = {&log, 2}, c = {&log, 3};
    CHECK(!tn_event_is_set(e));
    tn_event_wait(e, 0, on_wait, &a);
    tn_event_wait(e, 0, on_wait, &b);
    spin(loop, 2);
    CHECK_INT(log.n, 0);
    tn_event_set(e);
    spin(loop, 1);
    CHECK_INT(log.n, 2);
    tn_event_wait(e, 0, on_wait, &c);  // already set: next iteration
    CHECK_INT(log.n, 2);
    spin(loop, 1);
    CHECK_INT(log.n, 3);
    tn_event_clear(e);
    tn_event_wait(e, 0.02, on_wait, &a);
    while (log.n < 4) CHECK_OK(tn_loop_run_once(loop, 1));
    CHECK_INT(log.status[3], TN_ETIMEDOUT);
    tn_event_free(e);
    tn_loop_free(loop);
}

TEST(semaphore_permits_fifo_release_timeout_and_a_dropped_grant) {
    tn_loop *loop = tt_loop_new();
    tn_semaphore *s = tn_semaphore_new(loop, 2);
    wait_log log = {{0}, 0, {0}};
    wait_arg a[4] = {{&log, 0}, {&log, 1}, {&log, 2}, {&log, 3}};
    tn_semaphore_acquire(s, 0, on_wait, &a[0]);
    tn_semaphore_acquire(s, 0, on_wait, &a[1]);
    tn_semaphore_acquire(s, 0, on_wait, &a[2]);
    CHECK_INT(tn_semaphore_value(s), 0);
    spin(loop, 1);
    CHECK_INT(log.n, 2);  // the third waits
    tn_semaphore_release(s);
    spin(loop, 1);
    CHECK_INT(log.n, 3);
    CHECK_INT(log.order[2], 2);
    tn_semaphore_acquire(s, 0.02, on_wait, &a[3]);  // none free: times out
    while (log.n < 4) CHECK_OK(tn_loop_run_once(loop, 1));
    CHECK_INT(log.status[3], TN_ETIMEDOUT);
    tn_semaphore_release(s);
    tn_semaphore_release(s);
    CHECK_INT(tn_semaphore_value(s), 2);
    // A permit granted but dropped before delivery comes back.
    tn_waiter *w = tn_semaphore_acquire(s, 0, on_wait, &a[0]);
    CHECK_INT(tn_semaphore_value(s), 1);
    CHECK(tn_waiter_cancel(w));
    spin(loop, 1);
    CHECK_INT(tn_semaphore_value(s), 2);
    CHECK_INT(log.n, 4);
    tn_semaphore_free(s);
    tn_loop_free(loop);
}

TEST(lock_is_a_semaphore_of_one) {
    tn_loop *loop = tt_loop_new();
    tn_semaphore *lock = tn_semaphore_new(loop, 1);
    wait_log log = {{0}, 0, {0}};
    wait_arg a = {&log, 1}, b = {&log, 2};
    tn_semaphore_acquire(lock, 0, on_wait, &a);
    tn_semaphore_acquire(lock, 0, on_wait, &b);
    spin(loop, 2);
    CHECK_INT(log.n, 1);  // the second holder waits for the first
    tn_semaphore_release(lock);
    spin(loop, 1);
    CHECK_INT(log.n, 2);
    CHECK_INT(log.order[1], 2);
    tn_semaphore_release(lock);
    tn_semaphore_free(lock);
    tn_loop_free(loop);
}

typedef struct { int n; int status[16]; intptr_t item[16]; } get_log;
static void on_get(tn_loop *loop, int status, void *item, void *arg) {
    get_log *g = (get_log *)arg;
    (void)loop;
    g->status[g->n] = status;
    g->item[g->n++] = (intptr_t)item;
}

TEST(queue_fifo_maxsize_waiting_putters_getters_and_join) {
    tn_loop *loop = tt_loop_new();
    tn_queue *q = tn_queue_new(loop, 2);
    get_log g = {0, {0}, {0}};
    wait_log puts = {{0}, 0, {0}};
    wait_arg pa[3] = {{&puts, 1}, {&puts, 2}, {&puts, 3}};
    CHECK_OK(tn_queue_put_nowait(q, (void *)1));
    CHECK_OK(tn_queue_put_nowait(q, (void *)2));
    CHECK_INT(tn_queue_put_nowait(q, (void *)3), TN_EAGAIN);  // full
    tn_queue_put(q, (void *)3, 0, on_wait, &pa[2]);          // waits for room
    spin(loop, 1);
    CHECK_INT(puts.n, 0);
    void *it = NULL;
    CHECK_OK(tn_queue_get_nowait(q, &it));
    CHECK(it == (void *)1);
    spin(loop, 1);
    CHECK_INT(puts.n, 1);  // room made: the waiting put went in
    CHECK_INT(tn_queue_size(q), 2);
    tn_queue_get(q, 0, on_get, &g);
    tn_queue_get(q, 0, on_get, &g);
    tn_queue_get(q, 0.02, on_get, &g);  // nothing for the third: times out
    while (g.n < 3) CHECK_OK(tn_loop_run_once(loop, 1));
    CHECK_INT(g.item[0], 2);
    CHECK_INT(g.item[1], 3);
    CHECK_INT(g.status[2], TN_ETIMEDOUT);
    // a getter waiting when an item arrives gets it directly
    tn_queue_get(q, 0, on_get, &g);
    tn_queue_put(q, (void *)9, 0, on_wait, &pa[0]);
    spin(loop, 1);
    CHECK_INT(g.item[3], 9);
    // join waits for task_done of every item put so far (four)
    wait_log joined = {{0}, 0, {0}};
    wait_arg ja = {&joined, 1};
    tn_queue_join(q, 0, on_wait, &ja);
    for (int i = 0; i < 3; i++) tn_queue_task_done(q);
    spin(loop, 1);
    CHECK_INT(joined.n, 0);
    tn_queue_task_done(q);
    spin(loop, 1);
    CHECK_INT(joined.n, 1);
    // a get cancelled after an item was handed to it puts the item back
    tn_waiter *w = tn_queue_get(q, 0, on_get, &g);
    tn_queue_put_nowait(q, (void *)7);
    CHECK(tn_waiter_cancel(w));
    spin(loop, 1);
    CHECK_INT(tn_queue_size(q), 1);
    CHECK_OK(tn_queue_get_nowait(q, &it));
    CHECK(it == (void *)7);
    tn_queue_get(q, 0, on_get, &g);  // pending at free: cancelled
    tn_queue_free(q);
    spin(loop, 1);
    CHECK_INT(g.status[g.n - 1], TN_ECANCELED);
    tn_loop_free(loop);
}

// The queue's ring wraps around, then grows twice: items come out in order.
TEST(queue_keeps_fifo_order_when_a_wrapped_ring_grows) {
    tn_loop *loop = tt_loop_new();
    tn_queue *q = tn_queue_new(loop, 0);
    uintptr_t next_in = 1, next_out = 1;
    void *it = NULL;
    for (int i = 0; i < 16; i++) CHECK_OK(tn_queue_put_nowait(q, (void *)next_in++));
    for (int i = 0; i < 10; i++) {
        CHECK_OK(tn_queue_get_nowait(q, &it));
        CHECK_INT((uintptr_t)it, next_out++);
    }
    // 6 left at the end of 16 slots; 10 more wrap to the front, then 30 more grow it.
    for (int i = 0; i < 40; i++) CHECK_OK(tn_queue_put_nowait(q, (void *)next_in++));
    CHECK_INT(tn_queue_size(q), 46);
    while (tn_queue_get_nowait(q, &it) == 0) CHECK_INT((uintptr_t)it, next_out++);
    CHECK_INT(next_out, next_in);
    tn_queue_free(q);
    tn_loop_free(loop);
}
