// ---------------------------------------------------------------------------
// >>httputil  HTTP dates, status texts, MIME types, header parameters, ranges
// ---------------------------------------------------------------------------
#ifndef TN__HTTP_UTIL_H
#define TN__HTTP_UTIL_H
#include "base/config.h"
#include "base/str.h"

#include <time.h>

TN__BEGIN_DECLS

// Bytes tn_http_date_format writes, with the NUL.
#define TN_HTTP_DATE_SIZE 30

// Writes `t` as an RFC 1123 date, "Sun, 06 Nov 1994 08:49:37 GMT", into out
// (TN_HTTP_DATE_SIZE bytes, NUL-terminated; Tornado's format_timestamp).
// Times outside the years 0..9999 are clamped to them. Returns 29.
TN_API size_t tn_http_date_format(char *out, time_t t);
// Parses an HTTP date in any of the three forms RFC 9110 asks recipients to
// accept: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850
// "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit years: 69-99 are 19xx, 00-68
// 20xx, as Python's email.utils) and asctime "Sun Nov  6 08:49:37 1994".
// IMF dates may also end in "UTC" or a "+hhmm"/"-hhmm" offset.
// Returns 0 and sets *out, or TN_EPARSE (also for a date time_t cannot hold,
// as 2060 with a 32-bit time_t).
TN_API int tn_http_date_parse(const char *s, size_t len, time_t *out);

// The reason phrase of an IANA-registered status code (RFC 9110 wording),
// or "Unknown", as Tornado.
TN_API const char *tn_http_reason(int code);

// The Content-Type for a file name by its extension (case-insensitive):
// "a/b.css" -> "text/css"; "application/octet-stream" when unknown. No
// charset is added, as Tornado's StaticFileHandler (it sends what Python's
// mimetypes.guess_type gives); ".gz" is "application/gzip", as Tornado.
TN_API const char *tn_mime_type(const char *path);

// Finds parameter `name` (case-insensitive) in a header value such as
// `form-data; name="a"; filename=b.txt` (what precedes the first ";" is
// skipped). Sets *out to the value without surrounding quotes; escapes in a
// quoted value are left for tn_http_unquote. *quoted (may be NULL) tells
// which form it had. Returns true if found.
TN_API bool tn_http_header_param(tn_str header_value, const char *name, tn_str *out,
                                 bool *quoted);
// Resolves the escapes \\ and \" of a quoted-string's content (other
// backslashes are kept, as Tornado, so "C:\dir\f.txt" survives) into dst
// (room for s.len bytes; dst may be s.ptr). Returns the new length.
TN_API size_t tn_http_unquote(char *dst, tn_str s);

// A Range request header resolved against a body of `size` bytes, as
// Tornado's StaticFileHandler: one range only ("bytes=0-9", "bytes=5-",
// suffix "bytes=-4"); a malformed header or several ranges are ignored.
typedef struct tn_http_range {
    int status;              // 200 (send it all), 206 (send start..end) or 416
    uint64_t start;          // first byte to send
    uint64_t end;            // one past the last byte to send
    char content_range[80];  // the Content-Range value for 206 and 416, else ""
} tn_http_range;

// Resolves `header` (the Range value; empty when the request has none).
// 206 only when less than the whole body is asked for; 416 (with
// "bytes */SIZE") when the first byte is past the end, for "bytes=-0", or an
// end before the start. Returns out->status.
TN_API int tn_http_range_parse(tn_str header, uint64_t size, tn_http_range *out);

TN__END_DECLS
#endif
