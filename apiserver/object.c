/* object: Kubernetes objects as cJSON: member access, metadata, keys, bounded parsing. */
#include "object.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver.h"
#include "eddy/mem.h"

const char *obj_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON *obj_ensure(cJSON *o, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (cJSON_IsObject(v))
		return v;
	if (v)
		cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	return cJSON_AddObjectToObject(o, k);
}

cJSON *obj_meta(const cJSON *obj)
{
	cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	return cJSON_IsObject(m) ? m : NULL;
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
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
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
	cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "apiVersion");
	if (v)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, "apiVersion", cJSON_CreateString(av));
	else
		cJSON_AddStringToObject(obj, "apiVersion", av);
	free(av);
	if (!cJSON_GetObjectItemCaseSensitive(obj, "kind"))
		cJSON_AddStringToObject(obj, "kind", ty->kind);
}

void obj_set_str(cJSON *o, const char *k, const char *v)
{
	if (cJSON_GetObjectItemCaseSensitive(o, k))
		cJSON_ReplaceItemInObjectCaseSensitive(o, k, cJSON_CreateString(v));
	else
		cJSON_AddStringToObject(o, k, v);
}

void obj_set_num(cJSON *o, const char *k, double v)
{
	if (cJSON_GetObjectItemCaseSensitive(o, k))
		cJSON_ReplaceItemInObjectCaseSensitive(o, k, cJSON_CreateNumber(v));
	else
		cJSON_AddNumberToObject(o, k, v);
}

void obj_set_rv(cJSON *obj, int64_t rev)
{
	char b[32];
	snprintf(b, sizeof(b), "%lld", (long long)rev);
	obj_set_str(obj_ensure(obj, "metadata"), "resourceVersion", b);
}

char *obj_print(const cJSON *o)
{
	char *t = cJSON_PrintUnformatted(o);
	return t ? t : xstrdup("{}");
}

int64_t obj_meta_int(const cJSON *meta, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

bool obj_has_finalizers(const cJSON *obj)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj_meta(obj), "finalizers");
	return cJSON_IsArray(f) && cJSON_GetArraySize(f) > 0;
}

bool obj_has_finalizer(const cJSON *obj, const char *name)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj_meta(obj), "finalizers"), *it;
	cJSON_ArrayForEach(it, f)
		if (cJSON_IsString(it) && !strcmp(it->valuestring, name))
			return true;
	return false;
}

void obj_add_finalizer(cJSON *obj, const char *name)
{
	if (obj_has_finalizer(obj, name))
		return;
	cJSON *m = obj_ensure(obj, "metadata");
	cJSON *f = cJSON_GetObjectItemCaseSensitive(m, "finalizers");
	if (!cJSON_IsArray(f)) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "finalizers");
		f = cJSON_AddArrayToObject(m, "finalizers");
	}
	cJSON_AddItemToArray(f, cJSON_CreateString(name));
}
