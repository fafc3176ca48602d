// >>timer implementation: a binary min-heap of pooled timer records, and
// periodic callbacks on top of it
#include "base/internal.h"
#include "loop/loop.h"
#include "loop/loop_internal.h"
#include "base/error.h"
#include "base/time.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"

#include <stdlib.h>

// A handle is (gen << 32) | (slot + 1). A record's gen is odd while it is
// pending and even while free, so a stale handle never matches.
TN__PRIVATE uint64_t tn__timer_id(uint32_t slot, uint32_t gen) { return ((uint64_t)gen << 32) | (slot + 1u); }

TN__PRIVATE bool tn__timer_less(const tn_loop *loop, uint32_t a, uint32_t b) {
    const tn__timer *x = &loop->timers[a], *y = &loop->timers[b];
    return x->when < y->when || (x->when == y->when && x->seq < y->seq);
}

TN__PRIVATE void tn__heap_set(tn_loop *loop, uint32_t i, uint32_t slot) {
    loop->heap[i] = slot;
    loop->timers[slot].heap_idx = i;
}

TN__PRIVATE void tn__heap_up(tn_loop *loop, uint32_t i) {
    uint32_t slot = loop->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!tn__timer_less(loop, slot, loop->heap[parent])) break;
        tn__heap_set(loop, i, loop->heap[parent]);
        i = parent;
    }
    tn__heap_set(loop, i, slot);
}

TN__PRIVATE void tn__heap_down(tn_loop *loop, uint32_t i) {
    uint32_t slot = loop->heap[i], n = loop->heap_len;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && tn__timer_less(loop, loop->heap[c + 1], loop->heap[c])) c++;
        if (!tn__timer_less(loop, loop->heap[c], slot)) break;
        tn__heap_set(loop, i, loop->heap[c]);
        i = c;
    }
    tn__heap_set(loop, i, slot);
}

// Takes a record out of the heap and returns it to the free list.
TN__PRIVATE void tn__timer_release(tn_loop *loop, uint32_t slot) {
    uint32_t i = loop->timers[slot].heap_idx;
    uint32_t last = --loop->heap_len;
    if (i != last) {
        uint32_t moved = loop->heap[last];
        tn__heap_set(loop, i, moved);
        tn__heap_down(loop, i);
        tn__heap_up(loop, loop->timers[moved].heap_idx);
    }
    tn__timer *t = &loop->timers[slot];
    t->gen++;
    t->heap_idx = loop->timers_free;
    loop->timers_free = slot + 1;
}

TN__PRIVATE int tn__timers_grow(tn_loop *loop) {
    // Handles keep a slot in 32 bits: the pool stops short of that.
    size_t cap = loop->timers_cap, heap_cap = cap;
    if (cap >= UINT32_MAX / 2 || tn__grow(&loop->timers, &cap, cap + 1, sizeof *loop->timers, 64) ||
        tn__grow(&loop->heap, &heap_cap, cap, sizeof *loop->heap, 64))
        return TN_ENOMEM;
    tn__timer *t = loop->timers;
    for (uint32_t i = loop->timers_cap; i < cap; i++) {
        t[i].gen = 0;
        t[i].heap_idx = i + 1 < cap ? i + 2 : loop->timers_free;
    }
    loop->timers_free = loop->timers_cap + 1;
    loop->timers_cap = (uint32_t)cap;
    return 0;
}

TN_API tn_timeout tn_loop_call_at(tn_loop *loop, double when, tn_cb cb, void *arg) {
    tn_timeout h = {0};
    if (!cb) return h;
    if (!loop->timers_free && tn__timers_grow(loop)) return h;
    uint32_t slot = loop->timers_free - 1;
    tn__timer *t = &loop->timers[slot];
    loop->timers_free = t->heap_idx;
    t->when = when;
    t->seq = loop->timer_seq++;
    t->cb = cb;
    t->arg = arg;
    t->gen++;
    loop->heap[loop->heap_len] = slot;
    t->heap_idx = loop->heap_len++;
    tn__heap_up(loop, t->heap_idx);
    h.id = tn__timer_id(slot, t->gen);
    return h;
}

TN_API tn_timeout tn_loop_call_later(tn_loop *loop, double delay, tn_cb cb, void *arg) {
    return tn_loop_call_at(loop, loop->now + (delay > 0 ? delay : 0), cb, arg);
}

TN_API bool tn_loop_remove_timeout(tn_loop *loop, tn_timeout h) {
    uint32_t slot = (uint32_t)(h.id & 0xffffffffu);
    if (slot == 0 || slot > loop->timers_cap) return false;
    slot--;
    if (loop->timers[slot].gen != (uint32_t)(h.id >> 32) || !(loop->timers[slot].gen & 1)) return false;
    tn__timer_release(loop, slot);
    return true;
}

TN__INTERNAL double tn__timers_next(tn_loop *loop) {
    return loop->heap_len ? loop->timers[loop->heap[0]].when : -1.0;
}

// Runs the timers due now. Timers added while running wait for the next
// iteration (their seq is past `limit`), so a zero-delay timer that re-adds
// itself cannot starve the loop.
TN__INTERNAL void tn__timers_run(tn_loop *loop) {
    uint64_t limit = loop->timer_seq;
    while (loop->heap_len) {
        tn__timer *t = &loop->timers[loop->heap[0]];
        if (t->when > loop->now || t->seq >= limit) break;
        tn_cb cb = t->cb;
        void *arg = t->arg;
        tn__timer_release(loop, loop->heap[0]);
        cb(loop, arg);
    }
}

TN__INTERNAL void tn__timers_free(tn_loop *loop) {
    tn__free(loop->timers);
    tn__free(loop->heap);
    loop->timers = NULL;
    loop->heap = NULL;
    loop->heap_len = loop->timers_cap = loop->timers_free = 0;
}

// ---- periodic callbacks

struct tn_periodic {
    tn__handle handle;
    tn_loop *loop;
    tn_periodic_desc desc;
    tn_timeout timer;
    double next;
    int running;
    int in_callback;
    int free_pending;
};

TN__PRIVATE double tn__periodic_interval(const tn_periodic *p) {
    double iv = p->desc.interval;
    // Tornado's jitter: each interval is scaled by 1 + jitter * (r - 0.5).
    if (p->desc.jitter > 0) iv *= 1.0 + p->desc.jitter * ((double)rand() / ((double)RAND_MAX + 1.0) - 0.5);
    return iv;
}

TN__PRIVATE void tn__periodic_fire(tn_loop *loop, void *arg);

TN__PRIVATE void tn__periodic_schedule(tn_periodic *p) {
    // The real clock, not the iteration's: the callback itself may have overrun.
    double now = tn__loop_clock(p->loop), iv = tn__periodic_interval(p);
    if (p->next <= now) {
        // Skip the runs we missed but keep the phase of the schedule.
        double missed = (double)(long long)((now - p->next) / iv);
        p->next += (missed + 1) * iv;
    }
    p->timer = tn_loop_call_at(p->loop, p->next, tn__periodic_fire, p);
    if (!p->timer.id) {
        TN__LOGE("periodic callback stopped: out of memory");
        p->running = 0;
    }
}

TN__PRIVATE void tn__periodic_fire(tn_loop *loop, void *arg) {
    tn_periodic *p = TN__CAST(tn_periodic *, arg);
    p->timer.id = 0;
    p->in_callback = 1;
    p->desc.cb(loop, p->desc.user_data);
    p->in_callback = 0;
    if (p->free_pending) {
        tn__free(p);
        return;
    }
    if (p->running) tn__periodic_schedule(p);
}

TN__PRIVATE void tn__periodic_close(tn__handle *h) {
    tn_periodic *p = TN__CAST(tn_periodic *, (void *)h);
    tn_loop_remove_timeout(p->loop, p->timer);
    tn__free(p);
}

TN_API tn_periodic *tn_periodic_new(tn_loop *loop, const tn_periodic_desc *desc) {
    if (!desc || !desc->cb || !(desc->interval > 0) || desc->jitter < 0 || desc->jitter > 1) {
        TN__LOGE("tn_periodic_new: needs a callback, an interval > 0 and a jitter in 0..1");
        return NULL;
    }
    tn_periodic *p = TN__CAST(tn_periodic *, tn__calloc(1, sizeof *p));
    if (!p) return NULL;
    p->loop = loop;
    p->desc = *desc;
    p->handle.close = tn__periodic_close;
    tn__loop_add_handle(loop, &p->handle);
    return p;
}

TN_API void tn_periodic_start(tn_periodic *p) {
    if (p->running) return;
    p->running = 1;
    p->next = p->loop->now;
    tn__periodic_schedule(p);
}

TN_API void tn_periodic_stop(tn_periodic *p) {
    p->running = 0;
    tn_loop_remove_timeout(p->loop, p->timer);
    p->timer.id = 0;
}

TN_API bool tn_periodic_is_running(const tn_periodic *p) { return p->running != 0; }

TN_API void tn_periodic_free(tn_periodic *p) {
    if (!p) return;
    tn_periodic_stop(p);
    tn__loop_remove_handle(&p->handle);
    if (p->in_callback) p->free_pending = 1;
    else tn__free(p);
}
