// file_upload: Tornado's demos/file_upload/file_receiver.py in C.
//
// POST / takes a multipart/form-data body (buffered, up to 64 MiB) and
// answers one line per file: its name, content type and size. PUT
// /stream/NAME takes a body of any size up to 4 GiB as it arrives (Tornado's
// @stream_request_body, here tn_handler_class.data_received), never holding it
// whole, and answers its byte count and SHA-256. GET / shows a form.
//
//     curl -F file1=@a.txt -F file2=@b.png http://localhost:8888/
//     curl -T big.iso http://localhost:8888/stream/big.iso
//
// Build alone: cc -O2 -o file_upload examples/file_upload.c -pthread
// Run: ./file_upload [--port=8888]   (--help lists all)
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POST ((size_t)64 << 20)
#define MAX_PUT ((size_t)4 << 30)

static void form_get(tn_handler *h) {
    tn_write_str(h,
                 "<!DOCTYPE html>\n<html><head><meta charset=\"UTF-8\"><title>Upload</title></head><body>\n"
                 "<form action=\"/\" method=\"post\" enctype=\"multipart/form-data\">\n"
                 "<input type=\"file\" name=\"file\" multiple> <input type=\"submit\" value=\"Upload\">\n"
                 "</form>\n</body></html>\n");
}

// Tornado's POSTHandler: request.files, one line each.
static void upload_post(tn_handler *h) {
    const tn_multipart *mp = tn_get_files(h);
    size_t files = 0;
    tn_set_header(h, "Content-Type", "text/plain; charset=UTF-8");
    for (size_t i = 0; mp && i < mp->count; i++) {
        const tn_multipart_part *p = &mp->parts[i];
        if (!p->filename.len) continue;  // a plain field
        files++;
        int tlen = (int)p->content_type.len;  // a view: not NUL-terminated
        TN_LOGI("POST \"%s\" \"%.*s\" %zu bytes", p->filename.ptr, tlen, p->content_type.ptr, p->body.len);
        tn_writef(h, "POST \"%s\" \"%.*s\" %zu bytes\n", p->filename.ptr, tlen, p->content_type.ptr, p->body.len);
    }
    if (!files) {
        TN_LOGW("%s: POST / without a multipart file", h->request.remote_ip);
        tn_send_error(h, 400);
    }
}

// ---- PUT /stream/NAME: h->state is the running hash (its count is the size)

static void put_prepare(tn_handler *h) {
    tn_sha256_ctx *c = (tn_sha256_ctx *)malloc(sizeof *c);
    if (!c) {
        tn_send_error(h, 503);
        return;
    }
    tn_sha256_init(c);
    h->state = c;
}

static void put_data(tn_handler *h, const char *data, size_t len) {
    tn_sha256_update((tn_sha256_ctx *)h->state, data, len);
}

// After the answer, or when the client leaves mid-body.
static void put_free(tn_handler *h) {
    free(h->state);
    h->state = NULL;
}

static void put_put(tn_handler *h) {
    tn_sha256_ctx *c = (tn_sha256_ctx *)h->state;
    unsigned long long n = (unsigned long long)c->count;
    uint8_t digest[TN_SHA256_SIZE];
    tn_sha256_final(c, digest);
    tn_str name = tn_path_arg(h, 0);
    TN_LOGI("PUT \"%.*s\" %llu bytes", (int)name.len, name.ptr, n);
    tn_set_header(h, "Content-Type", "text/plain; charset=UTF-8");
    tn_writef(h, "PUT \"%.*s\" \"%s\" %llu bytes sha256=", (int)name.len, name.ptr, tn_mime_type(name.ptr), n);
    for (int i = 0; i < TN_SHA256_SIZE; i++) tn_writef(h, "%02x", digest[i]);
    tn_write_str(h, "\n");
}

static const tn_handler_class upload_handler = {
    .get = form_get,
    .post = upload_post,
    .max_body_size = MAX_POST,
};
static const tn_handler_class stream_handler = {
    .prepare = put_prepare,
    .put = put_put,
    .data_received = put_data,
    .on_finish = put_free,
    .on_connection_close = put_free,
    .max_body_size = MAX_PUT,
};

int main(int argc, char **argv) {
    int port = 8888;
    const char *certfile = NULL, *keyfile = NULL;  // HTTPS (a TLS build)
    tn_options *opts = tn_options_new(&(tn_options_desc){
        .options = (tn_option_desc[]){TN_OPTION_PORT(&port), TN_OPTIONS_TLS(&certfile, &keyfile), {0}}});
    if (!opts) return 1;
    tn_options_parse_command_line(opts, argc, argv);  // exits on --help or a bad flag
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &(tn_app_desc){
        .routes = (tn_route[]){
            {.pattern = "/", .handler = &upload_handler},
            {.pattern = "/stream/(.+)", .handler = &stream_handler},
            {0},
        },
        // a buffered POST body sits whole in the connection's read buffer
        .server = {.certfile = certfile, .keyfile = keyfile, .max_buffer_size = MAX_POST + 64 * 1024},
    });
    if (!app || tn_app_listen(app, port) != 0) {
        TN_LOGE("cannot listen on port %d", port);
        return 1;
    }
    TN_LOGI("Listening on http://127.0.0.1:%d", tn_app_port(app));
    tn_loop_stop_on_signals(loop);
    tn_loop_start(loop);
    tn_loop_free(loop);
    tn_options_free(opts);
    return 0;
}
