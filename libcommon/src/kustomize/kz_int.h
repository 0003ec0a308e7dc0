/* Internal interfaces of the kustomize engine (libcommon/src/kustomize). */
#ifndef EDDY_KZ_INT_H
#define EDDY_KZ_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "eddy/buf.h"
#include "eddy/err.h"
#include "eddy/kz.h"
#include "eddy/strv.h"

#define KZ_REASON "BuildFailed"
/* reason of a resource file that is not valid YAML, until add_resource_path() sees it */
#define KZ_MALFORMED "MalformedYAML"

/* ---- one resource ---- */
enum kz_behavior { KZ_B_NONE = 0, KZ_B_CREATE, KZ_B_MERGE, KZ_B_REPLACE };

typedef struct kz_res {
	cJSON *obj;           /* the object (owned) */
	strv names;        /* every name it had, original first (current last) */
	strv nss;          /* the namespace that went with each name ("" for none) */
	bool generated;       /* made by a generator */
	bool needs_hash;      /* gets the content hash suffix at the end of the build */
	int behavior;         /* generator behavior */
	strv prefixes;     /* prefixes and suffixes applied, for name reference matching */
	strv suffixes;
	char *origin;         /* config.kubernetes.io/origin text, or NULL */
	char *idkey;          /* group|kind|namespace|name of the current id ("" ns = default) */
	char *transforms;     /* alpha.config.kubernetes.io/transformations text, or NULL */
	strv refvars;      /* vars bound to it when their kustomization merged them */
} kz_res;

typedef struct kz_resmap {
	kz_res **v;
	size_t n, cap;
} kz_resmap;

kz_res *kz_res_new(cJSON *obj);
void kz_res_free(kz_res *r);
void kz_resmap_release(kz_resmap *m);
void kz_resmap_push(kz_resmap *m, kz_res *r);
void kz_resmap_remove(kz_resmap *m, size_t i);

/* Identity helpers. Strings returned point into the object ("" when missing). */
const char *kz_kind(const cJSON *o);
const char *kz_apiversion(const cJSON *o);
const char *kz_name(const cJSON *o);
const char *kz_namespace(const cJSON *o);
/* group and version of apiVersion into caller buffers */
void kz_split_apiversion(const char *av, char *group, size_t gl, char *version, size_t vl);
bool kz_is_cluster_scoped(const char *group, const char *kind);
/* "apps_v1_Deployment|ns|name" style id text for messages */
char *kz_res_idstr(const kz_res *r);
/* record the current name/namespace in the history if it changed */
void kz_res_track(kz_res *r);
void kz_set_name(cJSON *o, const char *name);
void kz_set_namespace(cJSON *o, const char *ns);
/* Replace old (a child of parent) by repl, keeping the key. */
void kz_replace(cJSON *parent, cJSON *old, cJSON *repl);

/* ---- field specs ---- */
typedef struct kz_fieldspec {
	char *group, *version, *kind; /* NULL = any */
	char *path;
	bool create;
} kz_fieldspec;

typedef struct kz_fsv {
	kz_fieldspec *v;
	size_t n, cap;
} kz_fsv;

void kz_fsv_add(kz_fsv *f, const char *g, const char *v, const char *k, const char *path,
		bool create);
void kz_fsv_release(kz_fsv *f);
int kz_fsv_from_json(kz_fsv *f, const cJSON *arr, err *e);
bool kz_fs_selects(const kz_fieldspec *fs, const cJSON *obj);

/* Called for each node the path reaches: parent and key (or index >= 0 for arrays) where the
 * value lives; *node is NULL when the field is missing and create is set (the callback may then
 * add it). Return -1 to fail. */
typedef int (*kz_field_fn)(cJSON *parent, const char *key, cJSON *node, void *ud, err *e);
int kz_fs_walk(cJSON *obj, const char *path, bool create, kz_field_fn fn, void *ud, err *e);

/* Built-in field spec tables. */
typedef struct kz_config {
	kz_fsv common_labels;   /* labels with selectors */
	kz_fsv template_labels; /* metadata/labels + templates */
	kz_fsv annotations;
	kz_fsv name_prefix;
	kz_fsv name_suffix;
	kz_fsv namespace;
	kz_fsv images;
	kz_fsv replicas;
	kz_fsv var_refs;
	/* name references: target kind -> referrer specs */
	struct kz_nameref {
		char *group, *version, *kind;
		kz_fsv refs;
	} *nameref;
	size_t n_nameref, cap_nameref;
} kz_config;
void kz_config_defaults(kz_config *c);
void kz_config_release(kz_config *c);
int kz_config_merge_json(kz_config *c, const cJSON *cfg, err *e);
int kz_config_add_crd(kz_config *c, const cJSON *crd, err *e);

/* ---- kustomization files (kfile.c) ---- */
/* The first document of a kustomization file typed as sigs.k8s.io/yaml types it (YAML 1.1).
 * NULL with *empty set when there is no document (or only null), NULL + e on a YAML error. */
cJSON *kz_kfile_parse(const char *data, size_t len, bool *empty, err *e);
/* Decode-check k as encoding/json decodes into types.Kustomization (unknown fields refused);
 * keys matched case-insensitively are renamed. -1 + e with Go's message on the first error. */
int kz_kfile_check(cJSON *k, err *e);

/* ---- YAML in and out ---- */
cJSON *kz_yaml_parse(const char *data, size_t len, err *e);
int kz_yaml_emit(buf *out, const cJSON *docs, err *e);

/* ---- build context ---- */
typedef struct kz_ctx {
	kz_options opt;
	char *root; /* realpath of the root */
	size_t total_bytes;
	unsigned depth;
	strv stack; /* kustomization dirs being built, for cycle detection */
	kz_config cfg;
	cJSON *vars;   /* accumulated vars (array) */
	int vars_scope; /* index in vars where the current kustomization's accumulator starts */
	cJSON *sort_options; /* of the top kustomization */
	cJSON *build_metadata; /* of the top kustomization */
	char *top_dir;       /* real path of the top kustomization directory */
	char *cur_kfile;     /* kustomization file being built (real path) */
	bool track;          /* buildMetadata transformerAnnotations */
	/* while a `transformers:`/`generators:` configuration runs: where it was configured
	 * (file relative to the top directory, or the kustomization file for inline ones) and
	 * its metadata name and namespace, for the buildMetadata annotations */
	const char *cfg_in, *cfg_name, *cfg_ns;
	bool plugins_generate; /* kz_plugins_apply runs the `generators:` list */
	cJSON *openapi_doc;    /* the `openapi: path:` schema document, once one is set */
	bool openapi_set;      /* kustomize sets the schema once: the first kustomization wins */
	cJSON *openapi_cache;  /* "group/version/kind" -> resolved schema (or null) */
	/* builds the kustomization in dir (an absolute real path) into out, as a base is built:
	 * how a `transformers:`/`generators:` entry naming a directory is read */
	int (*build_dir)(struct kz_ctx *c, const char *dir, kz_resmap *out, err *e);
	/* while a remote base is built: its clone (real path), repository URL and ref */
	const char *remote_root, *remote_repo, *remote_ref;
} kz_ctx;

/* Join and confine: a real path inside root for path relative to dir. NULL + e on escape. */
char *kz_resolve(kz_ctx *c, const char *dir, const char *rel, err *e);
/* Go's filepath.Join(dir, rel) (rel absolute: rel), cleaned as filepath.Clean does. */
char *kz_clean_join(const char *dir, const char *rel);
/* e = kustomize's message for a path that does not resolve:
 * "evalsymlink failure on '<joined>' : lstat <first missing prefix>: no such file or directory" */
void kz_err_missing(err *e, const char *dir, const char *rel);
/* kustomize's ResId text: Kind.version.group/name.namespace with [noKind] and friends. */
char *kz_resid_str(const char *g, const char *v, const char *k, const char *name, const char *ns);
/* Go's %q of s (a new string). */
char *kz_go_quote(const char *s);
/* e = "trouble configuring builtin <plugin> with config: `\n<cfg as YAML>`: <msg>", where
 * msg may hold one %s, replaced by the config YAML again. */
int kz_config_err(err *e, const char *plugin, const cJSON *cfg, const char *msg);
bool kz_is_dir(const char *p);
bool kz_is_file(const char *p);
/* Read a confined file (absolute real path) with the caps. */
char *kz_read_file(kz_ctx *c, const char *path, size_t *len, err *e);
bool kz_is_remote(const char *s);

/* ---- remote bases (remote.c) ---- */
typedef struct kz_remote {
	char *repo;       /* clone URL */
	char *path;       /* directory in the repository ("" = its root) */
	char *ref;        /* ?ref= / ?version=, or NULL */
	long long timeout_ms;
	bool submodules;
	bool is_file;     /* a plain http(s) URL of one file (not a repository) */
} kz_remote;
/* Parse a remote resource spec. -1 when it is not one kustomize understands. */
int kz_remote_parse(const char *spec, kz_remote *r);
void kz_remote_release(kz_remote *r);
/* Clone r into a new temporary directory (returned); NULL + e on failure. */
char *kz_remote_fetch(const kz_remote *r, size_t max_bytes, err *e);
/* Remove a directory tree made by kz_remote_fetch. */
void kz_remote_cleanup(const char *dir);

/* ---- transformers (transformers.c and friends) ---- */
int kz_load_resources_text(kz_ctx *c, kz_resmap *m, const char *data, size_t len,
			   const char *what, const char *origin, err *e);
/* path relative to dir (both absolute, normalised), newly allocated */
char *kz_relpath(const char *dir, const char *path);
int kz_resmap_append(kz_resmap *m, kz_res *r, err *e);
int kz_namespace_apply(kz_ctx *c, kz_resmap *m, const cJSON *cfg, err *e);
int kz_prefix_suffix_apply(kz_ctx *c, kz_resmap *m, const char *prefix, const char *suffix,
			   const kz_fsv *fs, err *e);
int kz_labels_apply(kz_ctx *c, kz_resmap *m, const cJSON *pairs, const kz_fsv *fs, bool labels,
		    err *e);
int kz_images_apply(kz_ctx *c, kz_resmap *m, const cJSON *images, const kz_fsv *fs, err *e);
int kz_replicas_apply(kz_ctx *c, kz_resmap *m, const cJSON *replicas, const kz_fsv *fs,
		      err *e);
int kz_generate(kz_ctx *c, kz_resmap *m, const char *dir, const cJSON *gen, const char *kind,
		const cJSON *opts, err *e);
int kz_hash_apply(kz_resmap *m, err *e);
int kz_nameref_fix(kz_ctx *c, kz_resmap *m, err *e);
int kz_patches_apply(kz_ctx *c, kz_resmap *m, const char *dir, const cJSON *k, int phase,
		     err *e);
int kz_replacements_apply(kz_ctx *c, kz_resmap *m, const char *dir, const cJSON *list,
			  err *e);
/* buildMetadata transformerAnnotations: record that builtin transformer `kind` ran n times on
 * every resource of m (configured in the current kustomization, or in c->cfg_in). */
void kz_record(kz_ctx *c, kz_resmap *m, const char *kind, int n);
/* The openapi schema of a kind in c->openapi_doc (definitions matched by their
 * x-kubernetes-group-version-kind, every $ref resolved), or NULL. Cached in c. */
const cJSON *kz_openapi_schema(kz_ctx *c, const char *api_version, const char *kind);
int kz_plugins_apply(kz_ctx *c, kz_resmap *m, const char *dir, const cJSON *list, err *e);
int kz_vars_resolve(kz_ctx *c, kz_resmap *m, err *e);
/* kustomize's MergeVars check: a var whose objref matches several resources of m (by any id)
 * cannot be disambiguated. -1 + e with kustomize's message. */
int kz_vars_merge_check(kz_resmap *m, const cJSON *vars, err *e);
/* (kz_vars_merge_check also binds each var that matches one resource to it, as kustomize's
 * AppendRefVarName: the var then takes its value from that resource.) */
int kz_sort(kz_resmap *m, const cJSON *sort_options, err *e);
bool kz_selector_matches(const cJSON *sel, const cJSON *obj, const kz_res *r, err *e);

#endif
