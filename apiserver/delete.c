/* delete: DELETE of an object (finalizers, propagation, preconditions, namespaces, CRDs). */
#include "resource.h"

#include <stdlib.h>
#include <string.h>

#include "crd.h"
#include "gc.h"
#include "object.h"
#include "protobuf.h"
#include "resp.h"
#include "watch.h"

int res_delete_object(apiserver *s, api_type *ty, const char *ns, const char *name,
               const char *propagation, const cJSON *pre, bool dry_run, cJSON **out, err *e)
{
	if (out)
		*out = NULL;
	char *key = obj_key(ty, ns, name);
	store_row row;
	int r = store_get(s->st, key, &row, e);
	if (r <= 0) {
		free(key);
		if (r == 0)
			err_fail(e, "NotFound", "not found");
		return r < 0 ? 500 : 404;
	}
	cJSON *obj = cJSON_Parse(row.value);
	cJSON *m = obj_meta(obj);
	int code = 200;
	if (!obj || !m) {
		code = 500;
		err_fail(e, "InternalError", "stored object does not parse");
		goto out;
	}
	const char *puid = json_str(pre, "uid"), *prv = json_str(pre, "resourceVersion");
	if (puid && strcmp(puid, json_str(m, "uid") ? json_str(m, "uid") : "") != 0) {
		err_fail(e, "Conflict",
			 "Precondition failed: UID in precondition: %s, UID in object "
			 "meta: %s",
			 puid, json_str(m, "uid") ? json_str(m, "uid") : "");
		code = 409;
		goto out;
	}
	const char *mrv = json_str(m, "resourceVersion");
	if (prv && strcmp(prv, mrv ? mrv : "")) {
		err_fail(e, "Conflict", "Precondition failed: ResourceVersion in precondition: %s, "
			 "ResourceVersion in object meta: %s", prv,
			 json_str(m, "resourceVersion") ? json_str(m, "resourceVersion") : "");
		code = 409;
		goto out;
	}
	bool is_ns = !strcmp(ty->resource, "namespaces") && !ty->group[0];
	bool is_crd = !strcmp(ty->resource, "customresourcedefinitions") &&
		      !strcmp(ty->group, "apiextensions.k8s.io");
	bool was_deleting = cJSON_GetObjectItemCaseSensitive(m, "deletionTimestamp") != NULL;
	bool changed = false;
	if (propagation && !strcmp(propagation, "Foreground") && !is_ns) {
		if (!obj_has_finalizer(obj, "foregroundDeletion"))
			changed = true;
		obj_add_finalizer(obj, "foregroundDeletion");
	} else if (propagation && !strcmp(propagation, "Orphan") && !is_ns) {
		if (!obj_has_finalizer(obj, "orphan"))
			changed = true;
		obj_add_finalizer(obj, "orphan");
	}
	if (is_ns) {
		cJSON *st = json_obj_ensure(obj, "status");
		json_replace(st, "phase", cJSON_CreateString("Terminating"));
	}
	if (is_ns || obj_has_finalizers(obj)) {
		if (!was_deleting) {
			char ts[32];
			obj_timestamp(ts);
			json_replace(m, "deletionTimestamp", cJSON_CreateString(ts));
			json_replace(m, "deletionGracePeriodSeconds", cJSON_CreateNumber(0));
			int64_t gen = obj_meta_int(m, "generation");
			if (gen > 0)
				json_replace(m, "generation",
					     cJSON_CreateNumber((double)(gen + 1)));
			changed = true;
		}
		if (changed && !dry_run) {
			int64_t got = res_store_update(s, ty, key, obj, &row, e);
			if (got < 0) {
				code = 500;
				goto out;
			}
		}
		if (is_ns || is_crd)
			gc_schedule(s);
		if (out) {
			*out = obj;
			obj = NULL;
		}
		goto out;
	}
	if (!dry_run) {
		int64_t rev = store_next_rev(s->st);
		obj_set_rv(obj, rev);
		char *txt = obj_print(obj);
		int64_t got = store_delete(s->st, key, txt, row.rev, row.create_rev, e);
		if (got < 0) {
			free(txt);
			code = 500;
			goto out;
		}
		watch_emit(s, 'D', got, key, txt, row.value);
		free(txt);
		if (is_crd) {
			crd_delete_instances(s, name);
			types_remove_crd(&s->types, name);
		}
		gc_schedule(s);
	}
	if (out) {
		cJSON *st = cJSON_CreateObject();
		cJSON_AddStringToObject(st, "kind", "Status");
		cJSON_AddStringToObject(st, "apiVersion", "v1");
		cJSON_AddItemToObject(st, "metadata", cJSON_CreateObject());
		cJSON_AddStringToObject(st, "status", "Success");
		cJSON *d = resp_details(ty, name);
		if (json_str(m, "uid"))
			cJSON_AddStringToObject(d, "uid", json_str(m, "uid"));
		cJSON_AddItemToObject(st, "details", d);
		*out = st;
	}
out:
	cJSON_Delete(obj);
	store_row_release(&row);
	free(key);
	return code;
}

static cJSON *delete_options(api_ctx *c, bool *bad)
{
	*bad = false;
	if (!c->rq->body_len)
		return NULL;
	err e = {0};
	cJSON *o;
	if (c->rq->content_type &&
	    !strncmp(c->rq->content_type, "application/vnd.kubernetes.protobuf", 35))
		o = pb_decode((const unsigned char *)c->rq->body, c->rq->body_len, &e);
	else
		o = obj_parse(c->rq->body, c->rq->body_len, &e);
	if (!o || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		*bad = true;
		return NULL;
	}
	return o;
}

void res_delete(api_ctx *c)
{
	bool bad;
	cJSON *opts = delete_options(c, &bad);
	if (bad) {
		resp_status(c->rs, 400, "BadRequest", "the body of the request could not be decoded "
			    "as DeleteOptions", NULL);
		return;
	}
	const char *prop = json_str(opts, "propagationPolicy");
	const char *qprop = query_get(&c->q, "propagationPolicy");
	if (qprop)
		prop = qprop;
	const cJSON *orphan = cJSON_GetObjectItemCaseSensitive(opts, "orphanDependents");
	if (!prop && cJSON_IsBool(orphan))
		prop = cJSON_IsTrue(orphan) ? "Orphan" : "Background";
	if (prop && strcmp(prop, "Background") && strcmp(prop, "Foreground") &&
	    strcmp(prop, "Orphan")) {
		cJSON *causes = cJSON_CreateArray();
		cJSON_AddItemToArray(causes,
				     resp_cause("FieldValueNotSupported", "propagationPolicy",
						"Unsupported value: \"%s\": supported values: "
						"\"Foreground\", \"Background\", "
						"\"Orphan\", \"nil\"",
						prop));
		cJSON *d = cJSON_CreateObject();
		cJSON_AddItemToObject(d, "causes", causes);
		resp_statusf(c->rs, 422, "Invalid", d, "DeleteOptions.meta.k8s.io \"\" is invalid: "
			     "propagationPolicy: Unsupported value: \"%s\"", prop);
		cJSON_Delete(opts);
		return;
	}
	const cJSON *dry = cJSON_GetObjectItemCaseSensitive(opts, "dryRun");
	bool dry_run = c->dry_run || (cJSON_IsArray(dry) && cJSON_GetArraySize(dry) > 0);
	cJSON *out = NULL;
	err e = {0};
	int code =
	    res_delete_object(c->s, c->ty, c->ns, c->name, prop,
		       cJSON_GetObjectItemCaseSensitive(opts, "preconditions"), dry_run, &out, &e);
	cJSON_Delete(opts);
	if (code == 404) {
		resp_not_found(c->rs, c->ty, c->name);
	} else if (code == 409) {
		resp_status(c->rs, 409, "Conflict", e.msg, resp_details(c->ty, c->name));
	} else if (code != 200) {
		resp_status(c->rs, code, "InternalError", e.msg, NULL);
	} else if (out && !strcmp(json_str(out, "kind") ? json_str(out, "kind") : "", "Status")) {
		resp_json(c->rs, 200, out);
	} else {
		res_respond(c, 200, out);
	}
}
