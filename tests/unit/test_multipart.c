// Floor 4: multipart/form-data bodies.
#include "test.h"
#include <stdlib.h>

#define CHECK_VIEW(v, lit) CHECK_MEM((v).ptr, (v).len, (lit), strlen(lit))

// Tornado's tests write bodies with "\n"; the wire has "\r\n". A text that
// has a "\r" already is taken as it is.
static char *crlf(const char *s, size_t *len) {
    size_t n = 0;
    bool raw = strchr(s, '\r') != NULL;
    char *out = (char *)malloc(strlen(s) * 2 + 1);
    for (; *s; s++) {
        if (*s == '\n' && !raw) out[n++] = '\r';
        out[n++] = *s;
    }
    out[n] = '\0';
    *len = n;
    return out;
}

static char *body_copy;  // the body the last parse() used; parts view it

// Parses `text` (with "\n" line ends) from an exact-size copy, so the
// sanitizer catches any read past the end. Free with release().
static int parse(tn_multipart *mp, const char *content_type, const char *text) {
    size_t len;
    char *body = crlf(text, &len);
    free(body_copy);
    body_copy = (char *)malloc(len ? len : 1);
    memcpy(body_copy, body, len);
    free(body);
    return tn_multipart_parse(mp, tn_str_c(content_type), body_copy, len, NULL);
}

static void release(tn_multipart *mp) {
    tn_multipart_free(mp);
    free(body_copy);
    body_copy = NULL;
}

static const char *CT = "multipart/form-data; boundary=1234";

TEST(multipart_file_upload) {  // Tornado's test_file_upload
    tn_multipart mp;
    CHECK_OK(parse(&mp, CT,
                   "--1234\n"
                   "Content-Disposition: form-data; name=\"files\"; filename=\"ab.txt\"\n"
                   "\n"
                   "Foo\n"
                   "--1234--"));
    CHECK_INT(mp.count, 1);
    CHECK_VIEW(mp.parts[0].name, "files");
    CHECK_VIEW(mp.parts[0].filename, "ab.txt");
    CHECK_STR(mp.parts[0].filename.ptr, "ab.txt");  // NUL-terminated
    CHECK_VIEW(mp.parts[0].body, "Foo");
    CHECK_VIEW(mp.parts[0].content_type, "application/unknown");
    CHECK_VIEW(mp.parts[0].headers, "Content-Disposition: form-data; name=\"files\"; filename=\"ab.txt\"");
    release(&mp);
}

TEST(multipart_unquoted_names) {  // test_unquoted_names
    tn_multipart mp;
    CHECK_OK(parse(&mp, CT,
                   "--1234\n"
                   "Content-Disposition: form-data; name=files; filename=ab.txt\n"
                   "\n"
                   "Foo\n"
                   "--1234--"));
    CHECK_VIEW(mp.parts[0].name, "files");
    CHECK_VIEW(mp.parts[0].filename, "ab.txt");
    CHECK_VIEW(mp.parts[0].body, "Foo");
    release(&mp);
}

TEST(multipart_special_filenames) {  // test_special_filenames
    static const char *const names[] = {"a;b.txt",   "a\"b.txt",    "a\";b.txt", "a;\"b.txt",
                                        "a\";\";.txt", "a\\\"b.txt", "a\\b.txt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        tn_buf b = {0};
        CHECK_OK(tn_buf_append_str(&b, "--1234\nContent-Disposition: form-data; name=\"files\"; filename=\""));
        for (const char *p = names[i]; *p; p++) {  // escape \ and " as Tornado's test does
            if (*p == '\\' || *p == '"') CHECK_OK(tn_buf_append(&b, "\\", 1));
            CHECK_OK(tn_buf_append(&b, p, 1));
        }
        CHECK_OK(tn_buf_append_str(&b, "\"\n\nFoo\n--1234--"));
        tn_multipart mp;
        CHECK_OK(parse(&mp, CT, b.data));
        CHECK_VIEW(mp.parts[0].filename, names[i]);
        CHECK_VIEW(mp.parts[0].body, "Foo");
        release(&mp);
        tn_buf_free(&b);
    }
}

TEST(multipart_non_ascii_filename) {  // test_non_ascii_filename and RFC 5987 forms
    static const struct { const char *disp, *want; } cases[] = {
        {"filename=\"ab.txt\"; filename*=UTF-8''%C3%A1b.txt", "\xc3\xa1" "b.txt"},
        {"filename*=UTF-8''%C3%A1b.txt; filename=\"ab.txt\"", "\xc3\xa1" "b.txt"},  // * wins anyway
        {"filename*=UTF-8''%e2%82%ac.txt", "\xe2\x82\xac.txt"},
        {"filename*=utf-8'en'%e2%82%ac.txt", "\xe2\x82\xac.txt"},
        {"filename*=ISO-8859-1''%e9t%E9.txt", "\xc3\xa9t\xc3\xa9.txt"},  // converted to UTF-8
        {"filename*=\"UTF-8''a%20b\"", "a b"},
        {"filename=\"plain.txt\"; filename*=KOI8-R''%e9", "plain.txt"},  // unknown charset
        {"filename=\"plain.txt\"; filename*=UTF-8'%e9", "plain.txt"},    // malformed
        {"filename=\"plain.txt\"; filename*=UTF-8''a b", "plain.txt"},   // raw space
        {"filename*=UTF-8''%zz", "%zz"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tn_buf b = {0};
        CHECK_OK(tn_buf_appendf(&b, "--1234\nContent-Disposition: form-data; name=\"files\"; %s\n\nFoo\n--1234--",
                                cases[i].disp));
        tn_multipart mp;
        CHECK_OK(parse(&mp, CT, b.data));
        CHECK_VIEW(mp.parts[0].filename, cases[i].want);
        CHECK_INT(mp.parts[0].filename.ptr[mp.parts[0].filename.len], 0);
        release(&mp);
        tn_buf_free(&b);
    }
}

TEST(multipart_boundary_starts_and_ends_with_quotes) {
    tn_multipart mp;
    CHECK_OK(parse(&mp, "multipart/form-data; boundary=\"1234\"",
                   "--1234\n"
                   "Content-Disposition: form-data; name=\"files\"; filename=\"ab.txt\"\n"
                   "\n"
                   "Foo\n"
                   "--1234--"));
    CHECK_VIEW(mp.parts[0].filename, "ab.txt");
    CHECK_VIEW(mp.parts[0].body, "Foo");
    release(&mp);
}

TEST(multipart_invalid_bodies) {
    static const struct { const char *name, *body; int err; } cases[] = {
        {"test_missing_headers", "--1234\n\nFoo\n--1234--", TN_EPARSE},
        {"test_invalid_content_disposition",
         "--1234\nContent-Disposition: invalid; name=\"files\"; filename=\"ab.txt\"\n\nFoo\n--1234--",
         TN_EPARSE},
        {"test_line_does_not_end_with_correct_line_break",
         "--1234\nContent-Disposition: form-data; name=\"files\"; filename=\"ab.txt\"\n\nFoo--1234--",
         TN_EPARSE},
        {"test_content_disposition_header_without_name_parameter",
         "--1234\nContent-Disposition: form-data; filename=\"ab.txt\"\n\nFoo\n--1234--", TN_EPARSE},
        {"empty name", "--1234\nContent-Disposition: form-data; name=\"\"\n\nFoo\n--1234--", TN_EPARSE},
        {"no Content-Disposition", "--1234\nContent-Type: text/plain\n\nFoo\n--1234--", TN_EPARSE},
        {"no closing boundary",
         "--1234\nContent-Disposition: form-data; name=\"a\"\n\nFoo\n--1234\n", TN_EPARSE},
        {"no closing boundary at all", "--1234\nContent-Disposition: form-data; name=\"a\"\n\nFoo",
         TN_EPARSE},
        {"no boundary in the body", "Content-Disposition: form-data; name=\"a\"\n\nFoo\n", TN_EPARSE},
        {"empty body", "", TN_EPARSE},
        {"header without colon", "--1234\nContent-Disposition form-data; name=a\n\nx\n--1234--",
         TN_EPARSE},
        {"space before colon", "--1234\nContent-Disposition : form-data; name=a\n\nx\n--1234--",
         TN_EPARSE},
        {"obs-fold", "--1234\nContent-Disposition: form-data;\n name=a\n\nx\n--1234--", TN_EPARSE},
        {"bare LF in a header",
         "--1234\r\nContent-Disposition: form-data; name=a\nX-A: b\r\n\r\nx\r\n--1234--", TN_EPARSE},
        {"bare CR in a header",
         "--1234\r\nContent-Disposition: form-data; name=a\rX-A: b\r\n\r\nx\r\n--1234--", TN_EPARSE},
        {"other control bytes in a value are kept",
         "--1234\r\nContent-Disposition: form-data; name=a\r\nX-A: \001b\r\n\r\nx\r\n--1234--", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tn_multipart mp;
        int r = parse(&mp, CT, cases[i].body);
        if (r != cases[i].err) tt_fail(__FILE__, __LINE__, "%s: %d", cases[i].name, r);
        release(&mp);
    }
}

TEST(multipart_bad_boundaries) {
    static const char *const cts[] = {
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; boundary=\"12\n34\"",
        "multipart/form-data; boundary=\"1234 \"",  // may not end in a space
        "multipart/form-data; boundary=\"12\\\"34\"",
        "multipart/form-data; boundary=12345678901234567890123456789012345678901234567890123456789012345678901",
    };
    for (size_t i = 0; i < sizeof cts / sizeof cts[0]; i++) {
        tn_multipart mp;
        CHECK_INT(parse(&mp, cts[i], "--1234--"), TN_EPARSE);
        release(&mp);
    }
    tn_str nul = {"multipart/form-data; boundary=a\0b", 33};
    tn_multipart mp;
    CHECK_INT(tn_multipart_parse(&mp, nul, "--a\0b--", 7, NULL), TN_EPARSE);
    tn_multipart_free(&mp);
    // 70 bytes is the longest RFC 2046 allows; spaces and '()+_,-./:=? are fine.
    const char *b70 = "1234567890123456789012345678901234567890123456789012345678901234567890";
    tn_buf ct = {0}, body = {0};
    CHECK_OK(tn_buf_appendf(&ct, "multipart/form-data; boundary=%s", b70));
    CHECK_OK(tn_buf_appendf(&body, "--%s\nContent-Disposition: form-data; name=a\n\nx\n--%s--", b70, b70));
    CHECK_OK(parse(&mp, ct.data, body.data));
    CHECK_INT(mp.count, 1);
    release(&mp);
    CHECK_OK(parse(&mp, "multipart/form-data; boundary=\"a '()+_,-./:=?b\"",
                   "--a '()+_,-./:=?b\nContent-Disposition: form-data; name=a\n\nx\n--a '()+_,-./:=?b--"));
    CHECK_VIEW(mp.parts[0].body, "x");
    release(&mp);
    tn_buf_free(&ct);
    tn_buf_free(&body);
}

TEST(multipart_data_after_final_boundary) {  // test_data_after_final_boundary
    tn_multipart mp;
    CHECK_OK(parse(&mp, CT,
                   "--1234\n"
                   "Content-Disposition: form-data; name=\"files\"; filename=\"ab.txt\"\n"
                   "\n"
                   "Foo\n"
                   "--1234--\n"
                   "epilogue --1234\n"));
    CHECK_INT(mp.count, 1);
    CHECK_VIEW(mp.parts[0].body, "Foo");
    release(&mp);
}

TEST(multipart_fields_files_and_merge) {
    tn_multipart mp;
    CHECK_OK(parse(&mp, "Multipart/Form-Data; charset=utf-8; boundary=----WebKitFormBoundaryx",
                   "preamble\n"
                   "------WebKitFormBoundaryx\n"
                   "content-disposition: FORM-DATA; name=\"title\"\n"
                   "\n"
                   "Hello\nworld\n"
                   "------WebKitFormBoundaryx  \n"  // transport padding
                   "Content-Disposition: form-data; name=\"up\"; filename=\"a.png\"\n"
                   "Content-Type: image/png\n"
                   "X-Extra:   v  \n"
                   "\n"
                   "\x89PNG\n--not-a-boundary\n------WebKitFormBoundaryxyz\n"
                   "------WebKitFormBoundaryx\n"
                   "Content-Disposition: form-data; name=\"empty\"\n"
                   "\n"
                   "\n"
                   "------WebKitFormBoundaryx\n"
                   "Content-Disposition: form-data; name=\"nofile\"; filename=\"\"\n"
                   "Content-Type: application/octet-stream\n"
                   "\n"
                   "\n"
                   "------WebKitFormBoundaryx\n"
                   "Content-Disposition: form-data; name=\"q\\\"uoted\"\n"
                   "\n"
                   "v\n"
                   "------WebKitFormBoundaryx--"));
    CHECK_INT(mp.count, 5);
    CHECK_VIEW(mp.parts[0].name, "title");
    CHECK_VIEW(mp.parts[0].body, "Hello\r\nworld");
    CHECK_VIEW(mp.parts[1].filename, "a.png");
    CHECK_VIEW(mp.parts[1].content_type, "image/png");
    CHECK_VIEW(mp.parts[1].body, "\x89PNG\r\n--not-a-boundary\r\n------WebKitFormBoundaryxyz");
    CHECK_VIEW(tn_multipart_header(&mp.parts[1], "x-extra"), "v");
    CHECK(tn_multipart_header(&mp.parts[1], "X-Missing").ptr == NULL);
    CHECK_VIEW(mp.parts[2].body, "");
    CHECK_INT(mp.parts[3].filename.len, 0);  // an empty file input is a field, as Tornado
    CHECK_VIEW(mp.parts[4].name, "q\"uoted");
    tn_args args = {0};
    CHECK_OK(tn_args_parse(&args, "title=query", 11, NULL));
    CHECK_OK(tn_multipart_to_args(&mp, &args));
    CHECK_INT(args.count, 5);  // the query field, then title, empty, nofile, q"uoted
    CHECK_INT(tn_args_count(&args, "title"), 2);
    CHECK_VIEW(*tn_args_get(&args, "title"), "Hello\r\nworld");
    CHECK(tn_args_get(&args, "up") == NULL);
    CHECK_VIEW(*tn_args_get(&args, "nofile"), "");
    CHECK_VIEW(*tn_args_get(&args, "q\"uoted"), "v");
    release(&mp);
    CHECK_VIEW(*tn_args_get(&args, "title"), "Hello\r\nworld");  // copies outlive mp
    tn_args_free(&args);
}

TEST(multipart_empty_and_edge_bodies) {
    tn_multipart mp;
    CHECK_OK(parse(&mp, CT, "--1234--"));  // no parts at all
    CHECK_INT(mp.count, 0);
    release(&mp);
    // The header block's blank line may double as the closing delimiter's CRLF.
    CHECK_OK(parse(&mp, CT, "--1234\nContent-Disposition: form-data; name=a\n\n--1234--"));
    CHECK_INT(mp.count, 1);
    CHECK_VIEW(mp.parts[0].body, "");
    release(&mp);
    // A line that only starts with the boundary is preamble, not a delimiter.
    CHECK_OK(parse(&mp, CT, "--1234x\nContent-Disposition: form-data; name=a\n\nx\n--1234--"));
    CHECK_INT(mp.count, 0);
    release(&mp);
}

static void build_parts(tn_buf *b, int parts) {
    for (int i = 0; i < parts; i++)
        CHECK_OK(tn_buf_appendf(b, "--1234\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\n%d\r\n", i, i));
    CHECK_OK(tn_buf_append_str(b, "--1234--\r\n"));
}

TEST(multipart_limits) {
    tn_buf b = {0};
    tn_multipart mp;
    build_parts(&b, 100);
    CHECK_OK(tn_multipart_parse(&mp, tn_str_c(CT), b.data, b.len, NULL));
    CHECK_INT(mp.count, 100);
    CHECK_VIEW(mp.parts[99].name, "f99");
    CHECK_VIEW(mp.parts[99].body, "99");
    tn_multipart_free(&mp);
    tn_buf_clear(&b);
    build_parts(&b, 101);
    CHECK_INT(tn_multipart_parse(&mp, tn_str_c(CT), b.data, b.len, NULL), TN_ERANGE);
    tn_multipart_free(&mp);
    tn_multipart_limits lim = {3, 0};
    CHECK_INT(tn_multipart_parse(&mp, tn_str_c(CT), b.data, b.len, &lim), TN_ERANGE);
    tn_multipart_free(&mp);
    // A header block of exactly 10 KiB passes; one byte more does not.
    for (int extra = 0; extra < 2; extra++) {
        tn_buf_clear(&b);
        const char *disp = "Content-Disposition: form-data; name=a\r\nX: ";
        CHECK_OK(tn_buf_appendf(&b, "--1234\r\n%s", disp));
        for (size_t i = strlen(disp); i < 10240 + (size_t)extra; i++) CHECK_OK(tn_buf_append(&b, "v", 1));
        CHECK_OK(tn_buf_append_str(&b, "\r\n\r\nbody\r\n--1234--"));
        int r = tn_multipart_parse(&mp, tn_str_c(CT), b.data, b.len, NULL);
        CHECK_INT(r, extra ? TN_EMSGSIZE : 0);
        if (!extra) CHECK_INT(mp.parts[0].headers.len, 10240);
        tn_multipart_free(&mp);
    }
    tn_multipart_limits small = {0, 64};
    CHECK_INT(tn_multipart_parse(&mp, tn_str_c(CT), b.data, b.len, &small), TN_EMSGSIZE);
    tn_multipart_free(&mp);
    tn_buf_free(&b);
}

TEST(multipart_every_truncation_fails) {
    tn_log_set_level(TN_LOG_ERROR);  // a warning per prefix is noise here
    size_t len;
    char *full = crlf("--1234\n"
                      "Content-Disposition: form-data; name=\"a\"\n"
                      "\n"
                      "1\n"
                      "--1234\n"
                      "Content-Disposition: form-data; name=\"files\"; filename*=UTF-8''%C3%A1\n"
                      "Content-Type: text/plain\n"
                      "\n"
                      "Foo\n"
                      "--1234--",
                      &len);
    for (size_t n = 0; n <= len; n++) {
        char *prefix = (char *)malloc(n ? n : 1);
        memcpy(prefix, full, n);
        tn_multipart mp;
        int r = tn_multipart_parse(&mp, tn_str_c(CT), prefix, n, NULL);
        if (n < len && r != TN_EPARSE) tt_fail(__FILE__, __LINE__, "prefix %zu gave %d", n, r);
        if (n == len) {
            CHECK_OK(r);
            CHECK_INT(mp.count, 2);
            CHECK_VIEW(mp.parts[1].filename, "\xc3\xa1");
            CHECK_VIEW(mp.parts[1].content_type, "text/plain");
        }
        tn_multipart_free(&mp);
        free(prefix);
    }
    free(full);
}

// Inputs the fuzzer (tests/fuzz/fuzz_multipart.c) found, decoded the way it
// decodes them: byte 0 the boundary's length, byte 1 flags, then the
// boundary, then the body.
static int fuzz_case(const char *data, size_t size) {
    size_t blen = (unsigned char)data[0] % 72;
    char ct[128];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=\"%.*s\"", (int)blen, data + 2);
    size_t len = size - 2 - blen;
    char *body = (char *)malloc(len);
    memcpy(body, data + 2 + blen, len);
    tn_multipart mp;
    int r = tn_multipart_parse(&mp, tn_str_c(ct), body, len, NULL);
    tn_multipart_free(&mp);
    free(body);
    return r;
}

TEST(multipart_fuzz_regressions) {
    // A part without Content-Disposition computed NULL + 0 (UBSan under clang).
    static const char no_disposition[] =
        "\004\0001234--\313234\015\012"
        "Content-Disposition: form-data; name=\"files\"; filename=\"ab.txt\"\015\012"
        "\015\012"
        "Foo\015\012"
        "--1234\015\012"
        "--12tet-Disposition: form-data; \015\012"
        "\015\012"
        "x\015\012"
        "--1234--\015*=UTF-8''%C3%A1b.txt\015\012"
        "Content-Type: text/plain\015\012"
        "\015\012"
        "x\015\012"
        "--1234--\015\012"
        "";
    CHECK_INT(fuzz_case(no_disposition, sizeof no_disposition - 1), TN_EPARSE);
}
