/* The Kustomization v1 reconciler (a subset of Flux's kustomization_controller.go): source
 * artifact (GitRepository), fetch with retries, digest check, safe extraction, spec.path,
 * kustomization.yaml generated or overlaid with the spec (eddy/ksbuild.h), kz build, postBuild
 * (eddy/ksbuild.h), owner labels and commonMetadata, server-side apply in stages, inventory,
 * prune, dependsOn, finalizer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/art.h"
#include "eddy/buf.h"
#include "eddy/clock.h"
#include "eddy/http.h"
#include "eddy/json.h"
#include "eddy/ksbuild.h"
#include "eddy/kube.h"
#include "eddy/kz.h"
#include "eddy/mem.h"
#include "eddy/yml.h"
#include "kc.h"
#include "kc_build.h"

#define KIND "Kustomization"
#define API "kustomize.toolkit.fluxcd.io/v1"
#define GROUP "kustomize.toolkit.fluxcd.io"
#define LBL_NAME GROUP "/name"
#define LBL_NAMESPACE GROUP "/namespace"
#define FIELD_MANAGER "kustomize-controller"
#define STATUS_MANAGER "gotk-kustomize-controller"
#define MAX_ARTIFACT_BYTES ((uint64_t)1 << 30)

/* ---------------------------------------------------------------- small JSON helpers */

static bool str_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static bool str_ieq(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

static int64_t parse_dur_ms(const char *s, int64_t def)
{
	int64_t ns;
	if (!s || godur_parse(s, &ns, NULL) < 0 || ns <= 0)
		return def;
	return ns / 1000000;
}

/* A label or annotation with that key and value (case-insensitive), as Flux's AnyInMetadata. */
static bool meta_has(const cJSON *o, const char *key, const char *val)
{
	return str_ieq(kube_obj_label(o, key), val) || str_ieq(kube_obj_annotation(o, key), val);
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

/* ---------------------------------------------------------------- fetch */

typedef struct dl {
	FILE *f;
	uint64_t n;
} dl;

static int dl_chunk(const char *data, size_t len, void *ud)
{
	dl *d = ud;
	d->n += len;
	if (d->n > MAX_ARTIFACT_BYTES)
		return 1;
	return fwrite(data, 1, len, d->f) == len ? 0 : 1;
}

/* The artifact URL with its host replaced by $SOURCE_CONTROLLER_LOCALHOST when set (Flux's
 * override for running the controller outside the cluster). Allocated. */
static char *artifact_url(const char *url)
{
	const char *h = getenv("SOURCE_CONTROLLER_LOCALHOST");
	const char *sep = strstr(url, "://");
	if (!h || !*h || !sep)
		return xstrdup(url);
	const char *host = sep + 3;
	const char *rest = host + strcspn(host, "/");
	return xasprintf("%.*s%s%s", (int)(host - url), url, h, rest);
}

/* Download url into file. 1 when the server said 404, 0 on success, -1 on error. */
static int fetch(kc_ctx *kc, const char *url, const char *file, err *e)
{
	http_client_opts ho = {.retries = kc->http_retry, .retry_base_ms = 500,
		.retry_max_ms = 30000, .user_agent = "kustomize-controller"};
	http_client *c = http_client_new(&ho, e);
	if (!c)
		return -1;
	FILE *f = fopen(file, "wb");
	if (!f) {
		http_client_free(c);
		return err_fail(e, "ArtifactFailed", "failed to create temp file: %s",
			strerror(errno));
	}
	dl d = {.f = f};
	http_client_req rq = {.url = url, .on_chunk = dl_chunk, .chunk_ud = &d,
		.timeout_ms = 5 * 60 * 1000};
	http_response resp;
	int rc = http_client_do(c, &rq, &resp, e);
	if (fclose(f) != 0 && rc == 0)
		rc = err_fail(e, "ArtifactFailed", "failed to write artifact: %s", strerror(errno));
	if (rc == 0 && resp.status == 404)
		rc = 1;
	else if (rc == 0 && resp.status != 200)
		rc = err_fail(e, "ArtifactFailed",
			"failed to download archive from %s, status: %ld", url, resp.status);
	else if (rc < 0 && d.n > MAX_ARTIFACT_BYTES)
		err_fail(e, "ArtifactFailed", "artifact from %s exceeds %llu bytes", url,
			(unsigned long long)MAX_ARTIFACT_BYTES);
	http_response_release(&resp);
	http_client_free(c);
	if (rc < 0)
		snprintf(e->reason, sizeof e->reason, "ArtifactFailed");
	return rc;
}

/* ---------------------------------------------------------------- inventory */

static char *version_of(const char *api_version)
{
	const char *slash = strchr(api_version, '/');
	return xstrdup(slash ? slash + 1 : api_version);
}

typedef struct inv_ref {
	char *ns, *name, *group, *kind;
} inv_ref;

static int inv_parse(const char *id, inv_ref *r)
{
	const char *u1 = strchr(id, '_');
	const char *uk = strrchr(id, '_');
	if (!u1 || uk == u1)
		return -1;
	const char *ug = uk - 1;
	while (ug > u1 && *ug != '_')
		ug--;
	if (ug == u1)
		return -1;
	r->ns = xstrndup(id, (size_t)(u1 - id));
	buf b;
	buf_init(&b, 1u << 16);
	for (const char *p = u1 + 1; p < ug; p++) {
		if (p[0] == '_' && p + 1 < ug && p[1] == '_') {
			buf_addc(&b, ':');
			p++;
		} else {
			buf_addc(&b, *p);
		}
	}
	r->name = buf_detach(&b, NULL);
	if (!r->name)
		r->name = xstrdup("");
	r->group = xstrndup(ug + 1, (size_t)(uk - ug - 1));
	r->kind = xstrdup(uk + 1);
	return 0;
}

static void inv_ref_release(inv_ref *r)
{
	free(r->ns);
	free(r->name);
	free(r->group);
	free(r->kind);
}

static bool inv_has(const cJSON *entries, const char *id)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, entries)
		if (str_eq(json_str(it, "id"), id))
			return true;
	return false;
}

/* Delete the objects of old entries missing from `entries` (or all of them when entries is
 * NULL). Failed deletions are appended to `keep` when not NULL. Returns the number of
 * failures; the first failure's message is in e. */
static int prune(kube_client *kube, const cJSON *old, const cJSON *entries, const char *ks_ns,
	const char *ks_name, cJSON *keep, buf *log, err *e)
{
	int fails = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, old) {
		const char *id = json_str(it, "id"), *v = json_str(it, "v");
		if (!id || !v || (entries && inv_has(entries, id)))
			continue;
		inv_ref r;
		if (inv_parse(id, &r) < 0)
			continue;
		char *av = *r.group ? xasprintf("%s/%s", r.group, v) : xstrdup(v);
		err ge = {0};
		const char *ns = *r.ns ? r.ns : NULL;
		cJSON *cur = kube_get(kube, av, r.kind, ns, r.name, NULL, &ge);
		if (cur && str_eq(kube_obj_label(cur, LBL_NAME), ks_name) &&
		    str_eq(kube_obj_label(cur, LBL_NAMESPACE), ks_ns) &&
		    !meta_has(cur, GROUP "/prune", "disabled") &&
		    !meta_has(cur, GROUP "/reconcile", "disabled") &&
		    !meta_has(cur, GROUP "/ssa", "Ignore")) {
			kube_opts o = {.propagation = "Background"};
			err de = {0};
			if (kube_delete(kube, av, r.kind, ns, r.name, &o, &de) < 0 &&
			    kube_errkind_of(&de) != KUBE_ENOTFOUND) {
				if (!fails++ && e)
					err_fail(e, "PruneFailed", "%s/%s%s%s delete failed: %s",
						r.kind, ns ? ns : "", ns ? "/" : "", r.name,
						de.msg);
				if (keep)
					cJSON_AddItemToArray(keep, cJSON_Duplicate(it, 1));
			} else if (log) {
				buf_addf(log, "%s/%s%s%s deleted\n", r.kind, ns ? ns : "",
					ns ? "/" : "", r.name);
			}
		} else if (!cur && kube_errkind_of(&ge) != KUBE_ENOTFOUND && keep) {
			cJSON_AddItemToArray(keep, cJSON_Duplicate(it, 1));
		}
		cJSON_Delete(cur);
		free(av);
		inv_ref_release(&r);
	}
	return fails;
}

/* ---------------------------------------------------------------- apply */

/* Apply every object (kc_apply_all, apply.c) and list them all in entries, skipped ones
 * included (Flux's inventory of the change set). */
static int apply_all(rt_ctx *ctx, kube_client *kube, const cJSON *spec, cJSON *objs,
	cJSON *entries, buf *log, err *e)
{
	kc_ctx *kc = ctx->ud;
	kc_apply_opts ao = {.force = json_true(spec, "force"), .concurrency = kc->concurrent_ssa,
		.custom_stage_kinds = kc->custom_apply_stage_kinds,
		.ignore = cJSON_GetObjectItemCaseSensitive(spec, "ignore")};
	if (kc_apply_all(ctx, kube, objs, &ao, log, e) < 0)
		return -1;
	const cJSON *o;
	cJSON_ArrayForEach(o, objs) {
		const char *av = json_str(o, "apiVersion");
		char *ver = version_of(av);
		char *id = ksb_inventory_id(kube_obj_namespace(o), kube_obj_name(o), av,
			json_str(o, "kind"));
		if (!inv_has(entries, id)) {
			cJSON *ent = cJSON_CreateObject();
			cJSON_AddStringToObject(ent, "id", id);
			cJSON_AddStringToObject(ent, "v", ver);
			cJSON_AddItemToArray(entries, ent);
		}
		free(ver);
		free(id);
	}
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
			    str_eq(json_str(dref, "name"), json_str(sref, "name")) && str_eq(dsns,
											     sns) &&
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

static rt_result reconcile(rt_ctx *ctx, cJSON *obj)
{
	kc_ctx *kc = ctx->ud;
	rt_result r = {0};
	err e = {0};
	const cJSON *spec = json_get(obj, "spec");
	cJSON *st = rt_status(obj);
	const char *ns = ctx->ns, *name = ctx->name;
	int64_t interval = parse_dur_ms(json_str(spec, "interval"), 10 * 60 * 1000);
	int64_t retry = parse_dur_ms(json_str(spec, "retryInterval"), interval);
	const cJSON *sref = json_get(spec, "sourceRef");
	const char *skind = json_str(sref, "kind"), *sname = json_str(sref, "name");
	const char *sns = json_str(sref, "namespace");
	if (!sns || !*sns)
		sns = ns;
	rt_cond_delete(obj, RT_COND_STALLED);

	if (kc->no_cross_namespace_refs && strcmp(sns, ns)) {
		err_set(&e, ERR_STALLING, "AccessDenied",
			"cannot access %s/%s/%s, cross-namespace references have been blocked",
			skind ? skind : "", sns, sname ? sname : "");
		return failed(ctx, obj, NULL, &e, 0);
	}
	if (!skind || strcmp(skind, "GitRepository") || !sname) {
		err_set(&e, ERR_STALLING, "ArtifactFailed",
			"source `%s` kind '%s' not supported", sname ? sname : "",
			skind ? skind : "");
		return failed(ctx, obj, NULL, &e, 0);
	}
	err ge = {0};
	cJSON *src = kube_get(ctx->kube, "source.toolkit.fluxcd.io/v1", skind, sns, sname, NULL,
		&ge);
	if (!src) {
		if (kube_errkind_of(&ge) == KUBE_ENOTFOUND)
			err_fail(&e, "ArtifactFailed", "Source '%s/%s/%s' not found", skind, sns,
				sname);
		else
			err_fail(&e, "ArtifactFailed", "%s", ge.msg);
		return failed(ctx, obj, NULL, &e, retry);
	}
	const cJSON *art = json_get(json_get(src, "status"), "artifact");
	const char *url = json_str(art, "url"), *revision = json_str(art, "revision");
	const char *digest = json_str(art, "digest");
	if (!url || !revision) {
		long long s = (long long)(kc->requeue_dependency_ms / 1000);
		err_fail(&e, "ArtifactFailed", "Source artifact not found, retrying in %llds", s);
		log_info(&ctx->log, e.msg, LOG_END);
		r = failed(ctx, obj, NULL, &e, kc->requeue_dependency_ms);
		cJSON_Delete(src);
		return r;
	}
	char *rev = xstrdup(revision);
	char *dg = digest ? xstrdup(digest) : NULL;
	char *u = artifact_url(url);
	cJSON_Delete(src);

	if (check_deps(ctx, spec, ns, rev, &e) < 0) {
		log_info(&ctx->log, "dependencies do not meet ready condition, retrying",
			LOG_S("error", e.msg));
		rt_cond_set(obj, RT_COND_READY, "False", e.reason, "%s", e.msg);
		event(ctx, obj, "Normal", e.reason, rev, false, "%s", e.msg);
		r.e = e;
		r.requeue_after_ms = kc->requeue_dependency_ms;
		goto out_early;
	}

	/* reconciling */
	if (!str_eq(json_str(st, "lastAppliedRevision"), rev))
		rt_cond_set(obj, RT_COND_RECONCILING, "True", "Progressing",
			"Fetching manifests for revision %s", rev);

	const char *tdir = getenv("TMPDIR");
	char *tpl = xasprintf("%s/kustomization-XXXXXX", tdir && *tdir ? tdir : "/tmp");
	if (!mkdtemp(tpl)) {
		err_fail(&e, "DirectoryCreationFailed", "failed to create temp dir: %s",
			strerror(errno));
		free(tpl);
		r = failed(ctx, obj, rev, &e, retry);
		goto out_early;
	}
	char *afile = xasprintf("%s/artifact.tar.gz", tpl);
	char *root = xasprintf("%s/src", tpl);
	char *path = NULL;
	cJSON *k = NULL, *objs = NULL, *entries = NULL;
	kube_client *kube = NULL;
	char *dgst = NULL; /* digest of the built objects, for status.history */
	buf klog, kbuf;
	buf_init(&klog, 1u << 20);
	buf_init(&kbuf, 64u << 20);

	int frc = fetch(kc, u, afile, &e);
	if (frc == 1) {
		err_fail(&e, "ArtifactFailed", "Source is not ready, artifact not found");
		r = failed(ctx, obj, rev, &e, kc->requeue_dependency_ms);
		goto out;
	}
	if (frc < 0 || (dg && art_verify_file(afile, dg, &e) < 0)) {
		snprintf(e.reason, sizeof e.reason, "ArtifactFailed");
		r = failed(ctx, obj, rev, &e, retry);
		goto out;
	}
	art_extract_limits lim = {0};
	if (art_mkdirs(root, &e) < 0 || art_extract(afile, root, &lim, &e) < 0) {
		snprintf(e.reason, sizeof e.reason, "ArtifactFailed");
		r = failed(ctx, obj, rev, &e, retry);
		goto out;
	}
	json_set_str(st, "lastAttemptedRevision", rev);
	path = ksb_secure_join(root, json_str(spec, "path"));
	struct stat sb;
	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		const char *sp = json_str(spec, "path");
		err_fail(&e, "ArtifactFailed", "kustomization path not found: stat %s: %s",
			sp && *sp ? sp : "./", stat(path, &sb) ? strerror(errno) :
			"not a directory");
		r = failed(ctx, obj, rev, &e, retry);
		goto out;
	}

	/* the client for apply, prune and health checks (client.c) */
	kube = kc_client_for(kc, ctx, spec, &e);
	if (!kube) {
		r = failed(ctx, obj, rev, &e, retry);
		goto out;
	}

	/* build */
	k = ksb_kustomization_for(path, spec, &e);
	if (!k || kc_decrypt_sources(ctx, obj, root, path, k, &e) < 0 ||
	    yml_emit(&kbuf, k, &e) < 0) {
		snprintf(e.reason, sizeof e.reason, "BuildFailed");
		r = failed(ctx, obj, rev, &e, retry);
		goto out;
	}
	kz_options ko = {.allow_remote = !kc->no_remote_bases, .kustomization = kbuf.data,
		.kustomization_len = kbuf.len};
	if (kz_build(&ko, root, path, &objs, &e) < 0) {
		err_prefix(&e, "kustomize build failed");
		snprintf(e.reason, sizeof e.reason, "BuildFailed");
		r = failed(ctx, obj, rev, &e, retry);
		goto out;
	}
	/* decryption and postBuild substitution (decrypt.c, eddy/ksbuild.h) */
	if (kc_decrypt(ctx, obj, objs, &e) < 0 ||
	    ksb_postbuild(ctx->kube, ctx->ns, spec, objs,
		    ksb_strict_substitutions(kc->a->cfg.feature_gates), &e) < 0) {
		r = failed(ctx, obj, rev, &e, retry);
		goto out;
	}
	dgst = kc_history_digest(objs);
	const cJSON *cm = json_get(spec, "commonMetadata");
	cJSON *o;
	cJSON_ArrayForEach(o, objs) {
		if (!json_str(o, "apiVersion") || !json_str(o, "kind") || !kube_obj_name(o)) {
			err_fail(&e, "BuildFailed", "object has no apiVersion, kind or name");
			r = failed(ctx, obj, rev, &e, retry);
			goto out;
		}
		cJSON *md = json_obj_ensure(o, "metadata");
		const cJSON *kv;
		cJSON *labels = json_obj_ensure(md, "labels");
		cJSON_ArrayForEach(kv, json_get(cm, "labels"))
			if (cJSON_IsString(kv))
				json_set_str(labels, kv->string, kv->valuestring);
		if (cJSON_GetArraySize(json_get(cm, "annotations")) > 0) {
			cJSON *anns = json_obj_ensure(md, "annotations");
			cJSON_ArrayForEach(kv, json_get(cm, "annotations"))
				if (cJSON_IsString(kv))
					json_set_str(anns, kv->string, kv->valuestring);
		}
		json_set_str(labels, LBL_NAME, name);
		json_set_str(labels, LBL_NAMESPACE, ns);
	}

	/* apply */
	entries = cJSON_CreateArray();
	if (apply_all(ctx, kube, spec, objs, entries, &klog, &e) < 0) {
		r = failed(ctx, obj, rev, &e, retry);
		goto out;
	}

	/* prune */
	const cJSON *old = json_get(json_get(st, "inventory"), "entries");
	if (json_true(spec, "prune") && old) {
		if (prune(kube, old, entries, ns, name, entries, &klog, &e) > 0) {
			cJSON *inv = json_obj_ensure(st, "inventory");
			cJSON_ReplaceItemInObjectCaseSensitive(inv, "entries", entries);
			entries = NULL;
			r = failed(ctx, obj, rev, &e, retry);
			goto out;
		}
	}
	cJSON *inv = json_obj_ensure(st, "inventory");
	cJSON_DeleteItemFromObjectCaseSensitive(inv, "entries");
	cJSON_AddItemToObject(inv, "entries", entries);
	entries = NULL;

	if (klog.len) {
		event(ctx, obj, "Normal", "Progressing", rev, false, "%s", klog.data);
	}
	if (kc_health_check(ctx, kube, obj, rev, objs, klog.len > 0, &e) < 0) {
		r = failed(ctx, obj, rev, &e, retry);
		goto out;
	}
	json_set_str(st, "lastAppliedRevision", rev);
	rt_cond_delete(obj, RT_COND_RECONCILING);
	rt_cond_set(obj, RT_COND_READY, "True", "ReconciliationSucceeded",
		"Applied revision: %s", rev);
	{
		char d1[32], d2[32];
		int64_t took = clock_mono_ms() - ctx->start_ms;
		godur_format(d1, sizeof d1, took * 1000000);
		godur_format(d2, sizeof d2, interval * 1000000);
		char *msg = xasprintf("Reconciliation finished in %s, next run in %s", d1, d2);
		log_info(&ctx->log, msg, LOG_S("revision", rev));
		event(ctx, obj, "Normal", "ReconciliationSucceeded", rev, true, "%s", msg);
		free(msg);
	}
	r.requeue_after_ms = interval;
out:
	kc_client_release(kc, ctx, kube);
	kc_history_upsert(obj, dgst, ctx->start_ms,
		err_is_set(&r.e) ? r.e.reason : "ReconciliationSucceeded", rev);
	free(dgst);
	rm_tree(tpl);
	free(tpl);
	free(afile);
	free(root);
	free(path);
	cJSON_Delete(k);
	cJSON_Delete(objs);
	cJSON_Delete(entries);
	buf_release(&klog);
	buf_release(&kbuf);
out_early:
	free(rev);
	free(dg);
	free(u);
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
		const char *sa = kc_service_account(kc, spec);
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
		kube_client *kube = kc_client_for(kc, ctx, spec, &r.e);
		if (!kube) {
			r.e.cls = ERR_GENERIC;
			return r;
		}
		buf log;
		buf_init(&log, 1u << 20);
		if (prune(kube, old, NULL, ctx->ns, ctx->name, NULL, &log, &r.e) > 0) {
			r.e.cls = ERR_GENERIC;
			rt_event(ctx, obj, "Warning", "PruneFailed", NULL, "%s", r.e.msg);
		} else if (log.len) {
			log_info(&ctx->log, "garbage collection completed", LOG_S("output",
				log.data));
		}
		buf_release(&log);
		kc_client_release(kc, ctx, kube);
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
