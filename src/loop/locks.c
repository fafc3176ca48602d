// >>locks implementation: one FIFO waiter list serves all three
#include "base/internal.h"
#include "loop/locks.h"
#include "base/error.h"
#include "loop/loop.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"

#include <string.h>

typedef struct tn__wlist {
    tn_waiter *head, *tail;
    size_t n;
} tn__wlist;

struct tn_waiter {
    tn_waiter *prev, *next;
    tn__wlist *list;         // NULL once off the list (completing)
    tn_loop *loop;
    tn_wait_cb cb;
    void *arg;
    tn_timeout timer;
    tn_semaphore *sem;       // a granted permit to give back if cancelled in flight
    tn_queue *queue;         // a handed item to put back if cancelled in flight
    tn_queue_get_cb get_cb;  // gets: called with the item instead of cb
    void *item;
    int status;
    int cancelled;
};

struct tn_condition {
    tn_loop *loop;
    tn__wlist waiters;
};

struct tn_event {
    tn_loop *loop;
    tn__wlist waiters;
    bool set;
};

struct tn_semaphore {
    tn_loop *loop;
    tn__wlist waiters;
    size_t value;
};

struct tn_queue {
    tn_loop *loop;
    tn__wlist getters, putters, joiners;
    void **ring;             // items[head .. head+count) modulo cap
    size_t head, count, cap, maxsize, unfinished;
};

TN__PRIVATE int tn__queue_push(tn_queue *q, void *item, bool front);

TN__PRIVATE void tn__wlist_unlink(tn_waiter *w) {
    tn__wlist *l = w->list;
    if (!l) return;
    if (w->prev) w->prev->next = w->next;
    else l->head = w->next;
    if (w->next) w->next->prev = w->prev;
    else l->tail = w->prev;
    l->n--;
    w->prev = w->next = NULL;
    w->list = NULL;
    tn_loop_remove_timeout(w->loop, w->timer);
    w->timer.id = 0;
}

TN__PRIVATE void tn__waiter_deliver(tn_loop *loop, void *arg) {
    tn_waiter *w = TN__CAST(tn_waiter *, arg);
    if (!w->cancelled && w->get_cb) w->get_cb(loop, w->status, w->item, w->arg);
    else if (!w->cancelled) w->cb(loop, w->status, w->arg);
    else if (w->sem && w->status == 0) tn_semaphore_release(w->sem);  // granted, then dropped
    else if (w->queue && w->get_cb && w->status == 0) tn__queue_push(w->queue, w->item, true);
    tn__free(w);
}

// Takes w off its list and runs its callback in a later iteration.
TN__PRIVATE void tn__waiter_complete(tn_waiter *w, int status) {
    tn__wlist_unlink(w);
    w->status = status;
    if (tn_loop_add_callback(w->loop, tn__waiter_deliver, w) != 0) {
        TN__LOGE("locks: cannot queue a waiter's callback (out of memory); running it now");
        tn__waiter_deliver(w->loop, w);
    }
}

TN__PRIVATE void tn__waiter_timeout(tn_loop *loop, void *arg) {
    (void)loop;
    tn_waiter *w = TN__CAST(tn_waiter *, arg);
    w->timer.id = 0;
    tn__waiter_complete(w, TN_ETIMEDOUT);
}

// A new waiter, queued on l (or, with l NULL, completing at once).
TN__PRIVATE tn_waiter *tn__waiter_new(tn_loop *loop, tn__wlist *l, double timeout, tn_wait_cb cb, void *arg) {
    tn_waiter *w = TN__CAST(tn_waiter *, tn__calloc(1, sizeof *w));
    if (!w) return NULL;
    w->loop = loop;
    w->cb = cb;
    w->arg = arg;
    if (!l) {
        tn__waiter_complete(w, 0);
        return w;
    }
    w->list = l;
    w->prev = l->tail;
    if (l->tail) l->tail->next = w;
    else l->head = w;
    l->tail = w;
    l->n++;
    if (timeout > 0) w->timer = tn_loop_call_later(loop, timeout, tn__waiter_timeout, w);
    return w;
}

TN__PRIVATE void tn__wlist_wake(tn__wlist *l, size_t n, int status) {
    while (n-- && l->head) tn__waiter_complete(l->head, status);
}

TN_API bool tn_waiter_cancel(tn_waiter *w) {
    if (!w || w->cancelled) return false;
    if (w->list) {
        tn__wlist_unlink(w);
        tn__free(w);
        return true;
    }
    w->cancelled = 1;  // its delivery is queued: it will drop the callback
    return true;
}

// ---- Condition

TN_API tn_condition *tn_condition_new(tn_loop *loop) {
    tn_condition *c = TN__CAST(tn_condition *, tn__calloc(1, sizeof *c));
    if (c) c->loop = loop;
    return c;
}

TN_API void tn_condition_free(tn_condition *c) {
    if (!c) return;
    tn__wlist_wake(&c->waiters, SIZE_MAX, TN_ECANCELED);
    tn__free(c);
}

TN_API tn_waiter *tn_condition_wait(tn_condition *c, double timeout, tn_wait_cb cb, void *arg) {
    if (!cb) return NULL;
    return tn__waiter_new(c->loop, &c->waiters, timeout, cb, arg);
}

TN_API void tn_condition_notify(tn_condition *c, size_t n) { tn__wlist_wake(&c->waiters, n, 0); }
TN_API void tn_condition_notify_all(tn_condition *c) { tn__wlist_wake(&c->waiters, SIZE_MAX, 0); }
TN_API size_t tn_condition_waiters(const tn_condition *c) { return c->waiters.n; }

// ---- Event

TN_API tn_event *tn_event_new(tn_loop *loop) {
    tn_event *e = TN__CAST(tn_event *, tn__calloc(1, sizeof *e));
    if (e) e->loop = loop;
    return e;
}

TN_API void tn_event_free(tn_event *e) {
    if (!e) return;
    tn__wlist_wake(&e->waiters, SIZE_MAX, TN_ECANCELED);
    tn__free(e);
}

TN_API void tn_event_set(tn_event *e) {
    e->set = true;
    tn__wlist_wake(&e->waiters, SIZE_MAX, 0);
}

TN_API void tn_event_clear(tn_event *e) { e->set = false; }
TN_API bool tn_event_is_set(const tn_event *e) { return e->set; }

TN_API tn_waiter *tn_event_wait(tn_event *e, double timeout, tn_wait_cb cb, void *arg) {
    if (!cb) return NULL;
    return tn__waiter_new(e->loop, e->set ? NULL : &e->waiters, timeout, cb, arg);
}

// ---- Semaphore

TN_API tn_semaphore *tn_semaphore_new(tn_loop *loop, size_t value) {
    tn_semaphore *s = TN__CAST(tn_semaphore *, tn__calloc(1, sizeof *s));
    if (!s) return NULL;
    s->loop = loop;
    s->value = value;
    return s;
}

TN_API void tn_semaphore_free(tn_semaphore *s) {
    if (!s) return;
    tn__wlist_wake(&s->waiters, SIZE_MAX, TN_ECANCELED);
    tn__free(s);
}

TN_API tn_waiter *tn_semaphore_acquire(tn_semaphore *s, double timeout, tn_wait_cb cb, void *arg) {
    if (!cb) return NULL;
    bool free_now = s->value > 0 && !s->waiters.head;
    tn_waiter *w = tn__waiter_new(s->loop, free_now ? NULL : &s->waiters, timeout, cb, arg);
    if (w) w->sem = s;
    if (w && free_now) s->value--;
    return w;
}

TN_API void tn_semaphore_release(tn_semaphore *s) {
    if (s->waiters.head) tn__waiter_complete(s->waiters.head, 0);  // the permit passes on
    else s->value++;
}

TN_API size_t tn_semaphore_value(const tn_semaphore *s) { return s->value; }

// ---- Queue

TN__PRIVATE int tn__queue_push(tn_queue *q, void *item, bool front) {
    size_t old = q->cap;
    if (tn__grow(&q->ring, &q->cap, q->count + 1, sizeof *q->ring, 16)) return TN_ENOMEM;
    // A ring that wrapped around: its start now continues past the old end
    // (the capacity at least doubled, so there is room).
    if (q->cap != old && q->head + q->count > old)
        memcpy(q->ring + old, q->ring, (q->head + q->count - old) * sizeof *q->ring);
    if (front) {
        q->head = (q->head + q->cap - 1) % q->cap;
        q->ring[q->head] = item;
    } else {
        q->ring[(q->head + q->count) % q->cap] = item;
    }
    q->count++;
    return 0;
}

TN__PRIVATE void *tn__queue_pop(tn_queue *q) {
    void *item = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    return item;
}

TN__PRIVATE bool tn__queue_full(const tn_queue *q) { return q->maxsize && q->count >= q->maxsize; }

// Hands queued items to waiting getters, then lets waiting putters in.
TN__PRIVATE void tn__queue_settle(tn_queue *q) {
    for (;;) {
        if (q->count && q->getters.head) {
            tn_waiter *g = q->getters.head;
            g->item = tn__queue_pop(q);
            tn__waiter_complete(g, 0);
        } else if (q->putters.head && !tn__queue_full(q)) {
            tn_waiter *p = q->putters.head;
            if (tn__queue_push(q, p->item, false) != 0) return;
            q->unfinished++;
            tn__waiter_complete(p, 0);
        } else {
            return;
        }
    }
}

TN_API tn_queue *tn_queue_new(tn_loop *loop, size_t maxsize) {
    tn_queue *q = TN__CAST(tn_queue *, tn__calloc(1, sizeof *q));
    if (!q) return NULL;
    q->loop = loop;
    q->maxsize = maxsize;
    return q;
}

TN_API void tn_queue_free(tn_queue *q) {
    if (!q) return;
    tn__wlist_wake(&q->getters, SIZE_MAX, TN_ECANCELED);
    tn__wlist_wake(&q->putters, SIZE_MAX, TN_ECANCELED);
    tn__wlist_wake(&q->joiners, SIZE_MAX, TN_ECANCELED);
    tn__free(q->ring);
    tn__free(q);
}

TN_API int tn_queue_put_nowait(tn_queue *q, void *item) {
    if (tn__queue_full(q) || q->putters.head) return TN_EAGAIN;
    int r = tn__queue_push(q, item, false);
    if (r) return r;
    q->unfinished++;
    tn__queue_settle(q);
    return 0;
}

TN_API tn_waiter *tn_queue_put(tn_queue *q, void *item, double timeout, tn_wait_cb cb, void *arg) {
    if (!cb) return NULL;
    if (tn_queue_put_nowait(q, item) == 0) return tn__waiter_new(q->loop, NULL, 0, cb, arg);
    tn_waiter *w = tn__waiter_new(q->loop, &q->putters, timeout, cb, arg);
    if (w) w->item = item;
    return w;
}

TN_API int tn_queue_get_nowait(tn_queue *q, void **item) {
    if (!q->count) return TN_EAGAIN;
    *item = tn__queue_pop(q);
    tn__queue_settle(q);
    return 0;
}

TN_API tn_waiter *tn_queue_get(tn_queue *q, double timeout, tn_queue_get_cb cb, void *arg) {
    if (!cb) return NULL;
    tn_waiter *w = tn__waiter_new(q->loop, &q->getters, timeout, NULL, arg);
    if (!w) return NULL;
    w->get_cb = cb;
    w->queue = q;
    tn__queue_settle(q);
    return w;
}

TN_API void tn_queue_task_done(tn_queue *q) {
    if (!q->unfinished) {
        TN__LOGE("tn_queue_task_done called more times than items were put");
        return;
    }
    if (--q->unfinished == 0) tn__wlist_wake(&q->joiners, SIZE_MAX, 0);
}

TN_API tn_waiter *tn_queue_join(tn_queue *q, double timeout, tn_wait_cb cb, void *arg) {
    if (!cb) return NULL;
    return tn__waiter_new(q->loop, q->unfinished ? &q->joiners : NULL, timeout, cb, arg);
}

TN_API size_t tn_queue_size(const tn_queue *q) { return q->count; }
