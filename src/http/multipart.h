// ---------------------------------------------------------------------------
// >>multipart  multipart/form-data bodies (buffered)
// ---------------------------------------------------------------------------
// Parses a whole multipart/form-data body, as Tornado's
// parse_multipart_form_data with its 6.5 limits. Part bodies are views into
// the caller's body; names and file names are decoded into memory the
// tn_multipart owns. A part with a non-empty file name is a file
// (Tornado's request.files); the others are fields (request.arguments).
#ifndef TN__HTTP_MULTIPART_H
#define TN__HTTP_MULTIPART_H
#include "base/config.h"
#include "base/str.h"
#include "http/args.h"
TN__BEGIN_DECLS

typedef struct tn_multipart_limits {
    size_t max_parts;             // default 100
    size_t max_part_header_size;  // bytes of one part's header block; default 10 KiB
} tn_multipart_limits;

typedef struct tn_multipart_part {
    tn_str name;          // Content-Disposition name, unquoted (NUL-terminated)
    tn_str filename;      // filename (filename*=UTF-8''... preferred), unquoted
                          // and decoded (NUL-terminated); empty for a field
    tn_str content_type;  // the part's Content-Type, or "application/unknown"
    tn_str headers;       // the raw header lines, CRLF-separated
    tn_str body;          // the content, a view into the parsed body
} tn_multipart_part;

typedef struct tn_multipart {
    tn_multipart_part *parts;  // parts[0 .. count-1], in body order
    size_t count;
    char *names;               // private: decoded names and file names
} tn_multipart;

// Parses `body` with the boundary of `content_type` (the Content-Type
// value, e.g. `multipart/form-data; boundary="xyz"`). `mp` is overwritten
// (free it with tn_multipart_free, also after an error); lim may be NULL.
// Returns 0, TN_EPARSE (no boundary or one over 70 bytes, no closing
// boundary, a part without headers, a bad header line, a Content-Disposition
// other than form-data or without a name), TN_EMSGSIZE (a part's header
// block over max_part_header_size), TN_ERANGE (over max_parts parts) or
// TN_ENOMEM. Each error is also logged.
TN_API int tn_multipart_parse(tn_multipart *mp, tn_str content_type, const char *body, size_t len,
                              const tn_multipart_limits *lim);
// A header of a part by name (case-insensitive): its value with spaces
// trimmed, or an empty view with ptr NULL when the part has none.
TN_API tn_str tn_multipart_header(const tn_multipart_part *part, const char *name);
// Appends every field (part without a file name) to `args` as name/value,
// as Tornado merges them into request.arguments. Returns 0 or TN_ENOMEM.
TN_API int tn_multipart_to_args(const tn_multipart *mp, tn_args *args);
// Frees what tn_multipart_parse allocated and zeroes `mp`.
TN_API void tn_multipart_free(tn_multipart *mp);

TN__END_DECLS
#endif
