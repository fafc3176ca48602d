// ---------------------------------------------------------------------------
// >>http_client  The HTTP/1.1 client (Tornado's AsyncHTTPClient, HTTPClient)
// ---------------------------------------------------------------------------
// A client holds the limits and a keep-alive pool; each fetch is a desc and
// a callback that runs exactly once with the response:
//
//     static void done(const tn_fetch_response *r, void *ud) {
//         if (r->error) fprintf(stderr, "%s\n", r->error_message);
//         else printf("%d %.*s\n", r->code, (int)r->body.len, r->body.ptr);
//     }
//     tn_http_client *c = tn_http_client_new(loop, NULL);
//     tn_http_client_fetch(c, &(tn_fetch_desc){.url = "http://127.0.0.1:8888/",
//                                              .on_response = done});
//
// Unlike Tornado's simple client, connections are kept: after a response
// that was read whole and whose framing allows it (HTTP/1.1 without
// "Connection: close", Content-Length or chunked), the connection waits in
// a pool per host:port for the next fetch, up to idle_timeout. A fetch that
// meets a pooled connection the server had closed meanwhile (nothing of an
// answer arrived) is retried once on a new connection if its method is
// idempotent (GET, HEAD, PUT, DELETE, OPTIONS, TRACE) and no body producer
// started. At most max_clients fetches run at once; more wait in a FIFO
// queue, and their request_timeout counts from the call.
//
// Framing is strict and nothing is cut silently: a body shorter than its
// Content-Length, a chunked body without its last chunk, or a head or body
// over its limit ends the fetch with an error (the bytes received are still
// in the response); a body without length ends only at a clean close. 1xx
// answers are skipped; HEAD, 204 and 304 have no body. A header line folded
// onto the next (obs-fold) is unfolded with one SP, as RFC 9112 asks of a
// user agent (the server refuses them). Redirects (301, 302, 303, 307, 308
// with a Location, relative or absolute; without one the 3xx is the answer,
// as in curl and Tornado) are followed up to max_redirects: 303 turns every method but HEAD into a GET without body,
// and 301/302 turn POST into GET, as Tornado, curl and browsers do; 307 and
// 308 keep the method and body. Authorization and Cookie headers (and basic
// auth) are not sent to another scheme, host or port.
//
// Errors: every failure ends in on_response with `error` set and a one-line
// `error_message`: TN_ENOTFOUND, TN_ECONNREFUSED, TN_ETIMEDOUT (connect or
// request timeout), TN_EPARSE (a malformed status line, header, chunk or
// framing), TN_EOF (the server closed early: no answer, a short body),
// TN_EPROXY (the proxy refused the CONNECT to an https:// host),
// TN_EMSGSIZE (head or body over its limit), TN_ECANCELED (client or loop
// freed), or TN_EHTTP for a complete answer whose status is not 2xx
// (Tornado's HTTPClientError; `code` and `body` are set).
//
// https:// needs TLS built in (TN_ENABLE_TLS=1; else TN_ENOTSUP): the
// server's certificate is verified by default (see TLS), and a failed
// verification is TN_ECERT.
//
// Proxies (proxy_host, proxy_port, proxy_username/proxy_password for Basic
// Proxy-Authorization): an http:// request goes to the proxy with an
// absolute-form target; an https:// one opens a tunnel with "CONNECT
// host:port" and then speaks TLS through it with the target (SNI and
// verification for the target's name), so the proxy sees neither the
// request nor its credentials. Tunnels are pooled per target (and proxy).
// A proxy that refuses the CONNECT ends the fetch with TN_EPROXY, the
// proxy's status in `code` and its head in `headers` ("proxy CONNECT to
// h:443 refused: 407 Proxy Authentication Required").
//
// decompress_response (on unless no_decompress_response, as Tornado's): the
// request says "Accept-Encoding: gzip" (unless its headers name one), and a
// body with "Content-Encoding: gzip" (or x-gzip) is inflated as it arrives,
// for r->body and streaming_callback alike; the header is then renamed
// X-Consumed-Content-Encoding (as Tornado). max_body_size caps both the bytes
// received and the inflated size, so a decompression bomb stops there with
// TN_EMSGSIZE; a corrupt or truncated gzip body ends with TN_EPARSE.
#ifndef TN__HTTP_CLIENT_H
#define TN__HTTP_CLIENT_H
#include "base/config.h"
#include "base/str.h"
#include "http/parse.h"
#include "loop/loop.h"
#include "net/tls.h"
TN__BEGIN_DECLS

typedef struct tn_http_client tn_http_client;
// One fetch in progress, as its body producer sees it.
typedef struct tn_fetch tn_fetch;

// What on_response (and header_callback) see. Valid during the callback
// only, unless tn_fetch_response_keep is called in it.
typedef struct tn_fetch_response {
    int error;                 // 0 for a 2xx answer read whole; TN_EHTTP for
                               // another status; else why the fetch failed
    const char *error_message; // "" or one line: "connect to h:80: connection refused"
    int code;                  // the status; 0 when no head arrived (Tornado's 599)
    tn_str reason;             // the reason phrase
    int version_minor;         // HTTP/1.x
    const tn_header *headers;  // the final answer's header lines
    size_t num_headers;
    tn_str body;               // what arrived of the body (empty when streamed)
    const char *url;           // the URL asked for
    const char *effective_url; // the last URL fetched (after redirects)
    int redirects;             // redirects followed
    bool reused;               // the last request went over a pooled connection
    double start_time;         // wall clock at the call (tn_time_wall)
    double request_time;       // seconds from the call to the end, redirects included
    double queue_time;         // seconds from the call until a slot was free (max_clients)
    double connect_time;       // seconds from the call until the last request's
                               // connection was ready
    double first_byte_time;    // seconds from the call until the last answer's first byte
    void *user_data;           // the desc's
} tn_fetch_response;

// The end of a fetch; runs exactly once (if tn_http_client_fetch returned 0).
typedef void (*tn_fetch_response_cb)(const tn_fetch_response *r, void *user_data);
// The head of the final answer has arrived (body empty). Return 0 to go on,
// or a negative TN_E* code to end the fetch with it.
typedef int (*tn_fetch_header_cb)(const tn_fetch_response *r, void *user_data);
// A piece of the final answer's body (then not kept in r->body). Return 0
// to go on, or a negative TN_E* code to end the fetch with it.
typedef int (*tn_fetch_data_cb)(const char *data, size_t len, void *user_data);
// Streams the request body: called once the head is sent (after the 100 with
// expect_100_continue); writes with tn_fetch_write and ends with
// tn_fetch_end_body, now or later. `f` is valid until on_response.
typedef void (*tn_fetch_body_cb)(tn_fetch *f, void *user_data);
// A tn_fetch_write reached the kernel (status 0) or the fetch ended (< 0).
typedef void (*tn_fetch_write_cb)(tn_fetch *f, int status, void *arg);

// Tornado's HTTPRequest. Strings are copied; the desc need only live for the call.
typedef struct tn_fetch_desc {
    const char *url;                 // required: "http://[user:pass@]host[:port]/path?query"
    const char *method;              // a token; default "GET"
    const char *const *headers;      // extra "Name: value" lines, NULL-terminated; they
                                     // replace Host, User-Agent, Content-Type, Connection
    const void *body;                // sent with Content-Length (POST without a
    size_t body_len;                 // Content-Type gets a form type, as Tornado)
    tn_fetch_body_cb body_producer;  // streams the body instead: chunked, unless the
                                     // headers give a Content-Length (then exact)
    const char *auth_username;       // Basic auth (also taken from the URL's userinfo)
    const char *auth_password;
    double connect_timeout;          // seconds to resolve, connect and (https://)
                                     // end the TLS handshake; default 20
    double request_timeout;          // seconds for the whole fetch from this call
                                     // (queue and redirects included); default 20
    bool no_follow_redirects;        // hand 3xx answers back (Tornado's follow_redirects=False)
    int max_redirects;               // default 5; more ends with TN_EHTTP and the last 3xx
    const char *user_agent;          // default: the client's, else "Tornado/tornado.h-VERSION"
    size_t max_header_size;          // the answer's head; default: the client's (64 KiB);
                                     // at most TN_DEFAULT_MAX_BUFFER_SIZE
    size_t max_body_size;            // default: the client's (100 MiB); with a
                                     // streaming_callback, no limit unless set
    bool expect_100_continue;        // send the body only after "100 Continue"
    bool no_decompress_response;     // neither ask for nor inflate gzip bodies
                                     // (Tornado's decompress_response=False)
    const char *proxy_host;          // an HTTP proxy for this fetch; NULL: none
    int proxy_port;                  // default 8080
    const char *proxy_username;      // Proxy-Authorization: Basic (in the CONNECT
    const char *proxy_password;      // for https://, never sent to the target)
    tn_tls_ctx *tls;                 // https://: a client context (its ca_certs, client
                                     // certificate, no_validate_cert); default: the client's
    tn_fetch_header_cb header_callback;     // optional
    tn_fetch_data_cb streaming_callback;    // optional
    tn_fetch_response_cb on_response;       // required
    void *user_data;
} tn_fetch_desc;

typedef struct tn_http_client_desc {
    int max_clients;               // fetches running at once; default 10, more queue
    int max_connections_per_host;  // connections to one host:port, busy or idle;
                                   // default max_clients
    double idle_timeout;           // seconds a pooled connection may wait; default 60
    bool no_keep_alive;            // a new connection per request, "Connection: close"
                                   // (Tornado's simple client)
    size_t max_header_size;        // default for fetches: 64 KiB
    size_t max_body_size;          // default for fetches: 100 MiB (Tornado's)
    const char *user_agent;        // default for fetches (copied)
    tn_tls_ctx *tls;               // default for https:// fetches (a reference is
                                   // kept); default: one that verifies against
                                   // the system's CA store, made on first use
} tn_http_client_desc;

// Creates a client on `loop`; with loop NULL the client makes a private
// loop of its own, for tn_http_client_fetch_sync (Tornado's HTTPClient).
// desc may be NULL. The loop frees a client left at tn_loop_free. Returns
// NULL when out of memory.
TN_API tn_http_client *tn_http_client_new(tn_loop *loop, const tn_http_client_desc *desc);
// Ends every fetch (on_response with TN_ECANCELED), closes the pool and
// frees the client (and its private loop). Safe inside its callbacks.
TN_API void tn_http_client_free(tn_http_client *c);
// The client's loop.
TN_API tn_loop *tn_http_client_loop(const tn_http_client *c);
// Starts a fetch; desc->on_response runs exactly once, later, on the loop's
// thread. Returns 0, or TN_EINVAL (a bad URL, method or header line, no
// on_response), TN_ENOTSUP (https:// without TLS built in), TN_ECLOSED
// (the client is being freed) or TN_ENOMEM: on_response will not run then.
TN_API int tn_http_client_fetch(tn_http_client *c, const tn_fetch_desc *desc);
// Tornado's HTTPClient.fetch: runs the client's loop (which must not be
// running: use a client made with loop NULL) until the fetch ends, and
// stores the response in *out (free it with tn_fetch_response_free).
// Returns (*out)->error, or TN_EINVAL / TN_ENOTSUP / TN_EBUSY / TN_ENOMEM
// with *out NULL when the fetch could not run.
TN_API int tn_http_client_fetch_sync(tn_http_client *c, const tn_fetch_desc *desc, tn_fetch_response **out);
// Fetches in progress (queued ones included).
TN_API size_t tn_http_client_active(const tn_http_client *c);
// Open connections: busy, idle in the pool or connecting.
TN_API size_t tn_http_client_connections(const tn_http_client *c);

// Called inside on_response: the response stays valid after the callback,
// until tn_fetch_response_free. Returns r as a pointer you own.
TN_API tn_fetch_response *tn_fetch_response_keep(const tn_fetch_response *r);
// Frees a kept response (NULL is ignored).
TN_API void tn_fetch_response_free(tn_fetch_response *r);

// ---- streamed request bodies (body_producer)
// Sends a piece of the body (copied). cb (may be NULL) runs once it reached
// the kernel, or with an error if the fetch ended first; one such cb may be
// pending at a time. Returns 0, TN_EBUSY (a cb is pending), TN_EINVAL (past
// the Content-Length) or TN_ECLOSED (the body was ended or the fetch failed).
TN_API int tn_fetch_write(tn_fetch *f, const void *data, size_t len, tn_fetch_write_cb cb, void *arg);
// Ends the body. Returns 0, TN_EINVAL (short of the Content-Length: the fetch
// then fails) or TN_ECLOSED.
TN_API int tn_fetch_end_body(tn_fetch *f);
// The desc's user_data.
TN_API void *tn_fetch_user_data(const tn_fetch *f);

TN__END_DECLS
#endif
