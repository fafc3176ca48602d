// ---------------------------------------------------------------------------
// >>str  String views and growable byte buffers
// ---------------------------------------------------------------------------
#ifndef TN__BASE_STR_H
#define TN__BASE_STR_H
#include "base/config.h"
TN__BEGIN_DECLS

// A view of bytes owned by someone else; not NUL-terminated in general.
typedef struct tn_str {
    const char *ptr;
    size_t len;
} tn_str;

// A growable byte buffer. Zero-initialise it; free it with tn_buf_free.
// `data` is NUL-terminated after every append (the NUL is not in `len`).
typedef struct tn_buf {
    char *data;
    size_t len;
    size_t cap;
} tn_buf;

// A view of a NUL-terminated string (NULL gives an empty view).
TN_API tn_str tn_str_c(const char *s);
// True when the view equals the NUL-terminated string `s`.
TN_API bool tn_str_eq(tn_str a, const char *s);
// True when the views are equal ignoring ASCII case.
TN_API bool tn_str_eq_nocase(tn_str a, tn_str b);

// Makes room for `extra` more bytes. Returns 0 or TN_ENOMEM.
TN_API int tn_buf_reserve(tn_buf *b, size_t extra);
// Appends bytes. Returns 0 or TN_ENOMEM (the buffer is then unchanged).
TN_API int tn_buf_append(tn_buf *b, const void *data, size_t len);
// Appends a NUL-terminated string. Returns 0 or TN_ENOMEM.
TN_API int tn_buf_append_str(tn_buf *b, const char *s);
// Appends printf-formatted text. Returns 0 or TN_ENOMEM.
TN_API int tn_buf_appendf(tn_buf *b, const char *fmt, ...) TN_PRINTF(2, 3);
// tn_buf_appendf with a va_list.
TN_API int tn_buf_appendv(tn_buf *b, const char *fmt, va_list ap);
// Removes the first `n` bytes (all when n >= len).
TN_API void tn_buf_consume(tn_buf *b, size_t n);
// Empties the buffer, keeping its memory.
TN_API void tn_buf_clear(tn_buf *b);
// Frees the memory and zeroes the buffer.
TN_API void tn_buf_free(tn_buf *b);

TN__END_DECLS
#endif
