// Floor 4: the HTTP/1.1 parser. Every head is parsed whole and at every split
// point; the parser only ever sees an exact-size heap copy of its input, so
// AddressSanitizer catches any over-read.
#include "test.h"
#include <stdlib.h>

#define FAILF(...) tt_fail(__FILE__, __LINE__, __VA_ARGS__)
#define COUNTOF(a) (sizeof(a) / sizeof((a)[0]))
#define LEN(c) ((c)->len ? (c)->len : strlen((c)->in))

// An exact-size copy of in[0..n): reading past it is a heap-buffer-overflow.
static char *exact(const char *in, size_t n) {
    char *p = (char *)malloc(n ? n : 1);
    if (!p) abort();
    memcpy(p, in, n);
    return p;
}

static bool str_is(tn_str s, const char *want) {
    return want ? s.ptr && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0 : s.ptr == NULL;
}

// ---- requests -----------------------------------------------------------------

enum { NOQ = 1 };  // `query` sentinel: no '?' in the target
#define ABSENT ((const char *)NOQ)

typedef struct req_case {
    const char *in;
    size_t len;           // 0: strlen(in)
    int status;           // 0: parses; else the req->status expected
    size_t extra;         // bytes after the head (a body)
    int fstatus;          // framing: 0 or 400
    tn_http_body body;
    uint64_t cl;
    int ka, expect;
    const char *path, *query, *host;  // checked when non-NULL (ABSENT: {NULL, 0})
    size_t max_line, max_head, max_headers;
} req_case;

#define H11 " HTTP/1.1\r\nHost: a\r\n"
static const req_case req_cases[] = {
    // valid shapes
    {.in = "GET /" H11 "\r\n", .ka = 1, .path = "/", .query = ABSENT, .host = "a"},
    {.in = "GET /p/q?x=1&y" H11 "\r\n", .ka = 1, .path = "/p/q", .query = "x=1&y"},
    {.in = "GET /p?" H11 "\r\n", .ka = 1, .path = "/p", .query = ""},
    {.in = "\r\n\r\nGET /" H11 "\r\n", .ka = 1, .path = "/"},
    {.in = "get /" H11 "\r\n", .ka = 1},
    {.in = "GET / HTTP/1.0\r\n\r\n", .ka = 0, .host = ABSENT},
    {.in = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", .ka = 1},
    {.in = "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", .ka = 0},
    {.in = "GET /" H11 "Connection: close\r\n\r\n", .ka = 0},
    {.in = "GET /" H11 "Connection: foo, ,CLOSE\r\n\r\n", .ka = 0},
    {.in = "GET /" H11 "Connection: keep-alive, Upgrade\r\n\r\n", .ka = 1},
    {.in = "GET / HTTP/1.2\r\nHost: a\r\n\r\n", .ka = 1},
    {.in = "GET /" H11 "X-Empty:\r\nX-Tab:\tv\t\r\nX-8: \xc3\xa9\xff\r\n\r\n", .ka = 1},
    {.in = "GET /caf\xc3\xa9" H11 "\r\n", .ka = 1, .path = "/caf\xc3\xa9"},
    {.in = "POST /" H11 "Content-Length: 5\r\n\r\nhello", .extra = 5, .ka = 1,
     .body = TN_HTTP_BODY_LENGTH, .cl = 5},
    {.in = "POST /" H11 "Content-Length: 0\r\n\r\n", .ka = 1, .body = TN_HTTP_BODY_LENGTH},
    {.in = "POST /" H11 "Content-Length:  5 \r\n\r\n", .ka = 1, .body = TN_HTTP_BODY_LENGTH, .cl = 5},
    {.in = "POST /" H11 "Content-Length: 5, 5\r\n\r\n", .ka = 1, .body = TN_HTTP_BODY_LENGTH, .cl = 5},
    {.in = "POST /" H11 "Content-Length: 5\r\ncontent-length: 5\r\n\r\n", .ka = 1,
     .body = TN_HTTP_BODY_LENGTH, .cl = 5},
    {.in = "POST /" H11 "Content-Length: 18446744073709551615\r\n\r\n", .ka = 1,
     .body = TN_HTTP_BODY_LENGTH, .cl = UINT64_MAX},
    {.in = "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n", .ka = 1, .body = TN_HTTP_BODY_CHUNKED},
    {.in = "POST /" H11 "Transfer-Encoding:  ChUnKeD\r\n\r\n", .ka = 1, .body = TN_HTTP_BODY_CHUNKED},
    {.in = "POST /" H11 "Expect: 100-Continue\r\nContent-Length: 1\r\n\r\n", .ka = 1,
     .expect = 1, .body = TN_HTTP_BODY_LENGTH, .cl = 1},
    {.in = "POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", .expect = 0},
    {.in = "GET http://example.com:8080/p?q=1 HTTP/1.1\r\nHost: other\r\n\r\n", .ka = 1,
     .path = "/p", .query = "q=1", .host = "example.com:8080"},
    {.in = "GET HTTP://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", .ka = 1, .path = "/",
     .query = ABSENT, .host = "example.com"},
    {.in = "GET https://[::1]?x HTTP/1.1\r\nHost: [::1]\r\n\r\n", .ka = 1, .path = "/", .query = "x"},
    {.in = "OPTIONS *" H11 "\r\n", .ka = 1, .path = "*", .query = ABSENT},
    {.in = "CONNECT example.com:443" H11 "\r\n", .ka = 1, .path = ABSENT, .host = "a"},
    {.in = "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", .ka = 1, .host = "[::1]:8080"},
    {.in = "GET / HTTP/1.1\r\nHost: ex%41mple.com:\r\n\r\n", .ka = 1},
    {.in = "GET / HTTP/1.1\r\nHost: \r\n\r\n", .ka = 1, .host = ""},
    {.in = "GET / HTTP/1.1\r\nHost: 10.0.0.1:80\r\n\r\n", .ka = 1, .host = "10.0.0.1:80"},
    {.in = "GET / HTTP/1.1\r\nHost: [v1.fe80::a+en1]\r\n\r\n", .ka = 1},
    // limits, exactly reached: allowed
    {.in = "GET /abc HTTP/1.1\r\nHost: a\r\n\r\n", .ka = 1, .max_line = 17},
    {.in = "GET / HTTP/1.1\r\nHost: a\r\n\r\n", .ka = 1, .max_head = 27},
    {.in = "GET / HTTP/1.1\r\nHost: a\r\nB: c\r\n\r\n", .ka = 1, .max_headers = 2},
    // request-line syntax
    {.in = "GET  / HTTP/1.1\r\n\r\n", .status = 400},
    {.in = " GET / HTTP/1.1\r\n\r\n", .status = 400},
    {.in = "G(ET / HTTP/1.1\r\n\r\n", .status = 400},
    {.in = "GET /\tx HTTP/1.1\r\n\r\n", .status = 400},
    {.in = "GET /\x7f HTTP/1.1\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1 \r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1x\r\n\r\n", .status = 400},
    {.in = "GET / http/1.1\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.x\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/2.0\r\nHost: a\r\n\r\n", .status = 505},
    {.in = "GET / HTTP/0.9\r\n\r\n", .status = 505},
    {.in = "GET /\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\rX\r\n", .status = 400},
    {.in = "\nGET / HTTP/1.1\r\n\r\n", .status = 400},
    {.in = "\r\r\nGET / HTTP/1.1\r\n\r\n", .status = 400},
    // request-target forms
    {.in = "GET * HTTP/1.1\r\nHost: a\r\n\r\n", .status = 400},
    {.in = "OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", .status = 400},
    {.in = "GET foo HTTP/1.1\r\nHost: a\r\n\r\n", .status = 400},
    {.in = "GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n", .status = 400},
    {.in = "GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n", .status = 400},
    {.in = "GET http:///p HTTP/1.1\r\nHost: h\r\n\r\n", .status = 400},
    {.in = "GET http:/p HTTP/1.1\r\nHost: h\r\n\r\n", .status = 400},
    {.in = "GET 1http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", .status = 400},
    {.in = "CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", .status = 400},
    {.in = "CONNECT example.com: HTTP/1.1\r\nHost: a\r\n\r\n", .status = 400},
    {.in = "CONNECT /p HTTP/1.1\r\nHost: a\r\n\r\n", .status = 400},
    // field syntax
    {.in = "GET /" H11 "X: a\rb\r\n\r\n", .status = 400},
    {.in = "GET /" H11 "X: a\nb\r\n\r\n", .status = 400},
    {.in = "GET /" H11 "X: a\0b\r\n\r\n", .len = sizeof("GET /" H11 "X: a\0b\r\n\r\n") - 1, .status = 400},
    {.in = "GET /" H11 "X: a\x7f\r\n\r\n", .status = 400},
    {.in = "GET /" H11 "X: a\x01\r\n\r\n", .status = 400},
    {.in = "GET /" H11 "X : a\r\n\r\n", .status = 400},
    {.in = "GET /" H11 "X\t: a\r\n\r\n", .status = 400},
    {.in = "GET /" H11 "X: a\r\n b\r\n\r\n", .status = 400},
    {.in = "GET /" H11 "X: a\r\n\tb\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n Host: a\r\n\r\n", .status = 400},
    {.in = "GET /" H11 ": a\r\n\r\n", .status = 400},
    {.in = "GET /" H11 "X(: a\r\n\r\n", .status = 400},
    {.in = "GET /" H11 "X\r\n\r\n", .status = 400},
    {.in = "GET /" H11 "X: a\n\r\n", .status = 400},
    {.in = "GET /" H11 "\n", .status = 400},
    {.in = "GET /" H11 "\r\r\n", .status = 400},
    {.in = "GET /" H11 "\xc3\xa9: a\r\n\r\n", .status = 400},
    // limits: detected before the head is complete (no final CRLF here)
    {.in = "GET /abcd HTTP/1.1\r\nHost: a\r\n\r\n", .status = 414, .max_line = 17},
    {.in = "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", .status = 414, .max_line = 16},
    {.in = "GETGETGETGETGETGETGETGET", .status = 414, .max_line = 16},
    {.in = "GET /aaaaaaaaaaa HTTP/1.1", .status = 414, .max_line = 16},
    {.in = "GET / HTTP/1.1\r\nHost: a\r\nB: c", .status = 431, .max_head = 27},
    {.in = "GET / HTTP/1.1\r\nHost: a\r\n\r\n", .status = 431, .max_head = 26},
    {.in = "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n", .status = 431, .max_head = 16},
    {.in = "GET / HTTP/1.1\r\nHost: a\r\nB: c\r\nD", .status = 431, .max_headers = 2},
    {.in = "GET / HTTP/1.1\r\nX", .status = 431, .max_headers = 1, .max_head = 17},
    // framing: smuggling shapes and Host rules
    {.in = "POST /" H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Content-Length: 5, 6\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Content-Length: +5\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Content-Length: -5\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Content-Length: 0x5\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Content-Length: 5 5\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Content-Length: 5,\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Content-Length:\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Content-Length: 5.0\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Content-Length: 18446744073709551616\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Content-Length: 99999999999999999999999\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Transfer-Encoding: gzip, chunked\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Transfer-Encoding: chunked, gzip\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Transfer-Encoding: chunked, chunked\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Transfer-Encoding: xchunked\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Transfer-Encoding: chunked;q=1\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Transfer-Encoding: chunked,\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Transfer-Encoding:\r\n\r\n", .fstatus = 400},
    {.in = "POST /" H11 "Transfer-Encoding: identity\r\n\r\n", .fstatus = 400},
    {.in = "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .fstatus = 400},
    {.in = "GET / HTTP/1.1\r\n\r\n", .fstatus = 400},
    {.in = "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", .fstatus = 400},
    {.in = "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", .fstatus = 400},
    {.in = "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", .fstatus = 400},
    {.in = "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", .fstatus = 400},
    {.in = "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", .fstatus = 400},
    {.in = "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", .fstatus = 400},
    {.in = "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", .fstatus = 400},
    {.in = "GET / HTTP/1.1\r\nHost: []\r\n\r\n", .fstatus = 400},
    {.in = "GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n", .fstatus = 400},
    {.in = "GET / HTTP/1.1\r\nHost: a%4\r\n\r\n", .fstatus = 400},
    {.in = "GET / HTTP/1.1\r\nHost: \xc3\xa9\r\n\r\n", .fstatus = 400},
};

static int parse_req(const char *in, size_t n, tn_http_request *req, tn_header *h, size_t max,
                     const tn_http_limits *lim) {
    char *copy = exact(in, n);
    int r = tn_http_parse_request(copy, n, req, h, max, lim);
    // Views must stay inside the copy; check them before it goes away.
    for (size_t i = 0; r > 0 && i < req->num_headers; i++)
        if (h[i].name.ptr < copy || h[i].value.ptr + h[i].value.len > copy + n)
            FAILF("header view outside the input");
    free(copy);
    return r;
}

static void check_req_case(size_t ci, const req_case *c) {
    tn_header h[16];
    tn_http_request req;
    tn_http_limits lim = {c->max_line, c->max_head};
    size_t n = LEN(c), max = c->max_headers ? c->max_headers : 16;
    int whole = parse_req(c->in, n, &req, h, max, &lim);
    int want = c->status ? TN_EPARSE : (int)(n - c->extra);
    if (whole != want || (c->status && req.status != c->status))
        FAILF("request case %zu: got %d (status %d), want %d (status %d)", ci, whole, req.status,
              want, c->status);
    for (size_t k = 0; k < n; k++) {
        tn_http_request pr;
        int r = parse_req(c->in, k, &pr, h, max, &lim);
        if (k < (size_t)want && r == TN_INCOMPLETE) continue;
        if (k >= (size_t)want && r == want) continue;  // the body is not part of the head
        if (c->status && r == TN_EPARSE && pr.status == c->status) continue;
        FAILF("request case %zu, prefix %zu: got %d (status %d)", ci, k, r, pr.status);
    }
    if (c->status) return;
    // parse_req freed its copy: parse again over the literal for the views.
    whole = tn_http_parse_request(c->in, n, &req, h, max, &lim);
    tn_http_framing f;
    int fr = tn_http_request_framing(&req, &f);
    if (c->fstatus) {
        if (fr != TN_EPARSE || f.status != c->fstatus) FAILF("request case %zu: framing %d", ci, fr);
        return;
    }
    if (fr != 0) FAILF("request case %zu: framing failed", ci);
    if (f.body != c->body || f.content_length != c->cl || f.keep_alive != (bool)c->ka ||
        f.expect_continue != (bool)c->expect)
        FAILF("request case %zu: body %d cl %llu ka %d expect %d", ci, (int)f.body,
              (unsigned long long)f.content_length, f.keep_alive, f.expect_continue);
    if ((c->path && !str_is(req.path, c->path == ABSENT ? NULL : c->path)) ||
        (c->query && !str_is(req.query, c->query == ABSENT ? NULL : c->query)) ||
        (c->host && !str_is(f.host, c->host == ABSENT ? NULL : c->host)))
        FAILF("request case %zu: path/query/host \"%.*s\" \"%.*s\" \"%.*s\"", ci,
              (int)req.path.len, req.path.ptr, (int)req.query.len, req.query.ptr,
              (int)f.host.len, f.host.ptr);
}

TEST(http_request_table_every_split) {
    CHECK(COUNTOF(req_cases) >= 60);
    for (size_t i = 0; i < COUNTOF(req_cases); i++) check_req_case(i, &req_cases[i]);
}

TEST(http_request_views) {
    static const char in[] = "POST /a/b?c=d HTTP/1.1\r\nHost: h\r\nX-A:  one \t\r\n"
                             "x-a: two\r\nSet-Cookie: s\r\n\r\n";
    tn_header h[8];
    tn_http_request req;
    CHECK_INT(tn_http_parse_request(in, sizeof in - 1, &req, h, 8, NULL), sizeof in - 1);
    CHECK(str_is(req.method, "POST") && str_is(req.target, "/a/b?c=d"));
    CHECK(str_is(req.path, "/a/b") && str_is(req.query, "c=d") && str_is(req.authority, NULL));
    CHECK_INT(req.version_minor, 1);
    CHECK(req.headers == h);
    CHECK_INT(req.num_headers, 4);
    CHECK(str_is(h[1].name, "X-A") && str_is(h[1].value, "one"));
    CHECK(str_is(tn_headers_get(h, 4, "x-A"), "one"));
    CHECK(str_is(tn_headers_get(h, 4, "missing"), NULL));
    CHECK_INT(tn_headers_count(h, 4, "X-a"), 2);
    CHECK_INT(tn_headers_count(h, 4, "X-"), 0);
    size_t pos = 0;
    tn_str v;
    CHECK(tn_headers_next(h, 4, "X-A", &pos, &v) && str_is(v, "one"));
    CHECK(tn_headers_next(h, 4, "X-A", &pos, &v) && str_is(v, "two"));
    CHECK(!tn_headers_next(h, 4, "X-A", &pos, &v));
    CHECK(!tn_headers_next(h, 4, "X-A", &pos, &v));
}

// Values and targets are scanned a word at a time: put each kind of byte at
// every offset of a long value and target, across word boundaries.
TEST(http_request_scan_every_offset) {
    static const struct { unsigned char c; int status; } bytes[] = {
        {'\t', 0}, {' ', 0}, {0x80, 0}, {0xff, 0}, {'~', 0},
        {0, 400}, {0x01, 400}, {'\n', 400}, {0x1f, 400}, {0x7f, 400},
    };
    for (size_t b = 0; b < COUNTOF(bytes); b++) {
        for (size_t off = 0; off < 40; off++) {
            char in[128];
            tn_header h[4];
            tn_http_request req;
            int n = snprintf(in, sizeof in, "GET /%040d HTTP/1.1\r\nX: %040d\r\n\r\n", 0, 0);
            in[5 + off] = (char)bytes[b].c;   // in the target
            int r = parse_req(in, (size_t)n, &req, h, 4, NULL);
            bool target_ok = bytes[b].c > ' ' && bytes[b].c != 0x7f;
            if (target_ok ? r != n : (r != TN_EPARSE || req.status != 400))
                FAILF("byte 0x%02x at target offset %zu: %d", bytes[b].c, off, r);
            in[5 + off] = '0';
            in[5 + 40 + 11 + 3 + off] = (char)bytes[b].c;  // in the value
            r = parse_req(in, (size_t)n, &req, h, 4, NULL);
            if (bytes[b].status ? r != TN_EPARSE || req.status != 400 : r != n)
                FAILF("byte 0x%02x at value offset %zu: %d", bytes[b].c, off, r);
        }
    }
}

// Limits at their defaults: 8 KiB request line, 16 KiB head.
TEST(http_request_default_limits) {
    static char in[20000];
    tn_header h[4];
    tn_http_request req;
    memset(in, 'a', sizeof in);
    memcpy(in, "GET /", 5);
    CHECK_INT(parse_req(in, 8191, &req, h, 4, NULL), TN_INCOMPLETE);
    // 8192 bytes of target and no SP yet: the line will be longer than 8 KiB.
    CHECK_INT(parse_req(in, 8192, &req, h, 4, NULL), TN_EPARSE);
    CHECK_INT(req.status, 414);
    memcpy(in + 8192 - 9, " HTTP/1.1\r\n", 11);  // a request line of exactly 8 KiB
    CHECK_INT(parse_req(in, 9000, &req, h, 4, NULL), TN_INCOMPLETE);
    memcpy(in + 8203, "X:", 2);  // one field line that runs on
    CHECK_INT(parse_req(in, 16383, &req, h, 4, NULL), TN_INCOMPLETE);
    // 16 KiB and the value still runs: the head cannot end within the limit.
    CHECK_INT(parse_req(in, 16384, &req, h, 4, NULL), TN_EPARSE);
    CHECK_INT(req.status, 431);
    CHECK_INT(parse_req(in, 16384, &req, h, 0, NULL), TN_EPARSE);  // no room for any header
    CHECK_INT(req.status, 431);
}

// ---- responses ----------------------------------------------------------------

typedef struct resp_case {
    const char *in;
    const char *method;   // of the request: NULL is GET
    int ok;               // the head parses
    int code;
    const char *reason;
    int fok;              // the framing is accepted
    tn_http_body body;
    uint64_t cl;
    int ka;
    size_t extra;
} resp_case;

static const resp_case resp_cases[] = {
    {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", NULL, 1, 200, "OK", 1, TN_HTTP_BODY_LENGTH, 3, 1, 3},
    {"HTTP/1.1 404 Not  Found\t!\r\nContent-Length: 0\r\n\r\n", NULL, 1, 404, "Not  Found\t!", 1, TN_HTTP_BODY_LENGTH, 0, 1, 0},
    {"HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\n\r\n", NULL, 1, 200, "", 1, TN_HTTP_BODY_CHUNKED, 0, 1, 0},
    {"HTTP/1.1 200\r\n\r\n", NULL, 1, 200, "", 1, TN_HTTP_BODY_UNTIL_CLOSE, 0, 0, 0},
    {"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n", NULL, 1, 200, "OK", 1, TN_HTTP_BODY_UNTIL_CLOSE, 0, 0, 0},
    {"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n", NULL, 1, 204, "No Content", 1, TN_HTTP_BODY_NONE, 0, 1, 0},
    {"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", NULL, 1, 304, "Not Modified", 1, TN_HTTP_BODY_NONE, 0, 1, 0},
    {"HTTP/1.1 100 Continue\r\n\r\n", "POST", 1, 100, "Continue", 1, TN_HTTP_BODY_NONE, 0, 1, 0},
    {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", NULL, 1, 101, "Switching Protocols", 1, TN_HTTP_BODY_NONE, 0, 1, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD", 1, 200, "OK", 1, TN_HTTP_BODY_NONE, 0, 1, 0},
    {"HTTP/1.1 200 Connection established\r\n\r\n", "CONNECT", 1, 200, "Connection established", 1, TN_HTTP_BODY_NONE, 0, 1, 0},
    {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", NULL, 1, 200, "OK", 1, TN_HTTP_BODY_LENGTH, 2, 0, 0},
    {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n", NULL, 1, 200, "OK", 1, TN_HTTP_BODY_LENGTH, 2, 1, 0},
    {"HTTP/1.1 500 Oops\r\nContent-Length: 2\r\nConnection: close\r\n\r\n", NULL, 1, 500, "Oops", 1, TN_HTTP_BODY_LENGTH, 2, 0, 0},
    {"HTTP/1.1 999 \xc3\xa9\r\n\r\n", NULL, 1, 999, "\xc3\xa9", 1, TN_HTTP_BODY_UNTIL_CLOSE, 0, 0, 0},
    // framing rejected
    {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", NULL, 1, 200, "OK", 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", NULL, 1, 200, "OK", 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", NULL, 1, 200, "OK", 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", NULL, 1, 200, "OK", 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    // heads rejected
    {"HTTP/1.1 99 Low\r\n\r\n", NULL, 0, 0, NULL, 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"HTTP/1.1 099 Low\r\n\r\n", NULL, 0, 0, NULL, 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"HTTP/1.1 2000 OK\r\n\r\n", NULL, 0, 0, NULL, 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"HTTP/1.1 20x OK\r\n\r\n", NULL, 0, 0, NULL, 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"HTTP/1.1  200 OK\r\n\r\n", NULL, 0, 0, NULL, 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"HTTP/2 200 OK\r\n\r\n", NULL, 0, 0, NULL, 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"HTTP/2.0 200 OK\r\n\r\n", NULL, 0, 0, NULL, 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"http/1.1 200 OK\r\n\r\n", NULL, 0, 0, NULL, 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"\r\nHTTP/1.1 200 OK\r\n\r\n", NULL, 0, 0, NULL, 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"HTTP/1.1 200 OK\n\r\n", NULL, 0, 0, NULL, 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"HTTP/1.1 200 O\x01K\r\n\r\n", NULL, 0, 0, NULL, 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"HTTP/1.1 200 OK\r\nX : y\r\n\r\n", NULL, 0, 0, NULL, 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"HTTP/1.1 200 OK\r\nX: y\r\n z\r\n\r\n", NULL, 0, 0, NULL, 0, TN_HTTP_BODY_NONE, 0, 0, 0},
    {"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", NULL, 0, 0, NULL, 0, TN_HTTP_BODY_NONE, 0, 0, 0},
};

static int parse_resp(const char *in, size_t n, tn_http_response *resp, tn_header *h) {
    char *copy = exact(in, n);
    int r = tn_http_parse_response(copy, n, resp, h, 16, NULL);
    free(copy);
    return r;
}

TEST(http_response_table_every_split) {
    for (size_t ci = 0; ci < COUNTOF(resp_cases); ci++) {
        const resp_case *c = &resp_cases[ci];
        tn_header h[16];
        tn_http_response resp;
        size_t n = strlen(c->in);
        int want = c->ok ? (int)(n - c->extra) : TN_EPARSE;
        int whole = parse_resp(c->in, n, &resp, h);
        if (whole != want) FAILF("response case %zu: got %d, want %d", ci, whole, want);
        for (size_t k = 0; k < n; k++) {
            int r = parse_resp(c->in, k, &resp, h);
            if (!(r == TN_INCOMPLETE || r == want)) FAILF("response case %zu, prefix %zu: %d", ci, k, r);
        }
        if (!c->ok) continue;
        tn_http_parse_response(c->in, n, &resp, h, 16, NULL);
        if (resp.status_code != c->code || !str_is(resp.reason, c->reason))
            FAILF("response case %zu: code %d", ci, resp.status_code);
        tn_http_framing f;
        int fr = tn_http_response_framing(&resp, tn_str_c(c->method ? c->method : "GET"), &f);
        if (fr != (c->fok ? 0 : TN_EPARSE)) FAILF("response case %zu: framing %d", ci, fr);
        if (c->fok && (f.body != c->body || f.content_length != c->cl || f.keep_alive != (bool)c->ka))
            FAILF("response case %zu: body %d cl %llu ka %d", ci, (int)f.body,
                  (unsigned long long)f.content_length, f.keep_alive);
    }
}

TEST(http_response_limits) {
    tn_header h[3];
    tn_http_response resp;
    tn_http_limits lim = {12, 36};
    static const char in[] = "HTTP/1.1 200 OK\r\nA: b\r\nC: d\r\nE: f\r\n\r\n";
    CHECK_INT(tn_http_parse_response(in, 12, &resp, h, 2, &lim), TN_INCOMPLETE);
    CHECK_INT(tn_http_parse_response(in, 13, &resp, h, 2, &lim), TN_EPARSE);  // line > 12
    lim.max_request_line = 0;
    CHECK_INT(tn_http_parse_response(in, 29, &resp, h, 2, &lim), TN_INCOMPLETE);
    CHECK_INT(tn_http_parse_response(in, 30, &resp, h, 2, &lim), TN_EPARSE);  // third header
    CHECK_INT(tn_http_parse_response(in, 30, &resp, h, 3, &lim), TN_INCOMPLETE);
    CHECK_INT(tn_http_parse_response(in, sizeof in - 3, &resp, h, 3, &lim), TN_INCOMPLETE);
    CHECK_INT(tn_http_parse_response(in, sizeof in - 1, &resp, h, 3, &lim), TN_EPARSE);  // 37 > 36
}

// ---- chunked ------------------------------------------------------------------

typedef struct chunk_result {
    int err;          // 0 or TN_EPARSE
    bool done;
    size_t consumed;
    char data[256];
    size_t data_len;
} chunk_result;

// Decodes `in` delivered in pieces: first `split` bytes, then `step` bytes at
// a time (0: the rest at once). Each call sees an exact-size copy of the
// bytes not consumed yet, as a connection's buffer would hold them.
static chunk_result chunk_feed(const char *in, size_t n, size_t split, size_t step,
                               const tn_chunked_decoder *limits) {
    chunk_result res;
    tn_chunked_decoder d = *limits;
    size_t avail = split, pos = 0;
    memset(&res, 0, sizeof res);
    for (;;) {
        char *copy = exact(in + pos, avail - pos);
        tn_str data;
        int r = tn_chunked_decode(&d, copy, avail - pos, &data);
        if (r > 0) {
            if (data.len && (data.ptr < copy || data.ptr + data.len > copy + (avail - pos)))
                FAILF("chunk data outside the input");
            if (res.data_len + data.len > sizeof res.data) FAILF("chunk data too long");
            memcpy(res.data + res.data_len, data.ptr, data.len);
            res.data_len += data.len;
            pos += (size_t)r;
        }
        free(copy);
        if (r == 0 || r == TN_EPARSE) {
            if (r == 0 && !tn_chunked_done(&d)) FAILF("decode returned 0 before the end");
            res.err = r;
            break;
        }
        if (r == TN_INCOMPLETE) {
            if (avail == n) break;
            avail = step ? (avail + step < n ? avail + step : n) : n;
        } else if (r < 0) {
            FAILF("unexpected result %d", r);
        }
    }
    res.done = tn_chunked_done(&d);
    res.consumed = pos;
    return res;
}

typedef struct chunk_case {
    const char *in;
    int err;            // 0: valid; TN_EPARSE
    const char *data;   // the payload delivered (before the error, if any)
    size_t extra;       // bytes after the body, left unconsumed
    size_t max_line, max_trailer;
} chunk_case;

#define X17 "00000000000000001"
static const chunk_case chunk_cases[] = {
    {"5\r\nhello\r\n0\r\n\r\n", 0, "hello", 0, 0, 0},
    {"5;a=b;c\r\nhello\r\n6 ; x=\"y z\"\t; q\r\n world\r\n0;last\r\nTrailer: v\r\nX:  y\r\n\r\n",
     0, "hello world", 0, 0, 0},
    {"A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\nGET / HTTP/1.1\r\n", 0,
     "0123456789abcdefghij", 16, 0, 0},
    {"0005\r\nhello\r\n000\r\n\r\n", 0, "hello", 0, 0, 0},
    {"0000000000000003\r\nabc\r\n0\r\n\r\n", 0, "abc", 0, 0, 0},
    {"1\r\n\r\r\n1\r\n\n\r\n0\r\n\r\n", 0, "\r\n", 0, 0, 0},
    {"0\r\n\r\n", 0, "", 0, 0, 0},
    {"3;e=1\r\nabc\r\n0\r\n\r\n", 0, "abc", 0, 7, 0},      // size line of exactly 7
    {"3\r\nabc\r\n0\r\nA: b\r\n\r\n", 0, "abc", 0, 0, 8},  // trailers of exactly 8
    // rejected: sizes
    {"-1\r\n", TN_EPARSE, "", 0, 0, 0},
    {"0x10\r\n", TN_EPARSE, "", 0, 0, 0},
    {" 5\r\nhello\r\n0\r\n\r\n", TN_EPARSE, "", 0, 0, 0},
    {"+5\r\nhello\r\n0\r\n\r\n", TN_EPARSE, "", 0, 0, 0},
    {"5 5\r\nhello\r\n0\r\n\r\n", TN_EPARSE, "", 0, 0, 0},
    {"5 \r\nhello\r\n0\r\n\r\n", TN_EPARSE, "", 0, 0, 0},
    {"\r\n", TN_EPARSE, "", 0, 0, 0},
    {"g\r\n", TN_EPARSE, "", 0, 0, 0},
    {X17 "\r\nx\r\n0\r\n\r\n", TN_EPARSE, "", 0, 0, 0},
    {"ffffffffffffffffff\r\n", TN_EPARSE, "", 0, 0, 0},
    {"5\nhello\r\n0\r\n\r\n", TN_EPARSE, "", 0, 0, 0},
    {"5\rhello\r\n0\r\n\r\n", TN_EPARSE, "", 0, 0, 0},
    {"5;a\x01\r\nhello\r\n0\r\n\r\n", TN_EPARSE, "", 0, 0, 0},
    {"5;a\nhello\r\n0\r\n\r\n", TN_EPARSE, "", 0, 0, 0},
    // rejected: data not followed by CRLF
    {"5\r\nhelloX\r\n0\r\n\r\n", TN_EPARSE, "hello", 0, 0, 0},
    {"5\r\nhello\n0\r\n\r\n", TN_EPARSE, "hello", 0, 0, 0},
    {"5\r\nhello\rX0\r\n\r\n", TN_EPARSE, "hello", 0, 0, 0},
    {"5\r\nhello\r\n5\r\nworld0\r\n\r\n", TN_EPARSE, "helloworld", 0, 0, 0},
    // rejected: limits and trailers
    {"3;e=12\r\nabc\r\n0\r\n\r\n", TN_EPARSE, "", 0, 7, 0},
    {"3;eeeeeeeeeeeeeeeeeeeeeeeee", TN_EPARSE, "", 0, 8, 0},
    {"3\r\nabc\r\n0\r\nA: bc\r\n\r\n", TN_EPARSE, "abc", 0, 0, 8},
    {"3\r\nabc\r\n0\r\nA: b\r\nC: d", TN_EPARSE, "abc", 0, 0, 8},
    {"0\r\nA: b\r\n c\r\n\r\n", TN_EPARSE, "", 0, 0, 0},
    {"0\r\nA b\r\n\r\n", TN_EPARSE, "", 0, 0, 0},
    {"0\r\nA: b\n\r\n", TN_EPARSE, "", 0, 0, 0},
    {"0\r\n\n", TN_EPARSE, "", 0, 0, 0},
    {"0\r\n\rX", TN_EPARSE, "", 0, 0, 0},
};

static void check_chunk_result(size_t ci, const chunk_case *c, chunk_result r, const char *how) {
    size_t n = strlen(c->in);
    if (r.err != c->err || r.data_len != strlen(c->data) || memcmp(r.data, c->data, r.data_len))
        FAILF("chunk case %zu (%s): err %d data \"%.*s\"", ci, how, r.err, (int)r.data_len, r.data);
    if (!c->err && (!r.done || r.consumed != n - c->extra))
        FAILF("chunk case %zu (%s): done %d consumed %zu", ci, how, r.done, r.consumed);
}

TEST(http_chunked_table_every_split_and_bytewise) {
    for (size_t ci = 0; ci < COUNTOF(chunk_cases); ci++) {
        const chunk_case *c = &chunk_cases[ci];
        tn_chunked_decoder lim;
        memset(&lim, 0, sizeof lim);
        lim.max_line = c->max_line;
        lim.max_trailer = c->max_trailer;
        size_t n = strlen(c->in);
        check_chunk_result(ci, c, chunk_feed(c->in, n, n, 0, &lim), "whole");
        check_chunk_result(ci, c, chunk_feed(c->in, n, 0, 1, &lim), "bytewise");
        for (size_t k = 0; k < n; k++) check_chunk_result(ci, c, chunk_feed(c->in, n, k, 0, &lim), "split");
    }
}

// A prefix of a chunked body only ever asks for more.
TEST(http_chunked_incomplete_and_done) {
    static const char in[] = "4\r\nwiki\r\n0\r\n\r\n";
    tn_chunked_decoder d;
    tn_str data;
    memset(&d, 0, sizeof d);
    CHECK_INT(tn_chunked_decode(&d, in, 0, &data), TN_INCOMPLETE);
    CHECK_INT(tn_chunked_decode(&d, in, 2, &data), TN_INCOMPLETE);
    CHECK_INT(tn_chunked_decode(&d, in, 5, &data), 5);  // size line and "wi"
    CHECK(str_is(data, "wi"));
    CHECK(!tn_chunked_done(&d));
    CHECK_INT(tn_chunked_decode(&d, in + 5, sizeof in - 6, &data), sizeof in - 6);
    CHECK(str_is(data, "ki"));
    CHECK(tn_chunked_done(&d));
    CHECK_INT(tn_chunked_decode(&d, "x", 1, &data), 0);
    CHECK_INT(data.len, 0);
}

// Chunk sizes near the uint64_t edge neither overflow nor wrap.
TEST(http_chunked_huge_size) {
    static const char in[] = "ffffffffffffffff\r\nabc";
    tn_chunked_decoder d;
    tn_str data;
    memset(&d, 0, sizeof d);
    CHECK_INT(tn_chunked_decode(&d, in, sizeof in - 1, &data), sizeof in - 1);
    CHECK(str_is(data, "abc"));
    CHECK(!tn_chunked_done(&d));
}
