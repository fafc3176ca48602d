// >>route implementation
#include "base/internal.h"
#include "web/route.h"
#include "base/error.h"
#include "base/str.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"

#include <string.h>

// The pattern compiles to a program for a backtracking machine (Pike's
// instruction set, as in Thompson/Cox "re1"). Jumps are relative, so a block
// of code can be moved or copied as it is: that is how an alternative gets
// its SPLIT inserted in front of it and how `{n,m}` repeats a group.
enum {
    TN__RX_CHAR,    // one byte equal to arg
    TN__RX_ANY,     // any byte
    TN__RX_SET,     // one byte in set arg
    TN__RX_REP1,    // a one-byte matcher (sub, arg) min..max times
    TN__RX_SPLIT,   // go on at pc+1, or at pc+x on backtrack (lazy: the other way)
    TN__RX_JMP,     // go to pc+x
    TN__RX_SAVE,    // slot[arg] = sp: a capture bound
    TN__RX_MARK,    // slot[arg] = sp: where a loop iteration started
    TN__RX_REPEAT,  // end of a loop body: go back to pc+x unless the body matched empty
    TN__RX_SKIP,    // end of an optional body: go to pc+x if it matched empty
    TN__RX_BOL,
    TN__RX_EOL,
    TN__RX_WORDB,
    TN__RX_NWORDB,
    TN__RX_MATCH    // succeeds at the end of the path only (fullmatch)
};

#define TN__RX_INF 0xFFFFFFFFu      // no upper bound on a repeat
#define TN__RX_NOREG 0xFFFFu        // REPEAT without an empty-iteration check
#define TN__RX_MAX_COUNT 65535u     // the largest n or m in {n,m}
#define TN__RX_MAX_PROG 16384       // instructions, after {n,m} expansion
#define TN__RX_MAX_SLOTS 8192       // capture bounds plus loop marks
#define TN__RX_MAX_DEPTH 64         // nesting of groups
#define TN__RX_MARK_BASE 0x8000     // mark slots while parsing, before renumbering
#define TN__RX_UNSET SIZE_MAX

typedef struct tn__rx_inst {
    uint8_t op;
    uint8_t sub;   // REP1: the one-byte op it repeats
    uint8_t lazy;  // SPLIT, REPEAT, REP1
    uint8_t pad_;
    uint16_t arg;  // byte, set index or slot
    int32_t x;     // relative jump
    uint32_t min, max;
} tn__rx_inst;

struct tn_route_pattern {
    const tn__rx_inst *prog;
    const unsigned char *sets;  // 32-byte bitmaps
    const int32_t *name_off;    // per group: offset into names, or -1
    const char *names;
    const size_t *holes;        // reverse: where each argument goes in tmpl
    const char *tmpl;           // reverse: the literal text
    const char *source;
    size_t tmpl_len;
    int *warned;                // the step budget ran out once already
    int ngroups, nslots;
    bool reversible;
};

// Python's Unicode \w and \s restricted to Latin-1, which is what Tornado's
// request.path holds (the raw path decoded as Latin-1).
static const unsigned char tn__rx_word_hi[16] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x2c, 0x76,  // 0x80-0xbf
    0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff}; // 0xc0-0xff

TN__PRIVATE bool tn__rx_is_word(unsigned c) {
    if (c >= 0x80) return (tn__rx_word_hi[(c - 0x80) >> 3] >> (c & 7)) & 1;
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

TN__PRIVATE bool tn__rx_is_space(unsigned c) {
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0;
}

TN__PRIVATE bool tn__rx_in_set(const unsigned char *set, unsigned c) { return (set[c >> 3] >> (c & 7)) & 1; }

TN__PRIVATE bool tn__rx_one(const tn_route_pattern *p, unsigned op, unsigned arg, unsigned char c) {
    if (op == TN__RX_CHAR) return c == arg;
    if (op == TN__RX_SET) return tn__rx_in_set(p->sets + 32 * (size_t)arg, c);
    return true;
}

// ---- compiler

typedef struct tn__rx_comp {
    const char *src;
    size_t pos;
    tn_buf prog, sets, names, name_off, tmpl, holes;
    int ngroups, nslots_extra;
    bool reversible;
    const char *err;
    size_t err_pos;
} tn__rx_comp;

enum { TN__RX_K_ONE, TN__RX_K_GROUP, TN__RX_K_ZERO };  // what an atom is, for its quantifier

#define TN__RX_NPROG(c) ((int)((c)->prog.len / sizeof(tn__rx_inst)))
TN__PRIVATE tn__rx_inst *tn__rx_prog(tn__rx_comp *c) { return TN__CAST(tn__rx_inst *, (void *)c->prog.data); }

TN__PRIVATE int tn__rx_fail(tn__rx_comp *c, size_t pos, const char *msg) {
    if (!c->err) {
        c->err = msg;
        c->err_pos = pos;
    }
    return -1;
}

TN__PRIVATE int tn__rx_emit(tn__rx_comp *c, unsigned op, unsigned arg, int32_t x) {
    if (TN__RX_NPROG(c) >= TN__RX_MAX_PROG) return tn__rx_fail(c, c->pos, "pattern too large");
    tn__rx_inst in;
    memset(&in, 0, sizeof in);
    in.op = (uint8_t)op;
    in.arg = (uint16_t)arg;
    in.x = x;
    if (tn_buf_append(&c->prog, &in, sizeof in)) return tn__rx_fail(c, c->pos, "out of memory");
    return 0;
}

// Inserts an instruction at `at`; the code after it moves, and still works
// because its jumps are relative and stay inside it.
TN__PRIVATE int tn__rx_insert(tn__rx_comp *c, int at, unsigned op) {
    int n = TN__RX_NPROG(c);
    if (tn__rx_emit(c, op, 0, 0)) return -1;
    tn__rx_inst *prog = tn__rx_prog(c);
    tn__rx_inst in = prog[n];
    memmove(prog + at + 1, prog + at, (size_t)(n - at) * sizeof *prog);
    prog[at] = in;
    return 0;
}

TN__PRIVATE int tn__rx_new_slot(tn__rx_comp *c) {
    if (2 * c->ngroups + c->nslots_extra >= TN__RX_MAX_SLOTS)
        return tn__rx_fail(c, c->pos, "too many groups and repeats");
    return TN__RX_MARK_BASE + c->nslots_extra++;  // renumbered once the groups are counted
}

TN__PRIVATE void tn__rx_set_add(unsigned char *set, unsigned lo, unsigned hi) {
    for (unsigned ch = lo; ch <= hi; ch++) set[ch >> 3] |= (unsigned char)(1u << (ch & 7));
}

// Adds \d \w \s (or, upper case, their complements) to set.
TN__PRIVATE void tn__rx_set_class(unsigned char *set, char cls) {
    for (unsigned ch = 0; ch < 256; ch++) {
        bool in = cls == 'd' || cls == 'D' ? (ch >= '0' && ch <= '9')
                  : cls == 'w' || cls == 'W' ? tn__rx_is_word(ch)
                                             : tn__rx_is_space(ch);
        if (in != (cls >= 'A' && cls <= 'Z')) tn__rx_set_add(set, ch, ch);
    }
}

TN__PRIVATE int tn__rx_hex(int ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

enum { TN__RX_E_BYTE, TN__RX_E_CLASS, TN__RX_E_WORDB, TN__RX_E_NWORDB };

// Parses the escape at c->pos ('\'). Gives a byte, a class (added to set),
// or, outside a class, a word-boundary assertion.
TN__PRIVATE int tn__rx_escape(tn__rx_comp *c, bool in_class, unsigned char *set, unsigned *byte) {
    size_t at = c->pos;
    unsigned char ch = (unsigned char)c->src[at + 1];
    static const char simple[] = "n\nt\tr\rf\fv\va\a";
    c->pos += 2;
    if (ch == 0) return tn__rx_fail(c, at, "bad escape (end of pattern)");
    if (strchr("dDwWsS", ch)) {
        tn__rx_set_class(set, (char)ch);
        return TN__RX_E_CLASS;
    }
    if (ch == 'b' && in_class) {
        *byte = '\b';
        return TN__RX_E_BYTE;
    }
    if ((ch == 'b' || ch == 'B') && !in_class) return ch == 'b' ? TN__RX_E_WORDB : TN__RX_E_NWORDB;
    if (ch == 'x') {
        int h = tn__rx_hex(c->src[at + 2]), l = h < 0 ? -1 : tn__rx_hex(c->src[at + 3]);
        if (l < 0) return tn__rx_fail(c, at, "incomplete escape \\x (two hex digits needed)");
        c->pos += 2;
        *byte = (unsigned)(h * 16 + l);
        return TN__RX_E_BYTE;
    }
    for (const char *s = simple; *s; s += 2)
        if (ch == (unsigned char)s[0]) {
            *byte = (unsigned char)s[1];
            return TN__RX_E_BYTE;
        }
    if (ch >= '0' && ch <= '9') return tn__rx_fail(c, at, "backreferences and octal escapes are not supported");
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) return tn__rx_fail(c, at, "bad escape");
    *byte = ch;  // an escaped punctuation mark or non-ASCII byte stands for itself
    return TN__RX_E_BYTE;
}

TN__PRIVATE int tn__rx_emit_set(tn__rx_comp *c, const unsigned char *set) {
    unsigned idx = (unsigned)(c->sets.len / 32);
    if (idx > 0xFFFF) return tn__rx_fail(c, c->pos, "pattern too large");
    if (tn_buf_append(&c->sets, set, 32)) return tn__rx_fail(c, c->pos, "out of memory");
    return tn__rx_emit(c, TN__RX_SET, idx, 0);
}

// One member of a class: a byte (*lo, rangeable) or a class escape (*lo = -1).
TN__PRIVATE int tn__rx_class_item(tn__rx_comp *c, unsigned char *set, int *lo) {
    unsigned byte = (unsigned char)c->src[c->pos];
    if (byte != '\\') {
        c->pos++;
        *lo = (int)byte;
        return 0;
    }
    int kind = tn__rx_escape(c, true, set, &byte);
    if (kind < 0) return -1;
    *lo = kind == TN__RX_E_BYTE ? (int)byte : -1;
    return 0;
}

TN__PRIVATE int tn__rx_class(tn__rx_comp *c) {
    size_t open = c->pos++;
    unsigned char set[32];
    memset(set, 0, sizeof set);
    bool negate = c->src[c->pos] == '^';
    if (negate) c->pos++;
    // A ']' first is a literal, so "[]" and "[^]" are unterminated, as in Python.
    for (bool first = true;; first = false) {
        char ch = c->src[c->pos];
        if (ch == 0) return tn__rx_fail(c, open, "unterminated character set");
        if (ch == ']' && !first) break;
        size_t item = c->pos;
        int lo, hi;
        if (tn__rx_class_item(c, set, &lo)) return -1;
        if (c->src[c->pos] != '-' || c->src[c->pos + 1] == ']' || c->src[c->pos + 1] == 0) {
            if (lo >= 0) tn__rx_set_add(set, (unsigned)lo, (unsigned)lo);
            continue;
        }
        c->pos++;
        if (tn__rx_class_item(c, set, &hi)) return -1;
        if (lo < 0 || hi < lo) return tn__rx_fail(c, item, "bad character range");
        tn__rx_set_add(set, (unsigned)lo, (unsigned)hi);
    }
    c->pos++;
    if (negate)
        for (size_t i = 0; i < sizeof set; i++) set[i] = (unsigned char)~set[i];
    return tn__rx_emit_set(c, set);
}

TN__PRIVATE int tn__rx_alt(tn__rx_comp *c, int depth, bool *nullable);

// Parses "P<name>" after "(?" and records the name of group c->ngroups.
TN__PRIVATE int tn__rx_group_name(tn__rx_comp *c) {
    size_t start = c->pos + 3, end = start;  // c->pos is at "?P<"
    while (tn__rx_is_word((unsigned char)c->src[end]) && (unsigned char)c->src[end] < 0x80) end++;
    if (c->src[end] != '>') {
        if (c->src[end] == 0) return tn__rx_fail(c, start, "missing >, unterminated name");
        return tn__rx_fail(c, start, "bad character in group name");
    }
    if (end == start) return tn__rx_fail(c, start, "missing group name");
    if (c->src[start] >= '0' && c->src[start] <= '9') return tn__rx_fail(c, start, "bad character in group name");
    for (size_t off = 0; off < c->names.len; off += strlen(c->names.data + off) + 1)
        if (strlen(c->names.data + off) == end - start && memcmp(c->names.data + off, c->src + start, end - start) == 0)
            return tn__rx_fail(c, start, "redefinition of group name");
    int32_t off = (int32_t)c->names.len;
    if (tn_buf_append(&c->names, c->src + start, end - start) || tn_buf_append(&c->names, "", 1) ||
        tn_buf_append(&c->name_off, &off, sizeof off))
        return tn__rx_fail(c, start, "out of memory");
    c->pos = end + 1;
    return 0;
}

TN__PRIVATE int tn__rx_group(tn__rx_comp *c, int depth, bool *nullable) {
    size_t open = c->pos++;
    bool capture = true;
    if (c->src[c->pos] == '?') {
        const char *s = c->src + c->pos;
        if (s[1] == ':') {
            capture = false;
            c->pos += 2;
        } else if (s[1] == 'P' && s[2] == '<') {
            if (tn__rx_group_name(c)) return -1;
        } else if (s[1] == 'P' && s[2] == '=') {
            return tn__rx_fail(c, c->pos, "backreferences are not supported");
        } else {
            return tn__rx_fail(c, c->pos, s[1] ? "unknown extension (only (?: and (?P<name> are supported)"
                                                : "unexpected end of pattern");
        }
    } else {
        int32_t none = -1;
        if (tn_buf_append(&c->name_off, &none, sizeof none)) return tn__rx_fail(c, open, "out of memory");
    }
    if (depth + 1 >= TN__RX_MAX_DEPTH) return tn__rx_fail(c, open, "groups nested too deeply");
    int g = c->ngroups;
    if (capture) {
        if (2 * (c->ngroups + 1) + c->nslots_extra > TN__RX_MAX_SLOTS)
            return tn__rx_fail(c, open, "too many groups and repeats");
        c->ngroups++;
        if (depth == 0 && tn_buf_append(&c->holes, &c->tmpl.len, sizeof c->tmpl.len))
            return tn__rx_fail(c, open, "out of memory");
        if (tn__rx_emit(c, TN__RX_SAVE, (unsigned)(2 * g), 0)) return -1;
    } else if (depth == 0) {
        c->reversible = false;
    }
    if (tn__rx_alt(c, depth + 1, nullable)) return -1;
    if (c->src[c->pos] != ')') return tn__rx_fail(c, open, "missing ), unterminated subpattern");
    c->pos++;
    return capture ? tn__rx_emit(c, TN__RX_SAVE, (unsigned)(2 * g + 1), 0) : 0;
}

// Parses one atom; *kind tells what a quantifier after it may do.
TN__PRIVATE int tn__rx_atom(tn__rx_comp *c, int depth, int *kind, bool *nullable) {
    unsigned char ch = (unsigned char)c->src[c->pos];
    unsigned char set[32];
    unsigned byte = ch;
    *kind = TN__RX_K_ONE;
    *nullable = false;
    switch (ch) {
    case '(':
        *kind = TN__RX_K_GROUP;
        return tn__rx_group(c, depth, nullable);
    case '[':
        if (depth == 0) c->reversible = false;
        return tn__rx_class(c);
    case '.':  // reverse_url keeps it as a literal dot, as Tornado does ("/favicon.ico")
        if (depth == 0 && tn_buf_append(&c->tmpl, ".", 1)) return tn__rx_fail(c, c->pos, "out of memory");
        c->pos++;
        return tn__rx_emit(c, TN__RX_ANY, 0, 0);
    case '^': case '$':
        *kind = TN__RX_K_ZERO;
        *nullable = true;
        c->pos++;
        return tn__rx_emit(c, ch == '^' ? TN__RX_BOL : TN__RX_EOL, 0, 0);
    case '*': case '+': case '?': case '{':
        return tn__rx_fail(c, c->pos, "nothing to repeat");
    case '\\': {
        memset(set, 0, sizeof set);
        int e = tn__rx_escape(c, false, set, &byte);
        if (e < 0) return -1;
        if (e == TN__RX_E_WORDB || e == TN__RX_E_NWORDB) {
            *kind = TN__RX_K_ZERO;
            *nullable = true;
            if (depth == 0) c->reversible = false;
            return tn__rx_emit(c, e == TN__RX_E_WORDB ? TN__RX_WORDB : TN__RX_NWORDB, 0, 0);
        }
        if (e == TN__RX_E_CLASS) {
            if (depth == 0) c->reversible = false;
            return tn__rx_emit_set(c, set);
        }
        break;
    }
    default:
        c->pos++;
    }
    if (depth == 0) {
        char b = (char)byte;
        if (tn_buf_append(&c->tmpl, &b, 1)) return tn__rx_fail(c, c->pos, "out of memory");
    }
    return tn__rx_emit(c, TN__RX_CHAR, byte, 0);
}

TN__PRIVATE int tn__rx_count(tn__rx_comp *c, uint32_t *out) {
    uint32_t n = 0;
    size_t at = c->pos;
    while (c->src[c->pos] >= '0' && c->src[c->pos] <= '9') {
        n = n * 10 + (uint32_t)(c->src[c->pos++] - '0');
        if (n > TN__RX_MAX_COUNT) return tn__rx_fail(c, at, "repeat count too large (65535 at most)");
    }
    *out = n;
    return c->pos > at;
}

// Parses {n} {n,} {,m} {n,m} (c->pos at '{').
TN__PRIVATE int tn__rx_braces(tn__rx_comp *c, uint32_t *min, uint32_t *max) {
    size_t open = c->pos++;
    int have = tn__rx_count(c, min);
    if (have < 0) return -1;
    *max = *min;
    if (c->src[c->pos] == ',') {
        c->pos++;
        int m = tn__rx_count(c, max);
        if (m < 0) return -1;
        if (!m) *max = TN__RX_INF;
        have = 1;
    }
    if (!have || c->src[c->pos] != '}')
        return tn__rx_fail(c, open, "bad {} quantifier (escape a literal brace as \\{)");
    c->pos++;
    if (*max < *min) return tn__rx_fail(c, open, "min repeat greater than max repeat");
    return 0;
}

TN__PRIVATE int tn__rx_emit_copy(tn__rx_comp *c, const tn__rx_inst *body, int len) {
    if (TN__RX_NPROG(c) + len > TN__RX_MAX_PROG) return tn__rx_fail(c, c->pos, "pattern too large");
    if (tn_buf_append(&c->prog, body, (size_t)len * sizeof *body)) return tn__rx_fail(c, c->pos, "out of memory");
    return 0;
}

// Rewrites the group body at [start, end) as min mandatory copies followed by
// a loop (no max) or max-min nested optional copies. When the body can match
// empty, an optional iteration that matched empty ends the repetition (a mark
// slot records where it began), as in Python, instead of looping forever.
TN__PRIVATE int tn__rx_repeat_group(tn__rx_comp *c, size_t qpos, int start, uint32_t min, uint32_t max,
                                    bool lazy, bool body_nullable) {
    int len = TN__RX_NPROG(c) - start;
    uint64_t extra = max == TN__RX_INF ? (uint64_t)len + 3 : ((uint64_t)max - min) * ((uint64_t)len + 3);
    if ((uint64_t)min * (uint64_t)len + extra + (uint64_t)start > TN__RX_MAX_PROG)
        return tn__rx_fail(c, qpos, "pattern too large after expanding a repeat");
    int slot = -1;
    if (body_nullable && max != min && (slot = tn__rx_new_slot(c)) < 0) return -1;
    tn__rx_inst *body = TN__CAST(tn__rx_inst *, tn__malloc((size_t)len * sizeof *body + 1));
    if (!body) return tn__rx_fail(c, c->pos, "out of memory");
    if (len) memcpy(body, tn__rx_prog(c) + start, (size_t)len * sizeof *body);
    c->prog.len = (size_t)start * sizeof *body;
    int r = 0;
    for (uint32_t i = 0; i < min && !r; i++) r = tn__rx_emit_copy(c, body, len);
    if (!r && max == TN__RX_INF) {
        int split = TN__RX_NPROG(c);
        r = tn__rx_emit(c, TN__RX_SPLIT, 0, 0);
        int top = TN__RX_NPROG(c);
        if (!r && slot >= 0) r = tn__rx_emit(c, TN__RX_MARK, (unsigned)slot, 0);
        if (!r) r = tn__rx_emit_copy(c, body, len);
        if (!r) r = tn__rx_emit(c, TN__RX_REPEAT, slot >= 0 ? (unsigned)slot : TN__RX_NOREG, top - TN__RX_NPROG(c));
        if (!r) tn__rx_prog(c)[TN__RX_NPROG(c) - 1].lazy = lazy;
        if (!r) {
            tn__rx_prog(c)[split].x = TN__RX_NPROG(c) - split;
            tn__rx_prog(c)[split].lazy = lazy;
        }
    } else if (!r) {
        int step = len + 1 + (slot >= 0 ? 2 : 0);
        int end = TN__RX_NPROG(c) + (int)(max - min) * step;
        for (uint32_t i = min; i < max && !r; i++) {
            int at = TN__RX_NPROG(c);
            r = tn__rx_emit(c, TN__RX_SPLIT, 0, end - at);
            if (!r) tn__rx_prog(c)[at].lazy = lazy;
            if (!r && slot >= 0) r = tn__rx_emit(c, TN__RX_MARK, (unsigned)slot, 0);
            if (!r) r = tn__rx_emit_copy(c, body, len);
            if (!r && slot >= 0) r = tn__rx_emit(c, TN__RX_SKIP, (unsigned)slot, end - TN__RX_NPROG(c));
        }
    }
    tn__free(body);
    return r;
}

// Parses the quantifier after the atom whose code starts at `start`.
TN__PRIVATE int tn__rx_quantifier(tn__rx_comp *c, int depth, int start, int kind, bool *nullable) {
    size_t qpos = c->pos;
    char q = c->src[c->pos];
    uint32_t min = q == '+' ? 1 : 0, max = q == '?' ? 1 : TN__RX_INF;
    if (q == '{') {
        if (tn__rx_braces(c, &min, &max)) return -1;
    } else {
        c->pos++;
    }
    bool lazy = c->src[c->pos] == '?';
    if (lazy) c->pos++;
    if (c->src[c->pos] && strchr("*+?{", c->src[c->pos]))
        return tn__rx_fail(c, c->pos, "multiple repeat (possessive quantifiers are not supported)");
    if (kind == TN__RX_K_ZERO) return tn__rx_fail(c, qpos, "nothing to repeat");
    if (depth == 0) c->reversible = false;
    if (kind == TN__RX_K_GROUP) {
        int r = tn__rx_repeat_group(c, qpos, start, min, max, lazy, *nullable);
        *nullable = *nullable || min == 0;
        return r;
    }
    tn__rx_inst *in = tn__rx_prog(c) + start;
    in->sub = in->op;
    in->op = TN__RX_REP1;
    in->min = min;
    in->max = max;
    in->lazy = lazy;
    *nullable = min == 0;
    return 0;
}

TN__PRIVATE int tn__rx_seq(tn__rx_comp *c, int depth, bool *nullable) {
    *nullable = true;
    for (char ch; (ch = c->src[c->pos]) != 0 && ch != '|' && ch != ')';) {
        int start = TN__RX_NPROG(c), kind;
        bool n;
        if (tn__rx_atom(c, depth, &kind, &n)) return -1;
        ch = c->src[c->pos];
        if ((ch == '*' || ch == '+' || ch == '?' || ch == '{') && tn__rx_quantifier(c, depth, start, kind, &n))
            return -1;
        *nullable = *nullable && n;
    }
    return 0;
}

// A|B|C compiles to: SPLIT L2; A; JMP end; L2: SPLIT L3; B; JMP end; L3: C; end:
// Each SPLIT is inserted in front of its alternative once a '|' follows it.
TN__PRIVATE int tn__rx_alt(tn__rx_comp *c, int depth, bool *nullable) {
    int start = TN__RX_NPROG(c), chain = -1;
    *nullable = false;
    for (;;) {
        bool n;
        if (tn__rx_seq(c, depth, &n)) return -1;
        *nullable = *nullable || n;
        if (c->src[c->pos] != '|') break;
        c->pos++;
        if (depth == 0) c->reversible = false;
        // Until `end` is known, the pending JMPs are chained through their x.
        if (tn__rx_insert(c, start, TN__RX_SPLIT) || tn__rx_emit(c, TN__RX_JMP, 0, chain)) return -1;
        chain = TN__RX_NPROG(c) - 1;
        tn__rx_prog(c)[start].x = TN__RX_NPROG(c) - start;
        start = TN__RX_NPROG(c);
    }
    tn__rx_inst *prog = tn__rx_prog(c);
    for (int j = chain; j >= 0;) {
        int next = prog[j].x;
        prog[j].x = TN__RX_NPROG(c) - j;
        j = next;
    }
    return 0;
}

// Mark slots go after the capture slots, whose number is known only now.
TN__PRIVATE void tn__rx_renumber(tn__rx_comp *c) {
    tn__rx_inst *prog = tn__rx_prog(c);
    for (int i = 0; i < TN__RX_NPROG(c); i++) {
        unsigned op = prog[i].op, arg = prog[i].arg;
        if ((op == TN__RX_MARK || op == TN__RX_REPEAT || op == TN__RX_SKIP) && arg != TN__RX_NOREG)
            prog[i].arg = (uint16_t)(arg - TN__RX_MARK_BASE + 2u * (unsigned)c->ngroups);
    }
}

TN__PRIVATE size_t tn__rx_align(size_t n) { return (n + 7) & ~(size_t)7; }

// Copies the compiler's tables into one allocation.
TN__PRIVATE tn_route_pattern *tn__rx_pack(tn__rx_comp *c) {
    size_t src_len = strlen(c->src);
    size_t o_prog = tn__rx_align(sizeof(tn_route_pattern));
    size_t o_holes = tn__rx_align(o_prog + c->prog.len);
    size_t o_names_off = tn__rx_align(o_holes + c->holes.len);
    size_t o_warned = tn__rx_align(o_names_off + c->name_off.len);
    size_t o_sets = o_warned + sizeof(int);
    size_t o_names = o_sets + c->sets.len;
    size_t o_tmpl = o_names + c->names.len;
    size_t o_src = o_tmpl + c->tmpl.len;
    char *mem = TN__CAST(char *, tn__calloc(1, o_src + src_len + 1));
    if (!mem) return NULL;
    tn_route_pattern *p = TN__CAST(tn_route_pattern *, (void *)(mem));
    // memcpy from an empty tn_buf would pass NULL: copy only what exists.
#define TN__RX_COPY(off, buf) if ((buf).len) memcpy(mem + (off), (buf).data, (buf).len)
    TN__RX_COPY(o_prog, c->prog);
    TN__RX_COPY(o_holes, c->holes);
    TN__RX_COPY(o_names_off, c->name_off);
    TN__RX_COPY(o_sets, c->sets);
    TN__RX_COPY(o_names, c->names);
    TN__RX_COPY(o_tmpl, c->tmpl);
#undef TN__RX_COPY
    memcpy(mem + o_src, c->src, src_len + 1);
    p->prog = TN__CAST(const tn__rx_inst *, (void *)(mem + o_prog));
    p->holes = TN__CAST(const size_t *, (void *)(mem + o_holes));
    p->name_off = TN__CAST(const int32_t *, (void *)(mem + o_names_off));
    p->warned = TN__CAST(int *, (void *)(mem + o_warned));
    p->sets = TN__CAST(const unsigned char *, (void *)(mem + o_sets));
    p->names = mem + o_names;
    p->tmpl = mem + o_tmpl;
    p->tmpl_len = c->tmpl.len;
    p->source = mem + o_src;
    p->ngroups = c->ngroups;
    p->nslots = 2 * c->ngroups + c->nslots_extra;
    p->reversible = c->reversible && c->holes.len / sizeof(size_t) == (size_t)c->ngroups;
    return p;
}

TN_API int tn_route_compile(tn_route_pattern **out, const char *pattern) {
    *out = NULL;
    if (!pattern) return TN_EINVAL;
    tn__rx_comp c;
    memset(&c, 0, sizeof c);
    c.src = pattern;
    c.reversible = true;
    bool nullable;
    if (!tn__rx_alt(&c, 0, &nullable) && c.src[c.pos] == ')') tn__rx_fail(&c, c.pos, "unbalanced parenthesis");
    if (!c.err) tn__rx_emit(&c, TN__RX_MATCH, 0, 0);
    if (!c.err) {
        tn__rx_renumber(&c);
        *out = tn__rx_pack(&c);
        if (!*out) tn__rx_fail(&c, 0, "out of memory");
    }
    tn_buf_free(&c.prog);
    tn_buf_free(&c.sets);
    tn_buf_free(&c.names);
    tn_buf_free(&c.name_off);
    tn_buf_free(&c.tmpl);
    tn_buf_free(&c.holes);
    if (!c.err) return 0;
    TN__LOGE("route pattern \"%s\": %s at column %zu", pattern, c.err, c.err_pos + 1);
    return strcmp(c.err, "out of memory") == 0 ? TN_ENOMEM : TN_EINVAL;
}

TN_API void tn_route_free(tn_route_pattern *p) { tn__free(p); }

// ---- matcher

enum { TN__RX_F_PC, TN__RX_F_UNDO, TN__RX_F_REP };

// A backtrack entry: resume at pc with sp = a; restore slot pc to a; or give
// REP1 at pc one byte less (greedy, down to b) or one more (lazy, up to b).
typedef struct tn__rx_frame {
    uint32_t tag, pc;
    size_t a, b;
} tn__rx_frame;

typedef struct tn__rx_vm {
    const tn_route_pattern *p;
    const unsigned char *s;
    size_t len;
    size_t *slots;
    tn__rx_frame *stack;
    size_t depth, cap;
    bool heap;
} tn__rx_vm;

TN__PRIVATE int tn__rx_push(tn__rx_vm *m, uint32_t tag, uint32_t pc, size_t a, size_t b) {
    if (m->depth == m->cap) {
        size_t cap = m->cap * 2;
        tn__rx_frame *st = TN__CAST(tn__rx_frame *, tn__malloc(cap * sizeof *st));
        if (!st) return -1;
        memcpy(st, m->stack, m->depth * sizeof *st);
        if (m->heap) tn__free(m->stack);
        m->stack = st;
        m->cap = cap;
        m->heap = true;
    }
    tn__rx_frame *f = &m->stack[m->depth++];
    f->tag = tag;
    f->pc = pc;
    f->a = a;
    f->b = b;
    return 0;
}

TN__PRIVATE bool tn__rx_at_boundary(const tn__rx_vm *m, size_t sp) {
    bool before = sp > 0 && tn__rx_is_word(m->s[sp - 1]);
    bool after = sp < m->len && tn__rx_is_word(m->s[sp]);
    return before != after;
}

// Runs REP1 at pc from sp: consumes its minimum (lazy) or as many bytes as
// it can (greedy) and leaves a frame to try the other counts on backtrack.
TN__PRIVATE int tn__rx_rep1(tn__rx_vm *m, uint32_t pc, size_t *sp, size_t *steps) {
    const tn__rx_inst *in = &m->p->prog[pc];
    size_t room = m->len - *sp, most = in->max == TN__RX_INF || in->max > room ? room : in->max;
    size_t n = 0, want = in->lazy ? TN__MIN(most, (size_t)in->min) : most;
    while (n < want && tn__rx_one(m->p, in->sub, in->arg, m->s[*sp + n])) n++;
    *steps += n;
    if (n < in->min) return 0;
    size_t at = *sp;
    *sp += n;
    if (in->lazy ? n < most : n > in->min)
        return tn__rx_push(m, TN__RX_F_REP, pc, *sp, in->lazy ? at + most : at + in->min) ? -1 : 1;
    return 1;
}

// Pops frames until one gives a place to resume. Returns false when none is left.
TN__PRIVATE bool tn__rx_backtrack(tn__rx_vm *m, uint32_t *pc, size_t *sp) {
    while (m->depth) {
        tn__rx_frame *f = &m->stack[m->depth - 1];
        if (f->tag == TN__RX_F_UNDO) {
            m->slots[f->pc] = f->a;
            m->depth--;
            continue;
        }
        *pc = f->pc + (f->tag == TN__RX_F_REP);
        if (f->tag == TN__RX_F_PC) {
            *sp = f->a;
            m->depth--;
            return true;
        }
        const tn__rx_inst *in = &m->p->prog[f->pc];
        if (!in->lazy) {
            *sp = --f->a;
            if (f->a == f->b) m->depth--;
            return true;
        }
        if (!tn__rx_one(m->p, in->sub, in->arg, m->s[f->a])) {
            m->depth--;
            continue;
        }
        *sp = ++f->a;
        if (f->a == f->b) m->depth--;
        return true;
    }
    return false;
}

// 1 on a match, 0 on none, -1 when the budget or memory ran out.
TN__PRIVATE int tn__rx_run(tn__rx_vm *m) {
    const tn__rx_inst *prog = m->p->prog;
    size_t budget = TN_ROUTE_MAX_STEPS + (m->len > SIZE_MAX / 8 ? SIZE_MAX / 2 : 4 * m->len);
    size_t steps = 0, sp = 0;
    uint32_t pc = 0;
    for (;;) {
        if (++steps > budget) return -1;
        const tn__rx_inst *in = &prog[pc];
        bool ok = true;
        switch (in->op) {
        case TN__RX_CHAR: case TN__RX_ANY: case TN__RX_SET:
            ok = sp < m->len && tn__rx_one(m->p, in->op, in->arg, m->s[sp]);
            sp += ok;
            pc++;
            break;
        case TN__RX_REP1: {
            int r = tn__rx_rep1(m, pc, &sp, &steps);
            if (r < 0) return -1;
            ok = r > 0;
            pc++;
            break;
        }
        case TN__RX_SPLIT:
            if (tn__rx_push(m, TN__RX_F_PC, in->lazy ? pc + 1 : pc + (uint32_t)in->x, sp, 0)) return -1;
            pc = in->lazy ? pc + (uint32_t)in->x : pc + 1;
            break;
        case TN__RX_JMP:
            pc += (uint32_t)in->x;
            break;
        case TN__RX_SAVE: case TN__RX_MARK:
            if (tn__rx_push(m, TN__RX_F_UNDO, in->arg, m->slots[in->arg], 0)) return -1;
            m->slots[in->arg] = sp;
            pc++;
            break;
        case TN__RX_REPEAT:
            if (in->arg != TN__RX_NOREG && m->slots[in->arg] == sp) {
                pc++;  // an empty iteration ends the loop
            } else {
                uint32_t back = pc + (uint32_t)in->x;
                if (tn__rx_push(m, TN__RX_F_PC, in->lazy ? back : pc + 1, sp, 0)) return -1;
                pc = in->lazy ? pc + 1 : back;
            }
            break;
        case TN__RX_SKIP:
            pc += m->slots[in->arg] == sp ? (uint32_t)in->x : 1u;
            break;
        case TN__RX_BOL: ok = sp == 0; pc++; break;
        case TN__RX_EOL: ok = sp == m->len; pc++; break;
        case TN__RX_WORDB: ok = tn__rx_at_boundary(m, sp); pc++; break;
        case TN__RX_NWORDB: ok = m->len && !tn__rx_at_boundary(m, sp); pc++; break;  // Python: never on ""
        default:  // TN__RX_MATCH
            if (sp == m->len) return 1;
            ok = false;
        }
        if (!ok && !tn__rx_backtrack(m, &pc, &sp)) return 0;
    }
}

TN_API int tn_route_match(const tn_route_pattern *p, const char *path, size_t len, tn_str *groups,
                          int max_groups) {
    size_t slots_local[64];
    tn__rx_frame stack_local[64];
    tn__rx_vm m;
    m.p = p;
    m.s = TN__CAST(const unsigned char *, (const void *)(path ? path : ""));
    m.len = path ? len : 0;
    m.stack = stack_local;
    m.depth = 0;
    m.cap = TN__COUNTOF(stack_local);
    m.heap = false;
    m.slots = slots_local;
    if ((size_t)p->nslots > TN__COUNTOF(slots_local)) {
        m.slots = TN__CAST(size_t *, tn__malloc((size_t)p->nslots * sizeof(size_t)));
        if (!m.slots) {
            TN__LOGE("route pattern \"%s\": out of memory while matching", p->source);
            return -1;
        }
    }
    for (int i = 0; i < p->nslots; i++) m.slots[i] = TN__RX_UNSET;
    int r = tn__rx_run(&m);
    if (r < 0 && !TN__ATOMIC_XCHG(p->warned, 1))
        TN__LOGW("route pattern \"%s\": a path of %zu bytes needs too many steps (or memory) to match; "
                 "treated as no match (logged once)", p->source, len);
    int n = r > 0 ? TN__MAX(0, TN__MIN(max_groups, p->ngroups)) : -1;
    for (int i = 0; i < n; i++) {
        size_t a = m.slots[2 * i], b = m.slots[2 * i + 1];
        groups[i].ptr = a == TN__RX_UNSET || b == TN__RX_UNSET ? NULL : path + a;
        groups[i].len = groups[i].ptr ? b - a : 0;
    }
    if (m.heap) tn__free(m.stack);
    if (m.slots != slots_local) tn__free(m.slots);
    return n;
}

TN_API int tn_route_group_count(const tn_route_pattern *p) { return p->ngroups; }

TN_API const char *tn_route_group_name(const tn_route_pattern *p, int i) {
    return i < 0 || i >= p->ngroups || p->name_off[i] < 0 ? NULL : p->names + p->name_off[i];
}

TN_API int tn_route_group_index(const tn_route_pattern *p, const char *name) {
    for (int i = 0; i < p->ngroups; i++) {
        const char *n = tn_route_group_name(p, i);
        if (n && strcmp(n, name) == 0) return i;
    }
    return -1;
}

TN_API const char *tn_route_source(const tn_route_pattern *p) { return p->source; }

TN_API int tn_route_reverse(const tn_route_pattern *p, const char *const *args, int nargs, tn_buf *out) {
    if (!p->reversible || nargs != p->ngroups) return TN_EINVAL;
    size_t done = 0;
    for (int i = 0; i <= nargs; i++) {
        size_t upto = i < nargs ? p->holes[i] : p->tmpl_len;
        if (tn_buf_append(out, p->tmpl + done, upto - done)) return TN_ENOMEM;
        if (i < nargs && tn_buf_append_str(out, args[i])) return TN_ENOMEM;
        done = upto;
    }
    return 0;
}
