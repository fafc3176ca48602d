// >>stream implementation
#include "base/internal.h"
#include "net/stream.h"
#include "net/stream_internal.h"
#include "base/error.h"
#include "base/str.h"
#include "loop/loop.h"
#include "net/socket.h"
#include "base/alloc_internal.h"
#include "base/error_internal.h"
#include "base/log_internal.h"
#include "loop/loop_internal.h"
#include "net/socket_internal.h"
#include "base/os_internal.h"
#include "net/tls_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/types.h>
#if !defined(_WIN32)
#  include <netinet/in.h>
#  include <netinet/tcp.h>
#  include <sys/socket.h>
#  include <unistd.h>
#endif

#if TN_USE_SENDFILE
#  include <sys/sendfile.h>
#endif

enum { TN__RD_NONE, TN__RD_UNTIL, TN__RD_BYTES, TN__RD_CLOSE, TN__RD_PARSE };

typedef union tn__wcbfn {
    tn_stream_write_cb write;
    tn_release_cb release;  // with TN__WCB_REF: lent bytes are given back
} tn__wcbfn;

typedef struct tn__wcb {
    uint64_t end;  // the callback runs once wsent reaches this; marks in the top bits
    tn__wcbfn cb;
    void *arg;
} tn__wcb;

// No stream sends 2^62 bytes: the top bits of an end are free for marks.
#define TN__WCB_FILE ((uint64_t)1 << 63)
#define TN__WCB_REF ((uint64_t)1 << 62)
#define TN__WCB_END(w) ((w).end & ~(TN__WCB_FILE | TN__WCB_REF))

// A queued extent: bytes that are not in wbuf, sent once wbuf reaches `at`
// and before the bytes after it: a file (fd >= 0) or memory lent by
// tn_stream_write_ref. Allocated per extent and freed once it is sent,
// fails or the stream closes, so streams that queue none do not pay for
// them. Its callback (or release) waits in the write callbacks, in order.
typedef struct tn__qext {
    struct tn__qext *next;
    uint64_t off, left;  // a file's next offset; bytes still to send
    size_t at;
    const char *ref;     // lent memory: its next byte to send
    tn_buf buf;          // a file's piece read for sending without sendfile
    size_t pos;
    int fd;              // -1 for lent memory
    bool copy;           // sendfile refused this file: read pieces instead
} tn__qext;

// The pending read's callback: `parse` for TN__RD_PARSE, else `read`.
typedef union tn__rcb {
    tn_stream_read_cb read;
    tn_stream_parse_cb parse;
} tn__rcb;

// Every idle connection has one of these: fields only some streams need live
// elsewhere (files and lent memory), share room (delimiter, callback, scratch position),
// and the small ones are packed together.
struct tn_stream {
    tn__handle handle;
    tn_loop *loop;
    tn__post post;         // tn__stream_schedule's, when the loop's queue is out of memory
    int fd;
    int close_reason;
    unsigned char events;  // what the loop watches for us
    unsigned char rmode;   // the pending read, TN__RD_*
    unsigned char delim_len;
    unsigned closed : 1, eof : 1, running : 1, rerun : 1, scheduled : 1, close_delivered : 1, in_scratch : 1,
        partial : 1, nodelay_later : 1;
    size_t max_buffer, max_write;
    void *user_data;
    // the pending read
    size_t rsize;      // bytes wanted (BYTES) or max_bytes (UNTIL, 0: none)
    size_t scanned;    // UNTIL: bytes searched for the delimiter; PARSE: bytes shown
    tn__rcb rcb;
    void *rarg;
    union {
        char in[16];
        char *heap;    // 64 bytes, for delimiters longer than `in`
    } delim;
    // received bytes: in rbuf from rpos, or (only inside a read event, when
    // rbuf is empty) in the loop's scratch buffer from rpos to slen
    tn_buf rbuf;
    size_t rpos, slen;
    // queued bytes: wbuf from wpos; counters for write callbacks
    tn_buf wbuf;
    size_t wpos;
    uint64_t wqueued, wsent;
    tn__wcb *wcbs;
    uint32_t nwcbs, wcbs_cap;
    tn__qext *xhead, *xtail;  // extents queued, in order (NULL: none)
    // write_timeout: output pending since `wsince` without a byte going out
    double write_timeout, wsince;
    tn_timeout wtimer;  // at or before wsince + write_timeout while armed
    tn_stream_close_cb ccb;
    void *carg;
    tn__tls *tls;  // NULL: plain TCP
    tn_timeout hstimer;  // armed while its handshake may still run (tn__stream_handshake_timeout)
};

TN__PRIVATE void tn__stream_close(tn_stream *s, int reason);
TN__PRIVATE void tn__stream_run(tn_stream *s);

TN__PRIVATE const char *tn__stream_data(tn_stream *s, size_t *len) {
    if (s->in_scratch) {
        *len = s->slen - s->rpos;
        return s->loop->scratch + s->rpos;
    }
    *len = s->rbuf.len - s->rpos;
    return s->rbuf.data ? s->rbuf.data + s->rpos : "";
}

TN__PRIVATE void tn__stream_consume(tn_stream *s, size_t n) {
    s->rpos += n;
    if (s->in_scratch) return;
    if (s->rpos == s->rbuf.len) {  // empty: give the memory back while idle
        tn_buf_free(&s->rbuf);
        s->rpos = 0;
    }
}

TN__PRIVATE void tn__stream_write_clock(tn_loop *loop, void *arg);

// Output just became pending: the write timeout counts from now. The timer
// is left armed when output drains (it then finds nothing to do), so it can
// only be early, never late: it re-arms itself for the real deadline.
TN__PRIVATE void tn__stream_start_write_clock(tn_stream *s) {
    s->wsince = s->loop->now;
    if (s->write_timeout > 0 && !s->wtimer.id)
        s->wtimer = tn_loop_call_at(s->loop, s->wsince + s->write_timeout, tn__stream_write_clock, s);
}

TN__PRIVATE void tn__stream_write_clock(tn_loop *loop, void *arg) {
    tn_stream *s = TN__CAST(tn_stream *, arg);
    s->wtimer.id = 0;
    if (s->wsent == s->wqueued) return;  // drained since
    double due = s->wsince + s->write_timeout;
    if (due > loop->now) {
        s->wtimer = tn_loop_call_at(loop, due, tn__stream_write_clock, s);
        return;
    }
    TN__LOGD("stream: %llu bytes queued and none taken in %g s (write_timeout); closing",
             (unsigned long long)(s->wqueued - s->wsent), s->write_timeout);
    tn__stream_close(s, TN_ETIMEDOUT);
}

TN__PRIVATE void tn__stream_update_events(tn_stream *s) {
    if (s->closed) return;
    int want = (s->eof ? 0 : TN_IO_READ) | (s->wpos < s->wbuf.len || s->xhead ? TN_IO_WRITE : 0);
    if (s->tls) want = tn__tls_events(s->tls, want);
    if (want == s->events || tn_loop_update_handler(s->loop, s->fd, want) != 0) return;
    if ((want & TN_IO_WRITE) && !(s->events & TN_IO_WRITE)) tn__stream_start_write_clock(s);
    s->events = (unsigned char)want;
}

TN__PRIVATE void tn__stream_kick(tn_loop *loop, void *arg);

// Runs the stream's pending deliveries in a later iteration (never inside
// the caller's own call).
TN__PRIVATE void tn__stream_schedule(tn_stream *s) {
    if (s->scheduled) return;
    s->scheduled = 1;
    if (tn_loop_add_callback(s->loop, tn__stream_kick, s) == 0) return;
    s->post.cb = tn__stream_kick;  // out of memory: a close must still be delivered
    s->post.arg = s;
    tn__loop_post(s->loop, &s->post);
}

// Where the delimiter search starts: a delimiter may straddle what was
// already searched and what arrived since.
TN__PRIVATE size_t tn__find(const char *p, size_t len, size_t from, const char *d, size_t dl) {
    while (from + dl <= len) {
        const char *hit = TN__CAST(const char *, memchr(p + from, d[0], len - from - dl + 1));
        if (!hit) return SIZE_MAX;
        if (memcmp(hit, d, dl) == 0) return (size_t)(hit - p);
        from = (size_t)(hit - p) + 1;
    }
    return SIZE_MAX;
}

// How many bytes the pending read takes now: 0 if not yet satisfiable,
// SIZE_MAX if it never can be (read_until past max_bytes).
TN__PRIVATE size_t tn__stream_satisfy(tn_stream *s, const char *p, size_t len) {
    if (s->rmode == TN__RD_BYTES) {
        if (len >= s->rsize) return s->rsize;
        return s->partial ? len : 0;
    }
    if (s->rmode != TN__RD_UNTIL) return 0;
    size_t from = s->scanned >= s->delim_len ? s->scanned - (s->delim_len - 1u) : 0;
    const char *delim = s->delim_len > sizeof s->delim.in ? s->delim.heap : s->delim.in;
    size_t at = tn__find(p, len, from, delim, s->delim_len);
    if (at != SIZE_MAX) {
        size_t end = at + s->delim_len;
        return s->rsize && end > s->rsize ? SIZE_MAX : end;
    }
    s->scanned = len;
    return s->rsize && len >= s->rsize ? SIZE_MAX : 0;
}

// Write callbacks run in the order of their ends, which is the order they
// were queued in.
TN__PRIVATE void tn__stream_deliver_writes(tn_stream *s, int err) {
    while (s->nwcbs && (err || TN__WCB_END(s->wcbs[0]) <= s->wsent)) {
        tn__wcb wc = s->wcbs[0];
        memmove(s->wcbs, s->wcbs + 1, (s->nwcbs - 1) * sizeof *s->wcbs);
        s->nwcbs--;
        if (wc.end & TN__WCB_REF) wc.cb.release(wc.arg);
        else wc.cb.write(s, TN__WCB_END(wc) <= s->wsent ? 0 : err, wc.arg);
    }
}

// A parse read: the callback sees all buffered bytes and says how many it
// used. The read is ended while the callback runs, so it can start the next
// one; if it used nothing and started nothing, the read stays pending.
TN__PRIVATE bool tn__stream_deliver_parse(tn_stream *s, const char *p, size_t len) {
    if (len == 0 || len == s->scanned) return false;  // nothing new since the last look
    s->rmode = TN__RD_NONE;
    size_t n = s->rcb.parse(s, 0, p, len, s->rarg);
    if (n == 0) {
        if (s->rmode == TN__RD_NONE) {
            s->rmode = TN__RD_PARSE;
            s->scanned = len;
        }
        return s->rmode != TN__RD_PARSE;
    }
    tn__stream_consume(s, TN__MIN(n, len));
    return true;
}

TN__PRIVATE void tn__stream_deliver_reads(tn_stream *s) {
    while (!s->closed && s->rmode != TN__RD_NONE && s->rmode != TN__RD_CLOSE) {
        size_t len;
        const char *p = tn__stream_data(s, &len);
        if (s->rmode == TN__RD_PARSE) {
            if (!tn__stream_deliver_parse(s, p, len)) return;
            continue;
        }
        size_t n = tn__stream_satisfy(s, p, len);
        if (n == SIZE_MAX) {
            TN__LOGW("stream: no delimiter within max_bytes=%zu; closing", s->rsize);
            tn__stream_close(s, TN_EMSGSIZE);
            return;
        }
        if (n == 0) return;
        tn_stream_read_cb cb = s->rcb.read;
        s->rmode = TN__RD_NONE;
        s->scanned = 0;
        cb(s, 0, p, n, s->rarg);
        tn__stream_consume(s, n);
    }
}

// Delivers what is deliverable. Never re-entered: a read or write asked for
// inside one of its callbacks is handled by the next turn of its own loop.
TN__PRIVATE void tn__stream_run(tn_stream *s) {
    if (s->running) {
        s->rerun = 1;
        return;
    }
    s->running = 1;
    do {
        s->rerun = 0;
        tn__stream_deliver_writes(s, 0);
        tn__stream_deliver_reads(s);
        // Like Tornado, the end of the input closes the stream once nothing
        // buffered can satisfy a read.
        if (s->eof && !s->closed) tn__stream_close(s, TN_EOF);
    } while (s->rerun && !s->closed);
    s->running = 0;
    tn__stream_update_events(s);
}

// Drops the first extent, sent (or not: at close).
TN__PRIVATE void tn__stream_pop_ext(tn_stream *s) {
    tn__qext *x = s->xhead;
    s->xhead = x->next;
    if (!s->xhead) s->xtail = NULL;
    if (x->fd >= 0) close(x->fd);
    tn_buf_free(&x->buf);
    tn__free(x);
}

TN__PRIVATE void tn__stream_free(tn_stream *s) {  // closed, so its extents are gone
    tn_buf_free(&s->rbuf);
    tn_buf_free(&s->wbuf);
    tn__free(s->wcbs);
    tn__tls_free(s->tls);
    if (s->delim_len > sizeof s->delim.in) tn__free(s->delim.heap);
    tn__free(s);
}

TN__PRIVATE void tn__stream_deliver_close(tn_stream *s) {
    s->close_delivered = 1;
    int err = s->close_reason ? s->close_reason : TN_ECLOSED;
    int mode = s->rmode;
    s->rmode = TN__RD_NONE;
    if (mode == TN__RD_CLOSE || mode == TN__RD_PARSE) {
        size_t len;
        const char *p = tn__stream_data(s, &len);
        if (mode == TN__RD_PARSE) s->rcb.parse(s, err, p, len, s->rarg);
        else s->rcb.read(s, s->close_reason == TN_EOF ? 0 : err, p, len, s->rarg);
    } else if (mode != TN__RD_NONE) {
        s->rcb.read(s, err, NULL, 0, s->rarg);
    }
    tn__stream_deliver_writes(s, err);
    if (s->ccb) s->ccb(s, s->close_reason, s->carg);
}

TN__PRIVATE void tn__stream_kick(tn_loop *loop, void *arg) {
    tn_stream *s = TN__CAST(tn_stream *, arg);
    (void)loop;
    s->scheduled = 0;
    if (!s->closed) tn__stream_run(s);
    if (s->closed && !s->close_delivered) tn__stream_deliver_close(s);
    // A callback above may have queued one more kick: that one frees.
    if (s->close_delivered && !s->scheduled) tn__stream_free(s);
}

#ifndef MSG_NOSIGNAL
#  define MSG_NOSIGNAL 0
#endif
// Bytes followed by a file's are sent with MSG_MORE where there is one, so
// a response head and a small file leave in one segment (no Nagle wait).
#ifdef MSG_MORE
#  define TN__MSG_MORE MSG_MORE
#else
#  define TN__MSG_MORE 0
#endif

TN__PRIVATE int tn__stream_send_tls(tn_stream *s, const char *p, size_t len, size_t *sent) {
    while (*sent < len) {
        long n = tn__tls_send(s->tls, p + *sent, len - *sent);
        if (n == TN_EAGAIN) return 0;
        if (n < 0) return (int)n;
        *sent += (size_t)n;
        s->wsent += (uint64_t)n;
    }
    return 0;
}

TN__PRIVATE int tn__stream_send(tn_stream *s, const char *p, size_t len, int flags, size_t *sent) {
    *sent = 0;
    if (s->tls) return tn__stream_send_tls(s, p, len, sent);
    while (*sent < len) {
        ssize_t n = tn__sock_send(s->fd, p + *sent, len - *sent, MSG_NOSIGNAL | flags);
        if (n > 0) {
            *sent += (size_t)n;
            s->wsent += (uint64_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else {
            return n < 0 ? tn__err_from_errno(errno) : TN_EPIPE;
        }
    }
    return 0;
}

// Reads the file's next piece (at most 64 KiB) into its buf.
TN__PRIVATE int tn__stream_read_piece(tn__qext *f) {
    size_t want = (size_t)TN__MIN(f->left, (uint64_t)(64 * 1024));
    tn_buf_clear(&f->buf);
    f->pos = 0;
    if (tn_buf_reserve(&f->buf, want)) return TN_ENOMEM;
    ssize_t n;
    do n = tn__os_pread(f->fd, f->buf.data, want, (off_t)f->off);
    while (n < 0 && errno == EINTR);
    if (n < 0) return tn__err_from_errno(errno);
    if (n == 0) {
        TN__LOGW("stream: file ended %llu bytes early", (unsigned long long)f->left);
        return TN_EPIPE;
    }
    f->buf.len = (size_t)n;
    f->off += (uint64_t)n;
    return 0;
}

// Hands the kernel what it takes of the first extent, lent memory: 0 with
// it either sent or waiting for room, or an error.
TN__PRIVATE int tn__stream_send_ref(tn_stream *s, tn__qext *x) {
    bool more = x->next || s->wbuf.len > x->at;  // and the rest follows at once
    while (x->left) {
        size_t sent, piece = (size_t)TN__MIN(x->left, (uint64_t)1 << 30);
        int r = tn__stream_send(s, x->ref, piece, more || x->left > piece ? TN__MSG_MORE : 0, &sent);
        x->ref += sent;
        x->left -= sent;
        if (r || sent < piece) return r;
    }
    return 0;
}

// The same for a file: sendfile(2), or pieces read into its buffer.
TN__PRIVATE int tn__stream_send_file(tn_stream *s, tn__qext *f) {
    while (f->left) {
#if TN_USE_SENDFILE
        if (!f->copy && !s->tls) {  // TLS encrypts in user space: read pieces
            off_t off = (off_t)f->off;
            ssize_t n = sendfile(s->fd, f->fd, &off, (size_t)TN__MIN(f->left, (uint64_t)1 << 30));
            if (n > 0) {
                f->off += (uint64_t)n, f->left -= (uint64_t)n, s->wsent += (uint64_t)n;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
            if (n < 0 && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
                f->copy = true;  // e.g. a pipe or a file system without it
                continue;
            }
            if (n == 0) TN__LOGW("stream: file ended %llu bytes early", (unsigned long long)f->left);
            return n < 0 ? tn__err_from_errno(errno) : TN_EPIPE;
        }
#endif
        if (f->pos == f->buf.len) {
            int r = tn__stream_read_piece(f);
            if (r) return r;
        }
        size_t sent;
        size_t piece = f->buf.len - f->pos;
        int r = tn__stream_send(s, f->buf.data + f->pos, piece, f->left > piece ? TN__MSG_MORE : 0, &sent);
        f->pos += sent;
        f->left -= sent;
        if (r || f->pos < f->buf.len) return r;
    }
    return 0;
}

// Sends wbuf and the extents in their order until the kernel is full.
TN__PRIVATE int tn__stream_send_all(tn_stream *s) {
    for (;;) {
        tn__qext *x = s->xhead;
        size_t stop = x ? x->at : s->wbuf.len, sent = 0;
        int r = stop > s->wpos ? tn__stream_send(s, s->wbuf.data + s->wpos, stop - s->wpos, x ? TN__MSG_MORE : 0, &sent)
                               : 0;
        s->wpos += sent;
        if (r) return r;
        if (s->wpos < stop || !x) break;
        r = x->fd >= 0 ? tn__stream_send_file(s, x) : tn__stream_send_ref(s, x);
        if (r) return r;
        if (x->left) break;  // the kernel is full
        tn__stream_pop_ext(s);
    }
    if (s->wpos == s->wbuf.len) {  // then every extent waits at its end
        tn_buf_free(&s->wbuf);
        s->wpos = 0;
        for (tn__qext *x = s->xhead; x; x = x->next) x->at = 0;
    }
    return 0;
}

// Before a send that does not start the stream's first flush: Nagle goes
// now if tn__stream_nodelay_later asked for it.
TN__PRIVATE void tn__stream_nagle_check(tn_stream *s) {
    if (s->nodelay_later && s->wsent) {
        s->nodelay_later = 0;
        tn_stream_set_nodelay(s, true);
    }
}

TN__PRIVATE int tn__stream_flush(tn_stream *s) {
    uint64_t before = s->wsent;
    tn__stream_nagle_check(s);
    int r = tn__stream_send_all(s);
    if (s->wsent != before) s->wsince = s->loop->now;  // progress: the write timeout starts over
    return r;
}

TN__PRIVATE void tn__stream_close(tn_stream *s, int reason) {
    if (s->closed) return;
    s->closed = 1;
    s->close_reason = reason;
    // Hand the kernel what it takes now; the rest is dropped (Tornado drops all).
    if ((s->wpos < s->wbuf.len || s->xhead) && (reason == 0 || reason == TN_EOF || reason == TN_ECANCELED))
        tn__stream_flush(s);
    while (s->xhead) tn__stream_pop_ext(s);  // lent memory goes back through its wcb
    tn_loop_remove_timeout(s->loop, s->wtimer);
    tn_loop_remove_timeout(s->loop, s->hstimer);
    s->wtimer.id = s->hstimer.id = 0;
    tn_loop_remove_handler(s->loop, s->fd);
    if (s->tls && (reason == 0 || reason == TN_EOF)) tn__tls_shutdown(s->tls);
    tn__sock_close(s->fd);
    s->fd = -1;
    tn__loop_remove_handle(&s->handle);
    if (reason != 0 && reason != TN_EOF && reason != TN_ECANCELED)
        TN__LOGD("stream closed: %s", tn_strerror(reason));
    tn__stream_schedule(s);
}

// recv(2) with TN_E* codes (TN_EAGAIN: nothing yet).
TN__PRIVATE ssize_t tn__stream_recv(int fd, char *dst, size_t want) {
    ssize_t n = tn__sock_recv(fd, dst, want, 0);
    if (n >= 0) return n;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? TN_EAGAIN : tn__err_from_errno(errno);
}

TN__PRIVATE void tn__stream_on_readable(tn_stream *s) {
    size_t buffered = tn_stream_read_buffer_size(s);
    if (buffered >= s->max_buffer) {
        TN__LOGW("stream: reached max_buffer_size (%zu bytes); closing", s->max_buffer);
        tn__stream_close(s, TN_ENOBUFS);
        return;
    }
    size_t cap, want = TN__MIN((size_t)TN_DEFAULT_READ_CHUNK_SIZE, s->max_buffer - buffered);
    char *dst;
    bool scratch = buffered == 0 && (dst = tn__loop_scratch(s->loop, &cap)) != NULL;
    if (scratch) {
        want = TN__MIN(want, cap);
    } else {
        if (s->rpos && s->rbuf.len + want + 1 > s->rbuf.cap) {  // compact before growing
            tn_buf_consume(&s->rbuf, s->rpos);
            s->rpos = 0;
        }
        if (tn_buf_reserve(&s->rbuf, want)) {
            tn__stream_close(s, TN_ENOMEM);
            return;
        }
        dst = s->rbuf.data + s->rbuf.len;
    }
    ssize_t n = s->tls ? (ssize_t)tn__tls_recv(s->tls, dst, want) : tn__stream_recv(s->fd, dst, want);
    if (n < 0) {
        if (n != TN_EAGAIN) tn__stream_close(s, (int)n);
        return;
    }
    if (n == 0) {
        s->eof = 1;
    } else if (scratch) {
        s->in_scratch = 1;  // rpos is 0: rbuf is empty
        s->slen = (size_t)n;
    } else {
        s->rbuf.len += (size_t)n;
        s->rbuf.data[s->rbuf.len] = '\0';
    }
    tn__stream_run(s);
    if (s->in_scratch) {  // keep what the reads left, before the scratch is reused
        size_t at = s->rpos;
        s->in_scratch = 0;
        s->rpos = 0;
        if (at < s->slen && tn_buf_append(&s->rbuf, s->loop->scratch + at, s->slen - at)) {
            tn__stream_close(s, TN_ENOMEM);
        }
    }
}

// TLS: the handshake goes first; after it, a read that waited for
// writability (or a write for readability) is retried when that comes.
TN__PRIVATE bool tn__stream_tls_ready(tn_stream *s, int *events) {
    if (tn__tls_handshaking(s->tls)) {
        int r = tn__tls_handshake(s->tls);
        if (r == TN_EAGAIN) tn__stream_update_events(s);
        else if (r) tn__stream_close(s, r);
        if (r) return false;
        tn_loop_remove_timeout(s->loop, s->hstimer);
        s->hstimer.id = 0;
        *events = TN_IO_READ | TN_IO_WRITE;  // send what waited, read what came along
    }
    *events = tn__tls_map_events(s->tls, *events);
    return true;
}

// Bytes OpenSSL decrypted past the read's room wake no one: read them now.
TN__PRIVATE void tn__stream_tls_after(tn_stream *s) {
    while (!s->closed && !s->eof && tn__tls_pending(s->tls)) tn__stream_on_readable(s);
    tn__stream_update_events(s);
}

TN__PRIVATE void tn__stream_on_io(tn_loop *loop, int fd, int events, void *arg) {
    tn_stream *s = TN__CAST(tn_stream *, arg);
    (void)loop;
    (void)fd;
    if (s->tls && !tn__stream_tls_ready(s, &events)) return;
    if (events & TN_IO_WRITE) {
        int r = tn__stream_flush(s);
        if (r) {
            tn__stream_close(s, r);
            return;
        }
        tn__stream_run(s);
    }
    if (!s->closed && (events & (TN_IO_READ | TN_IO_ERROR))) tn__stream_on_readable(s);
    if (s->tls) tn__stream_tls_after(s);
}

TN__PRIVATE void tn__stream_handle_close(tn__handle *h) {
    tn__stream_close(TN__CAST(tn_stream *, (void *)h), TN_ECANCELED);
}

// A stream that could not be made takes its descriptor with it.
TN__PRIVATE tn_stream *tn__stream_new_failed(tn_loop *loop, int fd, tn_stream *s, int flags) {
    if (flags & TN__STREAM_ADOPT) tn_loop_remove_handler(loop, fd);
    tn__sock_close(fd);
    tn__free(s);
    return NULL;
}

TN__INTERNAL tn_stream *tn__stream_new(tn_loop *loop, int fd, const tn_stream_desc *desc, int flags) {
    tn_stream *s = TN__CAST(tn_stream *, tn__calloc(1, sizeof *s));
    if (!s || (!(flags & TN__STREAM_NONBLOCK) && tn__set_nonblock_cloexec(fd) != 0))
        return tn__stream_new_failed(loop, fd, s, flags);
    s->loop = loop;
    s->fd = fd;
    s->max_buffer = TN_DEFAULT_MAX_BUFFER_SIZE;
    if (desc) {
        s->max_buffer = TN__DEF(desc->max_buffer_size, s->max_buffer);
        s->max_write = desc->max_write_buffer_size;
        s->write_timeout = desc->write_timeout;
        s->user_data = desc->user_data;
    }
    s->events = TN_IO_READ;
    int r = (flags & TN__STREAM_ADOPT) ? tn__loop_pass_handler(loop, fd, s->events, tn__stream_on_io, s)
                                       : tn_loop_add_handler(loop, fd, s->events, tn__stream_on_io, s);
    if (r) {
        TN__LOGE("stream: cannot watch fd %d: %s", fd, tn_strerror(r));
        return tn__stream_new_failed(loop, fd, s, flags);
    }
    s->handle.close = tn__stream_handle_close;
    tn__loop_add_handle(loop, &s->handle);
    return s;
}

TN_API tn_stream *tn_stream_new(tn_loop *loop, int fd, const tn_stream_desc *desc) {
    return tn__stream_new(loop, fd, desc, 0);
}

TN__PRIVATE tn__rcb tn__rcb_read(tn_stream_read_cb cb) {
    tn__rcb c;
    c.read = cb;
    return c;
}

TN__PRIVATE int tn__stream_start_read(tn_stream *s, int mode, size_t size, tn__rcb cb, void *arg) {
    if (mode == TN__RD_PARSE ? !cb.parse : !cb.read) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    if (s->rmode != TN__RD_NONE) return TN_EBUSY;
    s->rmode = (unsigned char)mode;
    s->rsize = size;
    s->scanned = 0;
    s->rcb = cb;
    s->rarg = arg;
    // Inside one of our callbacks the running delivery picks it up;
    // otherwise a later iteration does.
    if (s->running) s->rerun = 1;
    else if (tn_stream_read_buffer_size(s) || s->eof) tn__stream_schedule(s);
    return 0;
}

TN_API int tn_stream_read_until(tn_stream *s, const char *delim, size_t delim_len, size_t max_bytes,
                                tn_stream_read_cb cb, void *arg) {
    if (!delim || delim_len == 0 || delim_len > 64) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    if (s->rmode != TN__RD_NONE) return TN_EBUSY;
    bool had_heap = s->delim_len > sizeof s->delim.in, wants_heap = delim_len > sizeof s->delim.in;
    if (wants_heap && !had_heap) {  // rare: kept while the delimiters stay long
        char *h = TN__CAST(char *, tn__malloc(64));
        if (!h) return TN_ENOMEM;
        s->delim.heap = h;
    } else if (had_heap && !wants_heap) {
        tn__free(s->delim.heap);
    }
    memcpy(wants_heap ? s->delim.heap : s->delim.in, delim, delim_len);
    s->delim_len = (unsigned char)delim_len;
    return tn__stream_start_read(s, TN__RD_UNTIL, max_bytes, tn__rcb_read(cb), arg);
}

TN_API int tn_stream_read_bytes(tn_stream *s, size_t n, bool partial, tn_stream_read_cb cb, void *arg) {
    if (n == 0) return TN_EINVAL;
    if (n > s->max_buffer && !partial) return TN_EMSGSIZE;
    if (s->closed) return TN_ECLOSED;
    if (s->rmode != TN__RD_NONE) return TN_EBUSY;
    s->partial = partial;
    return tn__stream_start_read(s, TN__RD_BYTES, n, tn__rcb_read(cb), arg);
}

TN_API int tn_stream_read_parse(tn_stream *s, tn_stream_parse_cb cb, void *arg) {
    tn__rcb c;
    c.parse = cb;
    return tn__stream_start_read(s, TN__RD_PARSE, 0, c, arg);
}

TN_API int tn_stream_read_until_close(tn_stream *s, tn_stream_read_cb cb, void *arg) {
    return tn__stream_start_read(s, TN__RD_CLOSE, 0, tn__rcb_read(cb), arg);
}

// Runs the callbacks now satisfied in a later turn (never inside the caller's call).
TN__PRIVATE void tn__stream_writes_done_soon(tn_stream *s) {
    if (s->running) s->rerun = 1;
    else tn__stream_schedule(s);
}

// Makes room for one more write callback before anything is queued, so that
// nothing fails after sending.
TN__PRIVATE int tn__stream_reserve_wcb(tn_stream *s) {
    size_t cap = s->wcbs_cap;  // 32 bits in the stream, which every connection has
    if (s->nwcbs == UINT32_MAX / 2 || tn__grow(&s->wcbs, &cap, s->nwcbs + 1u, sizeof *s->wcbs, 4)) return TN_ENOMEM;
    s->wcbs_cap = (uint32_t)cap;
    return 0;
}

// Adds a callback, reserved above, for the bytes queued so far.
TN__PRIVATE void tn__stream_add_wcb(tn_stream *s, uint64_t mark, tn__wcbfn fn, void *arg) {
    tn__wcb *w = &s->wcbs[s->nwcbs++];
    w->end = s->wqueued | mark;
    w->cb = fn;
    w->arg = arg;
}

TN__PRIVATE tn__wcbfn tn__wcb_write(tn_stream_write_cb cb) {
    tn__wcbfn fn;
    fn.write = cb;
    return fn;
}

// tn_stream_write; with `now` false the bytes wait for the next flush (the
// http server holds a response head back until its file is queued too).
TN__INTERNAL int tn__stream_write(tn_stream *s, const void *data, size_t len, tn_stream_write_cb cb, void *arg,
                                  bool now) {
    if (s->closed) return TN_ECLOSED;
    size_t pending = s->wbuf.len - s->wpos;
    if (s->max_write && len > s->max_write - TN__MIN(pending, s->max_write)) {
        TN__LOGW("stream: write of %zu bytes would pass max_write_buffer_size (%zu, %zu queued)", len, s->max_write,
                 pending);
        return TN_ENOBUFS;
    }
    if (cb && tn__stream_reserve_wcb(s)) return TN_ENOMEM;
    const char *p = TN__CAST(const char *, data);
    size_t sent = 0;
    if (now && pending == 0 && !s->xhead && len) {
        tn__stream_nagle_check(s);
        int r = tn__stream_send(s, p, len, 0, &sent);
        if (r) {  // as in Tornado, the failure arrives through the callbacks, this one's too
            s->wqueued += len;
            if (cb) tn__stream_add_wcb(s, 0, tn__wcb_write(cb), arg);
            tn__stream_close(s, r);
            return 0;
        }
    }
    if (sent < len && tn_buf_append(&s->wbuf, p + sent, len - sent)) {
        tn__stream_close(s, TN_ENOMEM);
        return TN_ENOMEM;
    }
    s->wqueued += len;
    if (cb) {
        tn__stream_add_wcb(s, 0, tn__wcb_write(cb), arg);
        if (s->wsent >= s->wqueued) tn__stream_writes_done_soon(s);
    }
    tn__stream_update_events(s);
    return 0;
}

// Queues an extent (its fd or memory already in x) after what is queued,
// with its callback (fn.write may be NULL; its room was reserved). Sends
// what the kernel takes now.
TN__PRIVATE void tn__stream_queue_ext(tn_stream *s, tn__qext *x, uint64_t mark, tn__wcbfn fn, void *arg) {
    x->at = s->wbuf.len;
    if (s->xtail) s->xtail->next = x;
    else s->xhead = x;
    s->xtail = x;
    s->wqueued += x->left;
    if (fn.write) tn__stream_add_wcb(s, mark, fn, arg);
    int r = tn__stream_flush(s);
    if (r) tn__stream_close(s, r);  // the failure arrives through the callback, as in tn_stream_write
    else if (fn.write && s->wsent >= s->wqueued) tn__stream_writes_done_soon(s);
    tn__stream_update_events(s);
}

TN_API int tn_stream_write_file(tn_stream *s, int fd, uint64_t offset, uint64_t length, tn_stream_write_cb cb,
                                void *arg) {
    if (s->closed) {
        close(fd);
        return TN_ECLOSED;
    }
    if (length == 0) {
        close(fd);
        return tn_stream_write(s, "", 0, cb, arg);
    }
    tn__qext *x = TN__CAST(tn__qext *, tn__calloc(1, sizeof *x));
    if (!x || (cb && tn__stream_reserve_wcb(s))) {
        TN__LOGE("stream: cannot queue a file (out of memory)");
        tn__free(x);
        close(fd);
        return TN_ENOMEM;
    }
    x->fd = fd;
    x->off = offset;
    x->left = length;
    tn__stream_queue_ext(s, x, TN__WCB_FILE, tn__wcb_write(cb), arg);
    return 0;
}

TN_API int tn_stream_write_ref(tn_stream *s, const void *data, size_t len, tn_release_cb release, void *arg) {
    if (!release) return TN_EINVAL;
    int r = s->closed ? TN_ECLOSED : tn__stream_reserve_wcb(s);
    tn__qext *x = r ? NULL : TN__CAST(tn__qext *, tn__calloc(1, sizeof *x));
    if (!x) {
        release(arg);
        return r ? r : TN_ENOMEM;
    }
    x->fd = -1;
    x->ref = TN__CAST(const char *, data);
    x->left = len;
    tn__wcbfn fn;
    fn.release = release;
    tn__stream_queue_ext(s, x, TN__WCB_REF, fn, arg);
    return 0;
}

// For the http server, whose requests can go before their file is sent.
TN__INTERNAL void tn__stream_forget_file_cb(tn_stream *s) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->nwcbs; i++)
        if (!(s->wcbs[i].end & TN__WCB_FILE)) s->wcbs[n++] = s->wcbs[i];
    s->nwcbs = n;
}

// For the http server, which caps output only once it hands a stream over.
TN__INTERNAL void tn__stream_set_max_write(tn_stream *s, size_t max) { s->max_write = max; }

TN_API int tn_stream_write(tn_stream *s, const void *data, size_t len, tn_stream_write_cb cb, void *arg) {
    return tn__stream_write(s, data, len, cb, arg, true);
}

TN_API void tn_stream_set_close_callback(tn_stream *s, tn_stream_close_cb cb, void *arg) {
    s->ccb = cb;
    s->carg = arg;
}

TN_API void tn_stream_close(tn_stream *s) { tn__stream_close(s, 0); }
TN_API bool tn_stream_closed(const tn_stream *s) { return s->closed; }
TN_API bool tn_stream_reading(const tn_stream *s) { return s->rmode != TN__RD_NONE; }
TN_API size_t tn_stream_write_buffer_size(const tn_stream *s) {
    uint64_t n = s->wqueued - s->wsent;
    return n > SIZE_MAX ? SIZE_MAX : (size_t)n;
}

TN_API size_t tn_stream_read_buffer_size(const tn_stream *s) {
    return s->in_scratch ? s->slen - s->rpos : s->rbuf.len - s->rpos;
}

TN_API int tn_stream_set_nodelay(tn_stream *s, bool on) {
    if (s->closed) return TN_ECLOSED;
    s->nodelay_later = 0;  // the caller's word is the last
    int v = on ? 1 : 0;
    if (tn__sock_setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) == 0) return 0;
    return errno == EOPNOTSUPP || errno == ENOPROTOOPT ? 0 : tn__err_from_errno(errno);
}

TN__INTERNAL void tn__stream_nodelay_later(tn_stream *s) {
    if (s->tls || s->wsent) tn_stream_set_nodelay(s, true);  // a handshake's last flight may be unacknowledged
    else s->nodelay_later = 1;
}

TN_API int tn_stream_peer_addr(const tn_stream *s, tn_addr *out) {
    socklen_t len = sizeof out->u.bytes;
    if (s->closed) return TN_ECLOSED;
    if (tn__sock_getpeername(s->fd, (struct sockaddr *)(void *)out->u.bytes, &len) < 0) return tn__err_from_errno(errno);
    out->len = len;
    return 0;
}

TN_API int tn_stream_fd(const tn_stream *s) { return s->fd; }
TN_API tn_loop *tn_stream_loop(const tn_stream *s) { return s->loop; }
TN_API void *tn_stream_user_data(const tn_stream *s) { return s->user_data; }
TN_API void tn_stream_set_user_data(tn_stream *s, void *user_data) { s->user_data = user_data; }

TN_API int tn_stream_start_tls(tn_stream *s, tn_tls_ctx *ctx, const char *host) {
    if (!TN_ENABLE_TLS) return TN_ENOTSUP;
    if (!ctx) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    if (s->tls) return TN_EBUSY;
    s->tls = tn__tls_new(ctx, s->fd, host);
    if (!s->tls) return TN_ENOMEM;
    tn__stream_update_events(s);
    return 0;
}

TN_API bool tn_stream_is_tls(const tn_stream *s) { return s->tls != NULL; }

TN__PRIVATE void tn__stream_handshake_expired(tn_loop *loop, void *arg) {
    tn_stream *s = TN__CAST(tn_stream *, arg);
    (void)loop;
    s->hstimer.id = 0;  // armed only while handshaking: the end of either disarms it
    TN__LOGI("tls: the handshake did not end in time; closing");
    tn__stream_close(s, TN_ETIMEDOUT);
}

TN__INTERNAL int tn__stream_handshake_timeout(tn_stream *s, double seconds) {
    if (!s->tls || s->closed || !tn__tls_handshaking(s->tls)) return 0;
    tn_loop_remove_timeout(s->loop, s->hstimer);
    s->hstimer = tn_loop_call_later(s->loop, seconds > 0 ? seconds : 0, tn__stream_handshake_expired, s);
    return s->hstimer.id ? 0 : TN_ENOMEM;
}
TN_API const char *tn_stream_alpn(const tn_stream *s) { return s->tls ? tn__tls_alpn(s->tls) : ""; }
TN_API const char *tn_stream_tls_error(const tn_stream *s) { return s->tls ? tn__tls_error(s->tls) : ""; }
