// ---------------------------------------------------------------------------
// >>json  JSON: a compact writer and a strict RFC 8259 reader
// ---------------------------------------------------------------------------
// The writer appends compact JSON to a tn_buf, the way Tornado's json_encode
// does: `</` becomes `<\/` so the output can sit inside a <script>. The reader
// parses a whole text into a tree that lives in one arena owned by a
// tn_json_doc, so a parsed document can be kept and written back later.
//
//     tn_json_writer w;
//     tn_json_writer_init(&w, &buf);
//     tn_json_write_object_begin(&w);
//     tn_json_write_key(&w, "body", 4);
//     tn_json_write_str(&w, text, text_len);
//     tn_json_write_object_end(&w);
//     if (tn_json_writer_finish(&w) != 0) ... // nothing was added to buf
//
//     tn_json_doc doc;
//     if (tn_json_parse(&doc, text, len, NULL) != 0) log(doc.error);
//     tn_str body = tn_json_str(tn_json_get(doc.root, "body"));
//     tn_json_doc_free(&doc);
#ifndef TN__BASE_JSON_H
#define TN__BASE_JSON_H
#include "base/config.h"
#include "base/str.h"
TN__BEGIN_DECLS

// Nesting limit of the writer and the reader's default max_depth.
#ifndef TN_JSON_MAX_DEPTH
#  define TN_JSON_MAX_DEPTH 64
#endif
// The reader's default max_size (bytes of input).
#ifndef TN_DEFAULT_JSON_MAX_SIZE
#  define TN_DEFAULT_JSON_MAX_SIZE (1024u * 1024u)
#endif

// ---- writer

// Builds one JSON value. Calls after an error do nothing; the first error is
// kept and returned by tn_json_writer_finish. Every write returns that error
// (0 while all is well), so checking each call is optional.
typedef struct tn_json_writer {
    tn_buf *out;
    size_t start;                       // out->len at init, restored on error
    int err;
    int depth;
    bool have_key;                      // a key waits for its value
    bool done;                          // the top-level value is complete
    unsigned char frames[TN_JSON_MAX_DEPTH];  // per open container: kind, has items
} tn_json_writer;

// Starts a document appended to `out` (which keeps its current content).
TN_API void tn_json_writer_init(tn_json_writer *w, tn_buf *out);
// Ends the document. Returns 0, or the first error: TN_EINVAL for misuse (a
// value where a key is needed, an unbalanced end, nesting over
// TN_JSON_MAX_DEPTH, invalid UTF-8, no value or an open container at the end),
// TN_ERANGE for a NaN or infinite double, TN_ENOMEM. On error `out` is cut
// back to its length at init.
TN_API int tn_json_writer_finish(tn_json_writer *w);

// Opens an object: then key, value, key, value, ... and tn_json_write_object_end.
TN_API int tn_json_write_object_begin(tn_json_writer *w);
// Closes the innermost container, which must be an object with no dangling key.
TN_API int tn_json_write_object_end(tn_json_writer *w);
// Opens an array: then values and tn_json_write_array_end.
TN_API int tn_json_write_array_begin(tn_json_writer *w);
// Closes the innermost container, which must be an array.
TN_API int tn_json_write_array_end(tn_json_writer *w);
// An object member's key (UTF-8, escaped as a string). The next write is its value.
TN_API int tn_json_write_key(tn_json_writer *w, const char *key, size_t len);
// A string from UTF-8 bytes. Escapes `"`, `\`, control characters (\n, \t,
// ... or \u00XX), U+2028/U+2029 and `</` (as `<\/`); other UTF-8 passes through.
TN_API int tn_json_write_str(tn_json_writer *w, const char *s, size_t len);
// An integer in decimal.
TN_API int tn_json_write_int(tn_json_writer *w, int64_t v);
// A finite double in its shortest round-trip form; integral values below 1e21
// have no exponent ("3", "-0", "100000000000000000000"). NaN/Inf: TN_ERANGE.
TN_API int tn_json_write_double(tn_json_writer *w, double v);
// `true` or `false`.
TN_API int tn_json_write_bool(tn_json_writer *w, bool v);
// `null`.
TN_API int tn_json_write_null(tn_json_writer *w);
// Inserts pre-encoded JSON as one value, unchecked: the caller vouches for it.
TN_API int tn_json_write_raw(tn_json_writer *w, const char *json, size_t len);

// ---- reader

typedef enum tn_json_kind {
    TN_JSON_NONE = 0,  // no value (a NULL pointer)
    TN_JSON_NULL,
    TN_JSON_BOOL,
    TN_JSON_NUMBER,
    TN_JSON_STRING,
    TN_JSON_ARRAY,
    TN_JSON_OBJECT
} tn_json_kind;

// A parsed value; read it with the accessors below. Every accessor takes
// NULL (a missing value) and answers "none", so lookups can be chained.
typedef struct tn_json_value tn_json_value;

// max_size bounds the memory too: a document holds at most about 24 bytes per
// input byte (a flat array of one-digit numbers), 45 at the peak of parsing.
typedef struct tn_json_opts {
    int max_depth;    // deepest nesting of arrays/objects; default TN_JSON_MAX_DEPTH
    size_t max_size;  // largest input in bytes; default TN_DEFAULT_JSON_MAX_SIZE
} tn_json_opts;

// A parsed document: the tree and everything it points to live in its arena.
typedef struct tn_json_doc {
    const tn_json_value *root;  // the value; NULL when parsing failed
    size_t error_offset;        // where parsing failed (byte offset in the input)
    char error[64];             // e.g. "unexpected character at 12"; "" on success
    void *arena;                // internal
} tn_json_doc;

// Parses exactly one JSON value (RFC 8259, strict: no comments, no trailing
// commas, UTF-8 only) into `doc`, overwriting it. Returns 0; TN_EPARSE (with
// doc->error and error_offset set, nothing to free); TN_EMSGSIZE when len >
// max_size; TN_ENOMEM. `text` need not be NUL-terminated and is not kept.
TN_API int tn_json_parse(tn_json_doc *doc, const char *text, size_t len, const tn_json_opts *o);
// Frees the document's memory; every value from it becomes invalid. Safe
// after a failed parse and twice.
TN_API void tn_json_doc_free(tn_json_doc *doc);

// The kind of `v`; TN_JSON_NONE for NULL.
TN_API tn_json_kind tn_json_type(const tn_json_value *v);
// Elements of an array, members of an object, bytes of a string; else 0.
TN_API size_t tn_json_len(const tn_json_value *v);
// The i-th element of an array or the i-th member's value of an object (in
// document order); NULL when out of range or not a container.
TN_API const tn_json_value *tn_json_at(const tn_json_value *v, size_t i);
// The i-th member's key of an object (decoded, NUL-terminated); {NULL, 0}
// when out of range or not an object.
TN_API tn_str tn_json_key_at(const tn_json_value *obj, size_t i);
// The value of member `key` (NUL-terminated) of an object; with duplicate
// keys, the last one (as Python does). NULL when absent or not an object.
TN_API const tn_json_value *tn_json_get(const tn_json_value *obj, const char *key);
// tn_json_get for a key given by pointer and length (it may contain NUL).
TN_API const tn_json_value *tn_json_getn(const tn_json_value *obj, const char *key, size_t len);
// A string's decoded bytes (NUL-terminated; may contain NUL, hence the
// length); {NULL, 0} when `v` is not a string.
TN_API tn_str tn_json_str(const tn_json_value *v);
// A number's exact text as it appeared in the input; {NULL, 0} otherwise.
TN_API tn_str tn_json_num_text(const tn_json_value *v);
// A number as int64. Returns 0; TN_EINVAL when not a number; TN_ERANGE when
// its exact value is not an integer in int64 range ("1.5", "1e19"). "1e3"
// and "2.0" are integers. *out is untouched on error.
TN_API int tn_json_int(const tn_json_value *v, int64_t *out);
// A number as the nearest double. Returns 0; TN_EINVAL when not a number;
// TN_ERANGE when it overflows, with *out set to +-HUGE_VAL (infinity).
// Underflow is not an error: tiny values become 0 or subnormals.
TN_API int tn_json_num(const tn_json_value *v, double *out);
// True only for the JSON literal true.
TN_API bool tn_json_bool(const tn_json_value *v);

// Writes a parsed value (and its children) through the writer: compact,
// strings re-escaped, numbers as their original text. NULL, or nesting beyond
// the writer's TN_JSON_MAX_DEPTH, is TN_EINVAL.
TN_API int tn_json_write_value(tn_json_writer *w, const tn_json_value *v);

TN__END_DECLS
#endif
