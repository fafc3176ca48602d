// >>locks implementation: one FIFO waiter list serves all three
#include "loop_internal.h"

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
    if (!w->cancelled) w->cb(loop, w->status, w->arg);
    else if (w->sem && w->status == 0) tn_semaphore_release(w->sem);  // granted, then dropped
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
    if (!cb) return NULL;
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
