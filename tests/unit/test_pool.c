#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <unistd.h>
#include <uv.h>

#include "eddy/mem.h"
#include "eddy/pool.h"

typedef struct ctx {
	pthread_t loop_thread;
	int done_ok;
	int done_cancelled;
	int done_wrong_thread;
	int worked;
	bool closed;
	pthread_mutex_t lock;
	pool *p;
} ctx;

typedef struct jobarg {
	ctx *c;
	int id;
	int calls;	      /* done() calls for this job */
	bool ran;	      /* work() ran */
	pthread_t worker;     /* thread work() ran on */
	useconds_t sleep_us;
	bool until_stopping; /* work() runs until the pool stops (at most 10 s) */
} jobarg;

static void work(void *arg)
{
	jobarg *j = arg;
	j->worker = pthread_self();
	if (j->sleep_us)
		usleep(j->sleep_us);
	for (int i = 0; j->until_stopping && i < 10000 && !pool_stopping(j->c->p); i++)
		usleep(1000);
	pthread_mutex_lock(&j->c->lock);
	j->c->worked++;
	pthread_mutex_unlock(&j->c->lock);
	j->ran = true;
}

static void done(void *arg, int status)
{
	jobarg *j = arg;
	j->calls++;
	if (!pthread_equal(pthread_self(), j->c->loop_thread))
		j->c->done_wrong_thread++;
	if (status == POOL_DONE)
		j->c->done_ok++;
	else if (status == POOL_CANCELLED)
		j->c->done_cancelled++;
}

static void on_closed(void *arg)
{
	ctx *c = arg;
	assert_true(pthread_equal(pthread_self(), c->loop_thread));
	c->closed = true;
}

static void ctx_init(ctx *c)
{
	memset(c, 0, sizeof *c);
	c->loop_thread = pthread_self();
	pthread_mutex_init(&c->lock, NULL);
}

static void close_loop(uv_loop_t *loop)
{
	uv_run(loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(loop), 0);
}

static void many_jobs_done_once_on_loop_thread(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	ctx c;
	ctx_init(&c);
	err e;
	c.p = pool_new(&loop, 4, &e);
	assert_non_null(c.p);
	assert_int_equal(pool_threads(c.p), 4);
	enum { N = 2000 };
	jobarg *jobs = xcalloc(N, sizeof *jobs);
	for (int i = 0; i < N; i++) {
		jobs[i].c = &c;
		jobs[i].id = i;
		assert_int_equal(pool_submit(c.p, work, done, &jobs[i]), 0);
	}
	/* done() never runs from inside pool_submit */
	assert_int_equal(c.done_ok, 0);
	while (c.done_ok < N)
		uv_run(&loop, UV_RUN_ONCE);
	for (int i = 0; i < N; i++) {
		assert_int_equal(jobs[i].calls, 1);
		assert_true(jobs[i].ran);
		assert_false(pthread_equal(jobs[i].worker, c.loop_thread));
	}
	assert_int_equal(c.done_wrong_thread, 0);
	assert_int_equal(pool_queued(c.p), 0);
	assert_int_equal(pool_running(c.p), 0);
	pool_shutdown(c.p, on_closed, &c);
	close_loop(&loop);
	assert_true(c.closed);
	assert_int_equal(c.done_cancelled, 0);
	free(jobs);
}

/* Blocks until released: shows work really runs in parallel on separate threads. */
typedef struct barrier_job {
	pthread_barrier_t *b;
	int *count;
} barrier_job;

static void barrier_work(void *arg)
{
	barrier_job *j = arg;
	pthread_barrier_wait(j->b);
}

static void barrier_done(void *arg, int status)
{
	barrier_job *j = arg;
	assert_int_equal(status, POOL_DONE);
	(*j->count)++;
}

static void runs_in_parallel(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	err e;
	pool *p = pool_new(&loop, 3, &e);
	pthread_barrier_t b;
	pthread_barrier_init(&b, NULL, 3);
	int count = 0;
	barrier_job j[3];
	for (int i = 0; i < 3; i++) {
		j[i] = (barrier_job){ &b, &count };
		pool_submit(p, barrier_work, barrier_done, &j[i]);
	}
	while (count < 3)
		uv_run(&loop, UV_RUN_ONCE);
	pthread_barrier_destroy(&b);
	pool_shutdown(p, NULL, NULL);
	close_loop(&loop);
}

static void shutdown_cancels_queued_and_waits_for_running(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	ctx c;
	ctx_init(&c);
	err e;
	c.p = pool_new(&loop, 2, &e);
	enum { N = 50 };
	jobarg jobs[N];
	memset(jobs, 0, sizeof jobs);
	for (int i = 0; i < N; i++) {
		jobs[i].c = &c;
		jobs[i].until_stopping = true; /* only the first two start */
		assert_int_equal(pool_submit(c.p, work, done, &jobs[i]), 0);
	}
	/* Let the two workers pick up their first jobs. */
	while (pool_running(c.p) < 2)
		usleep(1000);
	pool_shutdown(c.p, on_closed, &c);
	pool_shutdown(c.p, on_closed, &c); /* second call: no-op */
	assert_true(pool_stopping(c.p));
	assert_int_equal(pool_submit(c.p, work, done, &jobs[0]), -1); /* refused, no callback */
	assert_int_equal(c.done_cancelled, 0); /* not synchronously */
	close_loop(&loop);
	assert_true(c.closed);
	assert_int_equal(c.done_ok, 2);
	assert_int_equal(c.done_cancelled, N - 2);
	assert_int_equal(c.worked, 2);
	assert_int_equal(c.done_wrong_thread, 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(jobs[i].calls, 1);
		assert_int_equal(jobs[i].ran, i < 2); /* FIFO: the first two ran */
	}
}

/* done() submitting follow-up work, and work == NULL. */
typedef struct chain {
	pool *p;
	int left;
	int nulls;
} chain;

static void chain_work(void *arg)
{
}

static void chain_done(void *arg, int status)
{
	chain *ch = arg;
	assert_int_equal(status, POOL_DONE);
	if (--ch->left > 0) {
		pool_work_fn w = ch->left % 2 ? chain_work : NULL;
		assert_int_equal(pool_submit(ch->p, w, chain_done, ch), 0);
	}
}

static void done_can_resubmit(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	err e;
	chain ch = { .left = 100 };
	ch.p = pool_new(&loop, 1, &e);
	pool_submit(ch.p, chain_work, chain_done, &ch);
	while (ch.left > 0)
		uv_run(&loop, UV_RUN_ONCE);
	pool_shutdown(ch.p, NULL, NULL);
	close_loop(&loop);
}

static void bad_size(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	err e;
	assert_null(pool_new(&loop, 0, &e));
	assert_string_equal(e.reason, "InvalidArgument");
	assert_null(pool_new(&loop, POOL_MAX_THREADS + 1, &e));
	close_loop(&loop);
}

static void idle_pool_shuts_down_promptly(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	err e;
	ctx c;
	ctx_init(&c);
	pool *p = pool_new(&loop, 8, &e);
	uint64_t t0 = uv_hrtime();
	pool_shutdown(p, on_closed, &c);
	close_loop(&loop);
	assert_true(c.closed);
	assert_true(uv_hrtime() - t0 < 2000 * 1000000ULL); /* generous: shared machine */
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(many_jobs_done_once_on_loop_thread),
		cmocka_unit_test(runs_in_parallel),
		cmocka_unit_test(shutdown_cancels_queued_and_waits_for_running),
		cmocka_unit_test(done_can_resubmit),
		cmocka_unit_test(bad_size),
		cmocka_unit_test(idle_pool_shuts_down_promptly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
