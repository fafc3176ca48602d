// Floor 2: tn_process_fork. Each test runs a supervisor process (the caller
// of tn_process_fork, which never returns there) and hears from its
// children through a pipe: one record per start of a child.
#include "child_server.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>

typedef struct {
    int task;  // the id tn_process_fork returned (-1: the supervisor's port)
    int pid;
    int seen;  // tn_process_task_id() in the child
    int val;   // the port, or the token a child took
} rec;

typedef void (*child_fn)(int task, int out, void *arg);

static int local_port(int fd) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len) != 0) return -1;
    return ntohs(a.sin_port);
}

static void put(int out, int task, int val) {
    rec r = {task, (int)getpid(), tn_process_task_id(), val};
    if (write(out, &r, sizeof r) != sizeof r) _exit(90);
}

// Reads one record; false at EOF (every writer gone). Fails after 30 s.
static bool get(int in, rec *r) {
    struct pollfd p = {in, POLLIN, 0};
    if (poll(&p, 1, 30000) != 1) tt_fail(__FILE__, __LINE__, "no word from the processes in 30 s");
    ssize_t n = read(in, r, sizeof *r);
    if (n == 0) return false;
    if (n != (ssize_t)sizeof *r) tt_fail(__FILE__, __LINE__, "short record");
    return true;
}

// Starts a supervisor: it binds a socket on 127.0.0.1 first when asked
// is set (its port goes into the pipe), then forks as `d` says; each child
// runs fn and then exits 0. Returns the supervisor's pid; *in reads records.
static pid_t supervise(const tn_process_desc *d, bool with_socket, child_fn fn, void *arg, int *in) {
    int p[2];
    CHECK(pipe(p) == 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // goes with its test
        setpgid(0, 0);  // a group of its own, as a shell's job: Ctrl-C is kill(-pid, SIGINT)
        tn_log_set_level(TN_LOG_NONE);
        int fd = -1;
        if (with_socket) {
            tn_bind_desc b = {0};
            b.host = "127.0.0.1";
            if (tn_bind_sockets(&b, &fd, 1) != 1) _exit(91);
            put(p[1], -1, local_port(fd));
        }
        int task = tn_process_fork(d);
        if (task < 0) _exit(92);
        fn(task, p[1], with_socket ? &fd : arg);
        _exit(0);
    }
    close(p[1]);
    *in = p[0];
    return pid;
}

static int exit_status(pid_t pid) {
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

static void say_hello(int task, int out, void *arg) {
    (void)arg;
    put(out, task, 0);
}

TEST(process_fork_gives_each_child_its_task_id) {
    tn_process_desc d = {.num_processes = 3};
    int in, seen[3] = {0};
    pid_t sup = supervise(&d, false, say_hello, NULL, &in);
    rec r;
    int n = 0;
    while (get(in, &r)) {
        CHECK(r.task >= 0 && r.task < 3);
        CHECK_INT(r.seen, r.task);
        CHECK(r.pid != sup);
        seen[r.task]++;
        n++;
    }
    CHECK_INT(n, 3);
    CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
    CHECK_INT(exit_status(sup), 0);  // every child exited 0: so does the parent
    close(in);
}

TEST(process_task_id_is_minus_one_outside_children) { CHECK_INT(tn_process_task_id(), -1); }

TEST(process_cpu_count_is_positive) { CHECK(tn_process_cpu_count() >= 1); }

// Each child takes a token if one is left and dies as it says: 'k' by
// SIGKILL, 'x' with exit status 3. Without a token it exits 0.
static void crash_on_token(int task, int out, void *arg) {
    int tokens = *(int *)arg;
    char t = 0;
    rec r = {task, (int)getpid(), 0, 0};
    if (read(tokens, &t, 1) == 1) r.val = t;
    if (write(out, &r, sizeof r) != sizeof r) _exit(90);
    if (t == 'k') raise(SIGKILL);
    if (t == 'x') _exit(3);
}

TEST(process_restarts_a_child_that_crashed_under_its_task_id) {
    int tokens[2];
    CHECK(pipe(tokens) == 0);
    CHECK(write(tokens[1], "kxk", 3) == 3);
    close(tokens[1]);
    fcntl(tokens[0], F_SETFL, O_NONBLOCK);
    tn_process_desc d = {.num_processes = 2};
    int in;
    pid_t sup = supervise(&d, false, crash_on_token, &tokens[0], &in);
    close(tokens[0]);
    int starts[2] = {0}, crashes[2] = {0};
    rec r;
    while (get(in, &r)) {
        CHECK(r.task == 0 || r.task == 1);
        starts[r.task]++;
        if (r.val) crashes[r.task]++;
    }
    // Every crash was followed by a start of the same task; clean exits not.
    CHECK_INT(crashes[0] + crashes[1], 3);
    CHECK_INT(starts[0], crashes[0] + 1);
    CHECK_INT(starts[1], crashes[1] + 1);
    CHECK_INT(exit_status(sup), 0);
    close(in);
}

// Task 0 always fails; the others wait for a signal. With a pipe in arg,
// task 0 fails only after task 1 has started (it writes a token for each of
// task 0's three runs), so the parent cannot give up before task 1 ran.
static void task0_fails(int task, int out, void *arg) {
    int *ready = (int *)arg;
    char token;
    put(out, task, 0);
    if (task == 0) _exit(ready && read(ready[0], &token, 1) != 1 ? 91 : 3);
    if (ready && write(ready[1], "rrr", 3) != 3) _exit(92);
    for (;;) pause();
}

TEST(process_gives_up_after_max_restarts_and_stops_the_others) {
    tn_process_desc d = {.num_processes = 2, .max_restarts = 2};
    int in, starts[2] = {0}, ready[2];
    CHECK(pipe(ready) == 0);
    pid_t sup = supervise(&d, false, task0_fails, ready, &in);
    close(ready[0]);
    close(ready[1]);
    rec r;
    while (get(in, &r)) starts[r.task]++;
    CHECK_INT(starts[0], 3);  // the first run and two restarts
    CHECK_INT(starts[1], 1);  // stopped with SIGTERM when the parent gave up
    CHECK_INT(exit_status(sup), 1);
    close(in);
}

TEST(process_negative_max_restarts_restarts_nothing) {
    tn_process_desc d = {.num_processes = 1, .max_restarts = -1};
    int in, starts = 0;
    pid_t sup = supervise(&d, false, task0_fails, NULL, &in);
    rec r;
    while (get(in, &r)) starts++;
    CHECK_INT(starts, 1);
    CHECK_INT(exit_status(sup), 1);
    close(in);
}

// A child with a loop that stops on SIGTERM / SIGINT, as a server's does.
static void loop_child(int task, int out, void *arg) {
    (void)arg;
    tn_loop *loop = tn_loop_new(NULL);
    if (!loop || tn_loop_stop_on_signals(loop) != 0) _exit(93);
    put(out, task, 0);
    tn_loop_start(loop);
    tn_loop_free(loop);
    _exit(tn_mem_get_stats().live == 0 ? 0 : 5);
}

static void stops_children_on(int sig) {
    tn_process_desc d = {.num_processes = 2};
    int in, pids[2] = {0};
    pid_t sup = supervise(&d, false, loop_child, NULL, &in);
    rec r;
    for (int i = 0; i < 2; i++) {
        CHECK(get(in, &r));
        pids[r.task] = r.pid;
    }
    kill(sup, sig);
    CHECK(!get(in, &r));  // no restart: every writer is gone
    CHECK_INT(exit_status(sup), 0);
    for (int i = 0; i < 2; i++) CHECK(kill(pids[i], 0) == -1 && errno == ESRCH);
    close(in);
}

TEST(process_sigterm_stops_every_child_and_the_parent) { stops_children_on(SIGTERM); }
TEST(process_sigint_stops_every_child_and_the_parent) { stops_children_on(SIGINT); }

static void deaf_child(int task, int out, void *arg) {
    (void)arg;
    signal(SIGTERM, SIG_IGN);
    put(out, task, 0);
    for (;;) pause();
}

TEST(process_kills_a_child_that_ignores_sigterm_after_stop_timeout) {
    tn_process_desc d = {.num_processes = 1, .stop_timeout = 0.2};
    int in;
    pid_t sup = supervise(&d, false, deaf_child, NULL, &in);
    rec r;
    CHECK(get(in, &r));
    kill(sup, SIGTERM);
    CHECK(!get(in, &r));
    CHECK_INT(exit_status(sup), 1);  // it had to be killed
    close(in);
}

TEST(process_fork_refuses_while_a_loop_exists) {
    tn_log_set_level(TN_LOG_NONE);
    tn_loop *loop = tt_loop_new();
    CHECK_INT(tn_process_fork(NULL), TN_EBUSY);
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);  // nothing forked
    tn_loop_free(loop);
}

// ---- children serving HTTP on the sockets the parent bound
static void task_get(tn_handler *h) { tn_writef(h, "%d", tn_process_task_id()); }
static const tn_handler_class task_handler = {.get = task_get};

static void http_child(int task, int out, void *arg) {
    tn_loop *loop = tn_loop_new(NULL);
    tn_app_desc ad = {0};
    tn_route routes[] = {{.pattern = "/", .handler = &task_handler}, {0}};
    ad.routes = routes;
    ad.no_access_log = true;
    tn_app *app = tn_app_new(loop, &ad);
    if (!app || tn_app_add_sockets(app, (int *)arg, 1) != 0) _exit(94);
    tn_loop_stop_on_signals(loop);
    put(out, task, 0);
    tn_loop_start(loop);
    tn_loop_free(loop);
    _exit(tn_mem_get_stats().live == 0 ? 0 : 5);
}

// The task id that answers GET / on a new connection.
static int ask_task(int port) {
    char buf[1024];
    const char *body = tt_get(port, "/", buf, sizeof buf);
    if (!body) tt_fail(__FILE__, __LINE__, "bad answer: %s", buf);
    return atoi(body);
}

// While one child is stopped (SIGSTOP), the other accepts every connection.
static void only_task_answers(int port, int pids[2], int task) {
    kill(pids[!task], SIGSTOP);
    for (int i = 0; i < 5; i++) CHECK_INT(ask_task(port), task);
    kill(pids[!task], SIGCONT);
}

TEST(process_children_accept_on_the_sockets_bound_before_the_fork) {
    tn_process_desc d = {.num_processes = 2};
    int in, port = 0, pids[2] = {0};
    pid_t sup = supervise(&d, true, http_child, NULL, &in);
    rec r;
    for (int i = 0; i < 3; i++) {
        CHECK(get(in, &r));
        if (r.task < 0) port = r.val;
        else pids[r.task] = r.pid;
    }
    CHECK(port > 0 && pids[0] && pids[1]);
    only_task_answers(port, pids, 0);
    only_task_answers(port, pids, 1);
    // A child killed is restarted under its id and serves on the same socket.
    kill(pids[0], SIGKILL);
    CHECK(get(in, &r));
    CHECK_INT(r.task, 0);
    CHECK(r.pid != pids[0]);
    pids[0] = r.pid;
    only_task_answers(port, pids, 0);
    kill(sup, SIGTERM);
    CHECK(!get(in, &r));
    CHECK_INT(exit_status(sup), 0);  // 0 also says no child leaked memory
    close(in);
}

// ---- a graceful stop: the parent lets go of the listening sockets too

static int park_out;
static void park_get(tn_handler *h) {
    tn_defer(h);  // until its client leaves
    put(park_out, tn_process_task_id(), 1);
}
static void park_gone(tn_handler *h) { tn_finish(h); }
static const tn_handler_class park_handler = {.get = park_get, .on_connection_close = park_gone};

static void draining_child(int task, int out, void *arg) {
    park_out = out;
    tn_loop *loop = tn_loop_new(NULL);
    tn_app_desc ad = {0};
    tn_route routes[] = {{.pattern = "/park", .handler = &park_handler}, {0}};
    ad.routes = routes;
    ad.no_access_log = true;
    ad.server.drain_timeout = 60;  // longer than the test
    tn_app *app = tn_app_new(loop, &ad);
    if (!app || tn_app_add_sockets(app, (int *)arg, 1) != 0) _exit(94);
    tn_loop_stop_on_signals(loop);
    put(out, task, 0);
    tn_loop_start(loop);  // returns when the drain is over
    tn_loop_free(loop);
    _exit(tn_mem_get_stats().live == 0 ? 0 : 5);
}

// Connects to 127.0.0.1:port: ECONNREFUSED, or 0 when it was taken (into a
// listening queue) or is still pending after 100 ms (a full queue).
static int try_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int err = connect(fd, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
        struct pollfd p = {fd, POLLOUT, 0};
        socklen_t len = sizeof err;
        err = 0;
        if (poll(&p, 1, 100) == 1) getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    }
    close(fd);
    return err;
}

// Connects and sends GET /park; returns once the child has parked it.
static int park_one(int in, int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    const char *req = "GET /park HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
    rec r;
    CHECK(get(in, &r) && r.val == 1);
    return fd;
}

// Stops the supervisor with `sig` (to its whole group for Ctrl-C): its child
// drains, so the parked request still waits while a new connection is
// refused, not left in the queue of a socket the parent still held. Returns
// the parked connection.
static int stop_and_see_the_drain(pid_t sup, int sig, bool group, int in, int *port) {
    rec r;
    for (int i = 0; i < 2; i++) {
        CHECK(get(in, &r));
        if (r.task < 0) *port = r.val;
    }
    int fd = park_one(in, *port);
    kill(group ? -sup : sup, sig);
    int err = 0;
    for (int i = 0; i < 300 && (err = try_connect(*port)) == 0; i++) usleep(10000);  // the signal on its way
    CHECK_INT(err, ECONNREFUSED);
    char b;
    CHECK(recv(fd, &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN);  // still draining
    return fd;
}

// SIGTERM to the parent: the child drains until its last client leaves.
TEST(process_stop_refuses_new_connections_while_the_children_drain) {
    tn_process_desc d = {.num_processes = 1, .stop_timeout = 120};  // no SIGKILL ends the test
    int in, port = 0;
    pid_t sup = supervise(&d, true, draining_child, NULL, &in);
    int fd = stop_and_see_the_drain(sup, SIGTERM, false, in, &port);
    close(fd);  // its client leaves: the drain is over
    rec r;
    CHECK(!get(in, &r));
    CHECK_INT(exit_status(sup), 0);
    close(in);
}

// Ctrl-C reaches the parent and its children: the children drain all the
// same (the parent's SIGTERM is their first signal, not their second); a
// second signal to the parent stops them at once.
TEST(process_ctrl_c_drains_the_children_and_a_second_signal_stops_them) {
    tn_process_desc d = {.num_processes = 1, .stop_timeout = 120};
    int in, port = 0;
    pid_t sup = supervise(&d, true, draining_child, NULL, &in);
    int fd = stop_and_see_the_drain(sup, SIGINT, true, in, &port);
    kill(sup, SIGTERM);
    rec r;
    CHECK(!get(in, &r));  // the child stopped without waiting for its client
    char b;
    CHECK(recv(fd, &b, 1, 0) == 0);
    CHECK_INT(exit_status(sup), 0);
    close(fd);
    close(in);
}
