// ---------------------------------------------------------------------------
// >>str_internal  Small string helpers (base/str.c)
// ---------------------------------------------------------------------------
#ifndef TN__BASE_STR_INTERNAL_H
#define TN__BASE_STR_INTERNAL_H
#include "base/internal.h"
#include "base/str.h"

// A view of p[0..n).
TN__INTERNAL tn_str tn__str_n(const char *p, size_t n);
// A copy of s from tn__malloc (NULL when out of memory).
TN__INTERNAL char *tn__strdup(const char *s);
// The value of a hex digit, or -1.
TN__INTERNAL int tn__hex_value(int c);
// Writes 2n lowercase hex digits (no NUL).
TN__INTERNAL void tn__hex_encode(const void *src, size_t n, char *out);
#endif
