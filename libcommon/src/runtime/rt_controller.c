/* rt: controllers, a queue fed by an informer and the workers that reconcile its keys
 * (eddy/rt.h). */
#include "rt_internal.h"
#include "eddy/clock.h"
#include "eddy/log.h"
#include "eddy/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

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
		rt_logj("info", c->kind, c->av, c->kind, ctx->ns, ctx->name, ctx->reconcile_id, NULL,
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
			rt_logj("error", c->kind, c->av, c->kind, ctx->ns, ctx->name, ctx->reconcile_id, &pe,
				"failed to patch status");
			if (!err_is_set(&res.e))
				res.e = pe;
		}
	}
	cJSON_Delete(orig);
	return res;
}

void *rt_worker_main(void *arg)
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
		if (all || !rt_msleep(m, 20))
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
			rt_logj("error", c->kind, c->av, c->kind, ns, name, ctx.reconcile_id, &res.e,
				"reconciliation stalled");
			break;
		case ERR_WAITING:
			rt_queue_forget(c->q, key);
			rt_queue_add_after(c->q, key,
				res.requeue_after_ms > 0 ? res.requeue_after_ms : DEFAULT_WAIT_MS);
			break;
		case ERR_GENERIC: {
			int64_t d = rt_queue_add_rate_limited(c->q, key);
			rt_logj("error", c->kind, c->av, c->kind, ns, name, ctx.reconcile_id, &res.e,
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
	char *key = rt_make_key(ns, name);
	rt_queue_add(c->q, key);
	free(key);
}

void rt_controller_enqueue_after(rt_controller *c, const char *ns, const char *name,
	int64_t delay_ms)
{
	char *key = rt_make_key(ns, name);
	rt_queue_add_after(c->q, key, delay_ms);
	free(key);
}

void rt_controller_free(rt_controller *c)
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
