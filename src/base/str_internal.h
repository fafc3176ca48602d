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
// Appends v in `base` (10 or 16) without printf: the HTTP server and client
// write a length or a chunk size per message.
TN__INTERNAL int tn__buf_append_num(tn_buf *b, uint64_t v, unsigned base);
// Makes room for `extra` more bytes, exactly when it must grow (no
// doubling: for a large piece whose size is known, such as a request body).
// Returns 0 or TN_ENOMEM.
TN__INTERNAL int tn__buf_reserve_exact(tn_buf *b, size_t extra);
// Empties a buffer kept for reuse, and frees it when it grew past `keep`
// bytes (one big message must not pin its memory on a pooled object).
TN__INTERNAL void tn__buf_trim(tn_buf *b, size_t keep);
#endif
