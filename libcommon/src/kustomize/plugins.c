/* The `transformers:` and `generators:` fields: configurations of kustomize's builtin plugins
 * (apiVersion builtin), given as files or inline YAML. Only builtin kinds run; anything else is
 * an error (exec and container plugins are not supported). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/buf.h"
#include "eddy/json.h"
#include "eddy/mem.h"
#include "eddy/yml.h"
#include "kz_int.h"

static int set_value_fn(cJSON *parent, const char *key, cJSON *node, void *ud, err *e)
{
	const char *value = ud;
	(void)e;
	if (!key)
		return 0;
	if (node)
		kz_replace(parent, node, cJSON_CreateString(value));
	else
		cJSON_AddStringToObject(parent, key, value);
	return 0;
}

/* ValueAddTransformer: value set at each target's fieldPath (slash-separated, created when
 * missing) of the resources its selector picks (all without one); metadata/namespace sets the
 * namespace. Without a value, the kustomization directory's name. filePathPosition N > 0
 * inserts value as the Nth segment of a path value. */
static int value_add(kz_resmap *m, const char *dir, const cJSON *cfg, err *e)
{
	const char *value = json_str(cfg, "value");
	const cJSON *targets = json_get(cfg, "targets"), *t;
	if (!value || !*value) {
		/* kustomize's default: the name of the kustomization's directory */
		const char *slash = strrchr(dir, '/');
		value = slash && slash[1] ? slash + 1 : dir;
	}
	if (!cJSON_GetArraySize(targets))
		return err_fail(e, KZ_REASON, "must specify at least one target");
	cJSON_ArrayForEach(t, targets) {
		const cJSON *sel = json_get(t, "selector"), *pos = json_get(t, "filePathPosition");
		const char *fp = json_str(t, "fieldPath");
		long position = cJSON_IsNumber(pos) ? (long)pos->valuedouble : 0;
		if (position < 0)
			return err_fail(e, KZ_REASON, "value of filePathPosition must be >= 0");
		if (!fp || !*fp)
			fp = "metadata/namespace";
		for (size_t i = 0; i < m->n; i++) {
			kz_res *r = m->v[i];
			err se = {0};
			if (sel && !kz_selector_matches(sel, r->obj, r, &se)) {
				if (se.msg[0]) {
					*e = se;
					return -1;
				}
				continue;
			}
			if (!strcmp(fp, "metadata/namespace")) {
				kz_set_namespace(r->obj, value);
				kz_res_track(r);
				continue;
			}
			if (position == 0) {
				if (kz_fs_walk(r->obj, fp, true, set_value_fn, (void *)value, e) < 0)
					return -1;
				continue;
			}
			/* insert into a path value: a/b/c with position 2 -> a/value/b/c */
			cJSON *cur = r->obj;
			char *dup = xstrdup(fp), *save = dup, *seg;
			cJSON *parent = NULL;
			const char *last = NULL;
			while ((seg = strsep(&save, "/")) && cur) {
				parent = cur;
				last = seg;
				cur = cJSON_GetObjectItemCaseSensitive(cur, seg);
			}
			if (cur && cJSON_IsString(cur)) {
				buf b;
				buf_init(&b, (size_t)1 << 20);
				const char *p = cur->valuestring;
				long n = 1;
				bool done = false;
				if (*p == '/')
					buf_addc(&b, *p++);
				while (*p || !done) {
					if (n == position && !done) {
						buf_adds(&b, value);
						done = true;
						if (*p)
							buf_addc(&b, '/');
						continue;
					}
					const char *q = strchr(p, '/');
					size_t l = q ? (size_t)(q - p) : strlen(p);
					buf_add(&b, p, l);
					p += l;
					n++;
					if (*p == '/')
						buf_addc(&b, *p++);
					else if (!done) {
						buf_addc(&b, '/');
						buf_adds(&b, value);
						done = true;
					}
				}
				char *nv = buf_detach(&b, NULL);
				kz_replace(parent, cur, cJSON_CreateString(nv));
				free(nv);
			} else if (!cur && parent && last) {
				cJSON_AddStringToObject(parent, last, value);
			}
			free(dup);
		}
	}
	return 0;
}

/* kustomize's error for a configuration its plugin refuses */
static int plugin_fail(err *e, const cJSON *cfg, const char *msg)
{
	char g[256], v[128];
	kz_split_apiversion(kz_apiversion(cfg), g, sizeof(g), v, sizeof(v));
	char *id = kz_resid_str(g, v, kz_kind(cfg), kz_name(cfg), kz_namespace(cfg));
	err_fail(e, KZ_REASON, "plugin %s fails configuration: %s", id, msg);
	free(id);
	return -1;
}

static int run_one(kz_ctx *c, kz_resmap *m, const char *dir, const cJSON *cfg, err *e)
{
	const char *kind = kz_kind(cfg);
	kz_fsv fs = {0};
	int rc = -1;
	if (kz_fsv_from_json(&fs, json_get(cfg, "fieldSpecs"), e) < 0)
		goto out;
	if (!strcmp(kind, "NamespaceTransformer")) {
		/* kustomize's namespace filter always sets metadata.namespace */
		bool has_meta = false;
		for (size_t i = 0; i < fs.n; i++)
			has_meta = has_meta || !strcmp(fs.v[i].path, "metadata/namespace");
		if (!has_meta)
			kz_fsv_add(&fs, NULL, NULL, NULL, "metadata/namespace", true);
		cJSON *k = cJSON_CreateObject();
		cJSON_AddStringToObject(k, "namespace", kz_namespace(cfg));
		if (cJSON_IsTrue(json_get(cfg, "unsetOnly")))
			cJSON_AddTrueToObject(k, "unsetOnly");
		if (cJSON_IsString(json_get(cfg, "setRoleBindingSubjects")))
			cJSON_AddStringToObject(k, "setRoleBindingSubjects",
						json_str(cfg, "setRoleBindingSubjects"));
		kz_fsv saved = c->cfg.namespace;
		c->cfg.namespace = fs;
		rc = kz_namespace_apply(c, m, k, e);
		c->cfg.namespace = saved;
		cJSON_Delete(k);
	} else if (!strcmp(kind, "PrefixTransformer") || !strcmp(kind, "PrefixSuffixTransformer") ||
		   !strcmp(kind, "SuffixTransformer")) {
		if (!json_get(cfg, "fieldSpecs"))
			rc = plugin_fail(e, cfg, "fieldSpecs is not expected to be nil");
		else
			rc = kz_prefix_suffix_apply(c, m, json_str(cfg, "prefix"), json_str(cfg, "suffix"),
						    &fs, e);
	} else if (!strcmp(kind, "LabelTransformer")) {
		rc = kz_labels_apply(c, m, json_get(cfg, "labels"), &fs, true, e);
	} else if (!strcmp(kind, "AnnotationsTransformer")) {
		rc = kz_labels_apply(c, m, json_get(cfg, "annotations"), &fs, false, e);
	} else if (!strcmp(kind, "ImageTagTransformer")) {
		cJSON *l = cJSON_CreateArray();
		const cJSON *it = json_get(cfg, "imageTag");
		if (it)
			cJSON_AddItemToArray(l, cJSON_Duplicate(it, true));
		rc = kz_images_apply(c, m, l, &fs, e);
		cJSON_Delete(l);
	} else if (!strcmp(kind, "ReplicaCountTransformer")) {
		cJSON *l = cJSON_CreateArray();
		const cJSON *it = json_get(cfg, "replica");
		if (it)
			cJSON_AddItemToArray(l, cJSON_Duplicate(it, true));
		rc = kz_replicas_apply(c, m, l, &fs, e);
		cJSON_Delete(l);
	} else if (!strcmp(kind, "PatchTransformer") && !json_str(cfg, "patch") && !json_str(cfg, "path")) {
		buf y;
		buf_init(&y, ERR_MSG_MAX);
		err ye = {0};
		if (yml_emit(&y, cfg, &ye) < 0)
			buf_reset(&y);
		char *msg = xasprintf("must specify one of patch and path in\n%s", buf_str(&y));
		size_t ml = strlen(msg);
		if (ml && msg[ml - 1] == '\n')
			msg[ml - 1] = 0;
		rc = plugin_fail(e, cfg, msg);
		free(msg);
		buf_release(&y);
	} else if (!strcmp(kind, "PatchTransformer")) {
		cJSON *k = cJSON_CreateObject(), *l = cJSON_AddArrayToObject(k, "patches");
		cJSON *p = cJSON_CreateObject();
		static const char *const keys[] = {"path", "patch", "target", "options", NULL};
		for (int i = 0; keys[i]; i++)
			if (json_get(cfg, keys[i]))
				cJSON_AddItemToObject(p, keys[i],
						      cJSON_Duplicate(json_get(cfg, keys[i]),
								      true));
		cJSON_AddItemToArray(l, p);
		rc = kz_patches_apply(c, m, dir, k, 0, e);
		cJSON_Delete(k);
	} else if (!strcmp(kind, "PatchJson6902Transformer")) {
		cJSON *k = cJSON_CreateObject(), *l = cJSON_AddArrayToObject(k, "patchesJson6902");
		cJSON *p = cJSON_CreateObject();
		if (json_get(cfg, "target"))
			cJSON_AddItemToObject(p, "target", cJSON_Duplicate(json_get(cfg, "target"),
				true));
		if (json_str(cfg, "path"))
			cJSON_AddStringToObject(p, "path", json_str(cfg, "path"));
		if (json_str(cfg, "jsonOp"))
			cJSON_AddStringToObject(p, "patch", json_str(cfg, "jsonOp"));
		cJSON_AddItemToArray(l, p);
		rc = kz_patches_apply(c, m, dir, k, 1, e);
		cJSON_Delete(k);
	} else if (!strcmp(kind, "PatchStrategicMergeTransformer")) {
		cJSON *k = cJSON_CreateObject(), *l = cJSON_AddArrayToObject(k,
			"patchesStrategicMerge");
		const cJSON *it;
		cJSON_ArrayForEach(it, json_get(cfg, "paths"))
			if (cJSON_IsString(it))
				cJSON_AddItemToArray(l, cJSON_CreateString(it->valuestring));
		if (json_str(cfg, "patches"))
			cJSON_AddItemToArray(l, cJSON_CreateString(json_str(cfg, "patches")));
		rc = kz_patches_apply(c, m, dir, k, 0, e);
		cJSON_Delete(k);
	} else if (!strcmp(kind, "ReplacementTransformer")) {
		rc = kz_replacements_apply(c, m, dir, json_get(cfg, "replacements"), e);
	} else if (!strcmp(kind, "ConfigMapGenerator") || !strcmp(kind, "SecretGenerator")) {
		cJSON *g = cJSON_Duplicate(cfg, true), *l = cJSON_CreateArray();
		cJSON *md = cJSON_DetachItemFromObjectCaseSensitive(g, "metadata");
		if (*kz_name(cfg) && !json_get(g, "name"))
			cJSON_AddStringToObject(g, "name", kz_name(cfg));
		if (*kz_namespace(cfg) && !json_get(g, "namespace"))
			cJSON_AddStringToObject(g, "namespace", kz_namespace(cfg));
		cJSON_Delete(md);
		cJSON_AddItemToArray(l, g);
		rc = kz_generate(c, m, dir, l, kind[0] == 'C' ? "configMap" : "secret", NULL, e);
		cJSON_Delete(l);
	} else if (!strcmp(kind, "ValueAddTransformer")) {
		rc = value_add(m, dir, cfg, e);
	} else if (!strcmp(kind, "HashTransformer")) {
		rc = 0; /* content hashes are added at the end of the build */
	} else if (!strcmp(kz_apiversion(cfg), "builtin")) {
		rc = err_fail(e, KZ_REASON, "unable to load builtin %s.builtin.[noGrp]", kind);
	} else {
		rc = err_fail(e, KZ_REASON, "external plugins disabled; unable to load external "
			      "plugin '%s'", kind);
	}
out:
	kz_fsv_release(&fs);
	return rc;
}

/* One entry of `transformers:`/`generators:`: inline configuration text or a file. */
static int plugin_entry(kz_ctx *c, kz_resmap *m, const char *dir, const char *s, err *e)
{
	bool generators = c->plugins_generate;
	char *data;
	size_t len;
	char *in = NULL; /* configuredIn of the buildMetadata annotations */
	if (strchr(s, '\n')) {
		data = xstrdup(s);
		len = strlen(s);
		in = c->cur_kfile ? kz_relpath(c->top_dir, c->cur_kfile) : NULL;
	} else {
		if (kz_is_remote(s))
			return err_fail(e, KZ_REASON, "%s: remote bases are disabled", s);
		char *real = kz_resolve(c, dir, s, e);
		if (!real) {
			if (!strncmp(e->msg, "evalsymlink failure", 19)) {
				char errf[ERR_MSG_MAX];
				snprintf(errf, sizeof errf, "accumulating resources from "
					 "'%.200s': %.1500s", s, e->msg);
				err_prefix(e, "must build at directory: not a valid "
					   "directory");
				err_prefix(e, "accumulation err='%s'", errf);
			}
			return -1;
		}
		if (kz_is_dir(real)) {
			/* a kustomization whose built resources are the configurations */
			kz_resmap sub = {0};
			int rc = c->build_dir ? c->build_dir(c, real, &sub, e) :
				 err_fail(e, KZ_REASON, "%s: not a file", s);
			in = c->top_dir ? kz_relpath(c->top_dir, real) : NULL;
			free(real);
			for (size_t i = 0; rc == 0 && i < sub.n; i++) {
				const cJSON *d = sub.v[i]->obj;
				c->cfg_in = in;
				c->cfg_name = *kz_name(d) ? kz_name(d) : NULL;
				c->cfg_ns = *kz_namespace(d) ? kz_namespace(d) : NULL;
				rc = run_one(c, m, dir, d, e);
				if (rc == 0 && !generators)
					kz_record(c, m, kz_kind(d), 1);
				c->cfg_in = c->cfg_name = c->cfg_ns = NULL;
			}
			free(in);
			kz_resmap_release(&sub);
			return rc < 0 ? -1 : 0;
		}
		data = kz_read_file(c, real, &len, e);
		in = c->top_dir ? kz_relpath(c->top_dir, real) : NULL;
		free(real);
		if (!data) {
			free(in);
			return -1;
		}
	}
	cJSON *docs = kz_yaml_parse(data, len, e), *d;
	free(data);
	if (!docs) {
		free(in);
		return -1;
	}
	int rc = 0;
	cJSON_ArrayForEach(d, docs) {
		if (rc)
			break;
		c->cfg_in = in;
		c->cfg_name = *kz_name(d) ? kz_name(d) : NULL;
		c->cfg_ns = *kz_namespace(d) ? kz_namespace(d) : NULL;
		rc = run_one(c, m, dir, d, e);
		if (rc == 0 && !generators)
			kz_record(c, m, kz_kind(d), 1);
		c->cfg_in = c->cfg_name = c->cfg_ns = NULL;
	}
	free(in);
	cJSON_Delete(docs);
	return rc < 0 ? -1 : 0;
}

int kz_plugins_apply(kz_ctx *c, kz_resmap *m, const char *dir, const cJSON *list, err *e)
{
	const cJSON *it;
	/* kustomize runs the inline configurations first, then the files */
	for (int pass = 0; pass < 2; pass++) {
		cJSON_ArrayForEach(it, list) {
			const char *s = it->valuestring;
			if ((pass == 0) != (strchr(s, '\n') != NULL))
				continue;
			if (plugin_entry(c, m, dir, s, e) < 0)
				return -1;
		}
	}
	return 0;
}
