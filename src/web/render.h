// ---------------------------------------------------------------------------
// >>render  Templates in a handler (Tornado's render and render_string)
// ---------------------------------------------------------------------------
// The app's template_path is loaded through one tn_template_loader: each
// template is parsed on first use, then cached (>>template: the engine).
#ifndef TN__WEB_RENDER_H
#define TN__WEB_RENDER_H
#include "base/config.h"
#include "base/json.h"
#include "base/str.h"
#include "http/server.h"
TN__BEGIN_DECLS

// Renders template `name` of the app's template_path with ctx, writes it with
// Content-Type text/html; charset=UTF-8 and finishes. Templates may call
// xsrf_form_html() and static_url(path). On error: logs "name:line:col:
// message", answers 500 and returns the error (TN_EINVAL without a template_path).
TN_API int tn_render(tn_handler *h, const char *name, const tn_json_value *ctx);
// tn_render's rendering appended to out instead; nothing is sent. Errors are
// logged and returned; out is then unchanged.
TN_API int tn_render_string(tn_handler *h, const char *name, const tn_json_value *ctx, tn_buf *out);

TN__END_DECLS
#endif
