// >>log implementation
#include "base/internal.h"
#include "base/log.h"
#include "base/log_internal.h"
#include "base/error.h"
#include "base/str.h"
#include "base/time.h"
#include "base/alloc_internal.h"
#include "base/error_internal.h"
#include "base/os_internal.h"  // O_CLOEXEC on Windows

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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
#if defined(_WIN32)
    localtime_s(&tm, &t);
#else
    localtime_r(&t, &tm);
#endif
    tn_str mod = tn__log_module(rec->file);
    int n = snprintf(out, cap, "[%c %02d%02d%02d %02d:%02d:%02d %.*s:%d]", tn__log_letter(rec->level),
                     tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)mod.len, mod.ptr, rec->line);
    if (n < 0) return 0;
    return (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
}

static const char *const tn__log_colors[] = {"\033[34m", "\033[32m", "\033[33m", "\033[31m"};
#define TN__LOG_COLOR_END "\033[0m"

TN__PRIVATE int tn__log_color_index(int level) {
    return level >= TN_LOG_ERROR ? 3 : level >= TN_LOG_WARNING ? 2 : level >= TN_LOG_INFO ? 1 : 0;
}

// Copies what fits of s[0..n) at out+at; returns the position after it.
TN__PRIVATE size_t tn__log_put(char *out, size_t cap, size_t at, const char *s, size_t n) {
    if (at + 1 < cap) memcpy(out + at, s, TN__MIN(n, cap - 1 - at));
    return at + n;
}

TN_API size_t tn_log_format(const tn_log_record *rec, bool color, char *out, size_t cap) {
    char prefix[160];
    size_t plen = tn_log_format_prefix(rec, prefix, sizeof prefix), n = 0;
    if (color) n = tn__log_put(out, cap, n, tn__log_colors[tn__log_color_index(rec->level)], 5);
    n = tn__log_put(out, cap, n, prefix, plen);
    if (color) n = tn__log_put(out, cap, n, TN__LOG_COLOR_END, 4);
    n = tn__log_put(out, cap, n, " ", 1);
    const char *m = rec->message;
    size_t len = strlen(m);
    while (len && m[len - 1] == '\n') len--;  // the line ends once, here
    // Continuation lines are indented, as Tornado does, so that every line
    // starting with "[" is a record: a message cannot forge one.
    for (const char *end = m + len; m < end;) {
        const char *nl = TN__CAST(const char *, memchr(m, '\n', (size_t)(end - m)));
        size_t k = nl ? (size_t)(nl - m) + 1 : (size_t)(end - m);
        n = tn__log_put(out, cap, n, m, k);
        if (nl) n = tn__log_put(out, cap, n, "    ", 4);
        m += k;
    }
    n = tn__log_put(out, cap, n, "\n", 1);
    if (cap) out[TN__MIN(n, cap - 1)] = '\0';
    return n;
}

// The formatted line in `small`, or in a block from tn__malloc when it is
// longer (the caller frees *line if it is not small). Returns its length.
TN__PRIVATE size_t tn__log_line(const tn_log_record *rec, bool color, char small[1024], char **line) {
    *line = small;
    size_t n = tn_log_format(rec, color, small, 1024);
    if (n < 1024) return n;
    char *big = TN__CAST(char *, tn__malloc(n + 1));
    if (!big) return 1023;  // out of memory: the line is cut, not lost
    *line = big;
    return tn_log_format(rec, color, big, n + 1);
}

// One write(2) per line, so that lines from threads or processes sharing
// the file never interleave.
TN__PRIVATE void tn__log_write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

TN_API void tn_log_write_stderr(const tn_log_record *rec, void *user_data) {
    (void)user_data;
    char small[1024], *line;
    size_t n = tn__log_line(rec, isatty(STDERR_FILENO), small, &line);  // asked each time: stderr may be redirected
    tn__log_write_all(STDERR_FILENO, line, n);
    if (line != small) tn__free(line);
}

// ---- the rotated log file

typedef struct tn__log_file {
    tn__mutex lock;      // the fd, the size count, rotation
    int fd;
    long long size, max_size;
    int num_backups;
    bool to_stderr;
    char *path;          // one block: the path, then room for two of path.N
    char *from, *to;
    size_t room;         // bytes in each of from and to
} tn__log_file;

static tn__log_file *tn__log_file_state;

TN__PRIVATE void tn__log_file_rotate(tn__log_file *f) {
    if (f->num_backups < 0) {
        if (ftruncate(f->fd, 0) == 0) f->size = 0;
        return;
    }
    for (int i = f->num_backups - 1; i >= 0; i--) {
        if (i) snprintf(f->from, f->room, "%s.%d", f->path, i);
        snprintf(f->to, f->room, "%s.%d", f->path, i + 1);
        rename(i ? f->from : f->path, f->to);  // an older file may not exist yet
    }
    int fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;  // keep writing to the old file (now path.1): nothing is lost
    close(f->fd);
    f->fd = fd;
    f->size = 0;
}

TN__PRIVATE void tn__log_write_file(const tn_log_record *rec, void *user_data) {
    tn__log_file *f = TN__CAST(tn__log_file *, user_data);
    if (f->to_stderr) tn_log_write_stderr(rec, NULL);
    char small[1024], *line;
    size_t n = tn__log_line(rec, false, small, &line);
    tn__mutex_lock(&f->lock);
    if (f->size > 0 && f->size + (long long)n > f->max_size) tn__log_file_rotate(f);
    tn__log_write_all(f->fd, line, n);
    f->size += (long long)n;
    tn__mutex_unlock(&f->lock);
    if (line != small) tn__free(line);
}

TN__PRIVATE void tn__log_file_free(tn__log_file *f) {
    if (!f) return;
    if (f->fd >= 0) close(f->fd);
    tn__mutex_destroy(&f->lock);
    tn__free(f->path);
    tn__free(f);
}

TN_API int tn_log_to_file(const tn_log_file_desc *desc) {
    tn__log_file *f = NULL;
    if (desc) {
        if (!desc->path || !desc->path[0]) return TN_EINVAL;
        size_t len = strlen(desc->path), room = len + 16;  // ".N" for any int N
        f = TN__CAST(tn__log_file *, tn__calloc(1, sizeof *f));
        char *path = f ? TN__CAST(char *, tn__malloc(len + 1 + 2 * room)) : NULL;
        if (!path) {
            tn__free(f);
            return TN_ENOMEM;
        }
        memcpy(path, desc->path, len + 1);
        f->path = path;
        f->from = path + len + 1;
        f->to = f->from + room;
        f->room = room;
        f->max_size = desc->max_size > 0 ? desc->max_size : 100000000;
        f->num_backups = desc->num_backups == 0 ? 10 : desc->num_backups;
        f->to_stderr = desc->to_stderr;
        tn__mutex_init(&f->lock);
        f->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        struct stat st;
        if (f->fd < 0 || fstat(f->fd, &st) != 0) {
            int err = tn__err_from_errno(errno);
            tn__log_file_free(f);
            return err;
        }
        f->size = (long long)st.st_size;
    }
    tn_log_set_cb(f ? tn__log_write_file : NULL, f);
    tn__log_file_free(tn__log_file_state);
    tn__log_file_state = f;
    return 0;
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
