// ---------------------------------------------------------------------------
// >>gzip  gzip content coding: Accept-Encoding, compressible types
// (compress_response, decompress_response)
// ---------------------------------------------------------------------------
// What the server's compress_response (tn_http_server_desc, tn_app_desc)
// and the client's decompress_response (tn_fetch_desc) decide with, for
// handlers that negotiate a content coding themselves:
//
//     if (tn_http_gzip_acceptable(tn_get_header(h, "Accept-Encoding"))) ...
//
// compress_response (Tornado's setting, off by default) gzips a response
// when all hold: its Content-Type is compressible (tn_http_compressible),
// the client accepts gzip (tn_http_gzip_acceptable), the status has a body
// and is not 206, the response has no Content-Encoding or Content-Range of
// its own, the request is not a HEAD with a Content-Length set by hand, and
// a response finished in one go has at least compress_min_length bytes
// (1024, Tornado's MIN_LENGTH). Content-Length is set to the compressed
// size, or the body goes chunked once tn_flush ran (each flush a sync flush,
// so what was written reaches the client at once); an ETag gets "-gzip"
// inside its quotes, and an If-None-Match naming either form matches.
// Every response of a compressible type gets "Vary: Accept-Encoding",
// compressed or not, a 304 too. Files sent with tn_send_file go as they
// are (with the Vary); static files have their own rules (>>static).
#ifndef TN__HTTP_GZIP_H
#define TN__HTTP_GZIP_H
#include "base/config.h"
#include "base/str.h"
TN__BEGIN_DECLS

// The weight an Accept-Encoding value gives `coding` ("gzip" also matches
// "x-gzip"), in thousandths: "gzip;q=0.5" gives 500, a named coding
// without weight 1000, one covered only by "*" the weight of "*". -1 when
// the value says nothing about it (then "identity" is acceptable and other
// codings are not). A malformed weight counts as 0. A header that is absent
// ({NULL,0}) says nothing; an empty one accepts identity only.
TN_API int tn_http_accept_q(tn_str accept_encoding, const char *coding);
// True when a response should be gzipped for this Accept-Encoding: gzip has
// a weight above 0 and no lower than identity's, if identity has one
// ("gzip;q=0.5" alone: yes; "gzip;q=0.5, identity": no; "*": yes;
// "gzip;q=0, *": no; absent header: no).
TN_API bool tn_http_gzip_acceptable(tn_str accept_encoding);
// True for the media types worth compressing (parameters ignored, any case):
// text/*, JSON, JavaScript, XML and SVG: application/json, javascript,
// x-javascript, ecmascript, xml, xhtml+xml, atom+xml, rss+xml, image/svg+xml,
// and any type ending in +json or +xml.
TN_API bool tn_http_compressible(tn_str content_type);

TN__END_DECLS
#endif
