// The unit-test runner: forks one child per test (a hang guard of 60 s, a
// library allocation balance check after each test) and prints a line per test.
// Usage: unit [--no-fork] [--list] [SUBSTRING...] (of a test's name or file)
#define _GNU_SOURCE 1
#include "test.h"
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#if defined(_WIN32)
#  include <errno.h>
#  include <process.h>
#else
#  include <sys/wait.h>
#  include <unistd.h>
#endif

enum { TT_MAX = 2048, TT_SKIP_CODE = 77 };
static struct { const char *name; tt_fn fn; const char *file; } tt_tests[TT_MAX];
static int tt_count;
static int tt_forked = 1;
#if defined(_WIN32)
// Windows has no fork: each test runs in a new copy of this program,
// started with --only NAME (no 60 s hang guard there: no alarm()).
static const char *tt_self;
#endif

#if defined(_WIN32)
// Runs test NAME in a copy of this program. Under wine on a loaded machine
// the start itself has failed once: said so, and tried again, as it is no
// verdict on the test; a copy that ends without a verdict of its own (a
// crash) is named with its status.
static int tt_spawn(const char *name) {
    intptr_t rc = _spawnl(_P_WAIT, tt_self, tt_self, "--only", name, (char *)NULL);
    if (rc == -1) {
        printf("  could not start a copy of %s (%s); once more\n", tt_self, strerror(errno));
        rc = _spawnl(_P_WAIT, tt_self, tt_self, "--only", name, (char *)NULL);
    }
    if (rc != 0 && rc != 1 && rc != TT_SKIP_CODE) printf("  its copy ended with status %lld\n", (long long)rc);
    return rc == -1 ? 1 : (int)rc;
}
#endif

void tt_register(const char *name, tt_fn fn, const char *file) {
    if (tt_count == TT_MAX) abort();
    tt_tests[tt_count].name = name;
    tt_tests[tt_count].fn = fn;
    tt_tests[tt_count].file = file;
    tt_count++;
}

void tt_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stdout, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fprintf(stdout, "\n");
    fflush(stdout);
    _exit(1);
}

void tt_skip(const char *why) {
    fprintf(stdout, "  skipped: %s\n", why);
    fflush(stdout);
    _exit(TT_SKIP_CODE);
}

tn_loop *tt_loop_new(void) {
    tn_loop *loop = tn_loop_new(NULL);
    if (!loop) tt_fail(__FILE__, __LINE__, "tn_loop_new failed");
    return loop;
}

static void tt_guard(tn_loop *loop, void *arg) {
    (void)loop;
    (void)arg;
    tt_fail(__FILE__, __LINE__, "tt_run_until: still waiting after 10 s");
}

void tt_run_until(tn_loop *loop, volatile int *flag) {
    tn_timeout guard = tn_loop_call_later(loop, 10.0, tt_guard, NULL);
    while (!*flag) tn_loop_run_once(loop, 1.0);
    tn_loop_remove_timeout(loop, guard);
}

static int tt_match(int t, int argc, char **argv) {
    int any = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') continue;
        any = 1;
        if (strstr(tt_tests[t].name, argv[i]) || strstr(tt_tests[t].file, argv[i])) return 1;
    }
    return !any;
}

static int tt_run_one(int i) {
    fflush(stdout);
#if defined(_WIN32)
    if (tt_forked) return tt_spawn(tt_tests[i].name);
    {
#else
    pid_t pid = tt_forked ? fork() : 0;
    if (pid == 0) {
        alarm(60);
#endif
        tn_mem_stats before = tn_mem_get_stats();
        tt_tests[i].fn();
        tn_mem_stats after = tn_mem_get_stats();
        if (after.live != before.live) {
            printf("  the library holds %lld more blocks than before the test (leak)\n",
                   (long long)(after.live - before.live));
            fflush(stdout);
            _exit(1);
        }
        fflush(stdout);
        if (!tt_forked) return 0;
        exit(0);  // exit, not _exit: LeakSanitizer checks at exit
    }
#if !defined(_WIN32)
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == TT_SKIP_CODE) return TT_SKIP_CODE;
    if (WIFSIGNALED(st)) printf("  killed by signal %d%s\n", WTERMSIG(st), WTERMSIG(st) == SIGALRM ? " (hang guard)" : "");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
#endif
}

int main(int argc, char **argv) {
    int pass = 0, fail = 0, skip = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
#if defined(_WIN32)
    tt_self = argv[0];
    if (argc == 3 && !strcmp(argv[1], "--only")) {
        tt_forked = 0;
        for (int i = 0; i < tt_count; i++)
            if (!strcmp(tt_tests[i].name, argv[2])) return tt_run_one(i);
        return 1;
    }
#endif
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-fork")) tt_forked = 0;
        if (!strcmp(argv[i], "--list")) {
            for (int j = 0; j < tt_count; j++) printf("%s\n", tt_tests[j].name);
            return 0;
        }
    }
#if !defined(_WIN32)
    signal(SIGPIPE, SIG_IGN);
#endif
    for (int i = 0; i < tt_count; i++) {
        if (!tt_match(i, argc, argv)) continue;
        int r = tt_run_one(i);
        const char *word = r == 0 ? "PASS" : r == TT_SKIP_CODE ? "SKIP" : "FAIL";
        printf("%s %s\n", word, tt_tests[i].name);
        if (r == 0) pass++;
        else if (r == TT_SKIP_CODE) skip++;
        else fail++;
    }
    printf("unit: %d passed, %d failed, %d skipped\n", pass, fail, skip);
    return fail ? 1 : 0;
}
