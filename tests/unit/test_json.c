// Floor 6: the JSON writer and the strict reader.
#include "test.h"
#include <math.h>
#include <stdlib.h>

// ---- helpers

// Parses a whole text of `len` bytes (strlen when len is 0).
static int jparse(tn_json_doc *d, const char *text, size_t len) {
    return tn_json_parse(d, text, len ? len : strlen(text), NULL);
}

// write(parse(text)) into out; returns the parse or write error.
static int jroundtrip(const char *text, size_t len, tn_buf *out) {
    tn_json_doc d;
    int r = jparse(&d, text, len);
    if (r) return r;
    tn_json_writer w;
    tn_json_writer_init(&w, out);
    tn_json_write_value(&w, d.root);
    r = tn_json_writer_finish(&w);
    tn_json_doc_free(&d);
    return r;
}

// ---- valid documents: parse, then write back to the canonical form

static const struct {
    const char *name, *text, *canon;
} y_cases[] = {
    {"y_empty_array", "[]", "[]"},
    {"y_empty_object", "{}", "{}"},
    {"y_empty_containers_ws", "[ { } , [ ] , { \"a\" : [ ] } ]", "[{},[],{\"a\":[]}]"},
    {"y_all_whitespace_kinds", " \t\r\n[\t1\r,\n2 ] \n\t\r", "[1,2]"},
    {"y_nested", "[[[[[[\"deep\"]]]]]]", "[[[[[[\"deep\"]]]]]]"},
    {"y_object_order_kept", "{\"z\":1,\"a\":2,\"m\":3}", "{\"z\":1,\"a\":2,\"m\":3}"},
    {"y_duplicate_keys_kept", "{\"a\":1,\"a\":2}", "{\"a\":1,\"a\":2}"},
    {"y_empty_key", "{\"\":\"\"}", "{\"\":\"\"}"},
    {"y_top_null", "null", "null"},
    {"y_top_true", "true", "true"},
    {"y_top_false", " false ", "false"},
    {"y_top_number", "-12.5e+3", "-12.5e+3"},
    {"y_top_string", "\"hi\"", "\"hi\""},
    {"y_short_escapes", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\\"\\\\/\\b\\f\\n\\r\\t\""},
    {"y_unicode_escape_bmp", "\"\\u00e9\\u65E5\"", "\"\xc3\xa9\xe6\x97\xa5\""},
    {"y_surrogate_pair", "\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\""},
    {"y_utf8_raw", "\"\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xc3\xa9\"", "\"\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xc3\xa9\""},
    {"y_u2028_kept_escaped", "\"\\u2028\xe2\x80\xa9\"", "\"\\u2028\\u2029\""},
    {"y_nul_escape", "\"a\\u0000b\"", "\"a\\u0000b\""},
    {"y_control_escapes", "\"\\u0001\\u001F\\u007f\"", "\"\\u0001\\u001f\x7f\""},
    {"y_script_close", "[\"</script>\",\"<\\/b>\"]", "[\"<\\/script>\",\"<\\/b>\"]"},
    {"y_big_integer", "123456789012345678901234567890", "123456789012345678901234567890"},
    {"y_numbers", "[0,-0,1.5,-1.5e10,1E+2,1e-2,0.0,1e308,1e309]", "[0,-0,1.5,-1.5e10,1E+2,1e-2,0.0,1e308,1e309]"},
    {"y_int64_edges", "[9223372036854775807,-9223372036854775808]", "[9223372036854775807,-9223372036854775808]"},
    {"y_chat_message", "{\"messages\": [{\"id\": \"5c1e\", \"body\": \"hi <b>\"}]}",
     "{\"messages\":[{\"id\":\"5c1e\",\"body\":\"hi <b>\"}]}"},
};

TEST(json_valid_documents_parse_and_write_canonically) {
    for (size_t i = 0; i < sizeof y_cases / sizeof y_cases[0]; i++) {
        tn_buf out = {0};
        int r = jroundtrip(y_cases[i].text, 0, &out);
        if (r) printf("  case %s\n", y_cases[i].name);
        CHECK_OK(r);
        if (strcmp(out.data, y_cases[i].canon) != 0) printf("  case %s\n", y_cases[i].name);
        CHECK_MEM(out.data, out.len, y_cases[i].canon, strlen(y_cases[i].canon));
        // The canonical form is a fixed point.
        tn_buf again = {0};
        CHECK_OK(jroundtrip(out.data, out.len, &again));
        CHECK_MEM(again.data, again.len, out.data, out.len);
        tn_buf_free(&again);
        tn_buf_free(&out);
    }
}

// ---- invalid documents: each strictness rule, with the error position

static const struct {
    const char *name, *text;
    size_t len;  // 0: strlen
    size_t offset;
    const char *msg;  // start of the error message
} n_cases[] = {
    {"n_empty", "", 0, 0, "unexpected end of input"},
    {"n_only_ws", " \n", 0, 2, "unexpected end of input"},
    {"n_trailing_comma_array", "[1,]", 0, 3, "unexpected character"},
    {"n_trailing_comma_object", "{\"a\":1,}", 0, 7, "unexpected character"},
    {"n_double_comma", "[1,,2]", 0, 3, "unexpected character"},
    {"n_missing_comma", "[1 2]", 0, 3, "unexpected character"},
    {"n_missing_comma_object", "{\"a\":1 \"b\":2}", 0, 7, "unexpected character"},
    {"n_block_comment", "/*c*/1", 0, 0, "unexpected character"},
    {"n_line_comment", "1 // c", 0, 2, "unexpected character"},
    {"n_leading_zero", "01", 0, 1, "unexpected character"},
    {"n_neg_leading_zero", "-01", 0, 2, "unexpected character"},
    {"n_plus", "+1", 0, 0, "unexpected character"},
    {"n_leading_dot", ".5", 0, 0, "unexpected character"},
    {"n_trailing_dot", "1.", 0, 2, "unexpected end of input"},
    {"n_dot_exponent", "[1.e1]", 0, 3, "unexpected character"},
    {"n_empty_exponent", "1e", 0, 2, "unexpected end of input"},
    {"n_sign_only_exponent", "[1e+]", 0, 4, "unexpected character"},
    {"n_minus_only", "[-]", 0, 2, "unexpected character"},
    {"n_hex", "0x10", 0, 1, "unexpected character"},
    {"n_nan", "NaN", 0, 0, "unexpected character"},
    {"n_infinity", "[-Infinity]", 0, 2, "unexpected character"},
    {"n_single_quotes", "['a']", 0, 1, "unexpected character"},
    {"n_unquoted_key", "{a:1}", 0, 1, "unexpected character"},
    {"n_missing_colon", "{\"a\" 1}", 0, 5, "unexpected character"},
    {"n_missing_value", "{\"a\":}", 0, 5, "unexpected character"},
    {"n_wrong_close", "[}", 0, 1, "unexpected character"},
    {"n_wrong_close_object", "{\"a\":1]", 0, 6, "unexpected character"},
    {"n_raw_control_char", "[\"a\x01\"]", 0, 3, "unescaped control character"},
    {"n_raw_tab_in_string", "\"\t\"", 0, 1, "unescaped control character"},
    {"n_raw_newline_in_string", "\"a\nb\"", 0, 2, "unescaped control character"},
    {"n_raw_nul_in_string", "\"a\0b\"", 5, 2, "unescaped control character"},
    {"n_bad_escape", "\"\\x41\"", 0, 1, "invalid escape"},
    {"n_short_unicode_escape", "\"\\u12\"", 0, 1, "invalid escape"},
    {"n_bad_hex_escape", "\"\\u12G4\"", 0, 1, "invalid escape"},
    {"n_escaped_newline", "\"\\\n\"", 0, 1, "invalid escape"},
    {"n_lone_high_surrogate", "\"\\ud800\"", 0, 1, "unpaired surrogate"},
    {"n_lone_low_surrogate", "\"a\\udc00\"", 0, 2, "unpaired surrogate"},
    {"n_high_then_bmp", "\"\\ud800\\u0041\"", 0, 1, "unpaired surrogate"},
    {"n_two_high_surrogates", "\"\\ud800\\ud800\"", 0, 1, "unpaired surrogate"},
    {"n_utf8_stray_continuation", "\"\x80\"", 0, 1, "invalid UTF-8"},
    {"n_utf8_ff", "[\"\xff\"]", 0, 2, "invalid UTF-8"},
    {"n_utf8_overlong", "\"\xc0\x80\"", 0, 1, "invalid UTF-8"},
    {"n_utf8_overlong3", "\"\xe0\x80\xaf\"", 0, 1, "invalid UTF-8"},
    {"n_utf8_encoded_surrogate", "\"\xed\xa0\x80\"", 0, 1, "invalid UTF-8"},
    {"n_utf8_above_10ffff", "\"\xf4\x90\x80\x80\"", 0, 1, "invalid UTF-8"},
    {"n_utf8_truncated", "\"\xe6\x97\"", 0, 1, "invalid UTF-8"},
    {"n_utf8_in_key", "{\"\xc3\":1}", 0, 2, "invalid UTF-8"},
    {"n_two_values", "1 2", 0, 2, "unexpected character"},
    {"n_trailing_garbage", "[1]x", 0, 3, "unexpected character"},
    {"n_trailing_nul", "{}\0", 3, 2, "unexpected character"},
    {"n_truncated_literal", "nul", 0, 3, "unexpected end of input"},
    {"n_wrong_literal", "nulL", 0, 3, "unexpected character"},
    {"n_capital_true", "True", 0, 0, "unexpected character"},
    {"n_bom", "\xef\xbb\xbf[]", 0, 0, "unexpected character"},
    {"n_vertical_tab_ws", "\v[]", 0, 0, "unexpected character"},
    {"n_form_feed_ws", "[1,\f2]", 0, 3, "unexpected character"},
    {"n_nbsp_ws", "[\xc2\xa0]", 0, 1, "unexpected character"},
    {"n_unterminated_string", "\"abc", 0, 4, "unexpected end of input"},
    {"n_escape_at_end", "\"abc\\\"", 0, 6, "unexpected end of input"},
    {"n_exponent_fraction", "1e5.5", 0, 3, "unexpected character"},
    {"n_array_as_key", "{[]:1}", 0, 1, "unexpected character"},
};

TEST(json_invalid_documents_fail_with_position) {
    for (size_t i = 0; i < sizeof n_cases / sizeof n_cases[0]; i++) {
        tn_json_doc d;
        const char *t = n_cases[i].text;
        size_t len = n_cases[i].len ? n_cases[i].len : strlen(t);
        int r = tn_json_parse(&d, t, len, NULL);
        if (r != TN_EPARSE || d.error_offset != n_cases[i].offset ||
            strncmp(d.error, n_cases[i].msg, strlen(n_cases[i].msg)) != 0)
            printf("  case %s: rc %d, \"%s\"\n", n_cases[i].name, r, d.error);
        CHECK_INT(r, TN_EPARSE);
        CHECK_INT(d.error_offset, n_cases[i].offset);
        CHECK(strncmp(d.error, n_cases[i].msg, strlen(n_cases[i].msg)) == 0);
        CHECK(d.root == NULL);
        tn_json_doc_free(&d);  // harmless after a failure
    }
}

TEST(json_error_message_format) {
    tn_json_doc d;
    CHECK_INT(jparse(&d, "{\"abc\": 12, x}", 0), TN_EPARSE);
    CHECK_STR(d.error, "unexpected character at 12");
    CHECK_INT(d.error_offset, 12);
}

// Every proper prefix of these documents is invalid: it must fail at its end.
static const char *const prefix_docs[] = {
    "{\"messages\":[{\"id\":\"a1\",\"body\":\"h\\u00e9 \\ud83d\\ude00 \\\"x\\\"\"}],\"n\":-12.5e+3}",
    "[true, false, null, 0, -0.5, 1E-7, \"\xe6\x97\xa5\", {\"k\" : [ ] }, {}]",
    "\"a\\n\\u0041\\/\"",
};

TEST(json_every_prefix_of_a_valid_document_fails_at_its_end) {
    for (size_t k = 0; k < sizeof prefix_docs / sizeof prefix_docs[0]; k++) {
        const char *t = prefix_docs[k];
        size_t n = strlen(t);
        for (size_t cut = 0; cut < n; cut++) {
            // A heap copy of exactly `cut` bytes lets ASan catch any over-read.
            char *p = (char *)malloc(cut ? cut : 1);
            memcpy(p, t, cut);
            tn_json_doc d;
            int r = tn_json_parse(&d, p, cut, NULL);
            free(p);
            if (r != TN_EPARSE || d.error_offset != cut) printf("  doc %zu cut %zu: %s\n", k, cut, d.error);
            CHECK_INT(r, TN_EPARSE);
            CHECK_INT(d.error_offset, cut);
            CHECK(strncmp(d.error, "unexpected end of input", 23) == 0);
        }
        tn_json_doc d;
        CHECK_OK(jparse(&d, t, n));
        tn_json_doc_free(&d);
    }
}

// ---- limits

// `depth` nested arrays around nothing.
static char *nested(int depth) {
    char *s = (char *)malloc((size_t)depth * 2 + 1);
    memset(s, '[', (size_t)depth);
    memset(s + depth, ']', (size_t)depth);
    s[2 * depth] = '\0';
    return s;
}

TEST(json_depth_64_passes_65_fails) {
    tn_json_doc d;
    char *ok = nested(64), *deep = nested(65);
    CHECK_OK(jparse(&d, ok, 0));
    tn_json_doc_free(&d);
    CHECK_INT(jparse(&d, deep, 0), TN_EPARSE);
    CHECK_STR(d.error, "nesting deeper than 64 at 64");
    free(ok);
    free(deep);
    // Objects count the same way.
    char obj[65 * 6 + 2];
    size_t n = 0;
    for (int i = 0; i < 65; i++) n += (size_t)sprintf(obj + n, "{\"a\":");
    obj[n++] = '1';
    for (int i = 0; i < 65; i++) obj[n++] = '}';
    obj[n] = '\0';
    CHECK_INT(jparse(&d, obj, 0), TN_EPARSE);
    CHECK(strncmp(d.error, "nesting deeper than 64", 22) == 0);
    CHECK_OK(jparse(&d, strstr(obj, "{") + 5, n - 6));  // 64 levels
    tn_json_doc_free(&d);
}

TEST(json_depth_option) {
    tn_json_doc d;
    tn_json_opts o = {0};
    o.max_depth = 2;
    CHECK_OK(tn_json_parse(&d, "[[1]]", 5, &o));
    tn_json_doc_free(&d);
    CHECK_INT(tn_json_parse(&d, "[[[1]]]", 7, &o), TN_EPARSE);
    CHECK_INT(d.error_offset, 2);
    // The reader does not recurse in C: 100000 levels parse.
    o.max_depth = 100000;
    size_t levels = 50000, n = 0;
    char *deep = (char *)malloc(levels * 7 + 2);
    for (size_t i = 0; i < levels; i++) { memcpy(deep + n, "[{\"\":", 5); n += 5; }
    deep[n++] = '0';
    for (size_t i = 0; i < levels; i++) { memcpy(deep + n, "}]", 2); n += 2; }
    CHECK_OK(tn_json_parse(&d, deep, n, &o));
    // The writer's own limit is TN_JSON_MAX_DEPTH: writing it back is refused.
    tn_buf out = {0};
    tn_json_writer w;
    tn_json_writer_init(&w, &out);
    CHECK_INT(tn_json_write_value(&w, d.root), TN_EINVAL);
    CHECK_INT(tn_json_writer_finish(&w), TN_EINVAL);
    CHECK_INT(out.len, 0);
    tn_buf_free(&out);
    tn_json_doc_free(&d);
    free(deep);
}

TEST(json_max_size_option) {
    tn_json_doc d;
    tn_json_opts o = {0};
    o.max_size = 7;
    CHECK_OK(tn_json_parse(&d, "[1,2,3]", 7, &o));
    tn_json_doc_free(&d);
    CHECK_INT(tn_json_parse(&d, "[1,2,30]", 8, &o), TN_EMSGSIZE);
    CHECK(d.root == NULL);
    CHECK_STR(d.error, "input larger than 7 bytes");
    // The default is TN_DEFAULT_JSON_MAX_SIZE.
    size_t big = TN_DEFAULT_JSON_MAX_SIZE + 1;
    char *s = (char *)malloc(big);
    memset(s, ' ', big);
    s[0] = '0';
    CHECK_INT(tn_json_parse(&d, s, big, NULL), TN_EMSGSIZE);
    CHECK_OK(tn_json_parse(&d, s, big - 1, NULL));
    tn_json_doc_free(&d);
    free(s);
}

// ---- accessors

TEST(json_accessors_on_a_chat_document) {
    const char *t = "{\"messages\":[{\"id\":\"1\",\"body\":\"hi\"},{\"id\":\"2\",\"body\":\"yo\"}],"
                    "\"cursor\":null,\"ok\":true,\"no\":false,\"n\":3}";
    tn_json_doc d;
    CHECK_OK(jparse(&d, t, 0));
    CHECK_INT(tn_json_type(d.root), TN_JSON_OBJECT);
    CHECK_INT(tn_json_len(d.root), 5);
    const tn_json_value *msgs = tn_json_get(d.root, "messages");
    CHECK_INT(tn_json_type(msgs), TN_JSON_ARRAY);
    CHECK_INT(tn_json_len(msgs), 2);
    tn_str body = tn_json_str(tn_json_get(tn_json_at(msgs, 1), "body"));
    CHECK_MEM(body.ptr, body.len, "yo", 2);
    CHECK_INT(body.ptr[2], 0);  // NUL-terminated
    CHECK_INT(tn_json_type(tn_json_get(d.root, "cursor")), TN_JSON_NULL);
    CHECK(tn_json_bool(tn_json_get(d.root, "ok")));
    CHECK(!tn_json_bool(tn_json_get(d.root, "no")));
    CHECK_INT(tn_json_type(tn_json_get(d.root, "no")), TN_JSON_BOOL);
    int64_t n = 0;
    CHECK_OK(tn_json_int(tn_json_get(d.root, "n"), &n));
    CHECK_INT(n, 3);
    // Member iteration in document order.
    const char *keys[] = {"messages", "cursor", "ok", "no", "n"};
    for (size_t i = 0; i < 5; i++) CHECK(tn_str_eq(tn_json_key_at(d.root, i), keys[i]));
    CHECK(tn_json_at(d.root, 4) == tn_json_get(d.root, "n"));
    CHECK(tn_json_key_at(d.root, 5).ptr == NULL);
    CHECK(tn_json_key_at(msgs, 0).ptr == NULL);  // arrays have no keys
    // Missing values answer "none" all along a chain.
    CHECK(tn_json_get(d.root, "missing") == NULL);
    CHECK(tn_json_at(msgs, 2) == NULL);
    CHECK(tn_json_get(tn_json_get(d.root, "missing"), "x") == NULL);
    CHECK_INT(tn_json_type(NULL), TN_JSON_NONE);
    CHECK_INT(tn_json_len(NULL), 0);
    CHECK(tn_json_str(msgs).ptr == NULL);
    CHECK(tn_json_get(msgs, "id") == NULL);
    CHECK_INT(tn_json_int(NULL, &n), TN_EINVAL);
    CHECK_INT(tn_json_int(tn_json_get(d.root, "ok"), &n), TN_EINVAL);
    double x = 0;
    CHECK_INT(tn_json_num(msgs, &x), TN_EINVAL);
    CHECK(!tn_json_bool(NULL));
    tn_json_doc_free(&d);
    tn_json_doc_free(&d);  // twice is harmless
}

TEST(json_duplicate_keys_lookup_returns_last) {
    tn_json_doc d;
    CHECK_OK(jparse(&d, "{\"a\":1,\"b\":2,\"a\":3}", 0));
    int64_t v = 0;
    CHECK_OK(tn_json_int(tn_json_get(d.root, "a"), &v));
    CHECK_INT(v, 3);
    CHECK_INT(tn_json_len(d.root), 3);
    CHECK_OK(tn_json_int(tn_json_at(d.root, 0), &v));
    CHECK_INT(v, 1);
    tn_json_doc_free(&d);
}

TEST(json_strings_with_nul_and_keys_with_escapes) {
    tn_json_doc d;
    CHECK_OK(jparse(&d, "{\"k\\u0000ey\":\"a\\u0000b\",\"\\u00e9\":\"\\ud83d\\ude00\"}", 0));
    const tn_json_value *v = tn_json_getn(d.root, "k\0ey", 4);
    tn_str s = tn_json_str(v);
    CHECK_MEM(s.ptr, s.len, "a\0b", 3);
    CHECK_INT(tn_json_len(v), 3);
    CHECK(tn_json_get(d.root, "k") == NULL);
    s = tn_json_str(tn_json_get(d.root, "\xc3\xa9"));
    CHECK_MEM(s.ptr, s.len, "\xf0\x9f\x98\x80", 4);
    tn_json_doc_free(&d);
}

TEST(json_document_outlives_its_input) {
    char *text = strdup("{\"body\":\"kept\",\"n\":12}");
    tn_json_doc d;
    CHECK_OK(jparse(&d, text, 0));
    memset(text, 'x', strlen(text));
    free(text);
    tn_str s = tn_json_str(tn_json_get(d.root, "body"));
    CHECK_MEM(s.ptr, s.len, "kept", 4);
    s = tn_json_num_text(tn_json_get(d.root, "n"));
    CHECK_MEM(s.ptr, s.len, "12", 2);
    tn_json_doc_free(&d);
}

TEST(json_large_document_spans_arena_blocks) {
    tn_buf b = {0};
    tn_buf_append_str(&b, "[");
    for (int i = 0; i < 20000; i++) tn_buf_appendf(&b, "%s{\"i\":%d,\"s\":\"v%d\"}", i ? "," : "", i, i);
    tn_buf_append_str(&b, "]");
    tn_json_doc d;
    CHECK_OK(jparse(&d, b.data, b.len));
    CHECK_INT(tn_json_len(d.root), 20000);
    int64_t v = 0;
    CHECK_OK(tn_json_int(tn_json_get(tn_json_at(d.root, 12345), "i"), &v));
    CHECK_INT(v, 12345);
    tn_str s = tn_json_str(tn_json_get(tn_json_at(d.root, 19999), "s"));
    CHECK_MEM(s.ptr, s.len, "v19999", 6);
    tn_buf out = {0};
    tn_json_writer w;
    tn_json_writer_init(&w, &out);
    tn_json_write_value(&w, d.root);
    CHECK_OK(tn_json_writer_finish(&w));
    CHECK_MEM(out.data, out.len, b.data, b.len);
    tn_buf_free(&out);
    tn_buf_free(&b);
    tn_json_doc_free(&d);
}

// ---- numbers

static const struct {
    const char *text;
    int rc;
    int64_t v;
} int_cases[] = {
    {"0", 0, 0},
    {"-0", 0, 0},
    {"42", 0, 42},
    {"-42", 0, -42},
    {"9223372036854775807", 0, INT64_MAX},
    {"-9223372036854775808", 0, INT64_MIN},
    {"9223372036854775808", TN_ERANGE, 0},
    {"-9223372036854775809", TN_ERANGE, 0},
    {"18446744073709551616", TN_ERANGE, 0},
    {"123456789012345678901234567890", TN_ERANGE, 0},
    {"1e3", 0, 1000},
    {"2.0", 0, 2},
    {"100e-2", 0, 1},
    {"0.000e5", 0, 0},
    {"922337203685477580.7e1", 0, INT64_MAX},
    {"1E18", 0, 1000000000000000000LL},
    {"-1e18", 0, -1000000000000000000LL},
    {"1e19", TN_ERANGE, 0},
    {"1.5", TN_ERANGE, 0},
    {"1e-2", TN_ERANGE, 0},
    {"1e309", TN_ERANGE, 0},
    {"1e-99999999999999999999", TN_ERANGE, 0},
    {"0e99999999999999999999", 0, 0},
    {"1e99999999999999999999", TN_ERANGE, 0},
};

TEST(json_int_accessor_is_exact) {
    for (size_t i = 0; i < sizeof int_cases / sizeof int_cases[0]; i++) {
        tn_json_doc d;
        CHECK_OK(jparse(&d, int_cases[i].text, 0));
        int64_t v = 7;
        int r = tn_json_int(d.root, &v);
        if (r != int_cases[i].rc) printf("  case %s\n", int_cases[i].text);
        CHECK_INT(r, int_cases[i].rc);
        CHECK(v == (r ? 7 : int_cases[i].v));  // untouched on error
        tn_json_doc_free(&d);
    }
}

TEST(json_num_accessor_ranges) {
    static const struct {
        const char *text;
        int rc;
        double v;
    } cases[] = {
        {"0.1", 0, 0.1},
        {"1e308", 0, 1e308},
        {"-1.7976931348623157e308", 0, -1.7976931348623157e308},
        {"1e309", TN_ERANGE, HUGE_VAL},      // overflow: infinity and an error
        {"-1e309", TN_ERANGE, -HUGE_VAL},
        {"1e-400", 0, 0.0},                  // underflow is not an error
        {"5e-324", 0, 5e-324},
        {"123456789012345678901234567890", 0, 1.2345678901234568e29},
        {"9007199254740993", 0, 9007199254740992.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tn_json_doc d;
        CHECK_OK(jparse(&d, cases[i].text, 0));
        double v = 0;
        CHECK_INT(tn_json_num(d.root, &v), cases[i].rc);
        CHECK(v == cases[i].v);
        tn_json_doc_free(&d);
    }
    tn_json_doc d;
    CHECK_OK(jparse(&d, "-0", 0));
    double z = 1;
    CHECK_OK(tn_json_num(d.root, &z));
    CHECK(z == 0 && signbit(z));
    tn_str t = tn_json_num_text(d.root);
    CHECK_MEM(t.ptr, t.len, "-0", 2);
    tn_json_doc_free(&d);
}

// ---- writer

// Runs one writer script; returns finish()'s result, output in *out.
typedef void (*jw_script)(tn_json_writer *w);

static int jw_run(jw_script f, tn_buf *out) {
    tn_json_writer w;
    tn_json_writer_init(&w, out);
    f(&w);
    return tn_json_writer_finish(&w);
}

static void jw_chat(tn_json_writer *w) {
    tn_json_write_object_begin(w);
    tn_json_write_key(w, "messages", 8);
    tn_json_write_array_begin(w);
    tn_json_write_object_begin(w);
    tn_json_write_key(w, "id", 2);
    tn_json_write_str(w, "5c1e", 4);
    tn_json_write_key(w, "body", 4);
    tn_json_write_str(w, "hi", 2);
    tn_json_write_object_end(w);
    tn_json_write_array_end(w);
    tn_json_write_key(w, "n", 1);
    tn_json_write_int(w, -3);
    tn_json_write_key(w, "ok", 2);
    tn_json_write_bool(w, true);
    tn_json_write_key(w, "no", 2);
    tn_json_write_bool(w, false);
    tn_json_write_key(w, "x", 1);
    tn_json_write_null(w);
    tn_json_write_key(w, "f", 1);
    tn_json_write_double(w, 1.5);
    tn_json_write_key(w, "raw", 3);
    tn_json_write_raw(w, "{\"pre\":[1]}", 11);
    tn_json_write_key(w, "e", 1);
    tn_json_write_array_begin(w);
    tn_json_write_array_end(w);
    tn_json_write_object_end(w);
}

TEST(json_writer_builds_compact_output) {
    tn_buf out = {0};
    CHECK_OK(jw_run(jw_chat, &out));
    CHECK_STR(out.data, "{\"messages\":[{\"id\":\"5c1e\",\"body\":\"hi\"}],\"n\":-3,\"ok\":true,"
                        "\"no\":false,\"x\":null,\"f\":1.5,\"raw\":{\"pre\":[1]},\"e\":[]}");
    tn_buf_free(&out);
}

static void jw_scalar(tn_json_writer *w) { tn_json_write_int(w, 1); }

static void jw_empty_strings(tn_json_writer *w) {
    tn_json_write_object_begin(w);
    tn_json_write_key(w, NULL, 0);
    tn_json_write_str(w, NULL, 0);
    tn_json_write_object_end(w);
}

TEST(json_writer_null_pointer_with_zero_length_is_empty) {
    tn_buf out = {0};
    CHECK_OK(jw_run(jw_empty_strings, &out));
    CHECK_STR(out.data, "{\"\":\"\"}");
    tn_buf_free(&out);
}

TEST(json_writer_appends_to_existing_content) {
    tn_buf out = {0};
    tn_buf_append_str(&out, "data: ");
    CHECK_OK(jw_run(jw_scalar, &out));
    CHECK_STR(out.data, "data: 1");
    tn_buf_free(&out);
}

static const struct {
    const char *in;
    size_t len;
    const char *out;
} str_cases[] = {
    {"</script>", 0, "\"<\\/script>\""},
    {"a</b><</c>", 0, "\"a<\\/b><<\\/c>\""},
    {"a/b < / >/", 0, "\"a/b < / >/\""},
    {"\"q\" \\", 0, "\"\\\"q\\\" \\\\\""},
    {"\x01\b\t\n\x0b\f\r\x1f\x7f", 0, "\"\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f\x7f\""},
    {"a\0b", 3, "\"a\\u0000b\""},
    {"\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80", 0, "\"\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\""},
    {"\xe2\x80\xa8|\xe2\x80\xa9|\xe2\x80\xaa", 0, "\"\\u2028|\\u2029|\xe2\x80\xaa\""},
    {"", 0, "\"\""},
};

TEST(json_writer_escapes_strings) {
    for (size_t i = 0; i < sizeof str_cases / sizeof str_cases[0]; i++) {
        tn_buf out = {0};
        tn_json_writer w;
        tn_json_writer_init(&w, &out);
        const char *s = str_cases[i].in;
        tn_json_write_str(&w, s, str_cases[i].len ? str_cases[i].len : strlen(s));
        CHECK_OK(tn_json_writer_finish(&w));
        CHECK_MEM(out.data, out.len, str_cases[i].out, strlen(str_cases[i].out));
        // Keys are escaped the same way.
        tn_buf_clear(&out);
        tn_json_writer_init(&w, &out);
        tn_json_write_object_begin(&w);
        tn_json_write_key(&w, s, str_cases[i].len ? str_cases[i].len : strlen(s));
        tn_json_write_int(&w, 0);
        tn_json_write_object_end(&w);
        CHECK_OK(tn_json_writer_finish(&w));
        CHECK_MEM(out.data + 1, strlen(str_cases[i].out), str_cases[i].out, strlen(str_cases[i].out));
        tn_buf_free(&out);
    }
}

static void jw_bad_utf8_str(tn_json_writer *w) { tn_json_write_str(w, "ok\xc3(", 4); }
static void jw_bad_utf8_surrogate(tn_json_writer *w) { tn_json_write_str(w, "\xed\xa0\x80", 3); }
static void jw_bad_utf8_truncated(tn_json_writer *w) { tn_json_write_str(w, "\xf0\x9f\x98", 3); }
static void jw_bad_utf8_key(tn_json_writer *w) {
    tn_json_write_object_begin(w);
    tn_json_write_key(w, "\xff", 1);
    tn_json_write_int(w, 1);
    tn_json_write_object_end(w);
}
static void jw_value_without_key(tn_json_writer *w) {
    tn_json_write_object_begin(w);
    tn_json_write_int(w, 1);
    tn_json_write_object_end(w);
}
static void jw_key_in_array(tn_json_writer *w) {
    tn_json_write_array_begin(w);
    tn_json_write_key(w, "a", 1);
    tn_json_write_array_end(w);
}
static void jw_key_at_top(tn_json_writer *w) { tn_json_write_key(w, "a", 1); }
static void jw_two_keys(tn_json_writer *w) {
    tn_json_write_object_begin(w);
    tn_json_write_key(w, "a", 1);
    tn_json_write_key(w, "b", 1);
}
static void jw_dangling_key(tn_json_writer *w) {
    tn_json_write_object_begin(w);
    tn_json_write_key(w, "a", 1);
    tn_json_write_object_end(w);
}
static void jw_end_object_on_array(tn_json_writer *w) {
    tn_json_write_array_begin(w);
    tn_json_write_object_end(w);
}
static void jw_end_array_on_object(tn_json_writer *w) {
    tn_json_write_object_begin(w);
    tn_json_write_array_end(w);
}
static void jw_end_at_top(tn_json_writer *w) {
    tn_json_write_array_begin(w);
    tn_json_write_array_end(w);
    tn_json_write_array_end(w);
}
static void jw_two_top_values(tn_json_writer *w) {
    tn_json_write_int(w, 1);
    tn_json_write_int(w, 2);
}
static void jw_unclosed(tn_json_writer *w) { tn_json_write_array_begin(w); }
static void jw_nothing(tn_json_writer *w) { (void)w; }
static void jw_depth(tn_json_writer *w, int n) {
    for (int i = 0; i < n; i++) tn_json_write_array_begin(w);
    for (int i = 0; i < n; i++) tn_json_write_array_end(w);
}
static void jw_depth_65(tn_json_writer *w) { jw_depth(w, TN_JSON_MAX_DEPTH + 1); }
static void jw_depth_64(tn_json_writer *w) { jw_depth(w, TN_JSON_MAX_DEPTH); }
static void jw_nan(tn_json_writer *w) { tn_json_write_double(w, NAN); }
static void jw_inf(tn_json_writer *w) {
    tn_json_write_array_begin(w);
    tn_json_write_double(w, -HUGE_VAL);
    tn_json_write_array_end(w);
}
static void jw_null_value(tn_json_writer *w) { tn_json_write_value(w, NULL); }
// The first error sticks: later good calls report it and write nothing.
static void jw_error_sticks(tn_json_writer *w) {
    tn_json_write_key(w, "a", 1);
    if (tn_json_write_int(w, 1) != TN_EINVAL) abort();
    if (tn_json_write_double(w, NAN) != TN_EINVAL) abort();
}

static const struct {
    const char *name;
    jw_script f;
    int rc;
} misuse_cases[] = {
    {"bad_utf8_str", jw_bad_utf8_str, TN_EINVAL},
    {"bad_utf8_surrogate", jw_bad_utf8_surrogate, TN_EINVAL},
    {"bad_utf8_truncated", jw_bad_utf8_truncated, TN_EINVAL},
    {"bad_utf8_key", jw_bad_utf8_key, TN_EINVAL},
    {"value_without_key", jw_value_without_key, TN_EINVAL},
    {"key_in_array", jw_key_in_array, TN_EINVAL},
    {"key_at_top", jw_key_at_top, TN_EINVAL},
    {"two_keys", jw_two_keys, TN_EINVAL},
    {"dangling_key", jw_dangling_key, TN_EINVAL},
    {"end_object_on_array", jw_end_object_on_array, TN_EINVAL},
    {"end_array_on_object", jw_end_array_on_object, TN_EINVAL},
    {"end_at_top", jw_end_at_top, TN_EINVAL},
    {"two_top_values", jw_two_top_values, TN_EINVAL},
    {"unclosed", jw_unclosed, TN_EINVAL},
    {"nothing", jw_nothing, TN_EINVAL},
    {"depth_65", jw_depth_65, TN_EINVAL},
    {"nan", jw_nan, TN_ERANGE},
    {"inf", jw_inf, TN_ERANGE},
    {"null_value", jw_null_value, TN_EINVAL},
    {"error_sticks", jw_error_sticks, TN_EINVAL},
};

TEST(json_writer_misuse_is_an_error_and_output_is_cut_back) {
    for (size_t i = 0; i < sizeof misuse_cases / sizeof misuse_cases[0]; i++) {
        tn_buf out = {0};
        tn_buf_append_str(&out, "keep");
        int r = jw_run(misuse_cases[i].f, &out);
        if (r != misuse_cases[i].rc) printf("  case %s: %d\n", misuse_cases[i].name, r);
        CHECK_INT(r, misuse_cases[i].rc);
        CHECK_STR(out.data, "keep");
        tn_buf_free(&out);
    }
    tn_buf out = {0};
    CHECK_OK(jw_run(jw_depth_64, &out));
    CHECK_INT(out.len, 2 * TN_JSON_MAX_DEPTH);
    tn_buf_free(&out);
}

static const struct {
    double v;
    const char *out;
} double_cases[] = {
    {0.0, "0"},
    {-0.0, "-0"},
    {1.0, "1"},
    {-3.0, "-3"},
    {1.5, "1.5"},
    {0.1, "0.1"},
    {1.0 / 3.0, "0.3333333333333333"},
    {123456789.125, "123456789.125"},
    {1e20, "100000000000000000000"},
    {1e21, "1e+21"},
    {9007199254740992.0, "9007199254740992"},
    {-2.5e-7, "-2.5e-07"},
    {5e-324, "5e-324"},
    {2.5e-320, "2.5e-320"},
    {1.7976931348623157e308, "1.7976931348623157e+308"},
    {1e308, "1e+308"},
    {0.30000000000000004, "0.30000000000000004"},
};

TEST(json_writer_doubles_shortest_round_trip) {
    for (size_t i = 0; i < sizeof double_cases / sizeof double_cases[0]; i++) {
        tn_buf out = {0};
        tn_json_writer w;
        tn_json_writer_init(&w, &out);
        tn_json_write_double(&w, double_cases[i].v);
        CHECK_OK(tn_json_writer_finish(&w));
        CHECK_STR(out.data, double_cases[i].out);
        // What is written reads back to the same double, through the reader.
        tn_json_doc d;
        double back = 42;
        CHECK_OK(jparse(&d, out.data, out.len));
        CHECK_OK(tn_json_num(d.root, &back));
        CHECK(back == double_cases[i].v && signbit(back) == signbit(double_cases[i].v));
        tn_json_doc_free(&d);
        tn_buf_free(&out);
    }
}

static void jw_ints(tn_json_writer *w) {
    tn_json_write_array_begin(w);
    tn_json_write_int(w, INT64_MIN);
    tn_json_write_int(w, INT64_MAX);
    tn_json_write_int(w, 0);
    tn_json_write_int(w, -1);
    tn_json_write_array_end(w);
}

TEST(json_writer_int64_edges) {
    tn_buf out = {0};
    CHECK_OK(jw_run(jw_ints, &out));
    CHECK_STR(out.data, "[-9223372036854775808,9223372036854775807,0,-1]");
    tn_json_doc d;
    CHECK_OK(jparse(&d, out.data, out.len));
    int64_t v = 0;
    CHECK_OK(tn_json_int(tn_json_at(d.root, 0), &v));
    CHECK(v == INT64_MIN);
    CHECK_OK(tn_json_int(tn_json_at(d.root, 1), &v));
    CHECK(v == INT64_MAX);
    tn_json_doc_free(&d);
    tn_buf_free(&out);
}

// Keeps parsed messages and writes them back inside a new document, as the
// chat demo does with its message cache.
TEST(json_write_value_inside_a_new_document) {
    tn_json_doc a, b;
    CHECK_OK(jparse(&a, "{\"id\":\"1\",\"body\":\"</script>\"}", 0));
    CHECK_OK(jparse(&b, " [ 1e400 , \"\\u00e9\" ] ", 0));
    tn_buf out = {0};
    tn_json_writer w;
    tn_json_writer_init(&w, &out);
    tn_json_write_object_begin(&w);
    tn_json_write_key(&w, "messages", 8);
    tn_json_write_array_begin(&w);
    tn_json_write_value(&w, a.root);
    tn_json_write_value(&w, b.root);
    tn_json_write_array_end(&w);
    tn_json_write_object_end(&w);
    CHECK_OK(tn_json_writer_finish(&w));
    CHECK_STR(out.data, "{\"messages\":[{\"id\":\"1\",\"body\":\"<\\/script>\"},[1e400,\"\xc3\xa9\"]]}");
    tn_buf_free(&out);
    tn_json_doc_free(&a);
    tn_json_doc_free(&b);
}
