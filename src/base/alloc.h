// ---------------------------------------------------------------------------
// >>alloc  Memory accounting
// ---------------------------------------------------------------------------
// Every allocation the library makes goes through TN_MALLOC/TN_REALLOC/TN_FREE
// and is counted, so a program (or a benchmark) can check that a steady state
// allocates nothing and that a closed loop has freed everything.
#ifndef TN__BASE_ALLOC_H
#define TN__BASE_ALLOC_H
#include "base/config.h"
TN__BEGIN_DECLS

typedef struct tn_mem_stats {
    uint64_t allocs;  // successful allocations (malloc, calloc, realloc of NULL)
    uint64_t frees;   // frees of non-NULL pointers
    uint64_t live;    // allocs - frees: blocks currently held by the library
} tn_mem_stats;

// Process-wide counters of the library's own allocations. Thread-safe.
TN_API tn_mem_stats tn_mem_get_stats(void);

TN__END_DECLS
#endif
