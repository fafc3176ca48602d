// ---------------------------------------------------------------------------
// >>alloc_internal  The library's allocation calls (base/alloc.c)
// ---------------------------------------------------------------------------
// Every block the library allocates comes from these, so that it is counted
// (tn_mem_get_stats) and goes through TN_MALLOC / TN_REALLOC / TN_FREE.
#ifndef TN__BASE_ALLOC_INTERNAL_H
#define TN__BASE_ALLOC_INTERNAL_H
#include "base/internal.h"

TN__INTERNAL void *tn__malloc(size_t n);
// Zeroed; NULL also when count * n overflows.
TN__INTERNAL void *tn__calloc(size_t count, size_t n);
TN__INTERNAL void *tn__realloc(void *p, size_t n);
TN__INTERNAL void tn__free(void *p);
// Grows an array to hold at least `need` elements of `size` bytes: its
// capacity *cap (in elements) doubles, from `first`, until they fit.
// `arrayp` is the address of the array's pointer, whatever its element
// type. Returns 0, or TN_ENOMEM with the array and *cap unchanged (also when
// the bytes would not fit a size_t).
TN__INTERNAL int tn__grow(void *arrayp, size_t *cap, size_t need, size_t size, size_t first);
#endif
