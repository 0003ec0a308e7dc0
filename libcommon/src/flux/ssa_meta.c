/* The server-side-apply manager's metadata rules (eddy/ssa.h): the owner's annotations, and
 * Flux's clean-up of what kubectl and other field managers left on an object (fluxcd/pkg ssa
 * manager_apply.go cleanupMetadata, FieldManager take-over). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eddy/mem.h"
#include "ssa_int.h"

bool ssa_meta_has(const cJSON *obj, const char *key, const char *val)
{
	const char *l = kube_obj_label(obj, key), *a = kube_obj_annotation(obj, key);
	return (l && !strcasecmp(l, val)) || (a && !strcasecmp(a, val));
}

bool ssa_meta_is(const ssa_options *o, const cJSON *obj, const char *what, const char *val)
{
	char key[256];
	snprintf(key, sizeof key, "%s/%s", o && o->group ? o->group : "", what);
	return ssa_meta_has(obj, key, val);
}

char *ssa_pointer_escape(const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p; p++)
		n += (*p == '~' || *p == '/') ? 2 : 1;
	char *out = xmalloc(n + 1), *q = out;
	for (const char *p = s; *p; p++) {
		if (*p == '~') {
			*q++ = '~';
			*q++ = '0';
		} else if (*p == '/') {
			*q++ = '~';
			*q++ = '1';
		} else {
			*q++ = *p;
		}
	}
	*q = 0;
	return out;
}

static void add_remove(cJSON *patch, const char *field, const char *key)
{
	char *esc = ssa_pointer_escape(key);
	char *path = xasprintf("/metadata/%s/%s", field, esc);
	cJSON *op = cJSON_CreateObject();
	cJSON_AddStringToObject(op, "op", "remove");
	cJSON_AddStringToObject(op, "path", path);
	cJSON_AddItemToArray(patch, op);
	free(path);
	free(esc);
}

/* Union of two managedFields fieldsV1 trees into dst. */
static void fields_union(cJSON *dst, const cJSON *src)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, src) {
		cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, it->string);
		if (!d)
			cJSON_AddItemToObject(dst, it->string, cJSON_Duplicate(it, 1));
		else if (cJSON_IsObject(d) && cJSON_IsObject(it))
			fields_union(d, it);
	}
}

static const char *manager_of(const ssa_options *o)
{
	return o && o->field_manager ? o->field_manager : "";
}

bool ssa_foreign_manager(const ssa_options *o, const cJSON *ent)
{
	const struct {
		const char *name, *op;
	} fixed[] = {
		{"kubectl", "Apply"},            /* kubectl apply --server-side */
		{"kubectl", "Update"},           /* kubectl apply, edit, patch, ... */
		{"before-first-apply", "Update"},
		{manager_of(o), "Update"},       /* the controller before server-side apply */
	};
	const char *m = json_str(ent, "manager"), *op = json_str(ent, "operation");
	const char *sub = json_str(ent, "subresource");
	if (!m || !op || (sub && *sub))
		return false;
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		if (*fixed[i].name && !strncmp(m, fixed[i].name, strlen(fixed[i].name)) &&
		    !strcmp(op, fixed[i].op))
			return true;
	for (size_t i = 0; o && i < o->noverride_managers; i++) {
		const char *n = o->override_managers[i];
		if (n && *n && !strncmp(m, n, strlen(n)) &&
		    (!strcmp(op, "Apply") || !strcmp(op, "Update")))
			return true;
	}
	return false;
}

cJSON *ssa_take_over_fields(const ssa_options *o, const cJSON *cur)
{
	const char *fm = manager_of(o);
	const cJSON *mf = json_get(json_get(cur, "metadata"), "managedFields");
	const cJSON *it;
	bool any = false;
	cJSON_ArrayForEach(it, mf)
		if (ssa_foreign_manager(o, it))
			any = true;
	if (!any)
		return NULL;
	cJSON *out = cJSON_CreateArray();
	cJSON *ours = NULL;
	cJSON_ArrayForEach(it, mf) {
		const char *sub = json_str(it, "subresource");
		if (ssa_str_eq(json_str(it, "manager"), fm) &&
		    ssa_str_eq(json_str(it, "operation"), "Apply") && (!sub || !*sub) && !ours) {
			ours = cJSON_Duplicate(it, 1);
			cJSON_AddItemToArray(out, ours);
		}
	}
	cJSON_ArrayForEach(it, mf) {
		if (ssa_foreign_manager(o, it)) {
			if (!ours) {
				ours = cJSON_Duplicate(it, 1);
				cJSON_DeleteItemFromObjectCaseSensitive(ours, "manager");
				cJSON_DeleteItemFromObjectCaseSensitive(ours, "operation");
				cJSON_AddStringToObject(ours, "manager", fm);
				cJSON_AddStringToObject(ours, "operation", "Apply");
				cJSON_AddItemToArray(out, ours);
				continue;
			}
			cJSON *f = cJSON_GetObjectItemCaseSensitive(ours, "fieldsV1");
			if (!cJSON_IsObject(f)) {
				cJSON_DeleteItemFromObjectCaseSensitive(ours, "fieldsV1");
				f = cJSON_AddObjectToObject(ours, "fieldsV1");
			}
			fields_union(f, json_get(it, "fieldsV1"));
			continue;
		}
		if (!(ssa_str_eq(json_str(it, "manager"), fm) &&
		      ssa_str_eq(json_str(it, "operation"), "Apply") &&
		      !(json_str(it, "subresource") && *json_str(it, "subresource"))))
			cJSON_AddItemToArray(out, cJSON_Duplicate(it, 1));
	}
	return out;
}

int ssa_cleanup_metadata(const ssa_options *o, kube_client *k, const cJSON *desired,
	const cJSON *cur, err *e)
{
	/* Flux v1's checksum annotation carries the owner's group */
	char checksum[256];
	snprintf(checksum, sizeof checksum, "%s/checksum", o && o->group ? o->group : "");
	const char *const anns[] = {"kubectl.kubernetes.io/last-applied-configuration",
		checksum, "fluxcd.io/sync-checksum"};
	static const char *const labels[] = {"fluxcd.io/sync-gc-mark"};
	if (!cur || ssa_meta_is(o, desired, "ssa", "Merge") || ssa_meta_is(o, cur, "ssa", "Merge"))
		return 0;
	cJSON *patch = cJSON_CreateArray();
	for (size_t i = 0; i < sizeof anns / sizeof *anns; i++)
		if (kube_obj_annotation(cur, anns[i]))
			add_remove(patch, "annotations", anns[i]);
	for (size_t i = 0; i < sizeof labels / sizeof *labels; i++)
		if (kube_obj_label(cur, labels[i]))
			add_remove(patch, "labels", labels[i]);
	cJSON *mf = ssa_take_over_fields(o, cur);
	if (mf) {
		cJSON *op = cJSON_CreateObject();
		cJSON_AddStringToObject(op, "op", "replace");
		cJSON_AddStringToObject(op, "path", "/metadata/managedFields");
		cJSON_AddItemToObject(op, "value", mf);
		cJSON_AddItemToArray(patch, op);
	}
	int rc = 0;
	if (cJSON_GetArraySize(patch) > 0) {
		kube_opts ko = {.field_manager = manager_of(o)};
		cJSON *out = kube_patch(k, json_str(desired, "apiVersion"),
			json_str(desired, "kind"), kube_obj_namespace(desired),
			kube_obj_name(desired), KUBE_PATCH_JSON, patch, &ko, e);
		rc = out ? 1 : -1;
		cJSON_Delete(out);
	}
	cJSON_Delete(patch);
	return rc;
}
