/* resp: filling an api_resp: JSON bodies and metav1.Status answers (with details and causes). */
#ifndef APISERVER_RESP_H
#define APISERVER_RESP_H

#include <cjson/cJSON.h>

#include "apiserver.h"
#include "types.h"

/* Answer code with obj as the JSON body (takes obj). */
void resp_json(api_resp *rs, int code, cJSON *obj);
/* Answer a Status (Success below 300, else Failure); details is taken (may be NULL). */
void resp_status(api_resp *rs, int code, const char *reason, const char *msg, cJSON *details);
void resp_statusf(api_resp *rs, int code, const char *reason, cJSON *details, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));
/* Status details {name, group, kind: resource} for ty (may be NULL) and name (may be NULL). */
cJSON *resp_details(const api_type *ty, const char *name);
/* 404 NotFound: `<resource>[.<group>] "name" not found`. */
void resp_not_found(api_resp *rs, const api_type *ty, const char *name);
/* One cause {reason, message, field} for a Status' details. */
cJSON *resp_cause(const char *reason, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* 422 Invalid with causes (a JSON array, taken). */
void resp_invalid(api_resp *rs, const api_type *ty, const char *name, cJSON *causes);

#endif
