// ---------------------------------------------------------------------------
// >>http_client_internal  What the pool (pool.c) and a fetch (client.c) share
// ---------------------------------------------------------------------------
// The pool owns the client, its queue and its connections; a fetch borrows
// a slot (max_clients) and one connection at a time. Connections outlive
// fetches and the client: one is freed by its stream's close callback (or
// by its connect callback when connecting failed), and forgets its host
// when the client goes first.
#ifndef TN__HTTP_CLIENT_INTERNAL_H
#define TN__HTTP_CLIENT_INTERNAL_H
#include "base/internal.h"
#include "base/deflate.h"
#include "base/str.h"
#include "http/client.h"
#include "http/parse.h"
#include "http/url.h"
#include "loop/loop.h"
#include "net/stream.h"
#include "loop/loop_internal.h"
#if TN_ENABLE_HTTP_CLIENT  // the whole module (base/config.h)

typedef struct tn__hc_host tn__hc_host;
typedef struct tn__hc_conn tn__hc_conn;

enum { TN__HC_CONNECTING, TN__HC_IDLE, TN__HC_BUSY };

struct tn__hc_conn {
    tn__hc_conn *prev, *next;  // in host->conns: the idle first, the most recent first
    tn__hc_host *host;         // NULL once the client is gone
    tn_stream *stream;         // NULL while connecting
    tn_fetch *fetch;           // the fetch it serves; NULL while idle
    tn_fetch *wfetch;          // a fetch whose tn_fetch_write callback is pending
    uint32_t wstale;           // pending write callbacks of fetches gone since
    uint32_t requests;         // requests sent on it
    double idle_since;         // tn_loop_time when it went idle
    double connect_by;         // its TLS handshake's deadline (connect_timeout)
    unsigned char state;       // TN__HC_*
};

// The connections to one host:port (or to one proxy); freed with its last.
// An https:// host reached through a proxy is keyed by the target, and its
// connections go to the proxy (`via`), which tunnels them (CONNECT).
struct tn__hc_host {
    tn__hc_host *next;
    tn_http_client *client;
    tn__hc_conn *conns, *last;  // the idle ones before the others: finding one is O(1)
    int nconns;
    uint16_t port, via_port;
    bool proxy;                // a proxy that forwards plain requests
    tn_tls_ctx *tls;           // https: its connections' context (a key, not a reference)
    const char *via;           // the tunnelling proxy's host (in the same block), or NULL
    char name[1];              // NUL-terminated; allocated to fit, the via host after it
};

struct tn_http_client {
    tn__handle handle;
    tn_loop *loop;
    bool own_loop;
    tn_http_client_desc desc;  // defaults filled in; user_agent is `agent`
    char *agent;
    tn_fetch *queue, *queue_tail;  // waiting for a slot or for room at their host
    tn_fetch *running;             // holding a slot
    size_t nqueued, nrunning, nconns;
    tn__hc_host *hosts;
    tn_fetch *free_fetches;    // finished fetches kept for reuse
    int nfree;
    tn_fetch *lent;            // finished fetches whose body a stream still holds
    int depth;                 // user callbacks running: free waits for them
    tn_timeout pump_timer;     // tn__hc_pump_soon's
    tn_timeout sweep_timer;    // closes idle connections past idle_timeout
    size_t nidle;
    tn_tls_ctx *tls;           // https:// fetches' default context, made on first use
    bool closing, free_pending, pumping, repump, pump_wanted;
};

enum { TN__HC_MAX_HEADERS = 100 };  // header lines of an answer (more: TN_EMSGSIZE)
enum { TN__HF_NEW, TN__HF_QUEUED, TN__HF_RUNNING, TN__HF_DONE };  // where a fetch is
enum { TN__HF_HEAD, TN__HF_BODY, TN__HF_TUNNEL };  // what it reads (TUNNEL: the proxy's answer to CONNECT)

// One fetch, kept for reuse by its client once finished (its buffers too),
// so that a keep-alive steady state allocates nothing.
struct tn_fetch {
    tn_fetch *prev, *next;       // in the client's queue or running list
    tn_http_client *client;
    tn__hc_conn *conn;           // connecting or busy for this fetch
    tn_fetch_response resp;      // what the callbacks see
    // the desc; its strings are in `mem`
    tn_fetch_response_cb on_response;
    tn_fetch_header_cb header_cb;
    tn_fetch_data_cb data_cb;
    tn_fetch_body_cb producer;
    void *user_data;
    tn_fetch_response **sync_out;  // tn_http_client_fetch_sync's: keep the response there
    double connect_timeout;
    size_t max_header, max_body;
    int max_redirects, proxy_port;
    tn_tls_ctx *tls;             // the desc's context (a reference), or NULL
    tn_buf mem;                  // url, method, header lines, body, auth lines, proxy host
    const char *method, *proxy_host, *user_agent;
    tn_str lines;                // the user's header lines, each "Name: value\r\n"
    tn_str body;                 // NULL ptr: no body
    tn_str auth, proxy_auth;     // whole "...Authorization: Basic ...\r\n" lines, or empty
    unsigned user_has;           // TN__HU_*: the defaults the user's lines replace
    uint64_t out_length;         // a streamed body's Content-Length (TN__HU_LENGTH)
    // the current hop
    tn_buf cur;                  // its URL, NUL, its host, NUL: `url` and `host` point here
    tn_url url;
    const char *host;
    tn_buf req;                  // its request head (a body follows from `body`)
    uint32_t loans;              // writes of `body` lent to streams, not given back yet
    tn_buf head;                 // the answer's head, copied: resp.headers point here
    tn_header *headers;          // TN__HC_MAX_HEADERS slots
    tn_buf body_buf;
    tn_inflate *gz;              // decompress_response's inflater, kept for reuse
    uint64_t inflated;           // body bytes it gave so far
    tn_http_framing framing;
    tn_chunked_decoder chunked;
    uint64_t body_left, body_seen, out_left;
    size_t scanned;              // bytes of a head searched for its end
    tn_timeout timer;            // request_timeout
    double t0;                   // tn_loop_time at the call
    tn_fetch_write_cb wcb;       // the producer's pending write callback,
    void *warg;
    tn__hc_conn *wconn;          // on this connection
    int pending_error;           // reported when the connection's end arrives
    unsigned char where, state;
    unsigned follow : 1, expect_continue : 1, awaiting_continue : 1, request_sent : 1, producing : 1,
        body_ended : 1, retried : 1, force_new : 1, got_byte : 1, redirecting : 1, kept : 1, chunked_out : 1,
        dequeued : 1, dropped_body : 1, free_pending : 1, https : 1, decompress : 1, inflating : 1,
        inflate_end : 1;
    char message[200];
};

// The pool (pool.c) for a fetch (client.c)
TN__INTERNAL void tn__hc_enqueue(tn_http_client *c, tn_fetch *f, bool front);
TN__INTERNAL void tn__hc_unlist(tn_http_client *c, tn_fetch *f);
// Starts what the queue can start now; never re-entered.
TN__INTERNAL void tn__hc_pump(tn_http_client *c);
// Starts the queue later, never inside the user's call: on the way out of
// the client's callback running now, else from a loop timer.
TN__INTERNAL int tn__hc_pump_soon(tn_http_client *c);  // 0 or TN_ENOMEM
// Gives the connection back: to the pool when reusable, else closed.
TN__INTERNAL void tn__hc_conn_release(tn__hc_conn *conn, bool reusable);
// Ends every fetch and frees the client, or (inside one of its callbacks)
// marks it to be, on the way out of the outermost.
TN__INTERNAL void tn__hc_free_now(tn_http_client *c);
// Around every entry from the loop (stream, timer and connect callbacks).
TN__INTERNAL tn_http_client *tn__hc_enter(tn_http_client *c);
TN__INTERNAL void tn__hc_leave(tn_http_client *c);
// tn_fetch_write's stream callback (arg: the connection).
TN__INTERNAL void tn__hc_conn_wrote(tn_stream *s, int status, void *arg);

// A fetch (client.c) for the pool
// The connection got ready for f (status 0; `reused`: from the pool), or
// connecting failed.
TN__INTERNAL void tn__fetch_on_conn(tn_fetch *f, tn__hc_conn *conn, int status, bool reused);
// The connection's bytes while it serves f (a tn_stream_parse_cb's job).
TN__INTERNAL size_t tn__fetch_on_data(tn_fetch *f, int status, const char *data, size_t len);
// Ends f with an error (its on_response runs).
TN__INTERNAL void tn__fetch_fail(tn_fetch *f, int error, const char *fmt, ...) TN_PRINTF(3, 4);
TN__INTERNAL void tn__fetch_free_mem(tn_fetch *f);
// Forgets the client: the finished fetches whose body is still lent free
// themselves when it comes back (the client is being freed).
TN__INTERNAL void tn__fetch_orphan_lent(tn_http_client *c);
#endif  // TN_ENABLE_HTTP_CLIENT
#endif
