// ---------------------------------------------------------------------------
// >>static  Static files (Tornado's StaticFileHandler, static_path, static_url)
// ---------------------------------------------------------------------------
// Serve a folder under /static/ and link to its files with a content hash, so
// browsers may cache them for ten years:
//
//     tn_app *app = tn_app_new(loop, &(tn_app_desc){
//         .routes = routes, .static_path = "static"});
//     ...
//     tn_buf url = {0};
//     tn_static_url(h, "app.css", &url);   // "/static/app.css?v=<32 hex digits>"
//
// Or embed the folder in the program (no file system needed):
//
//     build/pack static assets > assets.c       // const tn_packed_file assets[]
//     extern const tn_packed_file assets[];
//     ... (tn_app_desc){.static_files = assets}
//
// An explicit route serves another folder, the path being its first group:
//
//     static const tn_static_desc docs = {.path = "docs", .default_filename = "index.html"};
//     ... {TN_STATIC_ROUTE("/docs/(.*)", &docs), ...}
//
// Rules, as Tornado's: Content-Type by extension, Accept-Ranges, a strong
// ETag (SHA-256 of the content, cached until the file changes) and
// Last-Modified; If-None-Match (which beats If-Modified-Since) and
// If-Modified-Since answer 304, before any Range; one byte range (206, 416
// with "bytes */N"; a range covering everything is a 200; a malformed Range
// is ignored); HEAD; "..", absolute paths and symlinks leading out of the
// folder are 403, missing files 404; a folder is 403 unless default_filename
// is set: then "/dir" gets a 301 to "/dir/", which serves dir/index.html.
// Requests with ?v= get "Cache-Control: max-age=315360000" and Expires.
// Files on disk are sent with tn_send_file (never read whole into memory);
// a file's hash is computed on first use, on the loop's thread (as Tornado).
// Packed files are copied into the response.
//
// gzip, for clients whose Accept-Encoding takes it (tn_http_gzip_acceptable),
// when the server has compress_response or the desc gzip_static:
// - a precompressed NAME.gz beside NAME (on disk or packed), no older than
//   NAME, is served as it is, for any type (nginx's gzip_static): Content-
//   Encoding: gzip, its own length, ETag (its hash) and Last-Modified, sent
//   with tn_send_file; "Vary: Accept-Encoding" on every answer for NAME;
// - else, with compress_response only, a compressible file (tn_http_
//   compressible by its extension) of compress_min_length up to 4 MiB is
//   gzipped on the fly for each request (nothing cached: memory stays
//   bounded; precompress big or busy files as NAME.gz), with the "-gzip"
//   ETag of compress_response, also on its 304, and Vary;
// - a range (206, 416) is always of the file as it is, as in Tornado; a
//   request for NAME.gz itself gets that file as it is.
#ifndef TN__WEB_STATIC_H
#define TN__WEB_STATIC_H
#include "base/config.h"
#include "base/str.h"
#include "http/server.h"
TN__BEGIN_DECLS

// One file embedded by tools/pack; a table ends with an entry whose path is
// NULL and is sorted by path (strcmp), so lookups can bisect.
typedef struct tn_packed_file {
    const char *path;           // relative to the packed folder, '/'-separated
    const unsigned char *data;
    size_t size;
    int64_t mtime;              // seconds since the epoch (Last-Modified)
    const char *hash;           // 64 hex digits: SHA-256 of data (ETag, ?v=)
} tn_packed_file;

// Tornado's StaticFileHandler arguments (the route's user_data).
typedef struct tn_static_desc {
    const char *path;               // the folder served; NULL: serve `files`
    const tn_packed_file *files;    // files embedded by tools/pack
    const char *default_filename;   // e.g. "index.html"; NULL: folders are 403
    bool gzip_static;               // serve NAME.gz for NAME to clients that
                                    // accept gzip (nginx's gzip_static); also
                                    // on when the server has compress_response
} tn_static_desc;

// Tornado's StaticFileHandler as an app's route callback: serves GET and
// HEAD of path argument 0 from the tn_static_desc in h->user_data (405 for
// other methods).
TN_API void tn_static_serve(tn_handler *h);

// A tn_route serving desc (a const tn_static_desc * that outlives the app);
// the pattern's first group is the file's path.
#define TN_STATIC_ROUTE(pattern, desc) {(pattern), NULL, tn_static_serve, (void *)(desc), NULL}

// Tornado's static_url: appends static_url_prefix + path + "?v=" + the first
// 32 hex digits of the file's content hash, for the app's static_path or
// static_files. Returns 0, TN_ENOENT (no such file, or no static files; out
// is then unchanged) or TN_ENOMEM.
TN_API int tn_static_url(tn_handler *h, const char *path, tn_buf *out);

TN__END_DECLS
#endif
