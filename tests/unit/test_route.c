// Route patterns: matching (against Python's re.fullmatch on the Latin-1
// path), compile errors with their column, reverse_url, and the step budget.
#include "test.h"
#include <stdlib.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    const char *pattern, *path;
    int result;              // -1: no match; else the group count
    const char *groups[4];   // NULL: the group did not take part
} route_row;

// Expected values were taken from Python 3.11's re.fullmatch(pattern,
// path.decode("latin-1")), except the two deviations at the end.
static const route_row route_rows[] = {
    // Tornado's own route shapes
    {"/", "/", 0, {NULL}},
    {"/", "", -1, {NULL}},
    {"/", "//", -1, {NULL}},
    {"/story/([0-9]+)", "/story/42", 1, {"42"}},
    {"/story/([0-9]+)", "/story/", -1, {NULL}},
    {"/story/([0-9]+)", "/story/42/", -1, {NULL}},
    {"/story/([0-9]+)", "/story/4a", -1, {NULL}},
    {"/(.*)", "/", 1, {""}},
    {"/(.*)", "/a/b/c", 1, {"a/b/c"}},
    {"/static/(.*)", "/static/css/site.css", 1, {"css/site.css"}},
    {"/static/(.*)", "/static/", 1, {""}},
    {"/static/(.*)", "/stat", -1, {NULL}},
    {"/(?P<path>.*)", "/x/y", 1, {"x/y"}},
    {"/a/(?P<x>[^/]+)/b/(?P<y>\\d+)", "/a/foo/b/12", 2, {"foo", "12"}},
    {"/a/(?P<x>[^/]+)/b/(?P<y>\\d+)", "/a/f/o/b/12", -1, {NULL}},
    {"/a/(?P<x>[^/]+)/b/(?P<y>\\d+)", "/a//b/1", -1, {NULL}},
    {"/page/?", "/page", 0, {NULL}},
    {"/page/?", "/page/", 0, {NULL}},
    {"/page/?", "/page//", -1, {NULL}},
    {"/(foo|bar)/baz", "/foo/baz", 1, {"foo"}},
    {"/(foo|bar)/baz", "/bar/baz", 1, {"bar"}},
    {"/(foo|bar)/baz", "/qux/baz", -1, {NULL}},
    {"/(?P<year>\\d{4})/(?P<slug>[^/]+)", "/2024/hello", 2, {"2024", "hello"}},
    {"/(?P<year>\\d{4})/(?P<slug>[^/]+)", "/24/hello", -1, {NULL}},
    {"/(?:a|b)/x", "/a/x", 0, {NULL}},
    {"/(?:a|b)/x", "/c/x", -1, {NULL}},
    // anchoring: the whole path must match
    {"/a", "/ab", -1, {NULL}},
    {"/a", "x/a", -1, {NULL}},
    {"^/a$", "/a", 0, {NULL}},
    {"^/a", "/a/", -1, {NULL}},
    {"/a$", "/a", 0, {NULL}},
    {"/a|/b", "/ab", -1, {NULL}},
    {"/a|/b", "/b", 0, {NULL}},
    {"", "", 0, {NULL}},
    {"", "/", -1, {NULL}},
    {"/a$/b", "/a/b", -1, {NULL}},
    {"/a^b", "/ab", -1, {NULL}},
    {"(?:^/x|^/y)$", "/y", 0, {NULL}},
    // literals and escapes
    {"/a\\.b", "/a.b", 0, {NULL}},
    {"/a\\.b", "/axb", -1, {NULL}},
    {"/a.b", "/axb", 0, {NULL}},
    {"\\/x", "/x", 0, {NULL}},
    {"/a\\-b", "/a-b", 0, {NULL}},
    {"/\\(x\\)", "/(x)", 0, {NULL}},
    {"/\\x41\\x2f", "/A/", 0, {NULL}},
    {"/a}", "/a}", 0, {NULL}},
    {"/]", "/]", 0, {NULL}},
    {"/\\*\\+\\?\\{\\}\\[\\]\\|\\^\\$\\\\", "/*+?{}[]|^$\\", 0, {NULL}},
    // classes
    {"/[a-c]+", "/abc", 0, {NULL}},
    {"/[a-c]+", "/abd", -1, {NULL}},
    {"/[^/]+", "/a/b", -1, {NULL}},
    {"[]a]+", "]a]", 0, {NULL}},
    {"[a-]+", "a-a", 0, {NULL}},
    {"[-a]+", "-a", 0, {NULL}},
    {"[\\d-]+", "1-2", 0, {NULL}},
    {"[\\w.]+", "a.b_1", 0, {NULL}},
    {"[^\\d]", "x", 0, {NULL}},
    {"[^\\d]", "5", -1, {NULL}},
    {"[\\]]", "]", 0, {NULL}},
    {"[\\\\]", "\\", 0, {NULL}},
    {"[.]", "x", -1, {NULL}},
    {"[\\x30-\\x39]+", "09", 0, {NULL}},
    {"[^a-z/]+", "ABC", 0, {NULL}},
    {"[a\\-z]+", "a-z", 0, {NULL}},
    {"[\\s\\d]+", " 1\t", 0, {NULL}},
    // \d \w \s and their complements
    {"\\d+", "123", 0, {NULL}},
    {"\\d+", "12a", -1, {NULL}},
    {"\\D+", "ab/", 0, {NULL}},
    {"\\w+", "a_1Z", 0, {NULL}},
    {"\\w", "-", -1, {NULL}},
    {"\\W", "/", 0, {NULL}},
    {"\\s", " ", 0, {NULL}},
    {"\\s", "x", -1, {NULL}},
    {"\\S+", "ab", 0, {NULL}},
    // quantifiers
    {"a*", "", 0, {NULL}},
    {"a+", "", -1, {NULL}},
    {"a?b", "b", 0, {NULL}},
    {"a{3}", "aaa", 0, {NULL}},
    {"a{3}", "aa", -1, {NULL}},
    {"a{2,}", "aaaa", 0, {NULL}},
    {"a{2,3}", "aaaa", -1, {NULL}},
    {"a{,2}", "aa", 0, {NULL}},
    {"a{,2}", "aaa", -1, {NULL}},
    {"a{0}b", "b", 0, {NULL}},
    {"(ab){2}", "abab", 1, {"ab"}},
    {"(ab)+", "ababab", 1, {"ab"}},
    {"(a|b)*", "abba", 1, {"a"}},
    {"(a)*", "", 1, {NULL}},
    {"(a){0}b", "b", 1, {NULL}},
    {"(?:ab){1,2}c", "ababc", 0, {NULL}},
    {"(?:ab){1,2}c", "abababc", -1, {NULL}},
    {"(x[0-9]){2,}", "x1x2x3", 1, {"x3"}},
    // greedy and lazy
    {"/(.*)/(.*)", "/a/b/c", 2, {"a/b", "c"}},
    {"/(.*?)/(.*)", "/a/b/c", 2, {"a", "b/c"}},
    {"(a+?)(a*)", "aaa", 2, {"a", "aa"}},
    {"(a?" "?)(a*)", "aa", 2, {"", "aa"}},
    {"(a{1,3}?)(a*)", "aaaa", 2, {"a", "aaa"}},
    {"(.+?)(\\d*)", "ab12", 2, {"ab", "12"}},
    {"(a*?)b", "aab", 1, {"aa"}},
    {"((?:ab)*?)(ab)*", "abab", 2, {"", "ab"}},
    {"(a{2,}?)(a*)", "aaaa", 2, {"aa", "aa"}},
    // groups: non-participating, nested, repeated, empty
    {"/(a)|/(b)", "/b", 2, {NULL, "b"}},
    {"/x(/y)?", "/x", 1, {NULL}},
    {"(a)?b", "b", 1, {NULL}},
    {"(?:(a)|b)+", "ab", 1, {"a"}},
    {"/((a)(b))", "/ab", 3, {"ab", "a", "b"}},
    {"/(?P<outer>(?P<inner>\\d)+)", "/123", 2, {"123", "3"}},
    {"/(a|)x", "/x", 1, {""}},
    {"a|", "", 0, {NULL}},
    {"()", "", 1, {""}},
    {"(a*)*", "", 1, {""}},
    {"(a*)+", "b", -1, {NULL}},
    {"(a?)*", "aa", 1, {""}},
    {"(?:()|b)+?d", "bd", 1, {""}},
    {"(?:(a)|(b))*", "ab", 2, {"a", "b"}},
    // case and bytes >= 0x80 (Python reads the path as Latin-1)
    {"/About", "/about", -1, {NULL}},
    {"/[A-Z]+", "/ABC", 0, {NULL}},
    {"/[A-Z]+", "/abc", -1, {NULL}},
    {"/[a-z]+", "/ABC", -1, {NULL}},
    {"/caf\xc3\xa9", "/caf\xc3\xa9", 0, {NULL}},
    {"/(\\w+)", "/caf\xe9", 1, {"caf\xe9"}},
    {"/\\w+", "/\xc3\xa9", -1, {NULL}},
    {"/.", "/\xff", 0, {NULL}},
    {"/[^/]+", "/\x80\xff", 0, {NULL}},
    {"/\\s", "/\xa0", 0, {NULL}},
    {"/\\d", "/\xb2", -1, {NULL}},
    {"[\\x80-\\xff]+", "\x80\xff", 0, {NULL}},
    {"/\\W", "/\xd7", 0, {NULL}},
    // word boundaries
    {"/\\bfoo\\b", "/foo", 0, {NULL}},
    {"/a\\Bb", "/ab", 0, {NULL}},
    {"/a\\bb", "/ab", -1, {NULL}},
    {"\\B", "", -1, {NULL}},
    // deviations: . matches a newline; $ only at the very end
    {".", "\n", 0, {NULL}},
    {"/a$", "/a\n", -1, {NULL}},
};

static void check_row(const route_row *r) {
    tn_route_pattern *p;
    if (tn_route_compile(&p, r->pattern)) tt_fail(__FILE__, __LINE__, "compile \"%s\" failed", r->pattern);
    tn_str g[4];
    memset(g, 0x55, sizeof g);
    int n = tn_route_match(p, r->path, strlen(r->path), g, 4);
    if (n != r->result)
        tt_fail(__FILE__, __LINE__, "\"%s\" on \"%s\": %d, expected %d", r->pattern, r->path, n, r->result);
    for (int i = 0; i < n; i++) {
        const char *want = r->groups[i];
        if (!want && (g[i].ptr || g[i].len))
            tt_fail(__FILE__, __LINE__, "\"%s\" on \"%s\": group %d is \"%.*s\", expected None", r->pattern,
                    r->path, i + 1, (int)g[i].len, g[i].ptr);
        if (want && (!g[i].ptr || g[i].len != strlen(want) || memcmp(g[i].ptr, want, g[i].len) != 0))
            tt_fail(__FILE__, __LINE__, "\"%s\" on \"%s\": group %d is %s\"%.*s\", expected \"%s\"", r->pattern,
                    r->path, i + 1, g[i].ptr ? "" : "None ", (int)g[i].len, g[i].ptr ? g[i].ptr : "", want);
        // Views point into the path itself.
        if (g[i].ptr) CHECK(g[i].ptr >= r->path && g[i].ptr + g[i].len <= r->path + strlen(r->path));
    }
    tn_route_free(p);
}

TEST(route_match_table) {
    CHECK(COUNT(route_rows) >= 80);
    for (size_t i = 0; i < COUNT(route_rows); i++) check_row(&route_rows[i]);
}

// The path is a view, not a C string: bytes after len are never looked at.
TEST(route_match_uses_len_only) {
    tn_route_pattern *p;
    CHECK_OK(tn_route_compile(&p, "/a/(\\d+)"));
    tn_str g[1];
    CHECK_INT(tn_route_match(p, "/a/12345", 5, g, 1), 1);
    CHECK_MEM(g[0].ptr, g[0].len, "12", 2);
    CHECK_INT(tn_route_match(p, "/a/", 3, g, 1), -1);
    char nul[] = {'/', 'a', '/', '1', '\0', '2'};
    CHECK_INT(tn_route_match(p, nul, sizeof nul, g, 1), -1);
    CHECK_INT(tn_route_match(p, NULL, 0, g, 1), -1);
    tn_route_free(p);
    CHECK_OK(tn_route_compile(&p, "/\\x00(.)"));
    CHECK_INT(tn_route_match(p, "/\0x", 3, g, 1), 1);
    CHECK_MEM(g[0].ptr, g[0].len, "x", 1);
    tn_route_free(p);
}

TEST(route_groups_names_and_counts) {
    tn_route_pattern *p;
    CHECK_OK(tn_route_compile(&p, "/(?P<year>\\d{4})/(?:x|y)/(\\w+)/(?P<slug>[^/]+)"));
    CHECK_INT(tn_route_group_count(p), 3);
    CHECK_INT(tn_route_group_index(p, "year"), 0);
    CHECK_INT(tn_route_group_index(p, "slug"), 2);
    CHECK_INT(tn_route_group_index(p, "yea"), -1);
    CHECK_INT(tn_route_group_index(p, "nope"), -1);
    CHECK_STR(tn_route_group_name(p, 0), "year");
    CHECK(tn_route_group_name(p, 1) == NULL);
    CHECK_STR(tn_route_group_name(p, 2), "slug");
    CHECK(tn_route_group_name(p, 3) == NULL);
    CHECK(tn_route_group_name(p, -1) == NULL);
    CHECK_STR(tn_route_source(p), "/(?P<year>\\d{4})/(?:x|y)/(\\w+)/(?P<slug>[^/]+)");
    // Fewer slots than groups: the first ones are filled, the rest ignored.
    tn_str g[2];
    const char *path = "/2024/y/abc/hello-world";
    CHECK_INT(tn_route_match(p, path, strlen(path), g, 2), 2);
    CHECK_MEM(g[0].ptr, g[0].len, "2024", 4);
    CHECK_MEM(g[1].ptr, g[1].len, "abc", 3);
    CHECK_INT(tn_route_match(p, path, strlen(path), NULL, 0), 0);
    tn_route_free(p);
}

// Many groups and deep backtracking take the heap paths of the matcher.
TEST(route_many_groups_and_deep_backtracking) {
    char pat[400] = "/";
    for (int i = 0; i < 40; i++) strcat(pat, "(a)");
    strcat(pat, "(b)?");
    tn_route_pattern *p;
    CHECK_OK(tn_route_compile(&p, pat));
    CHECK_INT(tn_route_group_count(p), 41);
    char path[64] = "/";
    for (int i = 0; i < 40; i++) strcat(path, "a");
    tn_str g[41];
    CHECK_INT(tn_route_match(p, path, strlen(path), g, 41), 41);
    CHECK_MEM(g[39].ptr, g[39].len, "a", 1);
    CHECK(g[39].ptr == path + 40);
    CHECK(g[40].ptr == NULL);
    tn_route_free(p);

    CHECK_OK(tn_route_compile(&p, "/(?:(a)|(b))*(c)"));
    static char big[2003];
    big[0] = '/';
    for (int i = 1; i <= 2000; i++) big[i] = i % 3 ? 'a' : 'b';
    big[2001] = 'c';
    CHECK_INT(tn_route_match(p, big, 2002, g, 3), 3);
    CHECK(g[0].ptr == big + 2000 && g[0].len == 1);
    CHECK(g[1].ptr == big + 1998 && g[1].len == 1);
    CHECK_INT(tn_route_match(p, big, 2001, g, 3), -1);
    tn_route_free(p);
}

static struct { int n; char msg[512]; } route_log;
static void route_capture(const tn_log_record *r, void *ud) {
    (void)ud;
    route_log.n++;
    snprintf(route_log.msg, sizeof route_log.msg, "%s", r->message);
}

typedef struct { const char *pattern, *error; int column; } route_bad;

static const route_bad route_bad_rows[] = {
    {"/(a", "missing ), unterminated subpattern", 2},
    {"/a)", "unbalanced parenthesis", 3},
    {"/(a))", "unbalanced parenthesis", 5},
    {"*a", "nothing to repeat", 1},
    {"/(*a)", "nothing to repeat", 3},
    {"/a|+", "nothing to repeat", 4},
    {"^*", "nothing to repeat", 2},
    {"/$?", "nothing to repeat", 3},
    {"/\\b+", "nothing to repeat", 4},
    {"{2}", "nothing to repeat", 1},
    {"/a**", "multiple repeat", 4},
    {"/a*+", "multiple repeat", 4},
    {"/a{2}{3}", "multiple repeat", 6},
    {"/a??+", "multiple repeat", 5},
    {"/a{2", "bad {} quantifier", 3},
    {"/a{x}", "bad {} quantifier", 3},
    {"/a{}", "bad {} quantifier", 3},
    {"/a{1,x}", "bad {} quantifier", 3},
    {"/a{3,2}", "min repeat greater than max repeat", 3},
    {"/a{99999}", "repeat count too large", 4},
    {"[]", "unterminated character set", 1},
    {"/[^]", "unterminated character set", 2},
    {"/[abc", "unterminated character set", 2},
    {"/[z-a]", "bad character range", 3},
    {"/[\\d-z]", "bad character range", 3},
    {"/[a-\\w]", "bad character range", 3},
    {"/\\q", "bad escape", 2},
    {"/[\\q]", "bad escape", 3},
    {"/\\", "bad escape (end of pattern)", 2},
    {"/\\x4", "incomplete escape \\x", 2},
    {"/\\xg0", "incomplete escape \\x", 2},
    {"/(a)\\1", "backreferences and octal escapes are not supported", 5},
    {"/(?P<a>x)(?P=a)", "backreferences are not supported", 11},
    {"/(?i)x", "unknown extension", 3},
    {"/(?=x)", "unknown extension", 3},
    {"/(?<n>x)", "unknown extension", 3},
    {"/(?", "unexpected end of pattern", 3},
    {"/(?P<1a>x)", "bad character in group name", 6},
    {"/(?P<a-b>x)", "bad character in group name", 6},
    {"/(?P<>x)", "missing group name", 6},
    {"/(?P<abc", "missing >, unterminated name", 6},
    {"/(?P<a>x)/(?P<a>y)", "redefinition of group name", 15},
    {"/(?:(?:a{100}){100}){1000}", "pattern too large after expanding a repeat", 21},
};

TEST(route_compile_errors_name_the_column) {
    tn_log_set_cb(route_capture, NULL);
    for (size_t i = 0; i < COUNT(route_bad_rows); i++) {
        const route_bad *b = &route_bad_rows[i];
        tn_route_pattern *p = (tn_route_pattern *)&route_log;  // must be reset to NULL
        route_log.n = 0;
        int r = tn_route_compile(&p, b->pattern);
        if (r != TN_EINVAL) tt_fail(__FILE__, __LINE__, "\"%s\" compiled: %d", b->pattern, r);
        CHECK(p == NULL);
        CHECK_INT(route_log.n, 1);
        char want[256];
        snprintf(want, sizeof want, "%s", b->error);
        if (!strstr(route_log.msg, want) || !strstr(route_log.msg, b->pattern))
            tt_fail(__FILE__, __LINE__, "\"%s\": logged \"%s\", expected \"%s\"", b->pattern, route_log.msg, want);
        snprintf(want, sizeof want, "at column %d", b->column);
        if (!strstr(route_log.msg, want))
            tt_fail(__FILE__, __LINE__, "\"%s\": logged \"%s\", expected \"%s\"", b->pattern, route_log.msg, want);
    }
    tn_log_set_cb(NULL, NULL);
}

TEST(route_nesting_is_bounded) {
    tn_log_set_cb(route_capture, NULL);
    char pat[300];
    memset(pat, '(', 200);
    memset(pat + 200, ')', 1);
    pat[201] = 0;
    tn_route_pattern *p;
    CHECK_INT(tn_route_compile(&p, pat), TN_EINVAL);
    CHECK(strstr(route_log.msg, "nested too deeply") != NULL);
    // 60 levels are fine.
    memset(pat, '(', 60);
    memset(pat + 60, ')', 60);
    pat[120] = 0;
    CHECK_OK(tn_route_compile(&p, pat));
    CHECK_INT(tn_route_group_count(p), 60);
    tn_str g[60];
    CHECK_INT(tn_route_match(p, "", 0, g, 60), 60);
    CHECK(g[59].ptr != NULL && g[59].len == 0);
    tn_route_free(p);
    tn_route_free(NULL);
    CHECK_INT(tn_route_compile(&p, NULL), TN_EINVAL);
    tn_log_set_cb(NULL, NULL);
}

typedef struct { const char *pattern; int nargs; const char *args[3]; int result; const char *path; } route_rev;

static const route_rev route_rev_rows[] = {
    {"/story/([0-9]+)", 1, {"42"}, 0, "/story/42"},
    {"/(?P<a>x)/(?P<b>y)", 2, {"1", "2"}, 0, "/1/2"},
    {"/", 0, {NULL}, 0, "/"},
    {"^/a/(\\d+)$", 1, {"7"}, 0, "/a/7"},
    {"/a\\.b/(.*)", 1, {"x%2Fy"}, 0, "/a.b/x%2Fy"},
    {"/favicon.ico", 0, {NULL}, 0, "/favicon.ico"},
    {"/(foo|bar)/baz", 1, {"foo"}, 0, "/foo/baz"},
    {"/(?P<year>\\d{4})/(?P<slug>[^/]+)/", 2, {"2024", "hi"}, 0, "/2024/hi/"},
    {"/(a)(b)(c)", 3, {"", "", "z"}, 0, "/z"},
    {"/\\(x\\)/()", 1, {"q"}, 0, "/(x)/q"},
    {"/story/([0-9]+)", 0, {NULL}, TN_EINVAL, NULL},
    {"/story/([0-9]+)", 2, {"1", "2"}, TN_EINVAL, NULL},
    {"/page/?", 0, {NULL}, TN_EINVAL, NULL},
    {"/(?:a|b)/x", 0, {NULL}, TN_EINVAL, NULL},
    {"/a|/b", 0, {NULL}, TN_EINVAL, NULL},
    {"/[ab]/(x)", 1, {"1"}, TN_EINVAL, NULL},
    {"/\\d/(x)", 1, {"1"}, TN_EINVAL, NULL},
    {"/((a)b)", 2, {"1", "2"}, TN_EINVAL, NULL},
    {"/(a)+", 1, {"1"}, TN_EINVAL, NULL},
    {"/x{2}", 0, {NULL}, TN_EINVAL, NULL},
};

TEST(route_reverse) {
    for (size_t i = 0; i < COUNT(route_rev_rows); i++) {
        const route_rev *r = &route_rev_rows[i];
        tn_route_pattern *p;
        CHECK_OK(tn_route_compile(&p, r->pattern));
        tn_buf out = {0};
        CHECK_OK(tn_buf_append_str(&out, "http://h"));  // appends after what is there
        int rc = tn_route_reverse(p, r->args, r->nargs, &out);
        if (rc != r->result) tt_fail(__FILE__, __LINE__, "reverse \"%s\": %d, expected %d", r->pattern, rc, r->result);
        if (r->path) {
            CHECK_MEM(out.data, 8, "http://h", 8);
            CHECK_MEM(out.data + 8, out.len - 8, r->path, strlen(r->path));
            // What reverse builds, the pattern matches (with args that fit it).
            if (r->nargs == 0 || strcmp(r->args[0], "7") == 0 || strcmp(r->args[0], "42") == 0)
                CHECK(tn_route_match(p, out.data + 8, out.len - 8, NULL, 0) >= 0);
        }
        tn_buf_free(&out);
        tn_route_free(p);
    }
}

// (a*)*b on 10 KB of 'a' has exponentially many ways to fail: the budget
// stops it, reports no match and logs once per pattern.
TEST(route_pathological_pattern_is_bounded) {
    tn_log_set_cb(route_capture, NULL);
    static char path[10241];
    memset(path, 'a', 10240);
    const char *evil[] = {"(a*)*b", "(a|a)*b", "(?:a+)+b", "(a|aa)+b", "(.*)(.*)(.*)(.*)(.*)b", "(?:a?){50}a{50}b"};
    for (size_t i = 0; i < COUNT(evil); i++) {
        tn_route_pattern *p;
        CHECK_OK(tn_route_compile(&p, evil[i]));
        route_log.n = 0;
        CHECK_INT(tn_route_match(p, path, 10240, NULL, 0), -1);
        CHECK_INT(tn_route_match(p, path, 10240, NULL, 0), -1);
        CHECK_INT(route_log.n, 1);
        CHECK(strstr(route_log.msg, "too many steps") != NULL);
        // Short paths still match normally.
        CHECK_INT(tn_route_match(p, "aaab", 4, NULL, 0) >= 0 || i == 5, 1);
        tn_route_free(p);
    }
    tn_log_set_cb(NULL, NULL);
}

// The budget grows with the path: long legitimate paths still match.
TEST(route_long_paths_match) {
    size_t n = 300000;
    char *path = (char *)malloc(n);
    CHECK(path != NULL);
    memcpy(path, "/static/", 8);
    for (size_t i = 8; i < n; i++) path[i] = i % 50 ? 'x' : '/';
    tn_route_pattern *p;
    CHECK_OK(tn_route_compile(&p, "/static/(.*)"));
    tn_str g[1];
    CHECK_INT(tn_route_match(p, path, n, g, 1), 1);
    CHECK(g[0].ptr == path + 8 && g[0].len == n - 8);
    tn_route_free(p);
    CHECK_OK(tn_route_compile(&p, "/static/(.*)/([^/]*)"));
    tn_str g2[2];
    CHECK_INT(tn_route_match(p, path, n, g2, 2), 2);
    CHECK(g2[1].ptr + g2[1].len == path + n);
    tn_route_free(p);
    free(path);
}

// A compiled pattern is one block, and matching a route allocates nothing
// (the design's "no allocation per request in the steady state").
TEST(route_one_block_and_no_allocation_per_match) {
    tn_mem_stats before = tn_mem_get_stats();
    tn_route_pattern *p;
    CHECK_OK(tn_route_compile(&p, "/(?P<year>\\d{4})/(?:news|blog)/(?P<slug>[^/]+)/?"));
    tn_mem_stats compiled = tn_mem_get_stats();
    CHECK_INT(compiled.live - before.live, 1);
    tn_str g[2];
    const char *path = "/2024/blog/hello-world/";
    for (int i = 0; i < 100; i++) CHECK_INT(tn_route_match(p, path, strlen(path), g, 2), 2);
    CHECK_INT(tn_route_match(p, "/2024/x/y", 9, g, 2), -1);
    CHECK_INT(tn_mem_get_stats().allocs, compiled.allocs);
    tn_route_free(p);
    CHECK_INT(tn_mem_get_stats().live, before.live);
}
