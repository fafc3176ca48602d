// Floor 4: Cookie headers and Set-Cookie values.
#include "test.h"

#define CHECK_VIEW(v, lit) CHECK_MEM((v).ptr, (v).len, (lit), strlen(lit))

typedef struct { const char *name, *value; } pair;

// Parses `header` and checks it gives exactly `want` (by name, last one wins),
// the way Tornado's tests compare parse_cookie's dict.
static void check_cookies(int line, const char *header, const pair *want, size_t n) {
    tn_args jar = {0};
    if (tn_cookie_parse(&jar, header, strlen(header)) != 0) tt_fail(__FILE__, line, "parse failed");
    size_t distinct = 0;
    for (size_t i = 0; i < jar.count; i++) {
        size_t j = 0;
        while (j < i && !(jar.items[j].name.len == jar.items[i].name.len &&
                          memcmp(jar.items[j].name.ptr, jar.items[i].name.ptr, jar.items[i].name.len) == 0))
            j++;
        distinct += j == i;
    }
    if (distinct != n) tt_fail(__FILE__, line, "%zu cookies, expected %zu", distinct, n);
    for (size_t i = 0; i < n; i++) {
        const tn_str *v = tn_args_get(&jar, want[i].name);
        if (!v) tt_fail(__FILE__, line, "no cookie \"%s\"", want[i].name);
        if (v->len != strlen(want[i].value) || memcmp(v->ptr, want[i].value, v->len) != 0)
            tt_fail(__FILE__, line, "cookie \"%s\" is \"%.*s\", expected \"%s\"", want[i].name,
                    (int)v->len, v->ptr, want[i].value);
    }
    tn_args_free(&jar);
}
#define COOKIES(header, ...)                                                   \
    do {                                                                       \
        static const pair tt_want[] = {__VA_ARGS__};                           \
        check_cookies(__LINE__, header, tt_want, sizeof tt_want / sizeof tt_want[0]); \
    } while (0)

TEST(cookie_python_cookies) {  // Tornado's ParseCookieTest.test_python_cookies
    COOKIES("chips=ahoy; vienna=finger", {"chips", "ahoy"}, {"vienna", "finger"});
    // Every ";" splits, even inside quotes.
    COOKIES("keebler=\"E=mc2; L=\\\"Loves\\\"; fudge=\\012;\"", {"keebler", "\"E=mc2"},
            {"L", "\\\"Loves\\\""}, {"fudge", "\\012"}, {"", "\""});
    COOKIES("keebler=E=mc2", {"keebler", "E=mc2"});
    COOKIES("key:term=value:term", {"key:term", "value:term"});
    COOKIES("a=b; c=[; d=r; f=h", {"a", "b"}, {"c", "["}, {"d", "r"}, {"f", "h"});
}

TEST(cookie_edgecases) {  // test_cookie_edgecases
    COOKIES("a=b; Domain=example.com", {"a", "b"}, {"Domain", "example.com"});
    COOKIES("a=b; h=i; a=c", {"a", "c"}, {"h", "i"});
}

TEST(cookie_invalid_cookies) {  // test_invalid_cookies
    COOKIES("abc=def; unnamed; django_language=en", {"abc", "def"}, {"", "unnamed"},
            {"django_language", "en"});
    COOKIES("a=b; \"; c=d", {"a", "b"}, {"", "\""}, {"c", "d"});
    COOKIES("a b c=d e = f; gh=i", {"a b c", "d e = f"}, {"gh", "i"});
    COOKIES("a   b,c<>@:/[]?{}=d  \"  =e,f g", {"a   b,c<>@:/[]?{}", "d  \"  =e,f g"});
    COOKIES("saint=Andr\xc3\xa9 Bessette", {"saint", "Andr\xc3\xa9 Bessette"});
    COOKIES("  =  b  ;  ;  =  ;   c  =  ;  ", {"", "b"}, {"c", ""});
}

TEST(cookie_unquoting) {  // Tornado's CookieTest.test_get_cookie, plus octal edges
    COOKIES("foo=a=b", {"foo", "a=b"});
    COOKIES("foo=\"a=b\"", {"foo", "a=b"});
    COOKIES("foo=\"a;b\"", {"foo", "\"a"}, {"", "b\""});
    COOKIES("foo=a\\073b", {"foo", "a\\073b"});       // unquoted: no escapes
    COOKIES("foo=\"a\\073b\"", {"foo", "a;b"});
    COOKIES("foo=\"a\\\"b\"", {"foo", "a\"b"});
    COOKIES("x=\"\\400\"", {"x", "400"});               // \4.. is not octal: "\4" is "4"
    COOKIES("x=\"\\07\"", {"x", "07"});                 // two digits are not enough
    COOKIES("x=\"a\\\"", {"x", "a\\"});                 // a trailing backslash stays
    COOKIES("x=\"\"", {"x", ""});
    COOKIES("x=\"", {"x", "\""});
    tn_args jar = {0};
    CHECK_OK(tn_cookie_parse(&jar, "x=\"\\377\\000z\"", 13));
    CHECK_MEM(tn_args_get(&jar, "x")->ptr, tn_args_get(&jar, "x")->len, "\xff\0z", 3);
    tn_args_free(&jar);
}

TEST(cookie_parse_limit_and_append) {
    tn_args jar = {0};
    CHECK_OK(tn_cookie_parse(&jar, "a=1", 3));
    CHECK_OK(tn_cookie_parse(&jar, "a=2", 3));  // a second Cookie header
    CHECK_VIEW(*tn_args_get(&jar, "a"), "2");
    CHECK_OK(tn_cookie_parse(&jar, "", 0));
    CHECK_INT(jar.count, 2);
    tn_buf b = {0};
    for (int i = 0; i < 1000; i++) CHECK_OK(tn_buf_appendf(&b, "c%d=%d; ", i, i));
    CHECK_OK(tn_cookie_parse(&jar, b.data, b.len));
    CHECK_INT(jar.count, 1002);
    CHECK_OK(tn_buf_append_str(&b, "one=more"));
    CHECK_INT(tn_cookie_parse(&jar, b.data, b.len), TN_ERANGE);
    CHECK_INT(jar.count, 1002);  // unchanged by the failed call
    tn_buf_free(&b);
    tn_args_free(&jar);
}

static int warnings;
static void count_warnings(const tn_log_record *rec, void *ud) {
    (void)ud;
    if (rec->level >= TN_LOG_WARNING) warnings++;
}

static void check_format(int line, const tn_cookie_desc *d, const char *want) {
    tn_buf b = {0};
    CHECK_OK(tn_buf_append_str(&b, "X"));
    int r = tn_cookie_format(&b, d);
    if (r != 0) tt_fail(__FILE__, line, "tn_cookie_format: %s", tn_strerror(r));
    if (strcmp(b.data + 1, want) != 0) tt_fail(__FILE__, line, "got %s, expected %s", b.data + 1, want);
    tn_buf_free(&b);
}

TEST(cookie_format_table) {
    tn_cookie_desc d;
    memset(&d, 0, sizeof d);
    d.name = "foo";
    d.value = "bar";
    check_format(__LINE__, &d, "foo=bar; Path=/");
    d.domain = "example.com";
    d.path = "/foo";
    check_format(__LINE__, &d, "foo=bar; Domain=example.com; Path=/foo");  // test_set_cookie_domain
    memset(&d, 0, sizeof d);
    d.name = "foo";
    d.value = "bar";
    d.max_age = 10;
    check_format(__LINE__, &d, "foo=bar; Max-Age=10; Path=/");  // test_set_cookie_max_age
    d.max_age = -5;
    check_format(__LINE__, &d, "foo=bar; Max-Age=0; Path=/");
    d.max_age = 0;
    d.expires = 784111777;
    check_format(__LINE__, &d, "foo=bar; expires=Sun, 06 Nov 1994 08:49:37 GMT; Path=/");
    memset(&d, 0, sizeof d);
    d.name = "a";
    d.value = "1";
    d.secure = d.http_only = true;
    check_format(__LINE__, &d, "a=1; HttpOnly; Path=/; Secure");  // test_set_cookie_false_flags
    d.samesite = "Lax";
    d.domain = "d.example";
    d.expires = 1;
    d.max_age = 60;
    check_format(__LINE__, &d,
                 "a=1; Domain=d.example; expires=Thu, 01 Jan 1970 00:00:01 GMT; HttpOnly; "
                 "Max-Age=60; Path=/; SameSite=Lax; Secure");
}

TEST(cookie_format_quotes_values) {  // Python's SimpleCookie rules
    static const struct { const char *value, *want; } cases[] = {
        {"a=b", "c=\"a=b\"; Path=/"},                    // test_cookie_special_char
        {"a\"b", "c=\"a\\\"b\"; Path=/"},
        {"", "c=\"\"; Path=/"},                           // as clear_cookie writes it
        {"!#$%&'*+-.^_`|~:", "c=!#$%&'*+-.^_`|~:; Path=/"},
        {"a b()/<=>?@[]{}", "c=\"a b()/<=>?@[]{}\"; Path=/"},
        {"a,b", "c=\"a\\054b\"; Path=/"},
        {"\\", "c=\"\\\\\"; Path=/"},
        {"\xc3\xa9", "c=\"\\303\\251\"; Path=/"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tn_cookie_desc d;
        memset(&d, 0, sizeof d);
        d.name = "c";
        d.value = cases[i].value;
        check_format(__LINE__, &d, cases[i].want);
        // What the formatter writes, the parser reads back.
        tn_buf b = {0};
        CHECK_OK(tn_cookie_format(&b, &d));
        tn_args jar = {0};
        CHECK_OK(tn_cookie_parse(&jar, b.data, strcspn(b.data, ";")));
        CHECK_VIEW(*tn_args_get(&jar, "c"), cases[i].value);
        tn_args_free(&jar);
        tn_buf_free(&b);
    }
}

TEST(cookie_format_rejects_injection) {
    tn_log_set_cb(count_warnings, NULL);
    static const char *const bad_names[] = {"", "a b", "a;b", "a,b", "a=b", "a\tb", "a\x01",
                                            "\xc3\xa9", "a\"b", "a\\b", "a(b", "a\x7f"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        tn_cookie_desc d;
        memset(&d, 0, sizeof d);
        d.name = bad_names[i];
        tn_buf b = {0};
        CHECK_OK(tn_buf_append_str(&b, "keep"));
        int before = warnings;
        CHECK_INT(tn_cookie_format(&b, &d), TN_EINVAL);
        CHECK_STR(b.data, "keep");
        CHECK_INT(warnings, before + 1);
        tn_buf_free(&b);
    }
    tn_cookie_desc d;
    memset(&d, 0, sizeof d);
    tn_buf none = {0};
    CHECK_INT(tn_cookie_format(&none, &d), TN_EINVAL);  // no name at all
    CHECK(none.data == NULL);
    static const char *const bad_attrs[] = {"a;b", "a\x01", "a\r\nSet-Cookie: x=y", "a\x7f"};
    for (size_t i = 0; i < sizeof bad_attrs / sizeof bad_attrs[0]; i++) {
        for (int field = 0; field < 4; field++) {
            memset(&d, 0, sizeof d);
            d.name = "ok";
            const char **f[] = {&d.value, &d.domain, &d.path, &d.samesite};
            *f[field] = bad_attrs[i];
            tn_buf b = {0};
            int before = warnings;
            CHECK_INT(tn_cookie_format(&b, &d), TN_EINVAL);
            CHECK_INT(b.len, 0);
            CHECK_INT(warnings, before + 1);
            tn_buf_free(&b);
        }
    }
    tn_log_set_cb(NULL, NULL);
}

TEST(cookie_names_and_values_are_c_strings) {
    tn_args jar = {0};
    const char *h = "a=1; name=\"quoted\\\"v\" ; flag; x = \"\\101\"";
    CHECK_OK(tn_cookie_parse(&jar, h, strlen(h)));
    for (size_t i = 0; i < jar.count; i++) {
        CHECK(jar.items[i].name.ptr[jar.items[i].name.len] == '\0');
        CHECK(jar.items[i].value.ptr[jar.items[i].value.len] == '\0');
    }
    CHECK_STR(tn_args_get(&jar, "name")->ptr, "quoted\"v");
    CHECK_STR(tn_args_get(&jar, "x")->ptr, "A");
    CHECK_STR(tn_args_get(&jar, "a")->ptr, "1");
    tn_args_free(&jar);
}
