/* The index cache (see helmcache.h). */
#include "helmcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/clock.h"
#include "eddy/mem.h"

struct helmcache_ref {
	atomic_int refs;
	helmindex *ix;
};

typedef struct entry {
	char *key;
	helmcache_ref *ref;
	int64_t expires_ms;
} entry;

struct helmcache {
	pthread_mutex_t mu;
	entry *e;
	size_t n, max;
	int64_t ttl_ms, purge_ms, last_purge_ms;
};

helmcache_ref *helmcache_own(helmindex *ix)
{
	helmcache_ref *r = xcalloc(1, sizeof *r);
	atomic_init(&r->refs, 1);
	r->ix = ix;
	return r;
}

const helmindex *helmcache_index(const helmcache_ref *r)
{
	return r->ix;
}

void helmcache_unref(helmcache_ref *r)
{
	if (r && atomic_fetch_sub(&r->refs, 1) == 1) {
		helmindex_free(r->ix);
		free(r);
	}
}

helmcache *helmcache_new(size_t max_items, int64_t ttl_ms, int64_t purge_interval_ms)
{
	if (!max_items)
		return NULL;
	helmcache *c = xcalloc(1, sizeof *c);
	pthread_mutex_init(&c->mu, NULL);
	c->max = max_items;
	c->e = xcalloc(max_items, sizeof *c->e);
	c->ttl_ms = ttl_ms;
	c->purge_ms = purge_interval_ms;
	c->last_purge_ms = clock_mono_ms();
	return c;
}

static void drop(helmcache *c, size_t i)
{
	free(c->e[i].key);
	helmcache_unref(c->e[i].ref);
	c->e[i] = c->e[--c->n];
}

static void purge(helmcache *c, int64_t now, bool force)
{
	if (!force && now - c->last_purge_ms < c->purge_ms)
		return;
	c->last_purge_ms = now;
	for (size_t i = 0; i < c->n;)
		if (c->e[i].expires_ms <= now)
			drop(c, i);
		else
			i++;
}

void helmcache_free(helmcache *c)
{
	if (!c)
		return;
	while (c->n)
		drop(c, 0);
	free(c->e);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

const helmindex *helmcache_get(helmcache *c, const char *key, helmcache_ref **ref)
{
	*ref = NULL;
	if (!c)
		return NULL;
	pthread_mutex_lock(&c->mu);
	int64_t now = clock_mono_ms();
	purge(c, now, false);
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->e[i].key, key) || c->e[i].expires_ms <= now)
			continue;
		c->e[i].expires_ms = now + c->ttl_ms;
		*ref = c->e[i].ref;
		atomic_fetch_add(&(*ref)->refs, 1);
		break;
	}
	pthread_mutex_unlock(&c->mu);
	return *ref ? (*ref)->ix : NULL;
}

helmcache_ref *helmcache_put(helmcache *c, const char *key, helmindex *ix, bool *cached)
{
	helmcache_ref *r = helmcache_own(ix);
	*cached = false;
	if (!c)
		return r;
	pthread_mutex_lock(&c->mu);
	int64_t now = clock_mono_ms();
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].key, key)) {
			drop(c, i);
			break;
		}
	if (c->n >= c->max)
		purge(c, now, true);
	if (c->n < c->max) {
		c->e[c->n].key = xstrdup(key);
		c->e[c->n].ref = r;
		c->e[c->n].expires_ms = now + c->ttl_ms;
		c->n++;
		atomic_fetch_add(&r->refs, 1);
		*cached = true;
	}
	pthread_mutex_unlock(&c->mu);
	return r;
}

size_t helmcache_len(helmcache *c)
{
	if (!c)
		return 0;
	pthread_mutex_lock(&c->mu);
	size_t n = c->n;
	pthread_mutex_unlock(&c->mu);
	return n;
}
