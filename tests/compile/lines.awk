# Checks tornado.h's #line markers: read with TN_AMALGAMATION_LINES, every
# line of a part must carry the number of the same text in its src/ file (an
# include of another part may be an empty line there).
# Usage: awk -f tests/compile/lines.awk tornado.h
/^#line [0-9]+ "src\// {
    name = substr($3, 2, length($3) - 2)
    if (name != file) { file = name; fpos = 0 }
    num = $2 + 0; skip = 1; next
}
/^\/\/ ==== END src\// { file = ""; next }
/^#if defined\(TN_AMALGAMATION_LINES\)$/ { next }  # a marker follows
file == "" { next }
skip {  # the #endif after the marker has its number: the next line is num + 1
    skip = 0
    while (fpos < num && (getline want < file) > 0) fpos++
    num++
    next
}
{
    if ((getline want < file) <= 0) { printf "%s:%d: past the end of the file\n", file, num; bad++; file = ""; next }
    fpos++
    if ($0 != want && !($0 == "" && want ~ /^[ \t]*#[ \t]*include[ \t]*"/)) {
        printf "%s:%d: tornado.h has \"%s\", the file \"%s\"\n", file, num, $0, want; bad++; file = ""
    }
    num++
}
END { if (bad) exit 1 }
