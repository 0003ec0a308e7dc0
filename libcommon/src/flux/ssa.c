/* The server-side-apply manager (eddy/ssa.h), as Flux's ssa.ResourceManager (fluxcd/pkg ssa
 * manager_apply.go): stages, a dry-run per object with drift detection, recreation on
 * immutable-field errors when forced, the owner's annotations and the clean-up of metadata left
 * by kubectl and other field managers (ssa_meta.c); ignore rules in ssa_ignore.c, inventory and
 * prune in ssa_prune.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy/mem.h"
#include "eddy/clock.h"
#include "ssa_int.h"

static const char *const ACTION[] = {"skipped", "unchanged", "created", "configured"};

const char *ssa_action_name(ssa_action a)
{
	return (unsigned)a < sizeof ACTION / sizeof *ACTION ? ACTION[a] : "unknown";
}

bool ssa_str_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

char *ssa_fmt_obj(const char *kind, const char *ns, const char *name)
{
	if (ns && *ns)
		return xasprintf("%s/%s/%s", kind ? kind : "", ns, name ? name : "");
	return xasprintf("%s/%s", kind ? kind : "", name ? name : "");
}

/* Is the object's group/Kind in --custom-apply-stage-kinds ("group/Kind" or "Kind" for the
 * core group, comma separated)? */
static bool custom_kind(const char *list, const char *av, const char *kind)
{
	if (!list || !*list || !av || !kind)
		return false;
	const char *slash = strchr(av, '/');
	size_t glen = slash ? (size_t)(slash - av) : 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		const char *s = memchr(p, '/', n);
		const char *g = s ? p : "", *k = s ? s + 1 : p;
		size_t gl = s ? (size_t)(s - p) : 0, kl = s ? n - gl - 1 : n;
		while (kl > 0 && k[0] == ' ')
			k++, kl--;
		while (gl > 0 && g[0] == ' ')
			g++, gl--;
		if (gl == glen && !strncmp(g, av, gl) && strlen(kind) == kl &&
		    !strncmp(k, kind, kl))
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Flux's stages (ssa ApplyAllStaged): 0 CRDs, the core Namespace and ClusterRoles; 1 kinds
 * ending in "Class"; 2 the --custom-apply-stage-kinds; 3 the rest. */
int ssa_stage_of(const char *custom, const cJSON *o)
{
	const char *kind = json_str(o, "kind");
	const char *av = json_str(o, "apiVersion");
	if (!kind || !av)
		return 3;
	if ((!strcmp(kind, "CustomResourceDefinition") &&
	     !strncmp(av, "apiextensions.k8s.io/", 21)) ||
	    (!strcmp(kind, "Namespace") && !strcmp(av, "v1")) ||
	    (!strcmp(kind, "ClusterRole") && !strncmp(av, "rbac.authorization.k8s.io/", 26)))
		return 0;
	size_t n = strlen(kind);
	if (n >= 5 && !strcmp(kind + n - 5, "Class"))
		return 1;
	if (custom_kind(custom, av, kind))
		return 2;
	return 3;
}

/* Wait (up to the timeout, polling every 200 ms) for the CRDs of the first stage to be
 * Established, as Flux waits for its first stage before the custom resources are applied. */
static int wait_crds(rt_ctx *ctx, kube_client *k, const cJSON *objs, int64_t timeout_ms,
	err *e)
{
	const cJSON *o;
	cJSON_ArrayForEach(o, objs) {
		if (ssa_stage_of(NULL, o) != 0 ||
		    !ssa_str_eq(json_str(o, "kind"), "CustomResourceDefinition"))
			continue;
		int64_t until = clock_mono_ms() + timeout_ms;
		for (;;) {
			err ge = {0};
			cJSON *cur = kube_get(k, json_str(o, "apiVersion"),
				"CustomResourceDefinition", NULL, kube_obj_name(o), NULL, &ge);
			bool ok = cur && rt_cond_is_true(cur, "Established");
			cJSON_Delete(cur);
			if (ok)
				break;
			if (clock_mono_ms() > until || rt_manager_stopping(ctx->m))
				return err_fail(e, "ReconciliationFailed",
					"CustomResourceDefinition/%s is not established",
					kube_obj_name(o));
			usleep(200 * 1000);
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- errors */

/* Flux's IsImmutableError: Conflict or Invalid answers, or a message saying so (webhooks,
 * CEL rules). */
bool ssa_is_immutable(const err *e)
{
	kube_errkind k = kube_errkind_of(e);
	return k == KUBE_ECONFLICT || k == KUBE_EINVALID || strstr(e->msg, "is immutable") ||
	       strstr(e->msg, "immutable field");
}

/* Flux's DryRunErr text. */
int ssa_dry_run_error(err *e, const char *id, const char *ns, const err *de)
{
	if (kube_errkind_of(de) == KUBE_ENOTFOUND) {
		if (!ns || !*ns)
			return err_fail(e, "ReconciliationFailed", "%s namespace not specified: %s",
				id, de->msg);
		return err_fail(e, "ReconciliationFailed", "%s not found: %s", id, de->msg);
	}
	if (de->reason[0] && strcmp(de->reason, "KubeTransportFailed"))
		return err_fail(e, "ReconciliationFailed", "%s dry-run failed (%s): %s", id,
			de->reason, de->msg);
	return err_fail(e, "ReconciliationFailed", "%s dry-run failed: %s", id, de->msg);
}

/* ---------------------------------------------------------------- apply */

/* Flux's apply order within a stage (ssa/sort.go): these kinds first, in this order, the
 * webhook configurations last, everything else between; ties by group, kind, namespace and
 * name. */
static int kind_index(const char *kind)
{
	static const char *const first[] = {"CustomResourceDefinition", "Namespace",
		"ClusterRole", "ClusterClass", "RuntimeClass", "PriorityClass", "StorageClass",
		"VolumeSnapshotClass", "IngressClass", "GatewayClass", "ClusterRoleBinding",
		"ResourceQuota", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Secret",
		"Service", "LimitRange", "Deployment", "StatefulSet", "CronJob",
		"PodDisruptionBudget"};
	static const char *const last[] = {"MutatingWebhookConfiguration",
		"ValidatingWebhookConfiguration"};
	const int nfirst = (int)(sizeof first / sizeof *first);
	for (int i = 0; i < nfirst; i++)
		if (!strcmp(kind, first[i]))
			return -nfirst + i;
	for (int i = 0; i < (int)(sizeof last / sizeof *last); i++)
		if (!strcmp(kind, last[i]))
			return 1 + i;
	return 0;
}

int ssa_cmp_items(const void *pa, const void *pb)
{
	const cJSON *a = ((const ssa_item *)pa)->o, *b = ((const ssa_item *)pb)->o;
	const char *ka = json_str(a, "kind"), *kb = json_str(b, "kind");
	int ia = kind_index(ka), ib = kind_index(kb);
	if (ia != ib)
		return ia < ib ? -1 : 1;
	const char *ava = json_str(a, "apiVersion"), *avb = json_str(b, "apiVersion");
	const char *sa = strchr(ava, '/'), *sb = strchr(avb, '/');
	size_t ga = sa ? (size_t)(sa - ava) : 0, gb = sb ? (size_t)(sb - avb) : 0;
	int c = strncmp(ava, avb, ga < gb ? ga : gb);
	if (c == 0 && ga != gb)
		c = ga < gb ? -1 : 1;
	if (c == 0)
		c = strcmp(ka, kb);
	if (c == 0)
		c = strcmp(kube_obj_namespace(a) ? kube_obj_namespace(a) : "",
			kube_obj_namespace(b) ? kube_obj_namespace(b) : "");
	if (c == 0)
		c = strcmp(kube_obj_name(a), kube_obj_name(b));
	return c;
}

/* Delete the object in the cluster (immutable change, forced) and wait until it is gone. */
static int recreate(rt_ctx *ctx, kube_client *k, const cJSON *desired, const char *id,
	int64_t timeout_ms, err *e)
{
	const char *av = json_str(desired, "apiVersion"), *kind = json_str(desired, "kind");
	const char *ns = kube_obj_namespace(desired), *name = kube_obj_name(desired);
	kube_opts o = {.propagation = "Background"};
	err de = {0};
	if (kube_delete(k, av, kind, ns, name, &o, &de) < 0 &&
	    kube_errkind_of(&de) != KUBE_ENOTFOUND)
		return err_fail(e, "ReconciliationFailed",
			"%s immutable field detected, failed to delete object: %s", id, de.msg);
	int64_t until = clock_mono_ms() + timeout_ms;
	for (;;) {
		err ge = {0};
		cJSON *x = kube_get(k, av, kind, ns, name, NULL, &ge);
		cJSON_Delete(x);
		if (!x && kube_errkind_of(&ge) == KUBE_ENOTFOUND)
			return 0;
		if (!x || clock_mono_ms() > until || rt_manager_stopping(ctx->m))
			return err_fail(e, "ReconciliationFailed", "%s immutable field detected, "
				"failed to wait for object to be deleted: %s", id,
				x ? "timeout" : ge.msg);
		usleep(200 * 1000);
	}
}

/* Dry-run one object and decide what to do with it (it->action). */
static int plan(rt_ctx *ctx, kube_client *k, ssa_item *it, const ssa_options *opts, err *e)
{
	cJSON *o = it->o;
	const char *av = json_str(o, "apiVersion"), *kind = json_str(o, "kind");
	const char *ns = kube_obj_namespace(o), *name = kube_obj_name(o);
	err ge = {0};
	cJSON *cur = kube_get(k, av, kind, ns, name, NULL, &ge);
	if (ssa_meta_is(opts, o, "reconcile", "disabled") || ssa_meta_is(opts, o, "ssa", "Ignore") ||
	    (cur && (ssa_meta_is(opts, cur, "reconcile", "disabled") ||
		     ssa_meta_is(opts, cur, "ssa", "Ignore"))) ||
	    (cur && kube_obj_uid(cur) && ssa_meta_is(opts, o, "ssa", "IfNotPresent"))) {
		it->action = SSA_SKIPPED;
		cJSON_Delete(cur);
		return 0;
	}
	kube_opts dro = {.field_manager = opts->field_manager, .force = true, .dry_run = true};
	err de = {0};
	cJSON *dry = kube_apply(k, o, &dro, &de);
	if (!dry && cur && ssa_is_immutable(&de) &&
	    (opts->force || ssa_meta_is(opts, o, "force", "enabled") ||
	     ssa_meta_is(opts, cur, "force", "enabled"))) {
		log_info(&ctx->log, "immutable field detected, recreating object",
			LOG_S("object", it->id));
		if (recreate(ctx, k, o, it->id, opts->wait_timeout_ms, e) < 0) {
			cJSON_Delete(cur);
			return -1;
		}
		cJSON_Delete(cur);
		cur = NULL;
		memset(&de, 0, sizeof de);
		dry = kube_apply(k, o, &dro, &de);
	}
	if (!dry) {
		cJSON_Delete(cur);
		return ssa_dry_run_error(e, it->id, ns, &de);
	}
	err ce = {0};
	int patched = ssa_cleanup_metadata(opts, k, o, cur, &ce);
	if (patched < 0) {
		cJSON_Delete(cur);
		cJSON_Delete(dry);
		return err_fail(e, "ReconciliationFailed",
			"%s metadata.managedFields cleanup failed: %s", it->id, ce.msg);
	}
	const char *rv = kube_obj_rv(dry);
	cJSON *paths = rv && *rv && cur ? ssa_ignore_paths_for(opts->ignore, o) : NULL;
	if (!rv || !*rv)
		it->action = SSA_CREATED;
	else if (patched || ssa_drifted_ignoring(cur, dry, paths))
		it->action = SSA_CONFIGURED;
	else
		it->action = SSA_UNCHANGED;
	if (it->action == SSA_CONFIGURED && paths)
		it->payload = ssa_ignore_payload(opts, o, cur, dry, paths);
	cJSON_Delete(paths);
	cJSON_Delete(cur);
	cJSON_Delete(dry);
	return 0;
}

/* The plans of a stage run on up to --concurrent-ssa threads (Flux's errgroup with
 * SetLimit); the first failure stops handing out further objects. */
typedef struct planner {
	rt_ctx *ctx;
	kube_client *k;
	const ssa_options *opts;
	ssa_item *items;
	size_t n, next;
	bool failed;
	pthread_mutex_t mu;
} planner;

static void *plan_worker(void *arg)
{
	planner *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->failed ? p->n : p->next;
		if (i < p->n)
			p->next++;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n)
			return NULL;
		ssa_item *it = &p->items[i];
		if (plan(p->ctx, p->k, it, p->opts, &it->e) < 0) {
			it->failed = true;
			pthread_mutex_lock(&p->mu);
			p->failed = true;
			pthread_mutex_unlock(&p->mu);
		}
	}
}

/* Plans every item; on failure e holds the error of the first failed item in apply order. */
static int plan_all(rt_ctx *ctx, kube_client *k, ssa_item *items, size_t n,
	const ssa_options *opts, err *e)
{
	planner p = {.ctx = ctx, .k = k, .opts = opts, .items = items, .n = n};
	pthread_mutex_init(&p.mu, NULL);
	size_t nt = opts->concurrency > 1 ? (size_t)opts->concurrency : 1;
	if (nt > n)
		nt = n;
	pthread_t th[64];
	size_t started = 0;
	if (nt > sizeof th / sizeof *th)
		nt = sizeof th / sizeof *th;
	for (size_t i = 1; i < nt; i++)
		if (pthread_create(&th[started], NULL, plan_worker, &p) == 0)
			started++;
	plan_worker(&p);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	for (size_t i = 0; i < n; i++)
		if (items[i].failed) {
			*e = items[i].e;
			return -1;
		}
	return 0;
}

/* Resolve the object's resource: cluster-scoped objects lose metadata.namespace. */
static int normalise_scope(kube_client *k, cJSON *o, err *e)
{
	const char *av = json_str(o, "apiVersion"), *kind = json_str(o, "kind");
	const char *name = kube_obj_name(o), *ns = kube_obj_namespace(o);
	kube_resource res = {0};
	if (kube_resolve(k, av, kind, &res, e) < 0) {
		char *id = ssa_fmt_obj(kind, ns, name);
		err_prefix(e, "%s dry-run failed", id);
		free(id);
		snprintf(e->reason, sizeof e->reason, "ReconciliationFailed");
		return -1;
	}
	bool namespaced = res.namespaced;
	kube_resource_release(&res);
	if (namespaced && (!ns || !*ns))
		return err_fail(e, "ReconciliationFailed",
			"%s/%s namespace not specified: the server could not find the requested "
			"resource", kind, name);
	if (!namespaced && ns)
		cJSON_DeleteItemFromObjectCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(o, "metadata"), "namespace");
	return 0;
}

static int apply_stage(rt_ctx *ctx, kube_client *k, cJSON *objs, int stage,
	const ssa_options *opts, buf *changed, buf *all, bool *crds, err *e)
{
	size_t n = 0, cap = 0;
	ssa_item *items = NULL;
	int rc = 0;
	cJSON *o;
	cJSON_ArrayForEach(o, objs) {
		if (ssa_stage_of(opts->custom_stage_kinds, o) != stage)
			continue;
		if (normalise_scope(k, o, e) < 0) {
			rc = -1;
			goto out;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			items = xrealloc(items, cap * sizeof *items);
		}
		items[n].o = o;
		items[n].id = ssa_fmt_obj(json_str(o, "kind"), kube_obj_namespace(o),
					  kube_obj_name(o));
		items[n].action = SSA_SKIPPED;
		items[n].payload = NULL;
		items[n].failed = false;
		memset(&items[n].e, 0, sizeof items[n].e);
		n++;
	}
	if (n > 1)
		qsort(items, n, sizeof *items, ssa_cmp_items);
	if (n > 0 && plan_all(ctx, k, items, n, opts, e) < 0) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		ssa_item *it = &items[i];
		if (it->action == SSA_CREATED || it->action == SSA_CONFIGURED) {
			kube_opts ko = {.field_manager = opts->field_manager, .force = true};
			err ae = {0};
			cJSON *out = kube_apply(k, it->payload ? it->payload : it->o, &ko, &ae);
			if (!out) {
				rc = err_fail(e, "ReconciliationFailed", "%s apply failed: %s",
					it->id, ae.msg);
				goto out;
			}
			cJSON_Delete(out);
			buf_addf(changed, "%s %s\n", it->id, ssa_action_name(it->action));
			if (ssa_str_eq(json_str(it->o, "kind"), "CustomResourceDefinition"))
				*crds = true;
		}
		if (all)
			buf_addf(all, "%s %s\n", it->id, ssa_action_name(it->action));
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(items[i].id);
		cJSON_Delete(items[i].payload);
	}
	free(items);
	return rc;
}

int ssa_apply_all_staged(rt_ctx *ctx, kube_client *k, cJSON *objs, const ssa_options *o,
	buf *changed, buf *all, err *e)
{
	ssa_options opts = *o;
	if (opts.wait_timeout_ms <= 0)
		opts.wait_timeout_ms = 60000;
	bool crds = false;
	int rc = 0;
	for (int stage = 0; stage < 4 && rc == 0; stage++) {
		if (stage > 0 && crds) {
			if (wait_crds(ctx, k, objs, opts.wait_timeout_ms, e) < 0) {
				rc = -1;
				break;
			}
			kube_discovery_invalidate(k);
			crds = false;
		}
		rc = apply_stage(ctx, k, objs, stage, &opts, changed, all, &crds, e);
	}
	return rc;
}
