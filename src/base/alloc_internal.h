// ---------------------------------------------------------------------------
// >>alloc_internal  The library's allocation calls (base/alloc.c)
// ---------------------------------------------------------------------------
// Every block the library allocates comes from these: they pick the
// allocator (see >>alloc), record it in the block, and count.
#ifndef TN__BASE_ALLOC_INTERNAL_H
#define TN__BASE_ALLOC_INTERNAL_H
#include "base/internal.h"
#include "base/alloc.h"

TN__INTERNAL void *tn__malloc(size_t n);
// Zeroed; NULL also when count * n overflows.
TN__INTERNAL void *tn__calloc(size_t count, size_t n);
// Grows or shrinks a block within the allocator that made it (p NULL: tn__malloc).
TN__INTERNAL void *tn__realloc(void *p, size_t n);
// Gives a block back to the allocator that made it.
TN__INTERNAL void tn__free(void *p);
// Grows an array to hold at least `need` elements of `size` bytes: its
// capacity *cap (in elements) doubles, from `first`, until they fit.
// `arrayp` is the address of the array's pointer, whatever its element
// type. Returns 0, or TN_ENOMEM with the array and *cap unchanged (also when
// the bytes would not fit a size_t).
TN__INTERNAL int tn__grow(void *arrayp, size_t *cap, size_t need, size_t size, size_t first);

// A run-time allocator as the library holds it: a copy of the tn_allocator,
// kept (in one block of its own) while its loop lives or a block it made does.
typedef struct tn__allocator tn__allocator;
// Makes the record of `a` (both callbacks set), held once for its loop.
// NULL when out of memory.
TN__INTERNAL tn__allocator *tn__allocator_new(const tn_allocator *a);
// Drops the loop's hold; the record goes once its last block is freed too.
TN__INTERNAL void tn__allocator_release(tn__allocator *r);
// Sets the allocator of this thread's next allocations (NULL: TN_MALLOC);
// returns the previous one. The loop calls it as it becomes current.
TN__INTERNAL tn__allocator *tn__allocator_use(tn__allocator *r);
#endif
