// The library's heap in bytes, counted through its allocator hooks (the
// library's own tn_mem_get_stats counts blocks, not bytes). Included by the
// WebSocket benchmark programs before tornado.h; glibc only.
#ifndef WS_HEAP_H
#define WS_HEAP_H
#define _GNU_SOURCE 1
#include <malloc.h>
#include <stdlib.h>

static size_t heap_bytes;
static void *count_malloc(size_t n) {
    void *p = malloc(n);
    if (p) heap_bytes += malloc_usable_size(p);
    return p;
}
static void *count_realloc(void *p, size_t n) {
    size_t old = p ? malloc_usable_size(p) : 0;
    void *q = realloc(p, n);
    if (q) heap_bytes += malloc_usable_size(q) - old;
    return q;
}
static void count_free(void *p) {
    if (p) heap_bytes -= malloc_usable_size(p);
    free(p);
}
#define TN_MALLOC(n) count_malloc(n)
#define TN_REALLOC(p, n) count_realloc((p), (n))
#define TN_FREE(p) count_free(p)
#endif
