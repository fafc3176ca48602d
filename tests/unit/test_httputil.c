// Floor 4: HTTP dates, status texts, MIME types, header parameters, ranges.
#include "test.h"

#define CHECK_VIEW(v, lit) CHECK_MEM((v).ptr, (v).len, (lit), strlen(lit))
// Whether time_t holds t (a 32-bit time_t, as on i386, ends in 2038).
#define FITS_TIME_T(t) ((long long)(time_t)(t) == (t))

TEST(http_date_format_table) {
    static const struct { long long t; const char *want; } cases[] = {
        {1359312200LL, "Sun, 27 Jan 2013 18:43:20 GMT"},  // Tornado's FormatTimestampTest
        {784111777LL, "Sun, 06 Nov 1994 08:49:37 GMT"},   // RFC 9110's example
        {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
        {-1, "Wed, 31 Dec 1969 23:59:59 GMT"},
        {951825600LL, "Tue, 29 Feb 2000 12:00:00 GMT"},
        {-315619200LL, "Fri, 01 Jan 1960 00:00:00 GMT"},
        {253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT"},
        {253402300800LL, "Fri, 31 Dec 9999 23:59:59 GMT"},  // clamped
        {-62167219200LL, "Sat, 01 Jan 0000 00:00:00 GMT"},
        {-62167219201LL, "Sat, 01 Jan 0000 00:00:00 GMT"},  // clamped
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[TN_HTTP_DATE_SIZE];
        if (!FITS_TIME_T(cases[i].t)) continue;
        CHECK_INT(tn_http_date_format(out, (time_t)cases[i].t), 29);
        CHECK_STR(out, cases[i].want);
    }
}

TEST(http_date_parse_table) {
    static const struct { const char *in; long long want; } cases[] = {
        {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777LL},    // IMF-fixdate
        {"Sunday, 06-Nov-94 08:49:37 GMT", 784111777LL},   // RFC 850
        {"Sun Nov  6 08:49:37 1994", 784111777LL},         // asctime
        {"Sun Nov 06 08:49:37 1994", 784111777LL},
        {"Sun, 6 Nov 1994 08:49:37 GMT", 784111777LL},
        {"  Sun, 06 Nov 1994 08:49:37 GMT ", 784111777LL},
        {"Sun, 06 Nov 1994 08:49:37 UTC", 784111777LL},
        {"Sun, 06 Nov 1994 09:49:37 +0100", 784111777LL},
        {"Sun, 06 Nov 1994 03:49:37 -0500", 784111777LL},
        {"Thursday, 01-Jan-70 00:00:00 GMT", 0},
        {"Saturday, 01-Jan-00 00:00:00 GMT", 946684800LL},  // 00-68: 20xx
        {"Thursday, 01-Jan-60 00:00:00 GMT", 2840140800LL}, // 2060
        {"Tue, 29 Feb 2000 12:00:00 GMT", 951825600LL},
        {"Fri, 01 Jan 1960 00:00:00 GMT", -315619200LL},    // before the epoch
        {"Wed, 31 Dec 1969 23:59:60 GMT", 0},               // a leap second
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        time_t t = 12345;
        int r = tn_http_date_parse(cases[i].in, strlen(cases[i].in), &t);
        if (!FITS_TIME_T(cases[i].want)) {  // refused, not wrapped
            if (r != TN_EPARSE || t != 12345)
                tt_fail(__FILE__, __LINE__, "\"%s\": %d, %lld", cases[i].in, r, (long long)t);
            continue;
        }
        if (r != 0 || (long long)t != cases[i].want)
            tt_fail(__FILE__, __LINE__, "\"%s\": %d, %lld", cases[i].in, r, (long long)t);
    }
}

TEST(http_date_parse_rejects_garbage) {
    static const char *const bad[] = {
        "", "garbage", "0", "Sun",
        "Sun, 06 Nov 1994 08:49:37",         // no zone
        "Sun, 06 Nov 1994 08:49:37 GMT+",    // trailing junk
        "Sun, 06 Nov 1994 08:49:37 EST",
        "Sun, 06 Nov 94 08:49:37 GMT",       // two-digit year in IMF
        "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 31 Nov 1994 08:49:37 GMT",     // November has 30 days
        "Sun, 29 Feb 1900 08:49:37 GMT",     // 1900 was not a leap year
        "Sun, 06 Nvember 1994 08:49:37 GMT",
        "Sun, 06 nov 1994 08:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sun,06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT",  // four-digit year in RFC 850
        "Sunday, 06 Nov 1994 08:49:37 GMT",
        "Sun Nov  6 08:49:37 94",
        "Sun Nov  6 08:49:37 1994 GMT",
        "Sun, 06 Nov 1994 08:49:37 +2400",
        "Sun, 06 Nov 1994 08:49:37 +01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        time_t t;
        if (tn_http_date_parse(bad[i], strlen(bad[i]), &t) != TN_EPARSE)
            tt_fail(__FILE__, __LINE__, "\"%s\" was accepted", bad[i]);
    }
}

TEST(http_date_round_trip) {
    for (long long t = -3000000000LL; t < 5000000000LL; t += 7777777) {
        char out[TN_HTTP_DATE_SIZE];
        time_t back;
        if (!FITS_TIME_T(t)) continue;
        tn_http_date_format(out, (time_t)t);
        CHECK_OK(tn_http_date_parse(out, strlen(out), &back));
        CHECK_INT(back, t);
    }
}

TEST(http_reason_phrases) {
    static const struct { int code; const char *want; } cases[] = {
        {100, "Continue"}, {101, "Switching Protocols"}, {103, "Early Hints"}, {200, "OK"},
        {204, "No Content"}, {206, "Partial Content"}, {226, "IM Used"},
        {301, "Moved Permanently"}, {304, "Not Modified"}, {308, "Permanent Redirect"},
        {400, "Bad Request"}, {404, "Not Found"}, {405, "Method Not Allowed"},
        {413, "Content Too Large"}, {414, "URI Too Long"}, {416, "Range Not Satisfiable"},
        {421, "Misdirected Request"}, {422, "Unprocessable Content"},
        {426, "Upgrade Required"}, {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"}, {451, "Unavailable For Legal Reasons"},
        {500, "Internal Server Error"}, {503, "Service Unavailable"},
        {505, "HTTP Version Not Supported"}, {511, "Network Authentication Required"},
        {682, "Unknown"},  // Tornado's StatusReasonTest
        {306, "Unknown"}, {299, "Unknown"}, {0, "Unknown"}, {-1, "Unknown"}, {1000, "Unknown"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_STR(tn_http_reason(cases[i].code), cases[i].want);
}

TEST(mime_types_by_extension) {
    static const struct { const char *path, *want; } cases[] = {
        {"a/b.css", "text/css"}, {"index.html", "text/html"}, {"X.HTM", "text/html"},
        {"app.js", "text/javascript"}, {"d.json", "application/json"}, {"p.png", "image/png"},
        {"p.JPG", "image/jpeg"}, {"p.jpeg", "image/jpeg"}, {"g.gif", "image/gif"},
        {"i.svg", "image/svg+xml"}, {"favicon.ico", "image/vnd.microsoft.icon"},
        {"w.webp", "image/webp"}, {"r.txt", "text/plain"}, {"f.xml", "text/xml"},
        {"doc.pdf", "application/pdf"}, {"m.wasm", "application/wasm"}, {"f.woff", "font/woff"},
        {"f.woff2", "font/woff2"}, {"v.mp4", "video/mp4"}, {"v.webm", "video/webm"},
        {"a.zip", "application/zip"}, {"a.tar.gz", "application/gzip"},
        {"noext", "application/octet-stream"}, {".css", "application/octet-stream"},
        {"dir/.css", "application/octet-stream"}, {"dir.css/file", "application/octet-stream"},
        {"a.exe", "application/octet-stream"}, {"a.", "application/octet-stream"},
        {"", "application/octet-stream"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_STR(tn_mime_type(cases[i].path), cases[i].want);
}

TEST(http_header_param_table) {
    static const struct { const char *value, *name, *want; int quoted; } cases[] = {
        {"multipart/form-data; boundary=1234", "boundary", "1234", 0},
        {"multipart/form-data; boundary=\"1234\"", "boundary", "1234", 1},
        {"multipart/form-data;boundary=1234", "boundary", "1234", 0},
        {"text/html; CHARSET = UTF-8 ", "charset", "UTF-8", 0},
        {"form-data; name=\"a;b\"; filename=x", "name", "a;b", 1},
        {"form-data; name=\"a;b\"; filename=x", "filename", "x", 0},
        {"form-data; filename=\"a\\\"b\"", "filename", "a\\\"b", 1},  // escapes left as written
        {"a; x=1; x=2", "x", "2", 0},                                   // the last one wins
        {"a; x=\"q\"junk; y=2", "y", "2", 0},
        {"a; x", "x", "", 0},
        {"a; x=", "x", "", 0},
        {"a; filename*=UTF-8''%e2%82%ac.txt", "filename*", "UTF-8''%e2%82%ac.txt", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tn_str out = {NULL, 0};
        bool quoted = false;
        CHECK(tn_http_header_param(tn_str_c(cases[i].value), cases[i].name, &out, &quoted));
        CHECK_VIEW(out, cases[i].want);
        CHECK_INT(quoted, cases[i].quoted);
    }
    static const struct { const char *value, *name; } missing[] = {
        {"multipart/form-data", "boundary"},
        {"boundary=1234", "boundary"},            // the part before ";" is the type
        {"a; name=1", "nam"},
        {"a; filename=1", "name"},
        {"a; x=\"unterminated", "x"},
        {"", "x"},
    };
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        tn_str out;
        CHECK(!tn_http_header_param(tn_str_c(missing[i].value), missing[i].name, &out, NULL));
    }
}

TEST(http_unquote_table) {
    static const struct { const char *in, *want; } cases[] = {
        {"abc", "abc"}, {"a\\\"b", "a\"b"}, {"a\\\\b", "a\\b"},
        {"C:\\dir\\f.txt", "C:\\dir\\f.txt"},  // other backslashes kept, as Tornado
        {"a\\\\\\\"b", "a\\\"b"}, {"end\\", "end\\"}, {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        size_t n = tn_http_unquote(out, tn_str_c(cases[i].in));
        CHECK_MEM(out, n, cases[i].want, strlen(cases[i].want));
    }
}

TEST(http_range_table) {
    // Tornado's StaticFileTest range cases use a 26-byte file.
    static const struct {
        const char *header;
        unsigned long long size;
        int status;
        unsigned long long start, end;
        const char *content_range;
    } cases[] = {
        {"bytes=0-9", 26, 206, 0, 10, "bytes 0-9/26"},        // test_static_with_range
        {"bytes=0-", 26, 200, 0, 26, ""},                     // ..._full_file
        {"bytes=0-10000000", 26, 200, 0, 26, ""},             // ..._full_past_end
        {"bytes=1-10000000", 26, 206, 1, 26, "bytes 1-25/26"},// ..._partial_past_end
        {"bytes=22-", 26, 206, 22, 26, "bytes 22-25/26"},     // ..._end_edge
        {"bytes=-4", 26, 206, 22, 26, "bytes 22-25/26"},      // ..._neg_end
        {"bytes=-1000", 26, 200, 0, 26, ""},                  // ..._neg_past_start
        {"bytes=asdf", 26, 200, 0, 26, ""},                   // test_static_invalid_range
        {"bytes=-0", 26, 416, 0, 0, "bytes */26"},            // ..._zero_suffix
        {"bytes=26", 26, 416, 0, 0, "bytes */26"},            // ..._invalid_start
        {"bytes=10-3", 26, 416, 0, 0, "bytes */26"},          // ..._end_less_than_start
        {"bytes=0-0", 26, 206, 0, 1, "bytes 0-0/26"},
        {"bytes=25-25", 26, 206, 25, 26, "bytes 25-25/26"},
        {"bytes=5", 26, 206, 5, 26, "bytes 5-25/26"},         // "5" alone is "5-", as Tornado
        {"bytes = 0 - 9", 26, 206, 0, 10, "bytes 0-9/26"},
        {"Bytes=0-9", 26, 206, 0, 10, "bytes 0-9/26"},        // units ignore case (RFC 9110)
        {"bytes=0-9,20-25", 26, 200, 0, 26, ""},              // several ranges: ignored
        {"bytes=-", 26, 200, 0, 26, ""},
        {"bytes=", 26, 200, 0, 26, ""},
        {"items=0-9", 26, 200, 0, 26, ""},
        {"bytes 0-9", 26, 200, 0, 26, ""},
        {"", 26, 200, 0, 26, ""},
        {"bytes=+5-", 26, 200, 0, 26, ""},
        {"bytes=0x1-", 26, 200, 0, 26, ""},
        {"bytes=99999999999999999999999-", 26, 416, 0, 0, "bytes */26"},
        {"bytes=0-99999999999999999999999", 26, 200, 0, 26, ""},
        {"bytes=-99999999999999999999999", 26, 200, 0, 26, ""},
        {"bytes=0-", 0, 416, 0, 0, "bytes */0"},              // nothing to send
        {"bytes=-5", 0, 416, 0, 0, "bytes */0"},
        {"bytes=-", 0, 200, 0, 0, ""},
        {"bytes=1-", 18446744073709551615ULL, 206, 1, 18446744073709551615ULL,
         "bytes 1-18446744073709551614/18446744073709551615"},  // the longest Content-Range
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tn_http_range r;
        int st = tn_http_range_parse(tn_str_c(cases[i].header), cases[i].size, &r);
        if (st != cases[i].status || r.status != st || r.start != cases[i].start ||
            r.end != cases[i].end || strcmp(r.content_range, cases[i].content_range) != 0)
            tt_fail(__FILE__, __LINE__, "\"%s\" size %llu: %d %llu-%llu \"%s\"", cases[i].header,
                    cases[i].size, st, (unsigned long long)r.start, (unsigned long long)r.end,
                    r.content_range);
    }
}
