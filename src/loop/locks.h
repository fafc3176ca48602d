// ---------------------------------------------------------------------------
// >>locks  Coordination in callback style (tornado.locks, tornado.queues)
// ---------------------------------------------------------------------------
// Condition, Event, Semaphore and Lock for one loop's callbacks (not for
// threads). A wait registers a callback; it runs exactly once, never inside
// the call that caused it, with status 0 (notified / set / acquired),
// TN_ETIMEDOUT (the timeout passed) or TN_ECANCELED (the object was freed).
// tn_waiter_cancel drops a waiter without calling it, e.g. when the request
// that waited goes away: the long-poll chat parks requests this way.
#ifndef TN__LOOP_LOCKS_H
#define TN__LOOP_LOCKS_H
#include "base/config.h"
#include "loop/loop.h"
TN__BEGIN_DECLS

typedef struct tn_waiter tn_waiter;
typedef void (*tn_wait_cb)(tn_loop *loop, int status, void *arg);

// Drops a pending waiter: its callback will not run. The handle is valid
// until the waiter's callback has started or it was cancelled; returns true
// if it was still pending.
TN_API bool tn_waiter_cancel(tn_waiter *w);

typedef struct tn_condition tn_condition;
// A condition variable (Tornado's Condition). NULL when out of memory.
TN_API tn_condition *tn_condition_new(tn_loop *loop);
// Frees it; waiters still pending get TN_ECANCELED.
TN_API void tn_condition_free(tn_condition *c);
// Waits until notified or `timeout` seconds pass (0: no timeout). Returns
// the waiter (for tn_waiter_cancel), or NULL when out of memory.
TN_API tn_waiter *tn_condition_wait(tn_condition *c, double timeout, tn_wait_cb cb, void *arg);
// Wakes up to n waiters, oldest first.
TN_API void tn_condition_notify(tn_condition *c, size_t n);
TN_API void tn_condition_notify_all(tn_condition *c);
// Waiters pending now.
TN_API size_t tn_condition_waiters(const tn_condition *c);

typedef struct tn_event tn_event;
// An event flag, initially clear (Tornado's Event). NULL when out of memory.
TN_API tn_event *tn_event_new(tn_loop *loop);
TN_API void tn_event_free(tn_event *e);
// Sets the flag and wakes every waiter; later waits complete at once.
TN_API void tn_event_set(tn_event *e);
TN_API void tn_event_clear(tn_event *e);
TN_API bool tn_event_is_set(const tn_event *e);
// Waits until the flag is set (completes in the next iteration if it is).
TN_API tn_waiter *tn_event_wait(tn_event *e, double timeout, tn_wait_cb cb, void *arg);

typedef struct tn_semaphore tn_semaphore;
// A counter of `value` permits (Tornado's Semaphore; a Lock is value 1).
TN_API tn_semaphore *tn_semaphore_new(tn_loop *loop, size_t value);
TN_API void tn_semaphore_free(tn_semaphore *s);
// Takes a permit, waiting for one if none is free.
TN_API tn_waiter *tn_semaphore_acquire(tn_semaphore *s, double timeout, tn_wait_cb cb, void *arg);
// Gives a permit back (to the oldest waiter, if any).
TN_API void tn_semaphore_release(tn_semaphore *s);
// Free permits now.
TN_API size_t tn_semaphore_value(const tn_semaphore *s);

typedef struct tn_queue tn_queue;
// A get's result: status 0 and the item, or TN_ETIMEDOUT / TN_ECANCELED.
typedef void (*tn_queue_get_cb)(tn_loop *loop, int status, void *item, void *arg);

// A FIFO queue of pointers (Tornado's Queue); maxsize 0 means unbounded.
TN_API tn_queue *tn_queue_new(tn_loop *loop, size_t maxsize);
// Frees it (not the items); pending gets, puts and joins get TN_ECANCELED.
TN_API void tn_queue_free(tn_queue *q);
// Puts an item now: 0, or TN_EAGAIN when full (Tornado's QueueFull), TN_ENOMEM.
TN_API int tn_queue_put_nowait(tn_queue *q, void *item);
// Puts an item, waiting for room; cb runs once it is in (status 0).
TN_API tn_waiter *tn_queue_put(tn_queue *q, void *item, double timeout, tn_wait_cb cb, void *arg);
// Takes the oldest item now: 0, or TN_EAGAIN when empty (QueueEmpty).
TN_API int tn_queue_get_nowait(tn_queue *q, void **item);
// Takes the oldest item, waiting for one. A get cancelled after an item was
// handed to it puts that item back at the front.
TN_API tn_waiter *tn_queue_get(tn_queue *q, double timeout, tn_queue_get_cb cb, void *arg);
// Marks one taken item as processed (for tn_queue_join).
TN_API void tn_queue_task_done(tn_queue *q);
// Waits until every item put so far was taken and marked done.
TN_API tn_waiter *tn_queue_join(tn_queue *q, double timeout, tn_wait_cb cb, void *arg);
// Items in the queue now.
TN_API size_t tn_queue_size(const tn_queue *q);

TN__END_DECLS
#endif
