#define _GNU_SOURCE 1
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

// ---- logging
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static struct { int n, level, channel, line; char msg[256]; char file[64]; } seen;
static void capture(const tn_log_record *r, void *ud) {
    (void)ud;
    seen.n++;
    seen.level = r->level;
    seen.channel = r->channel;
    seen.line = r->line;
    snprintf(seen.msg, sizeof seen.msg, "%s", r->message);
    snprintf(seen.file, sizeof seen.file, "%s", r->file);
}

TEST(log_custom_writer_levels_and_channels) {
    tn_log_set_cb(capture, NULL);
    tn_log_set_level(TN_LOG_INFO);
    TN_LOGD("hidden %d", 1);
    CHECK_INT(seen.n, 0);
    TN_LOGW("port %d busy", 8888);
    CHECK_INT(seen.n, 1);
    CHECK_INT(seen.level, TN_LOG_WARNING);
    CHECK_INT(seen.channel, TN_LOG_APPLICATION);
    CHECK_STR(seen.msg, "port 8888 busy");
    CHECK(strstr(seen.file, "test_base") != NULL);
    tn_log(TN_LOG_INFO, TN_LOG_ACCESS, "web.c", 12, "200 GET / (%s) %.2fms", "127.0.0.1", 0.43);
    CHECK_INT(seen.channel, TN_LOG_ACCESS);
    CHECK_STR(seen.msg, "200 GET / (127.0.0.1) 0.43ms");
    char big[3000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    TN_LOGE("%s", big);  // longer than the stack buffer: not cut
    CHECK_INT(strlen(seen.msg), 255);  // (our capture buffer is 256)
    tn_log_set_level(TN_LOG_NONE);
    TN_LOGE("dropped");
    CHECK_INT(seen.n, 3);
    tn_log_set_cb(NULL, NULL);
}

TEST(log_prefix_has_tornados_format) {
    tn_log_record r;
    memset(&r, 0, sizeof r);
    r.level = TN_LOG_INFO;
    r.file = "src/web.c";
    r.line = 2271;
#if defined(_WIN32)
    _putenv("TZ=UTC0");
#else
    setenv("TZ", "UTC", 1);
#endif
    tzset();
    r.time = 1700745723.0;  // 2023-11-23 13:22:03 UTC
    char out[128];
    size_t n = tn_log_format_prefix(&r, out, sizeof out);
    CHECK_STR(out, "[I 231123 13:22:03 web:2271]");
    CHECK_INT(n, strlen(out));
    r.level = TN_LOG_ERROR;
    tn_log_format_prefix(&r, out, sizeof out);
    CHECK(out[1] == 'E');
    CHECK_INT(tn_log_format_prefix(&r, out, 5), 4);  // cut and terminated
    CHECK_STR(out, "[E 2");
}

#if !defined(_WIN32)  // pipe, dup2 onto stderr and pseudo-terminals are POSIX
// Runs the default writer with stderr on `fd`, returns what it wrote.
static void log_to_fd(int fd, char *out, size_t cap, int rfd) {
    int saved = dup(2);
    dup2(fd, 2);
    tn_log_set_level(TN_LOG_INFO);
    TN_LOGI("coloured?");
    dup2(saved, 2);
    close(saved);
    ssize_t n = read(rfd, out, cap - 1);
    out[n > 0 ? n : 0] = '\0';
}

TEST(log_default_writer_colours_only_a_terminal) {
    char out[512];
    int p[2];
    CHECK(pipe(p) == 0);
    log_to_fd(p[1], out, sizeof out, p[0]);
    CHECK(strstr(out, "coloured?\n") != NULL);
    CHECK(strchr(out, '\033') == NULL);
    CHECK(out[0] == '[' && out[1] == 'I');
    close(p[0]);
    close(p[1]);
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) || unlockpt(m)) tt_skip("no pseudo-terminal here");
    int sl = open(ptsname(m), O_RDWR | O_NOCTTY);
    CHECK(sl >= 0);
    log_to_fd(sl, out, sizeof out, m);
    CHECK(strstr(out, "\033[32m[I ") != NULL);
    CHECK(strstr(out, "\033[0m coloured?") != NULL);
    close(sl);
    close(m);
}
#endif
