/* Target selection as kustomize's resmap Select does: exact group, version and kind, name and
 * namespace regexes tried on the original and then the current id, label and annotation
 * selectors (eddy/targetsel.h). */
#include "eddy/targetsel.h"
#include "kz_int.h"

static const char *effective_ns(const char *ns, const cJSON *obj)
{
	char g[256], v[128];
	kz_split_apiversion(kz_apiversion(obj), g, sizeof(g), v, sizeof(v));
	if (kz_is_cluster_scoped(g, kz_kind(obj)))
		return "";
	return *ns ? ns : "default";
}

bool kz_selector_matches(const cJSON *sel, const cJSON *obj, const kz_res *r, err *e)
{
	char rg[256], rv[128];
	kz_split_apiversion(kz_apiversion(obj), rg, sizeof(rg), rv, sizeof(rv));
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	tsel_obj o = {
		.group = rg,
		.version = rv,
		.kind = kz_kind(obj),
		.ns = {effective_ns(r ? r->nss.v[0] : "", obj),
		       effective_ns(kz_namespace(obj), obj)},
		.name = {r ? r->names.v[0] : kz_name(obj), kz_name(obj)},
		.labels = cJSON_GetObjectItemCaseSensitive(md, "labels"),
		.annotations = cJSON_GetObjectItemCaseSensitive(md, "annotations"),
	};
	tsel t;
	tsel_init(&t, sel, 0, KZ_REASON);
	int rc = tsel_match(&t, &o, e);
	tsel_release(&t);
	return rc == 1;
}
