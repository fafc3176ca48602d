// ---------------------------------------------------------------------------
// >>xsrf  Cross-site request forgery protection (Tornado's xsrf_cookies)
// ---------------------------------------------------------------------------
// With tn_app_desc.xsrf_cookies, every request with a method other than GET,
// HEAD and OPTIONS must carry the token of its _xsrf cookie, in the _xsrf
// argument or an X-XSRFToken / X-CSRFToken header; otherwise it is answered
// 403 before prepare runs. Put the token in forms with tn_xsrf_form_html.
#ifndef TN__WEB_XSRF_H
#define TN__WEB_XSRF_H
#include "base/config.h"
#include "http/server.h"
TN__BEGIN_DECLS

// Tornado's xsrf_token: this session's XSRF token (masked afresh on each
// call, version 2), setting the _xsrf cookie when the client has none.
// Valid until the request finishes; NULL when out of memory.
TN_API const char *tn_xsrf_token(tn_handler *h);
// `<input type="hidden" name="_xsrf" value="TOKEN"/>` for forms.
TN_API const char *tn_xsrf_form_html(tn_handler *h);

TN__END_DECLS
#endif
