// ---------------------------------------------------------------------------
// >>static_internal  What the application asks of static.c
// ---------------------------------------------------------------------------
#include "web/handler_internal.h"

// The routes static_path / static_files install before the app's own (a
// table for the caller to free; NULL when out of memory or on a bad
// static_files table), with their state kept in app->statics.
TN__PRIVATE tn_route *tn__static_app_routes(tn_app *app, const tn_route *routes);
// Frees an app's static-file state (NULL is fine).
TN__PRIVATE void tn__static_free(struct tn__static *st);
