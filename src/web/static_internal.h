// ---------------------------------------------------------------------------
// >>static_internal  An app's static_path / static_files (web/static.c)
// ---------------------------------------------------------------------------
#ifndef TN__WEB_STATIC_INTERNAL_H
#define TN__WEB_STATIC_INTERNAL_H
#include "base/internal.h"
#include "web/static.h"
#if TN_ENABLE_STATIC  // the whole module (base/config.h)

struct tn__static;

// The state of an app's static files: its folder (`path`, copied) or packed
// `files`, served under `url_prefix` (copied; NULL: "/static/"), and the
// hash cache every static route of the app shares. NULL when out of memory
// or when `files` is not sorted (logged).
TN__INTERNAL struct tn__static *tn__static_new(const char *path, const char *url_prefix, const tn_packed_file *files);
// Frees it (NULL is fine).
TN__INTERNAL void tn__static_free(struct tn__static *st);
// The route pattern of the URL prefix ("/static/(.*)"), and the desc its
// routes serve with tn_static_serve.
TN__INTERNAL const char *tn__static_pattern(const struct tn__static *st);
TN__INTERNAL const tn_static_desc *tn__static_desc(const struct tn__static *st);
#endif  // TN_ENABLE_STATIC
#endif
