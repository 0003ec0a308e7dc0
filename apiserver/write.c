/* write: what every write path shares: storing an update (finalizer completion, CRD removal),
 * managedFields tracking and the owner check that wakes the garbage collector. */
#include "resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd.h"
#include "eddy/mem.h"
#include "gc.h"
#include "object.h"
#include "watch.h"

#if __has_include("eddy/patch.h")
#include "eddy/patch.h"
#define HAVE_PATCH 1
#else
#define HAVE_PATCH 0
#endif

const char *res_field_manager(api_ctx *c)
{
	const char *m = query_get(&c->q, "fieldManager");
	if (m && *m)
		return m;
	return NULL;
}

/* The manager name for Update entries: fieldManager or the User-Agent up to the first '/'. */
static __attribute__((unused)) char *update_manager(api_ctx *c)
{
	const char *m = res_field_manager(c);
	if (m)
		return xstrdup(m);
	const char *ua = c->rq->user_agent;
	if (!ua || !*ua)
		return xstrdup("unknown");
	const char *slash = strchr(ua, '/');
	return slash ? xstrndup(ua, (size_t)(slash - ua)) : xstrdup(ua);
}

/* Track managedFields for an ordinary write. */
void res_track(api_ctx *c, const cJSON *old, cJSON *obj, const char *sub)
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

int64_t res_store_update(apiserver *s, api_type *ty, const char *key, cJSON *obj,
                         const store_row *old, err *e)
{
	const cJSON *m = obj_meta(obj);
	bool deleting = cJSON_GetObjectItemCaseSensitive(m, "deletionTimestamp") != NULL;
	int64_t rev = store_next_rev(s->st);
	obj_set_rv(obj, rev);
	char *txt = obj_print(obj);
	int64_t got;
	bool ns_fin = ty && !strcmp(ty->resource, "namespaces") && !ty->group[0] &&
		      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
			      cJSON_GetObjectItemCaseSensitive(obj, "spec"), "finalizers")) > 0;
	if (deleting && !obj_has_finalizers(obj) && !ns_fin) {
		got = store_delete(s->st, key, txt, old->rev, old->create_rev, e);
		if (got > 0) {
			watch_emit(s, 'D', got, key, txt, old->value);
			gc_schedule(s);
			if (ty && !strcmp(ty->resource, "customresourcedefinitions") &&
			    !strcmp(ty->group, "apiextensions.k8s.io"))
				{
				crd_delete_instances(s, json_str(m, "name"));
				types_remove_crd(&s->types, json_str(m, "name"));
			}
		}
	} else {
		got = store_update(s->st, key, txt, old->rev, old->create_rev, e);
		if (got > 0) {
			watch_emit(s, 'M', got, key, txt, old->value);
			if (deleting)
				gc_schedule(s);
		}
	}
	free(txt);
	return got;
}

/* Does obj have owners of which none exists any more (so the collector must run)? Looks each
 * owner up by apiVersion/kind/name (in obj's namespace, or cluster-wide) and compares uids. */
bool res_owners_gone(apiserver *s, const api_type *ty, const cJSON *obj)
{
	const cJSON *m = obj_meta(obj);
	const cJSON *refs = cJSON_GetObjectItemCaseSensitive(m, "ownerReferences"), *r;
	if (cJSON_GetArraySize(refs) == 0)
		return false;
	cJSON_ArrayForEach(r, refs)
		if (gc_owner_state(s, r, ty->namespaced ? json_str(m, "namespace") : NULL) != 0)
			return false;
	return true;
}
