// >>tls implementation: OpenSSL contexts and the sessions under streams
#include "base/internal.h"
#include "net/tls.h"
#include "net/tls_internal.h"
#include "base/error.h"
#include "loop/loop.h"
#include "base/alloc_internal.h"
#include "base/error_internal.h"
#include "base/log_internal.h"
#include "base/str_internal.h"

#include <string.h>

#if TN_ENABLE_TLS
#  include <arpa/inet.h>
#  include <errno.h>
#  include <sys/socket.h>
#  include <openssl/crypto.h>
#  include <openssl/err.h>
#  include <openssl/ssl.h>
#  include <openssl/x509v3.h>

#  ifndef MSG_NOSIGNAL
#    define MSG_NOSIGNAL 0
#  endif

// Mozilla's "intermediate" TLS 1.2 suites; TLS 1.3 keeps OpenSSL's own.
#  define TN__TLS_CIPHERS                                                                                \
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"         \
      "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"           \
      "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"

// nginx's answer to plain HTTP on a TLS port.
#  define TN__TLS_PLAIN_BODY "The plain HTTP request was sent to HTTPS port\n"
#  define TN__TLS_PLAIN_ANSWER                                                                             \
      "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 46\r\n" \
      "\r\n" TN__TLS_PLAIN_BODY

typedef struct tn__tls_sni {
    char *host;  // "name" or "*.domain"
    SSL_CTX *ctx;
} tn__tls_sni;

struct tn_tls_ctx {
    SSL_CTX *ctx;
    BIO_METHOD *bio;  // sockets without SIGPIPE (see tn__tls_bio_write)
    tn__tls_sni *sni;
    int num_sni;
    int refs;  // the caller's and one per session
    bool server;
    bool verify;  // a client's: check the peer's certificate and name
    unsigned alpn_len;
    unsigned char alpn[64];  // ALPN protocols in wire format
};

struct tn__tls {
    SSL *ssl;
    tn_tls_ctx *ctx;
    int fd;
    int end;      // after a read that returned bytes: 1 the end, or the error, for the next read
    int hs_want;  // the readiness the handshake waits for
    unsigned handshaking : 1, sniffed : 1, failed : 1, rd_wants_write : 1, wr_wants_read : 1;
    char alpn[16];
    char why[120];  // why it failed, for tn_stream_tls_error
};

// Logs (and clears) OpenSSL's error queue under `what`; keeps the reason in
// `why` (may be NULL).
TN__PRIVATE void tn__tls_log_queue(int level, const char *what, char *why, size_t cap) {
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e) ERR_error_string_n(e, buf, sizeof buf);
    TN_LOG(level, TN_LOG_GENERAL, "tls: %s%s%s", what, e ? ": " : "", buf);
    if (why) snprintf(why, cap, "%s%s%s", what, e ? ": " : "", e ? ERR_reason_error_string(e) : "");
    ERR_clear_error();
}

// OpenSSL's socket BIO writes with write(2): a peer gone raises SIGPIPE,
// which kills a program that did not ignore it. Ours sends with
// MSG_NOSIGNAL, as the stream does.
TN__PRIVATE int tn__tls_bio_write(BIO *b, const char *buf, int len) {
    BIO_clear_retry_flags(b);
    ssize_t n = send((int)(intptr_t)BIO_get_data(b), buf, (size_t)len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(b);
    return (int)n;
}

TN__PRIVATE int tn__tls_bio_read(BIO *b, char *buf, int len) {
    BIO_clear_retry_flags(b);
    ssize_t n = recv((int)(intptr_t)BIO_get_data(b), buf, (size_t)len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(b);
    return (int)n;
}

TN__PRIVATE long tn__tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
    (void)b, (void)num, (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;  // nothing is buffered here
}

TN__PRIVATE int tn__tls_bio_create(BIO *b) {
    BIO_set_init(b, 1);
    return 1;
}

TN__PRIVATE BIO_METHOD *tn__tls_bio_method(void) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "tornado.h socket");
    if (m && (!BIO_meth_set_write(m, tn__tls_bio_write) || !BIO_meth_set_read(m, tn__tls_bio_read) ||
              !BIO_meth_set_ctrl(m, tn__tls_bio_ctrl) || !BIO_meth_set_create(m, tn__tls_bio_create))) {
        BIO_meth_free(m);
        return NULL;
    }
    return m;
}

TN__PRIVATE BIO *tn__tls_bio(const char *file, const char *pem) {
    if (file) return BIO_new_file(file, "r");
    return pem ? BIO_new_mem_buf(pem, -1) : NULL;
}

// The leaf, then the rest of the chain, from one PEM source.
TN__PRIVATE bool tn__tls_use_chain(SSL_CTX *ctx, BIO *b) {
    X509 *leaf = b ? PEM_read_bio_X509_AUX(b, NULL, NULL, NULL) : NULL;
    bool ok = leaf && SSL_CTX_use_certificate(ctx, leaf) == 1;
    X509_free(leaf);
    X509 *ca;
    while (ok && (ca = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
            X509_free(ca);
            ok = false;
        }
    }
    if (ok) ERR_clear_error();  // the end of the PEM text
    return ok;
}

TN__PRIVATE int tn__tls_use_cert(SSL_CTX *ctx, const tn_tls_cert *c) {
    BIO *b = tn__tls_bio(c->certfile, c->cert_pem);
    bool ok = tn__tls_use_chain(ctx, b);
    BIO_free(b);
    b = NULL;
    if (ok) {  // the key: its own file or text, else beside the certificate
        if (c->keyfile || c->key_pem) b = tn__tls_bio(c->keyfile, c->key_pem);
        else b = tn__tls_bio(c->certfile, c->cert_pem);
    }
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    ok = k && SSL_CTX_use_PrivateKey(ctx, k) == 1 && SSL_CTX_check_private_key(ctx) == 1;
    EVP_PKEY_free(k);
    BIO_free(b);
    if (ok) return 0;
    char what[300];
    snprintf(what, sizeof what, "cannot use the certificate and key of %s",
             c->certfile ? c->certfile : "PEM text");
    tn__tls_log_queue(TN_LOG_ERROR, what, NULL, 0);
    return TN_EINVAL;
}

TN__PRIVATE int tn__tls_on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                                unsigned inlen, void *arg) {
    tn_tls_ctx *c = TN__CAST(tn_tls_ctx *, arg);
    unsigned char *chosen;
    (void)ssl;
    // Our order wins; no protocol in common is no ALPN at all, not a failure.
    if (SSL_select_next_proto(&chosen, outlen, c->alpn, c->alpn_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

// "*.example.com" matches one label more; other names match whole.
TN__PRIVATE bool tn__tls_host_match(const char *pattern, const char *name) {
    if (pattern[0] == '*' && pattern[1] == '.') {
        const char *dot = strchr(name, '.');
        return dot && dot != name && strcasecmp(dot, pattern + 1) == 0;
    }
    return strcasecmp(pattern, name) == 0;
}

TN__PRIVATE int tn__tls_on_sni(SSL *ssl, int *alert, void *arg) {
    tn_tls_ctx *c = TN__CAST(tn_tls_ctx *, arg);
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    (void)alert;
    for (int i = 0; name && i < c->num_sni; i++) {
        if (tn__tls_host_match(c->sni[i].host, name)) {
            SSL_set_SSL_CTX(ssl, c->sni[i].ctx);
            break;
        }
    }
    return SSL_TLSEXT_ERR_OK;  // an unknown name gets the default certificate
}

// An OpenSSL context with our settings and `cert` (if any).
TN__PRIVATE SSL_CTX *tn__tls_ssl_ctx(tn_tls_ctx *c, const tn_tls_desc *d, const tn_tls_cert *cert) {
    SSL_CTX *ctx = SSL_CTX_new(d->server ? TLS_server_method() : TLS_client_method());
    if (!ctx) return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // Partial and moving writes: the stream's write buffer moves as it grows.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    // Read ahead (as nginx): a record in one recv instead of its 5-byte
    // header and then its body; what is read beyond it waits in OpenSSL's
    // buffer, where tn__tls_pending sees it.
    SSL_CTX_set_read_ahead(ctx, 1);
    // Many clients close without close_notify; HTTP's framing tells a cut body.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    bool ok = SSL_CTX_set_cipher_list(ctx, d->ciphers ? d->ciphers : TN__TLS_CIPHERS) == 1;
    if (ok && (cert->certfile || cert->cert_pem)) ok = tn__tls_use_cert(ctx, cert) == 0;
    if (ok && d->server) {
        SSL_CTX_set_dh_auto(ctx, 1);
        SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"tornado.h", 9);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
        SSL_CTX_set_alpn_select_cb(ctx, tn__tls_on_alpn, c);
    } else if (ok) {
        ok = SSL_CTX_set_alpn_protos(ctx, c->alpn, c->alpn_len) == 0;  // 0 is success here
    }
    if (ok && d->ca_certs) ok = SSL_CTX_load_verify_locations(ctx, d->ca_certs, NULL) == 1;
    else if (ok && c->verify) ok = SSL_CTX_set_default_verify_paths(ctx) == 1;
    if (ok && d->server && d->ca_certs) {
        SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(d->ca_certs));
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    } else if (ok && c->verify) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    if (!ok) {
        tn__tls_log_queue(TN_LOG_ERROR, "cannot set up a context", NULL, 0);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

TN__PRIVATE int tn__tls_alpn_wire(tn_tls_ctx *c, const char *const *list) {
    static const char *const def[] = {"http/1.1", NULL};
    for (const char *const *p = list ? list : def; *p; p++) {
        size_t n = strlen(*p);
        if (n == 0 || n > 255 || c->alpn_len + 1 + n > sizeof c->alpn) return TN_EINVAL;
        c->alpn[c->alpn_len++] = (unsigned char)n;
        memcpy(c->alpn + c->alpn_len, *p, n);
        c->alpn_len += (unsigned)n;
    }
    return 0;
}

TN__PRIVATE void tn__tls_ctx_release(tn_tls_ctx *c) {
    if (!c || --c->refs > 0) return;
    for (int i = 0; i < c->num_sni; i++) {
        tn__free(c->sni[i].host);
        SSL_CTX_free(c->sni[i].ctx);
    }
    tn__free(c->sni);
    SSL_CTX_free(c->ctx);
    BIO_meth_free(c->bio);
    tn__free(c);
}

TN__PRIVATE int tn__tls_add_sni(tn_tls_ctx *c, const tn_tls_desc *d) {
    if (d->num_sni <= 0) return 0;
    if (!d->server || !d->sni) return TN_EINVAL;
    c->sni = TN__CAST(tn__tls_sni *, tn__calloc((size_t)d->num_sni, sizeof *c->sni));
    if (!c->sni) return TN_ENOMEM;
    while (c->num_sni < d->num_sni) {
        const tn_tls_cert *cert = &d->sni[c->num_sni];
        tn__tls_sni *e = &c->sni[c->num_sni++];  // counted now: freed with the context
        if (!cert->host || !*cert->host) return TN_EINVAL;
        e->host = tn__strdup(cert->host);
        e->ctx = e->host ? tn__tls_ssl_ctx(c, d, cert) : NULL;
        if (!e->ctx) return TN_EINVAL;
    }
    SSL_CTX_set_tlsext_servername_callback(c->ctx, tn__tls_on_sni);
    SSL_CTX_set_tlsext_servername_arg(c->ctx, c);
    return 0;
}

TN_API tn_tls_ctx *tn_tls_ctx_new(const tn_tls_desc *d) {
    if (!d || (d->server && !d->cert.certfile && !d->cert.cert_pem)) {
        TN__LOGE("tls: a server context needs a certificate (cert.certfile or cert.cert_pem)");
        return NULL;
    }
    tn_tls_ctx *c = TN__CAST(tn_tls_ctx *, tn__calloc(1, sizeof *c));
    if (!c) return NULL;
    c->refs = 1;
    c->server = d->server;
    c->verify = !d->server && !d->no_validate_cert;
    int r = tn__tls_alpn_wire(c, d->alpn);
    c->bio = r ? NULL : tn__tls_bio_method();
    if (!c->bio) r = TN_ENOMEM;
    if (r == 0) {
        c->ctx = tn__tls_ssl_ctx(c, d, &d->cert);
        r = c->ctx ? tn__tls_add_sni(c, d) : TN_EINVAL;
    }
    if (r) {
        if (r == TN_EINVAL && c->ctx) TN__LOGE("tls: a bad alpn list or sni entry (each needs a host and a certificate)");
        tn__tls_ctx_release(c);
        return NULL;
    }
    return c;
}

TN_API void tn_tls_ctx_free(tn_tls_ctx *ctx) { tn__tls_ctx_release(ctx); }

// OpenSSL's allocator signatures (with the caller's file and line, unused).
TN__PRIVATE void *tn__tls_malloc(size_t n, const char *file, int line) {
    (void)file, (void)line;
    return tn__malloc(n);
}
TN__PRIVATE void *tn__tls_realloc(void *p, size_t n, const char *file, int line) {
    (void)file, (void)line;
    return tn__realloc(p, n);
}
TN__PRIVATE void tn__tls_free_block(void *p, const char *file, int line) {
    (void)file, (void)line;
    tn__free(p);
}

TN_API int tn_tls_use_library_allocator(void) {
    return CRYPTO_set_mem_functions(tn__tls_malloc, tn__tls_realloc, tn__tls_free_block) == 1 ? 0 : TN_EBUSY;
}

TN__INTERNAL tn_tls_ctx *tn__tls_ctx_ref(tn_tls_ctx *ctx) {
    if (ctx) ctx->refs++;
    return ctx;
}

TN__PRIVATE bool tn__tls_is_ip(const char *host) {
    unsigned char a[16];
    return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

// A client's host: sent as SNI (names only, as RFC 6066 says) and checked
// against the certificate's names or IP addresses.
TN__PRIVATE bool tn__tls_set_host(tn__tls *t, const char *host) {
    bool ip = tn__tls_is_ip(host);
    if (!ip && SSL_set_tlsext_host_name(t->ssl, host) != 1) return false;
    if (!t->ctx->verify) return true;
    if (ip) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host) == 1;
    return SSL_set1_host(t->ssl, host) == 1;
}

TN__INTERNAL tn__tls *tn__tls_new(tn_tls_ctx *ctx, int fd, const char *host) {
    tn__tls *t = TN__CAST(tn__tls *, tn__calloc(1, sizeof *t));
    if (!t) return NULL;
    t->ctx = tn__tls_ctx_ref(ctx);
    t->fd = fd;
    t->handshaking = 1;
    t->hs_want = ctx->server ? TN_IO_READ : TN_IO_WRITE;
    t->ssl = SSL_new(ctx->ctx);
    BIO *bio = t->ssl ? BIO_new(ctx->bio) : NULL;
    bool ok = bio != NULL;
    if (ok) {
        BIO_set_data(bio, (void *)(intptr_t)fd);
        SSL_set_bio(t->ssl, bio, bio);  // the session owns it now
    }
    if (ok && ctx->server) SSL_set_accept_state(t->ssl);
    else if (ok) SSL_set_connect_state(t->ssl);
    if (ok && !ctx->server && host && *host) ok = tn__tls_set_host(t, host);
    if (!ok) {
        tn__tls_log_queue(TN_LOG_ERROR, "cannot start a session", NULL, 0);
        tn__tls_free(t);
        return NULL;
    }
    return t;
}

TN__INTERNAL void tn__tls_shutdown(tn__tls *t) {
    if (t->handshaking || t->failed) return;
    ERR_clear_error();
    SSL_shutdown(t->ssl);  // close_notify, once: the socket closes next
    ERR_clear_error();
}

TN__INTERNAL void tn__tls_free(tn__tls *t) {
    if (!t) return;
    SSL_free(t->ssl);
    ERR_clear_error();
    tn__tls_ctx_release(t->ctx);
    tn__free(t);
}

// A failed call: TN_ECERT (with the verify result's reason), the socket's
// error, TN_EOF, or TN_ETLS.
TN__PRIVATE int tn__tls_fail(tn__tls *t, int e, const char *what) {
    int level = t->ctx->server ? TN_LOG_INFO : TN_LOG_WARNING;  // a server meets scanners all day
    int sys = errno;
    t->failed = 1;
    long v = SSL_get_verify_result(t->ssl);
    if (t->handshaking && v != X509_V_OK) {
        snprintf(t->why, sizeof t->why, "certificate verification failed: %s", X509_verify_cert_error_string(v));
        TN_LOG(level, TN_LOG_GENERAL, "tls: %s", t->why);
        ERR_clear_error();
        return TN_ECERT;
    }
    if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        ERR_clear_error();
        snprintf(t->why, sizeof t->why, "%s: %s", what, sys ? strerror(sys) : "the peer closed the connection");
        return sys ? tn__err_from_errno(sys) : TN_EOF;
    }
    tn__tls_log_queue(level, what, t->why, sizeof t->why);
    return TN_ETLS;
}

// The first byte of a server's connection: a TLS handshake record (0x16),
// or plain HTTP (nginx's 400), or anything else (cut off).
TN__PRIVATE int tn__tls_sniff(tn__tls *t) {
    unsigned char c;
    ssize_t n = recv(t->fd, &c, 1, MSG_PEEK);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? TN_EAGAIN : tn__err_from_errno(errno);
    if (n == 0) return TN_EOF;
    t->sniffed = 1;
    if (c == 0x16) return 0;
    t->failed = 1;
    // Read what came first: closing over unread bytes would reset the
    // connection, and could destroy the answer before the client reads it.
    char junk[4096];
    while (recv(t->fd, junk, sizeof junk, 0) == (ssize_t)sizeof junk) continue;
    if (c < 'A' || c > 'Z') {
        TN__LOGI("tls: not a TLS handshake (first byte 0x%02x); closing", c);
        return TN_ETLS;
    }
    if (send(t->fd, TN__TLS_PLAIN_ANSWER, sizeof TN__TLS_PLAIN_ANSWER - 1, MSG_NOSIGNAL) < 0)
        TN__LOGD("tls: cannot answer plain HTTP: %s", strerror(errno));
    TN__LOGI("tls: plain HTTP request on a TLS port; answered 400");
    return TN_ETLS;
}

TN__INTERNAL int tn__tls_handshake(tn__tls *t) {
    if (t->ctx->server && !t->sniffed) {
        int r = tn__tls_sniff(t);
        if (r) return r;
    }
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) {
        const unsigned char *p;
        unsigned n;
        SSL_get0_alpn_selected(t->ssl, &p, &n);
        if (n && n < sizeof t->alpn) memcpy(t->alpn, p, n);  // none agreed: p is NULL
        t->handshaking = 0;
        return 0;
    }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        t->hs_want = e == SSL_ERROR_WANT_READ ? TN_IO_READ : TN_IO_WRITE;
        return TN_EAGAIN;
    }
    return tn__tls_fail(t, e, "handshake failed");
}

TN__INTERNAL bool tn__tls_handshaking(const tn__tls *t) { return t->handshaking; }

// Reads records until len bytes or the socket is dry: bytes left inside
// OpenSSL would wake no one. An end met after some bytes waits for the next call.
TN__INTERNAL long tn__tls_recv(tn__tls *t, char *buf, size_t len) {
    if (t->end) return t->end > 0 ? 0 : t->end;
    size_t got = 0;
    t->rd_wants_write = 0;
    while (got < len) {
        size_t n;
        ERR_clear_error();
        int r = SSL_read_ex(t->ssl, buf + got, len - got, &n);
        if (r == 1) {
            got += n;
            continue;
        }
        int e = SSL_get_error(t->ssl, r);
        if (e == SSL_ERROR_WANT_WRITE) t->rd_wants_write = 1;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
        int end = e == SSL_ERROR_ZERO_RETURN ? 0 : tn__tls_fail(t, e, "read failed");
        if (!got) return end;
        t->end = end ? end : 1;
        break;
    }
    return got ? (long)got : (long)TN_EAGAIN;
}

TN__INTERNAL long tn__tls_send(tn__tls *t, const char *buf, size_t len) {
    if (t->handshaking) return TN_EAGAIN;  // the handshake goes first, on the stream's events
    if (t->failed) return TN_ETLS;
    size_t n;
    t->wr_wants_read = 0;
    ERR_clear_error();
    int r = SSL_write_ex(t->ssl, buf, len, &n);
    if (r == 1) return (long)n;
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ) t->wr_wants_read = 1;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return TN_EAGAIN;
    return tn__tls_fail(t, e, "write failed");
}

TN__INTERNAL int tn__tls_events(const tn__tls *t, int ev) {
    if (t->handshaking) return t->hs_want;
    return ev | (t->rd_wants_write ? TN_IO_WRITE : 0) | (t->wr_wants_read ? TN_IO_READ : 0);
}

TN__INTERNAL int tn__tls_map_events(const tn__tls *t, int ev) {
    if ((ev & TN_IO_WRITE) && t->rd_wants_write) ev |= TN_IO_READ;
    if ((ev & (TN_IO_READ | TN_IO_ERROR)) && t->wr_wants_read) ev |= TN_IO_WRITE;
    return ev;
}

TN__INTERNAL bool tn__tls_pending(const tn__tls *t) { return t->end || SSL_has_pending(t->ssl); }
TN__INTERNAL const char *tn__tls_alpn(const tn__tls *t) { return t->alpn; }
TN__INTERNAL const char *tn__tls_error(const tn__tls *t) { return t->why; }

#else  // TLS not built in: no session is ever made, so the rest is never called

TN_API tn_tls_ctx *tn_tls_ctx_new(const tn_tls_desc *desc) {
    (void)desc;
    TN__LOGE("tls: not built in (build with -DTN_ENABLE_TLS=1 -lssl -lcrypto)");
    return NULL;
}
TN_API void tn_tls_ctx_free(tn_tls_ctx *ctx) { (void)ctx; }
TN_API int tn_tls_use_library_allocator(void) { return TN_ENOTSUP; }
TN__INTERNAL tn_tls_ctx *tn__tls_ctx_ref(tn_tls_ctx *ctx) { return ctx; }
TN__INTERNAL tn__tls *tn__tls_new(tn_tls_ctx *ctx, int fd, const char *host) {
    (void)ctx, (void)fd, (void)host;
    return NULL;
}
TN__INTERNAL void tn__tls_shutdown(tn__tls *t) { (void)t; }
TN__INTERNAL void tn__tls_free(tn__tls *t) { (void)t; }
TN__INTERNAL int tn__tls_handshake(tn__tls *t) { return (void)t, TN_ENOTSUP; }
TN__INTERNAL bool tn__tls_handshaking(const tn__tls *t) { return (void)t, false; }
TN__INTERNAL long tn__tls_recv(tn__tls *t, char *buf, size_t len) { return (void)t, (void)buf, (void)len, TN_ENOTSUP; }
TN__INTERNAL long tn__tls_send(tn__tls *t, const char *buf, size_t len) { return (void)t, (void)buf, (void)len, TN_ENOTSUP; }
TN__INTERNAL int tn__tls_events(const tn__tls *t, int ev) { return (void)t, ev; }
TN__INTERNAL int tn__tls_map_events(const tn__tls *t, int ev) { return (void)t, ev; }
TN__INTERNAL bool tn__tls_pending(const tn__tls *t) { return (void)t, false; }
TN__INTERNAL const char *tn__tls_alpn(const tn__tls *t) { return (void)t, ""; }
TN__INTERNAL const char *tn__tls_error(const tn__tls *t) { return (void)t, ""; }
#endif
