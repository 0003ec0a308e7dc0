/* patchesStrategicMerge, patches (strategic merge or JSON 6902, with target selectors and
 * options) and patchesJson6902, on top of eddy/patch.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/buf.h"
#include "eddy/mem.h"
#include "eddy/json.h"
#include "eddy/patch.h"
#include "kz_int.h"

static bool fuzzy_ns(const char *a, const char *b)
{
	if (!strcmp(a, b))
		return true;
	return (!*a && !strcmp(b, "default")) || (!*b && !strcmp(a, "default"));
}

static bool inside(const char *dir, const char *real)
{
	size_t dl = strlen(dir);
	return !strncmp(real, dir, dl) && (real[dl] == '/' || real[dl] == 0);
}

/* The text of a patch file relative to the kustomization directory. */
static char *read_rel(kz_ctx *c, const char *dir, const char *path, size_t *len, err *e)
{
	char *real = kz_resolve(c, dir, path, e);
	if (!real)
		return NULL;
	if (!inside(dir, real)) {
		err_fail(e, KZ_REASON, "security; file '%s' is not in or below '%s'", real, dir);
		free(real);
		return NULL;
	}
	char *data = kz_read_file(c, real, len, e);
	free(real);
	return data;
}

static char *patch_idstr(const cJSON *p)
{
	kz_res tmp = {.obj = (cJSON *)p};
	return kz_res_idstr(&tmp);
}

/* kustomize merges keyed lists with the patch's items first (in the patch's order), then the
 * original items the patch does not name: reorder patch_strategic's result that way. */
/* The schema of field key below the object schema sch (openapi mode). */
static const cJSON *oa_child(const cJSON *sch, const char *key)
{
	const cJSON *n = json_get(json_get(sch, "properties"), key);
	if (!n && cJSON_IsObject(json_get(sch, "additionalProperties")))
		n = json_get(sch, "additionalProperties");
	return n;
}

/* An openapi-mode list's merge key: set when its strategy includes merge. */
static const char *oa_merge_key(const cJSON *sch)
{
	const cJSON *st = json_get(sch, "x-kubernetes-patch-strategy");
	const cJSON *mk = json_get(sch, "x-kubernetes-patch-merge-key");
	if (!cJSON_IsString(st) || !strstr(st->valuestring, "merge") || !cJSON_IsString(mk))
		return NULL;
	return mk->valuestring;
}

/* kustomize merges keyed lists with the patch's items first (in the patch's order), then the
 * original items the patch does not name: reorder patch_strategic's result that way. With
 * oa set, merge keys come from the openapi schema sch instead of the built-in table. */
static void reorder(cJSON *res, const cJSON *patch, const char *av, const char *kind,
		    const char *path, int depth, bool oa, const cJSON *sch)
{
	const cJSON *pv;
	if (depth > PATCH_MAX_DEPTH || !cJSON_IsObject(res) || !cJSON_IsObject(patch))
		return;
	cJSON_ArrayForEach(pv, patch) {
		if (!pv->string || pv->string[0] == '$')
			continue;
		cJSON *rv = cJSON_GetObjectItemCaseSensitive(res, pv->string);
		char *sub = *path ? xasprintf("%s.%s", path, pv->string) : xstrdup(pv->string);
		const cJSON *csch = oa ? oa_child(sch, pv->string) : NULL;
		if (cJSON_IsObject(pv)) {
			reorder(rv, pv, av, kind, sub, depth + 1, oa, csch);
		} else if (cJSON_IsArray(pv) && cJSON_IsArray(rv)) {
			unsigned strategy = 0;
			const char *mk = oa ? oa_merge_key(csch) :
				patch_list_merge_key(av, kind, sub, &strategy);
			if (mk) {
				cJSON *front = NULL;
				const cJSON *pi;
				cJSON_ArrayForEach(pi, pv) {
					const cJSON *key = cJSON_GetObjectItemCaseSensitive(pi, mk);
					if (!key)
						continue;
					cJSON *ri;
					for (ri = rv->child; ri; ri = ri->next) {
						const cJSON *rk =
							cJSON_GetObjectItemCaseSensitive(ri, mk);
						if (rk && cJSON_Compare(rk, key, true))
							break;
					}
					if (!ri)
						continue;
					reorder(ri, pi, av, kind, sub, depth + 1, oa,
						oa ? json_get(csch, "items") : NULL);
					/* move ri right after front (or to the head) */
					if (ri == front)
						continue;
					cJSON_DetachItemViaPointer(rv, ri);
					if (!front) {
						cJSON_InsertItemInArray(rv, 0, ri);
					} else {
						ri->next = front->next;
						ri->prev = front;
						if (front->next)
							front->next->prev = ri;
						else
							rv->child->prev = ri;
						front->next = ri;
					}
					front = ri;
				}
			}
		}
		free(sub);
	}
}

/* In a patch, a null label or annotation value is the string "null" for kustomize. */
static void null_meta_strings(cJSON *patch)
{
	static const char *const maps[] = {"labels", "annotations"};
	cJSON *md = cJSON_GetObjectItemCaseSensitive(patch, "metadata"), *it, *next;
	for (int i = 0; i < 2; i++) {
		cJSON *m = cJSON_GetObjectItemCaseSensitive(md, maps[i]);
		for (it = cJSON_IsObject(m) ? m->child : NULL; it; it = next) {
			next = it->next;
			if (cJSON_IsNull(it))
				kz_replace(m, it, cJSON_CreateString("null"));
		}
	}
}

/* Apply one strategic merge patch document to r. Returns 1 if r became empty (deleted). */
static int smp_one(kz_ctx *c, kz_res *r, const cJSON *patch, bool allow_name, bool allow_kind,
		   bool legacy, err *e)
{
	char *name = xstrdup(kz_name(r->obj)), *ns = xstrdup(kz_namespace(r->obj));
	char *kind = xstrdup(kz_kind(r->obj));
	const cJSON *pd = json_get(patch, "$patch");
	int rc = 0;
	if (cJSON_IsString(pd) && !strcmp(pd->valuestring, "delete")) {
		rc = 1;
		goto out;
	}
	cJSON *pc = cJSON_Duplicate(patch, true);
	if (legacy)
		null_meta_strings(pc);
	/* kustomize's `openapi:` schema, once set, replaces the built-in one for every kind */
	const cJSON *sch = c->openapi_doc ? kz_openapi_schema(c, kz_apiversion(r->obj), kind) :
			   NULL;
	cJSON *res = c->openapi_doc ? patch_strategic_openapi(r->obj, pc, sch, e) :
		     patch_strategic(r->obj, pc, kz_apiversion(r->obj), kind, e);
	if (!res) {
		cJSON_Delete(pc);
		rc = -1;
		goto out;
	}
	reorder(res, pc, kz_apiversion(r->obj), kind, "", 0, c->openapi_doc != NULL, sch);
	cJSON_Delete(pc);
	cJSON_Delete(r->obj);
	r->obj = res;
	if (!cJSON_IsObject(res) || !res->child) {
		rc = 1;
		goto out;
	}
	if (!allow_kind && cJSON_GetObjectItemCaseSensitive(res, "kind"))
		cJSON_ReplaceItemInObjectCaseSensitive(res, "kind", cJSON_CreateString(kind));
	if (!allow_name)
		kz_set_name(res, name);
	if (*ns)
		kz_set_namespace(res, ns);
	else if (cJSON_GetObjectItemCaseSensitive(json_get(res, "metadata"), "namespace"))
		cJSON_DeleteItemFromObjectCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(res, "metadata"), "namespace");
	if (allow_name || allow_kind)
		kz_res_track(r);
out:
	free(name);
	free(ns);
	free(kind);
	return rc;
}

/* The single resource a patch without target names (by any of its ids). */
static int find_by_id(kz_resmap *m, const cJSON *p, bool legacy, err *e)
{
	char g[256], v[128], pg[256], pv[128];
	int found = -1, count = 0;
	kz_split_apiversion(kz_apiversion(p), pg, sizeof(pg), pv, sizeof(pv));
	const char *pname = kz_name(p), *pns = kz_namespace(p);
	for (size_t i = 0; i < m->n; i++) {
		kz_res *r = m->v[i];
		kz_split_apiversion(kz_apiversion(r->obj), g, sizeof(g), v, sizeof(v));
		if (strcmp(kz_kind(r->obj), kz_kind(p)) || strcmp(g, pg) || strcmp(v, pv))
			continue;
		bool hit = false;
		for (size_t j = 0; j < r->names.n && !hit; j++)
			hit = !strcmp(r->names.v[j], pname) && fuzzy_ns(r->nss.v[j], pns);
		if (hit) {
			found = (int)i;
			count++;
		}
	}
	if (count == 1)
		return found;
	char *id = patch_idstr(p);
	if (count == 0)
		err_fail(e, KZ_REASON, "no matches for Id %s; failed to find unique target for "
			 "patch %s", id, id);
	else
		err_fail(e, KZ_REASON, "multiple matches for Id %s; failed to find unique target "
			 "for patch %s", id, id);
	if (!legacy)
		err_prefix(e, "no resource matches strategic merge patch \"%s\"", id);
	free(id);
	return -1;
}

/* cJSON's replace does not take the new item when the key is absent: only replace what is
 * there, so nothing leaks. */
static void replace_string_if_present(cJSON *obj, const char *key, const char *val)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, cJSON_CreateString(val));
}

static int smp_apply(kz_ctx *c, kz_resmap *m, const cJSON *patch, const cJSON *target,
		     const cJSON *opts, bool legacy, err *e)
{
	bool allow_name = cJSON_IsTrue(json_get(opts, "allowNameChange"));
	bool allow_kind = cJSON_IsTrue(json_get(opts, "allowKindChange"));
	if (!cJSON_IsObject(patch))
		return err_fail(e, KZ_REASON, "a strategic merge patch must be a map");
	if (!target) {
		int i = find_by_id(m, patch, legacy, e);
		if (i < 0)
			return -1;
		int rc = smp_one(c, m->v[i], patch, allow_name, allow_kind, legacy, e);
		if (rc == 1)
			kz_resmap_remove(m, (size_t)i);
		return rc < 0 ? -1 : 0;
	}
	for (size_t i = 0; i < m->n; i++) {
		err se = {0};
		if (!kz_selector_matches(target, m->v[i]->obj, m->v[i], &se)) {
			if (err_is_set(&se)) {
				*e = se;
				return -1;
			}
			continue;
		}
		cJSON *copy = cJSON_Duplicate(patch, true);
		kz_res *r = m->v[i];
		if (!allow_name)
			kz_set_name(copy, kz_name(r->obj));
		if (*kz_namespace(r->obj))
			kz_set_namespace(copy, kz_namespace(r->obj));
		replace_string_if_present(copy, "apiVersion", kz_apiversion(r->obj));
		if (!allow_kind || !*kz_kind(copy))
			replace_string_if_present(copy, "kind", kz_kind(r->obj));
		int rc = smp_one(c, r, copy, allow_name, allow_kind, legacy, e);
		cJSON_Delete(copy);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			kz_resmap_remove(m, i);
			i--;
		}
	}
	return 0;
}

static int json_apply(kz_resmap *m, const cJSON *ops, const cJSON *target, err *e)
{
	for (size_t i = 0; i < m->n; i++) {
		err se = {0};
		kz_res *r = m->v[i];
		if (!kz_selector_matches(target, r->obj, r, &se)) {
			if (err_is_set(&se)) {
				*e = se;
				return -1;
			}
			continue;
		}
		/* kustomize's resources always carry (internal) annotations while it patches */
		cJSON *md = cJSON_GetObjectItemCaseSensitive(r->obj, "metadata");
		if (cJSON_IsObject(md) && !cJSON_GetObjectItemCaseSensitive(md, "annotations"))
			cJSON_AddObjectToObject(md, "annotations");
		cJSON *res = patch_json(r->obj, ops, e);
		if (!res)
			return -1;
		cJSON_Delete(r->obj);
		r->obj = res;
		kz_res_track(r);
	}
	return 0;
}

/* The documents of a patch text: a JSON 6902 op list (one array) or SMP maps. A JSON 6902
 * patch goes through sigs.k8s.io/yaml in kustomize, so its values are typed as YAML 1.1. */
static cJSON *parse_patch(const char *text, size_t len, err *e)
{
	cJSON *docs = kz_yaml_parse(text, len, e);
	if (!docs) {
		err_prefix(e, "unable to parse patch");
		return NULL;
	}
	if (cJSON_GetArraySize(docs) == 1 && cJSON_IsArray(docs->child)) {
		bool empty = false;
		err e11 = {0};
		cJSON *ops = kz_kfile_parse(text, len, &empty, &e11);
		if (cJSON_IsArray(ops)) {
			cJSON_Delete(cJSON_DetachItemFromArray(docs, 0));
			cJSON_AddItemToArray(docs, ops);
		} else {
			cJSON_Delete(ops);
		}
	}
	return docs;
}

/* The PatchTransformer config kustomize makes of a patches entry (for its messages). */
static cJSON *patch_cfg(const cJSON *it)
{
	static const char *const sel[] = {"group", "version", "kind", "name", "namespace",
					   "annotationSelector", "labelSelector", NULL};
	cJSON *cfg = cJSON_CreateObject();
	const cJSON *v = json_get(it, "path");
	if (cJSON_IsString(v) && *v->valuestring)
		cJSON_AddStringToObject(cfg, "path", v->valuestring);
	v = json_get(it, "patch");
	if (cJSON_IsString(v) && *v->valuestring)
		cJSON_AddStringToObject(cfg, "patch", v->valuestring);
	v = json_get(it, "target");
	if (cJSON_IsObject(v)) {
		cJSON *t = cJSON_AddObjectToObject(cfg, "target");
		for (int i = 0; sel[i]; i++) {
			const cJSON *x = json_get(v, sel[i]);
			if (cJSON_IsString(x) && *x->valuestring)
				cJSON_AddStringToObject(t, sel[i], x->valuestring);
		}
	}
	v = json_get(it, "options");
	if (cJSON_IsObject(v) && v->child)
		cJSON_AddItemToObject(cfg, "options", cJSON_Duplicate(v, true));
	return cfg;
}

static int patch_config_err(err *e, const cJSON *it, const char *msg)
{
	cJSON *cfg = patch_cfg(it);
	kz_config_err(e, "PatchTransformer", cfg, msg);
	cJSON_Delete(cfg);
	return -1;
}

static int patches_field(kz_ctx *c, kz_resmap *m, const char *dir, const cJSON *list, err *e)
{
	const cJSON *it;
	if (!list)
		return 0;
	if (!cJSON_IsArray(list))
		return err_fail(e, KZ_REASON, "patches must be a list");
	cJSON_ArrayForEach(it, list) {
		const cJSON *path = json_get(it, "path"), *inl = json_get(it, "patch");
		const cJSON *target = json_get(it, "target"), *opts = json_get(it, "options");
		char *text;
		size_t len;
		if (!cJSON_IsObject(it))
			return err_fail(e, KZ_REASON, "invalid patch: must be a map");
		if (cJSON_IsString(path) && *path->valuestring && cJSON_IsString(inl) &&
		    *inl->valuestring)
			return patch_config_err(e, it, "patch and path can't be set at the same "
						"time\n%s");
		if (cJSON_IsString(path) && *path->valuestring) {
			text = read_rel(c, dir, path->valuestring, &len, e);
			if (!text) {
				char msg[ERR_MSG_MAX];
				snprintf(msg, sizeof msg, "failed to get the patch file from "
					 "path(%.200s): %.1500s", path->valuestring, e->msg);
				return patch_config_err(e, it, msg);
			}
		} else if (cJSON_IsString(inl) && *inl->valuestring) {
			text = xstrdup(inl->valuestring);
			len = strlen(text);
		} else {
			return patch_config_err(e, it, "must specify one of patch and path in\n%s");
		}
		cJSON *docs = parse_patch(text, len, e), *d;
		free(text);
		if (!docs)
			return -1;
		int rc = 0;
		/* kustomize reads a patch without documents as an (empty) JSON patch */
		bool empty = cJSON_GetArraySize(docs) == 0;
		if (empty || (cJSON_GetArraySize(docs) == 1 && cJSON_IsArray(docs->child))) {
			if (empty && target) {
				bool byp = cJSON_IsString(path) && *path->valuestring;
				char *q = kz_go_quote(byp ? path->valuestring : inl->valuestring);
				char msg[ERR_MSG_MAX];
				snprintf(msg, sizeof msg, "illegally qualifies as both an SM and JSON "
					 "patch: [%s: %.1000s]", byp ? "path" : "patch", q);
				free(q);
				cJSON_Delete(docs);
				return patch_config_err(e, it, msg);
			}
			if (!target) {
				bool byp = cJSON_IsString(path) && *path->valuestring;
				char *q = kz_go_quote(byp ? path->valuestring : inl->valuestring);
				rc = err_fail(e, KZ_REASON, "must specify a target for JSON patch "
					      "[%s: %s]", byp ? "path" : "patch", q);
				free(q);
			}
			else if (!empty)
				rc = json_apply(m, docs->child, target, e);
		} else {
			cJSON_ArrayForEach(d, docs) {
				const cJSON *pd = json_get(d, "$patch");
				/* kustomize v5.6 crashes on a document after a delete directive */
				if (rc == 0 && d->next && cJSON_IsString(pd) &&
				    !strcmp(pd->valuestring, "delete"))
					rc = err_fail(e, KZ_REASON, "a patch document follows a $patch: "
						      "delete directive in the same patch (kustomize "
						      "fails on it)");
				if (rc == 0)
					rc = smp_apply(c, m, d, target, opts, false, e);
			}
		}
		cJSON_Delete(docs);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int psm_config_err(err *e, const cJSON *list)
{
	cJSON *cfg = cJSON_CreateObject();
	cJSON_AddItemToObject(cfg, "paths", cJSON_Duplicate(list, true));
	char msg[ERR_MSG_MAX];
	snprintf(msg, sizeof msg, "%s", e->msg);
	kz_config_err(e, "PatchStrategicMergeTransformer", cfg, msg);
	cJSON_Delete(cfg);
	return -1;
}

static int psm_field(kz_ctx *c, kz_resmap *m, const char *dir, const cJSON *list, err *e)
{
	const cJSON *it;
	int ndocs = 0;
	cJSON_ArrayForEach(it, list) {
		const char *s = it->valuestring;
		char *text;
		size_t len;
		/* an entry is a file name, or the patch itself inline */
		if (strchr(s, '\n') || (strchr(s, ':') && !kz_is_file(s))) {
			char *p = xasprintf("%s/%s", dir, s);
			bool isfile = !strchr(s, '\n') && kz_is_file(p);
			free(p);
			if (isfile) {
				text = read_rel(c, dir, s, &len, e);
			} else {
				text = xstrdup(s);
				len = strlen(s);
			}
		} else {
			text = read_rel(c, dir, s, &len, e);
		}
		if (!text)
			return psm_config_err(e, list);
		cJSON *docs = parse_patch(text, len, e), *d;
		free(text);
		if (!docs)
			return -1;
		int rc = 0;
		ndocs += cJSON_GetArraySize(docs);
		cJSON_ArrayForEach(d, docs)
			if (rc == 0)
				rc = smp_apply(c, m, d, NULL, NULL, true, e);
		cJSON_Delete(docs);
		if (rc < 0)
			return -1;
	}
	if (cJSON_GetArraySize(list) > 0 && ndocs == 0) {
		buf b;
		buf_init(&b, ERR_MSG_MAX);
		cJSON_ArrayForEach(it, list)
			buf_addf(&b, "%s%s", it == list->child ? "" : " ", it->valuestring);
		err_fail(e, KZ_REASON, "patch appears to be empty; files=[%s], Patch=", buf_str(&b));
		buf_release(&b);
		return psm_config_err(e, list);
	}
	return 0;
}

static int pj_field(kz_ctx *c, kz_resmap *m, const char *dir, const cJSON *list, err *e)
{
	const cJSON *it;
	if (!list)
		return 0;
	if (!cJSON_IsArray(list))
		return err_fail(e, KZ_REASON, "patchesJson6902 must be a list");
	cJSON_ArrayForEach(it, list) {
		const cJSON *path = json_get(it, "path"), *inl = json_get(it, "patch");
		const cJSON *target = json_get(it, "target");
		char *text;
		size_t len;
		if (!cJSON_IsObject(target))
			return err_fail(e, KZ_REASON, "must specify a target for patch");
		if (cJSON_IsString(path) && *path->valuestring && cJSON_IsString(inl) &&
		    *inl->valuestring)
			return err_fail(e, KZ_REASON,
				"patch and path can't be set at the same time");
		if (cJSON_IsString(path) && *path->valuestring) {
			text = read_rel(c, dir, path->valuestring, &len, e);
			if (!text)
				return -1;
		} else if (cJSON_IsString(inl) && *inl->valuestring) {
			text = xstrdup(inl->valuestring);
			len = strlen(text);
		} else {
			return err_fail(e, KZ_REASON, "must specify one of patch and path");
		}
		cJSON *docs = parse_patch(text, len, e);
		free(text);
		if (!docs)
			return -1;
		int rc;
		if (cJSON_GetArraySize(docs) != 1 || !cJSON_IsArray(docs->child))
			rc = err_fail(e, KZ_REASON, "json patch must be a list of operations");
		else
			rc = json_apply(m, docs->child, target, e);
		cJSON_Delete(docs);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int kz_patches_apply(kz_ctx *c, kz_resmap *m, const char *dir, const cJSON *k, int phase,
		     err *e)
{
	if (phase == 0) {
		if (psm_field(c, m, dir, json_get(k, "patchesStrategicMerge"), e) < 0)
			return -1;
		return patches_field(c, m, dir, json_get(k, "patches"), e);
	}
	return pj_field(c, m, dir, json_get(k, "patchesJson6902"), e);
}
