// ---------------------------------------------------------------------------
// >>args_internal  Filling a tn_args by other parsers (cookie.c; http/args.c)
// ---------------------------------------------------------------------------
#ifndef TN__HTTP_ARGS_INTERNAL_H
#define TN__HTTP_ARGS_INTERNAL_H
#include "base/internal.h"
#include "base/str.h"
#include "http/args.h"

// Fields one parse may add unless limited (tn_args_limits.max_fields).
#define TN__ARGS_DEFAULT_MAX_FIELDS 1000

// A new chunk of `a` holding `len` bytes of `data` (NULL: left uninitialised)
// and a NUL. Returns its bytes or NULL.
TN__INTERNAL char *tn__args_copy(tn_args *a, const char *data, size_t len);
// Appends one field whose views point into memory `a` owns. Returns 0 or TN_ENOMEM.
TN__INTERNAL int tn__args_push(tn_args *a, tn_str name, tn_str value);
// Undoes a failed append: drops the fields after `count` and the newest chunk.
TN__INTERNAL void tn__args_undo(tn_args *a, size_t count);
#endif
