// >>random implementation
#include "base/internal.h"
#include "base/random.h"
#include "base/error.h"
#include "base/error_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__linux__)
#  include <sys/syscall.h>
#endif

#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__) || defined(__DragonFly__)
#  define TN__HAVE_ARC4RANDOM 1
#endif

#if defined(_WIN32)
#  include "base/os_internal.h"
#  include <bcrypt.h>
#endif

#if !defined(TN__HAVE_ARC4RANDOM) && !defined(_WIN32)
TN__PRIVATE int tn__random_urandom(uint8_t *p, size_t n) {
    int fd;
    do fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return tn__err_from_errno(errno);
    int err = 0;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            err = r < 0 ? tn__err_from_errno(errno) : TN_EEOF;
            break;
        }
        p += r;
        n -= (size_t)r;
    }
    close(fd);
    return err;
}
#endif

#if defined(__linux__) && defined(SYS_getrandom)
// The raw system call: glibc before 2.25 has no getrandom() wrapper. Falls
// back to /dev/urandom only on kernels older than 3.17 (ENOSYS).
TN__PRIVATE int tn__random_os(uint8_t *p, size_t n) {
    while (n > 0) {
        long r = syscall(SYS_getrandom, p, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == ENOSYS) return tn__random_urandom(p, n);
        if (r <= 0) return r < 0 ? tn__err_from_errno(errno) : TN_ESYS;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}
#elif defined(_WIN32)
// The system's CSPRNG (link with -lbcrypt); it takes a ULONG count.
TN__PRIVATE int tn__random_os(uint8_t *p, size_t n) {
    while (n > 0) {
        ULONG k = (ULONG)TN__MIN(n, (size_t)1 << 30);
        if (BCryptGenRandom(NULL, p, k, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return TN_ESYS;
        p += k;
        n -= k;
    }
    return 0;
}
#elif defined(TN__HAVE_ARC4RANDOM)
TN__PRIVATE int tn__random_os(uint8_t *p, size_t n) {
    arc4random_buf(p, n);
    return 0;
}
#else
TN__PRIVATE int tn__random_os(uint8_t *p, size_t n) { return tn__random_urandom(p, n); }
#endif

TN_API int tn_random_bytes(void *buf, size_t n) {
    return tn__random_os(TN__CAST(uint8_t *, buf), n);
}
