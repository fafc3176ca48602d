// ---------------------------------------------------------------------------
// >>http_parse_internal  Token, whitespace and host rules of RFC 9110 and
// 3986 for the other HTTP readers and writers (http/parse.c)
// ---------------------------------------------------------------------------
#ifndef TN__HTTP_PARSE_INTERNAL_H
#define TN__HTTP_PARSE_INTERNAL_H
#include "base/internal.h"
#include "base/str.h"

// RFC 9110 token characters (method and header names, parameters).
TN__INTERNAL bool tn__http_is_tchar(unsigned char c);
// p[0..len) without surrounding spaces and tabs.
TN__INTERNAL tn_str tn__http_trim(const char *p, size_t len);
// RFC 3986 host [":" port]; the host may be empty only when !strict, the
// port is required when need_port (the server's Host header, the client's URL).
TN__INTERNAL bool tn__http_valid_host(tn_str s, bool strict, bool need_port);
#endif
