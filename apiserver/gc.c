/* gc: ownerReference garbage collection (Background, Foreground, Orphan), namespace deletion
 * and simulated workload status. A pass runs on the loop after deletes and creates of objects
 * with owners; it repeats (rescheduled by its own deletes) until nothing changes. */
#include "apiserver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"

typedef struct gobj {
	store_row row;
	cJSON *o;
	api_type *ty;
	const char *uid, *ns, *name;
	bool deleting, fg, orphan, done;
} gobj;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static api_type *type_of_key(apiserver *s, const char *key)
{
	/* "/group/resource/..." */
	const char *g = key + 1, *slash = strchr(g, '/');
	if (!slash)
		return NULL;
	const char *r = slash + 1, *slash2 = strchr(r, '/');
	if (!slash2)
		return NULL;
	char *gs = xstrndup(g, (size_t)(slash - g)), *rs = xstrndup(r, (size_t)(slash2 - r));
	api_type *ty = types_find_gr(&s->types, strcmp(gs, "core") ? gs : "", rs);
	free(gs);
	free(rs);
	return ty;
}

static bool has_fin(const cJSON *o, const char *f)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(meta_of(o), "finalizers"))
		if (cJSON_IsString(it) && !strcmp(it->valuestring, f))
			return true;
	return false;
}

static void remove_fin(cJSON *o, const char *f)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(meta_of(o), "finalizers");
	int i = 0;
	cJSON *it = arr ? arr->child : NULL;
	while (it) {
		cJSON *next = it->next;
		if (cJSON_IsString(it) && !strcmp(it->valuestring, f))
			cJSON_DeleteItemFromArray(arr, i);
		else
			i++;
		it = next;
	}
	if (arr && cJSON_GetArraySize(arr) == 0)
		cJSON_DeleteItemFromObjectCaseSensitive(meta_of(o), "finalizers");
}

static void save(apiserver *s, gobj *g)
{
	err e = {0};
	if (obj_store_update(s, g->ty, g->row.key, g->o, &g->row, &e) < 0)
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"gc update failed\",\"key\":\"%s\","
			"\"error\":\"%s\"}\n", g->row.key, e.msg);
	g->done = true;
}

static void del(apiserver *s, gobj *g, const char *prop)
{
	err e = {0};
	if (g->done || !g->ty)
		return;
	obj_delete(s, g->ty, g->ns, g->name, prop, NULL, false, NULL, &e);
	g->done = true;
}

void gc_run(apiserver *s)
{
	store_row *rows;
	err e = {0};
	long n = store_list(s->st, "/", NULL, 0, 0, &rows, NULL, &e);
	if (n <= 0)
		return;
	gobj *g = xcalloc((size_t)n, sizeof(*g));
	const char **uids = xcalloc((size_t)n, sizeof(char *));
	size_t nu = 0;
	for (long i = 0; i < n; i++) {
		g[i].row = rows[i];
		g[i].o = cJSON_Parse(rows[i].value);
		const cJSON *m = meta_of(g[i].o);
		g[i].ty = type_of_key(s, rows[i].key);
		g[i].uid = jstr(m, "uid");
		g[i].ns = jstr(m, "namespace");
		g[i].name = jstr(m, "name");
		g[i].deleting = cJSON_GetObjectItemCaseSensitive(m, "deletionTimestamp") != NULL;
		g[i].fg = g[i].deleting && has_fin(g[i].o, "foregroundDeletion");
		g[i].orphan = g[i].deleting && has_fin(g[i].o, "orphan");
		if (g[i].uid)
			uids[nu++] = g[i].uid;
	}
	free(rows);
	qsort(uids, nu, sizeof(char *), cmp_str);
	store_begin(s->st);
	/* Dependents. */
	for (long i = 0; i < n; i++) {
		const cJSON *refs = cJSON_GetObjectItemCaseSensitive(meta_of(g[i].o),
								      "ownerReferences");
		if (!cJSON_IsArray(refs) || cJSON_GetArraySize(refs) == 0 || g[i].done)
			continue;
		bool alive = false, fg_owner = false;
		const char *orphan_uid = NULL;
		const cJSON *r;
		cJSON_ArrayForEach(r, refs) {
			const char *u = jstr(r, "uid");
			if (!u || !bsearch(&u, uids, nu, sizeof(char *), cmp_str))
				continue;
			alive = true;
			for (long j = 0; j < n; j++) {
				if (!g[j].uid || strcmp(g[j].uid, u) != 0)
					continue;
				if (g[j].fg)
					fg_owner = true;
				if (g[j].orphan)
					orphan_uid = g[j].uid;
			}
		}
		if (orphan_uid) {
			cJSON *arr = cJSON_GetObjectItemCaseSensitive(meta_of(g[i].o),
								      "ownerReferences");
			int idx = 0;
			cJSON *it = arr->child;
			while (it) {
				cJSON *next = it->next;
				if (jstr(it, "uid") && !strcmp(jstr(it, "uid"), orphan_uid))
					cJSON_DeleteItemFromArray(arr, idx);
				else
					idx++;
				it = next;
			}
			if (cJSON_GetArraySize(arr) == 0)
				cJSON_DeleteItemFromObjectCaseSensitive(meta_of(g[i].o),
									"ownerReferences");
			save(s, &g[i]);
		} else if (fg_owner) {
			if (!g[i].deleting)
				del(s, &g[i], "Foreground");
		} else if (!alive && !g[i].deleting) {
			del(s, &g[i], "Background");
		}
	}
	/* Owners waiting for their dependents. */
	for (long i = 0; i < n; i++) {
		if (g[i].done || !(g[i].fg || g[i].orphan) || !g[i].uid)
			continue;
		bool has_dependents = false;
		for (long j = 0; j < n && !has_dependents; j++) {
			if (j == i || (g[j].done && !g[j].deleting))
				continue;
			const cJSON *r;
			cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(meta_of(g[j].o),
									      "ownerReferences"))
				if (jstr(r, "uid") && !strcmp(jstr(r, "uid"), g[i].uid) &&
				    !(g[i].orphan && g[j].done))
					has_dependents = true;
		}
		if (g[i].orphan) {
			remove_fin(g[i].o, "orphan");
			save(s, &g[i]);
		} else if (!has_dependents) {
			remove_fin(g[i].o, "foregroundDeletion");
			save(s, &g[i]);
		}
	}
	/* Terminating namespaces. */
	for (long i = 0; i < n; i++) {
		if (!g[i].deleting || !g[i].ty || strcmp(g[i].ty->resource, "namespaces") != 0 ||
		    g[i].ty->group[0] || g[i].done)
			continue;
		size_t remaining = 0;
		for (long j = 0; j < n; j++) {
			if (!g[j].ty || !g[j].ty->namespaced || !g[j].ns ||
			    strcmp(g[j].ns, g[i].name) != 0)
				continue;
			remaining++;
			if (!g[j].deleting)
				del(s, &g[j], "Background");
		}
		if (remaining == 0) {
			cJSON *spec = cJSON_GetObjectItemCaseSensitive(g[i].o, "spec");
			cJSON_DeleteItemFromObjectCaseSensitive(spec, "finalizers");
			remove_fin(g[i].o, "kubernetes");
			if (!cJSON_GetObjectItemCaseSensitive(meta_of(g[i].o), "finalizers")) {
				err e2 = {0};
				int64_t rev = store_next_rev(s->st);
				char rb[32];
				snprintf(rb, sizeof(rb), "%lld", (long long)rev);
				cJSON *m = meta_of(g[i].o);
				cJSON_DeleteItemFromObjectCaseSensitive(m, "resourceVersion");
				cJSON_AddStringToObject(m, "resourceVersion", rb);
				char *txt = cJSON_PrintUnformatted(g[i].o);
				int64_t got = store_delete(s->st, g[i].row.key, txt, g[i].row.rev,
							   g[i].row.create_rev, &e2);
				if (got > 0)
					api_emit(s, 'D', got, g[i].row.key, txt, g[i].row.value);
				free(txt);
				g[i].done = true;
			}
		} else {
			/* Report what is left, as the namespace controller does. */
			cJSON *st = jobj(g[i].o, "status");
			cJSON_DeleteItemFromObjectCaseSensitive(st, "conditions");
			cJSON *conds = cJSON_AddArrayToObject(st, "conditions");
			cJSON *cnd = cJSON_CreateObject();
			cJSON_AddStringToObject(cnd, "type", "NamespaceContentRemaining");
			cJSON_AddStringToObject(cnd, "status", "True");
			cJSON_AddStringToObject(cnd, "reason", "SomeResourcesRemain");
			char *msg =
			    xasprintf("Some resources are remaining: %zu objects", remaining);
			cJSON_AddStringToObject(cnd, "message", msg);
			free(msg);
			char ts[32];
			now_rfc3339(ts);
			cJSON_AddStringToObject(cnd, "lastTransitionTime", ts);
			cJSON_AddItemToArray(conds, cnd);
			cJSON *old_st = NULL;
			store_row cur;
			if (store_get(s->st, g[i].row.key, &cur, NULL) > 0) {
				cJSON *curo = cJSON_Parse(cur.value);
				old_st = cJSON_GetObjectItemCaseSensitive(curo, "status");
				bool same = cJSON_Compare(old_st, st, 1);
				cJSON_Delete(curo);
				if (!same && cur.rev == g[i].row.rev)
					save(s, &g[i]);
				store_row_release(&cur);
			}
		}
	}
	store_commit(s->st);
	for (long i = 0; i < n; i++) {
		cJSON_Delete(g[i].o);
		store_row_release(&g[i].row);
	}
	free(g);
	free(uids);
}

/* Workloads have no controllers here: report them as fully rolled out so that kstatus-based
 * waits (helm --wait, Flux health checks) succeed. */
void fake_status(api_type *ty, cJSON *obj)
{
	if (!ty || strcmp(ty->group, "apps") != 0)
		return;
	bool deploy = !strcmp(ty->resource, "deployments");
	bool sts = !strcmp(ty->resource, "statefulsets");
	bool rs = !strcmp(ty->resource, "replicasets");
	bool ds = !strcmp(ty->resource, "daemonsets");
	if (!deploy && !sts && !rs && !ds)
		return;
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	const cJSON *rep = cJSON_GetObjectItemCaseSensitive(spec, "replicas");
	double n = cJSON_IsNumber(rep) ? rep->valuedouble : 1;
	const cJSON *gen = cJSON_GetObjectItemCaseSensitive(meta_of(obj), "generation");
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
	cJSON *st = cJSON_AddObjectToObject(obj, "status");
	cJSON_AddNumberToObject(st, "observedGeneration",
				cJSON_IsNumber(gen) ? gen->valuedouble : 1);
	if (ds) {
		cJSON_AddNumberToObject(st, "currentNumberScheduled", 1);
		cJSON_AddNumberToObject(st, "desiredNumberScheduled", 1);
		cJSON_AddNumberToObject(st, "numberAvailable", 1);
		cJSON_AddNumberToObject(st, "numberMisscheduled", 0);
		cJSON_AddNumberToObject(st, "numberReady", 1);
		cJSON_AddNumberToObject(st, "updatedNumberScheduled", 1);
		return;
	}
	cJSON_AddNumberToObject(st, "replicas", n);
	cJSON_AddNumberToObject(st, "readyReplicas", n);
	cJSON_AddNumberToObject(st, "availableReplicas", n);
	if (!rs)
		cJSON_AddNumberToObject(st, "updatedReplicas", n);
	if (sts)
		cJSON_AddNumberToObject(st, "currentReplicas", n);
	if (deploy) {
		const char *ts = jstr(meta_of(obj), "creationTimestamp");
		if (!ts)
			ts = "1970-01-01T00:00:00Z";
		cJSON *conds = cJSON_AddArrayToObject(st, "conditions");
		const char *types[] = {"Available", "Progressing"};
		const char *reasons[] = {"MinimumReplicasAvailable", "NewReplicaSetAvailable"};
		const char *msgs[] = {"Deployment has minimum availability.",
				      "ReplicaSet has successfully progressed."};
		for (int i = 0; i < 2; i++) {
			cJSON *c = cJSON_CreateObject();
			cJSON_AddStringToObject(c, "type", types[i]);
			cJSON_AddStringToObject(c, "status", "True");
			cJSON_AddStringToObject(c, "lastUpdateTime", ts);
			cJSON_AddStringToObject(c, "lastTransitionTime", ts);
			cJSON_AddStringToObject(c, "reason", reasons[i]);
			cJSON_AddStringToObject(c, "message", msgs[i]);
			cJSON_AddItemToArray(conds, c);
		}
	}
}
