// UTF-8 validation: Autobahn 6.x style tables. Each case is validated whole,
// split in two at every byte boundary and byte by byte; the verdict and the
// offset of the first bad byte must not depend on how the text was cut.
#include "test.h"

enum { VALID = -1, PARTIAL = -2 };  // PARTIAL: fine so far, ends inside a sequence

typedef struct { const char *s; size_t len; long long want; } u8case;
#define U(lit, want) {lit, sizeof(lit) - 1, want}

#define KOSME "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"  // 11 bytes, "κόσμε"

static const u8case cases[] = {
    // 6.1-6.2, 6.5: valid text
    U("", VALID),
    U("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!", VALID),
    U(KOSME, VALID),
    // 6.3-6.4: fail at the byte that makes the sequence impossible, not at its end
    U("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64", 12),
    U(KOSME "\xf4\x90\x80\x80\x65\x64\x69\x74\x65\x64", 12),
    U(KOSME "\xf4\x90\x80\x80", 12),
    U(KOSME "\xf4", PARTIAL),
    // 6.6: prefixes of a valid text
    U("\xce", PARTIAL), U("\xce\xba\xe1", PARTIAL), U("\xce\xba\xe1\xbd", PARTIAL),
    // 6.7, 6.9, 6.11: first and last code points of each length, other boundaries
    U("\x00", VALID), U("\xc2\x80", VALID), U("\xe0\xa0\x80", VALID), U("\xf0\x90\x80\x80", VALID),
    U("\x7f", VALID), U("\xdf\xbf", VALID), U("\xef\xbf\xbf", VALID), U("\xf4\x8f\xbf\xbf", VALID),
    U("\xed\x9f\xbf", VALID), U("\xee\x80\x80", VALID), U("\xef\xbf\xbd", VALID),
    U("\xf4\x90\x80\x80", 1), U("\xf4\x90", 1),
    // 6.8, 6.10: 5- and 6-byte forms and 4-byte forms above U+10FFFF
    U("\xf8\x88\x80\x80\x80", 0), U("\xfc\x84\x80\x80\x80\x80", 0),
    U("\xf7\xbf\xbf\xbf", 0), U("\xfb\xbf\xbf\xbf\xbf", 0), U("\xfd\xbf\xbf\xbf\xbf\xbf", 0),
    U("\xf5\x80\x80\x80", 0),
    // 6.12: unexpected continuation bytes
    U("\x80", 0), U("\xbf", 0), U("\x80\xbf", 0), U("a\x80", 1), U(KOSME "\x80", 11),
    // 6.13: lonely start bytes followed by a space
    U("\xc0\x20", 0), U("\xc2\x20", 1), U("\xe0\x20", 1), U("\xe1\x80\x20", 2), U("\xf0\x20", 1),
    U("\xf1\x80\x80\x20", 3),
    // 6.14: sequences with the last continuation byte missing
    U("\xc0", 0), U("\xe0\x80", 1), U("\xf0\x80\x80", 1), U("\xdf", PARTIAL),
    U("\xef\xbf", PARTIAL), U("\xf4\x8f\xbf", PARTIAL), U("\xf7\xbf\xbf", 0),
    // 6.15: concatenated incomplete sequences
    U("\xdf\xef\xbf", 1), U("\xe1\xbf\xf0\x90", 2),
    // 6.16: impossible bytes
    U("\xfe", 0), U("\xff", 0), U("\xfe\xfe\xff\xff", 0), U("ok\xc1", 2),
    // 6.17-6.19: overlong forms
    U("\xc0\xaf", 0), U("\xe0\x80\xaf", 1), U("\xf0\x80\x80\xaf", 1),
    U("\xc1\xbf", 0), U("\xe0\x9f\xbf", 1), U("\xf0\x8f\xbf\xbf", 1),
    U("\xc0\x80", 0), U("\xe0\x80\x80", 1), U("\xf0\x80\x80\x80", 1),
    // 6.20-6.21: surrogates, single and paired
    U("\xed\xa0\x80", 1), U("\xed\xad\xbf", 1), U("\xed\xae\x80", 1), U("\xed\xaf\xbf", 1),
    U("\xed\xb0\x80", 1), U("\xed\xbe\x80", 1), U("\xed\xbf\xbf", 1),
    U("\xed\xa0\x80\xed\xb0\x80", 1), U("\xed\xaf\xbf\xed\xbf\xbf", 1),
    // 6.22-6.23: non-characters and U+FFFD are valid
    U("\xef\xbf\xbe", VALID), U("\xf0\x9f\xbf\xbe", VALID), U("\xf4\x8f\xbf\xbe", VALID),
    U("\xef\xb7\x90", VALID), U("\xef\xbb\xbf", VALID),
    // the 8-byte ASCII fast path: errors and sequences right at word edges
    U("abcdefgh\x80", 8), U("abcdefghijklmno\xce\xba", VALID), U("abcdefghijklmnop\xce", PARTIAL),
    U("abcdefg\xe1\xbd\xb9zyxwvutsrqponm", VALID), U("abcdefghijklmnopqrstuvwxyzabcde\xff", 31),
    U("abcdefghijklmnopqrstuvwxyz\xe0\x9fzzzz", 27),
};

static const char *name(long long v) { return v == VALID ? "valid" : v == PARTIAL ? "partial" : "fail"; }

// Feeds the text in pieces ending at the given cut points.
static long long verdict(const char *s, size_t len, const size_t *cuts, size_t ncuts) {
    tn_utf8_state st;
    memset(&st, 0xAB, sizeof st);
    tn_utf8_reset(&st);
    size_t at = 0;
    int failed = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : len;
        int r = tn_utf8_validate(&st, s + at, end - at);
        if (failed) CHECK_INT(r, TN_EPARSE);  // sticky
        if (r == TN_EPARSE) failed = 1;
        else CHECK_INT(r, 0);
        if (!failed) CHECK_INT(st.offset, end);
        at = end;
    }
    if (failed) {
        CHECK(!tn_utf8_complete(&st));
        return (long long)st.offset;
    }
    return tn_utf8_complete(&st) ? VALID : PARTIAL;
}

static void check_case(const u8case *c) {
    long long got = verdict(c->s, c->len, NULL, 0);
    if (got != c->want)
        tt_fail(__FILE__, __LINE__, "case %zu bytes \"%.*s\": got %s %lld, want %s %lld", c->len,
                (int)c->len, c->s, name(got), got, name(c->want), c->want);
    CHECK_INT(tn_utf8_valid(c->s, c->len), c->want == VALID);
    for (size_t k = 0; k <= c->len; k++) {
        if (verdict(c->s, c->len, &k, 1) != c->want)
            tt_fail(__FILE__, __LINE__, "case \"%.*s\" split at %zu: different verdict", (int)c->len, c->s, k);
    }
    size_t cuts[64];
    for (size_t k = 0; k < c->len && k < 64; k++) cuts[k] = k;
    if (c->len <= 64) CHECK_INT(verdict(c->s, c->len, cuts, c->len), c->want);
}

TEST(utf8_autobahn_tables) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&cases[i]);
}

// A bad byte at every position of an ASCII run (fast path and tail).
TEST(utf8_ascii_runs) {
    char s[40];
    for (size_t pos = 0; pos < sizeof s; pos++) {
        memset(s, 'x', sizeof s);
        s[pos] = (char)0x80;
        u8case c = {s, sizeof s, (long long)pos};
        check_case(&c);
        s[pos] = (char)0xC3;  // a 2-byte lead: needs a continuation, 'x' is not one
        c.want = pos + 1 < sizeof s ? (long long)pos + 1 : PARTIAL;
        check_case(&c);
    }
    memset(s, 'x', sizeof s);
    CHECK(tn_utf8_valid(s, sizeof s));
}

// Offsets count across calls, so a stream's error position is absolute.
TEST(utf8_offset_across_calls) {
    tn_utf8_state st = {0};
    CHECK_INT(tn_utf8_validate(&st, "hello ", 6), 0);
    CHECK_INT(tn_utf8_validate(&st, KOSME, 11), 0);
    CHECK(tn_utf8_complete(&st));
    CHECK_INT(tn_utf8_validate(&st, "\xe1\xbd", 2), 0);
    CHECK(!tn_utf8_complete(&st));
    CHECK_INT(tn_utf8_validate(&st, "", 0), 0);
    CHECK_INT(tn_utf8_validate(&st, "\xb9\xed\xbf", 3), TN_EPARSE);
    CHECK_INT(st.offset, 6 + 11 + 2 + 2);
    CHECK_INT(tn_utf8_validate(&st, "ok", 2), TN_EPARSE);
    CHECK_INT(st.offset, 21);
    tn_utf8_reset(&st);
    CHECK_INT(tn_utf8_validate(&st, "ok", 2), 0);
    CHECK(tn_utf8_complete(&st));
    CHECK(tn_utf8_valid(NULL, 0));
}
