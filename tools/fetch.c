// fetch: the C analogue of `python -m tornado.httpclient URL`. Fetches each
// URL with tornado.h's blocking client (one pool: connections are reused
// across URLs) and prints the body.
//
//   build/fetch [OPTIONS] URL...
//
// Exit status: 0 when every answer was 2xx or 3xx, 1 when one was another
// HTTP status, 2 on a usage error, 3 on a network or protocol error (with a
// one-line reason on stderr). Run with --help for the options (tn_options:
// --name=value or --name value, before the URLs).
//
// Build alone: cc -O2 -o fetch tools/fetch.c -pthread
// With https://: cc -O2 -DTN_ENABLE_TLS=1 -o fetch tools/fetch.c -lssl -lcrypto -pthread
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct options {
    bool print_headers, print_body, follow_redirects, validate_cert, decompress_response;
    const char *ca_certs, *client_cert, *client_key;
    double request_timeout, connect_timeout, max_body_size;
    const char *method, *body, *proxy_host, *proxy_username, *proxy_password;
    int proxy_port, max_redirects;
    const char **headers;  // NULL-terminated
    int nheaders;
} options;

// --header, once per line: a name, a colon, a value (the client checks the rest).
static int add_header(tn_options *opts, void *value, void *user_data) {
    options *o = (options *)user_data;
    const char *line = *(const char **)value;
    (void)opts;
    if (!strchr(line, ':')) return -1;
    const char **h = (const char **)realloc((void *)o->headers, (size_t)(o->nheaders + 2) * sizeof *h);
    if (!h) return -1;
    h[o->nheaders++] = line;  // kept by opts
    h[o->nheaders] = NULL;
    o->headers = h;
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
    d.no_decompress_response = !o->decompress_response;
    d.max_redirects = o->max_redirects;
    d.request_timeout = o->request_timeout;
    d.connect_timeout = o->connect_timeout;
    d.max_body_size = (size_t)o->max_body_size;
    d.proxy_host = o->proxy_host;
    d.proxy_port = o->proxy_port;
    d.proxy_username = o->proxy_username;
    d.proxy_password = o->proxy_password;
    d.header_callback = print_head;
    d.streaming_callback = print_data;  // the body goes out as it comes: any size
    d.user_data = (void *)o;
    tn_fetch_response *r = NULL;
    int err = tn_http_client_fetch_sync(c, &d, &r);
    fflush(stdout);
    int status = 0;
    if (!r && err == TN_ENOTSUP) {
        fprintf(stderr, "fetch: %s: https:// needs a build with TLS (-DTN_ENABLE_TLS=1 -lssl -lcrypto)\n",
                url);
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
    options o = {.print_body = true, .follow_redirects = true, .validate_cert = true, .decompress_response = true,
                 .max_redirects = 5, .proxy_port = 8080,
                 .request_timeout = 20, .connect_timeout = 20};
    tn_options *opts = tn_options_new(&(tn_options_desc){
        .args = "URL...",
        .options = (tn_option_desc[]){
            {.name = "print_headers", .type = TN_OPTION_BOOL, .value = &o.print_headers,
             .help = "print the status line and headers first"},
            {.name = "print_body", .type = TN_OPTION_BOOL, .value = &o.print_body, .help = "print the body"},
            {.name = "follow_redirects", .type = TN_OPTION_BOOL, .value = &o.follow_redirects,
             .help = "follow 3xx answers"},
            {.name = "decompress_response", .type = TN_OPTION_BOOL, .value = &o.decompress_response,
             .help = "ask for gzip and inflate it (false: the body as sent)"},
            {.name = "max_redirects", .type = TN_OPTION_INT, .value = &o.max_redirects, .min = 1, .max = 1000,
             .help = "follow at most this many redirects"},
            {.name = "request_timeout", .type = TN_OPTION_DURATION, .value = &o.request_timeout,
             .min = 0.001, .max = 1e9, .help = "for each whole fetch, redirects included"},
            {.name = "connect_timeout", .type = TN_OPTION_DURATION, .value = &o.connect_timeout,
             .min = 0.001, .max = 1e9, .help = "for resolving and connecting"},
            {.name = "max_body_size", .type = TN_OPTION_FLOAT, .value = &o.max_body_size, .min = 0, .max = 1e18,
             .metavar = "BYTES", .help = "refuse longer bodies; 0: no limit"},
            {.name = "method", .value = &o.method, .metavar = "METHOD", .help = "default GET, or POST with --body"},
            {.name = "body", .value = &o.body, .metavar = "TEXT", .help = "the request body"},
            {.name = "header", .metavar = "LINE", .callback = add_header, .user_data = &o,
             .help = "an extra header line, 'Name: value' (repeatable)"},
            {.name = "proxy_host", .value = &o.proxy_host, .metavar = "HOST", .help = "through this HTTP proxy"},
            {.name = "proxy_port", .type = TN_OPTION_INT, .value = &o.proxy_port, .min = 1, .max = 65535,
             .help = "the proxy's port"},
            {.name = "proxy_username", .value = &o.proxy_username, .metavar = "USER",
             .help = "Basic Proxy-Authorization"},
            {.name = "proxy_password", .value = &o.proxy_password, .metavar = "PASSWORD", .help = "its password"},
            {.name = "ca_certs", .value = &o.ca_certs, .metavar = "FILE",
             .help = "https://: trust these CAs (PEM) instead of the system's"},
            {.name = "validate_cert", .type = TN_OPTION_BOOL, .value = &o.validate_cert,
             .help = "https://: verify the server's certificate and name"},
            {.name = "client_cert", .value = &o.client_cert, .metavar = "FILE", .help = "https://: our certificate (PEM)"},
            {.name = "client_key", .value = &o.client_key, .metavar = "FILE", .help = "its key (PEM); default: in client_cert"},
            {0},
        }});
    if (!opts) return 3;
    // Our one line per failure says what the client's log line would: the
    // log shows errors only, unless --logging asks for more.
    char *quiet[] = {argv[0], (char *)"--logging=error"};
    tn_options_parse_command_line(opts, 2, quiet);
    int first = tn_options_parse_command_line(opts, argc, argv);  // exits 2 on a bad flag
    if (first == argc) {
        fprintf(stderr, "fetch: no URL given (see --help)\n");
        return 2;
    }
    // TLS settings of our own, else the client's default context (verify
    // against the system's store), made on the first https:// URL.
    tn_tls_ctx *tls = NULL;
    if (o.ca_certs || o.client_cert || !o.validate_cert) {
        tls = tn_tls_ctx_new(&(tn_tls_desc){.cert = {.certfile = o.client_cert, .keyfile = o.client_key},
                                            .ca_certs = o.ca_certs,
                                            .no_validate_cert = !o.validate_cert});
        if (!tls) {
            fprintf(stderr, "fetch: cannot use --ca_certs / --client_cert (see the log), or no TLS built in\n");
            tn_options_free(opts);
            return 2;
        }
    }
    tn_http_client *c = tn_http_client_new(NULL, &(tn_http_client_desc){.tls = tls});
    tn_tls_ctx_free(tls);  // the client keeps its reference
    if (!c) {
        fprintf(stderr, "fetch: out of memory\n");
        return 3;
    }
    int worst = 0;
    for (int i = first; i < argc; i++) {
        int s = fetch_one(c, &o, argv[i]);
        // a usage error outranks a network error, which outranks an HTTP error
        if (s == 2 || (s == 3 && worst != 2) || (s == 1 && worst == 0)) worst = s;
    }
    tn_http_client_free(c);
    free((void *)o.headers);
    tn_options_free(opts);
    return worst;
}
