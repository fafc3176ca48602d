// Floor 4: percent-encoding and URL parsing.
#include "test.h"

static void check_unescape(const char *in, bool plus, const char *want, size_t want_len) {
    char buf[128];
    size_t n = tn_url_unescape(buf, in, strlen(in), plus);
    CHECK_MEM(buf, n, want, want_len);
    // In place gives the same bytes.
    memcpy(buf, in, strlen(in));
    n = tn_url_unescape_inplace(buf, strlen(in), plus);
    CHECK_MEM(buf, n, want, want_len);
}

TEST(url_unescape_table) {
    static const struct { const char *in; bool plus; const char *want; } cases[] = {
        {"", true, ""},
        {"abc", true, "abc"},
        {"a%20b", false, "a b"},
        {"a+b", true, "a b"},
        {"a+b", false, "a+b"},            // "+" in a path stays "+"
        {"%2B+%23%25", true, "+ #%"},     // Tornado's test_url_escape_quote_plus
        {"%2B%20%23%25", false, "+ #%"},
        {"%C3%A9", true, "\xc3\xa9"},     // test_url_unescape_unicode
        {"%c3%a9", true, "\xc3\xa9"},     // lower-case hex
        {"%zz", true, "%zz"},             // malformed escapes are kept (Python's unquote)
        {"%4", true, "%4"},
        {"%", true, "%"},
        {"a%", true, "a%"},
        {"%%41", true, "%A"},
        {"%4g%41", true, "%4gA"},
        {"%+1", true, "% 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_unescape(cases[i].in, cases[i].plus, cases[i].want, strlen(cases[i].want));
    check_unescape("a%00b", true, "a\0b", 3);
}

TEST(url_escape_table) {
    static const struct { const char *in; bool plus; const char *want; } cases[] = {
        {"+ #%", true, "%2B+%23%25"},        // Tornado's test_url_escape_quote_plus
        {"+ #%", false, "%2B%20%23%25"},
        {"\xc3\xa9", true, "%C3%A9"},         // test_url_escape_unicode
        {"a/b", true, "a%2Fb"},               // quote_plus: "/" is escaped
        {"a/b", false, "a/b"},                // quote: "/" is safe
        {"AZaz09-._~", true, "AZaz09-._~"},
        {"?&=;", true, "%3F%26%3D%3B"},
        {"", true, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tn_buf b = {0};
        CHECK_OK(tn_url_escape(&b, cases[i].in, strlen(cases[i].in), cases[i].plus));
        CHECK_MEM(b.data ? b.data : "", b.len, cases[i].want, strlen(cases[i].want));
        // Round trip.
        char back[64];
        size_t n = tn_url_unescape(back, b.data ? b.data : "", b.len, cases[i].plus);
        CHECK_MEM(back, n, cases[i].in, strlen(cases[i].in));
        tn_buf_free(&b);
    }
    // Every byte survives a round trip.
    char all[256];
    for (int i = 0; i < 256; i++) all[i] = (char)i;
    for (int plus = 0; plus < 2; plus++) {
        tn_buf b = {0};
        CHECK_OK(tn_url_escape(&b, all, sizeof all, plus));
        char back[256];
        CHECK_INT(tn_url_unescape(back, b.data, b.len, plus), 256);
        CHECK(memcmp(back, all, 256) == 0);
        tn_buf_free(&b);
    }
}

#define CHECK_VIEW(v, lit) CHECK_MEM((v).ptr, (v).len, (lit), strlen(lit))

TEST(url_parse_full) {
    tn_url u;
    CHECK_OK(tn_url_parse("http://user@host:8080/p?q#f", &u));
    CHECK_VIEW(u.scheme, "http");
    CHECK_VIEW(u.userinfo, "user");
    CHECK_VIEW(u.host, "host");
    CHECK_INT(u.port, 8080);
    CHECK(u.has_port);
    CHECK_VIEW(u.path, "/p");
    CHECK_VIEW(u.query, "q");
    CHECK(u.has_query);
    CHECK_VIEW(u.fragment, "f");
}

TEST(url_parse_table) {
    static const struct {
        const char *in, *scheme, *userinfo, *host, *path, *query, *fragment;
        int port;
    } cases[] = {
        {"http://example.com", "http", "", "example.com", "/", "", "", 80},
        {"HTTPS://example.com/", "HTTPS", "", "example.com", "/", "", "", 443},
        {"ws://h/chat", "ws", "", "h", "/chat", "", "", 80},
        {"wss://h:9443/chat", "wss", "", "h", "/chat", "", "", 9443},
        {"http://h?x=1", "http", "", "h", "/", "x=1", "", 80},
        {"http://h#frag", "http", "", "h", "/", "", "frag", 80},
        {"http://h:/a", "http", "", "h", "/a", "", "", 80},           // empty port: default
        {"http://[::1]:8888/x", "http", "", "::1", "/x", "", "", 8888},
        {"http://[2001:db8::7]/", "http", "", "2001:db8::7", "/", "", "", 80},
        {"http://u:p%40ss@h/", "http", "u:p%40ss", "h", "/", "", "", 80},
        {"http://a@b@h/", "http", "a@b", "h", "/", "", "", 80},       // the last "@" ends userinfo
        {"http://h/a@b?c/d#e?f", "http", "", "h", "/a@b", "c/d", "e?f", 80},
        {"ftp://h/", "ftp", "", "h", "/", "", "", 0},                // unknown scheme: no default
        {"http://h:0/", "http", "", "h", "/", "", "", 0},
        {"http://h:65535/", "http", "", "h", "/", "", "", 65535},
        {"svn+ssh://h/", "svn+ssh", "", "h", "/", "", "", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tn_url u;
        CHECK_OK(tn_url_parse(cases[i].in, &u));
        CHECK_VIEW(u.scheme, cases[i].scheme);
        CHECK_VIEW(u.userinfo, cases[i].userinfo);
        CHECK_VIEW(u.host, cases[i].host);
        CHECK_VIEW(u.path, cases[i].path);
        CHECK_VIEW(u.query, cases[i].query);
        CHECK_VIEW(u.fragment, cases[i].fragment);
        CHECK_INT(u.port, cases[i].port);
    }
}

TEST(url_parse_errors) {
    static const char *const bad[] = {
        "",                     // nothing
        "example.com/path",     // no scheme
        "/relative",            // no scheme
        "http:/h",              // not "://"
        "http//h",
        "://h",                 // empty scheme
        "1http://h",            // scheme must start with a letter
        "ht tp://h",
        "http://",              // empty host
        "http:///path",
        "http://user@/",
        "http://:80/",
        "http://h:8o/",         // port not digits
        "http://h:-1/",
        "http://h:65536/",      // port too big
        "http://h:99999999999999999999/",
        "http://[::1/",         // unclosed bracket
        "http://[]/",
        "http://[::1]x/",       // junk after the bracket
        "http://[zz::1]/",      // not hex
        "http://[1.2.3.4]/",    // no colon: not IPv6
        "http://h]/",
        "http://h /",           // space
        "http://h/\x01",        // control byte
        "http://h/a\x7f",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tn_url u;
        int r = tn_url_parse(bad[i], &u);
        if (r != TN_EPARSE) tt_fail(__FILE__, __LINE__, "\"%s\" gave %d", bad[i], r);
    }
    // A view need not be NUL-terminated; a NUL inside is a control byte.
    tn_url u;
    tn_str s = {"http://h/x", 8};
    CHECK_OK(tn_url_parse_str(s, &u));
    CHECK_VIEW(u.path, "/");
    tn_str nul = {"http://h/\0x", 11};
    CHECK_INT(tn_url_parse_str(nul, &u), TN_EPARSE);
}

// RFC 3986 section 5.4: every normal and abnormal example, and a few more.
TEST(url_join_rfc3986) {
    static const char *const cases[][2] = {
        {"g:h", "g:h"}, {"g", "http://a/b/c/g"}, {"./g", "http://a/b/c/g"}, {"g/", "http://a/b/c/g/"},
        {"/g", "http://a/g"}, {"//g", "http://g"}, {"?y", "http://a/b/c/d;p?y"}, {"g?y", "http://a/b/c/g?y"},
        {"#s", "http://a/b/c/d;p?q#s"}, {"g#s", "http://a/b/c/g#s"}, {"g?y#s", "http://a/b/c/g?y#s"},
        {";x", "http://a/b/c/;x"}, {"g;x", "http://a/b/c/g;x"}, {"g;x?y#s", "http://a/b/c/g;x?y#s"},
        {"", "http://a/b/c/d;p?q"}, {".", "http://a/b/c/"}, {"./", "http://a/b/c/"}, {"..", "http://a/b/"},
        {"../", "http://a/b/"}, {"../g", "http://a/b/g"}, {"../..", "http://a/"}, {"../../", "http://a/"},
        {"../../g", "http://a/g"},
        // abnormal
        {"../../../g", "http://a/g"}, {"../../../../g", "http://a/g"}, {"/./g", "http://a/g"},
        {"/../g", "http://a/g"}, {"g.", "http://a/b/c/g."}, {".g", "http://a/b/c/.g"}, {"g..", "http://a/b/c/g.."},
        {"..g", "http://a/b/c/..g"}, {"./../g", "http://a/b/g"}, {"./g/.", "http://a/b/c/g/"},
        {"g/./h", "http://a/b/c/g/h"}, {"g/../h", "http://a/b/c/h"}, {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
        {"g;x=1/../y", "http://a/b/c/y"}, {"g?y/./x", "http://a/b/c/g?y/./x"}, {"g?y/../x", "http://a/b/c/g?y/../x"},
        {"g#s/./x", "http://a/b/c/g#s/./x"}, {"g#s/../x", "http://a/b/c/g#s/../x"}, {"http:g", "http:g"},
        // what a Location or a link may hold
        {"http://other:81/x/../y?q", "http://other:81/y?q"}, {"//h2/p", "http://h2/p"},
    };
    tn_str base = tn_str_c("http://a/b/c/d;p?q");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tn_buf out = {0};
        CHECK_OK(tn_url_join(&out, base, tn_str_c(cases[i][0])));
        if (strcmp(out.data, cases[i][1]) != 0)
            tt_fail(__FILE__, __LINE__, "\"%s\" gave \"%s\", expected \"%s\"", cases[i][0], out.data, cases[i][1]);
        tn_buf_free(&out);
    }
    // a base with an authority and no path; appending to what is there
    tn_buf out = {0};
    CHECK_OK(tn_buf_append_str(&out, ">"));
    CHECK_OK(tn_url_join(&out, tn_str_c("http://h:8080"), tn_str_c("x")));
    CHECK_STR(out.data, ">http://h:8080/x");
    CHECK_INT(tn_url_join(&out, tn_str_c("/relative/base"), tn_str_c("x")), TN_EPARSE);
    CHECK_STR(out.data, ">http://h:8080/x");
    tn_buf_free(&out);
}
