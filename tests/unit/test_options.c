// tornado.options and tornado.log: option types, the command line, config
// files, --help, the exact error lines and exit statuses (in child
// processes), the log line format, the rotated log file, the access log.
#define _GNU_SOURCE 1
#include "test.h"
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child_server.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

// ---- the variables the options below are bound to

static struct {
    int port, count;
    double ratio, timeout;
    bool quiet, verbose;
    const char *root, *mode;
    tn_option_list hosts;
} v;

static const char *const modes[] = {"fast", "slow", NULL};

static const tn_option_desc table[] = {
    TN_OPTION_PORT(&v.port),
    {.name = "count", .type = TN_OPTION_INT, .value = &v.count, .default_value = "3", .help = "how many"},
    {.name = "ratio", .type = TN_OPTION_FLOAT, .value = &v.ratio, .min = 0, .max = 1, .help = "a share"},
    {.name = "timeout", .type = TN_OPTION_DURATION, .value = &v.timeout, .default_value = "30s",
     .help = "idle time", .group = "server"},
    {.name = "quiet", .type = TN_OPTION_BOOL, .value = &v.quiet, .help = "no access log"},
    {.name = "verbose", .type = TN_OPTION_BOOL, .value = &v.verbose, .default_value = "true", .help = "say more"},
    {.name = "root_dir", .value = &v.root, .metavar = "DIR", .help = "the folder to serve", .group = "server"},
    {.name = "mode", .value = &v.mode, .choices = modes, .default_value = "fast", .help = "speed"},
    {.name = "hosts", .type = TN_OPTION_LIST, .value = &v.hosts, .help = "names to answer for"},
    {0},
};

// A fresh set with every variable reset; no_exit unless `exits`.
static tn_options *make(bool exits) {
    memset(&v, 0, sizeof v);
    v.port = 8888;
    v.root = ".";
    tn_options *o = tn_options_new(&(tn_options_desc){.options = table, .program = "prog", .no_exit = !exits,
                                                      .args = "[FILE...]"});
    if (!o) tt_fail(__FILE__, __LINE__, "tn_options_new failed");
    return o;
}

// Parses a NULL-ended argument list (the program name is added).
static int parse(tn_options *o, const char *const *args) {
    char *argv[32] = {(char *)"prog"};
    int argc = 1;
    while (args[argc - 1]) argv[argc] = (char *)args[argc - 1], argc++;
    return tn_options_parse_command_line(o, argc, argv);
}
#define PARSE(o, ...) parse((o), (const char *const[]){__VA_ARGS__, NULL})

TEST(options_defaults_and_every_type) {
    tn_options *o = make(false);
    CHECK_INT(v.port, 8888);  // the variable's own value is the default
    CHECK_INT(v.count, 3);    // default_value was parsed into it
    CHECK(v.timeout == 30 && v.verbose && strcmp(v.mode, "fast") == 0 && v.hosts.count == 0);
    CHECK_INT(PARSE(o, "--port=80", "--count", "-12", "--ratio=0.25", "--timeout=1h 30m", "--quiet",
                    "--root_dir=/srv", "--mode", "slow", "--hosts= a.example ,b.example,,c "),
              11);
    CHECK_INT(v.port, 80);
    CHECK_INT(v.count, -12);  // "--name value" takes the next argument even with a dash
    CHECK(v.ratio == 0.25);
    CHECK(v.timeout == 5400);
    CHECK(v.quiet);
    CHECK_STR(v.root, "/srv");
    CHECK_STR(v.mode, "slow");
    CHECK_INT(v.hosts.count, 3);
    CHECK_STR(v.hosts.items[0], "a.example");
    CHECK_STR(v.hosts.items[1], "b.example");
    CHECK_STR(v.hosts.items[2], "c");
    tn_options_free(o);
}

TEST(options_command_line_forms) {
    tn_options *o = make(false);
    // bools: bare, --no-, =false and friends; one or two dashes; '-' == '_'
    CHECK_INT(PARSE(o, "--no-verbose", "-quiet", "--root-dir=/a", "FILE", "--port=1"), 4);
    CHECK(!v.verbose && v.quiet);
    CHECK_STR(v.root, "/a");
    const char *falses[] = {"false", "0", "no", "off", "f", "FALSE"}, *trues[] = {"true", "1", "yes", "on", "t", "True"};
    char arg[32];
    for (size_t i = 0; i < COUNT(falses); i++) {
        snprintf(arg, sizeof arg, "--verbose=%s", falses[i]);
        CHECK_INT(PARSE(o, arg), 2);
        CHECK(!v.verbose);
        snprintf(arg, sizeof arg, "--verbose=%s", trues[i]);
        CHECK_INT(PARSE(o, arg), 2);
        CHECK(v.verbose);
    }
    CHECK_INT(PARSE(o, "--no_verbose"), 2);
    CHECK(!v.verbose);
    // A bool never takes the next argument: it is the first positional one.
    CHECK_INT(PARSE(o, "--quiet", "false"), 2);
    CHECK(v.quiet);
    // The last value wins; "--" ends the options; "-" alone is positional.
    CHECK_INT(PARSE(o, "--port=1", "--port=2", "--", "--port=3"), 4);
    CHECK_INT(v.port, 2);
    CHECK_INT(PARSE(o, "-", "--port=4"), 1);
    CHECK_INT(v.port, 2);
    CHECK_INT(PARSE(o, "--port=0"), 2);
    CHECK_INT(v.port, 0);
    CHECK_INT(PARSE(o, "--port=65535", "--ratio=1", "--ratio=0", "--count=-2147483648"), 5);
    CHECK_INT(v.port, 65535);
    CHECK_INT(v.count, INT_MIN);
    CHECK_STR(tn_options_error(o), "");
    tn_options_free(o);
}

TEST(options_duration_syntax) {
    static const struct { const char *text; double seconds; } ok[] = {
        {"90", 90},        {"1.5s", 1.5},     {"500ms", 0.5},      {"2m", 120},       {"1h 30m", 5400},
        {"1h30m", 5400},   {"2 min", 120},    {"1d", 86400},       {"1w", 604800},    {"250us", 250e-6},
        {".5h", 1800},     {"3 seconds", 3},  {"2 hours", 7200},   {"1e3ms", 1},      {" 7 ", 7},
    };
    static const char *const bad[] = {"", " ", "s", "5x", "1.2.3", "inf", "nan", "1h 30", "--1", "5 s s", "1hour",
                                         "1 2"};
    tn_options *o = make(false);
    char arg[64];
    for (size_t i = 0; i < COUNT(ok); i++) {
        snprintf(arg, sizeof arg, "--timeout=%s", ok[i].text);
        if (PARSE(o, arg) != 2 || v.timeout < ok[i].seconds * (1 - 1e-12) || v.timeout > ok[i].seconds * (1 + 1e-12))
            tt_fail(__FILE__, __LINE__, "%s: %g, expected %g (%s)", arg, v.timeout, ok[i].seconds, tn_options_error(o));
    }
    for (size_t i = 0; i < COUNT(bad); i++) {
        snprintf(arg, sizeof arg, "--timeout=%s", bad[i]);
        if (PARSE(o, arg) != TN_EINVAL) tt_fail(__FILE__, __LINE__, "%s was accepted", arg);
    }
    tn_options_free(o);
}

// Every error shape: the exact message, and the variable left alone.
static const struct { const char *args[3]; const char *error; } bad_rows[] = {
    {{"--port=abc"}, "--port: expected an integer from 0 to 65535, got 'abc'"},
    {{"--port=65536"}, "--port: expected an integer from 0 to 65535, got '65536'"},
    {{"--port=-1"}, "--port: expected an integer from 0 to 65535, got '-1'"},
    {{"--port= 80"}, "--port: expected an integer from 0 to 65535, got ' 80'"},
    {{"--port=8O"}, "--port: expected an integer from 0 to 65535, got '8O'"},
    {{"--port"}, "--port: expected an integer from 0 to 65535, got nothing"},
    {{"--port="}, "--port: expected an integer from 0 to 65535, got ''"},
    {{"--count=2147483648"}, "--count: expected an integer, got '2147483648'"},
    {{"--count=99999999999999999999"}, "--count: expected an integer, got '99999999999999999999'"},
    {{"--ratio=1.5"}, "--ratio: expected a number from 0 to 1, got '1.5'"},
    {{"--ratio=half"}, "--ratio: expected a number from 0 to 1, got 'half'"},
    {{"--timeout=soon"}, "--timeout: expected a duration (e.g. 30s, 1.5m, 2h), got 'soon'"},
    {{"--quiet=maybe"}, "--quiet: expected true or false, got 'maybe'"},
    {{"--no-quiet=1"}, "--no-quiet: takes no value"},
    {{"--mode=medium"}, "--mode: expected one of fast|slow, got 'medium'"},
    {{"--prot=80"}, "unknown option --prot (see --help)"},
    {{"-x"}, "unknown option -x (see --help)"},
    {{"--no-port"}, "unknown option --no-port (see --help)"},
    {{"--logging=loud"}, "--logging: expected one of debug|info|warning|error|none, got 'loud'"},
    {{"--log_file_max_size=0"}, "--log_file_max_size: expected an integer from 1 to 2147483647, got '0'"},
};

TEST(options_error_messages) {
    tn_options *o = make(false);
    for (size_t i = 0; i < COUNT(bad_rows); i++) {
        v.port = 8888;
        v.ratio = 0.5;
        int r = parse(o, bad_rows[i].args);
        if (r != TN_EINVAL || strcmp(tn_options_error(o), bad_rows[i].error) != 0)
            tt_fail(__FILE__, __LINE__, "%s: %d \"%s\", expected \"%s\"", bad_rows[i].args[0], r, tn_options_error(o),
                    bad_rows[i].error);
        CHECK(v.port == 8888 && v.ratio == 0.5);
    }
    // Without .args a positional argument is an error too.
    tn_options *plain = tn_options_new(&(tn_options_desc){.no_exit = true});
    CHECK_INT(PARSE(plain, "stray"), TN_EINVAL);
    CHECK_STR(tn_options_error(plain), "unexpected argument 'stray'");
    tn_options_free(plain);
    tn_options_free(o);
}

// Runs fn(arg) in a child with stdout and stderr captured apart; returns
// its exit status (-1: it returned instead of exiting).
typedef struct { char out[8192], err[8192]; } captured;

static int drain(int fd, char *buf, size_t cap) {
    size_t n = 0;
    ssize_t r;
    while ((r = read(fd, buf + n, cap - 1 - n)) > 0) n += (size_t)r;
    buf[n] = '\0';
    return (int)n;
}

static int in_child(void (*fn)(void *), void *arg, captured *c) {
    int po[2], pe[2];
    CHECK(pipe(po) == 0 && pipe(pe) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]), close(pe[0]), close(po[1]), close(pe[1]);
        fn(arg);
        _exit(99);
    }
    close(po[1]), close(pe[1]);
    drain(po[0], c->out, sizeof c->out);  // small outputs: the pipes never fill up
    drain(pe[0], c->err, sizeof c->err);
    close(po[0]), close(pe[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? (WEXITSTATUS(st) == 99 ? -1 : WEXITSTATUS(st)) : 128 + WTERMSIG(st);
}

static void child_parse(void *arg) {
    tn_options *o = make(true);
    parse(o, (const char *const *)arg);
    tn_options_free(o);
    exit(0);
}

TEST(options_errors_exit_2_with_one_line) {
    for (size_t i = 0; i < COUNT(bad_rows); i++) {
        captured c;
        int st = in_child(child_parse, (void *)bad_rows[i].args, &c);
        char want[512];
        snprintf(want, sizeof want, "prog: %s\n", bad_rows[i].error);
        if (st != 2 || strcmp(c.err, want) != 0 || c.out[0])
            tt_fail(__FILE__, __LINE__, "%s: status %d, stderr \"%s\", stdout \"%s\"", bad_rows[i].args[0], st, c.err,
                    c.out);
    }
    captured c;
    const char *ok[] = {"--port=1", NULL};
    CHECK_INT(in_child(child_parse, (void *)ok, &c), 0);
    CHECK_STR(c.err, "");
}

static const char help_text[] =
    "Usage: prog [OPTIONS] [FILE...]\n"
    "\n"
    "Options:\n"
    "\n"
    "  --count                          how many (default 3)\n"
    "  --help                           show this help information\n"
    "  --hosts                          names to answer for\n"
    "  --mode=fast|slow                 speed (default fast)\n"
    "  --port                           run on the given port (default 8888)\n"
    "  --quiet                          no access log\n"
    "  --ratio                          a share (default 0)\n"
    "  --verbose                        say more (default true)\n"
    "\n"
    "logging options:\n"
    "\n"
    "  --log-file-max-size              max size of log files before rollover\n"
    "                                   (default 100000000)\n"
    "  --log-file-num-backups           number of log files to keep (default 10)\n"
    "  --log-file-prefix=PATH           path of the log file; several processes must\n"
    "                                   each have their own (e.g. include the port\n"
    "                                   number)\n"
    "  --log-to-stderr                  send log output to stderr (colorized if\n"
    "                                   possible); by default stderr is used only if\n"
    "                                   --log_file_prefix is not set\n"
    "  --logging=debug|info|warning|error|none\n"
    "                                   set the log level; 'none' logs nothing\n"
    "                                   (default info)\n"
    "\n"
    "server options:\n"
    "\n"
    "  --root-dir=DIR                   the folder to serve (default .)\n"
    "  --timeout                        idle time (default 30s)\n"
    "\n";

TEST(options_help_layout) {
    tn_options *o = make(false);
    tn_buf b = {0};
    CHECK_OK(tn_options_help(o, &b));
    CHECK_STR(b.data, help_text);
    tn_buf_free(&b);
    // no_exit: --help stops the parse and returns 0, printing nothing.
    v.port = 1;
    CHECK_INT(PARSE(o, "--help", "--port=2"), 0);
    CHECK_INT(v.port, 1);
    CHECK_INT(PARSE(o, "--port=3"), 2);  // the next parse starts afresh
    tn_options_free(o);
    // A long word is not cut; a long prefix gets its own line.
    o = tn_options_new(&(tn_options_desc){
        .program = "p", .no_logging_options = true, .no_exit = true,
        .options = (tn_option_desc[]){
            {.name = "a_very_long_option_name_indeed", .metavar = "SOMETHING", .help = "x"},
            {.name = "url", .help = "see https://example.com/a/very/long/path/that/does/not/fit/in/44/columns ok"},
            {0}}});
    CHECK_OK(tn_options_help(o, &b));
    CHECK_STR(b.data, "Usage: p [OPTIONS]\n\nOptions:\n\n"
                      "  --a-very-long-option-name-indeed=SOMETHING\n"
                      "                                   x\n"
                      "  --help                           show this help information\n"
                      "  --url                            see\n"
                      "                                   https://example.com/a/very/long/path/that/does/not/fit/in/44/columns\n"
                      "                                   ok\n\n");
    tn_buf_free(&b);
    tn_options_free(o);
}

TEST(options_help_prints_to_stdout_and_exits_0) {
    const char *args[] = {"--port=1", "--help", "--port=abc", NULL};  // nothing after --help is looked at
    captured c;
    CHECK_INT(in_child(child_parse, (void *)args, &c), 0);
    CHECK_STR(c.out, help_text);
    CHECK_STR(c.err, "");
}

// ---- config files

static char conf_path[64];

static void write_conf(const char *text) {
    snprintf(conf_path, sizeof conf_path, "/tmp/tn_options_%d.conf", (int)getpid());
    FILE *f = fopen(conf_path, "w");
    CHECK(f != NULL);
    fputs(text, f);
    fclose(f);
}

TEST(options_config_file) {
    tn_options *o = make(false);
    write_conf("# a comment\n"
               "\n"
               "   port = 8080          # after a space, a comment\n"
               "root_dir = /srv/a#b\n"
               "root-dir=\"/srv/my #1 \\\"site\\\" \\\\ \"   # quoted\r\n"
               "\tquiet = yes\n"
               "timeout = 1m 30s\n"
               "hosts = a, b\n"
               "mode = slow");  // no newline at the end
    CHECK_OK(tn_options_parse_config_file(o, conf_path));
    CHECK_INT(v.port, 8080);
    CHECK_STR(v.root, "/srv/my #1 \"site\" \\ ");
    CHECK(v.quiet && v.timeout == 90 && v.hosts.count == 2 && strcmp(v.mode, "slow") == 0);
    write_conf("root_dir = /srv/a#b\nmode = fast # x\n");
    CHECK_OK(tn_options_parse_config_file(o, conf_path));
    CHECK_STR(v.root, "/srv/a#b");  // '#' without a space before it is the value's
    CHECK_STR(v.mode, "fast");
    unlink(conf_path);
    tn_options_free(o);
}

static const struct { const char *text; int line; const char *error; } conf_bad[] = {
    {"port = abc\n", 1, "port: expected an integer from 0 to 65535, got 'abc'"},
    {"# ok\nport = 1\nprot = 2\n", 3, "unknown option 'prot'"},
    {"port\n", 1, "expected NAME = VALUE"},
    {"port 80\n", 1, "expected NAME = VALUE"},
    {"= 80\n", 1, "expected NAME = VALUE"},
    {"--port = 80\n", 1, "expected NAME = VALUE"},
    {"\n\nroot_dir = \"open\n", 3,
     "expected NAME = VALUE (a quoted value ends with \" and may be followed by a comment)"},
    {"root_dir = \"a\" b\n", 1,
     "expected NAME = VALUE (a quoted value ends with \" and may be followed by a comment)"},
    {"quiet = \n", 1, "quiet: expected true or false, got ''"},
    {"mode = medium\n", 1, "mode: expected one of fast|slow, got 'medium'"},
    {"hosts = a\nport = 1\0002\n", 2, "a NUL byte in the line"},
};

TEST(options_config_file_errors) {
    tn_options *o = make(false);
    for (size_t i = 0; i < COUNT(conf_bad); i++) {
        snprintf(conf_path, sizeof conf_path, "/tmp/tn_options_%d.conf", (int)getpid());
        FILE *f = fopen(conf_path, "w");
        size_t len = strlen(conf_bad[i].text);
        if (strstr(conf_bad[i].text, "hosts")) len = 22;  // the row with a NUL byte
        fwrite(conf_bad[i].text, 1, len, f);
        fclose(f);
        char want[512];
        snprintf(want, sizeof want, "%s:%d: %s", conf_path, conf_bad[i].line, conf_bad[i].error);
        int r = tn_options_parse_config_file(o, conf_path);
        if (r != TN_EINVAL || strcmp(tn_options_error(o), want) != 0)
            tt_fail(__FILE__, __LINE__, "row %zu: %d \"%s\", expected \"%s\"", i, r, tn_options_error(o), want);
    }
    unlink(conf_path);
    CHECK_INT(tn_options_parse_config_file(o, "/nonexistent/tn.conf"), TN_ENOENT);
    CHECK_STR(tn_options_error(o), "/nonexistent/tn.conf: no such file or directory");
    tn_options_free(o);
}

static void child_conf(void *arg) {
    tn_options *o = make(true);
    tn_options_parse_config_file(o, (const char *)arg);
    exit(0);
}

TEST(options_config_file_errors_exit_2) {
    write_conf("port = 1\nport = 99999\n");
    captured c;
    CHECK_INT(in_child(child_conf, conf_path, &c), 2);
    char want[256];
    snprintf(want, sizeof want, "prog: %s:2: port: expected an integer from 0 to 65535, got '99999'\n", conf_path);
    CHECK_STR(c.err, want);
    unlink(conf_path);
    CHECK_INT(in_child(child_conf, (void *)"/nonexistent/tn.conf", &c), 2);
    CHECK_STR(c.err, "prog: /nonexistent/tn.conf: no such file or directory\n");
}

// ---- callbacks

static char calls[256];

static int record(tn_options *o, void *value, void *user_data) {
    (void)o;
    size_t n = strlen(calls);
    snprintf(calls + n, sizeof calls - n, "%s=%d;", (const char *)user_data, *(int *)value);
    return *(int *)value == 13 ? -1 : 0;  // 13 is rejected
}

static int load(tn_options *o, void *value, void *user_data) {
    (void)user_data;
    return tn_options_parse_config_file(o, *(const char **)value);
}

TEST(options_callbacks) {
    int a = 0;
    calls[0] = '\0';
    tn_options *o = tn_options_new(&(tn_options_desc){
        .no_exit = true, .no_logging_options = true,
        .options = (tn_option_desc[]){
            {.name = "a", .type = TN_OPTION_INT, .value = &a, .default_value = "5", .callback = record,
             .user_data = (void *)"a", .metavar = "N (not 13)"},
            {.name = "b", .type = TN_OPTION_INT, .callback = record, .user_data = (void *)"b"},  // no variable
            {.name = "config", .callback = load},
            {0}}});
    CHECK(o != NULL);
    CHECK_STR(calls, "");  // not for the default
    CHECK_INT(PARSE(o, "--a=1", "--b=2", "--a=3"), 4);
    CHECK_STR(calls, "a=1;b=2;a=3;");
    CHECK_INT(PARSE(o, "--a=13"), TN_EINVAL);
    CHECK_STR(tn_options_error(o), "--a: expected N (not 13), got '13'");
    CHECK_INT(PARSE(o, "--b=13"), TN_EINVAL);
    CHECK_STR(tn_options_error(o), "--b: bad value '13'");
    // A config file loaded from a flag: options after it win; its own
    // error is the one reported.
    write_conf("a = 7\nb = 8\n");
    char arg[128];
    snprintf(arg, sizeof arg, "--config=%s", conf_path);
    calls[0] = '\0';
    CHECK_INT(PARSE(o, "--a=1", arg, "--b=9"), 4);
    CHECK_STR(calls, "a=1;a=7;b=8;b=9;");
    CHECK_INT(a, 7);
    write_conf("a = x\n");
    CHECK_INT(PARSE(o, arg), TN_EINVAL);
    char want[256];
    snprintf(want, sizeof want, "%s:1: a: expected an integer, got 'x'", conf_path);
    CHECK_STR(tn_options_error(o), want);
    unlink(conf_path);
    tn_options_free(o);
}

// ---- definitions

static int logged;
static void count_log(const tn_log_record *r, void *ud) {
    (void)r, (void)ud;
    logged++;
}

TEST(options_bad_definitions) {
    tn_log_set_cb(count_log, NULL);
    int x = 0;
    tn_options *o = tn_options_new(NULL);
    CHECK(o != NULL);
    CHECK_INT(tn_options_define(o, &(tn_option_desc){.name = "x", .type = TN_OPTION_INT, .value = &x}), 0);
    CHECK_INT(tn_options_define(o, &(tn_option_desc){.name = "x", .type = TN_OPTION_INT, .value = &x}), TN_EEXIST);
    CHECK_INT(tn_options_define(o, &(tn_option_desc){.name = "help"}), TN_EEXIST);
    CHECK_INT(tn_options_define(o, &(tn_option_desc){.name = "log-file-prefix"}), TN_EEXIST);
    CHECK_INT(tn_options_define(o, &(tn_option_desc){.name = "a b"}), TN_EINVAL);
    CHECK_INT(tn_options_define(o, &(tn_option_desc){.name = ""}), TN_EINVAL);
    CHECK_INT(tn_options_define(o, &(tn_option_desc){.help = "no name"}), TN_EINVAL);
    CHECK_INT(tn_options_define(o, &(tn_option_desc){.name = "t", .type = (tn_option_type)6}), TN_EINVAL);
    CHECK_INT(tn_options_define(o, &(tn_option_desc){.name = "r", .type = TN_OPTION_INT, .min = 5, .max = 1}),
              TN_EINVAL);
    CHECK_INT(tn_options_define(o, &(tn_option_desc){.name = "c", .type = TN_OPTION_INT, .choices = modes}), TN_EINVAL);
    CHECK_INT(tn_options_define(o, &(tn_option_desc){.name = "s", .min = 1, .max = 2}), TN_EINVAL);
    CHECK_INT(tn_options_define(o, &(tn_option_desc){.name = "d", .type = TN_OPTION_INT, .value = &x,
                                                     .default_value = "ten"}),
              TN_EINVAL);
    CHECK_INT(tn_options_define(o, &(tn_option_desc){.name = "e", .type = TN_OPTION_INT, .value = &x,
                                                     .default_value = "70000", .min = 0, .max = 65535}),
              TN_EINVAL);
    CHECK_INT(logged, 12);  // each one said why
    tn_options_free(o);
    // A bad table: no options object at all.
    CHECK(tn_options_new(&(tn_options_desc){.options = (tn_option_desc[]){{.name = "p q"}, {0}}}) == NULL);
    tn_log_set_cb(NULL, NULL);
}

// ---- the logging options

static char log_path[64];

static void set_log_path(void) {
    snprintf(log_path, sizeof log_path, "/tmp/tn_options_%d.log", (int)getpid());
    unlink(log_path);
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

TEST(options_logging_flags) {
    tn_options *o = make(false);
    CHECK_INT(PARSE(o, "--logging=warning"), 2);
    CHECK_INT(tn_log_get_level(), TN_LOG_WARNING);
    CHECK_INT(PARSE(o, "--logging=none"), 2);
    CHECK_INT(tn_log_get_level(), TN_LOG_NONE);
    CHECK_INT(PARSE(o, "--port=1"), 2);  // values stay until set again
    CHECK_INT(tn_log_get_level(), TN_LOG_NONE);
    CHECK_INT(PARSE(o, "--logging=info"), 2);
    CHECK_INT(tn_log_get_level(), TN_LOG_INFO);
    set_log_path();
    char arg[128];
    snprintf(arg, sizeof arg, "--log_file_prefix=%s", log_path);
    CHECK_INT(PARSE(o, arg, "--logging=debug"), 3);
    TN_LOGD("into the file");
    CHECK(file_size(log_path) > 0);
    long before = file_size(log_path);
    tn_options_free(o);  // closes the file: the log goes back to stderr
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    TN_LOGI("to stderr");
    dup2(saved, 2);
    close(saved), close(null);
    CHECK_INT(file_size(log_path), before);
    unlink(log_path);
    o = make(false);
    CHECK_INT(PARSE(o, "--log_file_prefix=/nonexistent/dir/x.log"), TN_EINVAL);
    CHECK_STR(tn_options_error(o), "--log_file_prefix: cannot open '/nonexistent/dir/x.log': no such file or directory");
    tn_options_free(o);
    tn_log_set_level(TN_LOG_INFO);
}

// ---- the log line

static tn_log_record record_at(int level, const char *msg) {
    tn_log_record r;
    memset(&r, 0, sizeof r);
    r.level = level;
    r.channel = TN_LOG_ACCESS;
    r.file = "src/web/web.c";
    r.line = 2271;
    r.time = 1796515199.5;  // 2026-12-05 23:59:59.5 UTC
    r.message = msg;
    return r;
}

TEST(log_format_exact_lines) {
    setenv("TZ", "UTC", 1);
    tzset();
    char out[256];
    tn_log_record r = record_at(TN_LOG_INFO, "200 GET / (127.0.0.1) 0.52ms");
    size_t n = tn_log_format(&r, false, out, sizeof out);
    CHECK_STR(out, "[I 261205 23:59:59 web:2271] 200 GET / (127.0.0.1) 0.52ms\n");
    CHECK_INT(n, strlen(out));
    tn_log_format(&r, true, out, sizeof out);
    CHECK_STR(out, "\033[32m[I 261205 23:59:59 web:2271]\033[0m 200 GET / (127.0.0.1) 0.52ms\n");
    static const struct { int level; const char *color; char letter; } levels[] = {
        {TN_LOG_DEBUG, "\033[34m", 'D'}, {TN_LOG_WARNING, "\033[33m", 'W'}, {TN_LOG_ERROR, "\033[31m", 'E'}};
    for (size_t i = 0; i < COUNT(levels); i++) {
        r = record_at(levels[i].level, "x");
        tn_log_format(&r, true, out, sizeof out);
        CHECK(memcmp(out, levels[i].color, 5) == 0 && out[6] == levels[i].letter);
    }
    // Continuation lines are indented; trailing newlines are the line's own.
    r = record_at(TN_LOG_ERROR, "first\nsecond\n[I 261205 00:00:00 forged:1] x\n\n");
    tn_log_format(&r, false, out, sizeof out);
    CHECK_STR(out, "[E 261205 23:59:59 web:2271] first\n    second\n    [I 261205 00:00:00 forged:1] x\n");
    // Cut to the buffer, NUL-terminated, the full length returned.
    r = record_at(TN_LOG_INFO, "0123456789");
    CHECK_INT(tn_log_format(&r, false, out, 20), 40);
    CHECK_STR(out, "[I 261205 23:59:59 ");
    CHECK_INT(tn_log_format(&r, false, NULL, 0), 40);
}

TEST(log_long_line_is_written_whole) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/tn_log_long_%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int saved = dup(2);
    dup2(fd, 2);
    static char big[5000];
    memset(big, 'q', sizeof big - 1);
    TN_LOGW("%s", big);
    dup2(saved, 2);
    close(saved);
    static char got[6000];
    ssize_t n = pread(fd, got, sizeof got - 1, 0);
    close(fd);
    unlink(path);
    CHECK(n > 5000);
    got[n] = '\0';
    CHECK(strstr(got, big) != NULL && got[n - 1] == '\n' && got[0] == '[');
}

// ---- the rotated file

// Reads a whole small file.
static void slurp(const char *path, char *out, size_t cap) {
    int fd = open(path, O_RDONLY);
    out[0] = '\0';
    if (fd < 0) return;
    drain(fd, out, cap);
    close(fd);
}

TEST(log_file_rotates_by_size_with_backups) {
    set_log_path();
    char name[96];
    for (int i = 1; i <= 4; i++) snprintf(name, sizeof name, "%s.%d", log_path, i), unlink(name);
    // Every line has the same length (two-digit numbers): a file holds as
    // many whole lines as fit in 150 bytes.
    CHECK_OK(tn_log_to_file(&(tn_log_file_desc){.path = log_path, .max_size = 150, .num_backups = 2}));
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 2);  // nothing goes to stderr without to_stderr
    for (int i = 10; i < 30; i++) TN_LOGI("line %d", i);
    dup2(saved, 2);
    close(saved), close(null);
    CHECK_OK(tn_log_to_file(NULL));
    static char text[3][512];
    slurp(log_path, text[0], sizeof text[0]);
    for (int i = 1; i <= 2; i++) snprintf(name, sizeof name, "%s.%d", log_path, i), slurp(name, text[i], 512);
    snprintf(name, sizeof name, "%s.3", log_path);
    CHECK(file_size(name) < 0);  // two backups, no more
    size_t line_len = strchr(text[0], '\n') - text[0] + 1;
    size_t per_file = 150 / line_len, current = strlen(text[0]) / line_len;
    CHECK(per_file >= 2 && current >= 1 && current <= per_file);
    CHECK_INT(strlen(text[0]), current * line_len);
    CHECK_INT(strlen(text[1]), per_file * line_len);  // the backups are full
    CHECK_INT(strlen(text[2]), per_file * line_len);
    // The newest lines are in the file itself, the ones before in .1, then .2.
    char want[32];
    snprintf(want, sizeof want, "line 29\n");
    CHECK(strstr(text[0], want) != NULL);
    snprintf(want, sizeof want, "line %d\n", (int)(29 - current));
    CHECK(strstr(text[1], want) + strlen(want) == text[1] + strlen(text[1]));
    snprintf(want, sizeof want, "line %d\n", (int)(29 - current - per_file));
    CHECK(strstr(text[2], want) + strlen(want) == text[2] + strlen(text[2]));
    CHECK(strchr(text[0], '\033') == NULL);  // never coloured
    unlink(log_path);
    for (int i = 1; i <= 2; i++) snprintf(name, sizeof name, "%s.%d", log_path, i), unlink(name);
}

TEST(log_file_without_backups_starts_over) {
    set_log_path();
    char name[96];
    snprintf(name, sizeof name, "%s.1", log_path);
    unlink(name);
    CHECK_OK(tn_log_to_file(&(tn_log_file_desc){.path = log_path, .max_size = 100, .num_backups = -1}));
    for (int i = 10; i < 20; i++) TN_LOGI("line %d", i);
    CHECK_OK(tn_log_to_file(NULL));
    char text[512];
    slurp(log_path, text, sizeof text);
    CHECK(strlen(text) <= 100 && strstr(text, "line 19\n") != NULL && strstr(text, "line 10\n") == NULL);
    CHECK(file_size(name) < 0);
    unlink(log_path);
}

TEST(log_file_appends_and_reports_open_errors) {
    set_log_path();
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(write(fd, "old\n", 4) == 4);
    close(fd);
    CHECK_OK(tn_log_to_file(&(tn_log_file_desc){.path = log_path, .to_stderr = false}));
    TN_LOGI("new");
    CHECK_OK(tn_log_to_file(NULL));
    char text[256];
    slurp(log_path, text, sizeof text);
    CHECK(strncmp(text, "old\n[I ", 7) == 0 && strstr(text, "] new\n") != NULL);
    unlink(log_path);
    CHECK_INT(tn_log_to_file(&(tn_log_file_desc){.path = "/nonexistent/dir/x.log"}), TN_ENOENT);
    CHECK_INT(tn_log_to_file(&(tn_log_file_desc){.path = ""}), TN_EINVAL);
}

// ---- the access log: levels by status, and log_function

static int access_fd = -1;  // the write end of a pipe the child logs into

static void access_writer(const tn_log_record *r, void *ud) {
    (void)ud;
    if (r->channel != TN_LOG_ACCESS) return;
    char line[512];
    int n = snprintf(line, sizeof line, "%d %s\n", r->level, r->message);
    if (write(access_fd, line, (size_t)n) != n) _exit(7);
}

static void ok_get(tn_handler *h) { tn_write_str(h, "ok"); }
static void boom_get(tn_handler *h) { tn_send_error(h, 503); }
static const tn_handler_class ok_class = {.get = ok_get}, boom_class = {.get = boom_get};

static void custom_log(tn_handler *h) {
    if (tn_str_eq(h->request.uri, "/ok?quiet")) return;  // a health check: not logged
    if (tn_get_status(h) == 404) {
        TN_LOG(TN_LOG_INFO, TN_LOG_ACCESS, "custom %d %.*s", tn_get_status(h), (int)h->request.uri.len,
               h->request.uri.ptr);
        return;
    }
    tn_app_log_request(h);
}

static bool use_custom_log;

static tn_app *access_app(tn_loop *loop, void *arg) {
    (void)arg;
    tn_log_set_level(TN_LOG_DEBUG);
    tn_log_set_cb(access_writer, NULL);
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    static const tn_route routes[] = {{.pattern = "/ok", .handler = &ok_class},
                                      {.pattern = "/boom", .handler = &boom_class},
                                      {NULL, NULL, NULL, NULL, NULL}};
    d.routes = routes;
    d.log_function = use_custom_log ? custom_log : NULL;
    d.no_access_log = use_custom_log;  // the function is called all the same
    return tn_app_new(loop, &d);
}

static void get(int port, const char *uri) {
    int fd = tt_connect(port);
    char req[256];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", uri);
    tt_send_str(fd, req);
    char buf[4096];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    close(fd);
}

// Reads n lines of the child's access log.
static void read_lines(int fd, char *out, size_t cap, int n) {
    size_t len = 0;
    for (int seen = 0; seen < n;) {
        ssize_t r = read(fd, out + len, cap - 1 - len);
        if (r <= 0) tt_fail(__FILE__, __LINE__, "the access log ended after %d lines: %.*s", seen, (int)len, out);
        for (ssize_t i = 0; i < r; i++) seen += out[len + (size_t)i] == '\n';
        len += (size_t)r;
    }
    out[len] = '\0';
}

static void access_run(bool custom, const char *const *uris, int nlines, char *out, size_t cap) {
    int p[2];
    CHECK(pipe(p) == 0);
    access_fd = p[1];
    use_custom_log = custom;
    tt_server s = tt_server_start(access_app, NULL);
    close(p[1]);
    for (int i = 0; uris[i]; i++) get(s.port, uris[i]);
    read_lines(p[0], out, cap, nlines);
    tt_server_stop(s);
    close(p[0]);
}

// Replaces the variable request time with "T".
static void mask_times(char *s) {
    for (char *p; (p = strstr(s, "ms\n")) != NULL;) {
        char *start = p;
        while (start > s && (isdigit((unsigned char)start[-1]) || start[-1] == '.')) start--;
        memmove(start + 1, p + 2, strlen(p + 2) + 1);
        *start = 'T';
    }
}

TEST(access_log_levels_follow_the_status) {
    const char *uris[] = {"/ok", "/nope?x=1", "/boom", NULL};
    char out[2048];
    access_run(false, uris, 3, out, sizeof out);
    mask_times(out);
    CHECK_STR(out, "20 200 GET /ok (127.0.0.1) T\n"
                   "30 404 GET /nope?x=1 (127.0.0.1) T\n"
                   "40 503 GET /boom (127.0.0.1) T\n");
}

TEST(access_log_function_replaces_the_line) {
    const char *uris[] = {"/ok?quiet", "/nope", "/boom", NULL};
    char out[2048];
    access_run(true, uris, 2, out, sizeof out);
    mask_times(out);
    CHECK_STR(out, "20 custom 404 /nope\n"
                   "40 503 GET /boom (127.0.0.1) T\n");
}
