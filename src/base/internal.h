// ---------------------------------------------------------------------------
// >>internal  The start of every implementation file (not public API)
// ---------------------------------------------------------------------------
// Every .c under src/ includes this first, then the headers it uses, public
// and private. A module's private interface to the others lives in its
// X_internal.h (loop_internal.h, server_internal.h, ws_internal.h...), which
// names exactly what crosses; a name used in one file only stays there.
//
// Linkage. The implementation is built two ways: amalgamated into tornado.h,
// where it is one translation unit, and file by file from src/ (the "split"
// unit-test build). Two macros say how far an internal function is seen:
//   TN__PRIVATE   used in its own file only: static in both builds.
//   TN__INTERNAL  declared in an X_internal.h and defined in one file for the
//                 others: static in tornado.h (so two TORNADO_STATIC copies
//                 link into one program, and only TN_API names leave the
//                 object), extern (and hidden from a shared library's
//                 exports) when src/ is compiled file by file.
// Both carry __attribute__((unused)): a configuration that calls no one of
// them (no threads, another backend) stays warning-free.
#ifndef TN__BASE_INTERNAL_H
#define TN__BASE_INTERNAL_H

// Compiled on its own, a src/ file is a piece of the implementation all the
// same: say so before config.h picks the system interfaces (_GNU_SOURCE).
#ifndef TORNADO_IMPLEMENTATION
#  define TORNADO_IMPLEMENTATION
#endif
#include "base/config.h"

#if TN_ENABLE_THREADS
#  include <pthread.h>
#endif
#ifndef TN_ASSERT
#  include <assert.h>
#  define TN_ASSERT(c) assert(c)
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define TN__UNUSED __attribute__((unused))
#  if defined(_WIN32)  // PE objects have no visibility: an .exe exports nothing
#    define TN__HIDDEN
#  else
#    define TN__HIDDEN __attribute__((visibility("hidden")))
#  endif
#  define TN__LIKELY(x) __builtin_expect(!!(x), 1)
#  define TN__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define TN__UNUSED
#  define TN__HIDDEN
#  define TN__LIKELY(x) (x)
#  define TN__UNLIKELY(x) (x)
#endif

#define TN__PRIVATE static TN__UNUSED
#if defined(TORNADO_IMPL_INCLUDED)  // tornado.h: one translation unit
#  define TN__INTERNAL static TN__UNUSED
#elif defined(TORNADO_STATIC)
#  error "TORNADO_STATIC needs the amalgamated tornado.h: src/ files compiled one by one must call each other"
#else
#  define TN__INTERNAL extern TN__HIDDEN TN__UNUSED
#endif

#define TN__MIN(a, b) ((a) < (b) ? (a) : (b))
#define TN__MAX(a, b) ((a) > (b) ? (a) : (b))
#define TN__COUNTOF(a) (sizeof(a) / sizeof((a)[0]))
// Zero means "use the default" in every desc struct.
#define TN__DEF(v, d) ((v) ? (v) : (d))
// Casts that C++ requires and C allows implicitly.
#ifdef __cplusplus
#  define TN__CAST(T, x) static_cast<T>(x)
#else
#  define TN__CAST(T, x) (x)
#endif

// Relaxed counters and flags shared with other threads or signal handlers.
#if defined(__GNUC__) || defined(__clang__)
#  define TN__ATOMIC_ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_RELAXED)
#  define TN__ATOMIC_LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#  define TN__ATOMIC_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#  define TN__ATOMIC_XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)
// A reference count's release: the new value (0: the last one is gone).
#  define TN__ATOMIC_DEC(p) __atomic_sub_fetch((p), 1, __ATOMIC_ACQ_REL)
#else
#  error "tornado.h needs GCC or Clang atomics builtins"
#endif

#if TN_ENABLE_THREADS
typedef pthread_mutex_t tn__mutex;
#  define tn__mutex_init(m) pthread_mutex_init((m), NULL)
#  define tn__mutex_destroy(m) pthread_mutex_destroy(m)
#  define tn__mutex_lock(m) pthread_mutex_lock(m)
#  define tn__mutex_unlock(m) pthread_mutex_unlock(m)
#  define TN__THREAD_LOCAL __thread
#else
typedef int tn__mutex;
#  define tn__mutex_init(m) ((void)(m))
#  define tn__mutex_destroy(m) ((void)(m))
#  define tn__mutex_lock(m) ((void)(m))
#  define tn__mutex_unlock(m) ((void)(m))
#  define TN__THREAD_LOCAL
#endif
#endif
