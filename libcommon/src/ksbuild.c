/* ksbuild: a Flux Kustomization's build (see eddy/ksbuild.h). The generation and overlay rules
 * are kustomize-controller's (kustomize-controller/kustomization.c holds the same steps). */
#include "eddy/ksbuild.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eddy/buf.h"
#include "eddy/kz.h"
#include "eddy/mem.h"
#include "eddy/yml.h"

#define GROUP "kustomize.toolkit.fluxcd.io"
#define MAX_SCAN_DEPTH 64
#define MAX_MANIFEST_BYTES ((size_t)32 << 20)

static const cJSON *jget(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = jget(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void jset_str(cJSON *o, const char *k, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	if (v)
		cJSON_AddStringToObject(o, k, v);
}

static cJSON *jobj(cJSON *o, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsObject(v)) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, k);
		v = cJSON_AddObjectToObject(o, k);
	}
	return v;
}

static cJSON *jarr(cJSON *o, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsArray(v)) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, k);
		v = cJSON_AddArrayToObject(o, k);
	}
	return v;
}

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
				if (!jstr(d, "apiVersion") || !jstr(d, "kind"))
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
	cJSON *p = jarr(k, "images");
	const cJSON *it;
	cJSON_ArrayForEach(it, jget(spec, "images")) {
		const char *name = jstr(it, "name");
		if (!name)
			continue;
		cJSON *found = NULL, *x;
		cJSON_ArrayForEach(x, p)
			if (str_eq(jstr(x, "name"), name))
				found = x;
		if (!found) {
			cJSON_AddItemToArray(p, cJSON_Duplicate(it, 1));
			continue;
		}
		if (jstr(it, "newName"))
			jset_str(found, "newName", jstr(it, "newName"));
		if (jstr(it, "newTag") || jstr(it, "digest")) {
			jset_str(found, "newTag", jstr(it, "newTag"));
			jset_str(found, "digest", jstr(it, "digest"));
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
	if ((s = jstr(spec, "targetNamespace")) && *s)
		jset_str(k, "namespace", s);
	if ((s = jstr(spec, "namePrefix")) && *s)
		jset_str(k, "namePrefix", s);
	if ((s = jstr(spec, "nameSuffix")) && *s)
		jset_str(k, "nameSuffix", s);
	const cJSON *it;
	if (cJSON_GetArraySize(jget(spec, "patches")) > 0) {
		cJSON *p = jarr(k, "patches");
		cJSON_ArrayForEach(it, jget(spec, "patches"))
			cJSON_AddItemToArray(p, cJSON_Duplicate(it, 1));
	}
	if (cJSON_GetArraySize(jget(spec, "components")) > 0) {
		cJSON *p = jarr(k, "components");
		bool ign = cJSON_IsTrue(jget(spec, "ignoreMissingComponents"));
		cJSON_ArrayForEach(it, jget(spec, "components")) {
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
	if (cJSON_GetArraySize(jget(spec, "images")) > 0)
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
	int rc = yml_emit(&kbuf, k, e);
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
	const cJSON *cm = jget(o->spec, "commonMetadata");
	cJSON *obj;
	cJSON_ArrayForEach(obj, objs) {
		if (!jstr(obj, "apiVersion") || !jstr(obj, "kind") ||
		    !jstr(jget(obj, "metadata"), "name")) {
			cJSON_Delete(objs);
			return err_fail(e, "BuildFailed", "object has no apiVersion, kind or name");
		}
		cJSON *md = jobj(obj, "metadata");
		const cJSON *kv;
		if (cJSON_GetArraySize(jget(cm, "labels")) > 0 || o->name) {
			cJSON *labels = jobj(md, "labels");
			cJSON_ArrayForEach(kv, jget(cm, "labels"))
				if (cJSON_IsString(kv))
					jset_str(labels, kv->string, kv->valuestring);
			if (o->name) {
				jset_str(labels, GROUP "/name", o->name);
				jset_str(labels, GROUP "/namespace", o->ns ? o->ns : "");
			}
		}
		if (cJSON_GetArraySize(jget(cm, "annotations")) > 0) {
			cJSON *anns = jobj(md, "annotations");
			cJSON_ArrayForEach(kv, jget(cm, "annotations"))
				if (cJSON_IsString(kv))
					jset_str(anns, kv->string, kv->valuestring);
		}
	}
	if (jget(o->spec, "postBuild"))
		r->unsupported = "postBuild";
	else if (jget(o->spec, "decryption"))
		r->unsupported = "decryption";
	r->objects = objs;
	return 0;
}
