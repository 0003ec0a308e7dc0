/* table: meta.k8s.io/v1 Table output for kubectl get, printer columns, a JSONPath subset. */
#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eddy/clock.h"
#include "eddy/mem.h"
#include "object.h"

bool table_wanted(const char *accept)
{
	return accept && strstr(accept, "as=Table") != NULL;
}

void table_age(int64_t d, char out[32])
{
	if (d < -1) {
		snprintf(out, 32, "<invalid>");
		return;
	}
	if (d < 0)
		d = 0;
	if (d < 120) {
		snprintf(out, 32, "%llds", (long long)d);
	} else if (d < 600) {
		long long m = d / 60, s = d % 60;
		if (s)
			snprintf(out, 32, "%lldm%llds", m, s);
		else
			snprintf(out, 32, "%lldm", m);
	} else if (d < 3 * 3600) {
		snprintf(out, 32, "%lldm", (long long)(d / 60));
	} else if (d < 8 * 3600) {
		long long h = d / 3600, m = (d % 3600) / 60;
		if (m)
			snprintf(out, 32, "%lldh%lldm", h, m);
		else
			snprintf(out, 32, "%lldh", h);
	} else if (d < 48 * 3600) {
		snprintf(out, 32, "%lldh", (long long)(d / 3600));
	} else if (d < 8 * 86400) {
		long long dd = d / 86400, h = (d % 86400) / 3600;
		if (h)
			snprintf(out, 32, "%lldd%lldh", dd, h);
		else
			snprintf(out, 32, "%lldd", dd);
	} else if (d < 2 * 365 * 86400LL) {
		snprintf(out, 32, "%lldd", (long long)(d / 86400));
	} else if (d < 8 * 365 * 86400LL) {
		long long y = d / (365 * 86400LL), dd = (d % (365 * 86400LL)) / 86400;
		if (dd)
			snprintf(out, 32, "%lldy%lldd", y, dd);
		else
			snprintf(out, 32, "%lldy", y);
	} else {
		snprintf(out, 32, "%lldy", (long long)(d / (365 * 86400LL)));
	}
}

static int64_t parse_time(const char *s)
{
	struct tm tm = {0};
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return -1;
	return (int64_t)timegm(&tm);
}

/* ---- JSONPath subset: .a.b, [n], [*], ['k'], [?(@.f=="v")] ---- */

enum { JP_MAX = 64 };

typedef struct jp_set {
	const cJSON *v[JP_MAX];
	size_t n;
} jp_set;

static void jp_add(jp_set *s, const cJSON *v)
{
	if (v && s->n < JP_MAX)
		s->v[s->n++] = v;
}

static int jp_step_field(jp_set *cur, const char *name, size_t n)
{
	jp_set next = {.n = 0};
	char *k = xstrndup(name, n);
	for (size_t i = 0; i < cur->n; i++)
		if (cJSON_IsObject(cur->v[i]))
			jp_add(&next, cJSON_GetObjectItemCaseSensitive(cur->v[i], k));
	free(k);
	*cur = next;
	return 0;
}

static bool filter_match(const cJSON *item, const char *expr)
{
	/* expr: @.a.b=="v" or @.a.b=='v' or @.a.b (exists) or @.a!="v" */
	if (strncmp(expr, "@.", 2) != 0)
		return false;
	const char *p = expr + 2;
	const char *op = strstr(p, "==");
	const char *ne = strstr(p, "!=");
	bool negate = false;
	if (ne && (!op || ne < op)) {
		op = ne;
		negate = true;
	}
	size_t plen = op ? (size_t)(op - p) : strlen(p);
	jp_set s = {.n = 0};
	jp_add(&s, item);
	const char *q = p;
	while (q < p + plen) {
		const char *dot = memchr(q, '.', (size_t)(p + plen - q));
		size_t n = dot ? (size_t)(dot - q) : (size_t)(p + plen - q);
		jp_step_field(&s, q, n);
		q += n + (dot ? 1 : 0);
	}
	if (!op)
		return s.n > 0;
	const char *val = op + 2;
	while (*val == ' ')
		val++;
	char *want;
	size_t vl = strlen(val);
	if (vl >= 2 && (val[0] == '"' || val[0] == '\''))
		want = xstrndup(val + 1, vl - 2);
	else
		want = xstrdup(val);
	bool eq = false;
	if (s.n > 0) {
		const cJSON *v = s.v[0];
		if (cJSON_IsString(v))
			eq = !strcmp(v->valuestring, want);
		else if (cJSON_IsBool(v))
			eq = !strcmp(cJSON_IsTrue(v) ? "true" : "false", want);
		else if (cJSON_IsNumber(v))
			eq = v->valuedouble == strtod(want, NULL);
	}
	free(want);
	return negate ? !eq : eq;
}

static int jp_eval(const cJSON *root, const char *path, jp_set *out)
{
	out->n = 0;
	jp_add(out, root);
	const char *p = path;
	while (*p == ' ' || *p == '{')
		p++;
	if (*p == '$')
		p++;
	while (*p && *p != '}') {
		if (*p == '.') {
			p++;
			if (*p == '.')
				return -1; /* recursive descent not supported */
			const char *s = p;
			while (*p && *p != '.' && *p != '[' && *p != '}')
				p++;
			if (p > s)
				jp_step_field(out, s, (size_t)(p - s));
		} else if (*p == '[') {
			const char *end = strchr(p, ']');
			if (!end)
				return -1;
			/* a filter may contain ']' inside quotes: find the closing ")]" */
			if (p[1] == '?') {
				const char *close = strstr(p, ")]");
				if (!close)
					return -1;
				char *expr = xstrndup(p + 3, (size_t)(close - p - 3));
				jp_set next = {.n = 0};
				for (size_t i = 0; i < out->n; i++) {
					const cJSON *it;
					if (!cJSON_IsArray(out->v[i]))
						continue;
					cJSON_ArrayForEach(it, out->v[i])
						if (filter_match(it, expr))
							jp_add(&next, it);
				}
				free(expr);
				*out = next;
				p = close + 2;
				continue;
			}
			char *inner = xstrndup(p + 1, (size_t)(end - p - 1));
			jp_set next = {.n = 0};
			if (!strcmp(inner, "*")) {
				for (size_t i = 0; i < out->n; i++) {
					const cJSON *it;
					cJSON_ArrayForEach(it, out->v[i])
						jp_add(&next, it);
				}
				*out = next;
			} else if (inner[0] == '\'' || inner[0] == '"') {
				size_t l = strlen(inner);
				jp_step_field(out, inner + 1, l >= 2 ? l - 2 : 0);
			} else {
				char *e2;
				long idx = strtol(inner, &e2, 10);
				for (size_t i = 0; i < out->n && !*e2; i++) {
					int n = cJSON_GetArraySize(out->v[i]);
					long k = idx < 0 ? n + idx : idx;
					if (cJSON_IsArray(out->v[i]) && k >= 0 && k < n)
						jp_add(&next,
						       cJSON_GetArrayItem(out->v[i], (int)k));
				}
				*out = next;
			}
			free(inner);
			p = end + 1;
		} else {
			return -1;
		}
	}
	return 0;
}

char *table_jsonpath(const cJSON *obj, const char *path, const char *type)
{
	jp_set s;
	if (jp_eval(obj, path, &s) < 0 || s.n == 0)
		return NULL;
	const cJSON *v = s.v[0];
	if (type && !strcmp(type, "date") && cJSON_IsString(v)) {
		int64_t t = parse_time(v->valuestring);
		char out[32];
		table_age(t < 0 ? 0 : clock_real_ns() / GODUR_SECOND - t, out);
		return xstrdup(out);
	}
	if (cJSON_IsString(v))
		return xstrdup(v->valuestring);
	return cJSON_PrintUnformatted(v);
}

/* ---- columns ---- */

typedef struct bcol {
	const char *resource, *name, *type, *path; /* type "count" = number of keys */
} bcol;

static const bcol builtin_cols[] = {
	{"configmaps", "Data", "count", ".data"},
	{"secrets", "Type", "string", ".type"},
	{"secrets", "Data", "count", ".data"},
	{"namespaces", "Status", "string", ".status.phase"},
	{"pods", "Status", "string", ".status.phase"},
	{"services", "Type", "string", ".spec.type"},
	{"services", "Cluster-IP", "string", ".spec.clusterIP"},
	{"jobs", "Status", "string", ".status.conditions[0].type"},
	{"serviceaccounts", "Secrets", "count", ".secrets"},
	{"deployments", "Ready", "ready", ".status.readyReplicas"},
	{"deployments", "Up-to-date", "int0", ".status.updatedReplicas"},
	{"deployments", "Available", "int0", ".status.availableReplicas"},
	{"statefulsets", "Ready", "ready", ".status.readyReplicas"},
	{"replicasets", "Desired", "int0", ".spec.replicas"},
	{"replicasets", "Current", "int0", ".status.replicas"},
	{"replicasets", "Ready", "int0", ".status.readyReplicas"},
};

static cJSON *coldef(const char *name, const char *type, const char *format, const char *desc,
		     int priority)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "name", name);
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "format", format ? format : "");
	cJSON_AddStringToObject(c, "description", desc ? desc : "");
	cJSON_AddNumberToObject(c, "priority", priority);
	return c;
}

cJSON *table_new(const api_type *ty, bool with_defs)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "kind", "Table");
	cJSON_AddStringToObject(t, "apiVersion", "meta.k8s.io/v1");
	cJSON_AddObjectToObject(t, "metadata");
	cJSON *defs = cJSON_AddArrayToObject(t, "columnDefinitions");
	cJSON_AddArrayToObject(t, "rows");
	if (!with_defs)
		return t;
	cJSON_AddItemToArray(defs,
			     coldef("Name", "string", "name",
				    "Name must be unique within a "
				    "namespace. Is required when creating resources, although "
				    "some resources may allow a client to request the "
				    "generation of an appropriate name automatically.",
				    0));
	if (ty->columns) {
		const cJSON *c;
		cJSON_ArrayForEach(c, ty->columns) {
			const cJSON *pr = cJSON_GetObjectItemCaseSensitive(c, "priority");
			const char *type = json_str(c, "type") ? json_str(c, "type") : "string";
			const char *cname = json_str(c, "name");
			cJSON_AddItemToArray(defs, coldef(cname ? cname : "",
							  !strcmp(type, "date") ? "date" : type,
							  json_str(c, "format"),
							  json_str(c, "description"),
							  cJSON_IsNumber(pr) ? (int)pr->valuedouble
									     : 0));
		}
		return t;
	}
	for (size_t i = 0; i < sizeof(builtin_cols) / sizeof(builtin_cols[0]); i++)
		if (!ty->crd && !strcmp(builtin_cols[i].resource, ty->resource))
			cJSON_AddItemToArray(defs, coldef(builtin_cols[i].name,
							  !strcmp(builtin_cols[i].type, "count") ||
							  !strcmp(builtin_cols[i].type, "int0")
								  ? "integer" : "string",
							  "", "", 0));
	cJSON_AddItemToArray(defs, coldef("Age", "string", "", "CreationTimestamp is a timestamp "
					  "representing the server time when this object was "
					  "created.", 0));
	return t;
}

static cJSON *cell(const cJSON *obj, const char *path, const char *type)
{
	if (type && (!strcmp(type, "int0") || !strcmp(type, "ready"))) {
		jp_set s;
		double v = 0;
		if (jp_eval(obj, path, &s) == 0 && s.n > 0 && cJSON_IsNumber(s.v[0]))
			v = s.v[0]->valuedouble;
		if (!strcmp(type, "int0"))
			return cJSON_CreateNumber(v);
		const cJSON *rep = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(obj, "spec"), "replicas");
		char b[64];
		snprintf(b, sizeof(b), "%lld/%lld", (long long)v,
			 (long long)(cJSON_IsNumber(rep) ? rep->valuedouble : 1));
		return cJSON_CreateString(b);
	}
	if (type && !strcmp(type, "count")) {
		jp_set s;
		if (jp_eval(obj, path, &s) < 0 || s.n == 0)
			return cJSON_CreateNumber(0);
		return cJSON_CreateNumber(cJSON_GetArraySize(s.v[0]));
	}
	jp_set s;
	if (jp_eval(obj, path, &s) < 0 || s.n == 0)
		return cJSON_CreateNull();
	const cJSON *v = s.v[0];
	if (type && !strcmp(type, "date")) {
		char *a = table_jsonpath(obj, path, "date");
		cJSON *r = cJSON_CreateString(a ? a : "");
		free(a);
		return r;
	}
	if (type && (!strcmp(type, "integer") || !strcmp(type, "number")) && cJSON_IsNumber(v))
		return cJSON_CreateNumber(v->valuedouble);
	if (type && !strcmp(type, "boolean") && cJSON_IsBool(v))
		return cJSON_CreateBool(cJSON_IsTrue(v));
	if (cJSON_IsString(v))
		return cJSON_CreateString(v->valuestring);
	char *t = cJSON_PrintUnformatted(v);
	cJSON *r = cJSON_CreateString(t ? t : "");
	free(t);
	return r;
}

void table_add_row(cJSON *table, const api_type *ty, const cJSON *obj, bool include_object)
{
	cJSON *rows = cJSON_GetObjectItemCaseSensitive(table, "rows");
	cJSON *row = cJSON_CreateObject();
	cJSON *cells = cJSON_AddArrayToObject(row, "cells");
	const cJSON *m = obj_meta(obj);
	const char *name = json_str(m, "name");
	cJSON_AddItemToArray(cells, cJSON_CreateString(name ? name : ""));
	if (ty->columns) {
		const cJSON *c;
		cJSON_ArrayForEach(c, ty->columns) {
			const char *jp = json_str(c, "jsonPath");
			cJSON_AddItemToArray(cells, cell(obj, jp ? jp : "", json_str(c, "type")));
		}
	} else {
		for (size_t i = 0; i < sizeof(builtin_cols) / sizeof(builtin_cols[0]); i++)
			if (!ty->crd && !strcmp(builtin_cols[i].resource, ty->resource))
				cJSON_AddItemToArray(cells, cell(obj, builtin_cols[i].path,
								 builtin_cols[i].type));
		char age[32];
		int64_t t = parse_time(json_str(m, "creationTimestamp"));
		table_age(t < 0 ? 0 : clock_real_ns() / GODUR_SECOND - t, age);
		cJSON_AddItemToArray(cells, cJSON_CreateString(age));
	}
	if (include_object) {
		cJSON_AddItemToObject(row, "object", cJSON_Duplicate(obj, 1));
	} else {
		cJSON *pom = cJSON_CreateObject();
		cJSON_AddStringToObject(pom, "kind", "PartialObjectMetadata");
		cJSON_AddStringToObject(pom, "apiVersion", "meta.k8s.io/v1");
		cJSON_AddItemToObject(pom, "metadata", m ? cJSON_Duplicate(m, 1)
							 : cJSON_CreateObject());
		cJSON_AddItemToObject(row, "object", pom);
	}
	cJSON_AddItemToArray(rows, row);
}
