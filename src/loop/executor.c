// >>executor implementation: a lazily started thread pool whose finished jobs
// go back to the loop on an intrusive list (no allocation, so none is lost)
#include "base/internal.h"
#include "loop/loop.h"
#include "loop/loop_internal.h"
#include "base/error.h"
#include "base/alloc_internal.h"

#include <signal.h>

typedef struct tn__job tn__job;
struct tn__job {
    tn__job *next;
    tn_work_cb work;
    tn_after_work_cb done;
    void *arg;
    int status;
};

struct tn__executor {
    tn_loop *loop;
    tn__mutex lock;
    tn__job *todo_head, *todo_tail;
    tn__job *done_head, *done_tail;
    int has_done;  // atomic hint for the loop
#if TN_ENABLE_THREADS
    pthread_cond_t cond;
    pthread_t *threads;
    int nthreads;
    int shutdown;
#endif
};

TN__PRIVATE void tn__job_push(tn__job **head, tn__job **tail, tn__job *j) {
    j->next = NULL;
    if (*tail) (*tail)->next = j;
    else *head = j;
    *tail = j;
}

TN__PRIVATE void tn__executor_finish(tn__executor *ex, tn__job *j) {
    tn__mutex_lock(&ex->lock);
    tn__job_push(&ex->done_head, &ex->done_tail, j);
    TN__ATOMIC_STORE(&ex->has_done, 1);
    tn__mutex_unlock(&ex->lock);
    tn__loop_wake(ex->loop);
}

#if TN_ENABLE_THREADS
TN__PRIVATE void *tn__executor_thread(void *arg) {
    tn__executor *ex = TN__CAST(tn__executor *, arg);
    for (;;) {
        tn__mutex_lock(&ex->lock);
        while (!ex->todo_head && !ex->shutdown) pthread_cond_wait(&ex->cond, &ex->lock);
        tn__job *j = ex->todo_head;
        if (!j) {
            tn__mutex_unlock(&ex->lock);
            return NULL;
        }
        ex->todo_head = j->next;
        if (!ex->todo_head) ex->todo_tail = NULL;
        tn__mutex_unlock(&ex->lock);
        j->work(j->arg);
        tn__executor_finish(ex, j);
    }
}

TN__PRIVATE int tn__executor_start_threads(tn_loop *loop) {
    tn__executor *ex = loop->exec;
    int n = loop->desc.executor_threads;
    ex->threads = TN__CAST(pthread_t *, tn__calloc((size_t)n, sizeof(pthread_t)));
    if (!ex->threads) return TN_ENOMEM;
    // Pool threads take no signals: they belong to the loop's thread
    // (Windows has no signals to mask: console control has its own thread).
#if !defined(_WIN32)
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
#endif
    for (int i = 0; i < n; i++) {
        if (pthread_create(&ex->threads[i], NULL, tn__executor_thread, ex) != 0) break;
        ex->nthreads++;
    }
#if !defined(_WIN32)
    pthread_sigmask(SIG_SETMASK, &old, NULL);
#endif
    if (ex->nthreads == 0) {
        tn__free(ex->threads);
        ex->threads = NULL;
        return TN_EAGAIN;
    }
    return 0;
}
#endif

TN__PRIVATE int tn__executor_init(tn_loop *loop) {
    if (loop->exec) return 0;
    tn__executor *ex = TN__CAST(tn__executor *, tn__calloc(1, sizeof *ex));
    if (!ex) return TN_ENOMEM;
    ex->loop = loop;
    tn__mutex_init(&ex->lock);
#if TN_ENABLE_THREADS
    pthread_cond_init(&ex->cond, NULL);
#endif
    loop->exec = ex;
#if TN_ENABLE_THREADS
    int r = tn__executor_start_threads(loop);
    if (r) {
        tn__executor_free(loop);
        return r;
    }
#endif
    return 0;
}

TN_API int tn_loop_run_in_executor(tn_loop *loop, tn_work_cb work, tn_after_work_cb done, void *arg) {
    if (!work || !done) return TN_EINVAL;
    int r = tn__executor_init(loop);
    if (r) return r;
    tn__job *j = TN__CAST(tn__job *, tn__calloc(1, sizeof *j));
    if (!j) return TN_ENOMEM;
    j->work = work;
    j->done = done;
    j->arg = arg;
#if TN_ENABLE_THREADS
    tn__executor *ex = loop->exec;
    tn__mutex_lock(&ex->lock);
    tn__job_push(&ex->todo_head, &ex->todo_tail, j);
    pthread_cond_signal(&ex->cond);
    tn__mutex_unlock(&ex->lock);
#else
    work(arg);
    tn__executor_finish(loop->exec, j);
#endif
    return 0;
}

TN__INTERNAL int tn__executor_has_done(tn_loop *loop) {
    return loop->exec && TN__ATOMIC_LOAD(&loop->exec->has_done);
}

TN__PRIVATE void tn__jobs_run_done(tn_loop *loop, tn__job *j) {
    while (j) {
        tn__job *next = j->next;
        j->done(loop, j->arg, j->status);
        tn__free(j);
        j = next;
    }
}

TN__INTERNAL void tn__executor_run_done(tn_loop *loop) {
    if (!tn__executor_has_done(loop)) return;
    tn__executor *ex = loop->exec;
    tn__mutex_lock(&ex->lock);
    tn__job *j = ex->done_head;
    ex->done_head = ex->done_tail = NULL;
    TN__ATOMIC_STORE(&ex->has_done, 0);
    tn__mutex_unlock(&ex->lock);
    tn__jobs_run_done(loop, j);
}

// Joins the pool. Jobs not started finish with TN_ECANCELED; every done
// callback still runs. The executor is detached first, so a done callback
// that queues more work gets a fresh pool (tn_loop_free closes it too).
TN__INTERNAL void tn__executor_free(tn_loop *loop) {
    tn__executor *ex = loop->exec;
    if (!ex) return;
    loop->exec = NULL;
#if TN_ENABLE_THREADS
    tn__mutex_lock(&ex->lock);
    tn__job *todo = ex->todo_head;
    ex->todo_head = ex->todo_tail = NULL;
    ex->shutdown = 1;
    pthread_cond_broadcast(&ex->cond);
    tn__mutex_unlock(&ex->lock);
    for (int i = 0; i < ex->nthreads; i++) pthread_join(ex->threads[i], NULL);
    tn__free(ex->threads);
    while (todo) {
        tn__job *next = todo->next;
        todo->status = TN_ECANCELED;
        tn__job_push(&ex->done_head, &ex->done_tail, todo);
        todo = next;
    }
    pthread_cond_destroy(&ex->cond);
#endif
    tn__job *done = ex->done_head;
    tn__mutex_destroy(&ex->lock);
    tn__free(ex);
    tn__jobs_run_done(loop, done);
}
