#!/bin/sh
# The module graph of src/, checked (`make test` runs it) or printed.
#
#   tools/modules.sh [SRCDIR]          checks; silent when all is well
#   tools/modules.sh --graph [SRCDIR]  prints each module and what it uses,
#                                      lowest floor first
#   tools/modules.sh --crossing [SRCDIR]  prints each internal function
#                                      another file uses: where it is
#                                      declared and defined, and who uses it
#
# A module is a header X.h with its X.c and X_internal.h; a .c without a
# header of its own (loop/timer.c, loop/epoll.c...) belongs to the module of
# the first header it includes after base/internal.h. The rules:
#   - an include names a file under src/, and only a folder of its own floor
#     or a lower one: base < loop < net < http < websocket < web;
#   - every .c includes base/internal.h first;
#   - modules use each other without a circle;
#   - src/MANIFEST lists every file once, each after the files it includes
#     (tornado.h is that order with the includes dropped);
#   - what an X_internal.h declares TN__INTERNAL is used outside the file
#     that defines it (else it is that file's TN__PRIVATE business).
# POSIX sh and awk only.
set -eu
LC_ALL=C
export LC_ALL
mode=check
case "${1:-}" in --graph|--crossing) mode=${1#--}; shift ;; esac
src=${1:-src}
[ -f "$src/MANIFEST" ] || { echo "modules: no $src/MANIFEST" >&2; exit 2; }
cd "$src"
files=$(find . -name '*.[ch]' | sed 's#^\./##' | sort)

# One line per file: "file <TAB> include include ..." (project includes, in order).
# shellcheck disable=SC2086
awk '
    FNR == 1 { if (NR > 1) print line; line = FILENAME "\t"; incomment = 0 }
    incomment { if (index($0, "*/")) incomment = 0; next }
    /^[ \t]*\/\*/ && !index($0, "*/") { incomment = 1; next }
    /^[ \t]*#[ \t]*include[ \t]*"/ {
        rest = substr($0, index($0, "\"") + 1)
        line = line " " substr(rest, 1, index(rest, "\"") - 1)
    }
    END { if (NR > 0) print line }
' $files | awk -v mode="$mode" -v manifest=MANIFEST '
function floor_of(f,    d) {
    d = f; sub(/\/.*/, "", d)
    if (!(d in FLOOR)) return (f ~ /\//) ? -1 : 0
    return FLOOR[d]
}
function module_of(f,    m) {
    if (f in MOD) return MOD[f]
    m = f; sub(/\.[ch]$/, "", m); sub(/_internal$/, "", m)
    if (f ~ /\.c$/ && !((m ".h") in EXISTS) && (f in SECOND)) return MOD[f] = module_of(SECOND[f])
    return MOD[f] = m
}
function bad(msg) { print msg; errors++ }
# Depth-first search for a circle; ON marks the modules on the current path.
function visit(m,    i, n, list, d) {
    STATE[m] = 1; PATH[++depth] = m
    n = split(EDGES[m], list, " ")
    for (i = 1; i <= n; i++) {
        d = list[i]
        if (STATE[d] == 1) { circle(d); continue }
        if (!STATE[d]) visit(d)
    }
    depth--; STATE[m] = 2
    ORDER[++norder] = m
}
function circle(d,    i, s) {
    for (i = depth; i > 0 && PATH[i] != d; i--) {}
    s = d
    for (i++; i <= depth; i++) s = s " -> " PATH[i]
    bad("circle between modules: " s " -> " d)
}
BEGIN {
    split("base loop net http websocket web", names, " ")
    for (i = 1; i <= 6; i++) FLOOR[names[i]] = i
    while ((getline line < manifest) > 0) {
        if (line ~ /^(#|\[|$)/) continue
        POS[line] = ++npos
        if (line in LISTED) bad("MANIFEST lists " line " twice")
        LISTED[line] = 1
    }
}
{
    f = $1; EXISTS[f] = 1; INCS[f] = ""
    for (i = 2; i <= NF; i++) INCS[f] = INCS[f] " " $i
    if (f ~ /\.c$/ && NF >= 3) SECOND[f] = $3
    FIRST[f] = $2
}
END {
    for (f in INCS) {
        if (!(f in LISTED) && f != "MANIFEST") bad("src/" f " is not in MANIFEST")
        if (f ~ /\.c$/ && FIRST[f] != "base/internal.h")
            bad("src/" f ": its first include must be base/internal.h")
        n = split(INCS[f], list, " ")
        for (i = 1; i <= n; i++) {
            g = list[i]
            if (!(g in EXISTS)) { bad("src/" f ": includes " g ", which is not under src/"); continue }
            if (floor_of(g) > floor_of(f))
                bad("src/" f ": includes " g ", a floor above its own (" names[floor_of(g)] " > " names[floor_of(f)] ")")
            if ((f in POS) && (g in POS) && POS[g] > POS[f])
                bad("MANIFEST: " g " must come before " f ", which includes it")
            a = module_of(f); b = module_of(g)
            if (a != b && !((a SUBSEP b) in EDGE)) { EDGE[a, b] = 1; EDGES[a] = EDGES[a] " " b }
            MODULES[a] = 1; MODULES[b] = 1
        }
        MODULES[module_of(f)] = 1
    }
    # Visit the modules in a fixed order (floor, then name) so output is stable.
    nm = 0
    for (m in MODULES) if (m ~ /\//) KEYS[++nm] = sprintf("%d %s", floor_of(m), m)
    for (i = 2; i <= nm; i++) for (j = i; j > 1 && KEYS[j - 1] > KEYS[j]; j--) { t = KEYS[j]; KEYS[j] = KEYS[j - 1]; KEYS[j - 1] = t }
    for (i = 1; i <= nm; i++) { split(KEYS[i], kv, " "); if (!STATE[kv[2]]) visit(kv[2]) }
    if (mode == "graph") {
        # ORDER is a topological order: every module after what it uses.
        for (i = 1; i <= norder; i++) {
            m = ORDER[i]; n = split(EDGES[m], list, " "); deps = ""
            for (k = 1; k <= n; k++) for (j = k + 1; j <= n; j++) if (list[j] < list[k]) { t = list[j]; list[j] = list[k]; list[k] = t }
            for (k = 1; k <= n; k++) if (list[k] != "base/internal" && list[k] != "base/config") deps = deps " " list[k]
            printf "%-22s%s\n", m, deps == "" ? "" : " ->" deps
        }
    }
    exit errors ? 1 : 0
}
'
[ "$mode" = graph ] && exit 0

# Internal names no other file uses. (The compiler checks the other way
# round: a name used across files without TN__INTERNAL does not link.)
# shellcheck disable=SC2086
crossing() { awk -v mode="$mode" '
    FILENAME ~ /_internal\.h$/ && /^TN__INTERNAL / {
        line = $0; sub(/\(.*/, "", line); n = split(line, w, /[ *]+/); DECL[w[n]] = FILENAME
    }
    /^TN__INTERNAL .*\) \{/ || (/^TN__INTERNAL / && FILENAME ~ /\.c$/) {
        line = $0; sub(/\(.*/, "", line); n = split(line, w, /[ *]+/)
        if (index(" " DEF[w[n]] " ", " " FILENAME " ") == 0) DEF[w[n]] = DEF[w[n]] (DEF[w[n]] == "" ? "" : " ") FILENAME
    }
    {
        rest = $0
        while (match(rest, /tn__[A-Za-z0-9_]+/)) {
            USED[substr(rest, RSTART, RLENGTH), FILENAME] = 1
            rest = substr(rest, RSTART + RLENGTH)
        }
    }
    END {
        for (name in DECL) {
            users = ""
            for (k in USED) {
                split(k, kf, SUBSEP)
                if (kf[1] == name && !index(" " DEF[name] " ", " " kf[2] " ") && kf[2] != DECL[name]) users = users " " kf[2]
            }
            if (mode == "crossing") printf "%s %s (%s) <-%s\n", name, DECL[name], DEF[name], users
            else if (users == "") { printf "src/%s: %s is used only in %s: make it TN__PRIVATE there\n", DECL[name], name, DEF[name]; bad++ }
        }
        exit bad ? 1 : 0
    }
' $files
}
if [ "$mode" = crossing ]; then crossing | sort; else crossing; fi
