// Timeouts on a clock the test moves (sim.h).
#include "sim.h"

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
