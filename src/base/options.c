// >>options implementation
#include "base/internal.h"
#include "base/options.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "base/alloc_internal.h"
#include "base/error_internal.h"
#include "base/log_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if TN_ENABLE_OPTIONS  // the whole module (base/config.h)

typedef union tn__option_slot {
    const char *s;
    int i;
    double f;
    bool b;
    tn_option_list l;
} tn__option_slot;

typedef struct tn__option {
    tn_option_desc d;      // its strings are kept by the tn_options
    tn__option_slot slot;  // the variable when d.value is NULL
    const char *def;       // the default as --help shows it; NULL: none
} tn__option;

// Tornado's logging options, bound to these.
typedef struct tn__log_options {
    const char *level, *file_prefix;
    bool to_stderr;
    int file_max_size, file_num_backups;
    bool file_opened;  // by this tn_options: closed again by tn_options_free
} tn__log_options;

struct tn_options {
    tn__option **v;        // pointers, so that slots stay put as more are defined
    size_t n, cap;
    void **kept;           // every block handed out (strings, lists), freed at the end
    size_t nkept, capkept;
    const char *program;   // NULL until known
    const char *args;
    bool no_exit, help, has_logging;
    int depth;             // parses in progress (a config file loaded by a callback)
    tn__log_options log;
    char error[512];
};

// ---- memory the tn_options keeps for its definitions and values

TN__PRIVATE void *tn__opts_keep(tn_options *o, size_t n) {
    if (o->nkept == o->capkept) {
        size_t cap = o->capkept ? 2 * o->capkept : 16;
        void **k = TN__CAST(void **, tn__realloc(o->kept, cap * sizeof *k));
        if (!k) return NULL;
        o->kept = k;
        o->capkept = cap;
    }
    void *p = tn__malloc(n);
    if (p) o->kept[o->nkept++] = p;
    return p;
}

TN__PRIVATE const char *tn__opts_keep_str(tn_options *o, const char *s, size_t n) {
    char *p = TN__CAST(char *, tn__opts_keep(o, n + 1));
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

// NULL stays NULL; *ok turns false when out of memory.
TN__PRIVATE const char *tn__opts_copy(tn_options *o, const char *s, bool *ok) {
    if (!s) return NULL;
    const char *c = tn__opts_keep_str(o, s, strlen(s));
    if (!c) *ok = false;
    return c;
}

// ---- failing: one line naming the option and what was expected

TN__PRIVATE void tn__opts_exit(const tn_options *o, int status, const char *text) {
    if (status) fprintf(stderr, "%s%s%s\n", o->program ? o->program : "", o->program ? ": " : "", text);
    else fputs(text, stdout);
    fflush(stdout);
    exit(status);
}

TN__PRIVATE int tn__opts_fail(tn_options *o, const char *fmt, ...) TN_PRINTF(2, 3);
TN__PRIVATE int tn__opts_fail(tn_options *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->error, sizeof o->error, fmt, ap);
    va_end(ap);
    if (!o->no_exit) tn__opts_exit(o, 2, o->error);
    return TN_EINVAL;
}

// What a value of `opt` must look like, for messages: "an integer from 0 to 65535".
TN__PRIVATE void tn__opt_expected(const tn__option *opt, char *out, size_t cap) {
    static const char *const what[] = {"a value", "an integer", "a number", "true or false",
                                       "a duration (e.g. 30s, 1.5m, 2h)", "a comma-separated list"};
    const tn_option_desc *d = &opt->d;
    size_t n = (size_t)snprintf(out, cap, "%s", d->choices && d->type == TN_OPTION_STRING ? "one of " : what[d->type]);
    if (d->choices && d->type == TN_OPTION_LIST) n += (size_t)snprintf(out + n, cap - n, " of ");
    for (int i = 0; d->choices && d->choices[i] && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "|" : "", d->choices[i]);
    if ((d->min != 0 || d->max != 0) && n < cap) {
        const char *unit = d->type == TN_OPTION_DURATION ? "s" : "";
        snprintf(out + n, cap - n, " from %.15g%s to %.15g%s", d->min, unit, d->max, unit);
    }
}

TN__PRIVATE int tn__opt_bad(tn_options *o, const tn__option *opt, const char *where, const char *shown,
                            const char *text) {
    char expected[256];
    tn__opt_expected(opt, expected, sizeof expected);
    if (!text) return tn__opts_fail(o, "%s%s: expected %s, got nothing", where, shown, expected);
    return tn__opts_fail(o, "%s%s: expected %s, got '%.200s'", where, shown, expected, text);
}

// ---- names: '-' and '_' are the same letter

TN__PRIVATE bool tn__opt_name_eq(const char *a, const char *b, size_t blen) {
    size_t i = 0;
    for (; i < blen && a[i]; i++) {
        char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
        if (x != y) return false;
    }
    return i == blen && !a[i];
}

TN__PRIVATE tn__option *tn__opts_find(const tn_options *o, const char *name, size_t len) {
    for (size_t i = 0; i < o->n; i++)
        if (tn__opt_name_eq(o->v[i]->d.name, name, len)) return o->v[i];
    return NULL;
}

// ---- values

TN__PRIVATE bool tn__opt_choice_ok(const tn_option_desc *d, const char *s, size_t n) {
    if (!d->choices) return true;
    for (int i = 0; d->choices[i]; i++)
        if (strlen(d->choices[i]) == n && memcmp(d->choices[i], s, n) == 0) return true;
    return false;
}

TN__PRIVATE bool tn__opt_in_range(const tn_option_desc *d, double v) {
    return (d->min == 0 && d->max == 0) || (v >= d->min && v <= d->max);
}

TN__PRIVATE bool tn__opt_parse_int(const char *s, int *out) {
    const char *p = s + (*s == '+' || *s == '-');
    if (!*p) return false;
    long long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        v = v * 10 + (*p - '0');
        if (v > (long long)INT_MAX + 1) return false;
    }
    if (*s == '-') v = -v;
    if (v > INT_MAX) return false;
    *out = (int)v;
    return true;
}

// A number as strtod reads it, but whole, finite and without leading space.
TN__PRIVATE bool tn__opt_parse_double(const char *s, const char **end, double *out) {
    if (!(*s == '+' || *s == '-' || *s == '.' || (*s >= '0' && *s <= '9'))) return false;
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (e == s || errno == ERANGE || !isfinite(v)) return false;
    if (end) *end = e;
    else if (*e) return false;
    *out = v;
    return true;
}

TN__PRIVATE bool tn__opt_parse_bool(const char *s, bool *out) {
    static const char *const names[] = {"true", "false", "1", "0", "yes", "no", "on", "off", "t", "f"};
    for (size_t i = 0; i < TN__COUNTOF(names); i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = i % 2 == 0;
            return true;
        }
    }
    return false;
}

// Tornado's timedelta syntax: numbers with units, summed ("1h 30m").
TN__PRIVATE bool tn__opt_parse_duration(const char *s, double *out) {
    static const struct { const char *unit; double seconds; } units[] = {
        {"", 1},         {"s", 1},      {"sec", 1},           {"seconds", 1},       {"m", 60},
        {"min", 60},     {"minutes", 60}, {"h", 3600},        {"hours", 3600},      {"d", 86400},
        {"days", 86400}, {"w", 604800}, {"weeks", 604800},    {"ms", 1e-3},         {"milliseconds", 1e-3},
        {"us", 1e-6},    {"microseconds", 1e-6}};
    double total = 0;
    bool any = false;
    const char *p = s;
    while (*p == ' ') p++;
    while (*p) {
        double v;
        if (!tn__opt_parse_double(p, &p, &v)) return false;
        while (*p == ' ') p++;
        const char *u = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) p++;
        size_t i = 0;
        while (i < TN__COUNTOF(units) && !(strlen(units[i].unit) == (size_t)(p - u) &&
                                           strncmp(units[i].unit, u, (size_t)(p - u)) == 0))
            i++;
        if (i == TN__COUNTOF(units) || (i == 0 && (any || *p))) return false;  // a bare number stands alone
        total += v * units[i].seconds;
        any = true;
        while (*p == ' ') p++;
    }
    if (!any || !isfinite(total)) return false;
    *out = total;
    return true;
}

// Splits on commas into kept strings; returns false when an item is not a
// choice (*oom when out of memory).
TN__PRIVATE bool tn__opt_parse_list(tn_options *o, const tn_option_desc *d, const char *s, tn_option_list *out,
                                    bool *oom) {
    size_t max = 1;
    for (const char *p = s; *p; p++) max += *p == ',';
    const char **items = TN__CAST(const char **, tn__opts_keep(o, max * sizeof *items));
    if (!items) return !(*oom = true);
    size_t count = 0;
    for (const char *p = s;; p++) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        const char *q = end;
        while (p < q && isspace((unsigned char)*p)) p++;
        while (q > p && isspace((unsigned char)q[-1])) q--;
        if (q > p) {
            if (!tn__opt_choice_ok(d, p, (size_t)(q - p))) return false;
            if (!(items[count++] = tn__opts_keep_str(o, p, (size_t)(q - p)))) return !(*oom = true);
        }
        if (!*end) break;
        p = end;
    }
    out->items = items;
    out->count = count;
    return true;
}

// Parses text into *slot; false when it is not a valid value for the option.
TN__PRIVATE bool tn__opt_parse(tn_options *o, const tn_option_desc *d, const char *text, tn__option_slot *slot,
                               bool *oom) {
    switch (d->type) {
    case TN_OPTION_STRING:
        if (!tn__opt_choice_ok(d, text, strlen(text))) return false;
        slot->s = tn__opts_keep_str(o, text, strlen(text));
        *oom = !slot->s;
        return slot->s != NULL;
    case TN_OPTION_INT:
        return tn__opt_parse_int(text, &slot->i) && tn__opt_in_range(d, slot->i);
    case TN_OPTION_FLOAT:
        return tn__opt_parse_double(text, NULL, &slot->f) && tn__opt_in_range(d, slot->f);
    case TN_OPTION_BOOL:
        return tn__opt_parse_bool(text, &slot->b);
    case TN_OPTION_DURATION:
        return tn__opt_parse_duration(text, &slot->f) && tn__opt_in_range(d, slot->f);
    case TN_OPTION_LIST:
        return tn__opt_parse_list(o, d, text, &slot->l, oom);
    }
    return false;
}

TN__PRIVATE void *tn__opt_var(tn__option *opt) { return opt->d.value ? opt->d.value : &opt->slot; }

TN__PRIVATE void tn__opt_store(tn__option *opt, const tn__option_slot *v) {
    void *var = tn__opt_var(opt);
    switch (opt->d.type) {
    case TN_OPTION_STRING: *(const char **)var = v->s; break;
    case TN_OPTION_INT: *(int *)var = v->i; break;
    case TN_OPTION_FLOAT:
    case TN_OPTION_DURATION: *(double *)var = v->f; break;
    case TN_OPTION_BOOL: *(bool *)var = v->b; break;
    case TN_OPTION_LIST: *(tn_option_list *)var = v->l; break;
    }
}

// Sets the option from text (NULL: missing); `where` and `shown` name it in
// a message ("app.conf:3: " and "port").
TN__PRIVATE int tn__opt_set(tn_options *o, tn__option *opt, const char *text, const char *where, const char *shown) {
    tn__option_slot v;
    bool oom = false;
    memset(&v, 0, sizeof v);
    if (text && tn__opt_parse(o, &opt->d, text, &v, &oom)) {
        tn__opt_store(opt, &v);
        return 0;
    }
    if (oom) return tn__opts_fail(o, "%s%s: out of memory", where, shown);
    return tn__opt_bad(o, opt, where, shown, text);
}

// tn__opt_set, then the option's callback.
TN__PRIVATE int tn__opt_assign(tn_options *o, tn__option *opt, const char *text, const char *where,
                               const char *shown) {
    int r = tn__opt_set(o, opt, text, where, shown);
    if (r != 0 || !opt->d.callback) return r;
    o->error[0] = '\0';
    if (opt->d.callback(o, tn__opt_var(opt), opt->d.user_data) == 0) return 0;
    if (o->error[0]) return TN_EINVAL;  // a parse inside the callback failed and said why
    if (opt->d.metavar) return tn__opts_fail(o, "%s%s: expected %s, got '%.200s'", where, shown, opt->d.metavar, text);
    return tn__opts_fail(o, "%s%s: bad value '%.200s'", where, shown, text);
}

// ---- defining

// The variable's value as --help shows the default; NULL when empty.
TN__PRIVATE const char *tn__opt_default_text(tn_options *o, tn__option *opt, bool *ok) {
    if (opt->d.default_value) return opt->d.default_value[0] ? opt->d.default_value : NULL;
    const void *var = tn__opt_var(opt);
    char num[64];
    tn_buf b = {NULL, 0, 0};
    const char *text = num;
    switch (opt->d.type) {
    case TN_OPTION_STRING: text = *(const char *const *)var; break;
    case TN_OPTION_INT: snprintf(num, sizeof num, "%d", *(const int *)var); break;
    case TN_OPTION_FLOAT: snprintf(num, sizeof num, "%g", *(const double *)var); break;
    case TN_OPTION_DURATION: snprintf(num, sizeof num, "%gs", *(const double *)var); break;
    case TN_OPTION_BOOL: text = *(const bool *)var ? "true" : NULL; break;  // a flag is off unless given
    case TN_OPTION_LIST: {
        const tn_option_list *l = (const tn_option_list *)var;
        for (size_t i = 0; i < l->count; i++)
            if (tn_buf_appendf(&b, "%s%s", i ? "," : "", l->items[i]) != 0) *ok = false;
        text = b.data;
        break;
    }
    }
    const char *kept = text && text[0] ? tn__opts_copy(o, text, ok) : NULL;
    tn_buf_free(&b);
    return kept;
}

TN__PRIVATE bool tn__opt_name_ok(const char *name) {
    if (!name || !isalnum((unsigned char)name[0])) return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') return false;
    return true;
}

// A copy of the desc whose strings (and choices) the tn_options keeps.
TN__PRIVATE bool tn__opt_copy_desc(tn_options *o, tn__option *opt, const tn_option_desc *d) {
    bool ok = true;
    opt->d = *d;
    opt->d.name = tn__opts_copy(o, d->name, &ok);
    opt->d.default_value = tn__opts_copy(o, d->default_value, &ok);
    opt->d.help = tn__opts_copy(o, d->help, &ok);
    opt->d.metavar = tn__opts_copy(o, d->metavar, &ok);
    opt->d.group = d->group && d->group[0] ? tn__opts_copy(o, d->group, &ok) : NULL;
    if (d->choices) {
        size_t n = 0;
        while (d->choices[n]) n++;
        const char **c = TN__CAST(const char **, tn__opts_keep(o, (n + 1) * sizeof *c));
        if (!c) return false;
        for (size_t i = 0; i < n; i++) c[i] = tn__opts_copy(o, d->choices[i], &ok);
        c[n] = NULL;
        opt->d.choices = c;
        if (!d->metavar) {  // "debug|info|warning"
            tn_buf b = {NULL, 0, 0};
            for (size_t i = 0; i < n; i++) ok &= tn_buf_appendf(&b, "%s%s", i ? "|" : "", c[i]) == 0;
            opt->d.metavar = b.data ? tn__opts_copy(o, b.data, &ok) : NULL;
            tn_buf_free(&b);
        }
    }
    return ok;
}

TN_API int tn_options_define(tn_options *o, const tn_option_desc *d) {
    bool text = d->type == TN_OPTION_STRING || d->type == TN_OPTION_LIST;
    if (!tn__opt_name_ok(d->name) || (unsigned)d->type > TN_OPTION_LIST || d->min > d->max ||
        (d->choices && !text) || ((d->min != 0 || d->max != 0) && (text || d->type == TN_OPTION_BOOL))) {
        TN__LOGE("option '%s': bad definition (name, type, range or choices)", d->name ? d->name : "(null)");
        return TN_EINVAL;
    }
    if (tn__opts_find(o, d->name, strlen(d->name))) {
        TN__LOGE("option '%s' is defined twice", d->name);
        return TN_EEXIST;
    }
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 16;
        tn__option **v = TN__CAST(tn__option **, tn__realloc(o->v, cap * sizeof *v));
        if (!v) return TN_ENOMEM;
        o->v = v;
        o->cap = cap;
    }
    tn__option *opt = TN__CAST(tn__option *, tn__opts_keep(o, sizeof *opt));
    if (!opt) return TN_ENOMEM;
    memset(opt, 0, sizeof *opt);
    bool ok = tn__opt_copy_desc(o, opt, d);
    if (ok && opt->d.default_value) {
        bool no_exit = o->no_exit;
        o->no_exit = true;  // a bad default is the programmer's: logged, not exited on
        int r = tn__opt_set(o, opt, opt->d.default_value, "", opt->d.name);
        o->no_exit = no_exit;
        if (r != 0) {
            TN__LOGE("bad default_value: %s", o->error);
            return r;
        }
    }
    opt->def = ok ? tn__opt_default_text(o, opt, &ok) : NULL;
    if (!ok) return TN_ENOMEM;
    o->v[o->n++] = opt;
    return 0;
}

TN__PRIVATE int tn__opts_define_builtins(tn_options *o, bool logging) {
    static const char *const levels[] = {"debug", "info", "warning", "error", "none", NULL};
    tn__log_options *l = &o->log;
    const tn_option_desc defs[] = {
        {"help", TN_OPTION_BOOL, &o->help, NULL, "show this help information", NULL, NULL, 0, 0, NULL, NULL, NULL},
        {"logging", TN_OPTION_STRING, &l->level, "info", "set the log level; 'none' logs nothing", NULL, "logging",
         0, 0, levels, NULL, NULL},
        {"log_to_stderr", TN_OPTION_BOOL, &l->to_stderr, NULL,
         "send log output to stderr (colorized if possible); by default stderr is used only if "
         "--log_file_prefix is not set", NULL, "logging", 0, 0, NULL, NULL, NULL},
        {"log_file_prefix", TN_OPTION_STRING, &l->file_prefix, NULL,
         "path of the log file; several processes must each have their own (e.g. include the port number)",
         "PATH", "logging", 0, 0, NULL, NULL, NULL},
        {"log_file_max_size", TN_OPTION_INT, &l->file_max_size, "100000000",
         "max size of log files before rollover", NULL, "logging", 1, INT_MAX, NULL, NULL, NULL},
        {"log_file_num_backups", TN_OPTION_INT, &l->file_num_backups, "10", "number of log files to keep",
         NULL, "logging", 0, 999, NULL, NULL, NULL},
    };
    o->has_logging = logging;
    for (size_t i = 0; i < (logging ? TN__COUNTOF(defs) : 1); i++) {
        int r = tn_options_define(o, &defs[i]);
        if (r != 0) return r;
    }
    return 0;
}

TN_API tn_options *tn_options_new(const tn_options_desc *desc) {
    tn_options_desc none;
    memset(&none, 0, sizeof none);
    if (!desc) desc = &none;
    tn_options *o = TN__CAST(tn_options *, tn__calloc(1, sizeof *o));
    if (!o) return NULL;
    bool ok = true;
    o->program = tn__opts_copy(o, desc->program, &ok);
    o->args = tn__opts_copy(o, desc->args, &ok);
    o->no_exit = desc->no_exit;
    o->log.file_prefix = "";  // "--log_file_prefix=" turns a file off again
    int r = ok ? tn__opts_define_builtins(o, !desc->no_logging_options) : TN_ENOMEM;
    for (const tn_option_desc *d = desc->options; r == 0 && d && d->name; d++) r = tn_options_define(o, d);
    if (r != 0) {
        tn_options_free(o);
        return NULL;
    }
    return o;
}

TN_API void tn_options_free(tn_options *o) {
    if (!o) return;
    if (o->log.file_opened) tn_log_to_file(NULL);
    for (size_t i = 0; i < o->nkept; i++) tn__free(o->kept[i]);
    tn__free(o->kept);
    tn__free(o->v);
    tn__free(o);
}

TN_API const char *tn_options_error(const tn_options *o) { return o->error; }

// ---- after a parse: --help, then the logging options

TN__PRIVATE int tn__opts_apply_logging(tn_options *o) {
    static const int levels[] = {TN_LOG_DEBUG, TN_LOG_INFO, TN_LOG_WARNING, TN_LOG_ERROR, TN_LOG_NONE};
    const char *const *names = tn__opts_find(o, "logging", 7)->d.choices;
    tn__log_options *l = &o->log;
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], l->level) == 0) tn_log_set_level(levels[i]);
    if (!l->file_prefix[0] && !l->file_opened) return 0;
    tn_log_file_desc f;
    memset(&f, 0, sizeof f);
    f.path = l->file_prefix;
    f.max_size = l->file_max_size;
    f.num_backups = l->file_num_backups ? l->file_num_backups : -1;
    f.to_stderr = l->to_stderr;
    int r = tn_log_to_file(l->file_prefix[0] ? &f : NULL);
    if (r != 0) return tn__opts_fail(o, "--log_file_prefix: cannot open '%s': %s", f.path, tn_strerror(r));
    l->file_opened = l->file_prefix[0] != '\0';
    return 0;
}

// Ends the outermost parse: prints the help and exits if it was asked for
// (unless no_exit), then applies the logging options.
TN__PRIVATE int tn__opts_done(tn_options *o) {
    if (o->depth > 0) return 0;
    if (o->help && !o->no_exit) {
        tn_buf b = {NULL, 0, 0};
        tn_options_help(o, &b);
        tn__opts_exit(o, 0, b.data ? b.data : "");
    }
    return o->has_logging ? tn__opts_apply_logging(o) : 0;
}

// ---- the command line

TN_API int tn_options_parse_command_line(tn_options *o, int argc, char **argv) {
    if (!o->program && argc > 0 && argv[0]) {
        const char *slash = strrchr(argv[0], '/');
        bool ok = true;
        o->program = tn__opts_copy(o, slash ? slash + 1 : argv[0], &ok);
    }
    int i = 1, r = 0;
    if (o->depth == 0) o->help = false;
    o->depth++;
    for (; i < argc && r == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || !a[1]) break;
        const char *name = a + 1 + (a[1] == '-'), *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        char shown[128];
        snprintf(shown, sizeof shown, "%.*s", (int)TN__MIN((size_t)(name - a) + len, 120), a);
        tn__option *opt = tn__opts_find(o, name, len);
        if (!opt && len > 3 && tn__opt_name_eq("no_", name, 3)) {
            tn__option *neg = tn__opts_find(o, name + 3, len - 3);
            if (neg && neg->d.type == TN_OPTION_BOOL) {
                r = eq ? tn__opts_fail(o, "%s: takes no value", shown) : tn__opt_assign(o, neg, "false", "", shown);
                continue;
            }
        }
        if (!opt) {
            r = tn__opts_fail(o, "unknown option %s (see --help)", shown);
        } else {
            const char *text = eq ? eq + 1 : opt->d.type == TN_OPTION_BOOL ? "true" : i + 1 < argc ? argv[++i] : NULL;
            r = tn__opt_assign(o, opt, text, "", shown);
        }
        if (r == 0 && o->help) break;
    }
    o->depth--;
    if (r != 0) return r;
    if (o->help && o->no_exit) return 0;
    if (i < argc && !o->args && !o->help) return tn__opts_fail(o, "unexpected argument '%.200s'", argv[i]);
    r = tn__opts_done(o);
    return r ? r : i;
}

// ---- config files

// Reads the value at *p (quoted or bare) into out; false on bad syntax.
TN__PRIVATE bool tn__conf_value(const char **p, const char *end, tn_buf *out) {
    const char *s = *p;
    if (s < end && *s == '"') {
        for (s++; s < end && *s != '"'; s++) {
            if (*s == '\\' && s + 1 < end && (s[1] == '"' || s[1] == '\\')) s++;
            if (tn_buf_append(out, s, 1) != 0) return false;
        }
        if (s == end) return false;  // no closing quote
        s++;
        while (s < end && (*s == ' ' || *s == '\t')) s++;
        *p = s;
        return s == end || *s == '#';
    }
    const char *v = s;  // bare: up to a '#' after a space, trailing space trimmed
    while (s < end && !(*s == '#' && s > v && (s[-1] == ' ' || s[-1] == '\t'))) s++;
    const char *q = s;
    while (q > v && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r')) q--;
    *p = s;
    return tn_buf_append(out, v, (size_t)(q - v)) == 0;
}

// One line "name = value" (or a blank or comment line).
TN__PRIVATE int tn__conf_line(tn_options *o, const char *s, const char *end, const char *where, tn_buf *value) {
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    if (s < end && end[-1] == '\r') end--;
    if (s == end || *s == '#') return 0;
    if (memchr(s, '\0', (size_t)(end - s))) return tn__opts_fail(o, "%sa NUL byte in the line", where);
    const char *name = s;
    while (s < end && (isalnum((unsigned char)*s) || (s > name && (*s == '_' || *s == '-')))) s++;
    size_t len = (size_t)(s - name);
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    tn_buf_clear(value);
    if (!len || s == end || *s != '=') return tn__opts_fail(o, "%sexpected NAME = VALUE", where);
    for (s++; s < end && (*s == ' ' || *s == '\t');) s++;
    if (!tn__conf_value(&s, end, value) || tn_buf_append(value, "", 0) != 0)
        return tn__opts_fail(o, "%sexpected NAME = VALUE (a quoted value ends with \" and may be followed by a comment)",
                             where);
    char shown[128];
    snprintf(shown, sizeof shown, "%.*s", (int)TN__MIN(len, 120), name);
    tn__option *opt = tn__opts_find(o, name, len);
    if (!opt) return tn__opts_fail(o, "%sunknown option '%s'", where, shown);
    return tn__opt_assign(o, opt, value->data ? value->data : "", where, shown);
}

TN__PRIVATE int tn__conf_read(const char *path, tn_buf *out) {
    FILE *f = fopen(path, "rb");
    if (!f) return tn__err_from_errno(errno);
    char chunk[4096];
    size_t n;
    int r = 0;
    while (r == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0) r = tn_buf_append(out, chunk, n);
    if (r == 0 && ferror(f)) r = tn__err_from_errno(errno ? errno : EIO);
    fclose(f);
    return r;
}

TN_API int tn_options_parse_config_file(tn_options *o, const char *path) {
    tn_buf text = {NULL, 0, 0}, value = {NULL, 0, 0};
    int r = tn__conf_read(path, &text);
    if (r != 0) {
        tn_buf_free(&text);
        int err = tn__opts_fail(o, "%s: %s", path, tn_strerror(r));
        return err == TN_EINVAL ? r : err;
    }
    o->depth++;
    const char *p = text.data, *end = p + text.len;
    for (int line = 1; r == 0 && p && p < end; line++) {
        const char *nl = TN__CAST(const char *, memchr(p, '\n', (size_t)(end - p)));
        const char *eol = nl ? nl : end;
        char where[300];
        snprintf(where, sizeof where, "%.256s:%d: ", path, line);
        r = tn__conf_line(o, p, eol, where, &value);
        p = eol + 1;
    }
    o->depth--;
    tn_buf_free(&text);
    tn_buf_free(&value);
    return r ? r : tn__opts_done(o);
}

// ---- --help: Tornado's print_help layout

TN__PRIVATE int tn__opt_cmp_name(const char *a, const char *b) {
    for (;; a++, b++) {
        char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;
        if (x != y || !x) return (unsigned char)x - (unsigned char)y;
    }
}

TN__PRIVATE int tn__opt_cmp(const void *pa, const void *pb) {
    const tn__option *a = *(tn__option *const *)pa, *b = *(tn__option *const *)pb;
    if (!a->d.group != !b->d.group) return a->d.group ? 1 : -1;  // the untitled group first
    int c = a->d.group ? strcmp(a->d.group, b->d.group) : 0;
    return c ? c : tn__opt_cmp_name(a->d.name, b->d.name);
}

// One option: "  --name=METAVAR" padded to column 35, then the help and its
// default wrapped at 44 columns.
TN__PRIVATE int tn__opt_help(const tn__option *opt, tn_buf *out) {
    tn_buf text = {NULL, 0, 0};
    char prefix[256];
    int n = snprintf(prefix, sizeof prefix, "%s%s%s", opt->d.name, opt->d.metavar ? "=" : "",
                     opt->d.metavar ? opt->d.metavar : "");
    for (size_t i = 0; opt->d.name[i] && prefix[i]; i++)  // names print with dashes, as Tornado's
        if (prefix[i] == '_') prefix[i] = '-';
    int r = tn_buf_appendf(&text, "%s", opt->d.help ? opt->d.help : "");
    if (opt->def) r |= tn_buf_appendf(&text, "%s(default %s)", text.len ? " " : "", opt->def);
    const char *s = text.data ? text.data : "";
    bool first = n <= 30 && *s;
    r |= tn_buf_appendf(out, first ? "  --%-30s " : "  --%s\n", prefix);
    while (*s) {
        size_t line = strlen(s);  // as many whole words as fit in 44 columns, or one long word
        if (line > 44) {
            line = 0;
            for (size_t k = 1; k <= 44; k++)
                if (s[k] == ' ') line = k;
            if (!line) line = strcspn(s, " ");
        }
        r |= tn_buf_appendf(out, "%s%.*s\n", first ? "" : "                                   ", (int)line, s);
        first = false;
        s += line;
        while (*s == ' ') s++;
    }
    tn_buf_free(&text);
    return r ? TN_ENOMEM : 0;
}

TN_API int tn_options_help(const tn_options *o, tn_buf *out) {
    tn__option **sorted = TN__CAST(tn__option **, tn__malloc((o->n ? o->n : 1) * sizeof *sorted));
    if (!sorted) return TN_ENOMEM;
    memcpy(sorted, o->v, o->n * sizeof *sorted);
    qsort(sorted, o->n, sizeof *sorted, tn__opt_cmp);
    int r = tn_buf_appendf(out, "Usage: %s [OPTIONS]%s%s\n\nOptions:\n\n", o->program ? o->program : "PROGRAM",
                           o->args ? " " : "", o->args ? o->args : "");
    for (size_t i = 0; i < o->n && r == 0; i++) {
        const char *g = sorted[i]->d.group;
        if (g && (i == 0 || !sorted[i - 1]->d.group || strcmp(sorted[i - 1]->d.group, g) != 0))
            r = tn_buf_appendf(out, "\n%s options:\n\n", g);
        if (r == 0) r = tn__opt_help(sorted[i], out);
    }
    if (r == 0) r = tn_buf_append_str(out, "\n");
    tn__free(sorted);
    return r;
}
#endif  // TN_ENABLE_OPTIONS
