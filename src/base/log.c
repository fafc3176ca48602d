// >>log implementation
#include "base/internal.h"
#include "base/log.h"
#include "base/log_internal.h"
#include "base/str.h"
#include "base/time.h"
#include "base/alloc_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static tn_log_cb tn__log_fn = tn_log_write_stderr;
static void *tn__log_ud;
static int tn__log_level = TN_LOG_INFO;
// The current loop's sink on this thread (NULL: the process-wide writer).
static TN__THREAD_LOCAL const tn_logger *tn__log_sink;

TN__INTERNAL const tn_logger *tn__log_use(const tn_logger *sink) {
    const tn_logger *prev = tn__log_sink;
    tn__log_sink = sink && sink->cb ? sink : NULL;
    return prev;
}

TN_API void tn_log_set_cb(tn_log_cb fn, void *user_data) {
    tn__log_fn = fn ? fn : tn_log_write_stderr;
    tn__log_ud = fn ? user_data : NULL;
}

TN_API void tn_log_set_level(int level) { TN__ATOMIC_STORE(&tn__log_level, level); }
TN_API int tn_log_get_level(void) { return TN__ATOMIC_LOAD(&tn__log_level); }

TN__PRIVATE char tn__log_letter(int level) {
    return level >= TN_LOG_ERROR ? 'E' : level >= TN_LOG_WARNING ? 'W' : level >= TN_LOG_INFO ? 'I' : 'D';
}

// Tornado names the module: the file's base name without its extension.
TN__PRIVATE tn_str tn__log_module(const char *file) {
    const char *base = file ? file : "?";
    for (const char *p = base; *p; p++)
        if (*p == '/' || *p == '\\') base = p + 1;
    const char *dot = strrchr(base, '.');
    tn_str m;
    m.ptr = base;
    m.len = dot ? (size_t)(dot - base) : strlen(base);
    return m;
}

TN_API size_t tn_log_format_prefix(const tn_log_record *rec, char *out, size_t cap) {
    time_t t = (time_t)rec->time;
    struct tm tm;
    localtime_r(&t, &tm);
    tn_str mod = tn__log_module(rec->file);
    int n = snprintf(out, cap, "[%c %02d%02d%02d %02d:%02d:%02d %.*s:%d]", tn__log_letter(rec->level),
                     tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)mod.len, mod.ptr, rec->line);
    if (n < 0) return 0;
    return (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
}

TN_API void tn_log_write_stderr(const tn_log_record *rec, void *user_data) {
    (void)user_data;
    int tty = isatty(STDERR_FILENO);  // asked each time: stderr may be redirected
    static const char *const colors[] = {"\033[34m", "\033[32m", "\033[33m", "\033[31m"};
    int ci = rec->level >= TN_LOG_ERROR ? 3 : rec->level >= TN_LOG_WARNING ? 2 : rec->level >= TN_LOG_INFO ? 1 : 0;
    char prefix[160];
    size_t plen = tn_log_format_prefix(rec, prefix, sizeof prefix);
    struct iovec iov[6];
    int n = 0;
    if (tty) { iov[n].iov_base = (void *)colors[ci]; iov[n++].iov_len = 5; }
    iov[n].iov_base = prefix; iov[n++].iov_len = plen;
    if (tty) { iov[n].iov_base = (void *)"\033[0m"; iov[n++].iov_len = 4; }
    iov[n].iov_base = (void *)" "; iov[n++].iov_len = 1;
    // One writev per line keeps lines from different threads whole.
    iov[n].iov_base = (void *)rec->message; iov[n++].iov_len = strlen(rec->message);
    iov[n].iov_base = (void *)"\n"; iov[n++].iov_len = 1;
    ssize_t w = writev(STDERR_FILENO, iov, n);
    (void)w;
}

TN_API void tn_log(int level, tn_log_channel channel, const char *file, int line, const char *fmt, ...) {
    if (level < tn_log_get_level()) return;
    char small[512];
    char *msg = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof small) {
        msg = TN__CAST(char *, tn__malloc((size_t)n + 1));
        if (!msg) {
            msg = small;  // out of memory: the line is cut, and says so
            memcpy(small + sizeof small - 5, "...", 4);
        } else {
            va_start(ap, fmt);
            vsnprintf(msg, (size_t)n + 1, fmt, ap);
            va_end(ap);
        }
    }
    tn_log_record rec;
    rec.level = level;
    rec.channel = channel;
    rec.file = file;
    rec.line = line;
    rec.time = tn_time_wall();
    rec.message = msg;
    const tn_logger *sink = tn__log_sink;
    if (sink) sink->cb(&rec, sink->user_data);
    else tn__log_fn(&rec, tn__log_ud);
    if (msg != small) tn__free(msg);
}
