/* gc: ownerReference garbage collection (Background, Foreground, Orphan) and namespace
 * deletion. A pass runs on the loop after deletes and creates of objects with owners;
 * it repeats (rescheduled by its own deletes) until nothing changes. */
#include "gc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "object.h"
#include "resource.h"
#include "server.h"
#include "watch.h"

typedef struct gobj {
	store_row row;
	cJSON *o;
	api_type *ty;
	const char *uid, *ns, *name;
	bool deleting, fg, orphan, done;
} gobj;

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

static void save(apiserver *s, gobj *g)
{
	err e = {0};
	if (res_store_update(s, g->ty, g->row.key, g->o, &g->row, &e) < 0)
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"gc update failed\",\"key\":\"%s\","
			"\"error\":\"%s\"}\n", g->row.key, e.msg);
	g->done = true;
}

static void del(apiserver *s, gobj *g, const char *prop)
{
	err e = {0};
	if (g->done || !g->ty)
		return;
	res_delete_object(s, g->ty, g->ns, g->name, prop, NULL, false, NULL, &e);
	g->done = true;
}

typedef struct uid_ix {
	const char *uid;
	long i;
} uid_ix;

static int cmp_uid_ix(const void *a, const void *b)
{
	return strcmp(((const uid_ix *)a)->uid, ((const uid_ix *)b)->uid);
}

/* Is the owner a reference points to alive? 1 alive, 0 gone, -1 unknown kind (callers treat it
 * as alive: what cannot be checked is not collected). Point lookup by apiVersion/kind/name in
 * the dependent's namespace (or cluster-wide for cluster-scoped owners), compared by uid. */
int gc_owner_state(apiserver *s, const cJSON *ref, const char *ns)
{
	const char *av = json_str(ref, "apiVersion"), *kind = json_str(ref, "kind");
	const char *name = json_str(ref, "name"), *uid = json_str(ref, "uid");
	if (!av || !kind || !name || !uid)
		return -1;
	const char *slash = strchr(av, '/');
	char *group = slash ? xstrndup(av, (size_t)(slash - av)) : xstrdup("");
	api_type *ot = types_find_kind(&s->types, group, slash ? slash + 1 : av, kind);
	free(group);
	if (!ot)
		return -1;
	char *key = obj_key(ot, ns, name);
	store_row row;
	int alive = 0;
	if (store_get(s->st, key, &row, NULL) > 0) {
		cJSON *o = cJSON_Parse(row.value);
		const char *ou = json_str(obj_meta(o), "uid");
		alive = ou && !strcmp(ou, uid);
		cJSON_Delete(o);
		store_row_release(&row);
	}
	free(key);
	return alive;
}

/* Delete (or finish) everything in a terminating namespace; returns how many objects remain. */
static size_t empty_namespace(apiserver *s, const char *ns)
{
	size_t remaining = 0;
	for (size_t t = 0; t < s->types.n; t++) {
		api_type *ty = s->types.v[t];
		if (!ty->namespaced || !ty->storage)
			continue;
		char *base = types_key_prefix(ty);
		char *prefix = xasprintf("%s%s/", base, ns);
		free(base);
		store_row *rows;
		err e = {0};
		long n = store_list(s->st, prefix, NULL, 0, 0, &rows, NULL, &e);
		free(prefix);
		for (long i = 0; i < n; i++) {
			remaining++;
			if (strstr(rows[i].value, "\"deletionTimestamp\""))
				continue;
			cJSON *o = cJSON_Parse(rows[i].value);
			const char *name = json_str(obj_meta(o), "name");
			if (name)
				res_delete_object(s, ty, ns, name, "Background", NULL, false, NULL,
						  &e);
			cJSON_Delete(o);
		}
		if (n > 0)
			store_rows_free(rows, (size_t)n);
	}
	return remaining;
}

static void gc_run(apiserver *s)
{
	store_row *rows;
	err e = {0};
	/* Only objects with owners or being deleted can need work. */
	long n = store_list_containing(s->st, "/", "\"ownerReferences\"", "\"deletionTimestamp\"",
				       &rows, &e);
	if (n == 0)
		s->gc_idle = true;
	if (n <= 0)
		return;
	gobj *g = xcalloc((size_t)n, sizeof(*g));
	uid_ix *uids = xcalloc((size_t)n, sizeof(*uids));
	size_t nu = 0;
	for (long i = 0; i < n; i++) {
		g[i].row = rows[i];
		g[i].o = cJSON_Parse(rows[i].value);
		const cJSON *m = obj_meta(g[i].o);
		g[i].ty = type_of_key(s, rows[i].key);
		g[i].uid = json_str(m, "uid");
		g[i].ns = json_str(m, "namespace");
		g[i].name = json_str(m, "name");
		g[i].deleting = cJSON_GetObjectItemCaseSensitive(m, "deletionTimestamp") != NULL;
		g[i].fg = g[i].deleting && obj_has_finalizer(g[i].o, "foregroundDeletion");
		g[i].orphan = g[i].deleting && obj_has_finalizer(g[i].o, "orphan");
		if (g[i].uid)
			uids[nu++] = (uid_ix){g[i].uid, i};
	}
	free(rows);
	qsort(uids, nu, sizeof(*uids), cmp_uid_ix);
	store_begin(s->st);
	/* Dependents. */
	for (long i = 0; i < n; i++) {
		const cJSON *refs = cJSON_GetObjectItemCaseSensitive(obj_meta(g[i].o),
								      "ownerReferences");
		if (!cJSON_IsArray(refs) || cJSON_GetArraySize(refs) == 0 || g[i].done || !g[i].ty)
			continue;
		bool alive = false, fg_owner = false;
		const char *orphan_uid = NULL;
		const cJSON *r;
		cJSON_ArrayForEach(r, refs) {
			const char *u = json_str(r, "uid");
			if (!u)
				continue;
			uid_ix key = {u, 0};
			uid_ix *hit = bsearch(&key, uids, nu, sizeof(*uids), cmp_uid_ix);
			if (hit) {
				/* The owner is a candidate itself (being deleted, or owned). */
				alive = true;
				if (g[hit->i].fg)
					fg_owner = true;
				if (g[hit->i].orphan)
					orphan_uid = g[hit->i].uid;
				continue;
			}
			if (gc_owner_state(s, r, g[i].ty->namespaced ? g[i].ns : NULL) != 0)
				alive = true;
		}
		if (orphan_uid) {
			cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj_meta(g[i].o),
								      "ownerReferences");
			int idx = 0;
			cJSON *it = arr->child;
			while (it) {
				cJSON *next = it->next;
				if (json_str(it, "uid") && !strcmp(json_str(it, "uid"), orphan_uid))
					cJSON_DeleteItemFromArray(arr, idx);
				else
					idx++;
				it = next;
			}
			if (cJSON_GetArraySize(arr) == 0)
				cJSON_DeleteItemFromObjectCaseSensitive(obj_meta(g[i].o),
									"ownerReferences");
			save(s, &g[i]);
		} else if (fg_owner) {
			if (!g[i].deleting)
				del(s, &g[i], "Foreground");
		} else if (!alive && !g[i].deleting) {
			del(s, &g[i], "Background");
		}
	}
	/* Owners waiting for their dependents (which are all candidates: they have owners). */
	for (long i = 0; i < n; i++) {
		if (g[i].done || !(g[i].fg || g[i].orphan) || !g[i].uid)
			continue;
		bool has_dependents = false;
		for (long j = 0; j < n && !has_dependents; j++) {
			if (j == i || (g[j].done && !g[j].deleting))
				continue;
			const cJSON *r;
			cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(obj_meta(g[j].o),
									      "ownerReferences"))
				if (json_str(r, "uid") && !strcmp(json_str(r, "uid"), g[i].uid) &&
				    !(g[i].orphan && g[j].done))
					has_dependents = true;
		}
		if (g[i].orphan) {
			obj_remove_finalizer(g[i].o, "orphan");
			save(s, &g[i]);
		} else if (!has_dependents) {
			obj_remove_finalizer(g[i].o, "foregroundDeletion");
			save(s, &g[i]);
		}
	}
	/* Terminating namespaces. */
	for (long i = 0; i < n; i++) {
		if (!g[i].deleting || !g[i].ty || strcmp(g[i].ty->resource, "namespaces") != 0 ||
		    g[i].ty->group[0] || g[i].done || !g[i].name)
			continue;
		size_t remaining = empty_namespace(s, g[i].name);
		if (remaining == 0) {
			cJSON *spec = cJSON_GetObjectItemCaseSensitive(g[i].o, "spec");
			cJSON_DeleteItemFromObjectCaseSensitive(spec, "finalizers");
			obj_remove_finalizer(g[i].o, "kubernetes");
			if (!cJSON_GetObjectItemCaseSensitive(obj_meta(g[i].o), "finalizers")) {
				err e2 = {0};
				int64_t rev = store_next_rev(s->st);
				char rb[32];
				snprintf(rb, sizeof(rb), "%lld", (long long)rev);
				cJSON *m = obj_meta(g[i].o);
				cJSON_DeleteItemFromObjectCaseSensitive(m, "resourceVersion");
				cJSON_AddStringToObject(m, "resourceVersion", rb);
				char *txt = cJSON_PrintUnformatted(g[i].o);
				store_row cur;
				/* The namespace may have changed during this pass. */
				if (store_get(s->st, g[i].row.key, &cur, NULL) > 0) {
					int64_t got = store_delete(s->st, g[i].row.key, txt, cur.rev,
								   cur.create_rev, &e2);
					if (got > 0)
						watch_emit(s, 'D', got, g[i].row.key, txt,
							   cur.value);
					store_row_release(&cur);
				}
				free(txt);
				g[i].done = true;
			}
		} else {
			/* Report what is left, as the namespace controller does. */
			char *msg = xasprintf("Some resources are remaining: %zu objects", remaining);
			store_row cur;
			if (store_get(s->st, g[i].row.key, &cur, NULL) > 0) {
				cJSON *curo = cJSON_Parse(cur.value);
				const cJSON *conds = cJSON_GetObjectItemCaseSensitive(
					cJSON_GetObjectItemCaseSensitive(curo, "status"), "conditions");
				const cJSON *c0 = cJSON_GetArrayItem(conds, 0);
				const char *m0 = json_str(c0, "message");
				bool same = c0 && m0 && !strcmp(m0, msg);
				if (!same && curo) {
					cJSON *st = json_obj_ensure(curo, "status");
					cJSON_DeleteItemFromObjectCaseSensitive(st, "conditions");
					cJSON *ca = cJSON_AddArrayToObject(st, "conditions");
					cJSON *cnd = cJSON_CreateObject();
					cJSON_AddStringToObject(cnd, "type", "NamespaceContentRemaining");
					cJSON_AddStringToObject(cnd, "status", "True");
					cJSON_AddStringToObject(cnd, "reason", "SomeResourcesRemain");
					cJSON_AddStringToObject(cnd, "message", msg);
					char ts[32];
					obj_timestamp(ts);
					cJSON_AddStringToObject(cnd, "lastTransitionTime", ts);
					cJSON_AddItemToArray(ca, cnd);
					err e3 = {0};
					res_store_update(s, g[i].ty, cur.key, curo, &cur, &e3);
				}
				cJSON_Delete(curo);
				store_row_release(&cur);
			}
			free(msg);
			g[i].done = true;
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

static void gc_cb(uv_timer_t *t)
{
	apiserver *s = t->data;
	s->gc_pending = false;
	gc_run(s);
}

void gc_schedule(apiserver *s)
{
	/* Nothing has owners or is being deleted: a pass would find nothing to do. */
	if (s->gc_pending || s->closing || s->gc_idle)
		return;
	s->gc_pending = true;
	uv_timer_start(&s->gc_timer, gc_cb, 0, 0);
}
