// Floor 1: errors, buffers, string views.
#include "test.h"

TEST(error_names_and_strings) {
    CHECK_STR(tn_err_name(TN_ETIMEDOUT), "TIMEDOUT");
    CHECK_STR(tn_err_name(TN_INCOMPLETE), "INCOMPLETE");
    CHECK_STR(tn_strerror(0), "success");
    CHECK_STR(tn_strerror(-9999), "unknown error");
    CHECK(strstr(tn_strerror(TN_ECONNREFUSED), "refused") != NULL);
}

TEST(buf_append_grow_consume) {
    tn_buf b = {0};
    for (int i = 0; i < 1000; i++) CHECK_OK(tn_buf_appendf(&b, "%03d,", i));
    CHECK_INT(b.len, 4000);
    CHECK_MEM(b.data, 8, "000,001,", 8);
    tn_buf_consume(&b, 3996);
    CHECK_STR(b.data, "999,");
    CHECK_OK(tn_buf_appendf(&b, "%s", "a long string that is longer than two hundred and fifty six bytes so the slow path of appendv runs: ............................................................................................................................................................................end"));
    CHECK(b.len > 256);
    CHECK(strstr(b.data, "end") != NULL);
    tn_buf_free(&b);
    CHECK(b.data == NULL && b.len == 0);
}

TEST(str_views) {
    CHECK(tn_str_eq(tn_str_c("abc"), "abc"));
    CHECK(!tn_str_eq(tn_str_c("abc"), "abcd"));
    CHECK(tn_str_eq_nocase(tn_str_c("Content-Length"), tn_str_c("content-length")));
    CHECK(!tn_str_eq_nocase(tn_str_c("Content-Length"), tn_str_c("content-lengti")));
    CHECK_INT(tn_str_c(NULL).len, 0);
}
