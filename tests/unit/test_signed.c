// Signed values against Tornado's published vectors (web_test.py,
// SignedValueTest) and its tampering, name-swap, expiry and key-version cases.
#include "test.h"

static const char *SECRET = "It's a secret to everybody";
static const int64_t PRESENT = 1300000000;
static const char *KNOWN =
    "2|1:0|10:1300000000|3:key|8:dmFsdWU=|3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152";

static int decode(const char *secret, const char *name, const char *sv, int64_t now, tn_buf *out) {
    tn_buf_clear(out);
    return tn_signed_value_decode(out, &secret, 1, name, sv, strlen(sv), 0, now);
}

TEST(signed_known_values_as_tornado) {
    tn_buf b = {0}, v = {0};
    CHECK_OK(tn_signed_value_create(&b, SECRET, 0, "key", "value", 5, PRESENT));
    CHECK_STR(b.data, KNOWN);
    CHECK_OK(decode(SECRET, "key", KNOWN, PRESENT, &v));
    CHECK_MEM(v.data, v.len, "value", 5);
    tn_buf_free(&b);
    tn_buf_free(&v);
}

TEST(signed_name_swap_expiry_and_tampering) {
    tn_buf b = {0}, v = {0};
    CHECK_OK(tn_signed_value_create(&b, SECRET, 0, "key2", "value", 5, PRESENT));
    CHECK_INT(decode(SECRET, "key1", b.data, PRESENT, &v), TN_EPARSE);  // name swap
    CHECK_OK(decode(SECRET, "key2", b.data, PRESENT, &v));
    tn_buf_clear(&b);
    CHECK_OK(tn_signed_value_create(&b, SECRET, 0, "key", "value", 5, PRESENT - 86400 * 32));  // Tornado's past()
    CHECK_INT(decode(SECRET, "key", b.data, PRESENT, &v), TN_ETIMEDOUT);
    CHECK_INT(v.len, 0);
    CHECK_OK(decode(SECRET, "key", b.data, PRESENT - 86400 * 30, &v));
    // test_signature_tampering: only the exact signature passes
    const char *prefix = "2|1:0|10:1300000000|3:key|8:dmFsdWU=|";
    const char *sigs[] = {"0000000000000000000000000000000",
                          "4d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152",
                          "3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e153",
                          "3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e15",
                          "3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e1522",
                          "3D4E60B996FF9C5D5788E333A0CBA6F238A22C6C0F94788870E1A9ECD482E152", ""};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        char sv[256];
        snprintf(sv, sizeof sv, "%s%s", prefix, sigs[i]);
        CHECK_INT(decode(SECRET, "key", sv, PRESENT, &v), TN_EPARSE);
    }
    CHECK_INT(decode("another secret", "key", KNOWN, PRESENT, &v), TN_EPARSE);
    tn_buf_free(&b);
    tn_buf_free(&v);
}

TEST(signed_key_versions) {
    // SECRET_DICT of Tornado's test; the expected value computed with Python's hmac.
    const char *keys[] = {"asdfbasdf", "12312312", "2342342"};
    const char *want = "2|1:1|10:1300000000|3:key|4:6Q==|75fed969da3a9a9d3f1a48f2e97dbc8a875c97fec091ae0b07c176494da223fc";
    tn_buf b = {0}, v = {0};
    CHECK_OK(tn_signed_value_create(&b, keys[1], 1, "key", "\xe9", 1, PRESENT));
    CHECK_STR(b.data, want);
    CHECK_OK(tn_signed_value_decode(&v, keys, 3, "key", b.data, b.len, 0, PRESENT));
    CHECK_MEM(v.data, v.len, "\xe9", 1);
    tn_buf_clear(&v);
    // an unknown key version, or a version whose key differs, fails
    const char *two[] = {"asdfbasdf", "changed"};
    CHECK_INT(tn_signed_value_decode(&v, two, 2, "key", b.data, b.len, 0, PRESENT), TN_EPARSE);
    CHECK_INT(tn_signed_value_decode(&v, keys, 1, "key", b.data, b.len, 0, PRESENT), TN_EPARSE);
    tn_buf_free(&b);
    tn_buf_free(&v);
}

TEST(signed_malformed_values_are_refused) {
    tn_buf v = {0};
    const char *bad[] = {
        "",
        "2|",
        "dmFsdWU=|1300000000|31c934969f53e48164c50768b40cbd7e2daaaa4f",  // version 1: refused
        "2|1:0|10:1300000000|3:key|8:dmFsdWU=",
        "2|+1:0|10:1300000000|3:key|8:dmFsdWU=|3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152",
        "2| 1:0|10:1300000000|3:key|8:dmFsdWU=|3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152",
        "2|1:0|10:1300000000|3:key|9:dmFsdWU=|3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152",
        "2|1:0|99999999999999999999:1|3:key|8:dmFsdWU=|3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152",
        "3|1:0|10:1300000000|3:key|8:dmFsdWU=|3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (decode(SECRET, "key", bad[i], PRESENT, &v) != TN_EPARSE)
            tt_fail(__FILE__, __LINE__, "accepted malformed value #%zu: %s", i, bad[i]);
    }
    CHECK_INT(v.len, 0);
    tn_buf_free(&v);
}
