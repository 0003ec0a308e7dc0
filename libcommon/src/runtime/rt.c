/* rt: manager, informers and controllers (eddy/rt.h). See the header for the threading model. */
#include "eddy/rt.h"
#include "eddy/buf.h"
#include "eddy/clock.h"
#include "eddy/log.h"
#include "eddy/mem.h"
#include "rt_map.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

enum { MAX_INDEXES = 8, DEFAULT_WAIT_MS = 30000 };

/* ------------------------------------------------------------------ keys */

char *rt_key_of(const cJSON *obj)
{
	const char *ns = kube_obj_namespace(obj), *name = kube_obj_name(obj);
	if (ns && *ns)
		return xasprintf("%s/%s", ns, name ? name : "");
	return xstrdup(name ? name : "");
}

void rt_key_split(const char *key, char **ns, char **name)
{
	const char *sl = strchr(key, '/');
	if (sl) {
		*ns = xstrndup(key, (size_t)(sl - key));
		*name = xstrdup(sl + 1);
	} else {
		*ns = NULL;
		*name = xstrdup(key);
	}
}

static char *make_key(const char *ns, const char *name)
{
	return ns && *ns ? xasprintf("%s/%s", ns, name) : xstrdup(name);
}

/* ------------------------------------------------------------------ logging */

static void logj(const char *level, const char *logger_name, const char *av, const char *kind,
	const char *ns, const char *name, const char *rid, const err *e, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));

/* One line through eddy/log.h (so --log-level and --log-encoding apply). Reconcile lines carry
 * controller-runtime's fields (controller, controllerGroup, controllerKind, <Kind>, namespace,
 * name, reconcileID); other lines name the kind, namespace and name they are about. */
static void logj(const char *level, const char *logger_name, const char *av, const char *kind,
	const char *ns, const char *name, const char *rid, const err *e, const char *fmt, ...)
{
	log_level lv = !strcmp(level, "error") ? LOG_ERROR : !strcmp(level, "debug") ? LOG_DEBUG
		: LOG_INFO;
	if (!log_enabled(lv))
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	logger base, l;
	/* reconcile lines carry no logger name, as controller-runtime's */
	log_init(&base, rid ? NULL : logger_name);
	if (kind && rid) {
		char *group = NULL;
		const char *sl = av ? strchr(av, '/') : NULL;
		group = sl ? xstrndup(av, (size_t)(sl - av)) : xstrdup("");
		log_for_object(&l, &base, group, kind, ns, name, rid);
		free(group);
	} else {
		log_kv kv[3];
		size_t n = 0;
		if (kind)
			kv[n++] = LOG_S("kind", kind);
		if (ns)
			kv[n++] = LOG_S("namespace", ns);
		if (name)
			kv[n++] = LOG_S("name", name);
		log_with(&l, &base, kv, n);
	}
	log_emit(&l, lv, err_is_set(e) ? e->msg : NULL, msg, LOG_END);
	log_release(&l);
	log_release(&base);
}

/* ------------------------------------------------------------------ types */

struct index {
	char *name;
	rt_index_fn fn;
	void *ud;
	rt_map map; /* value -> strv* of keys */
};

struct rt_informer {
	rt_manager *m;
	char *av, *kind, *ns, *lsel, *fsel;
	int64_t resync_ms;
	int watch_timeout_s;
	pthread_mutex_t mu;
	rt_map cache; /* key -> cJSON* */
	struct index idx[MAX_INDEXES];
	size_t nidx;
	rt_handler *h;
	size_t nh;
	pthread_t th;
	bool started;
	atomic_bool synced;
	atomic_int lists;
	int64_t next_resync;
	char *rv;
};

struct rt_controller {
	rt_manager *m;
	rt_controller_opts o;
	char *av, *kind, *group, *finalizer, *sfm;
	rt_informer *inf;
	rt_queue *q;
	pthread_t *workers;
	int nworkers;
};

struct rt_manager {
	kube_client *k;
	rt_manager_opts o;
	char *name, *wns, *wsel;
	uv_loop_t *loop_ptr;     /* the loop we were started on, NULL before/after */
	uv_async_t async;
	void (*done)(rt_manager *m, int status, void *arg);
	void *done_arg;
	pthread_t joiner;
	bool joiner_running;
	atomic_bool joined;
	atomic_bool stopping;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	rt_informer **infs;
	size_t ninf;
	rt_controller **ctrls;
	size_t nctrl;
	atomic_bool started;
	/* leader election */
	pthread_t leader_th;
	bool leader_running;
	kube_lease lease;
	atomic_bool lost;
	err lost_err;
};

static void start_all(rt_manager *m);
static void on_async(uv_async_t *a);

/* Sleeps up to ms; false when the manager is stopping. */
static bool msleep(rt_manager *m, int64_t ms)
{
	pthread_mutex_lock(&m->mu);
	if (!atomic_load(&m->stopping)) {
		int64_t due = clock_mono_ms() + ms;
		struct timespec ts = {(time_t)(due / 1000), (long)(due % 1000) * 1000000};
		while (!atomic_load(&m->stopping) && clock_mono_ms() < due)
			if (pthread_cond_timedwait(&m->cv, &m->mu, &ts) != 0)
				break;
	}
	bool ok = !atomic_load(&m->stopping);
	pthread_mutex_unlock(&m->mu);
	return ok;
}

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
				logj("error", "informer", i->av, i->kind, i->ns, NULL, NULL, &e,
					"failed to list %s", i->kind);
				if (!msleep(m, backoff))
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
			if (!progressed && clock_mono_ms() - t0 < 1000 && !msleep(m, 1000))
				break;
			continue;
		}
		if (atomic_load(&m->stopping))
			break;
		if (kube_errkind_of(&e) == KUBE_EGONE) {
			logj("info", "informer", i->av, i->kind, i->ns, NULL, NULL, &e,
				"watch of %s expired, relisting", i->kind);
			need_list = true;
			continue;
		}
		logj("error", "informer", i->av, i->kind, i->ns, NULL, NULL, &e,
			"watch of %s failed, retrying in %lldms", i->kind, (long long)backoff);
		if (!msleep(m, backoff))
			break;
		backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
	}
	return NULL;
}

static void informer_start(rt_informer *i)
{
	if (i->started)
		return;
	i->started = true;
	pthread_create(&i->th, NULL, informer_main, i);
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
	if (running)
		informer_start(i);
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
	char *key = make_key(ns, name);
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

static void informer_free(rt_informer *i)
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

/* ------------------------------------------------------------------ controllers */

static void enqueue_obj(rt_controller *c, const cJSON *obj)
{
	char *key = rt_key_of(obj);
	rt_queue_add(c->q, key);
	free(key);
}

static void h_add(const cJSON *obj, void *ud)
{
	enqueue_obj(ud, obj);
}

static bool str_differs(const char *a, const char *b)
{
	if (!a || !b)
		return a != b;
	return strcmp(a, b) != 0;
}

static void h_update(const cJSON *old, const cJSON *obj, void *ud)
{
	rt_controller *c = ud;
	if (old == obj || c->o.all_updates || kube_obj_generation(old) != kube_obj_generation(obj) ||
	    str_differs(kube_obj_annotation(old, RT_ANN_REQUESTED_AT),
		    kube_obj_annotation(obj, RT_ANN_REQUESTED_AT)) ||
	    rt_is_deleting(old) != rt_is_deleting(obj))
		enqueue_obj(c, obj);
}

static void uuid4(char out[37])
{
	unsigned char r[16];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		for (size_t i = 0; i < sizeof r; i++)
			r[i] = (unsigned char)rand();
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
		r[14], r[15]);
}

static rt_result drive(rt_controller *c, rt_ctx *ctx, cJSON *obj)
{
	rt_result res = {0};
	kube_client *k = c->m->k;
	cJSON *orig = cJSON_Duplicate(obj, 1);
	bool patch = c->o.patch_status;
	if (rt_is_deleting(obj)) {
		patch = false;
		if (c->finalizer && rt_has_finalizer(obj, c->finalizer)) {
			if (c->o.finalize)
				res = c->o.finalize(ctx, obj);
			if (!err_is_set(&res.e) && rt_finalizer_remove(k, obj, c->finalizer, &res.e) < 0 &&
			    kube_errkind_of(&res.e) == KUBE_ENOTFOUND)
				err_clear(&res.e);
		}
		goto out;
	}
	if (c->finalizer && !rt_has_finalizer(obj, c->finalizer)) {
		if (rt_finalizer_add(k, obj, c->finalizer, &res.e) < 0) {
			if (kube_errkind_of(&res.e) == KUBE_ENOTFOUND)
				err_clear(&res.e);
			patch = false;
			goto out;
		}
		cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
		cJSON_ReplaceItemInObjectCaseSensitive(orig, "metadata", cJSON_Duplicate(md, 1));
	}
	if (c->o.suspend && rt_is_suspended(obj)) {
		logj("info", c->kind, c->av, c->kind, ctx->ns, ctx->name, ctx->reconcile_id, NULL,
			"reconciliation is suspended for this object");
		rt_status_record_reconcile_request(obj);
		goto out;
	}
	res = c->o.reconcile(ctx, obj);
	if (c->o.kstatus)
		rt_status_finalize(obj, &res);
	rt_status_record_reconcile_request(obj);
out:
	if (patch) {
		err pe = {0};
		if (rt_status_patch(k, orig, obj, c->sfm, &pe) < 0 &&
		    kube_errkind_of(&pe) != KUBE_ENOTFOUND) {
			logj("error", c->kind, c->av, c->kind, ctx->ns, ctx->name, ctx->reconcile_id, &pe,
				"failed to patch status");
			if (!err_is_set(&res.e))
				res.e = pe;
		}
	}
	cJSON_Delete(orig);
	return res;
}

static void *worker_main(void *arg)
{
	rt_controller *c = arg;
	rt_manager *m = c->m;
	/* wait for every informer's first list so that indexes are complete */
	for (;;) {
		bool all = true;
		pthread_mutex_lock(&m->mu);
		for (size_t n = 0; n < m->ninf; n++)
			if (!rt_informer_synced(m->infs[n]))
				all = false;
		pthread_mutex_unlock(&m->mu);
		if (all || !msleep(m, 20))
			break;
	}
	char *key;
	while ((key = rt_queue_get(c->q)) != NULL) {
		char *ns, *name;
		rt_key_split(key, &ns, &name);
		cJSON *obj = rt_informer_get(c->inf, ns, name);
		if (!obj) {
			rt_queue_forget(c->q, key);
			rt_queue_done(c->q, key);
			free(ns);
			free(name);
			free(key);
			continue;
		}
		rt_ctx ctx = {.m = m, .c = c, .kube = m->k, .ns = ns, .name = name,
			.start_ms = clock_mono_ms(), .ud = c->o.ud};
		uuid4(ctx.reconcile_id);
		log_for_object(&ctx.log, NULL, c->group, c->kind, ns, name, ctx.reconcile_id);
		rt_result res = drive(c, &ctx, obj);
		cJSON_Delete(obj);
		double secs = (double)(clock_mono_ms() - ctx.start_ms) / 1000.0;
		if (m->o.on_reconciled)
			m->o.on_reconciled(c->kind, ns, name, secs, &res.e, m->o.ud);
		switch (res.e.cls) {
		case ERR_NONE:
			rt_queue_forget(c->q, key);
			if (res.requeue_after_ms > 0)
				rt_queue_add_after(c->q, key,
					rt_jitter_ms(res.requeue_after_ms, m->o.interval_jitter_pct));
			break;
		case ERR_STALLING:
			rt_queue_forget(c->q, key);
			logj("error", c->kind, c->av, c->kind, ns, name, ctx.reconcile_id, &res.e,
				"reconciliation stalled");
			break;
		case ERR_WAITING:
			rt_queue_forget(c->q, key);
			rt_queue_add_after(c->q, key,
				res.requeue_after_ms > 0 ? res.requeue_after_ms : DEFAULT_WAIT_MS);
			break;
		case ERR_GENERIC: {
			int64_t d = rt_queue_add_rate_limited(c->q, key);
			logj("error", c->kind, c->av, c->kind, ns, name, ctx.reconcile_id, &res.e,
				"Reconciler error, retrying in %lldms", (long long)d);
			break;
		}
		}
		rt_queue_done(c->q, key);
		log_release(&ctx.log);
		free(ns);
		free(name);
		free(key);
	}
	return NULL;
}

rt_controller *rt_controller_new(rt_manager *m, const rt_controller_opts *o)
{
	rt_controller *c = xcalloc(1, sizeof *c);
	c->m = m;
	c->o = *o;
	c->av = xstrdup(o->api_version);
	c->kind = xstrdup(o->kind);
	const char *gsl = strchr(o->api_version, '/');
	c->group = gsl ? xstrndup(o->api_version, (size_t)(gsl - o->api_version)) : xstrdup("");
	c->finalizer = o->finalizer ? xstrdup(o->finalizer) : NULL;
	c->o.api_version = c->av;
	c->o.kind = c->kind;
	c->o.finalizer = c->finalizer;
	c->sfm = o->status_field_manager ? xstrdup(o->status_field_manager) : NULL;
	c->o.status_field_manager = c->sfm;
	rt_queue_opts qo = o->queue;
	if (qo.base_delay_ms <= 0)
		qo.base_delay_ms = m->o.queue.base_delay_ms;
	if (qo.max_delay_ms <= 0)
		qo.max_delay_ms = m->o.queue.max_delay_ms;
	if (qo.qps <= 0)
		qo.qps = m->o.queue.qps;
	if (qo.burst <= 0)
		qo.burst = m->o.queue.burst;
	c->q = rt_queue_new(&qo);
	rt_informer_opts io = o->informer;
	if (!io.namespace_)
		io.namespace_ = m->o.watch_namespace;
	if (!io.label_selector)
		io.label_selector = m->o.watch_label_selector;
	c->inf = rt_informer_get_or_new(m, o->api_version, o->kind, &io);
	rt_handler h = {.on_add = h_add, .on_update = h_update, .ud = c};
	rt_informer_add_handler(c->inf, &h);
	c->nworkers = o->concurrent > 0 ? o->concurrent : m->o.concurrent;
	pthread_mutex_lock(&m->mu);
	m->ctrls = xrealloc(m->ctrls, (m->nctrl + 1) * sizeof *m->ctrls);
	m->ctrls[m->nctrl++] = c;
	pthread_mutex_unlock(&m->mu);
	return c;
}

rt_informer *rt_controller_informer(rt_controller *c)
{
	return c->inf;
}

void rt_controller_enqueue(rt_controller *c, const char *ns, const char *name)
{
	char *key = make_key(ns, name);
	rt_queue_add(c->q, key);
	free(key);
}

void rt_controller_enqueue_after(rt_controller *c, const char *ns, const char *name,
	int64_t delay_ms)
{
	char *key = make_key(ns, name);
	rt_queue_add_after(c->q, key, delay_ms);
	free(key);
}

void rt_event(rt_ctx *ctx, const cJSON *obj, const char *type, const char *reason,
	const cJSON *annotations, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	kube_event_opts o = {.type = type, .reason = reason, .message = msg,
		.component = ctx->m->name, .annotations = annotations};
	err e = {0};
	if (kube_event_create(ctx->kube, obj, &o, &e) < 0)
		logj("error", "events", ctx->c ? ctx->c->av : NULL, ctx->c ? ctx->c->kind : NULL,
			ctx->ns, ctx->name,
			ctx->reconcile_id, &e, "failed to record event %s", reason);
}

static void controller_free(rt_controller *c)
{
	rt_queue_free(c->q);
	free(c->workers);
	free(c->av);
	free(c->kind);
	free(c->group);
	free(c->finalizer);
	free(c->sfm);
	free(c);
}

/* ------------------------------------------------------------------ leader election */

static void *leader_main(void *arg)
{
	rt_manager *m = arg;
	int64_t last_ok = 0;
	while (!atomic_load(&m->stopping)) {
		err e = {0};
		int rc = kube_lease_try(m->k, &m->lease, &e);
		int64_t now = clock_mono_ms();
		if (rc == 1) {
			last_ok = now;
			if (!atomic_load(&m->started)) {
				logj("info", "leader", NULL, NULL, m->lease.ns, m->lease.name, NULL, NULL,
					"successfully acquired lease %s/%s", m->lease.ns, m->lease.name);
				start_all(m);
			}
		} else if (atomic_load(&m->started) &&
			   now - last_ok > (int64_t)m->o.renew_deadline_s * 1000) {
			m->lost_err = e;
			err_fail(&m->lost_err, "LeaderElectionLost", "leader election lost: lease %s/%s",
				m->lease.ns, m->lease.name);
			atomic_store(&m->lost, true);
			logj("error", "leader", NULL, NULL, m->lease.ns, m->lease.name, NULL, &m->lost_err,
				"leader election lost");
			rt_manager_stop(m);
			break;
		} else if (rc < 0) {
			logj("error", "leader", NULL, NULL, m->lease.ns, m->lease.name, NULL, &e,
				"error retrieving resource lock");
		}
		if (!msleep(m, (int64_t)m->o.retry_period_s * 1000))
			break;
	}
	return NULL;
}

/* ------------------------------------------------------------------ manager */

rt_manager *rt_manager_new(kube_client *k, const rt_manager_opts *o)
{
	rt_manager *m = xcalloc(1, sizeof *m);
	m->k = k;
	if (o)
		m->o = *o;
	m->name = xstrdup(m->o.name ? m->o.name : "eddy-controller");
	m->o.name = m->name;
	m->wns = m->o.watch_namespace ? xstrdup(m->o.watch_namespace) : NULL;
	m->wsel = m->o.watch_label_selector ? xstrdup(m->o.watch_label_selector) : NULL;
	m->o.watch_namespace = m->wns;
	m->o.watch_label_selector = m->wsel;
	if (m->o.concurrent <= 0)
		m->o.concurrent = 4;
	if (m->o.lease_duration_s <= 0)
		m->o.lease_duration_s = 35;
	if (m->o.renew_deadline_s <= 0)
		m->o.renew_deadline_s = 30;
	if (m->o.retry_period_s <= 0)
		m->o.retry_period_s = 5;
	if (m->o.interval_jitter_pct <= 0)
		m->o.interval_jitter_pct = 5;
	pthread_mutex_init(&m->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cv, &ca);
	pthread_condattr_destroy(&ca);
	return m;
}

kube_client *rt_manager_client(rt_manager *m)
{
	return m->k;
}

bool rt_manager_stopping(rt_manager *m)
{
	return atomic_load(&m->stopping);
}

bool rt_manager_started(rt_manager *m)
{
	return atomic_load(&m->started);
}

static void start_all(rt_manager *m)
{
	pthread_mutex_lock(&m->mu);
	if (atomic_load(&m->started) || atomic_load(&m->stopping)) {
		pthread_mutex_unlock(&m->mu);
		return;
	}
	atomic_store(&m->started, true);
	size_t ninf = m->ninf, nctrl = m->nctrl;
	pthread_mutex_unlock(&m->mu);
	for (size_t n = 0; n < ninf; n++)
		informer_start(m->infs[n]);
	for (size_t n = 0; n < nctrl; n++) {
		rt_controller *c = m->ctrls[n];
		c->workers = xcalloc((size_t)c->nworkers, sizeof *c->workers);
		for (int w = 0; w < c->nworkers; w++)
			pthread_create(&c->workers[w], NULL, worker_main, c);
	}
}

/* The blocking half of the shutdown, on its own thread so that the loop never waits. */
static void *joiner_main(void *arg)
{
	rt_manager *m = arg;
	for (size_t n = 0; n < m->nctrl; n++)
		rt_queue_shutdown(m->ctrls[n]->q);
	for (size_t n = 0; n < m->nctrl; n++) {
		rt_controller *c = m->ctrls[n];
		if (c->workers)
			for (int w = 0; w < c->nworkers; w++)
				pthread_join(c->workers[w], NULL);
	}
	for (size_t n = 0; n < m->ninf; n++)
		if (m->infs[n]->started) {
			pthread_join(m->infs[n]->th, NULL);
			m->infs[n]->started = false;
		}
	if (m->leader_running) {
		pthread_join(m->leader_th, NULL);
		m->leader_running = false;
		err ye = {0};
		if (kube_lease_yield(m->k, &m->lease, &ye) < 0)
			logj("error", "leader", NULL, NULL, m->lease.ns, m->lease.name, NULL, &ye,
				"failed to release the lease");
	}
	logj("info", "runtime", NULL, NULL, NULL, NULL, NULL, NULL, "stopped all controllers");
	atomic_store(&m->joined, true);
	uv_async_send(&m->async);
	return NULL;
}

static void on_async_closed(uv_handle_t *h)
{
	rt_manager *m = h->data;
	pthread_join(m->joiner, NULL);
	m->joiner_running = false;
	int status = atomic_load(&m->lost) ? -1 : 0;
	if (m->done)
		m->done(m, status, m->done_arg);
}

static void on_async(uv_async_t *a)
{
	rt_manager *m = a->data;
	if (!atomic_load(&m->stopping))
		return;
	if (!m->joiner_running && !atomic_load(&m->joined)) {
		m->joiner_running = true;
		pthread_create(&m->joiner, NULL, joiner_main, m);
		return;
	}
	if (atomic_load(&m->joined) && !uv_is_closing((uv_handle_t *)&m->async))
		uv_close((uv_handle_t *)&m->async, on_async_closed);
}

void rt_manager_stop(rt_manager *m)
{
	pthread_mutex_lock(&m->mu);
	atomic_store(&m->stopping, true);
	pthread_cond_broadcast(&m->cv);
	bool live = m->loop_ptr != NULL;
	pthread_mutex_unlock(&m->mu);
	if (live)
		uv_async_send(&m->async);
}

int rt_manager_start(rt_manager *m, uv_loop_t *loop,
	void (*done)(rt_manager *m, int status, void *arg), void *arg, err *e)
{
	if (m->loop_ptr)
		return err_fail(e, "RuntimeError", "the manager was already started");
	m->done = done;
	m->done_arg = arg;
	m->async.data = m;
	if (uv_async_init(loop, &m->async, on_async) != 0)
		return err_fail(e, "RuntimeError", "cannot create the runtime's async handle");
	pthread_mutex_lock(&m->mu);
	m->loop_ptr = loop;
	pthread_mutex_unlock(&m->mu);
	if (m->o.leader_election) {
		char host[200] = "";
		gethostname(host, sizeof host - 1);
		char *id = xasprintf("%s_%d_%08x", host, (int)getpid(), (unsigned)rand());
		char *lname = m->o.leader_election_id ? xstrdup(m->o.leader_election_id)
			: xasprintf("%s-leader-election", m->name);
		const char *ns = m->o.leader_election_namespace ? m->o.leader_election_namespace
			: kube_client_config(m->k)->namespace_;
		kube_lease_init(&m->lease, ns, lname, id, m->o.lease_duration_s);
		free(id);
		free(lname);
		m->leader_running = true;
		pthread_create(&m->leader_th, NULL, leader_main, m);
	} else {
		start_all(m);
	}
	if (atomic_load(&m->stopping))
		uv_async_send(&m->async);
	return 0;
}

struct run_state {
	uv_signal_t sigterm, sigint;
	bool signals;
	int status;
};

static void on_signal(uv_signal_t *s, int signum)
{
	rt_manager *m = s->data;
	logj("info", "runtime", NULL, NULL, NULL, NULL, NULL, NULL,
		"received signal %d, stopping gracefully", signum);
	rt_manager_stop(m);
}

static void run_done(rt_manager *m, int status, void *arg)
{
	struct run_state *rs = arg;
	rs->status = status;
	if (rs->signals) {
		uv_close((uv_handle_t *)&rs->sigterm, NULL);
		uv_close((uv_handle_t *)&rs->sigint, NULL);
	}
	(void)m;
}

int rt_manager_run(rt_manager *m, err *e)
{
	uv_loop_t loop;
	if (uv_loop_init(&loop) != 0)
		return err_fail(e, "RuntimeError", "cannot create a loop");
	struct run_state rs = {.signals = !m->o.no_signals};
	if (rs.signals) {
		uv_signal_init(&loop, &rs.sigterm);
		uv_signal_init(&loop, &rs.sigint);
		rs.sigterm.data = rs.sigint.data = m;
		uv_signal_start(&rs.sigterm, on_signal, SIGTERM);
		uv_signal_start(&rs.sigint, on_signal, SIGINT);
	}
	if (rt_manager_start(m, &loop, run_done, &rs, e) < 0) {
		if (rs.signals) {
			uv_close((uv_handle_t *)&rs.sigterm, NULL);
			uv_close((uv_handle_t *)&rs.sigint, NULL);
		}
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		return -1;
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	pthread_mutex_lock(&m->mu);
	m->loop_ptr = NULL;
	pthread_mutex_unlock(&m->mu);
	if (rs.status < 0) {
		if (e)
			*e = m->lost_err;
		return -1;
	}
	return 0;
}

void rt_manager_free(rt_manager *m)
{
	if (!m)
		return;
	for (size_t n = 0; n < m->nctrl; n++)
		controller_free(m->ctrls[n]);
	free(m->ctrls);
	for (size_t n = 0; n < m->ninf; n++)
		informer_free(m->infs[n]);
	free(m->infs);
	kube_lease_release_mem(&m->lease);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m->name);
	free(m->wns);
	free(m->wsel);
	free(m);
}
