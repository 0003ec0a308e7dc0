/* json: cJSON object accessors (see json.h). */
#include "eddy/json.h"

#include <string.h>

cJSON *json_get(const cJSON *o, const char *k)
{
	if (!cJSON_IsObject(o) || !k)
		return NULL;
	for (cJSON *c = o->child; c; c = c->next)
		if (c->string && strcmp(c->string, k) == 0)
			return c;
	return NULL;
}

const char *json_str(const cJSON *o, const char *k)
{
	const cJSON *v = json_get(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *json_nonempty(const cJSON *o, const char *k)
{
	const char *s = json_str(o, k);
	return s && *s ? s : NULL;
}

const char *json_str_or(const cJSON *o, const char *k, const char *def)
{
	const char *s = json_str(o, k);
	return s ? s : def;
}

cJSON *json_obj(const cJSON *o, const char *k)
{
	cJSON *v = json_get(o, k);
	return cJSON_IsObject(v) ? v : NULL;
}

cJSON *json_arr(const cJSON *o, const char *k)
{
	cJSON *v = json_get(o, k);
	return cJSON_IsArray(v) ? v : NULL;
}

double json_num_or(const cJSON *o, const char *k, double def)
{
	const cJSON *v = json_get(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

bool json_true(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(json_get(o, k));
}

void json_del(cJSON *o, const char *k)
{
	if (cJSON_IsObject(o) && k)
		cJSON_DeleteItemFromObjectCaseSensitive(o, k);
}

cJSON *json_obj_ensure(cJSON *o, const char *k)
{
	cJSON *v = json_get(o, k);
	if (!cJSON_IsObject(v)) {
		json_del(o, k);
		v = cJSON_AddObjectToObject(o, k);
	}
	return v;
}

cJSON *json_arr_ensure(cJSON *o, const char *k)
{
	cJSON *v = json_get(o, k);
	if (!cJSON_IsArray(v)) {
		json_del(o, k);
		v = cJSON_AddArrayToObject(o, k);
	}
	return v;
}

void json_set(cJSON *o, const char *k, cJSON *item)
{
	json_del(o, k);
	if (item)
		cJSON_AddItemToObject(o, k, item);
}

void json_replace(cJSON *o, const char *k, cJSON *item)
{
	if (json_get(o, k))
		cJSON_ReplaceItemInObjectCaseSensitive(o, k, item);
	else
		cJSON_AddItemToObject(o, k, item);
}

void json_set_str(cJSON *o, const char *k, const char *v)
{
	json_del(o, k);
	if (v)
		cJSON_AddStringToObject(o, k, v);
}

bool json_equal(const cJSON *a, const cJSON *b)
{
	if (!a || !b)
		return !a && !b;
	return cJSON_Compare(a, b, true);
}
