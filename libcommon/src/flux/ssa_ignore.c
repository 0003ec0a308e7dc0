/* The server-side-apply manager's drift detection (eddy/ssa.h): Flux's hasDrifted, and the
 * ignore rules (Kustomization spec.ignore, fluxcd/pkg ssa jsondiff): RFC 6901 pointers left out
 * of the comparison, targets selected by eddy/targetsel.h (anchored regexes, label and
 * annotation selectors), and the payload that keeps ignored fields as they are in the cluster. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "eddy/targetsel.h"
#include "ssa_int.h"

/* ---------------------------------------------------------------- drift */

static bool maps_equal(const cJSON *a, const cJSON *b)
{
	bool ea = cJSON_GetArraySize(a) == 0, eb = cJSON_GetArraySize(b) == 0;
	if (ea || eb)
		return ea && eb;
	return cJSON_Compare(a, b, true);
}

/* Flux's hasDrifted: labels, annotations, then everything but metadata and status. */
bool ssa_drifted(const cJSON *cur, const cJSON *dry)
{
	const char *rv = kube_obj_rv(dry);
	if (!cur || !rv || !*rv)
		return true;
	const cJSON *cm = json_get(cur, "metadata"), *dm = json_get(dry, "metadata");
	if (!maps_equal(json_get(cm, "labels"), json_get(dm, "labels")) ||
	    !maps_equal(json_get(cm, "annotations"), json_get(dm, "annotations")))
		return true;
	cJSON *a = cJSON_Duplicate(cur, 1), *b = cJSON_Duplicate(dry, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(a, "metadata");
	cJSON_DeleteItemFromObjectCaseSensitive(a, "status");
	cJSON_DeleteItemFromObjectCaseSensitive(b, "metadata");
	cJSON_DeleteItemFromObjectCaseSensitive(b, "status");
	bool same = cJSON_Compare(a, b, true);
	cJSON_Delete(a);
	cJSON_Delete(b);
	return !same;
}

/* ---------------------------------------------------------------- JSON pointers */

/* RFC 6901 JSON pointers, at most this deep. */
#define PTR_MAX_TOKENS 64

/* Splits a JSON pointer into its unescaped reference tokens (~1 is '/', ~0 is '~'),
 * allocated in one block: toks[0..n-1]. "" (the whole document) gives n = 0. -1 when the
 * pointer does not start with '/', has another '~' escape or is too deep. Free *toks. */
int ssa_ptr_parse(const char *ptr, char ***toks, size_t *n)
{
	*toks = NULL;
	*n = 0;
	if (!ptr || (*ptr && *ptr != '/'))
		return -1;
	size_t len = strlen(ptr), cnt = 0;
	for (const char *p = ptr; *p; p++)
		if (*p == '/')
			cnt++;
	if (cnt > PTR_MAX_TOKENS)
		return -1;
	char **v = xmalloc((cnt + 1) * sizeof *v + len + 1);
	char *q = (char *)(v + cnt + 1);
	size_t i = 0;
	for (const char *p = ptr; *p;) {
		p++; /* the '/' */
		v[i++] = q;
		for (; *p && *p != '/'; p++) {
			if (*p != '~') {
				*q++ = *p;
				continue;
			}
			if (p[1] != '0' && p[1] != '1') {
				free(v);
				return -1;
			}
			*q++ = p[1] == '0' ? '~' : '/';
			p++;
		}
		*q++ = 0;
	}
	v[i] = NULL;
	*toks = v;
	*n = cnt;
	return 0;
}

/* An array index token: "0" or digits without a leading zero, below the array size. */
static int ptr_index(const char *t, const cJSON *arr)
{
	if (!*t || (t[0] == '0' && t[1]) || strspn(t, "0123456789") != strlen(t) ||
	    strlen(t) > 9)
		return -1;
	long i = strtol(t, NULL, 10);
	return i < cJSON_GetArraySize(arr) ? (int)i : -1;
}

static cJSON *ptr_step(cJSON *cur, const char *t)
{
	if (cJSON_IsObject(cur))
		return cJSON_GetObjectItemCaseSensitive(cur, t);
	if (cJSON_IsArray(cur)) {
		int i = ptr_index(t, cur);
		return i < 0 ? NULL : cJSON_GetArrayItem(cur, i);
	}
	return NULL;
}

/* The value at the pointer in doc (borrowed), or NULL when absent or invalid. */
cJSON *ssa_ptr_get(cJSON *doc, const char *ptr)
{
	char **t;
	size_t n;
	if (ssa_ptr_parse(ptr, &t, &n) < 0)
		return NULL;
	cJSON *cur = doc;
	for (size_t i = 0; i < n && cur; i++)
		cur = ptr_step(cur, t[i]);
	free(t);
	return cur;
}

/* Removes the value at the pointer from doc (not the document itself); true when removed. */
bool ssa_ptr_remove(cJSON *doc, const char *ptr)
{
	char **t;
	size_t n;
	if (ssa_ptr_parse(ptr, &t, &n) < 0)
		return false;
	bool done = false;
	cJSON *cur = doc;
	for (size_t i = 0; n > 0 && i + 1 < n && cur; i++)
		cur = ptr_step(cur, t[i]);
	if (n > 0 && cJSON_IsObject(cur) && cJSON_GetObjectItemCaseSensitive(cur, t[n - 1])) {
		cJSON_DeleteItemFromObjectCaseSensitive(cur, t[n - 1]);
		done = true;
	} else if (n > 0 && cJSON_IsArray(cur) && ptr_index(t[n - 1], cur) >= 0) {
		cJSON_DeleteItemFromArray(cur, ptr_index(t[n - 1], cur));
		done = true;
	}
	free(t);
	return done;
}

/* Replaces the existing value at the pointer in doc by val (taken); false (val freed) when
 * there is no value there. */
bool ssa_ptr_replace(cJSON *doc, const char *ptr, cJSON *val)
{
	char **t;
	size_t n;
	bool done = false;
	if (ssa_ptr_parse(ptr, &t, &n) < 0 || n == 0) {
		free(t);
		cJSON_Delete(val);
		return false;
	}
	cJSON *cur = doc;
	for (size_t i = 0; i + 1 < n && cur; i++)
		cur = ptr_step(cur, t[i]);
	if (cJSON_IsObject(cur) && cJSON_GetObjectItemCaseSensitive(cur, t[n - 1]))
		done = cJSON_ReplaceItemInObjectCaseSensitive(cur, t[n - 1], val);
	else if (cJSON_IsArray(cur) && ptr_index(t[n - 1], cur) >= 0)
		done = cJSON_ReplaceItemInArray(cur, ptr_index(t[n - 1], cur), val);
	if (!done)
		cJSON_Delete(val);
	free(t);
	return done;
}

/* ---------------------------------------------------------------- ignore rules */

/* Does obj match an ignore rule's target (spec.ignore[].target; Flux's jsondiff Selector:
 * anchored regexes for group, version, kind, name and namespace, label and annotation
 * selectors)? No target matches every object. */
bool ssa_ignore_target_matches(const cJSON *target, const cJSON *obj)
{
	if (!cJSON_IsObject(target))
		return true;
	const char *av = json_str(obj, "apiVersion");
	char group[256] = "", version[128] = "";
	const char *slash = av ? strchr(av, '/') : NULL;
	if (slash) {
		snprintf(group, sizeof group, "%.*s", (int)(slash - av), av);
		snprintf(version, sizeof version, "%s", slash + 1);
	} else if (av) {
		snprintf(version, sizeof version, "%s", av);
	}
	const cJSON *md = json_get(obj, "metadata");
	tsel_obj o = {
		.group = group,
		.version = version,
		.kind = json_str(obj, "kind"),
		.name = {kube_obj_name(obj)},
		.ns = {kube_obj_namespace(obj)},
		.labels = json_get(md, "labels"),
		.annotations = json_get(md, "annotations"),
	};
	/* An invalid regex or selector selects nothing. */
	tsel t;
	tsel_init(&t, target, TSEL_GVK_REGEX, "");
	bool ok = tsel_match(&t, &o, NULL) == 1;
	tsel_release(&t);
	return ok;
}

/* The ignore paths that apply to obj (a new array of strings), or NULL when none. */
cJSON *ssa_ignore_paths_for(const cJSON *rules, const cJSON *obj)
{
	cJSON *out = NULL;
	const cJSON *r;
	cJSON_ArrayForEach(r, rules) {
		if (!ssa_ignore_target_matches(json_get(r, "target"), obj))
			continue;
		const cJSON *p;
		cJSON_ArrayForEach(p, json_get(r, "paths")) {
			if (!cJSON_IsString(p) || !*p->valuestring)
				continue;
			if (!out)
				out = cJSON_CreateArray();
			cJSON_AddItemToArray(out, cJSON_CreateString(p->valuestring));
		}
	}
	return out;
}

/* hasDrifted with the ignored paths removed from both sides first. */
bool ssa_drifted_ignoring(const cJSON *cur, const cJSON *dry, const cJSON *paths)
{
	if (!paths || !cur)
		return ssa_drifted(cur, dry);
	cJSON *a = cJSON_Duplicate(cur, 1), *b = cJSON_Duplicate(dry, 1);
	const cJSON *p;
	cJSON_ArrayForEach(p, paths) {
		ssa_ptr_remove(a, p->valuestring);
		ssa_ptr_remove(b, p->valuestring);
	}
	bool d = ssa_drifted(a, b);
	cJSON_Delete(a);
	cJSON_Delete(b);
	return d;
}

/* Does another field manager own the field at the pointer through a server-side apply
 * (an Apply entry of metadata.managedFields that is not o->field_manager's and not one
 * whose fields the clean-up hands over)? Only object keys are followed: a pointer through an
 * array element is never reported as co-owned. */
bool ssa_ignore_co_owned(const ssa_options *o, const cJSON *cur, const char *ptr)
{
	char **t;
	size_t n;
	if (ssa_ptr_parse(ptr, &t, &n) < 0 || n == 0) {
		free(t);
		return false;
	}
	bool owned = false;
	const cJSON *ent;
	cJSON_ArrayForEach(ent, json_get(json_get(cur, "metadata"), "managedFields")) {
		const char *sub = json_str(ent, "subresource");
		if (!ssa_str_eq(json_str(ent, "operation"), "Apply") || (sub && *sub) ||
		    ssa_str_eq(json_str(ent, "manager"), o ? o->field_manager : NULL) ||
		    ssa_foreign_manager(o, ent))
			continue;
		const cJSON *f = json_get(ent, "fieldsV1");
		for (size_t i = 0; i < n && f; i++) {
			char *key = xasprintf("f:%s", t[i]);
			f = json_get(f, key);
			free(key);
		}
		if (f) {
			owned = true;
			break;
		}
	}
	free(t);
	return owned;
}

/* The object to apply to an existing object with ignored paths, as Flux reshapes it: every
 * ignored field present in desired whose cluster value differs from the dry-run's is removed
 * when another manager co-owns it by server-side apply (our field manager releases it),
 * else it takes the cluster's value (adopted), so the apply keeps what is in the cluster.
 * Fields that did not drift, or are absent in the cluster or in desired, are left as desired.
 * NULL when nothing changes. */
cJSON *ssa_ignore_payload(const ssa_options *o, const cJSON *desired, const cJSON *cur,
	const cJSON *dry, const cJSON *paths)
{
	cJSON *out = NULL;
	const cJSON *p;
	cJSON_ArrayForEach(p, paths) {
		const char *ptr = p->valuestring;
		cJSON *cv = ssa_ptr_get((cJSON *)cur, ptr), *dv = ssa_ptr_get((cJSON *)dry, ptr);
		if (!cv || (dv && cJSON_Compare(cv, dv, true)))
			continue;
		if (!ssa_ptr_get((cJSON *)(out ? out : desired), ptr))
			continue;
		if (!out)
			out = cJSON_Duplicate(desired, 1);
		if (ssa_ignore_co_owned(o, cur, ptr))
			ssa_ptr_remove(out, ptr);
		else
			ssa_ptr_replace(out, ptr, cJSON_Duplicate(cv, 1));
	}
	return out;
}
