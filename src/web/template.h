// ---------------------------------------------------------------------------
// >>template  HTML templates in the spirit of tornado.template
// ---------------------------------------------------------------------------
// A template is parsed once into a compact node list and rendered any number
// of times against a JSON value (src/base/json.h) that holds its variables:
//
//     <h1>{{ title }}</h1>
//     {% for m in messages %}<p id="m{{ m.id }}">{{ m.body }}</p>{% end %}
//     {% if not messages %}<p>No messages yet.</p>{% end %}
//     {% raw xsrf_form_html() %}
//
//     tn_template *t;
//     tn_template_error err;
//     if (tn_template_parse("page.html", text, len, &t, &err) != 0) log(err.text);
//     tn_template_render(t, doc.root, NULL, &out, &err);  // out gets the HTML
//     tn_template_free(t);
//
// The engine needs only JSON and strings; in a handler, tn_render(h,
// "page.html", ctx) (>>render) does it all with the app's template_path and
// a cache of parsed templates.
//
// Syntax: `{{ expr }}` prints expr HTML-escaped (& < > " ' as Tornado's
// xhtml_escape), `{% raw expr %}` unescaped, `{# ... #}` is a comment, and
// `{{!`, `{%!`, `{#!` print `{{`, `{%`, `{#` literally. Tags:
//   {% if expr %} ... {% elif expr %} ... {% else %} ... {% end %}
//   {% for x in expr %} ... {% end %}       (`for k, v in obj` for members)
//   {% include "name" %}                    (sees the includer's variables)
//   {% extends "base.html" %} {% block name %} default {% end %}
// Whitespace is kept as written. An expr is `not` (optional) before one of:
// a dotted path into the variables (`m.body`, `messages.0.id`), a quoted
// string ('..' or "..", no escapes), or a call `fn(arg, ...)` of a function
// given by the environment (arguments: strings or paths).
//
// Values: a string prints as its text, a number as its JSON text, true and
// false as `true`/`false`, null and missing members as nothing, arrays and
// objects as their JSON. Truthiness is JSON's: false, null, 0, "", [] and {}
// are false. An unknown top-level name is a render error (Tornado raises
// NameError); a missing member is empty. `for x in` an array binds each
// element, an object binds each key (as Python); null or missing iterate
// zero times. With extends, the base template is rendered and each block
// takes the most derived template's content; text outside blocks in a
// derived template is ignored (as Tornado); a block name may appear once per
// template. Include and extends names are relative to the folder of the
// template that names them, as in Tornado ("../x" may climb up to the
// loader's root, "/x" starts there).
#ifndef TN__WEB_TEMPLATE_H
#define TN__WEB_TEMPLATE_H
#include "base/config.h"
#include "base/json.h"
#include "base/str.h"
TN__BEGIN_DECLS

// How deep includes and extends may nest (a longer chain is a render error).
#ifndef TN_TEMPLATE_MAX_DEPTH
#  define TN_TEMPLATE_MAX_DEPTH 16
#endif
// Deepest nesting of if/for/block inside one template (deeper: parse error).
#ifndef TN_TEMPLATE_MAX_NESTING
#  define TN_TEMPLATE_MAX_NESTING 64
#endif
// Most nodes one render may visit: bounds the time and output of loops over
// includes of loops (a longer render is an error).
#ifndef TN_TEMPLATE_MAX_STEPS
#  define TN_TEMPLATE_MAX_STEPS (16u * 1024u * 1024u)
#endif
// Largest template source in bytes a loader reads.
#ifndef TN_TEMPLATE_MAX_SIZE
#  define TN_TEMPLATE_MAX_SIZE (1024u * 1024u)
#endif

typedef struct tn_template tn_template;
typedef struct tn_template_loader tn_template_loader;

// Where and why parsing or rendering failed.
typedef struct tn_template_error {
    int line, col;    // 1-based position of the faulty tag (col in bytes)
    char text[256];   // "name:line:col: message"; "" when there was no error
} tn_template_error;

// A function callable from templates: appends its result for `name` with
// `args` to out (unescaped; {{ }} escapes it). Returns 0, TN_ENOENT for an
// unknown name (a render error "unknown function"), or another error.
typedef int (*tn_template_call_cb)(void *user_data, const char *name, const tn_str *args, int nargs, tn_buf *out);

// What a render may use besides the variables; zero fields mean none.
typedef struct tn_template_env {
    tn_template_loader *loader;     // for include and extends (NULL: they fail)
    tn_template_call_cb call;       // for fn(...) expressions (NULL: all unknown)
    void *user_data;                // passed to call
} tn_template_env;

// Parses `text` (len bytes, copied) into *out; `name` appears in errors.
// Returns 0; TN_EPARSE with err filled (e.g. "page.html:3:5: Missing
// {% end %} block for if"); TN_EMSGSIZE over 1 GiB; TN_ENOMEM. err may be NULL.
TN_API int tn_template_parse(const char *name, const char *text, size_t len, tn_template **out, tn_template_error *err);
// Appends the rendering of t with the variables of ctx (a JSON object or
// NULL) to out. Returns 0; TN_EINVAL with err filled for a render error
// (unknown name, include not found, nesting too deep...); TN_EPARSE with the
// included template's parse error; TN_ENOMEM. On error out is cut back to
// its length at the call. err may be NULL.
TN_API int tn_template_render(const tn_template *t, const tn_json_value *ctx, const tn_template_env *env, tn_buf *out, tn_template_error *err);
// The name given at parse time.
TN_API const char *tn_template_name(const tn_template *t);
// Frees a template from tn_template_parse (not one owned by a loader). NULL is fine.
TN_API void tn_template_free(tn_template *t);
// Appends s[0..len) with & < > " ' as entities (Tornado's xhtml_escape), the
// way {{ }} prints. Returns 0 or TN_ENOMEM.
TN_API int tn_xhtml_escape(tn_buf *out, const char *s, size_t len);

// Reads the source of template `name` into out. Returns 0, TN_ENOENT, or another error.
typedef int (*tn_template_read_cb)(void *user_data, const char *name, tn_buf *out);

// Where a loader finds template sources: a folder, or a callback (e.g. over
// files packed into the program by tools/pack). Set one of root and read.
typedef struct tn_template_loader_desc {
    const char *root;               // folder (copied)
    tn_template_read_cb read;       // used when root is NULL
    void *user_data;                // passed to read
} tn_template_loader_desc;

// Creates a loader that parses each template on first use and keeps it.
// Returns NULL when out of memory or when neither root nor read is set.
TN_API tn_template_loader *tn_template_loader_new(const tn_template_loader_desc *desc);
// The parsed template `name` (cached; valid until the loader is freed).
// Names are relative paths: empty segments, ".", "..", a leading "/" and
// backslashes are refused (TN_EINVAL). Returns 0, TN_ENOENT, TN_EINVAL,
// TN_EMSGSIZE (over TN_TEMPLATE_MAX_SIZE), TN_EPARSE (err filled) or TN_ENOMEM.
TN_API int tn_template_loader_get(tn_template_loader *l, const char *name, const tn_template **out, tn_template_error *err);
// Frees the loader and every template it parsed. NULL is fine.
TN_API void tn_template_loader_free(tn_template_loader *l);

TN__END_DECLS
#endif
