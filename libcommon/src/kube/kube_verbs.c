/* kube: the verbs, get, list, create, update, delete, patch and apply (eddy/kube.h). */
#include "kube_internal.h"
#include "eddy/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int obj_target(kube_client *k, const cJSON *obj, const kube_opts *o, kube_resource *r,
	const char **ns, const char **name, err *e)
{
	const char *av = kube_obj_str(obj, "apiVersion", NULL), *kind = kube_obj_str(obj, "kind", NULL);
	if (!av || !kind)
		return err_fail(e, "BadRequest", "object has no apiVersion or kind");
	if (kube_resolve(k, av, kind, r, e) < 0)
		return -1;
	*name = kube_obj_name(obj);
	*ns = kube_obj_namespace(obj);
	if (!*ns || !**ns)
		*ns = o && o->namespace_ && *o->namespace_ ? o->namespace_ : NULL;
	if (r->namespaced && !*ns)
		*ns = k->cfg.namespace_;
	return 0;
}

/* ------------------------------------------------------------------ verbs */

cJSON *kube_get(kube_client *k, const char *api_version, const char *kind, const char *ns,
	const char *name, const kube_opts *o, err *e)
{
	kube_resource r;
	if (kube_resolve(k, api_version, kind, &r, e) < 0)
		return NULL;
	char *url = kube_res_url(k, &r, ns, name, o ? o->subresource : NULL);
	cJSON *obj = kube_call(k, "GET", url, NULL, NULL, e);
	free(url);
	if (obj && !cJSON_GetObjectItemCaseSensitive(obj, "kind")) {
		cJSON_AddStringToObject(obj, "apiVersion", api_version);
		cJSON_AddStringToObject(obj, "kind", kind);
	}
	kube_resource_release(&r);
	return obj;
}

void kube_set_type(cJSON *obj, const char *av, const char *kind)
{
	if (!cJSON_GetObjectItemCaseSensitive(obj, "apiVersion"))
		cJSON_AddStringToObject(obj, "apiVersion", av);
	if (!cJSON_GetObjectItemCaseSensitive(obj, "kind"))
		cJSON_AddStringToObject(obj, "kind", kind);
}

cJSON *kube_list(kube_client *k, const char *api_version, const char *kind, const kube_opts *o,
	err *e)
{
	kube_resource r;
	if (kube_resolve(k, api_version, kind, &r, e) < 0)
		return NULL;
	char *base = kube_res_url(k, &r, o ? o->namespace_ : NULL, NULL, NULL);
	cJSON *out = NULL, *all = cJSON_CreateArray();
	char *cont = NULL;
	int limit = o && o->limit > 0 ? o->limit : 500;
	for (int pages = 0; pages < 100000; pages++) {
		buf u;
		buf_init(&u, 1 << 20);
		buf_adds(&u, base);
		buf_addf(&u, "?limit=%d", limit);
		if (o) {
			kube_q_add(&u, "labelSelector", o->label_selector);
			kube_q_add(&u, "fieldSelector", o->field_selector);
			if (!cont)
				kube_q_add(&u, "resourceVersion", o->resource_version);
		}
		kube_q_add(&u, "continue", cont);
		char *url = buf_detach(&u, NULL);
		cJSON *page = kube_call(k, "GET", url, NULL, NULL, e);
		free(url);
		free(cont);
		cont = NULL;
		if (!page) {
			cJSON_Delete(out);
			out = NULL;
			break;
		}
		cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(page, "items");
		cJSON *it;
		while (items && (it = cJSON_DetachItemFromArray(items, 0)) != NULL) {
			kube_set_type(it, api_version, kind);
			cJSON_AddItemToArray(all, it);
		}
		cJSON_Delete(items);
		const char *c = kube_obj_str(page, "metadata", "continue");
		if (c && *c)
			cont = xstrdup(c);
		if (!out) {
			out = page;
		} else {
			cJSON_Delete(page);
		}
		if (!cont)
			break;
	}
	if (out) {
		cJSON_DeleteItemFromObjectCaseSensitive(out, "items");
		cJSON_AddItemToObject(out, "items", all);
		cJSON *md = cJSON_GetObjectItemCaseSensitive(out, "metadata");
		if (md)
			cJSON_DeleteItemFromObjectCaseSensitive(md, "continue");
	} else {
		cJSON_Delete(all);
	}
	free(cont);
	free(base);
	kube_resource_release(&r);
	return out;
}

cJSON *kube_create(kube_client *k, const cJSON *obj, const kube_opts *o, err *e)
{
	kube_resource r;
	const char *ns, *name;
	if (obj_target(k, obj, o, &r, &ns, &name, e) < 0)
		return NULL;
	char *base = kube_res_url(k, &r, ns, NULL, NULL);
	buf u;
	buf_init(&u, 1 << 20);
	buf_adds(&u, base);
	kube_write_query(&u, o, false);
	char *url = buf_detach(&u, NULL);
	cJSON *out = kube_call(k, "POST", url, "application/json", obj, e);
	free(url);
	free(base);
	kube_resource_release(&r);
	return out;
}

cJSON *kube_update(kube_client *k, const cJSON *obj, const kube_opts *o, err *e)
{
	kube_resource r;
	const char *ns, *name;
	if (obj_target(k, obj, o, &r, &ns, &name, e) < 0)
		return NULL;
	if (!name) {
		kube_resource_release(&r);
		err_fail(e, "BadRequest", "object has no metadata.name");
		return NULL;
	}
	char *base = kube_res_url(k, &r, ns, name, o ? o->subresource : NULL);
	buf u;
	buf_init(&u, 1 << 20);
	buf_adds(&u, base);
	kube_write_query(&u, o, false);
	char *url = buf_detach(&u, NULL);
	cJSON *out = kube_call(k, "PUT", url, "application/json", obj, e);
	free(url);
	free(base);
	kube_resource_release(&r);
	return out;
}

int kube_delete(kube_client *k, const char *api_version, const char *kind, const char *ns,
	const char *name, const kube_opts *o, err *e)
{
	kube_resource r;
	if (kube_resolve(k, api_version, kind, &r, e) < 0)
		return -1;
	char *base = kube_res_url(k, &r, ns, name, NULL);
	buf u;
	buf_init(&u, 1 << 20);
	buf_adds(&u, base);
	if (o && o->dry_run)
		kube_q_add(&u, "dryRun", "All");
	char *url = buf_detach(&u, NULL);
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "kind", "DeleteOptions");
	cJSON_AddStringToObject(body, "apiVersion", "v1");
	cJSON_AddStringToObject(body, "propagationPolicy",
		o && o->propagation ? o->propagation : "Background");
	if (o && o->resource_version) {
		cJSON *pre = cJSON_AddObjectToObject(body, "preconditions");
		cJSON_AddStringToObject(pre, "resourceVersion", o->resource_version);
	}
	if (o && o->dry_run) {
		cJSON *dr = cJSON_AddArrayToObject(body, "dryRun");
		cJSON_AddItemToArray(dr, cJSON_CreateString("All"));
	}
	cJSON *out = kube_call(k, "DELETE", url, "application/json", body, e);
	cJSON_Delete(body);
	free(url);
	free(base);
	kube_resource_release(&r);
	if (!out)
		return -1;
	cJSON_Delete(out);
	return 0;
}

cJSON *kube_patch(kube_client *k, const char *api_version, const char *kind, const char *ns,
	const char *name, kube_patch_type type, const cJSON *patch, const kube_opts *o, err *e)
{
	static const char *const ctypes[] = {"application/merge-patch+json",
		"application/json-patch+json", "application/strategic-merge-patch+json",
		"application/apply-patch+yaml"};
	if (type == KUBE_PATCH_APPLY && (!o || !o->field_manager || !*o->field_manager)) {
		err_fail(e, "BadRequest", "server-side apply needs a field manager");
		return NULL;
	}
	kube_resource r;
	if (kube_resolve(k, api_version, kind, &r, e) < 0)
		return NULL;
	if (r.namespaced && (!ns || !*ns))
		ns = o && o->namespace_ && *o->namespace_ ? o->namespace_ : k->cfg.namespace_;
	char *base = kube_res_url(k, &r, ns, name, o ? o->subresource : NULL);
	buf u;
	buf_init(&u, 1 << 20);
	buf_adds(&u, base);
	kube_write_query(&u, o, type == KUBE_PATCH_APPLY);
	char *url = buf_detach(&u, NULL);
	cJSON *out = kube_call(k, "PATCH", url, ctypes[type], patch, e);
	free(url);
	free(base);
	kube_resource_release(&r);
	return out;
}

cJSON *kube_apply(kube_client *k, const cJSON *obj, const kube_opts *o, err *e)
{
	const char *av = kube_obj_str(obj, "apiVersion", NULL), *kind = kube_obj_str(obj, "kind", NULL);
	const char *name = kube_obj_name(obj), *ns = kube_obj_namespace(obj);
	if (!av || !kind || !name) {
		err_fail(e, "BadRequest", "apply needs apiVersion, kind and metadata.name");
		return NULL;
	}
	return kube_patch(k, av, kind, ns, name, KUBE_PATCH_APPLY, obj, o, e);
}

cJSON *kube_merge_patch_diff(const cJSON *from, const cJSON *to)
{
	if (!cJSON_IsObject(from) || !cJSON_IsObject(to)) {
		if (from && to && cJSON_Compare(from, to, true))
			return NULL;
		return to ? cJSON_Duplicate(to, 1) : cJSON_CreateNull();
	}
	cJSON *p = cJSON_CreateObject();
	const cJSON *it;
	cJSON_ArrayForEach(it, from) {
		if (!cJSON_GetObjectItemCaseSensitive(to, it->string))
			cJSON_AddNullToObject(p, it->string);
	}
	cJSON_ArrayForEach(it, to) {
		const cJSON *old = cJSON_GetObjectItemCaseSensitive(from, it->string);
		if (!old) {
			cJSON_AddItemToObject(p, it->string, cJSON_Duplicate(it, 1));
			continue;
		}
		if (cJSON_IsObject(old) && cJSON_IsObject(it)) {
			cJSON *sub = kube_merge_patch_diff(old, it);
			if (sub)
				cJSON_AddItemToObject(p, it->string, sub);
		} else if (!cJSON_Compare(old, it, true)) {
			cJSON_AddItemToObject(p, it->string, cJSON_Duplicate(it, 1));
		}
	}
	if (!p->child) {
		cJSON_Delete(p);
		return NULL;
	}
	return p;
}
