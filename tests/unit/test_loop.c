// Floor 2: the loop, callbacks, timers, periodic callbacks, the executor.
#include "sock.h"
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#if !defined(_WIN32)
#  include <sys/resource.h>
#endif

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

static void add_from_callback(tn_loop *loop, void *arg) {
    int *order = (int *)arg;
    order[order[0] + 1] = 1;
    order[0]++;
    tn_loop_add_callback(loop, count_cb, &order[10]);
}

TEST(loop_callback_added_in_callback_runs_next_iteration) {
    tn_loop *loop = tt_loop_new();
    int order[12] = {0};
    tn_loop_add_callback(loop, add_from_callback, order);
    CHECK_OK(tn_loop_run_once(loop, 0));
    CHECK_INT(order[0], 1);
    CHECK_INT(order[10], 0);  // queued during the drain: waits for the next one
    CHECK_OK(tn_loop_run_once(loop, 0));
    CHECK_INT(order[10], 1);
    tn_loop_free(loop);
}

// ---- add_callback from many threads (a build without threads has none to test)

#if TN_ENABLE_THREADS

enum { CB_THREADS = 8, CB_PER_THREAD = 100000 };
typedef struct {
    tn_loop *loop;
    pthread_t loop_thread;
    long next[CB_THREADS];     // next sequence number expected per thread
    long total;
    int wrong_thread, out_of_order, done;
} cb_state;
typedef struct { cb_state *st; int thread; long seq; } cb_msg;
typedef struct { cb_state *st; int id; cb_msg *msgs; } cb_producer;

static void cb_receive(tn_loop *loop, void *arg) {
    cb_msg *m = (cb_msg *)arg;
    cb_state *st = m->st;
    (void)loop;
    if (!pthread_equal(pthread_self(), st->loop_thread)) st->wrong_thread++;
    if (m->seq != st->next[m->thread]) st->out_of_order++;
    st->next[m->thread] = m->seq + 1;
    if (++st->total == (long)CB_THREADS * CB_PER_THREAD) st->done = 1;
}

static void *cb_produce(void *arg) {
    cb_producer *p = (cb_producer *)arg;
    for (long i = 0; i < CB_PER_THREAD; i++) {
        p->msgs[i].st = p->st;
        p->msgs[i].thread = p->id;
        p->msgs[i].seq = i;
        while (tn_loop_add_callback(p->st->loop, cb_receive, &p->msgs[i]) != 0) {}
    }
    return NULL;
}

TEST(loop_add_callback_8_threads_x_100000_exactly_once_in_order) {
    static cb_state st;
    static cb_producer prod[CB_THREADS];
    pthread_t th[CB_THREADS];
    st.loop = tt_loop_new();
    st.loop_thread = pthread_self();
    for (int i = 0; i < CB_THREADS; i++) {
        prod[i].st = &st;
        prod[i].id = i;
        prod[i].msgs = (cb_msg *)calloc(CB_PER_THREAD, sizeof(cb_msg));
        pthread_create(&th[i], NULL, cb_produce, &prod[i]);
    }
    tt_run_until(st.loop, &st.done);
    for (int i = 0; i < CB_THREADS; i++) pthread_join(th[i], NULL);
    tn_loop_run_once(st.loop, 0);  // nothing may arrive after the last one
    CHECK_INT(st.total, (long)CB_THREADS * CB_PER_THREAD);
    CHECK_INT(st.wrong_thread, 0);
    CHECK_INT(st.out_of_order, 0);
    for (int i = 0; i < CB_THREADS; i++) {
        CHECK_INT(st.next[i], CB_PER_THREAD);
        free(prod[i].msgs);
    }
    tn_loop_free(st.loop);
}

static void *wake_later(void *arg) {
    int *flag = (int *)arg;
    usleep(20000);
    tn_loop_add_callback(*(tn_loop **)(flag + 2), count_cb, flag);
    return NULL;
}

TEST(loop_add_callback_from_thread_wakes_a_sleeping_loop) {
    tn_loop *loop = tt_loop_new();
    int state[4] = {0};
    *(tn_loop **)(state + 2) = loop;
    pthread_t th;
    pthread_create(&th, NULL, wake_later, state);
    // No timers, no fds: only the wake-up can end this wait.
    CHECK_OK(tn_loop_run_once(loop, -1));
    while (!state[0]) CHECK_OK(tn_loop_run_once(loop, -1));
    pthread_join(th, NULL);
    CHECK_INT(state[0], 1);
    tn_loop_free(loop);
}

#endif // TN_ENABLE_THREADS

// ---- timers

enum { NTIMERS = 1000 };
typedef struct { double when; int id; } fired_rec;
static struct {
    fired_rec fired[NTIMERS];
    int nfired;
    tn_timeout handles[NTIMERS];
    double when[NTIMERS];
} tm;

static void timer_record(tn_loop *loop, void *arg) {
    int id = (int)(intptr_t)arg;
    tm.fired[tm.nfired].when = tn_loop_time(loop);
    tm.fired[tm.nfired].id = id;
    tm.nfired++;
}

TEST(timers_fire_in_deadline_order_and_cancelled_never) {
    tn_loop *loop = tt_loop_new();
    srand(7);
    double base = tn_loop_time(loop);
    for (int i = 0; i < NTIMERS; i++) {
        tm.when[i] = base + 0.001 * (rand() % 50);
        tm.handles[i] = tn_loop_call_at(loop, tm.when[i], timer_record, (void *)(intptr_t)i);
        CHECK(tm.handles[i].id != 0);
    }
    int cancelled = 0;
    for (int i = 0; i < NTIMERS; i += 3) {
        CHECK(tn_loop_remove_timeout(loop, tm.handles[i]));
        cancelled++;
    }
    CHECK(!tn_loop_remove_timeout(loop, tm.handles[0]));  // twice: no-op
    while (tm.nfired < NTIMERS - cancelled) CHECK_OK(tn_loop_run_once(loop, 1.0));
    for (int i = 0; i < tm.nfired; i++) {
        int id = tm.fired[i].id;
        CHECK(id % 3 != 0);
        CHECK(tm.fired[i].when >= tm.when[id]);  // never early
        if (i > 0) {
            int prev = tm.fired[i - 1].id;
            // deadline order, and insertion order among equal deadlines
            CHECK(tm.when[prev] < tm.when[id] || (tm.when[prev] == tm.when[id] && prev < id));
        }
    }
    CHECK(!tn_loop_remove_timeout(loop, tm.handles[1]));  // already fired: stale
    tn_loop_free(loop);
}

static tn_timeout victim;
static int victim_ran;
static void victim_cb(tn_loop *loop, void *arg) { (void)loop; (void)arg; victim_ran = 1; }
static void killer_cb(tn_loop *loop, void *arg) {
    (void)arg;
    CHECK(tn_loop_remove_timeout(loop, victim));
}

TEST(timer_cancelled_inside_another_callback_never_fires) {
    tn_loop *loop = tt_loop_new();
    double at = tn_loop_time(loop) + 0.01;
    int done = 0;
    tn_loop_call_at(loop, at, killer_cb, NULL);
    victim = tn_loop_call_at(loop, at, victim_cb, NULL);  // same deadline, due in the same round
    tn_loop_call_at(loop, at + 0.01, count_cb, &done);
    tt_run_until(loop, &done);
    CHECK_INT(victim_ran, 0);
    tn_loop_free(loop);
}

static void readd_zero(tn_loop *loop, void *arg) {
    int *n = (int *)arg;
    if (++*n < 1000000) tn_loop_call_later(loop, 0, readd_zero, arg);
}

TEST(timer_readding_itself_with_zero_delay_does_not_starve_the_loop) {
    tn_loop *loop = tt_loop_new();
    int n = 0, cb = 0;
    tn_loop_call_later(loop, 0, readd_zero, &n);
    tn_loop_add_callback(loop, count_cb, &cb);
    CHECK_OK(tn_loop_run_once(loop, 0));
    CHECK_INT(n, 1);   // one round runs it once
    CHECK_INT(cb, 1);  // and the callback still ran
    tn_loop_free(loop);
}

TEST(timers_left_pending_are_freed_with_the_loop) {
    tn_loop *loop = tt_loop_new();
    int n = 0;
    for (int i = 0; i < 100; i++) tn_loop_call_later(loop, 100, count_cb, &n);
    tn_loop_free(loop);
    CHECK_INT(n, 0);
}

// ---- periodic callbacks

typedef struct { tn_periodic *p; double t[8]; int n; int overrun_at; int stop_at; } per_state;

static void per_cb(tn_loop *loop, void *arg) {
    per_state *s = (per_state *)arg;
    s->t[s->n++] = tn_loop_time(loop);
    if (s->n == s->overrun_at) usleep(180000);  // 3.6 intervals
    if (s->n == s->stop_at) tn_periodic_stop(s->p);
}

TEST(periodic_skips_missed_runs_and_keeps_its_phase) {
    tn_loop *loop = tt_loop_new();
    per_state s = {0};
    s.overrun_at = 1;
    s.stop_at = 3;
    tn_periodic_desc d = {0};
    d.interval = 0.05;
    d.cb = per_cb;
    d.user_data = &s;
    s.p = tn_periodic_new(loop, &d);
    CHECK(s.p != NULL);
    double t0 = tn_loop_time(loop);
    tn_periodic_start(s.p);
    CHECK(tn_periodic_is_running(s.p));
    while (tn_periodic_is_running(s.p)) CHECK_OK(tn_loop_run_once(loop, 1.0));
    CHECK_INT(s.n, 3);
    CHECK(s.t[0] >= t0 + 0.05 - 1e-9);
    // The first run ended after t0+0.23: the runs at 0.10, 0.15 and 0.20 are
    // skipped (no burst), and the schedule keeps its phase (t0 + k*0.05).
    CHECK(s.t[1] >= t0 + 0.25 - 1e-9);
    CHECK(s.t[2] >= t0 + 0.30 - 1e-9);
    tn_periodic_free(s.p);
    tn_loop_free(loop);
}

static void per_free_self(tn_loop *loop, void *arg) {
    per_state *s = (per_state *)arg;
    (void)loop;
    s->n++;
    tn_periodic_free(s->p);
}

TEST(periodic_free_inside_its_own_callback) {
    tn_loop *loop = tt_loop_new();
    per_state s = {0};
    tn_periodic_desc d = {0};
    d.interval = 0.001;
    d.cb = per_free_self;
    d.user_data = &s;
    s.p = tn_periodic_new(loop, &d);
    tn_periodic_start(s.p);
    while (s.n == 0) CHECK_OK(tn_loop_run_once(loop, 1.0));
    CHECK_OK(tn_loop_run_once(loop, 0.01));
    CHECK_INT(s.n, 1);
    tn_loop_free(loop);
}

TEST(periodic_rejects_bad_desc_and_loop_frees_leftovers) {
    tn_loop *loop = tt_loop_new();
    tn_log_set_level(TN_LOG_NONE);
    tn_periodic_desc d = {0};
    d.cb = count_cb;
    CHECK(tn_periodic_new(loop, &d) == NULL);  // no interval
    d.interval = 1;
    d.jitter = 2;
    CHECK(tn_periodic_new(loop, &d) == NULL);  // jitter out of range
    d.jitter = 0.5;
    tn_periodic *p = tn_periodic_new(loop, &d);
    CHECK(p != NULL);
    tn_periodic_start(p);
    tn_loop_free(loop);  // frees p too (the leak check would fail otherwise)
}

// ---- executor

typedef struct { pthread_t worker; pthread_t loop_thread; int value; int status; int done_count; int on_loop; } job;
static int jobs_done;

static void job_work(void *arg) {
    job *j = (job *)arg;
    j->worker = pthread_self();
    j->value = j->value * 2;
}

static void job_done(tn_loop *loop, void *arg, int status) {
    job *j = (job *)arg;
    (void)loop;
    j->status = status;
    j->done_count++;
    j->on_loop = pthread_equal(pthread_self(), j->loop_thread);
    jobs_done++;
}

TEST(executor_results_arrive_on_the_loop_thread) {
    tn_loop *loop = tt_loop_new();
    job jobs[100];
    memset(jobs, 0, sizeof jobs);
    jobs_done = 0;
    for (int i = 0; i < 100; i++) {
        jobs[i].value = i;
        jobs[i].loop_thread = pthread_self();
        CHECK_OK(tn_loop_run_in_executor(loop, job_work, job_done, &jobs[i]));
    }
    while (jobs_done < 100) CHECK_OK(tn_loop_run_once(loop, 1.0));
    for (int i = 0; i < 100; i++) {
        CHECK_INT(jobs[i].value, 2 * i);
        CHECK_INT(jobs[i].done_count, 1);
        CHECK_INT(jobs[i].status, 0);
        CHECK(jobs[i].on_loop);
#if TN_ENABLE_THREADS
        CHECK(!pthread_equal(jobs[i].worker, pthread_self()));
#endif
    }
    tn_loop_free(loop);
}

static void slow_work(void *arg) {
    usleep(2000);
    job_work(arg);
}

TEST(executor_jobs_pending_at_free_get_their_done_callback_once) {
    tn_loop_desc d = {0};
    d.executor_threads = 1;
    tn_loop *loop = tn_loop_new(&d);
    job jobs[50];
    memset(jobs, 0, sizeof jobs);
    jobs_done = 0;
    for (int i = 0; i < 50; i++) {
        jobs[i].loop_thread = pthread_self();
        CHECK_OK(tn_loop_run_in_executor(loop, slow_work, job_done, &jobs[i]));
    }
    tn_loop_free(loop);
    CHECK_INT(jobs_done, 50);
    int cancelled = 0;
    for (int i = 0; i < 50; i++) {
        CHECK_INT(jobs[i].done_count, 1);
        CHECK(jobs[i].status == 0 || jobs[i].status == TN_ECANCELED);
        cancelled += jobs[i].status == TN_ECANCELED;
    }
#if TN_ENABLE_THREADS
    CHECK(cancelled > 0);  // one thread cannot have run 50 jobs of 2 ms already
#endif
}

// ---- run_sync, stop, signals

static void sync_finish_42(tn_loop *loop, void *arg) {
    (void)arg;
    tn_loop_sync_done(loop, 42);
}
static void sync_start(tn_loop *loop, void *arg) {
    (void)arg;
    tn_loop_call_later(loop, 0.01, sync_finish_42, NULL);
}
static void sync_start_nothing(tn_loop *loop, void *arg) { (void)loop; (void)arg; }

TEST(run_sync_returns_the_result_or_times_out) {
    tn_loop *loop = tt_loop_new();
    CHECK_INT(tn_loop_run_sync(loop, sync_start, NULL, 5.0), 42);
    CHECK_INT(tn_loop_run_sync(loop, sync_start_nothing, NULL, 0.02), TN_ETIMEDOUT);
    tn_loop_free(loop);
}

#if !defined(_WIN32)  // POSIX signals (Windows has console events), and CPU time by getrusage
static void raise_sigint(tn_loop *loop, void *arg) {
    (void)loop;
    (void)arg;
    raise(SIGINT);
}

TEST(sigint_and_sigterm_stop_the_loop_cleanly) {
    // A background job of a shell inherits SIGINT ignored (the matrix runs
    // suites so), and the loop leaves an ignored SIGINT alone.
    signal(SIGINT, SIG_DFL);
    tn_loop *loop = tt_loop_new();
    tn_log_set_level(TN_LOG_WARNING);
    CHECK_OK(tn_loop_stop_on_signals(loop));
    tn_loop_call_later(loop, 0.01, raise_sigint, NULL);
    CHECK_OK(tn_loop_start(loop));  // returns: the signal stopped it
    kill(getpid(), SIGTERM);
    CHECK_OK(tn_loop_start(loop));
    tn_loop_free(loop);
    // handlers restored: SIGINT is back to the default
    struct sigaction sa;
    sigaction(SIGINT, NULL, &sa);
    CHECK(sa.sa_handler == SIG_DFL);
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

TEST(idle_loop_sleeps_near_zero_cpu_for_a_second) {
    tn_loop *loop = tt_loop_new();
    int fired = 0;
    tn_loop_call_later(loop, 1.0, count_cb, &fired);
    double cpu0 = cpu_seconds(), wall0 = tn_loop_time(loop);  // the deadline's base
    while (!fired) CHECK_OK(tn_loop_run_once(loop, -1));
    double cpu = cpu_seconds() - cpu0, wall = tn_time_monotonic() - wall0;
    CHECK(wall >= 1.0 - 1e-6);
    if (cpu > 0.05) tt_fail(__FILE__, __LINE__, "an idle second cost %.3f s of CPU", cpu);
    tn_loop_free(loop);
}
#endif

// ---- fd handlers

typedef struct { int calls[2]; int fds[2]; int removed; } io_state;
static io_state ios;

static void io_remove_other(tn_loop *loop, int fd, int events, void *arg) {
    int me = (int)(intptr_t)arg;
    (void)events;
    (void)fd;
    ios.calls[me]++;
    if (!ios.removed) {
        CHECK_OK(tn_loop_remove_handler(loop, ios.fds[1 - me]));
        ios.removed = 1;
    }
}

TEST(handler_removed_in_the_same_iteration_is_not_called) {
    tn_loop *loop = tt_loop_new();
    int a[2], b[2];
    CHECK(tt_socketpair(a) == 0 && tt_socketpair(b) == 0);
    ios.fds[0] = a[0];
    ios.fds[1] = b[0];
    CHECK_OK(tn_loop_add_handler(loop, a[0], TN_IO_READ, io_remove_other, (void *)0));
    CHECK_OK(tn_loop_add_handler(loop, b[0], TN_IO_READ, io_remove_other, (void *)1));
    CHECK_INT(tn_loop_add_handler(loop, a[0], TN_IO_READ, io_remove_other, NULL), TN_EEXIST);
    CHECK(send(a[1], "x", 1, 0) == 1 && send(b[1], "y", 1, 0) == 1);  // both ready in one wait
    CHECK_OK(tn_loop_run_once(loop, 1.0));
    CHECK_INT(ios.calls[0] + ios.calls[1], 1);
    int left = ios.calls[0] ? a[0] : b[0];
    CHECK_OK(tn_loop_remove_handler(loop, left));
    CHECK_INT(tn_loop_remove_handler(loop, left), TN_ENOENT);
    CHECK_INT(tn_loop_update_handler(loop, left, TN_IO_WRITE), TN_ENOENT);
    tt_sock_close(a[0]), tt_sock_close(a[1]), tt_sock_close(b[0]), tt_sock_close(b[1]);
    tn_loop_free(loop);
}

static void io_count_write(tn_loop *loop, int fd, int events, void *arg) {
    (void)loop;
    (void)fd;
    if (events & TN_IO_WRITE) (*(int *)arg)++;
}

TEST(handler_update_switches_events) {
    tn_loop *loop = tt_loop_new();
    int p[2], n = 0;
    CHECK(tt_socketpair(p) == 0);
    CHECK_OK(tn_loop_add_handler(loop, p[1], 0, io_count_write, &n));
    CHECK_OK(tn_loop_run_once(loop, 0.01));
    CHECK_INT(n, 0);  // not asked for WRITE yet
    CHECK_OK(tn_loop_update_handler(loop, p[1], TN_IO_WRITE));
    CHECK_OK(tn_loop_run_once(loop, 1.0));
    CHECK_INT(n, 1);
    CHECK_OK(tn_loop_update_handler(loop, p[1], 0));
    CHECK_OK(tn_loop_run_once(loop, 0.01));
    CHECK_INT(n, 1);
    tn_loop_remove_handler(loop, p[1]);
    tt_sock_close(p[0]), tt_sock_close(p[1]);
    tn_loop_free(loop);
}
