/* patch: PATCH of an object or its status: JSON, merge, strategic merge and server-side apply. */
#include "resource.h"

#include <stdlib.h>
#include <string.h>

#include "object.h"
#include "resp.h"
#include "validate.h"

#if __has_include("eddy/patch.h")
#include "eddy/patch.h"
#define HAVE_PATCH 1
#else
#define HAVE_PATCH 0
#endif

void res_patch(api_ctx *c, const char *sub)
{
	const char *ct = c->rq->content_type ? c->rq->content_type : "";
	enum { P_JSON, P_MERGE, P_SMP, P_APPLY } kind;
	if (!strncmp(ct, "application/json-patch+json", 27))
		kind = P_JSON;
	else if (!strncmp(ct, "application/merge-patch+json", 28))
		kind = P_MERGE;
	else if (!strncmp(ct, "application/strategic-merge-patch+json", 38) && !c->ty->crd)
		kind = P_SMP;
	else if (!strncmp(ct, "application/apply-patch+yaml", 28))
		kind = P_APPLY;
	else {
		resp_statusf(c->rs, 415, "UnsupportedMediaType", NULL,
			     "the body of the request was in an unknown format - accepted media "
			     "types include: application/json-patch+json, "
			     "application/merge-patch+json, %sapplication/apply-patch+yaml",
			     c->ty->crd ? "" : "application/strategic-merge-patch+json, ");
		return;
	}
#if !HAVE_PATCH
	(void)kind;
	resp_status(c->rs, 415, "UnsupportedMediaType", "patch support is not built in", NULL);
	(void)sub;
	return;
#else
	cJSON *p = res_parse_body(c, kind == P_APPLY, true);
	if (!p)
		return;
	store_row row = {0};
	cJSON *old = NULL;
	int r = res_load(c, c->ty, c->ns, c->name, &row, &old, kind != P_APPLY);
	if (r < 0 || (r == 0 && kind != P_APPLY)) {
		cJSON_Delete(p);
		return;
	}
	err e = {0};
	cJSON *obj = NULL;
	if (kind == P_APPLY) {
		const char *mgr = res_field_manager(c);
		if (!mgr) {
			resp_status(c->rs, 400, "BadRequest", "PATCH, application/apply-patch+yaml "
				    "requires fieldManager to be set", NULL);
			goto done;
		}
		if (!cJSON_IsObject(p) || validate_gvk(c, p) < 0) {
			if (!c->rs->code)
				resp_status(c->rs, 400, "BadRequest", "invalid object", NULL);
			goto done;
		}
		const char *bname = json_str(obj_meta(p), "name");
		if (!bname || strcmp(bname, c->name) != 0) {
			resp_statusf(c->rs, 400, "BadRequest", NULL,
				     "the name of the object (%s) does not match the name on the "
				     "URL (%s)", bname ? bname : "", c->name);
			goto done;
		}
		if (c->ty->has_status && !(sub && !strcmp(sub, "status")))
			cJSON_DeleteItemFromObjectCaseSensitive(p, "status");
		int force = query_bool(query_get(&c->q, "force"));
		char ts[32];
		obj_timestamp(ts);
		patch_schema_hint hint = {.openapi_schema = c->ty->schema};
		patch_conflicts conf;
		patch_conflicts_init(&conf);
		cJSON *live = old ? cJSON_Duplicate(old, 1) : NULL;
		int ar;
		if (sub && !strcmp(sub, "status")) {
			if (!old) {
				cJSON_Delete(live);
				resp_not_found(c->rs, c->ty, c->name);
				patch_conflicts_release(&conf);
				goto done;
			}
			/* Only .status (plus the identifying fields) is applied. */
			cJSON *only = cJSON_CreateObject();
			static const char *const keep[] = {"apiVersion", "kind", "status"};
			for (size_t i = 0; i < 3; i++) {
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, keep[i]);
				if (v)
					cJSON_AddItemToObject(only, keep[i], cJSON_Duplicate(v, 1));
			}
			cJSON *om = cJSON_AddObjectToObject(only, "metadata");
			cJSON_AddStringToObject(om, "name", c->name);
			if (c->ns)
				cJSON_AddStringToObject(om, "namespace", c->ns);
			ar = patch_apply_subresource(&live, only, mgr, "status", force == 1, ts, &hint,
						     &conf, &e);
			cJSON_Delete(only);
		} else {
			ar = patch_apply(&live, p, mgr, force == 1, ts, &hint, &conf, &e);
		}
		if (ar == 1) {
			resp_json(c->rs, 409, patch_conflicts_status(&conf));
			patch_conflicts_release(&conf);
			cJSON_Delete(live);
			goto done;
		}
		patch_conflicts_release(&conf);
		if (ar < 0) {
			cJSON_Delete(live);
			resp_statusf(c->rs, 400, "BadRequest", NULL, "%s", e.msg);
			goto done;
		}
		obj = live;
		if (!old) {
			cJSON_Delete(p);
			p = NULL;
			c->name = c->name; /* create at the URL's name */
			res_create(c, obj, 201);
			return;
		}
	} else {
		if (kind == P_JSON)
			obj = patch_json(old, p, &e);
		else if (kind == P_MERGE)
			obj = patch_merge(old, p, &e);
		else
			obj = patch_strategic(old, p, json_str(old, "apiVersion"), c->ty->kind, &e);
		if (!obj) {
			cJSON *causes = NULL;
			(void)causes;
			if (kind == P_JSON)
				resp_statusf(c->rs, 422, "Invalid", NULL, "%s", e.msg);
			else
				resp_statusf(c->rs, 400, "BadRequest", NULL, "%s", e.msg);
			goto done;
		}
		/* kubectl sends no managedFields: keep old's unless the patch set them. */
	}
	if (res_prepare_update(c, old, &obj, sub, false) < 0) {
		cJSON_Delete(obj);
		goto done;
	}
	if (kind == P_APPLY) {
		/* managedFields were computed by patch_apply: keep them as they are. */
		bool dry = c->dry_run;
		cJSON *mf = cJSON_DetachItemFromObjectCaseSensitive(obj_meta(obj), "managedFields");
		cJSON *old_copy = cJSON_Duplicate(old, 1);
		cJSON_DeleteItemFromObjectCaseSensitive(obj_meta(old_copy), "managedFields");
		if (mf)
			cJSON_AddItemToObject(obj_meta(old_copy), "managedFields",
					      cJSON_Duplicate(mf, 1));
		/* Make the request's managedFields differ from old so res_track() keeps them. */
		if (mf)
			json_set(json_obj_ensure(obj, "metadata"), "managedFields", mf);
		(void)dry;
		cJSON_Delete(old_copy);
	}
	res_commit_update(c, obj, old, &row, sub);
done:
	cJSON_Delete(p);
	cJSON_Delete(old);
	store_row_release(&row);
#endif
}
