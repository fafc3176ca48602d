// >>httputil implementation
#include "base/internal.h"
#include "http/util.h"
#include "base/error.h"
#include "base/str.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char tn__hu_wday[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char tn__hu_wday_long[7][10] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                             "Thursday", "Friday", "Saturday"};
static const char tn__hu_month[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Days from 1970-01-01 to a proleptic Gregorian date (month 1..12), by
// counting in 400-year eras that start on March 1st (leap day last).
TN__PRIVATE int64_t tn__hu_days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

TN__PRIVATE void tn__hu_civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

TN__PRIVATE char *tn__hu_digits(char *o, int64_t v, int width) {
    for (int i = width - 1; i >= 0; i--, v /= 10) o[i] = (char)('0' + v % 10);
    return o + width;
}

TN_API size_t tn_http_date_format(char *out, time_t t) {
    const int64_t lo = -62167219200LL, hi = 253402300799LL;  // 0000-01-01, 9999-12-31
    int64_t s = (int64_t)t < lo ? lo : (int64_t)t > hi ? hi : (int64_t)t;
    int64_t days = (s >= 0 ? s : s - 86399) / 86400, secs = s - days * 86400, year;
    int month, day;
    tn__hu_civil_from_days(days, &year, &month, &day);
    char *o = out;
    memcpy(o, tn__hu_wday[((days % 7) + 11) % 7], 3);  // 1970-01-01 was a Thursday
    o += 3;
    *o++ = ',';
    *o++ = ' ';
    o = tn__hu_digits(o, day, 2);
    *o++ = ' ';
    memcpy(o, tn__hu_month[month - 1], 3);
    o += 3;
    *o++ = ' ';
    o = tn__hu_digits(o, year, 4);
    *o++ = ' ';
    o = tn__hu_digits(o, secs / 3600, 2);
    *o++ = ':';
    o = tn__hu_digits(o, secs / 60 % 60, 2);
    *o++ = ':';
    o = tn__hu_digits(o, secs % 60, 2);
    memcpy(o, " GMT", 5);
    return (size_t)(o + 4 - out);
}

typedef struct tn__hu_scan {
    const char *p, *end;
} tn__hu_scan;

TN__PRIVATE bool tn__hu_lit(tn__hu_scan *sc, const char *lit) {
    size_t n = strlen(lit);
    if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, lit, n) != 0) return false;
    sc->p += n;
    return true;
}

// Reads min..max digits. Returns the value or -1.
TN__PRIVATE int tn__hu_num(tn__hu_scan *sc, int min, int max) {
    int v = 0, n = 0;
    while (n < max && sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9') {
        v = v * 10 + (*sc->p++ - '0');
        n++;
    }
    return n >= min ? v : -1;
}

// Matches one of `count` names of `stride` bytes. Returns its index or -1.
TN__PRIVATE int tn__hu_name(tn__hu_scan *sc, const char *names, size_t stride, int count) {
    for (int i = 0; i < count; i++)
        if (tn__hu_lit(sc, names + (size_t)i * stride)) return i;
    return -1;
}

TN__PRIVATE int tn__hu_month_num(tn__hu_scan *sc) {
    return tn__hu_name(sc, tn__hu_month[0], sizeof tn__hu_month[0], 12) + 1;
}

// "hh:mm:ss" into seconds of the day, or -1.
TN__PRIVATE int tn__hu_clock(tn__hu_scan *sc) {
    int h = tn__hu_num(sc, 2, 2);
    if (h < 0 || h > 23 || !tn__hu_lit(sc, ":")) return -1;
    int m = tn__hu_num(sc, 2, 2);
    if (m < 0 || m > 59 || !tn__hu_lit(sc, ":")) return -1;
    int s = tn__hu_num(sc, 2, 2);
    if (s < 0 || s > 60) return -1;  // 60: a leap second
    return h * 3600 + m * 60 + s;
}

// The zone after an IMF or RFC 850 date, as seconds east of UTC; false if bad.
TN__PRIVATE bool tn__hu_zone(tn__hu_scan *sc, int *offset) {
    *offset = 0;
    if (tn__hu_lit(sc, "GMT") || tn__hu_lit(sc, "UTC")) return true;
    if (sc->p == sc->end || (*sc->p != '+' && *sc->p != '-')) return false;
    int sign = *sc->p++ == '-' ? -1 : 1;
    int hhmm = tn__hu_num(sc, 4, 4);
    if (hhmm < 0 || hhmm / 100 > 23 || hhmm % 100 > 59) return false;
    *offset = sign * (hhmm / 100 * 3600 + hhmm % 100 * 60);
    return true;
}

TN__PRIVATE int tn__hu_mdays(int64_t y, int m) {
    static const char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return mdays[m - 1] + (m == 2 && leap);
}

TN_API int tn_http_date_parse(const char *s, size_t len, time_t *out) {
    tn__hu_scan sc;
    sc.p = s;
    sc.end = s + len;
    while (sc.p < sc.end && (*sc.p == ' ' || *sc.p == '\t')) sc.p++;
    while (sc.end > sc.p && (sc.end[-1] == ' ' || sc.end[-1] == '\t')) sc.end--;
    int year, month, day, secs, offset = 0;
    if (tn__hu_name(&sc, tn__hu_wday_long[0], sizeof tn__hu_wday_long[0], 7) >= 0) {
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
        if (!tn__hu_lit(&sc, ", ") || (day = tn__hu_num(&sc, 2, 2)) < 0 || !tn__hu_lit(&sc, "-") ||
            (month = tn__hu_month_num(&sc)) == 0 || !tn__hu_lit(&sc, "-") ||
            (year = tn__hu_num(&sc, 2, 2)) < 0 || !tn__hu_lit(&sc, " ") ||
            (secs = tn__hu_clock(&sc)) < 0 || !tn__hu_lit(&sc, " ") || !tn__hu_zone(&sc, &offset))
            return TN_EPARSE;
        year += year >= 69 ? 1900 : 2000;
    } else if (tn__hu_name(&sc, tn__hu_wday[0], sizeof tn__hu_wday[0], 7) < 0) {
        return TN_EPARSE;
    } else if (tn__hu_lit(&sc, ", ")) {
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        if ((day = tn__hu_num(&sc, 1, 2)) < 0 || !tn__hu_lit(&sc, " ") ||
            (month = tn__hu_month_num(&sc)) == 0 || !tn__hu_lit(&sc, " ") ||
            (year = tn__hu_num(&sc, 4, 4)) < 0 || !tn__hu_lit(&sc, " ") ||
            (secs = tn__hu_clock(&sc)) < 0 || !tn__hu_lit(&sc, " ") || !tn__hu_zone(&sc, &offset))
            return TN_EPARSE;
    } else {
        // asctime: "Sun Nov  6 08:49:37 1994"
        if (!tn__hu_lit(&sc, " ") || (month = tn__hu_month_num(&sc)) == 0 || !tn__hu_lit(&sc, " "))
            return TN_EPARSE;
        tn__hu_lit(&sc, " ");  // a one-digit day is padded with a space
        if ((day = tn__hu_num(&sc, 1, 2)) < 0 || !tn__hu_lit(&sc, " ") ||
            (secs = tn__hu_clock(&sc)) < 0 || !tn__hu_lit(&sc, " ") ||
            (year = tn__hu_num(&sc, 4, 4)) < 0)
            return TN_EPARSE;
    }
    if (sc.p != sc.end || day < 1 || day > tn__hu_mdays(year, month)) return TN_EPARSE;
    int64_t t = tn__hu_days_from_civil(year, month, day) * 86400 + secs - offset;
    if ((int64_t)(time_t)t != t) return TN_EPARSE;
    *out = (time_t)t;
    return 0;
}

TN_API const char *tn_http_reason(int code) {
    switch (code) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a Teapot";  // IANA: reserved; Python keeps the phrase
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: return "Unknown";
    }
}

TN_API const char *tn_mime_type(const char *path) {
    static const char *const table[][2] = {
        {"html", "text/html"},         {"htm", "text/html"},
        {"css", "text/css"},           {"js", "text/javascript"},
        {"mjs", "text/javascript"},    {"json", "application/json"},
        {"txt", "text/plain"},         {"csv", "text/csv"},
        {"md", "text/markdown"},       {"xml", "text/xml"},
        {"png", "image/png"},          {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},        {"gif", "image/gif"},
        {"svg", "image/svg+xml"},      {"ico", "image/vnd.microsoft.icon"},
        {"webp", "image/webp"},        {"avif", "image/avif"},
        {"bmp", "image/bmp"},          {"pdf", "application/pdf"},
        {"wasm", "application/wasm"},  {"woff", "font/woff"},
        {"woff2", "font/woff2"},       {"ttf", "font/ttf"},
        {"otf", "font/otf"},           {"mp3", "audio/mpeg"},
        {"ogg", "audio/ogg"},          {"wav", "audio/x-wav"},
        {"mp4", "video/mp4"},          {"webm", "video/webm"},
        {"zip", "application/zip"},    {"gz", "application/gzip"},
        {"tar", "application/x-tar"},
    };
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot && dot > base) {  // ".bashrc" has no extension, as Python's splitext
        tn_str ext = tn_str_c(dot + 1);
        for (size_t i = 0; i < TN__COUNTOF(table); i++)
            if (tn_str_eq_nocase(ext, tn_str_c(table[i][0]))) return table[i][1];
    }
    return "application/octet-stream";
}

TN__PRIVATE bool tn__hu_ows(char c) { return c == ' ' || c == '\t'; }

TN__PRIVATE tn_str tn__hu_trim(const char *p, const char *end) {
    while (p < end && tn__hu_ows(*p)) p++;
    while (end > p && tn__hu_ows(end[-1])) end--;
    tn_str s;
    s.ptr = p;
    s.len = (size_t)(end - p);
    return s;
}

// Reads the parameter after the next ";" at *pp. Returns false at the end or
// at an unterminated quoted string.
TN__PRIVATE bool tn__hu_param_next(const char **pp, const char *end, tn_str *name, tn_str *value,
                                   bool *quoted) {
    const char *p = TN__CAST(const char *, memchr(*pp, ';', (size_t)(end - *pp)));
    if (!p) return false;
    const char *start = ++p;
    while (p < end && *p != '=' && *p != ';') p++;
    *name = tn__hu_trim(start, p);
    *value = tn__hu_trim(p, p);
    *quoted = false;
    if (p < end && *p == '=') {
        p++;
        while (p < end && tn__hu_ows(*p)) p++;
        if (p < end && *p == '"') {
            start = ++p;
            for (; p < end && *p != '"'; p++)
                if (*p == '\\' && p + 1 < end) p++;
            if (p == end) return false;
            value->ptr = start;
            value->len = (size_t)(p - start);
            *quoted = true;
            p++;
        } else {
            start = p;
            while (p < end && *p != ';') p++;
            *value = tn__hu_trim(start, p);
        }
    }
    *pp = p;
    return true;
}

TN_API bool tn_http_header_param(tn_str header_value, const char *name, tn_str *out, bool *quoted) {
    const char *p = header_value.ptr, *end = p + header_value.len;
    tn_str n, v, want = tn_str_c(name);
    bool q, found = false;
    while (tn__hu_param_next(&p, end, &n, &v, &q)) {
        if (!tn_str_eq_nocase(n, want)) continue;
        *out = v;  // the last one wins, as in Tornado's _parse_header
        if (quoted) *quoted = q;
        found = true;
    }
    return found;
}

TN_API size_t tn_http_unquote(char *dst, tn_str s) {
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '\\' && i + 1 < s.len && (s.ptr[i + 1] == '\\' || s.ptr[i + 1] == '"')) c = s.ptr[++i];
        dst[o++] = c;
    }
    return o;
}

// A byte position: 0 when empty, 1 when digits (saturating), -1 otherwise.
TN__PRIVATE int tn__hu_range_num(tn_str s, uint64_t *v) {
    *v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') return -1;
        unsigned d = (unsigned)(s.ptr[i] - '0');
        *v = *v > (UINT64_MAX - d) / 10 ? UINT64_MAX : *v * 10 + d;
    }
    return s.len ? 1 : 0;
}

TN_API int tn_http_range_parse(tn_str h, uint64_t size, tn_http_range *r) {
    memset(r, 0, sizeof *r);
    r->status = 200;
    r->end = size;
    if (!h.len) return 200;  // no header; h.ptr may be NULL, and NULL + 0 is undefined
    const char *p = h.ptr, *end = h.ptr + h.len;
    const char *eq = TN__CAST(const char *, memchr(p, '=', h.len));
    if (!eq || !tn_str_eq_nocase(tn__hu_trim(p, eq), tn_str_c("bytes"))) return 200;
    const char *dash = TN__CAST(const char *, memchr(eq, '-', (size_t)(end - eq)));
    const char *first_end = dash ? dash : end;
    uint64_t first, last;
    int has_first = tn__hu_range_num(tn__hu_trim(eq + 1, first_end), &first);
    int has_last = tn__hu_range_num(tn__hu_trim(dash ? dash + 1 : end, end), &last);
    if (has_first < 0 || has_last < 0) return 200;  // malformed or several ranges
    uint64_t start = first, stop = size;
    if (!has_first && has_last) {  // "-N": the last N bytes
        if (last == 0) goto unsatisfiable;
        start = last < size ? size - last : 0;
    } else if (has_last) {
        if (last < first) goto unsatisfiable;
        stop = last < size ? last + 1 : size;
    }
    if ((has_first || has_last) && start >= size) goto unsatisfiable;
    if (start == 0 && stop == size) return 200;  // Chrome rejects a 206 for "bytes=0-"
    r->status = 206;
    r->start = start;
    r->end = stop;
    snprintf(r->content_range, sizeof r->content_range, "bytes %llu-%llu/%llu",
             (unsigned long long)start, (unsigned long long)(stop - 1), (unsigned long long)size);
    return 206;
unsatisfiable:
    r->status = 416;
    r->start = r->end = 0;
    snprintf(r->content_range, sizeof r->content_range, "bytes */%llu", (unsigned long long)size);
    return 416;
}
