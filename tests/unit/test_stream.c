// Floor 3: the buffered stream over a socketpair; the test holds the raw peer.
#include "sock.h"
#include <stdlib.h>

typedef struct {
    tn_stream *s;
    int peer;
    int step, done, closes, close_reason;
    char got[8][256];
    size_t got_len[8];
    int status[8];
} rd_state;

static tn_stream *pair_stream(tn_loop *loop, int *peer, const tn_stream_desc *d) {
    int sv[2];
    if (tt_socketpair(sv) != 0) tt_fail(__FILE__, __LINE__, "socketpair");
    *peer = sv[1];
    tn_stream *s = tn_stream_new(loop, sv[0], d);
    CHECK(s != NULL);
    return s;
}

static void on_close_rec(tn_stream *s, int reason, void *arg) {
    rd_state *st = (rd_state *)arg;
    (void)s;
    st->closes++;
    st->close_reason = reason;
}

// The read script: line, 5 bytes, until "END" (max 100), then 3 bytes partial.
static void script_cb(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    rd_state *st = (rd_state *)arg;
    st->status[st->step] = status;
    if (len > sizeof st->got[0]) len = sizeof st->got[0];
    memcpy(st->got[st->step], data, len);
    st->got_len[st->step] = len;
    st->step++;
    if (status) { st->done = 1; return; }
    switch (st->step) {
    case 1: CHECK_OK(tn_stream_read_bytes(s, 5, false, script_cb, st)); break;
    case 2: CHECK_OK(tn_stream_read_until(s, "END", 3, 100, script_cb, st)); break;
    case 3: CHECK_OK(tn_stream_read_bytes(s, 3, false, script_cb, st)); break;
    default: st->done = 1;
    }
}

static const char SCRIPT_IN[] = "hello world\r\n12345abc\rE\rENENDxyz";
static void check_script(rd_state *st) {
    CHECK_INT(st->step, 4);
    CHECK_MEM(st->got[0], st->got_len[0], "hello world\r\n", 13);
    CHECK_MEM(st->got[1], st->got_len[1], "12345", 5);
    CHECK_MEM(st->got[2], st->got_len[2], "abc\rE\rENEND", 11);
    CHECK_MEM(st->got[3], st->got_len[3], "xyz", 3);
    for (int i = 0; i < 4; i++) CHECK_INT(st->status[i], 0);
}

static void write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, 0);
        if (w <= 0) tt_fail(__FILE__, __LINE__, "write to peer failed");
        p += w;
        n -= (size_t)w;
    }
}

TEST(stream_reads_exact_bytes_at_every_split_point) {
    size_t len = strlen(SCRIPT_IN);
    for (size_t k = 0; k <= len; k++) {
        tn_loop *loop = tt_loop_new();
        rd_state st;
        memset(&st, 0, sizeof st);
        st.s = pair_stream(loop, &st.peer, NULL);
        CHECK_OK(tn_stream_read_until(st.s, "\r\n", 2, 0, script_cb, &st));
        write_all(st.peer, SCRIPT_IN, k);
        for (int i = 0; i < 3; i++) CHECK_OK(tn_loop_run_once(loop, 0));
        write_all(st.peer, SCRIPT_IN + k, len - k);
        tt_run_until(loop, &st.done);
        check_script(&st);
        tt_sock_close(st.peer);
        tn_loop_free(loop);
    }
}

TEST(stream_reads_exact_bytes_fed_one_byte_at_a_time) {
    tn_loop *loop = tt_loop_new();
    rd_state st;
    memset(&st, 0, sizeof st);
    st.s = pair_stream(loop, &st.peer, NULL);
    CHECK_OK(tn_stream_read_until(st.s, "\r\n", 2, 0, script_cb, &st));
    for (size_t i = 0; i < strlen(SCRIPT_IN); i++) {
        write_all(st.peer, SCRIPT_IN + i, 1);
        CHECK_OK(tn_loop_run_once(loop, 0.5));
        CHECK_OK(tn_loop_run_once(loop, 0));
    }
    tt_run_until(loop, &st.done);
    check_script(&st);
    tt_sock_close(st.peer);
    tn_loop_free(loop);
}

static void record_cb(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    rd_state *st = (rd_state *)arg;
    (void)s;
    st->status[st->step] = status;
    st->got_len[st->step] = len;
    if (data && len) memcpy(st->got[st->step], data, len < 256 ? len : 256);
    st->step++;
    st->done = 1;
}

TEST(stream_read_until_past_max_bytes_fails_and_closes) {
    tn_loop *loop = tt_loop_new();
    tn_log_set_level(TN_LOG_ERROR);
    rd_state st;
    memset(&st, 0, sizeof st);
    st.s = pair_stream(loop, &st.peer, NULL);
    tn_stream_set_close_callback(st.s, on_close_rec, &st);
    CHECK_OK(tn_stream_read_until(st.s, "\n", 1, 100, record_cb, &st));
    char junk[200];
    memset(junk, 'x', sizeof junk);
    write_all(st.peer, junk, sizeof junk);
    tt_run_until(loop, &st.done);
    CHECK_INT(st.status[0], TN_EMSGSIZE);
    while (!st.closes) CHECK_OK(tn_loop_run_once(loop, 1));
    CHECK_INT(st.closes, 1);
    CHECK_INT(st.close_reason, TN_EMSGSIZE);
    // The peer sees the connection closed.
    char b[8];
    CHECK_INT(recv(st.peer, b, sizeof b, 0), 0);
    tt_sock_close(st.peer);
    tn_loop_free(loop);
    CHECK_INT(st.closes, 1);
}

TEST(stream_delimiter_found_beyond_max_bytes_is_an_error) {
    tn_loop *loop = tt_loop_new();
    tn_log_set_level(TN_LOG_ERROR);
    rd_state st;
    memset(&st, 0, sizeof st);
    st.s = pair_stream(loop, &st.peer, NULL);
    CHECK_OK(tn_stream_read_until(st.s, "\r\n", 2, 10, record_cb, &st));
    write_all(st.peer, "123456789\r\n", 11);  // the delimiter ends at byte 11
    tt_run_until(loop, &st.done);
    CHECK_INT(st.status[0], TN_EMSGSIZE);
    tt_sock_close(st.peer);
    tn_loop_free(loop);
}

TEST(stream_max_buffer_size_closes_a_flooding_peer) {
    tn_loop *loop = tt_loop_new();
    tn_log_set_level(TN_LOG_ERROR);
    rd_state st;
    memset(&st, 0, sizeof st);
    tn_stream_desc d = {0};
    d.max_buffer_size = 1024;
    st.s = pair_stream(loop, &st.peer, &d);
    tn_stream_set_close_callback(st.s, on_close_rec, &st);
    char junk[5000];
    memset(junk, 'y', sizeof junk);
    write_all(st.peer, junk, sizeof junk);  // no read pending: buffered until the cap
    while (!st.closes) CHECK_OK(tn_loop_run_once(loop, 1));
    CHECK_INT(st.close_reason, TN_ENOBUFS);
    tt_sock_close(st.peer);
    tn_loop_free(loop);
}

TEST(stream_read_completes_in_a_later_iteration_never_inside_the_call) {
    tn_loop *loop = tt_loop_new();
    rd_state st;
    memset(&st, 0, sizeof st);
    st.s = pair_stream(loop, &st.peer, NULL);
    write_all(st.peer, "abcdef", 6);
    CHECK_OK(tn_stream_read_bytes(st.s, 2, false, record_cb, &st));
    tt_run_until(loop, &st.done);  // the bytes now sit in the stream's buffer
    CHECK_MEM(st.got[0], st.got_len[0], "ab", 2);
    st.done = 0;
    CHECK_INT(tn_stream_read_buffer_size(st.s), 4);
    CHECK_OK(tn_stream_read_bytes(st.s, 3, false, record_cb, &st));
    CHECK_INT(st.step, 1);  // satisfiable now, yet not delivered inside the call
    CHECK_INT(tn_stream_read_bytes(st.s, 1, false, record_cb, &st), TN_EBUSY);
    tt_run_until(loop, &st.done);
    CHECK_MEM(st.got[1], st.got_len[1], "cde", 3);
    st.done = 0;
    CHECK_OK(tn_stream_read_bytes(st.s, 100, true, record_cb, &st));  // partial: what is there
    tt_run_until(loop, &st.done);
    CHECK_MEM(st.got[2], st.got_len[2], "f", 1);
    tt_sock_close(st.peer);
    tn_loop_free(loop);
}

TEST(stream_read_until_close_gets_everything_then_close_reason_eof) {
    tn_loop *loop = tt_loop_new();
    rd_state st;
    memset(&st, 0, sizeof st);
    st.s = pair_stream(loop, &st.peer, NULL);
    tn_stream_set_close_callback(st.s, on_close_rec, &st);
    CHECK_OK(tn_stream_read_until_close(st.s, record_cb, &st));
    write_all(st.peer, "part one,", 9);
    CHECK_OK(tn_loop_run_once(loop, 0.1));
    write_all(st.peer, "part two", 8);
    tt_sock_close(st.peer);
    tt_run_until(loop, &st.done);
    CHECK_INT(st.status[0], 0);
    CHECK_MEM(st.got[0], st.got_len[0], "part one,part two", 17);
    while (!st.closes) CHECK_OK(tn_loop_run_once(loop, 1));
    CHECK_INT(st.close_reason, TN_EOF);
    tn_loop_free(loop);
    CHECK_INT(st.closes, 1);
}

TEST(stream_peer_close_fails_the_pending_read_with_eof) {
    tn_loop *loop = tt_loop_new();
    rd_state st;
    memset(&st, 0, sizeof st);
    st.s = pair_stream(loop, &st.peer, NULL);
    tn_stream_set_close_callback(st.s, on_close_rec, &st);
    CHECK_OK(tn_stream_read_until(st.s, "\n", 1, 0, record_cb, &st));
    write_all(st.peer, "no newline", 10);
    tt_sock_close(st.peer);
    tt_run_until(loop, &st.done);
    CHECK_INT(st.status[0], TN_EOF);
    while (!st.closes) CHECK_OK(tn_loop_run_once(loop, 1));
    CHECK_INT(st.close_reason, TN_EOF);
    tn_loop_free(loop);
}

static void close_in_read(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    record_cb(s, status, data, len, arg);
    tn_stream_close(s);
    tn_stream_close(s);  // twice: harmless
    CHECK_INT(tn_stream_write(s, "x", 1, NULL, NULL), TN_ECLOSED);
    CHECK_INT(tn_stream_read_bytes(s, 1, false, record_cb, arg), TN_ECLOSED);
}

TEST(stream_close_inside_a_callback_runs_close_callback_once_with_reason_0) {
    tn_loop *loop = tt_loop_new();
    rd_state st;
    memset(&st, 0, sizeof st);
    st.s = pair_stream(loop, &st.peer, NULL);
    tn_stream_set_close_callback(st.s, on_close_rec, &st);
    CHECK_OK(tn_stream_read_bytes(st.s, 1, false, close_in_read, &st));
    write_all(st.peer, "ab", 2);
    while (!st.closes) CHECK_OK(tn_loop_run_once(loop, 1));
    CHECK_INT(st.step, 1);
    CHECK_INT(st.close_reason, 0);
    tt_sock_close(st.peer);
    tn_loop_free(loop);
    CHECK_INT(st.closes, 1);
}

typedef struct { int calls; int status; size_t buffered_after_write; } wr_state;
static void on_written(tn_stream *s, int status, void *arg) {
    wr_state *w = (wr_state *)arg;
    (void)s;
    w->calls++;
    w->status = status;
}

TEST(stream_write_queues_under_backpressure_and_calls_back_when_flushed) {
    tn_loop *loop = tt_loop_new();
    int peer;
    tn_stream *s = pair_stream(loop, &peer, NULL);
    size_t big = 8u << 20;
    char *data = (char *)malloc(big);
    for (size_t i = 0; i < big; i++) data[i] = (char)(i * 7);
    wr_state w = {0, 0, 0};
    CHECK_OK(tn_stream_write(s, data, big, on_written, &w));
    CHECK(tn_stream_write_buffer_size(s) > 0);  // the peer has not read yet
    CHECK_INT(w.calls, 0);
    char *got = (char *)malloc(big);
    size_t n = 0;
    while (n < big) {
        CHECK_OK(tn_loop_run_once(loop, 0));
        ssize_t r = recv(peer, got + n, big - n, 0);
        if (r > 0) n += (size_t)r;
    }
    while (!w.calls) CHECK_OK(tn_loop_run_once(loop, 1));
    CHECK_INT(w.calls, 1);
    CHECK_INT(w.status, 0);
    CHECK_INT(tn_stream_write_buffer_size(s), 0);
    CHECK(memcmp(got, data, big) == 0);
    free(data);
    free(got);
    tt_sock_close(peer);
    tn_loop_free(loop);
}

// A write that fails at once (the peer is gone) still reports to its callback.
TEST(stream_write_failing_at_once_calls_back_with_the_error) {
    tn_loop *loop = tt_loop_new();
    int peer;
    tn_stream *s = pair_stream(loop, &peer, NULL);
    tt_sock_close_reset(peer);
    wr_state w = {0, 0, 0};
    CHECK_OK(tn_stream_write(s, "x", 1, on_written, &w));
    for (int i = 0; i < 10 && !w.calls; i++) CHECK_OK(tn_loop_run_once(loop, 0.1));
    CHECK_INT(w.calls, 1);
    CHECK(w.status < 0);
    tn_loop_free(loop);
}

TEST(stream_max_write_buffer_size_refuses_without_queueing) {
    tn_loop *loop = tt_loop_new();
    tn_log_set_level(TN_LOG_ERROR);
    int peer;
    tn_stream_desc d = {0};
    d.max_write_buffer_size = 4096;
    tn_stream *s = pair_stream(loop, &peer, &d);
    static char chunk[100000];
    // The kernel takes some; once 4096 bytes wait in our buffer, writes fail.
    int r = 0, i;
    for (i = 0; i < 1000 && r == 0; i++) r = tn_stream_write(s, chunk, sizeof chunk, NULL, NULL);
    CHECK_INT(r, TN_ENOBUFS);
    CHECK(tn_stream_write_buffer_size(s) <= 4096);
    CHECK(!tn_stream_closed(s));  // refused, not closed: the caller decides
    tt_sock_close(peer);
    tn_loop_free(loop);
}

TEST(stream_pending_callbacks_are_told_when_the_loop_is_freed) {
    tn_loop *loop = tt_loop_new();
    rd_state st;
    memset(&st, 0, sizeof st);
    st.s = pair_stream(loop, &st.peer, NULL);
    tn_stream_set_close_callback(st.s, on_close_rec, &st);
    CHECK_OK(tn_stream_read_bytes(st.s, 10, false, record_cb, &st));
    tn_loop_free(loop);
    CHECK_INT(st.status[0], TN_ECANCELED);
    CHECK_INT(st.closes, 1);
    CHECK_INT(st.close_reason, TN_ECANCELED);
    tt_sock_close(st.peer);
}

TEST(stream_argument_errors) {
    tn_loop *loop = tt_loop_new();
    rd_state st;
    memset(&st, 0, sizeof st);
    tn_stream_desc d = {0};
    d.max_buffer_size = 100;
    st.s = pair_stream(loop, &st.peer, &d);
    char long_delim[65];
    memset(long_delim, 0, sizeof long_delim);
    CHECK_INT(tn_stream_read_until(st.s, long_delim, 65, 0, record_cb, &st), TN_EINVAL);
    CHECK_INT(tn_stream_read_until(st.s, "", 0, 0, record_cb, &st), TN_EINVAL);
    CHECK_INT(tn_stream_read_bytes(st.s, 0, false, record_cb, &st), TN_EINVAL);
    CHECK_INT(tn_stream_read_bytes(st.s, 101, false, record_cb, &st), TN_EMSGSIZE);
    CHECK_OK(tn_stream_set_nodelay(st.s, true));  // a Unix socket: accepted, no-op
    tt_sock_close(st.peer);
    tn_loop_free(loop);
}

// ---- parse reads: the callback takes records ending in '|' and leaves the rest
typedef struct { int calls, records, eof; char seen[64]; size_t seen_len; } parse_state;

static size_t take_record(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    parse_state *ps = (parse_state *)arg;
    ps->calls++;
    if (status) {
        ps->eof = status;
        return 0;
    }
    const char *bar = (const char *)memchr(data, '|', len);
    if (!bar) return 0;  // incomplete: keep the read pending
    size_t n = (size_t)(bar - data) + 1;
    memcpy(ps->seen + ps->seen_len, data, n);
    ps->seen_len += n;
    ps->records++;
    CHECK_OK(tn_stream_read_parse(s, take_record, ps));  // the next record, from inside
    return n;
}

TEST(stream_parse_read_at_every_split_point) {
    const char *in = "abc|de|f|ghij|";
    size_t len = strlen(in);
    for (size_t k = 0; k <= len; k++) {
        tn_loop *loop = tt_loop_new();
        int peer;
        tn_stream *s = pair_stream(loop, &peer, NULL);
        parse_state ps;
        memset(&ps, 0, sizeof ps);
        CHECK_OK(tn_stream_read_parse(s, take_record, &ps));
        CHECK_INT(tn_stream_read_parse(s, take_record, &ps), TN_EBUSY);
        write_all(peer, in, k);
        for (int i = 0; i < 3; i++) CHECK_OK(tn_loop_run_once(loop, 0));
        write_all(peer, in + k, len - k);
        while (ps.records < 4) CHECK_OK(tn_loop_run_once(loop, 1.0));
        CHECK_MEM(ps.seen, ps.seen_len, in, len);
        CHECK(ps.calls <= 4 + 2 * 3);  // never shown the same bytes twice
        write_all(peer, "tail", 4);
        tt_sock_close(peer);
        while (!ps.eof) CHECK_OK(tn_loop_run_once(loop, 1.0));
        CHECK_INT(ps.eof, TN_EOF);
        tn_loop_free(loop);
    }
}

TEST(stream_read_until_a_long_delimiter) {
    tn_loop *loop = tt_loop_new();
    rd_state st;
    memset(&st, 0, sizeof st);
    st.s = pair_stream(loop, &st.peer, NULL);
    const char *boundary = "\r\n--boundary-0123456789abcdef-0123456789";  // 40 bytes
    CHECK_OK(tn_stream_read_until(st.s, boundary, strlen(boundary), 0, record_cb, &st));
    write_all(st.peer, "part one", 8);
    write_all(st.peer, boundary, strlen(boundary));
    tt_run_until(loop, &st.done);
    CHECK_INT(st.got_len[0], 8 + strlen(boundary));
    CHECK_MEM(st.got[0], 8, "part one", 8);
    tt_sock_close(st.peer);
    tn_loop_free(loop);
}

// Inline (up to 16 bytes) and heap delimiters, switched back and forth on one
// stream: each read finds its own delimiter, and nothing leaks.
TEST(stream_read_until_switches_between_short_and_long_delimiters) {
    static const char *const delims[] = {
        "\n", "0123456789abcdef", "0123456789abcdefg", "\r\n", "--boundary-0123456789abcdef-0123456789", "|",
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqr", "0123456789abcdefg", "0123456789abcdef",
    };
    tn_loop *loop = tt_loop_new();
    rd_state st;
    memset(&st, 0, sizeof st);
    st.s = pair_stream(loop, &st.peer, NULL);
    for (size_t i = 0; i < sizeof delims / sizeof *delims; i++) {
        size_t dl = strlen(delims[i]);
        char in[200];  // a near miss (all but the last byte) before the delimiter
        int n = snprintf(in, sizeof in, "part %zu %.*s%s", i, (int)dl - 1, delims[i], delims[i]);
        st.done = 0;
        st.step = 0;
        CHECK_OK(tn_stream_read_until(st.s, delims[i], dl, 0, record_cb, &st));
        write_all(st.peer, in, (size_t)n);
        tt_run_until(loop, &st.done);
        CHECK_INT(st.status[0], 0);
        CHECK_MEM(st.got[0], st.got_len[0], in, (size_t)n);
    }
    tt_sock_close(st.peer);
    tn_loop_free(loop);
}
