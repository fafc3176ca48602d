# The guide's table of contents and the sections of tornado.h agree: every
# anchor the guide names (">>loop") heads a section, and every section of the
# API (before the implementation) is named in the guide.
# Usage: awk -f tests/compile/toc.awk tornado.h
/^\/\/ ==== BEGIN src\/intro\.h/ { guide = 1 }
/^\/\/ ==== END src\/intro\.h/ { guide = 0 }
guide {
    rest = $0
    while (match(rest, />>[a-z0-9_]+/)) {
        NAMED[substr(rest, RSTART + 2, RLENGTH - 2)] = NR
        rest = substr(rest, RSTART + RLENGTH)
    }
    next
}
/^#endif \/\/ TORNADO_H_INCLUDED/ { api_done = 1 }
/^\/\/ >>[a-z0-9_]+/ {
    name = substr($2, 3)
    SECTION[name] = 1
    if (!api_done) API[name] = NR
}
END {
    for (n in NAMED) if (!(n in SECTION)) { printf "the guide names >>%s, which heads no section\n", n; bad++ }
    for (n in API) if (!(n in NAMED)) { printf "tornado.h:%d: section >>%s is missing from the guide's contents\n", API[n], n; bad++ }
    exit bad ? 1 : 0
}
