#include "eddy/pool.h"

#include "eddy/mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
	struct job *next;
	pool_work_fn work;
	pool_done_fn done;
	void *arg;
	int status;
} job;

struct pool {
	uv_loop_t *loop;
	uv_async_t async;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t *threads;
	size_t nthreads;
	size_t alive;	/* workers not yet returned */
	size_t running; /* jobs in work() now */
	size_t queued;
	job *q_head, *q_tail;	  /* waiting for a worker */
	job *d_head, *d_tail;	  /* finished, waiting for done() on the loop */
	bool stopping;		  /* written under lock, read atomically */
	bool finishing;		  /* async close started */
	pool_closed_fn closed;
	void *closed_arg;
};

static void push(job **head, job **tail, job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static void *worker_main(void *arg)
{
	pool *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->q_head && !p->stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->stopping && !p->q_head)
			break;
		job *j = p->q_head;
		p->q_head = j->next;
		if (!p->q_head)
			p->q_tail = NULL;
		p->queued--;
		p->running++;
		pthread_mutex_unlock(&p->lock);
		if (j->work)
			j->work(j->arg);
		pthread_mutex_lock(&p->lock);
		p->running--;
		j->status = POOL_DONE;
		push(&p->d_head, &p->d_tail, j);
		uv_async_send(&p->async);
	}
	p->alive--;
	/* The async handle outlives every worker: it is closed only after alive reached 0 and
	 * the threads were joined, so this send is safe. */
	uv_async_send(&p->async);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void on_async_closed(uv_handle_t *h)
{
	pool *p = h->data;
	pool_closed_fn closed = p->closed;
	void *carg = p->closed_arg;
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->threads);
	free(p);
	if (closed)
		closed(carg);
}

static void on_async(uv_async_t *a)
{
	pool *p = a->data;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		job *list = p->d_head;
		p->d_head = p->d_tail = NULL;
		bool all_gone = p->stopping && p->alive == 0 && !p->q_head;
		pthread_mutex_unlock(&p->lock);
		if (!list) {
			if (all_gone && !p->finishing) {
				p->finishing = true;
				for (size_t i = 0; i < p->nthreads; i++)
					pthread_join(p->threads[i], NULL);
				uv_close((uv_handle_t *)&p->async, on_async_closed);
			}
			return;
		}
		while (list) {
			job *j = list;
			list = j->next;
			if (j->done)
				j->done(j->arg, j->status);
			free(j);
		}
	}
}

pool *pool_new(uv_loop_t *loop, size_t nthreads, err *e)
{
	if (nthreads < 1 || nthreads > POOL_MAX_THREADS) {
		err_fail(e, "InvalidArgument", "worker pool size %zu out of range 1..%d", nthreads,
			 POOL_MAX_THREADS);
		return NULL;
	}
	pool *p = xcalloc(1, sizeof *p);
	p->loop = loop;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	int rc = uv_async_init(loop, &p->async, on_async);
	if (rc < 0) {
		err_fail(e, "InternalError", "uv_async_init: %s", uv_strerror(rc));
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->cond);
		free(p);
		return NULL;
	}
	p->async.data = p;
	p->threads = xcalloc(nthreads, sizeof *p->threads);
	for (size_t i = 0; i < nthreads; i++) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, (size_t)8 << 20);
		pthread_mutex_lock(&p->lock);
		rc = pthread_create(&p->threads[i], &attr, worker_main, p);
		if (rc == 0) {
			p->nthreads++;
			p->alive++;
		}
		pthread_mutex_unlock(&p->lock);
		pthread_attr_destroy(&attr);
		if (rc != 0) {
			err_fail(e, "InternalError", "cannot start worker thread: %s",
				 strerror(rc));
			/* Stop the ones already started; the pool frees itself on the loop. */
			pool_shutdown(p, NULL, NULL);
			return NULL;
		}
	}
	return p;
}

int pool_submit(pool *p, pool_work_fn work, pool_done_fn done, void *arg)
{
	job *j = xcalloc(1, sizeof *j);
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		free(j);
		return -1;
	}
	if (!work) {
		j->status = POOL_DONE;
		push(&p->d_head, &p->d_tail, j);
		uv_async_send(&p->async);
	} else {
		push(&p->q_head, &p->q_tail, j);
		p->queued++;
		pthread_cond_signal(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void pool_shutdown(pool *p, pool_closed_fn closed, void *arg)
{
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	__atomic_store_n(&p->stopping, true, __ATOMIC_SEQ_CST);
	p->closed = closed;
	p->closed_arg = arg;
	/* Cancel what no worker has picked up; done() reports it on the loop. */
	while (p->q_head) {
		job *j = p->q_head;
		p->q_head = j->next;
		j->status = POOL_CANCELLED;
		push(&p->d_head, &p->d_tail, j);
	}
	p->q_tail = NULL;
	p->queued = 0;
	pthread_cond_broadcast(&p->cond);
	uv_async_send(&p->async);
	pthread_mutex_unlock(&p->lock);
}

bool pool_stopping(const pool *p)
{
	return __atomic_load_n(&p->stopping, __ATOMIC_SEQ_CST);
}

size_t pool_threads(const pool *p)
{
	return p->nthreads;
}

size_t pool_queued(pool *p)
{
	pthread_mutex_lock(&p->lock);
	size_t n = p->queued;
	pthread_mutex_unlock(&p->lock);
	return n;
}

size_t pool_running(pool *p)
{
	pthread_mutex_lock(&p->lock);
	size_t n = p->running;
	pthread_mutex_unlock(&p->lock);
	return n;
}
