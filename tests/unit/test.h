// A small test harness: each TEST registers itself; the runner (main.c) runs
// every test in its own child process, so a crash, a hang or a leak fails only
// that test. Output: one "PASS name", "FAIL name" or "SKIP name" line each.
#ifndef TT_TEST_H
#define TT_TEST_H
#include "../../tornado.h"
#include <stdio.h>
#include <string.h>

typedef void (*tt_fn)(void);
void tt_register(const char *name, tt_fn fn, const char *file);
#if defined(__MINGW32__)  // C99 formats (%zu): __USE_MINGW_ANSI_STDIO
#  define TT_PRINTF_FORMAT gnu_printf
#else
#  define TT_PRINTF_FORMAT printf
#endif
void tt_fail(const char *file, int line, const char *fmt, ...) __attribute__((noreturn, format(TT_PRINTF_FORMAT, 3, 4)));
void tt_skip(const char *why) __attribute__((noreturn));
// A fresh loop for a test; tt_loop_free also checks it really closed.
tn_loop *tt_loop_new(void);
// Runs the loop until *flag becomes nonzero (fails the test after 10 s, a hang guard).
void tt_run_until(tn_loop *loop, volatile int *flag);

#define TEST(name)                                                             \
    static void tt_##name(void);                                               \
    __attribute__((constructor)) static void tt_reg_##name(void) {             \
        tt_register(#name, tt_##name, __FILE__);                               \
    }                                                                          \
    static void tt_##name(void)

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) tt_fail(__FILE__, __LINE__, "CHECK(%s)", #c);                \
    } while (0)
#define CHECK_INT(a, b)                                                        \
    do {                                                                       \
        long long tt_a = (long long)(a), tt_b = (long long)(b);                \
        if (tt_a != tt_b)                                                      \
            tt_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, \
                    tt_a, #b, tt_b);                                           \
    } while (0)
#define CHECK_MEM(p, n, q, m)                                                  \
    do {                                                                       \
        size_t tt_n = (n), tt_m = (m);                                         \
        if (tt_n != tt_m || memcmp((p), (q), tt_n) != 0)                       \
            tt_fail(__FILE__, __LINE__, "%s: got \"%.*s\" (%zu bytes), expected \"%.*s\" (%zu)", \
                    #p, (int)(tt_n > 200 ? 200 : tt_n), (const char *)(p), tt_n, \
                    (int)(tt_m > 200 ? 200 : tt_m), (const char *)(q), tt_m);  \
    } while (0)
#define CHECK_STR(s, lit) CHECK_MEM((s), strlen(s), (lit), strlen(lit))
#define CHECK_OK(expr)                                                         \
    do {                                                                       \
        int tt_r = (expr);                                                     \
        if (tt_r < 0) tt_fail(__FILE__, __LINE__, "%s failed: %s", #expr, tn_strerror(tt_r)); \
    } while (0)

#endif
