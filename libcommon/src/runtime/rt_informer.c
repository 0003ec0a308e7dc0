/* rt: informers, a listed and watched cache of one kind with indexes and handlers
 * (eddy/rt.h). */
#include "rt_internal.h"
#include "eddy/mem.h"
#include "eddy/clock.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ informer cache */

static void index_values(struct index *x, const cJSON *obj, strv *out)
{
	x->fn(obj, out, x->ud);
}

static void index_update(rt_informer *i, const char *key, const cJSON *old, const cJSON *nu)
{
	for (size_t n = 0; n < i->nidx; n++) {
		struct index *x = &i->idx[n];
		strv ov = {0}, nv = {0};
		if (old)
			index_values(x, old, &ov);
		if (nu)
			index_values(x, nu, &nv);
		for (size_t j = 0; j < ov.n; j++) {
			rt_map_ent *e = rt_map_find(&x->map, ov.v[j]);
			if (!e)
				continue;
			strv *keys = e->val;
			strv_remove(keys, key);
			if (!keys->n) {
				strv_release(keys);
				free(keys);
				rt_map_del(&x->map, ov.v[j]);
			}
		}
		for (size_t j = 0; j < nv.n; j++) {
			rt_map_ent *e = rt_map_put(&x->map, nv.v[j], NULL);
			if (!e->val)
				e->val = xcalloc(1, sizeof(strv));
			strv *keys = e->val;
			bool have = false;
			for (size_t q = 0; q < keys->n; q++)
				if (!strcmp(keys->v[q], key))
					have = true;
			if (!have)
				strv_add(keys, key);
		}
		strv_release(&ov);
		strv_release(&nv);
	}
}

/* Stores a copy of obj without metadata.managedFields (as controller-runtime's
 * TransformStripManagedFields: no controller reads them, and server-side applied status makes
 * them the largest part of many objects); runs the handlers (informer thread only). */
static void cache_upsert(rt_informer *i, const cJSON *obj, bool only_if_changed)
{
	char *key = rt_key_of(obj);
	cJSON *copy = cJSON_Duplicate(obj, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(copy, "metadata"),
		"managedFields");
	pthread_mutex_lock(&i->mu);
	rt_map_ent *e = rt_map_put(&i->cache, key, NULL);
	cJSON *old = e->val;
	if (old && only_if_changed) {
		const char *a = kube_obj_rv(old), *b = kube_obj_rv(obj);
		if (a && b && !strcmp(a, b)) {
			pthread_mutex_unlock(&i->mu);
			cJSON_Delete(copy);
			free(key);
			return;
		}
	}
	e->val = copy;
	index_update(i, key, old, copy);
	pthread_mutex_unlock(&i->mu);
	for (size_t n = 0; n < i->nh; n++) {
		if (old && i->h[n].on_update)
			i->h[n].on_update(old, copy, i->h[n].ud);
		else if (!old && i->h[n].on_add)
			i->h[n].on_add(copy, i->h[n].ud);
	}
	cJSON_Delete(old);
	free(key);
}

static void cache_remove_key(rt_informer *i, const char *key, const cJSON *last)
{
	pthread_mutex_lock(&i->mu);
	cJSON *old = rt_map_del(&i->cache, key);
	if (old)
		index_update(i, key, old, NULL);
	pthread_mutex_unlock(&i->mu);
	const cJSON *shown = last ? last : old;
	if (shown)
		for (size_t n = 0; n < i->nh; n++)
			if (i->h[n].on_delete)
				i->h[n].on_delete(shown, i->h[n].ud);
	cJSON_Delete(old);
}

static void resync(rt_informer *i)
{
	strv keys = {0};
	pthread_mutex_lock(&i->mu);
	size_t b;
	for (rt_map_ent *e = rt_map_next(&i->cache, NULL, &b); e; e = rt_map_next(&i->cache, e, &b))
		strv_add(&keys, e->key);
	pthread_mutex_unlock(&i->mu);
	for (size_t k = 0; k < keys.n; k++) {
		pthread_mutex_lock(&i->mu);
		rt_map_ent *e = rt_map_find(&i->cache, keys.v[k]);
		const cJSON *o = e ? e->val : NULL; /* only this thread replaces entries */
		pthread_mutex_unlock(&i->mu);
		if (!o)
			continue;
		for (size_t n = 0; n < i->nh; n++)
			if (i->h[n].on_update)
				i->h[n].on_update(o, o, i->h[n].ud);
	}
	strv_release(&keys);
}

static int relist(rt_informer *i, err *e)
{
	kube_opts o = {.namespace_ = i->ns, .label_selector = i->lsel,
		.field_selector = i->fsel};
	cJSON *list = kube_list(i->m->k, i->av, i->kind, &o, e);
	if (!list)
		return -1;
	rt_map seen;
	rt_map_init(&seen);
	const cJSON *it, *items = cJSON_GetObjectItemCaseSensitive(list, "items");
	cJSON_ArrayForEach(it, items) {
		char *key = rt_key_of(it);
		rt_map_put(&seen, key, NULL);
		free(key);
		cache_upsert(i, it, true);
	}
	strv gone = {0};
	pthread_mutex_lock(&i->mu);
	size_t b;
	for (rt_map_ent *x = rt_map_next(&i->cache, NULL, &b); x; x = rt_map_next(&i->cache, x, &b))
		if (!rt_map_find(&seen, x->key))
			strv_add(&gone, x->key);
	pthread_mutex_unlock(&i->mu);
	for (size_t n = 0; n < gone.n; n++)
		cache_remove_key(i, gone.v[n], NULL);
	strv_release(&gone);
	rt_map_release(&seen, NULL);
	free(i->rv);
	const char *rv = kube_obj_rv(list);
	i->rv = xstrdup(rv ? rv : "");
	cJSON_Delete(list);
	atomic_fetch_add(&i->lists, 1);
	atomic_store(&i->synced, true);
	return 0;
}

static int on_watch_event(kube_event_type t, cJSON *obj, void *ud)
{
	rt_informer *i = ud;
	switch (t) {
	case KUBE_ADDED:
	case KUBE_MODIFIED:
		cache_upsert(i, obj, false);
		break;
	case KUBE_DELETED: {
		char *key = rt_key_of(obj);
		cache_remove_key(i, key, obj);
		free(key);
		break;
	}
	case KUBE_BOOKMARK:
		break;
	}
	return 0;
}

static bool watch_stop(void *ud)
{
	rt_informer *i = ud;
	if (atomic_load(&i->m->stopping))
		return true;
	if (i->resync_ms > 0 && clock_mono_ms() >= i->next_resync) {
		i->next_resync = clock_mono_ms() + i->resync_ms;
		resync(i);
	}
	return false;
}

static void *informer_main(void *arg)
{
	rt_informer *i = arg;
	rt_manager *m = i->m;
	bool need_list = true;
	int64_t backoff = 200;
	i->next_resync = clock_mono_ms() + i->resync_ms;
	while (!atomic_load(&m->stopping)) {
		err e = {0};
		if (need_list) {
			if (relist(i, &e) < 0) {
				rt_logj("error", "informer", i->av, i->kind, i->ns, NULL, NULL, &e,
					"failed to list %s", i->kind);
				if (!rt_msleep(m, backoff))
					break;
				backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
				continue;
			}
			need_list = false;
			backoff = 200;
		}
		kube_opts o = {.namespace_ = i->ns, .label_selector = i->lsel,
			.field_selector = i->fsel, .timeout_seconds = i->watch_timeout_s};
		char *before = xstrdup(i->rv ? i->rv : "");
		int64_t t0 = clock_mono_ms();
		int rc = kube_watch(m->k, i->av, i->kind, &o, &i->rv, on_watch_event, watch_stop, i,
			&e);
		bool progressed = strcmp(before, i->rv ? i->rv : "") != 0;
		free(before);
		if (progressed)
			backoff = 200;
		if (rc == 0) {
			/* a stream the server ended at once without news: do not spin */
			if (!progressed && clock_mono_ms() - t0 < 1000 && !rt_msleep(m, 1000))
				break;
			continue;
		}
		if (atomic_load(&m->stopping))
			break;
		if (kube_errkind_of(&e) == KUBE_EGONE) {
			rt_logj("info", "informer", i->av, i->kind, i->ns, NULL, NULL, &e,
				"watch of %s expired, relisting", i->kind);
			need_list = true;
			continue;
		}
		rt_logj("error", "informer", i->av, i->kind, i->ns, NULL, NULL, &e,
			"watch of %s failed, retrying in %lldms", i->kind, (long long)backoff);
		if (!rt_msleep(m, backoff))
			break;
		backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
	}
	return NULL;
}

int rt_informer_start(rt_informer *i, err *e)
{
	if (i->started)
		return 0;
	int rc = pthread_create(&i->th, NULL, informer_main, i);
	if (rc != 0)
		return err_fail(e, "RuntimeError", "cannot start the informer thread for %s: %s",
			i->kind, strerror(rc));
	i->started = true;
	return 0;
}

rt_informer *rt_informer_get_or_new(rt_manager *m, const char *api_version, const char *kind,
	const rt_informer_opts *o)
{
	rt_informer_opts z = {0};
	if (!o)
		o = &z;
#define SAME(a, b) ((!(a) && !(b)) || ((a) && (b) && !strcmp((a), (b))))
	pthread_mutex_lock(&m->mu);
	for (size_t n = 0; n < m->ninf; n++) {
		rt_informer *i = m->infs[n];
		if (!strcmp(i->av, api_version) && !strcmp(i->kind, kind) && SAME(i->ns, o->namespace_)
		    && SAME(i->lsel, o->label_selector) && SAME(i->fsel, o->field_selector)) {
			if (o->resync_ms && (!i->resync_ms || o->resync_ms < i->resync_ms))
				i->resync_ms = o->resync_ms;
			pthread_mutex_unlock(&m->mu);
			return i;
		}
	}
#undef SAME
	rt_informer *i = xcalloc(1, sizeof *i);
	i->m = m;
	i->av = xstrdup(api_version);
	i->kind = xstrdup(kind);
	i->ns = o->namespace_ && *o->namespace_ ? xstrdup(o->namespace_) : NULL;
	i->lsel = o->label_selector ? xstrdup(o->label_selector) : NULL;
	i->fsel = o->field_selector ? xstrdup(o->field_selector) : NULL;
	i->resync_ms = o->resync_ms;
	i->watch_timeout_s = o->watch_timeout_s;
	pthread_mutex_init(&i->mu, NULL);
	rt_map_init(&i->cache);
	m->infs = xrealloc(m->infs, (m->ninf + 1) * sizeof *m->infs);
	m->infs[m->ninf++] = i;
	bool running = atomic_load(&m->started);
	pthread_mutex_unlock(&m->mu);
	err e = {0};
	if (running && rt_informer_start(i, &e) < 0)
		rt_manager_fail(m, &e);
	return i;
}

void rt_informer_add_handler(rt_informer *i, const rt_handler *h)
{
	i->h = xrealloc(i->h, (i->nh + 1) * sizeof *i->h);
	i->h[i->nh++] = *h;
}

void rt_informer_add_index(rt_informer *i, const char *name, rt_index_fn fn, void *ud)
{
	if (i->nidx >= MAX_INDEXES)
		return;
	struct index *x = &i->idx[i->nidx++];
	x->name = xstrdup(name);
	x->fn = fn;
	x->ud = ud;
	rt_map_init(&x->map);
}

cJSON *rt_informer_get(rt_informer *i, const char *ns, const char *name)
{
	char *key = rt_make_key(ns, name);
	pthread_mutex_lock(&i->mu);
	rt_map_ent *e = rt_map_find(&i->cache, key);
	cJSON *o = e && e->val ? cJSON_Duplicate(e->val, 1) : NULL;
	pthread_mutex_unlock(&i->mu);
	free(key);
	return o;
}

cJSON *rt_informer_list(rt_informer *i)
{
	cJSON *a = cJSON_CreateArray();
	pthread_mutex_lock(&i->mu);
	size_t b;
	for (rt_map_ent *e = rt_map_next(&i->cache, NULL, &b); e; e = rt_map_next(&i->cache, e, &b))
		cJSON_AddItemToArray(a, cJSON_Duplicate(e->val, 1));
	pthread_mutex_unlock(&i->mu);
	return a;
}

size_t rt_informer_count(rt_informer *i)
{
	pthread_mutex_lock(&i->mu);
	size_t n = i->cache.n;
	pthread_mutex_unlock(&i->mu);
	return n;
}

void rt_informer_index(rt_informer *i, const char *name, const char *value, strv *keys)
{
	pthread_mutex_lock(&i->mu);
	for (size_t n = 0; n < i->nidx; n++) {
		if (strcmp(i->idx[n].name, name))
			continue;
		rt_map_ent *e = rt_map_find(&i->idx[n].map, value);
		if (e && e->val) {
			strv *s = e->val;
			for (size_t k = 0; k < s->n; k++)
				strv_add(keys, s->v[k]);
		}
	}
	pthread_mutex_unlock(&i->mu);
}

bool rt_informer_synced(rt_informer *i)
{
	return atomic_load(&i->synced);
}

int rt_informer_lists(rt_informer *i)
{
	return atomic_load(&i->lists);
}

static void free_strv_ptr(void *p)
{
	strv_release(p);
	free(p);
}

static void json_free(void *p)
{
	cJSON_Delete(p);
}

void rt_informer_free(rt_informer *i)
{
	rt_map_release(&i->cache, json_free);
	for (size_t n = 0; n < i->nidx; n++) {
		free(i->idx[n].name);
		rt_map_release(&i->idx[n].map, free_strv_ptr);
	}
	pthread_mutex_destroy(&i->mu);
	free(i->h);
	free(i->av);
	free(i->kind);
	free(i->ns);
	free(i->lsel);
	free(i->fsel);
	free(i->rv);
	free(i);
}
