/* patch: JSON merge patch (RFC 7386), with the null handling of evanphx/json-patch v4, which
 * the Kubernetes API server uses: nulls inside a value that is added (or that replaces a
 * non-object) are pruned from objects at every depth, array elements stay. */
#include <string.h>

#include "patch_int.h"

static void prune_nulls(cJSON *v, int depth)
{
	if (depth > PATCH_MAX_DEPTH)
		return;
	if (cJSON_IsObject(v)) {
		cJSON *c = v->child;
		while (c) {
			cJSON *next = c->next;
			if (cJSON_IsNull(c))
				cJSON_Delete(cJSON_DetachItemViaPointer(v, c));
			else
				prune_nulls(c, depth + 1);
			c = next;
		}
	} else if (cJSON_IsArray(v)) {
		for (cJSON *c = v->child; c; c = c->next)
			prune_nulls(c, depth + 1);
	}
}

/* Merge patch object p into object doc (in place). */
static void merge_docs(cJSON *doc, const cJSON *p, int depth)
{
	patch_oix ox;
	patch_oix_init(&ox, doc);
	for (const cJSON *pv = p->child; pv; pv = pv->next) {
		if (cJSON_IsNull(pv)) {
			patch_oix_delete(&ox, pv->string);
			continue;
		}
		cJSON *cur = patch_oix_get(&ox, pv->string);
		if (!cur || cJSON_IsNull(cur) || !cJSON_IsObject(cur)) {
			cJSON *nv = patch_u_dup(pv);
			prune_nulls(nv, depth + 1);
			patch_oix_set(&ox, pv->string, nv);
		} else if (!cJSON_IsObject(pv)) {
			patch_oix_set(&ox, pv->string, patch_u_dup(pv));
		} else {
			merge_docs(cur, pv, depth + 1);
		}
	}
	patch_oix_free(&ox);
}

cJSON *patch_merge(const cJSON *target, const cJSON *patch, err *e)
{
	if (!patch || cJSON_IsNull(patch)) {
		err_fail(e, PATCH_REASON, "Invalid JSON Patch");
		return NULL;
	}
	if (patch_u_depth(patch, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH ||
	    (target && patch_u_depth(target, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH)) {
		err_fail(e, PATCH_REASON, "patch or document nested deeper than %d levels",
			 PATCH_MAX_DEPTH);
		return NULL;
	}
	if (!cJSON_IsObject(patch) || !cJSON_IsObject(target)) {
		cJSON *out = patch_u_dup(patch);
		prune_nulls(out, 0);
		return out;
	}
	cJSON *out = patch_u_dup(target);
	merge_docs(out, patch, 0);
	return out;
}
