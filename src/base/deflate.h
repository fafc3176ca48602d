// ---------------------------------------------------------------------------
// >>deflate  DEFLATE (RFC 1951) with zlib (RFC 1950) and gzip (RFC 1952) framing
// ---------------------------------------------------------------------------
// A streaming compressor and decompressor that need nothing beyond libc.
// Both work in caller-owned buffers: each call takes what input it can and
// writes at most the output room it is given, so memory stays bounded and a
// decompression bomb can never write past the caller's cap.
//
//     tn_buf gz = {0};
//     tn_deflate_desc d = {.format = TN_DEFLATE_GZIP};
//     if (tn_deflate_buf(&gz, body, body_len, &d) == 0) ...
//     tn_buf plain = {0};
//     tn_inflate_desc i = {.format = TN_DEFLATE_GZIP};
//     int r = tn_inflate_buf(&plain, gz.data, gz.len, 1 << 20, &i);  // TN_EMSGSIZE past 1 MiB
//
// Memory per stream, allocated by tn_deflate_new and tn_inflate_new, never
// per call (tn_deflate_memory and tn_inflate_memory give the exact bytes):
//   deflater  4·W + 2.25·H + 3·S + min(4·S, 4 KiB) + 2.5 KiB, where W =
//             max(2^window_bits, 1 KiB), H = 2^min(mem_level+7, log2(W)+1)
//             hash entries and S = 2^(mem_level+6) symbols per block:
//             254.5 KiB at the defaults (zlib: about 262 KiB), 7.9 KiB at
//             window_bits 9 and mem_level 1; the stored-only level
//             2·W + min(4·S, 4 KiB) + 2.5 KiB (70.5 KiB at the defaults)
//   inflater  7.5 KiB, plus a 2^window_bits window allocated on the first
//             call that ends inside the stream (decoding a whole stream in
//             one call never needs it): 39.5 KiB at window_bits 15, 7.7 KiB at 8
//
// Streams are not thread-safe; different streams may be used in parallel.
#ifndef TN__BASE_DEFLATE_H
#define TN__BASE_DEFLATE_H
#include "base/config.h"
#include "base/str.h"
TN__BEGIN_DECLS

// The framing around the DEFLATE data.
enum tn_deflate_format {
    TN_DEFLATE_ZLIB = 1,  // RFC 1950: 2-byte header, Adler-32 trailer
    TN_DEFLATE_RAW,       // RFC 1951 alone (permessage-deflate, ZIP entries)
    TN_DEFLATE_GZIP,      // RFC 1952: header, CRC-32 and length trailer
                          // (HTTP's gzip); inflating reads every member
    TN_DEFLATE_AUTO       // inflating only: gzip or zlib, told by the first byte
};

// What tn_deflate_update does once it has taken all the input it was given.
enum tn_deflate_flush {
    TN_DEFLATE_NO_FLUSH = 0,  // keep what it holds for later
    TN_DEFLATE_SYNC_FLUSH,    // write out everything so far, ending byte-aligned
                              // with the empty stored block 00 00 FF FF
    TN_DEFLATE_FULL_FLUSH,    // as SYNC, and later data never refers back past
                              // this point (a reader may start decoding here)
    TN_DEFLATE_FINISH         // the final block and the trailer
};

// tn_deflate_desc.level for stored blocks only (no compression).
#define TN_DEFLATE_STORE (-1)
// The gzip header's name field is cut to this many bytes when read.
#define TN_GZIP_NAME_MAX 255

typedef struct tn_deflate_desc {
    int format;             // TN_DEFLATE_ZLIB (default), TN_DEFLATE_RAW or TN_DEFLATE_GZIP
    int level;              // 1 (fastest) .. 9 (smallest), TN_DEFLATE_STORE; default 6
    int window_bits;        // 8..15: matches reach back at most 2^window_bits
                            // bytes (permessage-deflate's max_window_bits); default 15
    int mem_level;          // 1..9: hash table and block size, as zlib's memLevel; default 8
    const char *gzip_name;  // gzip FNAME (copied, at most 1024 bytes); default none
    uint32_t gzip_mtime;    // gzip MTIME, seconds since the epoch; default 0 (none)
} tn_deflate_desc;

typedef struct tn_inflate_desc {
    int format;       // TN_DEFLATE_ZLIB (default), _RAW, _GZIP or _AUTO
    int window_bits;  // 8..15: the window kept, so the farthest distance
                      // accepted; a zlib header asking for more is refused; default 15
} tn_inflate_desc;

// What a gzip member's header said (tn_inflate_gzip_header).
typedef struct tn_gzip_header {
    uint32_t mtime;                    // seconds since the epoch, 0 if none
    uint8_t flags;                     // FLG: 1 FTEXT, 2 FHCRC, 4 FEXTRA, 8 FNAME, 16 FCOMMENT
    uint8_t xfl, os;                   // XFL and OS as written
    char name[TN_GZIP_NAME_MAX + 1];   // FNAME, NUL-terminated, cut; "" if none
} tn_gzip_header;

typedef struct tn_deflate tn_deflate;
typedef struct tn_inflate tn_inflate;

// A compressor for one stream. NULL when the desc is invalid (logged) or
// memory runs out.
TN_API tn_deflate *tn_deflate_new(const tn_deflate_desc *desc);
// Compresses: takes up to *in_len bytes of `in` and writes up to *out_len
// bytes to `out`; on return both hold the counts taken and written. Returns 1
// once the requested flush is complete (every byte given so far is written
// out; after TN_DEFLATE_FINISH the stream is over), 0 when it needs more room
// or more input, TN_EINVAL for input after the finish. Call again with the
// same flush and more room until it returns 1. Every completed sync or full
// flush ends with 00 00 FF FF, even with no new input (00 00 00 FF FF then:
// what permessage-deflate sends for an empty message, once the last four
// bytes are cut).
TN_API int tn_deflate_update(tn_deflate *z, const void *in, size_t *in_len, void *out,
                             size_t *out_len, int flush);
// Starts a new stream with the same settings, forgetting all history (what
// permessage-deflate's no_context_takeover asks between messages).
TN_API void tn_deflate_reset(tn_deflate *z);
// Frees the compressor (NULL is fine).
TN_API void tn_deflate_free(tn_deflate *z);
// The bytes a compressor with this desc allocates (NULL: the defaults).
TN_API size_t tn_deflate_memory(const tn_deflate_desc *desc);
// The most bytes tn_deflate_buf writes for `len` input bytes, any settings
// (plus the length of gzip_name, if any).
TN_API size_t tn_deflate_bound(size_t len);
// Compresses `len` bytes as one finished stream appended to `out`. Returns 0,
// TN_EINVAL (bad desc) or TN_ENOMEM; on error `out` keeps its contents.
TN_API int tn_deflate_buf(tn_buf *out, const void *in, size_t len, const tn_deflate_desc *desc);

// A decompressor for one stream. NULL when the desc is invalid (logged) or
// memory runs out.
TN_API tn_inflate *tn_inflate_new(const tn_inflate_desc *desc);
// Decompresses: takes up to *in_len bytes and writes up to *out_len bytes; on
// return both hold the counts taken and written. Returns 1 at the end of the
// stream (bytes after it are left untaken, except that a gzip stream goes on
// into a next member), 0 when it needs more input or more room, TN_EPARSE for
// a malformed or corrupt stream (tn_inflate_error says why; every later call
// fails too) or TN_ENOMEM.
TN_API int tn_inflate_update(tn_inflate *z, const void *in, size_t *in_len, void *out,
                             size_t *out_len);
// Starts a new stream. With keep_window, a raw stream may refer back into the
// output of the previous one (permessage-deflate with context takeover after
// a message that ended with a final block).
TN_API void tn_inflate_reset(tn_inflate *z, bool keep_window);
// Why the stream was refused ("invalid distance too far back", ...), or NULL.
TN_API const char *tn_inflate_error(const tn_inflate *z);
// The header of the gzip member being read (zeroed before the first one).
TN_API const tn_gzip_header *tn_inflate_gzip_header(const tn_inflate *z);
// Frees the decompressor (NULL is fine).
TN_API void tn_inflate_free(tn_inflate *z);
// The most bytes a decompressor with this desc allocates (NULL: the defaults).
TN_API size_t tn_inflate_memory(const tn_inflate_desc *desc);
// Decompresses one whole stream of `len` bytes, appending the output to `out`.
// Returns 0; TN_EMSGSIZE once the output would pass max_len bytes (a bomb
// stops there); TN_EPARSE for a malformed, truncated or corrupt stream or
// bytes after its end; TN_EINVAL; TN_ENOMEM. On error `out` keeps its contents.
TN_API int tn_inflate_buf(tn_buf *out, const void *in, size_t len, size_t max_len,
                          const tn_inflate_desc *desc);

// CRC-32 (the gzip one) of `len` bytes, continuing from `crc` (start with 0).
TN_API uint32_t tn_crc32(uint32_t crc, const void *data, size_t len);
// Adler-32 (the zlib one) of `len` bytes, continuing from `adler` (start with 1).
TN_API uint32_t tn_adler32(uint32_t adler, const void *data, size_t len);

TN__END_DECLS
#endif
