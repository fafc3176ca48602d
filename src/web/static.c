// >>static implementation
#include "base/internal.h"
#include "web/static.h"
#include "web/static_internal.h"
#include "base/error.h"
#include "base/sha256.h"
#include "base/str.h"
#include "http/gzip.h"
#include "http/server.h"
#include "http/util.h"
#include "web/arguments.h"
#include "web/handler.h"
#include "base/alloc_internal.h"
#include "base/error_internal.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "http/gzip_internal.h"
#include "http/server_internal.h"
#include "web/handler_internal.h"
#include "base/os_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#  include <sys/syscall.h>
#endif

#if TN_ENABLE_STATIC  // the whole module (base/config.h)

// Ten years, as Tornado's CACHE_MAX_AGE for versioned URLs.
// Files up to TN__STATIC_GZIP_MAX are gzipped on the fly (read whole into
// the response first); larger ones go as they are, or as their NAME.gz.
// Files (or ranges) up to TN__STATIC_SEND_COPY are read and sent with
// their head in one send: cheaper than sendfile, which needs the head
// queued before it.
enum { TN__STATIC_MAX_AGE = 315360000, TN__STATIC_HASH_CHUNK = 64 * 1024, TN__STATIC_VERSION_LEN = 32,
       TN__STATIC_GZIP_MAX = 4 << 20, TN__STATIC_SEND_COPY = 16 * 1024 };
// An ETag: the quoted hash, with room for the gzip suffix.
#define TN__STATIC_ETAG_SIZE (2 * TN_SHA256_SIZE + 3 + sizeof TN__GZIP_ETAG_SUFFIX)

#if defined(__APPLE__)
#  define TN__MTIME_NS(st) ((int64_t)(st).st_mtimespec.tv_nsec)
#elif defined(_WIN32)  // whole seconds only: the size and content hash remain
#  define TN__MTIME_NS(st) ((int64_t)0)
#else
#  define TN__MTIME_NS(st) ((int64_t)(st).st_mtim.tv_nsec)
#endif

// openat2(2) (Linux 5.6; glibc has no wrapper) with RESOLVE_BENEATH (0x08)
// and RESOLVE_NO_MAGICLINKS (0x02), or RESOLVE_NO_SYMLINKS (0x04): a file
// below a folder in one call.
#if defined(__linux__) && defined(O_PATH) && defined(SYS_openat2)
#  define TN__STATIC_BENEATH 1
#  define TN__SYS_OPENAT2 SYS_openat2
#elif defined(__linux__) && defined(O_PATH) && defined(__NR_openat2)
#  define TN__STATIC_BENEATH 1
#  define TN__SYS_OPENAT2 __NR_openat2
#else
#  define TN__STATIC_BENEATH 0
#endif
#define TN__RESOLVE_BENEATH (0x08u | 0x02u)
#define TN__RESOLVE_NO_SYMLINKS 0x04u  // and so no magic links either

// What says a file on disk is unchanged: a file rewritten within the same
// second with the same size still differs in nanoseconds or inode.
typedef struct tn__static_stamp {
    int64_t mtime, mtime_ns;
    uint64_t size, ino, dev;
} tn__static_stamp;

// A file's content hash, kept while its stamp stays the same; a slot of
// the hash table keyed by the path asked for (root/rel; path NULL: empty).
typedef struct tn__static_hash {
    char *path;
    uint64_t key;  // the path's FNV-1a
    tn__static_stamp stamp;
    char hex[2 * TN_SHA256_SIZE + 1];
} tn__static_hash;

// A root folder held open for openat2 (Linux); fd -1: none. It is used only
// while stat(path) still names the same directory (dev, ino): a folder
// replaced by a deploy (renamed over, or a symlink moved) is opened again.
// The open fd keeps the old inode alive, so its number cannot be reused
// by another directory while we compare with it.
typedef struct tn__static_root {
    char *path;
    int fd;
    uint64_t dev, ino;
    bool symlinked;  // a symlink on the way to the folder
} tn__static_root;

// An app's static files: the static_path settings (the user_data of the
// routes they install), the hash cache every static route shares, and the
// roots held open.
struct tn__static {
    tn_static_desc desc;   // path copied
    char *prefix;          // static_url_prefix, copied
    char *pattern;         // the route pattern made of it
    tn__static_hash *hashes;
    size_t nhashes, cap;   // cap: 0 or a power of two, at most 3/4 full
    tn__static_root *roots;
    size_t nroots, roots_cap;
    bool no_beneath;       // openat2 is missing or refused: realpath only
};

// One file found: on disk (fd open) or packed.
typedef struct tn__sfile {
    int fd;
    const tn_packed_file *packed;
    uint64_t size;
    int64_t mtime;
    char hash[2 * TN_SHA256_SIZE + 1];
} tn__sfile;

// What a lookup found; TN__SF_RETRY: ask the portable way instead.
enum { TN__SF_FILE, TN__SF_DIR, TN__SF_MISSING, TN__SF_FORBIDDEN, TN__SF_ERROR, TN__SF_RETRY };
// How a file goes out: as it is, gzipped by compress_response as the
// response finishes, or as the precompressed NAME.gz beside it.
enum { TN__SF_IDENTITY, TN__SF_GZIP_FLY, TN__SF_GZIP_FILE };

TN__PRIVATE void tn__static_free_hashes(struct tn__static *st) {
    for (size_t i = 0; i < st->cap; i++) tn__free(st->hashes[i].path);
    tn__free(st->hashes);
    st->hashes = NULL;
    st->nhashes = st->cap = 0;
}

TN__INTERNAL void tn__static_free(struct tn__static *st) {
    if (!st) return;
    tn__static_free_hashes(st);
    for (size_t i = 0; i < st->nroots; i++) {
        if (st->roots[i].fd >= 0) close(st->roots[i].fd);
        tn__free(st->roots[i].path);
    }
    tn__free(st->roots);
    tn__free((void *)(uintptr_t)st->desc.path);
    tn__free(st->prefix);
    tn__free(st->pattern);
    tn__free(st);
}

// "a//b/./c" -> "a/b/c" (into out, NUL-terminated). ".." segments, absolute
// paths and NUL bytes are refused with TN_EACCES, as paths out of the root.
TN__PRIVATE int tn__static_clean(tn_str in, tn_buf *out) {
    tn_buf_clear(out);
    if (tn_buf_append(out, "", 0)) return TN_ENOMEM;
    if ((in.len && in.ptr[0] == '/') || (in.len && memchr(in.ptr, '\0', in.len))) return TN_EACCES;
    size_t i = 0;
    while (i < in.len) {
        const char *slash = TN__CAST(const char *, memchr(in.ptr + i, '/', in.len - i));
        size_t j = slash ? (size_t)(slash - in.ptr) : in.len, n = j - i;
        if (n == 2 && in.ptr[i] == '.' && in.ptr[i + 1] == '.') return TN_EACCES;
        if (n && !(n == 1 && in.ptr[i] == '.')) {
            if ((out->len && tn_buf_append(out, "/", 1)) || tn_buf_append(out, in.ptr + i, n)) return TN_ENOMEM;
        }
        i = j + 1;
    }
    return 0;
}

// ---- hashes

TN__PRIVATE void tn__static_hex(const uint8_t digest[TN_SHA256_SIZE], char *hex) {
    tn__hex_encode(digest, TN_SHA256_SIZE, hex);
    hex[2 * TN_SHA256_SIZE] = '\0';
}

// SHA-256 of an open file, read a piece at a time.
TN__PRIVATE int tn__static_hash_fd(int fd, char *hex) {
    char *buf = TN__CAST(char *, tn__malloc(TN__STATIC_HASH_CHUNK));
    if (!buf) return TN_ENOMEM;
    tn_sha256_ctx c;
    tn_sha256_init(&c);
    off_t off = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = tn__os_pread(fd, buf, TN__STATIC_HASH_CHUNK, off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) rc = tn__err_from_errno(errno);
        if (n <= 0) break;
        tn_sha256_update(&c, buf, (size_t)n);
        off += n;
    }
    tn__free(buf);
    uint8_t digest[TN_SHA256_SIZE];
    tn_sha256_final(&c, digest);
    tn__static_hex(digest, hex);
    return rc;
}

TN__PRIVATE uint64_t tn__static_fnv1a(const char *s) {
    uint64_t h = 14695981039346656037u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

// The slot of `path` in a table of `cap` slots (a power of two): its own,
// or the empty one where it would go.
TN__PRIVATE tn__static_hash *tn__static_slot(tn__static_hash *t, size_t cap, const char *path, uint64_t key) {
    for (size_t i = (size_t)key & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!t[i].path || (t[i].key == key && strcmp(t[i].path, path) == 0)) return &t[i];
}

// Room for one more entry: the table doubled and its entries moved over
// (0), or TN_ENOMEM with the table as it was.
TN__PRIVATE int tn__static_hashes_grow(struct tn__static *st) {
    if (4 * (st->nhashes + 1) <= 3 * st->cap) return 0;
    size_t cap = st->cap ? 2 * st->cap : 16;
    tn__static_hash *t = TN__CAST(tn__static_hash *, tn__calloc(cap, sizeof *t));
    if (!t) return TN_ENOMEM;
    for (size_t i = 0; i < st->cap; i++)
        if (st->hashes[i].path) *tn__static_slot(t, cap, st->hashes[i].path, st->hashes[i].key) = st->hashes[i];
    tn__free(st->hashes);
    st->hashes = t;
    st->cap = cap;
    return 0;
}

// The file's hash from the app's cache, computed (and cached) when the
// file is new or changed. st may be NULL: no cache.
TN__PRIVATE int tn__static_file_hash(struct tn__static *st, const char *path, const tn__static_stamp *stamp,
                                     tn__sfile *f) {
    uint64_t key = tn__static_fnv1a(path);
    tn__static_hash *e = st && st->cap ? tn__static_slot(st->hashes, st->cap, path, key) : NULL;
    if (e && e->path && memcmp(&e->stamp, stamp, sizeof *stamp) == 0) {
        memcpy(f->hash, e->hex, sizeof f->hash);
        return 0;
    }
    int rc = tn__static_hash_fd(f->fd, f->hash);
    if (rc || !st) return rc;
    if (!e || !e->path) {
        // Out of memory: served all the same, just not cached.
        char *copy = tn__strdup(path);
        if (!copy || tn__static_hashes_grow(st) != 0) {
            tn__free(copy);
            return 0;
        }
        e = tn__static_slot(st->hashes, st->cap, path, key);
        e->path = copy;
        e->key = key;
        st->nhashes++;
    }
    e->stamp = *stamp;
    memcpy(e->hex, f->hash, sizeof e->hex);
    return 0;
}

// ---- finding a file

// The app's shared state, made on first use (NULL without an app, or when
// out of memory: hashes are then not cached).
TN__PRIVATE struct tn__static *tn__static_state(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (w && !w->web->statics) w->web->statics = TN__CAST(struct tn__static *, tn__calloc(1, sizeof(struct tn__static)));
    return w ? w->web->statics : NULL;
}

// rel opened the portable way: the realpaths of the root and of full (its
// path under the root), the second inside the first. TN__SF_FILE with *fd
// open (a file or a folder) and its realpath in real[PATH_MAX], or why not.
TN__PRIVATE int tn__static_open_real(tn_handler *h, const char *root_path, const char *full, const char *rel,
                                     int *fd, char *real) {
    char root[PATH_MAX];
    if (!tn__os_realpath(root_path, root)) {
        TN__LOGE("static path %s: %s", root_path, strerror(errno));
        return TN__SF_MISSING;
    }
    if (!tn__os_realpath(full, real)) return errno == EACCES ? TN__SF_FORBIDDEN : TN__SF_MISSING;
    size_t rl = strlen(root);
    if (strncmp(real, root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0' && !(rl == 1 && root[0] == '/'))) {
        TN__LOGW("%s: %s is not in root static directory", h->request.remote_ip, rel);
        return TN__SF_FORBIDDEN;
    }
    *fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (*fd < 0) return errno == ENOENT ? TN__SF_MISSING : TN__SF_FORBIDDEN;
    return TN__SF_FILE;
}

#if TN__STATIC_BENEATH
// openat2(2) of path from dir: the fd, or -1 and errno.
TN__PRIVATE int tn__static_openat2(int dir, const char *path, uint64_t flags, uint64_t resolve) {
    struct { uint64_t flags, mode, resolve; } how = {flags | O_CLOEXEC, 0, resolve};
    return (int)syscall(TN__SYS_OPENAT2, dir, path, &how, sizeof how);
}

// What a failed openat2 says: missing or forbidden for sure, or
// TN__SF_RETRY for a slower way to decide; *unsupported when openat2
// itself is missing (old kernel, qemu-user) or refused (seccomp).
TN__PRIVATE int tn__static_open_error(int err, bool *unsupported) {
    if (err == ENOENT || err == ENOTDIR) return TN__SF_MISSING;
    if (err == EACCES) return TN__SF_FORBIDDEN;
    *unsupported = err == ENOSYS || err == EPERM;
    return TN__SF_RETRY;
}

// The entry for root `path` in st, added when new (NULL: out of memory).
TN__PRIVATE tn__static_root *tn__static_root_entry(struct tn__static *st, const char *path) {
    for (size_t i = 0; i < st->nroots; i++)
        if (strcmp(st->roots[i].path, path) == 0) return &st->roots[i];
    char *copy = tn__strdup(path);
    if (!copy || tn__grow(&st->roots, &st->roots_cap, st->nroots + 1, sizeof *st->roots, 4)) {
        tn__free(copy);
        return NULL;
    }
    tn__static_root *r = &st->roots[st->nroots++];
    memset(r, 0, sizeof *r);
    r->path = copy;
    r->fd = -1;
    return r;
}

// An fd of the folder `path` names now (-1 and errno when it cannot be
// opened): the one r holds while stat(path) gives its device and inode,
// else opened again and held. *own: the caller closes it (r NULL).
TN__PRIVATE int tn__static_root_fd(tn__static_root *r, const char *path, bool *own) {
    struct stat now, was;
    if (stat(path, &now) != 0) return -1;
    if (r && r->fd >= 0 && r->dev == (uint64_t)now.st_dev && r->ino == (uint64_t)now.st_ino) {
        *own = false;
        return r->fd;
    }
    int fd = tn__static_openat2(AT_FDCWD, path, O_PATH | O_DIRECTORY, TN__RESOLVE_NO_SYMLINKS);
    bool symlinked = fd < 0 && errno == ELOOP;
    if (symlinked) fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    if (fstat(fd, &was) != 0) {  // what is held must be what is compared with
        close(fd);
        return -1;
    }
    *own = r == NULL;
    if (r) {
        if (r->fd >= 0) close(r->fd);
        r->fd = fd;
        r->dev = (uint64_t)was.st_dev;
        r->ino = (uint64_t)was.st_ino;
        r->symlinked = symlinked;
    }
    return fd;
}

// rel opened with openat2, full being root/rel. The usual case, no symlink
// on the way, is one call (RESOLVE_NO_SYMLINKS: rel has no "..", so what
// opens is inside the root); else from the root's fd with RESOLVE_BENEATH,
// which refuses any step out of it with EXDEV. TN__SF_RETRY when realpath
// must decide: EXDEV (also an absolute symlink that still points inside),
// or openat2 unsupported (*unsupported).
TN__PRIVATE int tn__static_open_beneath(struct tn__static *st, const char *root, const char *full, const char *rel,
                                        int *fd, bool *unsupported) {
    tn__static_root *r = st ? tn__static_root_entry(st, root) : NULL;
    if (!r || !r->symlinked) {  // a root reached through a symlink would fail here every time
        *fd = tn__static_openat2(AT_FDCWD, full, O_RDONLY | O_NONBLOCK, TN__RESOLVE_NO_SYMLINKS);
        int kind = *fd >= 0 ? TN__SF_FILE : tn__static_open_error(errno, unsupported);
        if (kind != TN__SF_RETRY || *unsupported) return kind;
    }
    bool own = false;
    int dir = tn__static_root_fd(r, root, &own);
    if (dir < 0) {
        TN__LOGE("static path %s: %s", root, strerror(errno));
        return TN__SF_MISSING;
    }
    *fd = tn__static_openat2(dir, *rel ? rel : ".", O_RDONLY | O_NONBLOCK, TN__RESOLVE_BENEATH);
    int err = errno;
    if (own) close(dir);
    return *fd >= 0 ? TN__SF_FILE : tn__static_open_error(err, unsupported);
}
#endif

// rel ("a/b", or "" for the root) under desc->path, never outside it (also
// not through a symlink).
TN__PRIVATE int tn__static_find_disk(tn_handler *h, const tn_static_desc *d, const char *rel, tn__sfile *f) {
    // The hash cache's key: full, or the realpath where that was needed
    // (one entry per file, however the path is spelled on a file system
    // that ignores case).
    char full[PATH_MAX], real[PATH_MAX];
    const char *key = full;
    int n = snprintf(full, sizeof full, "%s/%s", d->path, rel);
    if (n < 0 || (size_t)n >= sizeof full) return TN__SF_MISSING;
    struct tn__static *cache = tn__static_state(h);
    int fd = -1, kind = TN__SF_RETRY;
    bool unsupported = false;
#if TN__STATIC_BENEATH
    if (!cache || !cache->no_beneath) kind = tn__static_open_beneath(cache, d->path, full, rel, &fd, &unsupported);
#endif
    if (kind == TN__SF_RETRY) {
        kind = tn__static_open_real(h, d->path, full, rel, &fd, real);
        key = real;
        // openat2 refused what realpath and open allow: not for this file, then.
        if (unsupported && kind == TN__SF_FILE && cache) cache->no_beneath = true;
    }
    if (kind != TN__SF_FILE) return kind;
    struct stat st;
    bool stat_ok = fstat(fd, &st) == 0;
    if (!stat_ok || !S_ISREG(st.st_mode)) {
        bool dir = stat_ok && S_ISDIR(st.st_mode);
        close(fd);
        return dir ? TN__SF_DIR : TN__SF_FORBIDDEN;
    }
    f->fd = fd;
    f->size = (uint64_t)st.st_size;
    f->mtime = (int64_t)st.st_mtime;
    tn__static_stamp stamp;
    memset(&stamp, 0, sizeof stamp);
    stamp.mtime = f->mtime;
    stamp.mtime_ns = TN__MTIME_NS(st);
    stamp.size = f->size;
    stamp.ino = (uint64_t)st.st_ino;
    stamp.dev = (uint64_t)st.st_dev;
    if (tn__static_file_hash(cache, key, &stamp, f) != 0) {
        close(fd);
        f->fd = -1;
        return TN__SF_ERROR;
    }
    return TN__SF_FILE;
}

// The first entry whose path is not below `key` (by strcmp).
TN__PRIVATE size_t tn__static_bisect(const tn_packed_file *files, size_t n, const char *key) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(files[mid].path, key) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

// rel in a packed table; a folder is a prefix of some file's path.
TN__PRIVATE int tn__static_find_packed(const tn_packed_file *files, const char *rel, tn__sfile *f) {
    size_t n = 0, rl = strlen(rel);
    while (files[n].path) n++;
    if (rl == 0) return TN__SF_DIR;
    size_t i = tn__static_bisect(files, n, rel);
    if (i < n && strcmp(files[i].path, rel) == 0) {
        const tn_packed_file *p = &files[i];
        if (!p->hash || strlen(p->hash) != 2 * TN_SHA256_SIZE) {
            TN__LOGE("packed file %s has no content hash (make it with tools/pack)", rel);
            return TN__SF_ERROR;
        }
        f->packed = p;
        f->size = p->size;
        f->mtime = p->mtime;
        memcpy(f->hash, p->hash, sizeof f->hash);
        return TN__SF_FILE;
    }
    // Every path below "rel/" sorts right after the ones equal to "rel" plus
    // characters before '/'; the first of them is the first not below "rel/".
    for (; i < n && strncmp(files[i].path, rel, rl) == 0; i++)
        if (files[i].path[rl] == '/') return TN__SF_DIR;
    return TN__SF_MISSING;
}

TN__PRIVATE int tn__static_find(tn_handler *h, const tn_static_desc *d, const char *rel, tn__sfile *f) {
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (d->path) return tn__static_find_disk(h, d, rel, f);
    return tn__static_find_packed(d->files, rel, f);
}

// ---- answering

// Tornado's should_return_304: If-None-Match decides when present, else
// If-Modified-Since (an unparsable date is ignored).
TN__PRIVATE bool tn__static_not_modified(tn_handler *h, const char *etag, int64_t mtime) {
    tn_str inm = tn_get_header(h, "If-None-Match");
    if (inm.ptr) return tn__etag_matches(inm, tn_str_c(etag));
    tn_str ims = tn_get_header(h, "If-Modified-Since");
    time_t since;
    return ims.ptr && tn_http_date_parse(ims.ptr, ims.len, &since) == 0 && (int64_t)since >= mtime;
}

TN__PRIVATE void tn__static_headers(tn_handler *h, const char *rel, const tn__sfile *f, char *etag) {
    char date[TN_HTTP_DATE_SIZE];
    snprintf(etag, TN__STATIC_ETAG_SIZE, "\"%s\"", f->hash);
    tn_set_header(h, "Accept-Ranges", "bytes");
    tn_set_header(h, "Etag", etag);
    tn_http_date_format(date, (time_t)f->mtime);
    tn_set_header(h, "Last-Modified", date);
    tn_set_header(h, "Content-Type", tn_mime_type(rel));
    if (tn_get_query_argument(h, "v", NULL)) {  // a versioned URL: cache it "forever"
        tn_http_date_format(date, time(NULL) + TN__STATIC_MAX_AGE);
        tn_set_header(h, "Expires", date);
        tn_set_header(h, "Cache-Control", "max-age=315360000");
    }
}

TN__PRIVATE void tn__static_close(tn__sfile *f) {
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
}

// NAME.gz beside rel, when it is there and no older than rel (a stale one
// would serve old content). True with it in *gz.
TN__PRIVATE bool tn__static_sidecar(tn_handler *h, const tn_static_desc *d, const char *rel, const tn__sfile *f,
                                    tn__sfile *gz) {
    tn_buf name;
    memset(&name, 0, sizeof name);
    bool found = tn_buf_appendf(&name, "%s.gz", rel) == 0 && tn__static_find(h, d, name.data, gz) == TN__SF_FILE;
    if (found && gz->mtime < f->mtime) {
        TN__LOGD("%s is older than %s: not served", name.data, rel);
        tn__static_close(gz);
        found = false;
    }
    tn_buf_free(&name);
    return found;
}

// The coding of this answer (rules: >>static), with the Vary its choice
// depends on; `whole`: no range asked for. *gz gets the NAME.gz it picks.
TN__PRIVATE int tn__static_coding(tn_handler *h, const tn_static_desc *d, const char *rel, const tn__sfile *f,
                                  bool whole, tn__sfile *gz) {
    size_t min = tn__handler_compress_min(h);
    tn_buf vary;
    memset(&vary, 0, sizeof vary);
    bool has_gz = (d->gzip_static || min != SIZE_MAX) && tn__static_sidecar(h, d, rel, f, gz);
    // (compress_response adds the Vary itself for the types it compresses.)
    if (has_gz && tn__gzip_vary(tn_get_response_header(h, "Vary"), &vary) == 1) tn_set_header(h, "Vary", vary.data);
    tn_buf_free(&vary);
    if (!whole || !tn_http_gzip_acceptable(tn_get_header(h, "Accept-Encoding"))) {
        if (has_gz) tn__static_close(gz);
        return TN__SF_IDENTITY;
    }
    if (has_gz) return TN__SF_GZIP_FILE;
    bool fly = f->size >= min && f->size <= TN__STATIC_GZIP_MAX && tn_http_compressible(tn_str_c(tn_mime_type(rel)));
    return fly ? TN__SF_GZIP_FLY : TN__SF_IDENTITY;
}

// Bytes [from, to) of the file as the response body: the whole file for
// compress_response to gzip as the response finishes (a HEAD too: its
// Content-Length is the gzipped size), or a small piece, which leaves with
// its head in one send.
TN__PRIVATE int tn__static_write_range(tn_handler *h, tn__sfile *f, uint64_t from, uint64_t to) {
    if (f->packed) return tn_write(h, f->packed->data + from, (size_t)(to - from));
    tn_buf *b = tn__handler_body(h);
    int rc = tn_buf_reserve(b, (size_t)(to - from));
    for (uint64_t off = from; !rc && off < to;) {
        ssize_t n = tn__os_pread(f->fd, b->data + b->len, (size_t)(to - off), (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) rc = tn__err_from_errno(errno);
        if (n <= 0) break;  // the file shrank: what there is
        b->len += (size_t)n, off += (uint64_t)n;
        b->data[b->len] = '\0';
    }
    tn__static_close(f);
    return rc;
}

// The ETag of the gzipped form compress_response would make, for a 304
// (which the server leaves as it is).
TN__PRIVATE void tn__static_fly_etag(tn_handler *h, const char *etag) {
    tn_buf tag;
    memset(&tag, 0, sizeof tag);
    if (tn__gzip_etag(&tag, tn_str_c(etag)) == 0) tn_set_header(h, "Etag", tag.data);
    tn_buf_free(&tag);
}

TN__PRIVATE void tn__static_send(tn_handler *h, const tn_static_desc *d, const char *rel, tn__sfile *f) {
    tn_http_range range;
    tn_http_range_parse(tn_get_header(h, "Range"), f->size, &range);
    tn__sfile gz;
    int coding = tn__static_coding(h, d, rel, f, range.status == 200, &gz);
    if (coding == TN__SF_GZIP_FILE) {  // its own bytes: its own ETag, Last-Modified and length
        tn__static_close(f);
        *f = gz;
        range.end = f->size;
        tn_set_header(h, "Content-Encoding", "gzip");
    }
    char etag[TN__STATIC_ETAG_SIZE];
    tn__static_headers(h, rel, f, etag);
    if (tn__static_not_modified(h, etag, f->mtime)) {  // before any Range
        if (coding == TN__SF_GZIP_FLY) tn__static_fly_etag(h, etag);
        tn_set_status(h, 304, NULL);
        range.status = 304;
    } else if (range.status != 200) {
        tn_set_status(h, range.status, NULL);
        tn_set_header(h, "Content-Range", range.content_range);
        if (range.status == 416) tn_set_header(h, "Content-Type", "text/plain");
    }
    bool head = tn_str_eq(h->request.method, "HEAD");
    uint64_t len = range.end - range.start;
    if (range.status == 304 || range.status == 416) {
        tn__static_close(f);
        tn_finish(h);
    } else if (coding == TN__SF_GZIP_FLY || (f->fd >= 0 && !head && len <= TN__STATIC_SEND_COPY)) {
        if (tn__static_write_range(h, f, range.start, range.end) != 0) tn_send_error(h, 500);
        else tn_finish(h);
    } else if (f->fd >= 0) {
        tn_send_file(h, f->fd, range.start, len);
    } else {
        char num[24];
        snprintf(num, sizeof num, "%llu", (unsigned long long)len);
        tn_set_header(h, "Content-Length", num);  // what a HEAD answer announces
        if (!head && tn_write(h, f->packed->data + range.start, (size_t)len) != 0)
            tn_send_error(h, 503);
        else
            tn_finish(h);
    }
}

// A folder: its default file, after a 301 to the URL with the trailing slash.
// Returns the new lookup's result, or -1 when answered.
TN__PRIVATE int tn__static_dir(tn_handler *h, const tn_static_desc *d, tn_buf *rel, tn__sfile *f) {
    if (!d->default_filename) return TN__SF_FORBIDDEN;
    tn_str p = h->request.path;
    if (!p.len || p.ptr[p.len - 1] != '/') {
        if (p.len >= 2 && p.ptr[0] == '/' && p.ptr[1] == '/') {
            TN__LOGW("%s: cannot redirect a path with two initial slashes", h->request.remote_ip);
            return TN__SF_FORBIDDEN;
        }
        tn_buf url;
        memset(&url, 0, sizeof url);
        if (tn_buf_append(&url, p.ptr, p.len) || tn_buf_append(&url, "/", 1)) {
            tn_buf_free(&url);
            return TN__SF_ERROR;
        }
        tn_redirect(h, url.data, 301);
        tn_buf_free(&url);
        return -1;
    }
    if ((rel->len && tn_buf_append(rel, "/", 1)) || tn_buf_append_str(rel, d->default_filename)) return TN__SF_ERROR;
    int kind = tn__static_find(h, d, rel->data, f);
    return kind == TN__SF_DIR ? TN__SF_FORBIDDEN : kind;
}

TN_API void tn_static_serve(tn_handler *h) {
    const tn_static_desc *d = TN__CAST(const tn_static_desc *, h->user_data);
    if (!d || (!d->path && !d->files)) {
        TN__LOGE("tn_static_serve: the route's user_data must be a tn_static_desc with a path or files");
        tn_send_error(h, 500);
        return;
    }
    if (!tn_str_eq(h->request.method, "GET") && !tn_str_eq(h->request.method, "HEAD")) {
        tn__web_error(h, 405, "GET, HEAD");
        return;
    }
    tn_buf rel;
    memset(&rel, 0, sizeof rel);
    tn__sfile f;
    int kind = tn__static_clean(tn_path_arg(h, 0), &rel);
    if (kind == TN_EACCES) {
        TN__LOGW("%s: %.*s is not in root static directory", h->request.remote_ip, (int)h->request.path.len,
                 h->request.path.ptr);
        kind = TN__SF_FORBIDDEN;
    } else {
        kind = kind ? TN__SF_ERROR : tn__static_find(h, d, rel.data, &f);
    }
    if (kind == TN__SF_DIR) kind = tn__static_dir(h, d, &rel, &f);
    if (kind == TN__SF_FILE) tn__static_send(h, d, rel.data, &f);
    else if (kind == TN__SF_FORBIDDEN) tn_send_error(h, 403);
    else if (kind == TN__SF_MISSING) tn_send_error(h, 404);
    else if (kind == TN__SF_ERROR) tn_send_error(h, 500);
    tn_buf_free(&rel);
}

TN_API int tn_static_url(tn_handler *h, const char *path, tn_buf *out) {
    tn__webreq *w = tn__web(h);
    struct tn__static *st = w ? w->web->statics : NULL;
    if (!st || !st->prefix || !path) return TN_ENOENT;
    tn_buf rel;
    memset(&rel, 0, sizeof rel);
    tn__sfile f;
    int rc = tn__static_clean(tn_str_c(path), &rel);
    int kind = rc ? TN__SF_MISSING : tn__static_find(h, &st->desc, rel.data, &f);
    tn_buf_free(&rel);
    if (kind == TN__SF_FILE && f.fd >= 0) close(f.fd);
    if (rc == TN_ENOMEM || kind == TN__SF_ERROR) return TN_ENOMEM;
    if (kind != TN__SF_FILE) return TN_ENOENT;
    return tn_buf_appendf(out, "%s%s?v=%.*s", st->prefix, path, TN__STATIC_VERSION_LEN, f.hash);
}

// ---- the app's static_path / static_files

// A regular expression matching `s` literally.
TN__PRIVATE int tn__static_regex_escape(tn_buf *out, const char *s) {
    for (; *s; s++) {
        if (strchr("\\.^$|?*+()[]{}", *s) && tn_buf_append(out, "\\", 1)) return TN_ENOMEM;
        if (tn_buf_append(out, s, 1)) return TN_ENOMEM;
    }
    return 0;
}

TN__INTERNAL struct tn__static *tn__static_new(const char *path, const char *url_prefix, const tn_packed_file *files) {
    for (size_t i = 0; files && files[i].path && files[i + 1].path; i++) {
        if (strcmp(files[i].path, files[i + 1].path) >= 0) {
            TN__LOGE("static_files: \"%s\" must come before \"%s\" (make the table with tools/pack)",
                     files[i + 1].path, files[i].path);
            return NULL;
        }
    }
    struct tn__static *st = TN__CAST(struct tn__static *, tn__calloc(1, sizeof *st));
    if (!st) return NULL;
    tn_buf pat;
    memset(&pat, 0, sizeof pat);
    st->desc.files = files;
    st->prefix = tn__strdup(url_prefix ? url_prefix : "/static/");
    bool ok = st->prefix && (!path || (st->desc.path = tn__strdup(path)) != NULL) &&
              tn__static_regex_escape(&pat, st->prefix) == 0 && tn_buf_append_str(&pat, "(.*)") == 0;
    st->pattern = pat.data;
    if (!ok) {
        tn__static_free(st);
        return NULL;
    }
    return st;
}

TN__INTERNAL const char *tn__static_pattern(const struct tn__static *st) { return st->pattern; }
TN__INTERNAL const tn_static_desc *tn__static_desc(const struct tn__static *st) { return &st->desc; }
#endif  // TN_ENABLE_STATIC
