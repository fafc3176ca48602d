// >>template implementation
#include "base/internal.h"
#include "web/template.h"
#include "base/error.h"
#include "base/json.h"
#include "base/str.h"
#include "base/alloc_internal.h"
#include "base/error_internal.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "base/os_internal.h"  // O_CLOEXEC on Windows

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if TN_ENABLE_TEMPLATES  // the whole module (base/config.h)

enum { TN__T_TEXT, TN__T_EXPR, TN__T_IF, TN__T_ELIF, TN__T_ELSE, TN__T_FOR, TN__T_INCLUDE, TN__T_EXTENDS, TN__T_BLOCK };
enum { TN__TE_PATH, TN__TE_STR, TN__TE_CALL };
enum { TN__T_MAX_ARGS = 8 };
#define TN__T_NONE UINT32_MAX

// An expression; a call's arguments follow it in the array.
typedef struct tn__texpr {
    unsigned char kind, negate;
    unsigned short nargs;
    uint32_t str, len;  // in the pool: path text, string literal or function name
} tn__texpr;

// One node. TEXT: a, b = offset and length in the source. EXPR, IF, ELIF: a =
// expression. FOR: a = expression, b, c = variable names (c may be NONE).
// INCLUDE, EXTENDS, BLOCK: a = name. Branches of an if chain: next = the
// next branch (or end); every construct: end = the index past its body.
typedef struct tn__tnode {
    unsigned char kind, raw;
    int line, col;
    uint32_t a, b, c, next, end;
} tn__tnode;

struct tn_template {
    char *name;
    char *text;
    tn__tnode *nodes;
    uint32_t nnodes;
    size_t capnodes;
    tn__texpr *exprs;
    uint32_t nexprs;
    size_t capexprs;
    tn_buf pool;             // NUL-terminated names and literals
    uint32_t extends;        // the EXTENDS node, or NONE
    struct tn__tblockref *blocks;  // sorted by name, for lookups by derived templates
    uint32_t nblocks;
};

typedef struct tn__tblockref {
    const char *name;
    uint32_t node;
} tn__tblockref;

TN__PRIVATE int tn__tblock_cmp(const void *a, const void *b) {
    const tn__tblockref *x = TN__CAST(const tn__tblockref *, a), *y = TN__CAST(const tn__tblockref *, b);
    int c = strcmp(x->name, y->name);
    return c ? c : (x->node > y->node) - (x->node < y->node);
}

// ---- errors and positions

TN__PRIVATE void tn__terr(tn_template_error *err, const char *name, int line, int col, const char *fmt, ...)
    TN_PRINTF(5, 6);
TN__PRIVATE void tn__terr(tn_template_error *err, const char *name, int line, int col, const char *fmt, ...) {
    if (!err) return;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    err->line = line;
    err->col = col;
    snprintf(err->text, sizeof err->text, "%s:%d:%d: %s", name, line, col, msg);
}

typedef struct tn__tparser {
    tn_template *t;
    const char *s;
    size_t len, pos;
    size_t lc_off;           // line/col are known for this offset
    int lc_line, lc_col;
    tn_template_error *err;
    int rc;
} tn__tparser;

// Line and column of a source offset; offsets mostly grow, so resume from the last one.
TN__PRIVATE void tn__tlc(tn__tparser *p, size_t off, int *line, int *col) {
    if (off < p->lc_off) {
        p->lc_off = 0;
        p->lc_line = p->lc_col = 1;
    }
    for (; p->lc_off < off; p->lc_off++) {
        if (p->s[p->lc_off] == '\n') {
            p->lc_line++;
            p->lc_col = 1;
        } else {
            p->lc_col++;
        }
    }
    *line = p->lc_line;
    *col = p->lc_col;
}

TN__PRIVATE int tn__tperr(tn__tparser *p, size_t off, const char *fmt, const char *arg) {
    int line, col;
    tn__tlc(p, off, &line, &col);
    tn__terr(p->err, p->t->name, line, col, fmt, arg);
    return p->rc = TN_EPARSE;
}

TN__PRIVATE int tn__tnomem(tn__tparser *p) { return p->rc = TN_ENOMEM; }

// ---- building

TN__PRIVATE int tn__tnode_add(tn__tparser *p, int kind, size_t off, uint32_t *idx) {
    tn_template *t = p->t;
    if (tn__grow(&t->nodes, &t->capnodes, t->nnodes + 1u, sizeof *t->nodes, 16)) return tn__tnomem(p);
    tn__tnode *n = &t->nodes[t->nnodes];
    memset(n, 0, sizeof *n);
    n->kind = (unsigned char)kind;
    n->c = TN__T_NONE;
    tn__tlc(p, off, &n->line, &n->col);
    *idx = t->nnodes++;
    return 0;
}

TN__PRIVATE int tn__texpr_add(tn__tparser *p, int kind, uint32_t *idx) {
    tn_template *t = p->t;
    if (tn__grow(&t->exprs, &t->capexprs, t->nexprs + 1u, sizeof *t->exprs, 16)) return tn__tnomem(p);
    memset(&t->exprs[t->nexprs], 0, sizeof t->exprs[0]);
    t->exprs[t->nexprs].kind = (unsigned char)kind;
    *idx = t->nexprs++;
    return 0;
}

// Copies s[0..n) with a NUL into the pool; *off is where it starts.
TN__PRIVATE int tn__tpool(tn__tparser *p, const char *s, size_t n, uint32_t *off) {
    tn_buf *b = &p->t->pool;
    *off = (uint32_t)b->len;
    if (tn_buf_append(b, s, n) != 0 || tn_buf_append(b, "", 1) != 0) return tn__tnomem(p);
    return 0;
}

TN__PRIVATE const char *tn__tstr(const tn_template *t, uint32_t off) { return t->pool.data + off; }

TN__PRIVATE int tn__text_node(tn__tparser *p, size_t from, size_t to) {
    if (from == to) return 0;
    uint32_t i;
    if (tn__tnode_add(p, TN__T_TEXT, from, &i)) return p->rc;
    p->t->nodes[i].a = (uint32_t)from;
    p->t->nodes[i].b = (uint32_t)(to - from);
    return 0;
}

// ---- expressions

TN__PRIVATE bool tn__tspace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
TN__PRIVATE bool tn__tident0(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
TN__PRIVATE bool tn__tdigit(char c) { return c >= '0' && c <= '9'; }
TN__PRIVATE bool tn__tident(char c) { return tn__tident0(c) || tn__tdigit(c); }

TN__PRIVATE void tn__tskip(const char *s, size_t n, size_t *i) {
    while (*i < n && tn__tspace(s[*i])) (*i)++;
}

// Scans an identifier at s[*i]; false when there is none.
TN__PRIVATE bool tn__tscan_ident(const char *s, size_t n, size_t *i) {
    if (*i >= n || !tn__tident0(s[*i])) return false;
    while (*i < n && tn__tident(s[*i])) (*i)++;
    return true;
}

// A quoted string at s[*i] (no escapes); false when unterminated.
TN__PRIVATE bool tn__tscan_quoted(const char *s, size_t n, size_t *i) {
    char q = s[*i];
    const char *end = TN__CAST(const char *, memchr(s + *i + 1, q, n - *i - 1));
    if (!end) return false;
    *i = (size_t)(end - s) + 1;
    return true;
}

// A string literal or a dotted path at s[*i], appended as one expression.
// `base` is the offset of s in the source (for error positions).
TN__PRIVATE int tn__toperand(tn__tparser *p, const char *s, size_t n, size_t *i, size_t base, uint32_t *idx) {
    size_t start = *i;
    int kind;
    if (*i < n && (s[*i] == '"' || s[*i] == '\'')) {
        if (!tn__tscan_quoted(s, n, i)) return tn__tperr(p, base + start, "%s", "unterminated string");
        kind = TN__TE_STR;
        start++;
    } else {
        if (!tn__tscan_ident(s, n, i)) return tn__tperr(p, base + *i, "%s", "bad expression");
        while (*i < n && s[*i] == '.') {
            (*i)++;
            if (*i < n && tn__tdigit(s[*i])) {
                while (*i < n && tn__tdigit(s[*i])) (*i)++;
            } else if (!tn__tscan_ident(s, n, i)) {
                return tn__tperr(p, base + *i, "%s", "bad expression");
            }
        }
        kind = TN__TE_PATH;
    }
    size_t len = *i - start - (kind == TN__TE_STR ? 1 : 0);
    if (tn__texpr_add(p, kind, idx)) return p->rc;
    uint32_t off;
    if (tn__tpool(p, s + start, len, &off)) return p->rc;
    p->t->exprs[*idx].str = off;
    p->t->exprs[*idx].len = (uint32_t)len;
    return 0;
}

// A call's arguments after its '(' up to and past the ')'.
TN__PRIVATE int tn__targs(tn__tparser *p, const char *s, size_t n, size_t *i, size_t base, uint32_t call) {
    tn__tskip(s, n, i);
    if (*i < n && s[*i] == ')') {
        (*i)++;
        return 0;
    }
    for (;;) {
        uint32_t a;
        if (p->t->exprs[call].nargs == TN__T_MAX_ARGS) return tn__tperr(p, base + *i, "%s", "too many arguments");
        if (tn__toperand(p, s, n, i, base, &a)) return p->rc;
        p->t->exprs[call].nargs++;
        tn__tskip(s, n, i);
        if (*i < n && s[*i] == ')') {
            (*i)++;
            return 0;
        }
        if (*i >= n || s[*i] != ',') return tn__tperr(p, base + *i, "%s", "bad expression");
        (*i)++;
        tn__tskip(s, n, i);
    }
}

// Parses the whole of s[0..n) (the source at `base`) as one expression.
TN__PRIVATE int tn__texpr_parse(tn__tparser *p, const char *s, size_t n, size_t base, uint32_t *idx) {
    size_t i = 0;
    tn__tskip(s, n, &i);
    bool negate = n - i > 3 && memcmp(s + i, "not", 3) == 0 && tn__tspace(s[i + 3]);
    if (negate) {
        i += 3;
        tn__tskip(s, n, &i);
    }
    size_t name = i, j = i;
    if (i >= n) return tn__tperr(p, base + i, "%s", "Empty expression");
    if (tn__tscan_ident(s, n, &j) && j < n && s[j] == '(') {
        if (tn__texpr_add(p, TN__TE_CALL, idx)) return p->rc;
        uint32_t off;
        if (tn__tpool(p, s + name, j - name, &off)) return p->rc;
        p->t->exprs[*idx].str = off;
        p->t->exprs[*idx].len = (uint32_t)(j - name);
        i = j + 1;
        if (tn__targs(p, s, n, &i, base, *idx)) return p->rc;
    } else if (tn__toperand(p, s, n, &i, base, idx)) {
        return p->rc;
    }
    tn__tskip(s, n, &i);
    if (i != n) return tn__tperr(p, base + i, "%s", "bad expression");
    p->t->exprs[*idx].negate = negate;
    return 0;
}

// ---- tags

enum { TN__TERM_EOF, TN__TERM_END, TN__TERM_BRANCH };

TN__PRIVATE int tn__tbody(tn__tparser *p, int depth, int opener, int *term, uint32_t *branch);

// Parses a construct's body up to its {% end %}; `what` names it in errors.
TN__PRIVATE int tn__tblock_body(tn__tparser *p, int depth, uint32_t idx, int kind, const char *what) {
    int term;
    uint32_t branch;
    if (tn__tbody(p, depth + 1, kind, &term, &branch)) return p->rc;
    tn__tnode *n = &p->t->nodes[idx];
    if (term == TN__TERM_EOF) {
        tn__terr(p->err, p->t->name, n->line, n->col, "Missing {%% end %%} block for %s", what);
        return p->rc = TN_EPARSE;
    }
    n->end = p->t->nnodes;
    return 0;
}

TN__PRIVATE int tn__tif(tn__tparser *p, int depth, uint32_t idx) {
    uint32_t cur = idx;
    for (;;) {
        int term;
        uint32_t branch = 0;
        if (tn__tbody(p, depth + 1, p->t->nodes[cur].kind, &term, &branch)) return p->rc;
        if (term == TN__TERM_EOF) {
            tn__tnode *n = &p->t->nodes[idx];
            tn__terr(p->err, p->t->name, n->line, n->col, "%s", "Missing {% end %} block for if");
            return p->rc = TN_EPARSE;
        }
        p->t->nodes[cur].next = term == TN__TERM_END ? p->t->nnodes : branch;
        if (term == TN__TERM_END) break;
        cur = branch;
    }
    uint32_t end = p->t->nnodes;
    for (uint32_t i = idx; i < end; i = p->t->nodes[i].next) p->t->nodes[i].end = end;
    return 0;
}

// `x in expr` or `k, v in expr` of a for tag whose arguments start at `base`.
TN__PRIVATE int tn__tfor(tn__tparser *p, int depth, const char *s, size_t n, size_t base, size_t tag) {
    size_t i = 0, v1, v1e, v2 = 0, v2e = 0;
    tn__tskip(s, n, &i);
    v1 = i;
    if (!tn__tscan_ident(s, n, &i)) return tn__tperr(p, base + i, "%s", "expected: for NAME in EXPR");
    v1e = i;
    tn__tskip(s, n, &i);
    if (i < n && s[i] == ',') {
        i++;
        tn__tskip(s, n, &i);
        v2 = i;
        if (!tn__tscan_ident(s, n, &i)) return tn__tperr(p, base + i, "%s", "expected: for KEY, VALUE in EXPR");
        v2e = i;
        tn__tskip(s, n, &i);
    }
    if (n - i < 2 || memcmp(s + i, "in", 2) != 0 || (n - i > 2 && !tn__tspace(s[i + 2])))
        return tn__tperr(p, base + i, "%s", "expected: for NAME in EXPR");
    i += 2;
    uint32_t idx, e, off;
    if (tn__tnode_add(p, TN__T_FOR, tag, &idx) || tn__texpr_parse(p, s + i, n - i, base + i, &e)) return p->rc;
    p->t->nodes[idx].a = e;
    if (tn__tpool(p, s + v1, v1e - v1, &off)) return p->rc;
    p->t->nodes[idx].b = off;
    if (v2e) {
        if (tn__tpool(p, s + v2, v2e - v2, &off)) return p->rc;
        p->t->nodes[idx].c = off;
    }
    return tn__tblock_body(p, depth, idx, TN__T_FOR, "for");
}

// A node named by the tag's argument: a quoted string (include, extends) or a word (block).
TN__PRIVATE int tn__tnamed(tn__tparser *p, int kind, const char *s, size_t n, size_t base, size_t tag, uint32_t *idx) {
    size_t i = 0, start, len;
    tn__tskip(s, n, &i);
    start = i;
    if (kind == TN__T_BLOCK) {
        if (!tn__tscan_ident(s, n, &i)) return tn__tperr(p, base + i, "%s", "expected a block name");
        len = i - start;
    } else {
        if (i >= n || (s[i] != '"' && s[i] != '\'') || !tn__tscan_quoted(s, n, &i) || i - start < 3)
            return tn__tperr(p, base + start, "%s", "expected a quoted template name");
        start++;
        len = i - start - 1;
    }
    tn__tskip(s, n, &i);
    if (i != n) return tn__tperr(p, base + i, "%s", "unexpected text after the name");
    uint32_t off;
    if (tn__tnode_add(p, kind, tag, idx) || tn__tpool(p, s + start, len, &off)) return p->rc;
    p->t->nodes[*idx].a = off;
    return 0;
}

// One {% ... %} tag: `op` is its first word, s[0..n) the rest at source offset `base`.
TN__PRIVATE int tn__ttag(tn__tparser *p, int depth, int opener, size_t tag, tn_str op, const char *s, size_t n,
                         size_t base, int *term, uint32_t *branch) {
    uint32_t idx, e;
    size_t rest = 0;
    tn__tskip(s, n, &rest);
    if ((tn_str_eq(op, "end") || tn_str_eq(op, "else")) && rest != n)
        return tn__tperr(p, base + rest, "unexpected text after %s", op.ptr[1] == 'n' ? "end" : "else");
    if (tn_str_eq(op, "end")) {
        if (opener == TN__T_TEXT) return tn__tperr(p, tag, "%s", "Extra {% end %} block");
        *term = TN__TERM_END;
        return 0;
    }
    if (tn_str_eq(op, "elif") || tn_str_eq(op, "else")) {
        bool elif = op.len == 4 && op.ptr[2] == 'i';
        if (opener != TN__T_IF && opener != TN__T_ELIF) return tn__tperr(p, tag, "%s outside if block", elif ? "elif" : "else");
        if (tn__tnode_add(p, elif ? TN__T_ELIF : TN__T_ELSE, tag, branch)) return p->rc;
        if (elif) {
            if (tn__texpr_parse(p, s, n, base, &e)) return p->rc;
            p->t->nodes[*branch].a = e;
        }
        *term = TN__TERM_BRANCH;
        return 0;
    }
    if (depth >= TN_TEMPLATE_MAX_NESTING) return tn__tperr(p, tag, "%s", "blocks nested too deeply");
    if (tn_str_eq(op, "raw") || tn_str_eq(op, "if")) {
        bool raw = op.len == 3;
        if (tn__tnode_add(p, raw ? TN__T_EXPR : TN__T_IF, tag, &idx) || tn__texpr_parse(p, s, n, base, &e)) return p->rc;
        p->t->nodes[idx].a = e;
        p->t->nodes[idx].raw = raw;
        return raw ? 0 : tn__tif(p, depth, idx);
    }
    if (tn_str_eq(op, "for")) return tn__tfor(p, depth, s, n, base, tag);
    if (tn_str_eq(op, "include")) return tn__tnamed(p, TN__T_INCLUDE, s, n, base, tag, &idx);
    if (tn_str_eq(op, "block")) {
        if (tn__tnamed(p, TN__T_BLOCK, s, n, base, tag, &idx)) return p->rc;
        p->t->nblocks++;
        return tn__tblock_body(p, depth, idx, TN__T_BLOCK, "block");
    }
    if (tn_str_eq(op, "extends")) {
        if (p->t->extends != TN__T_NONE) return tn__tperr(p, tag, "%s", "more than one extends");
        if (tn__tnamed(p, TN__T_EXTENDS, s, n, base, tag, &idx)) return p->rc;
        p->t->extends = idx;
        return 0;
    }
    char word[40];
    snprintf(word, sizeof word, "%.*s", (int)TN__MIN(op.len, 32), op.ptr);
    return tn__tperr(p, tag, "unknown operator: '%s'", word);
}

// What follows "{x" at `at` up to its closer: the content range, or an error.
TN__PRIVATE int tn__tclose(tn__tparser *p, size_t at, char kind, size_t *end) {
    static const char *const closers[] = {"}}", "%}", "#}"};
    static const char *const missing[] = {"Missing end expression }}", "Missing end block %}", "Missing end comment #}"};
    int k = kind == '{' ? 0 : kind == '%' ? 1 : 2;
    for (size_t i = at + 2; i + 1 < p->len; i++) {
        if (p->s[i] == closers[k][0] && p->s[i + 1] == closers[k][1]) {
            *end = i;
            return 0;
        }
    }
    return tn__tperr(p, at, "%s", missing[k]);
}

// The start of the next "{{", "{%" or "{#" at or after `from`, or len.
TN__PRIVATE size_t tn__tnext(const tn__tparser *p, size_t from) {
    for (size_t i = from; i + 1 < p->len; i++) {
        const char *b = TN__CAST(const char *, memchr(p->s + i, '{', p->len - i - 1));
        if (!b) break;
        i = (size_t)(b - p->s);
        if (b[1] == '{' || b[1] == '%' || b[1] == '#') return i;
    }
    return p->len;
}

// Parses nodes until the end of the source or a tag that closes `opener`
// (TN__T_TEXT at the top level): *term tells which, *branch the new
// elif/else node.
TN__PRIVATE int tn__tbody(tn__tparser *p, int depth, int opener, int *term, uint32_t *branch) {
    for (;;) {
        size_t at = tn__tnext(p, p->pos);
        if (tn__text_node(p, p->pos, at)) return p->rc;
        if (at == p->len) {
            p->pos = at;
            *term = TN__TERM_EOF;
            return 0;
        }
        char kind = p->s[at + 1];
        if (at + 2 < p->len && p->s[at + 2] == '!') {  // {{! prints {{
            if (tn__text_node(p, at, at + 2)) return p->rc;
            p->pos = at + 3;
            continue;
        }
        size_t cend = 0;
        if (tn__tclose(p, at, kind, &cend)) return p->rc;
        p->pos = cend + 2;
        if (kind == '#') continue;
        size_t b = at + 2, e = cend;
        while (b < e && tn__tspace(p->s[b])) b++;
        while (e > b && tn__tspace(p->s[e - 1])) e--;
        if (kind == '{') {
            uint32_t idx, x;
            if (b == e) return tn__tperr(p, at, "%s", "Empty expression");
            if (tn__tnode_add(p, TN__T_EXPR, at, &idx) || tn__texpr_parse(p, p->s + b, e - b, b, &x)) return p->rc;
            p->t->nodes[idx].a = x;
            continue;
        }
        if (b == e) return tn__tperr(p, at, "%s", "Empty block tag ({% %})");
        size_t w = b;
        while (w < e && !tn__tspace(p->s[w])) w++;
        *term = TN__TERM_EOF;
        if (tn__ttag(p, depth, opener, at, tn__str_n(p->s + b, w - b), p->s + w, e - w, w, term, branch)) return p->rc;
        if (*term != TN__TERM_EOF) return 0;
    }
}

// Sorts the blocks by name. A name defined twice is an error (reported at
// its first repetition): it could make a block contain itself.
TN__PRIVATE int tn__tblock_index(tn__tparser *p) {
    tn_template *t = p->t;
    if (!t->nblocks) return 0;
    t->blocks = TN__CAST(tn__tblockref *, tn__malloc(t->nblocks * sizeof *t->blocks));
    if (!t->blocks) return tn__tnomem(p);
    uint32_t n = 0, dup = TN__T_NONE;
    for (uint32_t i = 0; i < t->nnodes; i++) {
        if (t->nodes[i].kind != TN__T_BLOCK) continue;
        t->blocks[n].name = tn__tstr(t, t->nodes[i].a);
        t->blocks[n++].node = i;
    }
    qsort(t->blocks, n, sizeof *t->blocks, tn__tblock_cmp);
    for (uint32_t i = 1; i < n; i++)
        if (strcmp(t->blocks[i - 1].name, t->blocks[i].name) == 0 && t->blocks[i].node < dup) dup = t->blocks[i].node;
    if (dup == TN__T_NONE) return 0;
    const tn__tnode *d = &t->nodes[dup];
    tn__terr(p->err, t->name, d->line, d->col, "duplicate block '%s'", tn__tstr(t, d->a));
    return p->rc = TN_EPARSE;
}

TN_API int tn_template_parse(const char *name, const char *text, size_t len, tn_template **out, tn_template_error *err) {
    *out = NULL;
    if (err) memset(err, 0, sizeof *err);
    if (len > UINT32_MAX / 4) return TN_EMSGSIZE;  // offsets into the source and pool are 32-bit
    tn_template *t = TN__CAST(tn_template *, tn__calloc(1, sizeof *t));
    if (!t) return TN_ENOMEM;
    t->extends = TN__T_NONE;
    t->name = tn__strdup(name ? name : "<string>");
    t->text = TN__CAST(char *, tn__malloc(len + 1));
    if (!t->name || !t->text) {
        tn_template_free(t);
        return TN_ENOMEM;
    }
    if (len) memcpy(t->text, text, len);
    t->text[len] = '\0';
    tn__tparser p;
    memset(&p, 0, sizeof p);
    p.t = t;
    p.s = t->text;
    p.len = len;
    p.lc_line = p.lc_col = 1;
    p.err = err;
    int term;
    uint32_t branch;
    if (tn__tbody(&p, 0, TN__T_TEXT, &term, &branch) != 0 || tn__tblock_index(&p) != 0) {
        tn_template_free(t);
        return p.rc;
    }
    *out = t;
    return 0;
}

TN_API const char *tn_template_name(const tn_template *t) { return t->name; }

TN_API void tn_template_free(tn_template *t) {
    if (!t) return;
    tn__free(t->name);
    tn__free(t->text);
    tn__free(t->nodes);
    tn__free(t->exprs);
    tn_buf_free(&t->pool);
    tn__free(t->blocks);
    tn__free(t);
}

// ---- rendering

enum { TN__TV_NONE, TN__TV_JSON, TN__TV_STR, TN__TV_BOOL };

// A value during rendering: a JSON value, a string (an object's key, a
// literal, a call's result) or a bool (`not`).
typedef struct tn__tval {
    int kind;
    const tn_json_value *json;
    tn_str str;
    bool b;
} tn__tval;

// Loop variables, innermost first.
typedef struct tn__tscope {
    const char *name;
    tn__tval val;
    const struct tn__tscope *up;
} tn__tscope;

// The templates of one extends chain, most derived first: blocks take their content from here.
typedef struct tn__tchain {
    const tn_template *t[TN_TEMPLATE_MAX_DEPTH];
    int n;
} tn__tchain;

typedef struct tn__trender {
    const tn_template_env *env;
    const tn_json_value *ctx;
    tn_buf *out;
    tn_template_error *err;
    int depth;               // templates entered by include and extends
    size_t steps;            // nodes visited, bounded by TN_TEMPLATE_MAX_STEPS
    tn_buf call;             // the current call's result
    tn_buf args;             // the current call's arguments, NUL-terminated
    tn_buf json;             // an array or object being printed
} tn__trender;

TN__PRIVATE int tn__trerr(tn__trender *r, const tn_template *t, const tn__tnode *n, const char *fmt, const char *arg) {
    tn__terr(r->err, t->name, n->line, n->col, fmt, arg);
    return TN_EINVAL;
}

TN__PRIVATE const tn__tval *tn__tscope_find(const tn__tscope *s, const char *name, size_t len) {
    for (; s; s = s->up)
        if (strlen(s->name) == len && memcmp(s->name, name, len) == 0) return &s->val;
    return NULL;
}

// One step of a dotted path: a member of an object, or an element of an array by index.
TN__PRIVATE tn__tval tn__tmember(tn__tval v, const char *seg, size_t len) {
    tn__tval none;
    memset(&none, 0, sizeof none);
    if (v.kind != TN__TV_JSON) return none;
    if (tn_json_type(v.json) == TN_JSON_ARRAY && tn__tdigit(seg[0])) {
        size_t i = 0;
        for (size_t k = 0; k < len; k++) {
            if (i > SIZE_MAX / 10 - 1) return none;
            i = i * 10 + (size_t)(seg[k] - '0');
        }
        v.json = tn_json_at(v.json, i);
    } else {
        v.json = tn_json_getn(v.json, seg, len);
    }
    return v.json ? v : none;
}

TN__PRIVATE int tn__tpath(tn__trender *r, const tn_template *t, const tn__tnode *n, const tn__tscope *sc,
                          const tn__texpr *e, tn__tval *out) {
    const char *p = tn__tstr(t, e->str), *end = p + e->len;
    const char *dot = TN__CAST(const char *, memchr(p, '.', e->len));
    size_t first = dot ? (size_t)(dot - p) : e->len;
    const tn__tval *bound = tn__tscope_find(sc, p, first);
    memset(out, 0, sizeof *out);
    if (bound) {
        *out = *bound;
    } else if ((out->json = tn_json_getn(r->ctx, p, first)) != NULL) {
        out->kind = TN__TV_JSON;
    } else {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)TN__MIN(first, 48), p);
        return tn__trerr(r, t, n, "name '%s' is not defined", name);
    }
    for (p += first; p < end && out->kind != TN__TV_NONE;) {
        p++;  // the dot
        dot = TN__CAST(const char *, memchr(p, '.', (size_t)(end - p)));
        size_t len = dot ? (size_t)(dot - p) : (size_t)(end - p);
        *out = tn__tmember(*out, p, len);
        p += len;
    }
    return 0;
}

// An argument of a call as text: a string, or a number's JSON text.
TN__PRIVATE bool tn__targ_text(const tn__tval *v, tn_str *out) {
    if (v->kind == TN__TV_STR) {
        *out = v->str;
        return true;
    }
    if (v->kind != TN__TV_JSON) return false;
    *out = tn_json_type(v->json) == TN_JSON_NUMBER ? tn_json_num_text(v->json) : tn_json_str(v->json);
    return out->ptr != NULL;
}

TN__PRIVATE int tn__teval(tn__trender *r, const tn_template *t, const tn__tnode *n, const tn__tscope *sc,
                          uint32_t ei, tn__tval *out);

TN__PRIVATE int tn__tcall(tn__trender *r, const tn_template *t, const tn__tnode *n, const tn__tscope *sc,
                          uint32_t ei, tn__tval *out) {
    const tn__texpr *e = &t->exprs[ei];
    const char *fn = tn__tstr(t, e->str);
    tn_str args[TN__T_MAX_ARGS];
    size_t offs[TN__T_MAX_ARGS];
    tn_buf_clear(&r->args);
    for (int i = 0; i < e->nargs; i++) {
        tn__tval v;
        tn_str s;
        int rc = tn__teval(r, t, n, sc, ei + 1 + (uint32_t)i, &v);
        if (rc) return rc;
        if (!tn__targ_text(&v, &s)) return tn__trerr(r, t, n, "an argument of %s() is not a string or number", fn);
        offs[i] = r->args.len;
        args[i].len = s.len;
        if (tn_buf_append(&r->args, s.ptr, s.len) || tn_buf_append(&r->args, "", 1)) return TN_ENOMEM;
    }
    for (int i = 0; i < e->nargs; i++) args[i].ptr = r->args.data + offs[i];
    tn_buf_clear(&r->call);
    int rc = r->env && r->env->call ? r->env->call(r->env->user_data, fn, args, e->nargs, &r->call) : TN_ENOENT;
    if (rc == TN_ENOENT) return tn__trerr(r, t, n, "unknown function '%s'", fn);
    if (rc == TN_ENOMEM) return rc;
    if (rc) {
        char msg[120];
        snprintf(msg, sizeof msg, "%.60s(): %s", fn, tn_strerror(rc));
        return tn__trerr(r, t, n, "%s", msg);
    }
    out->kind = TN__TV_STR;
    out->str = tn__str_n(r->call.data ? r->call.data : "", r->call.len);
    return 0;
}

TN__PRIVATE bool tn__ttruthy(const tn__tval *v) {
    double d;
    switch (v->kind) {
    case TN__TV_BOOL: return v->b;
    case TN__TV_STR: return v->str.len > 0;
    case TN__TV_JSON:
        switch (tn_json_type(v->json)) {
        case TN_JSON_BOOL: return tn_json_bool(v->json);
        case TN_JSON_NUMBER: return tn_json_num(v->json, &d) != 0 || d != 0;
        case TN_JSON_STRING: case TN_JSON_ARRAY: case TN_JSON_OBJECT: return tn_json_len(v->json) > 0;
        default: return false;
        }
    default: return false;
    }
}

TN__PRIVATE int tn__teval(tn__trender *r, const tn_template *t, const tn__tnode *n, const tn__tscope *sc,
                          uint32_t ei, tn__tval *out) {
    const tn__texpr *e = &t->exprs[ei];
    int rc = 0;
    memset(out, 0, sizeof *out);
    if (e->kind == TN__TE_STR) {
        out->kind = TN__TV_STR;
        out->str = tn__str_n(tn__tstr(t, e->str), e->len);
    } else if (e->kind == TN__TE_PATH) {
        rc = tn__tpath(r, t, n, sc, e, out);
    } else {
        rc = tn__tcall(r, t, n, sc, ei, out);
    }
    if (!rc && e->negate) {
        out->b = !tn__ttruthy(out);
        out->kind = TN__TV_BOOL;
    }
    return rc;
}

TN_API int tn_xhtml_escape(tn_buf *out, const char *s, size_t n) {
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        if (tn_buf_append(out, s + run, i - run) || tn_buf_append_str(out, rep)) return TN_ENOMEM;
        run = i + 1;
    }
    return tn_buf_append(out, s + run, n - run);
}

TN__PRIVATE int tn__tprint(tn__trender *r, const tn__tval *v, bool raw) {
    tn_str s = tn__str_n("", 0);
    if (v->kind == TN__TV_BOOL) {
        s = tn_str_c(v->b ? "true" : "false");
    } else if (v->kind == TN__TV_STR) {
        s = v->str;
    } else if (v->kind == TN__TV_JSON) {
        switch (tn_json_type(v->json)) {
        case TN_JSON_STRING: s = tn_json_str(v->json); break;
        case TN_JSON_NUMBER: s = tn_json_num_text(v->json); break;
        case TN_JSON_BOOL: s = tn_str_c(tn_json_bool(v->json) ? "true" : "false"); break;
        case TN_JSON_ARRAY: case TN_JSON_OBJECT: {
            tn_json_writer w;
            tn_buf_clear(&r->json);
            tn_json_writer_init(&w, &r->json);
            tn_json_write_value(&w, v->json);
            int rc = tn_json_writer_finish(&w);
            if (rc) return rc;
            s = tn__str_n(r->json.data, r->json.len);
            break;
        }
        default: break;
        }
    }
    return raw ? tn_buf_append(r->out, s.ptr, s.len) : tn_xhtml_escape(r->out, s.ptr, s.len);
}

TN__PRIVATE int tn__trender_template(tn__trender *r, const tn_template *t, const tn__tnode *at, const tn_template *from,
                                     const tn__tscope *sc);
TN__PRIVATE int tn__trange(tn__trender *r, const tn__tchain *ch, const tn_template *t, uint32_t i, uint32_t to,
                           const tn__tscope *sc);

TN__PRIVATE int tn__tfor_render(tn__trender *r, const tn__tchain *ch, const tn_template *t, uint32_t i,
                                const tn__tscope *sc) {
    const tn__tnode *n = &t->nodes[i];
    tn__tval v;
    int rc = tn__teval(r, t, n, sc, n->a, &v);
    if (rc) return rc;
    tn_json_kind k = v.kind == TN__TV_JSON ? tn_json_type(v.json) : TN_JSON_NONE;
    if (v.kind == TN__TV_NONE || k == TN_JSON_NULL) return 0;
    if (k != TN_JSON_ARRAY && k != TN_JSON_OBJECT)
        return tn__trerr(r, t, n, "%s", "for: the value is not a list or an object");
    if (k == TN_JSON_ARRAY && n->c != TN__T_NONE) return tn__trerr(r, t, n, "%s", "for: two names need an object");
    tn__tscope s1, s2;
    memset(&s1, 0, sizeof s1);
    memset(&s2, 0, sizeof s2);
    s1.name = tn__tstr(t, n->b);
    s1.up = sc;
    s2.up = &s1;
    s2.name = n->c != TN__T_NONE ? tn__tstr(t, n->c) : "";
    for (size_t j = 0; j < tn_json_len(v.json) && !rc; j++) {
        if (k == TN_JSON_ARRAY) {
            s1.val.kind = TN__TV_JSON;
            s1.val.json = tn_json_at(v.json, j);
        } else {
            s1.val.kind = TN__TV_STR;
            s1.val.str = tn_json_key_at(v.json, j);
            s2.val.kind = TN__TV_JSON;
            s2.val.json = tn_json_at(v.json, j);
        }
        rc = tn__trange(r, ch, t, i + 1, n->end, n->c != TN__T_NONE ? &s2 : &s1);
    }
    return rc;
}

TN__PRIVATE int tn__tblock_name_cmp(const void *a, const void *b) {
    const tn__tblockref *x = TN__CAST(const tn__tblockref *, a), *y = TN__CAST(const tn__tblockref *, b);
    return strcmp(x->name, y->name);
}

// The content of block `name`: the most derived template in the chain that defines it.
TN__PRIVATE int tn__tblock_render(tn__trender *r, const tn__tchain *ch, const tn_template *t, uint32_t i,
                                  const tn__tscope *sc) {
    tn__tblockref key;
    key.name = tn__tstr(t, t->nodes[i].a);
    key.node = 0;
    for (int c = 0; c < ch->n; c++) {
        const tn_template *d = ch->t[c];
        if (!d->nblocks) continue;
        const tn__tblockref *b = TN__CAST(const tn__tblockref *,
                                          bsearch(&key, d->blocks, d->nblocks, sizeof key, tn__tblock_name_cmp));
        if (b) return tn__trange(r, ch, d, b->node + 1, d->nodes[b->node].end, sc);
    }
    return tn__trange(r, ch, t, i + 1, t->nodes[i].end, sc);
}

TN__PRIVATE int tn__tif_render(tn__trender *r, const tn__tchain *ch, const tn_template *t, uint32_t i,
                               const tn__tscope *sc) {
    for (uint32_t end = t->nodes[i].end; i < end; i = t->nodes[i].next) {
        const tn__tnode *n = &t->nodes[i];
        if (n->kind != TN__T_ELSE) {
            tn__tval v;
            int rc = tn__teval(r, t, n, sc, n->a, &v);
            if (rc) return rc;
            if (!tn__ttruthy(&v)) continue;
        }
        return tn__trange(r, ch, t, i + 1, n->next, sc);
    }
    return 0;
}

// Renders nodes [i, to) of t.
TN__PRIVATE int tn__trange(tn__trender *r, const tn__tchain *ch, const tn_template *t, uint32_t i, uint32_t to,
                           const tn__tscope *sc) {
    int rc = 0;
    while (i < to && !rc) {
        const tn__tnode *n = &t->nodes[i];
        tn__tval v;
        if (++r->steps > TN_TEMPLATE_MAX_STEPS)
            return tn__trerr(r, t, n, "%s", "rendering takes over TN_TEMPLATE_MAX_STEPS steps");
        switch (n->kind) {
        case TN__T_TEXT: rc = tn_buf_append(r->out, t->text + n->a, n->b); break;
        case TN__T_EXPR:
            rc = tn__teval(r, t, n, sc, n->a, &v);
            if (!rc) rc = tn__tprint(r, &v, n->raw);
            break;
        case TN__T_IF: rc = tn__tif_render(r, ch, t, i, sc); break;
        case TN__T_FOR: rc = tn__tfor_render(r, ch, t, i, sc); break;
        case TN__T_BLOCK: rc = tn__tblock_render(r, ch, t, i, sc); break;
        case TN__T_INCLUDE: rc = tn__trender_template(r, NULL, n, t, sc); break;
        default: break;  // extends: handled by tn__trender_template
        }
        i = n->kind == TN__T_TEXT || n->kind == TN__T_EXPR || n->kind == TN__T_INCLUDE || n->kind == TN__T_EXTENDS
                ? i + 1 : n->end;
    }
    return rc;
}

// Tornado's resolve_path: an include or extends name is relative to the
// folder of the template that names it ("../x" climbs, never above the
// root), "/x" starts at the root. False when it climbs out or is too long;
// the loader checks the rest.
TN__PRIVATE bool tn__tresolve(const char *from, const char *name, char *out, size_t cap) {
    size_t len = 0;
    const char *slash = strrchr(from, '/');
    if (name[0] == '/') name++;
    else if (slash) len = (size_t)(slash - from) + 1;
    if (len >= cap) return false;
    memcpy(out, from, len);
    for (const char *p = name;;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {  // drop the last folder of out
            if (len == 0) return false;
            for (len--; len > 0 && out[len - 1] != '/';) len--;
        } else if (!(n == 1 && p[0] == '.')) {
            if (len + n + 1 >= cap) return false;
            memcpy(out + len, p, n + (end ? 1 : 0));
            len += n + (end ? 1 : 0);
        }
        if (!end) break;
        p = end + 1;
    }
    out[len] = '\0';
    return true;
}

// The template named by node `at` of `from` through the loader.
TN__PRIVATE int tn__tload(tn__trender *r, const tn_template *from, const tn__tnode *at, const tn_template **out) {
    const char *name = tn__tstr(from, at->a);
    char path[256];
    if (r->depth >= TN_TEMPLATE_MAX_DEPTH)
        return tn__trerr(r, from, at, "%s", "include/extends nested too deeply (TN_TEMPLATE_MAX_DEPTH)");
    if (!r->env || !r->env->loader) return tn__trerr(r, from, at, "no template loader for '%s'", name);
    if (!tn__tresolve(tn_template_name(from), name, path, sizeof path))
        return tn__trerr(r, from, at, "bad template name '%s'", name);
    int rc = tn_template_loader_get(r->env->loader, path, out, r->err);
    switch (rc) {
    case 0: case TN_EPARSE: case TN_ENOMEM: return rc;  // a parse error is already in r->err
    case TN_ENOENT: return tn__trerr(r, from, at, "template '%s' not found", name);
    case TN_EINVAL: return tn__trerr(r, from, at, "bad template name '%s'", name);
    default: return tn__trerr(r, from, at, "template '%s' could not be read", name);
    }
}

// Renders a template (t, or the one node `at` of `from` includes) with its
// extends chain: the base is rendered, blocks come from the chain.
TN__PRIVATE int tn__trender_template(tn__trender *r, const tn_template *t, const tn__tnode *at, const tn_template *from,
                                     const tn__tscope *sc) {
    int rc, depth = r->depth;
    if (!t && (rc = tn__tload(r, from, at, &t)) != 0) return rc;
    r->depth++;
    tn__tchain ch;
    ch.n = 1;
    ch.t[0] = t;
    while (t->extends != TN__T_NONE) {
        const tn__tnode *n = &t->nodes[t->extends];
        const char *parent = tn__tstr(t, n->a);
        for (int c = 0; c < ch.n; c++) {
            if (strcmp(ch.t[c]->name, parent) == 0) {
                r->depth = depth;
                return tn__trerr(r, t, n, c == ch.n - 1 ? "template '%s' extends itself" : "extends loop through '%s'", parent);
            }
        }
        if ((rc = tn__tload(r, t, n, &t)) != 0) {
            r->depth = depth;
            return rc;
        }
        r->depth++;
        ch.t[ch.n++] = t;
    }
    rc = tn__trange(r, &ch, t, 0, t->nnodes, sc);
    r->depth = depth;
    return rc;
}

TN_API int tn_template_render(const tn_template *t, const tn_json_value *ctx, const tn_template_env *env, tn_buf *out,
                              tn_template_error *err) {
    tn__trender r;
    memset(&r, 0, sizeof r);
    if (err) memset(err, 0, sizeof *err);
    r.env = env;
    r.ctx = ctx;
    r.out = out;
    r.err = err;
    size_t start = out->len;
    int rc = tn__trender_template(&r, t, NULL, NULL, NULL);
    tn_buf_free(&r.call);
    tn_buf_free(&r.args);
    tn_buf_free(&r.json);
    if (rc) {
        out->len = start;
        if (out->data) out->data[start] = '\0';
        if (rc == TN_ENOMEM && err) tn__terr(err, t->name, 1, 1, "%s", "out of memory");
    }
    return rc;
}

// ---- loader

struct tn_template_loader {
    char *root;
    tn_template_read_cb read;
    void *user_data;
    tn_template **items;     // parsed templates, kept until the loader is freed
    size_t n, cap;
};

TN_API tn_template_loader *tn_template_loader_new(const tn_template_loader_desc *desc) {
    if (!desc || (!desc->root && !desc->read)) return NULL;
    tn_template_loader *l = TN__CAST(tn_template_loader *, tn__calloc(1, sizeof *l));
    if (!l) return NULL;
    l->read = desc->read;
    l->user_data = desc->user_data;
    if (desc->root && !(l->root = tn__strdup(desc->root))) {
        tn__free(l);
        return NULL;
    }
    return l;
}

TN_API void tn_template_loader_free(tn_template_loader *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) tn_template_free(l->items[i]);
    tn__free(l->items);
    tn__free(l->root);
    tn__free(l);
}

// A relative path of plain segments: no "", ".", ".." segment, no leading "/", no "\".
TN__PRIVATE bool tn__tname_ok(const char *name) {
    const char *seg = name;
    for (const char *p = name;; p++) {
        if (*p == '\\') return false;
        if (*p != '/' && *p != '\0') continue;
        size_t len = (size_t)(p - seg);
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.')) return false;
        if (*p == '\0') return true;
        seg = p + 1;
    }
}

TN__PRIVATE int tn__tread_file(const tn_template_loader *l, const char *name, tn_buf *out) {
    tn_buf path = {NULL, 0, 0};
    if (tn_buf_appendf(&path, "%s/%s", l->root, name) != 0) return TN_ENOMEM;
    int fd = open(path.data, O_RDONLY | O_CLOEXEC), e = errno;
    struct stat st;
    // A folder is no template: POSIX opens it (fstat below tells), Windows
    // refuses to (EACCES).
    bool folder = fd < 0 && e == EACCES && stat(path.data, &st) == 0 && S_ISDIR(st.st_mode);
    tn_buf_free(&path);
    if (fd < 0) return e == ENOENT || e == ENOTDIR || folder ? TN_ENOENT : tn__err_from_errno(e);
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) rc = TN_ENOENT;
    else if ((uint64_t)st.st_size > TN_TEMPLATE_MAX_SIZE) rc = TN_EMSGSIZE;
    else rc = tn_buf_reserve(out, (size_t)st.st_size);
    while (!rc) {
        ssize_t got = read(fd, out->data + out->len, out->cap - out->len - 1);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) rc = tn__err_from_errno(errno);
        if (got <= 0) break;
        out->len += (size_t)got;
        if (out->len > TN_TEMPLATE_MAX_SIZE) rc = TN_EMSGSIZE;
        else if (out->cap - out->len < 2) rc = tn_buf_reserve(out, 4096);
    }
    close(fd);
    return rc;
}

TN_API int tn_template_loader_get(tn_template_loader *l, const char *name, const tn_template **out,
                                  tn_template_error *err) {
    *out = NULL;
    if (!name) return TN_EINVAL;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i]->name, name) == 0) {
            *out = l->items[i];
            return 0;
        }
    }
    if (!tn__tname_ok(name)) {
        TN__LOGW("template name refused: %s", name);
        return TN_EINVAL;
    }
    if (tn__grow(&l->items, &l->cap, l->n + 1, sizeof *l->items, 8)) return TN_ENOMEM;
    tn_buf src = {NULL, 0, 0};
    int rc = l->root ? tn__tread_file(l, name, &src) : l->read(l->user_data, name, &src);
    if (!rc && src.len > TN_TEMPLATE_MAX_SIZE) rc = TN_EMSGSIZE;
    tn_template *t = NULL;
    if (!rc) rc = tn_template_parse(name, src.data ? src.data : "", src.len, &t, err);
    tn_buf_free(&src);
    if (rc) return rc;
    l->items[l->n++] = t;
    *out = t;
    return 0;
}
#endif  // TN_ENABLE_TEMPLATES
