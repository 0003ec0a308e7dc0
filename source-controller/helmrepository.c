/* The HelmRepository v1 reconciler: Flux's source-controller
 * internal/controller/helmrepository_controller.go as an ordered list of named steps on the
 * shared runner (eddy/steps.h).
 *
 * One HelmRepository of type "default", from its watch event to the index URL in its status:
 *  1. helmrepo_controller_new (end of this file) registers the controller; the runtime lists
 *     and watches HelmRepositories and queues "ns/name" on a new generation or requestedAt.
 *  2. A runtime worker adds the finalizer, calls finalize() for a deleted object, skips a
 *     suspended one, and calls reconcile().
 *  3. reconcile() marks the object Reconciling and runs STEPS with one helm_reconcile state:
 *     reconcileStorage, reconcileSource (download index.yaml with a cap, digest it, parse it
 *     streaming), reconcileArtifact (store the normalised JSON, cache the parsed index).
 *  4. The runtime finalises Ready/Reconciling/Stalled, patches the status once and requeues
 *     after spec.interval (backoff on errors).
 * Type "oci" has no artifact: see reconcile_oci. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/art.h"
#include "eddy/helmindex.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/steps.h"
#include "helm_getter.h"
#include "helmrepository.h"
#include "sc_json.h"

#define KIND "HelmRepository"
#define API "source.toolkit.fluxcd.io/v1"

/* ---------------------------------------------------------------- the state of one reconcile */

typedef struct helm_reconcile {
	const helmrepo_config *cfg;
	const cJSON *spec;
	cJSON *st;
	char *dirrel;           /* helmrepository/<ns>/<name> */
	char *tmp;              /* <storage>/.tmp */
	bool recovering;        /* a failure condition was set when the reconcile began */
	/* reconcileStorage */
	cJSON *art;             /* status.artifact while in storage */
	/* reconcileSource */
	helm_getter g;
	char *index_path;       /* the downloaded index.yaml (under tmp) */
	char revision[ART_DIGEST_MAX];
	helmindex *ix;          /* the parsed index (NULL when unchanged) */
	bool unchanged;         /* the index's digest equals the stored artifact's revision */
} helm_reconcile;

static void state_release(helm_reconcile *s)
{
	if (s->index_path) {
		unlink(s->index_path);
		free(s->index_path);
	}
	helmindex_free(s->ix);
	helm_getter_release(&s->g);
	free(s->tmp);
	free(s->dirrel);
}

/* ---------------------------------------------------------------- shared helpers */

void sc_storage_symlink(const char *storage_path, const char *dirrel, const char *base,
	const char *link)
{
	char *l = xasprintf("%s/%s/%s", storage_path, dirrel, link);
	char *t = xasprintf("%s/%s/.%s.tmp", storage_path, dirrel, link);
	unlink(t);
	if (symlink(base, t) == 0 && rename(t, l) < 0)
		unlink(t);
	free(t);
	free(l);
}

void sc_mark_reconciling(cJSON *obj)
{
	const cJSON *st = json_get(obj, "status");
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

void sc_event(rt_ctx *ctx, cJSON *obj, const char *type, const char *reason,
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

cJSON *sc_storage_verify(rt_ctx *ctx, cJSON *obj, cJSON *st, const char *storage_path,
	const char *adv, const char *dirrel, const char *link)
{
	cJSON *art = (cJSON *)json_get(st, "artifact");
	bool missing = false;
	if (art) {
		const char *path = json_str(art, "path");
		char *full = path ? xasprintf("%s/%s", storage_path, path) : NULL;
		err ve = {0};
		if (!full || art_verify_file(full, json_str(art, "digest"), &ve) < 0) {
			if (full && access(full, F_OK) == 0)
				sc_event(ctx, obj, "Warning", "ArtifactVerificationFailed", NULL, NULL,
					"failed to verify integrity of artifact");
			if (full)
				unlink(full);
			json_set(st, "artifact", NULL);
			json_set_str(st, "url", NULL);
			art = NULL;
			missing = true;
		} else {
			char *url = art_url(adv, path);
			json_set_str(art, "url", url);
			free(url);
			char *rel = xasprintf("%s/%s", dirrel, link);
			url = art_url(adv, rel);
			json_set_str(st, "url", url);
			free(url);
			free(rel);
		}
		free(full);
	}
	if (!art) {
		rt_cond_set(obj, RT_COND_RECONCILING, "True", "Progressing", "%s", missing
			? "building artifact: disappeared from storage" : "building artifact");
		rt_cond_delete(obj, "ArtifactInStorage");
	}
	return art;
}

static step_result fail(rt_ctx *ctx, cJSON *obj, const char *cond, err *e)
{
	const cJSON *prev = rt_cond_get(obj, RT_COND_READY);
	bool same = prev && str_eq(json_str(prev, "message"), e->msg) &&
		str_eq(json_str(prev, "status"), "False");
	if (cond)
		rt_cond_set(obj, cond, "True", e->reason, "%s", e->msg);
	rt_cond_set(obj, RT_COND_READY, "False", e->reason, "%s", e->msg);
	if (!same) {
		sc_event(ctx, obj, "Warning", e->reason, NULL, NULL, e->msg);
		log_error(&ctx->log, e->msg, "reconciliation failed", LOG_S("reason", e->reason));
	}
	if (e->cls == ERR_NONE)
		e->cls = ERR_GENERIC;
	return STEP_FAILED;
}

/* ---------------------------------------------------------------- the steps, in order */

/* reconcileStorage: the stored artifact checked against its digest (a missing or corrupt file
 * clears status.artifact and status.url, with a Warning ArtifactVerificationFailed for a
 * corrupt one), else its URLs rebuilt from the advertised address. Never fails. */
static step_result reconcile_storage(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	(void)e;
	helm_reconcile *s = state;
	s->art = sc_storage_verify(ctx, obj, s->st, s->cfg->storage_path,
				   s->cfg->adv_addr(s->cfg->adv_ud), s->dirrel, "index.yaml");
	return STEP_SUCCESS;
}

/* reconcileSource: the URL checked (an oci:// URL under type default, or a URL that is not
 * http(s), is a stalling URLInvalid), the client built from secretRef/certSecretRef
 * (AuthenticationFailed), index.yaml downloaded under --helm-index-max-size and digested
 * (the revision "sha256:<hex>" of the bytes, as Flux computes it). An index whose digest is the
 * stored artifact's revision is not parsed again. Otherwise it is parsed (IndexationFailed on
 * an invalid index) and ArtifactOutdated NewRevision / Reconciling "building artifact: new
 * index revision '<rev>'" are set. Download failures are FetchFailed with reason Failed,
 * "failed to fetch Helm repository index: failed to cache index to temporary file: ...". */
static step_result reconcile_source(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	helm_reconcile *s = state;
	const char *url = json_str(s->spec, "url");
	if (url && !strncmp(url, "oci://", 6)) {
		err_set(e, ERR_STALLING, "URLInvalid", "invalid Helm repository URL: 'oci' URL "
			"scheme cannot be used with 'default' HelmRepository type");
		return fail(ctx, obj, "FetchFailed", e);
	}
	if (helm_getter_init(&s->g, ctx, obj, e) < 0)
		return fail(ctx, obj, "FetchFailed", e);
	s->index_path = xasprintf("%s/index-XXXXXX", s->tmp);
	int fd = mkstemp(s->index_path);
	if (fd >= 0)
		close(fd);
	char *iurl = xasprintf("%sindex.yaml", s->g.url);
	int rc = helm_getter_get(&s->g, iurl, s->cfg->index_max_bytes, "index", s->index_path,
		s->revision, e);
	free(iurl);
	if (rc < 0) {
		if (strstr(e->msg, "exceeds the maximum index size"))
			snprintf(e->msg, sizeof e->msg, "index exceeds the maximum index file "
				"size of %llu bytes", (unsigned long long)s->cfg->index_max_bytes);
		err_prefix(e, "failed to fetch Helm repository index: failed to cache index to "
			"temporary file");
		snprintf(e->reason, sizeof e->reason, "Failed");
		return fail(ctx, obj, "FetchFailed", e);
	}
	if (s->art && str_eq(json_str(s->art, "revision"), s->revision)) {
		s->unchanged = true;
		rt_cond_delete(obj, "FetchFailed");
		return STEP_SUCCESS;
	}
	helmindex_limits lim = {.max_bytes = s->cfg->index_max_bytes};
	s->ix = helmindex_parse_file(s->index_path, &lim, e);
	if (!s->ix) {
		err_prefix(e, "failed to load Helm repository from index YAML: failed to load "
			"index");
		snprintf(e->reason, sizeof e->reason, "IndexationFailed");
		return fail(ctx, obj, "FetchFailed", e);
	}
	rt_cond_delete(obj, "FetchFailed");
	if (s->art)
		rt_cond_set(obj, "ArtifactOutdated", "True", "NewRevision",
			"new index revision '%s'", s->revision);
	rt_cond_set(obj, RT_COND_RECONCILING, "True", "Progressing",
		"building artifact: new index revision '%s'", s->revision);
	return STEP_SUCCESS;
}

/* reconcileArtifact: the normalised index (JSON) written atomically to
 * helmrepository/<ns>/<name>/index-<hex>.yaml, the "index.yaml" link to it, status.artifact
 * {digest, lastUpdateTime, path, revision, size, url} and status.url; the parsed index goes
 * into the shared cache under the artifact's path. ArtifactInStorage True "stored artifact:
 * revision '<rev>'", ArtifactOutdated and StorageOperationFailed removed; a new digest emits
 * NewArtifact "stored fetched index of size <size> from '<url>'". Old artifacts are collected
 * by --artifact-retention-ttl/-records. */
static step_result reconcile_artifact(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	helm_reconcile *s = state;
	const helmrepo_config *cfg = s->cfg;
	if (!s->unchanged) {
		char *absdir = xasprintf("%s/%s", cfg->storage_path, s->dirrel);
		const char *hex = s->revision + 7;
		char *base = xasprintf("index-%s.yaml", hex);
		char *rel = xasprintf("%s/%s", s->dirrel, base);
		char *full = xasprintf("%s/%s", cfg->storage_path, rel);
		char *tmpf = xasprintf("%s/.index-%s.tmp", absdir, hex);
		char digest[ART_DIGEST_MAX];
		struct stat st;
		int rc = art_mkdirs(absdir, e);
		if (rc < 0)
			snprintf(e->reason, sizeof e->reason, "DirectoryCreationFailed");
		if (rc == 0 && (helmindex_write_file(s->ix, tmpf, e) < 0 ||
		    art_digest_file(tmpf, digest, e) < 0 || stat(tmpf, &st) < 0 ||
		    rename(tmpf, full) < 0)) {
			if (!err_is_set(e))
				err_fail(e, "ArchiveOperationFailed", "%s", strerror(errno));
			err_prefix(e, "unable to save artifact to storage");
			snprintf(e->reason, sizeof e->reason, "ArchiveOperationFailed");
			unlink(tmpf);
			rc = -1;
		}
		free(tmpf);
		free(full);
		free(absdir);
		if (rc < 0) {
			free(rel);
			free(base);
			return fail(ctx, obj, "StorageOperationFailed", e);
		}
		bool new_digest = !s->art || !str_eq(json_str(s->art, "digest"), digest);
		cJSON *na = cJSON_CreateObject();
		char now[32];
		clock_rfc3339_now(now, sizeof now, 0);
		const char *adv = cfg->adv_addr(cfg->adv_ud);
		char *u = art_url(adv, rel);
		cJSON_AddStringToObject(na, "digest", digest);
		cJSON_AddStringToObject(na, "lastUpdateTime", now);
		cJSON_AddStringToObject(na, "path", rel);
		cJSON_AddStringToObject(na, "revision", s->revision);
		cJSON_AddNumberToObject(na, "size", (double)st.st_size);
		cJSON_AddStringToObject(na, "url", u);
		free(u);
		json_set(s->st, "artifact", na);
		s->art = na;
		sc_storage_symlink(cfg->storage_path, s->dirrel, base, "index.yaml");
		char *lrel = xasprintf("%s/index.yaml", s->dirrel);
		u = art_url(adv, lrel);
		json_set_str(s->st, "url", u);
		free(u);
		free(lrel);
		/* the parsed index for the HelmCharts of this repository */
		bool cached = false;
		helmcache_unref(helmcache_put(cfg->cache, rel, s->ix, &cached));
		s->ix = NULL;
		free(base);
		char size[32];
		helm_human_size((double)st.st_size, size);
		char *msg = xasprintf("stored fetched index of size %s from '%s'", size,
			json_str(s->spec, "url"));
		if (new_digest) {
			sc_event(ctx, obj, "Normal", "NewArtifact", s->revision, digest, msg);
			log_info(&ctx->log, msg, LOG_S("revision", s->revision));
		} else if (s->recovering) {
			sc_event(ctx, obj, "Normal", "Succeeded", s->revision, digest, msg);
		}
		free(msg);
		free(rel);
	} else if (s->recovering) {
		char size[32];
		const cJSON *sz = json_get(s->art, "size");
		helm_human_size(cJSON_IsNumber(sz) ? sz->valuedouble : 0, size);
		char *msg = xasprintf("stored fetched index of size %s from '%s'", size,
			json_str(s->spec, "url"));
		sc_event(ctx, obj, "Normal", "Succeeded", json_str(s->art, "revision"),
			json_str(s->art, "digest"), msg);
		free(msg);
	}
	rt_cond_delete(obj, "ArtifactOutdated");
	rt_cond_delete(obj, "StorageOperationFailed");
	rt_cond_set(obj, "ArtifactInStorage", "True", "Succeeded",
		"stored artifact: revision '%s'", json_str(s->art, "revision"));
	const char *path = json_str(s->art, "path");
	const char *b = path ? strrchr(path, '/') : NULL;
	err gce = {0};
	int n = art_gc(cfg->storage_path, s->dirrel, b ? b + 1 : NULL, cfg->retention_ttl_s,
		cfg->retention_records, &gce);
	if (n > 0)
		log_debug(&ctx->log, "garbage collected artifacts", LOG_I("count", n));
	return STEP_SUCCESS;
}

static const step STEPS[] = {
	{"reconcileStorage", reconcile_storage},
	{"reconcileSource", reconcile_source},
	{"reconcileArtifact", reconcile_artifact},
};

static const char *const OWNED[] = {
	"StorageOperationFailed", "FetchFailed", "ArtifactOutdated", "ArtifactInStorage",
	"Stalled", "Reconciling",
};
static const char *const NEGATIVE[] = {
	"StorageOperationFailed", "FetchFailed", "ArtifactOutdated", "Stalled", "Reconciling",
};
static const steps_summary SUMMARY = {
	OWNED, sizeof OWNED / sizeof *OWNED, NEGATIVE, sizeof NEGATIVE / sizeof *NEGATIVE,
};

/* Type oci: the repository is only an address and credentials for the HelmCharts that pull
 * from it; there is no artifact (any stored one is removed with status.artifact and
 * status.url). Flux makes such objects static (no status at all); Eddy's runtime always
 * writes a status, so the object reports Ready "Helm repository is ready" (Flux v2.0's
 * message for OCI repositories). */
static rt_result reconcile_oci(rt_ctx *ctx, cJSON *obj, helm_reconcile *s)
{
	rt_result r = {0};
	art_remove_dir(s->cfg->storage_path, s->dirrel, NULL);
	json_set(s->st, "artifact", NULL);
	json_set_str(s->st, "url", NULL);
	rt_cond_delete(obj, "ArtifactInStorage");
	rt_cond_delete(obj, "ArtifactOutdated");
	rt_cond_delete(obj, "FetchFailed");
	rt_cond_delete(obj, "StorageOperationFailed");
	const char *url = json_str(s->spec, "url");
	if (!url || strncmp(url, "oci://", 6)) {
		err_set(&r.e, ERR_STALLING, "URLInvalid", "invalid OCI registry URL: %s",
			url ? url : "");
		rt_cond_set(obj, RT_COND_READY, "False", r.e.reason, "%s", r.e.msg);
		return r;
	}
	(void)ctx;
	rt_cond_set(obj, RT_COND_READY, "True", "Succeeded", "Helm repository is ready");
	return r;
}

static rt_result reconcile(rt_ctx *ctx, cJSON *obj)
{
	const helmrepo_config *cfg = ctx->ud;
	helm_reconcile s = {
		.cfg = cfg,
		.spec = json_get(obj, "spec"),
		.st = rt_status(obj),
		.dirrel = art_dir_path(KIND, ctx->ns, ctx->name),
		.tmp = xasprintf("%s/.tmp", cfg->storage_path),
	};
	mkdir(s.tmp, 0700);
	sc_mark_reconciling(obj);
	if (str_eq(json_str(s.spec, "type"), "oci")) {
		rt_result r = reconcile_oci(ctx, obj, &s);
		state_release(&s);
		return r;
	}
	s.recovering = rt_cond_is_true(obj, "FetchFailed") ||
		rt_cond_is_true(obj, "StorageOperationFailed");
	int64_t interval = parse_dur_ms(json_str(s.spec, "interval"), 60000);
	rt_result r = steps_run(ctx, obj, STEPS, sizeof STEPS / sizeof *STEPS, &s, &SUMMARY,
		interval, 0, NULL);
	if (r.e.cls == ERR_NONE)
		rt_cond_set(obj, RT_COND_READY, "True", "Succeeded",
			"stored artifact: revision '%s'", json_str(s.art, "revision"));
	state_release(&s);
	return r;
}

static rt_result finalize(rt_ctx *ctx, cJSON *obj)
{
	(void)obj;
	const helmrepo_config *cfg = ctx->ud;
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

rt_controller *helmrepo_controller_new(rt_manager *m, helmrepo_config *cfg)
{
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
	return c;
}
