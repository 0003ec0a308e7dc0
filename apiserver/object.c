/* object: Kubernetes objects as cJSON: member access, metadata, keys, bounded parsing. */
#include "object.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver.h"
#include "eddy/clock.h"
#include "eddy/mem.h"

cJSON *obj_meta(const cJSON *obj)
{
	return json_obj(obj, "metadata");
}

static int json_depth_ok(const char *t, size_t n)
{
	int depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[') {
			if (++depth > API_MAX_JSON_DEPTH)
				return 0;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return 1;
}

cJSON *obj_parse(const char *text, size_t len, err *e)
{
	if (len > API_MAX_BODY) {
		err_fail(e, "RequestEntityTooLarge", "request body too large");
		return NULL;
	}
	if (!json_depth_ok(text, len)) {
		err_fail(e, "BadRequest", "json nesting too deep");
		return NULL;
	}
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!j) {
		size_t off = end && end >= text ? (size_t)(end - text) : 0;
		err_fail(e, "BadRequest",
			 "invalid character at offset %zu looking for beginning of "
			 "value",
			 off);
		return NULL;
	}
	return j;
}

void obj_timestamp(char out[32])
{
	clock_rfc3339_now(out, 32, 0);
}

char *obj_key(const api_type *ty, const char *ns, const char *name)
{
	const char *g = ty->group[0] ? ty->group : "core";
	if (ty->namespaced)
		return xasprintf("/%s/%s/%s/%s", g, ty->resource, ns ? ns : "", name ? name : "");
	return xasprintf("/%s/%s/%s", g, ty->resource, name ? name : "");
}

void obj_set_version(cJSON *obj, const api_type *ty)
{
	char *av = types_api_version(ty);
	json_replace(obj, "apiVersion", cJSON_CreateString(av));
	free(av);
	if (!json_get(obj, "kind"))
		cJSON_AddStringToObject(obj, "kind", ty->kind);
}

void obj_set_rv(cJSON *obj, int64_t rev)
{
	char b[32];
	snprintf(b, sizeof(b), "%lld", (long long)rev);
	json_replace(json_obj_ensure(obj, "metadata"), "resourceVersion", cJSON_CreateString(b));
}

char *obj_print(const cJSON *o)
{
	char *t = cJSON_PrintUnformatted(o);
	return t ? t : xstrdup("{}");
}

int64_t obj_meta_int(const cJSON *meta, const char *k)
{
	const cJSON *v = json_get(meta, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

bool obj_has_finalizers(const cJSON *obj)
{
	const cJSON *f = json_get(obj_meta(obj), "finalizers");
	return cJSON_IsArray(f) && cJSON_GetArraySize(f) > 0;
}

bool obj_has_finalizer(const cJSON *obj, const char *name)
{
	const cJSON *f = json_get(obj_meta(obj), "finalizers"), *it;
	cJSON_ArrayForEach(it, f)
		if (cJSON_IsString(it) && !strcmp(it->valuestring, name))
			return true;
	return false;
}

void obj_add_finalizer(cJSON *obj, const char *name)
{
	if (obj_has_finalizer(obj, name))
		return;
	cJSON *f = json_arr_ensure(json_obj_ensure(obj, "metadata"), "finalizers");
	cJSON_AddItemToArray(f, cJSON_CreateString(name));
}

void obj_remove_finalizer(cJSON *obj, const char *name)
{
	cJSON *m = obj_meta(obj), *arr = json_get(m, "finalizers");
	int i = 0;
	cJSON *it = arr ? arr->child : NULL;
	while (it) {
		cJSON *next = it->next;
		if (cJSON_IsString(it) && !strcmp(it->valuestring, name))
			cJSON_DeleteItemFromArray(arr, i);
		else
			i++;
		it = next;
	}
	if (arr && cJSON_GetArraySize(arr) == 0)
		json_del(m, "finalizers");
}
