// The DEFLATE codec against zlib and libdeflate on the same files, in one
// run: compression ratio and speed at levels 1, 6 and 9, and decompression
// speed of the same zlib -6 streams. Speeds are MB (10^6 bytes of
// uncompressed data) per CPU-second of this process, best of ROUNDS rounds
// that interleave the three libraries. Not a test: figures vary by machine.
//   build/bench/deflate [--rounds=N] [--min-time=SECONDS] FILE...
// (tools/bench/deflate.sh builds it, makes the corpus and runs it.)
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <libdeflate.h>
#include <zlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { LIB_TN, LIB_ZLIB, LIB_LIBDEFLATE, NLIBS };
static const char *lib_names[NLIBS] = {"tornado.h", "zlib", "libdeflate"};
static const int levels[] = {1, 6, 9};
enum { NLEVELS = 3 };

typedef struct corpus {
    const char *name;
    unsigned char *data;
    size_t len;
} corpus;

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "deflate bench: %s\n", what);
    exit(1);
}

// Compresses in zlib format; returns the compressed size.
static size_t compress_with(int lib, int level, const corpus *c, unsigned char *out, size_t cap) {
    if (lib == LIB_TN) {
        tn_deflate_desc d = {.format = TN_DEFLATE_ZLIB, .level = level};
        tn_deflate *z = tn_deflate_new(&d);
        size_t n = c->len, room = cap;
        if (!z || tn_deflate_update(z, c->data, &n, out, &room, TN_DEFLATE_FINISH) != 1) die("tn_deflate failed");
        tn_deflate_free(z);
        return room;
    }
    if (lib == LIB_ZLIB) {
        uLongf n = cap;
        if (compress2(out, &n, c->data, c->len, level) != Z_OK) die("zlib compress2 failed");
        return n;
    }
    struct libdeflate_compressor *ld = libdeflate_alloc_compressor(level);
    size_t n = libdeflate_zlib_compress(ld, c->data, c->len, out, cap);
    libdeflate_free_compressor(ld);
    if (!n) die("libdeflate compress failed");
    return n;
}

static void decompress_with(int lib, const unsigned char *in, size_t len, unsigned char *out, size_t want) {
    if (lib == LIB_TN) {
        tn_inflate *z = tn_inflate_new(NULL);
        size_t n = len, room = want;
        if (!z || tn_inflate_update(z, in, &n, out, &room) != 1 || room != want) die("tn_inflate failed");
        tn_inflate_free(z);
    } else if (lib == LIB_ZLIB) {
        uLongf n = want;
        if (uncompress(out, &n, in, len) != Z_OK || n != want) die("zlib uncompress failed");
    } else {
        struct libdeflate_decompressor *ld = libdeflate_alloc_decompressor();
        size_t n;
        if (libdeflate_zlib_decompress(ld, in, len, out, want, &n) != LIBDEFLATE_SUCCESS || n != want)
            die("libdeflate decompress failed");
        libdeflate_free_decompressor(ld);
    }
}

// CPU seconds per call, over as many calls as fill min_time.
#define TIME_IT(min_time, secs, call)                                   \
    do {                                                                \
        double t0_ = cpu_now(), t_;                                     \
        long n_ = 0;                                                    \
        do {                                                            \
            call;                                                       \
            n_++;                                                       \
        } while ((t_ = cpu_now() - t0_) < (min_time));                  \
        secs = t_ / n_;                                                 \
    } while (0)

static double best(double a, double b) { return a && a < b ? a : b; }

static void run(const corpus *c, int rounds, double min_time) {
    size_t cap = c->len + c->len / 8 + 1024;
    unsigned char *tmp = malloc(cap), *back = malloc(c->len + 1), *ref = malloc(cap);
    double ctime[NLIBS][NLEVELS] = {{0}}, dtime[NLIBS] = {0};
    size_t csize[NLIBS][NLEVELS];
    if (!tmp || !back || !ref) die("out of memory");
    // Every library decodes the same zlib -6 stream; each library's own
    // output must decode (with zlib) to the input.
    uLongf rn = cap;
    if (compress2(ref, &rn, c->data, c->len, 6) != Z_OK) die("zlib compress2 failed");
    for (int r = 0; r < rounds; r++) {
        for (int l = 0; l < NLEVELS; l++)
            for (int lib = 0; lib < NLIBS; lib++) {
                double s;
                TIME_IT(min_time, s, csize[lib][l] = compress_with(lib, levels[l], c, tmp, cap));
                ctime[lib][l] = best(ctime[lib][l], s);
                uLongf n = c->len + 1;
                if (uncompress(back, &n, tmp, csize[lib][l]) != Z_OK || n != c->len || memcmp(back, c->data, n))
                    die("a compressed stream does not decode to its input");
            }
        for (int lib = 0; lib < NLIBS; lib++) {
            double s;
            TIME_IT(min_time, s, decompress_with(lib, ref, rn, back, c->len));
            if (memcmp(back, c->data, c->len)) die("decompressed bytes differ");
            dtime[lib] = best(dtime[lib], s);
        }
    }
    double mb = c->len / 1e6;
    printf("\n%s: %zu bytes\n", c->name, c->len);
    printf("  %-12s %5s %9s %9s %12s %12s\n", "compress", "level", "ratio", "vs zlib", "MB/CPU-s", "vs zlib");
    for (int l = 0; l < NLEVELS; l++)
        for (int lib = 0; lib < NLIBS; lib++)
            printf("  %-12s %5d %8.2f%% %8.3fx %12.1f %11.2fx\n", lib_names[lib], levels[l],
                   100.0 * csize[lib][l] / c->len, (double)csize[lib][l] / csize[LIB_ZLIB][l],
                   mb / ctime[lib][l], ctime[LIB_ZLIB][l] / ctime[lib][l]);
    printf("  %-12s %5s %9s %9s %12s %12s\n", "decompress", "", "", "", "MB/CPU-s", "vs zlib");
    for (int lib = 0; lib < NLIBS; lib++)
        printf("  %-12s %5s %9s %9s %12.1f %11.2fx\n", lib_names[lib], "", "", "", mb / dtime[lib],
               dtime[LIB_ZLIB] / dtime[lib]);
    free(tmp);
    free(back);
    free(ref);
}

static corpus load(const char *path) {
    corpus c = {path, NULL, 0};
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open a corpus file");
    for (size_t cap = 0;;) {
        if (c.len == cap && !(c.data = realloc(c.data, cap = cap ? 2 * cap : 1 << 20))) die("out of memory");
        size_t n = fread(c.data + c.len, 1, cap - c.len, f);
        if (!n) break;
        c.len += n;
    }
    fclose(f);
    const char *slash = strrchr(path, '/');
    c.name = slash ? slash + 1 : path;
    return c;
}

int main(int argc, char **argv) {
    int rounds = 3;
    double min_time = 0.2;
    int nfiles = 0;
    corpus all = {"all (the files above, concatenated)", NULL, 0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            printf("usage: %s [--rounds=N] [--min-time=SECONDS] FILE...\n", argv[0]);
            return 0;
        }
        if (!strncmp(argv[i], "--rounds=", 9)) rounds = atoi(argv[i] + 9);
        else if (!strncmp(argv[i], "--min-time=", 11)) min_time = atof(argv[i] + 11);
        else {
            corpus c = load(argv[i]);
            run(&c, rounds, min_time);
            if (!(all.data = realloc(all.data, all.len + c.len))) die("out of memory");
            memcpy(all.data + all.len, c.data, c.len);
            all.len += c.len;
            free(c.data);
            nfiles++;
        }
    }
    if (!nfiles) die("no corpus files given (see --help)");
    if (nfiles > 1) run(&all, rounds, min_time);
    printf("\nzlib %s, libdeflate %s\n", zlibVersion(), LIBDEFLATE_VERSION_STRING);
    free(all.data);
    return 0;
}
