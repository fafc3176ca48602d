// >>alloc implementation
#include "base/internal.h"
#include "base/alloc.h"
#include "base/alloc_internal.h"
#include "base/error.h"

#include <stdlib.h>
#include <string.h>

#ifndef TN_MALLOC
#  define TN_MALLOC(n) malloc(n)
#  define TN_REALLOC(p, n) realloc((p), (n))
#  define TN_FREE(p) free(p)
#endif

static uint64_t tn__mem_allocs, tn__mem_frees;

struct tn__allocator {
    tn_allocator a;
    uint64_t refs;  // atomic: one for the loop, one per block it made
};

// This thread's allocator for new blocks (NULL: TN_MALLOC).
static TN__THREAD_LOCAL tn__allocator *tn__alloc_current;

// What precedes every block: the allocator that made it (NULL: TN_MALLOC)
// and, for a run-time allocator, which has no realloc, the block's size.
// 16 bytes, so that blocks stay as aligned as malloc's.
typedef struct tn__head {
    tn__allocator *from;
    size_t size;
} tn__head;
enum { TN__HEAD = 16 };
typedef char tn__head_fits[sizeof(tn__head) <= TN__HEAD ? 1 : -1];

TN__PRIVATE tn__head tn__head_get(const void *p) {
    tn__head h;
    memcpy(&h, (const char *)p - TN__HEAD, sizeof h);
    return h;
}

// Stamps the head at the start of `raw` and returns the block after it.
TN__PRIVATE void *tn__head_put(void *raw, tn__allocator *from, size_t size) {
    tn__head h;
    h.from = from;
    h.size = size;
    memcpy(raw, &h, sizeof h);
    return (char *)raw + TN__HEAD;
}

TN__INTERNAL tn__allocator *tn__allocator_new(const tn_allocator *a) {
    tn__allocator *r = TN__CAST(tn__allocator *, a->alloc_cb(sizeof *r, a->user_data));
    if (!r) return NULL;
    r->a = *a;
    r->refs = 1;
    TN__ATOMIC_ADD(&tn__mem_allocs, 1);
    return r;
}

TN__INTERNAL void tn__allocator_release(tn__allocator *r) {
    if (!r || TN__ATOMIC_DEC(&r->refs) != 0) return;
    tn_allocator a = r->a;  // the record goes back through its own allocator
    TN__ATOMIC_ADD(&tn__mem_frees, 1);
    a.free_cb(r, a.user_data);
}

TN__INTERNAL tn__allocator *tn__allocator_use(tn__allocator *r) {
    tn__allocator *prev = tn__alloc_current;
    tn__alloc_current = r;
    return prev;
}

TN__INTERNAL void *tn__malloc(size_t n) {
    tn__allocator *a = tn__alloc_current;
    if (n > SIZE_MAX - TN__HEAD) return NULL;
    void *raw = a ? a->a.alloc_cb(n + TN__HEAD, a->a.user_data) : TN_MALLOC(n + TN__HEAD);
    if (!raw) return NULL;
    if (a) TN__ATOMIC_ADD(&a->refs, 1);
    TN__ATOMIC_ADD(&tn__mem_allocs, 1);
    return tn__head_put(raw, a, n);
}

TN__INTERNAL void *tn__calloc(size_t count, size_t n) {
    if (n && count > SIZE_MAX / n) return NULL;
    size_t total = count * n;
    void *p = tn__malloc(total);
    if (p) memset(p, 0, total);
    return p;
}

TN__INTERNAL void *tn__realloc(void *p, size_t n) {
    if (!p) return tn__malloc(n);
    if (n > SIZE_MAX - TN__HEAD) return NULL;
    tn__head h = tn__head_get(p);
    void *old = (char *)p - TN__HEAD;
    if (!h.from) {  // TN_REALLOC may grow it in place
        void *raw = TN_REALLOC(old, n + TN__HEAD);
        return raw ? tn__head_put(raw, NULL, n) : NULL;
    }
    // A run-time allocator has no realloc: move the block, within it.
    void *raw = h.from->a.alloc_cb(n + TN__HEAD, h.from->a.user_data);
    if (!raw) return NULL;
    void *q = tn__head_put(raw, h.from, n);
    memcpy(q, p, TN__MIN(h.size, n));
    h.from->a.free_cb(old, h.from->a.user_data);
    return q;
}

TN__INTERNAL void tn__free(void *p) {
    if (!p) return;
    tn__head h = tn__head_get(p);
    void *raw = (char *)p - TN__HEAD;
    TN__ATOMIC_ADD(&tn__mem_frees, 1);
    if (!h.from) {
        TN_FREE(raw);
        return;
    }
    h.from->a.free_cb(raw, h.from->a.user_data);
    tn__allocator_release(h.from);
}

TN__INTERNAL int tn__grow(void *arrayp, size_t *cap, size_t need, size_t size, size_t first) {
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : first;
    while (n < need) n = n > SIZE_MAX / 2 ? need : n * 2;
    if (n > SIZE_MAX / size) return TN_ENOMEM;
    void *array;  // copied through memcpy: an element pointer read as void *
    memcpy(&array, arrayp, sizeof array);
    array = tn__realloc(array, n * size);
    if (!array) return TN_ENOMEM;
    memcpy(arrayp, &array, sizeof array);
    *cap = n;
    return 0;
}

TN_API tn_mem_stats tn_mem_get_stats(void) {
    tn_mem_stats s;
    s.allocs = TN__ATOMIC_LOAD(&tn__mem_allocs);
    s.frees = TN__ATOMIC_LOAD(&tn__mem_frees);
    s.live = s.allocs - s.frees;
    return s;
}
