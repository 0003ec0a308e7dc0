/* rt_cond: Flux condition, status, finalizer and suspend helpers (eddy/rt.h). */
#include "eddy/rt.h"
#include "eddy/buf.h"
#include "eddy/clock.h"
#include "eddy/json.h"
#include "eddy/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_str(cJSON *o, const char *k, const char *v)
{
	cJSON *n = cJSON_CreateString(v ? v : "");
	if (cJSON_GetObjectItemCaseSensitive(o, k))
		cJSON_ReplaceItemInObjectCaseSensitive(o, k, n);
	else
		cJSON_AddItemToObject(o, k, n);
}

static void set_num(cJSON *o, const char *k, double v)
{
	cJSON *n = cJSON_CreateNumber(v);
	if (cJSON_GetObjectItemCaseSensitive(o, k))
		cJSON_ReplaceItemInObjectCaseSensitive(o, k, n);
	else
		cJSON_AddItemToObject(o, k, n);
}

cJSON *rt_status(cJSON *obj)
{
	return json_obj_ensure(obj, "status");
}

const cJSON *rt_cond_get(const cJSON *obj, const char *type)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(obj, "status");
	const cJSON *cs = cJSON_GetObjectItemCaseSensitive(st, "conditions"), *c;
	cJSON_ArrayForEach(c, cs) {
		const char *t = json_str(c, "type");
		if (t && !strcmp(t, type))
			return c;
	}
	return NULL;
}

const char *rt_cond_status(const cJSON *obj, const char *type)
{
	return json_str(rt_cond_get(obj, type), "status");
}

bool rt_cond_is_true(const cJSON *obj, const char *type)
{
	const char *s = rt_cond_status(obj, type);
	return s && !strcmp(s, "True");
}

/* Ready first, then by type (fluxcd/pkg runtime/conditions lexicographicLess). */
static int cond_less(const cJSON *a, const cJSON *b)
{
	const char *ta = json_str(a, "type"), *tb = json_str(b, "type");
	ta = ta ? ta : "";
	tb = tb ? tb : "";
	bool ra = !strcmp(ta, RT_COND_READY), rb = !strcmp(tb, RT_COND_READY);
	if (ra != rb)
		return ra;
	return strcmp(ta, tb) < 0;
}

static void sort_conditions(cJSON *cs)
{
	int n = cJSON_GetArraySize(cs);
	if (n < 2)
		return;
	cJSON **v = xmalloc((size_t)n * sizeof *v);
	for (int i = 0; i < n; i++)
		v[i] = cJSON_DetachItemFromArray(cs, 0);
	for (int i = 1; i < n; i++) { /* insertion sort: stable, n is tiny */
		cJSON *x = v[i];
		int j = i - 1;
		while (j >= 0 && cond_less(x, v[j])) {
			v[j + 1] = v[j];
			j--;
		}
		v[j + 1] = x;
	}
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(cs, v[i]);
	free(v);
}

static void cond_setv(cJSON *obj, const char *type, const char *status, const char *reason,
	const char *msg)
{
	cJSON *st = rt_status(obj);
	cJSON *cs = cJSON_GetObjectItemCaseSensitive(st, "conditions");
	if (!cJSON_IsArray(cs)) {
		cJSON_DeleteItemFromObjectCaseSensitive(st, "conditions");
		cs = cJSON_AddArrayToObject(st, "conditions");
	}
	cJSON *c = NULL, *it;
	cJSON_ArrayForEach(it, cs) {
		const char *t = json_str(it, "type");
		if (t && !strcmp(t, type)) {
			c = it;
			break;
		}
	}
	bool changed = true;
	if (c) {
		const char *old = json_str(c, "status");
		changed = !old || strcmp(old, status);
	} else {
		c = cJSON_CreateObject();
		cJSON_AddItemToArray(cs, c);
		set_str(c, "type", type);
	}
	set_str(c, "status", status);
	set_num(c, "observedGeneration", (double)kube_obj_generation(obj));
	if (changed || !json_str(c, "lastTransitionTime")) {
		char now[32];
		clock_rfc3339_now(now, sizeof now, 0);
		set_str(c, "lastTransitionTime", now);
	}
	set_str(c, "reason", reason && *reason ? reason : "Unknown");
	set_str(c, "message", msg ? msg : "");
	/* key order as the API server prints them */
	static const char *const order[] = {"type", "status", "observedGeneration",
		"lastTransitionTime", "reason", "message"};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		cJSON *x = cJSON_DetachItemFromObjectCaseSensitive(c, order[i]);
		if (x)
			cJSON_AddItemToObject(c, order[i], x);
	}
	sort_conditions(cs);
}

void rt_cond_set(cJSON *obj, const char *type, const char *status, const char *reason,
	const char *fmt, ...)
{
	char msg[4096] = "";
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
	}
	cond_setv(obj, type, status, reason, msg);
}

void rt_cond_delete(cJSON *obj, const char *type)
{
	cJSON *st = cJSON_GetObjectItemCaseSensitive(obj, "status");
	cJSON *cs = cJSON_GetObjectItemCaseSensitive(st, "conditions");
	int i = 0;
	cJSON *c;
	cJSON_ArrayForEach(c, cs) {
		const char *t = json_str(c, "type");
		if (t && !strcmp(t, type)) {
			cJSON_DeleteItemFromArray(cs, i);
			return;
		}
		i++;
	}
}

void rt_cond_summarize(cJSON *obj, const char *target, const char *const *conds, size_t n,
	const char *const *negative, size_t nneg)
{
	int best = 99;
	const cJSON *pick = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(conds[i], target))
			continue;
		const cJSON *c = rt_cond_get(obj, conds[i]);
		if (!c)
			continue;
		bool neg = false;
		for (size_t j = 0; j < nneg; j++)
			if (!strcmp(negative[j], conds[i]))
				neg = true;
		const char *s = json_str(c, "status");
		int p;
		if (s && !strcmp(s, "True"))
			p = neg ? 0 : 2;
		else if (s && !strcmp(s, "False"))
			p = neg ? 3 : 1;
		else
			p = 4;
		if (p < best) {
			best = p;
			pick = c;
		}
	}
	if (!pick)
		return;
	const char *status = best <= 1 ? "False" : best <= 3 ? "True" : "Unknown";
	char *reason = xstrdup(json_str(pick, "reason") ? json_str(pick, "reason") : "");
	char *msg = xstrdup(json_str(pick, "message") ? json_str(pick, "message") : "");
	cond_setv(obj, target, status, reason, msg);
	free(reason);
	free(msg);
}

void rt_status_set_observed_generation(cJSON *obj)
{
	set_num(rt_status(obj), "observedGeneration", (double)kube_obj_generation(obj));
}

void rt_status_finalize(cJSON *obj, const rt_result *res)
{
	const err *e = &res->e;
	if (e->cls == ERR_STALLING) {
		rt_cond_delete(obj, RT_COND_RECONCILING);
		cond_setv(obj, RT_COND_STALLED, "True", e->reason, e->msg);
		cond_setv(obj, RT_COND_READY, "False", e->reason, e->msg);
		rt_status_set_observed_generation(obj);
	} else if (e->cls != ERR_NONE) {
		rt_cond_delete(obj, RT_COND_STALLED);
		const cJSON *rc = rt_cond_get(obj, RT_COND_RECONCILING);
		if (rc) {
			char *msg = xstrdup(json_str(rc, "message") ? json_str(rc, "message") : "");
			cond_setv(obj, RT_COND_RECONCILING, "True", "ProgressingWithRetry", msg);
			free(msg);
		}
		cond_setv(obj, RT_COND_READY, "False", e->reason, e->msg);
	} else {
		rt_cond_delete(obj, RT_COND_RECONCILING);
		rt_cond_delete(obj, RT_COND_STALLED);
		if (!rt_cond_is_true(obj, RT_COND_READY))
			cond_setv(obj, RT_COND_READY, "True", "Succeeded", "reconciliation succeeded");
		rt_status_set_observed_generation(obj);
	}
}

const char *rt_reconcile_requested(const cJSON *obj)
{
	const char *req = kube_obj_annotation(obj, RT_ANN_REQUESTED_AT);
	if (!req)
		return NULL;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(obj, "status");
	const char *last = json_str(st, "lastHandledReconcileAt");
	if (last && !strcmp(last, req))
		return NULL;
	return req;
}

void rt_status_record_reconcile_request(cJSON *obj)
{
	const char *req = kube_obj_annotation(obj, RT_ANN_REQUESTED_AT);
	if (req) {
		char *v = xstrdup(req);
		set_str(rt_status(obj), "lastHandledReconcileAt", v);
		free(v);
	}
}

bool rt_is_suspended(const cJSON *obj)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec, "suspend"));
}

bool rt_has_finalizer(const cJSON *obj, const char *finalizer)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(md, "finalizers"), *it;
	cJSON_ArrayForEach(it, f) {
		if (cJSON_IsString(it) && !strcmp(it->valuestring, finalizer))
			return true;
	}
	return false;
}

bool rt_is_deleting(const cJSON *obj)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(md, "deletionTimestamp");
	return cJSON_IsString(d) && *d->valuestring;
}

static int patch_finalizers(kube_client *k, cJSON *obj, const char *finalizer, bool add, err *e)
{
	cJSON *md = json_obj_ensure(obj, "metadata");
	cJSON *list = cJSON_CreateArray();
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(md, "finalizers"), *it;
	bool have = false;
	cJSON_ArrayForEach(it, f) {
		if (!cJSON_IsString(it))
			continue;
		if (!strcmp(it->valuestring, finalizer)) {
			have = true;
			if (!add)
				continue;
		}
		cJSON_AddItemToArray(list, cJSON_CreateString(it->valuestring));
	}
	if (add == have) {
		cJSON_Delete(list);
		return 0;
	}
	if (add)
		cJSON_AddItemToArray(list, cJSON_CreateString(finalizer));
	/* JSON patch guarded by a test of the resourceVersion (optimistic concurrency) */
	cJSON *patch = cJSON_CreateArray();
	if (kube_obj_rv(obj)) {
		cJSON *t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "op", "test");
		cJSON_AddStringToObject(t, "path", "/metadata/resourceVersion");
		cJSON_AddStringToObject(t, "value", kube_obj_rv(obj));
		cJSON_AddItemToArray(patch, t);
	}
	cJSON *op = cJSON_CreateObject();
	cJSON_AddStringToObject(op, "op", "add");
	cJSON_AddStringToObject(op, "path", "/metadata/finalizers");
	cJSON_AddItemToObject(op, "value", list);
	cJSON_AddItemToArray(patch, op);
	const char *av = json_str(obj, "apiVersion"), *kind = json_str(obj, "kind");
	cJSON *out = kube_patch(k, av, kind, kube_obj_namespace(obj), kube_obj_name(obj),
		KUBE_PATCH_JSON, patch, NULL, e);
	cJSON_Delete(patch);
	if (!out)
		return -1;
	cJSON *nmd = cJSON_DetachItemFromObjectCaseSensitive(out, "metadata");
	if (nmd)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, "metadata", nmd);
	cJSON_Delete(out);
	return 0;
}

int rt_finalizer_add(kube_client *k, cJSON *obj, const char *finalizer, err *e)
{
	return patch_finalizers(k, obj, finalizer, true, e);
}

int rt_finalizer_remove(kube_client *k, cJSON *obj, const char *finalizer, err *e)
{
	return patch_finalizers(k, obj, finalizer, false, e);
}

int rt_status_patch(kube_client *k, const cJSON *before, const cJSON *after,
	const char *field_manager, err *e)
{
	const cJSON *sb = cJSON_GetObjectItemCaseSensitive(before, "status");
	const cJSON *sa = cJSON_GetObjectItemCaseSensitive(after, "status");
	if (!sa)
		return 0;
	cJSON *empty = cJSON_CreateObject();
	cJSON *diff = kube_merge_patch_diff(sb ? sb : empty, sa);
	cJSON_Delete(empty);
	if (!diff)
		return 0;
	const char *av = json_str(after, "apiVersion"), *kind = json_str(after, "kind");
	kube_resource r;
	if (kube_resolve(k, av, kind, &r, e) < 0) {
		cJSON_Delete(diff);
		return -1;
	}
	kube_opts o = {.subresource = r.has_status ? "status" : NULL,
		.field_manager = field_manager, .force = true};
	kube_resource_release(&r);
	cJSON *patch = cJSON_CreateObject();
	kube_patch_type type = KUBE_PATCH_MERGE;
	if (field_manager) {
		/* server-side apply of the whole status: fields we stop sending are dropped */
		cJSON_Delete(diff);
		type = KUBE_PATCH_APPLY;
		cJSON_AddStringToObject(patch, "apiVersion", av);
		cJSON_AddStringToObject(patch, "kind", kind);
		cJSON *md = cJSON_AddObjectToObject(patch, "metadata");
		cJSON_AddStringToObject(md, "name", kube_obj_name(after));
		if (kube_obj_namespace(after))
			cJSON_AddStringToObject(md, "namespace", kube_obj_namespace(after));
		cJSON_AddItemToObject(patch, "status", cJSON_Duplicate(sa, 1));
	} else {
		cJSON_AddItemToObject(patch, "status", diff);
	}
	cJSON *out = kube_patch(k, av, kind, kube_obj_namespace(after), kube_obj_name(after),
		type, patch, &o, e);
	cJSON_Delete(patch);
	if (!out)
		return -1;
	cJSON_Delete(out);
	return 1;
}
