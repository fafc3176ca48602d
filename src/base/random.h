// ---------------------------------------------------------------------------
// >>random  Cryptographically secure random bytes
// ---------------------------------------------------------------------------
#ifndef TN__BASE_RANDOM_H
#define TN__BASE_RANDOM_H
#include "base/config.h"
TN__BEGIN_DECLS

// Fills `buf` with `n` bytes from the operating system's CSPRNG (getrandom on
// Linux, arc4random_buf on BSD and macOS, else /dev/urandom). Returns 0, or a
// negative TN_E* code when no secure source works: never weaker bytes.
TN_API int tn_random_bytes(void *buf, size_t n);

TN__END_DECLS
#endif
