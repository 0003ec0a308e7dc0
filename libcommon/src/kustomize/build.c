/* The build: load a kustomization, accumulate its resources (files, bases, components,
 * generators), run its transformers in kustomize's order, and at the top finish with hash
 * suffixes, name references, vars and the output order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>

#include "eddy/mem.h"
#include "eddy/json.h"
#include "eddy/yml.h"
#include "kz_int.h"

static const char *const kfile_names[] = {"kustomization.yaml", "kustomization.yml",
					  "Kustomization", NULL};

/* Read and parse the kustomization file of dir. */
static cJSON *load_kustomization(kz_ctx *c, const char *dir, bool top, err *e)
{
	char *data = NULL;
	size_t len = 0;
	if (top && c->opt.kustomization) {
		data = xstrndup(c->opt.kustomization, c->opt.kustomization_len);
		len = c->opt.kustomization_len;
		free(c->cur_kfile);
		c->cur_kfile = xasprintf("%s/kustomization.yaml", dir);
	} else {
		char *found = NULL;
		int nfound = 0;
		for (int i = 0; kfile_names[i]; i++) {
			char *p = xasprintf("%s/%s", dir, kfile_names[i]);
			if (kz_is_file(p)) {
				nfound++;
				if (!found)
					found = p;
				else
					free(p);
			} else {
				free(p);
			}
		}
		if (nfound > 1) {
			free(found);
			err_fail(e, KZ_REASON, "Found multiple kustomization files under: %s\n", dir);
			return NULL;
		}
		if (!found) {
			err_fail(e, KZ_REASON, "unable to find one of 'kustomization.yaml', "
				 "'kustomization.yml' or 'Kustomization' in directory '%s'", dir);
			return NULL;
		}
		char *real = kz_resolve(c, dir, found, e);
		free(found);
		if (!real)
			return NULL;
		data = kz_read_file(c, real, &len, e);
		free(c->cur_kfile);
		c->cur_kfile = real;
		if (!data)
			return NULL;
	}
	bool empty = false;
	cJSON *k = kz_kfile_parse(data, len, &empty, e);
	free(data);
	if (!k && empty) {
		err_fail(e, KZ_REASON, "kustomization.yaml is empty");
		return NULL;
	}
	if (!k) {
		err_prefix(e, "invalid Kustomization");
		return NULL;
	}
	if (!cJSON_IsObject(k)) {
		err_fail(e, KZ_REASON, "invalid Kustomization: json: cannot unmarshal %s into Go "
			 "value of type types.Kustomization", cJSON_IsArray(k) ? "array" :
			 cJSON_IsNumber(k) ? "number" : cJSON_IsBool(k) ? "bool" : "string");
		cJSON_Delete(k);
		return NULL;
	}
	if (kz_kfile_check(k, e) < 0) {
		cJSON_Delete(k);
		return NULL;
	}
	/* kustomize's CheckEmpty (after FixKustomization): nothing but apiVersion and kind set;
	 * an empty bases, imageTags or helmChartInflationGenerator list counts as unset */
	bool empty_k = true;
	const cJSON *kf;
	cJSON_ArrayForEach(kf, k) {
		if (!strcmp(kf->string, "apiVersion") || !strcmp(kf->string, "kind") ||
		    cJSON_IsNull(kf))
			continue;
		if ((!strcmp(kf->string, "bases") || !strcmp(kf->string, "imageTags") ||
		     !strcmp(kf->string, "helmChartInflationGenerator")) &&
		    cJSON_IsArray(kf) && !kf->child)
			continue;
		empty_k = false;
	}
	if (empty_k) {
		cJSON_Delete(k);
		err_fail(e, KZ_REASON, "kustomization.yaml is empty");
		return NULL;
	}
	/* kustomize's EnforceFields, after FixKustomization defaulted kind and apiVersion */
	const cJSON *kk = json_get(k, "kind"), *ka = json_get(k, "apiVersion");
	const char *kind = cJSON_IsString(kk) && *kk->valuestring ? kk->valuestring :
			   "Kustomization";
	const char *want = strcmp(kind, "Component") ? "kustomize.config.k8s.io/v1beta1" :
			   "kustomize.config.k8s.io/v1alpha1";
	bool bad_kind = strcmp(kind, "Kustomization") && strcmp(kind, "Component");
	bool bad_av = cJSON_IsString(ka) && *ka->valuestring && strcmp(ka->valuestring, want);
	if (bad_kind || bad_av) {
		err_fail(e, KZ_REASON, "Failed to read kustomization file under %s:%s%s%s%s%s", dir,
			 bad_kind ? "\nkind should be Kustomization or Component" : "",
			 bad_av ? "\napiVersion for " : "", bad_av ? kind : "",
			 bad_av ? " should be " : "", bad_av ? want : "");
		cJSON_Delete(k);
		return NULL;
	}
	return k;
}

static int accumulate(kz_ctx *c, const char *dir, kz_resmap *m, bool top, bool component,
		      err *e);

/* kustomize's loader.New check: a directory may not be, or contain, one being built. */
static int cycle_check(kz_ctx *c, const char *cand, err *e)
{
	size_t n = strlen(cand);
	for (size_t i = c->stack.n; i-- > 0;) {
		const char *v = c->stack.v[i];
		if (!strcmp(cand, "/") || !strcmp(v, cand) ||
		    (!strncmp(v, cand, n) && v[n] == '/'))
			return err_fail(e, KZ_REASON, "cycle detected: candidate root '%s' contains "
					"visited root '%s'", cand, v);
	}
	return 0;
}


/* A remote base: cloned into a temporary directory, built confined to the clone. */
static int add_remote(kz_ctx *c, kz_resmap *m, const char *p, err *e)
{
	if (!c->opt.allow_remote)
		return err_fail(e, KZ_REASON, "accumulation err='accumulating resources from '%s': "
				"remote resources are disabled': %s: remote bases are disabled",
				p, p);
	kz_remote r;
	if (kz_remote_parse(p, &r) < 0)
		return err_fail(e, KZ_REASON, "accumulation err='accumulating resources from '%s': "
				"not a valid remote resource': %s: invalid remote URL", p, p);
	if (r.is_file) {
		kz_remote_release(&r);
		return err_fail(e, KZ_REASON, "%s: remote files over HTTP(S) are not supported",
				p);
	}
	char *clone = kz_remote_fetch(&r, c->opt.max_total_bytes, e);
	if (!clone) {
		err_prefix(e, "accumulation err='accumulating resources from '%s': URL is a "
			   "git repository'", p);
		kz_remote_release(&r);
		return -1;
	}
	int rc = -1;
	char *croot = realpath(clone, NULL);
	char *rootcopy = croot ? xstrdup(croot) : NULL;
	free(croot);
	char *want = rootcopy ? xasprintf("%s/%s", rootcopy, r.path) : NULL;
	char *real = want ? realpath(want, NULL) : NULL;
	char *dir = real ? xstrdup(real) : NULL;
	free(real);
	size_t rl = rootcopy ? strlen(rootcopy) : 0;
	if (!dir || strncmp(dir, rootcopy, rl) || (dir[rl] && dir[rl] != '/') || !kz_is_dir(dir)) {
		err_fail(e, KZ_REASON, "accumulation err='accumulating resources from '%s': "
			 "path not found in the repository': %s: no directory '%s' in %s", p, p,
			 r.path, r.repo);
		goto out;
	}
	char *saved_root = c->root;
	const char *sr = c->remote_root, *srepo = c->remote_repo, *sref = c->remote_ref;
	c->root = xstrdup(rootcopy);
	c->remote_root = rootcopy;
	c->remote_repo = r.repo;
	c->remote_ref = r.ref;
	kz_resmap sub = {0};
	rc = accumulate(c, dir, &sub, false, false, e);
	free(c->root);
	c->root = saved_root;
	c->remote_root = sr;
	c->remote_repo = srepo;
	c->remote_ref = sref;
	for (size_t i = 0; i < sub.n; i++) {
		if (rc == 0)
			rc = kz_resmap_append(m, sub.v[i], e);
		else
			kz_res_free(sub.v[i]);
	}
	sub.n = 0;
	kz_resmap_release(&sub);
	if (rc < 0)
		err_prefix(e, "accumulation err='accumulating resources from '%s': URL is a git "
			   "repository'", p);
out:
	free(dir);
	free(want);
	free(rootcopy);
	kz_remote_cleanup(clone);
	/* the clone sits one level below the temporary directory */
	char *slash = strrchr(clone, '/');
	if (slash) {
		*slash = '\0';
		kz_remote_cleanup(clone);
	}
	free(clone);
	kz_remote_release(&r);
	return rc;
}

/* e = "accumulation err='<errF>': <e>", as kustomize's accumulateResources words it. */
static int accumulation_err(err *e, const char *errf)
{
	err_prefix(e, "accumulation err='%s'", errf);
	return -1;
}

static int add_resource_path(kz_ctx *c, const char *dir, kz_resmap *m, const char *p, err *e)
{
	if (kz_is_remote(p))
		return add_remote(c, m, p, e);
	char errf[ERR_MSG_MAX];
	char *real = kz_resolve(c, dir, p, e);
	if (!real) {
		if (strncmp(e->msg, "evalsymlink failure", 19))
			return -1;
		snprintf(errf, sizeof errf, "accumulating resources from '%.200s': %.1500s", p, e->msg);
		err_prefix(e, "must build at directory: not a valid directory");
		return accumulation_err(e, errf);
	}
	int rc;
	if (kz_is_dir(real)) {
		snprintf(errf, sizeof errf, "accumulating resources from '%s': '%s' must resolve "
			 "to a file", p, real);
		if (cycle_check(c, real, e) < 0) {
			free(real);
			return accumulation_err(e, errf);
		}
		kz_resmap sub = {0};
		rc = accumulate(c, real, &sub, false, false, e);
		if (rc == 0) {
			for (size_t i = 0; i < sub.n; i++) {
				if (rc == 0)
					rc = kz_resmap_append(m, sub.v[i], e);
				else
					kz_res_free(sub.v[i]);
			}
			sub.n = 0;
			if (rc < 0)
				err_prefix(e, "recursed merging from path '%s'", real);
		}
		kz_resmap_release(&sub);
		if (rc < 0)
			accumulation_err(e, errf);
	} else {
		/* files must sit in or below the kustomization's directory */
		size_t dl = strlen(dir);
		if (strncmp(real, dir, dl) || (real[dl] != '/' && real[dl] != 0)) {
			snprintf(errf, sizeof errf, "accumulating resources from '%.200s': "
				 "security; file '%.600s' is not in or below '%.600s'", p, real, dir);
			err_fail(e, KZ_REASON, "must build at directory: '%s': file is not "
				 "directory", real);
			free(real);
			return accumulation_err(e, errf);
		}
		size_t len;
		char *data = kz_read_file(c, real, &len, e);
		if (!data) {
			free(real);
			return -1;
		}
		char *origin;
		size_t rrl = c->remote_root ? strlen(c->remote_root) : 0;
		if (rrl && !strncmp(real, c->remote_root, rrl) && real[rrl] == '/') {
			origin = xasprintf("path: %s\nrepo: %s\n%s%s%s", real + rrl + 1,
					   c->remote_repo, c->remote_ref ? "ref: " : "",
					   c->remote_ref ? c->remote_ref : "",
					   c->remote_ref ? "\n" : "");
		} else {
			char *rel = kz_relpath(c->top_dir, real);
			origin = xasprintf("path: %s\n", rel);
			free(rel);
		}
		/* the file's own resources first (a clash there is "accumulating"), then
		 * merged into the rest ("merging") */
		kz_resmap one = {0};
		rc = kz_load_resources_text(c, &one, data, len, p, origin, e);
		bool merging = false;
		for (size_t i = 0; i < one.n; i++) {
			if (rc == 0) {
				rc = kz_resmap_append(m, one.v[i], e);
				merging = rc < 0;
			} else {
				kz_res_free(one.v[i]);
			}
		}
		one.n = 0;
		kz_resmap_release(&one);
		free(origin);
		free(data);
		if (rc < 0) {
			err_prefix(e, "%s resources from '%s'", merging ? "merging" : "accumulating",
				   p);
			if (!strcmp(e->reason, KZ_MALFORMED)) {
				snprintf(e->reason, sizeof e->reason, "%s", KZ_REASON);
			} else {
				snprintf(errf, sizeof errf, "%s", e->msg);
				err_fail(e, KZ_REASON, "must build at directory: '%s': file is not "
					 "directory", real);
				accumulation_err(e, errf);
			}
		}
	}
	free(real);
	return rc;
}

static int str_list(const cJSON *l, const char *what, err *e)
{
	const cJSON *it;
	if (!l)
		return 0;
	if (!cJSON_IsArray(l))
		return err_fail(e, KZ_REASON, "invalid Kustomization: %s must be a list", what);
	cJSON_ArrayForEach(it, l)
		if (!cJSON_IsString(it))
			return err_fail(e, KZ_REASON, "invalid Kustomization: %s must be a list of "
					"strings", what);
	return 0;
}

static int count_of(const cJSON *k, const char *f)
{
	const cJSON *v = json_get(k, f);
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		return cJSON_GetArraySize(v);
	return cJSON_IsString(v) && *v->valuestring ? 1 : 0;
}

static int run_transformers(kz_ctx *c, const char *dir, kz_resmap *m, const cJSON *k, err *e)
{
	if (kz_patches_apply(c, m, dir, k, 0, e) < 0)
		return -1;
	kz_record(c, m, "PatchStrategicMergeTransformer", count_of(k, "patchesStrategicMerge") > 0);
	kz_record(c, m, "PatchTransformer", count_of(k, "patches"));
	const cJSON *ns = json_get(k, "namespace");
	if (ns && !cJSON_IsString(ns))
		return err_fail(e, KZ_REASON, "invalid Kustomization: namespace must be a string");
	if (ns && kz_namespace_apply(c, m, k, e) < 0)
		return -1;
	kz_record(c, m, "NamespaceTransformer", count_of(k, "namespace"));
	const cJSON *pre = json_get(k, "namePrefix"), *suf = json_get(k, "nameSuffix");
	if (kz_prefix_suffix_apply(c, m, cJSON_IsString(pre) ? pre->valuestring : "", "",
				   &c->cfg.name_prefix, e) < 0)
		return -1;
	kz_record(c, m, "PrefixTransformer", count_of(k, "namePrefix"));
	if (kz_prefix_suffix_apply(c, m, "", cJSON_IsString(suf) ? suf->valuestring : "",
				   &c->cfg.name_suffix, e) < 0)
		return -1;
	kz_record(c, m, "SuffixTransformer", count_of(k, "nameSuffix"));
	const cJSON *labels = json_get(k, "labels"), *l;
	cJSON_ArrayForEach(l, labels) {
		kz_fsv fs = {0};
		if (kz_fsv_from_json(&fs, json_get(l, "fields"), e) < 0) {
			kz_fsv_release(&fs);
			return -1;
		}
		const kz_fsv *add;
		if (cJSON_IsTrue(json_get(l, "includeSelectors"))) {
			add = &c->cfg.common_labels;
		} else if (cJSON_IsTrue(json_get(l, "includeTemplates"))) {
			add = &c->cfg.template_labels;
		} else {
			kz_fsv_add(&fs, NULL, NULL, NULL, "metadata/labels", true);
			add = NULL;
		}
		for (size_t i = 0; add && i < add->n; i++)
			kz_fsv_add(&fs, add->v[i].group, add->v[i].version, add->v[i].kind,
				   add->v[i].path, add->v[i].create);
		int rc = kz_labels_apply(c, m, json_get(l, "pairs"), &fs, true, e);
		kz_fsv_release(&fs);
		if (rc < 0)
			return -1;
		kz_record(c, m, "LabelTransformer", 1);
	}
	if (kz_labels_apply(c, m, json_get(k, "commonLabels"), &c->cfg.common_labels, true, e) < 0)
		return -1;
	/* kustomize runs (and records) the commonLabels transformer when labels are used too */
	kz_record(c, m, "LabelTransformer",
	       count_of(k, "commonLabels") > 0 || count_of(k, "labels") > 0);
	if (kz_labels_apply(c, m, json_get(k, "commonAnnotations"), &c->cfg.annotations, false,
			    e) < 0)
		return -1;
	kz_record(c, m, "AnnotationsTransformer", count_of(k, "commonAnnotations") > 0);
	if (kz_patches_apply(c, m, dir, k, 1, e) < 0) /* JSON 6902 (legacy field) */
		return -1;
	kz_record(c, m, "PatchJson6902Transformer", count_of(k, "patchesJson6902"));
	if (kz_replicas_apply(c, m, json_get(k, "replicas"), &c->cfg.replicas, e) < 0)
		return -1;
	kz_record(c, m, "ReplicaCountTransformer", count_of(k, "replicas"));
	if (kz_images_apply(c, m, json_get(k, "images"), &c->cfg.images, e) < 0)
		return -1;
	kz_record(c, m, "ImageTagTransformer", count_of(k, "images"));
	if (kz_replacements_apply(c, m, dir, json_get(k, "replacements"), e) < 0)
		return -1;
	kz_record(c, m, "ReplacementTransformer", count_of(k, "replacements") > 0);
	return 0;
}

/* Go's %v of a []string, into out (1024 bytes). */
static const char *go_strs(const cJSON *list, char *out)
{
	size_t o = 0;
	const cJSON *it;
	out[o++] = '[';
	cJSON_ArrayForEach(it, list) {
		const char *s = cJSON_IsString(it) ? it->valuestring : "";
		int n = snprintf(out + o, 1024 - o - 2, "%s%s", it == list->child ? "" : " ", s);
		if (n < 0 || (size_t)n >= 1024 - o - 2)
			break;
		o += (size_t)n;
	}
	out[o++] = ']';
	out[o] = '\0';
	return out;
}

/* Go's %v of kustomize's []types.Var, [{NAME Kind.version.group {fieldpath}} ...], into out
 * (1024 bytes). */
static const char *go_vars(const cJSON *vars, char *out)
{
	size_t o = 0;
	const cJSON *v;
	out[o++] = '[';
	cJSON_ArrayForEach(v, vars) {
		const cJSON *ref = json_get(v, "objref"), *fr = json_get(v, "fieldref");
		const cJSON *nm = json_get(v, "name"), *g = json_get(ref, "group");
		const cJSON *ver = json_get(ref, "version"), *kd = json_get(ref, "kind");
		const cJSON *fp = json_get(fr, "fieldPath");
		char *gvk = kz_resid_str(cJSON_IsString(g) ? g->valuestring : "",
					 cJSON_IsString(ver) ? ver->valuestring : "",
					 cJSON_IsString(kd) ? kd->valuestring : "", "", "");
		*strchr(gvk, '/') = '\0';
		int n = snprintf(out + o, 1024 - o - 2, "%s{%s %s {%s}}",
				 v == vars->child ? "" : " ", cJSON_IsString(nm) ? nm->valuestring : "",
				 gvk, cJSON_IsString(fp) ? fp->valuestring : "");
		free(gvk);
		if (n < 0 || (size_t)n >= 1024 - o - 2)
			break;
		o += (size_t)n;
	}
	out[o++] = ']';
	out[o] = '\0';
	return out;
}

/* kustomize's openapi.SetSchema: the first kustomization with an openapi field sets the schema
 * for the rest of the build (a path: a custom schema document; a version: the built-in one). */
static int load_openapi(kz_ctx *c, const char *dir, const cJSON *oa, err *e)
{
	const cJSON *path = json_get(oa, "path"), *ver = json_get(oa, "version");
	if (c->openapi_set || (!cJSON_IsString(path) && !cJSON_IsString(ver)))
		return 0;
	if (cJSON_IsString(path)) {
		if (cJSON_IsString(ver))
			return err_fail(e, KZ_REASON, "builtin version and custom schema provided, "
					"cannot use both");
		char *real = kz_resolve(c, dir, path->valuestring, e);
		if (!real)
			return -1;
		size_t len;
		char *data = kz_read_file(c, real, &len, e);
		free(real);
		if (!data)
			return -1;
		cJSON *docs = kz_yaml_parse(data, len, e);
		free(data);
		if (!docs)
			return -1;
		c->openapi_doc = cJSON_DetachItemFromArray(docs, 0);
		cJSON_Delete(docs);
		if (!c->openapi_doc)
			c->openapi_doc = cJSON_CreateObject();
	} else if (strcmp(ver->valuestring, "v1.21.2") && *ver->valuestring) {
		return err_fail(e, KZ_REASON, "the specified OpenAPI version is not built in");
	}
	c->openapi_set = true;
	return 0;
}

/* A `crds:` file: OpenAPI definitions (name -> {Schema}) whose kustomize extensions add field
 * specs (kustomize's LoadConfigFromCRDs). */
static const char *go_kind(const cJSON *v)
{
	if (cJSON_IsArray(v))
		return "array";
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsNumber(v))
		return "number";
	return cJSON_IsBool(v) ? "bool" : "object";
}

/* kustomize decodes a crds: file into map[string]OpenAPIDefinition with encoding/json: a
 * document that is not a map of maps fails, with the first bad key in sorted order. False
 * when the document decodes (null and empty decode to nothing), else true with Go's message. */
static bool crd_file_type_error(const cJSON *d, char *msg, size_t n)
{
	if (!d || cJSON_IsNull(d))
		return false;
	if (!cJSON_IsObject(d)) {
		snprintf(msg, n, "cannot unmarshal %s into Go value of type "
			 "accumulator.nameToApiMap", go_kind(d));
		return true;
	}
	const cJSON *first = NULL, *it;
	cJSON_ArrayForEach(it, d)
		if (!cJSON_IsObject(it) && !cJSON_IsNull(it) &&
		    (!first || strcmp(it->string, first->string) < 0))
			first = it;
	if (!first)
		return false;
	snprintf(msg, n, "cannot unmarshal %s into Go value of type "
		 "accumulator.OpenAPIDefinition", go_kind(first));
	return true;
}

static int load_crd(kz_ctx *c, const char *dir, const char *p, err *e)
{
	char *real = kz_resolve(c, dir, p, e);
	if (!real)
		return -1;
	size_t len;
	char *data = kz_read_file(c, real, &len, e);
	free(real);
	if (!data)
		return -1;
	/* JSON when it starts with '{' (encoding/json's messages), else YAML */
	cJSON *docs;
	if (len && data[0] == '{') {
		cJSON *one = yml_json_parse(data, len, NULL, e);
		docs = one ? cJSON_CreateArray() : NULL;
		if (one)
			cJSON_AddItemToArray(docs, one);
	} else {
		docs = kz_yaml_parse(data, len, e);
	}
	free(data);
	if (!docs) {
		err_prefix(e, "unable to parse open API definition from '%s'", p);
		return -1;
	}
	int rc = 0;
	const cJSON *d = cJSON_GetArrayItem(docs, 0);
	char bad[160];
	if (crd_file_type_error(d, bad, sizeof bad)) {
		err_fail(e, KZ_REASON, "error unmarshaling JSON: while decoding JSON: json: %s", bad);
		err_prefix(e, "unable to parse open API definition from '%s'", p);
		rc = -1;
	} else if (cJSON_IsObject(d)) {
		rc = kz_config_add_crd(&c->cfg, d, e);
	}
	cJSON_Delete(docs);
	return rc;
}

static int accumulate(kz_ctx *c, const char *dir, kz_resmap *m, bool top, bool component,
		      err *e)
{
	if (c->depth >= c->opt.max_depth)
		return err_fail(e, KZ_REASON, "kustomizations nested deeper than %u",
				c->opt.max_depth);
	if (strv_has(&c->stack, dir))
		return err_fail(e, KZ_REASON, "cycle detected: '%s' includes itself", dir);
	char *saved_kfile = c->cur_kfile ? xstrdup(c->cur_kfile) : NULL;
	cJSON *k = load_kustomization(c, dir, top, e);
	if (!k) {
		if (!top)
			err_prefix(e, "couldn't make target for path '%s'", dir);
		free(saved_kfile);
		return -1;
	}
	char *my_kfile = c->cur_kfile ? xstrdup(c->cur_kfile) : NULL;
	int rc = -1;
	/* vars as kustomize's accumulators hold them: a kustomization's own [nvars0, n), merged
	 * at its end into its parent's, which starts at scope0; a component adds to its
	 * parent's directly */
	int nvars0 = cJSON_GetArraySize(c->vars), scope0 = c->vars_scope;
	if (!component)
		c->vars_scope = nvars0;
	bool merge_err = false;
	const cJSON *kind = json_get(k, "kind");
	const char *ks = cJSON_IsString(kind) ? kind->valuestring : "Kustomization";
	if (component && strcmp(ks, "Component")) {
		err_fail(e, KZ_REASON, "expected kind 'Component' for path '%s' but got '%s'", dir,
			 ks);
		goto out;
	}
	/* kustomize builds a Component given as the top of a build like a Kustomization */
	if (!component && !top && !strcmp(ks, "Component")) {
		err_fail(e, KZ_REASON, "expected kind != 'Component' for path '%s'", dir);
		goto out;
	}
	c->depth++;
	strv_add(&c->stack, dir);
	if (load_openapi(c, dir, json_get(k, "openapi"), e) < 0)
		goto pop;
	if (top) {
		c->sort_options = cJSON_Duplicate(json_get(k, "sortOptions"), true);
		c->build_metadata = cJSON_Duplicate(json_get(k, "buildMetadata"), true);
		const cJSON *bm;
		cJSON_ArrayForEach(bm, c->build_metadata)
			if (cJSON_IsString(bm) && !strcmp(bm->valuestring,
				"transformerAnnotations"))
				c->track = true;
	}

	const cJSON *it;
	static const char *const lists[] = {"resources", "bases", "components", "crds",
					    "configurations", "patchesStrategicMerge", NULL};
	for (int i = 0; lists[i]; i++)
		if (str_list(json_get(k, lists[i]), lists[i], e) < 0)
			goto pop;
	cJSON_ArrayForEach(it, json_get(k, "resources"))
		if (add_resource_path(c, dir, m, it->valuestring, e) < 0) {
			err_prefix(e, "accumulating resources");
			goto pop;
		}
	cJSON_ArrayForEach(it, json_get(k, "bases"))
		if (add_resource_path(c, dir, m, it->valuestring, e) < 0) {
			err_prefix(e, "accumulating resources");
			goto pop;
		}
	cJSON_ArrayForEach(it, json_get(k, "configurations")) {
		char *real = kz_resolve(c, dir, it->valuestring, e);
		if (!real)
			goto pop;
		size_t len;
		char *data = kz_read_file(c, real, &len, e);
		free(real);
		if (!data)
			goto pop;
		cJSON *docs = kz_yaml_parse(data, len, e), *d;
		free(data);
		if (!docs)
			goto pop;
		int r2 = 0;
		cJSON_ArrayForEach(d, docs)
			if (r2 == 0)
				r2 = kz_config_merge_json(&c->cfg, d, e);
		cJSON_Delete(docs);
		if (r2 < 0)
			goto pop;
	}
	free(c->cur_kfile);
	c->cur_kfile = my_kfile ? xstrdup(my_kfile) : NULL;
	/* crds and openapi files must exist and parse (their schemas are not used further) */
	cJSON_ArrayForEach(it, json_get(k, "crds")) {
		if (load_crd(c, dir, it->valuestring, e) < 0) {
			char tmp[1024];
			err_prefix(e, "loading CRDs %s", go_strs(json_get(k, "crds"), tmp));
			goto pop;
		}
	}
	const cJSON *gopts = json_get(k, "generatorOptions");
	if (kz_generate(c, m, dir, json_get(k, "configMapGenerator"), "configMap", gopts, e) < 0)
		goto pop;
	if (kz_generate(c, m, dir, json_get(k, "secretGenerator"), "secret", gopts, e) < 0)
		goto pop;
	if (str_list(json_get(k, "generators"), "generators", e) < 0 ||
	    str_list(json_get(k, "transformers"), "transformers", e) < 0 ||
	    str_list(json_get(k, "validators"), "validators", e) < 0)
		goto pop;
	c->plugins_generate = true;
	int gr = kz_plugins_apply(c, m, dir, json_get(k, "generators"), e);
	c->plugins_generate = false;
	if (gr < 0)
		goto pop;
	cJSON_ArrayForEach(it, json_get(k, "components")) {
		if (kz_is_remote(it->valuestring)) {
			err_fail(e, KZ_REASON, "%s: remote bases are disabled", it->valuestring);
			goto pop;
		}
		char *real = kz_resolve(c, dir, it->valuestring, e);
		if (!real) {
			if (!strncmp(e->msg, "evalsymlink failure", 19))
				err_prefix(e, "must build at directory: not a valid directory");
		} else if (!kz_is_dir(real)) {
			err_fail(e, KZ_REASON, "must build at directory: '%s': file is not directory",
				 real);
		}
		if (!real || !kz_is_dir(real) || cycle_check(c, real, e) < 0) {
			char *q = kz_go_quote(e->msg);
			err_fail(e, KZ_REASON, "accumulating components: loader.New %s", q);
			free(q);
			free(real);
			goto pop;
		}
		int r2 = accumulate(c, real, m, false, true, e);
		free(real);
		if (r2 < 0) {
			char *q = kz_go_quote(e->msg);
			err_fail(e, KZ_REASON, "accumulating components: accumulateDirectory: %s", q);
			free(q);
			goto pop;
		}
	}
	if (run_transformers(c, dir, m, k, e) < 0)
		goto pop;
	if (kz_plugins_apply(c, m, dir, json_get(k, "transformers"), e) < 0)
		goto pop;
	if (cJSON_GetArraySize(json_get(k, "validators"))) {
		err_fail(e, KZ_REASON, "validators are not supported");
		goto pop;
	}
	if (cJSON_GetArraySize(json_get(k, "helmCharts")) ||
	    json_get(k, "helmChartInflationGenerator")) {
		const cJSON *ch = cJSON_GetArrayItem(json_get(k, "helmCharts"), 0);
		cJSON *cfg = cJSON_IsObject(ch) ? cJSON_Duplicate(ch, true) : cJSON_CreateObject();
		const cJSON *glob = json_get(k, "helmGlobals"), *gv;
		cJSON_ArrayForEach(gv, glob)
			if (!json_get(cfg, gv->string))
				cJSON_AddItemToObject(cfg, gv->string, cJSON_Duplicate(gv, true));
		kz_config_err(e, "HelmChartInflationGenerator", cfg, "must specify --enable-helm");
		cJSON_Delete(cfg);
		goto pop;
	}
	const cJSON *vars = json_get(k, "vars");
	if (kz_vars_merge_check(m, vars, e) < 0) {
		char tmp[1024];
		err_prefix(e, "merging vars %s", go_vars(vars, tmp));
		goto pop;
	}
	cJSON_ArrayForEach(it, vars) {
		const cJSON *nm = json_get(it, "name"), *o;
		bool dup = false;
		int i = 0;
		cJSON_ArrayForEach(o, c->vars)
			dup = dup || (i++ >= c->vars_scope && cJSON_IsString(nm) &&
				      cJSON_IsString(json_get(o, "name")) &&
				      !strcmp(nm->valuestring, json_get(o, "name")->valuestring));
		if (dup) {
			err_fail(e, KZ_REASON, "var '%s' already encountered", nm->valuestring);
			char tmp[1024];
			err_prefix(e, "merging vars %s", go_vars(vars, tmp));
			goto pop;
		}
		cJSON_AddItemToArray(c->vars, cJSON_Duplicate(it, true));
	}
	/* a base's vars (its own and its bases') merge into the including kustomization's set */
	for (int i = nvars0; !component && i < cJSON_GetArraySize(c->vars); i++) {
		const cJSON *nm = json_get(cJSON_GetArrayItem(c->vars, i), "name");
		for (int j = scope0; cJSON_IsString(nm) && j < nvars0; j++) {
			const cJSON *o = json_get(cJSON_GetArrayItem(c->vars, j), "name");
			if (cJSON_IsString(o) && !strcmp(o->valuestring, nm->valuestring)) {
				err_fail(e, KZ_REASON, "recursed merging from path '%s': var '%s' "
					 "already encountered", dir, nm->valuestring);
				merge_err = true;
				goto pop;
			}
		}
	}
	rc = 0;
pop:
	if (rc < 0 && !top && !merge_err)
		err_prefix(e, "recursed accumulation of path '%s'", dir);
	c->depth--;
	free(c->stack.v[--c->stack.n]);
out:
	c->vars_scope = scope0;
	cJSON_Delete(k);
	free(c->cur_kfile);
	c->cur_kfile = saved_kfile;
	free(my_kfile);
	return rc;
}

static void set_meta(cJSON *o, const char *map, const char *key, const char *val)
{
	cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	cJSON *m = cJSON_GetObjectItemCaseSensitive(md, map);
	if (!cJSON_IsObject(m)) {
		cJSON_DeleteItemFromObjectCaseSensitive(md, map);
		m = cJSON_AddObjectToObject(md, map);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(m, key);
	cJSON_AddStringToObject(m, key, val);
}

/* buildMetadata: originAnnotations and managedByLabel. */
static int build_metadata(kz_ctx *c, kz_resmap *m, err *e)
{
	const cJSON *it;
	bool origin = false, managed = false;
	cJSON_ArrayForEach(it, c->build_metadata) {
		if (!cJSON_IsString(it))
			continue;
		if (!strcmp(it->valuestring, "originAnnotations"))
			origin = true;
		else if (!strcmp(it->valuestring, "managedByLabel"))
			managed = true;
		else if (strcmp(it->valuestring, "transformerAnnotations"))
			return err_fail(e, KZ_REASON, "invalid buildMetadata option: %s",
					it->valuestring);
	}
	for (size_t i = 0; i < m->n; i++) {
		if (origin && m->v[i]->origin)
			set_meta(m->v[i]->obj, "annotations", "config.kubernetes.io/origin",
				 m->v[i]->origin);
		if (managed)
			set_meta(m->v[i]->obj, "labels", "app.kubernetes.io/managed-by",
				 "kustomize-(devel)");
		if (c->track && m->v[i]->transforms)
			set_meta(m->v[i]->obj, "annotations",
				 "alpha.config.kubernetes.io/transformations", m->v[i]->transforms);
	}
	return 0;
}

static int build_dir(kz_ctx *c, const char *dir, kz_resmap *out, err *e)
{
	if (cycle_check(c, dir, e) < 0)
		return -1;
	return accumulate(c, dir, out, false, false, e);
}

int kz_build(const kz_options *opt, const char *root, const char *path, cJSON **out, err *e)
{
	kz_ctx c;
	memset(&c, 0, sizeof(c));
	*out = NULL;
	if (opt)
		c.opt = *opt;
	if (!c.opt.max_file_bytes)
		c.opt.max_file_bytes = KZ_DEFAULT_MAX_FILE_BYTES;
	if (!c.opt.max_total_bytes)
		c.opt.max_total_bytes = (size_t)512 * 1024 * 1024;
	if (!c.opt.max_depth)
		c.opt.max_depth = KZ_DEFAULT_MAX_DEPTH;
	if (!c.opt.max_resources)
		c.opt.max_resources = KZ_DEFAULT_MAX_RESOURCES;
	char *rr = realpath(root ? root : "/", NULL);
	if (!rr)
		return err_fail(e, KZ_REASON, "root %s: no such directory", root ? root : "/");
	c.root = xstrdup(rr);
	free(rr);
	int rc = -1;
	char *dir = NULL;
	kz_resmap m = {0};
	kz_config_defaults(&c.cfg);
	c.vars = cJSON_CreateArray();
	c.build_dir = build_dir;
	if (kz_is_remote(path)) {
		err_fail(e, KZ_REASON, "%s: remote bases are disabled", path);
		goto done;
	}
	dir = kz_resolve(&c, path[0] == '/' ? "/" : ".", path, e);
	if (!dir) {
		/* a relative path may also be relative to the root */
		err tmp;
		dir = kz_resolve(&c, c.root, path, &tmp);
		if (!dir)
			goto done;
		err_clear(e);
	}
	if (!kz_is_dir(dir)) {
		err_fail(e, KZ_REASON, "%s: not a directory", path);
		goto done;
	}
	c.top_dir = xstrdup(dir);
	if (accumulate(&c, dir, &m, true, false, e) < 0)
		goto done;
	if (kz_hash_apply(&m, e) < 0)
		goto done;
	if (kz_nameref_fix(&c, &m, e) < 0)
		goto done;
	if (kz_vars_resolve(&c, &m, e) < 0)
		goto done;
	/* objects annotated config.kubernetes.io/local-config: "true" served the build (as
	 * replacement sources, say) and are not output */
	for (size_t i = m.n; i-- > 0;) {
		const cJSON *md = cJSON_GetObjectItemCaseSensitive(m.v[i]->obj, "metadata");
		const cJSON *lc = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(md, "annotations"),
			"config.kubernetes.io/local-config");
		if (cJSON_IsString(lc) && !strcmp(lc->valuestring, "true"))
			kz_resmap_remove(&m, i);
	}
	if (build_metadata(&c, &m, e) < 0)
		goto done;
	if (kz_sort(&m, c.sort_options, e) < 0)
		goto done;
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < m.n; i++) {
		/* kustomize drops an empty annotations map when it strips its internal ones */
		cJSON *md = cJSON_GetObjectItemCaseSensitive(m.v[i]->obj, "metadata");
		cJSON *an = cJSON_GetObjectItemCaseSensitive(md, "annotations");
		if ((cJSON_IsObject(an) && !an->child) || cJSON_IsNull(an)) {
			cJSON_DeleteItemFromObjectCaseSensitive(md, "annotations");
			an = NULL;
		}
		/* kustomize reads annotations back as strings: a scalar keeps its text */
		for (cJSON *av = cJSON_IsObject(an) ? an->child : NULL; av; av = av->next) {
			if (!cJSON_IsNumber(av) && !cJSON_IsBool(av) && !cJSON_IsNull(av))
				continue;
			char tmp[64];
			const char *t = av->valuestring ? av->valuestring :
					cJSON_IsTrue(av) ? "true" : cJSON_IsFalse(av) ? "false" :
					cJSON_IsNull(av) ? "" : yml_number_text(av, tmp, sizeof tmp);
			char *txt = xstrdup(t ? t : "");
			free(av->valuestring);
			av->valuestring = txt;
			av->type = cJSON_String | (av->type & (cJSON_IsReference | cJSON_StringIsConst));
		}
		cJSON_AddItemToArray(arr, m.v[i]->obj);
		m.v[i]->obj = NULL;
	}
	*out = arr;
	rc = 0;
done:
	kz_resmap_release(&m);
	kz_config_release(&c.cfg);
	strv_release(&c.stack);
	cJSON_Delete(c.vars);
	cJSON_Delete(c.openapi_doc);
	cJSON_Delete(c.openapi_cache);
	cJSON_Delete(c.sort_options);
	cJSON_Delete(c.build_metadata);
	free(c.root);
	free(c.top_dir);
	free(c.cur_kfile);
	free(dir);
	return rc;
}

int kz_build_yaml(const kz_options *opt, const char *root, const char *path, buf *out, err *e)
{
	cJSON *res;
	if (kz_build(opt, root, path, &res, e) < 0)
		return -1;
	int rc = kz_yaml_emit(out, res, e);
	cJSON_Delete(res);
	return rc;
}
