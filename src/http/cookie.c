// >>cookie implementation
#include "base/internal.h"
#include "http/cookie.h"
#include "base/error.h"
#include "base/str.h"
#include "http/args.h"
#include "http/util.h"
#include "base/log_internal.h"
#include "http/args_internal.h"

#include <string.h>

TN__PRIVATE bool tn__cookie_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

TN__PRIVATE bool tn__cookie_octal(char c, char max) { return c >= '0' && c <= max; }

// Python's http.cookies._unquote in place on p[0..len): a value in double
// quotes loses them, "\ooo" (first digit 0-3) becomes that byte, "\x" is x.
TN__PRIVATE tn_str tn__cookie_unquote(char *p, size_t len) {
    tn_str v;
    v.ptr = p;
    v.len = len;
    if (len < 2 || p[0] != '"' || p[len - 1] != '"') return v;
    const char *s = p + 1;
    size_t n = len - 2, k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 3 < n && tn__cookie_octal(s[i + 1], '3') &&
            tn__cookie_octal(s[i + 2], '7') && tn__cookie_octal(s[i + 3], '7')) {
            c = (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
            i += 3;
        } else if (c == '\\' && i + 1 < n && s[i + 1] != '\n') {  // regex "." skips \n
            c = s[++i];
        }
        p[k++] = c;  // k <= i: the writer never overtakes the reader
    }
    v.len = k;
    return v;
}

// Trims Python's whitespace from both ends of [*p, *end).
TN__PRIVATE void tn__cookie_trim(char **p, char **end) {
    while (*p < *end && tn__cookie_space(**p)) (*p)++;
    while (*end > *p && tn__cookie_space((*end)[-1])) (*end)--;
}

TN_API int tn_cookie_parse(tn_args *jar, const char *header, size_t len) {
    size_t start_count = jar->count;
    if (len == 0) return 0;
    char *p = tn__args_copy(jar, header, len);
    if (!p) return TN_ENOMEM;
    char *end = p + len;
    while (p <= end) {
        char *semi = TN__CAST(char *, memchr(p, ';', (size_t)(end - p)));
        char *chunk_end = semi ? semi : end;
        char *eq = TN__CAST(char *, memchr(p, '=', (size_t)(chunk_end - p)));
        char *name = eq ? p : chunk_end, *name_end = eq ? eq : chunk_end;
        char *value = eq ? eq + 1 : p, *value_end = chunk_end;
        tn__cookie_trim(&name, &name_end);
        tn__cookie_trim(&value, &value_end);
        if (name < name_end || value < value_end) {
            int r = jar->count - start_count == TN__ARGS_DEFAULT_MAX_FIELDS ? TN_ERANGE : 0;
            tn_str n;
            n.ptr = name;
            n.len = (size_t)(name_end - name);
            tn_str v = tn__cookie_unquote(value, (size_t)(value_end - value));
            // Terminate both, as tn_args promises: each end is at or before a
            // separator, whitespace or the copy's final NUL.
            name[n.len] = '\0';
            value[v.len] = '\0';
            if (!r) r = tn__args_push(jar, n, v);
            if (r) {
                tn__args_undo(jar, start_count);
                return r;
            }
        }
        p = chunk_end + 1;
    }
    return 0;
}

// Python's http.cookies._LegalChars: what a name may hold and what a value
// may hold without quotes.
TN__PRIVATE bool tn__cookie_legal(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~:", c) != NULL);
}

// Bytes an attribute must not hold: controls (they would split or corrupt
// the header) and ";" (it would start a forged attribute).
TN__PRIVATE bool tn__cookie_attr_ok(const char *what, const char *s) {
    if (!s) return true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == ';') {
            TN__LOGW("refusing cookie %s %s: control byte or ';'", what, s);
            return false;
        }
    }
    return true;
}

// The value as Python's SimpleCookie writes it: bare if every byte is legal,
// else in double quotes with \" and \\ escaped and bytes outside printable
// ASCII (and ",") as \ooo.
TN__PRIVATE int tn__cookie_value(tn_buf *out, const char *v) {
    size_t n = strlen(v), i = 0;
    while (i < n && tn__cookie_legal((unsigned char)v[i])) i++;
    if (n && i == n) return tn_buf_append(out, v, n);
    int r = tn_buf_append(out, "\"", 1);
    for (i = 0; i < n && !r; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '"' || c == '\\')
            r = tn_buf_appendf(out, "\\%c", c);
        else if (tn__cookie_legal(c) || strchr(" ()/<=>?@[]{}", c))
            r = tn_buf_append(out, &v[i], 1);
        else
            r = tn_buf_appendf(out, "\\%03o", c);
    }
    return r ? r : tn_buf_append(out, "\"", 1);
}

TN__PRIVATE bool tn__cookie_valid(const tn_cookie_desc *d) {
    const char *name = d->name ? d->name : "";
    bool ok = *name != '\0';
    for (const char *p = name; *p && ok; p++) ok = tn__cookie_legal((unsigned char)*p);
    if (!ok) {
        TN__LOGW("refusing cookie name \"%s\": want letters, digits and !#$%%&'*+-.^_`|~:", name);
        return false;
    }
    return tn__cookie_attr_ok("value", d->value) && tn__cookie_attr_ok("domain", d->domain) &&
           tn__cookie_attr_ok("path", d->path) && tn__cookie_attr_ok("samesite", d->samesite);
}

TN_API int tn_cookie_format(tn_buf *out, const tn_cookie_desc *d) {
    if (!tn__cookie_valid(d)) return TN_EINVAL;
    size_t old_len = out->len;
    int r = tn_buf_appendf(out, "%s=", d->name);
    if (!r) r = tn__cookie_value(out, d->value ? d->value : "");
    if (!r && d->domain) r = tn_buf_appendf(out, "; Domain=%s", d->domain);
    if (!r && d->expires) {
        char date[TN_HTTP_DATE_SIZE];
        tn_http_date_format(date, d->expires);
        r = tn_buf_appendf(out, "; expires=%s", date);
    }
    if (!r && d->http_only) r = tn_buf_append_str(out, "; HttpOnly");
    if (!r && d->max_age)
        r = tn_buf_appendf(out, "; Max-Age=%lld", d->max_age > 0 ? (long long)d->max_age : 0LL);
    if (!r) r = tn_buf_appendf(out, "; Path=%s", d->path ? d->path : "/");
    if (!r && d->samesite) r = tn_buf_appendf(out, "; SameSite=%s", d->samesite);
    if (!r && d->secure) r = tn_buf_append_str(out, "; Secure");
    if (r) {
        out->len = old_len;
        if (out->data) out->data[old_len] = '\0';
    }
    return r;
}
