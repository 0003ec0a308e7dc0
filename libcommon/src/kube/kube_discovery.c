/* kube: API discovery, kinds resolved to resources and cached per group version
 * (eddy/kube.h). */
#include "kube_internal.h"
#include "eddy/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ discovery */

void kube_resource_release(kube_resource *r)
{
	free(r->group);
	free(r->version);
	free(r->kind);
	free(r->resource);
	memset(r, 0, sizeof *r);
}

static void res_copy(kube_resource *d, const kube_resource *s)
{
	*d = *s;
	d->group = xstrdup(s->group);
	d->version = xstrdup(s->version);
	d->kind = xstrdup(s->kind);
	d->resource = xstrdup(s->resource);
}

void kube_discovery_invalidate(kube_client *k)
{
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < k->ngv; i++) {
		for (size_t j = 0; j < k->gvs[i].n; j++)
			kube_resource_release(&k->gvs[i].res[j]);
		free(k->gvs[i].res);
		free(k->gvs[i].gv);
	}
	free(k->gvs);
	k->gvs = NULL;
	k->ngv = 0;
	pthread_mutex_unlock(&k->mu);
}

/* Looks up under k->mu. Returns 1 found, 0 gv known but kind missing, -1 gv unknown. */
static int disco_lookup(kube_client *k, const char *gv, const char *kind, kube_resource *out)
{
	for (size_t i = 0; i < k->ngv; i++) {
		if (strcmp(k->gvs[i].gv, gv))
			continue;
		for (size_t j = 0; j < k->gvs[i].n; j++) {
			if (!strcmp(k->gvs[i].res[j].kind, kind)) {
				res_copy(out, &k->gvs[i].res[j]);
				return 1;
			}
		}
		return 0;
	}
	return -1;
}

static void split_gv(const char *api_version, char **group, char **version)
{
	const char *sl = strchr(api_version, '/');
	if (sl) {
		*group = xstrndup(api_version, (size_t)(sl - api_version));
		*version = xstrdup(sl + 1);
	} else {
		*group = xstrdup("");
		*version = xstrdup(api_version);
	}
}

static int disco_fetch(kube_client *k, const char *gv, err *e)
{
	char *group, *version;
	split_gv(gv, &group, &version);
	char *url = *group ? xasprintf("%s/apis/%s/%s", k->cfg.server, group, version)
		: xasprintf("%s/api/%s", k->cfg.server, version);
	cJSON *list = kube_call(k, "GET", url, NULL, NULL, e);
	free(url);
	if (!list) {
		free(group);
		free(version);
		return -1;
	}
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "resources"), *it;
	size_t cnt = (size_t)cJSON_GetArraySize(items), n = 0;
	kube_resource *res = xcalloc(cnt + 1, sizeof *res);
	cJSON_ArrayForEach(it, items) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(it, "kind");
		if (!cJSON_IsString(name) || !cJSON_IsString(kind))
			continue;
		const char *sl = strchr(name->valuestring, '/');
		if (sl) {
			if (strcmp(sl + 1, "status"))
				continue;
			for (size_t j = 0; j < n; j++)
				if (!strncmp(res[j].resource, name->valuestring,
					    (size_t)(sl - name->valuestring)) &&
				    res[j].resource[sl - name->valuestring] == '\0')
					res[j].has_status = true;
			continue;
		}
		kube_resource *r = &res[n++];
		r->group = xstrdup(group);
		r->version = xstrdup(version);
		r->kind = xstrdup(kind->valuestring);
		r->resource = xstrdup(name->valuestring);
		r->namespaced = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "namespaced"));
	}
	/* a status entry listed before its resource */
	cJSON_ArrayForEach(it, items) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		if (!cJSON_IsString(name))
			continue;
		size_t l = strlen(name->valuestring);
		if (l > 7 && !strcmp(name->valuestring + l - 7, "/status"))
			for (size_t j = 0; j < n; j++)
				if (strlen(res[j].resource) == l - 7 &&
				    !strncmp(res[j].resource, name->valuestring, l - 7))
					res[j].has_status = true;
	}
	cJSON_Delete(list);
	free(group);
	free(version);
	pthread_mutex_lock(&k->mu);
	size_t i;
	for (i = 0; i < k->ngv; i++)
		if (!strcmp(k->gvs[i].gv, gv))
			break;
	if (i == k->ngv) {
		k->gvs = xrealloc(k->gvs, (k->ngv + 1) * sizeof *k->gvs);
		k->gvs[k->ngv].gv = xstrdup(gv);
		k->ngv++;
	} else {
		for (size_t j = 0; j < k->gvs[i].n; j++)
			kube_resource_release(&k->gvs[i].res[j]);
		free(k->gvs[i].res);
	}
	k->gvs[i].res = res;
	k->gvs[i].n = n;
	pthread_mutex_unlock(&k->mu);
	return 0;
}

int kube_resolve(kube_client *k, const char *api_version, const char *kind, kube_resource *out,
	err *e)
{
	memset(out, 0, sizeof *out);
	if (!api_version || !*api_version || !kind || !*kind)
		return err_fail(e, "BadRequest", "apiVersion and kind are required");
	pthread_mutex_lock(&k->mu);
	int f = disco_lookup(k, api_version, kind, out);
	pthread_mutex_unlock(&k->mu);
	if (f == 1)
		return 0;
	err fe = {0};
	if (disco_fetch(k, api_version, &fe) < 0) {
		if (kube_errkind_of(&fe) == KUBE_ENOTFOUND)
			return err_fail(e, "NotFound", "no matches for kind \"%s\" in version \"%s\"",
				kind, api_version);
		if (e)
			*e = fe;
		return -1;
	}
	pthread_mutex_lock(&k->mu);
	f = disco_lookup(k, api_version, kind, out);
	pthread_mutex_unlock(&k->mu);
	if (f == 1)
		return 0;
	return err_fail(e, "NotFound", "no matches for kind \"%s\" in version \"%s\"", kind,
		api_version);
}
