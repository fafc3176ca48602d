// ---------------------------------------------------------------------------
// >>process  One process per core (tornado.process)
// ---------------------------------------------------------------------------
// A loop uses one core. Two ways to use them all, as in Tornado:
//
// Pre-fork: bind in the parent, fork, and let each child accept on the
// sockets it inherited (Tornado's bind_sockets + fork_processes +
// add_sockets). The children share one accept queue, so a busy or stopped
// child leaves nobody waiting; a parent restarts children that crash.
//
//     int fds[8];
//     int n = tn_bind_sockets(&(tn_bind_desc){.port = 8888}, fds, 8);
//     if (n < 0) return 1;
//     int task = tn_process_fork(NULL);  // only the children return
//     if (task < 0) return 1;
//     tn_loop *loop = tn_loop_new(NULL);  // loops come after the fork
//     tn_app *app = tn_app_new(loop, &app_desc);
//     tn_app_add_sockets(app, fds, n);
//     tn_loop_stop_on_signals(loop);
//     tn_loop_start(loop);
//
// SO_REUSEPORT: every process binds its own socket on the same port with
// tn_bind_desc.reuse_port = true (after tn_process_fork, or in N separate
// processes, e.g. N systemd units) and the kernel spreads new connections
// over the sockets by a hash of their addresses: no shared queue, and
// processes may be started, upgraded and stopped one by one. A connection
// hashed to a stalled process waits for it (Linux resets those queued on a
// socket that closes), and macOS and the BSDs take SO_REUSEPORT without
// spreading connections as Linux does.
#ifndef TN__LOOP_PROCESS_H
#define TN__LOOP_PROCESS_H
#include "base/config.h"
TN__BEGIN_DECLS

typedef struct tn_process_desc {
    int num_processes;    // children to fork; default (0 or less): one per
                          // core, tn_process_cpu_count()
    int max_restarts;     // abnormal exits restarted, in all, before the
                          // parent gives up; default 100; negative: none
    double stop_timeout;  // seconds the children get to exit after SIGTERM
                          // before SIGKILL; default 30, above the drain's
                          // deadline (tn_http_server_desc.drain_timeout, 10)
} tn_process_desc;

// Tornado's fork_processes (desc may be NULL). Returns only in the children,
// each with its task id, 0..num_processes-1. The parent stays in the call:
// it restarts, under the same task id, a child killed by a signal or that
// exits non-zero; on SIGTERM or SIGINT it closes its copies of the listening
// sockets (new connections are refused while the children drain), sends
// SIGTERM to every child (a second signal: another SIGTERM, which stops them
// at once) and waits for them. Children ignore SIGINT (Ctrl-C reaches the
// whole process group; the parent passes it on once). It then exits: 0 once all children exited cleanly, 1 if a
// child failed to stop, had to be killed, or crashed more than max_restarts
// times (the others are stopped then). On Linux children get SIGTERM when
// the parent dies. Returns a negative code, with nothing forked, when a loop
// exists in this process (TN_EBUSY: make loops after forking), in a child
// of an earlier call (TN_EBUSY), or when fork fails; on Windows, which has
// no fork, it always returns TN_ENOTSUP.
TN_API int tn_process_fork(const tn_process_desc *desc);
// This process's task id from tn_process_fork, or -1 if it is not a child
// of it (Tornado's task_id()).
TN_API int tn_process_task_id(void);
// The number of processors this process may run on (its CPU affinity on
// Linux); at least 1.
TN_API int tn_process_cpu_count(void);

TN__END_DECLS
#endif
