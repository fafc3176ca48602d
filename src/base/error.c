// >>error implementation
#include "base/internal.h"
#include "base/error.h"
#include "base/error_internal.h"
#include "base/os_internal.h"

#include <errno.h>

TN_API const char *tn_version(void) { return TN_VERSION_STRING; }

TN_API const char *tn_strerror(int err) {
    switch (err) {
    case 0: return "success";
#define TN__ERR_STR(name, val, msg) case TN_E##name: return msg;
    TN_ERRNO_MAP(TN__ERR_STR)
#undef TN__ERR_STR
    default: return "unknown error";
    }
}

TN_API const char *tn_err_name(int err) {
    switch (err) {
    case 0: return "OK";
#define TN__ERR_NAME(name, val, msg) case TN_E##name: return #name;
    TN_ERRNO_MAP(TN__ERR_NAME)
#undef TN__ERR_NAME
    default: return "UNKNOWN";
    }
}

// Maps a system errno to a TN_E* code; unknown ones become TN_ESYS. On
// Windows a socket's SO_ERROR is a Winsock code (WSAE*): mapped first.
TN__INTERNAL int tn__err_from_errno(int e) {
#if defined(_WIN32)
    if (e >= WSABASEERR) e = tn__os_errno_from_wsa(e);
#endif
    switch (e) {
    case 0: return 0;
    case ENOMEM: return TN_ENOMEM;
    case EINVAL: return TN_EINVAL;
    case EBUSY: return TN_EBUSY;
    case ETIMEDOUT: return TN_ETIMEDOUT;
    case ECANCELED: return TN_ECANCELED;
    case ENOBUFS: return TN_ENOBUFS;
    case EMSGSIZE: return TN_EMSGSIZE;
    case ECONNREFUSED: return TN_ECONNREFUSED;
    case ECONNRESET: return TN_ECONNRESET;
    case EPIPE: return TN_EPIPE;
    case EADDRINUSE: return TN_EADDRINUSE;
    case EADDRNOTAVAIL: return TN_EADDRNOTAVAIL;
    case EACCES: case EPERM: return TN_EACCES;
    case EMFILE: case ENFILE: return TN_EMFILE;
    case ENOENT: return TN_ENOENT;
    case ENOTSUP: return TN_ENOTSUP;
    case ENETUNREACH: return TN_ENETUNREACH;
    case EHOSTUNREACH: return TN_EHOSTUNREACH;
    case EAGAIN: return TN_EAGAIN;
    case ERANGE: return TN_ERANGE;
    case EEXIST: return TN_EEXIST;
    default: return TN_ESYS;
    }
}
