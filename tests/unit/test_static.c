// Static files over the wire (Tornado's StaticFileTest and friends): a child
// server serves a temporary folder (static_path), the same folder through an
// explicit route with a default file, and a packed table; the test talks to
// it with raw sockets and checks status, headers and body.
#define _GNU_SOURCE 1
#include "test.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child_server.h"

#define ROBOTS "User-agent: *\nDisallow: /\n"
enum { BIG_SIZE = 5 * 1024 * 1024 };

static char root[256];        // the temporary folder: root/static is served
static bool packed_app;       // the app serves `packed` as static_files at /assets/
static int64_t robots_mtime;  // of root/static/robots.txt (set to a known time)

static const unsigned char p_a[] = "hello packed\n", p_dash[] = "dash", p_index[] = "<p>packed index</p>",
                           p_js[] = "console.log(1);";
// Sorted by strcmp: "dir-a.txt" comes before "dir/..." ('-' < '/').
static const tn_packed_file packed[] = {
    {"a.txt", p_a, 13, 1000000000, "8fe887bbf5ff945114a8b82ff9bc292c6dd9f48cc19501c1855074ce0b95675e"},
    {"dir-a.txt", p_dash, 4, 1000000000, "af9d2c92ddc38ca77b3cd29e944c9b61928032808d3a3cb6c3a3c8965067291e"},
    {"dir/index.html", p_index, 19, 1000000000, "92634cf23c8c7f19eb899174162c266945357d42f3b364e084acedd5f9619872"},
    {"dir/z.js", p_js, 15, 1000000000, "35c146f76e129477c64061bc84511e1090f3d4d8059713e6663dd4b35b1f7642"},
    {NULL, NULL, 0, 0, NULL}};

static char static_dir[300];
static tn_static_desc def_desc, packed_desc;

// GET /url?p=PATH answers tn_static_url's result, or the error's name.
static void url_get(tn_handler *h) {
    tn_buf out = {0};
    int rc = tn_static_url(h, tn_get_argument(h, "p", ""), &out);
    tn_write_str(h, rc ? tn_err_name(rc) : out.data);
    tn_buf_free(&out);
}

// GET /sendfile: robots.txt through tn_send_file, by hand; then what
// tn_write and tn_finish said meanwhile, at GET /sendfile-said.
static int said_write = 1, said_finish = 1, said_again = 1;
static void sendfile_get(tn_handler *h) {
    char p[400];
    snprintf(p, sizeof p, "%s/robots.txt", static_dir);
    int fd = open(p, O_RDONLY);
    tn_set_header(h, "Content-Type", "text/plain");
    said_again = tn_send_file(h, fd, 1, 4);
    said_write = tn_write_str(h, "late");
    said_finish = tn_finish(h);
    if (said_again == 0) said_again = tn_send_file(h, open(p, O_RDONLY), 0, 1);
}
static void sendfile_said_get(tn_handler *h) { tn_writef(h, "%d %d %d", said_write, said_finish, said_again); }

// arg: NULL, or the drain_timeout (a double) to stop with.
static tn_app *make_app(tn_loop *loop, void *arg) {
    static const tn_handler_class url_class = {.get = url_get}, sendfile_class = {.get = sendfile_get, .head = sendfile_get},
                                  said_class = {.get = sendfile_said_get};
    def_desc.path = static_dir;
    def_desc.default_filename = "index.html";
    packed_desc.files = packed;
    packed_desc.default_filename = "index.html";
    static const tn_route routes[] = {TN_STATIC_ROUTE("/def/(.*)", &def_desc),
                                      TN_STATIC_ROUTE("/packed/(.*)", &packed_desc),
                                      {"/url", &url_class, NULL, NULL, NULL},
                                      {"/sendfile", &sendfile_class, NULL, NULL, NULL},
                                      {"/sendfile-said", &said_class, NULL, NULL, NULL},
                                      {NULL, NULL, NULL, NULL, NULL}};
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.routes = routes;
    d.no_access_log = true;
    if (arg) d.server.drain_timeout = *(const double *)arg;
    if (packed_app) {
        d.static_files = packed;
        d.static_url_prefix = "/assets/";
    } else {
        d.static_path = static_dir;
    }
    return tn_app_new(loop, &d);
}

static void write_file(const char *rel, const void *data, size_t n) {
    char p[400];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(data, 1, n, f) == n);
    fclose(f);
}

static unsigned char big_byte(size_t i) { return (unsigned char)((i * 131u + (i >> 12)) & 0xff); }

// root/static: robots.txt, big.bin (5 MiB), style.css, sub/index.html,
// nodef/x.txt, link (a symlink out of the root), inlink (one inside),
// sub/abslink and absdir (absolute ones inside), sub/uplink and updir
// (relative ones out); root/secret.txt lies outside.
static void make_tree(void) {
    snprintf(root, sizeof root, "/tmp/tn_static_XXXXXX");
    CHECK(mkdtemp(root) != NULL);
    snprintf(static_dir, sizeof static_dir, "%s/static", root);
    char p[400];
    const char *dirs[] = {"static", "static/sub", "static/nodef"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", root, dirs[i]);
        CHECK(mkdir(p, 0755) == 0);
    }
    write_file("static/robots.txt", ROBOTS, strlen(ROBOTS));
    write_file("static/style.css", "p{}", 3);
    write_file("static/sample.xml", "<a/>", 4);
    write_file("static/sample.xml.gz", "gz", 2);
    write_file("static/sample.xml.bz2", "bz", 2);
    write_file("static/sub/index.html", "<p>sub</p>", 10);
    write_file("static/nodef/x.txt", "x", 1);
    write_file("secret.txt", "secret", 6);
    unsigned char *big = (unsigned char *)malloc(BIG_SIZE);
    for (size_t i = 0; i < BIG_SIZE; i++) big[i] = big_byte(i);
    write_file("static/big.bin", big, BIG_SIZE);
    free(big);
    char target[400];
    snprintf(target, sizeof target, "%s/secret.txt", root);
    snprintf(p, sizeof p, "%s/static/link", root);
    CHECK(symlink(target, p) == 0);
    snprintf(p, sizeof p, "%s/static/inlink", root);
    CHECK(symlink("robots.txt", p) == 0);
    // Absolute links inside the root (openat2's RESOLVE_BENEATH refuses
    // every absolute link: realpath decides) and a relative one out of it.
    snprintf(target, sizeof target, "%s/static/robots.txt", root);
    snprintf(p, sizeof p, "%s/static/sub/abslink", root);
    CHECK(symlink(target, p) == 0);
    snprintf(target, sizeof target, "%s/static/sub", root);
    snprintf(p, sizeof p, "%s/static/absdir", root);
    CHECK(symlink(target, p) == 0);
    snprintf(p, sizeof p, "%s/static/sub/uplink", root);
    CHECK(symlink("../../secret.txt", p) == 0);
    snprintf(p, sizeof p, "%s/static/updir", root);
    CHECK(symlink("..", p) == 0);
    robots_mtime = 1400000000;  // Tue, 13 May 2014 16:53:20 GMT
    struct timespec ts[2] = {{robots_mtime, 0}, {robots_mtime, 0}};
    snprintf(p, sizeof p, "%s/static/robots.txt", root);
    CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
}

static void remove_tree(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
}

typedef struct { int status; char head[4096]; tn_buf body; } resp;

// Reads one response to a request with `method` from fd (bytes already
// received wait in `in`). Returns the status, or -1 (closed, bad framing).
static int read_resp(int fd, tn_buf *in, const char *method, resp *r) {
    tn_buf_clear(&r->body);
    r->status = -1;
    for (;;) {
        tn_header hs[64];
        tn_http_response pr;
        tn_http_framing f;
        int n = in->len ? tn_http_parse_response(in->data, in->len, &pr, hs, 64, NULL) : TN_INCOMPLETE;
        if (n > 0) {
            if (tn_http_response_framing(&pr, tn_str_c(method), &f) != 0 || f.body == TN_HTTP_BODY_CHUNKED ||
                f.body == TN_HTTP_BODY_UNTIL_CLOSE)
                return -1;  // the static handler always knows its length
            uint64_t want = f.body == TN_HTTP_BODY_LENGTH ? f.content_length : 0;
            if (in->len - (size_t)n >= want) {
                snprintf(r->head, sizeof r->head, "%.*s", n, in->data);
                tn_buf_append(&r->body, in->data + n, (size_t)want);
                tn_buf_consume(in, (size_t)n + (size_t)want);
                return r->status = pr.status_code;
            }
        } else if (n != TN_INCOMPLETE) {
            return -1;
        }
        char buf[65536];
        ssize_t got = recv(fd, buf, sizeof buf, 0);
        if (got <= 0) return -1;
        tn_buf_append(in, buf, (size_t)got);
    }
}

static int request(int port, const char *method, const char *path, const char *headers, resp *r) {
    int fd = tt_connect(port);
    char req[1024];
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: x\r\n%s\r\n", method, path, headers ? headers : "");
    tt_send_str(fd, req);
    tn_buf in = {0};
    int st = read_resp(fd, &in, method, r);
    tn_buf_free(&in);
    close(fd);
    return st;
}

// The value of header `name` in r's head ("" when absent).
static const char *header(const resp *r, const char *name, char *out, size_t cap) {
    out[0] = '\0';
    size_t nl = strlen(name);
    for (const char *line = strstr(r->head, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, name, nl) == 0 && line[2 + nl] == ':') {
            const char *v = line + 3 + nl, *end = strstr(v, "\r\n");
            while (*v == ' ') v++;
            snprintf(out, cap, "%.*s", (int)(end - v), v);
            break;
        }
    }
    return out;
}

static void etag_of(const void *data, size_t n, char *out) {
    uint8_t d[TN_SHA256_SIZE];
    tn_sha256(data, n, d);
    out[0] = '"';
    for (int i = 0; i < TN_SHA256_SIZE; i++) snprintf(out + 1 + 2 * i, 3, "%02x", d[i]);
    strcat(out, "\"");
}

// One request and what must come back. headers: "Name: value" pairs the
// response must carry, "!Name" ones it must not. body NULL: not checked.
typedef struct {
    const char *method, *path, *req_headers;
    int status;
    const char *headers[4];
    const char *body;
} scase;

static void run_cases(int port, const scase *cases, size_t n) {
    resp r = {0};
    for (size_t i = 0; i < n; i++) {
        const scase *c = &cases[i];
        int st = request(port, c->method, c->path, c->req_headers, &r);
        if (st != c->status)
            tt_fail(__FILE__, __LINE__, "case %zu %s %s [%s]: status %d, expected %d", i, c->method, c->path,
                    c->req_headers ? c->req_headers : "", st, c->status);
        for (int k = 0; k < 4 && c->headers[k]; k++) {
            const char *want = c->headers[k];
            char got[512], name[64];
            bool absent = want[0] == '!';
            const char *colon = strchr(want, ':');
            snprintf(name, sizeof name, "%.*s", (int)(colon && !absent ? colon - want : (int)strlen(want) - absent),
                     want + absent);
            header(&r, name, got, sizeof got);
            bool ok = absent ? got[0] == '\0' : strcmp(got, colon + 2) == 0;
            if (!ok)
                tt_fail(__FILE__, __LINE__, "case %zu %s %s: header %s is \"%s\", expected %s", i, c->method,
                        c->path, name, got, want);
        }
        if (c->body && (r.body.len != strlen(c->body) || memcmp(r.body.data, c->body, r.body.len) != 0))
            tt_fail(__FILE__, __LINE__, "case %zu %s %s: body \"%.*s\", expected \"%s\"", i, c->method, c->path,
                    (int)r.body.len, r.body.data, c->body);
    }
    tn_buf_free(&r.body);
}

TEST(static_files_status_headers_and_bodies) {
    make_tree();
    tt_server s = tt_server_start(make_app, NULL);
    char etag[80], inm[120], inm_bad[120], inm_range[200], ims_same[80], ims_before[80], ims_after[80],
        ims_mismatch[240];
    etag_of(ROBOTS, strlen(ROBOTS), etag);
    char date[TN_HTTP_DATE_SIZE], etag_hdr[100], lm_hdr[80];
    snprintf(etag_hdr, sizeof etag_hdr, "Etag: %s", etag);
    tn_http_date_format(date, (time_t)robots_mtime);
    snprintf(lm_hdr, sizeof lm_hdr, "Last-Modified: %s", date);
    snprintf(inm, sizeof inm, "If-None-Match: %s\r\n", etag);
    snprintf(inm_bad, sizeof inm_bad, "If-None-Match: \"0123\"\r\n");
    snprintf(inm_range, sizeof inm_range, "If-None-Match: %s\r\nRange: bytes=0-9\r\n", etag);
    snprintf(ims_same, sizeof ims_same, "If-Modified-Since: %s\r\n", date);
    tn_http_date_format(date, (time_t)robots_mtime - 1);
    snprintf(ims_before, sizeof ims_before, "If-Modified-Since: %s\r\n", date);
    tn_http_date_format(date, (time_t)robots_mtime + 1);
    snprintf(ims_after, sizeof ims_after, "If-Modified-Since: %s\r\n", date);
    snprintf(ims_mismatch, sizeof ims_mismatch, "%s%s", inm_bad, ims_same);
    const scase cases[] = {
        // test_static_files, test_static_etag, test_static_files_cacheable
        {"GET", "/static/robots.txt", NULL, 200,
         {"Content-Type: text/plain", "Accept-Ranges: bytes", "!Cache-Control", "Content-Length: 26"}, ROBOTS},
        {"GET", "/static/robots.txt", NULL, 200, {etag_hdr, lm_hdr, "!Expires"}, ROBOTS},
        {"GET", "/robots.txt", NULL, 200, {etag_hdr}, ROBOTS},
        {"GET", "/static/style.css", NULL, 200, {"Content-Type: text/css"}, "p{}"},
        // test_static_compressed_files
        {"GET", "/static/sample.xml.gz", NULL, 200, {"Content-Type: application/gzip"}, "gz"},
        {"GET", "/static/sample.xml.bz2", NULL, 200, {"Content-Type: application/octet-stream"}, "bz"},
        {"GET", "/static/sample.xml", NULL, 200, {"Content-Type: text/xml"}, "<a/>"},
        {"GET", "/static/robots.txt?v=abc", NULL, 200, {"Cache-Control: max-age=315360000", "!Nothing"}, ROBOTS},
        {"GET", "/static/inlink", NULL, 200, {etag_hdr}, ROBOTS},
        {"GET", "/static/sub/abslink", NULL, 200, {etag_hdr}, ROBOTS},
        {"GET", "/static/absdir/abslink", NULL, 200, {etag_hdr}, ROBOTS},
        {"GET", "/static/absdir/index.html", NULL, 200, {"Content-Type: text/html"}, "<p>sub</p>"},
        {"GET", "/static/updir/static/robots.txt", NULL, 200, {etag_hdr}, ROBOTS},  // out and back in
        {"GET", "/def/absdir/", NULL, 200, {"Content-Type: text/html"}, "<p>sub</p>"},
        // ranges
        {"GET", "/static/robots.txt", "Range: bytes=0-9\r\n", 206,
         {"Content-Range: bytes 0-9/26", "Content-Length: 10"}, "User-agent"},
        {"GET", "/static/robots.txt", "Range: bytes=0-\r\n", 200, {"!Content-Range", "Content-Length: 26"}, ROBOTS},
        {"GET", "/static/robots.txt", "Range: bytes=0-10000000\r\n", 200, {"!Content-Range"}, ROBOTS},
        {"GET", "/static/robots.txt", "Range: bytes=1-10000000\r\n", 206, {"Content-Range: bytes 1-25/26"},
         &ROBOTS[1]},
        {"GET", "/static/robots.txt", "Range: bytes=22-\r\n", 206, {"Content-Range: bytes 22-25/26"}, ": /\n"},
        {"GET", "/static/robots.txt", "Range: bytes=-4\r\n", 206, {"Content-Range: bytes 22-25/26"}, ": /\n"},
        {"GET", "/static/robots.txt", "Range: bytes=-1000000\r\n", 200, {"!Content-Range"}, ROBOTS},
        {"GET", "/static/robots.txt", "Range: asdf\r\n", 200, {"!Content-Range"}, ROBOTS},
        {"GET", "/static/robots.txt", "Range: bytes=-0\r\n", 416, {"Content-Range: bytes */26", "Content-Type: text/plain"}, ""},
        {"GET", "/static/robots.txt", "Range: bytes=26-\r\n", 416, {"Content-Range: bytes */26"}, ""},
        {"GET", "/static/robots.txt", "Range: bytes=4-2\r\n", 416, {"Content-Range: bytes */26"}, ""},
        // HEAD
        {"HEAD", "/static/robots.txt", NULL, 200, {"Content-Length: 26", etag_hdr}, ""},
        {"HEAD", "/static/robots.txt", "Range: bytes=0-9\r\n", 206,
         {"Content-Length: 10", "Content-Range: bytes 0-9/26"}, ""},
        // conditional requests
        {"GET", "/static/robots.txt", inm, 304, {etag_hdr, "!Content-Length"}, ""},
        {"HEAD", "/static/robots.txt", inm, 304, {etag_hdr}, ""},
        {"GET", "/static/robots.txt", "If-None-Match: \"a\", *\r\n", 304, {etag_hdr}, ""},
        {"GET", "/static/robots.txt", inm_bad, 200, {etag_hdr}, ROBOTS},
        {"GET", "/static/robots.txt", inm_range, 304, {"!Content-Range"}, ""},
        {"GET", "/static/robots.txt", ims_same, 304, {lm_hdr}, ""},
        {"GET", "/static/robots.txt", ims_after, 304, {lm_hdr}, ""},
        {"GET", "/static/robots.txt", ims_before, 200, {lm_hdr}, ROBOTS},
        {"GET", "/static/robots.txt", ims_mismatch, 200, {etag_hdr}, ROBOTS},  // test_static_304_etag_modified_bug
        {"GET", "/static/robots.txt", "If-Modified-Since: asdf\r\n", 200, {lm_hdr}, ROBOTS},
        {"GET", "/static/robots.txt", "If-Modified-Since: Fri, 01 Jan 1960 00:00:00 GMT\r\n", 200, {lm_hdr},
         ROBOTS},
        // refused paths
        {"GET", "/static/blarg", NULL, 404, {"!Etag"}, NULL},
        {"GET", "/static/../secret.txt", NULL, 403, {"!Etag"}, NULL},
        {"GET", "/static/%2e%2e/secret.txt", NULL, 403, {"!Etag"}, NULL},
        {"GET", "/static/sub/%2E%2E/robots.txt", NULL, 403, {"!Etag"}, NULL},
        {"GET", "/static//etc/passwd", NULL, 403, {"!Etag"}, NULL},
        {"GET", "/static/%2fetc/passwd", NULL, 403, {"!Etag"}, NULL},
        {"GET", "/static/link", NULL, 403, {"!Etag"}, NULL},
        {"GET", "/static/sub/uplink", NULL, 403, {"!Etag"}, NULL},
        {"GET", "/static/updir/secret.txt", NULL, 403, {"!Etag"}, NULL},
        {"GET", "/static/sub/abslink/x", NULL, 404, {"!Etag"}, NULL},
        {"GET", "/static/a%00b", NULL, 403, {"!Etag"}, NULL},
        {"GET", "/static/sub", NULL, 403, {"!Location"}, NULL},  // no default_filename
        {"GET", "/static/", NULL, 403, {"!Location"}, NULL},
        {"POST", "/static/robots.txt", "Content-Length: 0\r\n", 405, {"Allow: GET, HEAD"}, NULL},
        {"GET", "/static/./sub//index.html", NULL, 200, {"Content-Type: text/html"}, "<p>sub</p>"},
        // default_filename (StaticDefaultFilenameTest)
        {"GET", "/def/sub", NULL, 301, {"Location: /def/sub/"}, ""},
        {"GET", "/def/sub?x=1", NULL, 301, {"Location: /def/sub/"}, ""},
        {"GET", "/def/sub/", NULL, 200, {"Content-Type: text/html"}, "<p>sub</p>"},
        {"HEAD", "/def/sub/", NULL, 200, {"Content-Length: 10"}, ""},
        {"GET", "/def/nodef/", NULL, 404, {"!Location"}, NULL},
        {"GET", "/def/", NULL, 404, {"!Location"}, NULL},
        {"GET", "/def/nodef/x.txt", NULL, 200, {"Content-Type: text/plain"}, "x"},
        // packed files, same rules
        {"GET", "/packed/a.txt", NULL, 200,
         {"Etag: \"8fe887bbf5ff945114a8b82ff9bc292c6dd9f48cc19501c1855074ce0b95675e\"",
          "Last-Modified: Sun, 09 Sep 2001 01:46:40 GMT", "Content-Type: text/plain", "Accept-Ranges: bytes"},
         "hello packed\n"},
        {"GET", "/packed/a.txt", "Range: bytes=6-11\r\n", 206, {"Content-Range: bytes 6-11/13"}, "packed"},
        {"GET", "/packed/a.txt", "Range: bytes=6-\r\n", 206, {"Content-Range: bytes 6-12/13"}, "packed\n"},
        {"GET", "/packed/a.txt", "Range: bytes=13-\r\n", 416, {"Content-Range: bytes */13"}, ""},
        {"HEAD", "/packed/a.txt", NULL, 200, {"Content-Length: 13"}, ""},
        {"HEAD", "/packed/a.txt", "Range: bytes=0-4\r\n", 206, {"Content-Length: 5"}, ""},
        {"GET", "/packed/a.txt", "If-None-Match: \"8fe887bbf5ff945114a8b82ff9bc292c6dd9f48cc19501c1855074ce0b95675e\"\r\n",
         304, {"!Content-Length"}, ""},
        {"GET", "/packed/a.txt", "If-Modified-Since: Sun, 09 Sep 2001 01:46:40 GMT\r\n", 304, {"!Content-Type"}, ""},
        {"GET", "/packed/a.txt", "If-Modified-Since: Sun, 09 Sep 2001 01:46:39 GMT\r\n", 200, {"!Content-Range"},
         "hello packed\n"},
        {"GET", "/packed/dir-a.txt", NULL, 200, {"Content-Length: 4"}, "dash"},
        {"GET", "/packed/dir", NULL, 301, {"Location: /packed/dir/"}, ""},
        {"GET", "/packed/dir/", NULL, 200, {"Content-Type: text/html"}, "<p>packed index</p>"},
        {"GET", "/packed/dir/z.js", NULL, 200, {"Content-Type: text/javascript"}, "console.log(1);"},
        {"GET", "/packed/", NULL, 404, {"!Location"}, NULL},
        {"GET", "/packed/dir/nothere", NULL, 404, {"!Etag"}, NULL},
        {"GET", "/packed/di", NULL, 404, {"!Etag"}, NULL},
        {"GET", "/packed/../a.txt", NULL, 403, {"!Etag"}, NULL},
        // tn_send_file by hand: the request is the file's until it is out
        {"GET", "/sendfile", NULL, 200, {"Content-Length: 4", "Content-Type: text/plain"}, "ser-"},
        {"GET", "/sendfile-said", NULL, 200, {"!Location"}, "-7 -6 -7"},  // ECLOSED, EBUSY, ECLOSED
        {"HEAD", "/sendfile", NULL, 200, {"Content-Length: 4"}, ""},
        // test_static_url
        {"GET", "/url?p=robots.txt", NULL, 200, {"!Location"}, NULL},
        {"GET", "/url?p=nothere.txt", NULL, 200, {"!Location"}, "NOENT"},
        {"GET", "/url?p=../secret.txt", NULL, 200, {"!Location"}, "NOENT"},
        {"GET", "/url?p=sub", NULL, 200, {"!Location"}, "NOENT"},
    };
    run_cases(s.port, cases, sizeof cases / sizeof cases[0]);
    resp r = {0};
    char want[200];
    snprintf(want, sizeof want, "/static/robots.txt?v=%.32s", etag + 1);
    CHECK_INT(request(s.port, "GET", "/url?p=robots.txt", NULL, &r), 200);
    CHECK_MEM(r.body.data, r.body.len, want, strlen(want));
    tn_buf_free(&r.body);
    tt_server_stop(s);
    remove_tree();
}

// Reads exactly n bytes of a response body into a fresh buffer.
static void check_big_body(const resp *r, size_t from, size_t n) {
    CHECK_INT(r->body.len, n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)r->body.data[i] != big_byte(from + i))
            tt_fail(__FILE__, __LINE__, "byte %zu of the body differs", i);
}

TEST(static_large_file_whole_ranged_pipelined_and_kept_alive) {
    make_tree();
    tt_server s = tt_server_start(make_app, NULL);
    int fd = tt_connect(s.port);
    // Pipelined: all four requests leave before any answer is read.
    tt_send_str(fd, "GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                    "GET /static/big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=1000000-3999999\r\n\r\n"
                    "HEAD /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                    "GET /static/robots.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    tn_buf in = {0};
    resp r = {0};
    char v[128];
    CHECK_INT(read_resp(fd, &in, "GET", &r), 200);
    CHECK_STR(header(&r, "Content-Length", v, sizeof v), "5242880");
    CHECK_STR(header(&r, "Content-Type", v, sizeof v), "application/octet-stream");
    check_big_body(&r, 0, BIG_SIZE);
    CHECK_INT(read_resp(fd, &in, "GET", &r), 206);
    CHECK_STR(header(&r, "Content-Range", v, sizeof v), "bytes 1000000-3999999/5242880");
    check_big_body(&r, 1000000, 3000000);
    CHECK_INT(read_resp(fd, &in, "HEAD", &r), 200);
    CHECK_STR(header(&r, "Content-Length", v, sizeof v), "5242880");
    CHECK_INT(r.body.len, 0);
    CHECK_INT(read_resp(fd, &in, "GET", &r), 200);
    CHECK_MEM(r.body.data, r.body.len, ROBOTS, strlen(ROBOTS));
    CHECK_INT(in.len, 0);
    // Still open for another request (keep-alive after file bodies).
    tt_send_str(fd, "GET /static/big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=-3\r\n\r\n");
    CHECK_INT(read_resp(fd, &in, "GET", &r), 206);
    check_big_body(&r, BIG_SIZE - 3, 3);
    // HTTP/1.0 without keep-alive: the file, then the close.
    tt_send_str(fd, "GET /static/big.bin HTTP/1.0\r\n\r\n");
    CHECK_INT(read_resp(fd, &in, "GET", &r), 200);
    check_big_body(&r, 0, BIG_SIZE);
    CHECK(recv(fd, v, 1, 0) == 0);
    close(fd);
    tn_buf_free(&in);
    tn_buf_free(&r.body);
    tt_server_stop(s);
    remove_tree();
}

TEST(static_client_leaving_during_a_file_body_frees_everything) {
    make_tree();
    tt_server s = tt_server_start(make_app, NULL);
    for (int i = 0; i < 3; i++) {
        int fd = tt_connect(s.port);
        int small = 4096;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        tt_send_str(fd, "GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        char buf[1000];
        CHECK(recv(fd, buf, sizeof buf, 0) > 0);  // the head and a little of the body
        close(fd);
    }
    resp r = {0};
    CHECK_INT(request(s.port, "GET", "/static/robots.txt", NULL, &r), 200);
    tn_buf_free(&r.body);
    tt_server_stop(s);  // exits 0 only when nothing leaked
    remove_tree();
}

TEST(static_files_packed_in_the_app_under_a_custom_prefix) {
    packed_app = true;
    tt_server s = tt_server_start(make_app, NULL);
    const scase cases[] = {
        {"GET", "/assets/a.txt", NULL, 200, {"Content-Length: 13", "!Cache-Control"}, "hello packed\n"},
        {"GET", "/assets/a.txt?v=1", NULL, 200, {"Cache-Control: max-age=315360000"}, "hello packed\n"},
        {"GET", "/assets/dir", NULL, 403, {"!Location"}, NULL},  // the app's route has no default file
        {"GET", "/assets/nothere", NULL, 404, {"!Etag"}, NULL},
        {"GET", "/robots.txt", NULL, 404, {"!Etag"}, NULL},
        {"GET", "/static/a.txt", NULL, 404, {"!Etag"}, NULL},
        {"GET", "/url?p=dir/z.js", NULL, 200, {"!Location"}, "/assets/dir/z.js?v=35c146f76e129477c64061bc84511e10"},
        {"GET", "/url?p=dir", NULL, 200, {"!Location"}, "NOENT"},
    };
    run_cases(s.port, cases, sizeof cases / sizeof cases[0]);
    tt_server_stop(s);
}

// ---- tn_stream_write_file over a socketpair

// Which write callbacks ran (1, 2, 3 by function), in order, with their status.
typedef struct { int order[8], status[8], n; } wf_state;

static void wf_record(wf_state *w, int id, int status) {
    w->status[w->n] = status;
    w->order[w->n++] = id;
}
static void wf_cb1(tn_stream *s, int status, void *arg) { (void)s, wf_record((wf_state *)arg, 1, status); }
static void wf_cb2(tn_stream *s, int status, void *arg) { (void)s, wf_record((wf_state *)arg, 2, status); }
static void wf_cb3(tn_stream *s, int status, void *arg) { (void)s, wf_record((wf_state *)arg, 3, status); }
static void wf_cb4(tn_stream *s, int status, void *arg) { (void)s, wf_record((wf_state *)arg, 4, status); }

static int temp_file(size_t n) {
    char path[] = "/tmp/tn_wf_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);
    unsigned char buf[4096];
    for (size_t i = 0; i < n; i += sizeof buf) {
        size_t k = n - i < sizeof buf ? n - i : sizeof buf;
        for (size_t j = 0; j < k; j++) buf[j] = big_byte(i + j);
        CHECK(write(fd, buf, k) == (ssize_t)k);
    }
    return fd;
}

static bool fd_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

TEST(stream_write_file_goes_between_the_writes_around_it) {
    tn_loop *loop = tt_loop_new();
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    tn_stream *s = tn_stream_new(loop, sv[0], NULL);
    size_t flen = 2u << 20, off = 100;
    int fd = temp_file(flen + 1000), fd2 = temp_file(10);
    wf_state w;
    memset(&w, 0, sizeof w);
    CHECK_OK(tn_stream_write(s, "HEAD", 4, wf_cb1, &w));
    CHECK_OK(tn_stream_write_file(s, fd, off, flen, wf_cb2, &w));
    CHECK_OK(tn_stream_write_file(s, fd2, 0, 10, NULL, NULL));  // a second file waits for the first
    CHECK_OK(tn_stream_write(s, "TAIL", 4, wf_cb3, &w));
    CHECK(tn_stream_write_buffer_size(s) > 0);
    CHECK_INT(w.n, 0);  // never inside the call
    size_t want = 4 + flen + 10 + 4, got = 0;
    char *buf = (char *)malloc(want);
    while (got < want) {
        CHECK_OK(tn_loop_run_once(loop, 0));
        ssize_t r = tt_recv_nowait(sv[1], buf + got, want - got);
        if (r > 0) got += (size_t)r;
    }
    while (w.n < 3) CHECK_OK(tn_loop_run_once(loop, 1));
    CHECK_MEM(buf, 4, "HEAD", 4);
    for (size_t i = 0; i < flen; i++)
        if ((unsigned char)buf[4 + i] != big_byte(off + i)) tt_fail(__FILE__, __LINE__, "file byte %zu differs", i);
    for (size_t i = 0; i < 10; i++) CHECK_INT((unsigned char)buf[4 + flen + i], big_byte(i));
    CHECK(!fd_open(fd2));
    CHECK_MEM(buf + 4 + flen + 10, 4, "TAIL", 4);
    for (int i = 0; i < 3; i++) CHECK_INT(w.order[i], i + 1);
    for (int i = 0; i < 3; i++) CHECK_INT(w.status[i], 0);
    CHECK(!fd_open(fd));  // closed once sent
    CHECK_INT(tn_stream_write_buffer_size(s), 0);
    // An empty file part still calls back.
    int fd3 = temp_file(0);
    CHECK_OK(tn_stream_write_file(s, fd3, 0, 0, wf_cb1, &w));
    while (w.n < 4) CHECK_OK(tn_loop_run_once(loop, 1));
    CHECK(!fd_open(fd3));
    free(buf);
    close(sv[1]);
    tn_loop_free(loop);
}

// A file the kernel takes at once is done before its callback has run: the
// next file may be queued then, and every callback still runs, in order (an
// empty write right after a file calls back after the file's).
TEST(stream_write_file_callbacks_keep_their_order_across_files) {
    tn_loop *loop = tt_loop_new();
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    tn_stream *s = tn_stream_new(loop, sv[0], NULL);
    wf_state w;
    memset(&w, 0, sizeof w);
    int f1 = temp_file(1000), f2 = temp_file(3000);
    CHECK_OK(tn_stream_write(s, "A", 1, wf_cb1, &w));
    CHECK_OK(tn_stream_write_file(s, f1, 10, 500, wf_cb2, &w));
    CHECK(!fd_open(f1));  // all sent within the call
    CHECK_OK(tn_stream_write(s, "", 0, wf_cb3, &w));
    CHECK_OK(tn_stream_write_file(s, f2, 0, 3000, wf_cb4, &w));
    CHECK_INT(tn_stream_write_buffer_size(s), 0);
    CHECK_INT(w.n, 0);
    while (w.n < 4) CHECK_OK(tn_loop_run_once(loop, 1));
    for (int i = 0; i < 4; i++) CHECK_INT(w.order[i], i + 1);
    for (int i = 0; i < 4; i++) CHECK_INT(w.status[i], 0);
    unsigned char buf[3501];
    size_t got = 0;
    while (got < sizeof buf) {
        ssize_t r = recv(sv[1], buf + got, sizeof buf - got, 0);
        CHECK(r > 0);
        got += (size_t)r;
    }
    CHECK_INT(buf[0], 'A');
    for (size_t i = 0; i < 500; i++) CHECK_INT(buf[1 + i], big_byte(10 + i));
    for (size_t i = 0; i < 3000; i++) CHECK_INT(buf[501 + i], big_byte(i));
    close(sv[1]);
    tn_loop_free(loop);
}

// Bytes sent and not yet received wait in the peer's receive queue.
static size_t unread(int fd) {
    int n = 0;
    CHECK(ioctl(fd, FIONREAD, &n) == 0);
    return (size_t)n;
}

// Counts the bytes a file still owes: the kernel took some, the rest waits.
TEST(stream_write_buffer_size_counts_the_file_bytes_left) {
    tn_loop *loop = tt_loop_new();
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    tn_stream *s = tn_stream_new(loop, sv[0], NULL);
    wf_state w;
    memset(&w, 0, sizeof w);
    size_t flen = 4u << 20;
    CHECK_OK(tn_stream_write_file(s, temp_file(flen), 0, flen, wf_cb1, &w));
    CHECK_OK(tn_stream_write(s, "TAIL", 4, wf_cb2, &w));
    size_t got = 0, want = flen + 4;
    char *buf = (char *)malloc(65536);
    while (got < want) {
        CHECK_INT(tn_stream_write_buffer_size(s) + unread(sv[1]) + got, want);
        ssize_t r = tt_recv_nowait(sv[1], buf, 65536);
        if (r > 0) got += (size_t)r;
        CHECK_OK(tn_loop_run_once(loop, 0));
    }
    CHECK_INT(tn_stream_write_buffer_size(s), 0);
    while (w.n < 2) CHECK_OK(tn_loop_run_once(loop, 1));
    CHECK_INT(w.order[0], 1);
    CHECK_INT(w.order[1], 2);
    free(buf);
    close(sv[1]);
    tn_loop_free(loop);
}

TEST(stream_write_file_shorter_than_announced_fails_and_closes) {
    tn_loop *loop = tt_loop_new();
    tn_log_set_level(TN_LOG_ERROR);
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    tn_stream *s = tn_stream_new(loop, sv[0], NULL);
    wf_state w;
    memset(&w, 0, sizeof w);
    int fd = temp_file(1000);
    CHECK_OK(tn_stream_write_file(s, fd, 0, 5000, wf_cb1, &w));
    while (w.n < 1) CHECK_OK(tn_loop_run_once(loop, 1));
    CHECK_INT(w.status[0], TN_EPIPE);  // the stream is closed (and freed) by now
    CHECK(!fd_open(fd));
    char buf[2000];
    size_t got = 0;
    ssize_t r;
    while ((r = recv(sv[1], buf + got, sizeof buf - got, 0)) > 0) got += (size_t)r;
    CHECK_INT(got, 1000);  // what there was, then the close
    close(sv[1]);
    tn_loop_free(loop);
}

TEST(stream_write_file_pending_when_the_loop_is_freed) {
    tn_loop *loop = tt_loop_new();
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    tn_stream *s = tn_stream_new(loop, sv[0], NULL);
    wf_state w;
    memset(&w, 0, sizeof w);
    int fd = temp_file(4u << 20);  // more than a socket buffer: it waits for the peer
    CHECK_OK(tn_stream_write_file(s, fd, 0, 4u << 20, wf_cb1, &w));
    int fd2 = temp_file(1);
    CHECK_OK(tn_stream_write_file(s, fd2, 0, 1, NULL, NULL));
    tn_loop_free(loop);
    CHECK(!fd_open(fd2));
    CHECK_INT(w.n, 1);
    CHECK_INT(w.status[0], TN_ECANCELED);
    CHECK(!fd_open(fd));
    close(sv[1]);
}

TEST(static_server_stopped_while_a_file_body_waits_for_its_client) {
    make_tree();
    double drain_timeout = 0.25;  // SIGTERM drains: the file waits for its reader until then
    tt_server s = tt_server_start(make_app, &drain_timeout);
    int fd = tt_connect(s.port);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    tt_send_str(fd, "GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    char buf[1000];
    CHECK(recv(fd, buf, sizeof buf, 0) > 0);  // started; the rest waits for us
    tt_server_stop(s);                         // exits 0 only when nothing leaked
    close(fd);
    remove_tree();
}

TEST(static_etag_follows_a_file_rewritten_in_the_same_second_with_the_same_size) {
    make_tree();
    tt_server s = tt_server_start(make_app, NULL);
    char p[400], v[128], want[80];
    snprintf(p, sizeof p, "%s/static/style.css", root);
    resp r = {0};
    struct timespec ts[2] = {{1600000000, 100}, {1600000000, 100}};
    CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
    CHECK_INT(request(s.port, "GET", "/static/style.css", NULL, &r), 200);
    etag_of("p{}", 3, want);
    CHECK_STR(header(&r, "Etag", v, sizeof v), want);
    write_file("static/style.css", "q{}", 3);
    ts[0].tv_nsec = ts[1].tv_nsec = 200;
    CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
    CHECK_INT(request(s.port, "GET", "/static/style.css", NULL, &r), 200);
    etag_of("q{}", 3, want);
    CHECK_STR(header(&r, "Etag", v, sizeof v), want);
    CHECK_MEM(r.body.data, r.body.len, "q{}", 3);
    tn_buf_free(&r.body);
    tt_server_stop(s);
    remove_tree();
}

// A deploy replaces the served folder between two requests: renamed over
// (the old one then removed), or a symlink `current` moved to a new
// release. Each answer comes from the folder the path names now.
static char swap_path[300];
static tn_app *make_swap_app(tn_loop *loop, void *arg) {
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.no_access_log = true;
    d.static_path = swap_path;
    (void)arg;
    return tn_app_new(loop, &d);
}

static void make_release(const char *name, const char *text) {
    char p[400], f[420];
    snprintf(p, sizeof p, "%s/%s", root, name);
    CHECK(mkdir(p, 0755) == 0);
    snprintf(f, sizeof f, "%s/app.css", name);
    write_file(f, text, strlen(text));
}

static void swap_in(const char *from, const char *to) {
    char a[400], b[400];
    snprintf(a, sizeof a, "%s/%s", root, from);
    snprintf(b, sizeof b, "%s/%s", root, to);
    CHECK(rename(a, b) == 0);
}

static void get_css(int port, const char *want) {
    resp r = {0};
    CHECK_INT(request(port, "GET", "/static/app.css", NULL, &r), 200);
    CHECK_MEM(r.body.data, r.body.len, want, strlen(want));
    tn_buf_free(&r.body);
}

TEST(static_root_replaced_between_requests_is_followed) {
    make_tree();
    make_release("site", "one");
    snprintf(swap_path, sizeof swap_path, "%s/site", root);
    tt_server s = tt_server_start(make_swap_app, NULL);
    get_css(s.port, "one");
    make_release("site.new", "two");
    swap_in("site", "site.old");
    swap_in("site.new", "site");
    get_css(s.port, "two");
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/site.old'", root);
    CHECK(system(cmd) == 0);
    swap_in("site", "site.old");  // the one just served, removed
    snprintf(cmd, sizeof cmd, "rm -rf '%s/site.old'", root);
    CHECK(system(cmd) == 0);
    make_release("site", "three");
    get_css(s.port, "three");
    snprintf(cmd, sizeof cmd, "rm -rf '%s/site'", root);
    CHECK(system(cmd) == 0);
    resp r = {0};
    CHECK_INT(request(s.port, "GET", "/static/app.css", NULL, &r), 404);
    make_release("site", "four");
    get_css(s.port, "four");
    tn_buf_free(&r.body);
    tt_server_stop(s);
    // The same through a symlink moved from one release to the next.
    make_release("r1", "r-one");
    make_release("r2", "r-two");
    char p[400];
    snprintf(p, sizeof p, "%s/current", root);
    CHECK(symlink("r1", p) == 0);
    snprintf(swap_path, sizeof swap_path, "%s/current", root);
    s = tt_server_start(make_swap_app, NULL);
    get_css(s.port, "r-one");
    snprintf(p, sizeof p, "%s/next", root);
    CHECK(symlink("r2", p) == 0);
    swap_in("next", "current");
    get_css(s.port, "r-two");
    tt_server_stop(s);
    remove_tree();
}

TEST(static_files_out_of_order_refuse_the_app) {
    tn_loop *loop = tt_loop_new();
    tn_log_set_level(TN_LOG_NONE);
    const tn_packed_file unsorted[] = {{"b.txt", p_a, 13, 0, packed[0].hash},
                                       {"a.txt", p_a, 13, 0, packed[0].hash},
                                       {NULL, NULL, 0, 0, NULL}};
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.static_files = unsorted;
    CHECK(tn_app_new(loop, &d) == NULL);
    d.static_files = packed;
    tn_app *app = tn_app_new(loop, &d);
    CHECK(app != NULL);
    tn_app_free(app);
    tn_loop_free(loop);
}

// ---- gzip: compress_response and gzip_static (rules: >>static)

#if TN_ENABLE_DEFLATE  // compress_response needs the codec
static tn_static_desc gz_desc;

// arg: non-NULL for compress_response; /gz/ has gzip_static either way.
static tn_app *make_gzip_app(tn_loop *loop, void *arg) {
    gz_desc.path = static_dir;
    gz_desc.gzip_static = true;
    static const tn_route routes[] = {TN_STATIC_ROUTE("/gz/(.*)", &gz_desc), {NULL, NULL, NULL, NULL, NULL}};
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.routes = routes;
    d.no_access_log = true;
    d.static_path = static_dir;
    d.compress_response = arg != NULL;
    return tn_app_new(loop, &d);
}

static void set_mtime(const char *rel, time_t t) {
    char p[400];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    struct timespec ts[2] = {{t, 0}, {t, 0}};
    CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
}

// g.txt with a (fake) g.txt.gz made after it, old.txt with an older one,
// fly.txt alone; all text over compress_min_length.
static char gz_text[2049];
static void make_gzip_files(void) {
    memset(gz_text, 'a', sizeof gz_text - 1);
    const char *rels[] = {"static/g.txt", "static/old.txt", "static/fly.txt"};
    for (int i = 0; i < 3; i++) write_file(rels[i], gz_text, strlen(gz_text)), set_mtime(rels[i], 1500000000);
    write_file("static/g.txt.gz", "GZ-SIDECAR", 10);
    set_mtime("static/g.txt.gz", 1500000001);
    write_file("static/old.txt.gz", "GZ-STALE", 8);
    set_mtime("static/old.txt.gz", 1499999999);
}

TEST(static_gzip_sidecar_on_the_fly_ranges_and_304_vary) {
    make_tree();
    make_gzip_files();
    tt_server s = tt_server_start(make_gzip_app, (void *)"compress");
    char side_tag[80], fly_tag[80], fly_hdr[100], fly_inm[160], side_hdr[100];
    etag_of("GZ-SIDECAR", 10, side_tag);
    etag_of(gz_text, strlen(gz_text), fly_tag);
    snprintf(side_hdr, sizeof side_hdr, "Etag: %s", side_tag);
    snprintf(fly_tag + strlen(fly_tag) - 1, 10, "-gzip\"");
    snprintf(fly_hdr, sizeof fly_hdr, "Etag: %s", fly_tag);
    snprintf(fly_inm, sizeof fly_inm, "Accept-Encoding: gzip\r\nIf-None-Match: %s\r\n", fly_tag);
    const char *gz = "Accept-Encoding: gzip\r\n";
    const scase cases[] = {
        {"GET", "/static/g.txt", gz, 200, {"Content-Encoding: gzip", "Vary: Accept-Encoding", side_hdr, "Content-Length: 10"}, "GZ-SIDECAR"},
        {"GET", "/static/g.txt", NULL, 200, {"!Content-Encoding", "Vary: Accept-Encoding"}, gz_text},
        {"GET", "/static/g.txt", "Accept-Encoding: gzip\r\nRange: bytes=0-3\r\n", 206, {"!Content-Encoding"}, "aaaa"},
        {"HEAD", "/static/g.txt", gz, 200, {"Content-Encoding: gzip", "Content-Length: 10"}, ""},
        {"GET", "/static/g.txt.gz", gz, 200, {"!Content-Encoding", "Content-Type: application/gzip"}, "GZ-SIDECAR"},
        {"GET", "/static/old.txt", gz, 200, {"Content-Encoding: gzip", fly_hdr}, NULL},  // not the stale .gz
        {"GET", "/static/fly.txt", gz, 200, {"Content-Encoding: gzip", "Vary: Accept-Encoding", fly_hdr}, NULL},
        {"HEAD", "/static/fly.txt", gz, 200, {"Content-Encoding: gzip", fly_hdr}, ""},
        {"GET", "/static/fly.txt", fly_inm, 304, {"Vary: Accept-Encoding", fly_hdr}, ""},
        {"GET", "/static/fly.txt", "Range: bytes=1-2\r\nAccept-Encoding: gzip\r\n", 206, {"!Content-Encoding"}, "aa"},
        {"GET", "/static/robots.txt", gz, 200, {"!Content-Encoding", "Vary: Accept-Encoding"}, ROBOTS},
        {"GET", "/static/big.bin", gz, 200, {"!Content-Encoding", "!Vary"}, NULL},
    };
    run_cases(s.port, cases, sizeof cases / sizeof cases[0]);
    tt_server_stop(s);
    // gzip_static alone: only the route's NAME.gz, nothing gzipped on the fly
    s = tt_server_start(make_gzip_app, NULL);
    const scase alone[] = {
        {"GET", "/gz/g.txt", gz, 200, {"Content-Encoding: gzip", "Vary: Accept-Encoding"}, "GZ-SIDECAR"},
        {"GET", "/gz/fly.txt", gz, 200, {"!Content-Encoding", "!Vary"}, gz_text},
        {"GET", "/gz/old.txt", gz, 200, {"!Content-Encoding"}, gz_text},
        {"GET", "/static/g.txt", gz, 200, {"!Content-Encoding", "!Vary"}, gz_text},
    };
    run_cases(s.port, alone, sizeof alone / sizeof alone[0]);
    tt_server_stop(s);
    remove_tree();
}
#endif
