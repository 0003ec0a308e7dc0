/* kube: accessors for an object's metadata (eddy/kube.h). */
#include "kube_internal.h"
#include "eddy/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *kube_obj_str(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b)
		x = cJSON_GetObjectItemCaseSensitive(x, b);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

const char *kube_obj_name(const cJSON *o) { return kube_obj_str(o, "metadata", "name"); }
const char *kube_obj_namespace(const cJSON *o) { return kube_obj_str(o, "metadata", "namespace"); }
const char *kube_obj_rv(const cJSON *o) { return kube_obj_str(o, "metadata", "resourceVersion"); }
const char *kube_obj_uid(const cJSON *o) { return kube_obj_str(o, "metadata", "uid"); }

const char *kube_obj_annotation(const cJSON *o, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "annotations");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *kube_obj_label(const cJSON *o, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "labels");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int64_t kube_obj_generation(const cJSON *o)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(m, "generation");
	return cJSON_IsNumber(g) ? (int64_t)g->valuedouble : 0;
}

/* Resolves the object's type and namespace. */
