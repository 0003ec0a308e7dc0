/* kube: API errors, Status answers mapped to err values and kinds (eddy/kube.h). */
#include "kube_internal.h"
#include "eddy/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ errors */

static const struct {
	const char *reason;
	kube_errkind kind;
} reason_kinds[] = {
	{"NotFound", KUBE_ENOTFOUND},
	{"AlreadyExists", KUBE_EALREADYEXISTS},
	{"Conflict", KUBE_ECONFLICT},
	{"Expired", KUBE_EGONE},
	{"Gone", KUBE_EGONE},
	{"Invalid", KUBE_EINVALID},
	{"Forbidden", KUBE_EFORBIDDEN},
	{"Unauthorized", KUBE_EUNAUTHORIZED},
	{"Timeout", KUBE_ETIMEOUT},
	{"ServerTimeout", KUBE_ETIMEOUT},
	{"TooManyRequests", KUBE_ETIMEOUT},
	{"ServiceUnavailable", KUBE_ETIMEOUT},
	{"BadRequest", KUBE_EBADREQUEST},
	{R_TRANSPORT, KUBE_ETRANSPORT},
};

kube_errkind kube_errkind_of(const err *e)
{
	if (!err_is_set(e))
		return KUBE_OK;
	for (size_t i = 0; i < sizeof reason_kinds / sizeof reason_kinds[0]; i++)
		if (!strcmp(e->reason, reason_kinds[i].reason))
			return reason_kinds[i].kind;
	return KUBE_EOTHER;
}

const char *kube_errkind_name(kube_errkind k)
{
	static const char *const names[] = {"OK", "NotFound", "AlreadyExists", "Conflict", "Gone",
		"Invalid", "Forbidden", "Unauthorized", "Timeout", "BadRequest", "Transport", "Other"};
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "Other";
}

static const char *reason_for_code(long code)
{
	switch (code) {
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 406: return "NotAcceptable";
	case 409: return "Conflict";
	case 410: return "Expired";
	case 413: return "RequestEntityTooLarge";
	case 415: return "UnsupportedMediaType";
	case 422: return "Invalid";
	case 429: return "TooManyRequests";
	case 500: return "InternalError";
	case 503: return "ServiceUnavailable";
	case 504: return "Timeout";
	default: return "Unknown";
	}
}

void kube_err_from_status(err *e, long code, const char *body, size_t len)
{
	cJSON *st = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	const char *reason = NULL, *msg = NULL;
	if (cJSON_IsObject(st)) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(st, "reason");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(st, "message");
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(st, "code");
		if (cJSON_IsString(r) && *r->valuestring)
			reason = r->valuestring;
		if (cJSON_IsString(m))
			msg = m->valuestring;
		if (cJSON_IsNumber(c) && c->valuedouble >= 100 && c->valuedouble < 600 && !code)
			code = (long)c->valuedouble;
	}
	if (!reason)
		reason = reason_for_code(code);
	/* 410 with reason Gone is the same thing as Expired for callers */
	if (code == 410 && strcmp(reason, "Expired") && strcmp(reason, "Gone"))
		reason = "Expired";
	if (msg)
		err_fail(e, reason, "%s", msg);
	else if (body && len && len < 512 && !cJSON_IsObject(st))
		err_fail(e, reason, "the server responded with %ld: %.*s", code, (int)len, body);
	else
		err_fail(e, reason, "the server responded with status %ld", code);
	cJSON_Delete(st);
}
