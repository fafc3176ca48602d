#!/bin/sh
# Builds tornado.h from the parts listed in src/MANIFEST, in order.
# Usage: tools/amalgamate.sh [SRCDIR] > tornado.h
# POSIX sh + awk only: building the header needs no Python.
set -eu
LC_ALL=C
export LC_ALL
src=${1:-src}
manifest="$src/MANIFEST"
[ -f "$manifest" ] || { echo "amalgamate: no $manifest" >&2; exit 1; }
# The parts, one path a line: their includes of each other are dropped.
packed=$(grep -v '^\(#\|\[\|$\)' "$manifest")

part() { # frame one file
    f="$src/$1"
    [ -f "$f" ] || { echo "amalgamate: $f listed in MANIFEST but missing" >&2; exit 1; }
    printf '// ==== BEGIN src/%s ====\n' "$1"
    # Includes of other parts go (those parts are already in the header);
    # every other include stays. With TN_AMALGAMATION_LINES each line keeps
    # its number in src/: a #line marker starts the numbering after line 1
    # and restarts it after a run of dropped includes (a short run becomes
    # empty lines). The marker's #endif takes the number of the line before.
    printf '%s\n' "$packed" | awk -v name="src/$1" '
        NR == FNR { packed["\"" $0 "\""] = 1; next }
        { drop = 0 }
        /^[ \t]*#[ \t]*include[ \t]*"/ {
            rest = substr($0, index($0, "\"") + 1)
            inc = "\"" substr(rest, 1, index(rest, "\""))
            drop = inc in packed
        }
        FNR == 1 { print drop ? "" : $0; marker = 1; next }
        drop { dropped++; next }
        {
            if (marker || dropped > 3)
                printf "#if defined(TN_AMALGAMATION_LINES)\n#line %d \"%s\"\n#endif\n", FNR - 1, name
            else
                for (i = 0; i < dropped; i++) print ""
            marker = dropped = 0
            print
        }
    ' - "$f"
    printf '// ==== END src/%s ====\n\n' "$1"
}

section=
printf '// tornado.h: GENERATED from src/ by tools/amalgamate.sh. Do not edit: edit src/ and run make.\n'
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
    ''|'#'*) continue ;;
    '[intro]') section=intro ;;
    '[decl]')
        section=decl
        printf '#ifndef TORNADO_H_INCLUDED\n#define TORNADO_H_INCLUDED\n\n' ;;
    '[impl]')
        [ "$section" = decl ] && printf '#endif // TORNADO_H_INCLUDED\n\n'
        section=impl
        printf '#if defined(TORNADO_IMPLEMENTATION) && !defined(TORNADO_IMPL_INCLUDED)\n#define TORNADO_IMPL_INCLUDED\n\n' ;;
    '[outro]')
        [ "$section" = impl ] && printf '#endif // TORNADO_IMPLEMENTATION\n\n'
        section=outro ;;
    *) [ -n "$section" ] || { echo "amalgamate: $line is outside a section" >&2; exit 1; }
       part "$line" ;;
    esac
done < "$manifest"
