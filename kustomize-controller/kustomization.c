/* The Kustomization v1 reconciler (a subset of Flux's kustomization_controller.go).
 *
 * Reading order for one Kustomization: kc_kustomization_new (bottom) registers the controller
 * with the runtime (rt.h), whose informer queues the object on every watch event (and
 * source_changed queues it when its GitRepository gets a new artifact); a worker then calls
 * reconcile(), which runs the step list STEPS with the runner of eddy/steps.h:
 *   getSource -> checkDependencies -> fetchArtifact -> getClient -> build -> apply ->
 *   prune -> checkHealth -> finalizeStatus
 * each step a function below with a comment saying what it does and which conditions it sets,
 * all sharing one ks_reconcile. The first failing step ends the sequence; reconcile() then
 * reports it (Ready=False, event) and release() frees the state once. The runtime patches the
 * status afterwards. Deletion goes to finalize() (prune of the inventory). The shared pieces
 * are in libcommon's flux layer: fetch (eddy/fetch.h), the build (eddy/ksbuild.h), the
 * server-side-apply manager with inventory and prune (eddy/ssa.h) and the client choice
 * (eddy/impersonate.h); decryption is decrypt.c, health checks health.c, history history.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/art.h"
#include "eddy/buf.h"
#include "eddy/clock.h"
#include "eddy/fetch.h"
#include "eddy/json.h"
#include "eddy/ksbuild.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/ssa.h"
#include "eddy/steps.h"
#include "kc.h"
#include "kc_build.h"

#define KIND "Kustomization"
#define API "kustomize.toolkit.fluxcd.io/v1"
#define GROUP "kustomize.toolkit.fluxcd.io"
#define LBL_NAME GROUP "/name"
#define LBL_NAMESPACE GROUP "/namespace"
#define FIELD_MANAGER "kustomize-controller"
#define STATUS_MANAGER "gotk-kustomize-controller"

/* ---------------------------------------------------------------- small JSON helpers */

static bool str_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static int64_t parse_dur_ms(const char *s, int64_t def)
{
	int64_t ns;
	if (!s || godur_parse(s, &ns, NULL) < 0 || ns <= 0)
		return def;
	return ns / 1000000;
}

/* ---------------------------------------------------------------- temp dirs */

static int rm_tree(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc = -1;
	if (slash) {
		*slash = 0;
		rc = art_remove_dir(*dir ? dir : "/", slash + 1, NULL);
	}
	free(dir);
	return rc;
}

/* ---------------------------------------------------------------- clients */

/* The client a Kustomization acts with (apply, dry-run, prune, health checks), chosen as Flux's
 * Impersonator does (eddy/impersonate.h): --default-service-account, --insecure-kubeconfig-tls,
 * the impersonating clients cached in kc->clients. */
static imp_options imp_options_for(const kc_ctx *kc)
{
	return (imp_options){
		.default_service_account = kc->a ? kc->a->cfg.default_service_account : NULL,
		.insecure_kubeconfig_tls = kc->a && kc->a->cfg.insecure_kubeconfig_tls,
		.user_agent = FIELD_MANAGER,
	};
}

static kube_client *client_for(kc_ctx *kc, rt_ctx *ctx, const cJSON *spec, err *e)
{
	imp_options io = imp_options_for(kc);
	return imp_client_for(&kc->clients, &io, ctx->kube, ctx->ns, spec, e);
}

static void client_release(kc_ctx *kc, rt_ctx *ctx, kube_client *k)
{
	imp_client_release(&kc->clients, ctx->kube, k);
}

/* ---------------------------------------------------------------- apply and prune */

/* The server-side-apply manager's options for this Kustomization (eddy/ssa.h): field manager
 * kustomize-controller, the kustomize.toolkit.fluxcd.io annotations, the owner labels, and
 * spec.force, spec.ignore and the --concurrent-ssa, --custom-apply-stage-kinds and
 * --override-manager flags. owner holds the two owner labels (borrowed by the result). */
static ssa_options ssa_options_for(kc_ctx *kc, const cJSON *spec, const char *ns,
	const char *name, ssa_label owner[2])
{
	owner[0] = (ssa_label){LBL_NAME, name};
	owner[1] = (ssa_label){LBL_NAMESPACE, ns};
	ssa_options o = {
		.field_manager = FIELD_MANAGER,
		.group = GROUP,
		.owner_labels = owner,
		.nowner_labels = 2,
		.force = spec && json_true(spec, "force"),
		.concurrency = kc->concurrent_ssa,
		.custom_stage_kinds = kc->custom_apply_stage_kinds,
		.ignore = json_get(spec, "ignore"),
	};
	if (kc->override_managers) {
		o.override_managers = (const char *const *)kc->override_managers->v;
		o.noverride_managers = kc->override_managers->n;
	}
	return o;
}

/* Apply every object (ssa_apply_all_staged) and list them all in entries, skipped ones
 * included (Flux's inventory of the change set). */
static int apply_all(rt_ctx *ctx, kube_client *kube, const ssa_options *so, cJSON *objs,
	cJSON *entries, buf *log, err *e)
{
	buf all;
	buf_init(&all, 1u << 20);
	int rc = ssa_apply_all_staged(ctx, kube, objs, so, log, &all, e);
	if (rc == 0 && all.len)
		log_info(&ctx->log, "server-side apply completed", LOG_S("output", buf_str(&all)));
	buf_release(&all);
	if (rc < 0)
		return -1;
	ssa_inventory_add(entries, objs);
	return 0;
}

/* ---------------------------------------------------------------- events */

static void event(rt_ctx *ctx, cJSON *obj, const char *type, const char *reason,
	const char *revision, bool commit_status, const char *fmt, const char *msg)
{
	cJSON *ann = cJSON_CreateObject();
	if (revision)
		cJSON_AddStringToObject(ann, GROUP "/revision", revision);
	if (commit_status)
		cJSON_AddStringToObject(ann, GROUP "/commit_status", "update");
	rt_event(ctx, obj, type, reason, ann, fmt, msg);
	cJSON_Delete(ann);
}

/* A failure: Ready False, a Warning event when new, requeue after `after` ms (retryInterval);
 * after == 0 stalls (no retry until the spec changes). */
static rt_result failed(rt_ctx *ctx, cJSON *obj, const char *revision, err *e, int64_t after)
{
	rt_result r = {0};
	const cJSON *prev = rt_cond_get(obj, RT_COND_READY);
	bool same = prev && str_eq(json_str(prev, "message"), e->msg) &&
		    str_eq(json_str(prev, "status"), "False");
	rt_cond_set(obj, RT_COND_READY, "False", e->reason, "%s", e->msg);
	log_error(&ctx->log, e->msg, "Reconciliation failed", LOG_S("reason", e->reason),
		LOG_S("revision", revision ? revision : ""));
	if (!same)
		event(ctx, obj, "Warning", e->reason, revision, false, "%s", e->msg);
	r.e = *e;
	r.e.cls = after > 0 ? ERR_WAITING : ERR_STALLING;
	r.requeue_after_ms = after;
	return r;
}

/* ---------------------------------------------------------------- dependsOn */

/* Flux's built-in readiness of a dependency: conditions present, the current generation
 * observed, Ready=True and, when it uses the same source, our revision applied. */
static int check_deps(rt_ctx *ctx, const cJSON *spec, const char *ns, const char *revision,
	err *e)
{
	const cJSON *sref = json_get(spec, "sourceRef");
	const char *sns = json_str(sref, "namespace");
	if (!sns || !*sns)
		sns = ns;
	const cJSON *it;
	cJSON_ArrayForEach(it, json_get(spec, "dependsOn")) {
		const char *dn = json_str(it, "name");
		const char *dns = json_str(it, "namespace");
		if (!dn)
			continue;
		if (!dns || !*dns)
			dns = ns;
		err ge = {0};
		cJSON *dep = kube_get(ctx->kube, API, KIND, dns, dn, NULL, &ge);
		bool ready = false;
		if (dep) {
			const cJSON *st = json_get(dep, "status");
			const cJSON *og = json_get(st, "observedGeneration");
			ready = cJSON_GetArraySize(json_get(st, "conditions")) > 0 &&
				cJSON_IsNumber(og) &&
				(int64_t)og->valuedouble == kube_obj_generation(dep) &&
				rt_cond_is_true(dep, RT_COND_READY);
			const cJSON *dref = json_get(json_get(dep, "spec"), "sourceRef");
			const char *dsns = json_str(dref, "namespace");
			if (!dsns || !*dsns)
				dsns = dns;
			if (ready && str_eq(json_str(dref, "kind"), json_str(sref, "kind")) &&
			    str_eq(json_str(dref, "name"), json_str(sref, "name")) &&
			    str_eq(dsns, sns) &&
			    !str_eq(json_str(st, "lastAppliedRevision"), revision))
				ready = false;
		}
		cJSON_Delete(dep);
		if (!ready)
			return err_set(e, ERR_WAITING, "DependencyNotReady",
				"dependency '%s/%s' is not ready", dns, dn);
	}
	return 0;
}

/* ---------------------------------------------------------------- the reconcile */

/* What one reconcile of a Kustomization carries from step to step. Filled by the steps in
 * order (each field notes the step that sets it), released once by release() after steps_run. */
typedef struct ks_reconcile {
	kc_ctx *kc;
	rt_ctx *ctx;                /* the reconcile's context and object (for the build hooks) */
	cJSON *obj;
	const cJSON *spec;          /* the Kustomization's .spec (borrowed from obj) */
	int64_t interval_ms;        /* spec.interval (10m) */
	int64_t retry_ms;           /* spec.retryInterval (the interval) */
	/* getSource */
	char *revision;             /* status.artifact.revision of the source */
	char *artifact_digest;      /* status.artifact.digest, or NULL */
	char *url;                  /* status.artifact.url ($SOURCE_CONTROLLER_LOCALHOST applied) */
	/* fetchArtifact */
	char *tmp;                  /* $TMPDIR/kustomization-XXXXXX, removed by release() */
	char *archive, *root, *path; /* tmp/artifact.tar.gz, tmp/src, spec.path inside root */
	/* getClient */
	kube_client *kube;          /* apply, prune and health checks (eddy/impersonate.h) */
	/* build */
	cJSON *objs;                /* the built, decrypted, substituted objects */
	char *objs_digest;          /* their digest, for status.history */
	/* apply, prune */
	ssa_label owner[2];         /* the owner labels (name, namespace) */
	ssa_options ssa;            /* the server-side-apply manager's options */
	cJSON *entries;             /* the new status.inventory.entries */
	buf changes;                /* the change set: "Kind/ns/name created|configured|deleted" */
	/* how a failed step is reported (see reconcile) */
	int64_t fail_after_ms;      /* retry after this; 0 stalls */
	bool reported;              /* the step set Ready and the event itself */
} ks_reconcile;

/* A failed step: fills e (reason, message) and says when to retry (0: stall). */
static step_result fail(ks_reconcile *st, int64_t after_ms)
{
	st->fail_after_ms = after_ms;
	return STEP_FAILED;
}

/* getSource (Flux's getSource): the sourceRef must be a GitRepository in reach (a cross-
 * namespace one with --no-cross-namespace-refs stalls with AccessDenied, another kind stalls
 * with ArtifactFailed), must exist (ArtifactFailed "Source '...' not found", retry) and must
 * have an artifact (ArtifactFailed "Source artifact not found, retrying in Ns", requeue after
 * --requeue-dependency). Sets revision, artifact_digest and url. */
static step_result get_source(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	(void)obj;
	ks_reconcile *st = state;
	kc_ctx *kc = st->kc;
	const cJSON *sref = json_get(st->spec, "sourceRef");
	const char *skind = json_str(sref, "kind"), *sname = json_str(sref, "name");
	const char *sns = json_str(sref, "namespace");
	if (!sns || !*sns)
		sns = ctx->ns;
	if (kc->no_cross_namespace_refs && strcmp(sns, ctx->ns)) {
		err_set(e, ERR_STALLING, "AccessDenied",
			"cannot access %s/%s/%s, cross-namespace references have been blocked",
			skind ? skind : "", sns, sname ? sname : "");
		return fail(st, 0);
	}
	if (!skind || strcmp(skind, "GitRepository") || !sname) {
		err_set(e, ERR_STALLING, "ArtifactFailed",
			"source `%s` kind '%s' not supported", sname ? sname : "",
			skind ? skind : "");
		return fail(st, 0);
	}
	err ge = {0};
	cJSON *src = kube_get(ctx->kube, "source.toolkit.fluxcd.io/v1", skind, sns, sname, NULL,
		&ge);
	if (!src) {
		if (kube_errkind_of(&ge) == KUBE_ENOTFOUND)
			err_fail(e, "ArtifactFailed", "Source '%s/%s/%s' not found", skind, sns,
				sname);
		else
			err_fail(e, "ArtifactFailed", "%s", ge.msg);
		return fail(st, st->retry_ms);
	}
	const cJSON *art = json_get(json_get(src, "status"), "artifact");
	const char *url = json_str(art, "url"), *revision = json_str(art, "revision");
	const char *digest = json_str(art, "digest");
	if (!url || !revision) {
		long long s = (long long)(kc->requeue_dependency_ms / 1000);
		err_fail(e, "ArtifactFailed", "Source artifact not found, retrying in %llds", s);
		log_info(&ctx->log, e->msg, LOG_END);
		cJSON_Delete(src);
		return fail(st, kc->requeue_dependency_ms);
	}
	st->revision = xstrdup(revision);
	st->artifact_digest = digest ? xstrdup(digest) : NULL;
	st->url = fetch_artifact_url(url);
	cJSON_Delete(src);
	return STEP_SUCCESS;
}

/* checkDependencies (Flux's checkDependencies): every spec.dependsOn Kustomization must be
 * ready (check_deps). If one is not: Ready=False DependencyNotReady "dependency 'ns/name' is
 * not ready", a Normal event, and a requeue after --requeue-dependency. */
static step_result check_dependencies(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	ks_reconcile *st = state;
	if (check_deps(ctx, st->spec, ctx->ns, st->revision, e) == 0)
		return STEP_SUCCESS;
	log_info(&ctx->log, "dependencies do not meet ready condition, retrying",
		LOG_S("error", e->msg));
	rt_cond_set(obj, RT_COND_READY, "False", e->reason, "%s", e->msg);
	event(ctx, obj, "Normal", e->reason, st->revision, false, "%s", e->msg);
	st->reported = true;
	return fail(st, st->kc->requeue_dependency_ms);
}

/* fetchArtifact (the fetch in Flux's reconcile): Reconciling=True Progressing "Fetching
 * manifests for revision R" when R is not yet applied; a temp dir (DirectoryCreationFailed);
 * the artifact downloaded with --http-retry retries, checked against its digest and extracted
 * safely (eddy/fetch.h; ArtifactFailed; a 404 is "Source is not ready, artifact not found",
 * requeue after --requeue-dependency); status.lastAttemptedRevision; spec.path must be a
 * directory inside the root (ArtifactFailed "kustomization path not found: ..."). Sets tmp,
 * archive, root, path. */
static step_result fetch_artifact(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	ks_reconcile *st = state;
	cJSON *status = rt_status(obj);
	const char *rev = st->revision;
	if (!str_eq(json_str(status, "lastAppliedRevision"), rev))
		rt_cond_set(obj, RT_COND_RECONCILING, "True", "Progressing",
			"Fetching manifests for revision %s", rev);
	const char *tdir = getenv("TMPDIR");
	char *tpl = xasprintf("%s/kustomization-XXXXXX", tdir && *tdir ? tdir : "/tmp");
	if (!mkdtemp(tpl)) {
		err_fail(e, "DirectoryCreationFailed", "failed to create temp dir: %s",
			strerror(errno));
		free(tpl);
		return fail(st, st->retry_ms);
	}
	st->tmp = tpl;
	st->archive = xasprintf("%s/artifact.tar.gz", tpl);
	st->root = xasprintf("%s/src", tpl);
	fetch_options fo = {.retries = st->kc->http_retry, .user_agent = FIELD_MANAGER};
	int frc = fetch_archive(&fo, st->url, st->artifact_digest, st->archive, st->root, e);
	if (frc == FETCH_NOT_FOUND) {
		err_fail(e, "ArtifactFailed", "Source is not ready, artifact not found");
		return fail(st, st->kc->requeue_dependency_ms);
	}
	if (frc < 0)
		return fail(st, st->retry_ms);
	json_set_str(status, "lastAttemptedRevision", rev);
	st->path = ksb_secure_join(st->root, json_str(st->spec, "path"));
	struct stat sb;
	if (stat(st->path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		const char *sp = json_str(st->spec, "path");
		err_fail(e, "ArtifactFailed", "kustomization path not found: stat %s: %s",
			sp && *sp ? sp : "./", stat(st->path, &sb) ? strerror(errno) :
			"not a directory");
		return fail(st, st->retry_ms);
	}
	return STEP_SUCCESS;
}

/* getClient (Flux's impersonation.GetClient): the client apply, prune and the health checks
 * use: the kubeConfig Secret's cluster and/or the impersonated service account, else the
 * controller's own (ReconciliationFailed on errors). Sets kube. */
static step_result get_client(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	(void)obj;
	ks_reconcile *st = state;
	st->kube = client_for(st->kc, ctx, st->spec, e);
	return st->kube ? STEP_SUCCESS : fail(st, st->retry_ms);
}

/* The decryption hooks of the build pipeline (eddy/ksbuild.h) and the history digest. */
static int hook_decrypt_sources(void *ud, const char *root, const char *dir, cJSON *k, err *e)
{
	ks_reconcile *st = ud;
	return kc_decrypt_sources(st->ctx, st->obj, root, dir, k, e);
}

static int hook_decrypt(void *ud, cJSON *objs, err *e)
{
	ks_reconcile *st = ud;
	return kc_decrypt(st->ctx, st->obj, objs, e);
}

static void hook_built(void *ud, const cJSON *objs)
{
	ks_reconcile *st = ud;
	st->objs_digest = kc_history_digest(objs);
}

/* build (Flux's generate and build, eddy/ksbuild.h's pipeline): the directory's
 * kustomization.yaml, or one generated from its manifests, with the spec laid over it; the
 * SOPS-encrypted dotenv files of its secretGenerators decrypted in memory (decrypt.c); kz_build
 * ("kustomize build failed: ..."); SOPS decryption of the objects (decrypt.c); postBuild
 * substitution; then spec.commonMetadata and the owner labels on every object. BuildFailed
 * (or the decryptor's reason) on errors. Sets objs and objs_digest. */
static step_result build(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	(void)obj;
	ks_reconcile *st = state;
	kc_ctx *kc = st->kc;
	ksb_options bo = {
		.root = st->root,
		.dir = st->path,
		.spec = st->spec,
		.name = ctx->name,
		.ns = ctx->ns,
		.allow_remote = !kc->no_remote_bases,
		.postbuild = true,
		.kube = ctx->kube,
		.strict = ksb_strict_substitutions(kc->a->cfg.feature_gates),
		.decrypt_sources = hook_decrypt_sources,
		.decrypt = hook_decrypt,
		.built = hook_built,
		.hook_ud = st,
	};
	ksb_result br;
	if (ksb_build(&bo, &br, e) < 0)
		return fail(st, st->retry_ms);
	st->objs = br.objects;
	return STEP_SUCCESS;
}

/* apply (Flux's apply): the objects server-side applied in stages by the SSA manager
 * (eddy/ssa.h; "Kind/ns/name dry-run failed ..." etc., ReconciliationFailed), the change set
 * collected, and every object listed in the new inventory. Sets ssa and entries. */
static step_result apply(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	(void)obj;
	ks_reconcile *st = state;
	st->ssa = ssa_options_for(st->kc, st->spec, ctx->ns, ctx->name, st->owner);
	st->entries = cJSON_CreateArray();
	if (apply_all(ctx, st->kube, &st->ssa, st->objs, st->entries, &st->changes, e) < 0)
		return fail(st, st->retry_ms);
	return STEP_SUCCESS;
}

/* prune (Flux's prune): with spec.prune, the objects of the old inventory missing from the new
 * one are deleted (ssa_delete_all); failed ones stay in the inventory (PruneFailed). Then
 * status.inventory is the new one, and the change set (applied and pruned objects) goes out as
 * one Normal Progressing event. */
static step_result prune(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	ks_reconcile *st = state;
	cJSON *status = rt_status(obj);
	const cJSON *old = json_get(json_get(status, "inventory"), "entries");
	if (json_true(st->spec, "prune") && old &&
	    ssa_delete_all(st->kube, old, st->entries, &st->ssa, st->entries, &st->changes, e) > 0) {
		cJSON *inv = json_obj_ensure(status, "inventory");
		cJSON_ReplaceItemInObjectCaseSensitive(inv, "entries", st->entries);
		st->entries = NULL;
		return fail(st, st->retry_ms);
	}
	cJSON *inv = json_obj_ensure(status, "inventory");
	cJSON_DeleteItemFromObjectCaseSensitive(inv, "entries");
	cJSON_AddItemToObject(inv, "entries", st->entries);
	st->entries = NULL;
	if (st->changes.len)
		event(ctx, obj, "Normal", "Progressing", st->revision, false, "%s",
			st->changes.data);
	return STEP_SUCCESS;
}

/* checkHealth (Flux's checkHealth, health.c): with spec.wait or spec.healthChecks, wait until
 * the objects are Current; sets the Healthy condition (HealthCheckFailed on failure). */
static step_result check_health(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	ks_reconcile *st = state;
	if (kc_health_check(ctx, st->kube, obj, st->revision, st->objs, st->changes.len > 0,
		    e) < 0)
		return fail(st, st->retry_ms);
	return STEP_SUCCESS;
}

/* finalizeStatus (the success path of Flux's Reconcile): status.lastAppliedRevision, Reconciling
 * removed, Ready=True ReconciliationSucceeded "Applied revision: R", and the log line and
 * Normal event "Reconciliation finished in D, next run in I". */
static step_result finalize_status(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	(void)e;
	ks_reconcile *st = state;
	const char *rev = st->revision;
	json_set_str(rt_status(obj), "lastAppliedRevision", rev);
	rt_cond_delete(obj, RT_COND_RECONCILING);
	rt_cond_set(obj, RT_COND_READY, "True", "ReconciliationSucceeded",
		"Applied revision: %s", rev);
	char d1[32], d2[32];
	int64_t took = clock_mono_ms() - ctx->start_ms;
	godur_format(d1, sizeof d1, took * 1000000);
	godur_format(d2, sizeof d2, st->interval_ms * 1000000);
	char *msg = xasprintf("Reconciliation finished in %s, next run in %s", d1, d2);
	log_info(&ctx->log, msg, LOG_S("revision", rev));
	event(ctx, obj, "Normal", "ReconciliationSucceeded", rev, true, "%s", msg);
	free(msg);
	return STEP_SUCCESS;
}

/* A Kustomization's reconcile, top to bottom. The first failing step ends it. */
static const step STEPS[] = {
	{"getSource", get_source},
	{"checkDependencies", check_dependencies},
	{"fetchArtifact", fetch_artifact},
	{"getClient", get_client},
	{"build", build},
	{"apply", apply},
	{"prune", prune},
	{"checkHealth", check_health},
	{"finalizeStatus", finalize_status},
};

/* Frees what the steps left in st. Once the artifact was being fetched (tmp exists), records
 * the reconcile in status.history (the outcome's reason) and removes the temp dir. */
static void release(ks_reconcile *st, rt_ctx *ctx, cJSON *obj, const rt_result *r)
{
	client_release(st->kc, ctx, st->kube);
	if (st->tmp) {
		kc_history_upsert(obj, st->objs_digest, ctx->start_ms,
			err_is_set(&r->e) ? r->e.reason : "ReconciliationSucceeded", st->revision);
		rm_tree(st->tmp);
	}
	free(st->objs_digest);
	free(st->tmp);
	free(st->archive);
	free(st->root);
	free(st->path);
	cJSON_Delete(st->objs);
	cJSON_Delete(st->entries);
	buf_release(&st->changes);
	free(st->revision);
	free(st->artifact_digest);
	free(st->url);
}

/* The rt_reconcile_fn (the runtime calls it on a worker for each queued Kustomization that is
 * not being deleted or suspended; it patches the status once afterwards). Runs STEPS; a failed
 * step not reported by itself becomes Ready=False with its reason and message, the log line
 * "Reconciliation failed", a Warning event when the message is new, and a retry after the
 * step's delay (retryInterval; 0 stalls). Success requeues after spec.interval. */
static rt_result reconcile(rt_ctx *ctx, cJSON *obj)
{
	ks_reconcile st = {.kc = ctx->ud, .ctx = ctx, .obj = obj, .spec = json_get(obj, "spec")};
	st.interval_ms = parse_dur_ms(json_str(st.spec, "interval"), 10 * 60 * 1000);
	st.retry_ms = parse_dur_ms(json_str(st.spec, "retryInterval"), st.interval_ms);
	buf_init(&st.changes, 1u << 20);
	rt_cond_delete(obj, RT_COND_STALLED);

	rt_result r = steps_run(ctx, obj, STEPS, sizeof STEPS / sizeof *STEPS, &st, NULL,
		st.interval_ms, 0, NULL);
	if (err_is_set(&r.e) && !st.reported)
		r = failed(ctx, obj, st.revision, &r.e, st.fail_after_ms);
	else if (err_is_set(&r.e))
		r.requeue_after_ms = st.fail_after_ms;
	release(&st, ctx, obj, &r);
	return r;
}

static rt_result finalize(rt_ctx *ctx, cJSON *obj)
{
	rt_result r = {0};
	const cJSON *spec = json_get(obj, "spec");
	const char *policy = json_str(spec, "deletionPolicy");
	bool del;
	if (!policy || !*policy || !strcmp(policy, "MirrorPrune"))
		del = json_true(spec, "prune");
	else
		del = strcmp(policy, "Orphan") != 0;
	const cJSON *old = json_get(json_get(json_get(obj, "status"), "inventory"), "entries");
	if (del && !rt_is_suspended(obj) && cJSON_GetArraySize(old) > 0) {
		/* as Flux: when the account to impersonate is gone, the objects are left */
		kc_ctx *kc = ctx->ud;
		imp_options io = imp_options_for(kc);
		const char *sa = imp_service_account(&io, spec);
		err ge = {0};
		cJSON *sao = sa ? kube_get(ctx->kube, "v1", "ServiceAccount", ctx->ns, sa, NULL,
			&ge) : NULL;
		cJSON_Delete(sao);
		if (sa && !sao) {
			log_error(&ctx->log,
				"skipping pruning, failed to find account to impersonate",
				"unable to prune objects", LOG_S("serviceAccount", sa));
			rt_event(ctx, obj, "Warning", "PruneFailed", NULL,
				"unable to prune objects: service account '%s' not found", sa);
			return r;
		}
		kube_client *kube = client_for(kc, ctx, spec, &r.e);
		if (!kube) {
			r.e.cls = ERR_GENERIC;
			return r;
		}
		buf log;
		buf_init(&log, 1u << 20);
		ssa_label owner[2];
		ssa_options so = ssa_options_for(kc, spec, ctx->ns, ctx->name, owner);
		if (ssa_delete_all(kube, old, NULL, &so, NULL, &log, &r.e) > 0) {
			r.e.cls = ERR_GENERIC;
			rt_event(ctx, obj, "Warning", "PruneFailed", NULL, "%s", r.e.msg);
		} else if (log.len) {
			log_info(&ctx->log, "garbage collection completed", LOG_S("output",
				log.data));
		}
		buf_release(&log);
		client_release(kc, ctx, kube);
	}
	return r;
}

/* ---------------------------------------------------------------- source watch */

static void index_source(const cJSON *obj, strv *out, void *ud)
{
	(void)ud;
	const cJSON *sref = json_get(json_get(obj, "spec"), "sourceRef");
	const char *kind = json_str(sref, "kind"), *name = json_str(sref, "name");
	const char *ns = json_str(sref, "namespace");
	if (!ns || !*ns)
		ns = kube_obj_namespace(obj);
	if (kind && name && ns) {
		char *k = xasprintf("%s/%s/%s", kind, ns, name);
		strv_add(out, k);
		free(k);
	}
}

static void source_changed(const cJSON *old, const cJSON *obj, void *ud)
{
	kc_ctx *kc = ud;
	const cJSON *a = old ? json_get(json_get(old, "status"), "artifact") : NULL;
	const cJSON *b = json_get(json_get(obj, "status"), "artifact");
	if (!b || (a && str_eq(json_str(a, "revision"), json_str(b, "revision"))))
		return;
	char *key = xasprintf("GitRepository/%s/%s", kube_obj_namespace(obj), kube_obj_name(obj));
	rt_informer *inf = rt_controller_informer(kc->ks);
	strv keys = {0};
	rt_informer_index(inf, "sourceRef", key, &keys);
	for (size_t i = 0; i < keys.n; i++) {
		char *kns, *kname;
		rt_key_split(keys.v[i], &kns, &kname);
		cJSON *ks = rt_informer_get(inf, kns, kname);
		const cJSON *st = json_get(ks, "status");
		/* Flux skips objects already at that revision */
		if (!ks ||
		    !str_eq(json_str(st, "lastAttemptedRevision"), json_str(b, "revision")) ||
		    !rt_cond_is_true(ks, RT_COND_READY))
			rt_controller_enqueue(kc->ks, kns, kname);
		cJSON_Delete(ks);
		free(kns);
		free(kname);
	}
	strv_release(&keys);
	free(key);
}

static void source_added(const cJSON *obj, void *ud)
{
	source_changed(NULL, obj, ud);
}

static void source_updated(const cJSON *old, const cJSON *obj, void *ud)
{
	if (old != obj)
		source_changed(old, obj, ud);
}

rt_controller *kc_kustomization_new(rt_manager *m, kc_ctx *kc)
{
	app_config *cfg = &kc->a->cfg;
	rt_controller_opts co = {
		.api_version = API,
		.kind = KIND,
		.reconcile = reconcile,
		.finalize = finalize,
		.finalizer = RT_FINALIZER_FLUX,
		.suspend = true,
		.patch_status = true,
		.status_field_manager = STATUS_MANAGER,
		.kstatus = true,
		.concurrent = (int)cfg->concurrent,
		.queue = {
			.base_delay_ms = (int64_t)app_duration_ms(cfg->min_retry_delay),
			.max_delay_ms = (int64_t)app_duration_ms(cfg->max_retry_delay),
		},
		.ud = kc,
	};
	rt_controller *c = rt_controller_new(m, &co);
	kc->ks = c;
	rt_informer_add_index(rt_controller_informer(c), "sourceRef", index_source, NULL);
	rt_informer_opts io = {0};
	rt_informer *src = rt_informer_get_or_new(m, "source.toolkit.fluxcd.io/v1",
		"GitRepository", &io);
	rt_handler h = {.on_add = source_added, .on_update = source_updated, .ud = kc};
	rt_informer_add_handler(src, &h);
	return c;
}
