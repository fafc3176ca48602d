// ---------------------------------------------------------------------------
// >>args  Request arguments: a decoded name/value multimap
// ---------------------------------------------------------------------------
// Query strings and application/x-www-form-urlencoded bodies, parsed like
// Python's parse_qs(keep_blank_values=True): "a=1&b=&c" gives a=1, b="" and
// c=""; empty pairs are skipped; "+" is a space; names and values are bytes
// (no charset is assumed). Only "&" separates pairs, as in Python 3.9.2 and
// later (";" splitting allowed cache-poisoning tricks). Several sources
// (query, body, multipart fields, cookies) may be parsed into one tn_args, as
// Tornado merges query and body arguments; lookups give the LAST value, as
// Tornado's get_argument.
//
// A tn_args owns a copy of each input, decoded in place, and an array of views
// into those copies: the views stay valid until tn_args_free, and every name
// and value is NUL-terminated (ptr[len] == '\0'), so ptr is a C string.
#ifndef TN__HTTP_ARGS_H
#define TN__HTTP_ARGS_H
#include "base/config.h"
#include "base/str.h"
TN__BEGIN_DECLS

typedef struct tn_arg {
    tn_str name;
    tn_str value;
} tn_arg;

typedef struct tn_args_limits {
    size_t max_fields;  // fields one tn_args_parse call may add; default 1000
} tn_args_limits;

typedef struct tn_args {
    tn_arg *items;               // items[0 .. count-1], in input order
    size_t count;
    size_t cap;                  // private
    struct tn__args_chunk *mem;  // private: the owned copies
} tn_args;

// Parses `len` bytes of a query string (without the "?") or form body and
// appends the fields to `a` (zero-initialised or already holding fields).
// lim may be NULL. Returns 0, TN_ERANGE when the input has more than
// max_fields fields, or TN_ENOMEM; on error `a` is left as it was.
TN_API int tn_args_parse(tn_args *a, const char *data, size_t len, const tn_args_limits *lim);
// Appends one field, copying name and value as given (no decoding).
// Returns 0 or TN_ENOMEM.
TN_API int tn_args_add(tn_args *a, tn_str name, tn_str value);
// The last value of `name`, or NULL when absent (Tornado's get_argument).
TN_API const tn_str *tn_args_get(const tn_args *a, const char *name);
// How many values `name` has.
TN_API size_t tn_args_count(const tn_args *a, const char *name);
// Iterates the values of `name` in order: start with *pos = 0; returns the
// next value and advances *pos, or NULL at the end (Tornado's get_arguments).
TN_API const tn_str *tn_args_next(const tn_args *a, const char *name, size_t *pos);
// Copies up to `max` values of `name`, in order, into out (may be NULL when
// max is 0). Returns how many values `name` has (possibly more than max).
TN_API size_t tn_args_get_all(const tn_args *a, const char *name, tn_str *out, size_t max);
// Frees everything and zeroes `a` (it may be reused).
TN_API void tn_args_free(tn_args *a);

TN__END_DECLS
#endif
