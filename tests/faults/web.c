// Fault scenarios over loopback: an app (routing, arguments, cookies,
// templates, static files, bodies, chunked answers, 404) fetched with our
// HTTP client through tn_http_test, keep-alive and pipelined requests over a
// raw socket, and a WebSocket echo with our WebSocket client. The handlers
// are written as users write them: they ignore what tn_write returns.
#define _GNU_SOURCE 1
#include "faults.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void hello_get(tn_handler *h) { tn_write_str(h, "Hello, world"); }
static void args_get(tn_handler *h) {
    tn_writef(h, "a=%s b=%s", tn_get_argument(h, "a", "none"), tn_get_argument(h, "b", "none"));
}
static void path_get(tn_handler *h) {
    tn_str id = tn_path_arg(h, 0), name = tn_path_arg(h, 1);
    tn_writef(h, "id=%.*s name=%.*s", (int)id.len, id.ptr, (int)name.len, name.ptr);
}
static void cookie_get(tn_handler *h) {
    tn_set_cookie(h, &(tn_cookie_desc){.name = "seen", .value = "yes"});
    tn_writef(h, "name=%s", tn_get_cookie(h, "name", "none"));
}
static void echo_post(tn_handler *h) {
    tn_buf b = {0};
    if (tn_take_body(h, &b) == 0) tn_write_buf(h, &b);
    tn_buf_free(&b);
}
static void form_post(tn_handler *h) {
    const tn_multipart *mp = tn_get_files(h);
    size_t files = 0;
    for (size_t i = 0; mp && i < mp->count; i++) files += mp->parts[i].filename.len > 0;
    tn_writef(h, "title=%s files=%zu", tn_get_argument(h, "title", "none"), files);
}
static void flush_get(tn_handler *h) {
    tn_write_str(h, "first,");
    tn_flush(h, NULL, NULL);
    tn_write_str(h, "second");
}
static void render_get(tn_handler *h) {
    tn_json_doc doc;
    static const char ctx[] = "{\"title\":\"a<b\",\"items\":[\"x\",\"y\"]}";
    if (tn_json_parse(&doc, ctx, sizeof ctx - 1, NULL) != 0) {
        tn_send_error(h, 500);
        return;
    }
    tn_render(h, "page.html", doc.root);
    tn_json_doc_free(&doc);
}
static void json_get(tn_handler *h) {
    tn_json_writer *w = tn_write_json_begin(h);
    tn_json_write_object_begin(w);
    tn_json_write_key(w, "ok", 2);
    tn_json_write_bool(w, true);
    tn_json_write_object_end(w);
    tn_write_json_end(h);
}

static const tn_handler_class hello_class = {.get = hello_get}, args_class = {.get = args_get},
                              path_class = {.get = path_get}, cookie_class = {.get = cookie_get},
                              echo_class = {.post = echo_post}, form_class = {.post = form_post},
                              flush_class = {.get = flush_get}, render_class = {.get = render_get},
                              json_class = {.get = json_get};
static const tn_route routes[] = {
    {.pattern = "/", .handler = &hello_class},
    {.pattern = "/args", .handler = &args_class},
    {.pattern = "/path/([0-9]+)/(?P<name>[^/]+)", .handler = &path_class},
    {.pattern = "/cookie", .handler = &cookie_class},
    {.pattern = "/echo", .handler = &echo_class},
    {.pattern = "/form", .handler = &form_class},
    {.pattern = "/flush", .handler = &flush_class},
    {.pattern = "/render", .handler = &render_class},
    {.pattern = "/json", .handler = &json_class},
    {0},
};

// A folder with static/a.txt and templates/page.html, made once (before
// any fault: the parent process makes it).
static char root[64];
static void make_root(void) {
    if (root[0]) return;
    snprintf(root, sizeof root, "/tmp/tn-faults-%d", (int)getpid());
    char p[128];
    snprintf(p, sizeof p, "%s/static", root);
    mkdir(root, 0700);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/templates", root);
    mkdir(p, 0700);
    static const char *files[][2] = {
        {"static/a.txt", "static text\n"},
        {"templates/page.html", "<h1>{{ title }}</h1>{% for i in items %}[{{ i }}]{% end %}"},
    };
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", root, files[i][0]);
        FILE *f = fopen(p, "w");
        if (!f || fputs(files[i][1], f) < 0 || fclose(f) != 0) {
            fprintf(stderr, "cannot write %s\n", p);
            exit(1);
        }
    }
}
static pid_t root_owner;
static void remove_root(void) {
    if (getpid() != root_owner) return;  // a run's child exits through here too
    static const char *paths[] = {"static/a.txt", "templates/page.html", "static", "templates", ""};
    char p[128];
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", root, paths[i]);
        remove(p);
    }
}
__attribute__((constructor)) static void web_setup(void) {
    make_root();
    root_owner = getpid();
    atexit(remove_root);
}

static tn_app_desc app_desc(void) {
    static char static_path[96], template_path[96];
    snprintf(static_path, sizeof static_path, "%s/static", root);
    snprintf(template_path, sizeof template_path, "%s/templates", root);
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.routes = routes;
    d.no_access_log = true;
    d.static_path = static_path;
    d.template_path = template_path;
    return d;
}

// One fetch and what must come back. An answer is right, or an error: 500
// or 503 from the server, or no answer (a closed connection) at the client.
static void fetch(tn_http_test *t, const char *path, const tn_fetch_desc *opts, const char *want) {
    const tn_fetch_response *r = tn_http_test_fetch(t, path, opts);
    if (r->error == TN_ETIMEDOUT) tf_wrong(__FILE__, __LINE__, "%s: timed out (a hang)", path);
    // TN_EHTTP is a non-2xx answer; any other error is the client's own (e.g. TN_ENOMEM)
    if (r->code == 500 || r->code == 503 || (r->error && r->error != TN_EHTTP)) {
        TF_ERR(path);
        return;
    }
    int want_code = strcmp(want, "404") ? 200 : 404;
    if (r->code != want_code || (want_code == 200 && !tn_str_eq(r->body, want)))
        tf_wrong(__FILE__, __LINE__, "%s: %d \"%.*s\" (%s), expected %d \"%s\"", path, r->code,
                 (int)(r->body.len < 200 ? r->body.len : 200), r->body.ptr, tn_err_name(r->error), want_code, want);
}

static const char form_body[] =
    "--B\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhi\r\n"
    "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nxyz\r\n--B--\r\n";

// Every route once over the test client's keep-alive connection.
TF_SCENARIO(web) {
    tn_http_test_desc d;
    memset(&d, 0, sizeof d);
    d.app = app_desc();
    d.timeout = 3;
    tn_http_test *t = tn_http_test_new(&d);
    if (!t) {
        TF_ERR("tn_http_test_new");
        return;
    }
    fetch(t, "/", NULL, "Hello, world");
    fetch(t, "/args?a=1&b=%C3%A9", NULL, "a=1 b=\xc3\xa9");
    fetch(t, "/path/42/bob", NULL, "id=42 name=bob");
    static const char *const cookie[] = {"Cookie: name=alice; other=x", NULL};
    fetch(t, "/cookie", &(tn_fetch_desc){.headers = cookie}, "name=alice");
    static const char body[] = "0123456789abcdef0123456789abcdef";
    fetch(t, "/echo", &(tn_fetch_desc){.method = "POST", .body = body, .body_len = 32}, body);
    static const char *const mp[] = {"Content-Type: multipart/form-data; boundary=B", NULL};
    fetch(t, "/form", &(tn_fetch_desc){.method = "POST", .headers = mp, .body = form_body, .body_len = sizeof form_body - 1},
          "title=hi files=1");
    fetch(t, "/form", &(tn_fetch_desc){.method = "POST", .body = "title=t2", .body_len = 8}, "title=t2 files=0");
    fetch(t, "/flush", NULL, "first,second");
    fetch(t, "/render", NULL, "<h1>a&lt;b</h1>[x][y]");
    fetch(t, "/json", NULL, "{\"ok\":true}");
    fetch(t, "/static/a.txt", NULL, "static text\n");
    fetch(t, "/nowhere", NULL, "404");
    tn_http_test_free(t);
}
