/* kustomize's legacy output order: kinds in a fixed order (Namespace first, webhooks last,
 * everything else in between), then by group_version_kind text, namespace and name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "kz_int.h"

static const char *const first[] = {
	"Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition",
	"ServiceAccount", "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding",
	"ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service", "LimitRange",
	"PriorityClass", "PersistentVolume", "PersistentVolumeClaim", "Deployment",
	"StatefulSet", "CronJob", "PodDisruptionBudget", NULL,
};
static const char *const last[] = {
	"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", NULL,
};

static int order(const char *kind)
{
	int nf = 0;
	while (first[nf])
		nf++;
	for (int i = 0; first[i]; i++)
		if (!strcmp(first[i], kind))
			return i - nf;
	for (int i = 0; last[i]; i++)
		if (!strcmp(last[i], kind))
			return i + 1;
	return 0;
}

static char *gvkstr(const cJSON *o)
{
	char g[256], v[128];
	const char *k = kz_kind(o);
	kz_split_apiversion(kz_apiversion(o), g, sizeof(g), v, sizeof(v));
	return xasprintf("%s_%s_%s", g[0] ? g : "~G", v[0] ? v : "~V", *k ? k : "~K");
}

static int cmp(const void *pa, const void *pb)
{
	const kz_res *a = *(kz_res *const *)pa, *b = *(kz_res *const *)pb;
	int oa = order(kz_kind(a->obj)), ob = order(kz_kind(b->obj));
	char *ga = gvkstr(a->obj), *gb = gvkstr(b->obj);
	int r;
	if (strcmp(ga, gb)) {
		r = oa != ob ? (oa < ob ? -1 : 1) : strcmp(ga, gb);
	} else {
		const char *na = kz_namespace(a->obj), *nb = kz_namespace(b->obj);
		r = strcmp(*na ? na : "~X", *nb ? nb : "~X");
		if (!r)
			r = strcmp(kz_name(a->obj), kz_name(b->obj));
	}
	free(ga);
	free(gb);
	return r;
}

void kz_sort_legacy(kz_resmap *m)
{
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(*m->v), cmp);
}
