/* The HelmChart v1 reconciler: Flux's source-controller internal/controller/
 * helmchart_controller.go with the remote and local chart builders of internal/helm/chart, as
 * an ordered list of named steps on the shared runner (eddy/steps.h).
 *
 * One HelmChart, from its watch event to the packaged chart's URL in its status:
 *  1. helmchart_controller_new (end of this file) registers the controller, an index of
 *     HelmCharts by source ("<Kind>/<ns>/<name>") and handlers on the HelmRepository and
 *     GitRepository informers: a source whose artifact revision changes enqueues its charts.
 *  2. A runtime worker adds the finalizer, calls finalize() for a deleted object, skips a
 *     suspended one, and calls reconcile().
 *  3. reconcile() marks the object Reconciling and runs STEPS with one chart_reconcile state:
 *     reconcileStorage, reconcileSource (get the source and build the chart: from a
 *     HelmRepository's index, or from a GitRepository's tarball), reconcileArtifact (store
 *     <name>-<version>.tgz). The state is released once.
 *  4. The runtime finalises Ready/Reconciling/Stalled, patches the status once, requeues after
 *     spec.interval (backoff on errors, --requeue-dependency while the source has no
 *     artifact). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/art.h"
#include "eddy/chart.h"
#include "eddy/chartpkg.h"
#include "eddy/helmindex.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/semver.h"
#include "eddy/steps.h"
#include "helm_getter.h"
#include "helm_oci.h"
#include "helmchart.h"
#include "helmrepository.h"
#include "sc_json.h"
#include "workdir.h"

#define KIND "HelmChart"
#define API "source.toolkit.fluxcd.io/v1"

/* Flux's chart.BuildErrorReason values: reason and summary. */
typedef struct build_reason {
	const char *reason, *summary;
	bool persistent; /* stalling (IsPersistentBuildErrorReason) */
	bool build;      /* BuildFailed rather than FetchFailed (observeChartBuild) */
} build_reason;

static const build_reason ERR_REFERENCE = {"InvalidChartReference", "invalid chart reference",
	true, false};
static const build_reason ERR_PULL = {"ChartPullError", "chart pull error", false, false};
static const build_reason ERR_METADATA = {"MetadataPatchError", "chart metadata patch error",
	true, true};
static const build_reason ERR_VALUES = {"ValuesFilesError", "values files merge error", true,
	true};
static const build_reason ERR_PACKAGE = {"ChartPackageError", "chart package error", false,
	true};

/* ---------------------------------------------------------------- the state of one reconcile */

/* Flux's chart.Build plus what the steps share. Released once by state_release. */
typedef struct chart_reconcile {
	const helmchart_config *cfg;
	const cJSON *spec;
	cJSON *st;
	char *dirrel;            /* helmchart/<ns>/<name> */
	char *tmp;               /* <storage>/.tmp */
	bool force;              /* a new generation: build even when name and version match */
	/* reconcileStorage */
	cJSON *art;
	/* reconcileSource */
	cJSON *source;           /* the source object (a copy from the informer) */
	char *work;              /* a working directory under tmp */
	helm_getter g;
	helmcache_ref *index;    /* the repository's index (held while cv is used) */
	helmindex_chart cv;      /* the chart version resolved in it */
	/* the build */
	char *name, *version;
	char *path;              /* the packaged or pulled chart; NULL: no complete build */
	bool packaged;
	bool reused;             /* path is the stored artifact */
	cJSON *values_files;     /* the values files merged (an array; may be empty) */
	const build_reason *why; /* the build error's reason, when the build failed */
} chart_reconcile;

static void state_release(chart_reconcile *s)
{
	if (s->work)
		workdir_remove(s->work);
	free(s->work);
	if (s->path && !s->reused)
		unlink(s->path);
	free(s->path);
	helm_getter_release(&s->g);
	helmcache_unref(s->index);
	cJSON_Delete(s->source);
	cJSON_Delete(s->values_files);
	free(s->name);
	free(s->version);
	free(s->tmp);
	free(s->dirrel);
}

/* ---------------------------------------------------------------- helpers */

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

/* A build error: "<summary>: <message>" with the reason, stalling when persistent. */
static int build_fail(chart_reconcile *s, const build_reason *r, err *e)
{
	char msg[ERR_MSG_MAX];
	snprintf(msg, sizeof msg, "%s", e->msg);
	err_set(e, r->persistent ? ERR_STALLING : ERR_GENERIC, r->reason, "%s: %s", r->summary,
		msg);
	s->why = r;
	return -1;
}

/* Build.Summary(). */
static char *summary(const chart_reconcile *s)
{
	const char *action = !s->path ? "new" : s->packaged ? "packaged" : "pulled";
	buf b;
	buf_init(&b, 1 << 20);
	buf_addf(&b, "%s '%s' chart with version '%s'", action, s->name, s->version);
	if (s->values_files && cJSON_GetArraySize(s->values_files)) {
		buf_adds(&b, " and merged values files [");
		const cJSON *it;
		bool first = true;
		cJSON_ArrayForEach(it, s->values_files) {
			buf_addf(&b, "%s%s", first ? "" : " ", it->valuestring);
			first = false;
		}
		buf_adds(&b, "]");
	}
	return buf_detach(&b, NULL);
}

/* BuildOptions.GetValuesFiles: spec.valuesFiles, except a list of just "values.yaml". */
static const cJSON *values_files(const cJSON *spec)
{
	const cJSON *vf = json_get(spec, "valuesFiles");
	if (!cJSON_IsArray(vf) || !cJSON_GetArraySize(vf))
		return NULL;
	if (cJSON_GetArraySize(vf) == 1) {
		const char *only = cJSON_GetArrayItem(vf, 0)->valuestring;
		if (only && (!strcmp(only, "values.yaml") || !strcmp(only, "./values.yaml")))
			return NULL;
	}
	return vf;
}

/* setBuildMetaData: version with its build metadata replaced by meta (a semver check
 * first). */
static int set_metadata(chart_reconcile *s, const char *meta, err *e)
{
	if (!meta || !*meta)
		return 0;
	semver v;
	char base[256];
	snprintf(base, sizeof base, "%s", s->version);
	base[strcspn(base, "+")] = 0;
	if (semver_parse(base, &v, e) < 0) {
		err_fail(e, "x", "failed to parse version from chart metadata as SemVer: %s",
			e->msg);
		return build_fail(s, &ERR_METADATA, e);
	}
	for (const char *p = meta; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.')) {
			err_fail(e, "x", "failed to set SemVer metadata on chart version: invalid "
				"metadata string");
			return build_fail(s, &ERR_METADATA, e);
		}
	char *nv = xasprintf("%s+%s", base, meta);
	free(s->version);
	s->version = nv;
	return 0;
}

/* Whether the stored artifact already is this build (generateBuildResult's cache check: same
 * name and version, and not forced by a new generation). */
static bool cached(chart_reconcile *s, bool requires_packaging)
{
	if (!s->art || s->force || !str_eq(json_str(s->st, "observedChartName"), s->name) ||
	    !str_eq(json_str(s->art, "revision"), s->version))
		return false;
	s->path = xasprintf("%s/%s", s->cfg->storage_path, json_str(s->art, "path"));
	s->reused = true;
	s->packaged = requires_packaging;
	const cJSON *vf = values_files(s->spec);
	cJSON_Delete(s->values_files);
	s->values_files = cJSON_Duplicate(json_get(s->st, "observedValuesFiles"), 1);
	if (!s->values_files)
		s->values_files = vf ? cJSON_Duplicate(vf, 1) : cJSON_CreateArray();
	return true;
}

/* Merges spec.valuesFiles (relative to base) and packages dir with the build's version. */
static int package(chart_reconcile *s, const char *dir, const char *base, err *e)
{
	const cJSON *vf = values_files(s->spec);
	buf vals;
	buf_init(&vals, 64 << 20);
	bool merged = false;
	if (vf) {
		size_t n = (size_t)cJSON_GetArraySize(vf);
		const char **files = xcalloc(n, sizeof *files);
		bool *used = xcalloc(n, sizeof *used);
		size_t i = 0;
		const cJSON *it;
		cJSON_ArrayForEach(it, vf)
			files[i++] = cJSON_IsString(it) ? it->valuestring : "";
		int rc = chartpkg_merge_values(base, files, n,
			cJSON_IsTrue(json_get(s->spec, "ignoreMissingValuesFiles")),
			s->cfg->chart_file_max_bytes, used, &vals, e);
		for (i = 0; rc == 0 && i < n; i++)
			if (used[i])
				cJSON_AddItemToArray(s->values_files, cJSON_CreateString(files[i]));
		merged = rc == 0 && cJSON_GetArraySize(s->values_files) > 0;
		free(files);
		free(used);
		if (rc < 0) {
			buf_release(&vals);
			err_prefix(e, "failed to merge chart values");
			return build_fail(s, &ERR_VALUES, e);
		}
	}
	chartpkg_opts po = {
		.version = s->version,
		.values = merged ? vals.data : NULL,
		.values_len = vals.len,
		.max_bytes = s->cfg->chart_max_bytes,
		.max_file = s->cfg->chart_file_max_bytes,
	};
	s->path = xasprintf("%s/chart.tgz", s->work);
	int rc = chartpkg_pack_dir(dir, &po, s->path, e);
	buf_release(&vals);
	if (rc < 0) {
		free(s->path);
		s->path = NULL;
		return build_fail(s, &ERR_PACKAGE, e);
	}
	s->packaged = true;
	return 0;
}

static chart_limits limits(const helmchart_config *cfg)
{
	/* chart_load's defaults, with Flux's --helm-chart-file-max-size */
	chart_limits l = {.max_total = 100u << 20, .max_file = 5u << 20, .max_files = 10000,
		.max_ratio = 200};
	if (cfg->chart_file_max_bytes)
		l.max_file = (size_t)cfg->chart_file_max_bytes;
	return l;
}

/* Only one directory at the top of an extracted chart archive: its path. */
static char *top_dir(const char *dir, err *e)
{
	char *chart_yaml = NULL;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		char *p = xasprintf("%s/%s/Chart.yaml", dir, de->d_name);
		if (access(p, F_OK) == 0 && !chart_yaml) {
			chart_yaml = xasprintf("%s/%s", dir, de->d_name);
		}
		free(p);
	}
	if (d)
		closedir(d);
	if (!chart_yaml)
		err_fail(e, "x", "no Chart.yaml found in the chart archive");
	return chart_yaml;
}

/* ---------------------------------------------------------------- the builders */

/* buildFromHelmRepository with the remote builder, first half: the client of the repository,
 * its index (from the cache, else parsed from the repository's artifact and cached) and the
 * chart version resolved in it. Returns 1 when the build needs packaging (values files), 0 when
 * not, -1 on error. */
static int build_remote(rt_ctx *ctx, chart_reconcile *s, const cJSON *repo, err *e)
{
	const helmchart_config *cfg = s->cfg;
	const cJSON *rart = json_get(json_get(repo, "status"), "artifact");
	const char *rpath = json_str(rart, "path");
	if (helm_getter_init(&s->g, ctx, repo, e) < 0)
		return -1;
	const helmindex *ix = helmcache_get(cfg->cache, rpath, &s->index);
	if (cfg->cache && cfg->cache_events) {
		/* Flux's IncCacheEvents, labelled with the repository */
		const char *rn = kube_obj_name(repo), *rns = kube_obj_namespace(repo);
		const char *lv[] = {ix ? "cache_hit" : "cache_miss", rn ? rn : "",
			rns ? rns : ""};
		met_inc(cfg->cache_events, lv);
	}
	if (!ix) {
		char *full = xasprintf("%s/%s", cfg->storage_path, rpath);
		helmindex_limits lim = {.max_bytes = cfg->index_max_bytes};
		helmindex *p = helmindex_parse_file(full, &lim, e);
		free(full);
		if (!p) {
			err_prefix(e, "could not load repository index for remote chart reference");
			return build_fail(s, &ERR_PULL, e);
		}
		bool in_cache;
		s->index = helmcache_put(cfg->cache, rpath, p, &in_cache);
		ix = helmcache_index(s->index);
	}
	helmindex_chart *cv = &s->cv;
	if (helmindex_find(ix, json_str(s->spec, "chart"), json_str_or(s->spec, "version", ""),
	    cv, e) < 0) {
		err_prefix(e, "failed to get chart version for remote reference");
		return build_fail(s, &ERR_REFERENCE, e);
	}
	s->name = xstrdup(cv->name);
	s->version = xstrdup(cv->version);
	bool requires_packaging = values_files(s->spec) != NULL;
	return requires_packaging ? 1 : 0;
}

/* The version metadata of a chart with values files: "<generation>". */
static char *gen_meta(const cJSON *obj)
{
	return xasprintf("%lld", (long long)kube_obj_generation(obj));
}

/* A downloaded chart (dl, owned): loaded by the chart engine (limits, no path or link out of
 * its root), then kept as it is or, with values files, extracted, merged and packaged. */
static int finish_download(chart_reconcile *s, char *dl, bool packaging, err *e)
{
	const helmchart_config *cfg = s->cfg;
	chart *c = NULL;
	chart_limits lim = limits(cfg);
	if (chart_load(dl, &lim, &c, e) < 0) {
		free(dl);
		err_prefix(e, "failed to load chart metadata from written chart");
		return build_fail(s, packaging ? &ERR_PACKAGE : &ERR_PULL, e);
	}
	chart_free(c);
	if (!packaging) {
		s->path = dl;
		s->packaged = false;
		return 0;
	}
	char *x = xasprintf("%s/chart", s->work);
	mkdir(x, 0700);
	art_extract_limits el = {.max_bytes = cfg->chart_max_bytes ? cfg->chart_max_bytes * 200
		: 0};
	int rc = art_extract(dl, x, &el, e);
	unlink(dl);
	free(dl);
	char *root = rc == 0 ? top_dir(x, e) : NULL;
	free(x);
	if (!root) {
		err_prefix(e, "failed to load downloaded chart");
		return build_fail(s, &ERR_PACKAGE, e);
	}
	rc = package(s, root, root, e);
	free(root);
	return rc;
}

/* The second half: the version "<version>+<generation>" with values files, nothing downloaded
 * when the stored artifact already is that name and version, else the chart downloaded under
 * --helm-chart-max-size and loaded by the chart engine (limits, no path or link out of its
 * root), then kept as it is or, with values files, extracted, merged and packaged. */
static int pull_remote(rt_ctx *ctx, chart_reconcile *s, const cJSON *obj, bool packaging,
	err *e)
{
	(void)ctx;
	const helmchart_config *cfg = s->cfg;
	if (packaging) {
		char *m = gen_meta(obj);
		int rc = set_metadata(s, m, e);
		free(m);
		if (rc < 0)
			return -1;
	}
	if (cached(s, packaging))
		return 0;
	const helmindex_chart *cv = &s->cv;
	if (!cv->url) {
		err_fail(e, "x", "chart '%s' has no downloadable URLs", cv->name);
		err_prefix(e, "failed to download chart for remote reference");
		return build_fail(s, &ERR_PULL, e);
	}
	char *url = helm_resolve_url(s->g.url, cv->url);
	char *dl = xasprintf("%s/download.tgz", s->work);
	char digest[ART_DIGEST_MAX];
	int rc = helm_getter_get(&s->g, url, cfg->chart_max_bytes, "chart", dl, digest, e);
	free(url);
	if (rc < 0) {
		free(dl);
		err_prefix(e, "failed to download chart for remote reference");
		return build_fail(s, &ERR_PULL, e);
	}
	return finish_download(s, dl, packaging, e);
}

/* buildFromHelmRepository for an OCI HelmRepository (the remote builder on Flux's
 * OCIChartRepository): the version resolved from the chart's tags, "+<generation>" with values
 * files, nothing downloaded when the stored artifact already is that name and version, else
 * the chart layer pulled (--helm-chart-max-size, digest checked) and handled as a download from
 * an HTTP repository. */
static int build_oci(rt_ctx *ctx, chart_reconcile *s, const cJSON *repo, const cJSON *obj,
	err *e)
{
	const char *chart = json_str(s->spec, "chart");
	const char *base = chart ? strrchr(chart, '/') : NULL;
	base = base ? base + 1 : chart;
	if (!base || !*base) {
		err_fail(e, "x", "no chart name");
		return build_fail(s, &ERR_REFERENCE, e);
	}
	helm_oci o;
	if (helm_oci_init(&o, ctx, repo, base, e) < 0) {
		helm_oci_release(&o);
		return -1;
	}
	char *version = NULL;
	if (helm_oci_resolve(&o, json_str_or(s->spec, "version", ""), &version, e) < 0) {
		helm_oci_release(&o);
		if (!strcmp(e->reason, "AuthenticationFailed"))
			return -1;
		err_prefix(e, "failed to get chart version for remote reference");
		return build_fail(s, &ERR_REFERENCE, e);
	}
	s->name = xstrdup(base);
	s->version = xstrdup(version); /* the build's version; version stays the tag's */
	bool packaging = values_files(s->spec) != NULL;
	if (packaging) {
		char *m = gen_meta(obj);
		int rc = set_metadata(s, m, e);
		free(m);
		if (rc < 0) {
			free(version);
			helm_oci_release(&o);
			return -1;
		}
	}
	if (cached(s, packaging)) {
		free(version);
		helm_oci_release(&o);
		return 0;
	}
	char *dl = xasprintf("%s/download.tgz", s->work);
	int rc = helm_oci_pull(&o, version, s->cfg->chart_max_bytes, dl, e);
	free(version);
	helm_oci_release(&o);
	if (rc < 0) {
		free(dl);
		if (!strcmp(e->reason, "AuthenticationFailed"))
			return -1;
		err_prefix(e, "failed to download chart for remote reference");
		return build_fail(s, &ERR_PULL, e);
	}
	return finish_download(s, dl, packaging, e);
}

/* buildFromTarballArtifact with the local builder: the source artifact extracted safely, the
 * chart directory spec.chart inside it loaded (limits, no link out of it), its version given
 * "+<commit[0:12]>" under reconcileStrategy Revision and ".<generation>" with values files,
 * and packaged unless the stored artifact already is that name and version. Values files are
 * relative to the source's root. */
static int build_local(rt_ctx *ctx, chart_reconcile *s, const cJSON *src, const char *kind,
	const cJSON *obj, err *e)
{
	(void)ctx;
	const helmchart_config *cfg = s->cfg;
	const cJSON *sart = json_get(json_get(src, "status"), "artifact");
	char *sdir = xasprintf("%s/source", s->work);
	mkdir(sdir, 0700);
	char *apath = xasprintf("%s/%s", cfg->storage_path, json_str(sart, "path"));
	int rc = art_extract(apath, sdir, NULL, e);
	free(apath);
	if (rc < 0) {
		free(sdir);
		err_prefix(e, "artifact untar error");
		snprintf(e->reason, sizeof e->reason, "Failed");
		s->why = &ERR_PULL;
		return -1;
	}
	const char *cp = json_str(s->spec, "chart");
	bool bad = !cp || !*cp || cp[0] == '/';
	for (const char *p = cp; !bad && p && *p;) {
		size_t l = strcspn(p, "/");
		bad = l == 2 && !strncmp(p, "..", 2);
		p += l;
		while (*p == '/')
			p++;
	}
	char *dir = bad ? NULL : xasprintf("%s/%s", sdir, cp);
	struct stat st;
	if (!dir || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_fail(e, "x", "path '%s' not found", cp ? cp : "");
		free(dir);
		free(sdir);
		return build_fail(s, &ERR_REFERENCE, e);
	}
	chart *c = NULL;
	chart_limits lim = limits(cfg);
	if (cfg->chart_max_bytes)
		lim.max_total = (size_t)cfg->chart_max_bytes;
	if (chart_load(dir, &lim, &c, e) < 0) {
		free(dir);
		free(sdir);
		return build_fail(s, &ERR_PACKAGE, e);
	}
	chart_free(c);
	if (chartpkg_read_meta(dir, &s->name, &s->version, e) < 0) {
		free(dir);
		free(sdir);
		return build_fail(s, &ERR_PACKAGE, e);
	}
	/* version metadata: the revision under the Revision strategy, then the generation */
	buf meta;
	buf_init(&meta, 256);
	if (str_eq(json_str(s->spec, "reconcileStrategy"), "Revision")) {
		const char *rev = json_str_or(sart, "revision", "");
		if (!strcmp(kind, "GitRepository")) {
			const char *h = strstr(rev, "sha1:");
			if (!h)
				h = strstr(rev, "sha256:");
			rev = h ? strchr(h, ':') + 1 : rev;
		}
		buf_addf(&meta, "%.12s", rev);
	}
	if (values_files(s->spec))
		buf_addf(&meta, "%s%lld", meta.len ? "." : "", (long long)kube_obj_generation(obj));
	rc = set_metadata(s, buf_str(&meta), e);
	buf_release(&meta);
	if (rc == 0 && !cached(s, true))
		rc = package(s, dir, sdir, e);
	free(dir);
	free(sdir);
	return rc;
}

/* ---------------------------------------------------------------- the steps, in order */

/* reconcileStorage: as for the other kinds (see helmrepository.c); the URL of the
 * "latest.tar.gz" link goes to status.url. */
static step_result reconcile_storage(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	(void)e;
	chart_reconcile *s = state;
	s->art = sc_storage_verify(ctx, obj, s->st, s->cfg->storage_path,
				   s->cfg->adv_addr(s->cfg->adv_ud), s->dirrel, "latest.tar.gz");
	return STEP_SUCCESS;
}

/* observeChartBuild: a build with metadata that differs from the stored artifact sets
 * ArtifactOutdated NewChart and Reconciling "building artifact: <summary>"; a complete build
 * removes FetchFailed and BuildFailed; an error sets BuildFailed (metadata, values, package)
 * or FetchFailed (reference, pull, other) with its reason. */
static void observe(cJSON *obj, chart_reconcile *s, const err *e)
{
	if (s->name && s->version && (!str_eq(s->name, json_str(s->st, "observedChartName")) ||
	    !s->art || !str_eq(s->version, json_str(s->art, "revision")))) {
		char *sum = summary(s);
		if (s->art)
			rt_cond_set(obj, "ArtifactOutdated", "True", "NewChart", "%s", sum);
		rt_cond_set(obj, RT_COND_RECONCILING, "True", "Progressing",
			"building artifact: %s", sum);
		free(sum);
	}
	if (s->name && s->version && s->path) {
		rt_cond_delete(obj, "FetchFailed");
		rt_cond_delete(obj, "BuildFailed");
	}
	rt_cond_delete(obj, "SourceVerified");
	if (e && err_is_set(e)) {
		if (s->why && s->why->build) {
			rt_cond_delete(obj, "FetchFailed");
			rt_cond_set(obj, "BuildFailed", "True", e->reason, "%s", e->msg);
		} else {
			rt_cond_delete(obj, "BuildFailed");
			rt_cond_set(obj, "FetchFailed", "True", e->reason, "%s", e->msg);
		}
	}
}

/* reconcileSource: the source named by spec.sourceRef from the informers (missing:
 * FetchFailed SourceUnavailable "failed to get source: ..."; another kind: stalling
 * UnsupportedSourceKind; Bucket is not implemented yet), its artifact (none: FetchFailed
 * NoSourceArtifact, retried after --requeue-dependency), status.observedSourceArtifactRevision,
 * then the build (build_remote/pull_remote or build_local) and its observation. */
static step_result reconcile_source(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	chart_reconcile *s = state;
	const helmchart_config *cfg = s->cfg;
	const cJSON *ref = json_get(s->spec, "sourceRef");
	const char *kind = json_str_or(ref, "kind", "");
	const char *sname = json_str_or(ref, "name", "");
	rt_informer *inf = NULL;
	const char *res = NULL;
	if (!strcmp(kind, "HelmRepository")) {
		inf = rt_controller_informer(cfg->helmrepo);
		res = "helmrepositories";
	} else if (!strcmp(kind, "GitRepository")) {
		inf = rt_controller_informer(cfg->git);
		res = "gitrepositories";
	} else {
		err_set(e, ERR_STALLING, "UnsupportedSourceKind", "failed to get source: "
			"unsupported source kind '%s', must be one of: [HelmRepository "
			"GitRepository Bucket]%s",
			kind, !strcmp(kind, "Bucket") ? " (Bucket is not implemented in Eddy yet)"
			: "");
		return fail(ctx, obj, "FetchFailed", e);
	}
	s->source = rt_informer_get(inf, ctx->ns, sname);
	if (!s->source) {
		err_fail(e, "SourceUnavailable", "failed to get source: "
			"%s.source.toolkit.fluxcd.io \"%s\" not found", res, sname);
		return fail(ctx, obj, "FetchFailed", e);
	}
	const cJSON *sspec = json_get(s->source, "spec");
	bool oci = !strcmp(kind, "HelmRepository") && str_eq(json_str(sspec, "type"), "oci");
	const cJSON *sart = json_get(json_get(s->source, "status"), "artifact");
	const char *srel = json_str(sart, "path");
	char *spath = srel && *srel ? xasprintf("%s/%s", cfg->storage_path, srel) : NULL;
	struct stat sst;
	bool present = spath && stat(spath, &sst) == 0 && S_ISREG(sst.st_mode);
	free(spath);
	if (!oci && !present) {
		rt_cond_set(obj, "FetchFailed", "True", "NoSourceArtifact",
			"no artifact available for %s source '%s'", kind, sname);
		rt_cond_set(obj, RT_COND_READY, "False", "NoSourceArtifact",
			"no artifact available for %s source '%s'", kind, sname);
		log_info(&ctx->log, "no artifact available for source", LOG_S("kind", kind),
			LOG_S("source", sname));
		return STEP_REQUEUE;
	}
	if (sart)
		json_set_str(s->st, "observedSourceArtifactRevision", json_str(sart, "revision"));
	s->work = xasprintf("%s/chart-XXXXXX", s->tmp);
	if (!mkdtemp(s->work)) {
		err_fail(e, "DirectoryCreationFailed", "failed to create temporary working "
			"directory: %s", strerror(errno));
		free(s->work);
		s->work = NULL;
		return fail(ctx, obj, "FetchFailed", e);
	}
	s->values_files = cJSON_CreateArray();
	int rc;
	if (oci) {
		rc = build_oci(ctx, s, s->source, obj, e);
		if (rc < 0 && !s->why)
			return fail(ctx, obj, "FetchFailed", e); /* client options, credentials */
	} else if (!strcmp(kind, "HelmRepository")) {
		rc = build_remote(ctx, s, s->source, e);
		if (rc >= 0)
			rc = pull_remote(ctx, s, obj, rc == 1, e);
		else if (!s->why)
			return fail(ctx, obj, "FetchFailed", e); /* client options */
	} else {
		rc = build_local(ctx, s, s->source, kind, obj, e);
	}
	observe(obj, s, rc < 0 ? e : NULL);
	if (rc < 0)
		return fail(ctx, obj, NULL, e);
	return STEP_SUCCESS;
}

/* reconcileArtifact: the build stored as helmchart/<ns>/<name>/<chart>-<version>.tgz (unless
 * it is the stored artifact already), the "latest.tar.gz" link, status.artifact (revision =
 * the chart version), observedChartName, observedValuesFiles; ArtifactInStorage True with
 * ChartPullSucceeded or ChartPackageSucceeded and the build's summary; a new digest emits
 * NewArtifact with the summary. Old artifacts are collected. */
static step_result reconcile_artifact(rt_ctx *ctx, cJSON *obj, void *state, err *e)
{
	chart_reconcile *s = state;
	const helmchart_config *cfg = s->cfg;
	if (!s->path)
		return STEP_REQUEUE;
	char *sum = summary(s);
	const char *reason = s->packaged ? "ChartPackageSucceeded" : "ChartPullSucceeded";
	if (!s->reused) {
		char *absdir = xasprintf("%s/%s", cfg->storage_path, s->dirrel);
		char *base = xasprintf("%s-%s.tgz", s->name, s->version);
		char *rel = xasprintf("%s/%s", s->dirrel, base);
		char *full = xasprintf("%s/%s", cfg->storage_path, rel);
		char digest[ART_DIGEST_MAX];
		struct stat st;
		int rc = art_mkdirs(absdir, e);
		if (rc < 0)
			snprintf(e->reason, sizeof e->reason, "DirectoryCreationFailed");
		else if (art_digest_file(s->path, digest, e) < 0 || stat(s->path, &st) < 0 ||
			 rename(s->path, full) < 0) {
			if (!err_is_set(e))
				err_fail(e, "x", "%s", strerror(errno));
			err_prefix(e, "unable to copy Helm chart to storage");
			snprintf(e->reason, sizeof e->reason, "ArchiveOperationFailed");
			rc = -1;
		}
		free(absdir);
		free(full);
		if (rc < 0) {
			free(base);
			free(rel);
			free(sum);
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
		cJSON_AddStringToObject(na, "revision", s->version);
		cJSON_AddNumberToObject(na, "size", (double)st.st_size);
		cJSON_AddStringToObject(na, "url", u);
		free(u);
		json_set(s->st, "artifact", na);
		s->art = na;
		sc_storage_symlink(cfg->storage_path, s->dirrel, base, "latest.tar.gz");
		char *lrel = xasprintf("%s/latest.tar.gz", s->dirrel);
		u = art_url(adv, lrel);
		json_set_str(s->st, "url", u);
		free(u);
		free(lrel);
		free(base);
		free(rel);
		if (new_digest) {
			sc_event(ctx, obj, "Normal", "NewArtifact", s->version, digest, sum);
			log_info(&ctx->log, sum, LOG_S("revision", s->version));
		}
	}
	json_set_str(s->st, "observedChartName", s->name);
	json_set(s->st, "observedValuesFiles", cJSON_GetArraySize(s->values_files)
		? cJSON_Duplicate(s->values_files, 1) : NULL);
	rt_cond_delete(obj, "ArtifactOutdated");
	rt_cond_delete(obj, "StorageOperationFailed");
	rt_cond_set(obj, "ArtifactInStorage", "True", reason, "%s", sum);
	rt_cond_set(obj, RT_COND_READY, "True", reason, "%s", sum);
	free(sum);
	const char *path = json_str(s->art, "path");
	const char *b = path ? strrchr(path, '/') : NULL;
	err gce = {0};
	art_gc(cfg->storage_path, s->dirrel, b ? b + 1 : NULL, cfg->retention_ttl_s,
		cfg->retention_records, &gce);
	return STEP_SUCCESS;
}

static const step STEPS[] = {
	{"reconcileStorage", reconcile_storage},
	{"reconcileSource", reconcile_source},
	{"reconcileArtifact", reconcile_artifact},
};

static const char *const OWNED[] = {
	"StorageOperationFailed", "FetchFailed", "BuildFailed", "ArtifactOutdated",
	"ArtifactInStorage", "SourceVerified", "Stalled", "Reconciling",
};
static const char *const NEGATIVE[] = {
	"StorageOperationFailed", "FetchFailed", "BuildFailed", "ArtifactOutdated", "Stalled",
	"Reconciling",
};
static const steps_summary SUMMARY = {
	OWNED, sizeof OWNED / sizeof *OWNED, NEGATIVE, sizeof NEGATIVE / sizeof *NEGATIVE,
};

static rt_result reconcile(rt_ctx *ctx, cJSON *obj)
{
	const helmchart_config *cfg = ctx->ud;
	const cJSON *og = json_get(json_get(obj, "status"), "observedGeneration");
	chart_reconcile s = {
		.cfg = cfg,
		.spec = json_get(obj, "spec"),
		.st = rt_status(obj),
		.dirrel = art_dir_path(KIND, ctx->ns, ctx->name),
		.tmp = xasprintf("%s/.tmp", cfg->storage_path),
		.force = !cJSON_IsNumber(og) ||
			(int64_t)og->valuedouble != kube_obj_generation(obj),
	};
	mkdir(s.tmp, 0700);
	sc_mark_reconciling(obj);
	int64_t interval = parse_dur_ms(json_str(s.spec, "interval"), 60000);
	rt_result r = steps_run(ctx, obj, STEPS, sizeof STEPS / sizeof *STEPS, &s, &SUMMARY,
		interval, cfg->requeue_dependency_ms, NULL);
	if (r.e.cls == ERR_NONE && s.path) {
		const cJSON *c = rt_cond_get(obj, "ArtifactInStorage");
		rt_cond_set(obj, RT_COND_READY, "True", json_str_or(c, "reason", ""), "%s",
			json_str_or(c, "message", ""));
	}
	state_release(&s);
	return r;
}

static rt_result finalize(rt_ctx *ctx, cJSON *obj)
{
	(void)obj;
	const helmchart_config *cfg = ctx->ud;
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

/* Index "source": "<Kind>/<ns>/<name>" of a HelmChart's sourceRef. */
static void index_source(const cJSON *obj, strv *out, void *ud)
{
	(void)ud;
	const cJSON *ref = json_get(json_get(obj, "spec"), "sourceRef");
	const char *k = json_str(ref, "kind"), *n = json_str(ref, "name");
	const char *ns = kube_obj_namespace(obj);
	if (k && n && ns) {
		char *key = xasprintf("%s/%s/%s", k, ns, n);
		strv_add(out, key);
		free(key);
	}
}

static void source_changed(helmchart_config *cfg, const char *kind, const cJSON *old,
	const cJSON *obj)
{
	const cJSON *a = json_get(json_get(old, "status"), "artifact");
	const cJSON *b = json_get(json_get(obj, "status"), "artifact");
	if (!b || (old && old != obj && str_eq(json_str(a, "revision"), json_str(b, "revision"))))
		return;
	const char *ons = kube_obj_namespace(obj), *oname = kube_obj_name(obj);
	char *key = xasprintf("%s/%s/%s", kind, ons ? ons : "", oname ? oname : "");
	strv keys = {0};
	rt_informer *self = rt_controller_informer(cfg->controller);
	rt_informer_index(self, "source", key, &keys);
	for (size_t i = 0; i < keys.n; i++) {
		char *ns, *name;
		rt_key_split(keys.v[i], &ns, &name);
		cJSON *hc = rt_informer_get(self, ns, name);
		const cJSON *hst = json_get(hc, "status");
		if (hc && !str_eq(json_str(hst, "observedSourceArtifactRevision"),
		    json_str(b, "revision")))
			rt_controller_enqueue(cfg->controller, ns, name);
		cJSON_Delete(hc);
		free(ns);
		free(name);
	}
	strv_release(&keys);
	free(key);
}

static void on_helmrepo(const cJSON *old, const cJSON *obj, void *ud)
{
	source_changed(ud, "HelmRepository", old, obj);
}

static void on_gitrepo(const cJSON *old, const cJSON *obj, void *ud)
{
	source_changed(ud, "GitRepository", old, obj);
}

rt_controller *helmchart_controller_new(rt_manager *m, helmchart_config *cfg)
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
	rt_informer_add_index(rt_controller_informer(c), "source", index_source, NULL);
	rt_handler hr = {.on_update = on_helmrepo, .ud = cfg};
	rt_informer_add_handler(rt_controller_informer(cfg->helmrepo), &hr);
	rt_handler gr = {.on_update = on_gitrepo, .ud = cfg};
	rt_informer_add_handler(rt_controller_informer(cfg->git), &gr);
	return c;
}
