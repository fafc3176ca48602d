// ---------------------------------------------------------------------------
// >>gzip_internal  What the server and the web layer share about gzip
// responses (http/gzip.c)
// ---------------------------------------------------------------------------
#ifndef TN__HTTP_GZIP_INTERNAL_H
#define TN__HTTP_GZIP_INTERNAL_H
#include "base/internal.h"
#include "base/deflate.h"
#include "base/str.h"

// What a gzipped response's ETag gets inside its closing quote.
#define TN__GZIP_ETAG_SUFFIX "-gzip"

// Compresses `len` bytes with `flush` (tn_deflate_update's), appending all
// the output to `out`. Returns 0 or TN_ENOMEM. Only with the codec.
#if TN_ENABLE_DEFLATE
TN__INTERNAL int tn__gzip_append(tn_deflate *z, tn_buf *out, const void *in, size_t len, int flush);
#endif
// Appends `etag` with TN__GZIP_ETAG_SUFFIX before its closing quote (at
// the end if it has none). Returns 0 or TN_ENOMEM.
TN__INTERNAL int tn__gzip_etag(tn_buf *out, tn_str etag);
// True when `tag` (one entity tag of an If-None-Match) is `etag` with
// TN__GZIP_ETAG_SUFFIX added as tn__gzip_etag does.
TN__INTERNAL bool tn__gzip_etag_is(tn_str tag, tn_str etag);
// The Vary value that adds "Accept-Encoding" to `vary` (the current value,
// {NULL,0} if none): returns 1 with it in `out` (cleared first,
// NUL-terminated), 0 when `vary` already names it or is "*", or TN_ENOMEM.
TN__INTERNAL int tn__gzip_vary(tn_str vary, tn_buf *out);
#endif
