// ---------------------------------------------------------------------------
// >>signed  Signed values (Tornado's create_signed_value / decode_signed_value)
// ---------------------------------------------------------------------------
// Version 2 of Tornado's format, byte for byte, so Tornado reads what we
// write and we read what Tornado writes (given the same secret):
//     2|1:KEYVERSION|10:TIMESTAMP|LEN:NAME|LEN:BASE64(VALUE)|HMAC-SHA256 hex
// Version 1 (HMAC-SHA1) values are refused. Used for signed cookies and
// XSRF tokens.
#ifndef TN__BASE_SIGNED_H
#define TN__BASE_SIGNED_H
#include "base/config.h"
#include "base/str.h"
TN__BEGIN_DECLS

// Appends the signed form of value[0..len) under `name`, made at `timestamp`
// (seconds since the epoch) with `secret` of key version `key_version`.
// Returns 0, TN_EINVAL (no secret or name, or a negative version) or TN_ENOMEM.
TN_API int tn_signed_value_create(tn_buf *out, const char *secret, int key_version, const char *name,
                                  const void *value, size_t len, int64_t timestamp);

// Checks and decodes a signed value, appending the value to `out`.
// secrets[v] is the secret of key version v (NULL: none); with nsecrets 1,
// secrets[0] serves every version (Tornado's plain-string secret). The value
// must carry `name`, a valid signature (compared in constant time) and a
// timestamp no older than max_age_days (0: Tornado's 31) before `now`.
// Returns 0, or TN_EPARSE (malformed, wrong name or signature, unknown key
// version) or TN_ETIMEDOUT (expired); `out` is then unchanged.
TN_API int tn_signed_value_decode(tn_buf *out, const char *const *secrets, int nsecrets, const char *name,
                                  const char *signed_value, size_t len, double max_age_days, int64_t now);

TN__END_DECLS
#endif
