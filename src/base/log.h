// ---------------------------------------------------------------------------
// >>log  Logging
// ---------------------------------------------------------------------------
// Tornado's three channels and its line format:
//     [I 261123 14:02:03 web:2271] 200 GET / (127.0.0.1) 0.43ms
// (level letter, yymmdd hh:mm:ss local time, source module:line). The prefix
// is coloured only when stderr is a terminal. Lines go to one writer:
//   - the run-time sink of the calling thread's current loop
//     (tn_loop_desc.logger), when it has one: a device's UART, say;
//   - otherwise the process-wide writer, tn_log_set_cb's (default: stderr;
//     tn_log_to_file installs one that writes a rotated file, and >>options
//     sets both from Tornado's command-line flags).
// So lines logged on a loop's thread go to its sink; lines from executor
// threads and from threads without a current loop go to the process-wide
// writer. Levels are process-wide (TN_LOG_LEVEL, tn_log_set_level).
#ifndef TN__BASE_LOG_H
#define TN__BASE_LOG_H
#include "base/config.h"
TN__BEGIN_DECLS

#define TN_LOG_DEBUG   10
#define TN_LOG_INFO    20
#define TN_LOG_WARNING 30
#define TN_LOG_ERROR   40
#define TN_LOG_NONE    100

#ifndef TN_LOG_LEVEL  // compile-time floor: calls below it compile to nothing
#  define TN_LOG_LEVEL TN_LOG_DEBUG
#endif

typedef enum tn_log_channel {
    TN_LOG_GENERAL = 0,   // tornado.general: protocol and network events
    TN_LOG_APPLICATION,   // tornado.application: errors in user code, user logs
    TN_LOG_ACCESS         // tornado.access: one line per HTTP request
} tn_log_channel;

typedef struct tn_log_record {
    int level;              // TN_LOG_DEBUG .. TN_LOG_ERROR
    tn_log_channel channel;
    const char *file;       // __FILE__ of the call
    int line;
    double time;            // wall clock, seconds since the epoch
    const char *message;    // formatted, NUL-terminated, no trailing newline
} tn_log_record;

typedef void (*tn_log_cb)(const tn_log_record *rec, void *user_data);

// A run-time log sink, set per loop in tn_loop_desc.logger (see above);
// cb NULL: none, lines go to the process-wide writer.
typedef struct tn_logger {
    tn_log_cb cb;
    void *user_data;
} tn_logger;

// Sets the process-wide writer (NULL restores the default stderr writer).
// Set it before other threads log. The writer may be called from any thread.
TN_API void tn_log_set_cb(tn_log_cb fn, void *user_data);
// Sets the runtime level (default TN_LOG_INFO); records below it are dropped.
TN_API void tn_log_set_level(int level);
TN_API int tn_log_get_level(void);
// The default writer: formats `rec` and writes one line to stderr.
TN_API void tn_log_write_stderr(const tn_log_record *rec, void *user_data);
// Formats the line prefix "[I 261123 14:02:03 file:12]" into out (NUL-terminated,
// cut to `cap`). Returns its length.
TN_API size_t tn_log_format_prefix(const tn_log_record *rec, char *out, size_t cap);
// Formats the whole line as Tornado's LogFormatter: the prefix (coloured when
// `color`), a space, the message with each line after the first indented by
// four spaces, and "\n". Writes at most cap bytes, NUL-terminated, and
// returns the full length (as snprintf does): retry with a larger buffer.
TN_API size_t tn_log_format(const tn_log_record *rec, bool color, char *out, size_t cap);

typedef struct tn_log_file_desc {
    const char *path;       // the log file (Tornado's --log_file_prefix); copied
    long long max_size;     // bytes a file may hold; 0: 100000000
    int num_backups;        // rotated files kept, path.1 (newest) .. path.N;
                            // 0: 10; < 0: none (a full file starts over empty)
    bool to_stderr;         // also write every line to stderr (--log_to_stderr)
} tn_log_file_desc;

// Writes the log to a file, rotated by size as Python's RotatingFileHandler:
// before a line would take the file past max_size, path.N-1 becomes path.N,
// ..., path becomes path.1 and path starts empty. Installs its writer with
// tn_log_set_cb; NULL closes the file and restores the stderr writer.
// Returns 0 or why the file cannot be opened (TN_ENOENT, TN_EACCES, ...).
// One log file per process, chosen before other threads log; processes
// sharing a file must each have their own path (Tornado's advice too).
TN_API int tn_log_to_file(const tn_log_file_desc *desc);
// Logs a printf-formatted message. Prefer the macros below.
TN_API void tn_log(int level, tn_log_channel channel, const char *file, int line,
                   const char *fmt, ...) TN_PRINTF(5, 6);

#define TN_LOG(level, channel, ...)                                       \
    do {                                                                  \
        if ((level) >= TN_LOG_LEVEL && (level) >= tn_log_get_level())     \
            tn_log((level), (channel), __FILE__, __LINE__, __VA_ARGS__);  \
    } while (0)
// Application-channel shorthands for user code: TN_LOGI("port %d", port).
#define TN_LOGD(...) TN_LOG(TN_LOG_DEBUG, TN_LOG_APPLICATION, __VA_ARGS__)
#define TN_LOGI(...) TN_LOG(TN_LOG_INFO, TN_LOG_APPLICATION, __VA_ARGS__)
#define TN_LOGW(...) TN_LOG(TN_LOG_WARNING, TN_LOG_APPLICATION, __VA_ARGS__)
#define TN_LOGE(...) TN_LOG(TN_LOG_ERROR, TN_LOG_APPLICATION, __VA_ARGS__)

TN__END_DECLS
#endif
