// fetch: the C analogue of `python -m tornado.httpclient URL`. Fetches each
// URL with tornado.h's blocking client (one pool: connections are reused
// across URLs) and prints the body.
//
//   build/fetch [OPTIONS] URL...
//
// Exit status: 0 when every answer was 2xx or 3xx, 1 when one was another
// HTTP status, 2 on a usage error, 3 on a network or protocol error (with a
// one-line reason on stderr). Run with --help for the options.
//
// Build alone: cc -O2 -o fetch tools/fetch.c -pthread
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_HEADERS = 64 };

typedef struct options {
    bool print_headers, print_body, follow_redirects;
    double request_timeout, connect_timeout;
    const char *method, *body, *proxy_host;
    int proxy_port, max_redirects;
    double max_body_size;
    const char *headers[MAX_HEADERS + 1];
    int nheaders;
} options;

static const char usage[] =
    "usage: fetch [OPTIONS] URL...\n"
    "Fetches each URL (http://) and prints its body.\n"
    "  --print_headers[=BOOL]     print the status line and headers first (default false)\n"
    "  --print_body=BOOL          print the body (default true)\n"
    "  --follow_redirects=BOOL    follow 3xx answers (default true)\n"
    "  --max_redirects=N          at most N redirects (default 5)\n"
    "  --request_timeout=SECONDS  for each whole fetch (default 20)\n"
    "  --connect_timeout=SECONDS  for resolving and connecting (default 20)\n"
    "  --max_body_size=BYTES      refuse longer bodies (default: no limit)\n"
    "  --method=METHOD            default GET, or POST with --body\n"
    "  --body=TEXT                the request body\n"
    "  --header 'Name: value'     an extra header line (repeatable)\n"
    "  --proxy_host=HOST          through this HTTP proxy\n"
    "  --proxy_port=PORT          the proxy's port (default 8080)\n"
    "  --help                     this text\n"
    "Values may follow as --name=value or as the next argument; BOOL is\n"
    "true/false (or 1/0, yes/no). Exit status: 0 for 2xx/3xx answers, 1 for\n"
    "other HTTP statuses, 2 for usage errors, 3 for network or protocol errors.\n";

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "fetch: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(fetch --help for the options)\n");
    return 2;
}

static bool parse_bool(const char *v, bool *out) {
    static const char *const yes[] = {"true", "1", "yes"}, *const no[] = {"false", "0", "no"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(v, yes[i]) == 0) return *out = true;
        if (strcmp(v, no[i]) == 0) return !(*out = false);
    }
    return false;
}

static bool parse_number(const char *v, double min, double max, double *out) {
    char *end;
    double d = strtod(v, &end);
    if (!*v || *end || !(d >= min && d <= max)) return false;
    *out = d;
    return true;
}

// One option at argv[*i] (its value may be the next argument). Returns 0 or
// the exit status of a usage error.
static int parse_option(options *o, int argc, char **argv, int *i) {
    char name[32];
    const char *arg = argv[*i] + 2, *eq = strchr(arg, '='), *value = eq ? eq + 1 : NULL;
    size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
    if (n >= sizeof name) return usage_error("unknown option %s", argv[*i]);
    memcpy(name, arg, n);
    name[n] = '\0';
    bool *flag = !strcmp(name, "print_headers") ? &o->print_headers
                 : !strcmp(name, "print_body") ? &o->print_body
                 : !strcmp(name, "follow_redirects") ? &o->follow_redirects
                                                     : NULL;
    if (flag) {
        if (value && !parse_bool(value, flag)) return usage_error("not true or false: %s", argv[*i]);
        if (!value) *flag = true;
        return 0;
    }
    if (!value && *i + 1 < argc) value = argv[++*i];
    if (!value) return usage_error("%s needs a value", argv[*i]);
    double d = 0;
    if (!strcmp(name, "request_timeout") || !strcmp(name, "connect_timeout")) {
        if (!parse_number(value, 0.001, 1e9, &d)) return usage_error("not a number of seconds: %s", value);
        *(name[0] == 'r' ? &o->request_timeout : &o->connect_timeout) = d;
    } else if (!strcmp(name, "max_body_size")) {
        if (!parse_number(value, 1, 1e18, &o->max_body_size)) return usage_error("not a number of bytes: %s", value);
    } else if (!strcmp(name, "max_redirects") || !strcmp(name, "proxy_port")) {
        if (!parse_number(value, name[0] == 'm' ? 0 : 1, name[0] == 'm' ? 1000 : 65535, &d) || d != (int)d)
            return usage_error("not a valid number: %s", value);
        *(name[0] == 'm' ? &o->max_redirects : &o->proxy_port) = (int)d;
    } else if (!strcmp(name, "method")) {
        o->method = value;
    } else if (!strcmp(name, "body")) {
        o->body = value;
    } else if (!strcmp(name, "proxy_host")) {
        o->proxy_host = value;
    } else if (!strcmp(name, "header")) {
        if (o->nheaders == MAX_HEADERS) return usage_error("more than 64 headers%s", "");
        o->headers[o->nheaders++] = value;
    } else {
        return usage_error("unknown option --%s", name);
    }
    return 0;
}

// ---- printing what arrives

static int print_head(const tn_fetch_response *r, void *ud) {
    const options *o = (const options *)ud;
    if (!o->print_headers) return 0;
    printf("HTTP/1.%d %d %.*s\n", r->version_minor, r->code, (int)r->reason.len, r->reason.ptr);
    for (size_t i = 0; i < r->num_headers; i++)
        printf("%.*s: %.*s\n", (int)r->headers[i].name.len, r->headers[i].name.ptr, (int)r->headers[i].value.len,
               r->headers[i].value.ptr);
    printf("\n");
    return 0;
}

static int print_data(const char *data, size_t len, void *ud) {
    const options *o = (const options *)ud;
    if (o->print_body && fwrite(data, 1, len, stdout) != len) return TN_EPIPE;
    return 0;
}

// A redirect the client would have followed, had max_redirects allowed.
static bool is_redirect(const tn_fetch_response *r) {
    int c = r->code;
    bool moved = c == 301 || c == 302 || c == 303 || c == 307 || c == 308;
    return moved && tn_headers_get(r->headers, r->num_headers, "Location").ptr != NULL;
}

// Fetches one URL; returns its exit status.
static int fetch_one(tn_http_client *c, const options *o, const char *url) {
    tn_fetch_desc d;
    memset(&d, 0, sizeof d);
    d.url = url;
    d.method = o->method ? o->method : o->body ? "POST" : "GET";
    d.body = o->body;
    d.body_len = o->body ? strlen(o->body) : 0;
    d.headers = o->headers;
    d.no_follow_redirects = !o->follow_redirects;
    d.max_redirects = o->max_redirects;
    d.request_timeout = o->request_timeout;
    d.connect_timeout = o->connect_timeout;
    d.max_body_size = (size_t)o->max_body_size;
    d.proxy_host = o->proxy_host;
    d.proxy_port = o->proxy_port;
    d.header_callback = print_head;
    d.streaming_callback = print_data;  // the body goes out as it comes: any size
    d.user_data = (void *)o;
    tn_fetch_response *r = NULL;
    int err = tn_http_client_fetch_sync(c, &d, &r);
    fflush(stdout);
    int status = 0;
    if (!r && err == TN_ENOTSUP) {
        fprintf(stderr, "fetch: %s: https:// needs TLS, which tornado.h does not have yet\n", url);
        status = 3;
    } else if (!r) {
        fprintf(stderr, "fetch: %s: %s\n", url,
                err == TN_EINVAL ? "not an http:// URL, or a bad --method or --header" : tn_strerror(err));
        status = err == TN_EINVAL ? 2 : 3;
    } else if (r->error && r->error != TN_EHTTP) {
        fprintf(stderr, "fetch: %s: %s\n", url, r->error_message);
        status = 3;
    } else if (r->code >= 400 || r->code < 200 || (o->follow_redirects && is_redirect(r))) {
        fprintf(stderr, "fetch: %s: %s\n", url, r->error_message);  // a redirect here: too many
        status = 1;
    }
    tn_fetch_response_free(r);
    return status;
}

int main(int argc, char **argv) {
    options o;
    memset(&o, 0, sizeof o);
    o.print_body = o.follow_redirects = true;
    const char *urls[256];
    int nurls = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if (strncmp(argv[i], "--", 2) == 0) {
            int r = parse_option(&o, argc, argv, &i);
            if (r) return r;
        } else if (nurls < (int)(sizeof urls / sizeof urls[0])) {
            urls[nurls++] = argv[i];
        } else {
            return usage_error("more than 256 URLs%s", "");
        }
    }
    if (nurls == 0) return usage_error("no URL given%s", "");
    tn_log_set_level(TN_LOG_ERROR);  // failures get one line of our own
    tn_http_client *c = tn_http_client_new(NULL, NULL);
    if (!c) {
        fprintf(stderr, "fetch: out of memory\n");
        return 3;
    }
    int worst = 0;
    for (int i = 0; i < nurls; i++) {
        int s = fetch_one(c, &o, urls[i]);
        // a network error outranks an HTTP error, which outranks success
        if (s == 2 || (s == 3 && worst != 2) || (s == 1 && worst == 0)) worst = s;
    }
    tn_http_client_free(c);
    return worst;
}
