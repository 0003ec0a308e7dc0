/* validate: admission checks of a written object: metadata (names, labels, owner references),
 * unknown fields of built-in kinds, CRD schemas, apiVersion/kind against the URL, immutable
 * fields. Each check either passes (0) or answers the request (-1). */
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd.h"
#include "eddy/mem.h"
#include "names.h"
#include "object.h"
#include "resp.h"

static const char *const subdomain_msg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
static const char *const label_msg =
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
	"must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
	"used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

static void validate_meta(api_ctx *c, const cJSON *obj, cJSON *causes)
{
	const cJSON *m = obj_meta(obj);
	const char *name = json_str(m, "name");
	bool ns_like = !strcmp(c->ty->resource, "namespaces") && !c->ty->group[0];
	if (!name || !*name) {
		cJSON_AddItemToArray(causes,
				     resp_cause("FieldValueRequired", "metadata.name",
					   "Required value: name or generateName is required"));
	} else if (ns_like ? !names_dns_label(name, strlen(name), 63)
			   : !names_dns_subdomain(name, strlen(name))) {
		cJSON_AddItemToArray(causes, resp_cause("FieldValueInvalid", "metadata.name",
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
			cJSON_AddItemToArray(causes, resp_cause("FieldValueTypeInvalid", f,
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
				if (!cJSON_IsObject(ref) || !json_str(ref, "uid") ||
				    !json_str(ref, "name") || !json_str(ref, "kind") ||
				    !json_str(ref, "apiVersion"))
					ok = false;
		}
		if (!ok)
			cJSON_AddItemToArray(causes, resp_cause("FieldValueInvalid",
				"metadata.ownerReferences",
				"Invalid value: apiVersion, kind, name and uid must be set"));
	}
	const cJSON *rvv = cJSON_GetObjectItemCaseSensitive(m, "resourceVersion");
	if (rvv && !cJSON_IsString(rvv) && !cJSON_IsNull(rvv))
		cJSON_AddItemToArray(causes,
				     resp_cause("FieldValueTypeInvalid", "metadata.resourceVersion",
						"Invalid value: must be a string"));
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(m, "labels"), *it;
	if (!cJSON_IsObject(labels))
		labels = NULL;
	cJSON_ArrayForEach(it, labels) {
		if (!names_label_key(it->string, strlen(it->string))) {
			cJSON_AddItemToArray(
			    causes,
			    resp_cause("FieldValueInvalid", "metadata.labels",
				  "Invalid value: \"%s\": name part must consist of alphanumeric "
				  "characters, '-', '_' or '.', and must start and end with an "
				  "alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
				  "'123-abc', "
				  "regex used for validation is "
				  "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
				  it->string));
		} else if (!cJSON_IsString(it) ||
			   !names_label_value(it->valuestring, strlen(it->valuestring))) {
			char *f = xasprintf("metadata.labels");
			cJSON_AddItemToArray(
			    causes,
			    resp_cause("FieldValueInvalid", f,
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
int validate_schema(api_ctx *c, cJSON *obj, const char *name)
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

/* Type check of apiVersion/kind in a body against the URL type. */
int validate_gvk(api_ctx *c, const cJSON *obj)
{
	if (!cJSON_IsObject(obj)) {
		resp_status(c->rs, 400, "BadRequest", "the object provided is not a JSON object",
			    NULL);
		return -1;
	}
	const char *kind = json_str(obj, "kind"), *av = json_str(obj, "apiVersion");
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

static void immutable_cause(cJSON *causes, const char *field, const cJSON *v)
{
	char *j = v ? cJSON_PrintUnformatted(v) : NULL;
	cJSON_AddItemToArray(causes, resp_cause("FieldValueInvalid", field,
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
int validate_immutable(api_ctx *c, const cJSON *old, const cJSON *obj, const char *name)
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
				cJSON_AddItemToArray(causes, resp_cause("FieldValueForbidden",
					fields[i],
					"Forbidden: field is immutable when `immutable` is set"));
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "immutable")))
			cJSON_AddItemToArray(causes, resp_cause("FieldValueForbidden", "immutable",
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
