// ---------------------------------------------------------------------------
// >>config  Configuration, linkage and version
// ---------------------------------------------------------------------------
// Every macro below may be defined before including tornado.h. Unless the
// table says otherwise, it only needs to be set in the translation unit that
// defines TORNADO_IMPLEMENTATION.
//
//   TN_MALLOC(n) TN_REALLOC(p,n) TN_FREE(p)  libc        all three or none
//   TN_ASSERT(c)           assert(c)         programmer errors only, never
//                                            bad network input
//   TN_ENABLE_THREADS      1                 0: no pthreads (see THREADS)
//   TN_BACKEND             auto              TN_BACKEND_EPOLL / _KQUEUE / _POLL
//   TN_LOG_LEVEL           TN_LOG_DEBUG      compile-time floor for logging
//   TN_ENABLE_TLS          0                 1: HTTPS and WSS through OpenSSL 3
//                                            (link -lssl -lcrypto; see TLS)
//   TN_TLS                 TN_TLS_NONE       TN_TLS_OPENSSL: the same as
//                                            TN_ENABLE_TLS=1
//   TN_DEFAULT_MAX_BUFFER_SIZE   1 MiB       stream read buffer cap
//   TN_DEFAULT_READ_CHUNK_SIZE   64 KiB      bytes read per readiness event
//   TN_DEFAULT_EXECUTOR_THREADS  4           thread pool size
//   TN_DEFAULT_BACKLOG           128         listen() backlog
//   TN_DEFAULT_WS_MAX_MESSAGE_SIZE 1 MiB     largest WebSocket message received
//   TN_USE_SENDFILE        1 on Linux        0: files are sent by reading 64 KiB
//                                            at a time (tn_stream_write_file)
//
// Feature switches (0 leaves the whole module out of the implementation; its
// declarations stay, so a call into a module left out fails to link, naming
// the function; a desc field that needs one is refused with a log line):
//
//   TN_ENABLE_WEBSOCKET    1    WebSocket protocol, server routes and client
//                               (without DEFLATE: no permessage-deflate, see
//                               >>ws_compress)
//   TN_ENABLE_JSON         1    JSON writer and reader, tn_write_json_*
//   TN_ENABLE_TEMPLATES    = JSON   templates and tn_render (need JSON)
//   TN_ENABLE_STATIC       1    static files (static_path, TN_STATIC_ROUTE)
//   TN_ENABLE_MULTIPART    1    multipart/form-data bodies and tn_get_files
//   TN_ENABLE_SIGNED       1    signed values and signed cookies
//   TN_ENABLE_XSRF         1    xsrf_cookies and its tokens
//   TN_ENABLE_HTTP_CLIENT  1    HTTP client and tn_http_test (its test helper)
//   TN_ENABLE_DEFLATE      1    the DEFLATE/zlib/gzip codec
//   TN_ENABLE_OPTIONS      1    tn_options (command line and config files)
//   TN_ENABLE_TLS          0    TLS through OpenSSL 3 (above)
//   TORNADO_STATIC         undefined         every function static (all TUs)
//   TN_API                 extern            linkage of public functions (all TUs)
//
// The HTTP server's limits and timeouts are set at run time, in
// tn_http_server_desc (or tn_app_desc.server); 0 means the default:
//
//   max_header_size          16 KiB    request line + headers (431; a request
//                                      line over 8 KiB: 414)
//   max_headers              100       header lines (431)
//   max_body_size            1 MiB     413, before the body is read (a chunk
//                                      announced past it: at once)
//   max_buffer_size          body + header limits   a connection's read buffer
//   chunk_size               64 KiB    pieces of a streamed request body
//   max_write_buffer_size    16 MiB    queued answers past which a connection's
//                                      next request waits (pipelining)
//   header_timeout           20 s      a whole request head, from its first byte
//                                      (or the accept); Apache's RequestReadTimeout
//   tls_handshake_timeout    10 s      a TLS handshake, from the accept
//   idle_connection_timeout  60 s      a kept-alive connection between requests
//   body_timeout             60 s      a whole request body, after its head
//   write_timeout            60 s      queued output with no byte taken by the
//                                      client; nginx's send_timeout
//   drain_timeout            10 s      a graceful stop (SIGTERM, tn_loop_drain):
//                                      then 503 to what is left, and close
// WebSocket limits are in tn_ws_class (max_message_size, ping and close
// timeouts).

#ifndef TN__BASE_CONFIG_H
#define TN__BASE_CONFIG_H
#define TN_VERSION_MAJOR 0
#define TN_VERSION_MINOR 1
#define TN_VERSION_PATCH 0
#define TN_VERSION_STRING "0.1.0"

// The implementation needs POSIX and a few GNU calls (accept4, pipe2). This
// must come before the first system header: include tornado.h first in the
// implementation file, or build it with -D_GNU_SOURCE.
#if defined(TORNADO_IMPLEMENTATION) && defined(__linux__) && !defined(_GNU_SOURCE)
#  define _GNU_SOURCE 1
#endif
// mingw-w64: C99 printf formats (%zu, %lld) instead of the old msvcrt's.
#if defined(TORNADO_IMPLEMENTATION) && defined(_WIN32) && !defined(__USE_MINGW_ANSI_STDIO)
#  define __USE_MINGW_ANSI_STDIO 1
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>

#ifndef TN_API
#  if defined(TORNADO_STATIC) && (defined(__GNUC__) || defined(__clang__))
#    define TN_API static __attribute__((unused))
#  elif defined(TORNADO_STATIC)
#    define TN_API static
#  else
#    define TN_API extern
#  endif
#endif

#define TN_BACKEND_EPOLL  1
#define TN_BACKEND_KQUEUE 2
#define TN_BACKEND_POLL   3

#ifndef TN_BACKEND
#  if defined(__linux__)
#    define TN_BACKEND TN_BACKEND_EPOLL
#  elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
        defined(__NetBSD__) || defined(__DragonFly__)
#    define TN_BACKEND TN_BACKEND_KQUEUE
#  else
#    define TN_BACKEND TN_BACKEND_POLL
#  endif
#endif
#if TN_BACKEND != TN_BACKEND_EPOLL && TN_BACKEND != TN_BACKEND_KQUEUE && \
    TN_BACKEND != TN_BACKEND_POLL
#  error "TN_BACKEND must be TN_BACKEND_EPOLL, TN_BACKEND_KQUEUE or TN_BACKEND_POLL"
#endif

#ifndef TN_ENABLE_THREADS
#  define TN_ENABLE_THREADS 1
#endif
#if TN_ENABLE_THREADS != 0 && TN_ENABLE_THREADS != 1
#  error "TN_ENABLE_THREADS must be 0 or 1"
#endif

#define TN_TLS_NONE    0
#define TN_TLS_OPENSSL 1
#ifndef TN_TLS
#  define TN_TLS TN_TLS_NONE
#endif
#if TN_TLS != TN_TLS_NONE && TN_TLS != TN_TLS_OPENSSL
#  error "TN_TLS must be TN_TLS_NONE or TN_TLS_OPENSSL"
#endif
#ifndef TN_ENABLE_TLS
#  define TN_ENABLE_TLS (TN_TLS == TN_TLS_OPENSSL)
#endif
#if TN_ENABLE_TLS != 0 && TN_ENABLE_TLS != 1
#  error "TN_ENABLE_TLS must be 0 or 1"
#endif

// Feature switches: each 0 or 1; a switch left undefined follows what it
// needs, and asking for a module without what it needs is an #error.
#ifndef TN_ENABLE_WEBSOCKET
#  define TN_ENABLE_WEBSOCKET 1
#endif
#ifndef TN_ENABLE_JSON
#  define TN_ENABLE_JSON 1
#endif
#ifndef TN_ENABLE_TEMPLATES
#  define TN_ENABLE_TEMPLATES TN_ENABLE_JSON
#endif
#ifndef TN_ENABLE_STATIC
#  define TN_ENABLE_STATIC 1
#endif
#ifndef TN_ENABLE_MULTIPART
#  define TN_ENABLE_MULTIPART 1
#endif
#ifndef TN_ENABLE_SIGNED
#  define TN_ENABLE_SIGNED 1
#endif
#ifndef TN_ENABLE_XSRF
#  define TN_ENABLE_XSRF 1
#endif
#ifndef TN_ENABLE_HTTP_CLIENT
#  define TN_ENABLE_HTTP_CLIENT 1
#endif
#ifndef TN_ENABLE_DEFLATE
#  define TN_ENABLE_DEFLATE 1
#endif
#ifndef TN_ENABLE_OPTIONS
#  define TN_ENABLE_OPTIONS 1
#endif
#ifndef TN_ENABLE_TLS
#  define TN_ENABLE_TLS 0
#endif
#if (TN_ENABLE_WEBSOCKET | TN_ENABLE_JSON | TN_ENABLE_TEMPLATES | TN_ENABLE_STATIC | TN_ENABLE_MULTIPART | \
     TN_ENABLE_SIGNED | TN_ENABLE_XSRF | TN_ENABLE_HTTP_CLIENT | TN_ENABLE_DEFLATE | TN_ENABLE_OPTIONS |      \
     TN_ENABLE_TLS) & ~1
#  error "The TN_ENABLE_* switches must be 0 or 1"
#endif
#if TN_ENABLE_TEMPLATES && !TN_ENABLE_JSON
#  error "TN_ENABLE_TEMPLATES needs TN_ENABLE_JSON (templates render JSON values): enable JSON or disable templates"
#endif

#if defined(TN_MALLOC) && defined(TN_REALLOC) && defined(TN_FREE)
#elif !defined(TN_MALLOC) && !defined(TN_REALLOC) && !defined(TN_FREE)
#else
#  error "Define all or none of TN_MALLOC, TN_REALLOC and TN_FREE"
#endif

#ifndef TN_DEFAULT_MAX_BUFFER_SIZE
#  define TN_DEFAULT_MAX_BUFFER_SIZE (1024u * 1024u)
#endif
#ifndef TN_DEFAULT_READ_CHUNK_SIZE
#  define TN_DEFAULT_READ_CHUNK_SIZE (64u * 1024u)
#endif
#ifndef TN_DEFAULT_EXECUTOR_THREADS
#  define TN_DEFAULT_EXECUTOR_THREADS 4
#endif
#ifndef TN_DEFAULT_BACKLOG
#  define TN_DEFAULT_BACKLOG 128
#endif
#ifndef TN_DEFAULT_WS_MAX_MESSAGE_SIZE
#  define TN_DEFAULT_WS_MAX_MESSAGE_SIZE (1024u * 1024u)
#endif

#ifndef TN_USE_SENDFILE
#  if defined(__linux__)
#    define TN_USE_SENDFILE 1
#  else
#    define TN_USE_SENDFILE 0
#  endif
#endif
#if TN_USE_SENDFILE != 0 && TN_USE_SENDFILE != 1
#  error "TN_USE_SENDFILE must be 0 or 1"
#elif TN_USE_SENDFILE && !defined(__linux__)
#  error "TN_USE_SENDFILE=1 needs Linux's sendfile(2): leave it undefined or set it to 0"
#endif

#if defined(__MINGW32__)  // C99 formats: see __USE_MINGW_ANSI_STDIO above
#  define TN_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#elif defined(__GNUC__) || defined(__clang__)
#  define TN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#  define TN_PRINTF(f, a)
#endif

// Each header's declarations have C linkage in C++ too.
#ifdef __cplusplus
#  define TN__BEGIN_DECLS extern "C" {
#  define TN__END_DECLS }
#else
#  define TN__BEGIN_DECLS
#  define TN__END_DECLS
#endif

TN__BEGIN_DECLS
// The library version, "MAJOR.MINOR.PATCH".
TN_API const char *tn_version(void);
TN__END_DECLS
#endif
