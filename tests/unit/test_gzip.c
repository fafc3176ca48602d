// Floor 4: gzip content coding (Accept-Encoding weights, compressible types).
#include "test.h"

TEST(gzip_accept_q_table) {
    static const struct { const char *ae; int gzip, identity; bool yes; } cases[] = {
        {NULL, -1, -1, false},                      // no header: never compress
        {"", -1, -1, false},                        // identity only
        {"gzip", 1000, -1, true},
        {"GZIP", 1000, -1, true},
        {"x-gzip", 1000, -1, true},
        {"gzip, deflate, br", 1000, -1, true},
        {"deflate, br", -1, -1, false},
        {"gzip;q=0", 0, -1, false},
        {"gzip; q=0.000", 0, -1, false},
        {"gzip;q=0.5", 500, -1, true},              // unlisted identity expresses no preference
        {"gzip;q=0.5, identity", 500, 1000, false},
        {"gzip;q=1.0, identity;q=0.5", 1000, 500, true},
        {"gzip;q=0.5, identity;q=0.5", 500, 500, true},  // a tie goes to gzip
        {"*", 1000, 1000, true},
        {"*;q=0", 0, 0, false},
        {"gzip;q=0, *", 0, 1000, false},            // the named coding beats *
        {"identity;q=0", -1, 0, false},             // nothing else offered: sent as is
        {"identity;q=0, gzip", 1000, 0, true},
        {"*;q=0.3, gzip;q=0.2", 200, 300, false},
        {"gzip;q=1.5", 0, -1, false},               // malformed weights are 0
        {"gzip;q=abc", 0, -1, false},
        {"gzip;q=0.1234", 0, -1, false},
        {"gzip;level=9;q=0.8", 800, -1, true},
        {" , gzip ,", 1000, -1, true},
        {"gzipx, xgzip", -1, -1, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tn_str ae = cases[i].ae ? tn_str_c(cases[i].ae) : (tn_str){NULL, 0};
        CHECK_INT(tn_http_accept_q(ae, "gzip"), cases[i].gzip);
        CHECK_INT(tn_http_accept_q(ae, "identity"), cases[i].identity);
        CHECK_INT(tn_http_gzip_acceptable(ae), cases[i].yes);
    }
}

TEST(gzip_compressible_types) {
    static const char *const yes[] = {"text/html; charset=UTF-8", "text/plain", "TEXT/CSS", "application/json",
                                      "application/javascript", "application/xml", "image/svg+xml",
                                      "application/ld+json", "application/atom+xml ; charset=utf-8"};
    static const char *const no[] = {"", "text/", "image/png", "application/octet-stream", "application/gzip",
                                     "video/mp4", "application/jsonx", "textual/html"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) CHECK(tn_http_compressible(tn_str_c(yes[i])));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) CHECK(!tn_http_compressible(tn_str_c(no[i])));
    CHECK(!tn_http_compressible((tn_str){NULL, 0}));
}
