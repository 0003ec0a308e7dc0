/* rt_queue: a de-duplicating, rate-limited, delaying work queue (eddy/rt.h), after client-go's
 * workqueue: a key is never processed by two workers at once, a key added while it is being
 * processed is handed out again once it is done. */
#include "eddy/rt.h"
#include "eddy/clock.h"
#include "eddy/mem.h"
#include "rt_map.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct delayed {
	int64_t due;
	char *key;
};

struct rt_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	rt_queue_opts o;
	rt_map dirty, processing, failures, waiting;
	char **fifo;
	size_t head, len, cap;
	struct delayed *heap;
	size_t nheap, capheap;
	bool shutdown;
	double tokens;
	int64_t bucket_ms;
};

int64_t rt_backoff_ms(int failures, int64_t base_ms, int64_t max_ms)
{
	if (failures < 0)
		failures = 0;
	if (failures > 62)
		return max_ms;
	double d = (double)base_ms;
	for (int i = 0; i < failures && d < (double)max_ms; i++)
		d *= 2;
	return d > (double)max_ms ? max_ms : (int64_t)d;
}

int64_t rt_jitter_ms(int64_t d, int pct)
{
	if (pct <= 0 || d <= 0)
		return d;
	int64_t span = d * pct / 100;
	if (span <= 0)
		return d;
	int64_t r = (int64_t)(((double)rand() / ((double)RAND_MAX + 1.0)) * (double)(2 * span + 1));
	return d - span + r;
}

rt_queue *rt_queue_new(const rt_queue_opts *o)
{
	rt_queue *q = xcalloc(1, sizeof *q);
	if (o)
		q->o = *o;
	if (q->o.base_delay_ms <= 0)
		q->o.base_delay_ms = 5;
	if (q->o.max_delay_ms <= 0)
		q->o.max_delay_ms = 1000 * 1000;
	if (q->o.qps <= 0)
		q->o.qps = 10;
	if (q->o.burst <= 0)
		q->o.burst = 100;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	rt_map_init(&q->dirty);
	rt_map_init(&q->processing);
	rt_map_init(&q->failures);
	rt_map_init(&q->waiting);
	q->tokens = q->o.burst;
	q->bucket_ms = clock_mono_ms();
	return q;
}

void rt_queue_free(rt_queue *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->len; i++)
		free(q->fifo[(q->head + i) % q->cap]);
	free(q->fifo);
	for (size_t i = 0; i < q->nheap; i++)
		free(q->heap[i].key);
	free(q->heap);
	rt_map_release(&q->dirty, NULL);
	rt_map_release(&q->processing, NULL);
	rt_map_release(&q->failures, NULL);
	rt_map_release(&q->waiting, NULL);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

static void fifo_push(rt_queue *q, const char *key)
{
	if (q->len == q->cap) {
		size_t nc = q->cap ? q->cap * 2 : 64;
		char **n = xmalloc(nc * sizeof *n);
		for (size_t i = 0; i < q->len; i++)
			n[i] = q->fifo[(q->head + i) % q->cap];
		free(q->fifo);
		q->fifo = n;
		q->cap = nc;
		q->head = 0;
	}
	q->fifo[(q->head + q->len) % q->cap] = xstrdup(key);
	q->len++;
}

static char *fifo_pop(rt_queue *q)
{
	char *k = q->fifo[q->head];
	q->head = (q->head + 1) % q->cap;
	q->len--;
	return k;
}

static void heap_push(rt_queue *q, int64_t due, const char *key)
{
	if (q->nheap == q->capheap) {
		q->capheap = q->capheap ? q->capheap * 2 : 64;
		q->heap = xrealloc(q->heap, q->capheap * sizeof *q->heap);
	}
	size_t i = q->nheap++;
	q->heap[i].due = due;
	q->heap[i].key = xstrdup(key);
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (q->heap[p].due <= q->heap[i].due)
			break;
		struct delayed t = q->heap[p];
		q->heap[p] = q->heap[i];
		q->heap[i] = t;
		i = p;
	}
}

static struct delayed heap_pop(rt_queue *q)
{
	struct delayed top = q->heap[0];
	q->heap[0] = q->heap[--q->nheap];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < q->nheap && q->heap[l].due < q->heap[m].due)
			m = l;
		if (r < q->nheap && q->heap[r].due < q->heap[m].due)
			m = r;
		if (m == i)
			break;
		struct delayed t = q->heap[m];
		q->heap[m] = q->heap[i];
		q->heap[i] = t;
		i = m;
	}
	return top;
}

static void add_locked(rt_queue *q, const char *key)
{
	if (q->shutdown)
		return;
	int created;
	rt_map_put(&q->dirty, key, &created);
	if (!created)
		return;
	if (rt_map_find(&q->processing, key))
		return;
	fifo_push(q, key);
	pthread_cond_signal(&q->cv);
}

void rt_queue_add(rt_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	add_locked(q, key);
	pthread_mutex_unlock(&q->mu);
}

static void add_after_locked(rt_queue *q, const char *key, int64_t delay_ms)
{
	if (q->shutdown)
		return;
	if (delay_ms <= 0) {
		add_locked(q, key);
		return;
	}
	int64_t due = clock_mono_ms() + delay_ms;
	int created;
	rt_map_ent *w = rt_map_put(&q->waiting, key, &created);
	if (!created && w->num <= due)
		return;
	w->num = due;
	heap_push(q, due, key);
	pthread_cond_broadcast(&q->cv);
}

void rt_queue_add_after(rt_queue *q, const char *key, int64_t delay_ms)
{
	pthread_mutex_lock(&q->mu);
	add_after_locked(q, key, delay_ms);
	pthread_mutex_unlock(&q->mu);
}

int64_t rt_queue_add_rate_limited(rt_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	rt_map_ent *f = rt_map_put(&q->failures, key, NULL);
	int64_t item = rt_backoff_ms((int)f->num, q->o.base_delay_ms, q->o.max_delay_ms);
	f->num++;
	int64_t now = clock_mono_ms();
	q->tokens += (double)(now - q->bucket_ms) * q->o.qps / 1000.0;
	if (q->tokens > q->o.burst)
		q->tokens = q->o.burst;
	q->bucket_ms = now;
	q->tokens -= 1;
	int64_t bucket = q->tokens < 0 ? (int64_t)(-q->tokens * 1000.0 / q->o.qps) : 0;
	int64_t d = item > bucket ? item : bucket;
	add_after_locked(q, key, d);
	pthread_mutex_unlock(&q->mu);
	return d;
}

void rt_queue_forget(rt_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	rt_map_del(&q->failures, key);
	pthread_mutex_unlock(&q->mu);
}

int rt_queue_failures(rt_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	rt_map_ent *f = rt_map_find(&q->failures, key);
	int n = f ? (int)f->num : 0;
	pthread_mutex_unlock(&q->mu);
	return n;
}

char *rt_queue_get(rt_queue *q)
{
	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->shutdown) {
			pthread_mutex_unlock(&q->mu);
			return NULL;
		}
		int64_t now = clock_mono_ms();
		while (q->nheap && q->heap[0].due <= now) {
			struct delayed d = heap_pop(q);
			rt_map_ent *w = rt_map_find(&q->waiting, d.key);
			if (w && w->num == d.due) {
				rt_map_del(&q->waiting, d.key);
				add_locked(q, d.key);
			}
			free(d.key);
		}
		if (q->len) {
			char *k = fifo_pop(q);
			rt_map_del(&q->dirty, k);
			rt_map_put(&q->processing, k, NULL);
			pthread_mutex_unlock(&q->mu);
			return k;
		}
		if (q->nheap) {
			int64_t due = q->heap[0].due;
			struct timespec ts;
			ts.tv_sec = (time_t)(due / 1000);
			ts.tv_nsec = (long)(due % 1000) * 1000000;
			pthread_cond_timedwait(&q->cv, &q->mu, &ts);
		} else {
			pthread_cond_wait(&q->cv, &q->mu);
		}
	}
}

void rt_queue_done(rt_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	rt_map_del(&q->processing, key);
	if (rt_map_find(&q->dirty, key) && !q->shutdown) {
		fifo_push(q, key);
		pthread_cond_signal(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
}

void rt_queue_shutdown(rt_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->shutdown = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

size_t rt_queue_len(rt_queue *q)
{
	pthread_mutex_lock(&q->mu);
	size_t n = q->len;
	pthread_mutex_unlock(&q->mu);
	return n;
}
