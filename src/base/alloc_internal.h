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
#endif
