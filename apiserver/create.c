/* create: POST of a new object (and server-side apply of a missing one). */
#include "resource.h"

#include <stdio.h>
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
#include "watch.h"

/* ---- namespaces ---- */

/* 0 when objects may be created in ns; else answered (404 or 403). */
static int check_namespace(api_ctx *c, const char *ns, const char *name)
{
	if (!c->ty->namespaced)
		return 0;
	char *key = xasprintf("/core/namespaces/%s", ns);
	store_row r;
	err e = {0};
	int found = store_get(c->s->st, key, &r, &e);
	free(key);
	if (found < 0) {
		resp_status(c->rs, 500, "InternalError", e.msg, NULL);
		return -1;
	}
	if (found == 0) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "name", ns);
		cJSON_AddStringToObject(d, "kind", "namespaces");
		resp_statusf(c->rs, 404, "NotFound", d, "namespaces \"%s\" not found", ns);
		return -1;
	}
	bool terminating = strstr(r.value, "\"deletionTimestamp\"") != NULL;
	store_row_release(&r);
	if (terminating) {
		char *qr = types_qualified_resource(c->ty);
		cJSON *d = resp_details(c->ty, name);
		cJSON *causes = cJSON_AddArrayToObject(d, "causes");
		cJSON *cz = cJSON_CreateObject();
		cJSON_AddStringToObject(cz, "reason", "NamespaceTerminating");
		char *msg = xasprintf("namespace %s is being terminated", ns);
		cJSON_AddStringToObject(cz, "message", msg);
		free(msg);
		cJSON_AddStringToObject(cz, "field", "metadata.namespace");
		cJSON_AddItemToArray(causes, cz);
		resp_statusf(c->rs, 403, "Forbidden", d,
			     "%s \"%s\" is forbidden: unable to create new content in namespace %s "
			     "because it is being terminated", qr, name ? name : "", ns);
		free(qr);
		return -1;
	}
	return 0;
}

/* ---- generated names ---- */

static const char *gen_chars = "bcdfghjklmnpqrstvwxz2456789";

static void gen_name(apiserver *s, const char *prefix, char *out, size_t n)
{
	char suffix[6];
	for (int i = 0; i < 5; i++) {
		unsigned char b;
		char *u = server_new_uid(s); /* random source */
		b = (unsigned char)u[i * 2];
		b = (unsigned char)(b ^ (unsigned char)u[9 + i] ^ (unsigned char)u[20 + i]);
		free(u);
		suffix[i] = gen_chars[b % 27];
	}
	suffix[5] = '\0';
	snprintf(out, n, "%.*s%s", 58, prefix, suffix);
}

static void init_new_object(api_ctx *c, cJSON *obj)
{
	cJSON *m = json_obj_ensure(obj, "metadata");
	char ts[32];
	obj_timestamp(ts);
	char *uid = server_new_uid(c->s);
	json_replace(m, "uid", cJSON_CreateString(uid));
	free(uid);
	json_replace(m, "creationTimestamp", cJSON_CreateString(ts));
	cJSON_DeleteItemFromObjectCaseSensitive(m, "deletionTimestamp");
	cJSON_DeleteItemFromObjectCaseSensitive(m, "deletionGracePeriodSeconds");
	cJSON_DeleteItemFromObjectCaseSensitive(m, "selfLink");
	if (c->ty->generation)
		json_replace(m, "generation", cJSON_CreateNumber(1));
	else
		cJSON_DeleteItemFromObjectCaseSensitive(m, "generation");
	if (c->ty->has_status && (c->ty->crd || strcmp(c->ty->resource, "namespaces") != 0))
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
	if (!strcmp(c->ty->resource, "namespaces") && !c->ty->group[0]) {
		cJSON *spec = json_obj_ensure(obj, "spec");
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "finalizers");
		cJSON *f = cJSON_AddArrayToObject(spec, "finalizers");
		cJSON_AddItemToArray(f, cJSON_CreateString("kubernetes"));
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
		cJSON *st = cJSON_AddObjectToObject(obj, "status");
		cJSON_AddStringToObject(st, "phase", "Active");
		cJSON *labels = json_obj_ensure(m, "labels");
		json_replace(labels, "kubernetes.io/metadata.name",
			     cJSON_CreateString(json_str(m, "name")));
	}
}

void res_create(api_ctx *c, cJSON *obj, int success_code)
{
	cJSON *m = json_obj_ensure(obj, "metadata");
	const char *name = json_str(m, "name");
	const char *gen = json_str(m, "generateName");
	if (c->ty->namespaced) {
		const char *bns = json_str(m, "namespace");
		if (bns && *bns && c->ns && strcmp(bns, c->ns) != 0) {
			resp_status(c->rs, 400, "BadRequest",
				    "the namespace of the provided object "
				    "does not match the namespace sent on the request",
				    NULL);
			goto out;
		}
		if (!c->ns) {
			resp_status(c->rs, 404, "NotFound",
				    "the server could not find the requested resource", NULL);
			goto out;
		}
		json_replace(m, "namespace", cJSON_CreateString(c->ns));
	} else {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "namespace");
	}
	const char *rv = json_str(m, "resourceVersion");
	if (rv && *rv) {
		resp_status(c->rs, 500, "InternalError",
			    "resourceVersion should not be set on objects to be created", NULL);
		goto out;
	}
	char genbuf[80];
	if ((!name || !*name) && gen && *gen) {
		gen_name(c->s, gen, genbuf, sizeof(genbuf));
		json_replace(m, "name", cJSON_CreateString(genbuf));
		name = json_str(m, "name");
	}
	init_new_object(c, obj);
	defaults_builtin(c->ty, obj);
	if (validate_schema(c, obj, name) < 0)
		goto out;
	if (check_namespace(c, c->ns, name) < 0)
		goto out;
	if (!strcmp(c->ty->resource, "customresourcedefinitions") && c->ty->group[0] &&
	    !strcmp(c->ty->group, "apiextensions.k8s.io"))
		crd_on_write(c->s, obj);
	res_track(c, NULL, obj, NULL);
	char *key = obj_key(c->ty, c->ns, name);
	err e = {0};
	if (c->dry_run) {
		obj_set_rv(obj, 0);
		cJSON_DeleteItemFromObjectCaseSensitive(obj_meta(obj), "resourceVersion");
		free(key);
		res_respond(c, success_code, obj);
		return;
	}
	int64_t rev = store_next_rev(c->s->st);
	obj_set_rv(obj, rev);
	char *txt = obj_print(obj);
	int64_t got = store_create(c->s->st, key, txt, &e);
	if (got < 0) {
		if (!strcmp(e.reason, "Conflict")) {
			char *qr = types_qualified_resource(c->ty);
			resp_statusf(c->rs, 409, "AlreadyExists", resp_details(c->ty, name),
				     "%s \"%s\" already exists", qr, name);
			free(qr);
		} else {
			resp_status(c->rs, 500, "InternalError", e.msg, NULL);
		}
		free(txt);
		free(key);
		goto out;
	}
	watch_emit(c->s, 'A', got, key, txt, NULL);
	sim_note(c->s, c->ty, key);
	if (!strcmp(c->ty->resource, "customresourcedefinitions") &&
	    !strcmp(c->ty->group, "apiextensions.k8s.io"))
		types_add_crd(&c->s->types, obj);
	if (res_owners_gone(c->s, c->ty, obj))
		gc_schedule(c->s);
	free(txt);
	free(key);
	res_respond(c, success_code, obj);
	return;
out:
	cJSON_Delete(obj);
}
