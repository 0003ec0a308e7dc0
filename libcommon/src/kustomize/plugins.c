/* The `transformers:` and `generators:` fields: configurations of kustomize's builtin plugins
 * (apiVersion builtin), given as files or inline YAML. Only builtin kinds run; anything else is
 * an error (exec and container plugins are not supported). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/json.h"
#include "eddy/mem.h"
#include "kz_int.h"

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
			free(real);
			return err_fail(e, KZ_REASON, "%s: plugin configurations from "
					"kustomization directories are not supported", s);
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
