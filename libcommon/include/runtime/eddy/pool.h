/* pool: a worker pool of its own threads for blocking work (reconciles, git, archives, engine
 * runs), with results handed back to the libuv loop thread.
 *
 * The pool is not libuv's shared threadpool (which DNS and file requests use); it owns N
 * threads. pool_submit() queues a job; a worker runs work(arg) on its thread, then done(arg,
 * status) runs on the loop thread (woken through a uv_async_t). Jobs start in FIFO order.
 *
 * Callback contract: pool_submit() either fails (returns -1, nothing is called) or succeeds and
 * then done() is called exactly once, on the loop thread, never from inside pool_submit():
 *   - status POOL_DONE (0) after work() ran;
 *   - status POOL_CANCELLED when the pool was shut down before a worker picked the job up; work()
 *     was then never called and done() must release arg.
 * Several done() calls that are ready together run in completion order within one loop
 * iteration. done() may submit new jobs (unless the pool is shutting down).
 *
 * Shutdown (pool_shutdown, loop thread): submissions fail from then on; queued jobs are
 * cancelled; running jobs are not interrupted: work() may poll pool_stopping() to return early.
 * When every worker has finished, the pool joins them (they have already returned, so this does
 * not block the loop), delivers the remaining done() calls, closes its async handle, calls the
 * closed callback and frees itself. The loop must keep running until then; uv_loop_close()
 * succeeds afterwards.
 *
 * work() runs on a worker: it must not touch loop handles; everything it shares with the loop
 * thread is either handed over through arg or locked. */
#ifndef EDDY_POOL_H
#define EDDY_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "eddy/err.h"

enum { POOL_DONE = 0, POOL_CANCELLED = 1 };
enum { POOL_MAX_THREADS = 256 };

typedef struct pool pool;

typedef void (*pool_work_fn)(void *arg);
typedef void (*pool_done_fn)(void *arg, int status);
typedef void (*pool_closed_fn)(void *arg);

/* Start nthreads workers (1..POOL_MAX_THREADS) attached to loop. Call on the loop thread.
 * Returns NULL and fills e for a bad size or when a thread cannot be created; in the latter
 * case the partly built pool stops the threads it started and frees itself on the loop (so
 * keep running the loop before uv_loop_close). */
pool *pool_new(uv_loop_t *loop, size_t nthreads, err *e);
/* Queue a job. Callable from the loop thread and from workers (e.g. a job fanning out).
 * Returns 0, or -1 when the pool is shutting down. work may be NULL (done then runs with
 * POOL_DONE on the loop thread, handy for handing a value back). */
int pool_submit(pool *p, pool_work_fn work, pool_done_fn done, void *arg);
/* Begin shutdown (see above). closed(arg) is called on the loop thread once everything is
 * released; closed may be NULL. Calling it twice is a no-op for the second call. */
void pool_shutdown(pool *p, pool_closed_fn closed, void *arg);
/* True once shutdown began; safe from any thread. */
bool pool_stopping(const pool *p);
size_t pool_threads(const pool *p);
/* Jobs queued and not yet started, and jobs running now (a snapshot, any thread). */
size_t pool_queued(pool *p);
size_t pool_running(pool *p);

#endif
