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

/* The orders in use (the defaults or sortOptions.legacySortOptions); set for one qsort. */
static __thread const cJSON *custom_first, *custom_last;

static int order(const char *kind)
{
	int nf = 0, i = 0;
	const cJSON *it;
	if (custom_first || custom_last) {
		/* as kustomize's map of kind to rank: a later entry (orderLast after orderFirst)
		 * overrides an earlier one */
		int rank = 0;
		nf = cJSON_GetArraySize(custom_first);
		cJSON_ArrayForEach(it, custom_first) {
			if (cJSON_IsString(it) && !strcmp(it->valuestring, kind))
				rank = i - nf;
			i++;
		}
		i = 0;
		cJSON_ArrayForEach(it, custom_last) {
			if (cJSON_IsString(it) && !strcmp(it->valuestring, kind))
				rank = i + 1;
			i++;
		}
		return rank;
	}
	while (first[nf])
		nf++;
	for (i = 0; first[i]; i++)
		if (!strcmp(first[i], kind))
			return i - nf;
	for (i = 0; last[i]; i++)
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

int kz_sort(kz_resmap *m, const cJSON *opts, err *e)
{
	const cJSON *order_j = cJSON_GetObjectItemCaseSensitive(opts, "order");
	const cJSON *legacy = cJSON_GetObjectItemCaseSensitive(opts, "legacySortOptions");
	if (cJSON_IsString(order_j) && !strcmp(order_j->valuestring, "fifo")) {
		if (legacy)
			return err_fail(e, KZ_REASON, "the field 'sortOptions.legacySortOptions' "
					"is set but the selected sort order is 'fifo', not "
					"'legacy'");
		return 0;
	}
	if (order_j && !(cJSON_IsString(order_j) && !strcmp(order_j->valuestring, "legacy")))
		return err_fail(e, KZ_REASON, "the field 'sortOptions.order' must be one of "
				"[fifo, legacy]");
	custom_first = cJSON_GetObjectItemCaseSensitive(legacy, "orderFirst");
	custom_last = cJSON_GetObjectItemCaseSensitive(legacy, "orderLast");
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(*m->v), cmp);
	custom_first = custom_last = NULL;
	return 0;
}
