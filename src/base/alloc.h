// ---------------------------------------------------------------------------
// >>alloc  Memory: where the library's blocks come from, and counters
// ---------------------------------------------------------------------------
// Every block the library allocates comes from one of two places, chosen
// when it is allocated:
//   - the run-time allocator of the calling thread's current loop
//     (tn_loop_current(): the loop running there, or the one tn_loop_new or
//     tn_loop_make_current made current), when tn_loop_desc.allocator set one;
//   - otherwise TN_MALLOC / TN_REALLOC / TN_FREE (libc's by default), a
//     compile-time choice for the whole program.
// So with one loop per thread, everything the library allocates on that
// thread from tn_loop_new on comes from the loop's allocator: the loop and
// its internals (tn_loop_new builds them with it), streams, servers,
// requests, WebSocket connections, and the tn_buf, JSON documents, argument
// lists and templates your callbacks make. Work on the executor's threads
// (tn_loop_run_in_executor, name resolution) and code on threads without a
// current loop use TN_MALLOC.
//
// Every block remembers its allocator: it is grown and freed through the
// allocator that made it, whichever loop is current then, on any thread,
// even after its loop was freed (a tn_buf you keep, say). A run-time
// allocator must stay usable until the last block it served is freed; the
// library keeps a copy of its tn_allocator (one block of its own) until then.
// Each block carries 16 bytes of bookkeeping.
//
// Blocks are counted, so a program (or a benchmark) can check that a steady
// state allocates nothing and that a closed loop has freed everything.
#ifndef TN__BASE_ALLOC_H
#define TN__BASE_ALLOC_H
#include "base/config.h"
TN__BEGIN_DECLS

// A run-time allocator (sokol's style), set per loop in
// tn_loop_desc.allocator, for hosts that allocate from an arena or a pool.
// alloc_cb returns at least `size` bytes aligned for any type, or NULL when
// out of memory; free_cb takes back a block alloc_cb returned (the library
// never passes NULL). Both are called on the thread that allocates or frees:
// the loop's thread, unless you free the library's memory elsewhere. Set
// both or neither.
typedef struct tn_allocator {
    void *(*alloc_cb)(size_t size, void *user_data);
    void (*free_cb)(void *ptr, void *user_data);
    void *user_data;
} tn_allocator;

typedef struct tn_mem_stats {
    uint64_t allocs;  // successful allocations (malloc, calloc, realloc of NULL)
    uint64_t frees;   // frees of non-NULL pointers
    uint64_t live;    // allocs - frees: blocks currently held by the library
} tn_mem_stats;

// Process-wide counters of the library's own allocations, from every
// allocator. Thread-safe.
TN_API tn_mem_stats tn_mem_get_stats(void);

TN__END_DECLS
#endif
