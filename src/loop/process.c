// >>process implementation: forking children, restarting them, stopping them
#include "base/internal.h"
#include "loop/process.h"
#include "loop/loop_internal.h"
#include "base/alloc_internal.h"
#include "base/error.h"
#include "base/error_internal.h"
#include "base/log_internal.h"

#if defined(_WIN32)
// Windows has no fork(): a process cannot be copied with its listening
// sockets and loop state, and Tornado does not support fork_processes there
// either. tn_process_fork says so (TN_ENOTSUP); run one process per port, or
// several behind a proxy.
#include "base/os_internal.h"

static int tn__task_id = -1;

TN_API int tn_process_task_id(void) { return tn__task_id; }

TN_API int tn_process_cpu_count(void) {
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwNumberOfProcessors < 1 ? 1 : (int)si.dwNumberOfProcessors;
}

TN_API int tn_process_fork(const tn_process_desc *desc) {
    (void)desc;
    TN__LOGE("cannot fork processes: Windows has no fork()");
    return TN_ENOTSUP;
}
#else
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#if defined(__linux__)
#  include <sched.h>
#  include <sys/prctl.h>
#endif

#if TN_ENABLE_THREADS
#  define TN__SIGMASK pthread_sigmask
#else
#  define TN__SIGMASK sigprocmask
#endif

static int tn__task_id = -1;
static volatile sig_atomic_t tn__proc_stop_sig, tn__proc_alarm;
// What the parent waits for; blocked outside sigsuspend, so none is lost.
static const int tn__proc_sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGALRM};
#define TN__PROC_NSIGS 4

typedef struct tn__procs {
    int n;                    // children wanted
    int max_restarts;
    double stop_timeout;
    pid_t *pids;              // by task id; 0: not running
    int running;              // children alive
    int restarts;
    int stopping;             // SIGTERM sent to every child
    int failed;               // the parent will exit 1
    sigset_t oldmask;
    struct sigaction oldact[TN__PROC_NSIGS];
} tn__procs;

TN_API int tn_process_task_id(void) { return tn__task_id; }

TN_API int tn_process_cpu_count(void) {
#if defined(CPU_COUNT)  // sched.h has it under _GNU_SOURCE, which can come too late
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4096 ? 4096 : (int)n;
}

static void tn__proc_on_signal(int sig) {
    if (sig == SIGALRM) tn__proc_alarm = 1;
    else if (sig != SIGCHLD) tn__proc_stop_sig = sig;
}

TN__PRIVATE int tn__proc_catch_signals(tn__procs *p) {
    sigset_t block;
    sigemptyset(&block);
    for (int i = 0; i < TN__PROC_NSIGS; i++) sigaddset(&block, tn__proc_sigs[i]);
    if (TN__SIGMASK(SIG_BLOCK, &block, &p->oldmask) != 0) return TN_ESYS;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tn__proc_on_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < TN__PROC_NSIGS; i++) sigaction(tn__proc_sigs[i], &sa, &p->oldact[i]);
    return 0;
}

// Puts back what the caller had: in a child, and in the parent on failure.
TN__PRIVATE void tn__proc_restore_signals(tn__procs *p) {
    struct itimerval off;
    memset(&off, 0, sizeof off);
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_IGN);  // drops a SIGALRM of ours still pending
    for (int i = 0; i < TN__PROC_NSIGS; i++) sigaction(tn__proc_sigs[i], &p->oldact[i], NULL);
    TN__SIGMASK(SIG_SETMASK, &p->oldmask, NULL);
}

// Forks task `id`. Returns 1 in the child, 0 in the parent, or an error.
TN__PRIVATE int tn__proc_start(tn__procs *p, int id) {
    pid_t parent = getpid();
    fflush(NULL);  // or both processes would write what stdio holds
    pid_t pid = fork();
    if (pid < 0) return tn__err_from_errno(errno);
    if (pid > 0) {
        p->pids[id] = pid;
        p->running++;
        return 0;
    }
    tn__task_id = id;
    tn__free(p->pids);
    tn__proc_restore_signals(p);
    // Ctrl-C reaches the whole process group; the parent passes it on as
    // SIGTERM, which starts a child's drain. Were SIGINT the child's too, it
    // would count as a second signal and stop the drain at once.
    signal(SIGINT, SIG_IGN);
#if defined(__linux__)
    // A parent killed with SIGKILL cannot stop its children: the kernel
    // does, so no orphan keeps the port.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) raise(SIGTERM);
#endif
    (void)parent;
    return 1;
}

TN__PRIVATE void tn__proc_kill_all(tn__procs *p, int sig) {
    for (int i = 0; i < p->n; i++)
        if (p->pids[i]) kill(p->pids[i], sig);
}

// The listening sockets the parent holds are there for the children it
// may restart. Once they stop, new connections must be refused at once, not
// left waiting in a queue that nobody takes from any more: the children close
// theirs as they drain, and the parent its copies here.
TN__PRIVATE void tn__proc_close_listeners(void) {
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;  // listening sockets come early: low numbers
    for (int fd = 0; fd < (int)max; fd++) {
        int on = 0;
        socklen_t len = sizeof on;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on) close(fd);
    }
}

TN__PRIVATE void tn__proc_stop(tn__procs *p) {
    if (p->stopping) return;
    p->stopping = 1;
    tn__proc_close_listeners();
    tn__proc_kill_all(p, SIGTERM);
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = (time_t)p->stop_timeout;
    it.it_value.tv_usec = (suseconds_t)((p->stop_timeout - (double)it.it_value.tv_sec) * 1e6);
    if (!it.it_value.tv_sec && !it.it_value.tv_usec) it.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &it, NULL);
}

// Logs how child `id` ended; returns true if it should be restarted.
TN__PRIVATE bool tn__proc_ended(tn__procs *p, int id, pid_t pid, int st) {
    bool by_signal = WIFSIGNALED(st);
    int code = by_signal ? WTERMSIG(st) : WEXITSTATUS(st);
    if (p->stopping) {
        bool clean = by_signal ? (code == SIGTERM || code == SIGINT) : code == 0;
        if (!clean) p->failed = 1;
        TN_LOG(clean ? TN_LOG_INFO : TN_LOG_WARNING, TN_LOG_GENERAL, "child %d (pid %d) stopped %s %d", id,
                (int)pid, by_signal ? "by signal" : "with status", code);
        return false;
    }
    if (!by_signal && code == 0) {
        TN__LOGI("child %d (pid %d) exited normally", id, (int)pid);
        return false;
    }
    TN__LOGW("child %d (pid %d) %s %d, restarting", id, (int)pid,
             by_signal ? "killed by signal" : "exited with status", code);
    return true;
}

// Collects the children that ended and restarts those that crashed.
// Returns 1 in a restarted child (its task id in *id), else 0.
TN__PRIVATE int tn__proc_reap(tn__procs *p, int *id) {
    for (int i = 0; i < p->n; i++) {
        int st = 0;
        if (!p->pids[i]) continue;
        pid_t pid = waitpid(p->pids[i], &st, WNOHANG);
        if (pid == 0 || (pid < 0 && errno == EINTR)) continue;
        p->pids[i] = 0;
        p->running--;
        if (pid < 0 || !tn__proc_ended(p, i, pid, st)) continue;
        if (++p->restarts > p->max_restarts) {
            TN__LOGE("too many child restarts (%d), giving up", p->max_restarts);
            p->failed = 1;
            tn__proc_stop(p);
            continue;
        }
        int r = tn__proc_start(p, i);
        if (r == 1) {
            *id = i;
            return 1;
        }
        if (r < 0) {
            TN__LOGE("cannot restart child %d: %s", i, tn_strerror(r));
            p->failed = 1;
            tn__proc_stop(p);
        }
    }
    return 0;
}

// The parent's life once the children run. Returns 1 in a restarted child
// (its task id in *id), 0 in the parent when no child is left.
TN__PRIVATE int tn__proc_supervise(tn__procs *p, int *id) {
    sigset_t wait_mask = p->oldmask;
    for (int i = 0; i < TN__PROC_NSIGS; i++) sigdelset(&wait_mask, tn__proc_sigs[i]);
    for (;;) {
        if (tn__proc_reap(p, id)) return 1;
        if (!p->running) return 0;
        if (tn__proc_stop_sig) {  // the children drain; a second signal stops them at once
            TN__LOGI("received signal %d, %s %d children", (int)tn__proc_stop_sig,
                     p->stopping ? "stopping at once" : "stopping", p->running);
            if (p->stopping) tn__proc_kill_all(p, SIGTERM);
            tn__proc_stop(p);
            tn__proc_stop_sig = 0;  // signals are blocked here: none is lost
        }
        if (tn__proc_alarm) {
            tn__proc_alarm = 0;
            TN__LOGE("%d children still running %.3g s after SIGTERM: killing them", p->running, p->stop_timeout);
            p->failed = 1;
            tn__proc_kill_all(p, SIGKILL);
        }
        sigsuspend(&wait_mask);  // returns after any of our signals
    }
}

TN_API int tn_process_fork(const tn_process_desc *desc) {
    if (tn__task_id >= 0 || tn__loop_count() > 0) {
        TN__LOGE("cannot fork processes: %s", tn__task_id >= 0 ? "this is already a child"
                 : "a loop exists in this process (make loops after forking)");
        return TN_EBUSY;
    }
    tn_process_desc d;
    memset(&d, 0, sizeof d);
    if (desc) d = *desc;
    tn__procs p;
    memset(&p, 0, sizeof p);
    tn__proc_stop_sig = tn__proc_alarm = 0;
    p.n = d.num_processes > 0 ? d.num_processes : tn_process_cpu_count();
    p.max_restarts = d.max_restarts < 0 ? 0 : TN__DEF(d.max_restarts, 100);
    p.stop_timeout = d.stop_timeout > 0 ? d.stop_timeout : 30;
    p.pids = TN__CAST(pid_t *, tn__calloc((size_t)p.n, sizeof(pid_t)));
    if (!p.pids) return TN_ENOMEM;
    int r = tn__proc_catch_signals(&p);
    if (r == 0) TN__LOGI("starting %d processes", p.n);
    for (int i = 0; r == 0 && i < p.n; i++) {
        r = tn__proc_start(&p, i);
        if (r == 1) return i;
    }
    int id = -1;
    if (r < 0) {
        TN__LOGE("cannot fork: %s", tn_strerror(r));
        tn__proc_stop(&p);
    }
    if (tn__proc_supervise(&p, &id)) return id;
    tn__proc_restore_signals(&p);
    tn__free(p.pids);
    if (r < 0) return r;
    exit(p.failed ? 1 : 0);
}
#endif
