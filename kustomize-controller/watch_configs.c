/* Flux's config watchers: a change to a ConfigMap or Secret that carries the
 * --watch-configs-label-selector label (default reconcile.fluxcd.io/watch=Enabled) queues, at
 * once, every Kustomization that references it in postBuild.substituteFrom,
 * decryption.secretRef or kubeConfig (configMapRef or secretRef). Only changes of the
 * resourceVersion count (not resyncs). The feature gate DisableConfigWatchers=true turns this
 * off. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eddy/kube.h"
#include "eddy/json.h"
#include "eddy/mem.h"
#include "kc.h"
#include "kc_build.h"

#define INDEX "configRefs"

static void add_ref(strv *out, const char *kind, const char *ns, const char *name)
{
	if (!name || !ns)
		return;
	char *k = xasprintf("%s/%s/%s", kind, ns, name);
	strv_add(out, k);
	free(k);
}

static void index_refs(const cJSON *obj, strv *out, void *ud)
{
	(void)ud;
	const char *ns = kube_obj_namespace(obj);
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	const cJSON *pb = cJSON_GetObjectItemCaseSensitive(spec, "postBuild");
	const cJSON *ref;
	cJSON_ArrayForEach(ref, cJSON_GetObjectItemCaseSensitive(pb, "substituteFrom")) {
		const char *kind = json_nonempty(ref, "kind");
		if (kind && (!strcmp(kind, "ConfigMap") || !strcmp(kind, "Secret")))
			add_ref(out, kind, ns, json_nonempty(ref, "name"));
	}
	const cJSON *dec = cJSON_GetObjectItemCaseSensitive(spec, "decryption");
	const cJSON *kc = cJSON_GetObjectItemCaseSensitive(spec, "kubeConfig");
	const cJSON *dsr = cJSON_GetObjectItemCaseSensitive(dec, "secretRef");
	const cJSON *ksr = cJSON_GetObjectItemCaseSensitive(kc, "secretRef");
	const cJSON *kcm = cJSON_GetObjectItemCaseSensitive(kc, "configMapRef");
	add_ref(out, "Secret", ns, json_nonempty(dsr, "name"));
	add_ref(out, "Secret", ns, json_nonempty(ksr, "name"));
	add_ref(out, "ConfigMap", ns, json_nonempty(kcm, "name"));
}

typedef struct watcher {
	kc_ctx *kc;
	const char *kind;
} watcher;

static void changed(const cJSON *obj, watcher *w)
{
	const char *ns = kube_obj_namespace(obj), *name = kube_obj_name(obj);
	char *key = xasprintf("%s/%s/%s", w->kind, ns ? ns : "", name ? name : "");
	strv keys = {0};
	rt_informer_index(rt_controller_informer(w->kc->ks), INDEX, key, &keys);
	for (size_t i = 0; i < keys.n; i++) {
		char *kns, *kname;
		rt_key_split(keys.v[i], &kns, &kname);
		rt_controller_enqueue(w->kc->ks, kns, kname);
		free(kns);
		free(kname);
	}
	strv_release(&keys);
	free(key);
}

static void on_add(const cJSON *obj, void *ud)
{
	changed(obj, ud);
}

static void on_update(const cJSON *old, const cJSON *obj, void *ud)
{
	const char *a = old ? kube_obj_rv(old) : NULL, *b = kube_obj_rv(obj);
	if (old == obj || (a && b && !strcmp(a, b)))
		return;
	changed(obj, ud);
}

static void on_delete(const cJSON *obj, void *ud)
{
	changed(obj, ud);
}

/* Is name=true in a --feature-gates value? */
static bool gate_on(const char *gates, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = gates ? gates : ""; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ",");
		if (n > nl && !strncmp(p, name, nl) && p[nl] == '=')
			return (n - nl - 1 == 4 && !strncasecmp(p + nl + 1, "true", 4)) ||
			       (n - nl - 1 == 1 && p[nl + 1] == '1');
		p += n;
	}
	return false;
}

void kc_watch_configs(rt_manager *m, kc_ctx *kc)
{
	if (gate_on(kc->a->cfg.feature_gates, "DisableConfigWatchers"))
		return;
	rt_informer_add_index(rt_controller_informer(kc->ks), INDEX, index_refs, NULL);
	static watcher w[2];
	static const char *const kinds[2] = {"ConfigMap", "Secret"};
	const char *sel = kc->watch_configs_selector && *kc->watch_configs_selector
		? kc->watch_configs_selector : "reconcile.fluxcd.io/watch=Enabled";
	for (int i = 0; i < 2; i++) {
		w[i].kc = kc;
		w[i].kind = kinds[i];
		rt_informer_opts io = {.label_selector = sel};
		rt_informer *inf = rt_informer_get_or_new(m, "v1", kinds[i], &io);
		rt_handler h = {.on_add = on_add, .on_update = on_update, .on_delete = on_delete,
			.ud = &w[i]};
		rt_informer_add_handler(inf, &h);
	}
}
