/* kustomize's `openapi:` field: a custom OpenAPI (swagger 2 style) schema document whose
 * definitions, found by their x-kubernetes-group-version-kind, give the strategic merge patch
 * strategies and merge keys of custom resources. kustomize sets the schema once per build
 * (the top kustomization's, else the first one met) and then uses it for every kind, the
 * built-in Kubernetes ones included. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/json.h"
#include "eddy/mem.h"
#include "kz_int.h"

enum { OA_MAX_DEPTH = 64, OA_MAX_NODES = 200000 };

static bool gvk_match(const cJSON *def, const char *g, const char *v, const char *k)
{
	const cJSON *l = json_get(def, "x-kubernetes-group-version-kind"), *it;
	cJSON_ArrayForEach(it, l) {
		const cJSON *ig = json_get(it, "group"), *iv = json_get(it, "version");
		const cJSON *ik = json_get(it, "kind");
		if (cJSON_IsString(ik) && !strcmp(ik->valuestring, k) && cJSON_IsString(iv) &&
		    !strcmp(iv->valuestring, v) &&
		    !strcmp(cJSON_IsString(ig) ? ig->valuestring : "", g))
			return true;
	}
	return false;
}

/* A copy of n with "$ref": "#/definitions/X" replaced by (a copy of) X, depth-limited. */
static cJSON *resolve(const cJSON *defs, const cJSON *n, int depth, size_t *budget)
{
	if (depth > OA_MAX_DEPTH || *budget == 0)
		return cJSON_CreateObject();
	(*budget)--;
	if (cJSON_IsObject(n)) {
		const cJSON *ref = json_get(n, "$ref");
		if (cJSON_IsString(ref) && !strncmp(ref->valuestring, "#/definitions/", 14)) {
			const cJSON *t = json_get(defs, ref->valuestring + 14);
			return t ? resolve(defs, t, depth + 1, budget) : cJSON_CreateObject();
		}
		cJSON *o = cJSON_CreateObject();
		const cJSON *c;
		cJSON_ArrayForEach(c, n)
			cJSON_AddItemToObject(o, c->string, resolve(defs, c, depth + 1, budget));
		return o;
	}
	if (cJSON_IsArray(n)) {
		cJSON *a = cJSON_CreateArray();
		const cJSON *c;
		cJSON_ArrayForEach(c, n)
			cJSON_AddItemToArray(a, resolve(defs, c, depth + 1, budget));
		return a;
	}
	return cJSON_Duplicate(n, false);
}

const cJSON *kz_openapi_schema(kz_ctx *c, const char *api_version, const char *kind)
{
	char g[256], v[128];
	kz_split_apiversion(api_version, g, sizeof g, v, sizeof v);
	char *key = xasprintf("%s/%s/%s", g, v, kind);
	if (!c->openapi_cache)
		c->openapi_cache = cJSON_CreateObject();
	const cJSON *hit = json_get(c->openapi_cache, key);
	if (!hit) {
		const cJSON *defs = json_get(c->openapi_doc, "definitions"), *d, *found = NULL;
		cJSON_ArrayForEach(d, defs)
			if (!found && gvk_match(d, g, v, kind))
				found = d;
		size_t budget = OA_MAX_NODES;
		cJSON *sch = found ? resolve(defs, found, 0, &budget) : cJSON_CreateNull();
		cJSON_AddItemToObject(c->openapi_cache, key, sch);
		hit = sch;
	}
	free(key);
	return cJSON_IsObject(hit) ? hit : NULL;
}
