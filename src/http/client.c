// >>http_client implementation, part 2: one fetch (request, answer, redirects)
#include "base/internal.h"
#include "http/client.h"
#include "http/client_internal.h"
#include "base/base64.h"
#include "base/config.h"
#include "base/deflate.h"
#include "base/error.h"
#include "base/str.h"
#include "base/time.h"
#include "http/parse.h"
#include "http/url.h"
#include "loop/loop.h"
#include "net/stream.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "http/parse_internal.h"
#include "http/url_internal.h"
#include "loop/loop_internal.h"
#include "net/stream_internal.h"
#include "net/tls_internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if TN_ENABLE_HTTP_CLIENT  // the whole module (base/config.h)

// The default headers a user's line replaces (and what else it says).
enum {
    TN__HU_HOST = 1,
    TN__HU_AGENT = 2,
    TN__HU_TYPE = 4,
    TN__HU_CONNECTION = 8,
    TN__HU_CLOSE = 16,   // "Connection: close": the connection ends with the answer
    TN__HU_LENGTH = 32,  // a streamed body's Content-Length
    TN__HU_ACCEPT_ENC = 64
};

#define TN__FETCH_AGENT "Tornado/tornado.h-" TN_VERSION_STRING
// A recycled fetch keeps each buffer up to this size (as the server's requests).
enum { TN__FETCH_KEEP_BUF = 64 * 1024 };
// A body this big is lent to the stream from the fetch's own copy rather
// than copied once more into it (as the server's responses).
enum { TN__FETCH_LEND_MIN = 16 * 1024 };

// ---- fetch objects, reused by their client

TN__PRIVATE tn_fetch *tn__fetch_take(tn_http_client *c) {
    tn_fetch *f = c->free_fetches;
    if (f) {
        c->free_fetches = f->next;
        c->nfree--;
    } else if (!(f = TN__CAST(tn_fetch *, tn__calloc(1, sizeof *f)))) {
        return NULL;
    }
    tn_buf mem = f->mem, cur = f->cur, req = f->req, head = f->head, body = f->body_buf;
    tn_header *headers = f->headers;
    tn_inflate *gz = f->gz;
    memset(f, 0, sizeof *f);
    f->mem = mem, f->cur = cur, f->req = req, f->head = head, f->body_buf = body;
    f->headers = headers;
    f->gz = gz;
    f->client = c;
    f->message[0] = '\0';
    f->resp.error_message = f->message;
    return f;
}

TN__INTERNAL void tn__fetch_free_mem(tn_fetch *f) {
    tn_buf_free(&f->mem);
    tn_buf_free(&f->cur);
    tn_buf_free(&f->req);
    tn_buf_free(&f->head);
    tn_buf_free(&f->body_buf);
    tn__free(f->headers);
#if TN_ENABLE_DEFLATE
    tn_inflate_free(f->gz);
#endif
    tn__free(f);
}

// Keeps f (with its buffers, big ones trimmed) for the client's next fetch;
// while a stream holds its body, on the client's list of lent ones.
TN__PRIVATE void tn__fetch_recycle(tn_fetch *f) {
    tn_http_client *c = f->client;
    tn_tls_ctx_free(f->tls);  // its connections hold their own references
    f->tls = NULL;
    if (f->loans) {
        f->prev = NULL;
        f->next = c->lent;
        if (c->lent) c->lent->prev = f;
        c->lent = f;
        return;
    }
    if (c->closing || c->nfree >= c->desc.max_clients) {
        tn__fetch_free_mem(f);
        return;
    }
    tn__buf_trim(&f->mem, TN__FETCH_KEEP_BUF);
    tn__buf_trim(&f->cur, TN__FETCH_KEEP_BUF);
    tn__buf_trim(&f->req, TN__FETCH_KEEP_BUF);
    tn__buf_trim(&f->head, TN__FETCH_KEEP_BUF);
    tn__buf_trim(&f->body_buf, TN__FETCH_KEEP_BUF);
    f->next = c->free_fetches;
    c->free_fetches = f;
    c->nfree++;
}

// A stream gave f's lent body back: a finished fetch waited for its last
// loan to be reused or freed.
TN__PRIVATE void tn__fetch_body_back(void *arg) {
    tn_fetch *f = TN__CAST(tn_fetch *, arg);
    if (--f->loans || f->where != TN__HF_DONE) return;
    if (f->kept) {  // the caller's response: freed when the caller asked
        if (f->free_pending) tn__fetch_free_mem(f);
        return;
    }
    tn_http_client *c = f->client;
    if (!c) {  // orphaned by tn__fetch_orphan_lent
        tn__fetch_free_mem(f);
        return;
    }
    if (f->prev) f->prev->next = f->next;
    else c->lent = f->next;
    if (f->next) f->next->prev = f->prev;
    tn__fetch_recycle(f);
}

TN__INTERNAL void tn__fetch_orphan_lent(tn_http_client *c) {
    for (tn_fetch *f = c->lent; f; f = f->next) f->client = NULL;
    c->lent = NULL;
}

// ---- the end of a fetch

TN__PRIVATE bool tn__fetch_is(tn_str s, const char *name) { return tn_str_eq_nocase(s, tn_str_c(name)); }

TN__PRIVATE void tn__fetch_finish(tn_fetch *f, int error) {
    tn_http_client *c = f->client;
    tn_fetch_response *r = &f->resp;
    tn__hc_unlist(c, f);
    f->where = TN__HF_DONE;
    tn_loop_remove_timeout(c->loop, f->timer);
    if (f->conn) {
        tn__hc_conn *conn = f->conn;
        f->conn = NULL;
        tn__hc_conn_release(conn, false);
    }
    r->error = error;
    r->body = f->body_buf.data ? tn__str_n(f->body_buf.data, f->body_buf.len) : tn__str_n("", 0);
    r->request_time = tn_loop_time(c->loop) - f->t0;
    tn__hc_pump(c);  // the slot goes to the queue's next before our callbacks run
    if (f->wcb) {    // the producer learns first that its writes are over
        tn_fetch_write_cb cb = f->wcb;
        f->wcb = NULL;
        f->wconn->wfetch = NULL;
        f->wconn->wstale++;  // its stream callback is still to come
        f->wconn = NULL;
        cb(f, TN_ECLOSED, f->warg);
    }
    if (f->sync_out) {
        *f->sync_out = tn_fetch_response_keep(r);
        tn_loop_sync_done(c->loop, 0);
    } else {
        f->on_response(r, f->user_data);
    }
    if (!f->kept) tn__fetch_recycle(f);
}

TN__INTERNAL void tn__fetch_fail(tn_fetch *f, int error, const char *fmt, ...) {
    if (f->where == TN__HF_DONE) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    if (error == TN_ECANCELED) TN__LOGD("http client: %s: %s", f->cur.data, f->message);
    else TN__LOGW("http client: %s: %s", f->cur.data, f->message);
    tn__fetch_finish(f, error);
}

TN__PRIVATE void tn__fetch_on_timeout(tn_loop *loop, void *arg) {
    tn_fetch *f = TN__CAST(tn_fetch *, arg);
    tn_http_client *c = tn__hc_enter(f->client);
    (void)loop;
    f->timer.id = 0;
    if (f->where == TN__HF_QUEUED)
        tn__fetch_fail(f, TN_ETIMEDOUT, "timed out after %g s waiting in the queue (max_clients=%d)",
                       tn_loop_time(loop) - f->t0, c->desc.max_clients);
    else
        tn__fetch_fail(f, TN_ETIMEDOUT, "request timed out after %g s", tn_loop_time(loop) - f->t0);
    tn__hc_leave(c);
}

// ---- the desc: checked and copied

// Whether a Connection value lists "close" (any case).
TN__PRIVATE bool tn__fetch_has_close(const char *v) {
    for (; *v; v++)
        if (tn_str_eq_nocase(tn__str_n(v, TN__MIN(strlen(v), (size_t)5)), tn__str_n("close", 5))) return true;
    return false;
}

// True when s holds no control byte but HTAB: what a field value may hold
// (no CR or LF to start another line).
TN__PRIVATE bool tn__fetch_text_ok(const char *s) {
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f) return false;
    return true;
}

// Notes what a user's header line replaces; refuses what the client must set.
TN__PRIVATE int tn__fetch_user_line(tn_fetch *f, const char *line, bool streamed) {
    const char *colon = strchr(line, ':');
    if (!colon || colon == line || !tn__fetch_text_ok(colon + 1)) return TN_EINVAL;
    for (const char *p = line; p < colon; p++)
        if (!tn__http_is_tchar((unsigned char)*p)) return TN_EINVAL;
    tn_str name = tn__str_n(line, (size_t)(colon - line));
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t') v++;
    if (tn__fetch_is(name, "Host")) f->user_has |= TN__HU_HOST;
    else if (tn__fetch_is(name, "User-Agent")) f->user_has |= TN__HU_AGENT;
    else if (tn__fetch_is(name, "Content-Type")) f->user_has |= TN__HU_TYPE;
    else if (tn__fetch_is(name, "Accept-Encoding")) f->user_has |= TN__HU_ACCEPT_ENC;
    else if (tn__fetch_is(name, "Connection"))
        f->user_has |= TN__HU_CONNECTION | (tn__fetch_has_close(v) ? TN__HU_CLOSE : 0);
    else if (tn__fetch_is(name, "Transfer-Encoding") || tn__fetch_is(name, "Expect")) return TN_EINVAL;
    else if (tn__fetch_is(name, "Content-Length")) {
        // Only a streamed body's length is the user's to say.
        char *end;
        if (!streamed || *v < '0' || *v > '9') return TN_EINVAL;
        f->out_length = strtoull(v, &end, 10);
        if (*end && *end != ' ' && *end != '\t') return TN_EINVAL;
        f->user_has |= TN__HU_LENGTH;
    }
    return 0;
}

// Appends "NAME: Basic base64(user:password)\r\n" (percent-decoded first
// when the pair came from the URL).
TN__PRIVATE int tn__fetch_basic(tn_buf *b, const char *name, tn_str user, tn_str pass, bool from_url,
                                tn_buf *tmp) {
    tn_buf_clear(tmp);
    int r = tn_buf_append(tmp, user.ptr, user.len);
    if (!r) r = tn_buf_append(tmp, ":", 1);
    if (!r) r = tn_buf_append(tmp, pass.ptr, pass.len);
    if (r) return r;
    if (from_url) tmp->len = tn_url_unescape_inplace(tmp->data, tmp->len, false);
    r = tn_buf_append_str(b, name);
    if (!r) r = tn_buf_append_str(b, ": Basic ");
    if (!r) r = tn_base64_encode_buf(b, tmp->data, tmp->len, 0);
    return r ? r : tn_buf_append(b, "\r\n", 2);
}

// Offsets into f->mem while it grows; pointers once it is done.
typedef struct tn__fetch_offs {
    size_t url, method, agent, proxy, lines, lines_end, body, auth, auth_end, pauth, pauth_end;
} tn__fetch_offs;

TN__PRIVATE int tn__fetch_copy_auth(tn_fetch *f, const tn_fetch_desc *d, const tn_url *u, tn__fetch_offs *o) {
    tn_buf *m = &f->mem;
    int r = 0;
    o->auth = m->len;
    if (d->auth_username)
        r = tn__fetch_basic(m, "Authorization", tn_str_c(d->auth_username), tn_str_c(d->auth_password), false,
                            &f->head);
    else if (u->userinfo.len) {
        const char *colon = TN__CAST(const char *, memchr(u->userinfo.ptr, ':', u->userinfo.len));
        size_t ul = colon ? (size_t)(colon - u->userinfo.ptr) : u->userinfo.len;
        tn_str pass = colon ? tn__str_n(colon + 1, u->userinfo.len - ul - 1) : tn__str_n("", 0);
        r = tn__fetch_basic(m, "Authorization", tn__str_n(u->userinfo.ptr, ul), pass, true, &f->head);
    }
    o->auth_end = o->pauth = m->len;
    if (!r && d->proxy_host && d->proxy_username)
        r = tn__fetch_basic(m, "Proxy-Authorization", tn_str_c(d->proxy_username), tn_str_c(d->proxy_password),
                            false, &f->head);
    o->pauth_end = m->len;
    return r;
}

TN__PRIVATE int tn__fetch_copy_strings(tn_fetch *f, const tn_fetch_desc *d, const tn_url *u, tn__fetch_offs *o) {
    tn_buf *m = &f->mem;
    tn_buf_clear(m);
    const char *method = d->method ? d->method : "GET";
    o->url = m->len;
    int r = tn_buf_append(m, d->url, strlen(d->url) + 1);
    o->method = m->len;
    if (!r) r = tn_buf_append(m, method, strlen(method) + 1);
    o->agent = m->len;
    if (!r && d->user_agent) r = tn_buf_append(m, d->user_agent, strlen(d->user_agent) + 1);
    o->proxy = m->len;
    if (!r && d->proxy_host) r = tn_buf_append(m, d->proxy_host, strlen(d->proxy_host) + 1);
    o->lines = m->len;
    for (int i = 0; !r && d->headers && d->headers[i]; i++) {
        r = tn__fetch_user_line(f, d->headers[i], d->body_producer != NULL);
        if (!r) r = tn_buf_append_str(m, d->headers[i]);
        if (!r) r = tn_buf_append(m, "\r\n", 2);
    }
    o->lines_end = m->len;
    if (!r) r = tn__fetch_copy_auth(f, d, u, o);
    o->body = m->len;  // last: a large body gets exactly its room
    if (!r && d->body_len) r = tn__buf_reserve_exact(m, d->body_len);
    if (!r && d->body_len) r = tn_buf_append(m, d->body, d->body_len);
    return r;
}

// Copies the desc into f. Returns 0, TN_EINVAL or TN_ENOMEM.
TN__PRIVATE int tn__fetch_copy(tn_fetch *f, const tn_fetch_desc *d) {
    tn_http_client *c = f->client;
    tn_url u;
    tn__fetch_offs o;
    memset(&u, 0, sizeof u);
    // Parsed here only for credentials in it; tn__fetch_set_url checks it.
    if ((strchr(d->url, '@') && tn_url_parse(d->url, &u) != 0) || (d->body_len && !d->body) ||
        (d->body && d->body_producer))
        return TN_EINVAL;
    int r = tn__fetch_copy_strings(f, d, &u, &o);
    if (r) return r;
    if (d->user_agent && !tn__fetch_text_ok(d->user_agent)) return TN_EINVAL;
    char *m = f->mem.data;
    f->method = m + o.method;
    for (const char *p = f->method; *p; p++)
        if (!tn__http_is_tchar((unsigned char)*p)) return TN_EINVAL;
    if (!*f->method) return TN_EINVAL;
    f->user_agent = d->user_agent ? m + o.agent : c->desc.user_agent ? c->desc.user_agent : TN__FETCH_AGENT;
    f->proxy_host = d->proxy_host ? m + o.proxy : NULL;
    f->lines = tn__str_n(m + o.lines, o.lines_end - o.lines);
    f->body = d->body ? tn__str_n(m + o.body, d->body_len) : tn__str_n(NULL, 0);
    f->auth = tn__str_n(m + o.auth, o.auth_end - o.auth);
    f->proxy_auth = tn__str_n(m + o.pauth, o.pauth_end - o.pauth);
    f->resp.url = m + o.url;
    f->on_response = d->on_response;
    f->header_cb = d->header_callback;
    f->data_cb = d->streaming_callback;
    f->producer = d->body_producer;
    f->user_data = f->resp.user_data = d->user_data;
    f->tls = tn__tls_ctx_ref(d->tls);
    f->connect_timeout = d->connect_timeout > 0 ? d->connect_timeout : 20.0;
    f->max_header = TN__MIN(TN__DEF(d->max_header_size, c->desc.max_header_size), (size_t)TN_DEFAULT_MAX_BUFFER_SIZE);
    f->max_body = d->max_body_size ? d->max_body_size : d->streaming_callback ? SIZE_MAX : c->desc.max_body_size;
    f->max_redirects = d->max_redirects > 0 ? d->max_redirects : 5;
    f->follow = !d->no_follow_redirects;
    f->decompress = TN_ENABLE_DEFLATE && !d->no_decompress_response;
    f->expect_continue = d->expect_100_continue && (d->body || d->body_producer);
    f->proxy_port = TN__DEF(d->proxy_port, 8080);
    if (f->proxy_port < 1 || f->proxy_port > 65535) return TN_EINVAL;
    return 0;
}

// ---- the hop: one URL, one request

// Makes `url` the current one (copied, parsed, its host NUL-terminated).
// Returns 0, TN_EINVAL (not an http:// or https:// URL), TN_ENOTSUP (https://
// without TLS built in) or TN_ENOMEM.
TN__PRIVATE int tn__fetch_set_url(tn_fetch *f, const char *url, size_t len) {
    tn_buf *b = &f->cur;
    tn_buf_clear(b);
    if (tn_buf_reserve(b, 2 * len + 2)) return TN_ENOMEM;  // no move below: views stay valid
    tn_buf_append(b, url, len);
    tn_buf_append(b, "", 1);
    f->resp.effective_url = b->data;
    if (tn_url_parse_str(tn__str_n(b->data, len), &f->url) != 0) return TN_EINVAL;
    f->https = tn__fetch_is(f->url.scheme, "https");
    if (f->https && !TN_ENABLE_TLS) return TN_ENOTSUP;
    if ((!f->https && !tn__fetch_is(f->url.scheme, "http")) || f->url.port == 0) return TN_EINVAL;
    // Hosts go into the request head: reg-name characters (IPv6 literals the URL parser checked).
    if (!memchr(f->url.host.ptr, ':', f->url.host.len) && !tn__http_valid_host(f->url.host, true, false))
        return TN_EINVAL;
    f->host = b->data + b->len;
    tn_buf_append(b, f->url.host.ptr, f->url.host.len);
    tn_buf_append(b, "", 1);
    return 0;
}

// Whether the current URL has the scheme, host and port of the first one:
// credentials are only for that origin.
TN__PRIVATE bool tn__fetch_same_origin(const tn_fetch *f) {
    tn_url first;
    if (f->resp.redirects == 0) return true;
    if (tn_url_parse(f->resp.url, &first) != 0) return false;
    return first.port == f->url.port && tn_str_eq_nocase(first.scheme, f->url.scheme) &&
           tn_str_eq_nocase(first.host, f->url.host);
}

// Whether the proxy forwards this hop's request (http://: an absolute-form
// target, proxy credentials in it); https:// goes through a tunnel instead,
// and the proxy sees only the CONNECT.
TN__PRIVATE bool tn__fetch_forwarded(const tn_fetch *f) { return f->proxy_host && !f->https; }

// Whether a user's header line goes into this hop's request.
TN__PRIVATE bool tn__fetch_sends_line(const tn_fetch *f, tn_str name, bool same_origin) {
    if (!same_origin && (tn__fetch_is(name, "Authorization") || tn__fetch_is(name, "Cookie"))) return false;
    if (f->resp.redirects && tn__fetch_is(name, "Host")) return false;  // it named the first host
    return !f->dropped_body || !(tn__fetch_is(name, "Content-Type") || tn__fetch_is(name, "Content-Encoding") ||
                                 tn__fetch_is(name, "Content-Length"));
}

// Appends the user's lines that this hop sends.
TN__PRIVATE int tn__fetch_put_user_lines(tn_fetch *f, tn_buf *b) {
    bool same = tn__fetch_same_origin(f);
    const char *p = f->lines.ptr, *end = p + f->lines.len;
    int r = 0;
    while (p < end && !r) {
        const char *eol = TN__CAST(const char *, memchr(p, '\n', (size_t)(end - p)));
        eol++;  // each line ends in CRLF: we wrote them
        const char *colon = TN__CAST(const char *, memchr(p, ':', (size_t)(eol - p)));
        if (tn__fetch_sends_line(f, tn__str_n(p, (size_t)(colon - p)), same))
            r = tn_buf_append(b, p, (size_t)(eol - p));
        p = eol;
    }
    if (!r && same && f->auth.len) r = tn_buf_append(b, f->auth.ptr, f->auth.len);
    if (!r && tn__fetch_forwarded(f) && f->proxy_auth.len) r = tn_buf_append(b, f->proxy_auth.ptr, f->proxy_auth.len);
    return r;
}

// "Name: value\r\n"
TN__PRIVATE int tn__fetch_put_line(tn_buf *b, const char *name, const char *value) {
    int r = tn_buf_append_str(b, name);
    if (!r) r = tn_buf_append(b, ": ", 2);
    if (!r) r = tn_buf_append_str(b, value);
    return r ? r : tn_buf_append(b, "\r\n", 2);
}

// The lines saying how the body is framed.
TN__PRIVATE int tn__fetch_put_body_lines(tn_fetch *f, tn_buf *b) {
    int r = 0;
    bool wants_body = tn_str_eq(tn_str_c(f->method), "POST") || tn_str_eq(tn_str_c(f->method), "PUT") ||
                      tn_str_eq(tn_str_c(f->method), "PATCH");
    f->chunked_out = f->producer && !(f->user_has & TN__HU_LENGTH);
    if (f->chunked_out) {
        r = tn__fetch_put_line(b, "Transfer-Encoding", "chunked");
    } else if (!f->producer && (f->body.ptr || wants_body)) {
        if (tn_str_eq(tn_str_c(f->method), "POST") && !(f->user_has & TN__HU_TYPE))
            r = tn__fetch_put_line(b, "Content-Type", "application/x-www-form-urlencoded");
        if (!r) r = tn_buf_append_str(b, "Content-Length: ");
        if (!r) r = tn__buf_append_num(b, f->body.len, 10);
        if (!r) r = tn_buf_append(b, "\r\n", 2);
    }
    if (!r && f->expect_continue) r = tn__fetch_put_line(b, "Expect", "100-continue");
    return r;
}

// Writes the current hop's request head into f->req.
// Every piece was checked when copied (a token method, a URL without
// controls or spaces, a valid host, header lines without controls), so
// the head is well-formed by construction. Returns 0 or TN_ENOMEM.
TN__PRIVATE int tn__fetch_build(tn_fetch *f) {
    tn_buf *b = &f->req;
    tn_buf_clear(b);
    int r = tn_buf_append_str(b, f->method);
    if (!r) r = tn_buf_append(b, " ", 1);
    if (!r && tn__fetch_forwarded(f)) r = tn_buf_append(b, "http://", 7);
    if (!r && tn__fetch_forwarded(f)) r = tn__url_append_authority(b, &f->url, 80);
    if (!r) r = tn__url_append_target(b, &f->url);
    if (!r) r = tn_buf_append(b, " HTTP/1.1\r\n", 11);
    if (!r && (!(f->user_has & TN__HU_HOST) || f->resp.redirects)) {
        r = tn_buf_append(b, "Host: ", 6);
        if (!r) r = tn__url_append_authority(b, &f->url, f->https ? 443 : 80);
        if (!r) r = tn_buf_append(b, "\r\n", 2);
    }
    if (!r && !(f->user_has & TN__HU_AGENT) && *f->user_agent) r = tn__fetch_put_line(b, "User-Agent", f->user_agent);
    if (!r && f->decompress && !(f->user_has & TN__HU_ACCEPT_ENC)) r = tn__fetch_put_line(b, "Accept-Encoding", "gzip");
    if (!r && f->client->desc.no_keep_alive && !(f->user_has & TN__HU_CONNECTION))
        r = tn__fetch_put_line(b, "Connection", "close");
    if (!r) r = tn__fetch_put_body_lines(f, b);
    if (!r) r = tn__fetch_put_user_lines(f, b);
    if (!r) r = tn_buf_append(b, "\r\n", 2);
    if (!r && !f->headers && !(f->headers = TN__CAST(tn_header *, tn__malloc(TN__HC_MAX_HEADERS * sizeof(tn_header)))))
        r = TN_ENOMEM;
    return r;
}

// ---- sending

TN__PRIVATE void tn__fetch_produce(tn_fetch *f) {
    f->producing = 1;
    f->out_left = f->out_length;
    f->producer(f, f->user_data);
}

// Queues the body after the head: lent from f->mem when large (the stream
// gives it back through tn__fetch_body_back), copied when small.
TN__PRIVATE int tn__fetch_write_body(tn_fetch *f) {
    tn_stream *s = f->conn->stream;
    if (!f->body.len) return 0;
    if (f->body.len < TN__FETCH_LEND_MIN) return tn_stream_write(s, f->body.ptr, f->body.len, NULL, NULL);
    f->loans++;
    return tn_stream_write_ref(s, f->body.ptr, f->body.len, tn__fetch_body_back, f);
}

// Sends the body that waited for "100 Continue".
TN__PRIVATE void tn__fetch_send_body(tn_fetch *f) {
    f->awaiting_continue = 0;
    if (f->producer) {
        tn__fetch_produce(f);
        return;
    }
    f->request_sent = 1;
    int e = tn__fetch_write_body(f);
    if (e) tn__fetch_fail(f, e, "cannot send the request body: %s", tn_strerror(e));
}

// No answer's head for this hop yet (the last hop's is gone with its turn).
TN__PRIVATE void tn__fetch_forget_head(tn_fetch *f) {
    tn_fetch_response *r = &f->resp;
    r->code = r->version_minor = 0;
    r->reason = tn__str_n("", 0);
    r->headers = NULL;
    r->num_headers = 0;
}

TN__PRIVATE void tn__fetch_send(tn_fetch *f) {
    f->state = TN__HF_HEAD;
    f->scanned = 0;
    f->got_byte = 0;
    f->redirecting = 0;
    f->awaiting_continue = f->expect_continue;
    f->request_sent = !f->producer && !f->expect_continue;
    tn__fetch_forget_head(f);
    tn_buf_clear(&f->body_buf);
    f->conn->requests++;
    int e = tn_stream_write(f->conn->stream, f->req.data, f->req.len, NULL, NULL);
    if (!e && f->request_sent) e = tn__fetch_write_body(f);
    if (e) tn__fetch_fail(f, e, "cannot send the request: %s", tn_strerror(e));
    else if (f->producer && !f->expect_continue) tn__fetch_produce(f);
}

// Asks the proxy for a tunnel to the https:// host (RFC 9110 9.3.6); the
// request follows once it answers 2xx and TLS is started over it.
TN__PRIVATE void tn__fetch_connect(tn_fetch *f) {
    tn_buf *b = &f->head;  // free until the answer's head
    tn_buf_clear(b);
    int r = tn_buf_append_str(b, "CONNECT ");
    if (!r) r = tn__url_append_authority(b, &f->url, 0);
    if (!r) r = tn_buf_append_str(b, " HTTP/1.1\r\nHost: ");
    if (!r) r = tn__url_append_authority(b, &f->url, 0);
    if (!r) r = tn_buf_append(b, "\r\n", 2);
    if (!r && *f->user_agent) r = tn__fetch_put_line(b, "User-Agent", f->user_agent);
    if (!r) r = tn_buf_append(b, f->proxy_auth.ptr, f->proxy_auth.len);
    if (!r) r = tn_buf_append(b, "\r\n", 2);
    if (!r) r = tn_stream_write(f->conn->stream, b->data, b->len, NULL, NULL);
    f->state = TN__HF_TUNNEL;
    f->scanned = 0;
    if (r) tn__fetch_fail(f, r, "cannot send CONNECT to the proxy: %s", tn_strerror(r));
}

TN__INTERNAL void tn__fetch_on_conn(tn_fetch *f, tn__hc_conn *conn, int status, bool reused) {
    if (status) {
        bool proxy = f->proxy_host != NULL;
        tn__fetch_fail(f, status, "cannot connect to %s%s:%u: %s", proxy ? "the proxy " : "",
                       proxy ? f->proxy_host : f->host, proxy ? (unsigned)f->proxy_port : (unsigned)f->url.port,
                       tn_strerror(status));
        return;
    }
    f->resp.reused = reused;
    f->resp.connect_time = tn_loop_time(f->client->loop) - f->t0;
    f->force_new = 0;
    if (conn->host && conn->host->via && !tn_stream_is_tls(conn->stream)) tn__fetch_connect(f);
    else tn__fetch_send(f);
}

// ---- reading the answer

TN__PRIVATE void tn__fetch_redirect(tn_fetch *f);

TN__PRIVATE bool tn__fetch_is_redirect(int code) {
    return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
}

// The answer was read whole: the connection goes back (to the pool if its
// framing allows), then the fetch ends or follows the redirect.
TN__PRIVATE void tn__fetch_complete(tn_fetch *f, bool leftover) {
    bool reusable = f->framing.keep_alive && !leftover && f->request_sent && !(f->user_has & TN__HU_CLOSE);
    tn__hc_conn *conn = f->conn;
    f->conn = NULL;
    tn__hc_conn_release(conn, reusable);  // first: a fetch the callbacks start may take it
    int code = f->resp.code;
    if (f->inflating && f->body_seen && !f->inflate_end) {
        tn__fetch_fail(f, TN_EPARSE, "the gzip body is truncated (%llu bytes)", (unsigned long long)f->body_seen);
    } else if (f->redirecting) {
        tn__fetch_redirect(f);
    } else if (code >= 200 && code < 300) {
        tn__fetch_finish(f, 0);
    } else {
        bool too_many = f->follow && tn__fetch_is_redirect(code) && f->resp.redirects >= f->max_redirects;
        snprintf(f->message, sizeof f->message, "HTTP %d: %.*s%s", code, (int)f->resp.reason.len,
                 f->resp.reason.ptr, too_many ? " (too many redirects)" : "");
        tn__fetch_finish(f, TN_EHTTP);
    }
}

// Hands body bytes (inflated ones too) to streaming_callback or the body.
// Returns false when the fetch ended here.
TN__PRIVATE bool tn__fetch_take_bytes(tn_fetch *f, const char *p, size_t n) {
    int r = f->data_cb ? f->data_cb(p, n, f->user_data) : tn_buf_append(&f->body_buf, p, n);
    if (r) tn__fetch_fail(f, r, f->data_cb ? "streaming_callback ended the fetch: %s" : "keeping the body: %s",
                          tn_strerror(r));
    return r == 0;
}

#if TN_ENABLE_DEFLATE
// Inflates a piece of a gzip body, in steps of a stack buffer, so memory
// stays bounded whatever the ratio. Returns false when the fetch ended here.
TN__PRIVATE bool tn__fetch_inflate(tn_fetch *f, const char *p, size_t n) {
    char out[16 * 1024];
    for (;;) {
        size_t in_len = n, out_len = sizeof out;
        int r = tn_inflate_update(f->gz, p, &in_len, out, &out_len);
        if (r == 0 && !in_len && !out_len && n) r = TN_EPARSE;  // no progress: never loop
        if (r < 0) {
            const char *why = tn_inflate_error(f->gz);
            tn__fetch_fail(f, r, "the gzip body is corrupt after %llu bytes: %s", (unsigned long long)f->body_seen,
                           why ? why : tn_strerror(r));
            return false;
        }
        f->inflate_end = r == 1;
        p += in_len, n -= in_len;
        if ((f->inflated += out_len) > f->max_body) {
            tn__fetch_fail(f, TN_EMSGSIZE, "the inflated body is over max_body_size (%zu bytes)", f->max_body);
            return false;
        }
        if (out_len && !tn__fetch_take_bytes(f, out, out_len)) return false;
        if (!n && out_len < sizeof out) return true;
    }
}

// decompress_response: a gzip body is inflated, and its Content-Encoding
// line becomes X-Consumed-Content-Encoding (as Tornado). Returns 0 or TN_ENOMEM.
TN__PRIVATE int tn__fetch_start_inflate(tn_fetch *f) {
    tn_fetch_response *r = &f->resp;
    f->inflating = f->inflate_end = 0;
    f->inflated = 0;
    if (!f->decompress || f->redirecting || f->framing.body == TN_HTTP_BODY_NONE) return 0;
    for (size_t i = 0; i < r->num_headers; i++) {
        tn_header *h = &f->headers[i];
        tn_str v = tn__http_trim(h->value.ptr, h->value.len);
        if (!tn__fetch_is(h->name, "Content-Encoding") || !(tn__fetch_is(v, "gzip") || tn__fetch_is(v, "x-gzip")))
            continue;
        static const tn_inflate_desc gzip = {TN_DEFLATE_GZIP, 15};
        if (!f->gz && !(f->gz = tn_inflate_new(&gzip))) return TN_ENOMEM;
        tn_inflate_reset(f->gz, false);
        h->name = tn_str_c("X-Consumed-Content-Encoding");
        f->inflating = 1;
        return 0;
    }
    return 0;
}

#else
// Without the codec (TN_ENABLE_DEFLATE=0) a fetch never asks for gzip and
// hands every body on as it is.
TN__PRIVATE bool tn__fetch_inflate(tn_fetch *f, const char *p, size_t n) { return tn__fetch_take_bytes(f, p, n); }
TN__PRIVATE int tn__fetch_start_inflate(tn_fetch *f) {
    f->inflating = f->inflate_end = 0;
    return 0;
}
#endif

// Hands body bytes on, inflated or as they are (or drops those of a
// redirect). Returns false when the fetch ended here.
TN__PRIVATE bool tn__fetch_deliver(tn_fetch *f, const char *p, size_t n) {
    f->body_seen += n;
    if (f->body_seen > f->max_body) {
        tn__fetch_fail(f, TN_EMSGSIZE, "the body is over max_body_size (%zu bytes)", f->max_body);
        return false;
    }
    if (f->redirecting) return true;
    return f->inflating ? tn__fetch_inflate(f, p, n) : tn__fetch_take_bytes(f, p, n);
}

TN__PRIVATE size_t tn__fetch_read_chunked(tn_fetch *f, const char *p, size_t len) {
    size_t off = 0;
    while (off < len) {
        tn_str data;
        int r = tn_chunked_decode(&f->chunked, p + off, len - off, &data);
        if (r == TN_INCOMPLETE || r == 0) break;
        if (r < 0) {
            tn__fetch_fail(f, TN_EPARSE, "malformed chunked body after %llu bytes",
                           (unsigned long long)f->body_seen);
            return len;
        }
        off += (size_t)r;
        if (data.len && !tn__fetch_deliver(f, data.ptr, data.len)) return len;
        if (tn_chunked_done(&f->chunked)) {
            tn__fetch_complete(f, off < len);
            break;
        }
    }
    return off;
}

TN__PRIVATE size_t tn__fetch_read_body(tn_fetch *f, const char *p, size_t len) {
    if (f->framing.body == TN_HTTP_BODY_CHUNKED) return tn__fetch_read_chunked(f, p, len);
    size_t n = f->framing.body == TN_HTTP_BODY_LENGTH ? (size_t)TN__MIN((uint64_t)len, f->body_left) : len;
    if (!tn__fetch_deliver(f, p, n)) return len;
    if (f->framing.body == TN_HTTP_BODY_LENGTH && (f->body_left -= n) == 0) tn__fetch_complete(f, n < len);
    return n;
}

// Copies the head out of the stream's buffer (the views must outlive it).
TN__PRIVATE int tn__fetch_keep_head(tn_fetch *f, const char *p, size_t n, const tn_http_response *rs) {
    if (p != f->head.data) {  // else it is there already, unfolded
        tn_buf_clear(&f->head);
        if (tn_buf_append(&f->head, p, n)) return TN_ENOMEM;
    }
    char *base = f->head.data;  // the parser's views are all inside p[0..n)
    for (size_t i = 0; i < rs->num_headers; i++) {
        f->headers[i].name.ptr = base + (rs->headers[i].name.ptr - p);
        f->headers[i].value.ptr = base + (rs->headers[i].value.ptr - p);
    }
    tn_fetch_response *r = &f->resp;
    r->code = rs->status_code;
    r->version_minor = rs->version_minor;
    r->reason = tn__str_n(base + (rs->reason.ptr - p), rs->reason.len);
    r->headers = f->headers;
    r->num_headers = rs->num_headers;
    return 0;
}

// The proxy answered the CONNECT (its head p[0..n), `extra` bytes after it):
// a 2xx opens the tunnel (TLS with the target, then the request), anything
// else ends the fetch with TN_EPROXY and the proxy's answer in the response.
// Returns false when the fetch ended here.
TN__PRIVATE bool tn__fetch_tunnel_answer(tn_fetch *f, const char *p, size_t n, size_t extra,
                                         const tn_http_response *rs) {
    tn_stream *s = f->conn->stream;
    if (rs->status_code < 200 || rs->status_code > 299) {
        if (tn__fetch_keep_head(f, p, n, rs) != 0) {
            tn__fetch_fail(f, TN_ENOMEM, "keeping the proxy's answer: out of memory");
            return false;
        }
        tn__fetch_fail(f, TN_EPROXY, "proxy CONNECT to %s:%u refused: %d %.*s", f->host, (unsigned)f->url.port,
                       rs->status_code, (int)TN__MIN(rs->reason.len, (size_t)80), rs->reason.ptr);
        return false;
    }
    if (extra) {  // the server speaks first in no TLS: these bytes are no one's
        tn__fetch_fail(f, TN_EPARSE, "the proxy sent %zu bytes after its %d to CONNECT", extra, rs->status_code);
        return false;
    }
    int r = tn_stream_start_tls(s, f->conn->host->tls, f->host);
    if (!r) r = tn__stream_handshake_timeout(s, f->conn->connect_by - tn_loop_time(f->client->loop));
    if (r) {
        tn__fetch_fail(f, r, "cannot start TLS through the proxy: %s", tn_strerror(r));
        return false;
    }
    f->resp.connect_time = tn_loop_time(f->client->loop) - f->t0;
    tn__fetch_send(f);
    return true;
}

// Copies the head p[0..n) into f->head with each obs-fold of a field line
// (OWS CRLF, then SP or HTAB and more of them) made one SP: RFC 9112 5.2 has
// a user agent unfold them, and Tornado does. A line of whitespace right
// after the status line is no fold (9112 2.2: malformed) and stays. Returns
// 1 when it unfolded something, 0 when there was nothing to, or TN_ENOMEM.
TN__PRIVATE int tn__fetch_unfold(tn_fetch *f, const char *p, size_t n) {
    const char *eol = (const char *)memchr(p, '\n', n);
    size_t from = eol ? (size_t)(eol + 1 - p) : n, kept = 0;
    int folded = 0;
    tn_buf_clear(&f->head);
    for (size_t i = from; i + 2 < n; i++) {
        if (p[i] != '\r' || p[i + 1] != '\n' || (p[i + 2] != ' ' && p[i + 2] != '\t')) continue;
        size_t e = i;
        while (e > kept && (p[e - 1] == ' ' || p[e - 1] == '\t')) e--;
        if (tn_buf_append(&f->head, p + kept, e - kept) || tn_buf_append(&f->head, " ", 1)) return TN_ENOMEM;
        for (i += 2; p[i] == ' ' || p[i] == '\t'; i++) continue;  // the head ends in CRLF CRLF
        kept = i--;
        folded = 1;
    }
    if (folded && tn_buf_append(&f->head, p + kept, n - kept)) return TN_ENOMEM;
    return folded;
}

// Why a head did not parse: too big, or malformed (the first line shown).
TN__PRIVATE void tn__fetch_bad_head(tn_fetch *f, const char *p, size_t len, size_t end) {
    size_t lines = 0, shown = 0;
    for (size_t i = 0; i + 1 < TN__MIN(len, end); i++) lines += p[i] == '\r' && p[i + 1] == '\n';
    if (end == SIZE_MAX ? len >= f->max_header : end > f->max_header) {
        tn__fetch_fail(f, TN_EMSGSIZE, "the answer's head is over max_header_size (%zu bytes)", f->max_header);
        return;
    }
    if (lines > TN__HC_MAX_HEADERS + 1) {
        tn__fetch_fail(f, TN_EMSGSIZE, "the answer has more than %d header lines", TN__HC_MAX_HEADERS);
        return;
    }
    char first[64];
    while (shown < len && shown < sizeof first - 1 && p[shown] != '\r' && p[shown] != '\n') {
        unsigned char ch = (unsigned char)p[shown];
        first[shown++] = ch >= 0x20 && ch < 0x7f && ch != '"' ? (char)ch : '?';
    }
    first[shown] = '\0';
    tn__fetch_fail(f, TN_EPARSE, "a malformed answer: \"%s\"%s", first, shown < len && p[shown] != '\r' ? "..." : "");
}

// The final head is in (`leftover`: bytes follow it): decide the body's
// framing and what to do with it.
TN__PRIVATE void tn__fetch_final_head(tn_fetch *f, bool leftover) {
    tn_fetch_response *r = &f->resp;
    f->awaiting_continue = 0;  // an answer without "100 Continue": the body stays unsent
    f->redirecting = f->follow && tn__fetch_is_redirect(r->code) && r->redirects < f->max_redirects &&
                     !(f->producer && (r->code == 307 || r->code == 308)) &&
                     tn_headers_get(r->headers, r->num_headers, "Location").ptr;
    if (tn__fetch_start_inflate(f) != 0) {
        tn__fetch_fail(f, TN_ENOMEM, "making the gzip inflater: out of memory");
        return;
    }
    if (!f->redirecting && f->header_cb) {
        int e = f->header_cb(r, f->user_data);
        if (e) {
            tn__fetch_fail(f, e, "header_callback ended the fetch: %s", tn_strerror(e));
            return;
        }
    }
    f->body_seen = 0;
    if (f->framing.body == TN_HTTP_BODY_LENGTH && f->framing.content_length > f->max_body) {
        tn__fetch_fail(f, TN_EMSGSIZE, "the body (Content-Length %llu) is over max_body_size (%zu bytes)",
                       (unsigned long long)f->framing.content_length, f->max_body);
        return;
    }
    memset(&f->chunked, 0, sizeof f->chunked);
    f->body_left = f->framing.content_length;
    if (f->framing.body == TN_HTTP_BODY_NONE || (f->framing.body == TN_HTTP_BODY_LENGTH && f->body_left == 0))
        tn__fetch_complete(f, leftover);
    else
        f->state = TN__HF_BODY;
}

// A 204 may say no length but 0, and no transfer coding (RFC 9110 8.6, 9112 6.1).
TN__PRIVATE bool tn__fetch_empty_204(const tn_http_response *rs) {
    tn_str cl = tn_headers_get(rs->headers, rs->num_headers, "Content-Length");
    return (!cl.ptr || tn_str_eq(cl, "0")) && !tn_headers_count(rs->headers, rs->num_headers, "Transfer-Encoding");
}

TN__PRIVATE size_t tn__fetch_read_head(tn_fetch *f, const char *p, size_t len) {
    // The parser looks at the first bytes (garbage fails at once), then again
    // only once the blank line or the limit is there.
    size_t from = f->scanned > 3 ? f->scanned - 3 : 0, end = SIZE_MAX;
    for (size_t i = from; i + 3 < len; i++)
        if (p[i] == '\r' && memcmp(p + i, "\r\n\r\n", 4) == 0) {
            end = i + 4;
            break;
        }
    bool first_look = f->scanned == 0;
    f->scanned = len;
    if (end == SIZE_MAX && !first_look && len < f->max_header) return 0;
    tn_http_response rs;
    tn_http_limits lim = {0, f->max_header};
    int n = tn_http_parse_response(p, len, &rs, f->headers, TN__HC_MAX_HEADERS, &lim);
    if (n == TN_INCOMPLETE && len < f->max_header) return 0;
    const char *head = p;  // where the parser's views point: p, or f->head unfolded
    int folded = n < 0 && end <= f->max_header ? tn__fetch_unfold(f, p, end) : 0;
    if (folded > 0) {
        head = f->head.data;
        n = tn_http_parse_response(head, f->head.len, &rs, f->headers, TN__HC_MAX_HEADERS, &lim);
    }
    if (folded < 0 || n < 0) {
        if (folded < 0) tn__fetch_fail(f, folded, "unfolding the answer's head: %s", tn_strerror(folded));
        else tn__fetch_bad_head(f, p, len, end);
        return len;
    }
    size_t used = folded > 0 ? end : (size_t)n;  // of p
    if (rs.status_code == 101) {
        tn__fetch_fail(f, TN_EPARSE, "an unexpected \"101 Switching Protocols\"");
        return len;
    }
    if (rs.status_code < 200) {  // 1xx: the real answer follows
        f->scanned = 0;
        if (rs.status_code == 100 && f->awaiting_continue) tn__fetch_send_body(f);
        return used;
    }
    if (f->state == TN__HF_TUNNEL)
        return tn__fetch_tunnel_answer(f, head, (size_t)n, len - used, &rs) ? used : len;
    if (tn_http_response_framing(&rs, tn_str_c(f->method), &f->framing) != 0 ||
        (rs.status_code == 204 && !tn__fetch_empty_204(&rs))) {
        tn__fetch_fail(f, TN_EPARSE, "the answer's framing is malformed or ambiguous (Content-Length, "
                                     "Transfer-Encoding)");
        return len;
    }
    if (tn__fetch_keep_head(f, head, (size_t)n, &rs) != 0) {
        tn__fetch_fail(f, TN_ENOMEM, "keeping the answer's head: out of memory");
        return len;
    }
    tn__fetch_final_head(f, used < len);
    return used;
}

TN__PRIVATE bool tn__fetch_idempotent(const char *m) {
    static const char *const safe[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"};
    for (size_t i = 0; i < TN__COUNTOF(safe); i++)
        if (strcmp(m, safe[i]) == 0) return true;
    return false;
}

// The request goes again, from the queue's front, on a new connection.
TN__PRIVATE void tn__fetch_requeue(tn_fetch *f) {
    if (f->conn) {
        tn__hc_conn *conn = f->conn;
        f->conn = NULL;
        tn__hc_conn_release(conn, false);
    }
    tn__hc_unlist(f->client, f);
    tn__hc_enqueue(f->client, f, true);
    tn__hc_pump(f->client);
}

// The connection ended (status: TN_EOF, a socket error, or TN_ECLOSED).
TN__PRIVATE void tn__fetch_on_end(tn_fetch *f, int status) {
    uint64_t got = f->body_seen;
    if (f->pending_error) {
        TN__LOGW("http client: %s: %s", f->cur.data, f->message);
        tn__fetch_finish(f, f->pending_error);
    } else if (f->state == TN__HF_BODY && f->framing.body == TN_HTTP_BODY_UNTIL_CLOSE && status == TN_EOF) {
        tn__fetch_complete(f, false);  // a body without length ends at a clean close
    } else if (f->state == TN__HF_HEAD && !f->got_byte && f->resp.reused && !f->retried && !f->producing &&
               tn__fetch_idempotent(f->method)) {
        // A pooled connection the server had closed meanwhile: once more, afresh.
        TN__LOGD("http client: %s: the pooled connection was closed (%s); retrying", f->cur.data,
                 tn_strerror(status));
        f->retried = f->force_new = 1;
        tn__fetch_requeue(f);
    } else if (f->state != TN__HF_BODY) {
        bool tunnel = f->state == TN__HF_TUNNEL;
        tn__fetch_fail(f, status, "the connection ended %s (%s)",
                       f->got_byte ? (tunnel ? "in the middle of the proxy's answer to CONNECT"
                                             : "in the middle of the answer's head")
                                   : (tunnel ? "without the proxy's answer to CONNECT" : "without an answer"),
                       tn_strerror(status));
    } else if (f->framing.body == TN_HTTP_BODY_LENGTH) {
        tn__fetch_fail(f, status, "the connection ended after %llu of %llu body bytes (%s)",
                       (unsigned long long)got, (unsigned long long)f->framing.content_length, tn_strerror(status));
    } else {
        tn__fetch_fail(f, status, "the connection ended after %llu body bytes, %s (%s)", (unsigned long long)got,
                       f->framing.body == TN_HTTP_BODY_CHUNKED ? "before the last chunk" : "not cleanly",
                       tn_strerror(status));
    }
}

TN__INTERNAL size_t tn__fetch_on_data(tn_fetch *f, int status, const char *data, size_t len) {
    if (status) {
        tn__fetch_on_end(f, status == TN_ECLOSED ? TN_EOF : status);
        return 0;
    }
    if (!f->got_byte) {
        f->got_byte = 1;
        f->resp.first_byte_time = tn_loop_time(f->client->loop) - f->t0;
    }
    return f->state == TN__HF_BODY ? tn__fetch_read_body(f, data, len) : tn__fetch_read_head(f, data, len);
}

// ---- redirects

// Applies RFC 9110's method rules to the next request (as Tornado and curl).
TN__PRIVATE void tn__fetch_redirect_method(tn_fetch *f, int code) {
    bool to_get = (code == 303 && strcmp(f->method, "HEAD") != 0) ||
                  ((code == 301 || code == 302) && strcmp(f->method, "POST") == 0);
    if (!to_get) return;
    f->method = "GET";
    f->body = tn__str_n(NULL, 0);
    f->dropped_body = 1;
    f->producer = NULL;
    f->expect_continue = 0;
    f->user_has &= ~(unsigned)TN__HU_LENGTH;
}

TN__PRIVATE void tn__fetch_redirect(tn_fetch *f) {
    tn_str loc = tn_headers_get(f->resp.headers, f->resp.num_headers, "Location");
    tn_buf *target = &f->body_buf;  // free: a redirect's body was dropped
    tn_buf_clear(target);
    int r = tn_url_join(target, tn__str_n(f->cur.data, strlen(f->cur.data)), loc);
    if (!r) r = tn__fetch_set_url(f, target->data, target->len);
    if (r) {
        tn__fetch_fail(f, r == TN_EINVAL ? TN_EPARSE : r,
                       r == TN_ENOTSUP ? "redirected to https://, which needs TLS (TN_ENABLE_TLS)"
                                       : "redirected to \"%.*s\", which is not an http:// URL",
                       (int)TN__MIN(loc.len, (size_t)120), loc.ptr);
        return;
    }
    f->resp.redirects++;
    tn__fetch_redirect_method(f, f->resp.code);
    r = tn__fetch_build(f);
    if (r) {
        tn__fetch_fail(f, r, "building the redirected request: %s", tn_strerror(r));
        return;
    }
    f->retried = f->force_new = 0;
    // A failure before the next answer is that hop's: no 3xx left in the
    // response (its head's buffer is reused by a proxy's CONNECT, too).
    tn__fetch_forget_head(f);
    tn__fetch_requeue(f);  // it may go to another host: it waits for room there
}

// ---- starting

TN__PRIVATE int tn__fetch_start(tn_http_client *c, const tn_fetch_desc *d, tn_fetch_response **sync_out,
                                tn_fetch **out) {
    if (!c || !d || !d->url || (!d->on_response && !sync_out)) return TN_EINVAL;
    if (c->closing || c->free_pending) return TN_ECLOSED;
    tn_fetch *f = tn__fetch_take(c);
    if (!f) return TN_ENOMEM;
    f->sync_out = sync_out;
    int r = tn__fetch_copy(f, d);
    if (!r) r = tn__fetch_set_url(f, f->resp.url, strlen(f->resp.url));
    if (!r) r = tn__fetch_build(f);
    if (r) {
        TN__LOGW("http client: %s: %s", d->url,
                 r == TN_ENOTSUP ? "https:// needs TLS (TN_ENABLE_TLS=1)"
                 : r == TN_EINVAL ? "not an http:// URL, or a bad method, header line or body"
                                  : tn_strerror(r));
        f->where = TN__HF_DONE;
        tn__fetch_recycle(f);
        return r;
    }
    tn_loop *loop = c->loop;
    f->t0 = tn_loop_time(loop);
    f->resp.start_time = tn_time_wall();
    double timeout = d->request_timeout > 0 ? d->request_timeout : 20.0;
    f->timer = tn_loop_call_later(loop, timeout, tn__fetch_on_timeout, f);
    // never inside this call: on_response may not run in it
    if (!f->timer.id || tn__hc_pump_soon(c) != 0) {  // out of memory: it would never start or end
        if (f->timer.id) tn_loop_remove_timeout(loop, f->timer);
        f->where = TN__HF_DONE;
        tn__fetch_recycle(f);
        return TN_ENOMEM;
    }
    tn__hc_enqueue(c, f, false);
    if (out) *out = f;
    return 0;
}

TN_API int tn_http_client_fetch(tn_http_client *c, const tn_fetch_desc *desc) {
    return tn__fetch_start(c, desc, NULL, NULL);
}

TN__PRIVATE void tn__fetch_sync_start(tn_loop *loop, void *arg) {
    (void)loop;
    (void)arg;
}

TN_API int tn_http_client_fetch_sync(tn_http_client *c, const tn_fetch_desc *desc, tn_fetch_response **out) {
    *out = NULL;
    tn_loop *loop = c->loop;
    if (loop->running || loop->sync_active) return TN_EBUSY;
    loop->now = tn__loop_clock(loop);  // the loop was idle: its clock is old
    tn_fetch *f;
    int r = tn__fetch_start(c, desc, out, &f);
    if (r) return r;
    r = tn_loop_run_sync(loop, tn__fetch_sync_start, NULL, 0);
    if (!*out) tn__fetch_fail(f, r < 0 ? r : TN_ECANCELED, "the loop stopped before the answer");
    r = (*out)->error;
    if (c->free_pending) tn__hc_free_now(c);  // freed by a callback meanwhile (*out is ours)
    return r;
}

TN_API tn_fetch_response *tn_fetch_response_keep(const tn_fetch_response *r) {
    tn_fetch *f = TN__CAST(tn_fetch *, (void *)((char *)(uintptr_t)r - offsetof(tn_fetch, resp)));
    f->kept = 1;
    return &f->resp;
}

TN_API void tn_fetch_response_free(tn_fetch_response *r) {
    if (!r) return;
    tn_fetch *f = TN__CAST(tn_fetch *, (void *)((char *)r - offsetof(tn_fetch, resp)));
    if (f->loans) f->free_pending = 1;  // its body goes back first (tn__fetch_body_back)
    else tn__fetch_free_mem(f);
}

// ---- streamed request bodies

TN_API int tn_fetch_write(tn_fetch *f, const void *data, size_t len, tn_fetch_write_cb cb, void *arg) {
    if (f->where != TN__HF_RUNNING || !f->producing || f->body_ended || !f->conn) return TN_ECLOSED;
    if (cb && f->wcb) return TN_EBUSY;
    if ((f->user_has & TN__HU_LENGTH) && len > f->out_left) return TN_EINVAL;
    tn_stream *s = f->conn->stream;
    int r = 0;
    if (f->chunked_out && len) {
        char size[20];
        r = tn_stream_write(s, size, (size_t)snprintf(size, sizeof size, "%zx\r\n", len), NULL, NULL);
    }
    if (!r) r = tn_stream_write(s, data, len, NULL, NULL);
    if (!r && f->chunked_out && len) r = tn_stream_write(s, "\r\n", 2, NULL, NULL);
    if (!r && cb) r = tn_stream_write(s, "", 0, tn__hc_conn_wrote, f->conn);
    if (r) return r;
    f->out_left -= f->user_has & TN__HU_LENGTH ? len : 0;
    if (cb) {
        f->conn->wfetch = f;
        f->wconn = f->conn;
        f->wcb = cb;
        f->warg = arg;
    }
    return 0;
}

TN_API int tn_fetch_end_body(tn_fetch *f) {
    if (f->where != TN__HF_RUNNING || !f->producing || f->body_ended || !f->conn) return TN_ECLOSED;
    f->body_ended = 1;
    if ((f->user_has & TN__HU_LENGTH) && f->out_left) {
        // Reported when the connection's end reaches the fetch, not inside this call.
        f->pending_error = TN_EINVAL;
        snprintf(f->message, sizeof f->message, "the body producer ended %llu bytes short of its Content-Length",
                 (unsigned long long)f->out_left);
        tn_stream_close(f->conn->stream);
        return TN_EINVAL;
    }
    f->request_sent = 1;
    return f->chunked_out ? tn_stream_write(f->conn->stream, "0\r\n\r\n", 5, NULL, NULL) : 0;
}

TN_API void *tn_fetch_user_data(const tn_fetch *f) { return f->user_data; }
#endif  // TN_ENABLE_HTTP_CLIENT
