// ---------------------------------------------------------------------------
// >>http_parse  HTTP/1.1 message parsing (RFC 9112): heads, framing, chunked
// ---------------------------------------------------------------------------
// Pure data, no I/O, no allocation. The parsers are stateless in the style of
// picohttpparser: call them again on the grown buffer until they stop
// answering TN_INCOMPLETE. Every tn_str they produce is a view into the
// caller's buffer (or a static string), valid as long as that buffer is.
// Each call rescans from buf[0]: when bytes trickle in, call again only once
// "\r\n\r\n" has arrived or the buffer has reached a limit, so a slow sender
// cannot make the parsing cost quadratic. Errors and limits are found at the
// first byte that shows them, even before the head is complete.
#ifndef TN__HTTP_PARSE_H
#define TN__HTTP_PARSE_H
#include "base/config.h"
#include "base/str.h"
TN__BEGIN_DECLS

// One header field line: the name as sent, the value without surrounding OWS.
typedef struct tn_header {
    tn_str name;
    tn_str value;
} tn_header;

// The value of the first header named `name` (ASCII case-insensitive), or
// {NULL, 0} when there is none.
TN_API tn_str tn_headers_get(const tn_header *h, size_t n, const char *name);
// How many header lines are named `name` (ASCII case-insensitive).
TN_API size_t tn_headers_count(const tn_header *h, size_t n, const char *name);
// Walks the headers named `name`: start with *pos = 0; each call stores the
// next value in *value, advances *pos and returns true, or returns false.
TN_API bool tn_headers_next(const tn_header *h, size_t n, const char *name,
                            size_t *pos, tn_str *value);

// Size limits of a head; zero fields take the default. Exceeding one answers
// 414 / 431 as soon as it is passed, before the head is complete.
typedef struct tn_http_limits {
    size_t max_request_line;  // 8 KiB: request or status line, without CRLF (414)
    size_t max_header_size;   // 16 KiB: the whole head, blank line included (431)
} tn_http_limits;

// A parsed request head. Absent parts are {NULL, 0}.
typedef struct tn_http_request {
    tn_str method;            // a token, case-sensitive ("GET")
    tn_str target;            // the request-target as sent (no CTL or SP; bytes >= 0x80 allowed)
    tn_str path;              // origin or absolute form: the path ("/" if empty); "*" for OPTIONS *
    tn_str query;             // after '?', without it; {NULL, 0} when there is no '?'
    tn_str authority;         // absolute form: "host[:port]"; CONNECT: the target
    int version_minor;        // 0 or 1 (HTTP/1.x with x > 1 counts as 1)
    const tn_header *headers; // the caller's array, `num_headers` filled
    size_t num_headers;
    int status;               // after TN_EPARSE: 400, 414, 431 or 505 to answer
} tn_http_request;

// A parsed response head. Absent parts are {NULL, 0}.
typedef struct tn_http_response {
    int version_minor;        // 0 or 1 (HTTP/1.x with x > 1 counts as 1)
    int status_code;          // 100..999
    tn_str reason;            // may be empty
    const tn_header *headers; // the caller's array, `num_headers` filled
    size_t num_headers;
} tn_http_response;

// Parses a request head from buf[0..len) into *req and headers[0..max_headers).
// Returns the bytes of the head (leading empty lines and the final blank line
// included), TN_INCOMPLETE, or TN_EPARSE with req->status set. `limits` may be NULL.
TN_API int tn_http_parse_request(const char *buf, size_t len, tn_http_request *req,
                                 tn_header *headers, size_t max_headers,
                                 const tn_http_limits *limits);
// Parses a response head like tn_http_parse_request (any error, limits
// included, is TN_EPARSE; only HTTP/1.x is accepted).
TN_API int tn_http_parse_response(const char *buf, size_t len, tn_http_response *resp,
                                  tn_header *headers, size_t max_headers,
                                  const tn_http_limits *limits);

// How the body of a message is delimited.
typedef enum tn_http_body {
    TN_HTTP_BODY_NONE = 0,     // no body
    TN_HTTP_BODY_LENGTH,       // content_length bytes (possibly 0)
    TN_HTTP_BODY_CHUNKED,      // chunked transfer coding: use tn_chunked_decoder
    TN_HTTP_BODY_UNTIL_CLOSE   // responses only: everything until the peer closes
} tn_http_body;

// What a head says about its body and its connection.
typedef struct tn_http_framing {
    tn_http_body body;
    uint64_t content_length;  // with TN_HTTP_BODY_LENGTH
    bool keep_alive;          // the connection may carry another message
    bool expect_continue;     // requests: HTTP/1.1 with "Expect: 100-continue"
    tn_str host;              // requests: the authority of an absolute-form target,
                              // else the Host value ({NULL, 0} if absent in 1.0)
    int status;               // after TN_EPARSE: 400
} tn_http_framing;

// Decides a request's framing (RFC 9112 section 6 and Host rules, strictly).
// Returns 0, or TN_EPARSE with f->status = 400 (then close the connection).
TN_API int tn_http_request_framing(const tn_http_request *req, tn_http_framing *f);
// Decides a response's framing for a request made with `request_method`.
// Returns 0 or TN_EPARSE (malformed or ambiguous framing: close the connection).
TN_API int tn_http_response_framing(const tn_http_response *resp, tn_str request_method,
                                    tn_http_framing *f);

// An incremental chunked-body decoder. Zero-initialise it; the limit fields
// may be set before the first call (zero means the default).
typedef struct tn_chunked_decoder {
    size_t max_line;     // 4 KiB: a chunk-size line with extensions and CRLF
    size_t max_trailer;  // 16 KiB: all trailer lines with the final CRLF
    uint64_t max_size;   // the sum of the chunk sizes; 0: no limit
    uint64_t _remaining; // private state from here on
    uint64_t _total;
    size_t _trailer_bytes;
    int _state;
} tn_chunked_decoder;

// Decodes from buf[0..len): returns the bytes consumed (> 0) and sets *data to
// the payload found in them (a view into buf, possibly empty); TN_INCOMPLETE
// when nothing can be consumed yet (keep the bytes, add more); TN_EPARSE;
// TN_EMSGSIZE as soon as a chunk size would take the body past max_size
// (before its data arrive); 0 once done.
TN_API int tn_chunked_decode(tn_chunked_decoder *d, const char *buf, size_t len, tn_str *data);
// True once the last chunk and the trailers have been consumed.
TN_API bool tn_chunked_done(const tn_chunked_decoder *d);

TN__END_DECLS
#endif
