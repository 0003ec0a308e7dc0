/* ksbuild: a Flux Kustomization's build (see eddy/ksbuild.h), shared by kustomize-controller
 * (generation, overlays, postBuild) and the eddy CLI (`build`/`diff kustomization`). */
#include "eddy/ksbuild.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "eddy/buf.h"
#include "eddy/codec.h"
#include "eddy/json.h"
#include "eddy/kz.h"
#include "eddy/mem.h"
#include "eddy/subst.h"
#include "eddy/yml.h"

#define GROUP "kustomize.toolkit.fluxcd.io"
#define MAX_SCAN_DEPTH 64
#define MAX_MANIFEST_BYTES ((size_t)32 << 20)
#define SUBST_KEY GROUP "/substitute"
#define NAME_RULE "^[_[:alpha:]][_[:alpha:][:digit:]]*$"
#define SOPS_MASK "**SOPS**"
#define SOPS_MASK_B64 "KipTT1BTKio=" /* base64("**SOPS**") */
#define DOCKERCFG_MASK "{\"mask\":\"**SOPS**\"}"
#define DOCKERCFG_MASK_B64 "eyJtYXNrIjoiKipTT1BTKioifQ==" /* base64 of DOCKERCFG_MASK */

static bool str_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* ---------------------------------------------------------------- paths */

char *ksb_secure_join(const char *root, const char *p)
{
	buf b;
	buf_init(&b, 1u << 16);
	char *copy = xstrdup(p ? p : "");
	char **parts = NULL;
	size_t n = 0, alloc = 0;
	char *save = NULL;
	for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (!*t || !strcmp(t, "."))
			continue;
		if (!strcmp(t, "..")) {
			if (n)
				n--;
			continue;
		}
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 8;
			parts = xrealloc(parts, alloc * sizeof *parts);
		}
		parts[n++] = t;
	}
	buf_adds(&b, root);
	for (size_t i = 0; i < n; i++) {
		buf_addc(&b, '/');
		buf_adds(&b, parts[i]);
	}
	free(parts);
	free(copy);
	char *s = buf_detach(&b, NULL);
	return s ? s : xstrdup(root);
}

char *ksb_inventory_id(const char *ns, const char *name, const char *api_version,
	const char *kind)
{
	buf b;
	buf_init(&b, 1u << 16);
	const char *slash = strchr(api_version ? api_version : "", '/');
	buf_addf(&b, "%s_", ns ? ns : "");
	for (const char *p = name ? name : ""; *p; p++)
		if (*p == ':')
			buf_adds(&b, "__");
		else
			buf_addc(&b, *p);
	buf_addf(&b, "_%.*s_%s", slash ? (int)(slash - api_version) : 0,
		slash ? api_version : "", kind ? kind : "");
	return buf_detach(&b, NULL);
}

/* ---------------------------------------------------------------- generate */

static const char *const KFILES[] = {"kustomization.yaml", "kustomization.yml", "Kustomization"};

static char *find_kfile(const char *dir)
{
	for (size_t i = 0; i < sizeof KFILES / sizeof *KFILES; i++) {
		char *p = xasprintf("%s/%s", dir, KFILES[i]);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			return p;
		free(p);
	}
	return NULL;
}

static int read_file(const char *path, buf *out, err *e)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return err_fail(e, "BuildFailed", "unable to read %s: %s", path, strerror(errno));
	char tmp[8192];
	size_t n;
	int rc = 0;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (buf_add(out, tmp, n) < 0) {
			rc = err_fail(e, "BuildFailed", "%s is too large", path);
			break;
		}
	fclose(f);
	return rc;
}

/* Does this file hold Kubernetes objects (every document has apiVersion and kind)? */
static bool is_k8s_file(const char *path)
{
	buf b;
	buf_init(&b, MAX_MANIFEST_BYTES);
	bool ok = false;
	if (read_file(path, &b, NULL) == 0) {
		cJSON *docs = yml_parse_stream(b.data ? b.data : "", b.len, NULL, NULL);
		if (docs && cJSON_GetArraySize(docs) > 0) {
			ok = true;
			const cJSON *d;
			cJSON_ArrayForEach(d, docs)
				if (!json_str(d, "apiVersion") || !json_str(d, "kind"))
					ok = false;
		}
		cJSON_Delete(docs);
	}
	buf_release(&b);
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan_dir(const char *base, const char *rel, cJSON *res, int depth)
{
	if (depth > MAX_SCAN_DEPTH)
		return;
	char *dir = *rel ? xasprintf("%s/%s", base, rel) : xstrdup(base);
	DIR *d = opendir(dir);
	if (!d) {
		free(dir);
		return;
	}
	char **names = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			names = xrealloc(names, alloc * sizeof *names);
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *full = xasprintf("%s/%s", dir, names[i]);
		char *r = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		struct stat st;
		if (lstat(full, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				char *kf = find_kfile(full);
				if (kf)
					cJSON_AddItemToArray(res, cJSON_CreateString(r));
				else
					scan_dir(base, r, res, depth + 1);
				free(kf);
			} else if (S_ISREG(st.st_mode)) {
				size_t l = strlen(names[i]);
				bool y = (l > 5 && !strcmp(names[i] + l - 5, ".yaml")) ||
					 (l > 4 && !strcmp(names[i] + l - 4, ".yml"));
				if (y && is_k8s_file(full))
					cJSON_AddItemToArray(res, cJSON_CreateString(r));
			}
		}
		free(full);
		free(r);
		free(names[i]);
	}
	free(names);
	free(dir);
}

static void overlay_images(cJSON *k, const cJSON *spec)
{
	cJSON *p = json_arr_ensure(k, "images");
	const cJSON *it;
	cJSON_ArrayForEach(it, json_get(spec, "images")) {
		const char *name = json_str(it, "name");
		if (!name)
			continue;
		cJSON *found = NULL, *x;
		cJSON_ArrayForEach(x, p)
			if (str_eq(json_str(x, "name"), name))
				found = x;
		if (!found) {
			cJSON_AddItemToArray(p, cJSON_Duplicate(it, 1));
			continue;
		}
		if (json_str(it, "newName"))
			json_set_str(found, "newName", json_str(it, "newName"));
		if (json_str(it, "newTag") || json_str(it, "digest")) {
			json_set_str(found, "newTag", json_str(it, "newTag"));
			json_set_str(found, "digest", json_str(it, "digest"));
		}
	}
}

cJSON *ksb_kustomization_for(const char *dir, const cJSON *spec, err *e)
{
	cJSON *k = NULL;
	char *kf = find_kfile(dir);
	if (kf) {
		buf b;
		buf_init(&b, KZ_DEFAULT_MAX_FILE_BYTES);
		if (read_file(kf, &b, e) == 0) {
			k = yml_parse_one(b.data ? b.data : "", b.len, NULL, e);
			if (k && !cJSON_IsObject(k)) {
				cJSON_Delete(k);
				k = cJSON_CreateObject();
			}
			if (!k)
				err_prefix(e, "failed to parse kustomization");
		}
		buf_release(&b);
		free(kf);
		if (!k) {
			snprintf(e->reason, sizeof e->reason, "BuildFailed");
			return NULL;
		}
	} else {
		k = cJSON_CreateObject();
		cJSON_AddStringToObject(k, "apiVersion", "kustomize.config.k8s.io/v1beta1");
		cJSON_AddStringToObject(k, "kind", "Kustomization");
		scan_dir(dir, "", cJSON_AddArrayToObject(k, "resources"), 0);
	}
	const char *s;
	if ((s = json_str(spec, "targetNamespace")) && *s)
		json_set_str(k, "namespace", s);
	if ((s = json_str(spec, "namePrefix")) && *s)
		json_set_str(k, "namePrefix", s);
	if ((s = json_str(spec, "nameSuffix")) && *s)
		json_set_str(k, "nameSuffix", s);
	const cJSON *it;
	if (cJSON_GetArraySize(json_get(spec, "patches")) > 0) {
		cJSON *p = json_arr_ensure(k, "patches");
		cJSON_ArrayForEach(it, json_get(spec, "patches"))
			cJSON_AddItemToArray(p, cJSON_Duplicate(it, 1));
	}
	if (cJSON_GetArraySize(json_get(spec, "components")) > 0) {
		cJSON *p = json_arr_ensure(k, "components");
		bool ign = cJSON_IsTrue(json_get(spec, "ignoreMissingComponents"));
		cJSON_ArrayForEach(it, json_get(spec, "components")) {
			if (!cJSON_IsString(it))
				continue;
			if (ign) {
				char *cp = ksb_secure_join(dir, it->valuestring);
				struct stat st;
				bool ok = stat(cp, &st) == 0;
				free(cp);
				if (!ok)
					continue;
			}
			cJSON_AddItemToArray(p, cJSON_CreateString(it->valuestring));
		}
	}
	if (cJSON_GetArraySize(json_get(spec, "images")) > 0)
		overlay_images(k, spec);
	return k;
}

/* ---------------------------------------------------------------- build */

int ksb_build(const ksb_options *o, ksb_result *r, err *e)
{
	memset(r, 0, sizeof *r);
	struct stat sb;
	if (stat(o->dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return err_fail(e, "BuildFailed", "kustomization path not found: %s: %s", o->dir,
			stat(o->dir, &sb) ? strerror(errno) : "not a directory");
	cJSON *k = ksb_kustomization_for(o->dir, o->spec, e);
	if (!k)
		return -1;
	buf kbuf;
	buf_init(&kbuf, 64u << 20);
	int rc = 0;
	if (o->decrypt_sources && o->decrypt_sources(o->hook_ud, o->root, o->dir, k, e) < 0)
		rc = -1;
	if (rc == 0)
		rc = yml_emit(&kbuf, k, e);
	cJSON_Delete(k);
	cJSON *objs = NULL;
	if (rc == 0) {
		kz_options ko = {.allow_remote = o->allow_remote, .kustomization = kbuf.data,
			.kustomization_len = kbuf.len};
		rc = kz_build(&ko, o->root, o->dir, &objs, e);
		if (rc < 0)
			err_prefix(e, "kustomize build failed");
	}
	buf_release(&kbuf);
	if (rc < 0) {
		snprintf(e->reason, sizeof e->reason, "BuildFailed");
		return -1;
	}
	if ((o->decrypt && o->decrypt(o->hook_ud, objs, e) < 0) ||
	    (o->postbuild && ksb_postbuild(o->kube, o->ns, o->spec, objs, o->strict, e) < 0)) {
		cJSON_Delete(objs);
		return -1;
	}
	if (o->built)
		o->built(o->hook_ud, objs);
	const cJSON *cm = json_get(o->spec, "commonMetadata");
	cJSON *obj;
	cJSON_ArrayForEach(obj, objs) {
		if (!json_str(obj, "apiVersion") || !json_str(obj, "kind") ||
		    !json_str(json_get(obj, "metadata"), "name")) {
			cJSON_Delete(objs);
			return err_fail(e, "BuildFailed", "object has no apiVersion, kind or name");
		}
		cJSON *md = json_obj_ensure(obj, "metadata");
		const cJSON *kv;
		if (cJSON_GetArraySize(json_get(cm, "labels")) > 0 || o->name) {
			cJSON *labels = json_obj_ensure(md, "labels");
			cJSON_ArrayForEach(kv, json_get(cm, "labels"))
				if (cJSON_IsString(kv))
					json_set_str(labels, kv->string, kv->valuestring);
			if (o->name) {
				json_set_str(labels, GROUP "/name", o->name);
				json_set_str(labels, GROUP "/namespace", o->ns ? o->ns : "");
			}
		}
		if (cJSON_GetArraySize(json_get(cm, "annotations")) > 0) {
			cJSON *anns = json_obj_ensure(md, "annotations");
			cJSON_ArrayForEach(kv, json_get(cm, "annotations"))
				if (cJSON_IsString(kv))
					json_set_str(anns, kv->string, kv->valuestring);
		}
	}
	if (o->mask_sops)
		ksb_mask_sops(objs);
	r->objects = objs;
	return 0;
}

/* ---------------------------------------------------------------- postBuild */

bool ksb_strict_substitutions(const char *gates)
{
	bool strict = true;
	if (!gates)
		return strict;
	const char *key = "StrictPostBuildSubstitutions=";
	size_t kl = strlen(key);
	for (const char *p = gates; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ",");
		if (n > kl && !strncmp(p, key, kl)) {
			const char *v = p + kl;
			size_t vl = n - kl;
			if ((vl == 5 && !strncasecmp(v, "false", 5)) || (vl == 1 && *v == '0'))
				strict = false;
			else if ((vl == 4 && !strncasecmp(v, "true", 4)) || (vl == 1 && *v == '1'))
				strict = true;
		}
		p += n;
	}
	return strict;
}

/* Remove newlines as Flux does (strings.ReplaceAll(v, "\n", "")). */
static char *strip_nl(const char *v, size_t n)
{
	char *o = xmalloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] != '\n')
			o[k++] = v[i];
	o[k] = 0;
	return o;
}

static void var_set(cJSON *vars, const char *k, char *v)
{
	cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(vars, k);
	if (old && cJSON_IsString(old) && old->valuestring)
		OPENSSL_cleanse(old->valuestring, strlen(old->valuestring));
	cJSON_Delete(old);
	cJSON *s = cJSON_CreateString(v);
	OPENSSL_cleanse(v, strlen(v));
	free(v);
	cJSON_AddItemToObject(vars, k, s);
}

static void vars_free(cJSON *vars)
{
	cJSON *it;
	cJSON_ArrayForEach(it, vars)
		if (cJSON_IsString(it) && it->valuestring)
			OPENSSL_cleanse(it->valuestring, strlen(it->valuestring));
	cJSON_Delete(vars);
}

/* Flux's LoadVariables (skipped without kube) plus the inline map. NULL with e filled. */
static cJSON *load_vars(kube_client *kube, const char *ns, const cJSON *pb, err *e)
{
	cJSON *vars = cJSON_CreateObject();
	const cJSON *ref, *from = kube ? json_get(pb, "substituteFrom") : NULL;
	cJSON_ArrayForEach(ref, from) {
		const char *kind = json_str(ref, "kind"), *name = json_str(ref, "name");
		kind = kind ? kind : "";
		name = name ? name : "";
		bool optional = cJSON_IsTrue(json_get(ref, "optional"));
		bool secret = !strcmp(kind, "Secret");
		if (!secret && strcmp(kind, "ConfigMap"))
			continue;
		err ge = {0};
		cJSON *o = kube_get(kube, "v1", kind, ns, name, NULL, &ge);
		if (!o) {
			if (optional && kube_errkind_of(&ge) == KUBE_ENOTFOUND)
				continue;
			err_fail(e, "BuildFailed", "substitute from '%s/%s' error: %s", kind, name,
				ge.msg);
			vars_free(vars);
			return NULL;
		}
		const cJSON *kv;
		cJSON_ArrayForEach(kv, json_get(o, "data")) {
			if (!cJSON_IsString(kv) || !kv->valuestring)
				continue;
			const char *v = kv->valuestring;
			if (!secret) {
				var_set(vars, kv->string, strip_nl(v, strlen(v)));
				continue;
			}
			size_t n = 0;
			char *raw = b64_decode(v, strlen(v), B64_LENIENT, 0, &n);
			if (!raw)
				continue;
			var_set(vars, kv->string, strip_nl(raw, n));
			OPENSSL_cleanse(raw, n);
			free(raw);
		}
		/* the Secret's values are copied; wipe the response before freeing it */
		cJSON_ArrayForEach(kv, json_get(o, "data"))
			if (cJSON_IsString(kv) && kv->valuestring)
				OPENSSL_cleanse(kv->valuestring, strlen(kv->valuestring));
		cJSON_Delete(o);
	}
	const cJSON *kv;
	cJSON_ArrayForEach(kv, json_get(pb, "substitute")) {
		if (!cJSON_IsString(kv) || !kv->valuestring)
			continue;
		var_set(vars, kv->string, strip_nl(kv->valuestring, strlen(kv->valuestring)));
	}
	cJSON_ArrayForEach(kv, vars)
		if (!subst_valid_name(kv->string)) {
			err_fail(e, "BuildFailed", "'%s' var name is invalid, must match '%s'",
				kv->string, NAME_RULE);
			vars_free(vars);
			return NULL;
		}
	return vars;
}

static bool lookup(const char *name, const char **val, void *ud)
{
	const cJSON *v = json_get((const cJSON *)ud, name);
	if (!cJSON_IsString(v))
		return false;
	*val = v->valuestring;
	return true;
}

static bool subst_disabled(const cJSON *o)
{
	const char *l = kube_obj_label(o, SUBST_KEY), *a = kube_obj_annotation(o, SUBST_KEY);
	return (l && !strcmp(l, "disabled")) || (a && !strcmp(a, "disabled"));
}

/* Substitute in one object; *out gets the new object. */
static int subst_obj(const cJSON *o, const cJSON *vars, bool strict, cJSON **out, err *e)
{
	buf y, r;
	buf_init(&y, 64u << 20);
	buf_init(&r, 64u << 20);
	int rc = -1;
	if (yml_emit(&y, o, e) < 0)
		goto done;
	if (subst_eval(y.data ? y.data : "", y.len, lookup, (void *)vars, strict, &r, e) < 0) {
		err_prefix(e, "envsubst error: variable substitution failed");
		goto done;
	}
	*out = yml_parse_one(r.data ? r.data : "", r.len, NULL, e);
	if (!*out) {
		err_prefix(e, "envsubst error: YAMLToJSON");
		goto done;
	}
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		err_fail(e, "BuildFailed", "envsubst error: the substituted object is not a map");
		goto done;
	}
	rc = 0;
done:
	if (r.data)
		OPENSSL_cleanse(r.data, r.len);
	buf_release(&y);
	buf_release(&r);
	return rc;
}

int ksb_postbuild(kube_client *kube, const char *ns, const cJSON *spec, cJSON *objs, bool strict,
	err *e)
{
	const cJSON *pb = json_get(spec, "postBuild");
	if (!cJSON_IsObject(pb))
		return 0;
	const char *strat = json_str(pb, "substituteStrategy");
	bool always = strat && !strcmp(strat, "Always");
	cJSON *vars = NULL;
	int rc = 0;
	for (int i = 0; i < cJSON_GetArraySize(objs); i++) {
		cJSON *o = cJSON_GetArrayItem(objs, i);
		if (subst_disabled(o))
			continue;
		const char *name = kube_obj_name(o);
		if (!vars && !(vars = load_vars(kube, ns, pb, e))) {
			err_prefix(e, "post build failed for '%s'", name ? name : "");
			return -1;
		}
		if (cJSON_GetArraySize(vars) == 0 && !always)
			continue;
		cJSON *n = NULL;
		if (subst_obj(o, vars, strict, &n, e) < 0) {
			err_prefix(e, "post build failed for '%s'", name ? name : "");
			snprintf(e->reason, sizeof e->reason, "BuildFailed");
			rc = -1;
			break;
		}
		cJSON_ReplaceItemInArray(objs, i, n);
	}
	if (vars)
		vars_free(vars);
	return rc;
}

/* ---------------------------------------------------------------- SOPS masks */

static bool has_sops_marks(const char *s, size_t n)
{
	return memmem(s, n, "sops", 4) && memmem(s, n, "ENC[", 4);
}

static void mask_values(cJSON *map, const char *mask)
{
	cJSON *it;
	cJSON_ArrayForEach(it, map)
		if (cJSON_IsString(it))
			cJSON_SetValuestring(it, mask);
}

void ksb_mask_sops(cJSON *objs)
{
	cJSON *o;
	cJSON_ArrayForEach(o, objs) {
		const cJSON *sops = json_get(o, "sops");
		if (!str_eq(json_str(o, "kind"), "Secret")) {
			if (sops)
				cJSON_DeleteItemFromObjectCaseSensitive(o, "sops");
			continue;
		}
		cJSON *data = cJSON_GetObjectItemCaseSensitive(o, "data");
		cJSON *sdata = cJSON_GetObjectItemCaseSensitive(o, "stringData");
		const char *mac = json_str(sops, "mac");
		if (cJSON_IsObject(sops) && mac && !strncmp(mac, "ENC[", 4)) {
			cJSON_DeleteItemFromObjectCaseSensitive(o, "sops");
			bool dcfg = str_eq(json_str(o, "type"), "kubernetes.io/dockerconfigjson");
			mask_values(data, dcfg ? DOCKERCFG_MASK_B64 : SOPS_MASK_B64);
			mask_values(sdata, dcfg ? DOCKERCFG_MASK : SOPS_MASK);
			continue;
		}
		cJSON *it;
		cJSON_ArrayForEach(it, data) {
			if (!cJSON_IsString(it) || !it->valuestring)
				continue;
			size_t n = 0, vl = strlen(it->valuestring);
			char *raw = b64_decode(it->valuestring, vl, B64_LENIENT, 0, &n);
			if (raw && has_sops_marks(raw, n))
				cJSON_SetValuestring(it, SOPS_MASK_B64);
			free(raw);
		}
		cJSON_ArrayForEach(it, sdata)
			if (cJSON_IsString(it) && it->valuestring &&
			    has_sops_marks(it->valuestring, strlen(it->valuestring)))
				cJSON_SetValuestring(it, SOPS_MASK_B64);
	}
}
