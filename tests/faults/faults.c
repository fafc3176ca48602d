// Fault injection (SQLite's way): the library's allocator (TN_MALLOC and
// TN_REALLOC, below) fails the Nth allocation, and each scenario runs with
// N = 1, 2, 3, ... until a run completes without reaching N. Every run is a
// child process, so a crash fails one run, not the program. A run passes when
//   - each step of the scenario ended either exactly as without faults, or in
//     an error the caller sees (a TN_E* return, a 500, a closed connection,
//     a WebSocket closed with 1006/1011), and never an error without a fault;
//   - the library's live-block counter is back where it started (no leak),
//     and LeakSanitizer, AddressSanitizer and UBSan found nothing.
// Two modes: "once" fails only allocation N (the library must recover: later
// steps succeed), "from" fails N and every allocation after it.
// Usage: faults [--list] [--no-fork] [--trace] [--mode once|from] [--n N] [SCENARIO...]
// Prints "PASS scenario/mode: runs, failures injected" per scenario; a
// failing run says N, so `faults --n N --mode M SCENARIO` repeats it alone.
#define _GNU_SOURCE 1
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static long tf_count;      // allocations asked for in this run
static long tf_fail_at;    // the first to fail (0: none)
static int tf_persist;     // fail every allocation from tf_fail_at on
static long tf_injected;   // failures injected so far
static int tf_trace;       // print the stack of each injected failure
void __sanitizer_print_stack_trace(void);

static int tf_should_fail(void) {
    long n = __atomic_add_fetch(&tf_count, 1, __ATOMIC_RELAXED);
    if (!tf_fail_at || n < tf_fail_at || (n > tf_fail_at && !tf_persist)) return 0;
    __atomic_add_fetch(&tf_injected, 1, __ATOMIC_RELAXED);
    if (tf_trace) __sanitizer_print_stack_trace();  // where it failed (--trace)
    return 1;
}
static void *tf_malloc(size_t n) { return tf_should_fail() ? NULL : malloc(n); }
static void *tf_realloc(void *p, size_t n) { return tf_should_fail() ? NULL : realloc(p, n); }

#define TN_MALLOC(n) tf_malloc(n)
#define TN_REALLOC(p, n) tf_realloc((p), (n))
#define TN_FREE(p) free(p)
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include "faults.h"

// What one step of a scenario came to.
enum { TF_OK, TF_ERR };

static const char *tf_scenario;  // for tf_wrong's message
static long tf_errors;           // steps that ended in an error

void tf_wrong(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    printf("  %s:%d: %s (N=%ld, %s): ", file, line, tf_scenario, tf_fail_at, tf_persist ? "from" : "once");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    _exit(3);
}

bool tf_err(const char *file, int line, const char *what) {
    if (!__atomic_load_n(&tf_injected, __ATOMIC_RELAXED)) tf_wrong(file, line, "%s failed, but no allocation did", what);
    tf_errors++;
    return true;
}

static const tf_case *tf_cases[64];
static int tf_ncases;
void tf_register(const tf_case *c) { tf_cases[tf_ncases++] = c; }

// Exit codes of a run's child.
enum { TF_RUN_CLEAN = 10, TF_RUN_RECOVERED = 11, TF_RUN_ERROR = 12 };

static int tf_run_child(const tf_case *c, long n, int persist) {
    tf_scenario = c->name;
    tf_persist = persist;
    tn_mem_stats before = tn_mem_get_stats();
    tf_count = 0;
    tf_fail_at = n;
    c->run();
    tf_fail_at = 0;  // what the check below does is not under test
    tn_mem_stats after = tn_mem_get_stats();
    if (after.live != before.live) {
        printf("  %s (N=%ld, %s): the library holds %lld more blocks than before (leak)\n", c->name, n,
               persist ? "from" : "once", (long long)(after.live - before.live));
        return 4;
    }
    if (!tf_injected) return TF_RUN_CLEAN;
    return tf_errors ? TF_RUN_ERROR : TF_RUN_RECOVERED;
}

static int tf_forked = 1;

static int tf_run(const tf_case *c, long n, int persist) {
    fflush(stdout);
    pid_t pid = tf_forked ? fork() : 0;
    if (pid == 0) {
        alarm(30);  // a hang guard: a run takes milliseconds
        int r = tf_run_child(c, n, persist);
        fflush(stdout);
        if (!tf_forked) return r;
        exit(r);  // exit, not _exit: LeakSanitizer checks at exit
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) {
        printf("  %s (N=%ld, %s): killed by signal %d%s\n", c->name, n, persist ? "from" : "once", WTERMSIG(st),
               WTERMSIG(st) == SIGALRM ? " (hang guard)" : "");
        return 1;
    }
    return WEXITSTATUS(st);
}

// Runs scenario c with N = 1, 2, ... (or only `only`); returns whether all passed.
static int tf_sweep(const tf_case *c, int persist, long only) {
    long runs = 0, errors = 0, recovered = 0, bad = 0;
    for (long n = only ? only : 1;; n++) {
        int r = tf_run(c, n, persist);
        runs++;
        if (r == TF_RUN_ERROR) errors++;
        else if (r == TF_RUN_RECOVERED) recovered++;
        else if (r != TF_RUN_CLEAN) {
            printf("  repeat: build/faults/faults --mode %s --n %ld %s\n", persist ? "from" : "once", n, c->name);
            bad++;
        }
        if (r == TF_RUN_CLEAN || only || bad >= 5) break;
    }
    printf("%s faults: %s/%s: %ld runs (N = 1..%ld), %ld errors reported, %ld recovered\n",
           bad ? "FAIL" : "PASS", c->name, persist ? "from" : "once", runs, runs, errors, recovered);
    return !bad;
}

static int tf_selected(const char *name, int argc, char **argv) {
    int any = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            if (!strcmp(argv[i], "--mode") || !strcmp(argv[i], "--n")) i++;
            continue;
        }
        any = 1;
        if (!strcmp(name, argv[i])) return 1;
    }
    return !any;
}

int main(int argc, char **argv) {
    const char *mode = NULL;
    long only = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    tn_log_set_level(TN_LOG_NONE);  // the failures are expected; their log lines are noise here
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--list")) {
            for (int j = 0; j < tf_ncases; j++) printf("%s\n", tf_cases[j]->name);
            return 0;
        }
        if (!strcmp(argv[i], "--no-fork")) tf_forked = 0;
        if (!strcmp(argv[i], "--trace")) tf_trace = 1;
        if (!strcmp(argv[i], "--mode") && i + 1 < argc) mode = argv[++i];
        if (!strcmp(argv[i], "--n") && i + 1 < argc) only = atol(argv[++i]);
    }
    int ok = 1;
    for (int j = 0; j < tf_ncases; j++) {
        if (!tf_selected(tf_cases[j]->name, argc, argv)) continue;
        for (int persist = 0; persist < 2; persist++) {
            if (mode && strcmp(mode, persist ? "from" : "once")) continue;
            ok &= tf_sweep(tf_cases[j], persist, only);
        }
    }
    return ok ? 0 : 1;
}
