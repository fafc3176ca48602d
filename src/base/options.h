// ---------------------------------------------------------------------------
// >>options  Command-line and config-file options (tornado.options)
// ---------------------------------------------------------------------------
// Tornado's define / parse_command_line, without a global registry: a
// tn_options holds the definitions, each bound to a variable of yours.
//
//     static int port = 8888;
//     static const char *root = ".";
//
//     int main(int argc, char **argv) {
//         tn_options *opts = tn_options_new(&(tn_options_desc){
//             .options = (tn_option_desc[]){
//                 TN_OPTION_PORT(&port),
//                 {.name = "root", .value = &root, .metavar = "DIR", .help = "the folder to serve"},
//                 {0}}});
//         tn_options_parse_command_line(opts, argc, argv);  // exits on --help or a bad flag
//         ... serve, then tn_options_free(opts) ...
//
// The command line takes --name=value, --name value, --flag, --no-flag and
// --flag=false (bools), one or two dashes, '-' and '_' alike in names; it
// stops at the first argument without a dash or after "--". --help prints
// the options by group and exits 0. An unknown option, a missing or bad
// value, or one out of range or not among the choices prints one line and
// exits 2:
//
//     helloworld: --port: expected an integer from 0 to 65535, got 'abc'
//     helloworld: unknown option --prot (see --help)
//
// A config file (tn_options_parse_config_file) holds one option a line:
//
//     # the public site
//     port = 8080              # a comment after a space
//     root = "/srv/my #1 site" # quoted: '#' and spaces kept, \" and \\ escaped
//     hosts = a.example, b.example
//     quiet = true
//
// (names as on the command line, without dashes; an unknown name is an
// error here too). Tornado's logging options come with every tn_options and
// take effect when a parse ends: --logging=debug|info|warning|error|none
// (none: nothing is logged), --log_to_stderr, --log_file_prefix=PATH,
// --log_file_max_size (bytes, default 100000000), --log_file_num_backups
// (default 10), see tn_log_to_file.
#ifndef TN__BASE_OPTIONS_H
#define TN__BASE_OPTIONS_H
#include "base/config.h"
#include "base/str.h"
TN__BEGIN_DECLS

typedef enum tn_option_type {
    TN_OPTION_STRING = 0,  // const char *: the text (kept by the tn_options)
    TN_OPTION_INT,         // int: decimal digits with an optional sign
    TN_OPTION_FLOAT,       // double: any strtod number but inf and nan
    TN_OPTION_BOOL,        // bool: true/false, 1/0, yes/no, on/off, t/f
    TN_OPTION_DURATION,    // double seconds: "90" (a bare number stands alone),
                           // "1.5s", "1h 30m", "500ms" (units w d h m min s sec
                           // ms us, or their long names)
    TN_OPTION_LIST         // tn_option_list: comma-separated, each item trimmed
} tn_option_type;

typedef struct tn_option_list {
    const char *const *items;  // kept by the tn_options
    size_t count;
} tn_option_list;

typedef struct tn_options tn_options;

// Runs after the option got a value (the bound variable, already set). A
// nonzero return rejects the value: the parse fails with the option's name
// and its metavar as what was expected.
typedef int (*tn_option_cb)(tn_options *opts, void *value, void *user_data);

typedef struct tn_option_desc {
    const char *name;             // "port"; letters, digits, '-' and '_' ('-' == '_')
    tn_option_type type;          // default TN_OPTION_STRING
    void *value;                  // the variable to set, by type: const char **, int *,
                                  // double *, bool *, double *, tn_option_list *;
                                  // NULL: one inside the tn_options (for a callback)
    const char *default_value;    // parsed into the variable now; NULL: the
                                  // variable's value is the default
    const char *help;             // one sentence for --help
    const char *metavar;          // --name=METAVAR in --help; default: none, or the choices
    const char *group;            // --help section; NULL: the first, with --help
    double min, max;              // accepted range for INT, FLOAT and DURATION
                                  // (inclusive; both 0: any value)
    const char *const *choices;   // NULL-ended list of the accepted STRING values or
                                  // LIST items; NULL: any
    tn_option_cb callback;        // after each value (Tornado's callback=)
    void *user_data;              // for the callback
} tn_option_desc;

// A --port option bound to an int, checked to be 0..65535.
#define TN_OPTION_PORT(var) \
    {.name = "port", .type = TN_OPTION_INT, .value = (var), .help = "run on the given port", .min = 0, .max = 65535}

typedef struct tn_options_desc {
    const tn_option_desc *options;  // defined now, in order; ends with a NULL name
    const char *program;            // in messages and "Usage:"; default: argv[0]'s base name
    const char *args;               // the positional arguments for "Usage:" ("DIR NAME");
                                    // NULL: the program takes none, and one is an error
    bool no_logging_options;        // leave out --logging, --log_to_stderr, --log_file_*
    bool no_exit;                   // return errors instead of exiting (see the parse calls)
} tn_options_desc;

// Creates an options set with --help, the logging options and desc->options
// (desc may be NULL). Returns NULL (and logs why) on a bad definition.
TN_API tn_options *tn_options_new(const tn_options_desc *desc);
// Frees the set, the strings and lists it gave your variables, and the log
// file its --log_file_prefix opened (the log goes back to stderr).
TN_API void tn_options_free(tn_options *opts);
// Defines one more option (Tornado's define), e.g. from a module of yours.
// Returns 0, TN_EEXIST (the name is taken) or TN_EINVAL (bad desc, logged).
TN_API int tn_options_define(tn_options *opts, const tn_option_desc *desc);
// Parses argv[1..argc) and applies the logging options. Returns the index of
// the first positional argument (argc when none). On --help it prints the
// help to stdout and exits 0; on a bad flag it prints one line to stderr and
// exits 2. With no_exit it prints nothing and returns 0 on --help (show
// tn_options_help yourself) and TN_EINVAL on a bad flag (the message in
// tn_options_error).
TN_API int tn_options_parse_command_line(tn_options *opts, int argc, char **argv);
// Parses a config file (syntax above) and applies the logging options.
// Returns 0; on an error it prints "PROGRAM: FILE:LINE: what" and exits 2,
// or with no_exit returns TN_EINVAL, or the error opening the file.
TN_API int tn_options_parse_config_file(tn_options *opts, const char *path);
// The message of the last failed parse ("" if none).
TN_API const char *tn_options_error(const tn_options *opts);
// Appends the --help text (Tornado's print_help layout). Returns 0 or TN_ENOMEM.
TN_API int tn_options_help(const tn_options *opts, tn_buf *out);

TN__END_DECLS
#endif
