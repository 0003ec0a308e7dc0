/* discovery: /api, /apis, /api/v1, /apis/G[/V] in legacy and aggregated (v2) forms. */
#include "discovery.h"

#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "resp.h"

static const char *const verb_names[] = {"create", "delete", "deletecollection", "get",
					 "list", "patch", "update", "watch"};

static cJSON *verbs_json(unsigned verbs)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; i < 8; i++)
		if (verbs & (1u << i))
			cJSON_AddItemToArray(a, cJSON_CreateString(verb_names[i]));
	return a;
}

static cJSON *strings_json(const strv *v)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < v->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i]));
	return a;
}

/* Does the Accept header ask for aggregated discovery v2? */
static bool wants_aggregated(const char *accept)
{
	if (!accept)
		return false;
	const char *p = accept;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char *item = xstrndup(p, n);
		bool as = strstr(item, "as=APIGroupDiscoveryList") != NULL;
		bool g = strstr(item, "g=apidiscovery.k8s.io") != NULL;
		bool v2 = false;
		for (char *q = strstr(item, "v=v2"); q; q = strstr(q + 1, "v=v2"))
			if (q[4] == '\0' || q[4] == ';' || q[4] == ' ')
				v2 = true;
		free(item);
		if (as && g && v2)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

static bool group_seen(const char **groups, size_t n, const char *g)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(groups[i], g))
			return true;
	return false;
}

/* Versions of group in preference order (caller frees the array, not the strings). */
static size_t group_versions(types *t, const char *group, const char ***out)
{
	const char **vs = NULL;
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++) {
		api_type *ty = t->v[i];
		if (strcmp(ty->group, group) != 0 || group_seen(vs, n, ty->version))
			continue;
		vs = xrealloc(vs, (n + 1) * sizeof(*vs));
		vs[n++] = ty->version;
	}
	/* Preferred first: sort by Kubernetes version priority. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && types_version_cmp(vs[j], vs[j - 1]) < 0; j--) {
			const char *x = vs[j];
			vs[j] = vs[j - 1];
			vs[j - 1] = x;
		}
	*out = vs;
	return n;
}

static size_t all_groups(types *t, const char ***out)
{
	const char **gs = NULL;
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++) {
		const char *g = t->v[i]->group;
		if (!g[0] || group_seen(gs, n, g))
			continue;
		gs = xrealloc(gs, (n + 1) * sizeof(*gs));
		gs[n++] = g;
	}
	*out = gs;
	return n;
}

static cJSON *gv_json(const char *group, const char *version)
{
	cJSON *o = cJSON_CreateObject();
	char *gv = group[0] ? xasprintf("%s/%s", group, version) : xstrdup(version);
	cJSON_AddStringToObject(o, "groupVersion", gv);
	cJSON_AddStringToObject(o, "version", version);
	free(gv);
	return o;
}

static cJSON *api_group_json(types *t, const char *group)
{
	const char **vs;
	size_t nv = group_versions(t, group, &vs);
	cJSON *g = cJSON_CreateObject();
	cJSON_AddStringToObject(g, "name", group);
	cJSON *arr = cJSON_AddArrayToObject(g, "versions");
	for (size_t i = 0; i < nv; i++)
		cJSON_AddItemToArray(arr, gv_json(group, vs[i]));
	if (nv)
		cJSON_AddItemToObject(g, "preferredVersion", gv_json(group, vs[0]));
	free(vs);
	return g;
}

static cJSON *resource_list(types *t, const char *group, const char *version)
{
	cJSON *l = cJSON_CreateObject();
	cJSON_AddStringToObject(l, "kind", "APIResourceList");
	cJSON_AddStringToObject(l, "apiVersion", "v1");
	char *gv = group[0] ? xasprintf("%s/%s", group, version) : xstrdup(version);
	cJSON_AddStringToObject(l, "groupVersion", gv);
	free(gv);
	cJSON *arr = cJSON_AddArrayToObject(l, "resources");
	for (size_t i = 0; i < t->n; i++) {
		api_type *ty = t->v[i];
		if (strcmp(ty->group, group) != 0 || strcmp(ty->version, version) != 0)
			continue;
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "name", ty->resource);
		cJSON_AddStringToObject(r, "singularName", ty->singular);
		cJSON_AddBoolToObject(r, "namespaced", ty->namespaced);
		cJSON_AddStringToObject(r, "kind", ty->kind);
		cJSON_AddItemToObject(r, "verbs", verbs_json(ty->verbs));
		if (ty->short_names.n)
			cJSON_AddItemToObject(r, "shortNames",
					      strings_json(&ty->short_names));
		if (ty->categories.n)
			cJSON_AddItemToObject(r, "categories",
					      strings_json(&ty->categories));
		cJSON_AddItemToArray(arr, r);
		for (size_t j = 0; j < ty->n_subres; j++) {
			api_subres *sr = &ty->subres[j];
			cJSON *s = cJSON_CreateObject();
			char *n = xasprintf("%s/%s", ty->resource, sr->name);
			cJSON_AddStringToObject(s, "name", n);
			free(n);
			cJSON_AddStringToObject(s, "singularName", "");
			cJSON_AddBoolToObject(s, "namespaced", ty->namespaced);
			if (strcmp(sr->group, group) != 0)
				cJSON_AddStringToObject(s, "group", sr->group);
			if (strcmp(sr->version, version) != 0 || strcmp(sr->group, group) != 0)
				cJSON_AddStringToObject(s, "version", sr->version);
			cJSON_AddStringToObject(s, "kind", sr->kind);
			cJSON_AddItemToObject(s, "verbs", verbs_json(sr->verbs));
			cJSON_AddItemToArray(arr, s);
		}
	}
	return l;
}

static cJSON *gvk_json(const char *g, const char *v, const char *k)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "group", g);
	cJSON_AddStringToObject(o, "version", v);
	cJSON_AddStringToObject(o, "kind", k);
	return o;
}

static cJSON *aggregated_group(types *t, const char *group)
{
	const char **vs;
	size_t nv = group_versions(t, group, &vs);
	cJSON *g = cJSON_CreateObject();
	cJSON_AddItemToObject(g, "metadata", cJSON_CreateObject());
	cJSON_AddStringToObject(cJSON_GetObjectItem(g, "metadata"), "name", group);
	cJSON *varr = cJSON_AddArrayToObject(g, "versions");
	for (size_t vi = 0; vi < nv; vi++) {
		cJSON *ver = cJSON_CreateObject();
		cJSON_AddStringToObject(ver, "version", vs[vi]);
		cJSON *rarr = cJSON_AddArrayToObject(ver, "resources");
		for (size_t i = 0; i < t->n; i++) {
			api_type *ty = t->v[i];
			if (strcmp(ty->group, group) != 0 || strcmp(ty->version, vs[vi]) != 0)
				continue;
			cJSON *r = cJSON_CreateObject();
			cJSON_AddStringToObject(r, "resource", ty->resource);
			cJSON_AddItemToObject(r, "responseKind",
					      gvk_json(ty->group, ty->version, ty->kind));
			cJSON_AddStringToObject(r, "scope",
						ty->namespaced ? "Namespaced" : "Cluster");
			cJSON_AddStringToObject(r, "singularResource", ty->singular);
			cJSON_AddItemToObject(r, "verbs", verbs_json(ty->verbs));
			if (ty->short_names.n)
				cJSON_AddItemToObject(r, "shortNames",
						      strings_json(&ty->short_names));
			if (ty->categories.n)
				cJSON_AddItemToObject(r, "categories",
						      strings_json(&ty->categories));
			if (ty->n_subres) {
				cJSON *sarr = cJSON_AddArrayToObject(r, "subresources");
				for (size_t j = 0; j < ty->n_subres; j++) {
					api_subres *sr = &ty->subres[j];
					cJSON *s = cJSON_CreateObject();
					cJSON_AddStringToObject(s, "subresource", sr->name);
					cJSON_AddItemToObject(s, "responseKind",
							      gvk_json(sr->group, sr->version,
								       sr->kind));
					cJSON_AddItemToObject(s, "verbs", verbs_json(sr->verbs));
					cJSON_AddItemToArray(sarr, s);
				}
			}
			cJSON_AddItemToArray(rarr, r);
		}
		cJSON_AddStringToObject(ver, "freshness", "Current");
		cJSON_AddItemToArray(varr, ver);
	}
	free(vs);
	return g;
}

static void aggregated(api_ctx *c, bool core)
{
	cJSON *l = cJSON_CreateObject();
	cJSON_AddStringToObject(l, "kind", "APIGroupDiscoveryList");
	cJSON_AddStringToObject(l, "apiVersion", "apidiscovery.k8s.io/v2");
	cJSON_AddItemToObject(l, "metadata", cJSON_CreateObject());
	cJSON *items = cJSON_AddArrayToObject(l, "items");
	if (core) {
		cJSON_AddItemToArray(items, aggregated_group(&c->s->types, ""));
	} else {
		const char **gs;
		size_t ng = all_groups(&c->s->types, &gs);
		for (size_t i = 0; i < ng; i++)
			cJSON_AddItemToArray(items, aggregated_group(&c->s->types, gs[i]));
		free(gs);
	}
	resp_json(c->rs, 200, l);
	c->rs->content_type =
	    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
}

void discovery_handle(api_ctx *c, const char **seg, size_t nseg)
{
	types *t = &c->s->types;
	bool core = !strcmp(seg[0], "api");
	if (strcmp(c->rq->method, "GET") != 0 && strcmp(c->rq->method, "HEAD") != 0) {
		resp_status(c->rs, 405, "MethodNotAllowed",
			    "the server does not allow this method on the requested resource",
			    NULL);
		return;
	}
	if (nseg == 1) {
		if (wants_aggregated(c->rq->accept)) {
			aggregated(c, core);
			return;
		}
		cJSON *o = cJSON_CreateObject();
		if (core) {
			cJSON_AddStringToObject(o, "kind", "APIVersions");
			cJSON *v = cJSON_AddArrayToObject(o, "versions");
			cJSON_AddItemToArray(v, cJSON_CreateString("v1"));
			cJSON *sa = cJSON_AddArrayToObject(o, "serverAddressByClientCIDRs");
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "clientCIDR", "0.0.0.0/0");
			cJSON_AddStringToObject(e, "serverAddress", c->s->opts.server_address);
			cJSON_AddItemToArray(sa, e);
		} else {
			cJSON_AddStringToObject(o, "kind", "APIGroupList");
			cJSON_AddStringToObject(o, "apiVersion", "v1");
			cJSON *arr = cJSON_AddArrayToObject(o, "groups");
			const char **gs;
			size_t ng = all_groups(t, &gs);
			for (size_t i = 0; i < ng; i++)
				cJSON_AddItemToArray(arr, api_group_json(t, gs[i]));
			free(gs);
		}
		resp_json(c->rs, 200, o);
		return;
	}
	if (core) {
		if (strcmp(seg[1], "v1") != 0)
			goto nf;
		resp_json(c->rs, 200, resource_list(t, "", "v1"));
		return;
	}
	const char **vs;
	size_t nv = group_versions(t, seg[1], &vs);
	bool found = false;
	for (size_t i = 0; i < nv; i++)
		if (nseg == 3 && !strcmp(vs[i], seg[2]))
			found = true;
	free(vs);
	if (nv == 0 || (nseg == 3 && !found))
		goto nf;
	if (nseg == 2) {
		cJSON *g = api_group_json(t, seg[1]);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "kind", "APIGroup");
		cJSON_AddStringToObject(o, "apiVersion", "v1");
		cJSON *it;
		cJSON_ArrayForEach(it, g)
			;
		cJSON_AddItemReferenceToObject(o, "name", cJSON_GetObjectItem(g, "name"));
		cJSON_AddItemReferenceToObject(o, "versions", cJSON_GetObjectItem(g, "versions"));
		cJSON_AddItemReferenceToObject(o, "preferredVersion",
					       cJSON_GetObjectItem(g, "preferredVersion"));
		char *txt = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		cJSON_Delete(g);
		resp_json(c->rs, 200, cJSON_Parse(txt));
		free(txt);
		return;
	}
	resp_json(c->rs, 200, resource_list(t, seg[1], seg[2]));
	return;
nf:
	resp_status(c->rs, 404, "NotFound", "the server could not find the requested resource",
		    cJSON_CreateObject());
}
