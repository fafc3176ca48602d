// ---------------------------------------------------------------------------
// >>error  Error codes
// ---------------------------------------------------------------------------
// Calls return 0 (or a count) on success and a negative TN_E* code on failure.
// Asynchronous results arrive as an `int status` argument with the same codes.
#ifndef TN__BASE_ERROR_H
#define TN__BASE_ERROR_H
#include "base/config.h"
TN__BEGIN_DECLS

#define TN_ERRNO_MAP(XX)                                                   \
    XX(ERROR,        -1, "unspecified error")                              \
    XX(INCOMPLETE,   -2, "incomplete input: more bytes are needed")        \
    XX(PARSE,        -3, "malformed input")                                \
    XX(NOMEM,        -4, "out of memory")                                  \
    XX(INVAL,        -5, "invalid argument")                               \
    XX(BUSY,         -6, "resource busy")                                  \
    XX(CLOSED,       -7, "stream or connection is closed")                 \
    XX(EOF,          -8, "end of file: the peer closed the connection")    \
    XX(TIMEDOUT,     -9, "operation timed out")                            \
    XX(CANCELED,    -10, "operation canceled")                             \
    XX(NOBUFS,      -11, "buffer limit reached")                           \
    XX(MSGSIZE,     -12, "message or delimiter search exceeds max_bytes")  \
    XX(CONNREFUSED, -13, "connection refused")                             \
    XX(CONNRESET,   -14, "connection reset by peer")                       \
    XX(PIPE,        -15, "broken pipe")                                    \
    XX(ADDRINUSE,   -16, "address already in use")                         \
    XX(ADDRNOTAVAIL,-17, "address not available")                          \
    XX(ACCES,       -18, "permission denied")                              \
    XX(MFILE,       -19, "too many open files")                            \
    XX(NOENT,       -20, "no such file or directory")                      \
    XX(NOTFOUND,    -21, "host name not found")                            \
    XX(NOTSUP,      -22, "operation not supported")                        \
    XX(NETUNREACH,  -23, "network is unreachable")                         \
    XX(HOSTUNREACH, -24, "host is unreachable")                            \
    XX(AGAIN,       -25, "resource temporarily unavailable")               \
    XX(RANGE,       -26, "value out of range")                             \
    XX(EXIST,       -27, "already exists")                                 \
    XX(SYS,         -28, "other system error (see the log)")              \
    XX(HTTP,        -29, "the server answered with an HTTP error status")  \
    XX(TLS,         -30, "TLS handshake or protocol failure (see the log)") \
    XX(CERT,        -31, "certificate verification failed (see the log)") \
    XX(PROXY,       -32, "the proxy refused the tunnel (CONNECT)")

enum tn_err {
    TN_OK = 0,
#define TN__ERR_ENUM(name, val, msg) TN_E##name = (val),
    TN_ERRNO_MAP(TN__ERR_ENUM)
#undef TN__ERR_ENUM
    TN_INCOMPLETE = TN_EINCOMPLETE,  // parsers: more bytes needed
    TN_EOF = TN_EEOF                  // streams: the peer closed
};

// A human-readable sentence for a TN_E* code (or "success" for 0).
TN_API const char *tn_strerror(int err);
// The code's name without the prefix, e.g. "TIMEDOUT"; "UNKNOWN" if none.
TN_API const char *tn_err_name(int err);

TN__END_DECLS
#endif
