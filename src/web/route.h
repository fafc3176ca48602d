// ---------------------------------------------------------------------------
// >>route  Route patterns: the regular expressions of Tornado's URL specs
// ---------------------------------------------------------------------------
// A small built-in matcher (no libc regex) for the patterns routes use:
// literals and escapes, `.`, classes `[a-z]` `[^/]`, `\d \w \s \D \W \S`,
// `\xHH`, `\b \B`, groups `( )` `(?: )` `(?P<name> )`, alternation `|`,
// quantifiers `* + ? {n} {n,} {,m} {n,m}` (greedy, or lazy with a `?`), and
// the anchors `^` `$`. The whole path must match (Python's re.fullmatch);
// Tornado appends `$` to the pattern, which is the same for every pattern
// that has no top-level `|`.
//
// Matching follows Python's `re` on Tornado's request.path, which is the raw
// path decoded as Latin-1: patterns and paths are bytes, `\w` and `\s` also
// take the bytes >= 0x80 that Python's Unicode classes take (e.g. 0xE9 is
// \w), and `\d` is [0-9]. Differences: `.` matches every byte (also "\n"),
// `$` matches only at the very end, and a `{` that does not start a valid
// {n,m} (n, m <= 65535) is an error where Python reads it literally. Other
// Python syntax (flags, lookaround, backreferences, possessive quantifiers)
// is a compile error too.
//
// Matching backtracks with an explicit stack and a step budget of
// TN_ROUTE_MAX_STEPS plus 4 per path byte; a match that would need more is
// reported as no match (and logged once per pattern), so a pathological
// pattern such as `(a*)*b` cannot stall the server. A compiled pattern is
// read-only: any number of threads may match with it at once.
#ifndef TN__WEB_ROUTE_H
#define TN__WEB_ROUTE_H
#include "base/config.h"
#include "base/str.h"
TN__BEGIN_DECLS

#ifndef TN_ROUTE_MAX_STEPS  // the step budget's fixed part, per match
#  define TN_ROUTE_MAX_STEPS 100000
#endif

typedef struct tn_route_pattern tn_route_pattern;

// Compiles `pattern` into *out (one allocation; free it with tn_route_free).
// Returns 0, TN_EINVAL (logged with the pattern and the 1-based column of
// the error) or TN_ENOMEM.
TN_API int tn_route_compile(tn_route_pattern **out, const char *pattern);
// Frees a compiled pattern (NULL is allowed).
TN_API void tn_route_free(tn_route_pattern *p);

// Matches the whole of path[0..len). On a match returns the number of
// groups written to `groups` (min(group count, max_groups); group 1 goes to
// groups[0]); each is a view into `path`, or {NULL, 0} for a group that did
// not take part. Returns -1 when the path does not match.
TN_API int tn_route_match(const tn_route_pattern *p, const char *path, size_t len, tn_str *groups,
                          int max_groups);

// The number of capture groups (named or not) in the pattern.
TN_API int tn_route_group_count(const tn_route_pattern *p);
// The 0-based index (as in tn_route_match's `groups`) of the group named
// `name`, or -1 when there is none.
TN_API int tn_route_group_index(const tn_route_pattern *p, const char *name);
// The name of group `i` (0-based), or NULL when it is unnamed or out of range.
TN_API const char *tn_route_group_name(const tn_route_pattern *p, int i);
// The pattern's source text, as given to tn_route_compile.
TN_API const char *tn_route_source(const tn_route_pattern *p);

// Tornado's reverse_url: appends to `out` the pattern with each group replaced
// by args[i] (copied as given: escape them first) and a `.` outside groups
// kept as a dot. Returns TN_ENOMEM, or TN_EINVAL when nargs is not the group
// count or the pattern is more than literals and groups: a class, `\d`,
// quantifier, `|` or `(?:` outside the groups, or a group inside a group.
TN_API int tn_route_reverse(const tn_route_pattern *p, const char *const *args, int nargs, tn_buf *out);

TN__END_DECLS
#endif
