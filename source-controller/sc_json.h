/* Small cJSON and string helpers of source-controller (internal). Copies of helpers that
 * libcommon is getting shared versions of (JSON accessors, Go durations): replace them with
 * those once they land. */
#ifndef SC_JSON_H
#define SC_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "eddy/app.h"

static inline const cJSON *jget(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static inline const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = jget(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static inline void jset_str(cJSON *o, const char *k, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	if (v)
		cJSON_AddStringToObject(o, k, v);
}

static inline void jset(cJSON *o, const char *k, cJSON *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	if (v)
		cJSON_AddItemToObject(o, k, v);
}

static inline bool json_eq(const cJSON *a, const cJSON *b)
{
	bool ea = !a || cJSON_IsNull(a) || (cJSON_IsArray(a) && !cJSON_GetArraySize(a));
	bool eb = !b || cJSON_IsNull(b) || (cJSON_IsArray(b) && !cJSON_GetArraySize(b));
	if (ea || eb)
		return ea && eb;
	return cJSON_Compare(a, b, 1);
}

static inline const char *str_or(const char *s)
{
	return s ? s : "";
}

static inline bool str_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static inline int64_t parse_dur_ms(const char *s, int64_t def)
{
	int64_t ns;
	if (!s || app_parse_duration(s, &ns, NULL) < 0 || ns <= 0)
		return def;
	return ns / 1000000;
}


#endif
