/* update: PUT of an object or its status/finalize subresource, and the merge-and-commit steps
 * patch and scale share. */
#include "resource.h"

#include <stdlib.h>
#include <string.h>

#include "crd.h"
#include "defaults.h"
#include "eddy/mem.h"
#include "gc.h"
#include "object.h"
#include "resp.h"
#include "simulate.h"
#include "validate.h"

static cJSON *spec_view(const cJSON *obj, bool drop_status)
{
	cJSON *d = cJSON_Duplicate(obj, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(d, "metadata");
	cJSON_DeleteItemFromObjectCaseSensitive(d, "apiVersion");
	cJSON_DeleteItemFromObjectCaseSensitive(d, "kind");
	if (drop_status)
		cJSON_DeleteItemFromObjectCaseSensitive(d, "status");
	return d;
}

static bool spec_changed(const api_type *ty, const cJSON *a, const cJSON *b)
{
	bool drop_status = ty->has_status || !ty->crd;
	cJSON *x = spec_view(a, drop_status), *y = spec_view(b, drop_status);
	bool same = cJSON_Compare(x, y, 1);
	cJSON_Delete(x);
	cJSON_Delete(y);
	return !same;
}

/* Merge the request object into a stored one per subresource rules; result in *objp. Returns
 * 0, or -1 answered. */
int res_prepare_update(api_ctx *c, const cJSON *old, cJSON **objp, const char *sub,
			  bool require_rv)
{
	cJSON *obj = *objp;
	cJSON *m = json_obj_ensure(obj, "metadata");
	const cJSON *om = obj_meta(old);
	const char *name = json_str(om, "name");
	const char *bname = json_str(m, "name");
	if (bname && *bname && strcmp(bname, name) != 0) {
		resp_statusf(c->rs, 400, "BadRequest", NULL,
			     "the name of the object (%s) does not match the name on the URL (%s)",
			     bname, name);
		return -1;
	}
	if (c->ty->namespaced) {
		const char *bns = json_str(m, "namespace");
		if (bns && *bns && c->ns && strcmp(bns, c->ns) != 0) {
			resp_status(c->rs, 400, "BadRequest",
				    "the namespace of the provided object "
				    "does not match the namespace sent on the request",
				    NULL);
			return -1;
		}
	}
	const char *rv = json_str(m, "resourceVersion");
	const char *orv = json_str(om, "resourceVersion");
	if (rv && *rv) {
		if (strcmp(rv, orv ? orv : "") != 0) {
			char *qr = types_qualified_resource(c->ty);
			resp_statusf(
			    c->rs, 409, "Conflict", resp_details(c->ty, name),
			    "Operation cannot be fulfilled on %s \"%s\": the object has been "
			    "modified; please apply your changes to the latest version and try "
			    "again",
			    qr, name);
			free(qr);
			return -1;
		}
	} else if (require_rv && c->ty->crd) {
		cJSON *causes = cJSON_CreateArray();
		cJSON_AddItemToArray(causes,
				     resp_cause("FieldValueInvalid", "metadata.resourceVersion",
						"Invalid value: 0x0: must be specified for an "
						"update"));
		resp_invalid(c->rs, c->ty, name, causes);
		return -1;
	}
	if (sub && !strcmp(sub, "status")) {
		/* Only .status (and managedFields) come from the request. */
		cJSON *res = cJSON_Duplicate(old, 1);
		cJSON *st = cJSON_DetachItemFromObjectCaseSensitive(obj, "status");
		cJSON_DeleteItemFromObjectCaseSensitive(res, "status");
		if (st)
			cJSON_AddItemToObject(res, "status", st);
		cJSON *mf = cJSON_DetachItemFromObjectCaseSensitive(m, "managedFields");
		if (mf) {
			cJSON *rm = json_obj_ensure(res, "metadata");
			cJSON_DeleteItemFromObjectCaseSensitive(rm, "managedFields");
			cJSON_AddItemToObject(rm, "managedFields", mf);
		}
		cJSON_Delete(obj);
		*objp = obj = res;
		m = json_obj_ensure(obj, "metadata");
	} else if (c->ty->has_status) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
		const cJSON *ost = cJSON_GetObjectItemCaseSensitive(old, "status");
		if (ost)
			cJSON_AddItemToObject(obj, "status", cJSON_Duplicate(ost, 1));
	}
	defaults_builtin(c->ty, obj);
	/* Server-owned metadata. */
	static const char *const keep[] = {"uid", "creationTimestamp", "deletionTimestamp",
					   "deletionGracePeriodSeconds", "namespace", "name"};
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, keep[i]);
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(om, keep[i]);
		if (v)
			cJSON_AddItemToObject(m, keep[i], cJSON_Duplicate(v, 1));
	}
	cJSON_DeleteItemFromObjectCaseSensitive(m, "selfLink");
	if (!cJSON_GetObjectItemCaseSensitive(m, "managedFields")) {
		const cJSON *mf = cJSON_GetObjectItemCaseSensitive(om, "managedFields");
		(void)mf; /* absent in the request: tracking below starts from old's */
	}
	cJSON_DeleteItemFromObjectCaseSensitive(m, "generation");
	int64_t gen = obj_meta_int(om, "generation");
	if (c->ty->generation || gen > 0) {
		if (spec_changed(c->ty, old, obj))
			gen++;
		if (gen == 0)
			gen = 1;
		cJSON_AddNumberToObject(m, "generation", (double)gen);
	}
	/* Finalizers may not be added once deletion started. */
	if (cJSON_GetObjectItemCaseSensitive(om, "deletionTimestamp")) {
		const cJSON *nf = cJSON_GetObjectItemCaseSensitive(m, "finalizers"), *it;
		cJSON_ArrayForEach(it, nf) {
			if (cJSON_IsString(it) && !obj_has_finalizer(old, it->valuestring)) {
				cJSON *causes = cJSON_CreateArray();
				cJSON_AddItemToArray(
				    causes, resp_cause("FieldValueForbidden", "metadata.finalizers",
						  "Forbidden: no new finalizers can be added "
						  "if the object is being deleted, found new "
						  "finalizers []string{\"%s\"}",
						  it->valuestring));
				resp_invalid(c->rs, c->ty, name, causes);
				return -1;
			}
		}
	}
	if (cJSON_GetObjectItemCaseSensitive(om, "managedFields") &&
	    !cJSON_GetObjectItemCaseSensitive(m, "managedFields"))
		cJSON_AddItemToObject(m, "managedFields", cJSON_Duplicate(
			cJSON_GetObjectItemCaseSensitive(om, "managedFields"), 1));
	if (!sub && validate_immutable(c, old, obj, name) < 0)
		return -1;
	if (validate_schema(c, obj, name) < 0)
		return -1;
	return 0;
}

static void strip_mf_times(cJSON *o)
{
	cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(obj_meta(o), "managedFields"))
		cJSON_DeleteItemFromObjectCaseSensitive(it, "time");
}

/* Commit an update; answers. Takes obj. */
void res_commit_update(api_ctx *c, cJSON *obj, const cJSON *old, store_row *row,
			  const char *sub)
{
	if (cJSON_GetObjectItemCaseSensitive(obj_meta(obj), "managedFields") &&
	    cJSON_Compare(cJSON_GetObjectItemCaseSensitive(obj_meta(obj), "managedFields"),
			  cJSON_GetObjectItemCaseSensitive(obj_meta(old), "managedFields"), 1)) {
		/* unchanged in the request: tracked below */
		cJSON *mf = cJSON_DetachItemFromObjectCaseSensitive(obj_meta(obj), "managedFields");
		cJSON *oldc = cJSON_Duplicate(old, 1);
		cJSON_AddItemToObject(json_obj_ensure(obj, "metadata"), "managedFields", mf);
		res_track(c, oldc, obj, sub);
		cJSON_Delete(oldc);
	} else {
		res_track(c, old, obj, sub);
	}
	if (!strcmp(c->ty->resource, "customresourcedefinitions") &&
	    !strcmp(c->ty->group, "apiextensions.k8s.io"))
		crd_on_write(c->s, obj);
	/* No-op writes keep the resourceVersion (as the real server does). */
	cJSON *cmp_new = cJSON_Duplicate(obj, 1), *cmp_old = cJSON_Duplicate(old, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(obj_meta(cmp_new), "resourceVersion");
	cJSON_DeleteItemFromObjectCaseSensitive(obj_meta(cmp_old), "resourceVersion");
	strip_mf_times(cmp_new);
	strip_mf_times(cmp_old);
	bool same = cJSON_Compare(cmp_new, cmp_old, 1);
	cJSON_Delete(cmp_new);
	cJSON_Delete(cmp_old);
	if (same || c->dry_run) {
		if (same) {
			cJSON_Delete(obj);
			obj = cJSON_Duplicate(old, 1);
		}
		res_respond(c, 200, obj);
		return;
	}
	char *key = xstrdup(row->key);
	err e = {0};
	int64_t got = res_store_update(c->s, c->ty, key, obj, row, &e);
	if (got > 0 && !sub)
		sim_note(c->s, c->ty, key);
	free(key);
	if (got < 0) {
		if (!strcmp(e.reason, "Conflict")) {
			char *qr = types_qualified_resource(c->ty);
			const char *name = json_str(obj_meta(old), "name");
			resp_statusf(
			    c->rs, 409, "Conflict", resp_details(c->ty, name),
			    "Operation cannot be fulfilled on %s \"%s\": the object has been "
			    "modified; please apply your changes to the latest version and try "
			    "again",
			    qr, name);
			free(qr);
		} else {
			resp_status(c->rs, 500, "InternalError", e.msg, NULL);
		}
		cJSON_Delete(obj);
		return;
	}
	if (!strcmp(c->ty->resource, "customresourcedefinitions") &&
	    !strcmp(c->ty->group, "apiextensions.k8s.io") &&
	    !cJSON_GetObjectItemCaseSensitive(obj_meta(obj), "deletionTimestamp"))
		types_add_crd(&c->s->types, obj);
	if (res_owners_gone(c->s, c->ty, obj))
		gc_schedule(c->s);
	res_respond(c, 200, obj);
}

void res_update(api_ctx *c, const char *sub)
{
	cJSON *obj = res_parse_body(c, false, false);
	if (!obj)
		return;
	if (validate_gvk(c, obj) < 0) {
		cJSON_Delete(obj);
		return;
	}
	store_row row;
	cJSON *old = NULL;
	int r = res_load(c, c->ty, c->ns, c->name, &row, &old, true);
	if (r <= 0) {
		cJSON_Delete(obj);
		return;
	}
	if (sub && !strcmp(sub, "finalize")) {
		/* Namespace finalize: only spec.finalizers changes. */
		cJSON *res = cJSON_Duplicate(old, 1);
		cJSON *nf = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj,
			"spec"), "finalizers");
		cJSON *spec = json_obj_ensure(res, "spec");
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "finalizers");
		if (nf)
			cJSON_AddItemToObject(spec, "finalizers", cJSON_Duplicate(nf, 1));
		cJSON_Delete(obj);
		obj = res;
		sub = NULL;
		const char *rv = json_str(obj_meta(obj), "resourceVersion");
		(void)rv;
	} else if (res_prepare_update(c, old, &obj, sub, true) < 0) {
		cJSON_Delete(obj);
		cJSON_Delete(old);
		store_row_release(&row);
		return;
	}
	res_commit_update(c, obj, old, &row, sub);
	cJSON_Delete(old);
	store_row_release(&row);
}
