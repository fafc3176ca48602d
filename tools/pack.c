// pack: embeds a folder in a program, for tn_app_desc.static_files or a
// tn_static_desc's files (see the >>static chapter of tornado.h).
//
//     build/pack DIR NAME [INCLUDE] > assets.c
//
// writes one array per file under DIR (recursively; names starting with '.'
// are skipped) and `const tn_packed_file NAME[]`, sorted by path and ended
// by {0}, with each file's size, mtime and SHA-256. The output includes
// INCLUDE ("tornado.h" by default) for the type. Exit status 1 on errors,
// 2 on bad arguments; --help explains.
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <ctype.h>
#include <dirent.h>

typedef struct entry {
    char *rel;   // path under DIR, '/'-separated
    char *full;  // path to open
} entry;

typedef struct list {
    entry *v;
    size_t n, cap;
} list;

static char *join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (!s) return NULL;
    memcpy(s, a, la);
    s[la] = '/';
    memcpy(s + la + 1, b, lb + 1);
    return s;
}

// Adds every regular file under full (rel: its path under the root).
static int walk(list *l, const char *full, const char *rel) {
    DIR *d = opendir(full);
    if (!d) {
        fprintf(stderr, "pack: %s: %s\n", full, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char *f = join(full, e->d_name);
        char *r = rel[0] ? join(rel, e->d_name) : strdup(e->d_name);
        struct stat st;
        if (!f || !r) {
            rc = -1;
        } else if (stat(f, &st) != 0) {
            fprintf(stderr, "pack: %s: %s\n", f, strerror(errno));
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(l, f, r);
        } else if (S_ISREG(st.st_mode)) {
            if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 64;
                entry *v = realloc(l->v, cap * sizeof *v);
                if (!v) rc = -1;
                else l->v = v, l->cap = cap;
            }
            if (rc == 0) {
                l->v[l->n].rel = r;
                l->v[l->n].full = f;
                l->n++;
                continue;  // the list owns them now
            }
        }
        free(f);
        free(r);
    }
    closedir(d);
    return rc;
}

static int by_rel(const void *a, const void *b) {
    return strcmp(((const entry *)a)->rel, ((const entry *)b)->rel);
}

// Writes a C string literal for s (paths may hold any byte but NUL).
static void put_cstring(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f) printf("\\%03o", c);
        else putchar(c);
    }
    putchar('"');
}

// Writes file i's array and fills its hash; returns its size or -1.
static long long put_file(const entry *e, size_t i, const char *name, char hex[65], long long *mtime) {
    FILE *f = fopen(e->full, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        fprintf(stderr, "pack: %s: %s\n", e->full, strerror(errno));
        if (f) fclose(f);
        return -1;
    }
    *mtime = (long long)st.st_mtime;
    tn_sha256_ctx c;
    tn_sha256_init(&c);
    printf("static const unsigned char %s_%zu[] = {", name, i);
    unsigned char buf[4096];
    long long total = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        tn_sha256_update(&c, buf, n);
        for (size_t k = 0; k < n; k++, total++) printf("%s%u,", total % 20 ? "" : "\n    ", buf[k]);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "pack: %s: read error\n", e->full);
        return -1;
    }
    printf("%s};\n", total ? "\n" : "0");  // an empty file still needs one element
    uint8_t digest[TN_SHA256_SIZE];
    tn_sha256_final(&c, digest);
    for (int k = 0; k < TN_SHA256_SIZE; k++) snprintf(hex + 2 * k, 3, "%02x", digest[k]);
    return total;
}

static bool is_identifier(const char *s) {
    if (!*s || isdigit((unsigned char)*s)) return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_') return false;
    return true;
}

int main(int argc, char **argv) {
    tn_options *opts = tn_options_new(&(tn_options_desc){.program = "pack", .args = "DIR NAME [INCLUDE] > out.c",
                                                         .no_logging_options = true});
    if (!opts) return 1;
    int first = tn_options_parse_command_line(opts, argc, argv);  // exits on --help or a bad flag
    tn_options_free(opts);
    int nargs = argc - first;
    if (nargs < 2 || nargs > 3 || !is_identifier(argv[first + 1])) {
        fprintf(stderr, "pack: expected DIR NAME [INCLUDE], NAME a C identifier (see --help)\n");
        return 2;
    }
    const char *dir = argv[first], *name = argv[first + 1], *inc = nargs == 3 ? argv[first + 2] : "tornado.h";
    list l = {NULL, 0, 0};
    if (walk(&l, dir, "") != 0) return 1;
    qsort(l.v, l.n, sizeof *l.v, by_rel);
    printf("// Generated by tools/pack from %s: do not edit.\n#include \"%s\"\n\n", dir, inc);
    char (*hex)[65] = calloc(l.n ? l.n : 1, sizeof *hex);
    long long *size = calloc(l.n ? l.n : 1, sizeof *size), *mtime = calloc(l.n ? l.n : 1, sizeof *mtime);
    if (!hex || !size || !mtime) return 1;
    for (size_t i = 0; i < l.n; i++)
        if ((size[i] = put_file(&l.v[i], i, name, hex[i], &mtime[i])) < 0) return 1;
    printf("\nconst tn_packed_file %s[] = {\n", name);
    for (size_t i = 0; i < l.n; i++) {
        printf("    {");
        put_cstring(l.v[i].rel);
        printf(", %s_%zu, %lld, %lld, \"%s\"},\n", name, i, size[i], mtime[i], hex[i]);
    }
    printf("    {NULL, NULL, 0, 0, NULL}};\n");
    for (size_t i = 0; i < l.n; i++) free(l.v[i].rel), free(l.v[i].full);
    free(l.v), free(hex), free(size), free(mtime);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
