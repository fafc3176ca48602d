// >>deflate implementation
#include "base/internal.h"
#include "base/deflate.h"
#include "base/error.h"
#include "base/str.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"

#include <string.h>

#if TN_ENABLE_DEFLATE  // the whole module (base/config.h)

// ---- shared pieces -----------------------------------------------------------

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#  define TN__LE64(x) __builtin_bswap64(x)
#  define TN__LE32(x) __builtin_bswap32(x)
#else
#  define TN__LE64(x) (x)
#  define TN__LE32(x) (x)
#endif

TN__PRIVATE uint64_t tn__load_le64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return TN__LE64(v);
}

TN__PRIVATE uint32_t tn__load_le32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return TN__LE32(v);
}

TN__PRIVATE uint32_t tn__load16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;  // native order: only ever compared with another such load
}

TN__PRIVATE void tn__store_le64(uint8_t *p, uint64_t v) {
    v = TN__LE64(v);
    memcpy(p, &v, 8);
}

enum {
    TN__MIN_MATCH = 3,
    TN__MAX_MATCH = 258,
    TN__END_BLOCK = 256,
    TN__MAX_BITS = 15,       // longest litlen and distance code
    TN__LITLEN_SYMS = 288,   // 286 and 287 take part in the fixed code only
    TN__DIST_SYMS = 32,      // 30 and 31 likewise
    TN__PRECODE_SYMS = 19
};

// RFC 1951 3.2.5: lengths 257..285 and distances 0..29, base and extra bits.
static const uint16_t tn__len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                          31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t tn__len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                          2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t tn__dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                           33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                           1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t tn__dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                           6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
// The order in which a dynamic block sends the code length code lengths.
static const uint8_t tn__precode_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

TN__PRIVATE unsigned tn__log2(uint32_t v) { return 31u - (unsigned)__builtin_clz(v); }

// The length code (0..28) of a match length 3..258, from its bit pattern:
// after the first eight, four codes per power of two.
TN__PRIVATE unsigned tn__len_code(unsigned len) {
    unsigned v = len - 3;
    if (len == 258) return 28;
    if (v < 8) return v;
    unsigned n = tn__log2(v);
    return 4 * (n - 1) + ((v >> (n - 2)) & 3);
}

// The distance code (0..29) of a distance 1..32768: two codes per power of two.
TN__PRIVATE unsigned tn__dist_code(unsigned dist) {
    unsigned v = dist - 1;
    if (v < 4) return v;
    unsigned n = tn__log2(v);
    return 2 * n + ((v >> (n - 1)) & 1);
}

// The low `len` bits of code in reverse order (len <= 16).
TN__PRIVATE uint32_t tn__bitrev(uint32_t code, unsigned len) {
    code = (code & 0x5555) << 1 | (code >> 1 & 0x5555);
    code = (code & 0x3333) << 2 | (code >> 2 & 0x3333);
    code = (code & 0x0f0f) << 4 | (code >> 4 & 0x0f0f);
    code = (code & 0x00ff) << 8 | (code >> 8 & 0x00ff);
    return code >> (16 - len);
}

// The fixed code's lengths (RFC 1951 3.2.6) for the 288 litlen symbols.
TN__PRIVATE void tn__fixed_lens(uint8_t *lens) {
    memset(lens, 8, 144);
    memset(lens + 144, 9, 112);
    memset(lens + 256, 7, 24);
    memset(lens + 280, 8, 8);
}

// ---- checksums ------------------------------------------------------------------

// Slice-by-16 tables: tn__crc_tab[k][b] is the CRC of byte b followed by k
// zero bytes. Built once, on first use, under a spin lock.
static uint32_t tn__crc_tab[16][256];
static int tn__crc_ready, tn__crc_lock;

TN__PRIVATE void tn__crc_init(void) {
    while (TN__ATOMIC_XCHG(&tn__crc_lock, 1)) {
    }
    if (!TN__ATOMIC_LOAD(&tn__crc_ready)) {
        for (uint32_t n = 0; n < 256; n++) {
            uint32_t c = n;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ c >> 1 : c >> 1;
            tn__crc_tab[0][n] = c;
        }
        for (int k = 1; k < 16; k++)
            for (int n = 0; n < 256; n++) {
                uint32_t c = tn__crc_tab[k - 1][n];
                tn__crc_tab[k][n] = c >> 8 ^ tn__crc_tab[0][c & 0xff];
            }
        TN__ATOMIC_STORE(&tn__crc_ready, 1);
    }
    TN__ATOMIC_STORE(&tn__crc_lock, 0);
}

TN_API uint32_t tn_crc32(uint32_t crc, const void *data, size_t len) {
    const uint8_t *p = TN__CAST(const uint8_t *, data);
    uint32_t(*t)[256] = tn__crc_tab;
    if (!TN__ATOMIC_LOAD(&tn__crc_ready)) tn__crc_init();
    uint32_t c = ~crc;
    for (; len >= 16; len -= 16, p += 16) {
        uint32_t a = c ^ tn__load_le32(p), b = tn__load_le32(p + 4), d = tn__load_le32(p + 8),
                 e = tn__load_le32(p + 12);
        c = t[15][a & 0xff] ^ t[14][a >> 8 & 0xff] ^ t[13][a >> 16 & 0xff] ^ t[12][a >> 24] ^
            t[11][b & 0xff] ^ t[10][b >> 8 & 0xff] ^ t[9][b >> 16 & 0xff] ^ t[8][b >> 24] ^
            t[7][d & 0xff] ^ t[6][d >> 8 & 0xff] ^ t[5][d >> 16 & 0xff] ^ t[4][d >> 24] ^
            t[3][e & 0xff] ^ t[2][e >> 8 & 0xff] ^ t[1][e >> 16 & 0xff] ^ t[0][e >> 24];
    }
    for (; len; len--) c = t[0][(c ^ *p++) & 0xff] ^ c >> 8;
    return ~c;
}

TN_API uint32_t tn_adler32(uint32_t adler, const void *data, size_t len) {
    const uint8_t *p = TN__CAST(const uint8_t *, data);
    uint32_t a = adler & 0xffff, b = adler >> 16;
    while (len) {
        // 5552 bytes is the most before b can pass 2^32 (zlib's NMAX).
        size_t n = TN__MIN(len, (size_t)5552);
        len -= n;
        // Sixteen bytes at a time as a plain and a weighted sum: no chain
        // from byte to byte, so the CPU overlaps them (and -O3 vectorizes).
        for (; n >= 16; n -= 16, p += 16) {
            uint32_t s = 0, w = 0;
            for (int i = 0; i < 16; i++) {
                s += p[i];
                w += (uint32_t)(16 - i) * p[i];
            }
            b += 16 * a + w;
            a += s;
        }
        for (; n; n--) b += a += *p++;
        a %= 65521;
        b %= 65521;
    }
    return b << 16 | a;
}

// ---- inflate: decoding tables -------------------------------------------------
//
// A table entry is a uint32: bits 0-3 the code length at this level, 4-7 the
// extra bits that follow the code, 8-11 the flags below, 16-31 the value (a
// literal, a length or distance base, or a subtable's offset). Codes longer
// than the root bits go through a subtable (zlib's two-level scheme); the
// sizes are the largest any valid code needs (zlib's examples/enough.c).

enum {
    TN__E_LIT = 0x100,  // a literal byte
    TN__E_SUB = 0x200,  // a subtable: the value is its offset, "extra" its index bits
    TN__E_EOB = 0x400,  // end of block
    TN__E_BAD = 0x800,  // no such code, or a reserved symbol
    TN__LITLEN_ROOT = 10,
    TN__LITLEN_ENOUGH = 1334,  // enough 288 10 15
    TN__DIST_ROOT = 8,
    TN__DIST_ENOUGH = 402,     // enough 32 8 15
    TN__PRECODE_ROOT = 7,      // precode lengths are 7 bits at most: no subtables
    TN__KIND_LITLEN = 0,
    TN__KIND_DIST,
    TN__KIND_PRECODE
};

#define TN__ENTRY(value, flags, extra) ((uint32_t)(value) << 16 | (uint32_t)(flags) | (uint32_t)(extra) << 4)

TN__PRIVATE uint32_t tn__inf_entry(int kind, unsigned sym) {
    if (kind == TN__KIND_PRECODE) return TN__ENTRY(sym, 0, 0);
    if (kind == TN__KIND_DIST) return sym < 30 ? TN__ENTRY(tn__dist_base[sym], 0, tn__dist_extra[sym]) : (uint32_t)TN__E_BAD;
    if (sym < 256) return TN__ENTRY(sym, TN__E_LIT, 0);
    if (sym == TN__END_BLOCK) return TN__E_EOB;
    sym -= 257;
    return sym < 29 ? TN__ENTRY(tn__len_base[sym], 0, tn__len_extra[sym]) : (uint32_t)TN__E_BAD;
}

// The index bits of a subtable whose first code is `len` bits long: as many
// as the codes left (count[] holds those not yet placed, this one included)
// need to fill it.
TN__PRIVATE unsigned tn__inf_sub_bits(const unsigned *count, unsigned len, unsigned root, unsigned maxlen) {
    unsigned bits = len - root;
    int room = 1 << bits;
    while (bits + root < maxlen) {
        room -= (int)count[bits + root];
        if (room <= 0) break;
        bits++;
        room <<= 1;
    }
    return bits;
}

// Builds the table for the code lengths lens[0..n) into table[0..cap).
// Returns -1 for an over-subscribed set, an empty precode, or an incomplete
// set other than one 1-bit code (RFC 1951 3.2.7 allows that for distances;
// zlib accepts it for both litlen and distances, and so do we).
TN__PRIVATE int tn__inf_build(uint32_t *table, unsigned root, unsigned cap, const uint8_t *lens,
                              unsigned n, int kind) {
    unsigned count[TN__MAX_BITS + 1] = {0}, offs[TN__MAX_BITS + 2], maxlen = TN__MAX_BITS;
    uint16_t sorted[TN__LITLEN_SYMS];
    for (unsigned s = 0; s < n; s++) count[lens[s]]++;
    while (maxlen && !count[maxlen]) maxlen--;
    int left = 1;
    for (unsigned len = 1; len <= TN__MAX_BITS; len++) {
        left = 2 * left - (int)count[len];
        if (left < 0) return -1;
    }
    unsigned size = 1u << root;
    if (left > 0) {
        if (kind == TN__KIND_PRECODE || maxlen > 1) return -1;
        for (unsigned i = 0; i < size; i++) table[i] = TN__E_BAD | 1;
    }
    offs[1] = 0;
    for (unsigned len = 1; len <= TN__MAX_BITS; len++) offs[len + 1] = offs[len] + count[len];
    for (unsigned s = 0; s < n; s++)
        if (lens[s]) sorted[offs[lens[s]]++] = (uint16_t)s;

    // Canonical codes in order of length, then symbol; each code is entered
    // bit-reversed because the stream sends codes most significant bit first.
    unsigned k = 0, next = size, sub_prefix = ~0u, sub_base = 0, sub_bits = 0;
    uint32_t code = 0;
    for (unsigned len = 1; len <= maxlen; len++, code <<= 1) {
        for (; count[len]; count[len]--, code++) {
            uint32_t e = tn__inf_entry(kind, sorted[k++]), rev = tn__bitrev(code, len);
            if (len <= root) {
                for (uint32_t i = rev; i < size; i += 1u << len) table[i] = e | len;
            } else {
                if ((rev & (size - 1)) != sub_prefix) {
                    sub_prefix = rev & (size - 1);
                    sub_bits = tn__inf_sub_bits(count, len, root, maxlen);
                    if (next + (1u << sub_bits) > cap) return -1;  // no valid code gets here
                    table[sub_prefix] = TN__ENTRY(next, TN__E_SUB, sub_bits) | root;
                    sub_base = next;
                    next += 1u << sub_bits;
                }
                for (uint32_t i = rev >> root; i < 1u << sub_bits; i += 1u << (len - root))
                    table[sub_base + i] = e | (len - root);
            }
        }
    }
    return 0;
}

// ---- inflate: the stream ----------------------------------------------------------

enum tn__inf_mode {
    TN__INF_HEAD,       // zlib or gzip header (or AUTO's first byte)
    TN__INF_GZ_XLEN,    // gzip optional fields, in order
    TN__INF_GZ_EXTRA,
    TN__INF_GZ_NAME,
    TN__INF_GZ_COMMENT,
    TN__INF_GZ_HCRC,
    TN__INF_BLOCK,      // a block header (or the end after the final block)
    TN__INF_STORED,     // LEN and NLEN
    TN__INF_COPY,       // stored bytes
    TN__INF_TABLE,      // HLIT, HDIST, HCLEN
    TN__INF_PRECODE,    // code length code lengths
    TN__INF_LENS,       // litlen and distance code lengths
    TN__INF_SYM,        // a litlen code
    TN__INF_DIST,       // a distance code after a length
    TN__INF_MATCH,      // a match still being copied
    TN__INF_TRAILER,    // Adler-32, or CRC-32 and ISIZE
    TN__INF_END,        // done; a gzip stream may go on with a member
    TN__INF_BAD
};

struct tn_inflate {
    uint64_t bits;     // bit buffer, next bit lowest; above nbits all zero
    unsigned nbits;    // outside the fast loop: fewer than 8 between steps
    int mode;
    int format, asked_format;
    unsigned wbits;
    bool last;         // the current block is the final one
    bool fixed;        // the tables hold the fixed code
    uint32_t left;     // stored or match bytes still to copy
    uint32_t dist;     // the distance of the match being copied
    unsigned nlen, ndist, ncode, have;  // dynamic block header, as read so far
    uint32_t check;    // Adler-32 or CRC-32 of the output so far
    uint32_t total;    // output bytes of this gzip member, mod 2^32
    uint32_t hcrc;     // CRC-32 of the gzip header so far
    unsigned gz_left;  // FEXTRA bytes to skip; then FNAME bytes kept
    unsigned held;     // header or trailer bytes collected in hold
    uint8_t hold[10];
    const char *msg;
    // The last output, for matches that reach back past this call's output.
    uint8_t *window;   // 2^wbits bytes, allocated on first need
    uint32_t whave, wnext;
    tn_gzip_header gz;
    uint8_t lens[TN__LITLEN_SYMS + TN__DIST_SYMS];
    uint32_t litlen[TN__LITLEN_ENOUGH];
    uint32_t dist_table[TN__DIST_ENOUGH];  // also the precode's while lengths are read
};

// Cursors over one call's buffers.
typedef struct tn__inf_io {
    const uint8_t *in, *in_end;
    uint8_t *out, *out_begin, *out_end;
    uint8_t *sum_from;  // output not yet in the check value
} tn__inf_io;

// The fast loop needs room for a whole match and the up to 24 bytes its copy
// writes past it, and 16 input bytes for two 64-bit refills.
enum { TN__FAST_OUT = TN__MAX_MATCH + 24, TN__FAST_IN = 16 };

TN__PRIVATE int tn__inf_fail(tn_inflate *z, const char *msg) {
    z->msg = msg;
    z->mode = TN__INF_BAD;
    return TN_EPARSE;
}

// Pulls input bytes into the bit buffer until it holds n bits (n <= 56).
TN__PRIVATE bool tn__inf_need(tn_inflate *z, tn__inf_io *io, unsigned n) {
    while (z->nbits < n) {
        if (io->in == io->in_end) return false;
        z->bits |= (uint64_t)*io->in++ << z->nbits;
        z->nbits += 8;
    }
    return true;
}

TN__PRIVATE uint32_t tn__inf_take(tn_inflate *z, unsigned n) {
    uint32_t v = (uint32_t)(z->bits & (((uint64_t)1 << n) - 1));
    z->bits >>= n;
    z->nbits -= n;
    return v;
}

// Finds the next code of table t, pulling input as it needs. Returns the code's
// length in bits (root and subtable) with its entry in *e, or 0 when the input
// runs out first.
TN__PRIVATE unsigned tn__inf_code(tn_inflate *z, tn__inf_io *io, const uint32_t *t, unsigned root,
                                  uint32_t *e) {
    for (;;) {
        uint32_t x = t[z->bits & ((1u << root) - 1)];
        unsigned n = x & 15;
        if (x & TN__E_SUB) {
            x = t[(x >> 16) + ((z->bits >> n) & ((1u << ((x >> 4) & 15)) - 1))];
            n += x & 15;
        }
        if (n <= z->nbits) {
            *e = x;
            return n;
        }
        if (!tn__inf_need(z, io, z->nbits + 8)) return 0;
    }
}

// Reads a code's extra bits too: returns the entry's value plus them, or -1
// when the input runs out (nothing is taken then).
TN__PRIVATE int32_t tn__inf_value(tn_inflate *z, tn__inf_io *io, unsigned n, uint32_t e) {
    unsigned x = (e >> 4) & 15;
    if (!tn__inf_need(z, io, n + x)) return -1;
    tn__inf_take(z, n);
    return (int32_t)((e >> 16) + tn__inf_take(z, x));
}

// Collects header or trailer bytes into z->hold until it has n of them.
TN__PRIVATE bool tn__inf_hold(tn_inflate *z, tn__inf_io *io, unsigned n) {
    for (; z->held < n; z->held++) {
        if (!tn__inf_need(z, io, 8)) return false;
        z->hold[z->held] = (uint8_t)tn__inf_take(z, 8);
    }
    z->held = 0;
    return true;
}

// Copies `len` bytes from `dist` back, which may start in the window.
TN__PRIVATE uint8_t *tn__inf_copy(tn_inflate *z, uint8_t *out, const uint8_t *out_begin, uint32_t dist,
                                  uint32_t len) {
    size_t done = (size_t)(out - out_begin);
    if (dist > done) {
        uint32_t back = (uint32_t)(dist - done), mask = (1u << z->wbits) - 1;
        uint32_t from = (z->wnext - back) & mask, n = TN__MIN(back, len);
        len -= n;
        for (; n; n--, from = (from + 1) & mask) *out++ = z->window[from];
    }
    for (const uint8_t *src = out - dist; len; len--) *out++ = *src++;
    return out;
}

// Appends this call's output to the window.
TN__PRIVATE int tn__inf_keep(tn_inflate *z, const uint8_t *p, size_t n) {
    uint32_t size = 1u << z->wbits;
    if (!n) return 0;
    if (!z->window && !(z->window = TN__CAST(uint8_t *, tn__malloc(size)))) return TN_ENOMEM;
    if (n >= size) {
        memcpy(z->window, p + n - size, size);
        z->wnext = 0;
        z->whave = size;
        return 0;
    }
    uint32_t first = TN__MIN((uint32_t)n, size - z->wnext);
    memcpy(z->window + z->wnext, p, first);
    memcpy(z->window, p + first, n - first);
    z->wnext = (uint32_t)((z->wnext + n) & (size - 1));
    z->whave = (uint32_t)TN__MIN((size_t)size, z->whave + n);
    return 0;
}

// Adds the output since io->sum_from to the check value.
TN__PRIVATE void tn__inf_sum(tn_inflate *z, tn__inf_io *io) {
    size_t n = (size_t)(io->out - io->sum_from);
    if (z->format == TN_DEFLATE_ZLIB) z->check = tn_adler32(z->check, io->sum_from, n);
    else if (z->format == TN_DEFLATE_GZIP) z->check = tn_crc32(z->check, io->sum_from, n);
    z->total += (uint32_t)n;
    io->sum_from = io->out;
}

// Copies a match of len >= 3 from dist >= 1 back, writing up to 24 bytes
// past the end: the source is then always at least 8 bytes behind, so every
// byte read is final. Most matches take the three unconditional words.
TN__PRIVATE uint8_t *tn__inf_match(uint8_t *out, uint32_t dist, uint32_t len) {
    const uint8_t *src = out - dist;
    uint8_t *end = out + len;
    if (dist >= 8) {
        memcpy(out, src, 8);
        memcpy(out + 8, src + 8, 8);
        memcpy(out + 16, src + 16, 8);
        for (out += 24, src += 24; out < end; out += 8, src += 8) memcpy(out, src, 8);
    } else if (dist == 1) {
        uint64_t v = *src * 0x0101010101010101u;
        for (; out < end; out += 8) memcpy(out, &v, 8);
    } else {
        while (out < end) *out++ = *src++;
    }
    return end;
}

// The hot loop: decodes symbols while TN__FAST_IN input bytes and
// TN__FAST_OUT output bytes remain. Each 64-bit refill leaves at least 56
// bits: enough for three literals or one whole match (at most 15+5 bits of
// length and 15+13 of distance); at most two refills per round. The next
// litlen entry is looked up before the current match is copied, so that the
// two overlap. Leaves z->mode at TN__INF_SYM, TN__INF_BLOCK (end of block)
// or TN__INF_BAD.
TN__PRIVATE void tn__inflate_fast(tn_inflate *z, tn__inf_io *io) {
    const uint8_t *in = io->in, *in_last = io->in_end - TN__FAST_IN;
    uint8_t *out = io->out, *out_last = io->out_end - TN__FAST_OUT;
    const uint8_t *out_begin = io->out_begin;
    const uint32_t *lt = z->litlen, *dt = z->dist_table;
    uint64_t bits = z->bits;
    unsigned nbits = z->nbits;
    uint32_t whave = z->whave, wmax = 1u << z->wbits, e;
#define TN__REFILL() (bits |= tn__load_le64(in) << nbits, in += (63 - nbits) >> 3, nbits |= 56)
#define TN__DROP(n) (bits >>= (n), nbits -= (n))
#define TN__LITLEN() (lt[bits & ((1u << TN__LITLEN_ROOT) - 1)])
#define TN__SUBTABLE(t) ((t)[(e >> 16) + (bits & ((1u << ((e >> 4) & 15)) - 1))])
    TN__REFILL();
    e = TN__LITLEN();
    while (in <= in_last && out <= out_last) {
        uint32_t len, dist, n, x;
        if (e & TN__E_LIT) {
            TN__DROP(e & 15);
            *out++ = (uint8_t)(e >> 16);
            e = TN__LITLEN();
            if (e & TN__E_LIT) {
                TN__DROP(e & 15);
                *out++ = (uint8_t)(e >> 16);
                e = TN__LITLEN();
                if (e & TN__E_LIT) {
                    TN__DROP(e & 15);
                    *out++ = (uint8_t)(e >> 16);
                    TN__REFILL();
                    e = TN__LITLEN();
                    continue;
                }
            }
            TN__REFILL();
        }
        if (e & TN__E_SUB) {
            TN__DROP(e & 15);
            e = TN__SUBTABLE(lt);
            if (e & TN__E_LIT) {
                TN__DROP(e & 15);
                *out++ = (uint8_t)(e >> 16);
                TN__REFILL();
                e = TN__LITLEN();
                continue;
            }
        }
        if (e & (TN__E_EOB | TN__E_BAD)) {
            if (e & TN__E_BAD) {
                tn__inf_fail(z, "invalid literal/length code");
                break;
            }
            TN__DROP(e & 15);
            z->mode = TN__INF_BLOCK;
            break;
        }
        n = e & 15;
        x = (e >> 4) & 15;
        len = (e >> 16) + ((uint32_t)(bits >> n) & ((1u << x) - 1));
        TN__DROP(n + x);
        e = dt[bits & ((1u << TN__DIST_ROOT) - 1)];
        if (e & TN__E_SUB) {
            TN__DROP(e & 15);
            e = TN__SUBTABLE(dt);
        }
        if (e & TN__E_BAD) {
            tn__inf_fail(z, "invalid distance code");
            break;
        }
        n = e & 15;
        x = (e >> 4) & 15;
        dist = (e >> 16) + ((uint32_t)(bits >> n) & ((1u << x) - 1));
        TN__DROP(n + x);
        TN__REFILL();
        e = TN__LITLEN();
        if (TN__UNLIKELY(dist > (size_t)(out - out_begin) || dist > wmax)) {
            if (dist > wmax || dist > (size_t)(out - out_begin) + whave) {
                tn__inf_fail(z, "invalid distance too far back");
                break;
            }
            out = tn__inf_copy(z, out, out_begin, dist, len);
        } else {
            out = tn__inf_match(out, dist, len);
        }
    }
#undef TN__REFILL
#undef TN__DROP
#undef TN__LITLEN
#undef TN__SUBTABLE
    // Give back the whole bytes the buffer read ahead (they may be the trailer).
    in -= nbits >> 3;
    nbits &= 7;
    z->bits = bits & (((uint64_t)1 << nbits) - 1);
    z->nbits = nbits;
    io->in = in;
    io->out = out;
}

TN__PRIVATE int tn__inf_head(tn_inflate *z, tn__inf_io *io) {
    if (z->format == TN_DEFLATE_AUTO) {
        if (io->in == io->in_end) return 0;
        z->format = *io->in == 0x1f ? TN_DEFLATE_GZIP : TN_DEFLATE_ZLIB;
    }
    if (z->format == TN_DEFLATE_RAW) {
        z->mode = TN__INF_BLOCK;
        return 1;
    }
    if (z->format == TN_DEFLATE_ZLIB) {
        if (!tn__inf_hold(z, io, 2)) return 0;
        const uint8_t *h = z->hold;
        if ((h[0] << 8 | h[1]) % 31) return tn__inf_fail(z, "incorrect header check");
        if ((h[0] & 15) != 8) return tn__inf_fail(z, "unknown compression method");
        if ((h[0] >> 4) + 8u > z->wbits) return tn__inf_fail(z, "invalid window size");
        if (h[1] & 0x20) return tn__inf_fail(z, "preset dictionary not supported");
        z->check = 1;
        z->mode = TN__INF_BLOCK;
        return 1;
    }
    const uint8_t *h = z->hold;
    bool whole = tn__inf_hold(z, io, 10);
    // A wrong magic is refused as soon as it shows (a byte after a member, say).
    if ((z->held > 0 || whole) && h[0] != 0x1f) return tn__inf_fail(z, "incorrect header check");
    if ((z->held > 1 || whole) && h[1] != 0x8b) return tn__inf_fail(z, "incorrect header check");
    if (!whole) return 0;
    if (h[2] != 8) return tn__inf_fail(z, "unknown compression method");
    if (h[3] & 0xe0) return tn__inf_fail(z, "unknown header flags set");
    memset(&z->gz, 0, sizeof z->gz);
    z->gz.flags = h[3];
    z->gz.mtime = tn__load_le32(h + 4);
    z->gz.xfl = h[8];
    z->gz.os = h[9];
    z->hcrc = tn_crc32(0, h, 10);
    z->mode = TN__INF_GZ_XLEN;
    return 1;
}

// One gzip header byte, counted in the header CRC.
TN__PRIVATE bool tn__inf_gz_byte(tn_inflate *z, tn__inf_io *io, uint8_t *c) {
    if (!tn__inf_need(z, io, 8)) return false;
    *c = (uint8_t)tn__inf_take(z, 8);
    z->hcrc = tn_crc32(z->hcrc, c, 1);
    return true;
}

// FEXTRA, FNAME, FCOMMENT and FHCRC, each only when its flag is set.
TN__PRIVATE int tn__inf_gzip(tn_inflate *z, tn__inf_io *io) {
    uint8_t c, flags = z->gz.flags;
    switch (z->mode) {
    case TN__INF_GZ_XLEN:
        if (flags & 4) {
            if (!tn__inf_hold(z, io, 2)) return 0;
            z->hcrc = tn_crc32(z->hcrc, z->hold, 2);
            z->gz_left = (unsigned)(z->hold[0] | z->hold[1] << 8);
        }
        z->mode = TN__INF_GZ_EXTRA;
        /* fallthrough */
    case TN__INF_GZ_EXTRA:
        for (; (flags & 4) && z->gz_left; z->gz_left--)
            if (!tn__inf_gz_byte(z, io, &c)) return 0;
        z->mode = TN__INF_GZ_NAME;
        /* fallthrough */
    case TN__INF_GZ_NAME:
        while (flags & 8) {
            if (!tn__inf_gz_byte(z, io, &c)) return 0;
            if (!c) break;
            if (z->gz_left < TN_GZIP_NAME_MAX) z->gz.name[z->gz_left++] = (char)c;
        }
        z->mode = TN__INF_GZ_COMMENT;
        /* fallthrough */
    case TN__INF_GZ_COMMENT:
        while (flags & 16) {
            if (!tn__inf_gz_byte(z, io, &c)) return 0;
            if (!c) break;
        }
        z->mode = TN__INF_GZ_HCRC;
        /* fallthrough */
    default:
        if (flags & 2) {
            if (!tn__inf_hold(z, io, 2)) return 0;
            if ((unsigned)(z->hold[0] | z->hold[1] << 8) != (z->hcrc & 0xffff))
                return tn__inf_fail(z, "header crc mismatch");
        }
        z->check = 0;
        z->mode = TN__INF_BLOCK;
        return 1;
    }
}

TN__PRIVATE int tn__inf_block(tn_inflate *z, tn__inf_io *io) {
    if (z->last) {
        tn__inf_take(z, z->nbits & 7);
        z->mode = z->format == TN_DEFLATE_RAW ? TN__INF_END : TN__INF_TRAILER;
        return 1;
    }
    if (!tn__inf_need(z, io, 3)) return 0;
    z->last = tn__inf_take(z, 1);
    switch (tn__inf_take(z, 2)) {
    case 0:
        tn__inf_take(z, z->nbits & 7);
        z->mode = TN__INF_STORED;
        return 1;
    case 1:
        if (!z->fixed) {
            tn__fixed_lens(z->lens);
            memset(z->lens + TN__LITLEN_SYMS, 5, TN__DIST_SYMS);
            tn__inf_build(z->litlen, TN__LITLEN_ROOT, TN__LITLEN_ENOUGH, z->lens, TN__LITLEN_SYMS,
                          TN__KIND_LITLEN);
            tn__inf_build(z->dist_table, TN__DIST_ROOT, TN__DIST_ENOUGH, z->lens + TN__LITLEN_SYMS,
                          TN__DIST_SYMS, TN__KIND_DIST);
            z->fixed = true;
        }
        z->mode = TN__INF_SYM;
        return 1;
    case 2:
        z->mode = TN__INF_TABLE;
        return 1;
    default:
        return tn__inf_fail(z, "invalid block type");
    }
}

TN__PRIVATE int tn__inf_stored(tn_inflate *z, tn__inf_io *io) {
    if (z->mode == TN__INF_STORED) {
        if (!tn__inf_need(z, io, 32)) return 0;
        uint32_t len = tn__inf_take(z, 16), nlen = tn__inf_take(z, 16);
        if (len != (~nlen & 0xffff)) return tn__inf_fail(z, "invalid stored block lengths");
        z->left = len;
        z->mode = TN__INF_COPY;
    }
    // The bit buffer is empty here: the header ended on a byte boundary.
    while (z->left) {
        size_t n = TN__MIN((size_t)z->left, (size_t)(io->in_end - io->in));
        n = TN__MIN(n, (size_t)(io->out_end - io->out));
        if (!n) return 0;
        memcpy(io->out, io->in, n);
        io->in += n;
        io->out += n;
        z->left -= (uint32_t)n;
    }
    z->mode = TN__INF_BLOCK;
    return 1;
}

// The code lengths of a dynamic block (RFC 1951 3.2.7).
TN__PRIVATE int tn__inf_dynamic(tn_inflate *z, tn__inf_io *io) {
    uint32_t e;
    unsigned n;
    int32_t v;
    switch (z->mode) {
    case TN__INF_TABLE:
        if (!tn__inf_need(z, io, 14)) return 0;
        z->nlen = tn__inf_take(z, 5) + 257;
        z->ndist = tn__inf_take(z, 5) + 1;
        z->ncode = tn__inf_take(z, 4) + 4;
        if (z->nlen > 286 || z->ndist > 30) return tn__inf_fail(z, "too many length or distance symbols");
        memset(z->lens, 0, TN__PRECODE_SYMS);
        z->have = 0;
        z->mode = TN__INF_PRECODE;
        /* fallthrough */
    case TN__INF_PRECODE:
        for (; z->have < z->ncode; z->have++) {
            if (!tn__inf_need(z, io, 3)) return 0;
            z->lens[tn__precode_order[z->have]] = (uint8_t)tn__inf_take(z, 3);
        }
        if (tn__inf_build(z->dist_table, TN__PRECODE_ROOT, TN__DIST_ENOUGH, z->lens, TN__PRECODE_SYMS,
                          TN__KIND_PRECODE))
            return tn__inf_fail(z, "invalid code lengths set");
        z->fixed = false;
        z->have = 0;
        z->mode = TN__INF_LENS;
        /* fallthrough */
    default:
        while (z->have < z->nlen + z->ndist) {
            if (!(n = tn__inf_code(z, io, z->dist_table, TN__PRECODE_ROOT, &e))) return 0;
            unsigned sym = e >> 16, rep, val = 0;
            if (sym < 16) {
                tn__inf_take(z, n);
                z->lens[z->have++] = (uint8_t)sym;
                continue;
            }
            // 16: repeat the previous length 3-6 times; 17, 18: zeros 3-10, 11-138.
            if ((v = tn__inf_value(z, io, n, TN__ENTRY(0, 0, sym == 16 ? 2 : sym == 17 ? 3 : 7))) < 0) return 0;
            rep = (unsigned)v + (sym == 18 ? 11 : 3);
            if (sym == 16) {
                if (!z->have) return tn__inf_fail(z, "invalid bit length repeat");
                val = z->lens[z->have - 1];
            }
            if (z->have + rep > z->nlen + z->ndist) return tn__inf_fail(z, "invalid bit length repeat");
            memset(z->lens + z->have, (int)val, rep);
            z->have += rep;
        }
        if (!z->lens[TN__END_BLOCK]) return tn__inf_fail(z, "invalid code -- missing end-of-block");
        if (tn__inf_build(z->litlen, TN__LITLEN_ROOT, TN__LITLEN_ENOUGH, z->lens, z->nlen, TN__KIND_LITLEN))
            return tn__inf_fail(z, "invalid literal/lengths set");
        if (tn__inf_build(z->dist_table, TN__DIST_ROOT, TN__DIST_ENOUGH, z->lens + z->nlen, z->ndist,
                          TN__KIND_DIST))
            return tn__inf_fail(z, "invalid distances set");
        z->mode = TN__INF_SYM;
        return 1;
    }
}

// Symbols one at a time, near the ends of the buffers; the fast loop otherwise.
TN__PRIVATE int tn__inf_codes(tn_inflate *z, tn__inf_io *io) {
    uint32_t e;
    unsigned n;
    int32_t v;
    switch (z->mode) {
    case TN__INF_SYM:
        if (io->in_end - io->in >= TN__FAST_IN && io->out_end - io->out >= TN__FAST_OUT) {
            tn__inflate_fast(z, io);
            if (z->mode != TN__INF_SYM) return z->mode == TN__INF_BAD ? TN_EPARSE : 1;
        }
        if (!(n = tn__inf_code(z, io, z->litlen, TN__LITLEN_ROOT, &e))) return 0;
        if (e & TN__E_LIT) {
            if (io->out == io->out_end) return 0;
            tn__inf_take(z, n);
            *io->out++ = (uint8_t)(e >> 16);
            return 1;
        }
        if (e & TN__E_EOB) {
            tn__inf_take(z, n);
            z->mode = TN__INF_BLOCK;
            return 1;
        }
        if (e & TN__E_BAD) return tn__inf_fail(z, "invalid literal/length code");
        if ((v = tn__inf_value(z, io, n, e)) < 0) return 0;
        z->left = (uint32_t)v;
        z->mode = TN__INF_DIST;
        /* fallthrough */
    case TN__INF_DIST:
        if (!(n = tn__inf_code(z, io, z->dist_table, TN__DIST_ROOT, &e))) return 0;
        if (e & TN__E_BAD) return tn__inf_fail(z, "invalid distance code");
        if ((v = tn__inf_value(z, io, n, e)) < 0) return 0;
        z->dist = (uint32_t)v;
        if (z->dist > 1u << z->wbits || z->dist > (size_t)(io->out - io->out_begin) + z->whave)
            return tn__inf_fail(z, "invalid distance too far back");
        z->mode = TN__INF_MATCH;
        /* fallthrough */
    default:
        n = (unsigned)TN__MIN((size_t)z->left, (size_t)(io->out_end - io->out));
        io->out = tn__inf_copy(z, io->out, io->out_begin, z->dist, n);
        if ((z->left -= n)) return 0;
        z->mode = TN__INF_SYM;
        return 1;
    }
}

TN__PRIVATE int tn__inf_trailer(tn_inflate *z, tn__inf_io *io) {
    const uint8_t *h = z->hold;
    if (!tn__inf_hold(z, io, z->format == TN_DEFLATE_GZIP ? 8 : 4)) return 0;
    tn__inf_sum(z, io);
    if (z->format == TN_DEFLATE_ZLIB) {
        uint32_t adler = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        if (adler != z->check) return tn__inf_fail(z, "incorrect data check");
    } else {
        if (tn__load_le32(h) != z->check) return tn__inf_fail(z, "incorrect data check");
        if (tn__load_le32(h + 4) != z->total) return tn__inf_fail(z, "incorrect length check");
    }
    z->mode = TN__INF_END;
    return 1;
}

// Back to the start of a stream (or, for gzip, of a next member).
TN__PRIVATE void tn__inf_start(tn_inflate *z) {
    z->mode = TN__INF_HEAD;
    z->bits = 0;
    z->nbits = 0;
    z->last = false;
    z->held = 0;
    z->gz_left = 0;
    z->check = 0;
    z->total = 0;
}

TN__PRIVATE int tn__inflate_run(tn_inflate *z, tn__inf_io *io) {
    for (;;) {
        int r;
        switch (z->mode) {
        case TN__INF_HEAD: r = tn__inf_head(z, io); break;
        case TN__INF_GZ_XLEN: case TN__INF_GZ_EXTRA: case TN__INF_GZ_NAME:
        case TN__INF_GZ_COMMENT: case TN__INF_GZ_HCRC: r = tn__inf_gzip(z, io); break;
        case TN__INF_BLOCK: r = tn__inf_block(z, io); break;
        case TN__INF_STORED: case TN__INF_COPY: r = tn__inf_stored(z, io); break;
        case TN__INF_TABLE: case TN__INF_PRECODE: case TN__INF_LENS: r = tn__inf_dynamic(z, io); break;
        case TN__INF_SYM: case TN__INF_DIST: case TN__INF_MATCH: r = tn__inf_codes(z, io); break;
        case TN__INF_TRAILER: r = tn__inf_trailer(z, io); break;
        case TN__INF_END:
            // gzip: whatever follows a member must be another member.
            if (z->format != TN_DEFLATE_GZIP || io->in == io->in_end) return 1;
            tn__inf_start(z);
            r = 1;
            break;
        default: return TN_EPARSE;
        }
        if (r <= 0) return r;
    }
}

// Checks a desc and fills in its defaults. Returns 0 or TN_EINVAL (logged).
TN__PRIVATE int tn__inf_settings(const tn_inflate_desc *desc, int *format, int *wbits) {
    *format = desc ? TN__DEF(desc->format, TN_DEFLATE_ZLIB) : TN_DEFLATE_ZLIB;
    *wbits = desc ? TN__DEF(desc->window_bits, 15) : 15;
    if (*format >= TN_DEFLATE_ZLIB && *format <= TN_DEFLATE_AUTO && *wbits >= 8 && *wbits <= 15) return 0;
    TN__LOGE("inflate: format %d or window_bits %d out of range", *format, *wbits);
    return TN_EINVAL;
}

TN_API size_t tn_inflate_memory(const tn_inflate_desc *desc) {
    int format, wbits;
    if (tn__inf_settings(desc, &format, &wbits)) return 0;
    return sizeof(tn_inflate) + ((size_t)1 << wbits);
}

TN_API tn_inflate *tn_inflate_new(const tn_inflate_desc *desc) {
    int format, wbits;
    if (tn__inf_settings(desc, &format, &wbits)) return NULL;
    tn_inflate *z = TN__CAST(tn_inflate *, tn__malloc(sizeof *z));
    if (!z) return NULL;
    z->asked_format = format;
    z->wbits = (unsigned)wbits;
    z->window = NULL;
    tn_inflate_reset(z, false);
    return z;
}

TN_API void tn_inflate_reset(tn_inflate *z, bool keep_window) {
    tn__inf_start(z);
    z->format = z->asked_format;
    z->fixed = false;
    z->msg = NULL;
    memset(&z->gz, 0, sizeof z->gz);
    if (!keep_window) z->whave = z->wnext = 0;
}

TN_API int tn_inflate_update(tn_inflate *z, const void *in, size_t *in_len, void *out, size_t *out_len) {
    static const uint8_t no_input[1] = {0};
    uint8_t no_room[1];
    tn__inf_io io;
    io.in = in ? TN__CAST(const uint8_t *, in) : no_input;
    io.in_end = io.in + (in ? *in_len : 0);
    io.out = io.out_begin = io.sum_from = out ? TN__CAST(uint8_t *, out) : no_room;
    io.out_end = io.out + (out ? *out_len : 0);
    const uint8_t *in_begin = io.in;
    int r = tn__inflate_run(z, &io);
    tn__inf_sum(z, &io);
    // A finished zlib or gzip stream needs no history; a raw one may
    // (tn_inflate_reset with keep_window).
    if ((r == 0 || (r == 1 && z->format == TN_DEFLATE_RAW)) &&
        tn__inf_keep(z, io.out_begin, (size_t)(io.out - io.out_begin))) {
        tn__inf_fail(z, "out of memory");
        r = TN_ENOMEM;
    }
    *in_len = (size_t)(io.in - in_begin);
    *out_len = (size_t)(io.out - io.out_begin);
    return r;
}

TN_API const char *tn_inflate_error(const tn_inflate *z) { return z->msg; }

TN_API const tn_gzip_header *tn_inflate_gzip_header(const tn_inflate *z) { return &z->gz; }

TN_API void tn_inflate_free(tn_inflate *z) {
    if (!z) return;
    tn__free(z->window);
    tn__free(z);
}

TN_API int tn_inflate_buf(tn_buf *out, const void *in, size_t len, size_t max_len, const tn_inflate_desc *desc) {
    int format, wbits, r;
    if ((r = tn__inf_settings(desc, &format, &wbits))) return r;
    tn_inflate *z = tn_inflate_new(desc);
    if (!z) return TN_ENOMEM;
    const uint8_t *p = TN__CAST(const uint8_t *, in);
    size_t start = out->len, left = len;
    // Room for one byte past max_len tells a stream that goes on from one
    // that ends exactly there.
    size_t limit = max_len < SIZE_MAX ? max_len + 1 : max_len;
    do {
        size_t made = out->len - start, want = TN__MIN(TN__MAX(made, TN__MAX(len, (size_t)4096)), limit - made);
        if ((r = tn_buf_reserve(out, want)) < 0) break;
        size_t n = left, room = TN__MIN(out->cap - out->len - 1, limit - made), given = room;
        r = tn_inflate_update(z, p, &n, out->data + out->len, &room);
        p += n;
        left -= n;
        out->len += room;
        if (out->len - start > max_len) r = TN_EMSGSIZE;
        else if (r == 0 && room < given) r = tn__inf_fail(z, "truncated stream");
        else if (r == 1 && left) r = tn__inf_fail(z, "trailing garbage after the stream");
    } while (r == 0);
    tn_inflate_free(z);
    if (r < 0) out->len = start;
    if (out->data) out->data[out->len] = '\0';
    return r < 0 ? r : 0;
}

// ---- deflate: Huffman codes -----------------------------------------------------

// Shell sort (Ciura's gaps): a few hundred keys at most, no call per compare.
TN__PRIVATE void tn__sort_u32(uint32_t *a, unsigned n) {
    static const unsigned gaps[] = {132, 57, 23, 10, 4, 1};
    for (unsigned g = 0; g < TN__COUNTOF(gaps); g++)
        for (unsigned i = gaps[g]; i < n; i++) {
            uint32_t v = a[i];
            unsigned j = i;
            for (; j >= gaps[g] && a[j - gaps[g]] > v; j -= gaps[g]) a[j] = a[j - gaps[g]];
            a[j] = v;
        }
}

// Code lengths of at most `limit` bits for the frequencies freq[0..n) (n <=
// 288): optimal lengths by Moffat and Katajainen's in-place method, then
// leaves pushed down until the longest fit. At least two symbols get a code,
// so the code is always complete (what every inflater accepts).
TN__PRIVATE void tn__huff_lengths(const uint32_t *freq, unsigned n, unsigned limit, uint8_t *lens) {
    uint32_t sym[TN__LITLEN_SYMS], a[TN__LITLEN_SYMS];
    unsigned m = 0, count[TN__MAX_BITS + 1] = {0};
    memset(lens, 0, n);
    for (unsigned s = 0; s < n; s++)
        if (freq[s]) sym[m++] = freq[s] << 9 | s;
    if (m < 2) {
        unsigned s = m ? sym[0] & 511 : 0;
        lens[s] = lens[s ? 0 : 1] = 1;
        return;
    }
    tn__sort_u32(sym, m);
    for (unsigned i = 0; i < m; i++) a[i] = sym[i] >> 9;
    // Pass 1: a[] becomes parent pointers of the internal nodes.
    unsigned leaf = 2, root = 0;
    a[0] += a[1];
    for (unsigned next = 1; next < m - 1; next++) {
        if (leaf >= m || a[root] < a[leaf]) a[next] = a[root], a[root++] = next;
        else a[next] = a[leaf++];
        if (leaf >= m || (root < next && a[root] < a[leaf])) a[next] += a[root], a[root++] = next;
        else a[next] += a[leaf++];
    }
    // Pass 2: depths of the internal nodes; pass 3: depths of the leaves.
    a[m - 2] = 0;
    for (int next = (int)m - 3; next >= 0; next--) a[next] = a[a[next]] + 1;
    int avail = 1, used = 0, depth = 0, r = (int)m - 2;
    while (avail > 0) {
        while (r >= 0 && (int)a[r] == depth) used++, r--;
        while (avail > used) count[TN__MIN((unsigned)depth, limit)]++, avail--;
        avail = 2 * used;
        depth++;
        used = 0;
    }
    // Too long codes were cut to `limit`; while the code space overflows,
    // move a leaf one level down next to one brought up from the bottom:
    // each move frees exactly one slot at the deepest level.
    uint32_t kraft = 0;
    for (unsigned len = 1; len <= limit; len++) kraft += count[len] << (limit - len);
    while (kraft > 1u << limit) {
        unsigned len = limit - 1;
        while (!count[len]) len--;
        count[len]--;
        count[len + 1] += 2;
        count[limit]--;
        kraft--;
    }
    // The least frequent symbols get the longest codes.
    unsigned i = 0;
    for (unsigned len = limit; len >= 1; len--)
        for (unsigned c = count[len]; c; c--) lens[sym[i++] & 511] = (uint8_t)len;
}

// Canonical codes for the lengths, bit-reversed for sending least significant first.
TN__PRIVATE void tn__huff_codes(const uint8_t *lens, unsigned n, uint16_t *codes) {
    unsigned count[TN__MAX_BITS + 1] = {0}, next[TN__MAX_BITS + 1];
    for (unsigned s = 0; s < n; s++) count[lens[s]]++;
    count[0] = 0;
    unsigned code = 0;
    for (unsigned len = 1; len <= TN__MAX_BITS; len++) next[len] = code = (code + count[len - 1]) << 1;
    for (unsigned s = 0; s < n; s++)
        if (lens[s]) codes[s] = (uint16_t)tn__bitrev(next[lens[s]]++, lens[s]);
}

// The code lengths lens[0..n) as code length codes (RFC 1951 3.2.7): each
// entry is a symbol 0..18 plus its repeat bits << 5. Counts them in freq.
TN__PRIVATE unsigned tn__huff_rle(const uint8_t *lens, unsigned n, uint16_t *out, uint32_t *freq) {
    unsigned k = 0;
    for (unsigned i = 0; i < n;) {
        unsigned len = lens[i], run = 1, r;
        while (i + run < n && lens[i + run] == len) run++;
        i += run;
        if (!len) {
            for (; run >= 11; run -= r) r = TN__MIN(run, 138u), out[k++] = (uint16_t)(18 | (r - 11) << 5), freq[18]++;
            if (run >= 3) out[k++] = (uint16_t)(17 | (run - 3) << 5), freq[17]++, run = 0;
        } else {
            out[k++] = (uint16_t)len, freq[len]++, run--;
            for (; run >= 3; run -= r) r = TN__MIN(run, 6u), out[k++] = (uint16_t)(16 | (r - 3) << 5), freq[16]++;
        }
        for (; run; run--) out[k++] = (uint16_t)len, freq[len]++;
    }
    return k;
}

// ---- deflate: the stream ------------------------------------------------------------

enum {
    TN__MIN_LOOKAHEAD = TN__MAX_MATCH + TN__MIN_MATCH + 1,
    TN__TOO_FAR = 4096,     // a 3-byte match farther back costs more than 3 literals
    TN__SKIP_AFTER = 1024,  // positions without a match before tn__defl_looks skips
    TN__WIN_SLACK = 16,     // match comparison reads up to 8 bytes past the lookahead
    TN__PEND_ROOM = 4096,   // pending output: a block goes out in pieces this big
                            // (less with small memory levels, at least a dynamic
                            // block's header: 286 bytes),
    TN__PEND_SLACK = 64,    // plus an end of block, a flush marker, a trailer, 8-byte stores
    TN__DEFL_NEED = 0,      // compression results: more input wanted,
    TN__DEFL_BLOCK,         // a block is ready to go out,
    TN__DEFL_DRAINED,       // all input compressed (flushing)
    TN__OUT_NONE = 0,       // the block being written out: none,
    TN__OUT_STORED,
    TN__OUT_CODED           // fixed or dynamic codes
};

// zlib's parameters per level. Levels 1-3 are greedy, and `lazy` is then the
// longest match whose strings all go into the hash table.
typedef struct tn__defl_level {
    uint16_t good, lazy, nice, chain;
} tn__defl_level;
static const tn__defl_level tn__defl_levels[10] = {
    {0, 0, 0, 0},      {4, 4, 8, 4},        {4, 5, 16, 8},         {4, 6, 32, 32},         {4, 4, 16, 16},
    {8, 16, 32, 32},   {8, 32, 128, 64},    {8, 32, 128, 256},     {32, 128, 258, 1024},   {32, 258, 258, 4096}};

struct tn_deflate {
    int format, level;
    tn__defl_level cfg;
    // The window: [0, pos) is history, [pos, pos + ahead) the lookahead.
    uint8_t *win;
    uint32_t wsize;         // half the window buffer, what a slide drops
    uint32_t max_dist;      // the farthest match: 2^window_bits, and never
                            // into what the next slide drops, so the output
                            // does not depend on how the input is cut
    uint32_t pos, ahead;
    uint32_t high;          // the window bytes below this were ever written: match
                            // comparisons read up to 8 bytes past the lookahead,
                            // and those must be defined bytes (zlib's high_water)
    long block_start;       // where the current block's data starts (< 0: slid out)
    // Hash chains of 4-byte strings (0 ends a chain), and the last position
    // of each 3-byte string for the short matches close by: far fewer
    // candidates to try than chains of 3-byte strings, for nearly the same
    // matches.
    uint16_t *head, *head3, *prev;  // head3 follows head in one array
    unsigned hash_bits, hash3_bits;
    size_t nhead;                    // entries of head and head3
    uint32_t cand3;                  // head3's entry before the last insert
    uint32_t match_len, match_start, prev_len, prev_match;
    bool match_avail;       // lazy: the byte before pos still waits
    uint32_t misses;        // positions in a row without a match
    // The current block: 3 bytes per symbol (length-3 or literal, distance).
    uint8_t *syms;
    uint32_t nsyms, max_syms;
    uint32_t lfreq[286], dfreq[30];
    // The block being written out, a piece at a time, and what follows it.
    int out_type;
    int out_then;           // the flush to complete after the block, or 0
    uint32_t out_next;      // symbols (or stored bytes) written so far
    uint32_t out_len;       // stored bytes in the block
    const uint8_t *out_raw; // the stored bytes, in the window
    uint8_t llen[TN__LITLEN_SYMS], dlen[30];
    uint16_t lcode[TN__LITLEN_SYMS], dcode[30];
    // Compressed bytes not yet handed out, and the bits not yet a byte.
    uint8_t *pend;
    size_t pend_len, pend_out, pend_limit;
    uint64_t bitbuf;
    unsigned bitcount;      // < 8 between calls
    uint32_t check, total;
    int flushed;            // the flush written out but not yet reported done, or 0
    bool finished;
    uint8_t *header;        // the zlib or gzip header of every stream
    size_t header_len;
};

// Everything about a desc that sizes the one allocation a stream makes.
typedef struct tn__defl_plan {
    int format, level;
    unsigned wbits, hash_bits, hash3_bits;
    uint32_t wsize, max_syms;
    size_t name_len, header_len, pend_cap;
    size_t off_head, off_prev, off_win, off_syms, off_pend, off_header, size;
} tn__defl_plan;

TN__PRIVATE int tn__defl_plan_for(const tn_deflate_desc *d, tn__defl_plan *p) {
    static const tn_deflate_desc none = {0, 0, 0, 0, NULL, 0};
    if (!d) d = &none;
    int mem = TN__DEF(d->mem_level, 8), wbits = TN__DEF(d->window_bits, 15);
    p->format = TN__DEF(d->format, TN_DEFLATE_ZLIB);
    p->level = TN__DEF(d->level, 6);
    p->name_len = d->gzip_name ? strlen(d->gzip_name) : 0;
    if (p->format < TN_DEFLATE_ZLIB || p->format > TN_DEFLATE_GZIP || p->level < TN_DEFLATE_STORE ||
        p->level > 9 || wbits < 8 || wbits > 15 || mem < 1 || mem > 9 || p->name_len > 1024) {
        TN__LOGE("deflate: format %d, level %d, window_bits %d or mem_level %d out of range, or "
                 "gzip_name longer than 1024", p->format, p->level, wbits, mem);
        return TN_EINVAL;
    }
    if (p->level == TN_DEFLATE_STORE) p->level = 0;
    // Small windows still slide in 1 KiB halves, so sliding stays cheap;
    // max_dist keeps the matches within 2^window_bits.
    unsigned wsize_bits = (unsigned)TN__MAX(wbits, 10);
    p->wbits = (unsigned)wbits;
    p->wsize = 1u << wsize_bits;
    p->hash_bits = TN__MIN((unsigned)mem + 7, wsize_bits + 1);
    p->hash3_bits = p->hash_bits - 3;
    p->max_syms = 1u << (mem + 6);
    p->header_len = p->format == TN_DEFLATE_GZIP ? 10 + (d->gzip_name ? p->name_len + 1 : 0)
                    : p->format == TN_DEFLATE_ZLIB ? 2 : 0;
    size_t room = TN__MIN((size_t)TN__PEND_ROOM, TN__MAX(4 * (size_t)p->max_syms, (size_t)512));
    p->pend_cap = TN__MAX(room, p->header_len) + TN__PEND_SLACK;
    bool hashed = p->level > 0;
    p->off_head = (sizeof(tn_deflate) + 7) & ~(size_t)7;
    p->off_prev = p->off_head + (hashed ? sizeof(uint16_t) * ((1u << p->hash_bits) + (1u << p->hash3_bits)) : 0);
    p->off_win = p->off_prev + (hashed ? sizeof(uint16_t) * p->wsize : 0);
    p->off_syms = p->off_win + 2 * (size_t)p->wsize + TN__WIN_SLACK;
    p->off_pend = p->off_syms + (hashed ? 3 * (size_t)p->max_syms : 0);
    p->off_header = p->off_pend + p->pend_cap;
    p->size = p->off_header + p->header_len;
    return 0;
}

TN__PRIVATE void tn__defl_write_header(const tn__defl_plan *p, uint32_t mtime, const char *name, uint8_t *h) {
    if (p->format == TN_DEFLATE_ZLIB) {
        unsigned flevel = p->level < 2 ? 0 : p->level < 6 ? 1 : p->level == 6 ? 2 : 3;
        unsigned v = (p->wbits - 8) << 12 | 8 << 8 | flevel << 6;
        v += (31 - v % 31) % 31;
        h[0] = (uint8_t)(v >> 8);
        h[1] = (uint8_t)v;
    } else if (p->format == TN_DEFLATE_GZIP) {
        h[0] = 0x1f, h[1] = 0x8b, h[2] = 8, h[3] = name ? 8 : 0;
        for (int i = 0; i < 4; i++) h[4 + i] = (uint8_t)(mtime >> 8 * i);
        h[8] = p->level == 9 ? 2 : p->level == 1 ? 4 : 0;
        h[9] = 255;  // OS: unknown
        if (name) memcpy(h + 10, name, p->name_len + 1);
    }
}

TN__PRIVATE void tn__defl_bits(tn_deflate *z, uint32_t v, unsigned n) {
    z->bitbuf |= (uint64_t)v << z->bitcount;
    for (z->bitcount += n; z->bitcount >= 8; z->bitcount -= 8, z->bitbuf >>= 8)
        z->pend[z->pend_len++] = (uint8_t)z->bitbuf;
}

TN__PRIVATE void tn__defl_align(tn_deflate *z) {
    if (z->bitcount) z->pend[z->pend_len++] = (uint8_t)z->bitbuf;
    z->bitbuf = 0;
    z->bitcount = 0;
}

// A stored block's header for `len` bytes (<= 65535).
TN__PRIVATE void tn__defl_stored_header(tn_deflate *z, size_t len, bool last) {
    tn__defl_bits(z, last, 3);
    tn__defl_align(z);
    uint8_t *p = z->pend + z->pend_len;
    p[0] = (uint8_t)len, p[1] = (uint8_t)(len >> 8), p[2] = (uint8_t)~len, p[3] = (uint8_t)(~len >> 8);
    z->pend_len += 4;
}

// What a flush adds once all input is compressed and written out: the
// trailer after the final block, or the 00 00 FF FF of an empty stored block.
TN__PRIVATE void tn__defl_then(tn_deflate *z, int flush) {
    if (flush == TN_DEFLATE_FINISH) {
        tn__defl_align(z);
        uint8_t *p = z->pend + z->pend_len;
        if (z->format == TN_DEFLATE_ZLIB) {
            for (int i = 0; i < 4; i++) p[i] = (uint8_t)(z->check >> (24 - 8 * i));
            z->pend_len += 4;
        } else if (z->format == TN_DEFLATE_GZIP) {
            for (int i = 0; i < 4; i++) p[i] = (uint8_t)(z->check >> 8 * i), p[4 + i] = (uint8_t)(z->total >> 8 * i);
            z->pend_len += 8;
        }
        z->finished = true;
        return;
    }
    tn__defl_stored_header(z, 0, false);
    if (flush == TN_DEFLATE_FULL_FLUSH && z->head) memset(z->head, 0, sizeof(uint16_t) * z->nhead);
}

// Writes out as much of the current block as the pending output holds;
// when it is all out, what the flush that asked for it adds.
TN__PRIVATE void tn__defl_emit(tn_deflate *z) {
    if (z->out_type == TN__OUT_STORED) {
        uint32_t n = (uint32_t)TN__MIN((size_t)(z->out_len - z->out_next), z->pend_limit - z->pend_len);
        memcpy(z->pend + z->pend_len, z->out_raw + z->out_next, n);
        z->pend_len += n;
        if ((z->out_next += n) < z->out_len) return;
    } else {
        const uint8_t *llen = z->llen, *dlen = z->dlen;
        const uint16_t *lcode = z->lcode, *dcode = z->dcode;
        uint8_t *o = z->pend + z->pend_len, *limit = z->pend + z->pend_limit;
        uint64_t bb = z->bitbuf;
        unsigned bc = z->bitcount;
        const uint8_t *s = z->syms + 3 * z->out_next, *end = z->syms + 3 * z->nsyms;
        for (; s < end && o < limit; s += 3) {
            unsigned dist = (unsigned)(s[1] | s[2] << 8);
            if (!dist) {
                bb |= (uint64_t)lcode[s[0]] << bc;
                bc += llen[s[0]];
            } else {
                // At most 15+5+15+13 = 48 bits, on top of fewer than 8.
                unsigned len = s[0] + 3u, lc = tn__len_code(len), dc = tn__dist_code(dist);
                bb |= (uint64_t)lcode[257 + lc] << bc;
                bc += llen[257 + lc];
                bb |= (uint64_t)(len - tn__len_base[lc]) << bc;
                bc += tn__len_extra[lc];
                bb |= (uint64_t)dcode[dc] << bc;
                bc += dlen[dc];
                bb |= (uint64_t)(dist - tn__dist_base[dc]) << bc;
                bc += tn__dist_extra[dc];
            }
            tn__store_le64(o, bb);
            o += bc >> 3;
            bb >>= bc & ~7u;
            bc &= 7;
        }
        z->pend_len = (size_t)(o - z->pend);
        z->bitbuf = bb;
        z->bitcount = bc;
        z->out_next = (uint32_t)(s - z->syms) / 3;
        if (s < end) return;
        tn__defl_bits(z, lcode[TN__END_BLOCK], llen[TN__END_BLOCK]);
        z->nsyms = 0;
    }
    z->out_type = TN__OUT_NONE;
    if (z->out_then) tn__defl_then(z, z->out_then);
}

// The bits the block's symbols take with these code lengths.
TN__PRIVATE uint64_t tn__defl_cost(const tn_deflate *z, const uint8_t *llen, const uint8_t *dlen) {
    uint64_t bits = 0;
    for (unsigned s = 0; s < 286; s++)
        bits += (uint64_t)z->lfreq[s] * (llen[s] + (s > 256 ? tn__len_extra[s - 257] : 0u));
    for (unsigned d = 0; d < 30; d++) bits += (uint64_t)z->dfreq[d] * (dlen[d] + tn__dist_extra[d]);
    return bits;
}

// A dynamic block's header: the code lengths, run-length coded.
typedef struct tn__defl_tree {
    uint8_t llen[286], dlen[30], plen[TN__PRECODE_SYMS];
    unsigned hlit, hdist, hclen, nrle;
    uint16_t rle[286 + 30];
    uint64_t bits;  // of the header
} tn__defl_tree;

TN__PRIVATE void tn__defl_plan_tree(const tn_deflate *z, tn__defl_tree *t) {
    uint8_t all[286 + 30];
    uint32_t pfreq[TN__PRECODE_SYMS] = {0};
    tn__huff_lengths(z->lfreq, 286, TN__MAX_BITS, t->llen);
    tn__huff_lengths(z->dfreq, 30, TN__MAX_BITS, t->dlen);
    for (t->hlit = 286; t->hlit > 257 && !t->llen[t->hlit - 1]; t->hlit--) {
    }
    for (t->hdist = 30; t->hdist > 1 && !t->dlen[t->hdist - 1]; t->hdist--) {
    }
    memcpy(all, t->llen, t->hlit);
    memcpy(all + t->hlit, t->dlen, t->hdist);
    t->nrle = tn__huff_rle(all, t->hlit + t->hdist, t->rle, pfreq);
    tn__huff_lengths(pfreq, TN__PRECODE_SYMS, 7, t->plen);
    for (t->hclen = 19; t->hclen > 4 && !t->plen[tn__precode_order[t->hclen - 1]]; t->hclen--) {
    }
    t->bits = 5 + 5 + 4 + 3 * t->hclen + 2 * (uint64_t)pfreq[16] + 3 * (uint64_t)pfreq[17] + 7 * (uint64_t)pfreq[18];
    for (unsigned s = 0; s < TN__PRECODE_SYMS; s++) t->bits += (uint64_t)pfreq[s] * t->plen[s];
}

TN__PRIVATE void tn__defl_send_tree(tn_deflate *z, const tn__defl_tree *t) {
    uint16_t pcode[TN__PRECODE_SYMS];
    static const uint8_t extra[3] = {2, 3, 7};
    tn__huff_codes(t->plen, TN__PRECODE_SYMS, pcode);
    tn__defl_bits(z, t->hlit - 257, 5);
    tn__defl_bits(z, t->hdist - 1, 5);
    tn__defl_bits(z, t->hclen - 4, 4);
    for (unsigned i = 0; i < t->hclen; i++) tn__defl_bits(z, t->plen[tn__precode_order[i]], 3);
    for (unsigned i = 0; i < t->nrle; i++) {
        unsigned sym = t->rle[i] & 31;
        tn__defl_bits(z, pcode[sym], t->plen[sym]);
        if (sym >= 16) tn__defl_bits(z, t->rle[i] >> 5, extra[sym - 16]);
    }
}

// Ends the current block at window position `end` (stored, fixed or
// dynamic, whichever is shortest): writes its header and readies the rest
// for tn__defl_emit. `then` is the flush to complete after it, or 0.
TN__PRIVATE void tn__defl_block(tn_deflate *z, uint32_t end, bool last, int then) {
    uint32_t raw_len = (uint32_t)((long)end - z->block_start);
    z->out_then = then;
    z->out_next = 0;
    z->out_type = TN__OUT_CODED;
    if (z->level) {
        tn__defl_tree t;
        uint8_t fdist[30];
        z->lfreq[TN__END_BLOCK] = 1;
        tn__defl_plan_tree(z, &t);
        tn__fixed_lens(z->llen);
        memset(fdist, 5, sizeof fdist);
        uint64_t dyn = 3 + t.bits + tn__defl_cost(z, t.llen, t.dlen), fixed = 3 + tn__defl_cost(z, z->llen, fdist);
        // Stored only while the data cannot have slid out of the window,
        // whenever the slide came.
        uint64_t stored = raw_len <= z->wsize - TN__MIN_LOOKAHEAD ? 42 + 8 * (uint64_t)raw_len : UINT64_MAX;
        if (stored <= fixed && stored <= dyn) {
            z->out_type = TN__OUT_STORED;
        } else if (fixed <= dyn) {
            tn__defl_bits(z, 2 | last, 3);
            memcpy(z->dlen, fdist, sizeof fdist);
        } else {
            tn__defl_bits(z, 4 | last, 3);
            tn__defl_send_tree(z, &t);
            memset(z->llen, 0, sizeof z->llen);
            memcpy(z->llen, t.llen, 286);
            memcpy(z->dlen, t.dlen, 30);
        }
        // All 288 lengths: the fixed code's 286 and 287 shift the 9-bit codes.
        tn__huff_codes(z->llen, TN__LITLEN_SYMS, z->lcode);
        tn__huff_codes(z->dlen, 30, z->dcode);
        memset(z->lfreq, 0, sizeof z->lfreq);
        memset(z->dfreq, 0, sizeof z->dfreq);
    }
    if (!z->level || z->out_type == TN__OUT_STORED) {
        // Blocks of the stored-only level hold at most half a window.
        tn__defl_stored_header(z, raw_len, last);
        z->out_type = TN__OUT_STORED;
        z->out_raw = z->win + z->block_start;
        z->out_len = raw_len;
        z->nsyms = 0;
    }
    z->block_start = (long)end;
}

// ---- deflate: matching ---------------------------------------------------------------

// Enters the strings at pos; returns the previous position with the same
// 4-byte hash (and leaves the one with the same 3-byte hash in cand3).
TN__PRIVATE uint32_t tn__defl_insert(tn_deflate *z, uint32_t pos) {
    // Multiplicative hashing: the top bits of the product mix all the bytes.
    uint32_t v = tn__load_le32(z->win + pos);
    uint32_t h = v * 0x9E3779B1u >> (32 - z->hash_bits), h3 = (v & 0xffffff) * 0x9E3779B1u >> (32 - z->hash3_bits);
    uint32_t cand = z->head[h];
    z->cand3 = z->head3[h3];
    z->head3[h3] = (uint16_t)pos;
    z->prev[pos & (z->wsize - 1)] = (uint16_t)cand;
    z->head[h] = (uint16_t)pos;
    return cand;
}

// The length of the common prefix of a and b, at most max.
TN__PRIVATE uint32_t tn__match_len(const uint8_t *a, const uint8_t *b, uint32_t max) {
    for (uint32_t len = 0; len < max; len += 8) {
        uint64_t x = tn__load_le64(a + len) ^ tn__load_le64(b + len);
        if (x) return TN__MIN(len + ((unsigned)__builtin_ctzll(x) >> 3), max);
    }
    return max;
}

// Follows the chain from `cand` for a match longer than `best`, then tries
// cand3 for a 3-byte match; sets match_start when it finds one. Returns the
// best length.
TN__PRIVATE uint32_t tn__defl_longest(tn_deflate *z, uint32_t cand, uint32_t best) {
    const uint8_t *win = z->win, *scan = win + z->pos;
    const uint16_t *prev = z->prev;
    uint32_t chain = z->cfg.chain, max = TN__MIN(z->ahead, (uint32_t)TN__MAX_MATCH);
    uint32_t nice = TN__MIN((uint32_t)z->cfg.nice, max), wmask = z->wsize - 1;
    uint32_t limit = z->pos > z->max_dist ? z->pos - z->max_dist : 0;
    if (best >= max) return best;
    if (best >= z->cfg.good) chain >>= 2;
    // Only a candidate that agrees in its first four bytes and where it would
    // pass the best so far is worth comparing.
    uint32_t start = tn__load_le32(scan), end = tn__load16(scan + best - 1);
    for (; cand > limit && chain; chain--, cand = prev[cand & wmask]) {
        const uint8_t *m = win + cand;
        if (tn__load16(m + best - 1) != end || tn__load_le32(m) != start) continue;
        uint32_t len = tn__match_len(m, scan, max);
        if (len > best) {
            z->match_start = cand;
            best = len;
            if (len >= nice) break;
            end = tn__load16(scan + best - 1);
        }
    }
    if (best < TN__MIN_MATCH && z->cand3 > limit && z->pos - z->cand3 <= TN__TOO_FAR) {
        uint32_t len = tn__match_len(win + z->cand3, scan, max);
        if (len >= TN__MIN_MATCH) {
            z->match_start = z->cand3;
            best = len;
        }
    }
    return best;
}

// Whether to look for a match at this position. After a long run without
// one (incompressible data), only at one position in 2, 4, ... 32, more
// sparsely the longer the run: a match found sets it back.
TN__PRIVATE bool tn__defl_looks(const tn_deflate *z) {
    if (z->ahead < TN__MIN_MATCH) return false;
    if (z->misses < TN__SKIP_AFTER) return true;
    unsigned k = TN__MIN((z->misses - TN__SKIP_AFTER) >> 8, 5u);
    return !(z->misses & ((1u << k) - 1));
}

TN__PRIVATE bool tn__defl_lit(tn_deflate *z, uint8_t c) {
    uint8_t *s = z->syms + 3 * z->nsyms++;
    s[0] = c, s[1] = 0, s[2] = 0;
    z->lfreq[c]++;
    return z->nsyms == z->max_syms;
}

TN__PRIVATE bool tn__defl_match(tn_deflate *z, uint32_t len, uint32_t dist) {
    uint8_t *s = z->syms + 3 * z->nsyms++;
    s[0] = (uint8_t)(len - 3), s[1] = (uint8_t)dist, s[2] = (uint8_t)(dist >> 8);
    z->lfreq[257 + tn__len_code(len)]++;
    z->dfreq[tn__dist_code(dist)]++;
    return z->nsyms == z->max_syms;
}

// Levels 1-3: take the longest match at each position.
TN__PRIVATE int tn__defl_greedy(tn_deflate *z, bool flush) {
    while (z->ahead >= TN__MIN_LOOKAHEAD || (flush && z->ahead)) {
        uint32_t len = 0, cand = tn__defl_looks(z) ? tn__defl_insert(z, z->pos) : (z->cand3 = 0);
        bool full;
        if (cand || z->cand3) {
            len = tn__defl_longest(z, cand, TN__MIN_MATCH - 1);
            if (len == TN__MIN_MATCH && z->pos - z->match_start > TN__TOO_FAR) len = 0;
        }
        if (len >= TN__MIN_MATCH) {
            full = tn__defl_match(z, len, z->pos - z->match_start);
            z->misses = 0;
            z->ahead -= len;
            uint32_t end = z->pos + len;
            if (len <= z->cfg.lazy && z->ahead >= TN__MIN_MATCH)
                while (++z->pos < end) tn__defl_insert(z, z->pos);
            z->pos = end;
        } else {
            full = tn__defl_lit(z, z->win[z->pos]);
            z->pos++;
            z->ahead--;
            z->misses++;
        }
        if (full) {
            tn__defl_block(z, z->pos, false, 0);
            return TN__DEFL_BLOCK;
        }
    }
    return flush ? TN__DEFL_DRAINED : TN__DEFL_NEED;
}

// Levels 4-9: a match is taken only if the match at the next byte is not longer.
TN__PRIVATE int tn__defl_lazy(tn_deflate *z, bool flush) {
    while (z->ahead >= TN__MIN_LOOKAHEAD || (flush && z->ahead)) {
        uint32_t cand = tn__defl_looks(z) ? tn__defl_insert(z, z->pos) : (z->cand3 = 0);
        z->prev_len = z->match_len;
        z->prev_match = z->match_start;
        z->match_len = TN__MIN_MATCH - 1;
        if ((cand || z->cand3) && z->prev_len < z->cfg.lazy) {
            z->match_len = tn__defl_longest(z, cand, z->prev_len);
            if (z->match_len == TN__MIN_MATCH && z->pos - z->match_start > TN__TOO_FAR)
                z->match_len = TN__MIN_MATCH - 1;
        }
        if (z->prev_len >= TN__MIN_MATCH && z->match_len <= z->prev_len) {
            // The match at pos-1 wins; hash the strings it covers.
            uint32_t max_insert = z->pos + z->ahead - TN__MIN_MATCH;
            bool full = tn__defl_match(z, z->prev_len, z->pos - 1 - z->prev_match);
            z->misses = 0;
            z->ahead -= z->prev_len - 1;
            for (uint32_t k = z->prev_len - 2; k; k--)
                if (++z->pos <= max_insert) tn__defl_insert(z, z->pos);
            z->match_avail = false;
            z->match_len = TN__MIN_MATCH - 1;
            z->pos++;
            if (full) {
                tn__defl_block(z, z->pos, false, 0);
                return TN__DEFL_BLOCK;
            }
        } else if (z->match_avail) {
            bool full = tn__defl_lit(z, z->win[z->pos - 1]);
            if (full) tn__defl_block(z, z->pos, false, 0);
            z->pos++;
            z->ahead--;
            z->misses++;
            if (full) return TN__DEFL_BLOCK;
        } else {
            z->match_avail = true;
            z->pos++;
            z->ahead--;
        }
    }
    if (!flush) return TN__DEFL_NEED;
    if (z->match_avail) tn__defl_lit(z, z->win[z->pos - 1]);
    z->match_avail = false;
    return TN__DEFL_DRAINED;
}

// The stored-only level: a block per window half (the window slides only
// past sent data).
TN__PRIVATE int tn__defl_store(tn_deflate *z, bool flush) {
    z->pos += z->ahead;
    z->ahead = 0;
    if ((long)z->pos - z->block_start >= (long)z->wsize) {
        tn__defl_block(z, (uint32_t)z->block_start + z->wsize, false, 0);
        return TN__DEFL_BLOCK;
    }
    return flush ? TN__DEFL_DRAINED : TN__DEFL_NEED;
}

// Drops the older half of the window; positions move down with it.
TN__PRIVATE void tn__defl_slide(tn_deflate *z) {
    uint32_t w = z->wsize;
    memmove(z->win, z->win + w, z->pos + z->ahead - w);
    z->pos -= w;
    z->match_start -= w;
    z->block_start -= (long)w;
    if (!z->head) return;
    for (size_t i = 0; i < z->nhead; i++) z->head[i] = (uint16_t)(z->head[i] >= w ? z->head[i] - w : 0);
    for (uint32_t i = 0; i < w; i++) z->prev[i] = (uint16_t)(z->prev[i] >= w ? z->prev[i] - w : 0);
}

// Copies input into the window; returns the bytes taken.
TN__PRIVATE size_t tn__defl_fill(tn_deflate *z, const uint8_t *in, size_t n) {
    if (z->level ? z->pos >= 2 * z->wsize - TN__MIN_LOOKAHEAD : z->block_start >= (long)z->wsize)
        tn__defl_slide(z);
    n = TN__MIN(n, (size_t)(2 * z->wsize - z->pos - z->ahead));
    if (!n) return 0;
    memcpy(z->win + z->pos + z->ahead, in, n);
    uint32_t end = z->pos + z->ahead + (uint32_t)n;
    if (end + 8 > z->high) {
        memset(z->win + TN__MAX(end, z->high), 0, end + 8 - TN__MAX(end, z->high));
        z->high = end + 8;
    }
    if (z->format == TN_DEFLATE_ZLIB) z->check = tn_adler32(z->check, in, n);
    else if (z->format == TN_DEFLATE_GZIP) z->check = tn_crc32(z->check, in, n);
    z->total += (uint32_t)n;
    z->ahead += (uint32_t)n;
    z->flushed = 0;
    return n;
}

// Ends what the input so far made with the block a flush asks for (the
// final one for TN_DEFLATE_FINISH), and what follows it.
TN__PRIVATE void tn__defl_flush(tn_deflate *z, int flush) {
    if (flush == TN_DEFLATE_FINISH || z->nsyms || (long)z->pos > z->block_start)
        tn__defl_block(z, z->pos, flush == TN_DEFLATE_FINISH, flush);
    else
        tn__defl_then(z, flush);
}

TN__PRIVATE uint8_t *tn__defl_drain(tn_deflate *z, uint8_t *out, const uint8_t *end) {
    size_t n = TN__MIN(z->pend_len - z->pend_out, (size_t)(end - out));
    if (n) memcpy(out, z->pend + z->pend_out, n);
    z->pend_out += n;
    if (z->pend_out == z->pend_len) z->pend_len = z->pend_out = 0;
    return out + n;
}

TN_API size_t tn_deflate_memory(const tn_deflate_desc *desc) {
    tn__defl_plan p;
    return tn__defl_plan_for(desc, &p) ? 0 : p.size;
}

TN_API size_t tn_deflate_bound(size_t len) { return len + (len >> 3) + (len >> 6) + 64; }

TN_API tn_deflate *tn_deflate_new(const tn_deflate_desc *desc) {
    tn__defl_plan p;
    if (tn__defl_plan_for(desc, &p)) return NULL;
    uint8_t *mem = TN__CAST(uint8_t *, tn__malloc(p.size));
    if (!mem) return NULL;
    tn_deflate *z = TN__CAST(tn_deflate *, (void *)mem);
    memset(z, 0, sizeof *z);
    z->format = p.format;
    z->level = p.level;
    z->cfg = tn__defl_levels[p.level];
    z->wsize = p.wsize;
    z->max_dist = TN__MIN(1u << p.wbits, p.wsize - TN__MIN_LOOKAHEAD);
    z->hash_bits = p.hash_bits;
    z->hash3_bits = p.hash3_bits;
    z->max_syms = p.max_syms;
    if (p.level) {
        z->head = TN__CAST(uint16_t *, (void *)(mem + p.off_head));
        z->head3 = z->head + ((size_t)1 << p.hash_bits);
        z->nhead = ((size_t)1 << p.hash_bits) + ((size_t)1 << p.hash3_bits);
        z->prev = TN__CAST(uint16_t *, (void *)(mem + p.off_prev));
        z->syms = mem + p.off_syms;
    }
    z->win = mem + p.off_win;
    z->pend = mem + p.off_pend;
    z->pend_limit = p.pend_cap - TN__PEND_SLACK;
    z->header = mem + p.off_header;
    z->header_len = p.header_len;
    tn__defl_write_header(&p, desc ? desc->gzip_mtime : 0, desc ? desc->gzip_name : NULL, z->header);
    tn_deflate_reset(z);
    return z;
}

TN_API void tn_deflate_reset(tn_deflate *z) {
    z->pos = z->ahead = 0;
    z->block_start = 0;
    z->match_len = z->prev_len = TN__MIN_MATCH - 1;
    z->match_start = z->prev_match = 0;
    z->match_avail = false;
    z->misses = 0;
    z->nsyms = 0;
    memset(z->lfreq, 0, sizeof z->lfreq);
    memset(z->dfreq, 0, sizeof z->dfreq);
    if (z->head) memset(z->head, 0, sizeof(uint16_t) * z->nhead);
    z->bitbuf = 0;
    z->bitcount = 0;
    z->check = z->format == TN_DEFLATE_ZLIB ? 1 : 0;
    z->total = 0;
    z->flushed = 0;
    z->finished = false;
    z->out_type = TN__OUT_NONE;
    if (z->header_len) memcpy(z->pend, z->header, z->header_len);
    z->pend_len = z->header_len;
    z->pend_out = 0;
}

TN_API void tn_deflate_free(tn_deflate *z) { tn__free(z); }

TN_API int tn_deflate_update(tn_deflate *z, const void *in, size_t *in_len, void *out, size_t *out_len,
                             int flush) {
    static const uint8_t no_input[1] = {0};
    uint8_t no_room[1];
    const uint8_t *ip = in ? TN__CAST(const uint8_t *, in) : no_input, *in_begin = ip;
    const uint8_t *in_end = ip + (in ? *in_len : 0);
    uint8_t *op = out ? TN__CAST(uint8_t *, out) : no_room, *out_begin = op, *out_end = op + (out ? *out_len : 0);
    int r = 0;
    if (flush < TN_DEFLATE_NO_FLUSH || flush > TN_DEFLATE_FINISH || (z->finished && ip < in_end)) r = TN_EINVAL;
    while (r == 0) {
        op = tn__defl_drain(z, op, out_end);
        if (z->pend_len) break;  // no more room
        if (z->out_type) {
            tn__defl_emit(z);
            continue;
        }
        if (z->finished) {
            r = 1;
            break;
        }
        if (ip < in_end) ip += tn__defl_fill(z, ip, (size_t)(in_end - ip));
        bool flushing = ip == in_end && flush != TN_DEFLATE_NO_FLUSH;
        if (flushing && z->flushed == flush) {
            z->flushed = 0;  // the next flush writes a new marker, input or not
            r = 1;
            break;
        }
        int c = !z->level ? tn__defl_store(z, flushing)
                : z->level <= 3 ? tn__defl_greedy(z, flushing) : tn__defl_lazy(z, flushing);
        if (c == TN__DEFL_NEED && ip == in_end) break;
        if (c == TN__DEFL_DRAINED) {
            tn__defl_flush(z, flush);
            z->flushed = flush;
        }
    }
    *in_len = (size_t)(ip - in_begin);
    *out_len = (size_t)(op - out_begin);
    return r;
}

TN_API int tn_deflate_buf(tn_buf *out, const void *in, size_t len, const tn_deflate_desc *desc) {
    tn__defl_plan p;
    int r;
    if ((r = tn__defl_plan_for(desc, &p))) return r;
    size_t bound = tn_deflate_bound(len) + p.header_len;
    if (tn_buf_reserve(out, bound)) return TN_ENOMEM;
    tn_deflate *z = tn_deflate_new(desc);
    if (!z) return TN_ENOMEM;
    size_t n = len, room = bound;
    r = tn_deflate_update(z, in, &n, out->data + out->len, &room, TN_DEFLATE_FINISH);
    tn_deflate_free(z);
    if (r != 1) return r < 0 ? r : TN_EERROR;  // the bound was too small: never happens
    out->len += room;
    out->data[out->len] = '\0';
    return 0;
}
#endif  // TN_ENABLE_DEFLATE
