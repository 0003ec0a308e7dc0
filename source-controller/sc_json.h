/* Small cJSON and string helpers of source-controller (internal); the JSON accessors and Go
 * durations themselves are libcommon's (eddy/json.h, eddy/clock.h). */
#ifndef SC_JSON_H
#define SC_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "eddy/clock.h"
#include "eddy/json.h"

static inline bool json_eq(const cJSON *a, const cJSON *b)
{
	bool ea = !a || cJSON_IsNull(a) || (cJSON_IsArray(a) && !cJSON_GetArraySize(a));
	bool eb = !b || cJSON_IsNull(b) || (cJSON_IsArray(b) && !cJSON_GetArraySize(b));
	if (ea || eb)
		return ea && eb;
	return cJSON_Compare(a, b, 1);
}

static inline bool str_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static inline int64_t parse_dur_ms(const char *s, int64_t def)
{
	int64_t ns;
	if (!s || godur_parse(s, &ns, NULL) < 0 || ns <= 0)
		return def;
	return ns / 1000000;
}

#endif
