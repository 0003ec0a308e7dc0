/* resource: dispatch of requests on a resource (/api[s]/.../<resource>[/<name>[/<sub>]]) to
 * the handlers, get, and the read side the handlers share (loading, answering, request bodies). */
#include "resource.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "crd.h"
#include "eddy/mem.h"
#include "list.h"
#include "object.h"
#include "protobuf.h"
#include "resp.h"
#include "table.h"
#include "validate.h"
#include "watch.h"

#if __has_include("eddy/yml.h")
#include "eddy/yml.h"
#define HAVE_YML 1
#else
#define HAVE_YML 0
#endif

/* Apply CRD defaults on read and set the served apiVersion. */
static void present(api_type *ty, cJSON *obj)
{
	if (ty->crd && ty->schema)
		crd_default(ty->schema, obj);
	obj_set_version(obj, ty);
}

void res_respond(api_ctx *c, int code, cJSON *obj)
{
	present(c->ty, obj);
	if (table_wanted(c->rq->accept) && code == 200 &&
	    !strcmp(c->rq->method, "GET")) {
		cJSON *t = table_new(c->ty, true);
		const char *inc = query_get(&c->q, "includeObject");
		table_add_row(t, c->ty, obj, !(inc && !strcmp(inc, "Object")) ? false : true);
		cJSON_Delete(obj);
		resp_json(c->rs, code, t);
		return;
	}
	resp_json(c->rs, code, obj);
}

/* ---- loading ---- */

/* Load the current object; 1 found, 0 not found (404 answered if answer), -1 error answered. */
int res_load(api_ctx *c, api_type *ty, const char *ns, const char *name, store_row *row,
		cJSON **obj, bool answer)
{
	char *key = obj_key(ty, ns, name);
	err e = {0};
	int r = store_get(c->s->st, key, row, &e);
	free(key);
	if (r < 0) {
		resp_status(c->rs, 500, "InternalError", e.msg, NULL);
		return -1;
	}
	if (r == 0) {
		if (answer)
			resp_not_found(c->rs, ty, name);
		return 0;
	}
	*obj = cJSON_Parse(row->value);
	if (!*obj) {
		store_row_release(row);
		resp_status(c->rs, 500, "InternalError", "stored object does not parse", NULL);
		return -1;
	}
	return 1;
}

cJSON *res_parse_body(api_ctx *c, bool allow_yaml, bool any_type)
{
	err e = {0};
	const char *ct = c->rq->content_type ? c->rq->content_type : "application/json";
	cJSON *obj = NULL;
	if (!strncmp(ct, "application/vnd.kubernetes.protobuf", 35)) {
		obj = pb_decode((const unsigned char *)c->rq->body, c->rq->body_len, &e);
		if (!obj) {
			resp_statusf(c->rs, 415, "UnsupportedMediaType", NULL,
				     "the body of the request was in an unknown format - accepted "
				     "media types include: application/json, application/yaml, "
				     "application/vnd.kubernetes.protobuf (%s)", e.msg);
			return NULL;
		}
		return obj;
	}
	bool yaml = !strncmp(ct, "application/yaml", 16) ||
		    (allow_yaml && !strncmp(ct, "application/apply-patch+yaml", 28));
	if (!yaml && strncmp(ct, "application/json", 16) != 0 && strncmp(ct, "*/*", 3) != 0 &&
	    !allow_yaml && !any_type) {
		resp_statusf(c->rs, 415, "UnsupportedMediaType", NULL,
			     "the body of the request was in an unknown format - accepted media "
			     "types include: application/json, application/yaml, "
			     "application/vnd.kubernetes.protobuf");
		return NULL;
	}
#if HAVE_YML
	if (yaml) {
		yml_limits lim = {.max_bytes = API_MAX_BODY, .max_depth = API_MAX_JSON_DEPTH};
		obj = yml_parse_one(c->rq->body, c->rq->body_len, &lim, &e);
		if (obj && cJSON_IsNull(obj)) {
			cJSON_Delete(obj);
			obj = NULL;
			err_fail(&e, "BadRequest", "empty body");
		}
	} else
#endif
		obj = obj_parse(c->rq->body ? c->rq->body : "", c->rq->body_len, &e);
	if (!obj) {
		resp_statusf(c->rs, 400, "BadRequest", NULL, "%s", e.msg);
		return NULL;
	}
	return obj;
}

static void method_not_allowed(api_ctx *c)
{
	resp_status(c->rs, 405, "MethodNotAllowed",
		    "the server does not allow this method on the requested resource", NULL);
}

void res_handle(api_ctx *c)
{
	const char *m = c->rq->method;
	const char *dr = query_get(&c->q, "dryRun");
	if (dr) {
		if (strcmp(dr, "All") != 0) {
			resp_statusf(c->rs, 400, "BadRequest", NULL,
				     "dryRun: Unsupported value: \"%s\": supported values: \"All\"",
				     dr);
			return;
		}
		c->dry_run = true;
	}
	bool is_get = !strcmp(m, "GET") || !strcmp(m, "HEAD");
	const char *verb;
	int w = query_bool(query_get(&c->q, "watch"));
	if (is_get)
		verb = c->name ? (w == 1 ? "watch" : "get") : (w == 1 ? "watch" : "list");
	else if (!strcmp(m, "POST"))
		verb = "create";
	else if (!strcmp(m, "PUT"))
		verb = "update";
	else if (!strcmp(m, "PATCH"))
		verb = "patch";
	else if (!strcmp(m, "DELETE"))
		verb = c->name ? "delete" : "deletecollection";
	else {
		method_not_allowed(c);
		return;
	}
	if (auth_authorize(c, verb, c->ty->group, c->ty->resource, c->sub, c->ns, c->name) < 0)
		return;
	if (c->sub) {
		api_subres *sr = NULL;
		for (size_t i = 0; i < c->ty->n_subres; i++)
			if (!strcmp(c->ty->subres[i].name, c->sub))
				sr = &c->ty->subres[i];
		if (!sr || !c->name) {
			resp_status(c->rs, 404, "NotFound",
				    "the server could not find the requested resource", NULL);
			return;
		}
		if (!strcmp(sr->name, "status") || !strcmp(sr->name, "finalize")) {
			if (is_get && strcmp(sr->name, "status") == 0) {
				store_row row;
				cJSON *obj;
				if (res_load(c, c->ty, c->ns, c->name, &row, &obj, true) > 0) {
					store_row_release(&row);
					res_respond(c, 200, obj);
				}
			} else if (!strcmp(m, "PUT")) {
				res_update(c, sr->name);
			} else if (!strcmp(m, "PATCH") && !strcmp(sr->name, "status")) {
				res_patch(c, "status");
			} else {
				method_not_allowed(c);
			}
			return;
		}
		if (!strcmp(sr->name, "scale")) {
			if (is_get || !strcmp(m, "PUT") || !strcmp(m, "PATCH"))
				res_scale(c);
			else
				method_not_allowed(c);
			return;
		}
		if (!strcmp(sr->name, "token") && !strcmp(m, "POST")) {
			auth_token_request(c);
			return;
		}
		resp_statusf(c->rs, 405, "MethodNotAllowed", NULL,
			     "subresource %s is not served by eddy-apiserver", sr->name);
		return;
	}
	if (is_get) {
		if (w == 1) {
			if (!(c->ty->verbs & VERB_WATCH))
				return method_not_allowed(c);
			watch_create(c);
		} else if (c->name) {
			if (!(c->ty->verbs & VERB_GET))
				return method_not_allowed(c);
			store_row row;
			cJSON *obj;
			if (res_load(c, c->ty, c->ns, c->name, &row, &obj, true) > 0) {
				store_row_release(&row);
				res_respond(c, 200, obj);
			}
		} else {
			if (!(c->ty->verbs & VERB_LIST))
				return method_not_allowed(c);
			list_handle(c);
		}
		return;
	}
	if (!strcmp(m, "POST")) {
		if (c->name || !(c->ty->verbs & VERB_CREATE))
			return method_not_allowed(c);
		cJSON *obj = res_parse_body(c, false, false);
		if (!obj)
			return;
		if (validate_gvk(c, obj) < 0) {
			cJSON_Delete(obj);
			return;
		}
		if (!cJSON_GetObjectItemCaseSensitive(obj, "apiVersion") ||
		    !cJSON_GetObjectItemCaseSensitive(obj, "kind"))
			obj_set_version(obj, c->ty);
		if (!(c->ty->verbs & (VERB_GET | VERB_LIST))) {
			/* Review-style kinds: answer the request back without storing it. */
			auth_review(c, obj);
			return;
		}
		res_create(c, obj, 201);
		return;
	}
	if (!c->name) {
		if (!strcmp(m, "DELETE") && (c->ty->verbs & VERB_DELETECOLLECTION))
			list_delete_collection(c);
		else
			method_not_allowed(c);
		return;
	}
	if (!strcmp(m, "PUT"))
		res_update(c, NULL);
	else if (!strcmp(m, "PATCH"))
		res_patch(c, NULL);
	else if (!strcmp(m, "DELETE"))
		res_delete(c);
}
