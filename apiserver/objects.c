/* objects: get, list, create, update, patch, delete of resources and their subresources. */
#include "apiserver.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eddy/mem.h"

#if __has_include("eddy/patch.h")
#include "eddy/patch.h"
#define HAVE_PATCH 1
#else
#define HAVE_PATCH 0
#endif
#if __has_include("eddy/yml.h")
#include "eddy/yml.h"
#define HAVE_YML 1
#else
#define HAVE_YML 0
#endif

void watch_create(api_ctx *c);
void list_handle(api_ctx *c);

/* ---- helpers ---- */

static char *qualified_kind(const api_type *ty)
{
	if (ty->group[0])
		return xasprintf("%s.%s", ty->kind, ty->group);
	return xstrdup(ty->kind);
}

static char *qualified_resource(const api_type *ty)
{
	if (ty->group[0])
		return xasprintf("%s.%s", ty->resource, ty->group);
	return xstrdup(ty->resource);
}

static cJSON *cause(const char *reason, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static cJSON *cause(const char *reason, const char *field, const char *fmt, ...)
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
static void resp_invalid(api_resp *rs, const api_type *ty, const char *name, cJSON *causes)
{
	char *qk = qualified_kind(ty);
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
		const char *f = obj_str(it, "field");
		if (f && *f)
			buf_addf(&m, "%s: ", f);
		buf_adds(&m, obj_str(it, "message") ? obj_str(it, "message") : "");
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

static bool is_dns_label(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-'))
			return false;
	}
	return s[0] != '-' && s[n - 1] != '-';
}

static bool is_dns_subdomain(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	char *copy = xstrdup(s), *save = NULL;
	bool ok = s[0] != '.' && s[n - 1] != '.' && !strstr(s, "..");
	for (char *t = strtok_r(copy, ".", &save); ok && t; t = strtok_r(NULL, ".", &save))
		ok = is_dns_label(t, 63);
	free(copy);
	return ok;
}

static const char *manager_of(api_ctx *c)
{
	const char *m = query_get(&c->q, "fieldManager");
	if (m && *m)
		return m;
	return NULL;
}

/* The manager name for Update entries: fieldManager or the User-Agent up to the first '/'. */
static __attribute__((unused)) char *update_manager(api_ctx *c)
{
	const char *m = manager_of(c);
	if (m)
		return xstrdup(m);
	const char *ua = c->rq->user_agent;
	if (!ua || !*ua)
		return xstrdup("unknown");
	const char *slash = strchr(ua, '/');
	return slash ? xstrndup(ua, (size_t)(slash - ua)) : xstrdup(ua);
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

static void set_str(cJSON *o, const char *k, const char *v)
{
	if (cJSON_GetObjectItemCaseSensitive(o, k))
		cJSON_ReplaceItemInObjectCaseSensitive(o, k, cJSON_CreateString(v));
	else
		cJSON_AddStringToObject(o, k, v);
}

static void set_num(cJSON *o, const char *k, double v)
{
	if (cJSON_GetObjectItemCaseSensitive(o, k))
		cJSON_ReplaceItemInObjectCaseSensitive(o, k, cJSON_CreateNumber(v));
	else
		cJSON_AddNumberToObject(o, k, v);
}

static void set_rv(cJSON *obj, int64_t rev)
{
	char b[32];
	snprintf(b, sizeof(b), "%lld", (long long)rev);
	set_str(obj_ensure(obj, "metadata"), "resourceVersion", b);
}

static char *print(const cJSON *o)
{
	char *t = cJSON_PrintUnformatted(o);
	return t ? t : xstrdup("{}");
}

/* Apply CRD defaults on read and set the served apiVersion. */
static void present(api_type *ty, cJSON *obj)
{
	if (ty->crd && ty->schema)
		crd_default(ty->schema, obj);
	obj_set_version(obj, ty);
}

static void respond_obj(api_ctx *c, int code, cJSON *obj)
{
	present(c->ty, obj);
	if (table_wanted(c->rq->accept) && code == 200 &&
	    !strcmp(c->rq->method, "GET")) {
		cJSON *t = table_new(c->ty, true);
		const char *inc = query_get(&c->q, "includeObject");
		table_add_row(t, c->ty, obj, !(inc && !strcmp(inc, "Object")) ? false : true);
		cJSON_Delete(obj);
		resp_json(c->rs, code, t);
		return;
	}
	resp_json(c->rs, code, obj);
}

/* ---- loading ---- */

/* Load the current object; 1 found, 0 not found (404 answered if answer), -1 error answered. */
static int load(api_ctx *c, api_type *ty, const char *ns, const char *name, store_row *row,
		cJSON **obj, bool answer)
{
	char *key = obj_key(ty, ns, name);
	err e = {0};
	int r = store_get(c->s->st, key, row, &e);
	free(key);
	if (r < 0) {
		resp_status(c->rs, 500, "InternalError", e.msg, NULL);
		return -1;
	}
	if (r == 0) {
		if (answer)
			resp_not_found(c->rs, ty, name);
		return 0;
	}
	*obj = cJSON_Parse(row->value);
	if (!*obj) {
		store_row_release(row);
		resp_status(c->rs, 500, "InternalError", "stored object does not parse", NULL);
		return -1;
	}
	return 1;
}

/* ---- generation, status, finalizers ---- */

static cJSON *spec_view(const cJSON *obj, bool drop_status)
{
	cJSON *d = cJSON_Duplicate(obj, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(d, "metadata");
	cJSON_DeleteItemFromObjectCaseSensitive(d, "apiVersion");
	cJSON_DeleteItemFromObjectCaseSensitive(d, "kind");
	if (drop_status)
		cJSON_DeleteItemFromObjectCaseSensitive(d, "status");
	return d;
}

static bool spec_changed(const api_type *ty, const cJSON *a, const cJSON *b)
{
	bool drop_status = ty->has_status || !ty->crd;
	cJSON *x = spec_view(a, drop_status), *y = spec_view(b, drop_status);
	bool same = cJSON_Compare(x, y, 1);
	cJSON_Delete(x);
	cJSON_Delete(y);
	return !same;
}

static int64_t meta_int(const cJSON *meta, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static bool has_finalizers(const cJSON *obj)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj_meta(obj), "finalizers");
	return cJSON_IsArray(f) && cJSON_GetArraySize(f) > 0;
}

static bool has_finalizer(const cJSON *obj, const char *name)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj_meta(obj), "finalizers"), *it;
	cJSON_ArrayForEach(it, f)
		if (cJSON_IsString(it) && !strcmp(it->valuestring, name))
			return true;
	return false;
}

static void add_finalizer(cJSON *obj, const char *name)
{
	if (has_finalizer(obj, name))
		return;
	cJSON *m = obj_ensure(obj, "metadata");
	cJSON *f = cJSON_GetObjectItemCaseSensitive(m, "finalizers");
	if (!cJSON_IsArray(f)) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "finalizers");
		f = cJSON_AddArrayToObject(m, "finalizers");
	}
	cJSON_AddItemToArray(f, cJSON_CreateString(name));
}

/* ---- validation of metadata ---- */

static const char *const subdomain_msg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
static const char *const label_msg =
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
	"must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
	"used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

static bool label_value_ok(const char *v)
{
	size_t n = strlen(v);
	if (n == 0)
		return true;
	if (n > 63 || !isalnum((unsigned char)v[0]) || !isalnum((unsigned char)v[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("-_.", v[i]))
			return false;
	return true;
}

static bool label_key_ok(const char *k)
{
	const char *slash = strchr(k, '/');
	const char *name = k;
	if (slash) {
		char *p = xstrndup(k, (size_t)(slash - k));
		bool ok = is_dns_subdomain(p);
		free(p);
		if (!ok)
			return false;
		name = slash + 1;
	}
	return *name && label_value_ok(name);
}

static void validate_meta(api_ctx *c, const cJSON *obj, cJSON *causes)
{
	const cJSON *m = obj_meta(obj);
	const char *name = obj_str(m, "name");
	bool ns_like = !strcmp(c->ty->resource, "namespaces") && !c->ty->group[0];
	if (!name || !*name) {
		cJSON_AddItemToArray(causes,
				     cause("FieldValueRequired", "metadata.name",
					   "Required value: name or generateName is required"));
	} else if (ns_like ? !is_dns_label(name, 63) : !is_dns_subdomain(name)) {
		cJSON_AddItemToArray(causes, cause("FieldValueInvalid", "metadata.name",
						   "Invalid value: \"%s\": %s", name,
						   ns_like ? label_msg : subdomain_msg));
	}
	static const struct {
		const char *field;
		bool array; /* array of strings (else object of strings) */
	} shapes[] = {{"labels", false}, {"annotations", false}, {"finalizers", true}};
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, shapes[i].field), *e;
		if (!v || cJSON_IsNull(v))
			continue;
		bool ok = shapes[i].array ? cJSON_IsArray(v) : cJSON_IsObject(v);
		if (ok) {
			cJSON_ArrayForEach(e, v)
				if (!cJSON_IsString(e))
					ok = false;
		}
		if (!ok) {
			char *f = xasprintf("metadata.%s", shapes[i].field);
			cJSON_AddItemToArray(causes, cause("FieldValueTypeInvalid", f,
							   "Invalid value: must be %s of strings",
							   shapes[i].array ? "a list" : "a map"));
			free(f);
		}
	}
	const cJSON *refs = cJSON_GetObjectItemCaseSensitive(m, "ownerReferences"), *ref;
	if (refs && !cJSON_IsNull(refs)) {
		bool ok = cJSON_IsArray(refs);
		if (ok) {
			cJSON_ArrayForEach(ref, refs)
				if (!cJSON_IsObject(ref) || !obj_str(ref, "uid") || !obj_str(ref, "name") ||
				    !obj_str(ref, "kind") || !obj_str(ref, "apiVersion"))
					ok = false;
		}
		if (!ok)
			cJSON_AddItemToArray(causes, cause("FieldValueInvalid", "metadata.ownerReferences",
							   "Invalid value: apiVersion, kind, name and "
							   "uid must be set"));
	}
	const cJSON *rvv = cJSON_GetObjectItemCaseSensitive(m, "resourceVersion");
	if (rvv && !cJSON_IsString(rvv) && !cJSON_IsNull(rvv))
		cJSON_AddItemToArray(causes, cause("FieldValueTypeInvalid", "metadata.resourceVersion",
						   "Invalid value: must be a string"));
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(m, "labels"), *it;
	if (!cJSON_IsObject(labels))
		labels = NULL;
	cJSON_ArrayForEach(it, labels) {
		if (!label_key_ok(it->string)) {
			cJSON_AddItemToArray(
			    causes,
			    cause("FieldValueInvalid", "metadata.labels",
				  "Invalid value: \"%s\": name part must consist of alphanumeric "
				  "characters, '-', '_' or '.', and must start and end with an "
				  "alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
				  "'123-abc', "
				  "regex used for validation is "
				  "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
				  it->string));
		} else if (!cJSON_IsString(it) || !label_value_ok(it->valuestring)) {
			char *f = xasprintf("metadata.labels");
			cJSON_AddItemToArray(
			    causes,
			    cause("FieldValueInvalid", f,
				  "Invalid value: \"%s\": a valid label must be an empty string or "
				  "consist of alphanumeric characters, '-', '_' or '.', and must "
				  "start and "
				  "end with an alphanumeric character (e.g. 'MyValue',  or "
				  "'my_value',  or "
				  "'12345', regex used for validation is "
				  "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
				  cJSON_IsString(it) ? it->valuestring : ""));
			free(f);
		}
	}
}

/* ---- namespaces ---- */

/* 0 when objects may be created in ns; else answered (404 or 403). */
static int check_namespace(api_ctx *c, const char *ns, const char *name)
{
	if (!c->ty->namespaced)
		return 0;
	char *key = xasprintf("/core/namespaces/%s", ns);
	store_row r;
	err e = {0};
	int found = store_get(c->s->st, key, &r, &e);
	free(key);
	if (found < 0) {
		resp_status(c->rs, 500, "InternalError", e.msg, NULL);
		return -1;
	}
	if (found == 0) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "name", ns);
		cJSON_AddStringToObject(d, "kind", "namespaces");
		resp_statusf(c->rs, 404, "NotFound", d, "namespaces \"%s\" not found", ns);
		return -1;
	}
	bool terminating = strstr(r.value, "\"deletionTimestamp\"") != NULL;
	store_row_release(&r);
	if (terminating) {
		char *qr = qualified_resource(c->ty);
		cJSON *d = resp_details(c->ty, name);
		cJSON *causes = cJSON_AddArrayToObject(d, "causes");
		cJSON *cz = cJSON_CreateObject();
		cJSON_AddStringToObject(cz, "reason", "NamespaceTerminating");
		char *msg = xasprintf("namespace %s is being terminated", ns);
		cJSON_AddStringToObject(cz, "message", msg);
		free(msg);
		cJSON_AddStringToObject(cz, "field", "metadata.namespace");
		cJSON_AddItemToArray(causes, cz);
		resp_statusf(c->rs, 403, "Forbidden", d,
			     "%s \"%s\" is forbidden: unable to create new content in namespace %s "
			     "because it is being terminated", qr, name ? name : "", ns);
		free(qr);
		return -1;
	}
	return 0;
}

/* ---- common write preparation ---- */

static const char *gen_chars = "bcdfghjklmnpqrstvwxz2456789";

static void gen_name(apiserver *s, const char *prefix, char *out, size_t n)
{
	char suffix[6];
	for (int i = 0; i < 5; i++) {
		unsigned char b;
		char *u = server_new_uid(s); /* random source */
		b = (unsigned char)u[i * 2];
		b = (unsigned char)(b ^ (unsigned char)u[9 + i] ^ (unsigned char)u[20 + i]);
		free(u);
		suffix[i] = gen_chars[b % 27];
	}
	suffix[5] = '\0';
	snprintf(out, n, "%.*s%s", 58, prefix, suffix);
}

/* Track managedFields for an ordinary write. */
static void track(api_ctx *c, const cJSON *old, cJSON *obj, const char *sub)
{
#if HAVE_PATCH
	const cJSON *req_mf = cJSON_GetObjectItemCaseSensitive(obj_meta(obj), "managedFields");
	const cJSON *old_mf = old ? cJSON_GetObjectItemCaseSensitive(obj_meta(old), "managedFields")
				  : NULL;
	if (req_mf && (!old_mf || !cJSON_Compare(req_mf, old_mf, 1))) {
		/* Explicitly set: keep them; `[{}]` or [] resets. */
		cJSON *first = cJSON_GetArrayItem(req_mf, 0);
		if (!first ||
		    (cJSON_IsObject(first) && !first->child && cJSON_GetArraySize(req_mf) == 1))
			cJSON_DeleteItemFromObjectCaseSensitive(obj_meta(obj), "managedFields");
		return;
	}
	char *mgr = update_manager(c);
	char ts[32];
	obj_timestamp(ts);
	char *av = types_api_version(c->ty);
	patch_schema_hint hint = {.openapi_schema = c->ty->schema};
	err e = {0};
	if (patch_track_update(old, obj, mgr, av, sub, ts, &hint, &e) < 0)
		fprintf(stderr, "{\"level\":\"info\",\"msg\":\"managedFields not tracked\","
			"\"error\":\"%s\"}\n", e.msg);
	free(av);
	free(mgr);
#else
	(void)c;
	(void)old;
	(void)obj;
	(void)sub;
#endif
}

/* Top-level fields of built-in kinds whose shape is simple enough to check unknown fields
 * (fieldValidation Strict/Warn) without a schema. */
static const struct {
	const char *group, *resource, *fields;
} known_fields[] = {
	{"", "configmaps", "apiVersion,kind,metadata,data,binaryData,immutable"},
	{"", "secrets", "apiVersion,kind,metadata,data,stringData,type,immutable"},
	{"", "namespaces", "apiVersion,kind,metadata,spec,status"},
	{"", "serviceaccounts",
	 "apiVersion,kind,metadata,secrets,imagePullSecrets,automountServiceAccountToken"},
	{"", "services", "apiVersion,kind,metadata,spec,status"},
	{"apps", "deployments", "apiVersion,kind,metadata,spec,status"},
	{"apps", "statefulsets", "apiVersion,kind,metadata,spec,status"},
	{"apps", "daemonsets", "apiVersion,kind,metadata,spec,status"},
	{"rbac.authorization.k8s.io", "roles", "apiVersion,kind,metadata,rules"},
	{"rbac.authorization.k8s.io", "clusterroles", "apiVersion,kind,metadata,rules,aggregationRule"},
	{"rbac.authorization.k8s.io", "rolebindings", "apiVersion,kind,metadata,subjects,roleRef"},
	{"rbac.authorization.k8s.io", "clusterrolebindings",
	 "apiVersion,kind,metadata,subjects,roleRef"},
};

/* Unknown top-level fields of a built-in object: 400 under Strict, warnings under Warn (the
 * default), nothing under Ignore. The fields are dropped, as decoding into Go types does. */
static int builtin_unknown_fields(api_ctx *c, cJSON *obj)
{
	const char *list = NULL;
	for (size_t i = 0; i < sizeof(known_fields) / sizeof(known_fields[0]); i++)
		if (!strcmp(known_fields[i].group, c->ty->group) &&
		    !strcmp(known_fields[i].resource, c->ty->resource))
			list = known_fields[i].fields;
	if (!list || !cJSON_IsObject(obj))
		return 0;
	const char *fv = query_get(&c->q, "fieldValidation");
	buf unknown, warn;
	buf_init(&unknown, 1 << 16);
	buf_init(&warn, 1 << 16);
	int n = 0;
	cJSON *it = obj->child;
	while (it) {
		cJSON *next = it->next;
		size_t kl = strlen(it->string);
		bool known = false;
		for (const char *p = list; p && *p;) {
			const char *comma = strchr(p, ',');
			size_t l = comma ? (size_t)(comma - p) : strlen(p);
			if (l == kl && !strncmp(p, it->string, l))
				known = true;
			p = comma ? comma + 1 : NULL;
		}
		if (!known && n < 20) {
			buf_addf(&unknown, "%sunknown field \"%s\"", n ? ", " : "", it->string);
			buf_addf(&warn, "%s299 - \"unknown field \\\"%s\\\"\"", n ? ", " : "",
				 it->string);
			n++;
		}
		if (!known)
			cJSON_Delete(cJSON_DetachItemViaPointer(obj, it));
		it = next;
	}
	int r = 0;
	if (n && fv && !strcmp(fv, "Strict")) {
		resp_statusf(c->rs, 400, "BadRequest", NULL,
			     "%s in version \"%s\" cannot be handled as a %s: strict decoding error: %s",
			     c->ty->kind, c->ty->version, c->ty->kind, buf_str(&unknown));
		r = -1;
	} else if (n && !(fv && !strcmp(fv, "Ignore"))) {
		free(c->rs->warning);
		c->rs->warning = buf_detach(&warn, NULL);
	}
	buf_release(&unknown);
	buf_release(&warn);
	return r;
}

/* Validate, default and prune a CR or CRD. 0 ok, -1 answered. */
static int schema_checks(api_ctx *c, cJSON *obj, const char *name)
{
	if (builtin_unknown_fields(c, obj) < 0)
		return -1;
	cJSON *causes = cJSON_CreateArray();
	validate_meta(c, obj, causes);
	if (cJSON_GetArraySize(causes) == 0 && c->ty->crd) {
		char *warn = NULL;
		const char *fv = query_get(&c->q, "fieldValidation");
		int r = crd_validate_object(c->ty, obj, fv, &causes, &warn);
		if (r == 400) {
			cJSON_Delete(causes);
			resp_statusf(c->rs, 400, "BadRequest", NULL,
				     "%s in version \"%s\" cannot be handled as a %s: %s",
				     c->ty->kind, c->ty->version, c->ty->kind, warn ? warn : "");
			free(warn);
			return -1;
		}
		if (warn) {
			free(c->rs->warning);
			c->rs->warning = warn;
		}
	}
	if (cJSON_GetArraySize(causes) == 0 && !c->ty->crd && !strcmp(c->ty->resource,
		"customresourcedefinitions") && !strcmp(c->ty->group, "apiextensions.k8s.io"))
		crd_validate_crd(c->s, obj, &causes);
	if (cJSON_GetArraySize(causes) > 0) {
		resp_invalid(c->rs, c->ty, name, causes);
		return -1;
	}
	cJSON_Delete(causes);
	return 0;
}

static void emit_row(apiserver *s, char type, int64_t rev, const char *key, const char *value,
		     const char *prev)
{
	watch_emit(s, type, rev, key, value, prev);
}

int64_t res_store_update(apiserver *s, api_type *ty, const char *key, cJSON *obj,
                         const store_row *old, err *e)
{
	const cJSON *m = obj_meta(obj);
	bool deleting = cJSON_GetObjectItemCaseSensitive(m, "deletionTimestamp") != NULL;
	int64_t rev = store_next_rev(s->st);
	set_rv(obj, rev);
	char *txt = print(obj);
	int64_t got;
	bool ns_fin = ty && !strcmp(ty->resource, "namespaces") && !ty->group[0] &&
		      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
			      cJSON_GetObjectItemCaseSensitive(obj, "spec"), "finalizers")) > 0;
	if (deleting && !has_finalizers(obj) && !ns_fin) {
		got = store_delete(s->st, key, txt, old->rev, old->create_rev, e);
		if (got > 0) {
			emit_row(s, 'D', got, key, txt, old->value);
			gc_schedule(s);
			if (ty && !strcmp(ty->resource, "customresourcedefinitions") &&
			    !strcmp(ty->group, "apiextensions.k8s.io"))
				{
				crd_delete_instances(s, obj_str(m, "name"));
				types_remove_crd(&s->types, obj_str(m, "name"));
			}
		}
	} else {
		got = store_update(s->st, key, txt, old->rev, old->create_rev, e);
		if (got > 0) {
			emit_row(s, 'M', got, key, txt, old->value);
			if (deleting)
				gc_schedule(s);
		}
	}
	free(txt);
	return got;
}

/* ---- create ---- */

static cJSON *parse_body_ct(api_ctx *c, bool allow_yaml, bool any_type)
{
	err e = {0};
	const char *ct = c->rq->content_type ? c->rq->content_type : "application/json";
	cJSON *obj = NULL;
	if (!strncmp(ct, "application/vnd.kubernetes.protobuf", 35)) {
		obj = pb_decode((const unsigned char *)c->rq->body, c->rq->body_len, &e);
		if (!obj) {
			resp_statusf(c->rs, 415, "UnsupportedMediaType", NULL,
				     "the body of the request was in an unknown format - accepted "
				     "media types include: application/json, application/yaml, "
				     "application/vnd.kubernetes.protobuf (%s)", e.msg);
			return NULL;
		}
		return obj;
	}
	bool yaml = !strncmp(ct, "application/yaml", 16) ||
		    (allow_yaml && !strncmp(ct, "application/apply-patch+yaml", 28));
	if (!yaml && strncmp(ct, "application/json", 16) != 0 && strncmp(ct, "*/*", 3) != 0 &&
	    !allow_yaml && !any_type) {
		resp_statusf(c->rs, 415, "UnsupportedMediaType", NULL,
			     "the body of the request was in an unknown format - accepted media "
			     "types include: application/json, application/yaml, "
			     "application/vnd.kubernetes.protobuf");
		return NULL;
	}
#if HAVE_YML
	if (yaml) {
		yml_limits lim = {.max_bytes = API_MAX_BODY, .max_depth = API_MAX_JSON_DEPTH};
		obj = yml_parse_one(c->rq->body, c->rq->body_len, &lim, &e);
		if (obj && cJSON_IsNull(obj)) {
			cJSON_Delete(obj);
			obj = NULL;
			err_fail(&e, "BadRequest", "empty body");
		}
	} else
#endif
		obj = obj_parse(c->rq->body ? c->rq->body : "", c->rq->body_len, &e);
	if (!obj) {
		resp_statusf(c->rs, 400, "BadRequest", NULL, "%s", e.msg);
		return NULL;
	}
	return obj;
}

static cJSON *parse_body(api_ctx *c, bool allow_yaml)
{
	return parse_body_ct(c, allow_yaml, false);
}

/* Type check of apiVersion/kind in a body against the URL type. */
static int check_gvk(api_ctx *c, const cJSON *obj)
{
	if (!cJSON_IsObject(obj)) {
		resp_status(c->rs, 400, "BadRequest", "the object provided is not a JSON object",
			    NULL);
		return -1;
	}
	const char *kind = obj_str(obj, "kind"), *av = obj_str(obj, "apiVersion");
	char *want = types_api_version(c->ty);
	int r = 0;
	if (av && *av && strcmp(av, want) != 0 && strcmp(c->ty->kind, "Scale") != 0) {
		/* Another version of the same group is fine for built-ins (converted as-is). */
		const char *slash = strchr(av, '/');
		size_t glen = slash ? (size_t)(slash - av) : 0;
		bool same_group = slash ? strlen(c->ty->group) == glen &&
						  !strncmp(av, c->ty->group, glen)
					: !c->ty->group[0];
		if (!same_group) {
			resp_statusf(c->rs, 400, "BadRequest", NULL,
				     "the API version in the data (%s) does not match the expected "
				     "API version (%s)", av, want);
			r = -1;
		}
	}
	if (!r && kind && *kind && strcmp(kind, c->ty->kind) != 0 && !c->sub) {
		resp_statusf(c->rs, 400, "BadRequest", NULL,
			     "the kind in the data (%s) does not match the expected kind (%s)",
			     kind, c->ty->kind);
		r = -1;
	}
	free(want);
	return r;
}

/* Defaults and conversions the built-in registries apply on every write: Secret stringData is
 * merged into data (base64) and dropped, Secret type defaults to Opaque; Service type and port
 * protocol/targetPort defaults; Deployment/StatefulSet/ReplicaSet replicas default to 1. */
static void builtin_defaults(const api_type *ty, cJSON *obj)
{
	if (ty->crd)
		return;
	if (!ty->group[0] && !strcmp(ty->resource, "secrets")) {
		cJSON *sd = cJSON_GetObjectItemCaseSensitive(obj, "stringData"), *it;
		if (cJSON_IsObject(sd) && sd->child) {
			cJSON *data = obj_ensure(obj, "data");
			cJSON_ArrayForEach(it, sd) {
				if (!cJSON_IsString(it))
					continue;
				size_t n = strlen(it->valuestring);
				char *b = xmalloc(4 * ((n + 2) / 3) + 1);
				EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)it->valuestring,
						(int)n);
				cJSON_DeleteItemFromObjectCaseSensitive(data, it->string);
				cJSON_AddStringToObject(data, it->string, b);
				free(b);
			}
		}
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "stringData");
		const char *t = obj_str(obj, "type");
		if (!t || !*t)
			set_str(obj, "type", "Opaque");
	} else if (!ty->group[0] && !strcmp(ty->resource, "services")) {
		cJSON *spec = obj_ensure(obj, "spec"), *p;
		const char *t = obj_str(spec, "type");
		if (!t || !*t)
			set_str(spec, "type", "ClusterIP");
		t = obj_str(spec, "type");
		const char *ip = obj_str(spec, "clusterIP");
		if ((!ip || !*ip) && t && strcmp(t, "ExternalName") != 0) {
			/* A stable address from the name (no allocator: collisions are harmless
			 * without a network). */
			uint32_t h = 2166136261u;
			for (const char *q = obj_str(obj_meta(obj), "name"); q && *q; q++)
				h = (h ^ (unsigned char)*q) * 16777619u;
			char ipb[32];
			snprintf(ipb, sizeof ipb, "10.96.%u.%u", (h >> 8) & 0xff, (h & 0xff) | 1);
			set_str(spec, "clusterIP", ipb);
			cJSON_DeleteItemFromObjectCaseSensitive(spec, "clusterIPs");
			cJSON *ips = cJSON_AddArrayToObject(spec, "clusterIPs");
			cJSON_AddItemToArray(ips, cJSON_CreateString(ipb));
		}
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(spec, "ports")) {
			if (!cJSON_IsObject(p))
				continue;
			if (!obj_str(p, "protocol"))
				cJSON_AddStringToObject(p, "protocol", "TCP");
			const cJSON *port = cJSON_GetObjectItemCaseSensitive(p, "port");
			if (!cJSON_GetObjectItemCaseSensitive(p, "targetPort") && cJSON_IsNumber(port))
				cJSON_AddNumberToObject(p, "targetPort", port->valuedouble);
		}
	} else if (!strcmp(ty->group, "apps") && (!strcmp(ty->resource, "deployments") ||
						   !strcmp(ty->resource, "statefulsets") ||
						   !strcmp(ty->resource, "replicasets"))) {
		cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
		if (cJSON_IsObject(spec) && !cJSON_GetObjectItemCaseSensitive(spec, "replicas"))
			cJSON_AddNumberToObject(spec, "replicas", 1);
	}
	/* updateStrategy defaults (kubectl rollout status needs the type). */
	bool sts = !strcmp(ty->group, "apps") && !strcmp(ty->resource, "statefulsets");
	bool ds = !strcmp(ty->group, "apps") && !strcmp(ty->resource, "daemonsets");
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	if ((sts || ds) && cJSON_IsObject(spec) &&
	    !cJSON_GetObjectItemCaseSensitive(spec, "updateStrategy")) {
		cJSON *us = cJSON_AddObjectToObject(spec, "updateStrategy");
		cJSON_AddStringToObject(us, "type", "RollingUpdate");
		cJSON *ru = cJSON_AddObjectToObject(us, "rollingUpdate");
		if (sts) {
			cJSON_AddNumberToObject(ru, "partition", 0);
		} else {
			cJSON_AddNumberToObject(ru, "maxUnavailable", 1);
			cJSON_AddNumberToObject(ru, "maxSurge", 0);
		}
	}
}

static void init_new_object(api_ctx *c, cJSON *obj)
{
	cJSON *m = obj_ensure(obj, "metadata");
	char ts[32];
	obj_timestamp(ts);
	char *uid = server_new_uid(c->s);
	set_str(m, "uid", uid);
	free(uid);
	set_str(m, "creationTimestamp", ts);
	cJSON_DeleteItemFromObjectCaseSensitive(m, "deletionTimestamp");
	cJSON_DeleteItemFromObjectCaseSensitive(m, "deletionGracePeriodSeconds");
	cJSON_DeleteItemFromObjectCaseSensitive(m, "selfLink");
	if (c->ty->generation)
		set_num(m, "generation", 1);
	else
		cJSON_DeleteItemFromObjectCaseSensitive(m, "generation");
	if (c->ty->has_status && (c->ty->crd || strcmp(c->ty->resource, "namespaces") != 0))
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
	if (!strcmp(c->ty->resource, "namespaces") && !c->ty->group[0]) {
		cJSON *spec = obj_ensure(obj, "spec");
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "finalizers");
		cJSON *f = cJSON_AddArrayToObject(spec, "finalizers");
		cJSON_AddItemToArray(f, cJSON_CreateString("kubernetes"));
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
		cJSON *st = cJSON_AddObjectToObject(obj, "status");
		cJSON_AddStringToObject(st, "phase", "Active");
		cJSON *labels = obj_ensure(m, "labels");
		set_str(labels, "kubernetes.io/metadata.name", obj_str(m, "name"));
	}
}

/* Does obj have owners of which none exists any more (so the collector must run)? Looks each
 * owner up by apiVersion/kind/name (in obj's namespace, or cluster-wide) and compares uids. */
static bool owners_gone(apiserver *s, const api_type *ty, const cJSON *obj)
{
	const cJSON *m = obj_meta(obj);
	const cJSON *refs = cJSON_GetObjectItemCaseSensitive(m, "ownerReferences"), *r;
	if (cJSON_GetArraySize(refs) == 0)
		return false;
	cJSON_ArrayForEach(r, refs)
		if (gc_owner_state(s, r, ty->namespaced ? obj_str(m, "namespace") : NULL) != 0)
			return false;
	return true;
}

static void do_create_obj(api_ctx *c, cJSON *obj, int success_code)
{
	cJSON *m = obj_ensure(obj, "metadata");
	const char *name = obj_str(m, "name");
	const char *gen = obj_str(m, "generateName");
	if (c->ty->namespaced) {
		const char *bns = obj_str(m, "namespace");
		if (bns && *bns && c->ns && strcmp(bns, c->ns) != 0) {
			resp_status(c->rs, 400, "BadRequest",
				    "the namespace of the provided object "
				    "does not match the namespace sent on the request",
				    NULL);
			goto out;
		}
		if (!c->ns) {
			resp_status(c->rs, 404, "NotFound",
				    "the server could not find the requested resource", NULL);
			goto out;
		}
		set_str(m, "namespace", c->ns);
	} else {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "namespace");
	}
	const char *rv = obj_str(m, "resourceVersion");
	if (rv && *rv) {
		resp_status(c->rs, 500, "InternalError",
			    "resourceVersion should not be set on objects to be created", NULL);
		goto out;
	}
	char genbuf[80];
	if ((!name || !*name) && gen && *gen) {
		gen_name(c->s, gen, genbuf, sizeof(genbuf));
		set_str(m, "name", genbuf);
		name = obj_str(m, "name");
	}
	init_new_object(c, obj);
	builtin_defaults(c->ty, obj);
	if (schema_checks(c, obj, name) < 0)
		goto out;
	if (check_namespace(c, c->ns, name) < 0)
		goto out;
	if (!strcmp(c->ty->resource, "customresourcedefinitions") && c->ty->group[0] &&
	    !strcmp(c->ty->group, "apiextensions.k8s.io"))
		crd_on_write(c->s, obj);
	track(c, NULL, obj, NULL);
	char *key = obj_key(c->ty, c->ns, name);
	err e = {0};
	if (c->dry_run) {
		set_rv(obj, 0);
		cJSON_DeleteItemFromObjectCaseSensitive(obj_meta(obj), "resourceVersion");
		free(key);
		respond_obj(c, success_code, obj);
		return;
	}
	int64_t rev = store_next_rev(c->s->st);
	set_rv(obj, rev);
	char *txt = print(obj);
	int64_t got = store_create(c->s->st, key, txt, &e);
	if (got < 0) {
		if (!strcmp(e.reason, "Conflict")) {
			char *qr = qualified_resource(c->ty);
			resp_statusf(c->rs, 409, "AlreadyExists", resp_details(c->ty, name),
				     "%s \"%s\" already exists", qr, name);
			free(qr);
		} else {
			resp_status(c->rs, 500, "InternalError", e.msg, NULL);
		}
		free(txt);
		free(key);
		goto out;
	}
	emit_row(c->s, 'A', got, key, txt, NULL);
	sim_note(c->s, c->ty, key);
	if (!strcmp(c->ty->resource, "customresourcedefinitions") &&
	    !strcmp(c->ty->group, "apiextensions.k8s.io"))
		types_add_crd(&c->s->types, obj);
	if (owners_gone(c->s, c->ty, obj))
		gc_schedule(c->s);
	free(txt);
	free(key);
	respond_obj(c, success_code, obj);
	return;
out:
	cJSON_Delete(obj);
}

/* ---- update ---- */

static void immutable_cause(cJSON *causes, const char *field, const cJSON *v)
{
	char *j = v ? cJSON_PrintUnformatted(v) : NULL;
	cJSON_AddItemToArray(causes, cause("FieldValueInvalid", field,
		"Invalid value: %.200s: field is immutable", j ? j : "null"));
	free(j);
}

static bool same_json(const cJSON *a, const cJSON *b)
{
	if (!a || !b)
		return !a && !b;
	return cJSON_Compare(a, b, true);
}

/* The common fields Kubernetes keeps immutable on update: ConfigMap and Secret contents once
 * `immutable` is set, the selector of apps workloads, the selector and pod template of Jobs.
 * Returns 0, or -1 answered with 422 Invalid. */
static int immutable_checks(api_ctx *c, const cJSON *old, const cJSON *obj, const char *name)
{
	const api_type *ty = c->ty;
	if (ty->crd)
		return 0;
	cJSON *causes = cJSON_CreateArray();
	if (!ty->group[0] && (!strcmp(ty->kind, "ConfigMap") || !strcmp(ty->kind, "Secret")) &&
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(old, "immutable"))) {
		static const char *const fields[] = {"data", "binaryData"};
		for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
			if (!same_json(cJSON_GetObjectItemCaseSensitive(old, fields[i]),
				       cJSON_GetObjectItemCaseSensitive(obj, fields[i])))
				cJSON_AddItemToArray(causes, cause("FieldValueForbidden", fields[i],
					"Forbidden: field is immutable when `immutable` is set"));
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "immutable")))
			cJSON_AddItemToArray(causes, cause("FieldValueForbidden", "immutable",
				"Forbidden: field is immutable when `immutable` is set"));
	}
	const cJSON *os = cJSON_GetObjectItemCaseSensitive(old, "spec");
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	bool apps = !strcmp(ty->group, "apps") && (!strcmp(ty->kind, "Deployment") ||
		!strcmp(ty->kind, "ReplicaSet") || !strcmp(ty->kind, "StatefulSet") ||
		!strcmp(ty->kind, "DaemonSet"));
	bool job = !strcmp(ty->group, "batch") && !strcmp(ty->kind, "Job");
	if ((apps || job) &&
	    !same_json(cJSON_GetObjectItemCaseSensitive(os, "selector"),
		       cJSON_GetObjectItemCaseSensitive(ns, "selector")))
		immutable_cause(causes, "spec.selector", cJSON_GetObjectItemCaseSensitive(ns,
			"selector"));
	if (job && !same_json(cJSON_GetObjectItemCaseSensitive(os, "template"),
			      cJSON_GetObjectItemCaseSensitive(ns, "template")))
		immutable_cause(causes, "spec.template", cJSON_GetObjectItemCaseSensitive(ns,
			"template"));
	if (cJSON_GetArraySize(causes) == 0) {
		cJSON_Delete(causes);
		return 0;
	}
	resp_invalid(c->rs, c->ty, name, causes);
	return -1;
}

/* Merge the request object into a stored one per subresource rules; result in *objp. Returns
 * 0, or -1 answered. */
static int prepare_update(api_ctx *c, const cJSON *old, cJSON **objp, const char *sub,
			  bool require_rv)
{
	cJSON *obj = *objp;
	cJSON *m = obj_ensure(obj, "metadata");
	const cJSON *om = obj_meta(old);
	const char *name = obj_str(om, "name");
	const char *bname = obj_str(m, "name");
	if (bname && *bname && strcmp(bname, name) != 0) {
		resp_statusf(c->rs, 400, "BadRequest", NULL,
			     "the name of the object (%s) does not match the name on the URL (%s)",
			     bname, name);
		return -1;
	}
	if (c->ty->namespaced) {
		const char *bns = obj_str(m, "namespace");
		if (bns && *bns && c->ns && strcmp(bns, c->ns) != 0) {
			resp_status(c->rs, 400, "BadRequest",
				    "the namespace of the provided object "
				    "does not match the namespace sent on the request",
				    NULL);
			return -1;
		}
	}
	const char *rv = obj_str(m, "resourceVersion");
	const char *orv = obj_str(om, "resourceVersion");
	if (rv && *rv) {
		if (strcmp(rv, orv ? orv : "") != 0) {
			char *qr = qualified_resource(c->ty);
			resp_statusf(
			    c->rs, 409, "Conflict", resp_details(c->ty, name),
			    "Operation cannot be fulfilled on %s \"%s\": the object has been "
			    "modified; please apply your changes to the latest version and try "
			    "again",
			    qr, name);
			free(qr);
			return -1;
		}
	} else if (require_rv && c->ty->crd) {
		cJSON *causes = cJSON_CreateArray();
		cJSON_AddItemToArray(causes, cause("FieldValueInvalid", "metadata.resourceVersion",
						   "Invalid value: 0x0: must be specified for an "
						   "update"));
		resp_invalid(c->rs, c->ty, name, causes);
		return -1;
	}
	if (sub && !strcmp(sub, "status")) {
		/* Only .status (and managedFields) come from the request. */
		cJSON *res = cJSON_Duplicate(old, 1);
		cJSON *st = cJSON_DetachItemFromObjectCaseSensitive(obj, "status");
		cJSON_DeleteItemFromObjectCaseSensitive(res, "status");
		if (st)
			cJSON_AddItemToObject(res, "status", st);
		cJSON *mf = cJSON_DetachItemFromObjectCaseSensitive(m, "managedFields");
		if (mf) {
			cJSON *rm = obj_ensure(res, "metadata");
			cJSON_DeleteItemFromObjectCaseSensitive(rm, "managedFields");
			cJSON_AddItemToObject(rm, "managedFields", mf);
		}
		cJSON_Delete(obj);
		*objp = obj = res;
		m = obj_ensure(obj, "metadata");
	} else if (c->ty->has_status) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
		const cJSON *ost = cJSON_GetObjectItemCaseSensitive(old, "status");
		if (ost)
			cJSON_AddItemToObject(obj, "status", cJSON_Duplicate(ost, 1));
	}
	builtin_defaults(c->ty, obj);
	/* Server-owned metadata. */
	static const char *const keep[] = {"uid", "creationTimestamp", "deletionTimestamp",
					   "deletionGracePeriodSeconds", "namespace", "name"};
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, keep[i]);
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(om, keep[i]);
		if (v)
			cJSON_AddItemToObject(m, keep[i], cJSON_Duplicate(v, 1));
	}
	cJSON_DeleteItemFromObjectCaseSensitive(m, "selfLink");
	if (!cJSON_GetObjectItemCaseSensitive(m, "managedFields")) {
		const cJSON *mf = cJSON_GetObjectItemCaseSensitive(om, "managedFields");
		(void)mf; /* absent in the request: tracking below starts from old's */
	}
	cJSON_DeleteItemFromObjectCaseSensitive(m, "generation");
	int64_t gen = meta_int(om, "generation");
	if (c->ty->generation || gen > 0) {
		if (spec_changed(c->ty, old, obj))
			gen++;
		if (gen == 0)
			gen = 1;
		cJSON_AddNumberToObject(m, "generation", (double)gen);
	}
	/* Finalizers may not be added once deletion started. */
	if (cJSON_GetObjectItemCaseSensitive(om, "deletionTimestamp")) {
		const cJSON *nf = cJSON_GetObjectItemCaseSensitive(m, "finalizers"), *it;
		cJSON_ArrayForEach(it, nf) {
			if (cJSON_IsString(it) && !has_finalizer(old, it->valuestring)) {
				cJSON *causes = cJSON_CreateArray();
				cJSON_AddItemToArray(
				    causes, cause("FieldValueForbidden", "metadata.finalizers",
						  "Forbidden: no new finalizers can be added "
						  "if the object is being deleted, found new "
						  "finalizers []string{\"%s\"}",
						  it->valuestring));
				resp_invalid(c->rs, c->ty, name, causes);
				return -1;
			}
		}
	}
	if (cJSON_GetObjectItemCaseSensitive(om, "managedFields") &&
	    !cJSON_GetObjectItemCaseSensitive(m, "managedFields"))
		cJSON_AddItemToObject(m, "managedFields", cJSON_Duplicate(
			cJSON_GetObjectItemCaseSensitive(om, "managedFields"), 1));
	if (!sub && immutable_checks(c, old, obj, name) < 0)
		return -1;
	if (schema_checks(c, obj, name) < 0)
		return -1;
	return 0;
}

static void strip_mf_times(cJSON *o)
{
	cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(obj_meta(o), "managedFields"))
		cJSON_DeleteItemFromObjectCaseSensitive(it, "time");
}

/* Commit an update; answers. Takes obj. */
static void commit_update(api_ctx *c, cJSON *obj, const cJSON *old, store_row *row,
			  const char *sub)
{
	if (cJSON_GetObjectItemCaseSensitive(obj_meta(obj), "managedFields") &&
	    cJSON_Compare(cJSON_GetObjectItemCaseSensitive(obj_meta(obj), "managedFields"),
			  cJSON_GetObjectItemCaseSensitive(obj_meta(old), "managedFields"), 1)) {
		/* unchanged in the request: tracked below */
		cJSON *mf = cJSON_DetachItemFromObjectCaseSensitive(obj_meta(obj), "managedFields");
		cJSON *oldc = cJSON_Duplicate(old, 1);
		cJSON_AddItemToObject(obj_ensure(obj, "metadata"), "managedFields", mf);
		track(c, oldc, obj, sub);
		cJSON_Delete(oldc);
	} else {
		track(c, old, obj, sub);
	}
	if (!strcmp(c->ty->resource, "customresourcedefinitions") &&
	    !strcmp(c->ty->group, "apiextensions.k8s.io"))
		crd_on_write(c->s, obj);
	/* No-op writes keep the resourceVersion (as the real server does). */
	cJSON *cmp_new = cJSON_Duplicate(obj, 1), *cmp_old = cJSON_Duplicate(old, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(obj_meta(cmp_new), "resourceVersion");
	cJSON_DeleteItemFromObjectCaseSensitive(obj_meta(cmp_old), "resourceVersion");
	strip_mf_times(cmp_new);
	strip_mf_times(cmp_old);
	bool same = cJSON_Compare(cmp_new, cmp_old, 1);
	cJSON_Delete(cmp_new);
	cJSON_Delete(cmp_old);
	if (same || c->dry_run) {
		if (same) {
			cJSON_Delete(obj);
			obj = cJSON_Duplicate(old, 1);
		}
		respond_obj(c, 200, obj);
		return;
	}
	char *key = xstrdup(row->key);
	err e = {0};
	int64_t got = res_store_update(c->s, c->ty, key, obj, row, &e);
	if (got > 0 && !sub)
		sim_note(c->s, c->ty, key);
	free(key);
	if (got < 0) {
		if (!strcmp(e.reason, "Conflict")) {
			char *qr = qualified_resource(c->ty);
			const char *name = obj_str(obj_meta(old), "name");
			resp_statusf(
			    c->rs, 409, "Conflict", resp_details(c->ty, name),
			    "Operation cannot be fulfilled on %s \"%s\": the object has been "
			    "modified; please apply your changes to the latest version and try "
			    "again",
			    qr, name);
			free(qr);
		} else {
			resp_status(c->rs, 500, "InternalError", e.msg, NULL);
		}
		cJSON_Delete(obj);
		return;
	}
	if (!strcmp(c->ty->resource, "customresourcedefinitions") &&
	    !strcmp(c->ty->group, "apiextensions.k8s.io") &&
	    !cJSON_GetObjectItemCaseSensitive(obj_meta(obj), "deletionTimestamp"))
		types_add_crd(&c->s->types, obj);
	if (owners_gone(c->s, c->ty, obj))
		gc_schedule(c->s);
	respond_obj(c, 200, obj);
}

static void do_update(api_ctx *c, const char *sub)
{
	cJSON *obj = parse_body(c, false);
	if (!obj)
		return;
	if (check_gvk(c, obj) < 0) {
		cJSON_Delete(obj);
		return;
	}
	store_row row;
	cJSON *old = NULL;
	int r = load(c, c->ty, c->ns, c->name, &row, &old, true);
	if (r <= 0) {
		cJSON_Delete(obj);
		return;
	}
	if (sub && !strcmp(sub, "finalize")) {
		/* Namespace finalize: only spec.finalizers changes. */
		cJSON *res = cJSON_Duplicate(old, 1);
		cJSON *nf = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj,
			"spec"), "finalizers");
		cJSON *spec = obj_ensure(res, "spec");
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "finalizers");
		if (nf)
			cJSON_AddItemToObject(spec, "finalizers", cJSON_Duplicate(nf, 1));
		cJSON_Delete(obj);
		obj = res;
		sub = NULL;
		const char *rv = obj_str(obj_meta(obj), "resourceVersion");
		(void)rv;
	} else if (prepare_update(c, old, &obj, sub, true) < 0) {
		cJSON_Delete(obj);
		cJSON_Delete(old);
		store_row_release(&row);
		return;
	}
	commit_update(c, obj, old, &row, sub);
	cJSON_Delete(old);
	store_row_release(&row);
}

/* ---- patch ---- */

static void do_patch(api_ctx *c, const char *sub)
{
	const char *ct = c->rq->content_type ? c->rq->content_type : "";
	enum { P_JSON, P_MERGE, P_SMP, P_APPLY } kind;
	if (!strncmp(ct, "application/json-patch+json", 27))
		kind = P_JSON;
	else if (!strncmp(ct, "application/merge-patch+json", 28))
		kind = P_MERGE;
	else if (!strncmp(ct, "application/strategic-merge-patch+json", 38) && !c->ty->crd)
		kind = P_SMP;
	else if (!strncmp(ct, "application/apply-patch+yaml", 28))
		kind = P_APPLY;
	else {
		resp_statusf(c->rs, 415, "UnsupportedMediaType", NULL,
			     "the body of the request was in an unknown format - accepted media "
			     "types include: application/json-patch+json, "
			     "application/merge-patch+json, %sapplication/apply-patch+yaml",
			     c->ty->crd ? "" : "application/strategic-merge-patch+json, ");
		return;
	}
#if !HAVE_PATCH
	(void)kind;
	resp_status(c->rs, 415, "UnsupportedMediaType", "patch support is not built in", NULL);
	(void)sub;
	return;
#else
	cJSON *p = parse_body_ct(c, kind == P_APPLY, true);
	if (!p)
		return;
	store_row row = {0};
	cJSON *old = NULL;
	int r = load(c, c->ty, c->ns, c->name, &row, &old, kind != P_APPLY);
	if (r < 0 || (r == 0 && kind != P_APPLY)) {
		cJSON_Delete(p);
		return;
	}
	err e = {0};
	cJSON *obj = NULL;
	if (kind == P_APPLY) {
		const char *mgr = manager_of(c);
		if (!mgr) {
			resp_status(c->rs, 400, "BadRequest", "PATCH, application/apply-patch+yaml "
				    "requires fieldManager to be set", NULL);
			goto done;
		}
		if (!cJSON_IsObject(p) || check_gvk(c, p) < 0) {
			if (!c->rs->code)
				resp_status(c->rs, 400, "BadRequest", "invalid object", NULL);
			goto done;
		}
		const char *bname = obj_str(obj_meta(p), "name");
		if (!bname || strcmp(bname, c->name) != 0) {
			resp_statusf(c->rs, 400, "BadRequest", NULL,
				     "the name of the object (%s) does not match the name on the "
				     "URL (%s)", bname ? bname : "", c->name);
			goto done;
		}
		if (c->ty->has_status && !(sub && !strcmp(sub, "status")))
			cJSON_DeleteItemFromObjectCaseSensitive(p, "status");
		int force = query_bool(query_get(&c->q, "force"));
		char ts[32];
		obj_timestamp(ts);
		patch_schema_hint hint = {.openapi_schema = c->ty->schema};
		patch_conflicts conf;
		patch_conflicts_init(&conf);
		cJSON *live = old ? cJSON_Duplicate(old, 1) : NULL;
		int ar;
		if (sub && !strcmp(sub, "status")) {
			if (!old) {
				cJSON_Delete(live);
				resp_not_found(c->rs, c->ty, c->name);
				patch_conflicts_release(&conf);
				goto done;
			}
			/* Only .status (plus the identifying fields) is applied. */
			cJSON *only = cJSON_CreateObject();
			static const char *const keep[] = {"apiVersion", "kind", "status"};
			for (size_t i = 0; i < 3; i++) {
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, keep[i]);
				if (v)
					cJSON_AddItemToObject(only, keep[i], cJSON_Duplicate(v, 1));
			}
			cJSON *om = cJSON_AddObjectToObject(only, "metadata");
			cJSON_AddStringToObject(om, "name", c->name);
			if (c->ns)
				cJSON_AddStringToObject(om, "namespace", c->ns);
			ar = patch_apply_subresource(&live, only, mgr, "status", force == 1, ts, &hint,
						     &conf, &e);
			cJSON_Delete(only);
		} else {
			ar = patch_apply(&live, p, mgr, force == 1, ts, &hint, &conf, &e);
		}
		if (ar == 1) {
			resp_json(c->rs, 409, patch_conflicts_status(&conf));
			patch_conflicts_release(&conf);
			cJSON_Delete(live);
			goto done;
		}
		patch_conflicts_release(&conf);
		if (ar < 0) {
			cJSON_Delete(live);
			resp_statusf(c->rs, 400, "BadRequest", NULL, "%s", e.msg);
			goto done;
		}
		obj = live;
		if (!old) {
			cJSON_Delete(p);
			p = NULL;
			c->name = c->name; /* create at the URL's name */
			do_create_obj(c, obj, 201);
			return;
		}
	} else {
		if (kind == P_JSON)
			obj = patch_json(old, p, &e);
		else if (kind == P_MERGE)
			obj = patch_merge(old, p, &e);
		else
			obj = patch_strategic(old, p, obj_str(old, "apiVersion"), c->ty->kind, &e);
		if (!obj) {
			cJSON *causes = NULL;
			(void)causes;
			if (kind == P_JSON)
				resp_statusf(c->rs, 422, "Invalid", NULL, "%s", e.msg);
			else
				resp_statusf(c->rs, 400, "BadRequest", NULL, "%s", e.msg);
			goto done;
		}
		/* kubectl sends no managedFields: keep old's unless the patch set them. */
	}
	if (prepare_update(c, old, &obj, sub, false) < 0) {
		cJSON_Delete(obj);
		goto done;
	}
	if (kind == P_APPLY) {
		/* managedFields were computed by patch_apply: keep them as they are. */
		bool dry = c->dry_run;
		cJSON *mf = cJSON_DetachItemFromObjectCaseSensitive(obj_meta(obj), "managedFields");
		cJSON *old_copy = cJSON_Duplicate(old, 1);
		cJSON_DeleteItemFromObjectCaseSensitive(obj_meta(old_copy), "managedFields");
		if (mf)
			cJSON_AddItemToObject(obj_meta(old_copy), "managedFields",
					      cJSON_Duplicate(mf, 1));
		/* Make the request's managedFields differ from old so track() keeps them. */
		if (mf)
			cJSON_AddItemToObject(obj_ensure(obj, "metadata"), "managedFields", mf);
		(void)dry;
		cJSON_Delete(old_copy);
	}
	commit_update(c, obj, old, &row, sub);
done:
	cJSON_Delete(p);
	cJSON_Delete(old);
	store_row_release(&row);
#endif
}

/* ---- delete ---- */

int res_delete_object(apiserver *s, api_type *ty, const char *ns, const char *name,
               const char *propagation, const cJSON *pre, bool dry_run, cJSON **out, err *e)
{
	if (out)
		*out = NULL;
	char *key = obj_key(ty, ns, name);
	store_row row;
	int r = store_get(s->st, key, &row, e);
	if (r <= 0) {
		free(key);
		if (r == 0)
			err_fail(e, "NotFound", "not found");
		return r < 0 ? 500 : 404;
	}
	cJSON *obj = cJSON_Parse(row.value);
	cJSON *m = obj_meta(obj);
	int code = 200;
	if (!obj || !m) {
		code = 500;
		err_fail(e, "InternalError", "stored object does not parse");
		goto out;
	}
	const char *puid = obj_str(pre, "uid"), *prv = obj_str(pre, "resourceVersion");
	if (puid && strcmp(puid, obj_str(m, "uid") ? obj_str(m, "uid") : "") != 0) {
		err_fail(e, "Conflict",
			 "Precondition failed: UID in precondition: %s, UID in object "
			 "meta: %s",
			 puid, obj_str(m, "uid") ? obj_str(m, "uid") : "");
		code = 409;
		goto out;
	}
	if (prv && strcmp(prv, obj_str(m, "resourceVersion") ? obj_str(m, "resourceVersion") : "")) {
		err_fail(e, "Conflict", "Precondition failed: ResourceVersion in precondition: %s, "
			 "ResourceVersion in object meta: %s", prv,
			 obj_str(m, "resourceVersion") ? obj_str(m, "resourceVersion") : "");
		code = 409;
		goto out;
	}
	bool is_ns = !strcmp(ty->resource, "namespaces") && !ty->group[0];
	bool is_crd = !strcmp(ty->resource, "customresourcedefinitions") &&
		      !strcmp(ty->group, "apiextensions.k8s.io");
	bool was_deleting = cJSON_GetObjectItemCaseSensitive(m, "deletionTimestamp") != NULL;
	bool changed = false;
	if (propagation && !strcmp(propagation, "Foreground") && !is_ns) {
		if (!has_finalizer(obj, "foregroundDeletion"))
			changed = true;
		add_finalizer(obj, "foregroundDeletion");
	} else if (propagation && !strcmp(propagation, "Orphan") && !is_ns) {
		if (!has_finalizer(obj, "orphan"))
			changed = true;
		add_finalizer(obj, "orphan");
	}
	if (is_ns) {
		cJSON *st = obj_ensure(obj, "status");
		set_str(st, "phase", "Terminating");
	}
	if (is_ns || has_finalizers(obj)) {
		if (!was_deleting) {
			char ts[32];
			obj_timestamp(ts);
			set_str(m, "deletionTimestamp", ts);
			set_num(m, "deletionGracePeriodSeconds", 0);
			int64_t gen = meta_int(m, "generation");
			if (gen > 0)
				set_num(m, "generation", (double)(gen + 1));
			changed = true;
		}
		if (changed && !dry_run) {
			int64_t got = res_store_update(s, ty, key, obj, &row, e);
			if (got < 0) {
				code = 500;
				goto out;
			}
		}
		if (is_ns || is_crd)
			gc_schedule(s);
		if (out) {
			*out = obj;
			obj = NULL;
		}
		goto out;
	}
	if (!dry_run) {
		int64_t rev = store_next_rev(s->st);
		set_rv(obj, rev);
		char *txt = print(obj);
		int64_t got = store_delete(s->st, key, txt, row.rev, row.create_rev, e);
		if (got < 0) {
			free(txt);
			code = 500;
			goto out;
		}
		emit_row(s, 'D', got, key, txt, row.value);
		free(txt);
		if (is_crd) {
			crd_delete_instances(s, name);
			types_remove_crd(&s->types, name);
		}
		gc_schedule(s);
	}
	if (out) {
		cJSON *st = cJSON_CreateObject();
		cJSON_AddStringToObject(st, "kind", "Status");
		cJSON_AddStringToObject(st, "apiVersion", "v1");
		cJSON_AddItemToObject(st, "metadata", cJSON_CreateObject());
		cJSON_AddStringToObject(st, "status", "Success");
		cJSON *d = resp_details(ty, name);
		if (obj_str(m, "uid"))
			cJSON_AddStringToObject(d, "uid", obj_str(m, "uid"));
		cJSON_AddItemToObject(st, "details", d);
		*out = st;
	}
out:
	cJSON_Delete(obj);
	store_row_release(&row);
	free(key);
	return code;
}

static cJSON *delete_options(api_ctx *c, bool *bad)
{
	*bad = false;
	if (!c->rq->body_len)
		return NULL;
	err e = {0};
	cJSON *o;
	if (c->rq->content_type &&
	    !strncmp(c->rq->content_type, "application/vnd.kubernetes.protobuf", 35))
		o = pb_decode((const unsigned char *)c->rq->body, c->rq->body_len, &e);
	else
		o = obj_parse(c->rq->body, c->rq->body_len, &e);
	if (!o || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		*bad = true;
		return NULL;
	}
	return o;
}

static void do_delete(api_ctx *c)
{
	bool bad;
	cJSON *opts = delete_options(c, &bad);
	if (bad) {
		resp_status(c->rs, 400, "BadRequest", "the body of the request could not be decoded "
			    "as DeleteOptions", NULL);
		return;
	}
	const char *prop = obj_str(opts, "propagationPolicy");
	const char *qprop = query_get(&c->q, "propagationPolicy");
	if (qprop)
		prop = qprop;
	const cJSON *orphan = cJSON_GetObjectItemCaseSensitive(opts, "orphanDependents");
	if (!prop && cJSON_IsBool(orphan))
		prop = cJSON_IsTrue(orphan) ? "Orphan" : "Background";
	if (prop && strcmp(prop, "Background") && strcmp(prop, "Foreground") &&
	    strcmp(prop, "Orphan")) {
		cJSON *causes = cJSON_CreateArray();
		cJSON_AddItemToArray(causes, cause("FieldValueNotSupported", "propagationPolicy",
						   "Unsupported value: \"%s\": supported values: "
						   "\"Foreground\", \"Background\", "
						   "\"Orphan\", \"nil\"",
						   prop));
		cJSON *d = cJSON_CreateObject();
		cJSON_AddItemToObject(d, "causes", causes);
		resp_statusf(c->rs, 422, "Invalid", d, "DeleteOptions.meta.k8s.io \"\" is invalid: "
			     "propagationPolicy: Unsupported value: \"%s\"", prop);
		cJSON_Delete(opts);
		return;
	}
	const cJSON *dry = cJSON_GetObjectItemCaseSensitive(opts, "dryRun");
	bool dry_run = c->dry_run || (cJSON_IsArray(dry) && cJSON_GetArraySize(dry) > 0);
	cJSON *out = NULL;
	err e = {0};
	int code =
	    res_delete_object(c->s, c->ty, c->ns, c->name, prop,
		       cJSON_GetObjectItemCaseSensitive(opts, "preconditions"), dry_run, &out, &e);
	cJSON_Delete(opts);
	if (code == 404) {
		resp_not_found(c->rs, c->ty, c->name);
	} else if (code == 409) {
		resp_status(c->rs, 409, "Conflict", e.msg, resp_details(c->ty, c->name));
	} else if (code != 200) {
		resp_status(c->rs, code, "InternalError", e.msg, NULL);
	} else if (out && !strcmp(obj_str(out, "kind") ? obj_str(out, "kind") : "", "Status")) {
		resp_json(c->rs, 200, out);
	} else {
		respond_obj(c, 200, out);
	}
}

void list_delete_collection(api_ctx *c);

/* ---- scale ---- */

static const cJSON *path_get(const cJSON *o, const char *dotted)
{
	char *copy = xstrdup(dotted), *save = NULL;
	const cJSON *cur = o;
	for (char *t = strtok_r(copy, ".", &save); t && cur; t = strtok_r(NULL, ".", &save))
		cur = cJSON_GetObjectItemCaseSensitive(cur, t);
	free(copy);
	return cur;
}

static void path_set_num(cJSON *o, const char *dotted, double v)
{
	char *copy = xstrdup(dotted), *save = NULL;
	cJSON *cur = o;
	char *t = strtok_r(copy, ".", &save);
	while (t) {
		char *next = strtok_r(NULL, ".", &save);
		if (!next) {
			set_num(cur, t, v);
			break;
		}
		cur = obj_ensure(cur, t);
		t = next;
	}
	free(copy);
}

static cJSON *scale_of(api_type *ty, const cJSON *obj)
{
	const char *sp = ty->scale_spec ? ty->scale_spec + 1 : "spec.replicas";
	const char *stp = ty->scale_status ? ty->scale_status + 1 : "status.replicas";
	cJSON *sc = cJSON_CreateObject();
	cJSON_AddStringToObject(sc, "kind", "Scale");
	cJSON_AddStringToObject(sc, "apiVersion", "autoscaling/v1");
	cJSON *m = cJSON_AddObjectToObject(sc, "metadata");
	const cJSON *om = obj_meta(obj);
	static const char *const copy[] = {"name", "namespace", "uid", "resourceVersion",
					   "creationTimestamp"};
	for (size_t i = 0; i < 5; i++)
		if (obj_str(om, copy[i]))
			cJSON_AddStringToObject(m, copy[i], obj_str(om, copy[i]));
	const cJSON *want = path_get(obj, sp), *have = path_get(obj, stp);
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(sc, "spec"), "replicas",
				cJSON_IsNumber(want) ? want->valuedouble : 0);
	cJSON *st = cJSON_AddObjectToObject(sc, "status");
	cJSON_AddNumberToObject(st, "replicas", cJSON_IsNumber(have) ? have->valuedouble : 0);
	const char *selp = ty->scale_selector ? ty->scale_selector + 1 : NULL;
	const cJSON *sel = selp ? path_get(obj, selp) : NULL;
	if (cJSON_IsString(sel))
		cJSON_AddStringToObject(st, "selector", sel->valuestring);
	return sc;
}

static void do_scale(api_ctx *c)
{
	store_row row;
	cJSON *old = NULL;
	if (load(c, c->ty, c->ns, c->name, &row, &old, true) <= 0)
		return;
	const char *m = c->rq->method;
	if (!strcmp(m, "GET")) {
		resp_json(c->rs, 200, scale_of(c->ty, old));
		cJSON_Delete(old);
		store_row_release(&row);
		return;
	}
	cJSON *body = NULL;
	cJSON *cur = scale_of(c->ty, old);
	if (!strcmp(m, "PUT")) {
		body = parse_body(c, false);
	} else {
#if HAVE_PATCH
		cJSON *p = parse_body_ct(c, false, true);
		err e = {0};
		if (p) {
			const char *ct = c->rq->content_type ? c->rq->content_type : "";
			body = !strncmp(ct, "application/json-patch+json", 27)
				   ? patch_json(cur, p, &e)
				   : patch_merge(cur, p, &e);
			if (!body)
				resp_statusf(c->rs, 422, "Invalid", NULL, "%s", e.msg);
		}
		cJSON_Delete(p);
#endif
	}
	cJSON_Delete(cur);
	if (!body) {
		if (!c->rs->code)
			resp_status(c->rs, 415, "UnsupportedMediaType", "unsupported patch", NULL);
		cJSON_Delete(old);
		store_row_release(&row);
		return;
	}
	const cJSON *rep = path_get(body, "spec.replicas");
	cJSON *obj = cJSON_Duplicate(old, 1);
	path_set_num(obj, c->ty->scale_spec ? c->ty->scale_spec + 1 : "spec.replicas",
		     cJSON_IsNumber(rep) ? rep->valuedouble : 0);
	cJSON_Delete(body);
	if (prepare_update(c, old, &obj, NULL, false) < 0) {
		cJSON_Delete(obj);
	} else {
		api_resp tmp;
		api_resp *save = c->rs;
		api_resp_init(&tmp);
		c->rs = &tmp;
		commit_update(c, obj, old, &row, NULL);
		c->rs = save;
		if (tmp.code == 200) {
			cJSON *now = cJSON_Parse(buf_str(&tmp.body));
			resp_json(c->rs, 200, scale_of(c->ty, now));
			cJSON_Delete(now);
		} else {
			*c->rs = tmp;
			tmp.body.data = NULL;
			tmp.warning = NULL;
		}
		api_resp_release(&tmp);
	}
	cJSON_Delete(old);
	store_row_release(&row);
}

/* ---- dispatch ---- */

void auth_token_request(api_ctx *c);

static void method_not_allowed(api_ctx *c)
{
	resp_status(c->rs, 405, "MethodNotAllowed",
		    "the server does not allow this method on the requested resource", NULL);
}

void res_handle(api_ctx *c)
{
	const char *m = c->rq->method;
	const char *dr = query_get(&c->q, "dryRun");
	if (dr) {
		if (strcmp(dr, "All") != 0) {
			resp_statusf(c->rs, 400, "BadRequest", NULL,
				     "dryRun: Unsupported value: \"%s\": supported values: \"All\"",
				     dr);
			return;
		}
		c->dry_run = true;
	}
	bool is_get = !strcmp(m, "GET") || !strcmp(m, "HEAD");
	const char *verb;
	int w = query_bool(query_get(&c->q, "watch"));
	if (is_get)
		verb = c->name ? (w == 1 ? "watch" : "get") : (w == 1 ? "watch" : "list");
	else if (!strcmp(m, "POST"))
		verb = "create";
	else if (!strcmp(m, "PUT"))
		verb = "update";
	else if (!strcmp(m, "PATCH"))
		verb = "patch";
	else if (!strcmp(m, "DELETE"))
		verb = c->name ? "delete" : "deletecollection";
	else {
		method_not_allowed(c);
		return;
	}
	if (auth_authorize(c, verb, c->ty->group, c->ty->resource, c->sub, c->ns, c->name) < 0)
		return;
	if (c->sub) {
		api_subres *sr = NULL;
		for (size_t i = 0; i < c->ty->n_subres; i++)
			if (!strcmp(c->ty->subres[i].name, c->sub))
				sr = &c->ty->subres[i];
		if (!sr || !c->name) {
			resp_status(c->rs, 404, "NotFound",
				    "the server could not find the requested resource", NULL);
			return;
		}
		if (!strcmp(sr->name, "status") || !strcmp(sr->name, "finalize")) {
			if (is_get && strcmp(sr->name, "status") == 0) {
				store_row row;
				cJSON *obj;
				if (load(c, c->ty, c->ns, c->name, &row, &obj, true) > 0) {
					store_row_release(&row);
					respond_obj(c, 200, obj);
				}
			} else if (!strcmp(m, "PUT")) {
				do_update(c, sr->name);
			} else if (!strcmp(m, "PATCH") && !strcmp(sr->name, "status")) {
				do_patch(c, "status");
			} else {
				method_not_allowed(c);
			}
			return;
		}
		if (!strcmp(sr->name, "scale")) {
			if (is_get || !strcmp(m, "PUT") || !strcmp(m, "PATCH"))
				do_scale(c);
			else
				method_not_allowed(c);
			return;
		}
		if (!strcmp(sr->name, "token") && !strcmp(m, "POST")) {
			auth_token_request(c);
			return;
		}
		resp_statusf(c->rs, 405, "MethodNotAllowed", NULL,
			     "subresource %s is not served by eddy-apiserver", sr->name);
		return;
	}
	if (is_get) {
		if (w == 1) {
			if (!(c->ty->verbs & VERB_WATCH))
				return method_not_allowed(c);
			watch_create(c);
		} else if (c->name) {
			if (!(c->ty->verbs & VERB_GET))
				return method_not_allowed(c);
			store_row row;
			cJSON *obj;
			if (load(c, c->ty, c->ns, c->name, &row, &obj, true) > 0) {
				store_row_release(&row);
				respond_obj(c, 200, obj);
			}
		} else {
			if (!(c->ty->verbs & VERB_LIST))
				return method_not_allowed(c);
			list_handle(c);
		}
		return;
	}
	if (!strcmp(m, "POST")) {
		if (c->name || !(c->ty->verbs & VERB_CREATE))
			return method_not_allowed(c);
		cJSON *obj = parse_body(c, false);
		if (!obj)
			return;
		if (check_gvk(c, obj) < 0) {
			cJSON_Delete(obj);
			return;
		}
		if (!cJSON_GetObjectItemCaseSensitive(obj, "apiVersion") ||
		    !cJSON_GetObjectItemCaseSensitive(obj, "kind"))
			obj_set_version(obj, c->ty);
		if (!(c->ty->verbs & (VERB_GET | VERB_LIST))) {
			/* Review-style kinds: answer the request back without storing it. */
			auth_review(c, obj);
			return;
		}
		do_create_obj(c, obj, 201);
		return;
	}
	if (!c->name) {
		if (!strcmp(m, "DELETE") && (c->ty->verbs & VERB_DELETECOLLECTION))
			list_delete_collection(c);
		else
			method_not_allowed(c);
		return;
	}
	if (!strcmp(m, "PUT"))
		do_update(c, NULL);
	else if (!strcmp(m, "PATCH"))
		do_patch(c, NULL);
	else if (!strcmp(m, "DELETE"))
		do_delete(c);
}
