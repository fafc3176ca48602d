// Floor 2: the loop, callbacks, timers, periodic callbacks, the executor.
#include "test.h"
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

static void count_cb(tn_loop *loop, void *arg) {
    (void)loop;
    (*(int *)arg)++;
}

static void stop_cb(tn_loop *loop, void *arg) {
    (void)arg;
    tn_loop_stop(loop);
}

TEST(loop_new_free_current) {
    CHECK(tn_loop_current() == NULL);
    tn_loop *loop = tt_loop_new();
    CHECK(tn_loop_current() == loop);
    CHECK(tn_loop_backend()[0] != '\0');
    tn_loop_free(loop);
    CHECK(tn_loop_current() == NULL);
}

TEST(loop_add_callback_fifo_and_stop) {
    tn_loop *loop = tt_loop_new();
    int n = 0;
    for (int i = 0; i < 10; i++) CHECK_OK(tn_loop_add_callback(loop, count_cb, &n));
    CHECK_OK(tn_loop_add_callback(loop, stop_cb, NULL));
    CHECK_OK(tn_loop_start(loop));
    CHECK_INT(n, 10);
    tn_loop_free(loop);
}
