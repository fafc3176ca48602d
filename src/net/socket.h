// ---------------------------------------------------------------------------
// >>net  Addresses, listening sockets, name resolution
// ---------------------------------------------------------------------------
#ifndef TN__NET_SOCKET_H
#define TN__NET_SOCKET_H
#include "base/config.h"
#include "loop/loop.h"
#include "net/tls.h"
TN__BEGIN_DECLS

// A socket address (IPv4, IPv6 or Unix), large enough for any of them.
typedef struct tn_addr {
    uint32_t len;  // bytes used in `u` (a struct sockaddr); 0: no address
    union {
        uint64_t align;
        unsigned char bytes[128];
    } u;
} tn_addr;

#define TN_FAMILY_ANY  0
#define TN_FAMILY_IPV4 4
#define TN_FAMILY_IPV6 6

// Writes "127.0.0.1:8888", "[::1]:8888" or "unix:/path" into out (always
// NUL-terminated). Returns the length, or TN_EINVAL for an unknown family.
TN_API int tn_addr_format(const tn_addr *a, char *out, size_t cap);
// Writes just the IP ("127.0.0.1", "::1"; "0.0.0.0" for Unix peers, as
// Tornado's remote_ip). Returns the length or TN_EINVAL.
TN_API int tn_addr_ip(const tn_addr *a, char *out, size_t cap);
// The port, or 0 for Unix addresses.
TN_API int tn_addr_port(const tn_addr *a);

typedef struct tn_bind_desc {
    const char *host;       // NULL or "": every interface, IPv4 and IPv6;
                            // a name is resolved here, synchronously
    int port;               // 0: an ephemeral port, the same for every address
    int family;             // TN_FAMILY_ANY (default), _IPV4 or _IPV6
    int backlog;            // default TN_DEFAULT_BACKLOG (128)
    bool reuse_port;        // SO_REUSEPORT, for several processes on one port
    const char *unix_path;  // bind a Unix socket here instead (a stale socket
                            // file is removed first; other files are not)
    int unix_mode;          // permissions of the socket file; default 0600
    tn_tls_ctx *tls;        // servers' listen calls: speak TLS on these
                            // sockets (a server context; a reference is
                            // kept). tn_bind_sockets ignores it
} tn_bind_desc;

// Tornado's bind_sockets: creates non-blocking listening sockets (with
// SO_REUSEADDR) for every address of desc->host, up to max_fds. Returns how
// many were stored in fds, or a negative TN_E* code (nothing left open).
TN_API int tn_bind_sockets(const tn_bind_desc *desc, int *fds, int max_fds);

// status 0: addrs holds naddrs addresses, in getaddrinfo's order (valid
// during the call). Otherwise TN_ENOTFOUND or another TN_E* code.
typedef void (*tn_resolve_cb)(tn_loop *loop, int status, const tn_addr *addrs, int naddrs, void *arg);

// Resolves host:port with getaddrinfo on the loop's executor (synchronously,
// before returning, when TN_ENABLE_THREADS=0); cb runs on the loop's thread.
// Returns 0 (cb will run exactly once) or TN_ENOMEM / TN_EINVAL.
TN_API int tn_resolve(tn_loop *loop, const char *host, int port, int family, tn_resolve_cb cb, void *arg);

TN__END_DECLS
#endif
