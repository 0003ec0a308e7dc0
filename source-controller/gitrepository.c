/* The GitRepository v1 reconciler (Flux's gitrepository_controller.go, step by step):
 * storage (verify the stored artifact, refresh its URL, garbage-collect), source (ls-remote,
 * fetch and check out unless the remote and the content settings are unchanged, verify
 * signatures), include (copy other GitRepositories' artifacts into the checkout), artifact
 * (pack deterministically, store atomically, record status, emit NewArtifact). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/art.h"
#include "eddy/buf.h"
#include "eddy/clock.h"
#include "eddy/codec.h"
#include "eddy/git.h"
#include "eddy/ignore.h"
#include "eddy/json.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "sc.h"

#define KIND "GitRepository"
#define API "source.toolkit.fluxcd.io/v1"

/* ---------------------------------------------------------------- small JSON helpers */

static bool json_eq(const cJSON *a, const cJSON *b)
{
	bool ea = !a || cJSON_IsNull(a) || (cJSON_IsArray(a) && !cJSON_GetArraySize(a));
	bool eb = !b || cJSON_IsNull(b) || (cJSON_IsArray(b) && !cJSON_GetArraySize(b));
	if (ea || eb)
		return ea && eb;
	return cJSON_Compare(a, b, 1);
}

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

/* The secret's data, decoded, as a JSON object of strings (values may hold binary: we only use
 * text keys). NULL with e filled on failure. */
static cJSON *get_secret(rt_ctx *ctx, const char *ns, const char *name, err *e)
{
	err ge = {0};
	cJSON *s = kube_get(ctx->kube, "v1", "Secret", ns, name, NULL, &ge);
	if (!s) {
		err_fail(e, "AuthenticationFailed", "failed to get secret '%s/%s': %s", ns, name,
			kube_errkind_of(&ge) == KUBE_ENOTFOUND ? "secrets \"not found\"" : ge.msg);
		if (kube_errkind_of(&ge) == KUBE_ENOTFOUND)
			snprintf(e->msg, sizeof e->msg,
				"failed to get secret '%s/%s': secrets \"%s\" not found", ns, name,
				name);
		return NULL;
	}
	cJSON *out = cJSON_CreateObject();
	const cJSON *d;
	cJSON_ArrayForEach(d, json_get(s, "data")) {
		if (!cJSON_IsString(d))
			continue;
		size_t n;
		char *v = b64_decode(d->valuestring, strlen(d->valuestring), B64_LENIENT, 0, &n);
		if (v) {
			char *z = xstrndup(v, n);
			cJSON_AddStringToObject(out, d->string, z);
			free(z);
			free(v);
		}
	}
	cJSON_ArrayForEach(d, json_get(s, "stringData"))
		if (cJSON_IsString(d) && !json_get(out, d->string))
			cJSON_AddStringToObject(out, d->string, d->valuestring);
	cJSON_Delete(s);
	return out;
}

/* proxySecretRef: "address" (required), "username", "password" (Flux's keys). Returns the
 * decoded secret (which px points into) or NULL with e filled. */
static cJSON *proxy_from_secret(rt_ctx *ctx, const char *ns, const char *name, gitx_proxy *px,
	err *e)
{
	cJSON *s = get_secret(ctx, ns, name, e);
	if (!s) {
		err_prefix(e, "failed to configure proxy options");
		return NULL;
	}
	const char *addr = json_str(s, "address");
	if (!addr) {
		err_fail(e, "AuthenticationFailed", "failed to configure proxy options: secret "
			"'%s/%s': key 'address' not found", ns, name);
	} else if (!*addr) {
		err_fail(e, "AuthenticationFailed", "failed to configure proxy options: secret "
			"'%s/%s': proxy address is empty", ns, name);
	} else if (strncmp(addr, "http://", 7) && strncmp(addr, "https://", 8)) {
		err_fail(e, "AuthenticationFailed", "failed to configure proxy options: secret "
			"'%s/%s': proxy URL must use http or https scheme", ns, name);
	} else {
		px->url = addr;
		px->username = json_str(s, "username");
		px->password = json_str(s, "password");
		return s;
	}
	cJSON_Delete(s);
	return NULL;
}

/* spec.provider and spec.serviceAccountName (Flux's getAuthOpts): "github" exchanges the
 * GitHub App data of the secret for an installation token (username x-access-token);
 * "azure" and "aws" need cloud workload identity, which cannot be had here. */
static int provider_auth(rt_ctx *ctx, const cJSON *obj, const cJSON *spec, const cJSON *secret,
	gitx_opts *go, char **token, err *e)
{
	(void)obj;
	const char *prov = json_str(spec, "provider");
	const char *sa = json_str(spec, "serviceAccountName");
	const char *sname = json_str(json_get(spec, "secretRef"), "name");
	if (!prov || !*prov || !strcmp(prov, "generic")) {
		if (secret && json_str(secret, "githubAppID"))
			return err_fail(e, "InvalidProviderConfiguration",
				"secretRef '%s/%s' has github app data but provider is not set "
				"to github", ctx->ns, sname);
		if (sa && *sa)
			return err_set(e, ERR_STALLING, "InvalidProviderConfiguration",
				"spec.serviceAccountName can only be used with provider azure or "
				"aws");
		return 0;
	}
	if (!strcmp(prov, "azure") || !strcmp(prov, "aws")) {
		if (sa && *sa)
			return err_set(e, ERR_STALLING, "FeatureGateDisabled",
				"to use spec.serviceAccountName for provider authentication "
				"please enable the ObjectLevelWorkloadIdentity feature gate in "
				"the controller");
		return err_set(e, ERR_STALLING, "AuthenticationFailed",
			"failed to configure authentication options: provider '%s' needs %s "
			"workload identity, which Eddy's source-controller does not support", prov,
			!strcmp(prov, "azure") ? "Azure" : "AWS");
	}
	if (!strcmp(prov, "github")) {
		if (!secret)
			return err_set(e, ERR_STALLING, "InvalidProviderConfiguration",
				"secretRef with github app data must be specified when provider is "
				"set to github");
		if (!json_str(secret, "githubAppID") &&
		    !json_str(secret, "githubAppInstallationID") &&
		    !json_str(secret, "githubAppPrivateKey"))
			return err_fail(e, "InvalidProviderConfiguration",
				"secretRef with github app data must be specified when provider is "
				"set to github");
		gitx_github_app app = {
			.app_id = json_str(secret, "githubAppID"),
			.installation_id = json_str(secret, "githubAppInstallationID"),
			.private_key = json_str(secret, "githubAppPrivateKey"),
			.base_url = json_str(secret, "githubAppBaseURL"),
		};
		if (gitx_github_app_token(&app, go, token, e) < 0) {
			if (!strcmp(e->reason, "AuthenticationFailed"))
				err_prefix(e, "failed to configure authentication options");
			return -1;
		}
		go->auth.username = GITX_GITHUB_APP_USERNAME;
		go->auth.password = *token;
		go->auth.bearer_token = NULL;
		return 0;
	}
	return err_set(e, ERR_STALLING, "InvalidProviderConfiguration",
		"unsupported provider '%s'", prov);
}

/* ---------------------------------------------------------------- file helpers */

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

static bool exclude_cb(const char *rel, bool is_dir, void *ud)
{
	return ign_match(ud, rel, is_dir);
}

/* Include: the artifact of another GitRepository (local storage), from fromPath, into the
 * checkout at toPath. */
static int copy_include(sc_ctx *sc, const char *artifact_path, const char *from, const char *to,
	const char *checkout, const char *tmpbase, err *e)
{
	char *x = xasprintf("%s/inc-XXXXXX", tmpbase);
	int rc = -1;
	char *src = NULL, *dst = NULL, *full = NULL;
	if (!mkdtemp(x)) {
		err_fail(e, "CopyFailure", "cannot create a temporary directory: %s",
			strerror(errno));
		goto out;
	}
	full = xasprintf("%s/%s", sc->storage_path, artifact_path);
	art_extract_limits lim = {0};
	if (art_extract(full, x, &lim, e) < 0)
		goto out;
	while (from && from[0] == '.' && from[1] == '/')
		from += 2;
	while (to && to[0] == '.' && to[1] == '/')
		to += 2;
	if ((from && strstr(from, "..")) || strstr(to, "..") || to[0] == '/') {
		err_set(e, ERR_STALLING, "IllegalPath", "include path '%s' is outside the source",
			from && strstr(from, "..") ? from : to);
		goto out;
	}
	src = from && *from && strcmp(from, ".") ? xasprintf("%s/%s", x, from) : xstrdup(x);
	dst = xasprintf("%s/%s", checkout, to);
	struct stat st;
	if (stat(src, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_fail(e, "CopyFailure", "failed to copy include: fromPath '%s' does not exist",
			from ? from : ".");
		goto out;
	}
	rm_tree(dst);
	char *parent = xstrdup(dst);
	char *sl = strrchr(parent, '/');
	*sl = 0;
	int mk = art_mkdirs(parent, e);
	free(parent);
	if (mk < 0)
		goto out;
	if (rename(src, dst) < 0) {
		err_fail(e, "CopyFailure", "failed to copy include to '%s': %s", to,
			strerror(errno));
		goto out;
	}
	rc = 0;
out:
	rm_tree(x);
	free(x);
	free(src);
	free(dst);
	free(full);
	return rc;
}

/* ---------------------------------------------------------------- symlinks */

/* Flux resolves symlinks before archiving (resolveSymlinks): a link whose target exists inside
 * the checkout is replaced by a copy of the target; links that are broken or point outside
 * stay links, which the archive then drops. Copies are bounded (depth, files, bytes) and a
 * link to one of its own ancestors is left alone. */
enum { SL_MAX_DEPTH = 32, SL_MAX_LINKS = 10000, SL_MAX_FILES = 100000 };

typedef struct slwalk {
	const char *root;          /* realpath of the checkout */
	char **path, **target;
	size_t n, cap;
	size_t files;
	uint64_t bytes, max_bytes;
} slwalk;

static bool inside(const char *root, const char *p)
{
	size_t l = strlen(root);
	return !strncmp(p, root, l) && (p[l] == '/' || !p[l]);
}

static void sl_collect(slwalk *w, const char *dir, int depth)
{
	if (depth > SL_MAX_DEPTH)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (depth == 0 && !strcmp(de->d_name, ".git")))
			continue;
		char *p = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode) && w->n < SL_MAX_LINKS) {
			char *t = realpath(p, NULL);
			if (t && inside(w->root, t) && !inside(t, p)) {
				if (w->n == w->cap) {
					w->cap = w->cap ? w->cap * 2 : 16;
					w->path = xrealloc(w->path, w->cap * sizeof *w->path);
					w->target = xrealloc(w->target, w->cap * sizeof *w->target);
				}
				w->path[w->n] = p;
				w->target[w->n++] = t;
				continue;
			}
			free(t);
		} else if (S_ISDIR(st.st_mode)) {
			sl_collect(w, p, depth + 1);
		}
		free(p);
	}
	closedir(d);
}

static int sl_copy_file(slwalk *w, const char *src, const char *dst)
{
	FILE *in = fopen(src, "rb");
	if (!in)
		return -1;
	struct stat st;
	FILE *out = NULL;
	int rc = -1;
	if (fstat(fileno(in), &st) < 0 || !S_ISREG(st.st_mode) || ++w->files > SL_MAX_FILES ||
	    (w->max_bytes && (w->bytes += (uint64_t)st.st_size) > w->max_bytes))
		goto out;
	out = fopen(dst, "wb");
	if (!out)
		goto out;
	char b[65536];
	size_t k;
	while ((k = fread(b, 1, sizeof b, in)) > 0)
		if (fwrite(b, 1, k, out) != k)
			goto out;
	rc = ferror(in) ? -1 : 0;
	fchmod(fileno(out), st.st_mode & 0777);
out:
	if (out && fclose(out) != 0)
		rc = -1;
	fclose(in);
	return rc;
}

static int sl_copy(slwalk *w, const char *src, const char *dst, int depth)
{
	struct stat st;
	if (depth > SL_MAX_DEPTH || stat(src, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return sl_copy_file(w, src, dst);
	if (mkdir(dst, st.st_mode & 0777) < 0 && errno != EEXIST)
		return -1;
	DIR *d = opendir(src);
	if (!d)
		return -1;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *s = xasprintf("%s/%s", src, de->d_name);
		char *t = xasprintf("%s/%s", dst, de->d_name);
		char *real = realpath(s, NULL);
		/* nested links: only to targets inside the checkout, never to an ancestor */
		if (real && inside(w->root, real) && !inside(real, dst))
			rc = sl_copy(w, real, t, depth + 1);
		free(real);
		free(s);
		free(t);
	}
	closedir(d);
	return rc;
}

static int resolve_symlinks(const char *checkout, uint64_t max_bytes, err *e)
{
	char *root = realpath(checkout, NULL);
	if (!root)
		return err_fail(e, "ArchiveOperationFailed", "failed to resolve symlinks in "
			"repository: %s", strerror(errno));
	slwalk w = {.root = root, .max_bytes = max_bytes};
	sl_collect(&w, root, 0);
	int rc = 0;
	for (size_t i = w.n; i-- > 0;) {
		if (rc == 0 && unlink(w.path[i]) == 0 && sl_copy(&w, w.target[i], w.path[i], 0) < 0)
			rc = err_fail(e, "ArchiveOperationFailed", "failed to resolve symlinks in "
				"repository: cannot copy '%s'", w.path[i] + strlen(root) + 1);
		free(w.path[i]);
		free(w.target[i]);
	}
	free(w.path);
	free(w.target);
	free(root);
	return rc;
}

/* Flux checks after the checkout that every sparseCheckout directory exists. */
static int check_sparse(const char *checkout, const cJSON *sparse, err *e)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, sparse) {
		if (!cJSON_IsString(it))
			continue;
		const char *p = it->valuestring;
		while (p[0] == '.' && p[1] == '/')
			p += 2;
		char *full = xasprintf("%s/%s", checkout, p);
		struct stat st;
		int rc = strstr(p, "..") ? -1 : lstat(full, &st);
		free(full);
		if (rc < 0)
			return err_fail(e, "GitOperationFailed", "failed to sparse checkout "
				"directories : sparse checkout dir '%s' does not exist in "
				"repository", it->valuestring);
	}
	return 0;
}

/* ---------------------------------------------------------------- the reconcile */

static const char *const SUMMARY[] = {
	"StorageOperationFailed", "FetchFailed", "IncludeUnavailable", "ArtifactOutdated",
	"ArtifactInStorage", "SourceVerified", "Stalled", "Reconciling",
};
static const char *const NEGATIVE[] = {
	"StorageOperationFailed", "FetchFailed", "IncludeUnavailable", "ArtifactOutdated",
	"Stalled", "Reconciling",
};

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

/* A failure: the condition, Ready, an event when the message is new, and the result. */
static rt_result failed(rt_ctx *ctx, cJSON *obj, const char *cond, err *e)
{
	rt_result r = {0};
	const cJSON *prev = rt_cond_get(obj, RT_COND_READY);
	bool same = prev && str_eq(json_str(prev, "message"), e->msg) &&
		str_eq(json_str(prev, "status"), "False");
	if (cond)
		rt_cond_set(obj, cond, "True", e->reason, "%s", e->msg);
	rt_cond_set(obj, RT_COND_READY, "False", e->reason, "%s", e->msg);
	if (!same)
		event(ctx, obj, "Warning", e->reason, NULL, NULL, e->msg);
	r.e = *e;
	if (r.e.cls == ERR_NONE)
		r.e.cls = ERR_GENERIC;
	return r;
}

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

static char *tmp_base(sc_ctx *sc)
{
	char *t = xasprintf("%s/.tmp", sc->storage_path);
	mkdir(t, 0700);
	return t;
}

static rt_result reconcile(rt_ctx *ctx, cJSON *obj)
{
	sc_ctx *sc = ctx->ud;
	rt_result r = {0};
	err e = {0};
	cJSON *st = rt_status(obj);
	const cJSON *spec = json_get(obj, "spec");
	const char *ns = ctx->ns, *name = ctx->name;
	char *dirrel = art_dir_path(KIND, ns, name);
	char *tmp = tmp_base(sc), *checkout = NULL;
	cJSON *secret = NULL, *included = NULL, *proxy = NULL;
	char *app_token = NULL;
	gitx_result gr = {0};
	int64_t interval = parse_dur_ms(json_str(spec, "interval"), 60000);

	/* Reconciling: on a new generation, or a still-progressing object */
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

	/* ---- storage: verify the stored artifact, refresh the URL, GC */
	cJSON *art = (cJSON *)json_get(st, "artifact");
	if (art) {
		const char *path = json_str(art, "path");
		char *full = path ? xasprintf("%s/%s", sc->storage_path, path) : NULL;
		err ve = {0};
		if (!full || art_verify_file(full, json_str(art, "digest"), &ve) < 0) {
			if (full && access(full, F_OK) == 0)
				event(ctx, obj, "Warning", "ArtifactVerificationFailed", NULL, NULL,
					"failed to verify integrity of artifact");
			if (full)
				unlink(full);
			json_set(st, "artifact", NULL);
			art = NULL;
			rt_cond_delete(obj, "ArtifactInStorage");
			rt_cond_set(obj, RT_COND_RECONCILING, "True", "Progressing",
				"building artifact: disappeared from storage");
		} else {
			char *url = art_url(sc_adv_addr(sc), path);
			json_set_str(art, "url", url);
			free(url);
		}
		free(full);
	}
	if (!art) {
		rt_cond_set(obj, RT_COND_READY, "Unknown", "Progressing", "building artifact");
	}

	/* ---- source */
	const char *url = json_str(spec, "url");
	const cJSON *ref = json_get(spec, "ref");
	gitx_opts go = {
		.url = url,
		.ref = {json_str(ref, "branch"), json_str(ref, "tag"), json_str(ref, "semver"),
			json_str(ref, "name"), json_str(ref, "commit")},
		.timeout_ms = parse_dur_ms(json_str(spec, "timeout"), 60000),
		.max_bytes = sc->git_max_bytes,
		.recurse_submodules = cJSON_IsTrue(json_get(spec, "recurseSubmodules")),
	};
	const cJSON *pref = json_get(spec, "proxySecretRef");
	if (json_str(pref, "name")) {
		proxy = proxy_from_secret(ctx, ns, json_str(pref, "name"), &go.proxy, &e);
		if (!proxy) {
			r = failed(ctx, obj, "FetchFailed", &e);
			goto out;
		}
	}
	const cJSON *sref = json_get(spec, "secretRef");
	if (json_str(sref, "name")) {
		secret = get_secret(ctx, ns, json_str(sref, "name"), &e);
		if (!secret) {
			r = failed(ctx, obj, "FetchFailed", &e);
			goto out;
		}
		go.auth.username = json_str(secret, "username");
		go.auth.password = json_str(secret, "password");
		go.auth.bearer_token = json_str(secret, "bearerToken");
		go.auth.identity = json_str(secret, "identity");
		go.auth.known_hosts = json_str(secret, "known_hosts");
		go.auth.ca_pem = json_str(secret, "ca.crt") ? json_str(secret, "ca.crt")
			: json_str(secret, "caFile");
		go.auth.cert_pem = json_str(secret, "tls.crt") ? json_str(secret, "tls.crt")
			: json_str(secret, "certFile");
		go.auth.key_pem = json_str(secret, "tls.key") ? json_str(secret, "tls.key")
			: json_str(secret, "keyFile");
	}
	if (provider_auth(ctx, obj, spec, secret, &go, &app_token, &e) < 0) {
		r = failed(ctx, obj, "FetchFailed", &e);
		goto out;
	}
	const cJSON *sparse = json_get(spec, "sparseCheckout");
	const char **sp = NULL;
	if (cJSON_IsArray(sparse) && cJSON_GetArraySize(sparse) > 0) {
		sp = xcalloc((size_t)cJSON_GetArraySize(sparse), sizeof *sp);
		const cJSON *s;
		cJSON_ArrayForEach(s, sparse)
			if (cJSON_IsString(s))
				sp[go.nsparse++] = s->valuestring;
		go.sparse = sp;
	}

	/* the included artifacts as they are now (waiting when one is missing) */
	const cJSON *inc = json_get(spec, "include");
	included = cJSON_CreateArray();
	const cJSON *it;
	cJSON_ArrayForEach(it, inc) {
		const char *iname = json_str(json_get(it, "repository"), "name");
		rt_informer *self = rt_controller_informer(ctx->c);
		cJSON *o = iname ? rt_informer_get(self, ns, iname) : NULL;
		const cJSON *ia = o ? json_get(json_get(o, "status"), "artifact") : NULL;
		if (!o || !ia) {
			err_set(&e, ERR_WAITING, o ? "NoArtifact" : "NotFound",
				o ? "no artifact available for include '%s'"
				  : "could not get resource for include '%s': not found",
				iname ? iname : "");
			rt_cond_set(obj, "IncludeUnavailable", "True", e.reason, "%s", e.msg);
			rt_cond_set(obj, RT_COND_READY, "False", e.reason, "%s", e.msg);
			cJSON_Delete(o);
			free(sp);
			r.e = e;
			r.requeue_after_ms = sc->requeue_dependency_ms;
			goto out;
		}
		cJSON_AddItemToArray(included, cJSON_Duplicate(ia, 1));
		cJSON_Delete(o);
	}
	rt_cond_delete(obj, "IncludeUnavailable");
	/* compare included artifacts by revision and digest only */
	cJSON *inc_cmp = cJSON_CreateArray();
	cJSON_ArrayForEach(it, included) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "revision", json_str_or(it, "revision", ""));
		cJSON_AddStringToObject(x, "digest", json_str_or(it, "digest", ""));
		cJSON_AddItemToArray(inc_cmp, x);
	}
	cJSON *old_cmp = cJSON_CreateArray();
	cJSON_ArrayForEach(it, json_get(st, "includedArtifacts")) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "revision", json_str_or(it, "revision", ""));
		cJSON_AddStringToObject(x, "digest", json_str_or(it, "digest", ""));
		cJSON_AddItemToArray(old_cmp, x);
	}
	bool inc_changed = !json_eq(inc_cmp, old_cmp);
	cJSON_Delete(inc_cmp);
	cJSON_Delete(old_cmp);

	const cJSON *verify = json_get(spec, "verify");
	const char *vmode = verify ? json_str_or(verify, "mode", "HEAD") : NULL;
	bool verified_ok = !verify || (rt_cond_is_true(obj, "SourceVerified") &&
		str_eq(json_str(st, "sourceVerificationMode"), vmode));
	bool changed = content_changed(st, spec) || inc_changed;
	if (art && rt_cond_is_true(obj, "ArtifactInStorage") && !changed && verified_ok)
		go.last_revision = json_str(art, "revision");

	checkout = xasprintf("%s/git-XXXXXX", tmp);
	if (!mkdtemp(checkout)) {
		err_fail(&e, "DirectoryCreationFailed", "failed to create temporary working "
			"directory: %s", strerror(errno));
		free(sp);
		r = failed(ctx, obj, "StorageOperationFailed", &e);
		goto out;
	}
	int grc = gitx_checkout(&go, checkout, &gr, &e);
	free(sp);
	if (grc < 0) {
		r = failed(ctx, obj, "FetchFailed", &e);
		goto out;
	}
	if (!gr.unchanged && check_sparse(checkout, sparse, &e) < 0) {
		r = failed(ctx, obj, "FetchFailed", &e);
		goto out;
	}
	rt_cond_delete(obj, "FetchFailed");
	if (gr.unchanged) {
		/* no-op: remote and content settings unchanged, artifact in storage */
		log_debug(&ctx->log, "no changes since last reconcilation",
			LOG_S("revision", gr.revision));
		rt_cond_set(obj, RT_COND_READY, "True", "Succeeded", "stored artifact for revision "
			"'%s'", gr.revision);
		goto success;
	}
	if (!art || !str_eq(json_str(art, "revision"), gr.revision)) {
		rt_cond_set(obj, "ArtifactOutdated", "True", "NewRevision",
			"new upstream revision '%s'", gr.revision);
		rt_cond_set(obj, RT_COND_RECONCILING, "True", "Progressing",
			"building artifact: new upstream revision '%s'", gr.revision);
		if (art)
			rt_cond_set(obj, RT_COND_READY, "Unknown", "Progressing",
				"building artifact: new upstream revision '%s'", gr.revision);
	}

	/* verification */
	if (verify) {
		cJSON *vs = NULL;
		const char *vname = json_str(json_get(verify, "secretRef"), "name");
		err ve = {0};
		if (vname)
			vs = kube_get(ctx->kube, "v1", "Secret", ns, vname, NULL, &ve);
		if (!vs) {
			err_fail(&e, "VerificationError",
				"PGP public keys secret error: failed to get secret '%s/%s'", ns,
				vname ? vname : "");
		} else {
			cJSON *data = get_secret(ctx, ns, vname, &ve);
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
			if (gitx_verify(checkout, &gr, vmode, keys, nk, sshkeys, nsk, &vmsg,
			    &e) == 0) {
				rt_cond_set(obj, "SourceVerified", "True", "Succeeded", "%s", vmsg);
				free(vmsg);
				json_set_str(st, "sourceVerificationMode", vmode);
			}
			cJSON_Delete(data);
			cJSON_Delete(vs);
		}
		if (err_is_set(&e)) {
			rt_cond_set(obj, "SourceVerified", "False", e.reason, "%s", e.msg);
			r = failed(ctx, obj, NULL, &e);
			goto out;
		}
	} else {
		rt_cond_delete(obj, "SourceVerified");
		json_set_str(st, "sourceVerificationMode", NULL);
	}

	/* ---- include */
	size_t idx = 0;
	cJSON_ArrayForEach(it, inc) {
		const cJSON *ia = cJSON_GetArrayItem(included, (int)idx++);
		const char *to = json_str(it, "toPath") ? json_str(it, "toPath")
			: json_str(json_get(it, "repository"), "name");
		if (copy_include(sc, json_str(ia, "path"), json_str(it, "fromPath"), to, checkout,
				 tmp,
		    &e) < 0) {
			r = failed(ctx, obj, "StorageOperationFailed", &e);
			goto out;
		}
	}

	/* ---- artifact */
	if (resolve_symlinks(checkout, sc->git_max_bytes, &e) < 0) {
		r = failed(ctx, obj, "StorageOperationFailed", &e);
		goto out;
	}
	{
		ign_rules *ign = ign_for_source(checkout, json_str(spec, "ignore"), &e);
		if (!ign) {
			r = failed(ctx, obj, "StorageOperationFailed", &e);
			goto out;
		}
		char *absdir = xasprintf("%s/%s", sc->storage_path, dirrel);
		char *file = xasprintf("%s.tar.gz", gr.commit);
		char *rel = xasprintf("%s/%s", dirrel, file);
		char *full = xasprintf("%s/%s", sc->storage_path, rel);
		art_pack_opts po = {.exclude = exclude_cb, .exclude_ud = ign};
		art_info info;
		int prc = art_mkdirs(absdir, &e);
		if (prc == 0)
			prc = art_pack_dir(checkout, &po, full, &info, &e);
		ign_free(ign);
		if (prc < 0) {
			if (!strcmp(e.reason, "ArtifactFailed"))
				snprintf(e.reason, sizeof e.reason, "ArchiveOperationFailed");
			r = failed(ctx, obj, "StorageOperationFailed", &e);
			free(absdir);
			free(file);
			free(rel);
			free(full);
			goto out;
		}
		bool new_digest = !art || !str_eq(json_str(art, "digest"), info.digest);
		cJSON *na = cJSON_CreateObject();
		char now[32];
		clock_rfc3339_now(now, sizeof now, 0);
		char *u = art_url(sc_adv_addr(sc), rel);
		cJSON_AddStringToObject(na, "digest", info.digest);
		cJSON_AddStringToObject(na, "lastUpdateTime", now);
		cJSON_AddStringToObject(na, "path", rel);
		cJSON_AddStringToObject(na, "revision", gr.revision);
		cJSON_AddNumberToObject(na, "size", (double)info.size);
		cJSON_AddStringToObject(na, "url", u);
		free(u);
		json_set(st, "artifact", na);
		art = na;
		json_set(st, "includedArtifacts", cJSON_GetArraySize(included)
			? cJSON_Duplicate(included, 1) : NULL);
		set_observed(st, spec);
		rt_cond_delete(obj, "ArtifactOutdated");
		rt_cond_delete(obj, "StorageOperationFailed");
		if (new_digest) {
			char *subj = subject_of(gr.message);
			char *msg = xasprintf("stored artifact for commit '%s'", subj);
			event(ctx, obj, "Normal", "NewArtifact", gr.revision, info.digest, msg);
			log_info(&ctx->log, msg, LOG_S("revision", gr.revision));
			free(msg);
			free(subj);
		}
		free(absdir);
		free(file);
		free(rel);
		free(full);
	}
	rt_cond_set(obj, RT_COND_READY, "True", "Succeeded", "stored artifact for revision '%s'",
		gr.revision);

success:
	{
		rt_cond_set(obj, "ArtifactInStorage", "True", "Succeeded",
			"stored artifact for revision '%s'", json_str(art, "revision"));
		rt_cond_delete(obj, "StorageOperationFailed");
		rt_cond_delete(obj, "IncludeUnavailable");
		rt_cond_delete(obj, "ArtifactOutdated");
		/* GC: keep the current artifact */
		const char *path = json_str(art, "path");
		const char *base = path ? strrchr(path, '/') : NULL;
		err gce = {0};
		int n = art_gc(sc->storage_path, dirrel, base ? base + 1 : NULL,
			sc->retention_ttl_s, sc->retention_records, &gce);
		if (n > 0)
			log_debug(&ctx->log, "garbage collected artifacts", LOG_I("count", n));
		r.requeue_after_ms = interval;
	}
out:
	if (r.e.cls == ERR_NONE || r.e.cls == ERR_WAITING) {
		rt_cond_summarize(obj, RT_COND_READY, SUMMARY, sizeof SUMMARY / sizeof *SUMMARY,
			NEGATIVE, sizeof NEGATIVE / sizeof *NEGATIVE);
		if (r.e.cls == ERR_NONE)
			rt_cond_set(obj, RT_COND_READY, "True", "Succeeded",
				"stored artifact for revision '%s'", json_str(art, "revision"));
	}
	if (checkout)
		rm_tree(checkout);
	gitx_result_release(&gr);
	cJSON_Delete(secret);
	cJSON_Delete(proxy);
	if (app_token) {
		memset(app_token, 0, strlen(app_token));
		free(app_token);
	}
	cJSON_Delete(included);
	free(checkout);
	free(tmp);
	free(dirrel);
	return r;
}

static rt_result finalize(rt_ctx *ctx, cJSON *obj)
{
	(void)obj;
	sc_ctx *sc = ctx->ud;
	rt_result r = {0};
	char *dirrel = art_dir_path(KIND, ctx->ns, ctx->name);
	if (art_remove_dir(sc->storage_path, dirrel, &r.e) < 0)
		snprintf(r.e.reason, sizeof r.e.reason, "GarbageCollectionFailed");
	else
		log_info(&ctx->log, "garbage collected artifacts for deleted resource", LOG_END);
	met_flux_forget(&sc->a->flux, KIND, ctx->ns, ctx->name);
	free(dirrel);
	return r;
}

/* Enqueue the GitRepositories that include the one that changed. */
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

static void on_update(const cJSON *old, const cJSON *obj, void *ud)
{
	sc_ctx *sc = ud;
	const cJSON *a = json_get(json_get(old, "status"), "artifact");
	const cJSON *b = json_get(json_get(obj, "status"), "artifact");
	if (old == obj || str_eq(json_str(a, "digest"), json_str(b, "digest")) || !b)
		return;
	char *key = rt_key_of(obj);
	strv keys = {0};
	rt_informer_index(rt_controller_informer(sc->git), "include", key, &keys);
	for (size_t i = 0; i < keys.n; i++) {
		char *ns, *name;
		rt_key_split(keys.v[i], &ns, &name);
		rt_controller_enqueue(sc->git, ns, name);
		free(ns);
		free(name);
	}
	strv_release(&keys);
	free(key);
}

rt_controller *sc_gitrepository_new(rt_manager *m, sc_ctx *sc)
{
	app_config *cfg = &sc->a->cfg;
	rt_controller_opts co = {
		.api_version = API,
		.kind = KIND,
		.reconcile = reconcile,
		.finalize = finalize,
		.finalizer = RT_FINALIZER_FLUX,
		.suspend = true,
		.patch_status = true,
		.kstatus = true,
		.concurrent = (int)cfg->concurrent,
		.queue = {
			.base_delay_ms = (int64_t)app_duration_ms(cfg->min_retry_delay),
			.max_delay_ms = (int64_t)app_duration_ms(cfg->max_retry_delay),
		},
		.ud = sc,
	};
	rt_controller *c = rt_controller_new(m, &co);
	sc->git = c;
	rt_informer *inf = rt_controller_informer(c);
	rt_informer_add_index(inf, "include", index_includes, NULL);
	rt_handler h = {.on_update = on_update, .ud = sc};
	rt_informer_add_handler(inf, &h);
	return c;
}
