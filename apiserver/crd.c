/* crd: CustomResourceDefinition status, structural validation, defaulting and pruning. */
#include "crd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "eddy/regex.h"
#include "object.h"
#include "resource.h"
#include "server.h"
#include "watch.h"

/* ---- CRD status ---- */

static cJSON *condition(const char *type, const char *reason, const char *msg, const char *ts)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "status", "True");
	cJSON_AddStringToObject(c, "lastTransitionTime", ts);
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddStringToObject(c, "message", msg);
	return c;
}

void crd_on_write(apiserver *s, cJSON *crd)
{
	(void)s;
	if (!crd)
		return;
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(crd, "spec");
	cJSON *names = cJSON_GetObjectItemCaseSensitive(spec, "names");
	if (!cJSON_IsObject(names))
		return;
	/* Defaults of spec.names. */
	const char *kind = json_str(names, "kind");
	if (kind && !json_str(names, "singular")) {
		char *l = xstrdup(kind);
		for (char *p = l; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		cJSON_AddStringToObject(names, "singular", l);
		free(l);
	}
	if (kind && !json_str(names, "listKind")) {
		char *lk = xasprintf("%sList", kind);
		cJSON_AddStringToObject(names, "listKind", lk);
		free(lk);
	}
	if (!json_str(spec, "scope"))
		cJSON_AddStringToObject(spec, "scope", "Namespaced");
	cJSON *conv = cJSON_GetObjectItemCaseSensitive(spec, "conversion");
	if (!conv) {
		conv = cJSON_AddObjectToObject(spec, "conversion");
		cJSON_AddStringToObject(conv, "strategy", "None");
	}
	cJSON *st = cJSON_GetObjectItemCaseSensitive(crd, "status");
	cJSON *old_stored = st ? cJSON_DetachItemFromObjectCaseSensitive(st, "storedVersions")
			       : NULL;
	cJSON *old_conds = st ? cJSON_DetachItemFromObjectCaseSensitive(st, "conditions") : NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(crd, "status");
	st = cJSON_AddObjectToObject(crd, "status");
	cJSON_AddItemToObject(st, "acceptedNames", cJSON_Duplicate(names, 1));
	char ts[32];
	obj_timestamp(ts);
	/* Keep the transition times of conditions that were already true. */
	cJSON *conds = cJSON_AddArrayToObject(st, "conditions");
	const char *t_na = ts, *t_est = ts;
	cJSON *it;
	cJSON_ArrayForEach(it, old_conds) {
		const char *ty = json_str(it, "type"), *lt = json_str(it, "lastTransitionTime");
		if (ty && lt && !strcmp(ty, "NamesAccepted"))
			t_na = lt;
		if (ty && lt && !strcmp(ty, "Established"))
			t_est = lt;
	}
	cJSON_AddItemToArray(conds, condition("NamesAccepted", "NoConflicts", "no conflicts found",
					      t_na));
	cJSON_AddItemToArray(conds, condition("Established", "InitialNamesAccepted",
					      "the initial names have been accepted", t_est));
	cJSON_Delete(old_conds);
	cJSON *stored = old_stored && cJSON_IsArray(old_stored) ? old_stored : cJSON_CreateArray();
	if (stored != old_stored)
		cJSON_Delete(old_stored);
	const cJSON *v;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(spec, "versions")) {
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "storage")) ||
		    !json_str(v, "name"))
			continue;
		bool have = false;
		const cJSON *sv;
		cJSON_ArrayForEach(sv, stored)
			if (cJSON_IsString(sv) && !strcmp(sv->valuestring, json_str(v, "name")))
				have = true;
		if (!have)
			cJSON_AddItemToArray(stored, cJSON_CreateString(json_str(v, "name")));
	}
	cJSON_AddItemToObject(st, "storedVersions", stored);
}

static cJSON *mkcause(const char *reason, const char *field, const char *msg)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddStringToObject(c, "message", msg);
	cJSON_AddStringToObject(c, "field", field);
	return c;
}

int crd_validate_crd(apiserver *s, const cJSON *crd, cJSON **causes)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(crd, "spec");
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(spec, "names");
	const char *group = json_str(spec, "group"), *plural = json_str(names, "plural");
	const char *name = json_str(obj_meta(crd), "name");
	if (!group || !*group)
		cJSON_AddItemToArray(*causes, mkcause("FieldValueRequired", "spec.group",
						      "Required value"));
	if (!plural || !*plural)
		cJSON_AddItemToArray(*causes, mkcause("FieldValueRequired", "spec.names.plural",
						      "Required value"));
	if (!json_str(names, "kind"))
		cJSON_AddItemToArray(*causes, mkcause("FieldValueRequired", "spec.names.kind",
						      "Required value"));
	if (group && plural && name) {
		char *want = xasprintf("%s.%s", plural, group);
		if (strcmp(want, name) != 0) {
			char *m =
			    xasprintf("Invalid value: \"%s\": must be spec.names.plural+\".\"+"
				      "spec.group",
				      name);
			cJSON_AddItemToArray(*causes,
					     mkcause("FieldValueInvalid", "metadata.name", m));
			free(m);
		}
		free(want);
	}
	int storage = 0, n = 0;
	const cJSON *v;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(spec, "versions")) {
		n++;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "storage")))
			storage++;
	}
	if (n == 0)
		cJSON_AddItemToArray(*causes,
				     mkcause("FieldValueRequired", "spec.versions",
					     "Required value: must have exactly one version "
					     "marked as storage version"));
	else if (storage != 1)
		cJSON_AddItemToArray(*causes,
				     mkcause("FieldValueInvalid", "spec.versions",
					     "Invalid value: []apiextensions.CustomResource"
					     "DefinitionVersion(nil): must have exactly one "
					     "version marked as storage version"));
	(void)s;
	return cJSON_GetArraySize(*causes) ? -1 : 0;
}

/* ---- defaulting ---- */

static bool flag(const cJSON *s, const char *k)
{
	return cJSON_IsTrue(json_get(s, k));
}

static void default_walk(const cJSON *schema, cJSON *v, int depth)
{
	if (!schema || depth > API_MAX_JSON_DEPTH)
		return;
	if (cJSON_IsObject(v)) {
		const cJSON *props = json_get(schema, "properties"), *p;
		cJSON_ArrayForEach(p, props) {
			cJSON *cur = cJSON_GetObjectItemCaseSensitive(v, p->string);
			const cJSON *def = json_get(p, "default");
			if (!cur && def) {
				cJSON_AddItemToObject(v, p->string, cJSON_Duplicate(def, 1));
				cur = cJSON_GetObjectItemCaseSensitive(v, p->string);
			} else if (cur && cJSON_IsNull(cur) && def && !flag(p, "nullable")) {
				cJSON_ReplaceItemInObjectCaseSensitive(v, p->string,
								       cJSON_Duplicate(def, 1));
				cur = cJSON_GetObjectItemCaseSensitive(v, p->string);
			}
			if (cur)
				default_walk(p, cur, depth + 1);
		}
		const cJSON *ap = json_get(schema, "additionalProperties");
		if (cJSON_IsObject(ap)) {
			cJSON *it;
			cJSON_ArrayForEach(it, v)
				default_walk(ap, it, depth + 1);
		}
	} else if (cJSON_IsArray(v)) {
		const cJSON *items = json_get(schema, "items");
		cJSON *it;
		cJSON_ArrayForEach(it, v)
			default_walk(items, it, depth + 1);
	}
}

void crd_default(const cJSON *schema, cJSON *obj)
{
	default_walk(schema, obj, 0);
}

/* ---- pruning and validation ---- */

typedef struct vctx {
	cJSON *causes;
	buf unknown; /* comma-separated unknown field paths (for Strict/Warn) */
	int n_unknown;
	bool prune;
} vctx;

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsBool(v))
		return "boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "array";
	if (cJSON_IsObject(v))
		return "object";
	if (cJSON_IsNumber(v))
		return v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 9.007e15
			       ? "integer"
			       : "number";
	return "unknown";
}

static void add_cause(vctx *x, const char *reason, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add_cause(vctx *x, const char *reason, const char *field, const char *fmt, ...)
{
	if (cJSON_GetArraySize(x->causes) >= 100)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	cJSON_AddItemToArray(x->causes, mkcause(reason, field, m));
	free(m);
}

static char *value_repr(const cJSON *v)
{
	if (cJSON_IsString(v)) {
		cJSON *s = cJSON_CreateString(v->valuestring);
		char *t = cJSON_PrintUnformatted(s);
		cJSON_Delete(s);
		return t;
	}
	char *t = cJSON_PrintUnformatted(v);
	return t ? t : xstrdup("null");
}

static bool type_ok(const char *want, const cJSON *v)
{
	const char *have = type_name(v);
	if (!strcmp(want, have))
		return true;
	if (!strcmp(want, "number") && !strcmp(have, "integer"))
		return true;
	return false;
}

static void validate(vctx *x, const cJSON *schema, cJSON *v, const char *path, int depth,
		     bool root);

static char *join(const char *path, const char *k)
{
	return *path ? xasprintf("%s.%s", path, k) : xstrdup(k);
}

static void check_string(vctx *x, const cJSON *schema, const cJSON *v, const char *path)
{
	const char *s = v->valuestring;
	size_t len = strlen(s);
	const cJSON *mn = json_get(schema, "minLength"), *mx = json_get(schema, "maxLength");
	if (cJSON_IsNumber(mn) && (double)len < mn->valuedouble)
		add_cause(x, "FieldValueInvalid", path,
			  "Invalid value: \"%s\": %s in body should be at least %d chars long", s,
			  path, (int)mn->valuedouble);
	if (cJSON_IsNumber(mx) && (double)len > mx->valuedouble)
		add_cause(x, "FieldValueTooLong", path, "Too long: may not be more than %d bytes",
			  (int)mx->valuedouble);
	const char *pat = json_str(schema, "pattern");
	if (pat) {
		/* A pattern that does not compile is not checked; a match that hits the limit
		 * (or a subject that is not UTF-8) fails the check. */
		rx *re = rx_compile(pat, RX_UTF, NULL, 0);
		if (re) {
			rx_set_limits(re, 100000, 0);
			if (rx_test(re, s) != 1)
				add_cause(x, "FieldValueInvalid", path,
					  "Invalid value: \"%s\": %s in body should match '%s'", s,
					  path, pat);
			rx_free(re);
		}
	}
}

static void check_number(vctx *x, const cJSON *schema, const cJSON *v, const char *path)
{
	const cJSON *mn = json_get(schema, "minimum"), *mx = json_get(schema, "maximum");
	bool exmin = flag(schema, "exclusiveMinimum"), exmax = flag(schema, "exclusiveMaximum");
	char *r = value_repr(v);
	if (cJSON_IsNumber(mn) && (exmin ? v->valuedouble <= mn->valuedouble
					  : v->valuedouble < mn->valuedouble))
		add_cause(x, "FieldValueInvalid", path,
			  "Invalid value: %s: %s in body should be greater than %s%g", r, path,
			  exmin ? "" : "or equal to ", mn->valuedouble);
	if (cJSON_IsNumber(mx) && (exmax ? v->valuedouble >= mx->valuedouble
					  : v->valuedouble > mx->valuedouble))
		add_cause(x, "FieldValueInvalid", path,
			  "Invalid value: %s: %s in body should be less than %s%g", r, path,
			  exmax ? "" : "or equal to ", mx->valuedouble);
	free(r);
}

static void check_enum(vctx *x, const cJSON *schema, const cJSON *v, const char *path)
{
	const cJSON *en = json_get(schema, "enum"), *it;
	if (!cJSON_IsArray(en))
		return;
	cJSON_ArrayForEach(it, en)
		if (cJSON_Compare(it, v, 1))
			return;
	buf b;
	buf_init(&b, 1 << 16);
	int i = 0;
	cJSON_ArrayForEach(it, en) {
		char *r = value_repr(it);
		buf_addf(&b, "%s%s", i++ ? ", " : "", r);
		free(r);
	}
	char *r = value_repr(v);
	add_cause(x, "FieldValueNotSupported", path, "Unsupported value: %s: supported values: %s",
		  r, buf_str(&b));
	free(r);
	buf_release(&b);
}

static void validate_object(vctx *x, const cJSON *schema, cJSON *v, const char *path, int depth,
			    bool root)
{
	const cJSON *props = json_get(schema, "properties");
	const cJSON *ap = json_get(schema, "additionalProperties");
	bool preserve = flag(schema, "x-kubernetes-preserve-unknown-fields") || cJSON_IsTrue(ap);
	bool embedded = flag(schema, "x-kubernetes-embedded-resource");
	const cJSON *req = json_get(schema, "required"), *r;
	cJSON_ArrayForEach(r, req) {
		if (cJSON_IsString(r) && !cJSON_GetObjectItemCaseSensitive(v, r->valuestring)) {
			char *p = join(path, r->valuestring);
			add_cause(x, "FieldValueRequired", p, "Required value");
			free(p);
		}
	}
	cJSON *it = v->child;
	while (it) {
		cJSON *next = it->next;
		const char *k = it->string;
		const cJSON *ps = cJSON_IsObject(props) ? cJSON_GetObjectItemCaseSensitive(props, k)
							: NULL;
		bool meta_field = (root || embedded) && (!strcmp(k, "apiVersion") ||
							 !strcmp(k, "kind") ||
							 !strcmp(k, "metadata"));
		char *p = join(path, k);
		if (meta_field && !ps) {
			/* kept as is */
		} else if (ps) {
			if (!(root && !strcmp(k, "metadata")))
				validate(x, ps, it, p, depth + 1, false);
		} else if (cJSON_IsObject(ap)) {
			validate(x, ap, it, p, depth + 1, false);
		} else if (!preserve) {
			if (x->n_unknown < 20) {
				buf_addf(&x->unknown, "%s%s", x->n_unknown ? ", " : "", p);
			}
			x->n_unknown++;
			if (x->prune)
				cJSON_Delete(cJSON_DetachItemViaPointer(v, it));
		}
		free(p);
		it = next;
	}
	const cJSON *mn = json_get(schema, "minProperties");
	const cJSON *mx = json_get(schema, "maxProperties");
	int n = cJSON_GetArraySize(v);
	if (cJSON_IsNumber(mn) && n < mn->valuedouble)
		add_cause(x, "FieldValueInvalid", path,
			  "Invalid value: %d: %s in body should have at "
			  "least %d properties",
			  n, path, (int)mn->valuedouble);
	if (cJSON_IsNumber(mx) && n > mx->valuedouble)
		add_cause(x, "FieldValueTooMany", path, "Too many: %d: must have at most %d items",
			  n, (int)mx->valuedouble);
}

static void validate(vctx *x, const cJSON *schema, cJSON *v, const char *path, int depth,
		     bool root)
{
	if (!cJSON_IsObject(schema) || depth > API_MAX_JSON_DEPTH)
		return;
	if (cJSON_IsNull(v)) {
		if (flag(schema, "nullable") ||
		    flag(schema, "x-kubernetes-preserve-unknown-fields"))
			return;
		const char *t = json_str(schema, "type");
		if (t)
			add_cause(
			    x, "FieldValueTypeInvalid", path,
			    "Invalid value: \"null\": %s in body must be of type %s: \"null\"",
			    path, t);
		return;
	}
	if (flag(schema, "x-kubernetes-int-or-string")) {
		if (!cJSON_IsString(v) && strcmp(type_name(v), "integer") != 0) {
			char *r = value_repr(v);
			add_cause(
			    x, "FieldValueTypeInvalid", path,
			    "Invalid value: \"%s\": %s in body must be of type integer,string: "
			    "\"%s\"",
			    type_name(v), path, type_name(v));
			free(r);
			return;
		}
	} else {
		const char *t = json_str(schema, "type");
		if (t && !type_ok(t, v)) {
			add_cause(x, "FieldValueTypeInvalid", path,
				  "Invalid value: \"%s\": %s in body must be of type %s: \"%s\"",
				  type_name(v), path, t, type_name(v));
			return;
		}
	}
	check_enum(x, schema, v, path);
	if (cJSON_IsString(v))
		check_string(x, schema, v, path);
	else if (cJSON_IsNumber(v))
		check_number(x, schema, v, path);
	else if (cJSON_IsObject(v))
		validate_object(x, schema, v, path, depth, root);
	else if (cJSON_IsArray(v)) {
		const cJSON *mn = json_get(schema, "minItems"), *mx = json_get(schema, "maxItems");
		int n = cJSON_GetArraySize(v);
		if (cJSON_IsNumber(mn) && n < mn->valuedouble)
			add_cause(x, "FieldValueInvalid", path,
				  "Invalid value: %d: %s in body should "
				  "have at least %d items",
				  n, path, (int)mn->valuedouble);
		if (cJSON_IsNumber(mx) && n > mx->valuedouble)
			add_cause(x, "FieldValueTooMany", path,
				  "Too many: %d: must have at most %d "
				  "items",
				  n, (int)mx->valuedouble);
		const cJSON *items = json_get(schema, "items");
		int i = 0;
		cJSON *it;
		cJSON_ArrayForEach(it, v) {
			char *p = xasprintf("%s[%d]", path, i++);
			validate(x, items, it, p, depth + 1, false);
			free(p);
		}
	}
	/* Combinators: every allOf branch, at least one anyOf/oneOf branch (no pruning there). */
	const cJSON *all = json_get(schema, "allOf"), *b;
	cJSON_ArrayForEach(b, all) {
		vctx sub = {.causes = x->causes, .prune = false};
		buf_init(&sub.unknown, 1 << 12);
		validate(&sub, b, v, path, depth + 1, root);
		buf_release(&sub.unknown);
	}
}

int crd_validate_object(const api_type *ty, cJSON *obj, const char *validation, cJSON **causes,
                        char **warnings)
{
	*warnings = NULL;
	if (!ty->schema)
		return 0;
	crd_default(ty->schema, obj);
	vctx x = {.causes = *causes, .prune = true};
	buf_init(&x.unknown, 1 << 16);
	validate(&x, ty->schema, obj, "", 0, true);
	int r = 0;
	if (x.n_unknown) {
		bool strict = validation && !strcmp(validation, "Strict");
		bool ignore = validation && !strcmp(validation, "Ignore");
		if (strict) {
			/* kubectl prints: strict decoding error: unknown field "spec.x" */
			buf m;
			buf_init(&m, 1 << 16);
			buf_adds(&m, "strict decoding error: ");
			const char *p = buf_str(&x.unknown);
			int i = 0;
			while (*p) {
				const char *end = strstr(p, ", ");
				size_t n = end ? (size_t)(end - p) : strlen(p);
				buf_addf(&m, "%sunknown field \"%.*s\"", i++ ? ", " : "", (int)n,
					 p);
				p += n + (end ? 2 : 0);
			}
			*warnings = buf_detach(&m, NULL);
			r = 400;
		} else if (!ignore) {
			buf m;
			buf_init(&m, 1 << 16);
			const char *p = buf_str(&x.unknown);
			int i = 0;
			while (*p) {
				const char *end = strstr(p, ", ");
				size_t n = end ? (size_t)(end - p) : strlen(p);
				buf_addf(&m, "%s299 - \"unknown field \\\"%.*s\\\"\"",
					 i++ ? ", " : "", (int)n, p);
				p += n + (end ? 2 : 0);
			}
			*warnings = buf_detach(&m, NULL);
		}
	}
	buf_release(&x.unknown);
	return r;
}

/* ---- deleting a CRD removes its objects ---- */

void crd_delete_instances(apiserver *s, const char *crd_name)
{
	if (!crd_name)
		return;
	for (size_t i = 0; i < s->types.n; i++) {
		api_type *ty = s->types.v[i];
		if (!ty->crd || strcmp(ty->crd_name, crd_name) != 0 || !ty->storage)
			continue;
		char *prefix = types_key_prefix(ty);
		store_row *rows;
		err e = {0};
		long n = store_list(s->st, prefix, NULL, 0, 0, &rows, NULL, &e);
		store_begin(s->st);
		for (long j = 0; j < n; j++) {
			int64_t got = store_delete(s->st, rows[j].key, rows[j].value, rows[j].rev,
						   rows[j].create_rev, &e);
			if (got > 0)
				watch_emit(s, 'D', got, rows[j].key, rows[j].value, NULL);
		}
		store_commit(s->st);
		if (n > 0)
			store_rows_free(rows, (size_t)n);
		free(prefix);
	}
}
