/* resp: JSON bodies and metav1.Status answers. */
#include "resp.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "object.h"

/* ---- responses ---- */

void api_resp_init(api_resp *rs)
{
	memset(rs, 0, sizeof(*rs));
	buf_init(&rs->body, (size_t)1 << 30);
}

void api_resp_release(api_resp *rs)
{
	buf_release(&rs->body);
	free(rs->warning);
	rs->warning = NULL;
}

void resp_json(api_resp *rs, int code, cJSON *obj)
{
	char *t = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	buf_reset(&rs->body);
	buf_adds(&rs->body, t ? t : "{}");
	free(t);
	rs->code = code;
	rs->content_type = "application/json";
}

void resp_status(api_resp *rs, int code, const char *reason, const char *msg, cJSON *details)
{
	cJSON *st = cJSON_CreateObject();
	cJSON_AddStringToObject(st, "kind", "Status");
	cJSON_AddStringToObject(st, "apiVersion", "v1");
	cJSON_AddObjectToObject(st, "metadata");
	cJSON_AddStringToObject(st, "status", code < 300 ? "Success" : "Failure");
	if (msg)
		cJSON_AddStringToObject(st, "message", msg);
	if (reason && *reason)
		cJSON_AddStringToObject(st, "reason", reason);
	if (details)
		cJSON_AddItemToObject(st, "details", details);
	cJSON_AddNumberToObject(st, "code", code);
	resp_json(rs, code, st);
}

void resp_statusf(api_resp *rs, int code, const char *reason, cJSON *details, const char *fmt,
                  ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	resp_status(rs, code, reason, m, details);
	free(m);
}

cJSON *resp_details(const api_type *ty, const char *name)
{
	cJSON *d = cJSON_CreateObject();
	if (name)
		cJSON_AddStringToObject(d, "name", name);
	if (ty && ty->group[0])
		cJSON_AddStringToObject(d, "group", ty->group);
	if (ty)
		cJSON_AddStringToObject(d, "kind", ty->resource);
	return d;
}

void resp_not_found(api_resp *rs, const api_type *ty, const char *name)
{
	char *qr = types_qualified_resource(ty);
	resp_statusf(rs, 404, "NotFound", resp_details(ty, name), "%s \"%s\" not found", qr,
		     name);
	free(qr);
}

cJSON *resp_cause(const char *reason, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddStringToObject(c, "message", m);
	cJSON_AddStringToObject(c, "field", field);
	free(m);
	return c;
}

/* 422 Invalid with causes (taken). */
void resp_invalid(api_resp *rs, const api_type *ty, const char *name, cJSON *causes)
{
	char *qk = types_qualified_kind(ty);
	buf m;
	buf_init(&m, 1 << 20);
	buf_addf(&m, "%s \"%s\" is invalid: ", qk, name ? name : "");
	int n = cJSON_GetArraySize(causes);
	if (n > 1)
		buf_addc(&m, '[');
	int i = 0;
	cJSON *it;
	cJSON_ArrayForEach(it, causes) {
		if (i++)
			buf_adds(&m, ", ");
		const char *f = json_str(it, "field");
		if (f && *f)
			buf_addf(&m, "%s: ", f);
		buf_adds(&m, json_str(it, "message") ? json_str(it, "message") : "");
	}
	if (n > 1)
		buf_addc(&m, ']');
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "name", name ? name : "");
	if (ty->group[0])
		cJSON_AddStringToObject(d, "group", ty->group);
	cJSON_AddStringToObject(d, "kind", ty->kind);
	cJSON_AddItemToObject(d, "causes", causes);
	resp_status(rs, 422, "Invalid", buf_str(&m), d);
	buf_release(&m);
	free(qk);
}
