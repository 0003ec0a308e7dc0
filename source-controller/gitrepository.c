/* The GitRepository v1 reconciler: Flux's source-controller
 * internal/controller/gitrepository_controller.go as an ordered list of named steps on the
 * shared runner (eddy/steps.h).
 *
 * One GitRepository, from its watch event to the artifact URL in its status:
 *  1. gitrepo_controller_new (end of this file) registers the controller: the runtime's
 *     informer lists and watches GitRepositories (in every namespace, or only the runtime's
 *     with --watch-all-namespaces=false; --watch-label-selector filters) and queues "ns/name"
 *     on a new generation or a new reconcile.fluxcd.io/requestedAt; on_update also queues the
 *     GitRepositories that include one whose artifact changed.
 *  2. A runtime worker takes the key, copies the object from the cache, adds the finalizer,
 *     calls finalize() instead when the object is being deleted, skips it when suspended, and
 *     calls reconcile() (after the steps below).
 *  3. reconcile() marks the object Reconciling and runs STEPS with one git_reconcile state:
 *     reconcileStorage, reconcileSource, reconcileInclude, reconcileArtifact, defined below in
 *     that order, each saying what it does and which conditions it sets. The runner stops at
 *     the first error and summarises the conditions into Ready; reconcile() releases the
 *     state once, whatever the outcome.
 *  4. The runtime finalises Ready/Reconciling/Stalled from the result, patches the status
 *     once (status.artifact.url is where the other controllers fetch the artifact), records
 *     the metrics, and requeues: after spec.interval on success, with backoff on an error,
 *     after --requeue-dependency while an include is not ready. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/art.h"
#include "eddy/clock.h"
#include "eddy/git.h"
#include "eddy/ignore.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/steps.h"
#include "git_auth.h"
#include "gitrepository.h"
#include "sc_json.h"
#include "workdir.h"

#define KIND "GitRepository"
#define API "source.toolkit.fluxcd.io/v1"

/* ---------------------------------------------------------------- the state of one reconcile */

/* Everything one reconcile reads and fills, step by step (Flux hands commit, includes and dir
 * to each sub-reconciler; Eddy keeps them here). Released once by state_release. */
typedef struct git_reconcile {
	const gitrepo_config *cfg;
	const cJSON *spec;      /* obj.spec */
	cJSON *st;              /* obj.status */
	char *dirrel;           /* the object's storage directory, gitrepository/<ns>/<name> */
	char *tmp;              /* the storage scratch space, <storage>/.tmp */
	/* reconcileStorage */
	cJSON *art;             /* status.artifact while it is in storage, else NULL */
	/* reconcileSource */
	cJSON *proxy, *secret;  /* proxySecretRef, secretRef, decoded (go points into them) */
	char *app_token;        /* a GitHub App installation token (wiped on release) */
	const char **sparse;    /* go.sparse */
	gitx_opts go;           /* how to fetch and check out */
	cJSON *included;        /* the included GitRepositories' artifacts, in spec.include order */
	char *checkout;         /* the working directory, under tmp */
	gitx_result commit;     /* the commit checked out (or still stored, when unchanged) */
	bool unchanged;         /* remote and content settings unchanged: nothing fetched */
} git_reconcile;

static void state_release(git_reconcile *s)
{
	if (s->checkout)
		workdir_remove(s->checkout);
	gitx_result_release(&s->commit);
	cJSON_Delete(s->secret);
	cJSON_Delete(s->proxy);
	if (s->app_token) {
		memset(s->app_token, 0, strlen(s->app_token));
		free(s->app_token);
	}
	free(s->sparse);
	cJSON_Delete(s->included);
	free(s->checkout);
	free(s->tmp);
	free(s->dirrel);
}

/* ---------------------------------------------------------------- helpers of the steps */

static void event(rt_ctx *ctx, cJSON *obj, const char *type, const char *reason,
	const char *revision, const char *digest, const char *msg)
{
	cJSON *ann = cJSON_CreateObject();
	if (revision)
		cJSON_AddStringToObject(ann, "source.toolkit.fluxcd.io/revision", revision);
	if (digest)
		cJSON_AddStringToObject(ann, "source.toolkit.fluxcd.io/digest", digest);
	rt_event(ctx, obj, type, reason, ann, "%s", msg);
	cJSON_Delete(ann);
}

/* A step's failure: cond (when not NULL) True and Ready False with the error, a Warning event
 * when the message is new; the error is generic unless it says otherwise. */
static step_result fail(rt_ctx *ctx, cJSON *obj, const char *cond, err *e)
{
	const cJSON *prev = rt_cond_get(obj, RT_COND_READY);
	bool same = prev && str_eq(json_str(prev, "message"), e->msg) &&
		str_eq(json_str(prev, "status"), "False");
	if (cond)
		rt_cond_set(obj, cond, "True", e->reason, "%s", e->msg);
	rt_cond_set(obj, RT_COND_READY, "False", e->reason, "%s", e->msg);
	if (!same)
		event(ctx, obj, "Warning", e->reason, NULL, NULL, e->msg);
	if (e->cls == ERR_NONE)
		e->cls = ERR_GENERIC;
	return STEP_FAILED;
}

/* The content settings the stored artifact was built with (Flux's gitContentConfigChanged). */
static void set_observed(cJSON *st, const cJSON *spec)
{
	json_set_str(st, "observedIgnore", json_str(spec, "ignore"));
	const cJSON *rs = json_get(spec, "recurseSubmodules");
	json_set(st, "observedRecurseSubmodules", cJSON_IsTrue(rs) ? cJSON_CreateTrue() : NULL);
	const cJSON *inc = json_get(spec, "include");
	json_set(st, "observedInclude", cJSON_IsArray(inc) && cJSON_GetArraySize(inc)
		? cJSON_Duplicate(inc, 1) : NULL);
	const cJSON *sp = json_get(spec, "sparseCheckout");
	json_set(st, "observedSparseCheckout", cJSON_IsArray(sp) && cJSON_GetArraySize(sp)
		? cJSON_Duplicate(sp, 1) : NULL);
}

static bool content_changed(const cJSON *st, const cJSON *spec)
{
	if (!str_eq(json_str(st, "observedIgnore"), json_str(spec, "ignore")))
		return true;
	if (cJSON_IsTrue(json_get(st, "observedRecurseSubmodules")) !=
	    cJSON_IsTrue(json_get(spec, "recurseSubmodules")))
		return true;
	if (!json_eq(json_get(st, "observedInclude"), json_get(spec, "include")))
		return true;
	if (!json_eq(json_get(st, "observedSparseCheckout"), json_get(spec, "sparseCheckout")))
		return true;
	return false;
}

/* Included artifacts compared by revision and digest only (Flux's artifactSet.Diff). */
static cJSON *revisions_and_digests(const cJSON *artifacts)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *it;
	cJSON_ArrayForEach(it, artifacts) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "revision", json_str_or(it, "revision", ""));
		cJSON_AddStringToObject(x, "digest", json_str_or(it, "digest", ""));
		cJSON_AddItemToArray(out, x);
	}
	return out;
}

static bool includes_changed(const cJSON *included, const cJSON *st)
{
	cJSON *now = revisions_and_digests(included);
	cJSON *before = revisions_and_digests(json_get(st, "includedArtifacts"));
	bool changed = !json_eq(now, before);
	cJSON_Delete(now);
	cJSON_Delete(before);
	return changed;
}

/* spec.verify.mode, HEAD by default; NULL without spec.verify. */
static const char *verify_mode(const cJSON *spec)
{
	const cJSON *verify = json_get(spec, "verify");
	if (!verify)
		return NULL;
	return json_str(verify, "mode") ? json_str(verify, "mode") : "HEAD";
}

/* The first line of a commit message, cut at 50 characters as Flux does ("...") . */
static char *subject_of(const char *msg)
{
	if (!msg)
		return xstrdup("");
	size_t n = strcspn(msg, "\n");
	if (n > 50)
		return xasprintf("%.50s...", msg);
	return xstrndup(msg, n);
}

static bool exclude_cb(const char *rel, bool is_dir, void *ud)
{
	return ign_match(ud, rel, is_dir);
}

/* ---------------------------------------------------------------- the steps, in order */

/* reconcileStorage: checks the stored artifact against status.artifact.digest. A missing or
 * corrupt file (Warning event ArtifactVerificationFailed) is removed with status.artifact,
 * ArtifactInStorage is deleted and Reconciling says "building artifact: disappeared from
 * storage"; otherwise the artifact's URL is rebuilt from the current advertised address.
 * Without an artifact, Ready is Unknown "building artifact". Never fails. (Flux also
 * garbage-collects here; Eddy does it once the new artifact is stored, in reconcileArtifact.) */
static step_result reconcile_storage(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	(void)e;
	git_reconcile *s = state;
	s->art = (cJSON *)json_get(s->st, "artifact");
	if (s->art) {
		const char *path = json_str(s->art, "path");
		char *full = path ? xasprintf("%s/%s", s->cfg->storage_path, path) : NULL;
		err ve = {0};
		if (!full || art_verify_file(full, json_str(s->art, "digest"), &ve) < 0) {
			if (full && access(full, F_OK) == 0)
				event(ctx, obj, "Warning", "ArtifactVerificationFailed", NULL, NULL,
					"failed to verify integrity of artifact");
			if (full)
				unlink(full);
			json_set(s->st, "artifact", NULL);
			s->art = NULL;
			rt_cond_delete(obj, "ArtifactInStorage");
			rt_cond_set(obj, RT_COND_RECONCILING, "True", "Progressing",
				"building artifact: disappeared from storage");
		} else {
			char *url = art_url(s->cfg->adv_addr(s->cfg->adv_ud), path);
			json_set_str(s->art, "url", url);
			free(url);
		}
		free(full);
	}
	if (!s->art)
		rt_cond_set(obj, RT_COND_READY, "Unknown", "Progressing", "building artifact");
	return STEP_SUCCESS;
}

/* spec.verify (Flux's verifySignature): the commit and/or tag signature against the PGP
 * (*.asc) and SSH (*.sshpub) keys of spec.verify.secretRef. SourceVerified True with the
 * verifier's message, or False with the reason (InvalidCommitSignature, InvalidTagSignature,
 * InvalidGitObject, InvalidVerificationMode, VerificationError) and the step fails. Without
 * spec.verify, SourceVerified and status.sourceVerificationMode are removed. */
static step_result verify_signature(rt_ctx *ctx, cJSON *obj, git_reconcile *s, err *e)
{
	const cJSON *verify = json_get(s->spec, "verify");
	if (!verify) {
		rt_cond_delete(obj, "SourceVerified");
		json_set_str(s->st, "sourceVerificationMode", NULL);
		return STEP_SUCCESS;
	}
	const char *vmode = verify_mode(s->spec);
	const char *ns = ctx->ns;
	cJSON *vs = NULL;
	const char *vname = json_str(json_get(verify, "secretRef"), "name");
	err ve = {0};
	if (vname)
		vs = kube_get(ctx->kube, "v1", "Secret", ns, vname, NULL, &ve);
	if (!vs) {
		err_fail(e, "VerificationError",
			"PGP public keys secret error: failed to get secret '%s/%s'", ns,
			vname ? vname : "");
	} else {
		cJSON *data = gitauth_secret(ctx, ns, vname, &ve);
		const char *keys[64], *sshkeys[64];
		size_t nk = 0, nsk = 0;
		const cJSON *k;
		cJSON_ArrayForEach(k, data) {
			size_t l = strlen(k->string);
			if (nk < 64 && l > 4 && !strcmp(k->string + l - 4, ".asc"))
				keys[nk++] = k->valuestring;
			else if (nsk < 64 && l > 7 && !strcmp(k->string + l - 7, ".sshpub"))
				sshkeys[nsk++] = k->valuestring;
		}
		char *vmsg = NULL;
		if (gitx_verify(s->checkout, &s->commit, vmode, keys, nk, sshkeys, nsk, &vmsg,
		    e) == 0) {
			rt_cond_set(obj, "SourceVerified", "True", "Succeeded", "%s", vmsg);
			free(vmsg);
			json_set_str(s->st, "sourceVerificationMode", vmode);
		}
		cJSON_Delete(data);
		cJSON_Delete(vs);
	}
	if (err_is_set(e)) {
		rt_cond_set(obj, "SourceVerified", "False", e->reason, "%s", e->msg);
		return fail(ctx, obj, NULL, e);
	}
	return STEP_SUCCESS;
}

/* reconcileSource: the credentials (proxySecretRef, secretRef, provider: git_auth.h), the
 * included GitRepositories' artifacts from the informer cache, then ls-remote, fetch and
 * checkout into a new working directory, and the signature check.
 * - A missing include (or one without an artifact) sets IncludeUnavailable True and Ready
 *   False (NotFound / NoArtifact) and is a waiting error, retried after --requeue-dependency;
 *   otherwise IncludeUnavailable is removed.
 * - Credential and Git failures set FetchFailed True and Ready False with the reason
 *   (AuthenticationFailed, InvalidProviderConfiguration, GitOperationFailed, URLInvalid,
 *   EmptyGitRepository...), emit a Warning event once per message, and fail the step; a
 *   working directory that cannot be made is StorageOperationFailed.
 * - After a checkout FetchFailed is removed. When ArtifactInStorage is True, the content
 *   settings, included artifacts and verification mode are unchanged and the remote still
 *   points at the stored revision, nothing is fetched (Flux's optimized clone): Ready True
 *   "stored artifact for revision '<rev>'" and the next steps only confirm the artifact.
 * - A revision other than the stored artifact's sets ArtifactOutdated True NewRevision and
 *   Reconciling "building artifact: new upstream revision '<rev>'" (Ready Unknown with that
 *   message when an older artifact exists); then spec.verify (verify_signature). */
static step_result reconcile_source(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	git_reconcile *s = state;
	const cJSON *spec = s->spec;
	const char *ns = ctx->ns;
	const cJSON *ref = json_get(spec, "ref");
	s->go = (gitx_opts){
		.url = json_str(spec, "url"),
		.ref = {json_str(ref, "branch"), json_str(ref, "tag"), json_str(ref, "semver"),
			json_str(ref, "name"), json_str(ref, "commit")},
		.timeout_ms = parse_dur_ms(json_str(spec, "timeout"), 60000),
		.max_bytes = s->cfg->git_max_bytes,
		.recurse_submodules = cJSON_IsTrue(json_get(spec, "recurseSubmodules")),
	};
	gitx_opts *go = &s->go;
	const cJSON *pref = json_get(spec, "proxySecretRef");
	if (json_str(pref, "name")) {
		s->proxy = gitauth_proxy(ctx, ns, json_str(pref, "name"), &go->proxy, e);
		if (!s->proxy)
			return fail(ctx, obj, "FetchFailed", e);
	}
	const cJSON *sref = json_get(spec, "secretRef");
	if (json_str(sref, "name")) {
		s->secret = gitauth_secret(ctx, ns, json_str(sref, "name"), e);
		if (!s->secret)
			return fail(ctx, obj, "FetchFailed", e);
		const cJSON *sec = s->secret;
		go->auth.username = json_str(sec, "username");
		go->auth.password = json_str(sec, "password");
		go->auth.bearer_token = json_str(sec, "bearerToken");
		go->auth.identity = json_str(sec, "identity");
		go->auth.known_hosts = json_str(sec, "known_hosts");
		go->auth.ca_pem = json_str_or(sec, "ca.crt", json_str(sec, "caFile"));
		go->auth.cert_pem = json_str_or(sec, "tls.crt", json_str(sec, "certFile"));
		go->auth.key_pem = json_str_or(sec, "tls.key", json_str(sec, "keyFile"));
	}
	if (gitauth_provider(ctx, spec, s->secret, go, &s->app_token, e) < 0)
		return fail(ctx, obj, "FetchFailed", e);
	const cJSON *sparse = json_get(spec, "sparseCheckout");
	if (cJSON_IsArray(sparse) && cJSON_GetArraySize(sparse) > 0) {
		s->sparse = xcalloc((size_t)cJSON_GetArraySize(sparse), sizeof *s->sparse);
		const cJSON *sp;
		cJSON_ArrayForEach(sp, sparse)
			if (cJSON_IsString(sp))
				s->sparse[go->nsparse++] = sp->valuestring;
		go->sparse = s->sparse;
	}

	/* the included artifacts as they are now (Flux's fetchIncludes) */
	s->included = cJSON_CreateArray();
	const cJSON *it;
	cJSON_ArrayForEach(it, json_get(spec, "include")) {
		const char *iname = json_str(json_get(it, "repository"), "name");
		rt_informer *self = rt_controller_informer(ctx->c);
		cJSON *o = iname ? rt_informer_get(self, ns, iname) : NULL;
		const cJSON *ia = o ? json_get(json_get(o, "status"), "artifact") : NULL;
		if (!o || !ia) {
			err_set(e, ERR_WAITING, o ? "NoArtifact" : "NotFound",
				o ? "no artifact available for include '%s'"
				  : "could not get resource for include '%s': not found",
				iname ? iname : "");
			rt_cond_set(obj, "IncludeUnavailable", "True", e->reason, "%s", e->msg);
			rt_cond_set(obj, RT_COND_READY, "False", e->reason, "%s", e->msg);
			cJSON_Delete(o);
			return STEP_FAILED;
		}
		cJSON_AddItemToArray(s->included, cJSON_Duplicate(ia, 1));
		cJSON_Delete(o);
	}
	rt_cond_delete(obj, "IncludeUnavailable");

	/* the optimized clone: ask only whether the remote moved */
	bool inc_changed = includes_changed(s->included, s->st);
	const char *vmode = verify_mode(spec);
	bool verified_ok = !vmode || (rt_cond_is_true(obj, "SourceVerified") &&
		str_eq(json_str(s->st, "sourceVerificationMode"), vmode));
	bool changed = content_changed(s->st, spec) || inc_changed;
	if (s->art && rt_cond_is_true(obj, "ArtifactInStorage") && !changed && verified_ok)
		go->last_revision = json_str(s->art, "revision");

	s->checkout = xasprintf("%s/git-XXXXXX", s->tmp);
	if (!mkdtemp(s->checkout)) {
		err_fail(e, "DirectoryCreationFailed", "failed to create temporary working "
			"directory: %s", strerror(errno));
		free(s->checkout);
		s->checkout = NULL;
		return fail(ctx, obj, "StorageOperationFailed", e);
	}
	gitx_result *gr = &s->commit;
	if (gitx_checkout(go, s->checkout, gr, e) < 0)
		return fail(ctx, obj, "FetchFailed", e);
	if (!gr->unchanged && workdir_check_sparse(s->checkout, sparse, e) < 0)
		return fail(ctx, obj, "FetchFailed", e);
	rt_cond_delete(obj, "FetchFailed");
	if (gr->unchanged) {
		s->unchanged = true;
		log_debug(&ctx->log, "no changes since last reconcilation",
			LOG_S("revision", gr->revision));
		rt_cond_set(obj, RT_COND_READY, "True", "Succeeded", "stored artifact for revision "
			"'%s'", gr->revision);
		return STEP_SUCCESS;
	}
	if (!s->art || !str_eq(json_str(s->art, "revision"), gr->revision)) {
		rt_cond_set(obj, "ArtifactOutdated", "True", "NewRevision",
			"new upstream revision '%s'", gr->revision);
		rt_cond_set(obj, RT_COND_RECONCILING, "True", "Progressing",
			"building artifact: new upstream revision '%s'", gr->revision);
		if (s->art)
			rt_cond_set(obj, RT_COND_READY, "Unknown", "Progressing",
				"building artifact: new upstream revision '%s'", gr->revision);
	}
	return verify_signature(ctx, obj, s, e);
}

/* reconcileInclude: each spec.include's artifact is extracted (safely) from local storage and
 * its fromPath moved to toPath (default: the repository's name) in the working directory.
 * A failure sets StorageOperationFailed True and Ready False (CopyFailure, IllegalPath...).
 * Nothing to do when the source was unchanged. */
static step_result reconcile_include(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	git_reconcile *s = state;
	if (s->unchanged)
		return STEP_EMPTY;
	size_t idx = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, json_get(s->spec, "include")) {
		const cJSON *ia = cJSON_GetArrayItem(s->included, (int)idx++);
		const char *to = json_str(it, "toPath") ? json_str(it, "toPath")
			: json_str(json_get(it, "repository"), "name");
		if (workdir_copy_include(s->cfg->storage_path, json_str(ia, "path"),
		    json_str(it, "fromPath"), to, s->checkout, s->tmp, e) < 0)
			return fail(ctx, obj, "StorageOperationFailed", e);
	}
	return STEP_SUCCESS;
}

/* Packs the working directory into gitrepository/<ns>/<name>/<commit>.tar.gz: symlinks
 * resolved as Flux does, .sourceignore / spec.ignore applied, written atomically; records
 * status.artifact {digest, lastUpdateTime, path, revision, size, url}, includedArtifacts and
 * the observed content settings, removes ArtifactOutdated and StorageOperationFailed, and
 * emits NewArtifact when the digest is new. Ready True "stored artifact for revision". */
static step_result store_artifact(rt_ctx *ctx, cJSON *obj, git_reconcile *s, err *e)
{
	const gitrepo_config *cfg = s->cfg;
	const gitx_result *gr = &s->commit;
	if (workdir_resolve_symlinks(s->checkout, cfg->git_max_bytes, e) < 0)
		return fail(ctx, obj, "StorageOperationFailed", e);
	ign_rules *ign = ign_for_source(s->checkout, json_str(s->spec, "ignore"), e);
	if (!ign)
		return fail(ctx, obj, "StorageOperationFailed", e);
	char *absdir = xasprintf("%s/%s", cfg->storage_path, s->dirrel);
	char *rel = xasprintf("%s/%s.tar.gz", s->dirrel, gr->commit);
	char *full = xasprintf("%s/%s", cfg->storage_path, rel);
	art_pack_opts po = {.exclude = exclude_cb, .exclude_ud = ign};
	art_info info;
	int prc = art_mkdirs(absdir, e);
	if (prc == 0)
		prc = art_pack_dir(s->checkout, &po, full, &info, e);
	ign_free(ign);
	free(absdir);
	free(full);
	if (prc < 0) {
		free(rel);
		if (!strcmp(e->reason, "ArtifactFailed"))
			snprintf(e->reason, sizeof e->reason, "ArchiveOperationFailed");
		return fail(ctx, obj, "StorageOperationFailed", e);
	}
	bool new_digest = !s->art || !str_eq(json_str(s->art, "digest"), info.digest);
	cJSON *na = cJSON_CreateObject();
	char now[32];
	clock_rfc3339_now(now, sizeof now, 0);
	char *u = art_url(cfg->adv_addr(cfg->adv_ud), rel);
	cJSON_AddStringToObject(na, "digest", info.digest);
	cJSON_AddStringToObject(na, "lastUpdateTime", now);
	cJSON_AddStringToObject(na, "path", rel);
	cJSON_AddStringToObject(na, "revision", gr->revision);
	cJSON_AddNumberToObject(na, "size", (double)info.size);
	cJSON_AddStringToObject(na, "url", u);
	free(u);
	free(rel);
	json_set(s->st, "artifact", na);
	s->art = na;
	json_set(s->st, "includedArtifacts", cJSON_GetArraySize(s->included)
		? cJSON_Duplicate(s->included, 1) : NULL);
	set_observed(s->st, s->spec);
	rt_cond_delete(obj, "ArtifactOutdated");
	rt_cond_delete(obj, "StorageOperationFailed");
	if (new_digest) {
		char *subj = subject_of(gr->message);
		char *msg = xasprintf("stored artifact for commit '%s'", subj);
		event(ctx, obj, "Normal", "NewArtifact", gr->revision, info.digest, msg);
		log_info(&ctx->log, msg, LOG_S("revision", gr->revision));
		free(msg);
		free(subj);
	}
	rt_cond_set(obj, RT_COND_READY, "True", "Succeeded", "stored artifact for revision '%s'",
		gr->revision);
	return STEP_SUCCESS;
}

/* reconcileArtifact: unless the source was unchanged, packs and stores the new artifact
 * (store_artifact; a failure sets StorageOperationFailed True, ArchiveOperationFailed...).
 * Then ArtifactInStorage True "stored artifact for revision '<rev>'", StorageOperationFailed,
 * IncludeUnavailable and ArtifactOutdated removed, and the object's older artifacts beyond
 * --artifact-retention-ttl and --artifact-retention-records garbage-collected. */
static step_result reconcile_artifact(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	git_reconcile *s = state;
	if (!s->unchanged && store_artifact(ctx, obj, s, e) == STEP_FAILED)
		return STEP_FAILED;
	rt_cond_set(obj, "ArtifactInStorage", "True", "Succeeded",
		"stored artifact for revision '%s'", json_str(s->art, "revision"));
	rt_cond_delete(obj, "StorageOperationFailed");
	rt_cond_delete(obj, "IncludeUnavailable");
	rt_cond_delete(obj, "ArtifactOutdated");
	/* GC: keep the current artifact */
	const char *path = json_str(s->art, "path");
	const char *base = path ? strrchr(path, '/') : NULL;
	err gce = {0};
	int n = art_gc(s->cfg->storage_path, s->dirrel, base ? base + 1 : NULL,
		s->cfg->retention_ttl_s, s->cfg->retention_records, &gce);
	if (n > 0)
		log_debug(&ctx->log, "garbage collected artifacts", LOG_I("count", n));
	return STEP_SUCCESS;
}

/* The steps of a GitRepository reconcile, in order (Flux's reconcilers list). */
static const step STEPS[] = {
	{"reconcileStorage", reconcile_storage},
	{"reconcileSource", reconcile_source},
	{"reconcileInclude", reconcile_include},
	{"reconcileArtifact", reconcile_artifact},
};

/* The conditions summarised into Ready after the steps (Flux's summarize options), in
 * priority order, and those of negative polarity. */
static const char *const OWNED[] = {
	"StorageOperationFailed", "FetchFailed", "IncludeUnavailable", "ArtifactOutdated",
	"ArtifactInStorage", "SourceVerified", "Stalled", "Reconciling",
};
static const char *const NEGATIVE[] = {
	"StorageOperationFailed", "FetchFailed", "IncludeUnavailable", "ArtifactOutdated",
	"Stalled", "Reconciling",
};
static const steps_summary SUMMARY = {
	OWNED, sizeof OWNED / sizeof *OWNED, NEGATIVE, sizeof NEGATIVE / sizeof *NEGATIVE,
};

/* Reconciling Progressing: on a new generation, or a still-progressing object. */
static void mark_reconciling(cJSON *obj, const cJSON *st)
{
	int64_t gen = kube_obj_generation(obj);
	const cJSON *og = json_get(st, "observedGeneration");
	int64_t ogen = cJSON_IsNumber(og) ? (int64_t)og->valuedouble : -1;
	if (gen != ogen)
		rt_cond_set(obj, RT_COND_RECONCILING, "True", "Progressing",
			"processing object: new generation %lld -> %lld", (long long)ogen,
			(long long)gen);
	else
		rt_cond_set(obj, RT_COND_RECONCILING, "True", "Progressing",
			"reconciliation in progress");
}

/* One reconcile (Flux's GitRepositoryReconciler.reconcile): Reconciling, the scratch space,
 * the steps, Ready True "stored artifact for revision '<rev>'" on success, the clean-up. */
static rt_result reconcile(rt_ctx *ctx, cJSON *obj)
{
	const gitrepo_config *cfg = ctx->ud;
	git_reconcile s = {
		.cfg = cfg,
		.spec = json_get(obj, "spec"),
		.st = rt_status(obj),
		.dirrel = art_dir_path(KIND, ctx->ns, ctx->name),
		.tmp = xasprintf("%s/.tmp", cfg->storage_path),
	};
	mkdir(s.tmp, 0700);
	int64_t interval = parse_dur_ms(json_str(s.spec, "interval"), 60000);
	mark_reconciling(obj, s.st);
	rt_result r = steps_run(ctx, obj, STEPS, sizeof STEPS / sizeof *STEPS, &s, &SUMMARY,
		interval, cfg->requeue_dependency_ms, NULL);
	if (r.e.cls == ERR_NONE)
		rt_cond_set(obj, RT_COND_READY, "True", "Succeeded",
			"stored artifact for revision '%s'", json_str(s.art, "revision"));
	state_release(&s);
	return r;
}

/* Deletion (the runtime then removes the finalizer): the object's storage directory and its
 * metrics series go. */
static rt_result finalize(rt_ctx *ctx, cJSON *obj)
{
	(void)obj;
	const gitrepo_config *cfg = ctx->ud;
	rt_result r = {0};
	char *dirrel = art_dir_path(KIND, ctx->ns, ctx->name);
	if (art_remove_dir(cfg->storage_path, dirrel, &r.e) < 0)
		snprintf(r.e.reason, sizeof r.e.reason, "GarbageCollectionFailed");
	else
		log_info(&ctx->log, "garbage collected artifacts for deleted resource", LOG_END);
	if (cfg->flux)
		met_flux_forget(cfg->flux, KIND, ctx->ns, ctx->name);
	free(dirrel);
	return r;
}

/* ---------------------------------------------------------------- watches */

/* Index "include": the GitRepositories an object includes, as "ns/name". */
static void index_includes(const cJSON *obj, strv *out, void *ud)
{
	(void)ud;
	const cJSON *it;
	cJSON_ArrayForEach(it, json_get(json_get(obj, "spec"), "include")) {
		const char *n = json_str(json_get(it, "repository"), "name");
		const char *ns = kube_obj_namespace(obj);
		if (n && ns) {
			char *k = xasprintf("%s/%s", ns, n);
			strv_add(out, k);
			free(k);
		}
	}
}

/* A GitRepository whose artifact changed: enqueue the GitRepositories that include it. */
static void on_update(const cJSON *old, const cJSON *obj, void *ud)
{
	gitrepo_config *cfg = ud;
	const cJSON *a = json_get(json_get(old, "status"), "artifact");
	const cJSON *b = json_get(json_get(obj, "status"), "artifact");
	if (old == obj || str_eq(json_str(a, "digest"), json_str(b, "digest")) || !b)
		return;
	char *key = rt_key_of(obj);
	strv keys = {0};
	rt_informer_index(rt_controller_informer(cfg->controller), "include", key, &keys);
	for (size_t i = 0; i < keys.n; i++) {
		char *ns, *name;
		rt_key_split(keys.v[i], &ns, &name);
		rt_controller_enqueue(cfg->controller, ns, name);
		free(ns);
		free(name);
	}
	strv_release(&keys);
	free(key);
}

rt_controller *gitrepo_controller_new(rt_manager *m, gitrepo_config *cfg)
{
	/* workers (--concurrent), the queue's backoff (--min/max-retry-delay) and the watched
	 * namespace and labels come from the manager (rt_app_start) */
	rt_controller_opts co = {
		.api_version = API,
		.kind = KIND,
		.reconcile = reconcile,
		.finalize = finalize,
		.finalizer = RT_FINALIZER_FLUX,
		.suspend = true,
		.patch_status = true,
		.kstatus = true,
		.ud = cfg,
	};
	rt_controller *c = rt_controller_new(m, &co);
	cfg->controller = c;
	rt_informer *inf = rt_controller_informer(c);
	rt_informer_add_index(inf, "include", index_includes, NULL);
	rt_handler h = {.on_update = on_update, .ud = cfg};
	rt_informer_add_handler(inf, &h);
	return c;
}
