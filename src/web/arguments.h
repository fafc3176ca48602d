// ---------------------------------------------------------------------------
// >>arguments  Request arguments and uploaded files in a handler
// ---------------------------------------------------------------------------
// Tornado's get_argument family over the query string and a form body
// (application/x-www-form-urlencoded or multipart/form-data), parsed on
// first use.
#ifndef TN__WEB_ARGUMENTS_H
#define TN__WEB_ARGUMENTS_H
#include "base/config.h"
#include "http/multipart.h"
#include "http/server.h"
TN__BEGIN_DECLS

// Pass as the default to make an argument required (Tornado's get_argument
// without a default): when absent, a 400 is sent and NULL returned.
#define TN_REQUIRED ((const char *)(uintptr_t)1)

// Tornado's get_argument: the last value of `name` from the query or a form
// body, as a C string with surrounding whitespace stripped; `def` (may be
// NULL) when absent. With def == TN_REQUIRED a missing argument sends a 400
// ("Missing argument NAME") and returns NULL: return from the handler then.
// A value that is not UTF-8 also sends a 400 and returns NULL.
TN_API const char *tn_get_argument(tn_handler *h, const char *name, const char *def);
// Only the query string's (get_query_argument) or only the body's.
TN_API const char *tn_get_query_argument(tn_handler *h, const char *name, const char *def);
TN_API const char *tn_get_body_argument(tn_handler *h, const char *name, const char *def);
// Every value of `name` (query then body), up to max, as C strings.
// Returns how many there are.
TN_API size_t tn_get_arguments(tn_handler *h, const char *name, const char **out, size_t max);
// The files of a multipart/form-data body (parts with a file name), or NULL.
TN_API const tn_multipart *tn_get_files(tn_handler *h);

TN__END_DECLS
#endif
