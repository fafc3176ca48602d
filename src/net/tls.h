// ---------------------------------------------------------------------------
// >>tls  TLS through OpenSSL, under the stream (Tornado's ssl_options)
// ---------------------------------------------------------------------------
// Built with TN_ENABLE_TLS=1 (link -lssl -lcrypto, OpenSSL 3); otherwise
// tn_tls_ctx_new returns NULL and says so in the log, and https:// and wss://
// fetches fail with TN_ENOTSUP.
//
// A context holds certificates and settings; streams made with it (a
// listening socket's, tn_bind_desc.tls; a connection's, tn_connect_desc.tls;
// or tn_stream_start_tls) speak TLS under the stream's API, so HTTP, the
// client and WebSockets need nothing of their own. The handshake is
// non-blocking and runs before the first byte moves; writes queued meanwhile
// wait for it. A clean tn_stream_close sends close_notify. Files go out
// through a read buffer instead of sendfile. Idle connections release
// OpenSSL's buffers (SSL_MODE_RELEASE_BUFFERS).
//
// Servers: TLS 1.2 at least, Mozilla's "intermediate" ciphers, ALPN
// http/1.1, SNI with one certificate per host name, session resumption
// (tickets and a cache). Plain HTTP sent to a TLS port gets nginx's "400 The
// plain HTTP request was sent to HTTPS port" and a close; other bytes that
// are not a TLS handshake are cut off at once.
//
// Clients verify the server's certificate by default, against the system's
// CA store (or ca_certs) and for the host name or IP asked for (sent as SNI
// too). A failed verification closes the stream with TN_ECERT, and the log
// names OpenSSL's reason ("certificate has expired"...); other handshake
// failures are TN_ETLS.
#ifndef TN__NET_TLS_H
#define TN__NET_TLS_H
#include "base/config.h"
TN__BEGIN_DECLS

typedef struct tn_tls_ctx tn_tls_ctx;

// A certificate chain and its key: PEM files, or PEM text in memory.
typedef struct tn_tls_cert {
    const char *host;      // SNI: served to clients asking for this name
                           // (an exact name, or "*.example.com"); unused for
                           // the default certificate
    const char *certfile;  // the chain, leaf first
    const char *keyfile;   // default: certfile (both in one file)
    const char *cert_pem;  // or the chain as PEM text
    const char *key_pem;   // or the key as PEM text
} tn_tls_cert;

typedef struct tn_tls_desc {
    bool server;               // a server's context (else a client's)
    tn_tls_cert cert;          // server: required; client: a client certificate
    const tn_tls_cert *sni;    // server: more certificates, by host name
    int num_sni;
    const char *ca_certs;      // client: trust these (PEM file) instead of the
                               // system's store; server: ask clients for a
                               // certificate signed by them
    bool no_validate_cert;     // client: skip verification (Tornado's
                               // validate_cert=False): an explicit opt-in
    const char *ciphers;       // TLS 1.2 list; default Mozilla intermediate
    const char *const *alpn;   // NULL-terminated; default {"http/1.1"}
} tn_tls_desc;

// Makes a context. Returns NULL (with the reason in the log) on a bad desc,
// an unreadable or mismatched certificate or key, or without TLS built in.
TN_API tn_tls_ctx *tn_tls_ctx_new(const tn_tls_desc *desc);
// Drops the caller's reference; streams still using the context keep it.
TN_API void tn_tls_ctx_free(tn_tls_ctx *ctx);
// Opt-in: OpenSSL's own blocks (sessions, records, certificates) come from
// the library's allocator (TN_MALLOC, or the current loop's tn_allocator)
// and count in tn_mem_get_stats. OpenSSL allows this only before its first
// allocation: call it first in main, before any tn_tls_ctx_new. Returns 0,
// TN_EBUSY when OpenSSL has allocated already (nothing changes), TN_ENOTSUP
// without TLS. OpenSSL keeps global state until exit: those blocks stay
// live, so a loop's tn_allocator that serves them must outlive them.
TN_API int tn_tls_use_library_allocator(void);
TN__END_DECLS
#endif
