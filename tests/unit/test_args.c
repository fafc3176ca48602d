// Floor 4: query strings and urlencoded bodies.
#include "test.h"

#define CHECK_VIEW(v, lit) CHECK_MEM((v).ptr, (v).len, (lit), strlen(lit))

static void parse_ok(tn_args *a, const char *qs) {
    CHECK_OK(tn_args_parse(a, qs, strlen(qs), NULL));
}

TEST(args_parse_blank_values) {
    tn_args a = {0};
    parse_ok(&a, "a=1&b=&c");
    CHECK_INT(a.count, 3);
    CHECK_VIEW(*tn_args_get(&a, "a"), "1");
    CHECK_VIEW(*tn_args_get(&a, "b"), "");
    CHECK_VIEW(*tn_args_get(&a, "c"), "");
    CHECK(tn_args_get(&a, "d") == NULL);
    CHECK_INT(tn_args_count(&a, "d"), 0);
    tn_args_free(&a);
    CHECK(a.count == 0 && a.items == NULL);
}

TEST(args_parse_table) {
    // Each case: input, then the expected name/value pairs joined as "n=v|".
    static const struct { const char *in, *want; } cases[] = {
        {"", ""},
        {"&", ""},
        {"&&a=1&&", "a=1|"},              // empty pairs are skipped
        {"a=1&a=2", "a=1|a=2|"},
        {"a=1;b=2", "a=1;b=2|"},          // only "&" separates (Python 3.9.2+)
        {"=", "=|"},                      // empty name kept, as parse_qs
        {"=x", "=x|"},
        {"a==b", "a==b|"},                // the first "=" splits
        {"a+b=c+d", "a b=c d|"},
        {"a%20b=c%2Bd", "a b=c+d|"},
        {"%3D=%26", "==&|"},
        {"x=%zz%4", "x=%zz%4|"},          // malformed escapes kept
        {"k=%E2%82%AC", "k=\xe2\x82\xac|"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tn_args a = {0};
        parse_ok(&a, cases[i].in);
        tn_buf b = {0};
        for (size_t k = 0; k < a.count; k++)
            CHECK_OK(tn_buf_appendf(&b, "%.*s=%.*s|", (int)a.items[k].name.len, a.items[k].name.ptr,
                                    (int)a.items[k].value.len, a.items[k].value.ptr));
        CHECK_MEM(b.data ? b.data : "", b.len, cases[i].want, strlen(cases[i].want));
        tn_buf_free(&b);
        tn_args_free(&a);
    }
}

TEST(args_last_value_wins_and_iteration) {
    tn_args a = {0};
    parse_ok(&a, "x=1&y=2&x=3");
    parse_ok(&a, "x=4");  // appendable: query then body, as Tornado merges them
    CHECK_VIEW(*tn_args_get(&a, "x"), "4");
    CHECK_INT(tn_args_count(&a, "x"), 3);
    tn_str all[2];
    CHECK_INT(tn_args_get_all(&a, "x", all, 2), 3);  // reports the full count
    CHECK_VIEW(all[0], "1");
    CHECK_VIEW(all[1], "3");
    size_t pos = 0;
    const tn_str *v;
    const char *want[] = {"1", "3", "4"};
    int n = 0;
    while ((v = tn_args_next(&a, "x", &pos)) != NULL) {
        CHECK(n < 3);
        CHECK_VIEW(*v, want[n]);
        n++;
    }
    CHECK_INT(n, 3);
    CHECK(tn_args_next(&a, "x", &pos) == NULL);  // stays at the end
    tn_args_free(&a);
}

TEST(args_field_limit_is_an_error) {
    tn_args a = {0};
    tn_args_limits lim = {3};
    parse_ok(&a, "keep=1");
    CHECK_OK(tn_args_parse(&a, "a&b&c", 5, &lim));
    CHECK_INT(tn_args_parse(&a, "a&b&c&d", 7, &lim), TN_ERANGE);
    CHECK_INT(a.count, 4);  // the failed call added nothing
    CHECK_OK(tn_args_parse(&a, "a&&&b&&c&", 9, &lim));  // empty pairs do not count
    // The default limit is 1000 fields per call.
    tn_buf b = {0};
    for (int i = 0; i < 1000; i++) CHECK_OK(tn_buf_appendf(&b, "f%d=%d&", i, i));
    tn_args big = {0};
    CHECK_OK(tn_args_parse(&big, b.data, b.len, NULL));
    CHECK_INT(big.count, 1000);
    CHECK_OK(tn_buf_append_str(&b, "one=more"));
    CHECK_INT(tn_args_parse(&big, b.data, b.len, NULL), TN_ERANGE);
    CHECK_INT(big.count, 1000);
    tn_buf_free(&b);
    tn_args_free(&big);
    tn_args_free(&a);
}

TEST(args_add_copies) {
    tn_args a = {0};
    char name[] = "n", value[] = "v+%20";
    tn_str n = {name, 1}, v = {value, 5};
    CHECK_OK(tn_args_add(&a, n, v));
    name[0] = 'X';
    value[0] = 'X';
    CHECK_VIEW(*tn_args_get(&a, "n"), "v+%20");  // copied, not decoded
    tn_str empty = {NULL, 0};
    CHECK_OK(tn_args_add(&a, empty, empty));
    CHECK_VIEW(*tn_args_get(&a, ""), "");
    tn_args_free(&a);
}

TEST(args_input_is_copied) {
    char qs[] = "a=%41";
    tn_args a = {0};
    CHECK_OK(tn_args_parse(&a, qs, strlen(qs), NULL));
    CHECK_STR(qs, "a=%41");  // the caller's buffer is untouched
    memset(qs, 'z', sizeof qs - 1);
    CHECK_VIEW(*tn_args_get(&a, "a"), "A");
    tn_args_free(&a);
}

TEST(args_values_and_names_are_c_strings) {
    tn_args a = {0};
    CHECK_OK(tn_args_parse(&a, "na%41me=%41b+c&flag&x=1", 23, NULL));
    CHECK_OK(tn_args_add(&a, tn_str_c("added"), tn_str_c("value")));
    for (size_t i = 0; i < a.count; i++) {
        CHECK(a.items[i].name.ptr[a.items[i].name.len] == '\0');
        CHECK(a.items[i].value.ptr[a.items[i].value.len] == '\0');
    }
    CHECK_STR(tn_args_get(&a, "naAme")->ptr, "Ab c");
    CHECK_STR(tn_args_get(&a, "flag")->ptr, "");
    CHECK_STR(tn_args_get(&a, "added")->ptr, "value");
    tn_args_free(&a);
}
