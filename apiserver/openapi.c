/* openapi: /openapi/v3 root and per-group-version documents. */
#include "openapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "object.h"
#include "resp.h"

static const char *const objmeta_ref = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/* The package part of a schema name: io.k8s.api.<pkg>.<version> for built-ins,
 * reversed group for CRDs. */
static char *openapi_schema_name(const api_type *ty)
{
	if (ty->crd) {
		buf b;
		buf_init(&b, 4096);
		char *g = xstrdup(ty->group);
		/* reverse the dot-separated labels */
		for (;;) {
			char *dot = strrchr(g, '.');
			if (!dot) {
				buf_adds(&b, g);
				break;
			}
			buf_addf(&b, "%s.", dot + 1);
			*dot = '\0';
		}
		free(g);
		buf_addf(&b, ".%s.%s", ty->version, ty->kind);
		return buf_detach(&b, NULL);
	}
	if (!strcmp(ty->group, "apiextensions.k8s.io"))
		return xasprintf("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.%s.%s",
				 ty->version, ty->kind);
	if (!strcmp(ty->group, "apiregistration.k8s.io"))
		return xasprintf("io.k8s.kube-aggregator.pkg.apis.apiregistration.%s.%s",
				 ty->version, ty->kind);
	const char *g = ty->group[0] ? ty->group : "core";
	const char *dot = strchr(g, '.');
	return xasprintf("io.k8s.api.%.*s.%s.%s", dot ? (int)(dot - g) : (int)strlen(g), g,
			 ty->version, ty->kind);
}

static cJSON *gvk_ext(const api_type *ty)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "group", ty->group);
	cJSON_AddStringToObject(o, "kind", ty->kind);
	cJSON_AddStringToObject(o, "version", ty->version);
	return o;
}

static cJSON *param(const char *name, const char *in, const char *desc, bool required)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "name", name);
	cJSON_AddStringToObject(p, "in", in);
	cJSON_AddStringToObject(p, "description", desc);
	if (required)
		cJSON_AddBoolToObject(p, "required", true);
	cJSON *s = cJSON_AddObjectToObject(p, "schema");
	cJSON_AddStringToObject(s, "type", "string");
	cJSON_AddBoolToObject(s, "uniqueItems", true);
	return p;
}

static cJSON *ref(const char *name)
{
	cJSON *r = cJSON_CreateObject();
	char *t = xasprintf("#/components/schemas/%s", name);
	cJSON_AddStringToObject(r, "$ref", t);
	free(t);
	return r;
}

static cJSON *content_of(const char *schema_name, const char *const *types, size_t n)
{
	cJSON *c = cJSON_CreateObject();
	for (size_t i = 0; i < n; i++) {
		cJSON *m = cJSON_AddObjectToObject(c, types[i]);
		cJSON_AddItemToObject(m, "schema", ref(schema_name));
	}
	return c;
}

static cJSON *op(const api_type *ty, const char *action, const char *opid, const char *schema,
		 bool write, bool patch)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "operationId", opid);
	cJSON *params = cJSON_AddArrayToObject(o, "parameters");
	if (write) {
		cJSON_AddItemToArray(params, param("dryRun", "query",
						   "When present, indicates that "
						   "modifications should not be persisted.",
						   false));
		cJSON_AddItemToArray(params, param("fieldManager", "query",
						   "fieldManager is a name "
						   "associated with the actor or entity that is "
						   "making these changes.",
						   false));
		cJSON_AddItemToArray(params,
				     param("fieldValidation", "query",
					   "fieldValidation "
					   "instructs the server on how to handle objects in "
					   "the request containing unknown or duplicate "
					   "fields.",
					   false));
		static const char *const json[] = {"application/json"};
		static const char *const patches[] = {"application/json-patch+json",
						      "application/merge-patch+json",
						      "application/apply-patch+yaml"};
		cJSON *rb = cJSON_AddObjectToObject(o, "requestBody");
		if (patch) {
			cJSON_AddItemToArray(params, param("force", "query", "Force is going to "
							   "\"force\" Apply requests.", false));
			cJSON *s = cJSON_CreateObject();
			cJSON_AddStringToObject(s, "type", "object");
			cJSON *c = cJSON_AddObjectToObject(rb, "content");
			for (size_t i = 0; i < 3; i++) {
				cJSON *m = cJSON_AddObjectToObject(c, patches[i]);
				cJSON_AddItemToObject(m, "schema", cJSON_Duplicate(s, 1));
			}
			cJSON_Delete(s);
		} else {
			cJSON_AddItemToObject(rb, "content", content_of(schema, json, 1));
		}
		cJSON_AddBoolToObject(rb, "required", true);
	}
	cJSON *resp = cJSON_AddObjectToObject(o, "responses");
	static const char *const out[] = {"application/json", "application/yaml"};
	cJSON *ok = cJSON_AddObjectToObject(resp, "200");
	cJSON_AddStringToObject(ok, "description", "OK");
	cJSON_AddItemToObject(ok, "content", content_of(schema, out, 2));
	cJSON_AddStringToObject(o, "x-kubernetes-action", action);
	cJSON_AddItemToObject(o, "x-kubernetes-group-version-kind", gvk_ext(ty));
	return o;
}

static cJSON *objmeta_schema(void)
{
	const char *t =
	    "{\"description\":\"ObjectMeta is metadata that all persisted resources must have, "
	    "which includes all objects users must create.\",\"type\":\"object\",\"properties\":{"
	    "\"annotations\":{\"description\":\"Annotations is an unstructured key value map.\","
	    "\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\",\"default\":\"\"}},"
	    "\"creationTimestamp\":{\"description\":\"CreationTimestamp is a timestamp "
	    "representing the server time when this object was created.\",\"type\":\"string\","
	    "\"format\":\"date-time\"},"
	    "\"deletionGracePeriodSeconds\":{\"type\":\"integer\",\"format\":\"int64\"},"
	    "\"deletionTimestamp\":{\"type\":\"string\",\"format\":\"date-time\"},"
	    "\"finalizers\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"default\":\"\"},"
	    "\"x-kubernetes-list-type\":\"set\",\"x-kubernetes-patch-strategy\":\"merge\"},"
	    "\"generateName\":{\"type\":\"string\"},"
	    "\"generation\":{\"type\":\"integer\",\"format\":\"int64\"},"
	    "\"labels\":{\"description\":\"Map of string keys and values that can be used to "
	    "organize and categorize (scope and select) objects.\",\"type\":\"object\","
	    "\"additionalProperties\":{\"type\":\"string\",\"default\":\"\"}},"
	    "\"managedFields\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	    "\"x-kubernetes-preserve-unknown-fields\":true},\"x-kubernetes-list-type\":\"atomic\"},"
	    "\"name\":{\"description\":\"Name must be unique within a namespace.\",\"type\":"
	    "\"string\"},\"namespace\":{\"description\":\"Namespace defines the space within which "
	    "each name must be unique.\",\"type\":\"string\"},"
	    "\"ownerReferences\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	    "\"x-kubernetes-preserve-unknown-fields\":true},\"x-kubernetes-list-type\":\"map\","
	    "\"x-kubernetes-list-map-keys\":[\"uid\"],\"x-kubernetes-patch-merge-key\":\"uid\","
	    "\"x-kubernetes-patch-strategy\":\"merge\"},"
	    "\"resourceVersion\":{\"type\":\"string\"},\"selfLink\":{\"type\":\"string\"},"
	    "\"uid\":{\"type\":\"string\"}}}";
	return cJSON_Parse(t);
}

/* The schema of a type: the CRD's (metadata replaced by a reference) or a modest one. */
static cJSON *type_schema(const api_type *ty)
{
	cJSON *s;
	if (ty->schema) {
		s = cJSON_Duplicate(ty->schema, 1);
		cJSON *props = json_obj_ensure(s, "properties");
		cJSON_DeleteItemFromObjectCaseSensitive(props, "metadata");
		cJSON *m = cJSON_AddObjectToObject(props, "metadata");
		cJSON *all = cJSON_AddArrayToObject(m, "allOf");
		cJSON_AddItemToArray(all, ref(objmeta_ref));
		cJSON_AddStringToObject(m, "description", "Standard object's metadata.");
		if (!cJSON_GetObjectItemCaseSensitive(props, "apiVersion")) {
			cJSON *a = cJSON_AddObjectToObject(props, "apiVersion");
			cJSON_AddStringToObject(a, "type", "string");
		}
		if (!cJSON_GetObjectItemCaseSensitive(props, "kind")) {
			cJSON *a = cJSON_AddObjectToObject(props, "kind");
			cJSON_AddStringToObject(a, "type", "string");
		}
	} else {
		s = cJSON_CreateObject();
		char *d = xasprintf("%s is a Kubernetes %s object (schema not modelled by "
				    "eddy-apiserver).", ty->kind, ty->kind);
		cJSON_AddStringToObject(s, "description", d);
		free(d);
		cJSON_AddStringToObject(s, "type", "object");
		cJSON *props = cJSON_AddObjectToObject(s, "properties");
		cJSON *a = cJSON_AddObjectToObject(props, "apiVersion");
		cJSON_AddStringToObject(a, "description", "APIVersion defines the versioned schema "
					"of this representation of an object.");
		cJSON_AddStringToObject(a, "type", "string");
		cJSON *k = cJSON_AddObjectToObject(props, "kind");
		cJSON_AddStringToObject(k, "description", "Kind is a string value representing the "
					"REST resource this object represents.");
		cJSON_AddStringToObject(k, "type", "string");
		cJSON *m = cJSON_AddObjectToObject(props, "metadata");
		cJSON_AddStringToObject(m, "description", "Standard object's metadata.");
		cJSON *all = cJSON_AddArrayToObject(m, "allOf");
		cJSON_AddItemToArray(all, ref(objmeta_ref));
		static const char *const bodies[] = {"spec", "status", "data", "binaryData",
						     "stringData", "type", "rules", "subjects",
						     "roleRef", "webhooks", "immutable"};
		for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
			cJSON *b = cJSON_AddObjectToObject(props, bodies[i]);
			if (!strcmp(bodies[i], "type")) {
				cJSON_AddStringToObject(b, "type", "string");
			} else if (!strcmp(bodies[i], "immutable")) {
				cJSON_AddStringToObject(b, "type", "boolean");
			} else if (!strcmp(bodies[i], "rules") || !strcmp(bodies[i], "subjects") ||
				   !strcmp(bodies[i], "webhooks")) {
				cJSON_AddStringToObject(b, "type", "array");
				cJSON *it = cJSON_AddObjectToObject(b, "items");
				cJSON_AddStringToObject(it, "type", "object");
				cJSON_AddBoolToObject(it, "x-kubernetes-preserve-unknown-fields",
						      true);
			} else {
				cJSON_AddStringToObject(b, "type", "object");
				cJSON_AddBoolToObject(b, "x-kubernetes-preserve-unknown-fields",
						      true);
			}
		}
	}
	cJSON *g = cJSON_AddArrayToObject(s, "x-kubernetes-group-version-kind");
	cJSON_AddItemToArray(g, gvk_ext(ty));
	return s;
}

static cJSON *gv_document(apiserver *s, const char *group, const char *version)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "openapi", "3.0.0");
	cJSON *info = cJSON_AddObjectToObject(doc, "info");
	cJSON_AddStringToObject(info, "title", "Kubernetes");
	cJSON_AddStringToObject(info, "version", "v1.33.0");
	cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
	cJSON *comps = cJSON_AddObjectToObject(doc, "components");
	cJSON *schemas = cJSON_AddObjectToObject(comps, "schemas");
	cJSON_AddItemToObject(schemas, objmeta_ref, objmeta_schema());
	int found = 0;
	for (size_t i = 0; i < s->types.n; i++) {
		api_type *ty = s->types.v[i];
		if (strcmp(ty->group, group) != 0 || strcmp(ty->version, version) != 0)
			continue;
		found++;
		char *sn = openapi_schema_name(ty);
		if (!cJSON_GetObjectItemCaseSensitive(schemas, sn))
			cJSON_AddItemToObject(schemas, sn, type_schema(ty));
		char *base = group[0] ? xasprintf("/apis/%s/%s", group, version)
				      : xasprintf("/api/%s", version);
		char *coll = ty->namespaced ? xasprintf("%s/namespaces/{namespace}/%s", base,
							ty->resource)
					    : xasprintf("%s/%s", base, ty->resource);
		char *item = xasprintf("%s/{name}", coll);
		cJSON *pi = cJSON_AddObjectToObject(paths, item);
		char *id;
		if (ty->verbs & VERB_GET) {
			id = xasprintf("read%s", ty->kind);
			cJSON_AddItemToObject(pi, "get", op(ty, "get", id, sn, false, false));
			free(id);
		}
		if (ty->verbs & VERB_UPDATE) {
			id = xasprintf("replace%s", ty->kind);
			cJSON_AddItemToObject(pi, "put", op(ty, "put", id, sn, true, false));
			free(id);
		}
		if (ty->verbs & VERB_PATCH) {
			id = xasprintf("patch%s", ty->kind);
			cJSON_AddItemToObject(pi, "patch", op(ty, "patch", id, sn, true, true));
			free(id);
		}
		if (ty->verbs & VERB_DELETE) {
			id = xasprintf("delete%s", ty->kind);
			cJSON_AddItemToObject(pi, "delete", op(ty, "delete", id, sn, false, false));
			free(id);
		}
		cJSON *pc = cJSON_AddObjectToObject(paths, coll);
		if (ty->verbs & VERB_LIST) {
			id = xasprintf("list%s", ty->kind);
			cJSON_AddItemToObject(pc, "get", op(ty, "list", id, sn, false, false));
			free(id);
		}
		if (ty->verbs & VERB_CREATE) {
			id = xasprintf("create%s", ty->kind);
			cJSON_AddItemToObject(pc, "post", op(ty, "post", id, sn, true, false));
			free(id);
		}
		if (ty->has_status) {
			char *sp = xasprintf("%s/status", item);
			cJSON *ps = cJSON_AddObjectToObject(paths, sp);
			id = xasprintf("patch%sStatus", ty->kind);
			cJSON_AddItemToObject(ps, "patch", op(ty, "patch", id, sn, true, true));
			free(id);
			free(sp);
		}
		free(base);
		free(coll);
		free(item);
		free(sn);
	}
	if (!found) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* A hash for a group-version: changes whenever its types change. */
static uint64_t gv_hash(apiserver *s, const char *group, const char *version)
{
	uint64_t h = fnv(group) ^ (fnv(version) << 1);
	for (size_t i = 0; i < s->types.n; i++) {
		api_type *ty = s->types.v[i];
		if (strcmp(ty->group, group) != 0 || strcmp(ty->version, version) != 0)
			continue;
		h = h * 31 + fnv(ty->resource);
		if (ty->schema) {
			char *t = cJSON_PrintUnformatted(ty->schema);
			h = h * 31 + fnv(t ? t : "");
			free(t);
		}
		if (ty->columns) {
			char *t = cJSON_PrintUnformatted(ty->columns);
			h = h * 31 + fnv(t ? t : "");
			free(t);
		}
	}
	return h;
}

void openapi_handle(api_ctx *c, const char *path)
{
	apiserver *s = c->s;
	if (!strcmp(path, "/openapi/v3") || !strcmp(path, "/openapi/v3/")) {
		cJSON *root = cJSON_CreateObject();
		cJSON *paths = cJSON_AddObjectToObject(root, "paths");
		for (size_t i = 0; i < s->types.n; i++) {
			api_type *ty = s->types.v[i];
			char *key = ty->group[0] ? xasprintf("apis/%s/%s", ty->group, ty->version)
						 : xasprintf("api/%s", ty->version);
			if (!cJSON_GetObjectItemCaseSensitive(paths, key)) {
				cJSON *e = cJSON_AddObjectToObject(paths, key);
				char *url = xasprintf("/openapi/v3/%s?hash=%016llX", key,
						      (unsigned long long)gv_hash(s, ty->group,
										  ty->version));
				cJSON_AddStringToObject(e, "serverRelativeURL", url);
				free(url);
			}
			free(key);
		}
		resp_json(c->rs, 200, root);
		return;
	}
	if (strncmp(path, "/openapi/v3/", 12) != 0) {
		c->rs->code = 404;
		c->rs->content_type = "text/plain; charset=utf-8";
		buf_adds(&c->rs->body, "404 page not found\n");
		return;
	}
	const char *rest = path + 12;
	char *copy = xstrdup(rest), *save = NULL;
	const char *a = strtok_r(copy, "/", &save);
	const char *b = a ? strtok_r(NULL, "/", &save) : NULL;
	const char *d = b ? strtok_r(NULL, "/", &save) : NULL;
	cJSON *doc = NULL;
	if (a && b && !strcmp(a, "api") && !d)
		doc = gv_document(s, "", b);
	else if (a && b && d && !strcmp(a, "apis"))
		doc = gv_document(s, b, d);
	free(copy);
	if (!doc) {
		c->rs->code = 404;
		c->rs->content_type = "text/plain; charset=utf-8";
		buf_adds(&c->rs->body, "404 page not found\n");
		return;
	}
	resp_json(c->rs, 200, doc);
}
