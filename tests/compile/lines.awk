# Checks tornado.h's #line markers: read with TN_AMALGAMATION_LINES, every
# line of a part must carry the number of the same text in its src/ file (an
# include of another part is an empty line there).
# Usage: awk -f tests/compile/lines.awk tornado.h
/^#line [0-9]+ "src\// {
    file = substr($3, 2, length($3) - 2); num = $2 + 0; skip = 1; next
}
/^\/\/ ==== END src\// { file = ""; next }
file == "" { next }
skip { skip = 0; num++; getline want < file; next }  # the #endif: line 1 (the file's own line 1 came before)
{
    if ((getline want < file) <= 0) { printf "%s:%d: past the end of the file\n", file, num; bad++; file = ""; next }
    if ($0 != want && !($0 == "" && want ~ /^[ \t]*#[ \t]*include[ \t]*"/)) {
        printf "%s:%d: tornado.h has \"%s\", the file \"%s\"\n", file, num, $0, want; bad++; file = ""
    }
    num++
}
END { if (bad) exit 1 }
