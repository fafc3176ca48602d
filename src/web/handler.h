// ---------------------------------------------------------------------------
// >>handler  Handler classes, and inside a handler: path arguments, errors,
// redirects, JSON
// ---------------------------------------------------------------------------
// Tornado's RequestHandler: a class of callbacks a route answers with, and
// what it adds to the HTTP calls of >>http_server (tn_write, tn_set_header,
// tn_finish...) for handlers of an app's routes.
// An automatic ETag is added to a GET or HEAD answered 200 (and an
// If-None-Match that names it gets a 304), unless the class sets no_etag.
#ifndef TN__WEB_HANDLER_H
#define TN__WEB_HANDLER_H
#include "base/config.h"
#include "base/json.h"
#include "base/str.h"
#include "http/server.h"
TN__BEGIN_DECLS

// Tornado's RequestHandler subclass: the methods a route answers, and hooks.
// A method left NULL answers 405 with an Allow header.
typedef struct tn_handler_class {
    tn_handler_cb get, head, post, put, del, patch, options;  // del: DELETE
    tn_handler_cb prepare;              // before the method; finishing here skips it
    tn_handler_cb on_finish;            // after the response was sent
    tn_handler_cb on_connection_close;  // the client left during a deferred answer
                                        // or a streamed body (data_received)
    tn_handler_cb set_default_headers;  // at the start, and again before an error page
    void (*write_error)(tn_handler *h, int status);  // NULL: Tornado's default page
    tn_body_cb data_received;           // set: the body streams here as it arrives
                                        // (@stream_request_body); prepare then runs
                                        // before the body is read
    size_t max_body_size;               // 0: the server's
    bool no_etag;                       // skip the automatic ETag / 304
} tn_handler_class;

// Positional path argument i (0-based), decoded; {NULL,0} when absent.
TN_API tn_str tn_path_arg(const tn_handler *h, int i);
// Named path argument, decoded; {NULL,0} when absent.
TN_API tn_str tn_path_kwarg(const tn_handler *h, const char *name);
TN_API int tn_path_args_count(const tn_handler *h);

// Sends an error page (write_error, or Tornado's default) with `status` and
// finishes. If the head was already sent, the connection is just ended.
TN_API void tn_send_error(tn_handler *h, int status);
// Sends a redirect to url and finishes; status 0 means 302 (301, 302, 303,
// 307 and 308 are allowed). Returns 0 or TN_EINVAL.
TN_API int tn_redirect(tn_handler *h, const char *url, int status);
// Writes JSON made by the caller's json writer into the body, setting
// Content-Type application/json; returns a writer over the response body.
TN_API tn_json_writer *tn_write_json_begin(tn_handler *h);
// Ends tn_write_json_begin. Returns 0 or the writer's error (the partial
// JSON is then removed from the body).
TN_API int tn_write_json_end(tn_handler *h);

TN__END_DECLS
#endif
