// >>signed implementation
#include "base/internal.h"
#include "base/signed.h"
#include "base/base64.h"
#include "base/error.h"
#include "base/sha256.h"
#include "base/str.h"
#include "base/str_internal.h"

#include <stdio.h>
#include <string.h>

#if TN_ENABLE_SIGNED  // the whole module (base/config.h)

TN__PRIVATE void tn__signed_field(tn_buf *b, const char *s, size_t n) {
    tn_buf_appendf(b, "%zu:", n);
    tn_buf_append(b, s, n);
    tn_buf_append(b, "|", 1);
}

TN__PRIVATE void tn__signed_hex_mac(const char *secret, const char *msg, size_t len, char hex[64]) {
    uint8_t mac[TN_SHA256_SIZE];
    tn_hmac_sha256(secret, strlen(secret), msg, len, mac);
    tn__hex_encode(mac, sizeof mac, hex);
}

TN_API int tn_signed_value_create(tn_buf *out, const char *secret, int key_version, const char *name,
                                  const void *value, size_t len, int64_t timestamp) {
    if (!secret || !name || key_version < 0 || timestamp < 0) return TN_EINVAL;
    size_t start = out->len;
    char num[24];
    tn_buf_append(out, "2|", 2);
    tn__signed_field(out, num, (size_t)snprintf(num, sizeof num, "%d", key_version));
    tn__signed_field(out, num, (size_t)snprintf(num, sizeof num, "%lld", (long long)timestamp));
    tn__signed_field(out, name, strlen(name));
    tn_buf b64;
    memset(&b64, 0, sizeof b64);
    int r = tn_base64_encode_buf(&b64, value, len, 0);
    if (r == 0) tn__signed_field(out, b64.data ? b64.data : "", b64.len);
    tn_buf_free(&b64);
    char hex[64];
    if (r == 0 && out->data) {
        tn__signed_hex_mac(secret, out->data + start, out->len - start, hex);
        r = tn_buf_append(out, hex, sizeof hex);
    }
    if (r != 0 || !out->data) {  // out of memory somewhere above: leave out as it was
        out->len = start;
        if (out->data) out->data[start] = '\0';
        return TN_ENOMEM;
    }
    return 0;
}

// Reads "LEN:FIELD|" at *p (digits only, unlike Python's int()).
TN__PRIVATE bool tn__signed_take(const char **p, const char *end, tn_str *field) {
    size_t n = 0;
    const char *s = *p;
    if (s >= end || *s < '0' || *s > '9') return false;
    while (s < end && *s >= '0' && *s <= '9') {
        if (n > 100000) return false;
        n = n * 10 + (size_t)(*s++ - '0');
    }
    if (s >= end || *s != ':' || (size_t)(end - s - 1) < n + 1 || s[1 + n] != '|') return false;
    field->ptr = s + 1;
    field->len = n;
    *p = s + 2 + n;
    return true;
}

TN__PRIVATE bool tn__signed_number(tn_str s, int64_t *v) {
    if (!s.len || s.len > 18) return false;
    *v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') return false;
        *v = *v * 10 + (s.ptr[i] - '0');
    }
    return true;
}

TN_API int tn_signed_value_decode(tn_buf *out, const char *const *secrets, int nsecrets, const char *name,
                                  const char *sv, size_t len, double max_age_days, int64_t now) {
    const char *p = sv, *end = sv + len;
    tn_str version, stamp, fname, fvalue;
    if (len < 2 || memcmp(sv, "2|", 2) != 0 || !secrets || nsecrets < 1) return TN_EPARSE;
    p += 2;
    if (!tn__signed_take(&p, end, &version) || !tn__signed_take(&p, end, &stamp) ||
        !tn__signed_take(&p, end, &fname) || !tn__signed_take(&p, end, &fvalue))
        return TN_EPARSE;
    int64_t kv, ts;
    if (!tn__signed_number(version, &kv) || !tn__signed_number(stamp, &ts)) return TN_EPARSE;
    const char *secret = nsecrets == 1 ? secrets[0] : kv < nsecrets ? secrets[kv] : NULL;
    if (!secret || (size_t)(end - p) != 64) return TN_EPARSE;
    char hex[64];
    tn__signed_hex_mac(secret, sv, (size_t)(p - sv), hex);
    if (!tn_memeq_consttime(hex, p, sizeof hex)) return TN_EPARSE;
    if (!tn_str_eq(fname, name)) return TN_EPARSE;
    if ((double)ts < (double)now - (max_age_days > 0 ? max_age_days : 31.0) * 86400.0) return TN_ETIMEDOUT;
    return tn_base64_decode_buf(out, fvalue.ptr, fvalue.len, 0) == 0 ? 0 : TN_EPARSE;
}
#endif  // TN_ENABLE_SIGNED
