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

TN__INTERNAL void *tn__malloc(size_t n) {
    void *p = TN_MALLOC(n ? n : 1);
    if (p) TN__ATOMIC_ADD(&tn__mem_allocs, 1);
    return p;
}

TN__INTERNAL void *tn__calloc(size_t count, size_t n) {
    if (n && count > SIZE_MAX / n) return NULL;
    size_t total = count * n;
    void *p = tn__malloc(total);
    if (p) memset(p, 0, total);
    return p;
}

TN__INTERNAL void *tn__realloc(void *p, size_t n) {
    void *q = TN_REALLOC(p, n ? n : 1);
    if (q && !p) TN__ATOMIC_ADD(&tn__mem_allocs, 1);
    return q;
}

TN__INTERNAL void tn__free(void *p) {
    if (!p) return;
    TN__ATOMIC_ADD(&tn__mem_frees, 1);
    TN_FREE(p);
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
